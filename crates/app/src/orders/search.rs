//! Keeps the orders' Chinese index in step with the database, a batch at a time.
//!
//! The follower takes orders by id, but only those registered more than a few seconds
//! ago and only up to the first newer one: on PostgreSQL an id can commit after a
//! higher one, and by then any transaction that took a lower id has finished. Orders
//! the index has not reached are still found, by substring (`OrderFilter::text_hits`).
//! Each pass indexes at most [`BATCH`] orders, so indexing never takes more than a
//! slice of the machine from intake at peak; the index catches up when calls slow.

use hotline_search::OrderIndex;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::AppState;
use crate::error::ApiResult;

/// Orders indexed per pass.
pub const BATCH: u32 = 2000;

/// How old an order must be before the follower takes it.
const SETTLE_SECONDS: i64 = 3;

pub struct OrderSearch {
    index: Arc<OrderIndex>,
    syncing: tokio::sync::Mutex<()>,
    /// Passes failed in a row (a full disk, a database away).
    failures: AtomicU32,
    /// Orders whose indexed text must be replaced and could not be yet (a corrected
    /// kind that now withholds a requester): each pass tries them again.
    stale: std::sync::Mutex<std::collections::BTreeSet<i64>>,
}

impl OrderSearch {
    pub fn new(index: OrderIndex) -> Self {
        OrderSearch {
            index: Arc::new(index),
            syncing: tokio::sync::Mutex::new(()),
            failures: AtomicU32::new(0),
            stale: std::sync::Mutex::new(Default::default()),
        }
    }

    pub fn index(&self) -> &OrderIndex {
        &self.index
    }

    pub(crate) fn shared(&self) -> Arc<OrderIndex> {
        self.index.clone()
    }

    /// One pass: indexes the next settled orders; returns how many.
    pub async fn sync_once(&self, state: &AppState) -> ApiResult<usize> {
        let _one_at_a_time = self.syncing.lock().await;
        let upto = self.index.indexed_upto();
        let rows = state.store().order_texts_after(upto, BATCH).await?;
        let settled_before = state.now().timestamp() - SETTLE_SECONDS;
        let batch: Vec<(i64, String)> = rows
            .into_iter()
            .take_while(|(_, _, at)| *at <= settled_before)
            .map(|(id, text, _)| (id, text))
            .collect();
        let Some(last) = batch.last().map(|(id, _)| *id) else {
            return Ok(0);
        };
        let index = self.index.clone();
        let n = batch.len();
        crate::kb::blocking(move || index.apply(&batch, last)).await?;
        Ok(n)
    }

    /// Indexes everything settled (tests, reindexing).
    pub async fn catch_up(&self, state: &AppState) -> ApiResult<usize> {
        let mut total = 0;
        loop {
            let n = self.sync_once(state).await?;
            total += n;
            if n < BATCH as usize {
                return Ok(total);
            }
        }
    }

    /// One pass as the server runs it: a failure is logged when a streak begins (and
    /// every 60th pass of it), the recovery always, and after a recovery the index is
    /// checked for orders it lost below its watermark.
    pub async fn follow(&self, state: &AppState) {
        match self.sync_once(state).await {
            Err(e) => {
                let streak = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
                if streak % 60 == 1 {
                    tracing::warn!(error = %e.message, failed_passes = streak, "order index could not follow the database");
                }
            }
            Ok(indexed) => {
                if let Err(e) = self.retry_stale(state).await {
                    tracing::warn!(error = %e.message, "order texts not indexed again yet");
                }
                let streak = self.failures.swap(0, Ordering::Relaxed);
                if streak > 0 {
                    tracing::info!(
                        failed_passes = streak,
                        indexed,
                        "order index follows the database again"
                    );
                    if let Err(e) = self.repair_gaps(state).await {
                        tracing::warn!(error = %e.message, "order index could not be checked");
                    }
                }
            }
        }
    }

    /// Remembers an order whose indexed text must be replaced, for the next pass.
    pub fn mark_stale(&self, id: i64) {
        self.stale.lock().expect("stale set lock").insert(id);
    }

    /// Indexes the orders marked stale again; those that fail stay marked.
    pub async fn retry_stale(&self, state: &AppState) -> ApiResult<()> {
        let ids: Vec<i64> = std::mem::take(&mut *self.stale.lock().expect("stale set lock"))
            .into_iter()
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let order_ids: Vec<hotline_domain::OrderId> = ids
            .iter()
            .map(|i| hotline_domain::OrderId::new(*i))
            .collect();
        let done = match state.store().order_texts(&order_ids).await {
            Ok(texts) => self.reindex(texts).await,
            Err(e) => Err(e.into()),
        };
        if done.is_err() {
            self.stale.lock().expect("stale set lock").extend(ids);
        }
        done
    }

    /// Indexes these orders' texts again where the index holds them already (orders
    /// whose text changed: the retention purge masks the requester in it); those above
    /// the watermark are left to the follower, which reads them as they are now.
    pub async fn reindex(&self, texts: Vec<(i64, String)>) -> ApiResult<()> {
        let _one_at_a_time = self.syncing.lock().await;
        let upto = self.index.indexed_upto();
        let held: Vec<(i64, String)> = texts.into_iter().filter(|(id, _)| *id <= upto).collect();
        if held.is_empty() {
            return Ok(());
        }
        let index = self.index.clone();
        crate::kb::blocking(move || index.apply(&held, upto)).await
    }

    /// Rebuilds the index from the database when it holds fewer orders than the
    /// database has up to its watermark (orders lost to a failed write, whatever the
    /// cause); how many orders it was missing. Run at start and after failures.
    pub async fn repair_gaps(&self, state: &AppState) -> ApiResult<u64> {
        let upto = self.index.indexed_upto();
        let expected = state.store().count_orders_upto(upto).await?;
        let held = self.index.len();
        if held >= expected {
            return Ok(0);
        }
        tracing::warn!(
            held,
            expected,
            upto,
            "order index is missing orders below its watermark: rebuilding it from the database"
        );
        {
            let _one_at_a_time = self.syncing.lock().await;
            let index = self.index.clone();
            crate::kb::blocking(move || index.clear()).await?;
        }
        let indexed = self.catch_up(state).await?;
        tracing::info!(indexed, "order index rebuilt from the database");
        Ok(expected - held)
    }
}
