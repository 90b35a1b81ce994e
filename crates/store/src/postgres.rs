//! The PostgreSQL store, for several servers on one database.
//!
//! The same SQL as the SQLite store (written with `?` and numbered here), each method
//! in one transaction through a sqlx pool. Migrations run under an advisory lock so
//! that servers starting together apply them once.

use async_trait::async_trait;
use hotline_domain::{
    Calendar, DeadlineRules, Event, Order, OrderId, OrderNumber, UnitCode, UserId, YearArrangement,
    shanghai, taxonomy::DomainCategory,
};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{AssertSqlSafe, Postgres, Row, Transaction};
use std::str::FromStr;
use std::sync::Arc;

use hotline_domain::Timestamp;
use hotline_domain::audit::{AuditEntry, AuditRecord, chain};

use crate::personal::{self, Personal};
use crate::query::login;
use crate::query::{self, Param, numbered};
use crate::records::*;
use crate::{
    ApiKeyRecord, AuditFilter, Created, LoginAttempt, LoginGate, LoginGuard, NewOrder, NewUser,
    OrderChange, OrderFilter, Result, SessionRecord, Store, StoreError, UnitRecord, UserRecord,
};

mod kb;
mod stats;
mod two_factor;

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_init.sql")),
    (
        2,
        include_str!("../migrations/postgres/0002_audit_and_login_guard.sql"),
    ),
    (3, include_str!("../migrations/postgres/0003_api_keys.sql")),
    (
        4,
        include_str!("../migrations/postgres/0004_knowledge_base.sql"),
    ),
    (
        5,
        include_str!("../migrations/postgres/0005_report_counts.sql"),
    ),
    (
        6,
        include_str!("../migrations/postgres/0006_unit_index_partial.sql"),
    ),
    (
        7,
        include_str!("../migrations/postgres/0007_login_guard_per_address.sql"),
    ),
    (
        8,
        include_str!("../migrations/postgres/0008_repair_stored_text.sql"),
    ),
    (
        9,
        include_str!("../migrations/postgres/0009_duplicate_index_hotline.sql"),
    ),
    (
        10,
        include_str!("../migrations/postgres/0010_readiness.sql"),
    ),
    (
        12,
        include_str!("../migrations/postgres/0012_two_factor.sql"),
    ),
    (
        13,
        include_str!("../migrations/postgres/0013_personal_data.sql"),
    ),
];

/// Rewrites the stored documents holding refused control characters (see
/// [`query::repaired_document`]): a NUL escape in an order document made every query
/// casting it to `jsonb` fail. How many it rewrote.
async fn repair_stored_text(conn: &mut sqlx::PgConnection) -> Result<u64> {
    let mut repaired = 0;
    for (table, key, column) in query::REPAIRED_DOCUMENTS {
        let sql = query::may_need_repair_sql(query::Dialect::Postgres, table, key, column);
        let found: Vec<(i64, String)> = sqlx::query_as(AssertSqlSafe(sql))
            .fetch_all(&mut *conn)
            .await
            .map_err(pg_err)?;
        for (id, doc) in found {
            if let Some(fixed) = query::repaired_document(&doc) {
                sqlx::query(AssertSqlSafe(format!(
                    "UPDATE {table} SET {column} = $1 WHERE {key} = $2"
                )))
                .bind(fixed)
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(pg_err)?;
                tracing::warn!(
                    table,
                    id,
                    "stored text repaired: control characters removed"
                );
                repaired += 1;
            }
        }
    }
    Ok(repaired)
}

/// Serialises appends to the audit chain between servers, per transaction.
const AUDIT_LOCK: i64 = 12_345_000_002;

/// Serialises migrations between servers (an arbitrary, fixed key).
const MIGRATION_LOCK: i64 = 12_345_000_001;

pub struct PgStore {
    pool: PgPool,
    /// Seals and opens the personal fields of every order document.
    personal: Arc<Personal>,
}

fn pg_err(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && (db.is_unique_violation() || db.is_foreign_key_violation())
    {
        let table = db.is_unique_violation().then(|| db.table()).flatten();
        return crate::duplicate_of(table);
    }
    StoreError::Backend(e.to_string())
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

type Query<'q> = sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>;

/// A statement written with `?` placeholders.
fn sql(text: &str) -> Query<'static> {
    sqlx::query(AssertSqlSafe(numbered(text)))
}

/// A statement with its parameters bound in order.
fn bound(text: &str, params: Vec<Param>) -> Query<'static> {
    params.into_iter().fold(sql(text), |stmt, p| match p {
        Param::Text(s) => stmt.bind(s),
        Param::Int(i) => stmt.bind(i),
    })
}

