//! The embedded SQLite store.
//!
//! Writes go through one writer thread that owns the write connection: it takes every
//! request waiting (up to [`MAX_BATCH`]), runs each inside its own SAVEPOINT with
//! cached prepared statements, commits the batch once (one fsync with
//! `synchronous=FULL`), and only then answers each request. A request that fails rolls
//! back alone. Reads use separate connections, which WAL lets run beside the writer,
//! and a checkpointer thread copies the WAL into the database file beside it too.
//! `docs/performance.md` has the measurements behind this design.
//!
//! This file is the engine; each part of the [`Store`] is in the file of its name.

use async_trait::async_trait;
use rusqlite::{Connection, Params, ToSql};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};

use crate::personal::Personal;
use crate::sql::{self, Dialect, Param};
use crate::{Result, Store, StoreError, backend};
use hotline_domain::Timestamp;

mod accounts;
mod attachments;
mod audit;
pub mod file;
mod kb;
mod login;
mod notices;
mod orders;
mod personal;
mod rules;
mod samples;
mod stats;
mod two_factor;

use orders::Counters;

/// The most requests one commit takes.
pub const MAX_BATCH: usize = 512;

/// How often the background checkpointer copies the WAL into the database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

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
    (
        14,
        include_str!("../migrations/sqlite/0014_recount_completion.sql"),
    ),
    (
        15,
        include_str!("../migrations/sqlite/0015_notifications.sql"),
    ),
    (
        16,
        include_str!("../migrations/sqlite/0016_attachments.sql"),
    ),
    (
        17,
        include_str!("../migrations/sqlite/0017_recount_merged.sql"),
    ),
    (
        18,
        include_str!("../migrations/sqlite/0018_recount_hotline_work.sql"),
    ),
    (19, include_str!("../migrations/sqlite/0019_line_heads.sql")),
    (20, include_str!("../migrations/sqlite/0020_samples.sql")),
];

type Finisher = Box<dyn FnOnce(Option<StoreError>) + Send>;
type Job = Box<dyn FnOnce(&mut Writer) -> (bool, Finisher) + Send>;

/// The writer thread's connection and what it remembers between jobs, owned by the
/// writer loop. Only the writer changes the database (and only one process opens it:
/// the server locks its data directory), so what it remembers is what is there; it
/// forgets it whenever a job or a commit fails, as the rows it stands for may be gone.
/// The jobs reach the connection through `Deref`.
pub(crate) struct Writer {
    conn: Connection,
    /// The last audit record appended, `(id, hash)`, so that chaining the next one
    /// needs no read (see `audit::append_audit_tx`).
    audit_head: Option<(i64, String)>,
    /// The merged orders registered since `.0` (Unix seconds), so that a duplicate
    /// lookup reads only its index (see `orders::is_merged`).
    merged: Option<(i64, HashSet<i64>)>,
}

impl Writer {
    fn new(conn: Connection) -> Writer {
        Writer {
            conn,
            audit_head: None,
            merged: None,
        }
    }

    fn forget(&mut self) {
        self.audit_head = None;
        self.merged = None;
    }
}

