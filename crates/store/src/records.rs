//! Records as both backends read and write them: rows decoded into domain values,
//! and the counting rules of the login guard and the rate limits.

use hotline_domain::audit::{AuditEntry, AuditRecord};
use hotline_domain::taxonomy::DomainCategory;
use hotline_domain::{
    Event, RegionCode, Role, UnitCode, UnitKind, UserId, YearArrangement, shanghai,
};

use crate::{ApiKeyRecord, LoginGuard, Result, StoreError, UnitRecord, UserRecord};

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
        kind,
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

/// A failed login's effect on the username's counter.
pub(crate) struct FailureStep {
    pub failures: i64,
    pub first_at: i64,
    pub locked_until: i64,
}

/// Counts failures within a window; the one that reaches the maximum locks the name
/// and starts the count again.
pub(crate) fn login_failure_step(row: Option<(i64, i64)>, now: i64, g: LoginGuard) -> FailureStep {
    let (failures, first_at) = match row {
        Some((n, first)) if now - first < g.window_secs => (n + 1, first),
        _ => (1, now),
    };
    if failures >= g.max_failures {
        FailureStep {
            failures: 0,
            first_at: now,
            locked_until: now + g.lock_secs,
        }
    } else {
        FailureStep {
            failures,
            first_at,
            locked_until: 0,
        }
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
