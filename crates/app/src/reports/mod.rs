//! Reports: the unit assessment (`GET /api/v1/reports/units`), the period reports,
//! hotspots and seasonal topics, as `docs/metrics.md` defines them.
//!
//! The assessment and the period reports read the report counters
//! ([`hotline_domain::stats`], kept by [`crate::reports::stats`]): a few thousand sums per
//! report however many orders there are (`hotline bench reports` measures it).
//! Hotspots and seasonal topics still read the orders of the days they look at.
//! The HTTP routes are in [`api`], the console's pages in `crate::web`.

pub mod api;
pub mod hotlines;
pub mod stats;
pub mod summons;

use hotline_domain::assessment::{Rates, Tally, Weights, score};
use hotline_domain::rules::{end_of_day, start_of_day};
use hotline_domain::stats::{day_number, measure, parse_due_key, tally_from};
use hotline_domain::{CallbackResult, Capability, Order, RegionCode, Timestamp, shanghai};
use hotline_store::stats::CountQuery;
use hotline_store::{OrderFilter, Scope, region_prefix};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::AppState;
use crate::access::Viewer;
use crate::dates;
use crate::error::{ApiError, ApiResult};

/// Every order a filter selects, read a page at a time: reports read whole scopes.
pub(crate) async fn all_orders(state: &AppState, mut f: OrderFilter) -> ApiResult<Vec<Order>> {
    const PAGE: u32 = hotline_store::MAX_PAGE;
    f.limit = PAGE;
    let mut out = Vec::new();
    loop {
        let page = state.store().list_orders(&f).await?;
        let done = page.len() < PAGE as usize;
        f.before_id = page.last().map(|o| o.id);
        out.extend(page);
        if done {
            return Ok(out);
        }
    }
}

/// One unit's line of the assessment.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnitLine {
    pub unit: String,
    pub name: String,
    /// The unit's kind (department, district, township, …): rankings are per level.
    pub level: String,
    /// The unit's place among units of its level, by score.
    pub rank: usize,
    pub dispatches: u64,
    pub rates: Rates,
    pub score: Option<f64>,
    pub weights: Weights,
    pub counts: Tally,
    /// The handling unit this one is a sub-unit of (a township under its district
    /// government), if any: its line is a breakdown under that unit's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Second-level dispatches (二级派单) it received from its parent in the range.
    pub forwards: ForwardTally,
}

/// A sub-unit's second-level dispatches: received, replied to the lead unit, and
/// replied within the deadline the lead unit gave.
#[derive(Debug, Default, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct ForwardTally {
    pub received: u64,
    pub replied: u64,
    pub replied_on_time: u64,
}

/// Who reads assessments: supervisors, inspectors, dispatchers and admins of a
/// hotline (their hotline's subtree), and installation admins (everything).
fn assessment_scope(state_org: &crate::access::Org, v: &Viewer) -> Option<Scope> {
    if !v.grants(Capability::ReadReports) {
        return None;
    }
    if v.is_installation_admin() {
        return Some(Scope::All);
    }
    let unit = v.user.unit.as_ref()?;
    let hotline = state_org.get(unit).filter(|u| u.kind.takes_requests())?;
    Some(Scope::Hotlines(state_org.subtree_hotlines(&hotline.code)))
}

/// The scope's hotlines as the counters name them (`None`: every hotline).
fn scope_hotlines(scope: &Scope) -> Option<Vec<String>> {
    match scope {
        Scope::Hotlines(h) => Some(h.iter().map(|c| c.as_str().to_owned()).collect()),
        _ => None,
    }
}

/// Sums of the report counters, once everything registered so far is counted.
async fn counts(
    state: &AppState,
    q: CountQuery,
) -> ApiResult<BTreeMap<String, BTreeMap<String, u64>>> {
    let store = state.store().as_ref();
    if crate::reports::stats::backlogged(store, crate::reports::stats::BACKLOG).await? {
        return Err(ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "counting",
            "the report counters are still being built after an upgrade or a bulk import; try again in a few minutes",
        ));
    }
    crate::reports::stats::catch_up(store, state.now()).await?;
    let mut out: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for c in state.store().stat_counts(&q).await? {
        out.entry(c.measure)
            .or_default()
            .insert(c.key, c.n.max(0) as u64);
    }
    Ok(out)
}

