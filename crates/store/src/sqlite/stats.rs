//! Report counters on SQLite: writes through the writer thread, reads beside it.

use async_trait::async_trait;
use hotline_domain::stats::{Counter, Facts, delta};
use hotline_domain::{Event, Order, OrderId};
use rusqlite::{Connection, params};

use super::orders::{order_doc, read_events};
use super::{SqliteStore, all, bind, exec, one};
use crate::sql::orders::DOC;
use crate::sql::stats::*;
use crate::stats::*;
use crate::{Result, records};

/// Replaces an order's counted facts; returns what the counters must change by.
fn swap_facts(c: &Connection, id: OrderId, new: &Facts) -> Result<Vec<(Counter, i64)>> {
    let old = facts_from(one(c, READ_FACTS, [id.get()], |r| records::text(r))?)?;
    let changes = delta(&old, new);
    // Nothing to do, or a pass that read the order before another pass counted a
    // newer version.
    if changes.is_empty() || old.version > new.version {
        return Ok(Vec::new());
    }
    exec(c, WRITE_FACTS, params![id.get(), facts_text(new)?])?;
    Ok(changes)
}

#[async_trait]
impl StatsStore for SqliteStore {
    async fn stats_pending(&self, limit: u32) -> Result<Pending> {
        self.read(move |c| {
            let cursor = one(c, CURSOR, [], |r| records::number(r))?.unwrap_or(0);
            let events = all(c, PENDING, [i64::from(limit)], |r| {
                records::pending_event(r)
            })?;
            Ok(Pending { cursor, events })
        })
        .await
    }

    async fn stats_backlogged(&self, n: u32) -> Result<bool> {
        let n = i64::from(n);
        self.read(move |c| {
            let at_most = one(c, PENDING_AT_MOST, [], |r| records::number(r))?.unwrap_or(0);
            if at_most < n {
                return Ok(false);
            }
            let waiting = one(c, PENDING_UP_TO, [n], |r| records::number(r))?.unwrap_or(0);
            Ok(waiting >= n)
        })
        .await
    }

    async fn orders_for_stats(&self, ids: Vec<OrderId>) -> Result<Vec<(Order, Vec<Event>)>> {
        let personal = self.personal.clone();
        self.read(move |c| {
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(order) = order_doc(c, &personal, DOC, id.get())? {
                    out.push((order, read_events(c, id)?));
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
            for (counter, n) in merge(changes) {
                for (g, m, p, h, r, k, n) in bumps(&counter, n) {
                    exec(c, BUMP, params![g, m, p, h, r, k, n])?;
                }
            }
            if let Some(to) = cursor {
                exec(c, MOVE_CURSOR, [to, to])?;
            }
            Ok(())
        })
        .await
    }

    async fn stat_counts(&self, q: &CountQuery) -> Result<Vec<StatCount>> {
        let (text, params) = counts(q);
        self.read(move |c| {
            all(c, &text, bind(&params).as_slice(), |r| {
                records::stat_count(r)
            })
        })
        .await
    }
}
