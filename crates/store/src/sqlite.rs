//! The embedded SQLite store.
//!
//! Writes go through one writer thread that owns the write connection: it takes every
//! request waiting (up to [`MAX_BATCH`]), runs each inside its own SAVEPOINT with
//! cached prepared statements, commits the batch once (one fsync with
//! `synchronous=FULL`), and only then answers each request. A request that fails rolls
//! back alone. Reads use separate connections, which WAL lets run beside the writer,
//! and a checkpointer thread copies the WAL into the database file beside it too.
//! `docs/performance.md` has the measurements behind this design.

use async_trait::async_trait;
use hotline_domain::{
    Calendar, DeadlineRules, Event, Order, OrderId, OrderNumber, UnitCode, UserId, YearArrangement,
    shanghai, taxonomy::DomainCategory,
};
use rusqlite::{Connection, OptionalExtension, ToSql, params};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};

use crate::personal::{self, Personal};
use crate::query::login;
use crate::query::{self, Param};
use crate::records::*;
use crate::{
    ApiKeyRecord, AuditFilter, Created, LoginAttempt, LoginGate, LoginGuard, NewOrder, NewUser,
    OrderChange, OrderFilter, Result, SessionRecord, Store, StoreError, UnitRecord, UserRecord,
};
use hotline_domain::Timestamp;
use hotline_domain::audit::{AuditEntry, AuditRecord, RecordText, chain_rendered};

/// The most requests one commit takes.
pub const MAX_BATCH: usize = 512;

/// How often the background checkpointer copies the WAL into the database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

pub mod file;
mod kb;
mod stats;
mod two_factor;

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_init.sql")),
    (
        2,
        include_str!("../migrations/sqlite/0002_audit_and_login_guard.sql"),
    ),
    (3, include_str!("../migrations/sqlite/0003_api_keys.sql")),
    (
        4,
        include_str!("../migrations/sqlite/0004_knowledge_base.sql"),
    ),
    (
        5,
        include_str!("../migrations/sqlite/0005_report_counts.sql"),
    ),
    (
        6,
        include_str!("../migrations/sqlite/0006_unit_index_partial.sql"),
    ),
    (
        7,
        include_str!("../migrations/sqlite/0007_login_guard_per_address.sql"),
    ),
    (
        8,
        include_str!("../migrations/sqlite/0008_repair_stored_text.sql"),
    ),
    (
        9,
        include_str!("../migrations/sqlite/0009_duplicate_index_hotline.sql"),
    ),
    (10, include_str!("../migrations/sqlite/0010_readiness.sql")),
    (12, include_str!("../migrations/sqlite/0012_two_factor.sql")),
    (
        13,
        include_str!("../migrations/sqlite/0013_personal_data.sql"),
    ),
];

type Finisher = Box<dyn FnOnce(Option<StoreError>) + Send>;
type Job = Box<dyn FnOnce(&Connection) -> (bool, Finisher) + Send>;

pub struct SqliteStore {
    jobs: mpsc::Sender<Job>,
    /// Seals and opens the personal fields of every order document.
    personal: Arc<Personal>,
    readers: Arc<ReadPool>,
    counters: Mutex<Counters>,
    /// The checkpointer thread runs while this lives.
    _alive: Arc<()>,
}

struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl ReadPool {
    fn take(&self) -> Result<Connection> {
        if let Some(c) = self.idle.lock().expect("pool lock").pop() {
            return Ok(c);
        }
        let c = Connection::open(&self.path).map_err(backend)?;
        // A read after any commit starts by emptying the connection's page cache,
        // at a cost that grows with the cache: keep it small (point reads touch few
        // pages, and the operating system caches the file anyway).
        c.execute_batch(
            "PRAGMA busy_timeout = 5000; PRAGMA query_only = ON; PRAGMA cache_size = -128;",
        )
        .map_err(backend)?;
        Ok(c)
    }
    fn give_back(&self, c: Connection) {
        let mut idle = self.idle.lock().expect("pool lock");
        if idle.len() < 8 {
            idle.push(c);
        }
    }
}

pub(crate) fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn sql_err(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, msg) = &e
        && f.code == rusqlite::ErrorCode::ConstraintViolation
    {
        // "UNIQUE constraint failed: units.code": the table is all that is kept.
        let table = msg
            .as_deref()
            .and_then(|m| m.split_once(": "))
            .and_then(|(_, cols)| cols.split_once('.'))
            .map(|(table, _)| table);
        return crate::duplicate_of(table);
    }
    backend(e)
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies pending migrations,
    /// with personal data stored plain.
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_with(path, Personal::plain())
    }

    /// Opens the database with this codec for personal data: refuses to open when the
    /// stored data is sealed with keys it does not hold, and seals what is stored
    /// plain the first time encryption is on.
    pub fn open_with(path: &Path, personal: Arc<Personal>) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(backend)?;
        }
        let mut conn = Connection::open(path).map_err(backend)?;
        // Small pages: an order's entry in an index keyed by a hash (the phone
        // lookup) lands on a random page, and each commit writes every page it
        // touched whole; 2 KiB pages halve that traffic. Only a new database takes it.
        conn.execute_batch("PRAGMA page_size = 2048;")
            .map_err(backend)?;
        // The writer's cache is kept to 8 MiB: a commit that split an index page walks
        // the whole page cache (SQLite's rebalancing parks a page under the number of
        // the lock page at 1 GiB, so its end-of-transaction truncate scans every slot
        // until the file outgrows 1 GiB), and a larger cache measured slower, not faster.
        //
        // Its own checkpoints are a backstop (see `checkpointer`), but they are also
        // what restarts the WAL from its beginning (the background one never catches up
        // with a busy writer), and each stalls a commit while it copies what is left
        // and syncs the database file (tens of ms). At 64,000 pages (128 MiB) that
        // happens every few seconds at peak instead of several times a second: intake
        // p99 fell from 35–39 ms to 13–17 ms. The size limit gives the disk back after
        // a reader held the WAL from restarting.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA cache_size = -8192; \
             PRAGMA wal_autocheckpoint = 64000; PRAGMA journal_size_limit = 134217728; \
             PRAGMA secure_delete = FAST;",
        )
        .map_err(backend)?;
        conn.set_prepared_statement_cache_capacity(64);
        migrate(&mut conn)?;
        prepare_personal_data(&conn, &personal)?;
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx))
            .map_err(backend)?;
        let alive = Arc::new(());
        let checkpoints = Connection::open(path).map_err(backend)?;
        let watch = Arc::downgrade(&alive);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpointer(checkpoints, watch))
            .map_err(backend)?;
        let next_id: i64 = migrated_next_id(path)?;
        Ok(SqliteStore {
            counters: Mutex::new(Counters {
                next_id,
                ..Counters::default()
            }),
            jobs: tx,
            personal,
            readers: Arc::new(ReadPool {
                path: path.to_owned(),
                idle: Mutex::new(Vec::new()),
            }),
            _alive: alive,
        })
    }

    /// Everything about a new order that does not need the writer: its id and number,
    /// its possible duplicates (a read), its deadlines and its JSON.
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
            OrderId(id),
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
                since: new.now.timestamp() - new.duplicate_window_days * 86_400,
            },
            idempotency: new.idempotency,
            audit: new.audit.map(|mut a| {
                a.object = Some(format!("order:{id}"));
                Audit::from(a)
            }),
        })
    }

    /// Runs `f` on the writer thread inside the next group commit.
    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let res = f(conn);
            let ok = res.is_ok();
            let finish: Finisher = Box::new(move |commit_err| {
                let out = match commit_err {
                    Some(e) if ok => Err(e),
                    _ => res,
                };
                let _ = tx.send(out);
            });
            (ok, finish)
        });
        self.jobs
            .send(job)
            .map_err(|_| backend("the writer has stopped"))?;
        rx.await
            .map_err(|_| backend("the writer dropped the request"))?
    }

    /// A point read (one row by key) runs right here: on a WAL connection it takes
    /// microseconds and never waits for the writer, far less than handing it to the
    /// blocking pool and back.
    fn read_now<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.readers.take()?;
        let out = f(&conn);
        self.readers.give_back(conn);
        out
    }

    /// Reads that may scan run on the blocking pool.
    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let pool = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let conn = pool.take()?;
            let out = f(&conn);
            pool.give_back(conn);
            out
        })
        .await
        .map_err(backend)?
    }
}

