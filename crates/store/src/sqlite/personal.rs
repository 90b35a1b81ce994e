//! Personal data at rest on SQLite: sealing what is stored plain at the first start
//! with encryption on, sealing again after a rotation, and retention's purge — each
//! overwriting what it replaces.

use async_trait::async_trait;
use hotline_domain::{OrderId, Timestamp};
use rusqlite::{Connection, params};

use super::orders::insert_event;
use super::{SqliteStore, all, exec, one};
use crate::personal::{self, Personal};
use crate::sql::personal::*;
use crate::sql::rules::{DELETE_SETTING, PUT_SETTING, SETTING};
use crate::{PersonalDataStore, Result, records};

/// At open: the keys must open what is stored (one sealed order per key id in use);
/// the first time encryption is on, every order stored plain is sealed (in batches,
/// each its own transaction, so an interrupted start picks up where it stopped).
pub(super) fn prepare_personal_data(conn: &Connection, personal: &Personal) -> Result<()> {
    let samples = all(conn, SAMPLES, [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    personal::check_samples(personal, &samples)?;
    if !personal.is_on() {
        // Orders written from now on are plain: seal them when it is turned on again.
        exec(conn, DELETE_SETTING, [SEALED_SETTING])?;
        return Ok(());
    }
    if one(conn, SETTING, [SEALED_SETTING], |r| records::text(r))?.is_some() {
        return Ok(());
    }
    let (mut after, mut total) = (0, 0);
    loop {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let step = scrubbing(conn, || reseal_batch(conn, personal, after, 500, true));
        let done = match step {
            Ok((n, next)) => {
                conn.execute_batch("COMMIT")?;
                total += n;
                next
            }
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        };
        match done {
            Some(id) => after = id,
            None => break,
        }
    }
    exec(conn, PUT_SETTING, [SEALED_SETTING, "true"])?;
    if total > 0 {
        // The plain text lived on in the WAL's older frames: copy the sealed pages
        // into the database file and empty the WAL (best effort: a reader may hold it).
        let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
        tracing::info!(orders = total, "personal data of stored orders encrypted");
    }
    Ok(())
}

/// Runs `f` with deleted content overwritten with zeros, freed pages included: the
/// plain text (or the old key's ciphertext) an update replaces must not live on in
/// free space. The writer otherwise runs with `FAST`, which zeroes only what costs no
/// extra writes.
fn scrubbing<T>(c: &Connection, f: impl FnOnce() -> Result<T>) -> Result<T> {
    c.execute_batch("PRAGMA secure_delete = ON")?;
    let out = f();
    let _ = c.execute_batch("PRAGMA secure_delete = FAST");
    out
}

/// One batch of [`PersonalDataStore::reseal_orders`], inside the caller's transaction.
fn reseal_batch(
    c: &Connection,
    personal: &Personal,
    after: i64,
    limit: u32,
    plain_only: bool,
) -> Result<(u64, Option<i64>)> {
    type Row = (i64, i64, String, Option<String>);
    let current = personal.current_key().unwrap_or_default();
    let read =
        |r: &rusqlite::Row<'_>| -> Result<Row> { Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)) };
    let rows = if plain_only {
        all(c, PLAIN, params![after, limit], read)?
    } else {
        all(c, NOT_CURRENT, params![after, current, limit], read)?
    };
    let last = rows.last().map(|r| r.0);
    let mut n = 0;
    for (id, version, doc, address_key) in rows {
        let (doc, key, address_key) = personal::resealed(personal, &doc, address_key)?;
        n += exec(c, RESEAL, params![doc, key, address_key, id, version])?;
    }
    Ok((n, last))
}

/// One batch of [`PersonalDataStore::purge_personal_data`], inside the caller's
/// transaction.
fn purge_batch(
    c: &Connection,
    personal: &Personal,
    closed_before: i64,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<OrderId>> {
    let rows = all(c, TO_PURGE, params![closed_before, limit], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut purged = Vec::new();
    for (id, version, doc) in rows {
        let (order, event) = personal::purged(personal.open_order(&doc)?, now);
        let (doc, key) = personal.seal_order(&order)?;
        let p = params![doc, order.version, key, now.timestamp(), id, version];
        if exec(c, PURGE, p)? == 1 {
            insert_event(c, order.id, &event)?;
            purged.push(order.id);
        }
    }
    Ok(purged)
}

#[async_trait]
impl PersonalDataStore for SqliteStore {
    async fn personal_data_keys(&self) -> Result<Vec<(Option<String>, u64)>> {
        self.read(|c| all(c, KEYS, [], |r| Ok((r.get(0)?, records::count_at(r, 1)?))))
            .await
    }

    async fn reseal_orders(
        &self,
        after: i64,
        limit: u32,
        plain_only: bool,
    ) -> Result<(u64, Option<i64>)> {
        let personal = self.personal.clone();
        self.write(move |c| scrubbing(c, || reseal_batch(c, &personal, after, limit, plain_only)))
            .await
    }

    async fn purge_personal_data(
        &self,
        closed_before: Timestamp,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<OrderId>> {
        let personal = self.personal.clone();
        let before = closed_before.timestamp();
        self.write(move |c| scrubbing(c, || purge_batch(c, &personal, before, now, limit)))
            .await
    }
}