fn shanghai_date(t: Timestamp) -> chrono::NaiveDate {
    t.with_timezone(&shanghai()).date_naive()
}

/// The assessment of every unit with dispatches on the days of `[from, to]`
/// (Asia/Shanghai), best score first.
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
    dates::report_range(from, to)?;
    let q = CountQuery {
        measures: [
            &measure::ASSESSMENT[..],
            &measure::ASSESSMENT_DUE[..],
            &measure::FORWARD[..],
        ]
        .concat(),
        from: shanghai_date(from),
        to: shanghai_date(to),
        hotlines: scope_hotlines(&scope),
        region_prefix: region.as_ref().map(region_prefix),
    };
    let as_of = day_number(to.min(state.now()));
    let mut counted = counts(state, q).await?;
    let forwards = forward_tallies(&mut counted);
    let mut tallies = unit_tallies(counted, as_of);
    for unit in forwards.keys() {
        tallies.entry(unit.clone()).or_default();
    }
    let tallies = tallies
        .into_iter()
        .filter(|(u, t)| t.dispatches > 0 || forwards.contains_key(u));
    let weights = weights(state).await?;
    let mut lines: Vec<UnitLine> = tallies
        .map(|(unit, counts)| {
            let rates = counts.rates();
            let record = hotline_domain::UnitCode::parse(&unit)
                .ok()
                .and_then(|c| org.get(&c));
            UnitLine {
                parent: record
                    .and_then(|u| u.parent.as_ref())
                    .filter(|p| org.get(p).is_some_and(|p| !p.kind.takes_requests()))
                    .map(|p| p.to_string()),
                forwards: forwards.get(&unit).copied().unwrap_or_default(),
                name: record.map_or_else(|| unit.clone(), |u| u.name.clone()),
                level: record.map_or("", |u| u.kind.as_str()).to_owned(),
                rank: 0,
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
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for l in &mut lines {
        let n = seen.entry(l.level.clone()).or_default();
        *n += 1;
        l.rank = *n;
    }
    Ok(lines)
}

/// Takes the second-level dispatch counters out of the sums, by sub-unit.
fn forward_tallies(
    counts: &mut BTreeMap<String, BTreeMap<String, u64>>,
) -> BTreeMap<String, ForwardTally> {
    let mut out: BTreeMap<String, ForwardTally> = BTreeMap::new();
    for m in measure::FORWARD {
        for (unit, n) in counts.remove(m).unwrap_or_default() {
            let t = out.entry(unit).or_default();
            match m {
                measure::FORWARDS => t.received += n,
                measure::FORWARD_REPLIES => t.replied += n,
                _ => t.replied_on_time += n,
            }
        }
    }
    out
}

/// Each unit's tally from the assessment counters, counting the completions that
/// fell due on or before the day `as_of` (`yyyymmdd`).
fn unit_tallies(
    counts: BTreeMap<String, BTreeMap<String, u64>>,
    as_of: u32,
) -> BTreeMap<String, Tally> {
    let mut by_unit: BTreeMap<String, BTreeMap<&str, u64>> = BTreeMap::new();
    let mut due: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (m, keys) in counts {
        if let Some(m) = measure::ASSESSMENT.iter().find(|x| **x == m) {
            for (unit, n) in keys {
                by_unit.entry(unit).or_default().insert(m, n);
            }
            continue;
        }
        let on_time = m == measure::COMPLETED_ON_TIME;
        for (key, n) in keys {
            let Some((unit, _)) = parse_due_key(&key).filter(|(_, day)| *day <= as_of) else {
                continue;
            };
            let d = due.entry(unit.to_owned()).or_default();
            if on_time {
                d.1 += n;
            } else {
                d.0 += n;
            }
        }
    }
    by_unit
        .into_iter()
        .map(|(unit, c)| {
            let mut t = tally_from(&c);
            (t.completion_due, t.completed_on_time) = due.get(&unit).copied().unwrap_or_default();
            (unit, t)
        })
        .collect()
}

const WEIGHTS_KEY: &str = "assessment_weights";

/// The score's weights in force (20/30/25/25 until an administrator sets others).
pub async fn weights(state: &AppState) -> ApiResult<Weights> {
    crate::settings::read(state, WEIGHTS_KEY).await
}

/// Sets the score's weights, with its audit record: an installation administrator's.
pub async fn set_weights(
    state: &AppState,
    principal: &crate::audit::Principal<'_>,
    w: Weights,
) -> ApiResult<Weights> {
    if !principal.is_installation_admin() {
        return Err(ApiError::forbidden(
            "only an installation administrator sets the weights",
        ));
    }
    let parts = w.all();
    if parts.iter().any(|x| !(0.0..=1.0).contains(x))
        || (parts.iter().sum::<f64>() - 1.0).abs() > 1e-6
    {
        return Err(ApiError::invalid("weights", "each 0–1, together 1"));
    }
    let detail = serde_json::to_value(w).unwrap_or_default();
    let object = "settings:assessment_weights".to_owned();
    let record = principal.record(state, "assessment.weights", object, detail);
    crate::settings::save(state, WEIGHTS_KEY, &w, record).await?;
    Ok(w)
}

/// Words that say nothing about what a request is about.
const GENERIC: &[&str] = &[
    "问题",
    "反映",
    "希望",
    "要求",
    "情况",
    "相关",
    "部门",
    "处理",
    "解决",
    "咨询",
    "投诉",
    "举报",
    "建议",
    "求助",
    "市民",
    "群众",
    "诉求",
    "来电",
    "请求",
    "关于",
    "尽快",
    "一下",
    "严重",
    "非常",
    "多次",
    "长期",
    "一直",
    "没有",
    "不能",
    "无法",
    "存在",
    "影响",
    "哪些",
    "什么",
    "怎么",
    "如何",
    "怎样",
    "是否",
    "可以",
    "需要",
    "材料",
    "办理",
    "为什么",
    "多少",
    "哪里",
    "时候",
    "能否",
    "请问",
];

/// The topics of an order: the meaningful words of its title.
pub fn topics(title: &str) -> Vec<String> {
    hotline_search::topic_words(title)
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
        .filter(|_| v.grants(Capability::ReadReports))
        .ok_or_else(|| ApiError::forbidden("hotspot warnings are for hotline staff"))?;
    let first = day - chrono::Days::new(BASELINE_DAYS as u64);
    let mut counts = Counts::default();
    let mut f = OrderFilter::new(scope);
    f.registered_from = Some(start_of_day(first));
    f.registered_to = Some(end_of_day(day));
    // A merged order is its target's duplicate: counted once, as the target.
    let orders = all_orders(state, f).await?;
    for o in orders
        .into_iter()
        .filter(|o| o.status != hotline_domain::Status::Merged)
    {
        let registered = o.registered_at.with_timezone(&shanghai()).date_naive();
        let days_ago = (day - registered).num_days();
        if (0..=BASELINE_DAYS as i64).contains(&days_ago) {
            counts.add(
                o.region.as_str(),
                &topics(&o.title),
                days_ago as usize,
                o.id.get(),
            );
        }
    }
    Ok(counts.warnings())
}

/// A report's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    Week,
    Month,
    Quarter,
    Year,
    /// Any days `from..=to` (at most [`MAX_RANGE_DAYS`]).
    Range,
}

/// Days a report of any range covers at most.
pub const MAX_RANGE_DAYS: i64 = 366;

impl Period {
    /// The first and last day of the period containing `date` (weeks start on Monday).
    pub fn bounds(self, date: chrono::NaiveDate) -> (chrono::NaiveDate, chrono::NaiveDate) {
        use chrono::Datelike;
        match self {
            Period::Day => (date, date),
            Period::Week => {
                let first =
                    date - chrono::Days::new(u64::from(date.weekday().num_days_from_monday()));
                (first, first + chrono::Days::new(6))
            }
            Period::Month | Period::Range => {
                let first = date.with_day(1).unwrap_or(date);
                let next = first + chrono::Months::new(1);
                (first, next.pred_opt().unwrap_or(first))
            }
            Period::Quarter => {
                let month = (date.month0() / 3) * 3 + 1;
                let first = date
                    .with_day(1)
                    .and_then(|d| d.with_month(month))
                    .unwrap_or(date);
                let next = first + chrono::Months::new(3);
                (first, next.pred_opt().unwrap_or(first))
            }
            Period::Year => {
                let first = date.with_ordinal(1).unwrap_or(date);
                let next = first + chrono::Months::new(12);
                (first, next.pred_opt().unwrap_or(first))
            }
        }
    }

    /// The days of a report: the period containing `date`, or for a range the days
    /// `from..=to` (checked: in order, at most [`MAX_RANGE_DAYS`]).
    pub fn days(
        self,
        date: chrono::NaiveDate,
        range: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
    ) -> ApiResult<(chrono::NaiveDate, chrono::NaiveDate)> {
        match (self, range) {
            (Period::Range, Some((from, to))) => {
                if to < from {
                    return Err(ApiError::invalid("to", "must not be before from"));
                }
                if (to - from).num_days() >= MAX_RANGE_DAYS {
                    return Err(ApiError::invalid(
                        "to",
                        format!("a range covers at most {MAX_RANGE_DAYS} days"),
                    ));
                }
                Ok((from, to))
            }
            (Period::Range, None) => Err(ApiError::invalid("from", "a range needs from and to")),
            (p, _) => Ok(p.bounds(date)),
        }
    }
}

/// Orders registered on a day (or, in reports longer than a quarter, a month).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrendPoint {
    /// The day (`2026-03-02`) or the month (`2026-03`).
    pub date: String,
    pub count: u64,
}

