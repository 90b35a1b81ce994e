//! Line oversight's sampling (抽查): a line supervisor draws, for a month, a number or
//! a share of the orders of each unit of its line at random (the engine is
//! `hotline_domain::sampling`, which the call centre's quality inspection will use
//! too), and records what the inspection of each drawn order found. Drawing puts a
//! `sampled` event on every drawn order's timeline and each finding an `inspected`
//! one, in the same transaction as the sample; both are audited.
//!
//! The orders drawn are those whose lead unit is of the line and that were registered
//! in the month; a line supervisor reads them exactly as the unit does, so a sample
//! lists order numbers and units only, and the order page applies the unit's rules.

use chrono::Months;
use hotline_domain::sampling::{Sample, SampleItem, SamplePurpose, SampleRule, Verdict, draw};
use hotline_domain::{Event, EventKind, Order, OrderId, UnitCode};
use hotline_store::{OrderChange, OrderFilter, Scope, StoreError};
use rand::Rng;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

use crate::AppState;
use crate::access::Viewer;
use crate::audit::{self, ClientAddr};
use crate::dates;
use crate::error::{ApiError, ApiResult};
use crate::orders::check_len;

/// Orders of a line's month a draw reads at most.
pub const MAX_POPULATION: usize = 50_000;
/// Characters a finding holds at most.
pub const FINDING_MAX: usize = 2_000;
/// Orders one sample draws at most: each is written with its event in the sample's
/// one transaction, which must stay short beside intake.
pub const MAX_DRAWN: usize = 500;
/// Samples a line draws of one month at most.
pub const DRAWS_PER_PERIOD: usize = 5;

/// `POST /api/v1/samples`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DrawRequest {
    /// `YYYY-MM`: the month whose orders to draw from.
    pub period: String,
    /// `{"count": n}` orders or `{"percent": p}` of each unit's orders.
    pub rule: SampleRule,
}

/// `POST /api/v1/samples/{id}/findings`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct FindingRequest {
    pub order_id: i64,
    #[schema(value_type = String)]
    pub verdict: Verdict,
    /// What the inspection found (required when the verdict is `flawed`).
    #[serde(default)]
    pub finding: Option<String>,
}

/// The line this viewer oversees, or 403 (and an active head to draw or record).
async fn active_line_head(state: &AppState, viewer: &Viewer) -> ApiResult<UnitCode> {
    let head = line_head(viewer)?;
    let active = state.org().await?.get(&head).is_some_and(|u| u.active);
    if !active {
        return Err(ApiError::forbidden("a deactivated unit oversees no line"));
    }
    Ok(head)
}

/// The line this viewer oversees, or 403.
fn line_head(viewer: &Viewer) -> ApiResult<UnitCode> {
    viewer.line_head().cloned().ok_or_else(|| {
        ApiError::forbidden("line supervisors at a line's head draw samples of its orders")
    })
}

/// The orders registered in the month whose lead unit is of the line, by unit, each
/// unit's sorted by id (the draw's order).
async fn population(
    state: &AppState,
    members: &[UnitCode],
    period: chrono::NaiveDate,
) -> ApiResult<BTreeMap<UnitCode, Vec<(OrderId, String)>>> {
    let mut filter = OrderFilter::new(Scope::Units(members.to_vec()));
    filter.registered_from = Some(hotline_domain::rules::start_of_day(period));
    let last_day = (period + Months::new(1)).pred_opt().unwrap_or(period);
    filter.registered_to = Some(hotline_domain::rules::end_of_day(last_day));
    filter.limit = 1000;
    let mut groups: BTreeMap<UnitCode, Vec<(OrderId, String)>> = BTreeMap::new();
    let mut seen = 0usize;
    loop {
        let page = state.store().list_orders(&filter).await?;
        let Some(last) = page.last().map(|o| o.id) else {
            break;
        };
        seen += page.len();
        if seen > MAX_POPULATION {
            return Err(ApiError::invalid(
                "period",
                format!(
                    "the line had more than {MAX_POPULATION} orders that month: too many to draw from at once"
                ),
            ));
        }
        for o in page {
            if let Some(unit) = o.unit.clone().filter(|u| members.contains(u)) {
                groups
                    .entry(unit)
                    .or_default()
                    .push((o.id, o.number.to_string()));
            }
        }
        filter.before_id = Some(last);
    }
    for orders in groups.values_mut() {
        orders.sort();
    }
    Ok(groups)
}

