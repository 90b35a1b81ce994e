//! A SQLite database file looked at from outside the store (`hotline backup` and
//! `hotline restore`): a consistent copy of it beside a running server, what it
//! holds, and SQLite's own check of it.

use hotline_domain::audit::AuditHead;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::Path;

use crate::{Result, StoreError};

/// What a database file holds, as a backup's manifest names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The newest migration applied.
    pub schema_version: i64,
    pub audit_head: AuditHead,
    pub orders: i64,
}

fn failed(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Copies the database at `from` into the new file `to` as one consistent snapshot,
/// beside a server writing to it: `VACUUM INTO` on a read-only connection is one read
/// transaction, which WAL lets stand beside the one writer (`hotline backup`'s module
/// doc says why not the online backup API).
pub fn snapshot(from: &Path, to: &Path) -> Result<()> {
    let conn = Connection::open_with_flags(
        from,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(failed)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(failed)?;
    let to = to
        .to_str()
        .ok_or_else(|| StoreError::Backend(format!("{}: not a UTF-8 path", to.display())))?;
    conn.execute("VACUUM INTO ?1", [to]).map_err(failed)?;
    Ok(())
}

/// The schema version, the audit trail's head and the number of orders of the
/// database at `path`.
pub fn summary(path: &Path) -> Result<Summary> {
    let conn = Connection::open(path).map_err(failed)?;
    let schema_version = conn
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )
        .map_err(failed)?;
    let head: Option<(i64, String)> = conn
        .query_row(
            "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(failed)?;
    let audit_head = head.map_or_else(AuditHead::empty, |(count, hash)| AuditHead { count, hash });
    let orders = conn
        .query_row("SELECT COUNT(*) FROM orders", [], |r| r.get(0))
        .map_err(failed)?;
    Ok(Summary {
        schema_version,
        audit_head,
        orders,
    })
}

/// SQLite's `PRAGMA integrity_check` of the database at `path`: the problems it
/// finds, none when the file is sound.
pub fn integrity_problems(path: &Path) -> Result<Vec<String>> {
    let conn = Connection::open(path).map_err(failed)?;
    let mut s = conn.prepare("PRAGMA integrity_check").map_err(failed)?;
    let found: Vec<String> = s
        .query_map([], |r| r.get(0))
        .map_err(failed)?
        .collect::<rusqlite::Result<_>>()
        .map_err(failed)?;
    Ok(found.into_iter().filter(|p| p != "ok").collect())
}
