//! The audit trail as administrators and supervisors read it (`GET /api/v1/audit`).
//! Records are written by the use cases (see [`crate::audit`]) and never changed
//! through the product.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use hotline_domain::Capability;
use hotline_domain::audit::AuditEntry;
use hotline_store::AuditFilter;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/audit", get(search))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct SearchParams {
    actor: Option<String>,
    action: Option<String>,
    object: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<i64>,
    limit: Option<u32>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = AuditPage)]
pub(crate) struct Page {
    items: Vec<AuditEntry>,
    next_cursor: Option<String>,
}

/// Administrators and supervisors search the trail: an installation administrator
/// all of it, the others what was done by people of their subtree.
async fn search(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<Json<Page>> {
    if !viewer.grants(Capability::ReadAudit) {
        return Err(ApiError::forbidden(
            "only administrators and supervisors read the audit trail",
        ));
    }
    let org = state.org().await?;
    let units = match &viewer.user.unit {
        None if viewer.is_installation_admin() => None,
        None => Some(Vec::new()),
        Some(own) => Some(
            org.subtree(own)
                .into_iter()
                .map(|u| u.to_string())
                .collect(),
        ),
    };
    let time = |field: &str, v: &Option<String>, end: bool| {
        v.as_deref()
            .map(|s| crate::dates::time(field, s, end))
            .transpose()
    };
    let filter = AuditFilter {
        ascending: false,
        cursor: p.cursor,
        actor: p.actor,
        action: p.action,
        object: p.object,
        units,
        from: time("from", &p.from, false)?,
        to: time("to", &p.to, true)?,
        limit: p.limit.unwrap_or(100).clamp(1, 500),
    };
    let items = state.store().audit_entries(&filter).await?;
    let next_cursor = (items.len() == filter.limit as usize)
        .then(|| items.last().map(|e| e.id.to_string()))
        .flatten();
    Ok(Json(Page { items, next_cursor }))
}
