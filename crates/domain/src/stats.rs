//! The counts reports read, as facts about each order.
//!
//! Every report figure is a sum of facts. An order contributes one fact for each
//! thing it counts towards: its registration on a day (by region, channel, kind,
//! domain, lead unit and each topic of its title), its handling deadline falling on
//! a day (met or missed), its evaluation on a day (by result), and for each dispatch
//! to a handling unit the assessment counts of that dispatch, on the day of the
//! dispatch (the cohort rule of [`crate::assessment`]), and the work each hotline
//! did on it ([`crate::hotline_work`]), kept under that hotline. [`facts`] is a pure function
//! of the order and its timeline; the store keeps, per order, the facts it last
//! counted and adds only the difference ([`delta`]), so the sums stay exact whatever
//! happens to the order, and counting an order a second time changes nothing.

use chrono::Datelike;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::assessment::{Tally, cohorts};
use crate::order::{Event, EventKind, Order};
use crate::{Timestamp, shanghai};

/// What a fact counts. Assessment measures are kept per region (the assessment can
/// be asked for a region subtree) and keyed by unit; the others are kept per hotline.
pub mod measure {
    /// Orders registered, keyed by region (their sum is the total).
    pub const REGISTERED: &str = "reg";
    pub const CHANNEL: &str = "ch";
    pub const KIND: &str = "kind";
    /// Keyed by the domain's top field ("" when unclassified).
    pub const DOMAIN: &str = "dom";
    /// Keyed by the lead unit now in charge.
    pub const UNIT: &str = "unit";
    pub const TOPIC: &str = "topic";
    /// Keyed `on_time` or `late`, on the deadline's day.
    pub const DEADLINE: &str = "dl";
    /// Keyed by the result, on the evaluation's day.
    pub const EVALUATION: &str = "eval";
    /// The hotline's reviews of replies (答复审核), keyed `approved` or `rejected`, on
    /// the review's day.
    pub const REVIEW: &str = "review";
    /// Orders an enterprise asked (涉企诉求), on the registration's day (key "").
    pub const ENTERPRISE: &str = "ent";
    /// Interim replies (阶段性答复), on their day (key "").
    pub const INTERIM: &str = "interim";
    /// An order a hotline passed up a level (提级办理), keyed `FROM>TO`, on the day it
    /// was registered, and kept under the hotline it left (`FROM`): the order itself
    /// counts in the totals of the hotline that owns it now.
    pub const ESCALATED_OUT: &str = "esc_out";

    pub const DISPATCHES: &str = "a_disp";
    pub const ACCEPTED_ON_TIME: &str = "a_acc";
    pub const APPROVED_RETURNS: &str = "a_ret";
    pub const REPLIES: &str = "a_rep";
    pub const REPLIES_ON_TIME: &str = "a_rot";
    pub const REOPENS: &str = "a_reo";
    pub const OUTCOMES: &str = "a_out";
    pub const RESOLVED: &str = "a_res";
    pub const SATISFIED: &str = "a_sat";
    /// Keyed [`super::due_key`]: the unit and the day the completion fell due, so
    /// that a range counts only the completions due by its end.
    pub const COMPLETION_DUE: &str = "a_due";
    pub const COMPLETED_ON_TIME: &str = "a_dot";
    /// The measures keyed by unit and due day.
    pub const ASSESSMENT_DUE: [&str; 2] = [COMPLETION_DUE, COMPLETED_ON_TIME];
    /// Second-level dispatches (二级派单) a sub-unit received, keyed by the sub-unit, on
    /// the forward's day; its replies to the lead unit, and those within its deadline,
    /// on the reply's day.
    pub const FORWARDS: &str = "a_fwd";
    pub const FORWARD_REPLIES: &str = "a_frep";
    pub const FORWARD_ON_TIME: &str = "a_frot";
    pub const FORWARD: [&str; 3] = [FORWARDS, FORWARD_REPLIES, FORWARD_ON_TIME];

