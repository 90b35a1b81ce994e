//! The records the store reads and writes.

use hotline_domain::audit::AuditRecord;
use hotline_domain::{
    CallbackResult, Event, Intake, Kind, Order, OrderId, RegionCode, Role, Status, Timestamp,
    UnitCode, UnitKind, UserId,
};
use serde::{Deserialize, Serialize};

/// A unit of the organisation tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnitRecord {
    pub code: UnitCode,
    pub name: String,
    pub kind: UnitKind,
    pub parent: Option<UnitCode>,
    pub region: RegionCode,
    pub active: bool,
    /// The head of the line (条线) the unit belongs to: a provincial department.
    pub line_head: Option<UnitCode>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub password_hash: String,
    pub roles: Vec<Role>,
    pub unit: Option<UnitCode>,
}

#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: UserId,
    pub username: String,
    pub password_hash: String,
    pub roles: Vec<Role>,
    pub unit: Option<UnitCode>,
    pub active: bool,
}

/// A login session; the token itself is never stored, only its hash.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub token_hash: String,
    pub user_id: UserId,
    pub created_at: Timestamp,
    /// The absolute end of the session.
    pub expires_at: Timestamp,
    /// When it was last used (kept to the minute), for idle expiry.
    pub last_seen: Timestamp,
    /// The client address it was opened from, where known.
    pub address: Option<String>,
}

/// A query over the audit trail.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Oldest first (for verification) instead of newest first.
    pub ascending: bool,
    /// Records after (ascending) or before (descending) this id.
    pub cursor: Option<i64>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub object: Option<String>,
    /// Only records whose actor's unit is one of these (`None`: any).
    pub units: Option<Vec<String>>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub limit: u32,
}

/// Settings of the login guard. Failures are counted per (name, client address), per
/// name from every address, and per address for every name.
#[derive(Debug, Clone, Copy)]
pub struct LoginGuard {
    /// Failures of one name from one address that lock that pair…
    pub pair_failures: i64,
    /// …counted over, and locking it for, this long.
    pub pair_lock_secs: i64,
    /// Failures of one name from all addresses within `name_window_secs` beyond which
    /// only addresses it logged in from within `known_for_secs` may still try.
    pub name_failures: i64,
    pub name_window_secs: i64,
    pub known_for_secs: i64,
    /// Failed attempts per client address per minute, whatever the names.
    pub address_failures_per_minute: i64,
}

/// One login attempt: the name asked for, from where, when.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    pub username: String,
    pub address: String,
    pub at: Timestamp,
}

/// What the login guard says about an attempt before its password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginGate {
    /// Check the password. The attempt already counts as a failure (taken back if it
    /// succeeds); `locks_on_failure` when it is the one that locks the pair.
    Check { locks_on_failure: bool },
    /// The name is locked for this address (the pair, or the name's hourly limit).
    Locked { until: Timestamp },
    /// This address failed too often this minute, for whatever names.
    AddressLimited { until: Timestamp },
}

/// An order to register.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub intake: Intake,
    pub hotline: UnitCode,
    pub registered_by: String,
    pub now: Timestamp,
    pub tracking_code: String,
    /// Keyed hash of the requester's phone, for history and duplicate lookups.
    pub phone_hash: Option<String>,
    /// The matter's address, normalised, for duplicate lookups.
    pub address_key: Option<String>,
    /// How far back to look for possible duplicates.
    pub duplicate_window_days: i64,
    pub idempotency: Option<IdempotencyKey>,
    /// Recorded in the same transaction; its object is filled in with the new id.
    pub audit: Option<AuditRecord>,
}

/// `Idempotency-Key`, scoped to the caller, with a hash of the body it came with.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub scope: String,
    pub key: String,
    pub body_hash: String,
    /// Keys older than this are forgotten.
    pub not_before: Timestamp,
}

#[derive(Debug, Clone)]
pub struct Created {
    pub order: Order,
    /// The order's timeline as it stands after the call.
    pub events: Vec<Event>,
    /// An earlier request with the same idempotency key made this order.
    pub replayed: bool,
    /// The owning hotline of each possible duplicate, as the lookup found them (empty
    /// on a replay): what the answer to the intake needs to show the links.
    pub duplicate_hotlines: Vec<(OrderId, UnitCode)>,
}

