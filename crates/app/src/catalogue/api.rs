//! `GET/PUT /api/v1/rules/dispatch-catalogue` and
//! `GET /api/v1/orders/{id}/suggested-units`.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use hotline_domain::catalogue::DispatchCatalogue;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::audit::{ClientAddr, Principal};
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/rules/dispatch-catalogue",
            get(get_catalogue).put(put_catalogue),
        )
        .route("/api/v1/rules/dispatch-catalogue/match", get(matching))
        .route("/api/v1/orders/{id}/suggested-units", get(suggested))
}

/// `hotline`: the hotline whose catalogue (an installation administrator names it;
/// anyone else reads and keeps their own hotline's).
#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct HotlineQuery {
    hotline: Option<String>,
}

async fn get_catalogue(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    ApiQuery(q): ApiQuery<HotlineQuery>,
) -> ApiResult<Json<DispatchCatalogue>> {
    let org = state.org().await?;
    let hotline = super::hotline_of(&org, &v, q.hotline.as_deref())?;
    super::catalogue(&state, &hotline).await.map(Json)
}

async fn put_catalogue(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    addr: ClientAddr,
    ApiQuery(q): ApiQuery<HotlineQuery>,
    ApiJson(c): ApiJson<DispatchCatalogue>,
) -> ApiResult<Json<DispatchCatalogue>> {
    let org = state.org().await?;
    let hotline = super::hotline_of(&org, &v, q.hotline.as_deref())?;
    let principal = Principal::person(&v, &addr);
    super::put_catalogue(&state, &principal, &hotline, c)
        .await
        .map(Json)
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = SuggestedUnits)]
pub(crate) struct Items {
    items: Vec<super::SuggestedUnit>,
}

async fn suggested(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Items>> {
    let id = crate::orders::order_id(&id)?;
    let items = super::suggested_units(&state, &v, id).await?;
    Ok(Json(Items { items }))
}

/// An order's domain and region before it is registered (the intake screen).
#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct MatchQuery {
    domain: Option<String>,
    region: String,
}

async fn matching(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    ApiQuery(q): ApiQuery<MatchQuery>,
) -> ApiResult<Json<Items>> {
    let domain = q
        .domain
        .as_deref()
        .filter(|d| !d.is_empty())
        .map(hotline_domain::DomainPath::parse)
        .transpose()
        .map_err(|e| crate::error::ApiError::invalid("domain", e.0))?;
    let region = hotline_domain::RegionCode::parse(q.region.trim())
        .map_err(|e| crate::error::ApiError::invalid("region", e.0))?;
    let items = super::suggestion_for_intake(&state, &v, domain.as_ref(), &region).await?;
    Ok(Json(Items { items }))
}
