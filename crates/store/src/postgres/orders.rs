//! Orders on PostgreSQL: ids from the table's sequence and daily numbers from a
//! counter row, both taken inside the registering transaction.

use async_trait::async_trait;
use hotline_domain::audit::{AuditRecord, order_object};
use hotline_domain::{
    Calendar, DeadlineRules, Event, EventKind, Order, OrderId, OrderNumber, Timestamp, UnitCode,
    duplicates, shanghai,
};
use sqlx::PgExecutor;
use sqlx::postgres::PgRow;
use std::sync::Arc;

use super::audit::append_audit_tx;
use super::{PgStore, Tx, all, bound, exec, one, sql};
use crate::personal::{Personal, address_lookup_key, closed_at};
use crate::sql::orders::*;
use crate::sql::{Dialect, Row};
use crate::{
    Created, IdempotencyKey, NewOrder, OrderChange, OrderFilter, OrderStore, Result, StoreError,
    records,
};

/// The order whose `doc` a row holds in its first column.
fn order_from(personal: &Personal, r: &PgRow) -> Result<Order> {
    personal.open_order(&records::text(r)?)
}

pub(super) async fn insert_event(tx: &mut Tx, order: OrderId, e: &Event) -> Result<()> {
    let q = sql(INSERT_EVENT)
        .bind(order.get())
        .bind(e.at.to_rfc3339())
        .bind(e.kind.as_str())
        .bind(&e.actor)
        .bind(e.unit.as_ref().map(|u| u.as_str()))
        .bind(&e.note)
        .bind(e.data.to_string());
    exec(q, &mut **tx).await.map(drop)
}

pub(super) async fn fetch_events<'e>(on: impl PgExecutor<'e>, id: OrderId) -> Result<Vec<Event>> {
    all(sql(EVENTS).bind(id.get()), on, |r| records::event(r, 0)).await
}

async fn insert_co_units(tx: &mut Tx, o: &Order) -> Result<()> {
    for u in o.units_sharing() {
        exec(
            sql(INSERT_CO_UNIT).bind(u.as_str()).bind(o.id.get()),
            &mut **tx,
        )
        .await?;
    }
    Ok(())
}

/// Writes an order as it is, with its timeline (imports and benchmarks).
async fn insert_whole(tx: &mut Tx, personal: &Personal, o: &Order, events: &[Event]) -> Result<()> {
    let (doc, pd_key) = personal.seal_order(o)?;
    let q = sql(INSERT_WHOLE)
        .bind(o.id.get())
        .bind(o.number.as_str())
        .bind(o.hotline.as_str())
        .bind(o.unit.as_ref().map(|u| u.as_str()))
        .bind(o.status.as_str())
        .bind(o.kind.as_str())
        .bind(o.region.as_str())
        .bind(o.deadline.map(|d| d.timestamp()))
        .bind(o.registered_at.timestamp())
        .bind(o.version)
        .bind(doc)
        .bind(pd_key)
        .bind(closed_at(o));
    exec(q, &mut **tx).await?;
    insert_co_units(tx, o).await?;
    for e in events {
        insert_event(tx, o.id, e).await?;
    }
    Ok(())
}

/// Orders from the phone (`phone_hash`) or about the address (`address_key`) in the
/// window, newest first and merged ones left out, each with its owning hotline.
fn duplicates_by(column: &str) -> String {
    format!(
        "SELECT id, hotline FROM orders WHERE {column} = ? AND registered_at >= ? \
         AND status <> 'merged' ORDER BY registered_at DESC LIMIT ?"
    )
}

async fn fetch_duplicates(
    tx: &mut Tx,
    column: &str,
    key: &Option<String>,
    since: i64,
    into: &mut Vec<(OrderId, UnitCode)>,
) -> Result<()> {
    let Some(key) = key else { return Ok(()) };
    let q = sql(&duplicates_by(column))
        .bind(key)
        .bind(since)
        .bind(duplicates::PER_KEY as i64);
    let found = all(q, &mut **tx, |r| {
        let hotline = UnitCode::parse(&r.get::<String>(1)?)?;
        Ok((OrderId::new(records::number(r)?), hotline))
    })
    .await?;
    for (id, hotline) in found {
        if !into.iter().any(|(d, _)| *d == id) {
            into.push((id, hotline));
        }
    }
    Ok(())
}

