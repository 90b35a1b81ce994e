//! Notifications on SQLite; the rows are written with their events in `orders.rs`.

use async_trait::async_trait;
use hotline_domain::UnitCode;
use rusqlite::params;
use tokio::sync::broadcast;

use super::{SqliteStore, all, exec, one};
use crate::notices::{Notice, NoticeStore, Notification};
use crate::sql::orders::{MARK_NOTIFICATIONS_READ, NOTIFICATIONS, UNREAD_NOTIFICATIONS};
use crate::{Result, records};

#[async_trait]
impl NoticeStore for SqliteStore {
    async fn notifications(
        &self,
        unit: &UnitCode,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Notification>> {
        let (unit, before) = (unit.to_string(), before.unwrap_or(i64::MAX));
        self.read(move |c| {
            all(c, NOTIFICATIONS, params![unit, before, limit], |r| {
                records::notification(r)
            })
        })
        .await
    }

    async fn unread_notifications(&self, unit: &UnitCode, username: &str, cap: u32) -> Result<u64> {
        let (unit, username) = (unit.to_string(), username.to_owned());
        self.read(move |c| {
            let n = one(c, UNREAD_NOTIFICATIONS, params![unit, username, cap], |r| {
                records::count_at(r, 0)
            })?;
            Ok(n.unwrap_or(0))
        })
        .await
    }

    async fn mark_notifications_read(&self, username: &str, upto: i64) -> Result<()> {
        let username = username.to_owned();
        self.write(move |c| exec(c, MARK_NOTIFICATIONS_READ, params![username, upto]).map(drop))
            .await
    }

    fn subscribe_notices(&self) -> broadcast::Receiver<Notice> {
        self.notices.subscribe()
    }
}