    /// The assessment measures, in the order of [`crate::assessment::Tally`]'s fields.
    pub const ASSESSMENT: [&str; 9] = [
        DISPATCHES,
        ACCEPTED_ON_TIME,
        APPROVED_RETURNS,
        REPLIES,
        REPLIES_ON_TIME,
        REOPENS,
        OUTCOMES,
        RESOLVED,
        SATISFIED,
    ];

    pub fn regional(m: &str) -> bool {
        m.starts_with("a_")
    }
}

/// A day as `yyyymmdd` in Asia/Shanghai, the form the counts are kept under.
pub fn day_number(t: Timestamp) -> u32 {
    date_number(t.with_timezone(&shanghai()).date_naive())
}

pub fn date_number(d: chrono::NaiveDate) -> u32 {
    d.year() as u32 * 10_000 + d.month() * 100 + d.day()
}

/// The key of a completion measure: the unit and the day (`yyyymmdd`) it fell due.
pub fn due_key(unit: &str, day: u32) -> String {
    format!("{unit}@{day}")
}

/// The inverse of [`due_key`].
pub fn parse_due_key(key: &str) -> Option<(&str, u32)> {
    let (unit, day) = key.rsplit_once('@')?;
    Some((unit, day.parse().ok()?))
}

/// The hotline an order left and the one it went to, from an
/// [`measure::ESCALATED_OUT`] key.
pub fn escalation_ends(key: &str) -> (&str, &str) {
    key.split_once('>').unwrap_or((key, ""))
}

/// Everything one order counts towards.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "StoredFacts", from = "StoredFacts")]
pub struct Facts {
    pub hotline: String,
    pub region: String,
    /// The order's version the facts were taken from: older facts never replace newer.
    pub version: i64,
    /// `(day, measure, key)`; a fact may appear more than once.
    pub items: Vec<(u32, String, String)>,
}

/// How facts are kept beside each order: by day, each fact as `measure:key`, which
/// takes about a third of the room of one `[day, measure, key]` triple per fact.
#[derive(Serialize, Deserialize)]
struct StoredFacts {
    h: String,
    r: String,
    #[serde(default)]
    v: i64,
    f: BTreeMap<u32, Vec<String>>,
}

impl From<Facts> for StoredFacts {
    fn from(f: Facts) -> Self {
        let mut days: BTreeMap<u32, Vec<String>> = BTreeMap::new();
        for (day, m, key) in f.items {
            days.entry(day).or_default().push(format!("{m}:{key}"));
        }
        StoredFacts {
            h: f.hotline,
            r: f.region,
            v: f.version,
            f: days,
        }
    }
}

impl From<StoredFacts> for Facts {
    fn from(s: StoredFacts) -> Self {
        let items =
            s.f.into_iter()
                .flat_map(|(day, facts)| {
                    facts.into_iter().map(move |fact| {
                        let (m, key) = fact.split_once(':').unwrap_or((fact.as_str(), ""));
                        (day, m.to_owned(), key.to_owned())
                    })
                })
                .collect();
        Facts {
            hotline: s.h,
            region: s.r,
            version: s.v,
            items,
        }
    }
}

/// One counter: where a fact is added up.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Counter {
    pub day: u32,
    pub measure: String,
    pub hotline: String,
    /// The order's region for assessment measures, "" for the others.
    pub region: String,
    pub key: String,
}

impl Facts {
    fn counters(&self) -> impl Iterator<Item = Counter> + '_ {
        self.items.iter().map(|(day, m, key)| Counter {
            day: *day,
            measure: m.clone(),
            hotline: match m.as_str() {
                measure::ESCALATED_OUT => escalation_ends(key).0.to_owned(),
                m if crate::hotline_work::measure::is_hotline_work(m) => {
                    crate::hotline_work::hotline_of_key(key).to_owned()
                }
                _ => self.hotline.clone(),
            },
            region: if measure::regional(m) {
                self.region.clone()
            } else {
                String::new()
            },
            key: key.clone(),
        })
    }
}