/// One changed order and the event recording the change.
#[derive(Debug, Clone)]
pub struct OrderChange {
    pub order: Order,
    pub event: Event,
}

/// Who may be seen: the list methods never return an order outside the scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The whole installation.
    All,
    /// Orders owned by one of these hotlines.
    Hotlines(Vec<UnitCode>),
    /// Orders dispatched to this unit, as lead or co-unit.
    Unit(UnitCode),
    /// Orders dispatched to one of these units, as lead or co-unit (a line).
    Units(Vec<UnitCode>),
}

/// The most orders one `list_orders` call returns, whatever `limit` asks.
pub const MAX_PAGE: u32 = 500;

/// A query over orders, newest first, paginated by id.
#[derive(Debug, Clone)]
pub struct OrderFilter {
    pub scope: Scope,
    pub status: Option<Status>,
    pub kind: Option<Kind>,
    pub unit: Option<UnitCode>,
    /// The region and everything under it.
    pub region: Option<RegionCode>,
    /// Only orders still waiting for a reply.
    pub awaiting_reply: bool,
    pub deadline_after: Option<Timestamp>,
    pub deadline_before: Option<Timestamp>,
    pub registered_from: Option<Timestamp>,
    pub registered_to: Option<Timestamp>,
    /// Matches the number, or text in the title or content.
    pub text: Option<String>,
    /// With `text`: orders a full-text index found for it, and the highest order id
    /// that index has seen — orders above it (not indexed yet) are matched by
    /// substring instead, so nothing is missed while the index catches up.
    pub text_hits: Option<(Vec<OrderId>, i64)>,
    /// Only orders with an extension waiting for a decision.
    pub extension_pending: bool,
    /// Only orders an enterprise asked (涉企诉求).
    pub enterprise: bool,
    /// Only orders under supervision (督办 or 提级督办).
    pub supervised: bool,
    /// `TOP` (the whole field) or `TOP/SUB`.
    pub domain: Option<String>,
    /// Only orders whose current callback or evaluation found this.
    pub evaluation: Option<CallbackResult>,
    /// `Some(false)`: leave out replies still under the hotline's review;
    /// `Some(true)`: only those.
    pub reply_review: Option<bool>,
    /// Soonest deadline first (orders without one last) instead of newest first.
    pub by_deadline: bool,
    /// Oldest first (by id) instead of newest first; pages go on with `after_id`.
    pub oldest_first: bool,
    /// Orders with an id below this one.
    pub before_id: Option<OrderId>,
    /// Orders with an id above this one.
    pub after_id: Option<OrderId>,
    pub limit: u32,
}

impl OrderFilter {
    pub fn new(scope: Scope) -> Self {
        OrderFilter {
            scope,
            status: None,
            kind: None,
            unit: None,
            region: None,
            awaiting_reply: false,
            deadline_after: None,
            deadline_before: None,
            registered_from: None,
            registered_to: None,
            text: None,
            text_hits: None,
            extension_pending: false,
            enterprise: false,
            supervised: false,
            domain: None,
            evaluation: None,
            reply_review: None,
            by_deadline: false,
            oldest_first: false,
            before_id: None,
            after_id: None,
            limit: 50,
        }
    }
}

/// The statuses that await a reply, for SQL.
pub(crate) const AWAITING_REPLY: [&str; 4] = [
    "registered",
    "dispatched",
    "return_requested",
    "in_progress",
];

/// A region code's prefix for `LIKE` (`510100` → `5101`).
pub fn region_prefix(r: &RegionCode) -> String {
    r.as_str().trim_end_matches("00").to_owned()
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub(crate) fn like_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// An integration key (its secret is never stored, only the hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiKeyRecord {
    pub id: i64,
    pub name: String,
    #[serde(skip)]
    #[schema(ignore)]
    pub key_hash: String,
    pub unit: UnitCode,
    /// The actions the key may take; empty means all those of its unit's role.
    pub actions: Vec<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Timestamp>,
}
