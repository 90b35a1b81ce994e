//! The requester's view, without login: track an order by number and tracking code,
//! and evaluate the reply. A wrong code is answered exactly like an unknown number.
//! The routes are in [`crate::orders::api::public`].

use hotline_domain::{Action, Actor, Context, Order, OrderNumber, apply};
use hotline_domain::{Channel, DomainPath, Kind, RegionCode};
use hotline_store::{OrderChange, StoreError};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::audit::{self, ClientAddr};
use crate::error::{ApiError, ApiResult};
use crate::orders::views::PublicOrderView;
use crate::orders::{CallbackBody, CreateOrderRequest, RequesterRequest, intake_from, register};

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
pub(crate) async fn limit(state: &AppState, addr: &ClientAddr) -> ApiResult<()> {
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

/// The requester's own evaluation of the reply (once, while the order is replied).
pub async fn evaluate_order(
    state: &AppState,
    addr: &ClientAddr,
    number: &str,
    code: &str,
    body: &CallbackBody,
) -> ApiResult<PublicOrderView> {
    limit(state, addr).await?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let order = find(state, number, Some(code)).await?;
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
        let record = audit::anonymous("requester", addr, state, "order.evaluate", object, detail);
        let change = OrderChange {
            order: t.order,
            event: t.event,
        };
        match state
            .store()
            .record_transitions(vec![change], Some(record))
            .await
        {
            Ok(()) => return Ok(view),
            Err(StoreError::VersionConflict) if attempt < 3 => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// A request sent by a citizen or enterprise through the portal.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PublicRequest {
    pub kind: Kind,
    pub region: RegionCode,
    /// The field of the request (诉求领域, `TOP/SUB`), if the requester picked one: a
    /// sub-centre whose remit holds it takes the request.
    #[serde(default)]
    pub domain: Option<DomainPath>,
    /// The town or street (9-digit code) within `region`, if the requester picked one.
    #[serde(default)]
    pub street: Option<String>,
    pub title: Option<String>,
    pub content: String,
    pub address: Option<String>,
    #[serde(default)]
    pub requester: RequesterRequest,
}

/// What the requester needs to follow their request.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Receipt {
    pub number: String,
    pub tracking_code: String,
}

/// Registers a portal request with the hotline of its region (channel `web`).
pub async fn submit_request(
    state: &AppState,
    addr: &ClientAddr,
    req: PublicRequest,
) -> ApiResult<Receipt> {
    limit(state, addr).await?;
    let org = state.org().await?;
    let hotline = crate::remit::owner_for(state, &org, &req.region, req.domain.as_ref(), None)
        .await?
        .ok_or_else(|| ApiError::invalid("region", "no hotline serves this region"))?;
    // A title is optional for citizens: the start of the content stands in.
    let title = req
        .title
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| req.content.chars().take(30).collect::<String>());
    let body = CreateOrderRequest {
        channel: Channel::Web,
        kind: req.kind,
        domain: req.domain,
        region: req.region,
        street: req.street,
        title,
        content: req.content,
        address: req.address,
        urgent: false,
        location: None,
        requester: req.requester,
        confidential: false,
    };
    let intake = intake_from(state, body).await?;
    let record = audit::anonymous(
        "requester",
        addr,
        state,
        "order.create",
        None,
        serde_json::json!({"channel": "web"}),
    );
    let created = register(
        state,
        intake,
        hotline,
        "portal",
        None,
        state.now(),
        Some(record),
    )
    .await?;
    Ok(Receipt {
        number: created.order.number.to_string(),
        tracking_code: created.order.tracking_code,
    })
}
