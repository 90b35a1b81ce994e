//! The login guard and the rate limits on SQLite: each decision is one job on the
//! writer, so attempts are counted one after another.

use async_trait::async_trait;
use hotline_domain::Timestamp;
use rusqlite::{Connection, ToSql, params};

use super::{SqliteStore, exec, one};
use crate::login::{GateRows, GateStep, address_key, gate_step, minute_of, rate_step};
use crate::sql::login::*;
use crate::{LoginAttempt, LoginGate, LoginGuard, LoginStore, Result};

/// The first row of a statement as `N` numbers, if any.
fn numbers<const N: usize>(
    c: &Connection,
    sql: &str,
    p: &[&dyn ToSql],
) -> Result<Option<[i64; N]>> {
    one(c, sql, p, |r| {
        let mut out = [0; N];
        for (i, n) in out.iter_mut().enumerate() {
            *n = r.get(i)?;
        }
        Ok(out)
    })
}

/// What the login guard knows about an attempt's address, pair and name.
fn gate_rows(c: &Connection, a: &LoginAttempt) -> Result<GateRows> {
    let (name, address) = (a.username.as_str(), a.address.as_str());
    let key = address_key(address);
    Ok(GateRows {
        address: numbers(c, ADDRESS, &[&key])?.map(|[start, n]| (start, n)),
        pair: numbers(c, PAIR, &[&name, &address])?.map(|[n, first, until]| (n, first, until)),
        name: numbers(c, NAME, &[&name])?.map(|[n, first]| (n, first)),
        known_at: numbers(c, KNOWN, &[&name, &address])?.map(|[at]| at),
    })
}

/// Stores the counts the guard decided on.
fn put_gate_step(c: &Connection, a: &LoginAttempt, step: &GateStep) -> Result<()> {
    let (name, address) = (a.username.as_str(), a.address.as_str());
    if let Some((start, count)) = step.address {
        exec(c, PUT_ADDRESS, params![address_key(address), start, count])?;
    }
    if let Some((failures, first, until)) = step.pair {
        exec(c, PUT_PAIR, params![name, address, failures, first, until])?;
    }
    if let Some((failures, first)) = step.name {
        exec(c, PUT_NAME, params![name, failures, first])?;
    }
    Ok(())
}

#[async_trait]
impl LoginStore for SqliteStore {
    async fn begin_login(&self, attempt: &LoginAttempt, guard: LoginGuard) -> Result<LoginGate> {
        let a = attempt.clone();
        self.write(move |c| {
            let step = gate_step(gate_rows(c, &a)?, a.at.timestamp(), guard);
            put_gate_step(c, &a, &step)?;
            Ok(step.gate)
        })
        .await
    }

    async fn login_succeeded(&self, attempt: &LoginAttempt, guard: LoginGuard) -> Result<()> {
        let a = attempt.clone();
        self.write(move |c| {
            let (name, address, at) = (a.username.as_str(), a.address.as_str(), a.at.timestamp());
            exec(c, UNCOUNT_NAME, params![name, at])?;
            exec(c, CLEAR_PAIR, params![name, address])?;
            exec(c, KNOW, params![name, address, at])?;
            exec(c, FORGET, params![name, at - guard.known_for_secs])?;
            Ok(())
        })
        .await
    }

    async fn login_failed(&self, attempt: &LoginAttempt) -> Result<()> {
        let key = address_key(&attempt.address);
        let minute = minute_of(attempt.at.timestamp());
        self.write(move |c| exec(c, COUNT_ADDRESS, params![key, minute]).map(drop))
            .await
    }

    async fn hit_rate_limit(
        &self,
        key: &str,
        now: Timestamp,
        window_secs: i64,
        limit: i64,
    ) -> Result<Option<i64>> {
        let key = key.to_owned();
        self.write(move |c| {
            let row = numbers(c, ADDRESS, &[&key])?.map(|[start, n]| (start, n));
            let (start, count, wait) = rate_step(row, now.timestamp(), window_secs, limit);
            exec(c, PUT_ADDRESS, params![key, start, count])?;
            Ok(wait)
        })
        .await
    }

    async fn purge_login_guard(
        &self,
        counters_before: Timestamp,
        known_before: Timestamp,
    ) -> Result<u64> {
        let (counters, known) = (counters_before.timestamp(), known_before.timestamp());
        self.write(move |c| {
            let mut n = 0;
            for (sqls, at) in [(&PURGE_COUNTERS[..], counters), (&PURGE_KNOWN[..], known)] {
                for sql in sqls {
                    let p: Vec<&dyn ToSql> = vec![&at; sql.matches('?').count()];
                    n += exec(c, sql, p.as_slice())?;
                }
            }
            Ok(n)
        })
        .await
    }
}
