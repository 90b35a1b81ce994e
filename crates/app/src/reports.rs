//! Reports: the unit assessment of API.md (`GET /api/v1/reports/units`).
//!
//! This first version reads each order's timeline in the caller's scope and region
//! and counts with [`hotline_domain::assessment`]; it is exact, and fast enough for
//! a city's months. The province-scale version (pre-aggregated counts and
//! `hotline bench reports`) is the next step of the supervision issue.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use hotline_domain::assessment::{Rates, Tally, Weights, score, tally_order};
use hotline_domain::{OrderId, RegionCode, Role, Timestamp};
use hotline_store::{OrderFilter, Scope};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::AppState;
use crate::access::Viewer;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::orders::parse_time;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reports/units", get(units))
        .route("/api/v1/reports/hotspots", get(hotspots))
}

#[derive(Deserialize)]
struct UnitsQuery {
    from: Option<String>,
    to: Option<String>,
    region: Option<String>,
}

/// One unit's line of the assessment.
#[derive(Debug, Serialize)]
pub struct UnitLine {
    pub unit: String,
    pub name: String,
    pub dispatches: u64,
    pub rates: Rates,
    pub score: Option<f64>,
    pub weights: Weights,
    pub counts: Tally,
}

#[derive(Serialize)]
struct Items {
    items: Vec<UnitLine>,
    from: Timestamp,
    to: Timestamp,
}

/// Who reads assessments: supervisors, inspectors, dispatchers and admins of a
/// hotline (their hotline's subtree), and installation admins (everything).
fn assessment_scope(state_org: &crate::access::Org, v: &Viewer) -> Option<Scope> {
    let readers = [
        Role::Supervisor,
        Role::Inspector,
        Role::Dispatcher,
        Role::Admin,
    ];
    if !readers.iter().any(|r| v.has(*r)) {
        return None;
    }
    if v.has(Role::Admin) && v.user.unit.is_none() {
        return Some(Scope::All);
    }
    let unit = v.user.unit.as_ref()?;
    let hotline = state_org
        .get(unit)
        .filter(|u| u.kind == hotline_domain::UnitKind::Hotline)?;
    Some(Scope::Hotlines(state_org.subtree_hotlines(&hotline.code)))
}

/// The assessment of every unit with dispatches in `[from, to]`, best score first.
pub async fn assess_units(
    state: &AppState,
    v: &Viewer,
    from: Timestamp,
    to: Timestamp,
    region: Option<RegionCode>,
) -> ApiResult<Vec<UnitLine>> {
    let org = state.org().await?;
    let scope = assessment_scope(&org, v).ok_or_else(|| {
        ApiError::forbidden("assessments are for supervisors, inspectors, dispatchers and admins")
    })?;
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut before: Option<OrderId> = None;
    loop {
        let mut f = OrderFilter::new(scope.clone());
        f.region = region.clone();
        f.registered_to = Some(to);
        f.before_id = before;
        f.limit = 500;
        let page = state.store().list_orders(&f).await?;
        before = page.last().map(|o| o.id);
        let done = page.len() < 500;
        for o in page.iter().filter(|o| o.dispatched_at.is_some()) {
            let events = state.store().events(o.id).await?;
            for (unit, t) in tally_order(&events, from, to) {
                tallies.entry(unit).or_default().add(&t);
            }
        }
        if done {
            break;
        }
    }
    let weights = Weights::default();
    let mut lines: Vec<UnitLine> = tallies
        .into_iter()
        .map(|(unit, counts)| {
            let rates = counts.rates();
            let name = hotline_domain::UnitCode::parse(&unit)
                .ok()
                .and_then(|c| org.get(&c).map(|u| u.name.clone()))
                .unwrap_or_else(|| unit.clone());
            UnitLine {
                name,
                dispatches: counts.dispatches,
                score: score(&rates, &weights),
                rates,
                weights,
                counts,
                unit,
            }
        })
        .collect();
    lines.sort_by(|a, b| {
        b.score
            .unwrap_or(-1.0)
            .total_cmp(&a.score.unwrap_or(-1.0))
            .then_with(|| a.unit.cmp(&b.unit))
    });
    Ok(lines)
}

