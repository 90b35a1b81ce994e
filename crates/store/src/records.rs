//! Records as both backends read and write them: rows decoded into domain values,
//! and the counting rules of the login guard and the rate limits.

use hotline_domain::audit::{AuditEntry, AuditRecord};
use hotline_domain::taxonomy::DomainCategory;
use hotline_domain::{
    Event, EventKind, RegionCode, Role, UnitCode, UnitKind, UserId, YearArrangement, shanghai,
};

use crate::{ApiKeyRecord, LoginGate, LoginGuard, Result, StoreError, UnitRecord, UserRecord};

/// A stored value that does not decode is a backend fault, not the caller's.
fn decode_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn ts(s: &str) -> Result<hotline_domain::Timestamp> {
    chrono::DateTime::parse_from_rfc3339(s).map_err(decode_err)
}

pub(crate) type UnitRow = (String, String, String, Option<String>, String, bool);

pub(crate) fn unit_record(
    (code, name, kind, parent, region, active): (
        String,
        String,
        String,
        Option<String>,
        String,
        bool,
    ),
) -> Result<UnitRecord> {
    Ok(UnitRecord {
        code: UnitCode::parse(&code).map_err(decode_err)?,
        name,
        kind: UnitKind::parse(&kind).map_err(decode_err)?,
        parent: parent
            .map(|p| UnitCode::parse(&p))
            .transpose()
            .map_err(decode_err)?,
        region: RegionCode::parse(&region).map_err(decode_err)?,
        active,
    })
}

pub(crate) fn roles_to_text(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

pub(crate) fn roles_from_text(s: &str) -> Result<Vec<Role>> {
    s.split(',')
        .filter(|r| !r.is_empty())
        .map(|r| Role::parse(r).map_err(decode_err))
        .collect()
}

pub(crate) type UserRow = (i64, String, String, String, Option<String>, bool);

pub(crate) fn user_record(
    (id, username, hash, roles, unit, active): UserRow,
) -> Result<UserRecord> {
    Ok(UserRecord {
        id: UserId(id),
        username,
        password_hash: hash,
        roles: roles_from_text(&roles)?,
        unit: unit
            .map(|u| UnitCode::parse(&u))
            .transpose()
            .map_err(decode_err)?,
        active,
    })
}

pub(crate) type EventRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
);

pub(crate) fn event_record((at, kind, actor, unit, note, data): EventRow) -> Result<Event> {
    Ok(Event {
        at: ts(&at)?,
        kind: EventKind::parse(&kind).map_err(decode_err)?,
        actor,
        unit: unit
            .map(|u| UnitCode::parse(&u))
            .transpose()
            .map_err(decode_err)?,
        note,
        data: serde_json::from_str(&data).map_err(decode_err)?,
    })
}

pub(crate) type AuditRow = (
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    String,
    String,
    String,
);

pub(crate) fn audit_entry(row: AuditRow) -> Result<AuditEntry> {
    let (id, at, actor, unit, address, action, object, detail, prev_hash, hash) = row;
    Ok(AuditEntry {
        id,
        record: AuditRecord {
            at: ts(&at)?,
            actor,
            unit,
            address,
            action,
            object,
            detail: serde_json::from_str(&detail).map_err(decode_err)?,
        },
        prev_hash,
        hash,
    })
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
pub(crate) fn login_gate_step(rows: GateRows, now: i64, g: LoginGuard) -> GateStep {
    let refused = |gate, address| GateStep {
        gate,
        address,
        pair: None,
        name: None,
    };
    let minute = crate::query::login::minute_of(now);
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

pub(crate) type ApiKeyRow = (i64, String, String, String, String, i64, Option<i64>);

pub(crate) fn api_key_record(
    (id, name, key_hash, unit, actions, created, revoked): ApiKeyRow,
) -> Result<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id,
        name,
        key_hash,
        unit: UnitCode::parse(&unit).map_err(decode_err)?,
        actions: actions
            .split(',')
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .collect(),
        created_at: from_epoch(created),
        revoked_at: revoked.map(from_epoch),
    })
}

pub(crate) fn from_epoch(secs: i64) -> hotline_domain::Timestamp {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .with_timezone(&shanghai())
}

pub(crate) fn year_texts(y: &YearArrangement) -> Result<(String, String)> {
    Ok((
        serde_json::to_string(&y.holidays).map_err(decode_err)?,
        serde_json::to_string(&y.workdays).map_err(decode_err)?,
    ))
}

pub(crate) fn year_record(year: i32, holidays: &str, workdays: &str) -> Result<YearArrangement> {
    Ok(YearArrangement {
        year,
        holidays: serde_json::from_str(holidays).map_err(decode_err)?,
        workdays: serde_json::from_str(workdays).map_err(decode_err)?,
        // The table keeps the days only; the notices are provenance of the shipped seed.
        notice: None,
    })
}

pub(crate) fn category(path: &str, top_name: String, name: String) -> Result<DomainCategory> {
    Ok(DomainCategory {
        path: hotline_domain::DomainPath::parse(path).map_err(decode_err)?,
        top_name,
        name,
    })
}
