//! The PostgreSQL store, for several servers on one database.
//!
//! The same SQL as the SQLite store (the `sql` module, its `?` numbered here), each
//! method in one transaction through a sqlx pool. Migrations run under an advisory
//! lock so that servers starting together apply them once; what the SQLite writer
//! serialises by running alone (the audit chain, article changes, counters) takes an
//! advisory lock of its own here.
//!
//! This file is the engine; each part of the [`Store`] is in the file of its name.

use async_trait::async_trait;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{AssertSqlSafe, PgExecutor, Postgres, Transaction};
use std::str::FromStr;
use std::sync::Arc;

use crate::personal::Personal;
use crate::sql::{self, Dialect, Param, numbered};
use crate::{Result, Store, StoreError, backend};
use hotline_domain::Timestamp;

mod accounts;
mod attachments;
mod audit;
mod kb;
mod login;
mod notices;
mod orders;
mod personal;
mod rules;
mod samples;
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
    (
        14,
        include_str!("../migrations/postgres/0014_recount_completion.sql"),
    ),
    (
        15,
        include_str!("../migrations/postgres/0015_notifications.sql"),
    ),
    (
        16,
        include_str!("../migrations/postgres/0016_attachments.sql"),
    ),
    (
        17,
        include_str!("../migrations/postgres/0017_recount_merged.sql"),
    ),
    (
        18,
        include_str!("../migrations/postgres/0018_recount_hotline_work.sql"),
    ),
    (
        19,
        include_str!("../migrations/postgres/0019_line_heads.sql"),
    ),
    (20, include_str!("../migrations/postgres/0020_samples.sql")),
];

/// The connection options of the store's pool, for the listener's own connection.
fn opts_for_listener(pool: &PgPool) -> PgConnectOptions {
    pool.connect_options().as_ref().clone()
}

/// Serialises migrations between servers (an arbitrary, fixed key).
const MIGRATION_LOCK: i64 = 12_345_000_001;

pub struct PgStore {
    pool: PgPool,
    /// Seals and opens the personal fields of every order document.
    personal: Arc<Personal>,
    /// The notifications' live signal, fed by a `LISTEN` on the database (started
    /// with the first subscriber; see `notices.rs`).
    notices: notices::Listener,
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && (db.is_unique_violation() || db.is_foreign_key_violation())
        {
            let table = db.is_unique_violation().then(|| db.table()).flatten();
            return crate::duplicate_of(table);
        }
        backend(e)
    }
}

type Query<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;
type Tx = Transaction<'static, Postgres>;

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

/// Runs a statement; how many rows it changed.
async fn exec<'e>(q: Query<'static>, on: impl PgExecutor<'e>) -> Result<u64> {
    Ok(q.execute(on).await?.rows_affected())
}

/// The first row a statement returns, decoded, if there is one.
async fn one<'e, T>(
    q: Query<'static>,
    on: impl PgExecutor<'e>,
    f: impl FnOnce(&PgRow) -> Result<T>,
) -> Result<Option<T>> {
    q.fetch_optional(on).await?.as_ref().map(f).transpose()
}

/// Every row a statement returns, decoded.
async fn all<'e, T>(
    q: Query<'static>,
    on: impl PgExecutor<'e>,
    f: impl FnMut(&PgRow) -> Result<T>,
) -> Result<Vec<T>> {
    q.fetch_all(on).await?.iter().map(f).collect()
}

/// Serialises the rest of the transaction with every other holding `key`.
async fn xact_lock(tx: &mut Tx, key: i64) -> Result<()> {
    let lock = sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(key);
    exec(lock, &mut **tx).await.map(drop)
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
        let mut opts = PgConnectOptions::from_str(url)?;
        if let Some(schema) = schema {
            let admin = PgPool::connect_with(opts.clone()).await?;
            let create = format!(
                "CREATE SCHEMA IF NOT EXISTS \"{}\"",
                schema.replace('"', "")
            );
            sqlx::query(AssertSqlSafe(create)).execute(&admin).await?;
            admin.close().await;
            opts = opts.options([("search_path", schema)]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await?;
        let schema: String = sqlx::query_scalar("SELECT current_schema()")
            .fetch_one(&pool)
            .await?;
        let notices = notices::Listener::new(opts_for_listener(&pool), schema);
        let store = PgStore {
            pool,
            personal,
            notices,
        };
        store.migrate().await?;
        store.prepare_personal_data().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        let lock = sqlx::query("SELECT pg_advisory_lock($1)").bind(MIGRATION_LOCK);
        exec(lock, &mut *conn).await?;
        let result = async {
            sqlx::query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY)",
            )
            .execute(&mut *conn)
            .await?;
            for (version, text) in MIGRATIONS {
                let done = sql(sql::MIGRATION_DONE).bind(version);
                if one(done, &mut *conn, |_| Ok(())).await?.is_some() {
                    continue;
                }
                let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                // A migration that fails is reported as the database said it,
                // constraint or not.
                sqlx::raw_sql(*text)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                if *version == sql::REPAIR_TEXT_VERSION {
                    repair_stored_text(&mut tx).await?;
                }
                exec(sql(sql::MIGRATION_RECORD).bind(version), &mut *tx).await?;
                tx.commit().await?;
            }
            Ok(())
        }
        .await;
        let unlock = sqlx::query("SELECT pg_advisory_unlock($1)").bind(MIGRATION_LOCK);
        exec(unlock, &mut *conn).await?;
        result
    }

    async fn begin(&self) -> Result<Tx> {
        Ok(self.pool.begin().await?)
    }
}

/// Rewrites the stored documents holding refused control characters (see
/// [`sql::repaired_document`]): a NUL escape in an order document made every query
/// casting it to `jsonb` fail. How many it rewrote.
async fn repair_stored_text(conn: &mut sqlx::PgConnection) -> Result<u64> {
    let mut repaired = 0;
    for (table, key, column) in sql::REPAIRED_DOCUMENTS {
        let find = sql::may_need_repair(Dialect::Postgres, table, key, column);
        let found = all(sqlx::query(AssertSqlSafe(find)), &mut *conn, |r| {
            Ok((sql::Row::get::<i64>(r, 0)?, sql::Row::get::<String>(r, 1)?))
        })
        .await?;
        for (id, doc) in found {
            if let Some(fixed) = sql::repaired_document(&doc) {
                let write = sql(&sql::repair(table, key, column)).bind(fixed).bind(id);
                exec(write, &mut *conn).await?;
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

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> Result<()> {
        exec(sqlx::query("SELECT 1"), &self.pool).await.map(drop)
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn probe_write(&self, at: Timestamp) -> Result<()> {
        let probe = sql(sql::PROBE_WRITE).bind(at.timestamp());
        exec(probe, &self.pool).await.map(drop)
    }

    async fn repair_stored_text(&self) -> Result<u64> {
        let mut tx = self.begin().await?;
        let n = repair_stored_text(&mut tx).await?;
        tx.commit().await?;
        Ok(n)
    }
}
