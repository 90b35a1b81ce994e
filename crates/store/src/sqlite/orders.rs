//! Orders on SQLite: ids and daily numbers handed out in memory, each new order built
//! and serialised before it reaches the writer, which looks up its possible
//! duplicates and writes it.

use async_trait::async_trait;
use hotline_domain::audit::{AuditRecord, order_object};
use hotline_domain::{
    Calendar, DeadlineRules, Event, EventKind, Order, OrderId, OrderNumber, Status, UnitCode,
    duplicates, shanghai,
};
use rusqlite::{Connection, OptionalExtension, ToSql, params};
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use super::audit::{Audit, append_audit_tx};
use super::{SqliteStore, Writer, all, bind, exec, one};
use crate::personal::{Personal, address_lookup_key, closed_at};
use crate::sql::Dialect;
use crate::sql::orders::*;
use crate::{
    Created, IdempotencyKey, NewOrder, OrderChange, OrderFilter, OrderStore, Result, StoreError,
    records,
};
use hotline_domain::Timestamp;

/// Ids and daily numbers, handed out in memory: one process owns an SQLite database
/// (the server locks its data directory), so counting here, from what the database
/// holds at open and per day at first use, is counting what is there. They are handed
/// out before a request reaches the writer, not by it ([`super::Writer`]): the order's
/// JSON holds them and is built and sealed on the caller's thread, off the time every
/// commit waits for. A number given to a request that then fails is skipped, never
/// reused.
pub(super) struct Counters {
    next_id: i64,
    day: Option<chrono::NaiveDate>,
    last_seq: u64,
}

impl Counters {
    /// Counting on from what the (migrated) database holds.
    pub(super) fn read(path: &Path) -> Result<Counters> {
        let c = Connection::open(path)?;
        let sql = "SELECT COALESCE(MAX(id), 0) + 1 FROM orders";
        Ok(Counters {
            next_id: c.query_row(sql, [], |r| r.get(0))?,
            day: None,
            last_seq: 0,
        })
    }
}

/// The highest sequence number already used on `day`.
fn last_seq_of_day(c: &Connection, day: chrono::NaiveDate) -> Result<u64> {
    let d = day.format("%Y%m%d").to_string();
    let (from, to) = (format!("{d}-"), format!("{d}."));
    let last = one(
        c,
        "SELECT COALESCE(MAX(CAST(substr(number, 10) AS INTEGER)), 0) FROM orders \
         WHERE number >= ? AND number < ?",
        params![from, to],
        |r| records::number(r),
    )?;
    Ok(last.unwrap_or(0) as u64)
}

impl SqliteStore {
    /// Everything about a new order that does not need the writer: its id and number,
    /// its deadlines and its JSON.
    fn prepare_order(
        &self,
        new: NewOrder,
        rules: &DeadlineRules,
        calendar: &Calendar,
    ) -> Result<PreparedOrder> {
        let day = new.now.with_timezone(&shanghai()).date_naive();
        let (id, seq) = {
            let mut n = self.counters.lock().expect("counter lock");
            if n.day != Some(day) {
                n.last_seq = self.read_now(|c| last_seq_of_day(c, day))?;
                n.day = Some(day);
            }
            n.last_seq += 1;
            n.next_id += 1;
            (n.next_id - 1, n.last_seq)
        };
        let (order, event) = Order::register(
            new.intake,
            OrderId::new(id),
            OrderNumber::new(day, seq),
            new.tracking_code,
            new.hotline,
            &new.registered_by,
            new.now,
            Vec::new(),
            rules,
            calendar,
        );
        let (doc, pd_key) = self.personal.seal_order(&order)?;
        Ok(PreparedOrder {
            order,
            event,
            doc,
            pd_key,
            personal: self.personal.clone(),
            duplicates: DuplicateKeys {
                phone_hash: new.phone_hash,
                address_key: new.address_key.map(|k| self.personal.address_lookup(&k)),
                since: duplicates::window_start(new.now, new.duplicate_window_days),
            },
            idempotency: new.idempotency,
            audit: new.audit.map(|mut a| {
                a.object = Some(order_object(OrderId::new(id)));
                Audit::from(a)
            }),
        })
    }
}

