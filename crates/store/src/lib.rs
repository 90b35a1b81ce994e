//! Storage for the hotline.
//!
//! One [`Store`] trait, shaped like the use cases (one part per kind of data: orders,
//! accounts, the login guard, the audit trail, rules, personal data, the knowledge
//! base, report counters, two-factor sign-in), with two implementations: the embedded
//! SQLite default ([`sqlite::SqliteStore`]: one writer thread that commits waiting
//! requests in groups, read connections beside it) and PostgreSQL
//! ([`postgres::PgStore`]) for several servers on one database. [`open`] picks one
//! from a URL. The two run the same SQL (the `sql` module, written once) and decode
//! rows with the same functions (`records`); each part lives in a file of the same
//! name in both (`sqlite/kb.rs`, `postgres/kb.rs`, …).
//!
//! Each method runs in one transaction; an order change and its event are written
//! together or not at all, and a change made on a stale copy of an order is refused
//! ([`StoreError::VersionConflict`]) so that concurrent actions cannot overwrite each
//! other.

pub mod accounts;
pub mod attachments;
pub mod audit;
pub mod kb;
pub mod login;
pub mod notices;
pub mod orders;
pub mod personal;
pub mod postgres;
mod records;
pub mod rules;
pub mod samples;
mod sql;
pub mod sqlite;
pub mod stats;
pub mod two_factor;
mod types;

pub use accounts::AccountStore;
pub use attachments::{
    AttachmentContent, AttachmentRecord, AttachmentSource, AttachmentStore, NewAttachment,
};
pub use audit::AuditStore;
pub use kb::KbStore;
pub use login::LoginStore;
pub use notices::{Notice, NoticeStore, Notification};
pub use orders::OrderStore;
pub use personal::PersonalDataStore;
pub use rules::RulesStore;
pub use samples::SampleStore;
pub use stats::StatsStore;
pub use two_factor::{TwoFactorRecord, TwoFactorStore};
pub use types::*;

use async_trait::async_trait;
use hotline_domain::Timestamp;
use std::sync::Arc;

/// What can go wrong in the store, in terms the use cases can act on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken (the message names what already exists).
    #[error("{0}")]
    Duplicate(String),
    /// The order changed after it was read; read it again and retry.
    #[error("the order was changed by someone else meanwhile")]
    VersionConflict,
    #[error("this Idempotency-Key was already used with another request body")]
    IdempotencyKeyReused,
    #[error("database error: {0}")]
    Backend(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What already exists, in the API's words, for a uniqueness rule broken in `table`:
/// both stores answer the same, and never with the database's own message (which
/// names constraints and, on PostgreSQL, can quote the values of other hotlines' rows).
pub(crate) fn duplicate_of(table: Option<&str>) -> StoreError {
    let what = match table {
        Some("units") => "a unit with this code",
        Some("users") => "an account with this username",
        Some("api_keys") => "an integration key with this name",
        Some("kb_articles") => "an article with this title in this category",
        Some("domain_categories") => "a category with this path",
        Some("orders") => "an order with this number",
        _ => "a record with these values, or one it refers to is missing",
    };
    StoreError::Duplicate(what.to_owned())
}

/// A stored value that does not decode, or one that does not encode: a backend
/// fault, not the caller's.
pub(crate) fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// `NotFound` when a write changed no row.
pub(crate) fn found(changed: u64) -> Result<()> {
    if changed == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        backend(e)
    }
}

/// A stored code or name the domain no longer accepts.
impl From<hotline_domain::InvalidValue> for StoreError {
    fn from(e: hotline_domain::InvalidValue) -> Self {
        backend(e)
    }
}

/// The storage interface: one trait per part of the hotline's data, which each
/// backend implements in a file of the same name (`sqlite/orders.rs`,
/// `postgres/orders.rs`, …), and what concerns the database as a whole. Both
/// backends pass the same test suite.
#[async_trait]
pub trait Store:
    AccountStore
    + AttachmentStore
    + LoginStore
    + AuditStore
    + RulesStore
    + OrderStore
    + NoticeStore
    + PersonalDataStore
    + KbStore
    + StatsStore
    + TwoFactorStore
    + SampleStore
    + Send
    + Sync
    + 'static
{
    /// Answers when the database does.
    async fn ping(&self) -> Result<()>;
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// Writes and commits one row, as every write does (the WAL and its sync on
    /// SQLite): `Ok` proves the write path works now.
    async fn probe_write(&self, at: Timestamp) -> Result<()>;
    /// Drops refused control characters from stored order and article documents (the
    /// migration that brought the text rule runs it once); how many it rewrote.
    async fn repair_stored_text(&self) -> Result<u64>;
}

/// Opens the store a URL names: `sqlite:PATH` (or a bare path) or `postgres://…`,
/// with personal data stored plain.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    open_with(url, personal::Personal::plain()).await
}

/// Opens the store a URL names with this codec for personal data: an error, before
/// anything is served, when the stored data is sealed with keys it does not hold.
pub async fn open_with(url: &str, personal: Arc<personal::Personal>) -> Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(
            postgres::PgStore::connect_with(url, None, personal).await?,
        ));
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    Ok(Arc::new(sqlite::SqliteStore::open_with(
        std::path::Path::new(path),
        personal,
    )?))
}
