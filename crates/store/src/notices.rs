//! Notifications (通知), as the [`NoticeStore`] trait both backends implement: the
//! rows [`crate::OrderStore::record_transitions`] writes with each event that a unit
//! must hear of ([`hotline_domain::notices::recipients`]), how far each account has
//! read its unit's, and the live signal that a unit was told of something — in the
//! process on SQLite, by `LISTEN/NOTIFY` between the servers of one PostgreSQL
//! database.

use async_trait::async_trait;
use hotline_domain::{EventKind, OrderId, Timestamp, UnitCode};
use tokio::sync::broadcast;

use crate::Result;

/// One notification: which order, what happened, when and by whom.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: i64,
    pub unit: UnitCode,
    pub order_id: OrderId,
    pub number: String,
    pub kind: EventKind,
    pub at: Timestamp,
    pub actor: String,
}

/// What the live signal carries: a unit told of something, or `Resync` when notices
/// may have been missed (the listener's connection dropped) and every count is to be
/// read again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Unit(UnitCode),
    Resync,
}

/// How many signals a slow subscriber may fall behind before it is told to resync.
pub const NOTICE_BACKLOG: usize = 1024;

#[async_trait]
pub trait NoticeStore: Send + Sync {
    /// A unit's notifications, newest first, before the id `before` (a cursor).
    async fn notifications(
        &self,
        unit: &UnitCode,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Notification>>;
    /// How many of a unit's notifications an account has not read, counted up to
    /// `cap` (a badge says "99+" beyond).
    async fn unread_notifications(&self, unit: &UnitCode, username: &str, cap: u32) -> Result<u64>;
    /// Marks an account's notifications read up to the id `upto` (never backwards).
    async fn mark_notifications_read(&self, username: &str, upto: i64) -> Result<()>;
    /// The live signal of this store's database.
    fn subscribe_notices(&self) -> broadcast::Receiver<Notice>;
}