impl std::ops::Deref for Writer {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

pub struct SqliteStore {
    jobs: mpsc::Sender<Job>,
    /// Seals and opens the personal fields of every order document.
    personal: Arc<Personal>,
    readers: Arc<ReadPool>,
    counters: Mutex<Counters>,
    /// The live signal of notifications: one process writes this database, so it is
    /// sent here, once a write that told a unit something has committed.
    notices: tokio::sync::broadcast::Sender<crate::Notice>,
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
        let c = Connection::open(&self.path)?;
        // A read after any commit starts by emptying the connection's page cache,
        // at a cost that grows with the cache: keep it small (point reads touch few
        // pages, and the operating system caches the file anyway).
        c.execute_batch(
            "PRAGMA busy_timeout = 5000; PRAGMA query_only = ON; PRAGMA cache_size = -128;",
        )?;
        Ok(c)
    }
    fn give_back(&self, c: Connection) {
        let mut idle = self.idle.lock().expect("pool lock");
        if idle.len() < 8 {
            idle.push(c);
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
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
        let mut conn = Connection::open(path)?;
        // Small pages: an order's entry in an index keyed by a hash (the phone
        // lookup) lands on a random page, and each commit writes every page it
        // touched whole; 2 KiB pages halve that traffic. Only a new database takes it.
        conn.execute_batch("PRAGMA page_size = 2048;")?;
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
        )?;
        conn.set_prepared_statement_cache_capacity(64);
        migrate(&mut conn)?;
        personal::prepare_personal_data(&conn, &personal)?;
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(Writer::new(conn), rx))
            .map_err(backend)?;
        let alive = Arc::new(());
        let checkpoints = Connection::open(path)?;
        let watch = Arc::downgrade(&alive);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpointer(checkpoints, watch))
            .map_err(backend)?;
        Ok(SqliteStore {
            counters: Mutex::new(Counters::read(path)?),
            jobs: tx,
            personal,
            readers: Arc::new(ReadPool {
                path: path.to_owned(),
                idle: Mutex::new(Vec::new()),
            }),
            notices: tokio::sync::broadcast::channel(crate::notices::NOTICE_BACKLOG).0,
            _alive: alive,
        })
    }

    /// Runs `f` on the writer thread inside the next group commit.
    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Writer) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |writer| {
            let res = f(writer);
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

/// Runs a cached statement; how many rows it changed.
fn exec(c: &Connection, sql: &str, p: impl Params) -> Result<u64> {
    Ok(c.prepare_cached(sql)?.execute(p)? as u64)
}

/// The first row of a cached statement, decoded, if there is one.
fn one<T>(
    c: &Connection,
    sql: &str,
    p: impl Params,
    f: impl FnOnce(&rusqlite::Row<'_>) -> Result<T>,
) -> Result<Option<T>> {
    let mut s = c.prepare_cached(sql)?;
    let mut rows = s.query(p)?;
    let row = rows.next()?;
    row.map(f).transpose()
}

/// Every row of a cached statement, decoded.
fn all<T>(
    c: &Connection,
    sql: &str,
    p: impl Params,
    mut f: impl FnMut(&rusqlite::Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut s = c.prepare_cached(sql)?;
    let mut rows = s.query(p)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(f(r)?);
    }
    Ok(out)
}

/// The parameters of a statement built at run time, for rusqlite.
fn bind(params: &[Param]) -> Vec<&dyn ToSql> {
    params
        .iter()
        .map(|p| match p {
            Param::Text(s) => s as &dyn ToSql,
            Param::Int(i) => i as &dyn ToSql,
        })
        .collect()
}

/// Rewrites the stored documents holding refused control characters (see
/// [`sql::repaired_document`]); how many it rewrote.
fn repair_stored_text(c: &Connection) -> Result<u64> {
    let mut repaired = 0;
    for (table, key, column) in sql::REPAIRED_DOCUMENTS {
        let find = sql::may_need_repair(Dialect::Sqlite, table, key, column);
        let found = all(c, &find, [], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        for (id, doc) in found {
            if let Some(fixed) = sql::repaired_document(&doc) {
                exec(c, &sql::repair(table, key, column), (fixed, id))?;
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

fn migrate(conn: &mut Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)",
    )?;
    for (version, text) in MIGRATIONS {
        if one(conn, sql::MIGRATION_DONE, [version], |_| Ok(()))?.is_some() {
            continue;
        }
        let tx = conn.transaction()?;
        // A migration that fails is reported as the database said it, constraint or not.
        tx.execute_batch(text).map_err(backend)?;
        if *version == sql::REPAIR_TEXT_VERSION {
            repair_stored_text(&tx)?;
        }
        exec(&tx, sql::MIGRATION_RECORD, [version])?;
        tx.commit()?;
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

fn writer_loop(mut writer: Writer, rx: mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(&mut writer, batch);
    }
}

/// Runs one statement without parameters from the statement cache: the writer runs
/// BEGIN, SAVEPOINT, RELEASE and COMMIT for every batch and job, and parsing them
/// each time showed in profiles.
fn run_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

fn run_batch(writer: &mut Writer, batch: Vec<Job>) {
    if let Err(e) = run_cached(writer, "BEGIN IMMEDIATE") {
        // Dropping the jobs unrun answers each caller with an error.
        tracing::error!(error = %e, "could not begin a group commit");
        return;
    }
    let mut finishers = Vec::with_capacity(batch.len());
    for job in batch {
        let savepoint = run_cached(writer, "SAVEPOINT job");
        let (ok, finish) = match savepoint {
            Ok(()) => job(writer),
            Err(e) => {
                // The job is dropped unrun, which answers its caller with an error.
                tracing::error!(error = %e, "savepoint failed");
                (false, Box::new(|_| {}) as Finisher)
            }
        };
        let end = if ok {
            run_cached(writer, "RELEASE job")
        } else {
            writer.forget();
            run_cached(writer, "ROLLBACK TO job").and_then(|()| run_cached(writer, "RELEASE job"))
        };
        if let Err(e) = end {
            tracing::error!(error = %e, "savepoint end failed");
        }
        finishers.push(finish);
    }
    let commit_err = run_cached(writer, "COMMIT").err().map(|e| {
        writer.forget();
        tracing::error!(error = %e, "group commit failed");
        let _ = writer.execute_batch("ROLLBACK");
        backend(e)
    });
    for finish in finishers {
        finish(commit_err.clone());
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<()> {
        self.read(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn repair_stored_text(&self) -> Result<u64> {
        self.write(|w| repair_stored_text(w)).await
    }

    async fn probe_write(&self, at: Timestamp) -> Result<()> {
        let at = at.timestamp();
        self.write(move |c| exec(c, sql::PROBE_WRITE, [at]).map(drop))
            .await
    }
}
