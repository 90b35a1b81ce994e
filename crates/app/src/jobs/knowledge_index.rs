//! Keeps the knowledge base's search index in step with the database's articles,
//! and marks lapsed articles expired.

use std::time::Duration;
use tokio::task::JoinHandle;

use crate::AppState;
use crate::kb::expire_due;

/// Follows the database's article changes every `every`.
pub(super) fn spawn(state: AppState, every: Duration) -> JoinHandle<()> {
    // Expiry is by date: searches already leave out lapsed articles, so marking them
    // `expired` once a minute or so is enough, and spares reading every published
    // article each pass.
    let expiry_every = (60 / every.as_secs().max(1)).max(1);
    tokio::spawn(async move {
        for pass in 0_u64.. {
            if let Err(e) = state.kb().sync(&state).await {
                tracing::warn!(error = %e.message, "knowledge index could not follow the database");
            }
            if pass % expiry_every == 0
                && let Err(e) = expire_due(&state).await
            {
                tracing::warn!(error = %e.message, "expiring knowledge articles failed");
            }
            tokio::time::sleep(every).await;
        }
    })
}
