//! One process per SQLite data directory. The SQLite store's writer keeps state in
//! memory (the audit chain's head, the next order ids and daily numbers), so a second
//! process writing to the same database file makes the server's next write fail. The
//! server holds an exclusive lock on `DATA_DIR/hotline.lock` while it runs; a command
//! that writes takes the same lock for its run, and refuses — naming the API call that
//! does the same through the server — when it cannot. Reading commands (`audit
//! verify`, `backup`, `calendar workdays`, …) take no lock and run beside a server.
//! With PostgreSQL the store keeps no such state and nothing is locked.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;

use crate::config::Config;

/// Held until dropped (the operating system releases it when the process ends,
/// however it ends).
pub struct DataLock {
    _file: File,
}

pub const LOCK_FILE: &str = "hotline.lock";

fn uses_sqlite(cfg: &Config) -> bool {
    cfg.database_url().starts_with("sqlite:")
}

fn lock_path(cfg: &Config) -> Result<PathBuf, String> {
    std::fs::create_dir_all(&cfg.data_dir)
        .map_err(|e| format!("data directory {}: {e}", cfg.data_dir.display()))?;
    Ok(cfg.data_dir.join(LOCK_FILE))
}

/// Takes the lock, or says who may hold it.
fn try_lock(cfg: &Config) -> Result<Result<DataLock, PathBuf>, String> {
    let path = lock_path(cfg)?;
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Ok(DataLock { _file: file })),
        Err(TryLockError::WouldBlock) => Ok(Err(path)),
        Err(TryLockError::Error(e)) => Err(format!("{}: {e}", path.display())),
    }
}

/// The server's lock on its data directory, for as long as it serves.
pub fn for_server(cfg: &Config) -> Result<Option<DataLock>, String> {
    if !uses_sqlite(cfg) {
        return Ok(None);
    }
    match try_lock(cfg)? {
        Ok(lock) => Ok(Some(lock)),
        Err(path) => Err(format!(
            "{} is in use by another hotline server or a command writing to it ({} is locked)",
            cfg.data_dir.display(),
            path.display()
        )),
    }
}

/// A writing command's lock; refused while a server (or another writing command)
/// holds the data directory. `instead` names the API call that does the same.
pub fn for_writing(cfg: &Config, instead: &str) -> Result<Option<DataLock>, String> {
    if !uses_sqlite(cfg) {
        return Ok(None);
    }
    match try_lock(cfg)? {
        Ok(lock) => Ok(Some(lock)),
        Err(_) => Err(format!(
            "a hotline server (or another command) is using {}: a second process writing to \
             its database would break the server's next write; use {instead} on the running \
             server instead, or stop it first",
            cfg.data_dir.display()
        )),
    }
}