/// What a new order's possible duplicates are looked up by.
struct DuplicateKeys {
    phone_hash: Option<String>,
    address_key: Option<String>,
    /// Registered at or after this (Unix seconds): the duplicate window.
    since: i64,
}

/// Orders from the phone, or about the address, in the window, newest first, each
/// with its owning hotline (the index covers the column). Merged orders are left out
/// in memory ([`is_merged`]), not here: `status` is only in the table.
const DUPLICATES_BY_PHONE: &str = "SELECT id, hotline FROM orders WHERE phone_hash = ? \
     AND registered_at >= ? ORDER BY registered_at DESC";
const DUPLICATES_BY_ADDRESS: &str = "SELECT id, hotline FROM orders WHERE address_key = ? \
     AND registered_at >= ? ORDER BY registered_at DESC";

/// The possible duplicates of a new order, newest first.
fn find_duplicates(w: &mut Writer, keys: &DuplicateKeys) -> Result<Vec<(OrderId, UnitCode)>> {
    let Writer {
        conn: c, merged, ..
    } = w;
    let since = keys.since;
    let mut dups: Vec<(OrderId, UnitCode)> = Vec::new();
    for (sql, key) in [
        (DUPLICATES_BY_PHONE, &keys.phone_hash),
        (DUPLICATES_BY_ADDRESS, &keys.address_key),
    ] {
        let Some(key) = key else { continue };
        let mut s = c.prepare_cached(sql)?;
        let mut rows = s.query(params![key, since])?;
        let mut taken = 0;
        while taken < duplicates::PER_KEY {
            let Some(row) = rows.next()? else {
                break;
            };
            let id: i64 = row.get(0)?;
            if is_merged(merged, c, since, id)? {
                continue;
            }
            taken += 1;
            if !dups.iter().any(|(d, _)| d.get() == id) {
                let hotline: String = row.get(1)?;
                dups.push((OrderId::new(id), UnitCode::parse(&hotline)?));
            }
        }
    }
    dups.sort_by_key(|d| std::cmp::Reverse(d.0));
    Ok(dups)
}

/// How far the duplicate window moves on before the merged orders are read again.
const MERGED_RELOAD_SECONDS: i64 = 31 * 86_400;

/// Whether `id` is a merged order, for lookups of orders registered since `since`.
/// The writer remembers the merged orders of the window (`merged`): `status` is only
/// in the table, and leaving the merged out in SQL read up to ten order rows per
/// lookup. Merges are rare. Read at first use, and again once the window has moved on
/// by a month (which drops the merges that fell out of it) or after the writer forgot.
fn is_merged(
    merged: &mut Option<(i64, HashSet<i64>)>,
    c: &Connection,
    since: i64,
    id: i64,
) -> Result<bool> {
    let fresh = matches!(merged, Some((from, _)) if *from <= since && since - *from < MERGED_RELOAD_SECONDS);
    if !fresh {
        let ids = all(
            c,
            "SELECT id FROM orders WHERE status = 'merged' AND registered_at >= ?",
            [since],
            |r| records::number(r),
        )?;
        *merged = Some((since, ids.into_iter().collect()));
    }
    Ok(merged.as_ref().is_some_and(|(_, set)| set.contains(&id)))
}

/// Notes a merge the writer just made (nothing until the set is first read, which
/// reads the database, this write included).
fn note_merged(w: &mut Writer, id: i64) {
    if let Some((_, set)) = w.merged.as_mut() {
        set.insert(id);
    }
}

/// An order ready to be written: built and serialised before it reaches the writer.
struct PreparedOrder {
    order: Order,
    event: Event,
    /// The order's JSON without its possible duplicates (an empty list is left out),
    /// its personal fields sealed with `pd_key` when encryption is on.
    doc: String,
    pd_key: Option<String>,
    personal: Arc<Personal>,
    duplicates: DuplicateKeys,
    idempotency: Option<IdempotencyKey>,
    audit: Option<Audit>,
}