async fn units(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    ApiQuery(q): ApiQuery<UnitsQuery>,
) -> ApiResult<Json<Items>> {
    let now = state.now();
    let to =
        q.to.as_deref()
            .map(|s| parse_time("to", s, true))
            .transpose()?
            .unwrap_or(now);
    let from = q
        .from
        .as_deref()
        .map(|s| parse_time("from", s, false))
        .transpose()?
        .unwrap_or(to - chrono::Duration::days(30));
    if from > to {
        return Err(ApiError::invalid("from", "must not be after to"));
    }
    let region = q
        .region
        .as_deref()
        .map(|r| RegionCode::parse(r).map_err(|e| ApiError::invalid("region", e.0)))
        .transpose()?;
    let items = assess_units(&state, &v, from, to, region).await?;
    Ok(Json(Items { items, from, to }))
}

/// Words that say nothing about what a request is about.
const GENERIC: &[&str] = &[
    "问题", "反映", "希望", "要求", "情况", "相关", "部门", "处理", "解决", "咨询", "投诉", "举报",
    "建议", "求助", "市民", "群众", "诉求", "来电", "请求", "关于", "尽快", "一下",
];

/// The topics of an order: the meaningful words of its title.
pub fn topics(title: &str) -> Vec<String> {
    hotline_search::words(title)
        .into_iter()
        .filter(|w| w.chars().count() >= 2 && !GENERIC.contains(&w.as_str()))
        .filter(|w| {
            !w.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_punctuation())
        })
        .collect()
}

/// Topics that rose well above their own recent baseline in a district on `day`
/// (the rule of [`hotline_domain::hotspots`]), among the orders the viewer may see.
pub async fn hotspots_for(
    state: &AppState,
    v: &Viewer,
    day: chrono::NaiveDate,
) -> ApiResult<Vec<hotline_domain::hotspots::Warning>> {
    use hotline_domain::hotspots::{BASELINE_DAYS, Counts};
    let org = state.org().await?;
    let scope = v
        .scope(&org)
        .filter(|_| {
            [
                Role::Supervisor,
                Role::Inspector,
                Role::Dispatcher,
                Role::Admin,
            ]
            .iter()
            .any(|r| v.has(*r))
        })
        .ok_or_else(|| ApiError::forbidden("hotspot warnings are for hotline staff"))?;
    let first = day - chrono::Days::new(BASELINE_DAYS as u64);
    let mut counts = Counts::default();
    let mut before: Option<OrderId> = None;
    loop {
        let mut f = OrderFilter::new(scope.clone());
        f.registered_from = Some(
            hotline_domain::rules::end_of_day(first - chrono::Days::new(1))
                + chrono::Duration::seconds(1),
        );
        f.registered_to = Some(hotline_domain::rules::end_of_day(day));
        f.before_id = before;
        f.limit = 500;
        let page = state.store().list_orders(&f).await?;
        before = page.last().map(|o| o.id);
        let done = page.len() < 500;
        for o in &page {
            let registered = o
                .registered_at
                .with_timezone(&hotline_domain::shanghai())
                .date_naive();
            let days_ago = (day - registered).num_days();
            if (0..=BASELINE_DAYS as i64).contains(&days_ago) {
                counts.add(
                    o.region.as_str(),
                    &topics(&o.title),
                    days_ago as usize,
                    o.id.0,
                );
            }
        }
        if done {
            break;
        }
    }
    Ok(counts.warnings())
}

#[derive(Deserialize)]
struct HotspotQuery {
    day: Option<String>,
}

#[derive(Serialize)]
struct Hotspots {
    day: chrono::NaiveDate,
    rule: &'static str,
    warnings: Vec<hotline_domain::hotspots::Warning>,
}

async fn hotspots(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    ApiQuery(q): ApiQuery<HotspotQuery>,
) -> ApiResult<Json<Hotspots>> {
    let day = match q.day.as_deref() {
        Some(d) => d
            .parse()
            .map_err(|_| ApiError::invalid("day", "must be YYYY-MM-DD"))?,
        None => state
            .now()
            .with_timezone(&hotline_domain::shanghai())
            .date_naive(),
    };
    let warnings = hotspots_for(&state, &v, day).await?;
    Ok(Json(Hotspots {
        day,
        rule: "count ≥ 5 and count ≥ mean + 3 × max(sd, 1) of the 14 days before, per topic and district",
        warnings,
    }))
}
