//! Retention as a job: once a day, the personal data of orders closed more than
//! `retention_years` ago is purged (the requester's name, phone and address, the
//! photos and documents they attached, the matter's address, the same where the title or content repeats them, the phone hash
//! and the address lookup key), and the login guard forgets the usernames and client
//! addresses it no longer needs. The orders themselves, their timelines, the report
//! counters and the audit trail stay: statistics do not change, and the audit and
//! access records are kept (网络安全法 art. 21 asks for at least six months). Each run
//! reports what it purged in the log and in one audit record.

use chrono::Months;
use hotline_domain::Timestamp;

use crate::AppState;
use crate::error::ApiResult;

/// Orders purged per transaction: short enough not to hold the writer from intake.
const BATCH: u32 = 200;

/// What one run purged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Orders whose personal data was removed.
    pub orders: u64,
    /// Requesters' attachments emptied with it.
    pub attachments: u64,
    /// Rows of the login guard (counters, failures, known addresses, ended sessions).
    pub login_rows: u64,
}

/// The closing time before which orders lose their personal data (`None`: retention
/// is off).
pub fn closed_before(now: Timestamp, years: u32) -> Option<Timestamp> {
    (years > 0).then(|| {
        now.checked_sub_months(Months::new(years.saturating_mul(12)))
            .unwrap_or(now)
    })
}

/// One run: purges, then writes the audit record with the counts.
pub async fn run_once(state: &AppState) -> ApiResult<Purged> {
    let now = state.now();
    let store = state.store();
    let cutoff = closed_before(now, state.config().retention_years);
    let mut purged = Purged::default();
    if let Some(cutoff) = cutoff {
        loop {
            let ids = store.purge_personal_data(cutoff, now, BATCH).await?;
            purged.orders += ids.len() as u64;
            purged.attachments += crate::attachments::purge_requesters(state, &ids).await?;
            reindex(state, &ids).await?;
            if ids.len() < BATCH as usize {
                break;
            }
            tokio::task::yield_now().await;
        }
    }
    // The guard reads a minute of counters, an hour of a name's failures and a lock of
    // minutes: a day is plenty. Known addresses matter for as long as they spare a name.
    let counters_before = now - chrono::Duration::days(1);
    let known_days = state.config().login_known_address_days.max(1);
    let known_before = now - chrono::Duration::days(known_days);
    purged.login_rows = store
        .purge_login_guard(counters_before, known_before)
        .await?;
    let detail = serde_json::json!({
        "orders": purged.orders,
        "attachments": purged.attachments,
        "login_rows": purged.login_rows,
        "retention_years": state.config().retention_years,
        "closed_before": cutoff.map(|c| c.to_rfc3339()),
    });
    store
        .append_audit(crate::audit::system(state, "retention.purge", None, detail))
        .await?;
    tracing::info!(
        orders = purged.orders,
        attachments = purged.attachments,
        login_rows = purged.login_rows,
        retention_years = state.config().retention_years,
        "retention: personal data purged"
    );
    Ok(purged)
}

/// The purged orders' texts in the full-text index are replaced by their purged
/// title and content, so the index on disk keeps no name the text repeated.
async fn reindex(state: &AppState, ids: &[hotline_domain::OrderId]) -> ApiResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let texts = state.store().order_texts(ids).await?;
    state.order_search().reindex(texts).await
}

/// Runs the purge every `every` (a day on the server), first shortly after start.
pub(super) fn spawn(state: AppState, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        loop {
            if let Err(e) = run_once(&state).await {
                tracing::warn!(error = %e.message, "retention purge failed");
            }
            tokio::time::sleep(every).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cut_off_is_whole_years_back_and_zero_means_never() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-02-28T10:00:00+08:00").unwrap();
        assert_eq!(closed_before(now, 0), None);
        assert_eq!(
            closed_before(now, 5).unwrap().to_rfc3339(),
            "2021-02-28T10:00:00+08:00"
        );
    }
}