/// Inside the writer: the idempotency check (it must be atomic with the insert), the
/// possible duplicates and the inserts themselves. The duplicates are looked up here
/// rather than beforehand on a reader: the writer's page cache holds the recent orders
/// (a reader's cache is dropped at every commit), and an order registered earlier in
/// the same batch is found too.
fn insert_order_tx(w: &mut Writer, mut p: PreparedOrder) -> Result<Created> {
    if let Some(key) = &p.idempotency
        && let Some(replay) = idempotent_replay(w, &p.personal, key)?
    {
        return Ok(replay);
    }
    let duplicate_hotlines = find_duplicates(w, &p.duplicates)?;
    let dups: Vec<OrderId> = duplicate_hotlines.iter().map(|(id, _)| *id).collect();
    append_duplicates(&mut p.doc, &dups);
    p.order.possible_duplicates = dups;
    let o = &p.order;
    exec(
        w,
        INSERT,
        params![
            o.id.get(),
            o.number.as_str(),
            o.hotline.as_str(),
            o.status.as_str(),
            o.kind.as_str(),
            o.region.as_str(),
            o.deadline.map(|d| d.timestamp()),
            o.registered_at.timestamp(),
            p.duplicates.phone_hash,
            p.duplicates.address_key,
            o.version,
            p.doc,
            p.pd_key
        ],
    )?;
    insert_event(w, o.id, &p.event)?;
    if let Some(audit) = p.audit {
        append_audit_tx(w, audit)?;
    }
    if let Some(key) = &p.idempotency {
        let at = p.order.registered_at.timestamp();
        let id = p.order.id.get();
        exec(
            w,
            INSERT_IDEMPOTENCY,
            params![key.scope, key.key, key.body_hash, id, at],
        )?;
    }
    Ok(Created {
        order: p.order,
        events: vec![p.event],
        replayed: false,
        duplicate_hotlines,
    })
}

/// Adds the possible duplicates to an order's JSON serialised without them. The field
/// is left out of the JSON while empty, so a non-empty list is appended as the last
/// member; the order of members carries no meaning.
fn append_duplicates(doc: &mut String, dups: &[OrderId]) {
    if dups.is_empty() || !doc.ends_with('}') {
        return;
    }
    let ids: Vec<String> = dups.iter().map(|d| d.get().to_string()).collect();
    doc.pop();
    doc.push_str(",\"possible_duplicates\":[");
    doc.push_str(&ids.join(","));
    doc.push_str("]}");
}

