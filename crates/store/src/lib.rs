//! Storage for the hotline.
//!
//! One [`Store`] trait, shaped like the use cases, with two implementations: the
//! embedded SQLite default ([`sqlite::SqliteStore`]: one writer thread that commits
//! waiting requests in groups, read connections beside it) and PostgreSQL
//! ([`postgres::PgStore`]) for several servers on one database. [`open`] picks one
//! from a URL. Each method runs in one transaction; an order change and its event are
//! written together or not at all, and a change made on a stale copy of an order is
//! refused ([`StoreError::VersionConflict`]) so that concurrent actions cannot
//! overwrite each other.

pub mod kb;
pub mod personal;
pub mod postgres;
mod query;
mod records;
pub mod sqlite;
pub mod stats;
pub mod two_factor;
mod types;

pub use two_factor::{TwoFactorRecord, TwoFactorStore};
pub use types::*;

use async_trait::async_trait;
use hotline_domain::audit::{AuditEntry, AuditRecord};
use hotline_domain::{
    Calendar, DeadlineRules, Event, Order, OrderId, OrderNumber, Timestamp, UnitCode, UserId,
    YearArrangement, taxonomy::DomainCategory,
};
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

/// The storage interface. Both backends pass the same test suite.
#[async_trait]
pub trait Store:
    kb::KbStore + stats::StatsStore + two_factor::TwoFactorStore + Send + Sync + 'static
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

    // Organisation and accounts.
    async fn create_unit(&self, unit: UnitRecord) -> Result<UnitRecord>;
    async fn list_units(&self) -> Result<Vec<UnitRecord>>;
    /// Replaces a unit's name, parent and active flag (its code, kind and history stay).
    async fn update_unit(&self, unit: UnitRecord, audit: AuditRecord) -> Result<()>;
    async fn list_users(&self) -> Result<Vec<UserRecord>>;
    /// Replaces an account's roles, unit, active flag and (if given) password hash;
    /// ends its sessions when it is disabled or its password changes.
    async fn update_user(&self, user: UserRecord, audit: AuditRecord) -> Result<()>;
    async fn create_user(&self, user: NewUser) -> Result<UserRecord>;
    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>>;
    async fn set_user_password(&self, username: &str, password_hash: &str) -> Result<()>;
    async fn create_session(&self, session: SessionRecord) -> Result<()>;
    /// The session with this token hash and its user, if both exist.
    async fn session(&self, token_hash: &str) -> Result<Option<(SessionRecord, UserRecord)>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
    /// Notes that the session was used now (for idle expiry).
    async fn touch_session(&self, token_hash: &str, now: Timestamp) -> Result<()>;

    /// The account's sessions, newest first (expired ones too, until removed).
    async fn user_sessions(&self, user: UserId) -> Result<Vec<SessionRecord>>;
    /// Ends one session of the account (`NotFound` if it has no such session),
    /// audited in the same transaction.
    async fn end_user_session(
        &self,
        user: UserId,
        token_hash: &str,
        audit: AuditRecord,
    ) -> Result<()>;
    /// Sets the account's password hash and ends its sessions except `keep` (the one
    /// that asked), audited in the same transaction.
    async fn change_password(
        &self,
        user: UserId,
        password_hash: &str,
        keep: &str,
        audit: AuditRecord,
    ) -> Result<()>;

    // The login guard and rate limits, shared by every server on the database.
    /// Decides, before the password is checked, whether an attempt may be checked,
    /// counting it as a failure at once (one transaction, so that parallel attempts
    /// are counted one after another and none passes a limit another reached).
    async fn begin_login(&self, attempt: &LoginAttempt, guard: LoginGuard) -> Result<LoginGate>;
    /// A checked attempt succeeded: takes back its counts, clears the pair's failures
    /// and remembers the address as one the name logs in from.
    async fn login_succeeded(&self, attempt: &LoginAttempt, guard: LoginGuard) -> Result<()>;
    /// A checked attempt failed: counts it against its address (an attempt in flight
    /// does not count there, only against its name and pair).
    async fn login_failed(&self, attempt: &LoginAttempt) -> Result<()>;
    /// Counts a request against `key` in fixed windows; `Some(seconds)` to wait when
    /// the limit is reached.
    async fn hit_rate_limit(
        &self,
        key: &str,
        now: Timestamp,
        window_secs: i64,
        limit: i64,
    ) -> Result<Option<i64>>;

    // Integration keys.
    async fn create_api_key(&self, key: ApiKeyRecord, audit: AuditRecord) -> Result<ApiKeyRecord>;
    async fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>>;
    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>>;
    /// Revokes the named key; `NotFound` if there is no such key.
    async fn revoke_api_key(&self, name: &str, at: Timestamp, audit: AuditRecord) -> Result<()>;

    // The audit trail.
    /// Appends a record to the hash chain.
    async fn append_audit(&self, record: AuditRecord) -> Result<()>;
    async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>>;

    // Rules that administrators change while the hotline runs.
    async fn calendar(&self) -> Result<Vec<YearArrangement>>;
    async fn put_calendar_year(&self, year: YearArrangement) -> Result<()>;
    async fn deadline_rules(&self) -> Result<Option<DeadlineRules>>;
    async fn put_deadline_rules(&self, rules: &DeadlineRules) -> Result<()>;
    /// A JSON setting by key (summons rules, …).
    async fn setting(&self, key: &str) -> Result<Option<String>>;
    /// Stores a JSON setting, audited in the same transaction.
    async fn put_setting(&self, key: &str, value: String, audit: AuditRecord) -> Result<()>;
    async fn taxonomy(&self) -> Result<Vec<DomainCategory>>;
    async fn put_domain_category(&self, category: DomainCategory) -> Result<()>;

    // Orders.
    /// Registers an order: assigns id and number, finds possible duplicates, computes
    /// deadlines and writes the order with its `registered` event durably. With an
    /// idempotency key already used for the same body, returns that order instead.
    async fn create_order(
        &self,
        new: NewOrder,
        rules: Arc<DeadlineRules>,
        calendar: Arc<Calendar>,
    ) -> Result<Created>;
    async fn order(&self, id: OrderId) -> Result<Option<Order>>;
    async fn order_by_number(&self, number: &OrderNumber) -> Result<Option<Order>>;
    /// The owning hotline of each of these orders that exists: what hotline staff need
    /// to know to be shown a link to it (read without the order documents, as every
    /// intake's answer lists its possible duplicates).
    async fn order_hotlines(&self, ids: &[OrderId]) -> Result<Vec<(OrderId, UnitCode)>>;
    /// The orders of these ids that exist (an order's links: possible duplicates and
    /// merges, at most a few dozen).
    async fn orders_by_ids(&self, ids: &[OrderId]) -> Result<Vec<Order>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(self.order(*id).await?);
        }
        Ok(out)
    }
    async fn events(&self, id: OrderId) -> Result<Vec<Event>>;
    async fn list_orders(&self, filter: &OrderFilter) -> Result<Vec<Order>>;
    /// `(id, title and content, registered_at in Unix seconds)` of the orders after
    /// `after`, by id, for the full-text index (texts never change once registered).
    async fn order_texts_after(&self, after: i64, limit: u32) -> Result<Vec<(i64, String, i64)>>;
    /// How many orders have an id up to `id` (what a text index at that watermark holds).
    async fn count_orders_upto(&self, id: i64) -> Result<u64>;
    /// Orders about the same address (its normalised key) registered since `since`,
    /// newest first: possible duplicates shown before a new order is saved.
    async fn orders_by_address_key(
        &self,
        address_key: &str,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<Order>>;
    /// Earlier orders from the same phone number (by its keyed hash), newest first.
    async fn orders_by_phone_hash(&self, phone_hash: &str, limit: u32) -> Result<Vec<Order>>;
    /// Writes changed orders and their events in one transaction; each order must
    /// still be at the version it was read at (its new version minus one).
    async fn record_transitions(
        &self,
        changes: Vec<OrderChange>,
        audit: Option<AuditRecord>,
    ) -> Result<()>;
    /// Stores orders kept elsewhere, each as it stands with its whole timeline (a
    /// migration from another system; the report benchmark), in one transaction with
    /// one audit record. Their ids and numbers must be free; later orders are numbered
    /// after them.
    async fn import_orders(
        &self,
        batch: Vec<(Order, Vec<Event>)>,
        audit: AuditRecord,
    ) -> Result<()>;
    /// Open orders per status, for metrics.
    async fn count_by_status(&self) -> Result<Vec<(String, i64)>>;

    // Personal data at rest (see [`personal`]) and its retention.
    /// How many orders are sealed with each key, by key id (`None`: stored plain).
    async fn personal_data_keys(&self) -> Result<Vec<(Option<String>, u64)>>;
    /// Seals again, with the current key, up to `limit` orders after id `after` that
    /// are not sealed with it (with `plain_only`, only those stored plain), hashing
    /// their address lookup keys too; one transaction. `(orders rewritten, last id
    /// looked at)`, the id `None` when no such order is left: call again from it.
    /// An order changed meanwhile is left to its own write (sealed with the current
    /// key already) and is not counted.
    async fn reseal_orders(
        &self,
        after: i64,
        limit: u32,
        plain_only: bool,
    ) -> Result<(u64, Option<i64>)>;
    /// Removes the personal data of up to `limit` orders closed before
    /// `closed_before` (the requester's name, phone and address, the matter's address,
    /// the requester's name, phone and address where the title or content repeats
    /// them, the phone hash and the address lookup key), keeping the order, its
    /// timeline and statistics; each gets a `personal_data_purged` event. The orders
    /// purged (their texts for the full-text index changed too).
    async fn purge_personal_data(
        &self,
        closed_before: Timestamp,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<OrderId>>;
    /// Forgets what the login guard no longer needs: counters and failures last
    /// touched before `counters_before`, addresses a name last logged in from before
    /// `known_before`, sessions that ended before `known_before`. How many rows.
    async fn purge_login_guard(
        &self,
        counters_before: Timestamp,
        known_before: Timestamp,
    ) -> Result<u64>;
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
