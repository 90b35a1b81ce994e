//! Report counters on SQLite: writes through the writer thread, reads beside it.

use async_trait::async_trait;
use hotline_domain::stats::{Counter, Facts, delta};
use hotline_domain::{Event, Order, OrderId};
use rusqlite::{Connection, OptionalExtension, params};

use super::{SqliteStore, backend, bind, insert_co_units, insert_event, read_events, sql_err};
use crate::Result;
use crate::personal::{Personal, closed_at};
use crate::stats::*;

/// Replaces an order's counted facts; returns what the counters must change by.
fn swap_facts(c: &Connection, id: OrderId, new: &Facts) -> Result<Vec<(Counter, i64)>> {
    let old: Option<String> = c
        .prepare_cached(READ_FACTS)
        .and_then(|mut s| s.query_row([id.0], |r| r.get(0)).optional())
        .map_err(sql_err)?;
    let old = facts_from(old)?;
    let changes = delta(&old, new);
    // Nothing to do, or a pass that read the order before another pass counted a
    // newer version.
    if changes.is_empty() || old.version > new.version {
        return Ok(Vec::new());
    }
    let text = facts_text(new)?;
    c.prepare_cached(WRITE_FACTS)
        .and_then(|mut s| s.execute(params![id.0, text]))
        .map_err(sql_err)?;
    Ok(changes)
}

/// Writes an order as it is, with its timeline (imports and benchmarks).
pub(super) fn insert_whole(
    c: &Connection,
    personal: &Personal,
    o: &Order,
    events: &[Event],
) -> Result<()> {
    let (doc, pd_key) = personal.seal_order(o)?;
    c.prepare_cached(
        "INSERT INTO orders (id, number, hotline, unit, status, kind, region, deadline, registered_at, \
         phone_hash, address_key, version, doc, pd_key, closed_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?)",
    )
    .and_then(|mut s| {
        s.execute(params![
            o.id.0,
            o.number.as_str(),
            o.hotline.as_str(),
            o.unit.as_ref().map(|u| u.as_str()),
            o.status.as_str(),
            o.kind.as_str(),
            o.region.as_str(),
            o.deadline.map(|d| d.timestamp()),
            o.registered_at.timestamp(),
            o.version,
            doc,
            pd_key,
            closed_at(o)
        ])
    })
    .map_err(sql_err)?;
    insert_co_units(c, o)?;
    events.iter().try_for_each(|e| insert_event(c, o.id, e))
}

#[async_trait]
impl StatsStore for SqliteStore {
    async fn stats_pending(&self, limit: u32) -> Result<Pending> {
        self.read(move |c| {
            let cursor: i64 = c.query_row(CURSOR, [], |r| r.get(0)).map_err(backend)?;
            let mut s = c.prepare_cached(PENDING).map_err(backend)?;
            let rows = s
                .query_map([i64::from(limit)], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })
                .map_err(backend)?;
            let mut events = Vec::new();
            for row in rows {
                let (id, order, at) = row.map_err(backend)?;
                let at = chrono::DateTime::parse_from_rfc3339(&at).map_err(backend)?;
                events.push((id, OrderId(order), at));
            }
            Ok(Pending { cursor, events })
        })
        .await
    }

    async fn stats_backlogged(&self, n: u32) -> Result<bool> {
        self.read(move |c| {
            let at_most: i64 = c
                .query_row(PENDING_AT_MOST, [], |r| r.get(0))
                .map_err(backend)?;
            if at_most < i64::from(n) {
                return Ok(false);
            }
            let waiting: i64 = c
                .prepare_cached(PENDING_UP_TO)
                .and_then(|mut s| s.query_row([i64::from(n)], |r| r.get(0)))
                .map_err(backend)?;
            Ok(waiting >= i64::from(n))
        })
        .await
    }

    async fn orders_for_stats(&self, ids: Vec<OrderId>) -> Result<Vec<(Order, Vec<Event>)>> {
        let personal = self.personal.clone();
        self.read(move |c| {
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let doc: Option<String> = c
                    .prepare_cached("SELECT doc FROM orders WHERE id = ?")
                    .and_then(|mut s| s.query_row([id.0], |r| r.get(0)).optional())
                    .map_err(backend)?;
                if let Some(doc) = doc {
                    out.push((personal.open_order(&doc)?, read_events(c, id)?));
                }
            }
            Ok(out)
        })
        .await
    }

    async fn apply_stats(&self, batch: Vec<(OrderId, Facts)>, cursor: Option<i64>) -> Result<()> {
        self.write(move |c| {
            let mut changes = Vec::new();
            for (id, facts) in &batch {
                changes.extend(swap_facts(c, *id, facts)?);
            }
            let mut bump = c.prepare_cached(BUMP).map_err(sql_err)?;
            for (counter, n) in merge(changes) {
                for (g, m, p, h, r, k, n) in bumps(&counter, n) {
                    bump.execute(params![g, m, p, h, r, k, n])
                        .map_err(sql_err)?;
                }
            }
            if let Some(to) = cursor {
                c.prepare_cached(MOVE_CURSOR)
                    .and_then(|mut s| s.execute([to, to]))
                    .map_err(sql_err)?;
            }
            Ok(())
        })
        .await
    }

    async fn stat_counts(&self, q: &CountQuery) -> Result<Vec<StatCount>> {
        let (text, params) = count_sql(q);
        self.read(move |c| {
            let mut s = c.prepare_cached(&text).map_err(backend)?;
            let rows = s
                .query_map(bind(&params).as_slice(), |r| {
                    Ok(StatCount {
                        measure: r.get(0)?,
                        key: r.get(1)?,
                        n: r.get(2)?,
                    })
                })
                .map_err(backend)?;
            rows.map(|r| r.map_err(backend)).collect()
        })
        .await
    }
}
