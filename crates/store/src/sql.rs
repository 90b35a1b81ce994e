//! The SQL both stores run, written once.
//!
//! Statements use `?` placeholders: SQLite takes them as they are, and the PostgreSQL
//! store numbers them (`$1, $2, …`, see [`numbered`]) as it prepares them. Statements
//! one backend needs alone (the group commit's bookkeeping, PostgreSQL's sequences
//! and row locks) stay in that backend's files. Rows come back through [`Row`], which
//! both drivers' rows implement, so that each record is decoded by one function
//! ([`crate::records`]).

pub(crate) mod accounts;
pub(crate) mod audit;
pub(crate) mod kb;
pub(crate) mod login;
pub(crate) mod orders;
pub(crate) mod personal;
pub(crate) mod rules;
pub(crate) mod samples;
pub(crate) mod stats;
pub(crate) mod two_factor;

use crate::Result;

/// A result row of either driver, read by column position.
pub(crate) trait Row {
    fn get<T: Column>(&self, i: usize) -> Result<T>;
}

/// A column value both drivers decode: text, integers, flags, and their `Option`s.
pub(crate) trait Column:
    rusqlite::types::FromSql + for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>
{
}

impl<T> Column for T where
    T: rusqlite::types::FromSql
        + for<'r> sqlx::Decode<'r, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>
{
}

impl Row for rusqlite::Row<'_> {
    fn get<T: Column>(&self, i: usize) -> Result<T> {
        Ok(rusqlite::Row::get(self, i)?)
    }
}

impl Row for sqlx::postgres::PgRow {
    fn get<T: Column>(&self, i: usize) -> Result<T> {
        Ok(sqlx::Row::try_get(self, i)?)
    }
}

/// A bound parameter of a statement built at run time.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Text(String),
    Int(i64),
}

/// A statement built at run time, with its parameters in order.
pub(crate) struct Sql {
    pub text: String,
    pub params: Vec<Param>,
}

/// Where the two backends' SQL differs.
#[derive(Clone, Copy)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// `?` placeholders as PostgreSQL's `$1, $2, …` (no `?` appears in our SQL otherwise).
pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// A statement that locks the rows it reads until the transaction ends (PostgreSQL;
/// on SQLite the one writer already runs alone).
pub(crate) fn for_update(sql: &str) -> String {
    format!("{sql} FOR UPDATE")
}

/// The migrations' bookkeeping.
pub(crate) const MIGRATION_DONE: &str = "SELECT 1 FROM schema_migrations WHERE version = ?";
pub(crate) const MIGRATION_RECORD: &str = "INSERT INTO schema_migrations (version) VALUES (?)";

/// The write `GET /readyz` makes: one row, rewritten.
pub(crate) const PROBE_WRITE: &str = "INSERT INTO readiness (id, at) VALUES (1, ?) \
     ON CONFLICT (id) DO UPDATE SET at = excluded.at";

/// The tables whose JSON documents the text repair rewrites: (table, key, column).
pub(crate) const REPAIRED_DOCUMENTS: &[(&str, &str, &str)] =
    &[("orders", "id", "doc"), ("kb_articles", "id", "doc")];

/// Migration that repairs the stored text (run in Rust after its SQL).
pub(crate) const REPAIR_TEXT_VERSION: i64 = 8;

/// A stored document with refused control characters dropped and line breaks made
/// LF, or `None` when it needs no repair (or is not JSON at all).
pub(crate) fn repaired_document(doc: &str) -> Option<String> {
    let mut value: serde_json::Value = serde_json::from_str(doc).ok()?;
    hotline_domain::text::scrub_json(&mut value).then(|| value.to_string())
}

/// Finds the documents that may need [`repaired_document`]: serde_json writes a
/// control character as a `\u00XX`, `\r`, `\b` or `\f` escape, and DEL as itself.
pub(crate) fn may_need_repair(dialect: Dialect, table: &str, key: &str, column: &str) -> String {
    let (find, chr) = match dialect {
        Dialect::Sqlite => ("instr", "char"),
        Dialect::Postgres => ("strpos", "chr"),
    };
    let tests: Vec<String> = [r"'\u00'", r"'\r'", r"'\b'", r"'\f'"]
        .iter()
        .map(|esc| format!("{find}({column}, {esc}) > 0"))
        .chain([format!("{find}({column}, {chr}(127)) > 0")])
        .collect();
    format!(
        "SELECT {key}, {column} FROM {table} WHERE {}",
        tests.join(" OR ")
    )
}

/// Rewrites one repaired document.
pub(crate) fn repair(table: &str, key: &str, column: &str) -> String {
    format!("UPDATE {table} SET {column} = ? WHERE {key} = ?")
}
