//! Report counters on PostgreSQL. Counter writes take a transaction advisory lock,
//! so that two servers counting the same order one after the other each add only
//! what the other has not.

use async_trait::async_trait;
use hotline_domain::stats::{Counter, Facts, delta};
use hotline_domain::{Event, Order, OrderId};
use sqlx::{Postgres, Row, Transaction};
use std::collections::BTreeMap;

use super::{PgStore, backend, decode, pg_err, sql};
use crate::Result;
use crate::records::{EventRow, event_record};
use crate::stats::*;

/// Serialises counter writes between servers.
const STATS_LOCK: i64 = 12_345_000_004;

/// Replaces an order's counted facts; returns what the counters must change by.
async fn swap_facts(
    tx: &mut Transaction<'static, Postgres>,
    id: OrderId,
    new: &Facts,
) -> Result<Vec<(Counter, i64)>> {
    let old: Option<String> = sql(READ_FACTS)
        .bind(id.0)
        .fetch_optional(&mut **tx)
        .await
        .map_err(pg_err)?
        .map(|r| r.try_get(0))
        .transpose()
        .map_err(pg_err)?;
    let old = facts_from(old)?;
    let changes = delta(&old, new);
    // Nothing to do, or a pass that read the order before another pass counted a
    // newer version.
    if changes.is_empty() || old.version > new.version {
        return Ok(Vec::new());
    }
    sql(WRITE_FACTS)
        .bind(id.0)
        .bind(facts_text(new)?)
        .execute(&mut **tx)
        .await
        .map_err(pg_err)?;
    Ok(changes)
}

impl PgStore {
    /// The first column of a query's one row, as a number.
    async fn first_i64(&self, q: super::Query<'static>) -> Result<i64> {
        q.fetch_one(&self.pool)
            .await
            .and_then(|r| r.try_get(0))
            .map_err(pg_err)
    }
}

#[async_trait]
impl StatsStore for PgStore {
    async fn stats_pending(&self, limit: u32) -> Result<Pending> {
        let cursor = self.first_i64(sql(CURSOR)).await?;
        let rows = sql(PENDING)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(pg_err)?;
        let mut events = Vec::with_capacity(rows.len());
        for r in &rows {
            let at: String = r.try_get(2).map_err(pg_err)?;
            events.push((
                r.try_get(0).map_err(pg_err)?,
                OrderId(r.try_get(1).map_err(pg_err)?),
                chrono::DateTime::parse_from_rfc3339(&at).map_err(backend)?,
            ));
        }
        Ok(Pending { cursor, events })
    }

    async fn stats_backlogged(&self, n: u32) -> Result<bool> {
        let n = i64::from(n);
        if self.first_i64(sql(PENDING_AT_MOST)).await? < n {
            return Ok(false);
        }
        Ok(self.first_i64(sql(PENDING_UP_TO).bind(n)).await? >= n)
    }

    async fn orders_for_stats(&self, ids: Vec<OrderId>) -> Result<Vec<(Order, Vec<Event>)>> {
        let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
        let docs = sqlx::query("SELECT id, doc FROM orders WHERE id = ANY($1) ORDER BY id")
            .bind(&ids)
            .fetch_all(&self.pool)
            .await
            .map_err(pg_err)?;
        let rows = sqlx::query(
            "SELECT order_id, at, type, actor, unit, note, data FROM order_events \
             WHERE order_id = ANY($1) ORDER BY order_id, id",
        )
        .bind(&ids)
        .fetch_all(&self.pool)
        .await
        .map_err(pg_err)?;
        let mut events: BTreeMap<i64, Vec<Event>> = BTreeMap::new();
        for r in &rows {
            let order: i64 = r.try_get(0).map_err(pg_err)?;
            let row: EventRow = (
                r.try_get(1).map_err(pg_err)?,
                r.try_get(2).map_err(pg_err)?,
                r.try_get(3).map_err(pg_err)?,
                r.try_get(4).map_err(pg_err)?,
                r.try_get(5).map_err(pg_err)?,
                r.try_get(6).map_err(pg_err)?,
            );
            events.entry(order).or_default().push(event_record(row)?);
        }
        docs.iter()
            .map(|r| {
                let (id, doc): (i64, String) = decode(r)?;
                let order: Order = self.personal.open_order(&doc)?;
                Ok((order, events.remove(&id).unwrap_or_default()))
            })
            .collect()
    }

    async fn apply_stats(&self, batch: Vec<(OrderId, Facts)>, cursor: Option<i64>) -> Result<()> {
        let mut tx = self.begin().await?;
        super::xact_lock(&mut tx, STATS_LOCK).await?;
        let mut changes = Vec::new();
        for (id, facts) in &batch {
            changes.extend(swap_facts(&mut tx, *id, facts).await?);
        }
        for (counter, n) in merge(changes) {
            for (g, m, p, h, r, k, n) in bumps(&counter, n) {
                sql(BUMP)
                    .bind(g)
                    .bind(m)
                    .bind(p as i32)
                    .bind(h)
                    .bind(r)
                    .bind(k)
                    .bind(n)
                    .execute(&mut *tx)
                    .await
                    .map_err(pg_err)?;
            }
        }
        if let Some(to) = cursor {
            sql(MOVE_CURSOR)
                .bind(to)
                .bind(to)
                .execute(&mut *tx)
                .await
                .map_err(pg_err)?;
        }
        tx.commit().await.map_err(pg_err)
    }

    async fn stat_counts(&self, q: &CountQuery) -> Result<Vec<StatCount>> {
        let (text, params) = count_sql(q);
        let rows = super::bound(&text, params)
            .fetch_all(&self.pool)
            .await
            .map_err(pg_err)?;
        rows.iter()
            .map(|r| {
                Ok(StatCount {
                    measure: r.try_get(0).map_err(pg_err)?,
                    key: r.try_get(1).map_err(pg_err)?,
                    n: r.try_get(2).map_err(pg_err)?,
                })
            })
            .collect()
    }
}