/// What the login guard knows about an attempt's address, pair and name.
fn gate_rows(c: &Connection, a: &LoginAttempt) -> Result<GateRows> {
    let (name, address) = (a.username.as_str(), a.address.as_str());
    let key = login::address_key(address);
    let one = |sql: &str, p: &[&dyn ToSql], cols: usize| -> Result<Option<Vec<i64>>> {
        c.prepare_cached(sql)
            .and_then(|mut s| {
                s.query_row(p, |r| (0..cols).map(|i| r.get(i)).collect())
                    .optional()
            })
            .map_err(backend)
    };
    Ok(GateRows {
        address: one(login::ADDRESS, &[&key], 2)?.map(|v| (v[0], v[1])),
        pair: one(login::PAIR, &[&name, &address], 3)?.map(|v| (v[0], v[1], v[2])),
        name: one(login::NAME, &[&name], 2)?.map(|v| (v[0], v[1])),
        known_at: one(login::KNOWN, &[&name, &address], 1)?.map(|v| v[0]),
    })
}

/// Stores the counts the guard decided on.
fn put_gate_step(c: &Connection, a: &LoginAttempt, step: &GateStep) -> Result<()> {
    let (name, address) = (a.username.as_str(), a.address.as_str());
    if let Some((start, count)) = step.address {
        let key = login::address_key(address);
        exec(c, login::PUT_ADDRESS, &[&key, &start, &count])?;
    }
    if let Some((failures, first, until)) = step.pair {
        exec(
            c,
            login::PUT_PAIR,
            &[&name, &address, &failures, &first, &until],
        )?;
    }
    if let Some((failures, first)) = step.name {
        exec(c, login::PUT_NAME, &[&name, &failures, &first])?;
    }
    Ok(())
}

/// Runs a cached statement.
fn exec(c: &Connection, sql: &str, p: &[&dyn ToSql]) -> Result<usize> {
    c.prepare_cached(sql)
        .and_then(|mut s| s.execute(p))
        .map_err(sql_err)
}

fn migrated_next_id(path: &Path) -> Result<i64> {
    let c = Connection::open(path).map_err(backend)?;
    c.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM orders", [], |r| {
        r.get(0)
    })
    .map_err(backend)
}

/// Rewrites the stored documents holding refused control characters (see
/// [`query::repaired_document`]); how many it rewrote.
fn repair_stored_text(c: &Connection) -> Result<u64> {
    let mut repaired = 0;
    for (table, key, column) in query::REPAIRED_DOCUMENTS {
        let sql = query::may_need_repair_sql(query::Dialect::Sqlite, table, key, column);
        let found: Vec<(i64, String)> = c
            .prepare(&sql)
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()
            })
            .map_err(backend)?;
        for (id, doc) in found {
            if let Some(fixed) = query::repaired_document(&doc) {
                c.execute(
                    &format!("UPDATE {table} SET {column} = ? WHERE {key} = ?"),
                    params![fixed, id],
                )
                .map_err(backend)?;
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

/// At open: the keys must open what is stored (one sealed order per key id in use);
/// the first time encryption is on, every order stored plain is sealed (in batches,
/// each its own transaction, so an interrupted start picks up where it stopped).
fn prepare_personal_data(conn: &Connection, personal: &Personal) -> Result<()> {
    use query::personal::{SAMPLES, SEALED_SETTING};
    let samples: Vec<(String, String)> = conn
        .prepare(SAMPLES)
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()
        })
        .map_err(backend)?;
    personal::check_samples(personal, &samples)?;
    if !personal.is_on() {
        // Orders written from now on are plain: seal them when it is turned on again.
        conn.execute("DELETE FROM settings WHERE key = ?", [SEALED_SETTING])
            .map_err(backend)?;
        return Ok(());
    }
    let sealed: Option<String> = conn
        .query_row(
            "SELECT value FROM settings WHERE key = ?",
            [SEALED_SETTING],
            |r| r.get(0),
        )
        .optional()
        .map_err(backend)?;
    if sealed.is_some() {
        return Ok(());
    }
    let (mut after, mut total) = (0, 0);
    loop {
        conn.execute_batch("BEGIN IMMEDIATE").map_err(backend)?;
        let step = scrubbing(conn, || reseal_batch(conn, personal, after, 500, true));
        let done = match step {
            Ok((n, next)) => {
                conn.execute_batch("COMMIT").map_err(backend)?;
                total += n;
                next
            }
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        };
        match done {
            Some(id) => after = id,
            None => break,
        }
    }
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, 'true') \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [SEALED_SETTING],
    )
    .map_err(backend)?;
    if total > 0 {
        // The plain text lived on in the WAL's older frames: copy the sealed pages
        // into the database file and empty the WAL (best effort: a reader may hold it).
        let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
        tracing::info!(orders = total, "personal data of stored orders encrypted");
    }
    Ok(())
}

/// Runs `f` with deleted content overwritten with zeros, freed pages included: the
/// plain text (or the old key's ciphertext) an update replaces must not live on in
/// free space. The writer otherwise runs with `FAST`, which zeroes only what costs no
/// extra writes.
fn scrubbing<T>(c: &Connection, f: impl FnOnce() -> Result<T>) -> Result<T> {
    c.execute_batch("PRAGMA secure_delete = ON")
        .map_err(backend)?;
    let out = f();
    let _ = c.execute_batch("PRAGMA secure_delete = FAST");
    out
}

