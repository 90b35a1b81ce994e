//! Notifications (通知): what a unit's staff must hear of as it happens — a new
//! dispatch, a reminder, supervision, the decision on a return or an extension; a
//! hotline's staff, a request waiting for their decision. The store writes them with
//! the events ([`hotline_domain::notices`] says who is told); here each person reads
//! their unit's, newest first, and how many they have not read. A notification names
//! the order and what happened, never the requester: the order itself is opened under
//! its own rules.

use hotline_domain::{EventKind, OrderId, UnitCode};
use hotline_store::Notification;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::access::Viewer;
use crate::error::{ApiError, ApiResult};

/// Notifications a page lists.
pub const PAGE: u32 = 50;
/// Unread notifications counted at most: a badge says "99+" beyond.
pub const CAP: u32 = 100;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationView {
    pub id: i64,
    pub order_id: OrderId,
    pub number: String,
    /// The event: `dispatched`, `urged`, `return_approved`, …
    #[serde(rename = "type")]
    pub kind: EventKind,
    #[schema(value_type = String, format = DateTime)]
    pub at: hotline_domain::Timestamp,
    pub actor: String,
    /// Newer than what the account has marked read.
    pub unread: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Listing {
    pub items: Vec<NotificationView>,
    /// Unread notifications of the account's unit, counted up to 100.
    pub unread: u64,
    /// The `before` of the next page, when there may be one.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ReadUpTo {
    /// Every notification up to this id is read.
    pub upto: i64,
}

/// The unit whose notifications the viewer reads: their own, if they work its orders
/// (its handlers, or the staff of a hotline). A line supervisor at a department reads
/// the line's orders, not the department's own, so not its notices either.
pub async fn unit_of(state: &AppState, viewer: &Viewer) -> ApiResult<Option<UnitCode>> {
    let org = state.org().await?;
    let works_its_orders = viewer.staff_hotline(&org).is_some()
        || viewer.grants(hotline_domain::Capability::HandleOrders);
    Ok(viewer
        .user
        .unit
        .clone()
        .filter(|_| works_its_orders && viewer.key_actions.is_none()))
}

/// The viewer's unread count (0 for someone without a unit's notifications).
pub async fn unread_for(state: &AppState, viewer: &Viewer) -> ApiResult<u64> {
    match unit_of(state, viewer).await? {
        Some(unit) => Ok(state
            .store()
            .unread_notifications(&unit, &viewer.user.username, CAP)
            .await?),
        None => Ok(0),
    }
}

/// A page of the viewer's notifications, newest first, before the id `before`.
pub async fn list_for(
    state: &AppState,
    viewer: &Viewer,
    before: Option<i64>,
    limit: Option<u32>,
) -> ApiResult<Listing> {
    let Some(unit) = unit_of(state, viewer).await? else {
        return Ok(Listing {
            items: Vec::new(),
            unread: 0,
            next_cursor: None,
        });
    };
    let limit = limit.unwrap_or(PAGE).clamp(1, 200);
    let store = state.store();
    let unread = store
        .unread_notifications(&unit, &viewer.user.username, CAP)
        .await?;
    let found = store.notifications(&unit, before, limit).await?;
    // The newest `unread` of the unit are the unread ones; a page further down holds
    // some only when fewer than that came before it.
    let newest_unread = store.notifications(&unit, None, unread as u32).await?;
    let unread_ids: std::collections::HashSet<i64> = newest_unread.iter().map(|n| n.id).collect();
    let next_cursor = (found.len() == limit as usize)
        .then(|| found.last().map(|n| n.id.to_string()))
        .flatten();
    let items = found.into_iter().map(|n| view(n, &unread_ids)).collect();
    Ok(Listing {
        items,
        unread,
        next_cursor,
    })
}

fn view(n: Notification, unread: &std::collections::HashSet<i64>) -> NotificationView {
    NotificationView {
        unread: unread.contains(&n.id),
        id: n.id,
        order_id: n.order_id,
        number: n.number,
        kind: n.kind,
        at: n.at,
        actor: n.actor,
    }
}

/// Marks the viewer's notifications read up to `upto`.
pub async fn mark_read(state: &AppState, viewer: &Viewer, upto: i64) -> ApiResult<()> {
    if upto < 0 {
        return Err(ApiError::invalid("upto", "must be a notification id"));
    }
    let Some(unit) = unit_of(state, viewer).await? else {
        return Ok(());
    };
    // Never past the newest there is: later ones are unread when they come.
    let newest = state
        .store()
        .notifications(&unit, None, 1)
        .await?
        .first()
        .map_or(0, |n| n.id);
    Ok(state
        .store()
        .mark_notifications_read(&viewer.user.username, upto.min(newest))
        .await?)
}

pub mod api {
    //! `GET /api/v1/notifications`, `POST /api/v1/notifications/read`.

    use super::*;
    use axum::extract::State;
    use axum::http::StatusCode;
    use axum::routing::{get, post};
    use axum::{Json, Router};

    use crate::auth::CurrentUser;
    use crate::extract::{ApiJson, ApiQuery};

    pub fn router() -> Router<AppState> {
        Router::new()
            .route("/api/v1/notifications", get(list))
            .route("/api/v1/notifications/read", post(read))
    }

    #[derive(Debug, Deserialize, utoipa::IntoParams)]
    pub struct ListQuery {
        /// A `next_cursor` from an earlier page.
        pub before: Option<i64>,
        /// 1–200, 50 by default.
        pub limit: Option<u32>,
    }

    async fn list(
        State(state): State<AppState>,
        CurrentUser(viewer): CurrentUser,
        ApiQuery(q): ApiQuery<ListQuery>,
    ) -> ApiResult<Json<Listing>> {
        list_for(&state, &viewer, q.before, q.limit).await.map(Json)
    }

    async fn read(
        State(state): State<AppState>,
        CurrentUser(viewer): CurrentUser,
        ApiJson(body): ApiJson<ReadUpTo>,
    ) -> ApiResult<StatusCode> {
        mark_read(&state, &viewer, body.upto).await?;
        Ok(StatusCode::NO_CONTENT)
    }
}
