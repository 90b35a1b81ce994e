//! The requester's view, without login: track an order by number and tracking code,
//! and evaluate the reply. A wrong code is answered exactly like an unknown number.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use hotline_domain::{Action, Actor, Context, Order, OrderNumber, apply};
use hotline_store::{OrderChange, StoreError};
use serde::Deserialize;

use crate::AppState;
use crate::audit::{self, ClientAddr};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::orders::CallbackBody;
use crate::views::PublicOrderView;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/public/orders/{number}", get(track))
        .route("/api/v1/public/orders/{number}/evaluation", post(evaluate))
}

#[derive(Deserialize)]
struct CodeQuery {
    code: Option<String>,
}

/// Compares in time independent of where the strings differ.
fn same_code(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

async fn find(state: &AppState, number: &str, code: Option<&str>) -> ApiResult<Order> {
    let number = OrderNumber::parse(number).map_err(|_| ApiError::not_found())?;
    let order = state
        .store()
        .order_by_number(&number)
        .await?
        .ok_or_else(ApiError::not_found)?;
    match code {
        Some(code) if same_code(code.trim(), &order.tracking_code) => Ok(order),
        _ => Err(ApiError::not_found()),
    }
}

/// Public endpoints count requests per client address, in the database so that every
/// server shares the count.
async fn limit(state: &AppState, addr: &ClientAddr) -> ApiResult<()> {
    let per_minute = state.config().public_rate_per_minute;
    let key = format!("public:{}", addr.key());
    match state
        .store()
        .hit_rate_limit(&key, state.now(), 60, per_minute)
        .await?
    {
        Some(wait) => Err(ApiError::rate_limited(wait as u64)),
        None => Ok(()),
    }
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

/// The requester's view of an order, by number and tracking code (rate limited).
pub async fn track_order(
    state: &AppState,
    addr: &ClientAddr,
    number: &str,
    code: &str,
) -> ApiResult<PublicOrderView> {
    limit(state, addr).await?;
    let order = find(state, number, Some(code)).await?;
    Ok(PublicOrderView::from(&order))
}

async fn evaluate(
    State(state): State<AppState>,
    addr: ClientAddr,
    Path(number): Path<String>,
    ApiQuery(q): ApiQuery<CodeQuery>,
    ApiJson(body): ApiJson<CallbackBody>,
) -> ApiResult<Json<PublicOrderView>> {
    limit(&state, &addr).await?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let order = find(&state, &number, q.code.as_deref()).await?;
        let (rules, calendar) = (state.rules().await?, state.calendar().await?);
        let ctx = Context {
            now: state.now(),
            rules: &rules,
            calendar: &calendar,
        };
        let action = Action::Evaluate {
            result: body.result,
            resolved: body.resolved()?,
            note: body.note.clone(),
        };
        let t = apply(&order, action, &Actor::requester(), &ctx)?;
        let view = PublicOrderView::from(&t.order);
        let object = Some(format!("order:{}", order.id));
        let detail = serde_json::json!({"result": body.result});
        let record = audit::anonymous("requester", &addr, &state, "order.evaluate", object, detail);
        let change = OrderChange {
            order: t.order,
            event: t.event,
        };
        match state
            .store()
            .record_transitions(vec![change], Some(record))
            .await
        {
            Ok(()) => return Ok(Json(view)),
            Err(StoreError::VersionConflict) if attempt < 3 => continue,
            Err(e) => return Err(e.into()),
        }
    }
}
