//! A hotline's own work, as the hotline above assesses it (`docs/metrics.md`,
//! "Hotline assessment"): how fast it routes what reaches it, how often it answers
//! directly, how accurately it dispatches, whether and how soon it calls requesters
//! back, and how often it reopens.
//!
//! Each fact names the hotline that owned the order when the work was done, as the
//! timeline says: the hotline it was registered at, then the one it was handed down to
//! or that took it up (提级办理). [`facts`] is a pure function of the timeline.

use crate::Timestamp;
use crate::order::{Event, EventKind};
use crate::stats::day_number;

/// The measures, each keyed by the hotline (`H`) or the hotline and a detail (`H>…`).
pub mod measure {
    /// An order reached the hotline: registered there, handed down to it, or taken up
    /// by it; on that day.
    pub const ARRIVED: &str = "h_in";
    /// The hotline's first dispatch or hand-down of an order that reached it, keyed
    /// `H>MINUTES` (the time since it arrived, in [`super::bucket`]s); on that day.
    pub const ROUTED: &str = "h_rt";
    /// Closed by the hotline's direct answer (直办, 即时办结); on that day.
    pub const DIRECT: &str = "h_dir";
    /// Each dispatch to a handling unit; on that day.
    pub const DISPATCHES: &str = "h_dsp";
    /// A dispatch that ended in an approved return (派错); on the dispatch's day.
    pub const MISDISPATCHED: &str = "h_mis";
    /// A reply ready for the callback (not under review, or approved); on its day.
    pub const CALLBACK_DUE: &str = "h_cbd";
    /// Of those, the ones called back (reached or not) or evaluated by the requester
    /// before the order moved on; on the reply's day.
    pub const CALLED_BACK: &str = "h_cb";
    /// Of those, the first try came before the deadline watch flagged the callback as
    /// overdue; on the reply's day.
    pub const CALLED_BACK_ON_TIME: &str = "h_cbt";
    /// A reopening by the hotline; on that day.
    pub const REOPENS: &str = "h_reo";

    pub const ALL: [&str; 9] = [
        ARRIVED,
        ROUTED,
        DIRECT,
        DISPATCHES,
        MISDISPATCHED,
        CALLBACK_DUE,
        CALLED_BACK,
        CALLED_BACK_ON_TIME,
        REOPENS,
    ];

    /// Whether the measure is kept under the hotline its key names.
    pub fn is_hotline_work(m: &str) -> bool {
        m.starts_with("h_")
    }
}

/// The routing time kept, in minutes: 5-minute steps within the first hour, 15-minute
/// steps to 8 hours, hours to 3 days, days beyond — a few dozen keys a day at most.
pub fn bucket(minutes: i64) -> i64 {
    let m = minutes.max(0);
    let step = match m {
        0..60 => 5,
        60..480 => 15,
        480..4320 => 60,
        _ => 1440,
    };
    m - m % step
}

/// The hotline a key of a hotline-work measure names.
pub fn hotline_of_key(key: &str) -> &str {
    key.split_once('>').map_or(key, |(h, _)| h)
}

fn to_hotline(e: &Event) -> Option<String> {
    e.data["to"].as_str().map(str::to_owned)
}

/// The reply waiting for its callback, as the walk follows it.
struct PendingCallback {
    owner: String,
    day: u32,
    overdue: bool,
}