fn event(
    kind: EventKind,
    viewer: &Viewer,
    at: hotline_domain::Timestamp,
    note: Option<String>,
    data: serde_json::Value,
) -> Event {
    Event {
        at,
        kind,
        actor: viewer.user.username.clone(),
        unit: viewer.user.unit.clone(),
        note,
        data,
    }
}

fn bumped(order: Order, event: Event) -> OrderChange {
    let mut order = order;
    order.version += 1;
    OrderChange { order, event }
}

/// Draws a sample of the viewer's line for the month; audited, on each drawn order's
/// timeline. A draw that met a concurrent change of a drawn order is drawn again.
pub async fn draw_sample(
    state: &AppState,
    viewer: &Viewer,
    addr: &ClientAddr,
    req: DrawRequest,
) -> ApiResult<Sample> {
    let head = active_line_head(state, viewer).await?;
    let rule = req
        .rule
        .check()
        .map_err(|e| ApiError::invalid("rule", e.0))?;
    let period = dates::month("period", req.period.trim())?;
    let now = state.now();
    if period > state.today() {
        return Err(ApiError::invalid("period", "must not be a month to come"));
    }
    let label = period.format("%Y-%m").to_string();
    let members = state.org().await?.line_members(&head);
    if members.is_empty() {
        return Err(ApiError::invalid("period", "this line has no units"));
    }
    let drawn_before = state
        .store()
        .samples(&head, 100)
        .await?
        .iter()
        .filter(|s| s.period == label)
        .count();
    if drawn_before >= DRAWS_PER_PERIOD {
        return Err(ApiError::invalid(
            "period",
            format!("{label} has had {DRAWS_PER_PERIOD} samples drawn already"),
        ));
    }
    for attempt in 1.. {
        let groups = population(state, &members, period).await?;
        let size: usize = groups.values().map(Vec::len).sum();
        if size == 0 {
            return Err(ApiError::invalid(
                "period",
                format!("the line's units had no orders registered in {label}"),
            ));
        }
        let seed: u64 = rand::rng().random();
        let drawn = draw(&groups, rule, seed);
        if drawn.len() > MAX_DRAWN {
            return Err(ApiError::invalid(
                "rule",
                format!(
                    "this rule would draw {} orders; a sample holds at most {MAX_DRAWN}",
                    drawn.len()
                ),
            ));
        }
        let ids: Vec<OrderId> = drawn.iter().map(|(_, (id, _))| *id).collect();
        let orders = state.store().orders_by_ids(&ids).await?;
        let changes = orders
            .into_iter()
            .map(|o| {
                let data = json!({"period": label, "by": head});
                bumped(o, event(EventKind::Sampled, viewer, now, None, data))
            })
            .collect();
        let sample = Sample {
            id: 0,
            purpose: SamplePurpose::Line,
            owner: head.clone(),
            period: label.clone(),
            rule,
            seed: seed.to_string(),
            drawn_at: now,
            drawn_by: viewer.user.username.clone(),
            population: u32::try_from(size).unwrap_or(u32::MAX),
            items: drawn
                .into_iter()
                .map(|(unit, (order_id, number))| SampleItem {
                    order_id,
                    number,
                    unit,
                    verdict: None,
                    finding: None,
                    inspected_by: None,
                    inspected_at: None,
                })
                .collect(),
            version: 1,
        };
        let detail =
            json!({"period": label, "rule": rule, "population": size, "drawn": sample.items.len()});
        let record = audit::by(
            viewer,
            addr,
            state,
            "sample.draw",
            Some(format!("unit:{head}")),
            detail,
        );
        match state
            .store()
            .create_sample(sample.clone(), changes, record)
            .await
        {
            Ok(id) => return Ok(Sample { id, ..sample }),
            Err(StoreError::VersionConflict) if attempt < 3 => continue,
            Err(e) => return Err(e.into()),
        }
    }
    unreachable!("the loop returns")
}

/// The sample if the viewer drew it (its line's), else 404.
pub async fn own_sample(state: &AppState, viewer: &Viewer, id: i64) -> ApiResult<Sample> {
    let head = line_head(viewer)?;
    state
        .store()
        .sample(id)
        .await?
        .filter(|s| s.owner == head)
        .ok_or_else(ApiError::not_found)
}

/// The viewer's line's samples, newest first.
pub async fn samples(state: &AppState, viewer: &Viewer, limit: u32) -> ApiResult<Vec<Sample>> {
    let head = line_head(viewer)?;
    Ok(state.store().samples(&head, limit.clamp(1, 20)).await?)
}

