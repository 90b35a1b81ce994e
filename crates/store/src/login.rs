//! The login guard and the rate limits, shared by every server on the database: the
//! [`LoginStore`] trait both backends implement, and the counting rules they apply.

use async_trait::async_trait;
use hotline_domain::Timestamp;

use crate::records::from_epoch;
use crate::{LoginAttempt, LoginGate, LoginGuard, Result};

#[async_trait]
pub trait LoginStore: Send + Sync {
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
    /// Forgets what the login guard no longer needs: counters and failures last
    /// touched before `counters_before`, addresses a name last logged in from before
    /// `known_before`, sessions that ended before `known_before`. How many rows.
    async fn purge_login_guard(
        &self,
        counters_before: Timestamp,
        known_before: Timestamp,
    ) -> Result<u64>;
}

/// The rate counter of an address's failed logins.
pub(crate) fn address_key(address: &str) -> String {
    format!("login:{address}")
}

/// The start of the minute an attempt was counted in.
pub(crate) fn minute_of(at: i64) -> i64 {
    at - at.rem_euclid(60)
}

/// What the login guard reads about an attempt, as stored.
#[derive(Debug, Default)]
pub(crate) struct GateRows {
    /// (minute's start, count) of the address's failures.
    pub address: Option<(i64, i64)>,
    /// (failures, first_at, locked_until) of the (name, address) pair.
    pub pair: Option<(i64, i64, i64)>,
    /// (failures, first_at) of the name from every address.
    pub name: Option<(i64, i64)>,
    /// When the name last logged in from this address.
    pub known_at: Option<i64>,
}

/// The guard's answer and the counts to store for it.
#[derive(Debug)]
pub(crate) struct GateStep {
    pub gate: LoginGate,
    /// The address's (minute's start, count), unless the address itself refused it:
    /// refusals for a locked name count too, so that they stay bounded per address.
    pub address: Option<(i64, i64)>,
    /// The pair's (failures, first_at, locked_until) and the name's (failures,
    /// first_at), when the password is to be checked.
    pub pair: Option<(i64, i64, i64)>,
    pub name: Option<(i64, i64)>,
}

/// The login guard's rule, decided before any password is checked: an attempt counts
/// as a failure at once, so that of many parallel attempts only as many as the limits
/// allow get through. The address's minute comes first, then the pair's lock, then the
/// name's hour (which addresses the name logged in from lately are spared).
pub(crate) fn gate_step(rows: GateRows, now: i64, g: LoginGuard) -> GateStep {
    let refused = |gate, address| GateStep {
        gate,
        address,
        pair: None,
        name: None,
    };
    let minute = minute_of(now);
    let address_count = match rows.address {
        Some((start, n)) if start == minute => n,
        _ => 0,
    };
    if address_count >= g.address_failures_per_minute {
        let until = from_epoch(minute + 60);
        return refused(LoginGate::AddressLimited { until }, None);
    }
    // A refusal counts against the address at once; an attempt let through counts only
    // if it fails (`login_failed`): a burst of colleagues logging in behind one address
    // at shift start must not be refused for being many at once.
    let address = Some((minute, address_count + 1));
    if let Some((_, _, until)) = rows.pair
        && until > now
    {
        return refused(
            LoginGate::Locked {
                until: from_epoch(until),
            },
            address,
        );
    }
    let (name_failures, name_since) = match rows.name {
        Some((n, first)) if now - first < g.name_window_secs => (n, first),
        _ => (0, now),
    };
    let known = rows.known_at.is_some_and(|at| now - at < g.known_for_secs);
    if name_failures >= g.name_failures && !known {
        let until = from_epoch(name_since + g.name_window_secs);
        return refused(LoginGate::Locked { until }, address);
    }
    let (pair_failures, pair_since) = match rows.pair {
        Some((n, first, _)) if now - first < g.pair_lock_secs => (n + 1, first),
        _ => (1, now),
    };
    let locks = pair_failures >= g.pair_failures;
    // The lock starts the pair's count again: after it, five more attempts.
    let pair = if locks {
        (0, now, now + g.pair_lock_secs)
    } else {
        (pair_failures, pair_since, 0)
    };
    GateStep {
        gate: LoginGate::Check {
            locks_on_failure: locks,
        },
        address: None,
        pair: Some(pair),
        name: Some((name_failures + 1, name_since)),
    }
}

/// Fixed windows aligned to `window_secs`: (window start, count, seconds to wait if
/// over the limit).
pub(crate) fn rate_step(
    row: Option<(i64, i64)>,
    now: i64,
    window_secs: i64,
    limit: i64,
) -> (i64, i64, Option<i64>) {
    let start = now - now.rem_euclid(window_secs);
    let count = match row {
        Some((s, n)) if s == start => n + 1,
        _ => 1,
    };
    let wait = (count > limit).then_some((start + window_secs - now).max(1));
    (start, count, wait)
}
