//! Unit assessment (能力评估, `docs/policy.md` §7; defined in `docs/metrics.md`): per
//! handling unit, over the dispatches made to it in a date range and what became of
//! each.
//!
//! A unit's cohort is its dispatches in the range (a re-dispatch to the same unit is
//! another dispatch). Each dispatch owns the events that follow it on the order's
//! timeline until the next dispatch or an approved return:
//!
//! | rate | numerator | denominator |
//! |---|---|---|
//! | response 响应率 | accepted within the accept deadline | dispatches |
//! | on-time completion 按时办结率 | replies by the deadline | replies |
//! | return 退单率 | approved returns | dispatches |
//! | reopen 重办率 | reopens | replies |
//! | resolution 解决率 | callbacks/evaluations saying resolved | callbacks/evaluations with a result other than unreachable |
//! | satisfaction 满意率 | satisfied + fairly satisfied | the same |
//!
//! A rate whose denominator is 0 is `None`. The score (0–100) is the weighted sum of
//! response, resolution and satisfaction (30 %, 35 %, 35 % by default), over the
//! rates that exist, with their weights scaled to sum to 1.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::order::{Event, EventKind};

/// The counts behind one unit's rates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Tally {
    pub dispatches: u64,
    pub accepted_on_time: u64,
    pub approved_returns: u64,
    pub replies: u64,
    pub replies_on_time: u64,
    pub reopens: u64,
    /// Callbacks and evaluations with a result other than unreachable.
    pub outcomes: u64,
    pub resolved: u64,
    pub satisfied: u64,
}

impl Tally {
    pub fn add(&mut self, o: &Tally) {
        self.dispatches += o.dispatches;
        self.accepted_on_time += o.accepted_on_time;
        self.approved_returns += o.approved_returns;
        self.replies += o.replies;
        self.replies_on_time += o.replies_on_time;
        self.reopens += o.reopens;
        self.outcomes += o.outcomes;
        self.resolved += o.resolved;
        self.satisfied += o.satisfied;
    }

    pub fn rates(&self) -> Rates {
        let rate = |n: u64, d: u64| (d > 0).then(|| n as f64 / d as f64);
        Rates {
            response: rate(self.accepted_on_time, self.dispatches),
            on_time_completion: rate(self.replies_on_time, self.replies),
            r#return: rate(self.approved_returns, self.dispatches),
            reopen: rate(self.reopens, self.replies),
            resolution: rate(self.resolved, self.outcomes),
            satisfaction: rate(self.satisfied, self.outcomes),
        }
    }
}

/// Fractions 0–1; `None` where the denominator is 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Rates {
    pub response: Option<f64>,
    pub on_time_completion: Option<f64>,
    #[serde(rename = "return")]
    pub r#return: Option<f64>,
    pub reopen: Option<f64>,
    pub resolution: Option<f64>,
    pub satisfaction: Option<f64>,
}

/// The score's weights.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Weights {
    pub response: f64,
    pub resolution: f64,
    pub satisfaction: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            response: 0.30,
            resolution: 0.35,
            satisfaction: 0.35,
        }
    }
}

/// 0–100, over the rates that exist; `None` if none does.
pub fn score(r: &Rates, w: &Weights) -> Option<f64> {
    let parts = [
        (r.response, w.response),
        (r.resolution, w.resolution),
        (r.satisfaction, w.satisfaction),
    ];
    let total: f64 = parts
        .iter()
        .filter(|(v, _)| v.is_some())
        .map(|(_, w)| w)
        .sum();
    if total <= 0.0 {
        return None;
    }
    let sum: f64 = parts.iter().filter_map(|(v, w)| v.map(|v| v * w)).sum();
    Some(100.0 * sum / total)
}

/// One dispatch of an order and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cohort {
    pub unit: String,
    pub dispatched_at: Timestamp,
    pub tally: Tally,
}

/// Every dispatch of an order to a handling unit, oldest first, each with the events
/// it owns (those after it, until the next dispatch or an approved return).
pub fn cohorts(events: &[Event]) -> Vec<Cohort> {
    let mut out: Vec<Cohort> = Vec::new();
    // The dispatch now responsible: index into `out`.
    let mut current: Option<usize> = None;
    let mut accepted = false;
    for e in events {
        if e.kind == EventKind::Dispatched {
            accepted = false;
            current = e.unit_named().map(|unit| {
                out.push(Cohort {
                    unit: unit.to_owned(),
                    dispatched_at: e.at,
                    tally: Tally {
                        dispatches: 1,
                        ..Tally::default()
                    },
                });
                out.len() - 1
            });
            continue;
        }
        let Some(i) = current else { continue };
        let t = &mut out[i].tally;
        match e.kind {
            EventKind::Accepted if !accepted => {
                accepted = true;
                t.accepted_on_time += u64::from(e.on_time());
            }
            EventKind::ReturnApproved => {
                t.approved_returns += 1;
                current = None;
            }
            EventKind::Replied => {
                t.replies += 1;
                t.replies_on_time += u64::from(e.on_time());
            }
            EventKind::Reopened => t.reopens += 1,
            _ => {
                if let Some(outcome) = e.outcome() {
                    t.outcomes += 1;
                    t.resolved += u64::from(outcome.resolved);
                    t.satisfied += u64::from(outcome.result.is_satisfied());
                }
            }
        }
    }
    out
}

/// The tallies of one order's dispatches made in `[from, to]`, by unit code.
pub fn tally_order(events: &[Event], from: Timestamp, to: Timestamp) -> Vec<(String, Tally)> {
    cohorts(events)
        .into_iter()
        .filter(|c| from <= c.dispatched_at && c.dispatched_at <= to)
        .map(|c| (c.unit, c.tally))
        .collect()
}