/// The hotline-work facts of a timeline: `(day, measure, key)`.
pub fn facts(events: &[Event]) -> Vec<(u32, &'static str, String)> {
    use measure::*;
    let mut out: Vec<(u32, &'static str, String)> = Vec::new();
    let Some(first) = events.first() else {
        return out;
    };
    let mut owner: String = first
        .unit
        .as_ref()
        .map(|u| u.as_str().to_owned())
        .unwrap_or_default();
    // When the order reached its owner, until the owner routes it.
    let mut arrived: Option<Timestamp> = None;
    // The owner and day of the last dispatch to a unit, until it is settled.
    let mut dispatch: Option<(String, u32)> = None;
    let mut callback: Option<PendingCallback> = None;
    for e in events {
        let day = day_number(e.at);
        match e.kind {
            EventKind::Registered => arrived = arrive(&owner, e.at, &mut out),
            EventKind::HandedDown | EventKind::EscalationAccepted | EventKind::TakenOver => {
                if e.kind == EventKind::HandedDown {
                    routed(&owner, &mut arrived, e, &mut out);
                }
                if let Some(to) = to_hotline(e) {
                    owner = to;
                }
                arrived = arrive(&owner, e.at, &mut out);
            }
            EventKind::Dispatched => {
                routed(&owner, &mut arrived, e, &mut out);
                out.push((day, DISPATCHES, owner.clone()));
                dispatch = Some((owner.clone(), day));
            }
            EventKind::ReturnApproved => {
                if let Some((by, on)) = dispatch.take() {
                    out.push((on, MISDISPATCHED, by));
                }
                // Back at the hotline: routing it again is not its first routing.
            }
            EventKind::Recalled => dispatch = None,
            EventKind::Answered => out.push((day, DIRECT, owner.clone())),
            EventKind::Replied if e.data["review"] != true => {
                callback = due(&owner, day, &mut out);
            }
            EventKind::ReplyApproved => callback = due(&owner, day, &mut out),
            EventKind::CallbackOverdue => {
                if let Some(c) = callback.as_mut() {
                    c.overdue = true;
                }
            }
            EventKind::CalledBack | EventKind::Evaluated => {
                if let Some(c) = callback.take() {
                    out.push((c.day, CALLED_BACK, c.owner.clone()));
                    if !c.overdue {
                        out.push((c.day, CALLED_BACK_ON_TIME, c.owner));
                    }
                }
            }
            EventKind::Reopened => {
                callback = None;
                out.push((day, REOPENS, owner.clone()));
            }
            EventKind::Closed | EventKind::Merged => callback = None,
            _ => {}
        }
    }
    out
}

/// The order reached `owner` at `at`: counted, and the routing clock starts.
fn arrive(
    owner: &str,
    at: Timestamp,
    out: &mut Vec<(u32, &'static str, String)>,
) -> Option<Timestamp> {
    out.push((day_number(at), measure::ARRIVED, owner.to_owned()));
    Some(at)
}

/// The first routing of an order that reached `owner`: the time it took.
fn routed(
    owner: &str,
    arrived: &mut Option<Timestamp>,
    e: &Event,
    out: &mut Vec<(u32, &'static str, String)>,
) {
    if let Some(at) = arrived.take() {
        let minutes = bucket((e.at - at).num_minutes());
        out.push((
            day_number(e.at),
            measure::ROUTED,
            format!("{owner}>{minutes}"),
        ));
    }
}

fn due(
    owner: &str,
    day: u32,
    out: &mut Vec<(u32, &'static str, String)>,
) -> Option<PendingCallback> {
    out.push((day, measure::CALLBACK_DUE, owner.to_owned()));
    Some(PendingCallback {
        owner: owner.to_owned(),
        day,
        overdue: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::UnitCode;
    use serde_json::json;

    fn at(s: &str) -> Timestamp {
        chrono::DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn ev(kind: EventKind, when: &str, data: serde_json::Value) -> Event {
        Event {
            at: at(when),
            kind,
            actor: "x".into(),
            unit: Some(UnitCode::parse("cd12345").unwrap()),
            note: None,
            data,
        }
    }

    fn count(f: &[(u32, &str, String)], m: &str, key: &str) -> usize {
        f.iter().filter(|(_, mm, k)| *mm == m && k == key).count()
    }

    #[test]
    fn each_step_counts_for_the_hotline_that_owned_the_order_then() {
        use EventKind as E;
        let t = [
            ev(E::Registered, "2026-03-02T09:00:00+08:00", json!({})),
            ev(
                E::EscalationRequested,
                "2026-03-02T09:10:00+08:00",
                json!({"from": "cd12345", "to": "sc12345"}),
            ),
            ev(
                E::EscalationAccepted,
                "2026-03-02T10:00:00+08:00",
                json!({"from": "cd12345", "to": "sc12345"}),
            ),
            ev(
                E::Dispatched,
                "2026-03-02T10:47:00+08:00",
                json!({"unit": "sc-tax"}),
            ),
            ev(
                E::ReturnApproved,
                "2026-03-02T15:00:00+08:00",
                json!({"unit": "sc-tax"}),
            ),
            ev(
                E::Dispatched,
                "2026-03-03T09:00:00+08:00",
                json!({"unit": "sc-rst"}),
            ),
            ev(
                E::Replied,
                "2026-03-04T09:00:00+08:00",
                json!({"review": true}),
            ),
            ev(E::ReplyApproved, "2026-03-04T10:00:00+08:00", json!({})),
            ev(E::CallbackOverdue, "2026-03-06T10:00:00+08:00", json!({})),
            ev(
                E::CalledBack,
                "2026-03-06T11:00:00+08:00",
                json!({"result": "unreachable"}),
            ),
            ev(
                E::CalledBack,
                "2026-03-06T12:00:00+08:00",
                json!({"result": "satisfied"}),
            ),
        ];
        let f = facts(&t);
        assert_eq!(count(&f, measure::ARRIVED, "cd12345"), 1);
        assert_eq!(count(&f, measure::ARRIVED, "sc12345"), 1);
        // The city passed it up: routing is the province's, 45 minutes after it came.
        assert_eq!(count(&f, measure::ROUTED, "sc12345>45"), 1, "{f:?}");
        assert_eq!(
            f.iter().filter(|(_, m, _)| *m == measure::ROUTED).count(),
            1
        );
        assert_eq!(count(&f, measure::DISPATCHES, "sc12345"), 2);
        assert!(f.contains(&(20260302, measure::MISDISPATCHED, "sc12345".into())));
        assert_eq!(count(&f, measure::CALLBACK_DUE, "sc12345"), 1);
        assert_eq!(count(&f, measure::CALLED_BACK, "sc12345"), 1);
        assert_eq!(count(&f, measure::CALLED_BACK_ON_TIME, "sc12345"), 0);
    }

    #[test]
    fn a_hand_down_routes_for_the_upper_hotline_and_arrives_at_the_lower() {
        use EventKind as E;
        let mut reg = ev(E::Registered, "2026-03-02T09:00:00+08:00", json!({}));
        reg.unit = Some(UnitCode::parse("sc12345").unwrap());
        let t = [
            reg,
            ev(
                E::HandedDown,
                "2026-03-02T09:20:00+08:00",
                json!({"from": "sc12345", "to": "cd12345"}),
            ),
            ev(E::Answered, "2026-03-02T09:30:00+08:00", json!({})),
        ];
        let f = facts(&t);
        assert_eq!(count(&f, measure::ROUTED, "sc12345>20"), 1, "{f:?}");
        assert_eq!(count(&f, measure::ARRIVED, "cd12345"), 1);
        assert_eq!(count(&f, measure::DIRECT, "cd12345"), 1);
    }

    #[test]
    fn buckets_are_coarser_as_time_goes_on() {
        assert_eq!(bucket(-3), 0);
        assert_eq!(bucket(47), 45);
        assert_eq!(bucket(100), 90);
        assert_eq!(bucket(600), 600);
        assert_eq!(bucket(630), 600);
        assert_eq!(bucket(5000), 4320);
    }
}
