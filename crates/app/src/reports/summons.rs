//! Summons (约谈): the month's units meeting an administrator's conditions, each with
//! the orders that triggered it, and the record of the authority acting on it (kept
//! in the audit trail as `summons.acted`).

use chrono::NaiveDate;
use hotline_domain::summons::{SummonsRules, Trigger, UnitMonth, evaluate};
use hotline_domain::{Capability, EventKind, Status, Timestamp};
use hotline_store::{AuditFilter, OrderFilter, Scope};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::AppState;
use crate::access::Viewer;
use crate::audit::{self, ClientAddr, Principal};
use crate::error::{ApiError, ApiResult};
use crate::reports::Period;

const RULES_KEY: &str = "summons_rules";

/// The rules in force (the defaults until an administrator saves others).
pub async fn rules(state: &AppState) -> ApiResult<SummonsRules> {
    crate::settings::read(state, RULES_KEY).await
}

fn month_bounds(month: &str) -> ApiResult<(NaiveDate, NaiveDate)> {
    Ok(Period::Month.bounds(crate::dates::month("month", month)?))
}

fn scope_of(state_org: &crate::access::Org, v: &Viewer) -> ApiResult<Scope> {
    let allowed = v.grants(Capability::ReadSummons);
    if allowed && v.is_installation_admin() {
        return Ok(Scope::All);
    }
    v.scope(state_org)
        .filter(|s| allowed && matches!(s, Scope::Hotlines(_)))
        .ok_or_else(|| ApiError::forbidden("summons are for supervisors, inspectors and admins"))
}

/// Each unit's month, gathered from the orders and their timelines.
async fn unit_months(
    state: &AppState,
    scope: Scope,
    start: Timestamp,
    end: Timestamp,
) -> ApiResult<BTreeMap<String, UnitMonth>> {
    let now = state.now();
    let mut months: BTreeMap<String, UnitMonth> = BTreeMap::new();
    let mut f = OrderFilter::new(scope);
    f.registered_to = Some(end);
    f.limit = hotline_store::MAX_PAGE;
    // A page at a time: the monthly evaluation reads a whole installation's orders.
    loop {
        let page = state.store().list_orders(&f).await?;
        for o in &page {
            add_order(state, &mut months, o, start, end, now).await?;
        }
        if page.len() < f.limit as usize {
            return Ok(months);
        }
        f.before_id = page.last().map(|o| o.id);
    }
}

