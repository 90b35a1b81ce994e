//! The requester's API, without login: each handler reads its request and calls the
//! use case in [`crate::orders::public`].

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use crate::AppState;
use crate::audit::ClientAddr;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery};
use crate::orders::CallbackBody;
use crate::orders::public::{PublicRequest, Receipt, evaluate_order, submit_request, track_order};
use crate::orders::views::PublicOrderView;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/public/orders", post(submit))
        .route("/api/v1/public/orders/{number}", get(track))
        .route("/api/v1/public/orders/{number}/evaluation", post(evaluate))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct CodeQuery {
    code: Option<String>,
}

async fn track(
    State(state): State<AppState>,
    addr: ClientAddr,
    Path(number): Path<String>,
    ApiQuery(q): ApiQuery<CodeQuery>,
) -> ApiResult<Json<PublicOrderView>> {
    track_order(&state, &addr, &number, q.code.as_deref().unwrap_or(""))
        .await
        .map(Json)
}

async fn evaluate(
    State(state): State<AppState>,
    addr: ClientAddr,
    Path(number): Path<String>,
    ApiQuery(q): ApiQuery<CodeQuery>,
    ApiJson(body): ApiJson<CallbackBody>,
) -> ApiResult<Json<PublicOrderView>> {
    evaluate_order(
        &state,
        &addr,
        &number,
        q.code.as_deref().unwrap_or(""),
        &body,
    )
    .await
    .map(Json)
}

async fn submit(
    State(state): State<AppState>,
    addr: ClientAddr,
    ApiJson(req): ApiJson<PublicRequest>,
) -> ApiResult<(axum::http::StatusCode, Json<Receipt>)> {
    let receipt = submit_request(&state, &addr, req).await?;
    Ok((axum::http::StatusCode::CREATED, Json(receipt)))
}
