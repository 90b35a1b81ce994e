//! `GET/PUT /api/v1/rules/reply-review`, `GET/PUT /api/v1/rules/sensitive-words`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use super::{ReplyReview, SensitiveWords};
use crate::AppState;
use crate::audit::{ClientAddr, Principal};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery};

/// `hotline`: the hotline whose rule (an installation administrator names it; anyone
/// else reads and keeps their own hotline's).
#[derive(serde::Deserialize, utoipa::IntoParams)]
pub(crate) struct HotlineQuery {
    hotline: Option<String>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/rules/reply-review",
            get(get_review).put(put_review),
        )
        .route(
            "/api/v1/rules/sensitive-words",
            get(get_words).put(put_words),
        )
}

async fn get_review(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    ApiQuery(q): ApiQuery<HotlineQuery>,
) -> ApiResult<Json<ReplyReview>> {
    let org = state.org().await?;
    let hotline = v.hotline_to_keep(&org, q.hotline.as_deref())?;
    super::review_of(&state, &hotline).await.map(Json)
}

async fn put_review(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    addr: ClientAddr,
    ApiQuery(q): ApiQuery<HotlineQuery>,
    ApiJson(r): ApiJson<ReplyReview>,
) -> ApiResult<Json<ReplyReview>> {
    let org = state.org().await?;
    let hotline = v.hotline_to_keep(&org, q.hotline.as_deref())?;
    super::put_review(&state, &Principal::person(&v, &addr), &hotline, r)
        .await
        .map(Json)
}

/// Staff who send texts to the public, and administrators, read the list.
async fn get_words(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
) -> ApiResult<Json<SensitiveWords>> {
    let org = state.org().await?;
    if v.scope(&org).is_none() && !v.grants(hotline_domain::Capability::Administer) {
        return Err(ApiError::forbidden(
            "your role does not send texts to the public",
        ));
    }
    super::words(&state).await.map(Json)
}

async fn put_words(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    addr: ClientAddr,
    ApiJson(w): ApiJson<SensitiveWords>,
) -> ApiResult<Json<SensitiveWords>> {
    super::put_words(&state, &Principal::person(&v, &addr), w)
        .await
        .map(Json)
}
