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
//! | on-time completion 按时办结率 | dispatches whose completion fell due with a reply by the deadline | dispatches whose completion fell due |
//! | return 退单率 | approved returns | dispatches |
//! | reopen 重办率 | reopens | replies |
//! | resolution 解决率 | callbacks/evaluations saying resolved | callbacks/evaluations with a result other than unreachable |
//! | satisfaction 满意率 | satisfied + fairly satisfied | the same |
//!
//! A dispatch's completion falls due at its first reply or when the deadline watch
//! records the handling deadline passing unreplied, whichever comes first; it is on
//! time if that was a reply by the deadline. The assessment counts completions that
//! fell due by the earlier of the range's end and now: an overdue, unreplied dispatch
//! is late, and one not yet due is left out.
//!
//! A rate whose denominator is 0 is `None`. The score (0–100) is the weighted sum of
//! response, on-time completion, resolution and satisfaction (20 %, 30 %, 25 %, 25 %
//! by default), over the rates that exist, with their weights scaled to sum to 1.

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
    /// Dispatches whose completion fell due: replied, or the deadline passed first.
    pub completion_due: u64,
    /// Of those, the ones whose completion was a reply by the deadline.
    pub completed_on_time: u64,
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
        self.completion_due += o.completion_due;
        self.completed_on_time += o.completed_on_time;
    }

    pub fn rates(&self) -> Rates {
        let rate = |n: u64, d: u64| (d > 0).then(|| n as f64 / d as f64);
        Rates {
            response: rate(self.accepted_on_time, self.dispatches),
            on_time_completion: rate(self.completed_on_time, self.completion_due),
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

/// The score's weights. Settings stored before on-time completion was weighed read
/// with it at 0, so an installation's own weighting stays as it was.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Weights {
    pub response: f64,
    #[serde(default)]
    pub on_time_completion: f64,
    pub resolution: f64,
    pub satisfaction: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            response: 0.20,
            on_time_completion: 0.30,
            resolution: 0.25,
            satisfaction: 0.25,
        }
    }
}

impl Weights {
    /// Each weight with the rate it weighs.
    fn parts(&self, r: &Rates) -> [(Option<f64>, f64); 4] {
        [
            (r.response, self.response),
            (r.on_time_completion, self.on_time_completion),
            (r.resolution, self.resolution),
            (r.satisfaction, self.satisfaction),
        ]
    }

    /// The four weights, in the order of [`Weights::parts`].
    pub fn all(&self) -> [f64; 4] {
        [
            self.response,
            self.on_time_completion,
            self.resolution,
            self.satisfaction,
        ]
    }
}

/// 0–100, over the rates that exist; `None` if none does.
pub fn score(r: &Rates, w: &Weights) -> Option<f64> {
    let parts = w.parts(r);
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
    /// The counts as of now; `completion_due` and `completed_on_time` say whether
    /// [`Cohort::due`] is set and on time.
    pub tally: Tally,
    /// When the dispatch's completion fell due, and whether on time.
    pub due: Option<Due>,
}

/// The moment a dispatch's completion fell due (see the module's table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub at: Timestamp,
    pub on_time: bool,
}

impl Cohort {
    /// The tally with the completion counted only if it fell due by `as_of`.
    pub fn tally_as_of(&self, as_of: Timestamp) -> Tally {
        let mut t = self.tally;
        if self.due.is_none_or(|d| d.at > as_of) {
            t.completion_due = 0;
            t.completed_on_time = 0;
        }
        t
    }
}

/// Every dispatch of an order to a handling unit, oldest first, each with the events
/// it owns (those after it, until the next dispatch or an approved return).
pub fn cohorts(events: &[Event]) -> Vec<Cohort> {
    let mut out: Vec<Cohort> = Vec::new();
    // The dispatch now responsible: index into `out`.
    let mut current: Option<usize> = None;
    let mut accepted = false;
    // The on-time mark of the cohort's latest reply, until a review sends it back.
    let mut last_reply_on_time: Option<bool> = None;
    for e in events {
        if e.kind == EventKind::Dispatched {
            accepted = false;
            last_reply_on_time = None;
            current = e.unit_named().map(|unit| {
                out.push(Cohort {
                    unit: unit.to_owned(),
                    dispatched_at: e.at,
                    tally: Tally {
                        dispatches: 1,
                        ..Tally::default()
                    },
                    due: None,
                });
                out.len() - 1
            });
            continue;
        }
        let Some(i) = current else { continue };
        let cohort = &mut out[i];
        if cohort.due.is_none() {
            cohort.due = match e.kind {
                EventKind::Replied => Some(Due {
                    at: e.at,
                    on_time: e.on_time(),
                }),
                EventKind::DeadlinePassed => Some(Due {
                    at: e.at,
                    on_time: false,
                }),
                _ => None,
            };
            if let Some(d) = cohort.due {
                cohort.tally.completion_due = 1;
                cohort.tally.completed_on_time = u64::from(d.on_time);
            }
        }
        // A reply the hotline's review sent back neither completes the dispatch nor
        // counts as a reply: the unit answers for the one that is approved.
        if e.kind == EventKind::ReplyRejected {
            if let Some(on_time) = last_reply_on_time.take() {
                cohort.tally.replies = cohort.tally.replies.saturating_sub(1);
                cohort.tally.replies_on_time = cohort
                    .tally
                    .replies_on_time
                    .saturating_sub(u64::from(on_time));
            }
            // Only a reply makes a completion on time; a late one stays late.
            if cohort.due.is_some_and(|d| d.on_time) {
                cohort.due = None;
                cohort.tally.completion_due = 0;
                cohort.tally.completed_on_time = 0;
            }
            continue;
        }
        let t = &mut cohort.tally;
        match e.kind {
            EventKind::Accepted if !accepted => {
                accepted = true;
                t.accepted_on_time += u64::from(e.on_time());
            }
            EventKind::ReturnApproved => {
                t.approved_returns += 1;
                current = None;
            }
            // The hotline took back its own dispatch: not the unit's to answer for.
            EventKind::Recalled => {
                out.truncate(i);
                current = None;
            }
            // The line's head took the matter over: what the unit did so far counts,
            // its completion is the head's.
            EventKind::LineTakenOver => current = None,
            EventKind::Replied => {
                t.replies += 1;
                t.replies_on_time += u64::from(e.on_time());
                last_reply_on_time = Some(e.on_time());
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

/// The tallies of one order's dispatches made in `[from, to]`, by unit code, as of
/// the earlier of `to` and `now`.
pub fn tally_order(
    events: &[Event],
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
) -> Vec<(String, Tally)> {
    let as_of = to.min(now);
    cohorts(events)
        .into_iter()
        .filter(|c| from <= c.dispatched_at && c.dispatched_at <= to)
        .map(|c| {
            let t = c.tally_as_of(as_of);
            (c.unit, t)
        })
        .collect()
}