/// Records what the inspection of a drawn order found (again, if it was recorded
/// before: the timeline keeps each); audited, on the order's timeline.
pub async fn record_finding(
    state: &AppState,
    viewer: &Viewer,
    addr: &ClientAddr,
    id: i64,
    req: FindingRequest,
) -> ApiResult<Sample> {
    let finding = req
        .finding
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty());
    if let Some(f) = &finding {
        check_len("finding", f, FINDING_MAX, false)?;
    }
    if req.verdict == Verdict::Flawed && finding.is_none() {
        return Err(ApiError::invalid("finding", "say what was found wanting"));
    }
    active_line_head(state, viewer).await?;
    for attempt in 1.. {
        let mut sample = own_sample(state, viewer, id).await?;
        let order_id = OrderId::new(req.order_id);
        let item = sample
            .items
            .iter_mut()
            .find(|i| i.order_id == order_id)
            .ok_or_else(|| ApiError::invalid("order_id", "not an order of this sample"))?;
        let now = state.now();
        item.verdict = Some(req.verdict);
        item.finding = finding.clone();
        item.inspected_by = Some(viewer.user.username.clone());
        item.inspected_at = Some(now);
        sample.version += 1;
        let order = state
            .store()
            .order(order_id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        // An order that has left the line since the draw is no longer the line's to
        // inspect.
        if !viewer.can_see(&*state.org().await?, &order) {
            return Err(ApiError::invalid(
                "order_id",
                "this order is no longer with a unit of your line",
            ));
        }
        let data = json!({"period": sample.period, "by": sample.owner, "verdict": req.verdict});
        let change = bumped(
            order,
            event(EventKind::Inspected, viewer, now, finding.clone(), data),
        );
        let detail = json!({"order_id": order_id, "verdict": req.verdict});
        let record = audit::by(
            viewer,
            addr,
            state,
            "sample.finding",
            Some(format!("sample:{id}")),
            detail,
        );
        match state
            .store()
            .record_finding(sample.clone(), change, record)
            .await
        {
            Ok(()) => return Ok(sample),
            Err(StoreError::VersionConflict) if attempt < 3 => continue,
            Err(e) => return Err(e.into()),
        }
    }
    unreachable!("the loop returns")
}

pub mod api {
    //! `POST/GET /api/v1/samples`, `GET /api/v1/samples/{id}`,
    //! `POST /api/v1/samples/{id}/findings`.

    use axum::extract::{Path, State};
    use axum::http::StatusCode;
    use axum::routing::{get, post};
    use axum::{Json, Router};
    use hotline_domain::sampling::Sample;

    use super::{DrawRequest, FindingRequest};
    use crate::AppState;
    use crate::audit::ClientAddr;
    use crate::auth::CurrentUser;
    use crate::error::{ApiError, ApiResult};
    use crate::extract::ApiJson;

    pub fn router() -> Router<AppState> {
        Router::new()
            .route("/api/v1/samples", get(list).post(create))
            .route("/api/v1/samples/{id}", get(one))
            .route("/api/v1/samples/{id}/findings", post(finding))
    }

    fn id(s: &str) -> ApiResult<i64> {
        s.parse().map_err(|_| ApiError::not_found())
    }

    async fn create(
        State(state): State<AppState>,
        CurrentUser(v): CurrentUser,
        addr: ClientAddr,
        ApiJson(req): ApiJson<DrawRequest>,
    ) -> ApiResult<(StatusCode, Json<Sample>)> {
        let s = super::draw_sample(&state, &v, &addr, req).await?;
        Ok((StatusCode::CREATED, Json(s)))
    }

    async fn list(
        State(state): State<AppState>,
        CurrentUser(v): CurrentUser,
    ) -> ApiResult<Json<Vec<Sample>>> {
        super::samples(&state, &v, 20).await.map(Json)
    }

    async fn one(
        State(state): State<AppState>,
        CurrentUser(v): CurrentUser,
        Path(s): Path<String>,
    ) -> ApiResult<Json<Sample>> {
        super::own_sample(&state, &v, id(&s)?).await.map(Json)
    }

    async fn finding(
        State(state): State<AppState>,
        CurrentUser(v): CurrentUser,
        addr: ClientAddr,
        Path(s): Path<String>,
        ApiJson(req): ApiJson<FindingRequest>,
    ) -> ApiResult<Json<Sample>> {
        super::record_finding(&state, &v, &addr, id(&s)?, req)
            .await
            .map(Json)
    }
}