impl PgStore {
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_in_schema(url, None).await
    }

    /// Connects with every table in `schema` (created if missing): tests use a fresh
    /// schema each, so that they share one database without seeing each other.
    pub async fn connect_in_schema(url: &str, schema: Option<&str>) -> Result<Self> {
        Self::connect_with(url, schema, Personal::plain()).await
    }

    /// Connects with this codec for personal data: refuses to start when the stored
    /// data is sealed with keys it does not hold, and seals what is stored plain the
    /// first time encryption is on.
    pub async fn connect_with(
        url: &str,
        schema: Option<&str>,
        personal: Arc<Personal>,
    ) -> Result<Self> {
        let mut opts = PgConnectOptions::from_str(url).map_err(pg_err)?;
        if let Some(schema) = schema {
            let admin = PgPool::connect_with(opts.clone()).await.map_err(pg_err)?;
            let create = format!(
                "CREATE SCHEMA IF NOT EXISTS \"{}\"",
                schema.replace('"', "")
            );
            sqlx::query(AssertSqlSafe(create))
                .execute(&admin)
                .await
                .map_err(pg_err)?;
            admin.close().await;
            opts = opts.options([("search_path", schema)]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await
            .map_err(pg_err)?;
        let store = PgStore { pool, personal };
        store.migrate().await?;
        store.prepare_personal_data().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        let mut conn = self.pool.acquire().await.map_err(pg_err)?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await
            .map_err(pg_err)?;
        let result = async {
            sqlx::query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY)",
            )
            .execute(&mut *conn)
            .await
            .map_err(pg_err)?;
            for (version, text) in MIGRATIONS {
                let done = sqlx::query("SELECT 1 FROM schema_migrations WHERE version = $1")
                    .bind(version)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(pg_err)?
                    .is_some();
                if done {
                    continue;
                }
                let mut tx = sqlx::Connection::begin(&mut *conn).await.map_err(pg_err)?;
                sqlx::raw_sql(*text)
                    .execute(&mut *tx)
                    .await
                    .map_err(pg_err)?;
                if *version == query::REPAIR_TEXT_VERSION {
                    repair_stored_text(&mut tx).await?;
                }
                sqlx::query("INSERT INTO schema_migrations (version) VALUES ($1)")
                    .bind(version)
                    .execute(&mut *tx)
                    .await
                    .map_err(pg_err)?;
                tx.commit().await.map_err(pg_err)?;
            }
            Ok(())
        }
        .await;
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await
            .map_err(pg_err)?;
        result
    }

    /// At open: the keys must open what is stored (one sealed order per key id in
    /// use); the first time encryption is on, every order stored plain is sealed, in
    /// one transaction under the migration lock (servers starting together do it once).
    async fn prepare_personal_data(&self) -> Result<()> {
        use query::personal::{SAMPLES, SEALED_SETTING};
        let samples: Vec<(String, String)> = sqlx::query_as(SAMPLES)
            .fetch_all(&self.pool)
            .await
            .map_err(pg_err)?;
        personal::check_samples(&self.personal, &samples)?;
        if !self.personal.is_on() {
            // Orders written from now on are plain: seal them when it is turned on again.
            sql("DELETE FROM settings WHERE key = ?")
                .bind(SEALED_SETTING)
                .execute(&self.pool)
                .await
                .map_err(pg_err)?;
            return Ok(());
        }
        let mut tx = self.begin().await?;
        xact_lock(&mut tx, MIGRATION_LOCK).await?;
        let sealed = sql("SELECT value FROM settings WHERE key = ?")
            .bind(SEALED_SETTING)
            .fetch_optional(&mut *tx)
            .await
            .map_err(pg_err)?;
        if sealed.is_some() {
            return Ok(());
        }
        let (mut after, mut total) = (0, 0);
        loop {
            let (n, next) = reseal_batch(&mut tx, &self.personal, after, 500, true).await?;
            total += n;
            match next {
                Some(id) => after = id,
                None => break,
            }
        }
        sql("INSERT INTO settings (key, value) VALUES (?, 'true') \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(SEALED_SETTING)
        .execute(&mut *tx)
        .await
        .map_err(pg_err)?;
        tx.commit().await.map_err(pg_err)?;
        if total > 0 {
            tracing::info!(orders = total, "personal data of stored orders encrypted");
        }
        Ok(())
    }

    async fn begin(&self) -> Result<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(pg_err)
    }
}

/// Serialises the rest of the transaction with every other holding `key`.
async fn xact_lock(tx: &mut Transaction<'static, Postgres>, key: i64) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(key)
        .execute(&mut **tx)
        .await
        .map_err(pg_err)?;
    Ok(())
}

fn text(s: &str) -> Param {
    Param::Text(s.to_owned())
}

/// The first row of a statement as numbers, if any.
async fn numbers(
    tx: &mut Transaction<'static, Postgres>,
    stmt: Query<'static>,
) -> Result<Option<Vec<i64>>> {
    let row = stmt.fetch_optional(&mut **tx).await.map_err(pg_err)?;
    row.map(|r| (0..r.len()).map(|i| r.try_get(i)).collect())
        .transpose()
        .map_err(pg_err)
}

/// What the login guard knows about an attempt, with the name's row and the
/// address's row locked (created if missing) for the rest of the transaction: attempts
/// on one name, or from one address, are decided one after another.
async fn gate_rows(tx: &mut Transaction<'static, Postgres>, a: &LoginAttempt) -> Result<GateRows> {
    let (name, address) = (a.username.as_str(), a.address.as_str());
    let key = login::address_key(address);
    let claims = [
        bound(
            "INSERT INTO login_failures (username, failures, first_at, locked_until) \
             VALUES (?, 0, 0, 0) ON CONFLICT (username) DO NOTHING",
            vec![text(name)],
        ),
        bound(
            "INSERT INTO rate_counters (key, window_start, count) VALUES (?, 0, 0) \
             ON CONFLICT (key) DO NOTHING",
            vec![text(&key)],
        ),
    ];
    for claim in claims {
        claim.execute(&mut **tx).await.map_err(pg_err)?;
    }
    let locked = |q: &str| format!("{q} FOR UPDATE");
    let name_row = numbers(tx, bound(&locked(login::NAME), vec![text(name)])).await?;
    let address_row = numbers(tx, bound(&locked(login::ADDRESS), vec![text(&key)])).await?;
    let pair = numbers(tx, bound(login::PAIR, vec![text(name), text(address)])).await?;
    let known = numbers(tx, bound(login::KNOWN, vec![text(name), text(address)])).await?;
    Ok(GateRows {
        address: address_row.map(|v| (v[0], v[1])),
        pair: pair.map(|v| (v[0], v[1], v[2])),
        name: name_row.map(|v| (v[0], v[1])),
        known_at: known.map(|v| v[0]),
    })
}

/// Stores the counts the guard decided on.
async fn put_gate_step(
    tx: &mut Transaction<'static, Postgres>,
    a: &LoginAttempt,
    step: &GateStep,
) -> Result<()> {
    let (name, address) = (a.username.as_str(), a.address.as_str());
    let mut writes = Vec::new();
    if let Some((start, count)) = step.address {
        let key = login::address_key(address);
        let p = vec![Param::Text(key), Param::Int(start), Param::Int(count)];
        writes.push(bound(login::PUT_ADDRESS, p));
    }
    if let Some((failures, first, until)) = step.pair {
        let p = vec![text(name), text(address)];
        let p = p
            .into_iter()
            .chain([failures, first, until].map(Param::Int));
        writes.push(bound(login::PUT_PAIR, p.collect()));
    }
    if let Some((failures, first)) = step.name {
        let p = vec![text(name), Param::Int(failures), Param::Int(first)];
        writes.push(bound(login::PUT_NAME, p));
    }
    for w in writes {
        w.execute(&mut **tx).await.map_err(pg_err)?;
    }
    Ok(())
}

