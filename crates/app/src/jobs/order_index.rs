//! Keeps the orders' Chinese index ([`crate::orders::search`]) in step with the
//! database, a batch a pass.

use std::time::Duration;
use tokio::task::JoinHandle;

use crate::AppState;

/// Checks the index for orders it lost, then follows the database every `every`.
pub(super) fn spawn(state: AppState, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(e) = state.order_search().repair_gaps(&state).await {
            tracing::warn!(error = %e.message, "order index could not be checked");
        }
        loop {
            state.order_search().follow(&state).await;
            tokio::time::sleep(every).await;
        }
    })
}
