//! The order API: each handler reads its request (path, JSON, headers) and calls the
//! use case in [`super`].

pub mod public;
pub mod supervision;

use super::*;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use hotline_store::IdempotencyKey;
use sha2::{Digest, Sha256};

use crate::auth::CurrentUser;
use crate::extract::{ApiJson, ApiQuery, RawJson};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orders", post(create).get(list))
        .route("/api/v1/orders/{id}", get(show))
        .route("/api/v1/orders/batch/{action}", post(act_on_batch))
        .route("/api/v1/orders/{id}/{action}", post(act))
        .route(
            "/api/v1/orders/{id}/{action}/{decision}",
            post(act_decision),
        )
        .route("/api/v1/callers/history", post(caller_history))
        .merge(public::router())
        .merge(supervision::router())
}

/// The benchmark's ceiling: the same middleware, authentication and body parsing as
/// `POST /api/v1/orders`, and nothing else.
pub fn bench_router() -> Router<AppState> {
    Router::new().route("/api/v1/bench/noop", post(noop))
}

async fn noop(
    CurrentUser(_): CurrentUser,
    ApiJson(_): ApiJson<CreateOrderRequest>,
) -> (StatusCode, &'static str) {
    (StatusCode::CREATED, "{}")
}

async fn create(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    addr: ClientAddr,
    headers: HeaderMap,
    RawJson { value: req, bytes }: RawJson<CreateOrderRequest>,
) -> ApiResult<(StatusCode, Json<OrderView>)> {
    let org = state.org().await?;
    let idempotency = idempotency_key(&state, &viewer, &headers, &bytes)?;
    let created = create_for(&state, &viewer, &addr, req, idempotency).await?;
    let status = if created.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let view = view_knowing(
        &state,
        &viewer,
        &org,
        created.order,
        Some(created.events),
        // The operator taking the call typed the caller's number: it is theirs to see.
        true,
        &created.duplicate_hotlines,
    )
    .await?;
    Ok((status, Json(view)))
}

fn idempotency_key(
    state: &AppState,
    viewer: &Viewer,
    headers: &HeaderMap,
    body: &[u8],
) -> ApiResult<Option<IdempotencyKey>> {
    let Some(raw) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = raw
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 200);
    let key = key
        .ok_or_else(|| ApiError::invalid("Idempotency-Key", "must be 1–200 visible characters"))?;
    Ok(Some(IdempotencyKey {
        scope: format!("user:{}", viewer.user.id.0),
        key: key.to_owned(),
        body_hash: hex::encode(Sha256::digest(body)),
        not_before: state.now() - chrono::Duration::hours(24),
    }))
}

async fn list(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<Page>> {
    list_for(&state, &viewer, p).await.map(Json)
}

async fn show(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<OrderView>> {
    let org = state.org().await?;
    let order = visible_order(&state, &viewer, &org, order_id(&id)?).await?;
    let events = state.store().events(order.id).await?;
    Ok(Json(
        view_for(&state, &viewer, &org, order, Some(events), false).await?,
    ))
}

async fn act(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    addr: ClientAddr,
    Path((id, action)): Path<(String, String)>,
    RawJson { bytes, .. }: RawJson<serde::de::IgnoredAny>,
) -> ApiResult<Json<OrderView>> {
    act_named(&state, &viewer, &addr, &id, &action, &bytes)
        .await
        .map(Json)
}

async fn act_decision(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    addr: ClientAddr,
    Path((id, action, decision)): Path<(String, String, String)>,
    RawJson { bytes, .. }: RawJson<serde::de::IgnoredAny>,
) -> ApiResult<Json<OrderView>> {
    let name = format!("{action}/{decision}");
    act_named(&state, &viewer, &addr, &id, &name, &bytes)
        .await
        .map(Json)
}

/// The API's adapter: the action named in the path, its JSON body, to [`perform`].
async fn act_named(
    state: &AppState,
    viewer: &Viewer,
    addr: &ClientAddr,
    id: &str,
    name: &str,
    body: &[u8],
) -> ApiResult<OrderView> {
    let name = ActionName::parse(name).map_err(|_| ApiError::not_found())?;
    let id = order_id(id)?;
    perform_input(state, viewer, addr, id, ActionInput::from_json(name, body)).await
}

/// A batch: the orders by id, and the body the action takes on each (none for
/// `accept`).
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct BatchRequest {
    orders: Vec<i64>,
    #[serde(default)]
    #[schema(value_type = Object)]
    body: Option<serde_json::Value>,
}

/// Each order's outcome, in the order named: its new status, or why not.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct BatchAnswer {
    done: usize,
    failed: usize,
    results: Vec<BatchResult>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct BatchResult {
    id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Status>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<BatchError>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct BatchError {
    code: &'static str,
    message: String,
}

async fn act_on_batch(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    addr: ClientAddr,
    Path(action): Path<String>,
    RawJson { value: req, .. }: RawJson<BatchRequest>,
) -> ApiResult<Json<BatchAnswer>> {
    let name = ActionName::parse(&action).map_err(|_| ApiError::not_found())?;
    let body = match &req.body {
        Some(b) => serde_json::to_vec(b).map_err(ApiError::internal)?,
        None => Vec::new(),
    };
    let input = ActionInput::from_json(name, &body)?;
    let ids: Vec<OrderId> = req.orders.iter().map(|&id| OrderId::new(id)).collect();
    let outcomes = batch::perform_batch(&state, &viewer, &addr, &ids, input).await?;
    let results: Vec<BatchResult> = outcomes
        .into_iter()
        .map(|o| match o.result {
            Ok(view) => BatchResult {
                id: o.id.get(),
                number: Some(view.number),
                status: Some(view.status),
                error: None,
            },
            Err(e) => BatchResult {
                id: o.id.get(),
                number: None,
                status: None,
                error: Some(BatchError {
                    code: e.code,
                    message: e.message,
                }),
            },
        })
        .collect();
    let failed = results.iter().filter(|r| r.error.is_some()).count();
    Ok(Json(BatchAnswer {
        done: results.len() - failed,
        failed,
        results,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct HistoryRequest {
    phone: Phone,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = CallerHistory)]
pub(crate) struct History {
    items: Vec<OrderView>,
}

/// The caller's earlier orders, found through the keyed hash of their number, for the
/// operator taking the call. The number travels in the body, never in a URL.
async fn caller_history(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    ApiJson(req): ApiJson<HistoryRequest>,
) -> ApiResult<Json<History>> {
    let items = history_for(&state, &viewer, &req.phone).await?;
    Ok(Json(History { items }))
}
