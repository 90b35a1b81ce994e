//! Hotline assessment: each owning hotline's own work (hotlines and sub-centres in the
//! reader's subtree), as the hotline above sees it. Definitions: `docs/metrics.md`,
//! "Hotline assessment"; the facts: [`hotline_domain::hotline_work`].

use std::collections::BTreeMap;

use hotline_domain::hotline_work::{hotline_of_key, measure as work};
use hotline_domain::{Timestamp, UnitCode};
use hotline_store::stats::CountQuery;
use serde::Serialize;

use super::{assessment_scope, counts, scope_hotlines, shanghai_date};
use crate::AppState;
use crate::access::Viewer;
use crate::error::{ApiError, ApiResult};

/// Routing within this many minutes counts as prompt.
pub const PROMPT_MINUTES: i64 = 120;

/// One hotline's figures over the range.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct HotlineLine {
    pub hotline: String,
    pub name: String,
    /// `hotline` or `subcentre`.
    pub kind: String,
    /// Orders that reached it: registered there, handed down to it, taken up by it.
    pub received: u64,
    /// Of those, routed (dispatched or handed down) for the first time in the range.
    pub routed: u64,
    /// The median time from arrival to that first routing, in minutes (at the
    /// resolution of the kept buckets); null with nothing routed.
    pub routing_median_minutes: Option<i64>,
    /// Routed within [`PROMPT_MINUTES`] / routed.
    pub routed_promptly: Option<f64>,
    /// Closed by its direct answer (直办).
    pub direct_answers: u64,
    /// 直办率: direct answers / received.
    pub direct_answer_rate: Option<f64>,
    pub dispatches: u64,
    /// Dispatches that ended in an approved return.
    pub misdispatched: u64,
    /// 派单准确率: 1 − misdispatched / dispatches.
    pub dispatch_accuracy: Option<f64>,
    /// Replies that came to it for the callback.
    pub callbacks_due: u64,
    pub called_back: u64,
    /// 回访率: called back / callbacks due.
    pub callback_rate: Option<f64>,
    /// 回访及时率: first try before the watch flagged it overdue / called back.
    pub callback_timeliness: Option<f64>,
    pub reopens: u64,
    /// 重办率: reopens / callbacks due.
    pub reopen_rate: Option<f64>,
    /// Orders registered in the range it passed up a level (提级办理).
    pub escalated_out: u64,
}

fn rate(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// The figures of every owning hotline the viewer reports on, over `from..=to`:
/// their own hotline first, then the others by code.
pub async fn assess_hotlines(
    state: &AppState,
    v: &Viewer,
    from: Timestamp,
    to: Timestamp,
) -> ApiResult<Vec<HotlineLine>> {
    let org = state.org().await?;
    let scope = assessment_scope(&org, v).ok_or_else(|| {
        ApiError::forbidden("assessments are for supervisors, inspectors, dispatchers and admins")
    })?;
    crate::dates::report_range(from, to)?;
    let mut measures = work::ALL.to_vec();
    measures.push(hotline_domain::stats::measure::ESCALATED_OUT);
    let q = CountQuery {
        measures,
        from: shanghai_date(from),
        to: shanghai_date(to),
        hotlines: scope_hotlines(&scope),
        region_prefix: None,
    };
    let sums = counts(state, q).await?;
    let mut lines: BTreeMap<String, HotlineLine> = BTreeMap::new();
    let mut routing: BTreeMap<String, Vec<(i64, u64)>> = BTreeMap::new();
    let mut on_time: BTreeMap<String, u64> = BTreeMap::new();
    for (m, keys) in &sums {
        for (key, n) in keys {
            let (hotline, detail) = match m.as_str() {
                hotline_domain::stats::measure::ESCALATED_OUT => {
                    hotline_domain::stats::escalation_ends(key)
                }
                _ => (
                    hotline_of_key(key),
                    key.split_once('>').map_or("", |(_, d)| d),
                ),
            };
            let line = lines.entry(hotline.to_owned()).or_default();
            match m.as_str() {
                work::ARRIVED => line.received += n,
                work::ROUTED => {
                    line.routed += n;
                    let minutes = detail.parse().unwrap_or(0);
                    routing
                        .entry(hotline.to_owned())
                        .or_default()
                        .push((minutes, *n));
                }
                work::DIRECT => line.direct_answers += n,
                work::DISPATCHES => line.dispatches += n,
                work::MISDISPATCHED => line.misdispatched += n,
                work::CALLBACK_DUE => line.callbacks_due += n,
                work::CALLED_BACK => line.called_back += n,
                work::CALLED_BACK_ON_TIME => *on_time.entry(hotline.to_owned()).or_default() += n,
                work::REOPENS => line.reopens += n,
                _ => line.escalated_out += n,
            }
        }
    }
    let own = v.staff_hotline(&org).cloned();
    let mut out: Vec<HotlineLine> = lines
        .into_iter()
        .filter_map(|(code, mut l)| {
            let record = UnitCode::parse(&code).ok().and_then(|c| org.get(&c))?;
            l.name = record.name.clone();
            l.kind = record.kind.as_str().to_owned();
            let times = routing.remove(&code).unwrap_or_default();
            let prompt: u64 = times
                .iter()
                .filter(|(m, _)| *m < PROMPT_MINUTES)
                .map(|(_, n)| n)
                .sum();
            l.routed_promptly = rate(prompt, l.routed);
            l.routing_median_minutes = median(times);
            l.direct_answer_rate = rate(l.direct_answers, l.received);
            l.dispatch_accuracy = rate(l.misdispatched, l.dispatches).map(|r| 1.0 - r);
            l.callback_rate = rate(l.called_back, l.callbacks_due);
            l.callback_timeliness = rate(on_time.remove(&code).unwrap_or(0), l.called_back);
            l.reopen_rate = rate(l.reopens, l.callbacks_due);
            l.hotline = code;
            Some(l)
        })
        .collect();
    out.sort_by_key(|l| {
        (
            Some(l.hotline.as_str()) != own.as_ref().map(|o| o.as_str()),
            l.hotline.clone(),
        )
    });
    Ok(out)
}

/// The median of counted values.
fn median(mut values: Vec<(i64, u64)>) -> Option<i64> {
    values.sort_unstable();
    let total: u64 = values.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    let mut seen = 0;
    for (v, n) in values {
        seen += n;
        if seen * 2 >= total {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_median_of_counted_values() {
        assert_eq!(super::median(vec![]), None);
        assert_eq!(super::median(vec![(30, 1), (5, 2), (600, 1)]), Some(5));
        assert_eq!(super::median(vec![(30, 3), (5, 1)]), Some(30));
    }
}
