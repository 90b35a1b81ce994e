//! Report counters on PostgreSQL. Counter writes take a transaction advisory lock,
//! so that two servers counting the same order one after the other each add only
//! what the other has not.

use async_trait::async_trait;
use hotline_domain::stats::{Counter, Facts, delta};
use hotline_domain::{Event, Order, OrderId};
use std::collections::BTreeMap;

use super::{PgStore, Tx, all, bound, exec, one, sql, xact_lock};
use crate::sql::Row;
use crate::sql::stats::*;
use crate::stats::*;
use crate::{Result, records};

/// Serialises counter writes between servers.
const STATS_LOCK: i64 = 12_345_000_004;

/// Replaces an order's counted facts; returns what the counters must change by.
async fn swap_facts(tx: &mut Tx, id: OrderId, new: &Facts) -> Result<Vec<(Counter, i64)>> {
    let old = one(sql(READ_FACTS).bind(id.get()), &mut **tx, records::text).await?;
    let old = facts_from(old)?;
    let changes = delta(&old, new);
    // Nothing to do, or a pass that read the order before another pass counted a
    // newer version.
    if changes.is_empty() || old.version > new.version {
        return Ok(Vec::new());
    }
    let write = sql(WRITE_FACTS).bind(id.get()).bind(facts_text(new)?);
    exec(write, &mut **tx).await?;
    Ok(changes)
}

impl PgStore {
    /// The first column of a statement's one row, as a number.
    async fn first_number(&self, q: super::Query<'static>) -> Result<i64> {
        Ok(one(q, &self.pool, records::number).await?.unwrap_or(0))
    }
}

#[async_trait]
impl StatsStore for PgStore {
    async fn stats_pending(&self, limit: u32) -> Result<Pending> {
        let cursor = self.first_number(sql(CURSOR)).await?;
        let q = sql(PENDING).bind(i64::from(limit));
        let events = all(q, &self.pool, records::pending_event).await?;
        Ok(Pending { cursor, events })
    }

    async fn stats_backlogged(&self, n: u32) -> Result<bool> {
        let n = i64::from(n);
        if self.first_number(sql(PENDING_AT_MOST)).await? < n {
            return Ok(false);
        }
        Ok(self.first_number(sql(PENDING_UP_TO).bind(n)).await? >= n)
    }

    async fn orders_for_stats(&self, ids: Vec<OrderId>) -> Result<Vec<(Order, Vec<Event>)>> {
        let ids: Vec<i64> = ids.iter().map(|i| i.get()).collect();
        let docs =
            sqlx::query("SELECT id, doc FROM orders WHERE id = ANY($1) ORDER BY id").bind(&ids);
        let docs = all(docs, &self.pool, |r| {
            Ok((r.get::<i64>(0)?, r.get::<String>(1)?))
        })
        .await?;
        let timelines = sqlx::query(
            "SELECT order_id, at, type, actor, unit, note, data FROM order_events \
             WHERE order_id = ANY($1) ORDER BY order_id, id",
        )
        .bind(&ids);
        let rows = all(timelines, &self.pool, |r| {
            Ok((r.get::<i64>(0)?, records::event(r, 1)?))
        })
        .await?;
        let mut events: BTreeMap<i64, Vec<Event>> = BTreeMap::new();
        for (order, event) in rows {
            events.entry(order).or_default().push(event);
        }
        docs.into_iter()
            .map(|(id, doc)| {
                let order = self.personal.open_order(&doc)?;
                Ok((order, events.remove(&id).unwrap_or_default()))
            })
            .collect()
    }

    async fn apply_stats(&self, batch: Vec<(OrderId, Facts)>, cursor: Option<i64>) -> Result<()> {
        let mut tx = self.begin().await?;
        xact_lock(&mut tx, STATS_LOCK).await?;
        let mut changes = Vec::new();
        for (id, facts) in &batch {
            changes.extend(swap_facts(&mut tx, *id, facts).await?);
        }
        for (counter, n) in merge(changes) {
            for (g, m, p, h, r, k, n) in bumps(&counter, n) {
                let q = sql(BUMP)
                    .bind(g)
                    .bind(m)
                    .bind(p as i32)
                    .bind(h)
                    .bind(r)
                    .bind(k)
                    .bind(n);
                exec(q, &mut *tx).await?;
            }
        }
        if let Some(to) = cursor {
            exec(sql(MOVE_CURSOR).bind(to).bind(to), &mut *tx).await?;
        }
        Ok(tx.commit().await?)
    }

    async fn stat_counts(&self, q: &CountQuery) -> Result<Vec<StatCount>> {
        let (text, params) = counts(q);
        all(bound(&text, params), &self.pool, records::stat_count).await
    }
}