/// The period's total against the period before (环比) and the same days a year
/// before (同比).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Comparison {
    /// Orders registered in the period of the same length just before.
    pub previous: u64,
    /// (total − previous) / previous.
    pub change_from_previous: Option<f64>,
    /// Orders registered in the same days a year before.
    pub last_year: u64,
    /// (total − last_year) / last_year.
    pub change_from_last_year: Option<f64>,
}

/// One count of a breakdown: the key as stored (a kind, a channel, a unit code, …).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Count {
    pub key: String,
    pub count: u64,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct DeadlinePerformance {
    /// Orders whose deadline fell in the period.
    pub due: u64,
    pub on_time: u64,
    pub late: u64,
    pub rate: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Satisfaction {
    pub evaluations: u64,
    pub satisfied: u64,
    pub fairly_satisfied: u64,
    pub dissatisfied: u64,
    pub rate: Option<f64>,
}

/// The hotline's reviews of replies (答复审核) in the period.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ReplyReviews {
    pub reviewed: u64,
    pub approved: u64,
    /// Sent back to the unit.
    pub rejected: u64,
    /// Approved / reviewed.
    pub rate: Option<f64>,
}

/// A daily, weekly or monthly report of the orders the viewer may see.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PeriodReport {
    pub period: Period,
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub total: u64,
    pub by_channel: Vec<Count>,
    pub by_kind: Vec<Count>,
    pub by_domain: Vec<Count>,
    pub by_region: Vec<Count>,
    pub by_unit: Vec<Count>,
    pub deadline: DeadlinePerformance,
    pub satisfaction: Satisfaction,
    pub top_issues: Vec<Count>,
    pub reply_review: ReplyReviews,
    /// Orders registered in the period that a hotline of the report passed up to a
    /// hotline above it (提级办理): they count in that hotline's totals, not in `total`.
    pub escalated_out: u64,
    /// Interim replies (阶段性答复) given in the period, apart from final replies.
    pub interim_replies: u64,
    /// Orders registered in the period that an enterprise asked (涉企诉求).
    pub enterprise_requests: u64,
    /// Orders registered day by day (month by month beyond 92 days).
    pub trend: Vec<TrendPoint>,
    pub comparison: Comparison,
}

