//! The background jobs, one file each, started together by [`start`] and stopped
//! together by [`Jobs::stop`] when the server shuts down.
//!
//! A job is a loop around a pass the rest of the app also calls on demand (reports
//! catch the counters up before they read, the CLI refreshes the anchor): the pass
//! lives with its feature, the schedule here. Jobs await between passes, so stopping
//! them never interrupts a write half-way.

pub mod audit_anchor;
pub mod deadline_watch;
pub mod knowledge_index;
pub mod monthly_summons;
pub mod order_index;
pub mod phone_rehash;
pub mod report_counter;
pub mod retention;

use std::path::PathBuf;
use std::time::Duration;
use tokio::task::JoinHandle;

use crate::AppState;

/// How often each job runs.
const KNOWLEDGE_INDEX_EVERY: Duration = Duration::from_secs(2);
const ORDER_INDEX_EVERY: Duration = Duration::from_secs(2);
const REPORT_COUNTER_EVERY: Duration = Duration::from_secs(2);
const DEADLINE_WATCH_EVERY: Duration = Duration::from_secs(60);
const MONTHLY_SUMMONS_EVERY: Duration = Duration::from_secs(60);
const RETENTION_EVERY: Duration = Duration::from_secs(24 * 3600);
const AUDIT_ANCHOR_EVERY: Duration = Duration::from_secs(60);

/// The running jobs.
pub struct Jobs {
    state: AppState,
    tasks: Vec<JoinHandle<()>>,
    anchor_file: PathBuf,
}

/// Starts every background job of a serving instance; `anchor_file` is where the
/// audit trail's head is kept outside the database.
pub fn start(state: &AppState, anchor_file: PathBuf) -> Jobs {
    let s = || state.clone();
    let tasks = vec![
        knowledge_index::spawn(s(), KNOWLEDGE_INDEX_EVERY),
        order_index::spawn(s(), ORDER_INDEX_EVERY),
        report_counter::spawn(s(), REPORT_COUNTER_EVERY),
        deadline_watch::spawn(s(), DEADLINE_WATCH_EVERY),
        monthly_summons::spawn(s(), MONTHLY_SUMMONS_EVERY),
        retention::spawn(s(), RETENTION_EVERY),
        audit_anchor::spawn(s(), anchor_file.clone(), AUDIT_ANCHOR_EVERY),
        phone_rehash::spawn(s()),
    ];
    Jobs {
        state: state.clone(),
        tasks,
        anchor_file,
    }
}

impl Jobs {
    /// Stops every job, then writes the audit anchor once more: the last head, after
    /// the last request, is what a later `audit verify --expect` must find (no older
    /// head from the job can land after it).
    pub async fn stop(self) {
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks {
            let _ = task.await;
        }
        crate::audit_anchor::refresh_logged(&self.state, &self.anchor_file).await;
    }
}
