//! The login guard and the rate limits on PostgreSQL: the name's and the address's
//! rows are locked for the transaction, so that attempts on one name, or from one
//! address, are decided one after another across servers.

use async_trait::async_trait;
use hotline_domain::Timestamp;
use sqlx::postgres::PgRow;

use super::{PgStore, Query, Tx, exec, one, sql};
use crate::login::{GateRows, GateStep, address_key, gate_step, minute_of, rate_step};
use crate::sql::login::*;
use crate::sql::{Row, for_update};
use crate::{LoginAttempt, LoginGate, LoginGuard, LoginStore, Result};

/// The first row of a statement as `N` numbers, if any.
async fn numbers<const N: usize>(tx: &mut Tx, q: Query<'static>) -> Result<Option<[i64; N]>> {
    one(q, &mut **tx, |r: &PgRow| {
        let mut out = [0; N];
        for (i, n) in out.iter_mut().enumerate() {
            *n = r.get(i)?;
        }
        Ok(out)
    })
    .await
}

/// What the login guard knows about an attempt, with the name's row and the
/// address's row locked (created if missing) for the rest of the transaction.
async fn gate_rows(tx: &mut Tx, a: &LoginAttempt) -> Result<GateRows> {
    let (name, address) = (a.username.as_str(), a.address.as_str());
    let key = address_key(address);
    exec(sql(CLAIM_NAME).bind(name), &mut **tx).await?;
    exec(sql(CLAIM_COUNTER).bind(&key), &mut **tx).await?;
    let name_row = numbers(tx, sql(&for_update(NAME)).bind(name)).await?;
    let address_row = numbers(tx, sql(&for_update(ADDRESS)).bind(&key)).await?;
    let pair = numbers(tx, sql(PAIR).bind(name).bind(address)).await?;
    let known = numbers(tx, sql(KNOWN).bind(name).bind(address)).await?;
    Ok(GateRows {
        address: address_row.map(|[start, n]| (start, n)),
        pair: pair.map(|[n, first, until]| (n, first, until)),
        name: name_row.map(|[n, first]| (n, first)),
        known_at: known.map(|[at]| at),
    })
}

/// Stores the counts the guard decided on.
async fn put_gate_step(tx: &mut Tx, a: &LoginAttempt, step: &GateStep) -> Result<()> {
    let (name, address) = (a.username.as_str(), a.address.as_str());
    if let Some((start, count)) = step.address {
        let q = sql(PUT_ADDRESS)
            .bind(address_key(address))
            .bind(start)
            .bind(count);
        exec(q, &mut **tx).await?;
    }
    if let Some((failures, first, until)) = step.pair {
        let q = sql(PUT_PAIR)
            .bind(name)
            .bind(address)
            .bind(failures)
            .bind(first)
            .bind(until);
        exec(q, &mut **tx).await?;
    }
    if let Some((failures, first)) = step.name {
        let q = sql(PUT_NAME).bind(name).bind(failures).bind(first);
        exec(q, &mut **tx).await?;
    }
    Ok(())
}

#[async_trait]
impl LoginStore for PgStore {
    async fn begin_login(&self, attempt: &LoginAttempt, guard: LoginGuard) -> Result<LoginGate> {
        let mut tx = self.begin().await?;
        let rows = gate_rows(&mut tx, attempt).await?;
        let step = gate_step(rows, attempt.at.timestamp(), guard);
        put_gate_step(&mut tx, attempt, &step).await?;
        tx.commit().await?;
        Ok(step.gate)
    }

    async fn login_succeeded(&self, attempt: &LoginAttempt, guard: LoginGuard) -> Result<()> {
        let (name, address) = (attempt.username.as_str(), attempt.address.as_str());
        let at = attempt.at.timestamp();
        let mut tx = self.begin().await?;
        // The name's row first, as `begin_login` takes it, so the two never deadlock.
        let steps = [
            sql(UNCOUNT_NAME).bind(name).bind(at),
            sql(CLEAR_PAIR).bind(name).bind(address),
            sql(KNOW).bind(name).bind(address).bind(at),
            sql(FORGET).bind(name).bind(at - guard.known_for_secs),
        ];
        for step in steps {
            exec(step, &mut *tx).await?;
        }
        Ok(tx.commit().await?)
    }

    async fn login_failed(&self, attempt: &LoginAttempt) -> Result<()> {
        let key = address_key(&attempt.address);
        let minute = minute_of(attempt.at.timestamp());
        exec(sql(COUNT_ADDRESS).bind(key).bind(minute), &self.pool)
            .await
            .map(drop)
    }

    async fn hit_rate_limit(
        &self,
        key: &str,
        now: Timestamp,
        window_secs: i64,
        limit: i64,
    ) -> Result<Option<i64>> {
        let mut tx = self.begin().await?;
        // Make sure the row exists, then take it for this transaction.
        exec(sql(CLAIM_COUNTER).bind(key), &mut *tx).await?;
        let row = numbers(&mut tx, sql(&for_update(ADDRESS)).bind(key)).await?;
        let (start, count, wait) = rate_step(
            row.map(|[start, n]| (start, n)),
            now.timestamp(),
            window_secs,
            limit,
        );
        exec(sql(PUT_ADDRESS).bind(key).bind(start).bind(count), &mut *tx).await?;
        tx.commit().await?;
        Ok(wait)
    }

    async fn purge_login_guard(
        &self,
        counters_before: Timestamp,
        known_before: Timestamp,
    ) -> Result<u64> {
        let mut tx = self.begin().await?;
        let mut n = 0;
        for (sqls, at) in [
            (&PURGE_COUNTERS[..], counters_before.timestamp()),
            (&PURGE_KNOWN[..], known_before.timestamp()),
        ] {
            for text in sqls {
                let q = (0..text.matches('?').count()).fold(sql(text), |q, _| q.bind(at));
                n += exec(q, &mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(n)
    }
}