fn sorted(m: BTreeMap<String, u64>, limit: usize) -> Vec<Count> {
    let mut v: Vec<Count> = m
        .into_iter()
        .map(|(key, count)| Count { key, count })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    v.truncate(limit);
    v
}

/// The report of the period containing `date`.
pub async fn period_report(
    state: &AppState,
    v: &Viewer,
    period: Period,
    date: chrono::NaiveDate,
) -> ApiResult<PeriodReport> {
    range_report(state, v, period, period.days(date, None)?).await
}

/// The report of the days `first..=last`.
pub async fn range_report(
    state: &AppState,
    v: &Viewer,
    period: Period,
    (first, last): (chrono::NaiveDate, chrono::NaiveDate),
) -> ApiResult<PeriodReport> {
    use chrono::Datelike;
    use measure::*;
    let org = state.org().await?;
    let scope = assessment_scope(&org, v).ok_or_else(|| {
        ApiError::forbidden("reports are for supervisors, inspectors, dispatchers and admins")
    })?;
    let query = |measures: Vec<&'static str>, to: chrono::NaiveDate| CountQuery {
        measures,
        from: first,
        to,
        hotlines: scope_hotlines(&scope),
        region_prefix: None,
    };
    let mut c = counts(
        state,
        query(
            vec![
                REGISTERED,
                CHANNEL,
                KIND,
                DOMAIN,
                UNIT,
                TOPIC,
                EVALUATION,
                REVIEW,
                ESCALATED_OUT,
                INTERIM,
                ENTERPRISE,
            ],
            last,
        ),
    )
    .await?;
    // Deadlines count once their day has ended (deadlines are at the end of a day).
    let yesterday = shanghai_date(state.now()).pred_opt().unwrap_or(first);
    let deadlines = counts(state, query(vec![DEADLINE], last.min(yesterday))).await?;
    let mut take = |m: &str| c.remove(m).unwrap_or_default();
    let regions = take(REGISTERED);
    let dl = deadlines.get(DEADLINE).cloned().unwrap_or_default();
    let evaluations = take(EVALUATION);
    let reviews = take(REVIEW);
    let interim_replies = take(INTERIM).values().sum();
    let enterprise_requests = take(ENTERPRISE).values().sum();
    let in_scope = scope_hotlines(&scope);
    // A move between two hotlines of the report stays inside it.
    let escalated_out = take(ESCALATED_OUT)
        .iter()
        .filter(|(key, _)| {
            let to = hotline_domain::stats::escalation_ends(key).1;
            in_scope
                .as_ref()
                .is_some_and(|h| !h.iter().any(|h| h == to))
        })
        .map(|(_, n)| n)
        .sum();
    let get = |m: &BTreeMap<String, u64>, k: &str| m.get(k).copied().unwrap_or(0);
    let rate = |n: u64, d: u64| (d > 0).then(|| n as f64 / d as f64);
    let mut deadline = DeadlinePerformance {
        on_time: get(&dl, "on_time"),
        late: get(&dl, "late"),
        ..Default::default()
    };
    deadline.due = deadline.on_time + deadline.late;
    deadline.rate = rate(deadline.on_time, deadline.due);
    let mut satisfaction = Satisfaction {
        evaluations: evaluations.values().sum(),
        satisfied: get(&evaluations, CallbackResult::Satisfied.as_str()),
        fairly_satisfied: get(&evaluations, CallbackResult::FairlySatisfied.as_str()),
        ..Default::default()
    };
    satisfaction.dissatisfied =
        satisfaction.evaluations - satisfaction.satisfied - satisfaction.fairly_satisfied;
    satisfaction.rate = rate(
        satisfaction.satisfied + satisfaction.fairly_satisfied,
        satisfaction.evaluations,
    );
    let mut reply_review = ReplyReviews {
        approved: get(&reviews, "approved"),
        rejected: get(&reviews, "rejected"),
        ..Default::default()
    };
    reply_review.reviewed = reply_review.approved + reply_review.rejected;
    reply_review.rate = rate(reply_review.approved, reply_review.reviewed);
    let total: u64 = regions.values().sum();
    // The counters were brought up to date by `counts` above: the trend and the
    // comparisons only add them up.
    let registered_between = |from: chrono::NaiveDate, to: chrono::NaiveDate| {
        let q = CountQuery {
            from,
            ..query(vec![REGISTERED], to)
        };
        async move {
            let sums = state.store().stat_counts(&q).await?;
            Ok::<u64, ApiError>(sums.iter().map(|c| c.n.max(0) as u64).sum())
        }
    };
    let mut trend = Vec::new();
    let length = (last - first).num_days();
    if length <= 92 {
        for day in first.iter_days().take_while(|d| *d <= last) {
            let count = registered_between(day, day).await?;
            trend.push(TrendPoint {
                date: day.to_string(),
                count,
            });
        }
    } else {
        let mut month = first;
        while month <= last {
            let next = (month + chrono::Months::new(1)).with_day(1).unwrap_or(last);
            let end = next.pred_opt().unwrap_or(last).min(last);
            let count = registered_between(month, end).await?;
            trend.push(TrendPoint {
                date: month.format("%Y-%m").to_string(),
                count,
            });
            month = next;
        }
    }
    let before_last = first.pred_opt().unwrap_or(first);
    let before_first = before_last - chrono::Days::new(length as u64);
    let previous = registered_between(before_first, before_last).await?;
    let year_ago =
        |d: chrono::NaiveDate| d.checked_sub_months(chrono::Months::new(12)).unwrap_or(d);
    let last_year = registered_between(year_ago(first), year_ago(last)).await?;
    let change = |now: u64, then: u64| (then > 0).then(|| (now as f64 - then as f64) / then as f64);
    let comparison = Comparison {
        previous,
        change_from_previous: change(total, previous),
        last_year,
        change_from_last_year: change(total, last_year),
    };
    Ok(PeriodReport {
        reply_review,
        escalated_out,
        interim_replies,
        enterprise_requests,
        trend,
        comparison,
        period,
        from: first,
        to: last,
        total,
        by_channel: sorted(take(CHANNEL), 50),
        by_kind: sorted(take(KIND), 50),
        by_domain: sorted(take(DOMAIN), 50),
        by_region: sorted(regions, 50),
        by_unit: sorted(take(UNIT), 50),
        deadline,
        satisfaction,
        top_issues: sorted(take(TOPIC), 10),
    })
}

