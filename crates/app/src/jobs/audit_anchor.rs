//! Keeps the audit anchor file ([`crate::audit_anchor`]) at the trail's head.

use std::path::PathBuf;
use std::time::Duration;
use tokio::task::JoinHandle;

use crate::AppState;
use crate::audit_anchor::refresh_logged;

/// Refreshes the anchor now and then every `every` until aborted ([`super::Jobs::stop`]
/// refreshes it once more itself).
pub(super) fn spawn(state: AppState, path: PathBuf, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            refresh_logged(&state, &path).await;
            tokio::time::sleep(every).await;
        }
    })
}