async fn insert_co_units(tx: &mut Transaction<'static, Postgres>, o: &Order) -> Result<()> {
    for u in &o.co_units {
        sql("INSERT INTO order_co_units (unit, order_id) VALUES (?, ?)")
            .bind(u.as_str())
            .bind(o.id.0)
            .execute(&mut **tx)
            .await
            .map_err(pg_err)?;
    }
    Ok(())
}

/// Writes an order as it is, with its timeline (imports and benchmarks).
async fn insert_whole(
    tx: &mut Transaction<'static, Postgres>,
    personal: &Personal,
    o: &Order,
    events: &[Event],
) -> Result<()> {
    let (doc, pd_key) = personal.seal_order(o)?;
    sql("INSERT INTO orders (id, number, hotline, unit, status, kind, region, deadline, registered_at, \
         phone_hash, address_key, version, doc, pd_key, closed_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?)")
    .bind(o.id.0)
    .bind(o.number.as_str())
    .bind(o.hotline.as_str())
    .bind(o.unit.as_ref().map(|u| u.as_str().to_owned()))
    .bind(o.status.as_str())
    .bind(o.kind.as_str())
    .bind(o.region.as_str())
    .bind(o.deadline.map(|d| d.timestamp()))
    .bind(o.registered_at.timestamp())
    .bind(o.version)
    .bind(doc)
    .bind(pd_key)
    .bind(personal::closed_at(o))
    .execute(&mut **tx)
    .await
    .map_err(pg_err)?;
    insert_co_units(tx, o).await?;
    for e in events {
        insert_event(tx, o.id, e).await?;
    }
    Ok(())
}

fn order_from_row(personal: &Personal, r: &PgRow) -> Result<Order> {
    let doc: String = r.try_get(0).map_err(pg_err)?;
    personal.open_order(&doc)
}

/// Decodes a row into a tuple of its columns, in order.
fn decode<T: for<'r> sqlx::FromRow<'r, PgRow>>(r: &PgRow) -> Result<T> {
    T::from_row(r).map_err(pg_err)
}

fn unit_row(r: &PgRow) -> Result<UnitRecord> {
    unit_record(decode::<UnitRow>(r)?)
}

fn user_row(r: &PgRow) -> Result<UserRecord> {
    user_record(decode::<UserRow>(r)?)
}