/// The order an earlier request with this key made, if the key is still fresh and
/// came with the same body; an error if it came with another body.
async fn idempotent_replay(
    tx: &mut Tx,
    personal: &Personal,
    key: &IdempotencyKey,
) -> Result<Option<Created>> {
    let q = sql(IDEMPOTENCY).bind(&key.scope).bind(&key.key);
    let found = one(q, &mut **tx, |r| {
        Ok((r.get::<String>(0)?, r.get::<i64>(1)?, r.get::<i64>(2)?))
    })
    .await?;
    match found {
        None => Ok(None),
        Some((_, _, created)) if created < key.not_before.timestamp() => {
            let q = sql(FORGET_IDEMPOTENCY).bind(&key.scope).bind(&key.key);
            exec(q, &mut **tx).await?;
            Ok(None)
        }
        Some((hash, _, _)) if hash != key.body_hash => Err(StoreError::IdempotencyKeyReused),
        Some((_, id, _)) => {
            let order = one(sql(DOC).bind(id), &mut **tx, |r| order_from(personal, r))
                .await?
                .ok_or(StoreError::NotFound)?;
            Ok(Some(Created {
                order,
                events: fetch_events(&mut **tx, OrderId::new(id)).await?,
                replayed: true,
                duplicate_hotlines: Vec::new(),
            }))
        }
    }
}

async fn create_order_tx(
    tx: &mut Tx,
    personal: &Personal,
    mut new: NewOrder,
    rules: &DeadlineRules,
    calendar: &Calendar,
) -> Result<Created> {
    if let Some(key) = &new.idempotency
        && let Some(replay) = idempotent_replay(tx, personal, key).await?
    {
        return Ok(replay);
    }
    let day = new.now.with_timezone(&shanghai()).date_naive();
    let next_seq = sql("INSERT INTO order_day_seq (day, last) VALUES (?, 1) \
         ON CONFLICT (day) DO UPDATE SET last = order_day_seq.last + 1 RETURNING last")
    .bind(day.format("%Y%m%d").to_string());
    let seq = one(next_seq, &mut **tx, records::number)
        .await?
        .unwrap_or(1);
    let next_id = sqlx::query("SELECT nextval(pg_get_serial_sequence('orders', 'id'))");
    let id = one(next_id, &mut **tx, records::number)
        .await?
        .ok_or(StoreError::NotFound)?;
    let since = duplicates::window_start(new.now, new.duplicate_window_days);
    new.address_key = new.address_key.map(|k| personal.address_lookup(&k));
    let mut dups = Vec::new();
    fetch_duplicates(tx, "phone_hash", &new.phone_hash, since, &mut dups).await?;
    fetch_duplicates(tx, "address_key", &new.address_key, since, &mut dups).await?;
    dups.sort_by_key(|d| std::cmp::Reverse(d.0));
    let duplicate_hotlines = dups.clone();
    let dups: Vec<OrderId> = dups.into_iter().map(|(id, _)| id).collect();
    let (order, event) = Order::register(
        new.intake,
        OrderId::new(id),
        OrderNumber::new(day, seq as u64),
        new.tracking_code,
        new.hotline,
        &new.registered_by,
        new.now,
        dups,
        rules,
        calendar,
    );
    let (doc, pd_key) = personal.seal_order(&order)?;
    let insert = sql(INSERT)
        .bind(id)
        .bind(order.number.as_str())
        .bind(order.hotline.as_str())
        .bind(order.status.as_str())
        .bind(order.kind.as_str())
        .bind(order.region.as_str())
        .bind(order.deadline.map(|d| d.timestamp()))
        .bind(order.registered_at.timestamp())
        .bind(&new.phone_hash)
        .bind(&new.address_key)
        .bind(order.version)
        .bind(doc)
        .bind(pd_key);
    exec(insert, &mut **tx).await?;
    insert_event(tx, order.id, &event).await?;
    if let Some(mut audit) = new.audit {
        audit.object = Some(order_object(order.id));
        append_audit_tx(tx, audit).await?;
    }
    if let Some(key) = &new.idempotency {
        let q = sql(INSERT_IDEMPOTENCY)
            .bind(&key.scope)
            .bind(&key.key)
            .bind(&key.body_hash)
            .bind(id)
            .bind(new.now.timestamp());
        exec(q, &mut **tx).await?;
    }
    Ok(Created {
        order,
        events: vec![event],
        replayed: false,
        duplicate_hotlines,
    })
}

