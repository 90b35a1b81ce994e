//! The supervision list (督办清单) of a hotline: orders under supervision in its
//! subtree, with their state — open (still with the unit), answered (replied, being
//! called back) or closed — and who oversees each: the owning hotline, or after
//! escalation (提级督办) the hotline above it.

use hotline_domain::{Capability, Order, OrderId, Status, UnitCode};
use hotline_store::OrderFilter;
use serde::Serialize;

use crate::AppState;
use crate::access::{Org, Viewer};
use crate::error::{ApiError, ApiResult};
use crate::orders::view_for;
use crate::orders::views::OrderView;

/// Where a supervised order stands.
pub fn supervision_state(s: Status) -> &'static str {
    match s {
        Status::Replied | Status::CallbackDone => "answered",
        Status::Closed | Status::Merged => "closed",
        _ => "open",
    }
}

/// The hotline overseeing a supervised order.
pub fn overseer(o: &Order) -> &UnitCode {
    o.overseen_by.as_ref().unwrap_or(&o.hotline)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SupervisionLine {
    #[serde(flatten)]
    pub order: OrderView,
    pub state: &'static str,
    pub overseen_by: UnitCode,
}

/// Lines the supervision list holds at most (the most recent).
pub const MAX_LINES: usize = 500;

/// The supervised orders the viewer may see, newest first.
pub async fn list_for(
    state: &AppState,
    v: &Viewer,
    wanted: Option<&str>,
    mine: bool,
) -> ApiResult<Vec<SupervisionLine>> {
    if let Some(w) = wanted
        && !["open", "answered", "closed"].contains(&w)
    {
        return Err(ApiError::invalid("state", "open, answered or closed"));
    }
    let org: std::sync::Arc<Org> = state.org().await?;
    let Some(scope) = v.scope(&org).filter(|_| v.grants(Capability::ReadReports)) else {
        return Err(ApiError::forbidden(
            "the supervision list is for hotline staff",
        ));
    };
    let own = v.staff_hotline(&org).cloned();
    let mut out = Vec::new();
    let mut before: Option<OrderId> = None;
    loop {
        let mut f = OrderFilter::new(scope.clone());
        f.supervised = true;
        f.before_id = before;
        f.limit = 200;
        let page = state.store().list_orders(&f).await?;
        before = page.last().map(|o| o.id);
        let done = page.len() < 200;
        for o in page {
            let st = supervision_state(o.status);
            if wanted.is_some_and(|w| w != st) || (mine && own.as_ref() != Some(overseer(&o))) {
                continue;
            }
            let overseen_by = overseer(&o).clone();
            let order = view_for(state, v, &org, o, None, false).await?;
            out.push(SupervisionLine {
                order,
                state: st,
                overseen_by,
            });
        }
        if done || out.len() >= MAX_LINES {
            return Ok(out);
        }
    }
}