/// The order an earlier request with this key made, if the key is still fresh and
/// came with the same body; an error if it came with another body.
fn idempotent_replay(
    conn: &Connection,
    personal: &Personal,
    key: &IdempotencyKey,
) -> Result<Option<Created>> {
    let found = one(conn, IDEMPOTENCY, params![key.scope, key.key], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    match found {
        None => Ok(None),
        Some((_, _, created)) if created < key.not_before.timestamp() => {
            exec(conn, FORGET_IDEMPOTENCY, params![key.scope, key.key])?;
            Ok(None)
        }
        Some((hash, _, _)) if hash != key.body_hash => Err(StoreError::IdempotencyKeyReused),
        Some((_, id, _)) => {
            let doc = one(conn, DOC, [id], |r| records::text(r))?.ok_or(StoreError::NotFound)?;
            Ok(Some(Created {
                order: personal.open_order(&doc)?,
                events: read_events(conn, OrderId::new(id))?,
                replayed: true,
                duplicate_hotlines: Vec::new(),
            }))
        }
    }
}

fn insert_co_units(conn: &Connection, o: &Order) -> Result<()> {
    for u in o.units_sharing() {
        exec(conn, INSERT_CO_UNIT, params![u.as_str(), o.id.get()])?;
    }
    Ok(())
}

pub(super) fn insert_event(conn: &Connection, order: OrderId, e: &Event) -> Result<()> {
    let p = params![
        order.get(),
        e.at.to_rfc3339(),
        e.kind.as_str(),
        e.actor,
        e.unit.as_ref().map(|u| u.as_str()),
        e.note,
        e.data.to_string()
    ];
    exec(conn, INSERT_EVENT, p).map(drop)
}

pub(super) fn read_events(c: &Connection, id: OrderId) -> Result<Vec<Event>> {
    all(c, EVENTS, [id.get()], |r| records::event(r, 0))
}

pub(super) fn record_change(w: &mut Writer, personal: &Personal, c: &OrderChange) -> Result<()> {
    let o = &c.order;
    let (doc, pd_key) = personal.seal_order(o)?;
    let updated = exec(
        w,
        UPDATE,
        params![
            o.hotline.as_str(),
            o.unit.as_ref().map(|u| u.as_str()),
            o.status.as_str(),
            o.deadline.map(|d| d.timestamp()),
            o.version,
            doc,
            pd_key,
            closed_at(o),
            o.kind.as_str(),
            o.region.as_str(),
            o.id.get(),
            o.version - 1
        ],
    )?;
    if updated != 1 {
        return Err(StoreError::VersionConflict);
    }
    if o.status == Status::Merged {
        note_merged(w, o.id.get());
    }
    if c.event.kind == EventKind::Corrected {
        let key = address_lookup_key(personal, o);
        exec(w, REKEY_ADDRESS, params![key, o.id.get()])?;
    }
    exec(w, DELETE_CO_UNITS, [o.id.get()])?;
    insert_co_units(w, o)?;
    insert_event(w, o.id, &c.event)?;
    for unit in hotline_domain::notices::recipients(o, &c.event) {
        let p = params![
            unit.as_str(),
            o.id.get(),
            o.number.as_str(),
            c.event.kind.as_str(),
            c.event.at.to_rfc3339(),
            c.event.actor
        ];
        exec(w, INSERT_NOTIFICATION, p)?;
    }
    Ok(())
}

/// Writes an order as it is, with its timeline (imports and benchmarks).
fn insert_whole(c: &Connection, personal: &Personal, o: &Order, events: &[Event]) -> Result<()> {
    let (doc, pd_key) = personal.seal_order(o)?;
    exec(
        c,
        INSERT_WHOLE,
        params![
            o.id.get(),
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
        ],
    )?;
    insert_co_units(c, o)?;
    events.iter().try_for_each(|e| insert_event(c, o.id, e))
}

/// The orders whose `doc` a query selects.
fn order_docs(
    c: &Connection,
    personal: &Personal,
    sql: &str,
    params: &[&dyn ToSql],
) -> Result<Vec<Order>> {
    all(c, sql, params, |r| {
        personal.open_order(&r.get::<_, String>(0)?)
    })
}

/// An order by a statement selecting its `doc`.
pub(super) fn order_doc(
    c: &Connection,
    personal: &Personal,
    sql: &str,
    key: impl ToSql,
) -> Result<Option<Order>> {
    let doc = one(c, sql, [key], |r| records::text(r))?;
    doc.map(|d| personal.open_order(&d)).transpose()
}

#[async_trait]
impl OrderStore for SqliteStore {
    async fn create_order(
        &self,
        new: NewOrder,
        rules: Arc<DeadlineRules>,
        calendar: Arc<Calendar>,
    ) -> Result<Created> {
        let prepared = self.prepare_order(new, &rules, &calendar)?;
        self.write(move |c| insert_order_tx(c, prepared)).await
    }

    async fn order(&self, id: OrderId) -> Result<Option<Order>> {
        self.read_now(|c| order_doc(c, &self.personal, DOC, id.get()))
    }

    async fn set_phone_hashes(&self, hashes: Vec<(OrderId, String)>) -> Result<()> {
        self.write(move |c| {
            for (id, hash) in &hashes {
                exec(
                    c,
                    "UPDATE orders SET phone_hash = ? WHERE id = ?",
                    params![hash, id.get()],
                )?;
            }
            Ok(())
        })
        .await
    }

    async fn order_hotlines(&self, ids: &[OrderId]) -> Result<Vec<(OrderId, UnitCode)>> {
        self.read_now(|c| {
            let mut s = c.prepare_cached("SELECT hotline FROM orders WHERE id = ?")?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let hotline: Option<String> = s.query_row([id.get()], |r| r.get(0)).optional()?;
                if let Some(h) = hotline {
                    out.push((*id, UnitCode::parse(&h)?));
                }
            }
            Ok(out)
        })
    }

    async fn order_by_number(&self, number: &OrderNumber) -> Result<Option<Order>> {
        self.read_now(|c| order_doc(c, &self.personal, DOC_BY_NUMBER, number.as_str()))
    }

    async fn events(&self, id: OrderId) -> Result<Vec<Event>> {
        self.read_now(move |c| read_events(c, id))
    }

    async fn list_orders(&self, filter: &OrderFilter) -> Result<Vec<Order>> {
        let sql = list(filter, Dialect::Sqlite);
        let personal = self.personal.clone();
        self.read(move |c| order_docs(c, &personal, &sql.text, bind(&sql.params).as_slice()))
            .await
    }

    async fn count_orders(&self, filter: &OrderFilter, cap: u32) -> Result<u64> {
        let sql = count(filter, Dialect::Sqlite, cap);
        self.read(move |c| {
            let n = one(c, &sql.text, bind(&sql.params).as_slice(), |r| {
                records::count_at(r, 0)
            })?;
            Ok(n.unwrap_or(0))
        })
        .await
    }

    async fn count_orders_upto(&self, id: i64) -> Result<u64> {
        self.read(move |c| Ok(one(c, COUNT_UPTO, [id], |r| records::count_at(r, 0))?.unwrap_or(0)))
            .await
    }

    async fn order_texts_after(&self, after: i64, limit: u32) -> Result<Vec<(i64, String, i64)>> {
        let personal = self.personal.clone();
        self.read(move |c| {
            all(c, DOCS_AFTER, params![after, i64::from(limit)], |r| {
                let (id, doc, at): (i64, String, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
                Ok(personal.index_text(id, &doc, at))
            })
        })
        .await
    }

    async fn order_texts(&self, ids: &[OrderId]) -> Result<Vec<(i64, String)>> {
        let ids: Vec<i64> = ids.iter().map(|i| i.get()).collect();
        let personal = self.personal.clone();
        self.read(move |c| {
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let row: Option<(i64, String, i64)> = c
                    .prepare_cached(DOC_WITH_TIME)?
                    .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()?;
                if let Some((id, doc, at)) = row {
                    let (id, text, _) = personal.index_text(id, &doc, at);
                    out.push((id, text));
                }
            }
            Ok(out)
        })
        .await
    }

    async fn orders_by_address_key(
        &self,
        address_key: &str,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<Order>> {
        let key = self.personal.address_lookup(address_key);
        let personal = self.personal.clone();
        self.read(move |c| {
            let p = params![key, since.timestamp(), limit];
            order_docs(c, &personal, BY_ADDRESS_KEY, p)
        })
        .await
    }

    async fn orders_by_phone_hash(&self, phone_hash: &str, limit: u32) -> Result<Vec<Order>> {
        let hash = phone_hash.to_owned();
        let personal = self.personal.clone();
        self.read(move |c| order_docs(c, &personal, BY_PHONE_HASH, params![hash, limit]))
            .await
    }

    async fn record_transitions(
        &self,
        changes: Vec<OrderChange>,
        audit: Option<AuditRecord>,
    ) -> Result<()> {
        let audit = audit.map(Audit::from);
        let personal = self.personal.clone();
        let told: Vec<UnitCode> = changes
            .iter()
            .flat_map(|ch| hotline_domain::notices::recipients(&ch.order, &ch.event))
            .collect();
        self.write(move |c| {
            changes
                .iter()
                .try_for_each(|ch| record_change(c, &personal, ch))?;
            audit.map_or(Ok(()), |a| append_audit_tx(c, a))
        })
        .await?;
        for unit in told {
            // Nobody listening is no error.
            let _ = self.notices.send(crate::Notice::Unit(unit));
        }
        Ok(())
    }

    async fn import_orders(
        &self,
        batch: Vec<(Order, Vec<Event>)>,
        audit: AuditRecord,
    ) -> Result<()> {
        let last_id = batch.iter().map(|(o, _)| o.id.get()).max().unwrap_or(0);
        let personal = self.personal.clone();
        self.write(move |c| {
            for (o, events) in &batch {
                insert_whole(c, &personal, o, events)?;
            }
            append_audit_tx(c, audit)
        })
        .await?;
        let mut n = self.counters.lock().expect("counter lock");
        n.next_id = n.next_id.max(last_id + 1);
        // The day's last number is read again: the import may have used some.
        n.day = None;
        Ok(())
    }

    async fn count_by_status(&self) -> Result<Vec<(String, i64)>> {
        self.read(|c| all(c, COUNT_BY_STATUS, [], |r| records::text_and_number(r)))
            .await
    }
}