pub(super) async fn record_change(tx: &mut Tx, personal: &Personal, c: &OrderChange) -> Result<()> {
    let o = &c.order;
    let (doc, pd_key) = personal.seal_order(o)?;
    let update = sql(UPDATE)
        .bind(o.hotline.as_str())
        .bind(o.unit.as_ref().map(|u| u.as_str()))
        .bind(o.status.as_str())
        .bind(o.deadline.map(|d| d.timestamp()))
        .bind(o.version)
        .bind(doc)
        .bind(pd_key)
        .bind(closed_at(o))
        .bind(o.kind.as_str())
        .bind(o.region.as_str())
        .bind(o.id.get())
        .bind(o.version - 1);
    if exec(update, &mut **tx).await? != 1 {
        return Err(StoreError::VersionConflict);
    }
    if c.event.kind == EventKind::Corrected {
        let key = address_lookup_key(personal, o);
        exec(sql(REKEY_ADDRESS).bind(key).bind(o.id.get()), &mut **tx).await?;
    }
    exec(sql(DELETE_CO_UNITS).bind(o.id.get()), &mut **tx).await?;
    insert_co_units(tx, o).await?;
    insert_event(tx, o.id, &c.event).await?;
    for unit in hotline_domain::notices::recipients(o, &c.event) {
        let q = sql(INSERT_NOTIFICATION)
            .bind(unit.as_str())
            .bind(o.id.get())
            .bind(o.number.as_str())
            .bind(c.event.kind.as_str())
            .bind(c.event.at.to_rfc3339())
            .bind(&c.event.actor);
        exec(q, &mut **tx).await?;
        super::notices::notify(tx, &unit).await?;
    }
    Ok(())
}

