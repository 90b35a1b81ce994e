//! Keeps the report counters (`hotline_domain::stats`) in step with the orders.
//!
//! A pass reads the order events after the counters' cursor, computes the facts of
//! each order they belong to and hands them to the store, which adds the difference.
//! As with the order index, the cursor only moves over events more than a few seconds
//! old (on PostgreSQL a lower event id can commit after a higher one); the fresh ones
//! are counted anyway and looked at again next pass, which changes nothing if they
//! have not changed. Reports catch up before they read, so they are never behind.

use hotline_domain::Timestamp;
use hotline_domain::stats::facts;
use hotline_store::{Store, StoreError};
use std::collections::BTreeSet;

/// Order events looked at per pass.
pub const BATCH: u32 = 5000;

/// Order events the background follower takes per pass: at most a slice of the
/// machine goes to counting while calls peak (reports count the rest when read).
pub(crate) const FOLLOW_BATCH: u32 = 1000;

/// Order events waiting beyond which the counters are being built (after an upgrade
/// or a bulk import): reports say so instead of counting them inline.
pub const BACKLOG: u32 = 50_000;

/// How old an event must be before the cursor moves past it.
const SETTLE_SECONDS: i64 = 3;

/// One pass over everything pending (the fresh events too); returns how many events
/// it looked at, and whether the cursor moved.
pub async fn sync_once(store: &dyn Store, now: Timestamp) -> Result<(usize, bool), StoreError> {
    pass(store, now, BATCH, false).await
}

/// One pass of the background follower: settled events only, so each is counted once.
pub async fn follow_once(store: &dyn Store, now: Timestamp) -> Result<(usize, bool), StoreError> {
    pass(store, now, FOLLOW_BATCH, true).await
}

async fn pass(
    store: &dyn Store,
    now: Timestamp,
    limit: u32,
    settled_only: bool,
) -> Result<(usize, bool), StoreError> {
    let mut pending = store.stats_pending(limit).await?.events;
    let settled_before = now - chrono::Duration::seconds(SETTLE_SECONDS);
    let settled = pending
        .iter()
        .take_while(|(_, _, at)| *at <= settled_before)
        .count();
    let cursor = settled.checked_sub(1).map(|i| pending[i].0);
    if settled_only {
        pending.truncate(settled);
    }
    if pending.is_empty() {
        return Ok((0, false));
    }
    let ids: BTreeSet<_> = pending.iter().map(|(_, order, _)| *order).collect();
    let orders = store.orders_for_stats(ids.into_iter().collect()).await?;
    let batch = tokio::task::spawn_blocking(move || {
        orders
            .iter()
            .map(|(o, events)| (o.id, facts(o, events, &crate::reports::topics(&o.title))))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| StoreError::Backend(e.to_string()))?;
    store.apply_stats(batch, cursor).await?;
    Ok((pending.len(), cursor.is_some()))
}

/// Whether at least `limit` order events wait to be counted.
pub async fn backlogged(store: &dyn Store, limit: u32) -> Result<bool, StoreError> {
    store.stats_backlogged(limit).await
}

/// Passes until every event is counted (reports, tests, the benchmark).
pub async fn catch_up(store: &dyn Store, now: Timestamp) -> Result<usize, StoreError> {
    let mut total = 0;
    loop {
        let (n, moved) = sync_once(store, now).await?;
        total += n;
        if n < BATCH as usize || !moved {
            return Ok(total);
        }
    }
}