/// A topic's count in the same month of several years.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Seasonal {
    pub topic: String,
    /// `(year, count)`, oldest first.
    #[schema(value_type = Vec<Vec<i64>>)]
    pub years: Vec<(i32, u64)>,
    /// In how many of the years the topic was among the month's top topics.
    pub recurring_in: usize,
}

/// The month's top topics this year and in the `years - 1` years before, so that
/// recurring seasonal issues (flooding in July, heating in December) stand out.
pub async fn seasonal_for(
    state: &AppState,
    v: &Viewer,
    year: i32,
    month: u32,
    years: i32,
) -> ApiResult<Vec<Seasonal>> {
    use chrono::NaiveDate;
    let org = state.org().await?;
    let scope = assessment_scope(&org, v).ok_or_else(|| {
        ApiError::forbidden("reports are for supervisors, inspectors, dispatchers and admins")
    })?;
    let first_year = year - years + 1;
    let mut counts: BTreeMap<String, BTreeMap<i32, u64>> = BTreeMap::new();
    let mut tops: BTreeMap<String, usize> = BTreeMap::new();
    for y in first_year..=year {
        let first = NaiveDate::from_ymd_opt(y, month, 1)
            .ok_or_else(|| ApiError::invalid("month", "must be YYYY-MM"))?;
        let last = (first + chrono::Months::new(1)).pred_opt().unwrap_or(first);
        let mut f = OrderFilter::new(scope.clone());
        f.registered_from = Some(start_of_day(first));
        f.registered_to = Some(end_of_day(last));
        let mut year_counts: BTreeMap<String, u64> = BTreeMap::new();
        for o in all_orders(state, f).await? {
            for t in topics(&o.title) {
                *year_counts.entry(t).or_default() += 1;
            }
        }
        for c in sorted(year_counts.clone(), 10) {
            *tops.entry(c.key).or_default() += 1;
        }
        for (t, n) in year_counts {
            counts.entry(t).or_default().insert(y, n);
        }
    }
    let mut out: Vec<Seasonal> = tops
        .into_iter()
        .map(|(topic, recurring_in)| Seasonal {
            years: (first_year..=year)
                .map(|y| {
                    (
                        y,
                        counts
                            .get(&topic)
                            .and_then(|c| c.get(&y))
                            .copied()
                            .unwrap_or(0),
                    )
                })
                .collect(),
            topic,
            recurring_in,
        })
        .collect();
    out.sort_by(|a, b| {
        b.recurring_in
            .cmp(&a.recurring_in)
            .then_with(|| {
                b.years
                    .last()
                    .map(|x| x.1)
                    .cmp(&a.years.last().map(|x| x.1))
            })
            .then_with(|| a.topic.cmp(&b.topic))
    });
    Ok(out)
}