/// One batch of [`Store::reseal_orders`], inside the caller's transaction.
fn reseal_batch(
    c: &Connection,
    personal: &Personal,
    after: i64,
    limit: u32,
    plain_only: bool,
) -> Result<(u64, Option<i64>)> {
    use query::personal::{NOT_CURRENT, PLAIN, RESEAL};
    type Row = (i64, i64, String, Option<String>);
    let current = personal.current_key().unwrap_or_default();
    let read = |r: &rusqlite::Row| -> rusqlite::Result<Row> {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    };
    let rows: Vec<Row> = if plain_only {
        c.prepare_cached(PLAIN).and_then(|mut s| {
            s.query_map(params![after, limit], read)?
                .collect::<rusqlite::Result<_>>()
        })
    } else {
        c.prepare_cached(NOT_CURRENT).and_then(|mut s| {
            s.query_map(params![after, current, limit], read)?
                .collect::<rusqlite::Result<_>>()
        })
    }
    .map_err(sql_err)?;
    let last = rows.last().map(|r| r.0);
    let mut n = 0;
    for (id, version, doc, address_key) in rows {
        let (doc, key, address_key) = personal::resealed(personal, &doc, address_key)?;
        n += exec(c, RESEAL, &[&doc, &key, &address_key, &id, &version])? as u64;
    }
    Ok((n, last))
}

/// One batch of [`Store::purge_personal_data`], inside the caller's transaction.
fn purge_batch(
    c: &Connection,
    personal: &Personal,
    closed_before: i64,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<OrderId>> {
    use query::personal::{PURGE, TO_PURGE};
    let rows: Vec<(i64, i64, String)> = c
        .prepare_cached(TO_PURGE)
        .and_then(|mut s| {
            s.query_map(params![closed_before, limit], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<_>>()
        })
        .map_err(sql_err)?;
    let mut purged = Vec::new();
    for (id, version, doc) in rows {
        let (order, event) = personal::purged(personal.open_order(&doc)?, now);
        let (doc, key) = personal.seal_order(&order)?;
        let at = now.timestamp();
        if exec(c, PURGE, &[&doc, &order.version, &key, &at, &id, &version])? == 1 {
            insert_event(c, order.id, &event)?;
            purged.push(order.id);
        }
    }
    Ok(purged)
}

fn migrate(conn: &mut Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)",
    )
    .map_err(backend)?;
    for (version, sql) in MIGRATIONS {
        let done: bool = conn
            .query_row(
                "SELECT 1 FROM schema_migrations WHERE version = ?",
                [version],
                |_| Ok(()),
            )
            .optional()
            .map_err(backend)?
            .is_some();
        if done {
            continue;
        }
        let tx = conn.transaction().map_err(backend)?;
        tx.execute_batch(sql).map_err(backend)?;
        if *version == query::REPAIR_TEXT_VERSION {
            repair_stored_text(&tx)?;
        }
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES (?)",
            [version],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
    }
    Ok(())
}

/// Copies committed pages from the WAL into the database file, beside the writer.
///
/// Left to the writer, a checkpoint runs inside the commit that crosses the WAL limit:
/// thousands of pages written and the database file synced while every request of the
/// batch waits (under intake load, one commit in a few dozen). A PASSIVE checkpoint
/// on its own connection takes no lock the writer needs, so here it costs the writer
/// nothing; the writer's own checkpoint then finds little left to copy, and restarts
/// the WAL from its beginning.
///
/// Every half second rather than more often: each pass ends by syncing the database
/// file, and those syncs queue on the disk beside the commits' syncs of the WAL; at
/// 100 ms intake measured 4 % slower with a higher p99, and a page rewritten by many
/// commits (the end of each index) is copied once a pass however often it changed.
fn checkpointer(conn: Connection, alive: std::sync::Weak<()>) {
    if let Err(e) = conn.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA synchronous = FULL;") {
        tracing::warn!(error = %e, "the checkpointer could not start");
        return;
    }
    while alive.strong_count() > 0 {
        std::thread::sleep(CHECKPOINT_EVERY);
        let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        if let Err(e) = done {
            tracing::warn!(error = %e, "checkpoint failed");
        }
    }
}

fn writer_loop(conn: Connection, rx: mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(&conn, batch);
    }
}

/// Runs one statement without parameters from the statement cache: the writer runs
/// BEGIN, SAVEPOINT, RELEASE and COMMIT for every batch and job, and parsing them
/// each time showed in profiles.
fn run_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

fn run_batch(conn: &Connection, batch: Vec<Job>) {
    if let Err(e) = run_cached(conn, "BEGIN IMMEDIATE") {
        // Dropping the jobs unrun answers each caller with an error.
        tracing::error!(error = %e, "could not begin a group commit");
        return;
    }
    let mut finishers = Vec::with_capacity(batch.len());
    for job in batch {
        let savepoint = run_cached(conn, "SAVEPOINT job");
        let (ok, finish) = match savepoint {
            Ok(()) => job(conn),
            Err(e) => {
                // The job is dropped unrun, which answers its caller with an error.
                tracing::error!(error = %e, "savepoint failed");
                (false, Box::new(|_| {}) as Finisher)
            }
        };
        let end = if ok {
            run_cached(conn, "RELEASE job")
        } else {
            forget_writer_memory();
            run_cached(conn, "ROLLBACK TO job").and_then(|()| run_cached(conn, "RELEASE job"))
        };
        if let Err(e) = end {
            tracing::error!(error = %e, "savepoint end failed");
        }
        finishers.push(finish);
    }
    let commit_err = run_cached(conn, "COMMIT").err().map(|e| {
        forget_writer_memory();
        tracing::error!(error = %e, "group commit failed");
        let _ = conn.execute_batch("ROLLBACK");
        backend(e)
    });
    for finish in finishers {
        finish(commit_err.clone());
    }
}

/// The orders whose `doc` a query selects.
fn order_docs(
    c: &Connection,
    personal: &Personal,
    sql: &str,
    params: &[&dyn ToSql],
) -> Result<Vec<Order>> {
    let mut s = c.prepare_cached(sql).map_err(backend)?;
    let rows = s
        .query_map(params, |r| r.get::<_, String>(0))
        .map_err(backend)?;
    rows.map(|r| personal.open_order(&r.map_err(backend)?))
        .collect()
}

fn bind(params: &[Param]) -> Vec<&dyn ToSql> {
    params
        .iter()
        .map(|p| match p {
            Param::Text(s) => s as &dyn ToSql,
            Param::Int(i) => i as &dyn ToSql,
        })
        .collect()
}

fn unit_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UnitRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn user_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<UserRow> {
    Ok((
        r.get(at)?,
        r.get(at + 1)?,
        r.get(at + 2)?,
        r.get(at + 3)?,
        r.get(at + 4)?,
        r.get(at + 5)?,
    ))
}