/// The facts of an order with its timeline; `topics` are its title's topics.
pub fn facts(order: &Order, events: &[Event], topics: &[String]) -> Facts {
    use measure::*;
    let mut items = Vec::new();
    let mut add = |day: u32, m: &str, key: &str| items.push((day, m.to_owned(), key.to_owned()));
    // A merged order is a duplicate of its target: the volumes, topics and deadlines
    // count the target alone; what the units did on it still counts for them.
    let merged = order.status == crate::order::Status::Merged;
    let registered = day_number(order.registered_at);
    if !merged {
        volumes(order, topics, registered, &mut add);
    }
    // Each move up a level, as its event records it.
    for e in events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::EscalationAccepted | EventKind::TakenOver))
    {
        if let (Some(from), Some(to)) = (e.data["from"].as_str(), e.data["to"].as_str()) {
            add(registered, ESCALATED_OUT, &format!("{from}>{to}"));
        }
    }
    for (day, m, key) in crate::hotline_work::facts(events) {
        add(day, m, &key);
    }
    if let Some(e) = &order.evaluation {
        add(day_number(e.at), EVALUATION, e.result.as_str());
    }
    for e in events {
        match e.kind {
            EventKind::ReplyApproved => add(day_number(e.at), REVIEW, "approved"),
            EventKind::ReplyRejected => add(day_number(e.at), REVIEW, "rejected"),
            EventKind::InterimReplied => add(day_number(e.at), INTERIM, ""),
            EventKind::Forwarded => {
                if let Some(unit) = e.data["unit"].as_str() {
                    add(day_number(e.at), FORWARDS, unit);
                }
            }
            EventKind::ForwardReplied => {
                if let Some(unit) = &e.unit {
                    add(day_number(e.at), FORWARD_REPLIES, unit.as_str());
                    if e.data["on_time"].as_bool() == Some(true) {
                        add(day_number(e.at), FORWARD_ON_TIME, unit.as_str());
                    }
                }
            }
            _ => {}
        }
    }
    for c in cohorts(events) {
        let day = day_number(c.dispatched_at);
        for (m, n) in ASSESSMENT.iter().zip(tally_counts(&c.tally)) {
            for _ in 0..n {
                add(day, m, &c.unit);
            }
        }
        if let Some(due) = c.due {
            let key = due_key(&c.unit, day_number(due.at));
            add(day, COMPLETION_DUE, &key);
            if due.on_time {
                add(day, COMPLETED_ON_TIME, &key);
            }
        }
    }
    Facts {
        hotline: order.hotline.as_str().to_owned(),
        region: order.region.as_str().to_owned(),
        version: order.version,
        items,
    }
}

/// The facts of an order that count it in the volumes: its registration by region,
/// channel, kind, domain and unit, its topics and its deadline.
fn volumes(
    order: &Order,
    topics: &[String],
    registered: u32,
    add: &mut impl FnMut(u32, &str, &str),
) {
    use measure::*;
    add(registered, REGISTERED, order.region.as_str());
    add(registered, CHANNEL, order.channel.as_str());
    add(registered, KIND, order.kind.as_str());
    add(
        registered,
        DOMAIN,
        order.domain.as_ref().map_or("", |d| d.top()),
    );
    if let Some(unit) = &order.unit {
        add(registered, UNIT, unit.as_str());
    }
    if order.requester.enterprise.is_some() {
        add(registered, ENTERPRISE, "");
    }
    for t in topics {
        add(registered, TOPIC, t);
    }
    if let Some(deadline) = order.deadline {
        let met = order.reply.as_ref().is_some_and(|r| r.at <= deadline);
        add(
            day_number(deadline),
            DEADLINE,
            if met { "on_time" } else { "late" },
        );
    }
}

/// A tally's counts in the order of [`measure::ASSESSMENT`].
pub fn tally_counts(t: &Tally) -> [u64; 9] {
    [
        t.dispatches,
        t.accepted_on_time,
        t.approved_returns,
        t.replies,
        t.replies_on_time,
        t.reopens,
        t.outcomes,
        t.resolved,
        t.satisfied,
    ]
}

