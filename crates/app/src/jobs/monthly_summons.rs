//! Evaluates the summons (约谈) triggers for each month once it has ended
//! ([`crate::reports::summons::evaluate_last_month`] does nothing for a month already done).

use std::time::Duration;
use tokio::task::JoinHandle;

use crate::AppState;

/// Looks every `every` whether a month has ended that is not evaluated yet.
pub(super) fn spawn(state: AppState, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match crate::reports::summons::evaluate_last_month(&state).await {
                Ok(Some(month)) => tracing::info!(%month, "summons evaluated for the month"),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e.message, "monthly summons evaluation failed"),
            }
            tokio::time::sleep(every).await;
        }
    })
}