/// What one order tells of its lead unit's month.
async fn add_order(
    state: &AppState,
    months: &mut BTreeMap<String, UnitMonth>,
    o: &hotline_domain::Order,
    start: Timestamp,
    end: Timestamp,
    now: Timestamp,
) -> ApiResult<()> {
    let Some(unit) = &o.unit else { return Ok(()) };
    let m = months.entry(unit.to_string()).or_default();
    if let Some(d) = o.deadline
        && start <= d
        && d <= end
    {
        let late = match &o.reply {
            Some(r) => r.at > d,
            None => now.min(end) > d,
        };
        if late {
            m.overdue.push(o.id.get());
        }
    }
    // A closed order takes no more callbacks, evaluations or reopens.
    if o.status == Status::Closed && o.closed_at.is_some_and(|c| c < start) {
        return Ok(());
    }
    for e in state.store().events(o.id).await? {
        if e.at < start || e.at > end {
            continue;
        }
        if e.kind == EventKind::Reopened {
            *m.reopens.entry(o.id.get()).or_default() += 1;
        } else if let Some(outcome) = e.outcome() {
            m.evaluations
                .push((o.id.get(), outcome.result.is_satisfied()));
        }
    }
    Ok(())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Acted {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub by: String,
    pub note: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SummonsLine {
    pub unit: String,
    pub name: String,
    pub triggers: Vec<Trigger>,
    pub acted: Option<Acted>,
}

fn object(month: &str, unit: &str) -> String {
    format!("summons:{month}:{unit}")
}

/// Each unit of the scope meeting a rule in `month` (YYYY-MM), with its triggers.
async fn triggered(
    state: &AppState,
    scope: Scope,
    month: &str,
) -> ApiResult<Vec<(String, Vec<Trigger>)>> {
    let (first, last) = month_bounds(month)?;
    let start = hotline_domain::rules::start_of_day(first);
    let end = hotline_domain::rules::end_of_day(last);
    let rules = rules(state).await?;
    Ok(unit_months(state, scope, start, end)
        .await?
        .into_iter()
        .map(|(unit, m)| (unit, evaluate(&rules, &m)))
        .filter(|(_, t)| !t.is_empty())
        .collect())
}

const EVALUATED_KEY: &str = "summons_evaluated_month";

/// The monthly evaluation: once a month has ended, its summons list for the whole
/// installation is recorded in the audit trail (`summons.evaluated`, by `system`),
/// so the authority has it on record whether or not anyone opened the page.
/// Returns the month evaluated, if this call did it.
pub async fn evaluate_last_month(state: &AppState) -> ApiResult<Option<String>> {
    let today = state.today();
    let last_month = (Period::Month.bounds(today).0 - chrono::Days::new(1))
        .format("%Y-%m")
        .to_string();
    let done: String = crate::settings::read(state, EVALUATED_KEY).await?;
    if done == last_month {
        return Ok(None);
    }
    let lines = triggered(state, Scope::All, &last_month).await?;
    let detail = serde_json::json!({
        "month": last_month,
        "units": lines.iter().map(|(unit, t)| serde_json::json!({"unit": unit, "triggers": t})).collect::<Vec<_>>(),
    });
    let record = crate::audit::system(
        state,
        "summons.evaluated",
        Some(format!("summons:{last_month}")),
        detail,
    );
    crate::settings::save(state, EVALUATED_KEY, &last_month, record).await?;
    Ok(Some(last_month))
}

/// The units meeting a rule in `month` (YYYY-MM), among those the viewer oversees.
pub async fn summons_for(state: &AppState, v: &Viewer, month: &str) -> ApiResult<Vec<SummonsLine>> {
    let org = state.org().await?;
    let scope = scope_of(&org, v)?;
    let mut out = Vec::new();
    for (unit, triggers) in triggered(state, scope, month).await? {
        let acted = state
            .store()
            .audit_entries(&AuditFilter {
                action: Some("summons.acted".into()),
                object: Some(object(month, &unit)),
                limit: 1,
                ..Default::default()
            })
            .await?
            .into_iter()
            .next()
            .map(|e| Acted {
                at: e.record.at,
                by: e.record.actor,
                note: e.record.detail["note"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            });
        let name = hotline_domain::UnitCode::parse(&unit)
            .ok()
            .and_then(|c| org.get(&c).map(|u| u.name.clone()))
            .unwrap_or_else(|| unit.clone());
        out.push(SummonsLine {
            unit,
            name,
            triggers,
            acted,
        });
    }
    Ok(out)
}

/// The authority acted on `unit`'s summons for `month` (`YYYY-MM`).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ActedBody {
    pub month: String,
    pub unit: String,
    pub note: String,
}

/// Records that the authority acted on a unit's summons for a month.
pub async fn record_acted(
    state: &AppState,
    v: &Viewer,
    addr: &ClientAddr,
    b: ActedBody,
) -> ApiResult<()> {
    if !v.grants(Capability::RecordSummons) {
        return Err(ApiError::forbidden("supervisors and admins record summons"));
    }
    if b.note.trim().is_empty() {
        return Err(ApiError::invalid("note", "must not be empty"));
    }
    let listed = summons_for(state, v, &b.month).await?;
    if !listed.iter().any(|l| l.unit == b.unit) {
        return Err(ApiError::invalid(
            "unit",
            "this unit has no summons for the month",
        ));
    }
    let detail = serde_json::json!({"note": b.note.trim()});
    let record = audit::by(
        v,
        addr,
        state,
        "summons.acted",
        Some(object(&b.month, &b.unit)),
        detail,
    );
    Ok(state.store().append_audit(record).await?)
}

/// Sets the summons rules, with their audit record: an installation administrator's.
pub async fn set_rules(
    state: &AppState,
    principal: &Principal<'_>,
    r: SummonsRules,
) -> ApiResult<SummonsRules> {
    if !principal.is_installation_admin() {
        return Err(ApiError::forbidden(
            "only an installation administrator sets summons rules",
        ));
    }
    r.check().map_err(|p| ApiError::invalid("rules", p))?;
    let detail = serde_json::to_value(&r).unwrap_or_default();
    let object = "settings:summons_rules".to_owned();
    let record = principal.record(state, "summons.rules", object, detail);
    crate::settings::save(state, RULES_KEY, &r, record).await?;
    Ok(r)
}
