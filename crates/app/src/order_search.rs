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

use crate::AppState;
use crate::error::{ApiError, ApiResult};

/// Orders indexed per pass.
pub const BATCH: u32 = 2000;

/// How old an order must be before the follower takes it.
const SETTLE_SECONDS: i64 = 3;

pub struct OrderSearch {
    index: Arc<OrderIndex>,
    syncing: tokio::sync::Mutex<()>,
}

impl OrderSearch {
    pub fn new(index: OrderIndex) -> Self {
        OrderSearch {
            index: Arc::new(index),
            syncing: tokio::sync::Mutex::new(()),
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
        tokio::task::spawn_blocking(move || index.apply(&batch, last))
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?
            .map_err(|e| ApiError::internal(e.to_string()))?;
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
}
