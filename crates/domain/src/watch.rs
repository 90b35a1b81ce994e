//! The deadline watch (`docs/policy.md` §7): what the system does by itself as
//! deadlines approach and pass — reminders (催办) to the lead unit at the configured points,
//! the passing of the handling deadline unreplied (what the unit assessment counts as
//! late), supervision (督办) of an order still overdue after a grace, and flags on accept
//! deadlines, return reviews, extension decisions and callbacks that were missed.
//!
//! [`next_step`] names the first step due and not yet taken; [`take`] takes it,
//! as an event on the order. Each step is recorded on the order under a key that
//! includes the deadline it was for, so it is taken once per deadline however often
//! and by however many workers the watch runs (the store's version check lets only
//! one of two concurrent takers write).

use serde_json::json;

use crate::calendar::Calendar;
use crate::lifecycle::Transition;
use crate::order::{Event, EventKind, Order, Status, SupervisionLevel};
use crate::rules::{DeadlineRules, start_of_day, workdays_after};
use crate::{Timestamp, shanghai};

/// Times the watch reads from the order's timeline.
#[derive(Debug, Clone, Default)]
pub struct Since {
    /// When the pending return was requested.
    pub return_requested: Option<Timestamp>,
    /// When the requester was last tried and not reached.
    pub unreachable: Option<Timestamp>,
}

/// A step the watch takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Recorded on the order once taken.
    pub key: String,
    pub event: EventKind,
    pub note: String,
    /// Raises the order to supervision.
    pub supervise: bool,
}

/// The moment `points` working days are left before a deadline on day `due`: the
/// start of the `points`-th working day counted back from it (1: the deadline day
/// itself); 0 is the deadline.
fn reminder_time(cal: &Calendar, deadline: Timestamp, points: u32) -> Timestamp {
    if points == 0 {
        return deadline;
    }
    let due = deadline.with_timezone(&shanghai()).date_naive();
    let first_left = cal.sub_workdays(due, points - 1).value;
    start_of_day(first_left)
}

fn step(key: String, event: EventKind, note: String) -> Step {
    Step {
        key,
        event,
        note,
        supervise: false,
    }
}

/// The passing of the order's handling deadline unreplied, once per deadline: what
/// the unit assessment counts as a late completion (`docs/metrics.md`).
pub fn deadline_passed(o: &Order, now: Timestamp) -> Option<Step> {
    let deadline = o.deadline.filter(|_| o.status.awaits_reply())?;
    let key = format!("deadline_passed:{}", deadline.timestamp());
    (now > deadline && !o.watched.contains(&key)).then(|| {
        step(
            key,
            EventKind::DeadlinePassed,
            "系统提示：已超过办理时限，尚未答复。".into(),
        )
    })
}

/// The first step due at `now` that the order has not had yet, if any.
pub fn next_step(
    o: &Order,
    since: &Since,
    now: Timestamp,
    rules: &DeadlineRules,
    cal: &Calendar,
) -> Option<Step> {
    let done = |key: &str| o.watched.iter().any(|k| k == key);
    let mut due: Vec<Step> = Vec::new();
    if o.status.awaits_reply()
        && let Some(deadline) = o.deadline
    {
        let d = deadline.timestamp();
        let mut points = rules.reminder_points.clone();
        points.sort_unstable_by(|a, b| b.cmp(a));
        for p in points {
            let key = format!("remind:{p}:{d}");
            if now >= reminder_time(cal, deadline, p) && !done(&key) {
                let note = if p == 0 {
                    "系统催办：已到办理时限，请立即办理并答复。".to_owned()
                } else {
                    format!("系统催办：距办理时限还剩 {p} 个工作日。")
                };
                due.push(step(key, EventKind::Reminded, note));
            }
        }
        due.extend(deadline_passed(o, now));
        let key = format!("supervise:{d}");
        let after = match rules.supervise_after_days {
            0 => deadline,
            n => workdays_after(cal, deadline, n).value,
        };
        if now > after && o.supervision == SupervisionLevel::None && !done(&key) {
            due.push(Step {
                key,
                event: EventKind::Supervised,
                note: format!(
                    "系统督办：超过办理时限 {} 个工作日仍未办结。",
                    rules.supervise_after_days
                ),
                supervise: true,
            });
        }
    }
    if o.status == Status::Dispatched
        && let Some(a) = o.accept_deadline
    {
        let key = format!("accept:{}", a.timestamp());
        if now > a && !done(&key) {
            due.push(step(
                key,
                EventKind::AcceptOverdue,
                "系统提示：已超过签收时限，承办单位尚未签收。".into(),
            ));
        }
    }
    if o.status == Status::ReturnRequested
        && let Some(r) = since.return_requested
    {
        let by = workdays_after(cal, r, rules.review_days).value;
        let key = format!("return_review:{}", r.timestamp());
        if now > by && !done(&key) {
            due.push(step(
                key,
                EventKind::ReturnReviewOverdue,
                "系统提示：退单申请已超过审核时限，请派单员尽快审核。".into(),
            ));
        }
    }
    if let Some(x) = &o.extension {
        let by = workdays_after(cal, x.requested_at, rules.review_days).value;
        let key = format!("extension_review:{}", x.requested_at.timestamp());
        if now > by && !done(&key) {
            due.push(step(
                key,
                EventKind::ExtensionReviewOverdue,
                "系统提示：延期申请已超过审批时限，请尽快审批。".into(),
            ));
        }
    }
    // A reply under the hotline's review is not yet to be called back on.
    if o.status == Status::Replied
        && !o.reply_review
        && let Some(reply) = &o.reply
    {
        let tries = o.callback_attempts;
        let r = reply.at.timestamp();
        if tries >= rules.callback_attempts {
            let key = format!("callback_exhausted:{r}");
            if !done(&key) {
                let note = format!("系统提示：已回访 {tries} 次均无法联系诉求人，可按规定办结。");
                due.push(step(key, EventKind::CallbackExhausted, note));
            }
        } else {
            // Due the working day after the reply, and again after each failed try.
            let from = since.unreachable.filter(|_| tries > 0).unwrap_or(reply.at);
            let by = workdays_after(cal, from, rules.callback_days).value;
            let key = format!("callback:{r}:{tries}");
            if now > by && !done(&key) {
                let note = if tries == 0 {
                    "系统提示：答复后已超过回访时限，请尽快回访。".to_owned()
                } else {
                    format!("系统提示：第 {tries} 次回访未能联系诉求人，请再次回访。")
                };
                due.push(step(key, EventKind::CallbackOverdue, note));
            }
        }
    }
    due.into_iter().next()
}

/// The order after the step, and its event (by `system`).
pub fn take(o: &Order, step: &Step, now: Timestamp) -> Transition {
    let mut next = o.clone();
    next.watched.push(step.key.clone());
    next.version += 1;
    if step.supervise {
        next.supervision = SupervisionLevel::Supervised;
    }
    if step.event == EventKind::Reminded {
        next.reminders += 1;
    }
    let event = Event {
        at: now,
        kind: step.event,
        actor: "system".into(),
        unit: None,
        note: Some(step.note.clone()),
        data: json!({"watch": step.key, "unit": o.unit}),
    };
    Transition { order: next, event }
}