/// The inverse of [`tally_counts`]: a tally from counts keyed by measure.
pub fn tally_from(counts: &BTreeMap<&str, u64>) -> Tally {
    let get = |i: usize| counts.get(measure::ASSESSMENT[i]).copied().unwrap_or(0);
    Tally {
        dispatches: get(0),
        accepted_on_time: get(1),
        approved_returns: get(2),
        replies: get(3),
        replies_on_time: get(4),
        reopens: get(5),
        outcomes: get(6),
        resolved: get(7),
        satisfied: get(8),
        ..Tally::default()
    }
}

/// What changes in the counters when an order's facts go from `old` to `new`:
/// every counter whose count differs, with the difference.
pub fn delta(old: &Facts, new: &Facts) -> Vec<(Counter, i64)> {
    let mut d: BTreeMap<Counter, i64> = BTreeMap::new();
    for c in old.counters() {
        *d.entry(c).or_default() -= 1;
    }
    for c in new.counters() {
        *d.entry(c).or_default() += 1;
    }
    d.into_iter().filter(|(_, n)| *n != 0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts_of(hotline: &str, items: &[(u32, &str, &str)]) -> Facts {
        Facts {
            hotline: hotline.into(),
            region: "510104".into(),
            version: 1,
            items: items
                .iter()
                .map(|(d, m, k)| (*d, m.to_string(), k.to_string()))
                .collect(),
        }
    }

    #[test]
    fn the_delta_of_unchanged_facts_is_empty_and_a_move_subtracts_and_adds() {
        let a = facts_of(
            "sc",
            &[(20260302, "kind", "complaint"), (20260302, "a_disp", "u1")],
        );
        assert!(delta(&a, &a).is_empty());
        let b = facts_of(
            "cd",
            &[(20260302, "kind", "complaint"), (20260302, "a_disp", "u1")],
        );
        let d = delta(&a, &b);
        assert_eq!(d.len(), 4, "{d:?}");
        assert_eq!(d.iter().map(|(_, n)| n).sum::<i64>(), 0);
        let assessment: Vec<_> = d.iter().filter(|(c, _)| c.measure == "a_disp").collect();
        assert!(assessment.iter().all(|(c, _)| c.region == "510104"));
        let kind: Vec<_> = d.iter().filter(|(c, _)| c.measure == "kind").collect();
        assert!(kind.iter().all(|(c, _)| c.region.is_empty()));
    }

    #[test]
    fn an_order_passed_up_is_counted_as_escalated_out_under_the_hotline_it_left() {
        let f = facts_of(
            "sc",
            &[(20260302, "reg", "510104"), (20260302, "esc_out", "cd>sc")],
        );
        let d = delta(&Facts::default(), &f);
        let out: Vec<_> = d.iter().filter(|(c, _)| c.measure == "esc_out").collect();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].0.hotline, "cd");
        let reg: Vec<_> = d.iter().filter(|(c, _)| c.measure == "reg").collect();
        assert_eq!(reg[0].0.hotline, "sc");
    }

    #[test]
    fn a_new_order_counts_everything_once_and_repeated_facts_add_up() {
        let new = facts_of(
            "sc",
            &[(20260302, "a_rep", "u1"), (20260302, "a_rep", "u1")],
        );
        let d = delta(&Facts::default(), &new);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].1, 2);
    }

    #[test]
    fn stored_facts_read_back_as_the_same_counters() {
        let f = facts_of(
            "sc",
            &[
                (20260302, "topic", "a:b"),
                (20260301, "a_rep", "u1"),
                (20260302, "reg", "510104"),
            ],
        );
        let text = serde_json::to_string(&f).unwrap();
        let back: Facts = serde_json::from_str(&text).unwrap();
        assert!(delta(&f, &back).is_empty(), "{text}");
        assert_eq!(back.version, 1);
    }

    #[test]
    fn days_are_counted_on_the_shanghai_calendar() {
        let late_utc: Timestamp = "2026-03-01T17:00:00+00:00".parse().unwrap();
        assert_eq!(day_number(late_utc), 20260302);
    }
}
