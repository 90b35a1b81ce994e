//! The deadline watch as a job: every open order with a unit is checked against
//! [`hotline_domain::watch`], and each due step is written as the system's event on
//! the order (and in the audit trail). Safe with several servers on one database:
//! a step is written only if the order is still the version it was read at, so of
//! two workers taking the same step one writes and the other finds it taken.

use hotline_domain::watch::{Since, next_step, take};
use hotline_domain::{Event, EventKind, Order, Status};
use hotline_store::{OrderChange, OrderFilter, Scope, StoreError};

use crate::AppState;
use crate::error::ApiResult;
use tokio::task::JoinHandle;

/// The states in which something can fall due: an order waiting at a hotline is
/// reminded and supervised like one at a unit.
const WATCHED: [Status; 6] = [
    Status::Registered,
    Status::EscalationRequested,
    Status::Dispatched,
    Status::InProgress,
    Status::ReturnRequested,
    Status::Replied,
];

/// One pass over every watched order; returns the number of steps taken.
pub async fn run_once(state: &AppState) -> ApiResult<usize> {
    let mut taken = 0;
    for status in WATCHED {
        let mut f = OrderFilter::new(Scope::All);
        f.status = Some(status);
        for order in crate::reports::all_orders(state, f).await? {
            taken += watch_order(state, order).await?;
        }
    }
    Ok(taken)
}

/// Takes every step due on one order, re-reading it when another worker wrote first.
async fn watch_order(state: &AppState, mut order: Order) -> ApiResult<usize> {
    let (rules, calendar) = (state.rules().await?, state.calendar().await?);
    let mut taken = 0;
    for _ in 0..16 {
        let since = since_of(state, &order).await?;
        let now = state.now();
        let Some(step) = next_step(&order, &since, now, &rules, &calendar) else {
            break;
        };
        let t = take(&order, &step, now);
        let record = crate::audit::system(
            state,
            &format!("watch.{}", step.event),
            Some(format!("order:{}", order.id)),
            serde_json::json!({"number": order.number, "step": step.key}),
        );
        let change = OrderChange {
            order: t.order.clone(),
            event: t.event,
        };
        match state
            .store()
            .record_transitions(vec![change], Some(record))
            .await
        {
            Ok(()) => {
                taken += 1;
                order = t.order;
            }
            Err(StoreError::VersionConflict) => match state.store().order(order.id).await? {
                Some(fresh) => order = fresh,
                None => break,
            },
            Err(e) => return Err(e.into()),
        }
    }
    Ok(taken)
}

/// What the watch needs from the timeline: when a pending return was asked for.
async fn since_of(state: &AppState, o: &Order) -> ApiResult<Since> {
    let needs_timeline = o.status == Status::ReturnRequested
        || (o.status == Status::Replied && o.callback_attempts > 0);
    if !needs_timeline {
        return Ok(Since::default());
    }
    let events = state.store().events(o.id).await?;
    let last = |found: fn(&Event) -> bool| events.iter().rev().find(|e| found(e)).map(|e| e.at);
    Ok(Since {
        return_requested: last(|e| e.kind == EventKind::ReturnRequested),
        unreachable: last(Event::is_unreachable_callback),
    })
}

/// Runs the watch every `every`, for as long as the server runs.
pub(super) fn spawn(state: AppState, every: std::time::Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match run_once(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(steps = n, "deadline watch"),
                Err(e) => tracing::warn!(error = %e.message, "deadline watch failed"),
            }
            tokio::time::sleep(every).await;
        }
    })
}
