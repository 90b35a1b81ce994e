//! Personal data at rest on PostgreSQL: sealing what is stored plain at the first
//! start with encryption on (once, under the migration lock), sealing again after a
//! rotation, and retention's purge.

use async_trait::async_trait;
use hotline_domain::{OrderId, Timestamp};

use super::orders::insert_event;
use super::{MIGRATION_LOCK, PgStore, Tx, all, exec, one, sql, xact_lock};
use crate::personal::{self, Personal};
use crate::sql::Row;
use crate::sql::personal::*;
use crate::sql::rules::{DELETE_SETTING, PUT_SETTING, SETTING};
use crate::{PersonalDataStore, Result, records};

impl PgStore {
    /// At open: the keys must open what is stored (one sealed order per key id in
    /// use); the first time encryption is on, every order stored plain is sealed, in
    /// one transaction under the migration lock (servers starting together do it once).
    pub(super) async fn prepare_personal_data(&self) -> Result<()> {
        let samples = all(sql(SAMPLES), &self.pool, |r| Ok((r.get(0)?, r.get(1)?))).await?;
        personal::check_samples(&self.personal, &samples)?;
        if !self.personal.is_on() {
            // Orders written from now on are plain: seal them when it is turned on again.
            return exec(sql(DELETE_SETTING).bind(SEALED_SETTING), &self.pool)
                .await
                .map(drop);
        }
        let mut tx = self.begin().await?;
        xact_lock(&mut tx, MIGRATION_LOCK).await?;
        let sealed = sql(SETTING).bind(SEALED_SETTING);
        if one(sealed, &mut *tx, records::text).await?.is_some() {
            return Ok(());
        }
        let (mut after, mut total) = (0, 0);
        loop {
            let (n, next) = reseal_batch(&mut tx, &self.personal, after, 500, true).await?;
            total += n;
            match next {
                Some(id) => after = id,
                None => break,
            }
        }
        exec(sql(PUT_SETTING).bind(SEALED_SETTING).bind("true"), &mut *tx).await?;
        tx.commit().await?;
        if total > 0 {
            tracing::info!(orders = total, "personal data of stored orders encrypted");
        }
        Ok(())
    }
}

/// One batch of [`PersonalDataStore::reseal_orders`], inside the caller's transaction.
async fn reseal_batch(
    tx: &mut Tx,
    personal: &Personal,
    after: i64,
    limit: u32,
    plain_only: bool,
) -> Result<(u64, Option<i64>)> {
    let current = personal.current_key().unwrap_or_default();
    let q = if plain_only {
        sql(PLAIN).bind(after).bind(i64::from(limit))
    } else {
        sql(NOT_CURRENT)
            .bind(after)
            .bind(current)
            .bind(i64::from(limit))
    };
    let rows = all(q, &mut **tx, |r| {
        let row: (i64, i64, String, Option<String>) = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        Ok(row)
    })
    .await?;
    let last = rows.last().map(|r| r.0);
    let mut n = 0;
    for (id, version, doc, address_key) in rows {
        let (doc, key, address_key) = personal::resealed(personal, &doc, address_key)?;
        let q = sql(RESEAL)
            .bind(doc)
            .bind(key)
            .bind(address_key)
            .bind(id)
            .bind(version);
        n += exec(q, &mut **tx).await?;
    }
    Ok((n, last))
}

/// One batch of [`PersonalDataStore::purge_personal_data`], inside the caller's
/// transaction.
async fn purge_batch(
    tx: &mut Tx,
    personal: &Personal,
    closed_before: i64,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<OrderId>> {
    let q = sql(TO_PURGE).bind(closed_before).bind(i64::from(limit));
    let rows = all(q, &mut **tx, |r| {
        let row: (i64, i64, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        Ok(row)
    })
    .await?;
    let mut purged = Vec::new();
    for (id, version, doc) in rows {
        let (order, event) = personal::purged(personal.open_order(&doc)?, now);
        let (doc, key) = personal.seal_order(&order)?;
        let q = sql(PURGE)
            .bind(doc)
            .bind(order.version)
            .bind(key)
            .bind(now.timestamp())
            .bind(id)
            .bind(version);
        if exec(q, &mut **tx).await? == 1 {
            insert_event(tx, order.id, &event).await?;
            purged.push(order.id);
        }
    }
    Ok(purged)
}

#[async_trait]
impl PersonalDataStore for PgStore {
    async fn personal_data_keys(&self) -> Result<Vec<(Option<String>, u64)>> {
        all(sql(KEYS), &self.pool, |r| {
            Ok((r.get(0)?, records::count_at(r, 1)?))
        })
        .await
    }

    async fn reseal_orders(
        &self,
        after: i64,
        limit: u32,
        plain_only: bool,
    ) -> Result<(u64, Option<i64>)> {
        let mut tx = self.begin().await?;
        let out = reseal_batch(&mut tx, &self.personal, after, limit, plain_only).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn purge_personal_data(
        &self,
        closed_before: Timestamp,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<OrderId>> {
        let mut tx = self.begin().await?;
        let before = closed_before.timestamp();
        let purged = purge_batch(&mut tx, &self.personal, before, now, limit).await?;
        tx.commit().await?;
        Ok(purged)
    }
}
