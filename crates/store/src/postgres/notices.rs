//! Notifications on PostgreSQL. The rows are written with their events (`orders.rs`),
//! which also `NOTIFY hotline_notices` with the schema and the unit: PostgreSQL
//! delivers it when the transaction commits, to every server of the database. Each
//! server listens on a connection of its own from its first subscriber on; a lost
//! connection is made again, and subscribers are told to read their counts again
//! (`Notice::Resync`), since notices sent meanwhile are not delivered.

use async_trait::async_trait;
use hotline_domain::UnitCode;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::broadcast;

use super::{PgStore, Tx, all, exec, one, sql};
use crate::notices::{NOTICE_BACKLOG, Notice, NoticeStore, Notification};
use crate::sql::orders::{MARK_NOTIFICATIONS_READ, NOTIFICATIONS, UNREAD_NOTIFICATIONS};
use crate::{Result, records};

/// The channel every server of a database listens on.
const CHANNEL: &str = "hotline_notices";

/// Tells the servers of this database, at commit, that `unit` was told something.
pub(super) async fn notify(tx: &mut Tx, unit: &UnitCode) -> Result<()> {
    let q = sql("SELECT pg_notify(?, current_schema() || ' ' || ?)")
        .bind(CHANNEL)
        .bind(unit.as_str());
    exec(q, &mut **tx).await.map(drop)
}

/// The store's end of the signal: the sender subscribers subscribe to, and the
/// listening task, started once.
pub(super) struct Listener {
    sender: broadcast::Sender<Notice>,
    options: PgConnectOptions,
    schema: String,
    started: Mutex<bool>,
    /// The task stops once the store is gone.
    alive: Arc<()>,
}

impl Listener {
    pub(super) fn new(options: PgConnectOptions, schema: String) -> Self {
        Listener {
            sender: broadcast::channel(NOTICE_BACKLOG).0,
            options,
            schema,
            started: Mutex::new(false),
            alive: Arc::new(()),
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<Notice> {
        let receiver = self.sender.subscribe();
        let mut started = self.started.lock().expect("listener lock");
        if !*started {
            *started = true;
            let (sender, options, schema) = (
                self.sender.clone(),
                self.options.clone(),
                self.schema.clone(),
            );
            tokio::spawn(listen(sender, options, schema, Arc::downgrade(&self.alive)));
        }
        receiver
    }
}

/// Listens until the store is dropped, connecting again after a failure.
async fn listen(
    sender: broadcast::Sender<Notice>,
    options: PgConnectOptions,
    schema: String,
    alive: Weak<()>,
) {
    let mut delay = Duration::from_millis(200);
    while alive.strong_count() > 0 {
        match listen_once(&sender, &options, &schema, &alive).await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %e, "notification listener lost its connection; connecting again");
                let _ = sender.send(Notice::Resync);
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}

/// One connection's life: `Ok` when the store is gone, `Err` when the connection is.
async fn listen_once(
    sender: &broadcast::Sender<Notice>,
    options: &PgConnectOptions,
    schema: &str,
    alive: &Weak<()>,
) -> std::result::Result<(), sqlx::Error> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options.clone())
        .await?;
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(CHANNEL).await?;
    // Counts may have moved while nobody listened.
    let _ = sender.send(Notice::Resync);
    while alive.strong_count() > 0 {
        // Wakes now and then to see whether the store is still there.
        let Ok(next) = tokio::time::timeout(Duration::from_secs(2), listener.try_recv()).await
        else {
            continue;
        };
        match next? {
            Some(n) => {
                if let Some((from, unit)) = n.payload().rsplit_once(' ')
                    && from == schema
                    && let Ok(unit) = UnitCode::parse(unit)
                {
                    let _ = sender.send(Notice::Unit(unit));
                }
            }
            // The connection dropped and is being made again: anything sent meanwhile
            // is lost.
            None => {
                let _ = sender.send(Notice::Resync);
            }
        }
    }
    pool.close().await;
    Ok(())
}

#[async_trait]
impl NoticeStore for PgStore {
    async fn notifications(
        &self,
        unit: &UnitCode,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Notification>> {
        let q = sql(NOTIFICATIONS)
            .bind(unit.as_str())
            .bind(before.unwrap_or(i64::MAX))
            .bind(i64::from(limit));
        all(q, &self.pool, records::notification).await
    }

    async fn unread_notifications(&self, unit: &UnitCode, username: &str, cap: u32) -> Result<u64> {
        let q = sql(UNREAD_NOTIFICATIONS)
            .bind(unit.as_str())
            .bind(username)
            .bind(i64::from(cap));
        Ok(one(q, &self.pool, |r| records::count_at(r, 0))
            .await?
            .unwrap_or(0))
    }

    async fn mark_notifications_read(&self, username: &str, upto: i64) -> Result<()> {
        let q = sql(MARK_NOTIFICATIONS_READ).bind(username).bind(upto);
        exec(q, &self.pool).await.map(drop)
    }

    fn subscribe_notices(&self) -> broadcast::Receiver<Notice> {
        self.notices.subscribe()
    }
}
