//! Keeps the report counters ([`crate::reports::stats`]) in step with the orders' events.

use std::time::Duration;
use tokio::task::JoinHandle;

use crate::AppState;
use crate::reports::stats::{BACKLOG, FOLLOW_BATCH, backlogged, follow_once};

/// Counts settled events every `every`.
pub(super) fn spawn(state: AppState, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let store = state.store().as_ref();
            match follow_once(store, state.now()).await {
                // While calls peak the follower takes one slice a period and reports
                // count the rest inline; only a backlog that reports would refuse (an
                // upgrade, a bulk import, a long peak) is worked off pass after pass.
                Ok((n, true))
                    if n == FOLLOW_BATCH as usize
                        && backlogged(store, BACKLOG).await.unwrap_or(false) =>
                {
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "report counters could not follow the orders"),
            }
            tokio::time::sleep(every).await;
        }
    })
}