fn read_events(c: &Connection, id: OrderId) -> Result<Vec<Event>> {
    let mut s = c
        .prepare_cached("SELECT at, type, actor, unit, note, data FROM order_events WHERE order_id = ? ORDER BY id")
        .map_err(backend)?;
    let rows = s
        .query_map([id.0], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .map_err(backend)?;
    rows.map(|r| event_record(r.map_err(backend)?)).collect()
}

fn insert_event(conn: &Connection, order: OrderId, e: &Event) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO order_events (order_id, at, type, actor, unit, note, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .and_then(|mut s| {
        s.execute(params![
            order.0,
            e.at.to_rfc3339(),
            e.kind.as_str(),
            e.actor,
            e.unit.as_ref().map(|u| u.as_str()),
            e.note,
            e.data.to_string()
        ])
    })
    .map_err(sql_err)?;
    Ok(())
}

/// An audit record in Beijing time with its text rendered, ready to be chained. The
/// busy paths (intake, actions) render it before handing it to the writer, whose
/// time is the one every commit waits for.
struct Audit {
    record: AuditRecord,
    text: RecordText,
}

impl From<AuditRecord> for Audit {
    fn from(mut record: AuditRecord) -> Self {
        record.at = record.at.with_timezone(&shanghai());
        let text = RecordText::of(&record);
        Audit { record, text }
    }
}

/// Appends to the hash chain; the writer runs one job at a time, so the last record
/// read here is the last record there is.
fn append_audit_tx(conn: &Connection, a: impl Into<Audit>) -> Result<()> {
    let Audit { record, text } = a.into();
    let last = match AUDIT_HEAD.with(|h| h.borrow().clone()) {
        Some(head) => Some(head),
        None => conn
            .prepare_cached("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
            .and_then(|mut s| {
                s.query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()
            })
            .map_err(sql_err)?,
    };
    let e = chain_rendered(
        last.as_ref().map(|(id, h)| (*id, h.as_str())),
        record,
        &text,
    );
    conn.prepare_cached(
        "INSERT INTO audit_log (id, at, actor, unit, address, action, object, detail, prev_hash, hash) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .and_then(|mut s| {
        s.execute(params![
            e.id,
            text.at,
            e.record.actor,
            e.record.unit,
            e.record.address,
            e.record.action,
            e.record.object,
            text.detail,
            e.prev_hash,
            e.hash
        ])
    })
    .map_err(sql_err)?;
    AUDIT_HEAD.with(|h| *h.borrow_mut() = Some((e.id, e.hash)));
    Ok(())
}

thread_local! {
    /// The last audit entry the writer appended, so that chaining the next one needs
    /// no read. Forgotten whenever a job or a commit fails, as the row may be gone.
    static AUDIT_HEAD: std::cell::RefCell<Option<(i64, String)>> = const { std::cell::RefCell::new(None) };
}

thread_local! {
    /// The merged orders registered since `.0` (Unix seconds), so that a duplicate
    /// lookup reads only its index: `status` is only in the table, and leaving the
    /// merged out in SQL read up to ten order rows per lookup. Merges are rare. Loaded
    /// at first use, and again once the window has moved on by a month (which drops
    /// the merges that fell out of it) or when a job or a commit fails.
    static MERGED: std::cell::RefCell<Option<(i64, std::collections::HashSet<i64>)>> =
        const { std::cell::RefCell::new(None) };
}

/// How far the duplicate window moves on before the merged orders are read again.
const MERGED_RELOAD_SECONDS: i64 = 31 * 86_400;

/// What the writer keeps in memory, forgotten whenever a job or a commit fails, as
/// the rows it stands for may be gone.
fn forget_writer_memory() {
    AUDIT_HEAD.with(|h| *h.borrow_mut() = None);
    MERGED.with(|m| *m.borrow_mut() = None);
}

/// Whether `id` is a merged order, for lookups of orders registered since `since`.
fn is_merged(c: &Connection, since: i64, id: i64) -> Result<bool> {
    MERGED.with(|m| {
        let mut m = m.borrow_mut();
        let fresh = matches!(&*m, Some((from, _)) if *from <= since && since - from < MERGED_RELOAD_SECONDS);
        if !fresh {
            let mut s = c
                .prepare_cached("SELECT id FROM orders WHERE status = 'merged' AND registered_at >= ?")
                .map_err(sql_err)?;
            let ids = s.query_map([since], |r| r.get::<_, i64>(0)).map_err(sql_err)?;
            *m = Some((since, ids.collect::<rusqlite::Result<_>>().map_err(sql_err)?));
        }
        Ok(m.as_ref().is_some_and(|(_, set)| set.contains(&id)))
    })
}

/// Notes a merge the writer just made (a no-op until the set is first loaded, which
/// reads the database, this write included).
fn note_merged(id: i64) {
    MERGED.with(|m| {
        if let Some((_, set)) = m.borrow_mut().as_mut() {
            set.insert(id);
        }
    });
}

/// Ids and daily numbers, handed out in memory: one process owns an SQLite database,
/// so counting here (from what the database holds at open, and per day at first use)
/// keeps that work out of the writer. A number given to a request that then fails is
/// skipped, never reused.
#[derive(Default)]
struct Counters {
    next_id: i64,
    day: Option<chrono::NaiveDate>,
    last_seq: u64,
}

fn day_range(day: chrono::NaiveDate) -> (String, String) {
    let d = day.format("%Y%m%d").to_string();
    (format!("{d}-"), format!("{d}."))
}

/// The highest sequence number already used on `day`.
fn last_seq_of_day(c: &Connection, day: chrono::NaiveDate) -> Result<u64> {
    let (from, to) = day_range(day);
    c.query_row(
        "SELECT COALESCE(MAX(CAST(substr(number, 10) AS INTEGER)), 0) FROM orders WHERE number >= ? AND number < ?",
        params![from, to],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n as u64)
    .map_err(backend)
}

/// What a new order's possible duplicates are looked up by.
struct DuplicateKeys {
    phone_hash: Option<String>,
    address_key: Option<String>,
    /// Registered at or after this (Unix seconds): the duplicate window.
    since: i64,
}

/// The possible duplicates listed for each key (phone, address).
const DUPLICATES_PER_KEY: usize = 10;

/// Orders with the same phone hash or address in the window, newest first.
/// Each with its owning hotline, read from the same index (it covers the column).
fn find_duplicates(c: &Connection, keys: &DuplicateKeys) -> Result<Vec<(OrderId, UnitCode)>> {
    let since = keys.since;
    let mut dups: Vec<(OrderId, UnitCode)> = Vec::new();
    for (sql, key) in [
        (
            "SELECT id, hotline FROM orders WHERE phone_hash = ? AND registered_at >= ? ORDER BY registered_at DESC",
            &keys.phone_hash,
        ),
        (
            "SELECT id, hotline FROM orders WHERE address_key = ? AND registered_at >= ? ORDER BY registered_at DESC",
            &keys.address_key,
        ),
    ] {
        let Some(key) = key else { continue };
        let mut s = c.prepare_cached(sql).map_err(sql_err)?;
        let mut rows = s.query(params![key, since]).map_err(sql_err)?;
        let mut taken = 0;
        while taken < DUPLICATES_PER_KEY {
            let Some(row) = rows.next().map_err(sql_err)? else {
                break;
            };
            let id: i64 = row.get(0).map_err(sql_err)?;
            if is_merged(c, since, id)? {
                continue;
            }
            taken += 1;
            if !dups.iter().any(|(d, _)| d.0 == id) {
                let hotline: String = row.get(1).map_err(sql_err)?;
                dups.push((OrderId(id), UnitCode::parse(&hotline).map_err(backend)?));
            }
        }
    }
    dups.sort_by_key(|d| std::cmp::Reverse(d.0));
    Ok(dups)
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
    idempotency: Option<crate::IdempotencyKey>,
    audit: Option<Audit>,
}

/// Inside the writer: the idempotency check (it must be atomic with the insert), the
/// possible duplicates and the inserts themselves. The duplicates are looked up here
/// rather than beforehand on a reader: the writer's page cache holds the recent orders
/// (a reader's cache is dropped at every commit), and an order registered earlier in
/// the same batch is found too.
fn insert_order_tx(conn: &Connection, mut p: PreparedOrder) -> Result<Created> {
    if let Some(key) = &p.idempotency
        && let Some(replay) = idempotent_replay(conn, &p.personal, key)?
    {
        return Ok(replay);
    }
    let duplicate_hotlines = find_duplicates(conn, &p.duplicates)?;
    let dups: Vec<OrderId> = duplicate_hotlines.iter().map(|(id, _)| *id).collect();
    append_duplicates(&mut p.doc, &dups);
    p.order.possible_duplicates = dups;
    let o = &p.order;
    conn.prepare_cached(
        "INSERT INTO orders (id, number, hotline, unit, status, kind, region, deadline, registered_at, \
         phone_hash, address_key, version, doc, pd_key) VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .and_then(|mut s| {
        s.execute(params![
            o.id.0,
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
        ])
    })
    .map_err(sql_err)?;
    insert_event(conn, o.id, &p.event)?;
    if let Some(audit) = p.audit {
        append_audit_tx(conn, audit)?;
    }
    if let Some(key) = &p.idempotency {
        conn.prepare_cached(
            "INSERT INTO idempotency_keys (scope, key, body_hash, order_id, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .and_then(|mut s| s.execute(params![key.scope, key.key, key.body_hash, o.id.0, o.registered_at.timestamp()]))
        .map_err(sql_err)?;
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
    let ids: Vec<String> = dups.iter().map(|d| d.0.to_string()).collect();
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
    key: &crate::IdempotencyKey,
) -> Result<Option<Created>> {
    let found: Option<(String, i64, i64)> = conn
        .prepare_cached("SELECT body_hash, order_id, created_at FROM idempotency_keys WHERE scope = ? AND key = ?")
        .and_then(|mut s| s.query_row(params![key.scope, key.key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional())
        .map_err(sql_err)?;
    match found {
        None => Ok(None),
        Some((_, _, created)) if created < key.not_before.timestamp() => {
            conn.execute(
                "DELETE FROM idempotency_keys WHERE scope = ? AND key = ?",
                params![key.scope, key.key],
            )
            .map_err(sql_err)?;
            Ok(None)
        }
        Some((hash, _, _)) if hash != key.body_hash => Err(StoreError::IdempotencyKeyReused),
        Some((_, id, _)) => {
            let doc: String = conn
                .query_row("SELECT doc FROM orders WHERE id = ?", [id], |r| r.get(0))
                .map_err(sql_err)?;
            Ok(Some(Created {
                order: personal.open_order(&doc)?,
                events: read_events(conn, OrderId(id))?,
                replayed: true,
                duplicate_hotlines: Vec::new(),
            }))
        }
    }
}

fn insert_co_units(conn: &Connection, o: &Order) -> Result<()> {
    for u in &o.co_units {
        conn.prepare_cached("INSERT INTO order_co_units (unit, order_id) VALUES (?, ?)")
            .and_then(|mut s| s.execute(params![u.as_str(), o.id.0]))
            .map_err(sql_err)?;
    }
    Ok(())
}

fn record_change(conn: &Connection, personal: &Personal, c: &OrderChange) -> Result<()> {
    let o = &c.order;
    let (doc, pd_key) = personal.seal_order(o)?;
    let updated = conn
        .prepare_cached(
            "UPDATE orders SET hotline = ?, unit = ?, status = ?, deadline = ?, version = ?, doc = ?, \
             pd_key = ?, closed_at = ? WHERE id = ? AND version = ?",
        )
        .and_then(|mut s| {
            s.execute(params![
                o.hotline.as_str(),
                o.unit.as_ref().map(|u| u.as_str()),
                o.status.as_str(),
                o.deadline.map(|d| d.timestamp()),
                o.version,
                doc,
                pd_key,
                personal::closed_at(o),
                o.id.0,
                o.version - 1
            ])
        })
        .map_err(sql_err)?;
    if updated != 1 {
        return Err(StoreError::VersionConflict);
    }
    if o.status == hotline_domain::Status::Merged {
        note_merged(o.id.0);
    }
    conn.prepare_cached("DELETE FROM order_co_units WHERE order_id = ?")
        .and_then(|mut s| s.execute([o.id.0]))
        .map_err(sql_err)?;
    insert_co_units(conn, o)?;
    insert_event(conn, o.id, &c.event)
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<()> {
        self.read(|c| c.query_row("SELECT 1", [], |_| Ok(())).map_err(backend))
            .await
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn repair_stored_text(&self) -> Result<u64> {
        self.write(repair_stored_text).await
    }

    async fn probe_write(&self, at: Timestamp) -> Result<()> {
        let at = at.timestamp();
        self.write(move |c| exec(c, query::PROBE_WRITE, &[&at]).map(drop))
            .await
    }

    async fn create_unit(&self, unit: UnitRecord) -> Result<UnitRecord> {
        self.write(move |c| {
            c.execute(
                "INSERT INTO units (code, name, kind, parent, region, active) VALUES (?, ?, ?, ?, ?, ?)",
                params![
                    unit.code.as_str(),
                    unit.name,
                    unit.kind.as_str(),
                    unit.parent.as_ref().map(|p| p.as_str()),
                    unit.region.as_str(),
                    unit.active
                ],
            )
            .map_err(sql_err)?;
            Ok(unit)
        })
        .await
    }

    async fn list_units(&self) -> Result<Vec<UnitRecord>> {
        self.read(|c| {
            let mut s = c
                .prepare_cached(
                    "SELECT code, name, kind, parent, region, active FROM units ORDER BY code",
                )
                .map_err(backend)?;
            let rows = s.query_map([], unit_from_row).map_err(backend)?;
            rows.map(|r| unit_record(r.map_err(backend)?)).collect()
        })
        .await
    }

    async fn update_unit(&self, u: UnitRecord, audit: AuditRecord) -> Result<()> {
        self.write(move |c| {
            let n = c
                .execute(
                    "UPDATE units SET name = ?, parent = ?, active = ? WHERE code = ?",
                    params![
                        u.name,
                        u.parent.as_ref().map(|p| p.as_str()),
                        u.active,
                        u.code.as_str()
                    ],
                )
                .map_err(sql_err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            append_audit_tx(c, audit)
        })
        .await
    }

    async fn list_users(&self) -> Result<Vec<UserRecord>> {
        self.read(|c| {
            let mut s = c
                .prepare_cached("SELECT id, username, password_hash, roles, unit, active FROM users ORDER BY username")
                .map_err(backend)?;
            let rows = s.query_map([], |r| user_row(r, 0)).map_err(backend)?;
            rows.map(|r| user_record(r.map_err(backend)?)).collect()
        })
        .await
    }

    async fn update_user(&self, u: UserRecord, audit: AuditRecord) -> Result<()> {
        self.write(move |c| {
            let old: Option<(String, bool)> = c
                .query_row(
                    "SELECT password_hash, active FROM users WHERE id = ?",
                    [u.id.0],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(sql_err)?;
            let (old_hash, _) = old.ok_or(StoreError::NotFound)?;
            c.execute(
                "UPDATE users SET password_hash = ?, roles = ?, unit = ?, active = ? WHERE id = ?",
                params![
                    u.password_hash,
                    roles_to_text(&u.roles),
                    u.unit.as_ref().map(|x| x.as_str()),
                    u.active,
                    u.id.0
                ],
            )
            .map_err(sql_err)?;
            if !u.active || old_hash != u.password_hash {
                c.execute("DELETE FROM sessions WHERE user_id = ?", [u.id.0])
                    .map_err(sql_err)?;
            }
            append_audit_tx(c, audit)
        })
        .await
    }

    async fn create_user(&self, u: NewUser) -> Result<UserRecord> {
        self.write(move |c| {
            c.execute(
                "INSERT INTO users (username, password_hash, roles, unit, active) VALUES (?, ?, ?, ?, 1)",
                params![u.username, u.password_hash, roles_to_text(&u.roles), u.unit.as_ref().map(|x| x.as_str())],
            )
            .map_err(sql_err)?;
            Ok(UserRecord {
                id: UserId(c.last_insert_rowid()),
                username: u.username,
                password_hash: u.password_hash,
                roles: u.roles,
                unit: u.unit,
                active: true,
            })
        })
        .await
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>> {
        let username = username.to_owned();
        self.read_now(move |c| {
            c.prepare_cached(
                "SELECT id, username, password_hash, roles, unit, active FROM users WHERE username = ?",
            )
            .and_then(|mut s| s.query_row([username], |r| user_row(r, 0)).optional())
            .map_err(backend)?
            .map(user_record)
            .transpose()
        })
    }

    async fn set_user_password(&self, username: &str, password_hash: &str) -> Result<()> {
        let (username, hash) = (username.to_owned(), password_hash.to_owned());
        self.write(move |c| {
            let n = c
                .execute(
                    "UPDATE users SET password_hash = ? WHERE username = ?",
                    params![hash, username],
                )
                .map_err(sql_err)?;
            if n == 0 {
                Err(StoreError::NotFound)
            } else {
                Ok(())
            }
        })
        .await
    }

    async fn create_session(&self, s: SessionRecord) -> Result<()> {
        self.write(move |c| {
            c.prepare_cached(
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen, address) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    s.token_hash,
                    s.user_id.0,
                    s.created_at.timestamp(),
                    s.expires_at.timestamp(),
                    s.last_seen.timestamp(),
                    s.address
                ])
            })
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn session(&self, token_hash: &str) -> Result<Option<(SessionRecord, UserRecord)>> {
        let token_hash = token_hash.to_owned();
        self.read_now(move |c| {
            let row = c
                .prepare_cached(
                    "SELECT s.created_at, s.expires_at, s.last_seen, u.id, u.username, u.password_hash, u.roles, \
                     u.unit, u.active, s.address FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
                )
                .and_then(|mut s| {
                    s.query_row([&token_hash], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, user_row(r, 3)?, r.get(9)?))
                    })
                        .optional()
                })
                .map_err(backend)?;
            let Some((created, expires, seen, user, address)) = row else { return Ok(None) };
            let user = user_record(user)?;
            Ok(Some((
                SessionRecord {
                    token_hash,
                    user_id: user.id,
                    created_at: from_epoch(created),
                    expires_at: from_epoch(expires),
                    last_seen: from_epoch(seen),
                    address,
                },
                user,
            )))
        })
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        let token_hash = token_hash.to_owned();
        self.write(move |c| {
            c.execute("DELETE FROM sessions WHERE token_hash = ?", [token_hash])
                .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn user_sessions(&self, user: UserId) -> Result<Vec<SessionRecord>> {
        self.read(move |c| {
            let mut s = c
                .prepare_cached(
                    "SELECT token_hash, created_at, expires_at, last_seen, address FROM sessions \
                     WHERE user_id = ? ORDER BY created_at DESC, token_hash",
                )
                .map_err(backend)?;
            let rows = s
                .query_map([user.0], |r| {
                    Ok(SessionRecord {
                        token_hash: r.get(0)?,
                        user_id: user,
                        created_at: from_epoch(r.get(1)?),
                        expires_at: from_epoch(r.get(2)?),
                        last_seen: from_epoch(r.get(3)?),
                        address: r.get(4)?,
                    })
                })
                .map_err(backend)?;
            rows.map(|r| r.map_err(backend)).collect()
        })
        .await
    }

    async fn end_user_session(
        &self,
        user: UserId,
        token_hash: &str,
        audit: AuditRecord,
    ) -> Result<()> {
        let token_hash = token_hash.to_owned();
        self.write(move |c| {
            let n = c
                .execute(
                    "DELETE FROM sessions WHERE user_id = ? AND token_hash = ?",
                    params![user.0, token_hash],
                )
                .map_err(sql_err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            append_audit_tx(c, audit)
        })
        .await
    }

    async fn change_password(
        &self,
        user: UserId,
        password_hash: &str,
        keep: &str,
        audit: AuditRecord,
    ) -> Result<()> {
        let (hash, keep) = (password_hash.to_owned(), keep.to_owned());
        self.write(move |c| {
            let n = c
                .execute(
                    "UPDATE users SET password_hash = ? WHERE id = ?",
                    params![hash, user.0],
                )
                .map_err(sql_err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            c.execute(
                "DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?",
                params![user.0, keep],
            )
            .map_err(sql_err)?;
            append_audit_tx(c, audit)
        })
        .await
    }

    async fn calendar(&self) -> Result<Vec<YearArrangement>> {
        self.read(|c| {
            let mut s = c
                .prepare_cached("SELECT year, holidays, workdays FROM calendar_years ORDER BY year")
                .map_err(backend)?;
            let rows = s
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i32>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })
                .map_err(backend)?;
            rows.map(|r| {
                let (year, h, w) = r.map_err(backend)?;
                year_record(year, &h, &w)
            })
            .collect()
        })
        .await
    }

    async fn put_calendar_year(&self, y: YearArrangement) -> Result<()> {
        let (h, w) = year_texts(&y)?;
        self.write(move |c| {
            c.execute(
                "INSERT INTO calendar_years (year, holidays, workdays) VALUES (?, ?, ?) \
                 ON CONFLICT (year) DO UPDATE SET holidays = excluded.holidays, workdays = excluded.workdays",
                params![y.year, h, w],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn deadline_rules(&self) -> Result<Option<DeadlineRules>> {
        self.read(|c| {
            let v: Option<String> = c
                .query_row(
                    "SELECT value FROM settings WHERE key = 'deadline_rules'",
                    [],
                    |r| r.get(0),
                )
                .optional()
                .map_err(backend)?;
            v.map(|v| serde_json::from_str(&v).map_err(backend))
                .transpose()
        })
        .await
    }

    async fn put_deadline_rules(&self, rules: &DeadlineRules) -> Result<()> {
        let v = serde_json::to_string(rules).map_err(backend)?;
        self.write(move |c| {
            c.execute(
                "INSERT INTO settings (key, value) VALUES ('deadline_rules', ?) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [v],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn setting(&self, key: &str) -> Result<Option<String>> {
        let key = key.to_owned();
        self.read_now(move |c| {
            c.prepare_cached("SELECT value FROM settings WHERE key = ?")
                .and_then(|mut s| s.query_row([key], |r| r.get(0)).optional())
                .map_err(sql_err)
        })
    }

    async fn put_setting(&self, key: &str, value: String, audit: AuditRecord) -> Result<()> {
        let key = key.to_owned();
        self.write(move |c| {
            c.prepare_cached(
                "INSERT INTO settings (key, value) VALUES (?, ?) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .and_then(|mut s| s.execute(params![key, value]))
            .map_err(sql_err)?;
            append_audit_tx(c, audit)
        })
        .await
    }

    async fn taxonomy(&self) -> Result<Vec<DomainCategory>> {
        self.read(|c| {
            let mut s = c
                .prepare_cached("SELECT path, top_name, name FROM domain_categories ORDER BY path")
                .map_err(backend)?;
            let rows = s
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })
                .map_err(backend)?;
            rows.map(|r| {
                let (path, top_name, name) = r.map_err(backend)?;
                category(&path, top_name, name)
            })
            .collect()
        })
        .await
    }

    async fn put_domain_category(&self, cat: DomainCategory) -> Result<()> {
        self.write(move |c| {
            c.execute(
                "INSERT INTO domain_categories (path, top_name, name) VALUES (?, ?, ?) \
                 ON CONFLICT (path) DO UPDATE SET top_name = excluded.top_name, name = excluded.name",
                params![cat.path.to_string(), cat.top_name, cat.name],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

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
        let personal = self.personal.clone();
        self.read_now(move |c| {
            let doc: Option<String> = c
                .prepare_cached("SELECT doc FROM orders WHERE id = ?")
                .and_then(|mut s| s.query_row([id.0], |r| r.get(0)).optional())
                .map_err(backend)?;
            doc.map(|d| personal.open_order(&d)).transpose()
        })
    }

    async fn order_hotlines(&self, ids: &[OrderId]) -> Result<Vec<(OrderId, UnitCode)>> {
        let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
        self.read_now(move |c| {
            let mut s = c
                .prepare_cached("SELECT hotline FROM orders WHERE id = ?")
                .map_err(sql_err)?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let hotline: Option<String> = s
                    .query_row([id], |r| r.get(0))
                    .optional()
                    .map_err(sql_err)?;
                if let Some(h) = hotline {
                    out.push((OrderId(id), UnitCode::parse(&h).map_err(backend)?));
                }
            }
            Ok(out)
        })
    }

    async fn order_by_number(&self, number: &OrderNumber) -> Result<Option<Order>> {
        let number = number.as_str().to_owned();
        let personal = self.personal.clone();
        self.read_now(move |c| {
            let doc: Option<String> = c
                .prepare_cached("SELECT doc FROM orders WHERE number = ?")
                .and_then(|mut s| s.query_row([number], |r| r.get(0)).optional())
                .map_err(backend)?;
            doc.map(|d| personal.open_order(&d)).transpose()
        })
    }

    async fn events(&self, id: OrderId) -> Result<Vec<Event>> {
        self.read_now(move |c| read_events(c, id))
    }

    async fn list_orders(&self, filter: &OrderFilter) -> Result<Vec<Order>> {
        let sql = query::list_orders(filter, query::Dialect::Sqlite);
        let personal = self.personal.clone();
        self.read(move |c| order_docs(c, &personal, &sql.text, bind(&sql.params).as_slice()))
            .await
    }

    async fn count_orders_upto(&self, id: i64) -> Result<u64> {
        self.read(move |c| {
            c.query_row("SELECT count(*) FROM orders WHERE id <= ?", [id], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n.max(0) as u64)
            .map_err(sql_err)
        })
        .await
    }

    async fn order_texts_after(&self, after: i64, limit: u32) -> Result<Vec<(i64, String, i64)>> {
        let personal = self.personal.clone();
        self.read(move |c| {
            let mut s = c.prepare_cached(query::ORDER_DOCS_AFTER).map_err(sql_err)?;
            let rows = s
                .query_map(params![after, i64::from(limit)], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })
                .map_err(sql_err)?;
            let mut out = Vec::new();
            for row in rows {
                let (id, doc, at) = row.map_err(sql_err)?;
                out.push(personal.index_text(id, &doc, at));
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
            let sql = "SELECT doc FROM orders WHERE address_key = ? AND registered_at >= ? \
                       ORDER BY registered_at DESC LIMIT ?";
            order_docs(c, &personal, sql, params![key, since.timestamp(), limit])
        })
        .await
    }

    async fn orders_by_phone_hash(&self, phone_hash: &str, limit: u32) -> Result<Vec<Order>> {
        let hash = phone_hash.to_owned();
        let personal = self.personal.clone();
        self.read(move |c| {
            let sql = "SELECT doc FROM orders WHERE phone_hash = ? ORDER BY id DESC LIMIT ?";
            order_docs(c, &personal, sql, params![hash, limit])
        })
        .await
    }

    async fn record_transitions(
        &self,
        changes: Vec<OrderChange>,
        audit: Option<AuditRecord>,
    ) -> Result<()> {
        let audit = audit.map(Audit::from);
        let personal = self.personal.clone();
        self.write(move |c| {
            changes
                .iter()
                .try_for_each(|ch| record_change(c, &personal, ch))?;
            audit.map_or(Ok(()), |a| append_audit_tx(c, a))
        })
        .await
    }

    async fn import_orders(
        &self,
        batch: Vec<(Order, Vec<Event>)>,
        audit: AuditRecord,
    ) -> Result<()> {
        let last_id = batch.iter().map(|(o, _)| o.id.0).max().unwrap_or(0);
        let personal = self.personal.clone();
        self.write(move |c| {
            for (o, events) in &batch {
                stats::insert_whole(c, &personal, o, events)?;
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

    async fn personal_data_keys(&self) -> Result<Vec<(Option<String>, u64)>> {
        self.read(|c| {
            c.prepare(query::personal::KEYS)
                .and_then(|mut s| {
                    s.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?.max(0) as u64)))?
                        .collect::<rusqlite::Result<_>>()
                })
                .map_err(sql_err)
        })
        .await
    }

    async fn reseal_orders(
        &self,
        after: i64,
        limit: u32,
        plain_only: bool,
    ) -> Result<(u64, Option<i64>)> {
        let personal = self.personal.clone();
        self.write(move |c| scrubbing(c, || reseal_batch(c, &personal, after, limit, plain_only)))
            .await
    }

    async fn purge_personal_data(
        &self,
        closed_before: Timestamp,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<OrderId>> {
        let personal = self.personal.clone();
        let before = closed_before.timestamp();
        self.write(move |c| scrubbing(c, || purge_batch(c, &personal, before, now, limit)))
            .await
    }

    async fn purge_login_guard(
        &self,
        counters_before: Timestamp,
        known_before: Timestamp,
    ) -> Result<u64> {
        use query::personal::{GUARD_COUNTERS, GUARD_KNOWN};
        let (counters, known) = (counters_before.timestamp(), known_before.timestamp());
        self.write(move |c| {
            let mut n = 0;
            for (sqls, at) in [(&GUARD_COUNTERS[..], counters), (&GUARD_KNOWN[..], known)] {
                for sql in sqls {
                    let p: Vec<&dyn ToSql> = vec![&at; sql.matches('?').count()];
                    n += exec(c, sql, &p)? as u64;
                }
            }
            Ok(n)
        })
        .await
    }

    async fn touch_session(&self, token_hash: &str, now: Timestamp) -> Result<()> {
        let token_hash = token_hash.to_owned();
        self.write(move |c| {
            c.prepare_cached("UPDATE sessions SET last_seen = ? WHERE token_hash = ?")
                .and_then(|mut s| s.execute(params![now.timestamp(), token_hash]))
                .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn begin_login(&self, attempt: &LoginAttempt, guard: LoginGuard) -> Result<LoginGate> {
        let a = attempt.clone();
        self.write(move |c| {
            let now = a.at.timestamp();
            let step = login_gate_step(gate_rows(c, &a)?, now, guard);
            put_gate_step(c, &a, &step)?;
            Ok(step.gate)
        })
        .await
    }

    async fn login_succeeded(&self, attempt: &LoginAttempt, guard: LoginGuard) -> Result<()> {
        let a = attempt.clone();
        self.write(move |c| {
            let (name, address, at) = (a.username.as_str(), a.address.as_str(), a.at.timestamp());
            exec(c, login::UNCOUNT_NAME, &[&name, &at])?;
            exec(c, login::CLEAR_PAIR, &[&name, &address])?;
            exec(c, login::KNOW, &[&name, &address, &at])?;
            exec(c, login::FORGET, &[&name, &(at - guard.known_for_secs)])?;
            Ok(())
        })
        .await
    }

    async fn login_failed(&self, attempt: &LoginAttempt) -> Result<()> {
        let key = login::address_key(&attempt.address);
        let minute = login::minute_of(attempt.at.timestamp());
        self.write(move |c| exec(c, login::COUNT_ADDRESS, &[&key, &minute]).map(drop))
            .await
    }

    async fn hit_rate_limit(
        &self,
        key: &str,
        now: Timestamp,
        window_secs: i64,
        limit: i64,
    ) -> Result<Option<i64>> {
        let key = key.to_owned();
        self.write(move |c| {
            let row: Option<(i64, i64)> = c
                .query_row("SELECT window_start, count FROM rate_counters WHERE key = ?", [&key], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
                .map_err(sql_err)?;
            let (start, count, wait) = rate_step(row, now.timestamp(), window_secs, limit);
            c.execute(
                "INSERT INTO rate_counters (key, window_start, count) VALUES (?, ?, ?) \
                 ON CONFLICT (key) DO UPDATE SET window_start = excluded.window_start, count = excluded.count",
                params![key, start, count],
            )
            .map_err(sql_err)?;
            Ok(wait)
        })
        .await
    }

    async fn create_api_key(&self, key: ApiKeyRecord, audit: AuditRecord) -> Result<ApiKeyRecord> {
        self.write(move |c| {
            c.execute(
                "INSERT INTO api_keys (name, key_hash, unit, actions, created_at) VALUES (?, ?, ?, ?, ?)",
                params![key.name, key.key_hash, key.unit.as_str(), key.actions.join(","), key.created_at.timestamp()],
            )
            .map_err(sql_err)?;
            let id = c.last_insert_rowid();
            append_audit_tx(c, audit)?;
            Ok(ApiKeyRecord { id, ..key })
        })
        .await
    }

    async fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>> {
        let key_hash = key_hash.to_owned();
        self.read_now(move |c| {
            c.prepare_cached("SELECT id, name, key_hash, unit, actions, created_at, revoked_at FROM api_keys WHERE key_hash = ?")
                .and_then(|mut s| s.query_row([key_hash], api_key_row).optional())
                .map_err(backend)?
                .map(api_key_record)
                .transpose()
        })
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>> {
        self.read(|c| {
            let mut s = c.prepare_cached("SELECT id, name, key_hash, unit, actions, created_at, revoked_at FROM api_keys ORDER BY name").map_err(backend)?;
            let rows = s.query_map([], api_key_row).map_err(backend)?;
            rows.map(|r| api_key_record(r.map_err(backend)?)).collect()
        })
        .await
    }

    async fn revoke_api_key(&self, name: &str, at: Timestamp, audit: AuditRecord) -> Result<()> {
        let name = name.to_owned();
        self.write(move |c| {
            let n = c
                .execute(
                    "UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                    params![at.timestamp(), name],
                )
                .map_err(sql_err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            append_audit_tx(c, audit)
        })
        .await
    }

    async fn append_audit(&self, record: AuditRecord) -> Result<()> {
        self.write(move |c| append_audit_tx(c, record)).await
    }

    async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let sql = query::audit_entries(filter);
        self.read(move |c| {
            let mut s = c.prepare_cached(&sql.text).map_err(backend)?;
            let rows = s
                .query_map(bind(&sql.params).as_slice(), |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                        r.get(8)?,
                        r.get(9)?,
                    ))
                })
                .map_err(backend)?;
            rows.map(|r| audit_entry(r.map_err(backend)?)).collect()
        })
        .await
    }

    async fn count_by_status(&self) -> Result<Vec<(String, i64)>> {
        self.read(|c| {
            let mut s = c
                .prepare_cached(
                    "SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY status",
                )
                .map_err(backend)?;
            let rows = s
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(backend)?;
            rows.map(|r| r.map_err(backend)).collect()
        })
        .await
    }
}

fn api_key_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ApiKeyRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}