async fn insert_event(
    tx: &mut Transaction<'static, Postgres>,
    order: OrderId,
    e: &Event,
) -> Result<()> {
    sql("INSERT INTO order_events (order_id, at, type, actor, unit, note, data) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .bind(order.0)
        .bind(e.at.to_rfc3339())
        .bind(e.kind.as_str())
        .bind(&e.actor)
        .bind(e.unit.as_ref().map(|u| u.as_str().to_owned()))
        .bind(&e.note)
        .bind(e.data.to_string())
        .execute(&mut **tx)
        .await
        .map_err(pg_err)?;
    Ok(())
}

async fn fetch_events<'e, E: sqlx::PgExecutor<'e>>(executor: E, id: OrderId) -> Result<Vec<Event>> {
    let rows = sqlx::query("SELECT at, type, actor, unit, note, data FROM order_events WHERE order_id = $1 ORDER BY id")
        .bind(id.0)
        .fetch_all(executor)
        .await
        .map_err(pg_err)?;
    rows.iter()
        .map(|r| event_record(decode::<EventRow>(r)?))
        .collect()
}

async fn fetch_duplicates(
    tx: &mut Transaction<'static, Postgres>,
    column: &'static str,
    key: &Option<String>,
    since: i64,
    into: &mut Vec<(OrderId, UnitCode)>,
) -> Result<()> {
    let Some(key) = key else { return Ok(()) };
    let text = format!(
        "SELECT id, hotline FROM orders WHERE {column} = ? AND registered_at >= ? AND status <> 'merged' ORDER BY registered_at DESC LIMIT 10"
    );
    let rows = sql(&text)
        .bind(key)
        .bind(since)
        .fetch_all(&mut **tx)
        .await
        .map_err(pg_err)?;
    for r in rows {
        let id = OrderId(r.try_get(0).map_err(pg_err)?);
        let hotline: String = r.try_get(1).map_err(pg_err)?;
        if !into.iter().any(|(d, _)| *d == id) {
            into.push((id, UnitCode::parse(&hotline).map_err(backend)?));
        }
    }
    Ok(())
}

async fn create_order_tx(
    tx: &mut Transaction<'static, Postgres>,
    personal: &Personal,
    mut new: NewOrder,
    rules: &DeadlineRules,
    calendar: &Calendar,
) -> Result<Created> {
    if let Some(key) = &new.idempotency {
        let found = sql("SELECT body_hash, order_id, created_at FROM idempotency_keys WHERE scope = ? AND key = ?")
            .bind(&key.scope)
            .bind(&key.key)
            .fetch_optional(&mut **tx)
            .await
            .map_err(pg_err)?;
        if let Some(r) = found {
            let (hash, id, created): (String, i64, i64) = (
                r.try_get(0).map_err(pg_err)?,
                r.try_get(1).map_err(pg_err)?,
                r.try_get(2).map_err(pg_err)?,
            );
            if created < key.not_before.timestamp() {
                sql("DELETE FROM idempotency_keys WHERE scope = ? AND key = ?")
                    .bind(&key.scope)
                    .bind(&key.key)
                    .execute(&mut **tx)
                    .await
                    .map_err(pg_err)?;
            } else if hash != key.body_hash {
                return Err(StoreError::IdempotencyKeyReused);
            } else {
                let r = sql("SELECT doc FROM orders WHERE id = ?")
                    .bind(id)
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(pg_err)?;
                let events = fetch_events(&mut **tx, OrderId(id)).await?;
                return Ok(Created {
                    order: order_from_row(personal, &r)?,
                    events,
                    replayed: true,
                    duplicate_hotlines: Vec::new(),
                });
            }
        }
    }
    let day = new.now.with_timezone(&shanghai()).date_naive();
    let seq: i64 = sql("INSERT INTO order_day_seq (day, last) VALUES (?, 1) \
         ON CONFLICT (day) DO UPDATE SET last = order_day_seq.last + 1 RETURNING last")
    .bind(day.format("%Y%m%d").to_string())
    .fetch_one(&mut **tx)
    .await
    .map_err(pg_err)?
    .try_get(0)
    .map_err(pg_err)?;
    let id: i64 = sqlx::query("SELECT nextval(pg_get_serial_sequence('orders', 'id'))")
        .fetch_one(&mut **tx)
        .await
        .map_err(pg_err)?
        .try_get(0)
        .map_err(pg_err)?;
    let since = new.now.timestamp() - new.duplicate_window_days * 86_400;
    new.address_key = new.address_key.map(|k| personal.address_lookup(&k));
    let mut dups = Vec::new();
    fetch_duplicates(tx, "phone_hash", &new.phone_hash, since, &mut dups).await?;
    fetch_duplicates(tx, "address_key", &new.address_key, since, &mut dups).await?;
    dups.sort_by_key(|d| std::cmp::Reverse(d.0));
    let duplicate_hotlines = dups.clone();
    let dups: Vec<OrderId> = dups.into_iter().map(|(id, _)| id).collect();
    let (order, event) = Order::register(
        new.intake,
        OrderId(id),
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
    sql("INSERT INTO orders (id, number, hotline, unit, status, kind, region, deadline, registered_at, \
         phone_hash, address_key, version, doc, pd_key) VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
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
    .bind(pd_key)
    .execute(&mut **tx)
    .await
    .map_err(pg_err)?;
    insert_event(tx, order.id, &event).await?;
    if let Some(mut audit) = new.audit.clone() {
        audit.object = Some(format!("order:{}", order.id));
        append_audit_tx(tx, audit).await?;
    }
    if let Some(key) = &new.idempotency {
        sql("INSERT INTO idempotency_keys (scope, key, body_hash, order_id, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(&key.scope)
            .bind(&key.key)
            .bind(&key.body_hash)
            .bind(id)
            .bind(new.now.timestamp())
            .execute(&mut **tx)
            .await
            .map_err(pg_err)?;
    }
    Ok(Created {
        order,
        events: vec![event],
        replayed: false,
        duplicate_hotlines,
    })
}

/// Appends to the hash chain under a transaction-scoped advisory lock, so that servers
/// sharing the database append one at a time and never fork the chain.
async fn append_audit_tx(
    tx: &mut Transaction<'static, Postgres>,
    mut r: AuditRecord,
) -> Result<()> {
    r.at = r.at.with_timezone(&shanghai());
    xact_lock(tx, AUDIT_LOCK).await?;
    let last = sqlx::query("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
        .fetch_optional(&mut **tx)
        .await
        .map_err(pg_err)?;
    let last: Option<(i64, String)> = last
        .map(|row| Ok::<_, sqlx::Error>((row.try_get(0)?, row.try_get(1)?)))
        .transpose()
        .map_err(pg_err)?;
    let e = chain(last.as_ref().map(|(id, h)| (*id, h.as_str())), r);
    sql("INSERT INTO audit_log (id, at, actor, unit, address, action, object, detail, prev_hash, hash) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
    .bind(e.id)
    .bind(e.record.at.to_rfc3339())
    .bind(&e.record.actor)
    .bind(&e.record.unit)
    .bind(&e.record.address)
    .bind(&e.record.action)
    .bind(&e.record.object)
    .bind(e.record.detail.to_string())
    .bind(&e.prev_hash)
    .bind(&e.hash)
    .execute(&mut **tx)
    .await
    .map_err(pg_err)?;
    Ok(())
}

/// One batch of [`Store::reseal_orders`], inside the caller's transaction.
async fn reseal_batch(
    tx: &mut Transaction<'static, Postgres>,
    personal: &Personal,
    after: i64,
    limit: u32,
    plain_only: bool,
) -> Result<(u64, Option<i64>)> {
    use query::personal::{NOT_CURRENT, PLAIN, RESEAL};
    let current = personal.current_key().unwrap_or_default();
    let rows: Vec<(i64, i64, String, Option<String>)> = if plain_only {
        sqlx::query_as(AssertSqlSafe(numbered(PLAIN)))
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&mut **tx)
            .await
    } else {
        sqlx::query_as(AssertSqlSafe(numbered(NOT_CURRENT)))
            .bind(after)
            .bind(current)
            .bind(i64::from(limit))
            .fetch_all(&mut **tx)
            .await
    }
    .map_err(pg_err)?;
    let last = rows.last().map(|r| r.0);
    let mut n = 0;
    for (id, version, doc, address_key) in rows {
        let (doc, key, address_key) = personal::resealed(personal, &doc, address_key)?;
        n += sql(RESEAL)
            .bind(doc)
            .bind(key)
            .bind(address_key)
            .bind(id)
            .bind(version)
            .execute(&mut **tx)
            .await
            .map_err(pg_err)?
            .rows_affected();
    }
    Ok((n, last))
}

/// One batch of [`Store::purge_personal_data`], inside the caller's transaction.
async fn purge_batch(
    tx: &mut Transaction<'static, Postgres>,
    personal: &Personal,
    closed_before: i64,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<OrderId>> {
    use query::personal::{PURGE, TO_PURGE};
    let rows: Vec<(i64, i64, String)> = sqlx::query_as(AssertSqlSafe(numbered(TO_PURGE)))
        .bind(closed_before)
        .bind(i64::from(limit))
        .fetch_all(&mut **tx)
        .await
        .map_err(pg_err)?;
    let mut purged = Vec::new();
    for (id, version, doc) in rows {
        let (order, event) = personal::purged(personal.open_order(&doc)?, now);
        let (doc, key) = personal.seal_order(&order)?;
        let updated = sql(PURGE)
            .bind(doc)
            .bind(order.version)
            .bind(key)
            .bind(now.timestamp())
            .bind(id)
            .bind(version)
            .execute(&mut **tx)
            .await
            .map_err(pg_err)?
            .rows_affected();
        if updated == 1 {
            insert_event(tx, order.id, &event).await?;
            purged.push(order.id);
        }
    }
    Ok(purged)
}

fn pg_api_key(r: &PgRow) -> Result<ApiKeyRecord> {
    api_key_record(decode::<ApiKeyRow>(r)?)
}

async fn record_change(
    tx: &mut Transaction<'static, Postgres>,
    personal: &Personal,
    c: &OrderChange,
) -> Result<()> {
    let o = &c.order;
    let (doc, pd_key) = personal.seal_order(o)?;
    let updated = sql(
        "UPDATE orders SET hotline = ?, unit = ?, status = ?, deadline = ?, version = ?, doc = ?, \
         pd_key = ?, closed_at = ? WHERE id = ? AND version = ?",
    )
    .bind(o.hotline.as_str())
    .bind(o.unit.as_ref().map(|u| u.as_str().to_owned()))
    .bind(o.status.as_str())
    .bind(o.deadline.map(|d| d.timestamp()))
    .bind(o.version)
    .bind(doc)
    .bind(pd_key)
    .bind(personal::closed_at(o))
    .bind(o.id.0)
    .bind(o.version - 1)
    .execute(&mut **tx)
    .await
    .map_err(pg_err)?;
    if updated.rows_affected() != 1 {
        return Err(StoreError::VersionConflict);
    }
    sql("DELETE FROM order_co_units WHERE order_id = ?")
        .bind(o.id.0)
        .execute(&mut **tx)
        .await
        .map_err(pg_err)?;
    insert_co_units(tx, o).await?;
    insert_event(tx, o.id, &c.event).await
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(pg_err)?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn probe_write(&self, at: Timestamp) -> Result<()> {
        sql(query::PROBE_WRITE)
            .bind(at.timestamp())
            .execute(&self.pool)
            .await
            .map_err(pg_err)?;
        Ok(())
    }

    async fn repair_stored_text(&self) -> Result<u64> {
        let mut tx = self.pool.begin().await.map_err(pg_err)?;
        let n = repair_stored_text(&mut tx).await?;
        tx.commit().await.map_err(pg_err)?;
        Ok(n)
    }

    async fn create_unit(&self, unit: UnitRecord) -> Result<UnitRecord> {
        sql("INSERT INTO units (code, name, kind, parent, region, active) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(unit.code.as_str())
            .bind(&unit.name)
            .bind(unit.kind.as_str())
            .bind(unit.parent.as_ref().map(|p| p.as_str().to_owned()))
            .bind(unit.region.as_str())
            .bind(unit.active)
            .execute(&self.pool)
            .await
            .map_err(pg_err)?;
        Ok(unit)
    }

    async fn list_units(&self) -> Result<Vec<UnitRecord>> {
        let rows =
            sqlx::query("SELECT code, name, kind, parent, region, active FROM units ORDER BY code")
                .fetch_all(&self.pool)
                .await
                .map_err(pg_err)?;
        rows.iter().map(unit_row).collect()
    }

    async fn update_unit(&self, u: UnitRecord, audit: AuditRecord) -> Result<()> {
        let mut tx = self.begin().await?;
        let done = sql("UPDATE units SET name = ?, parent = ?, active = ? WHERE code = ?")
            .bind(&u.name)
            .bind(u.parent.as_ref().map(|p| p.as_str().to_owned()))
            .bind(u.active)
            .bind(u.code.as_str())
            .execute(&mut *tx)
            .await
            .map_err(pg_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        append_audit_tx(&mut tx, audit).await?;
        tx.commit().await.map_err(pg_err)
    }

    async fn list_users(&self) -> Result<Vec<UserRecord>> {
        let rows = sqlx::query(
            "SELECT id, username, password_hash, roles, unit, active FROM users ORDER BY username",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(pg_err)?;
        rows.iter().map(user_row).collect()
    }

    async fn update_user(&self, u: UserRecord, audit: AuditRecord) -> Result<()> {
        let mut tx = self.begin().await?;
        let old = sql("SELECT password_hash FROM users WHERE id = ? FOR UPDATE")
            .bind(u.id.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(pg_err)?
            .ok_or(StoreError::NotFound)?;
        let old_hash: String = old.try_get(0).map_err(pg_err)?;
        sql("UPDATE users SET password_hash = ?, roles = ?, unit = ?, active = ? WHERE id = ?")
            .bind(&u.password_hash)
            .bind(roles_to_text(&u.roles))
            .bind(u.unit.as_ref().map(|x| x.as_str().to_owned()))
            .bind(u.active)
            .bind(u.id.0)
            .execute(&mut *tx)
            .await
            .map_err(pg_err)?;
        if !u.active || old_hash != u.password_hash {
            sql("DELETE FROM sessions WHERE user_id = ?")
                .bind(u.id.0)
                .execute(&mut *tx)
                .await
                .map_err(pg_err)?;
        }
        append_audit_tx(&mut tx, audit).await?;
        tx.commit().await.map_err(pg_err)
    }

    async fn create_user(&self, u: NewUser) -> Result<UserRecord> {
        let id: i64 = sql("INSERT INTO users (username, password_hash, roles, unit, active) VALUES (?, ?, ?, ?, TRUE) RETURNING id")
            .bind(&u.username)
            .bind(&u.password_hash)
            .bind(roles_to_text(&u.roles))
            .bind(u.unit.as_ref().map(|x| x.as_str().to_owned()))
            .fetch_one(&self.pool)
            .await
            .map_err(pg_err)?
            .try_get(0)
            .map_err(pg_err)?;
        Ok(UserRecord {
            id: UserId(id),
            username: u.username,
            password_hash: u.password_hash,
            roles: u.roles,
            unit: u.unit,
            active: true,
        })
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>> {
        let row = sql(
            "SELECT id, username, password_hash, roles, unit, active FROM users WHERE username = ?",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await
        .map_err(pg_err)?;
        row.as_ref().map(user_row).transpose()
    }

    async fn set_user_password(&self, username: &str, password_hash: &str) -> Result<()> {
        let done = sql("UPDATE users SET password_hash = ? WHERE username = ?")
            .bind(password_hash)
            .bind(username)
            .execute(&self.pool)
            .await
            .map_err(pg_err)?;
        if done.rows_affected() == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn create_session(&self, s: SessionRecord) -> Result<()> {
        sql("INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen, address) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(&s.token_hash)
            .bind(s.user_id.0)
            .bind(s.created_at.timestamp())
            .bind(s.expires_at.timestamp())
            .bind(s.last_seen.timestamp())
            .bind(&s.address)
            .execute(&self.pool)
            .await
            .map_err(pg_err)?;
        Ok(())
    }

    async fn session(&self, token_hash: &str) -> Result<Option<(SessionRecord, UserRecord)>> {
        let row = sql(
            "SELECT u.id, u.username, u.password_hash, u.roles, u.unit, u.active, \
             s.created_at, s.expires_at, s.last_seen, s.address FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(pg_err)?;
        let Some(r) = row else { return Ok(None) };
        type SessionRow = (
            i64,
            String,
            String,
            String,
            Option<String>,
            bool,
            i64,
            i64,
            i64,
            Option<String>,
        );
        let (id, name, hash, roles, unit, active, created, expires, seen, address) =
            decode::<SessionRow>(&r)?;
        let user = user_record((id, name, hash, roles, unit, active))?;
        let session = SessionRecord {
            token_hash: token_hash.to_owned(),
            user_id: user.id,
            created_at: from_epoch(created),
            expires_at: from_epoch(expires),
            last_seen: from_epoch(seen),
            address,
        };
        Ok(Some((session, user)))
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sql("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(pg_err)?;
        Ok(())
    }

    async fn user_sessions(&self, user: UserId) -> Result<Vec<SessionRecord>> {
        let rows = sql(
            "SELECT token_hash, created_at, expires_at, last_seen, address FROM sessions \
             WHERE user_id = ? ORDER BY created_at DESC, token_hash",
        )
        .bind(user.0)
        .fetch_all(&self.pool)
        .await
        .map_err(pg_err)?;
        rows.iter()
            .map(|r| {
                let (token_hash, created, expires, seen, address) =
                    decode::<(String, i64, i64, i64, Option<String>)>(r)?;
                Ok(SessionRecord {
                    token_hash,
                    user_id: user,
                    created_at: from_epoch(created),
                    expires_at: from_epoch(expires),
                    last_seen: from_epoch(seen),
                    address,
                })
            })
            .collect()
    }

    async fn end_user_session(
        &self,
        user: UserId,
        token_hash: &str,
        audit: AuditRecord,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let done = sql("DELETE FROM sessions WHERE user_id = ? AND token_hash = ?")
            .bind(user.0)
            .bind(token_hash)
            .execute(&mut *tx)
            .await
            .map_err(pg_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        append_audit_tx(&mut tx, audit).await?;
        tx.commit().await.map_err(pg_err)
    }

    async fn change_password(
        &self,
        user: UserId,
        password_hash: &str,
        keep: &str,
        audit: AuditRecord,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let done = sql("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(password_hash)
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .map_err(pg_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sql("DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?")
            .bind(user.0)
            .bind(keep)
            .execute(&mut *tx)
            .await
            .map_err(pg_err)?;
        append_audit_tx(&mut tx, audit).await?;
        tx.commit().await.map_err(pg_err)
    }

    async fn calendar(&self) -> Result<Vec<YearArrangement>> {
        let rows = sqlx::query("SELECT year, holidays, workdays FROM calendar_years ORDER BY year")
            .fetch_all(&self.pool)
            .await
            .map_err(pg_err)?;
        rows.iter()
            .map(|r| {
                let h: String = r.try_get(1).map_err(pg_err)?;
                let w: String = r.try_get(2).map_err(pg_err)?;
                year_record(r.try_get(0).map_err(pg_err)?, &h, &w)
            })
            .collect()
    }

    async fn put_calendar_year(&self, y: YearArrangement) -> Result<()> {
        let (h, w) = year_texts(&y)?;
        sql("INSERT INTO calendar_years (year, holidays, workdays) VALUES (?, ?, ?) \
             ON CONFLICT (year) DO UPDATE SET holidays = excluded.holidays, workdays = excluded.workdays")
        .bind(y.year)
        .bind(h)
        .bind(w)
        .execute(&self.pool)
        .await
        .map_err(pg_err)?;
        Ok(())
    }

    async fn deadline_rules(&self) -> Result<Option<DeadlineRules>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = 'deadline_rules'")
            .fetch_optional(&self.pool)
            .await
            .map_err(pg_err)?;
        row.map(|r| {
            let v: String = r.try_get(0).map_err(pg_err)?;
            serde_json::from_str(&v).map_err(backend)
        })
        .transpose()
    }

    async fn put_deadline_rules(&self, rules: &DeadlineRules) -> Result<()> {
        let v = serde_json::to_string(rules).map_err(backend)?;
        sql(
            "INSERT INTO settings (key, value) VALUES ('deadline_rules', ?) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(v)
        .execute(&self.pool)
        .await
        .map_err(pg_err)?;
        Ok(())
    }

    async fn setting(&self, key: &str) -> Result<Option<String>> {
        let row = sql("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(pg_err)?;
        row.map(|r| r.try_get(0).map_err(pg_err)).transpose()
    }

    async fn put_setting(&self, key: &str, value: String, audit: AuditRecord) -> Result<()> {
        let mut tx = self.begin().await?;
        sql("INSERT INTO settings (key, value) VALUES (?, ?) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(&mut *tx)
        .await
        .map_err(pg_err)?;
        append_audit_tx(&mut tx, audit).await?;
        tx.commit().await.map_err(pg_err)
    }

    async fn taxonomy(&self) -> Result<Vec<DomainCategory>> {
        let rows = sqlx::query("SELECT path, top_name, name FROM domain_categories ORDER BY path")
            .fetch_all(&self.pool)
            .await
            .map_err(pg_err)?;
        rows.iter()
            .map(|r| {
                let path: String = r.try_get(0).map_err(pg_err)?;
                category(
                    &path,
                    r.try_get(1).map_err(pg_err)?,
                    r.try_get(2).map_err(pg_err)?,
                )
            })
            .collect()
    }

    async fn put_domain_category(&self, cat: DomainCategory) -> Result<()> {
        sql(
            "INSERT INTO domain_categories (path, top_name, name) VALUES (?, ?, ?) \
             ON CONFLICT (path) DO UPDATE SET top_name = excluded.top_name, name = excluded.name",
        )
        .bind(cat.path.to_string())
        .bind(cat.top_name)
        .bind(cat.name)
        .execute(&self.pool)
        .await
        .map_err(pg_err)?;
        Ok(())
    }

    async fn create_order(
        &self,
        new: NewOrder,
        rules: Arc<DeadlineRules>,
        calendar: Arc<Calendar>,
    ) -> Result<Created> {
        let mut tx = self.begin().await?;
        let created = create_order_tx(&mut tx, &self.personal, new, &rules, &calendar).await?;
        tx.commit().await.map_err(pg_err)?;
        Ok(created)
    }

    async fn order(&self, id: OrderId) -> Result<Option<Order>> {
        let row = sqlx::query("SELECT doc FROM orders WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(pg_err)?;
        row.as_ref()
            .map(|r| order_from_row(&self.personal, r))
            .transpose()
    }

    async fn order_hotlines(&self, ids: &[OrderId]) -> Result<Vec<(OrderId, UnitCode)>> {
        let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, hotline FROM orders WHERE id = ANY($1)")
                .bind(ids)
                .fetch_all(&self.pool)
                .await
                .map_err(pg_err)?;
        rows.into_iter()
            .map(|(id, h)| Ok((OrderId(id), UnitCode::parse(&h).map_err(backend)?)))
            .collect()
    }

    async fn order_by_number(&self, number: &OrderNumber) -> Result<Option<Order>> {
        let row = sqlx::query("SELECT doc FROM orders WHERE number = $1")
            .bind(number.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(pg_err)?;
        row.as_ref()
            .map(|r| order_from_row(&self.personal, r))
            .transpose()
    }

    async fn events(&self, id: OrderId) -> Result<Vec<Event>> {
        fetch_events(&self.pool, id).await
    }

    async fn list_orders(&self, filter: &OrderFilter) -> Result<Vec<Order>> {
        let q = query::list_orders(filter, query::Dialect::Postgres);
        let rows = bound(&q.text, q.params)
            .fetch_all(&self.pool)
            .await
            .map_err(pg_err)?;
        rows.iter()
            .map(|r| order_from_row(&self.personal, r))
            .collect()
    }

    async fn count_orders_upto(&self, id: i64) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM orders WHERE id <= $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .map_err(pg_err)?;
        Ok(n.max(0) as u64)
    }

    async fn order_texts_after(&self, after: i64, limit: u32) -> Result<Vec<(i64, String, i64)>> {
        let rows = sql(query::ORDER_DOCS_AFTER)
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(pg_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let (id, doc, at): (i64, String, i64) = (
                r.try_get(0).map_err(pg_err)?,
                r.try_get(1).map_err(pg_err)?,
                r.try_get(2).map_err(pg_err)?,
            );
            out.push(self.personal.index_text(id, &doc, at));
        }
        Ok(out)
    }

    async fn orders_by_address_key(
        &self,
        address_key: &str,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<Order>> {
        let rows = sqlx::query(
            "SELECT doc FROM orders WHERE address_key = $1 AND registered_at >= $2 ORDER BY registered_at DESC LIMIT $3",
        )
        .bind(self.personal.address_lookup(address_key))
        .bind(since.timestamp())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(pg_err)?;
        rows.iter()
            .map(|r| order_from_row(&self.personal, r))
            .collect()
    }

    async fn orders_by_phone_hash(&self, phone_hash: &str, limit: u32) -> Result<Vec<Order>> {
        let rows =
            sqlx::query("SELECT doc FROM orders WHERE phone_hash = $1 ORDER BY id DESC LIMIT $2")
                .bind(phone_hash)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(pg_err)?;
        rows.iter()
            .map(|r| order_from_row(&self.personal, r))
            .collect()
    }

    async fn personal_data_keys(&self) -> Result<Vec<(Option<String>, u64)>> {
        let rows: Vec<(Option<String>, i64)> = sqlx::query_as(query::personal::KEYS)
            .fetch_all(&self.pool)
            .await
            .map_err(pg_err)?;
        Ok(rows
            .into_iter()
            .map(|(k, n)| (k, n.max(0) as u64))
            .collect())
    }

    async fn reseal_orders(
        &self,
        after: i64,
        limit: u32,
        plain_only: bool,
    ) -> Result<(u64, Option<i64>)> {
        let mut tx = self.begin().await?;
        let out = reseal_batch(&mut tx, &self.personal, after, limit, plain_only).await?;
        tx.commit().await.map_err(pg_err)?;
        Ok(out)
    }

    async fn purge_personal_data(
        &self,
        closed_before: Timestamp,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<OrderId>> {
        let mut tx = self.begin().await?;
        let purged = purge_batch(
            &mut tx,
            &self.personal,
            closed_before.timestamp(),
            now,
            limit,
        )
        .await?;
        tx.commit().await.map_err(pg_err)?;
        Ok(purged)
    }

    async fn purge_login_guard(
        &self,
        counters_before: Timestamp,
        known_before: Timestamp,
    ) -> Result<u64> {
        use query::personal::{GUARD_COUNTERS, GUARD_KNOWN};
        let mut tx = self.begin().await?;
        let mut n = 0;
        for (sqls, at) in [
            (&GUARD_COUNTERS[..], counters_before.timestamp()),
            (&GUARD_KNOWN[..], known_before.timestamp()),
        ] {
            for text in sqls {
                let stmt = (0..text.matches('?').count()).fold(sql(text), |q, _| q.bind(at));
                n += stmt
                    .execute(&mut *tx)
                    .await
                    .map_err(pg_err)?
                    .rows_affected();
            }
        }
        tx.commit().await.map_err(pg_err)?;
        Ok(n)
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
        sqlx::query(
            "SELECT setval(pg_get_serial_sequence('orders', 'id'), GREATEST((SELECT MAX(id) FROM orders), 1))",
        )
        .execute(&mut *tx)
        .await
        .map_err(pg_err)?;
        let mut last_of_day: std::collections::BTreeMap<&str, i64> = Default::default();
        for (o, _) in &batch {
            if let Some((day, seq)) = o.number.as_str().split_once('-') {
                let seq = seq.parse::<i64>().unwrap_or(0);
                let last = last_of_day.entry(day).or_default();
                *last = (*last).max(seq);
            }
        }
        for (day, last) in last_of_day {
            sql("INSERT INTO order_day_seq (day, last) VALUES (?, ?) \
                 ON CONFLICT (day) DO UPDATE SET last = GREATEST(order_day_seq.last, excluded.last)")
            .bind(day)
            .bind(last)
            .execute(&mut *tx)
            .await
            .map_err(pg_err)?;
        }
        append_audit_tx(&mut tx, audit).await?;
        tx.commit().await.map_err(pg_err)
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
        tx.commit().await.map_err(pg_err)
    }

    async fn touch_session(&self, token_hash: &str, now: Timestamp) -> Result<()> {
        sql("UPDATE sessions SET last_seen = ? WHERE token_hash = ?")
            .bind(now.timestamp())
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(pg_err)?;
        Ok(())
    }

    async fn begin_login(&self, attempt: &LoginAttempt, guard: LoginGuard) -> Result<LoginGate> {
        let mut tx = self.begin().await?;
        let rows = gate_rows(&mut tx, attempt).await?;
        let step = login_gate_step(rows, attempt.at.timestamp(), guard);
        put_gate_step(&mut tx, attempt, &step).await?;
        tx.commit().await.map_err(pg_err)?;
        Ok(step.gate)
    }

    async fn login_succeeded(&self, attempt: &LoginAttempt, guard: LoginGuard) -> Result<()> {
        let (name, address) = (attempt.username.as_str(), attempt.address.as_str());
        let at = attempt.at.timestamp();
        let mut tx = self.begin().await?;
        // The name's row first, as `begin_login` takes it, so the two never deadlock.
        let steps = [
            bound(login::UNCOUNT_NAME, vec![text(name), Param::Int(at)]),
            bound(login::CLEAR_PAIR, vec![text(name), text(address)]),
            bound(login::KNOW, vec![text(name), text(address), Param::Int(at)]),
            bound(
                login::FORGET,
                vec![text(name), Param::Int(at - guard.known_for_secs)],
            ),
        ];
        for step in steps {
            step.execute(&mut *tx).await.map_err(pg_err)?;
        }
        tx.commit().await.map_err(pg_err)
    }

    async fn login_failed(&self, attempt: &LoginAttempt) -> Result<()> {
        let key = login::address_key(&attempt.address);
        let minute = login::minute_of(attempt.at.timestamp());
        bound(
            login::COUNT_ADDRESS,
            vec![Param::Text(key), Param::Int(minute)],
        )
        .execute(&self.pool)
        .await
        .map_err(pg_err)?;
        Ok(())
    }

    async fn hit_rate_limit(
        &self,
        key: &str,
        now: Timestamp,
        window_secs: i64,
        limit: i64,
    ) -> Result<Option<i64>> {
        let mut tx = self.begin().await?;
        // Make sure the row exists, then take it for this transaction.
        sql("INSERT INTO rate_counters (key, window_start, count) VALUES (?, 0, 0) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .execute(&mut *tx)
            .await
            .map_err(pg_err)?;
        let r = sql("SELECT window_start, count FROM rate_counters WHERE key = ? FOR UPDATE")
            .bind(key)
            .fetch_one(&mut *tx)
            .await
            .map_err(pg_err)?;
        let row: (i64, i64) = (r.try_get(0).map_err(pg_err)?, r.try_get(1).map_err(pg_err)?);
        let (start, count, wait) = rate_step(Some(row), now.timestamp(), window_secs, limit);
        sql("UPDATE rate_counters SET window_start = ?, count = ? WHERE key = ?")
            .bind(start)
            .bind(count)
            .bind(key)
            .execute(&mut *tx)
            .await
            .map_err(pg_err)?;
        tx.commit().await.map_err(pg_err)?;
        Ok(wait)
    }

    async fn create_api_key(&self, key: ApiKeyRecord, audit: AuditRecord) -> Result<ApiKeyRecord> {
        let mut tx = self.begin().await?;
        let id: i64 = sql("INSERT INTO api_keys (name, key_hash, unit, actions, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id")
            .bind(&key.name)
            .bind(&key.key_hash)
            .bind(key.unit.as_str())
            .bind(key.actions.join(","))
            .bind(key.created_at.timestamp())
            .fetch_one(&mut *tx)
            .await
            .map_err(pg_err)?
            .try_get(0)
            .map_err(pg_err)?;
        append_audit_tx(&mut tx, audit).await?;
        tx.commit().await.map_err(pg_err)?;
        Ok(ApiKeyRecord { id, ..key })
    }

    async fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>> {
        let row = sql("SELECT id, name, key_hash, unit, actions, created_at, revoked_at FROM api_keys WHERE key_hash = ?").bind(key_hash).fetch_optional(&self.pool).await.map_err(pg_err)?;
        row.as_ref().map(pg_api_key).transpose()
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>> {
        let rows = sqlx::query("SELECT id, name, key_hash, unit, actions, created_at, revoked_at FROM api_keys ORDER BY name").fetch_all(&self.pool).await.map_err(pg_err)?;
        rows.iter().map(pg_api_key).collect()
    }

    async fn revoke_api_key(&self, name: &str, at: Timestamp, audit: AuditRecord) -> Result<()> {
        let mut tx = self.begin().await?;
        let done = sql("UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL")
            .bind(at.timestamp())
            .bind(name)
            .execute(&mut *tx)
            .await
            .map_err(pg_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        append_audit_tx(&mut tx, audit).await?;
        tx.commit().await.map_err(pg_err)
    }

    async fn append_audit(&self, record: AuditRecord) -> Result<()> {
        let mut tx = self.begin().await?;
        append_audit_tx(&mut tx, record).await?;
        tx.commit().await.map_err(pg_err)
    }

    async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let q = query::audit_entries(filter);
        let rows = bound(&q.text, q.params)
            .fetch_all(&self.pool)
            .await
            .map_err(pg_err)?;
        rows.iter()
            .map(|r| audit_entry(decode::<AuditRow>(r)?))
            .collect()
    }

    async fn count_by_status(&self) -> Result<Vec<(String, i64)>> {
        let rows =
            sqlx::query("SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY status")
                .fetch_all(&self.pool)
                .await
                .map_err(pg_err)?;
        rows.iter()
            .map(|r| Ok((r.try_get(0).map_err(pg_err)?, r.try_get(1).map_err(pg_err)?)))
            .collect()
    }
}