#[async_trait]
impl OrderStore for PgStore {
    async fn create_order(
        &self,
        new: NewOrder,
        rules: Arc<DeadlineRules>,
        calendar: Arc<Calendar>,
    ) -> Result<Created> {
        let mut tx = self.begin().await?;
        let created = create_order_tx(&mut tx, &self.personal, new, &rules, &calendar).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn order(&self, id: OrderId) -> Result<Option<Order>> {
        let q = sql(DOC).bind(id.get());
        one(q, &self.pool, |r| order_from(&self.personal, r)).await
    }

    async fn set_phone_hashes(&self, hashes: Vec<(OrderId, String)>) -> Result<()> {
        let mut tx = self.begin().await?;
        for (id, hash) in hashes {
            let q = sqlx::query("UPDATE orders SET phone_hash = $1 WHERE id = $2")
                .bind(hash)
                .bind(id.get());
            exec(q, &mut *tx).await?;
        }
        Ok(tx.commit().await?)
    }

    async fn order_hotlines(&self, ids: &[OrderId]) -> Result<Vec<(OrderId, UnitCode)>> {
        let ids: Vec<i64> = ids.iter().map(|i| i.get()).collect();
        let q = sqlx::query("SELECT id, hotline FROM orders WHERE id = ANY($1)").bind(ids);
        all(q, &self.pool, |r| {
            let hotline = UnitCode::parse(&r.get::<String>(1)?)?;
            Ok((OrderId::new(records::number(r)?), hotline))
        })
        .await
    }

    async fn order_by_number(&self, number: &OrderNumber) -> Result<Option<Order>> {
        let q = sql(DOC_BY_NUMBER).bind(number.as_str());
        one(q, &self.pool, |r| order_from(&self.personal, r)).await
    }

    async fn events(&self, id: OrderId) -> Result<Vec<Event>> {
        fetch_events(&self.pool, id).await
    }

    async fn list_orders(&self, filter: &OrderFilter) -> Result<Vec<Order>> {
        let q = list(filter, Dialect::Postgres);
        all(bound(&q.text, q.params), &self.pool, |r| {
            order_from(&self.personal, r)
        })
        .await
    }

    async fn count_orders(&self, filter: &OrderFilter, cap: u32) -> Result<u64> {
        let q = count(filter, Dialect::Postgres, cap);
        let n = one(bound(&q.text, q.params), &self.pool, |r| {
            records::count_at(r, 0)
        })
        .await?;
        Ok(n.unwrap_or(0))
    }

    async fn count_orders_upto(&self, id: i64) -> Result<u64> {
        let n = one(sql(COUNT_UPTO).bind(id), &self.pool, |r| {
            records::count_at(r, 0)
        })
        .await?;
        Ok(n.unwrap_or(0))
    }

    async fn order_texts_after(&self, after: i64, limit: u32) -> Result<Vec<(i64, String, i64)>> {
        let q = sql(DOCS_AFTER).bind(after).bind(i64::from(limit));
        all(q, &self.pool, |r| {
            let (id, doc, at): (i64, String, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
            Ok(self.personal.index_text(id, &doc, at))
        })
        .await
    }

    async fn order_texts(&self, ids: &[OrderId]) -> Result<Vec<(i64, String)>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let q = sql(DOC_WITH_TIME).bind(id.get());
            let text = one(q, &self.pool, |r| {
                let (id, doc, at): (i64, String, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
                Ok(self.personal.index_text(id, &doc, at))
            })
            .await?;
            out.extend(text.map(|(id, text, _)| (id, text)));
        }
        Ok(out)
    }

    async fn orders_by_address_key(
        &self,
        address_key: &str,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<Order>> {
        let q = sql(BY_ADDRESS_KEY)
            .bind(self.personal.address_lookup(address_key))
            .bind(since.timestamp())
            .bind(i64::from(limit));
        all(q, &self.pool, |r| order_from(&self.personal, r)).await
    }

    async fn orders_by_phone_hash(&self, phone_hash: &str, limit: u32) -> Result<Vec<Order>> {
        let q = sql(BY_PHONE_HASH).bind(phone_hash).bind(i64::from(limit));
        all(q, &self.pool, |r| order_from(&self.personal, r)).await
    }

    async fn import_orders(
        &self,
        batch: Vec<(Order, Vec<Event>)>,
        audit: AuditRecord,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        for (o, events) in &batch {
            insert_whole(&mut tx, &self.personal, o, events).await?;
        }
        // Later orders are numbered after the imported ones.
        let catch_up = sqlx::query(
            "SELECT setval(pg_get_serial_sequence('orders', 'id'), \
             GREATEST((SELECT MAX(id) FROM orders), 1))",
        );
        exec(catch_up, &mut *tx).await?;
        let mut last_of_day: std::collections::BTreeMap<&str, i64> = Default::default();
        for (o, _) in &batch {
            if let Some((day, seq)) = o.number.as_str().split_once('-') {
                let seq = seq.parse::<i64>().unwrap_or(0);
                let last = last_of_day.entry(day).or_default();
                *last = (*last).max(seq);
            }
        }
        for (day, last) in last_of_day {
            let q = sql(
                "INSERT INTO order_day_seq (day, last) VALUES (?, ?) ON CONFLICT (day) \
                 DO UPDATE SET last = GREATEST(order_day_seq.last, excluded.last)",
            )
            .bind(day)
            .bind(last);
            exec(q, &mut *tx).await?;
        }
        append_audit_tx(&mut tx, audit).await?;
        Ok(tx.commit().await?)
    }

    async fn record_transitions(
        &self,
        changes: Vec<OrderChange>,
        audit: Option<AuditRecord>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        for c in &changes {
            record_change(&mut tx, &self.personal, c).await?;
        }
        if let Some(a) = audit {
            append_audit_tx(&mut tx, a).await?;
        }
        Ok(tx.commit().await?)
    }

    async fn count_by_status(&self) -> Result<Vec<(String, i64)>> {
        all(sql(COUNT_BY_STATUS), &self.pool, records::text_and_number).await
    }
}
