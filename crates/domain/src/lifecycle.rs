//! The order lifecycle: one function decides whether an action is allowed for this
//! actor in this state, and what it changes.
//!
//! [`apply`] takes the order, the action, the actor, the time and the rules, and gives
//! back the changed order and the event to append — or a typed error, in which case
//! nothing changes. Permission is checked before state (a role that may never do the
//! action gets `Forbidden` whatever the state), matching the 403-then-409 order of
//! `docs/lifecycle.md`.
//! Whether the actor may *see* the order at all is the access layer's business.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::Timestamp;
use crate::calendar::Calendar;
use crate::order::*;
use crate::rules::{ClockStart, DeadlineRules};
use crate::values::{InvalidValue, OrderId, UnitCode};

/// Who acts, as the lifecycle needs to know them.
#[derive(Debug, Clone)]
pub struct Actor {
    pub username: String,
    pub roles: Vec<Role>,
    pub unit: Option<UnitCode>,
    /// Works for the order's owning hotline or a hotline above it.
    pub hotline_staff: bool,
    /// The requester, through the public portal.
    pub requester: bool,
    /// The hotline the actor works for as staff, when it is above the order's owning
    /// hotline (a province over a city's order): it may take the order over.
    pub upper_hotline: Option<UnitCode>,
    /// The hotline above the order's owning hotline, where 提级办理 sends it (none at
    /// the top).
    pub hotline_above: Option<UnitCode>,
    /// A line supervisor at the head of the line (条线) of the order's lead unit or a
    /// co-unit: reads the order, urges and supervises it, may take it over.
    pub line_overseer: bool,
}

impl Actor {
    pub fn requester() -> Self {
        Actor {
            username: "requester".into(),
            roles: Vec::new(),
            unit: None,
            hotline_staff: false,
            requester: true,
            upper_hotline: None,
            hotline_above: None,
            line_overseer: false,
        }
    }
    fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
    fn staff_with(&self, roles: &[Role]) -> bool {
        self.hotline_staff && roles.iter().any(|r| self.has(*r))
    }
    /// Staff of the owning hotline itself, not of one above it.
    fn own_staff_with(&self, roles: &[Role]) -> bool {
        self.upper_hotline.is_none() && self.staff_with(roles)
    }
    fn upper_staff_with(&self, roles: &[Role]) -> bool {
        self.upper_hotline.is_some() && self.staff_with(roles)
    }
    fn lead_handler(&self, order: &Order) -> bool {
        self.has(Role::Handler) && self.unit.is_some() && self.unit == order.unit
    }
    /// A handler of the sub-unit the lead unit forwarded the order to (二级派单).
    fn sub_handler(&self, order: &Order) -> bool {
        self.has(Role::Handler)
            && self.unit.is_some()
            && order.forward.as_ref().map(|f| &f.unit) == self.unit.as_ref()
    }
    fn co_handler(&self, order: &Order) -> bool {
        self.has(Role::Handler)
            && self
                .unit
                .as_ref()
                .is_some_and(|u| order.co_units.contains(u))
    }
}

/// Where a dispatch sends the order; the kind decides between dispatching to a
/// handling unit and handing the order down to a lower hotline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatchTarget {
    pub code: UnitCode,
    pub kind: UnitKind,
}

crate::order::wire_enum!(
    /// The name of an action staff and integrations take on an order: the path after
    /// `/api/v1/orders/{id}/`, the scope an integration key is issued for, and the
    /// audit trail's `order.NAME`. (The requester's own evaluation goes through the
    /// portal and has no name here.)
    ActionName { Answer = "answer", Triage = "triage", Dispatch = "dispatch",
                 Accept = "accept", Return = "return", ApproveReturn = "return/approve",
                 RejectReturn = "return/reject", RequestExtension = "extension",
                 ApproveExtension = "extension/approve", RejectExtension = "extension/reject",
                 Reply = "reply", Note = "note", Callback = "callback", Reopen = "reopen",
                 Close = "close", Urge = "urge", Supervise = "supervise",
                 Escalate = "escalate", Merge = "merge", RevealPhone = "reveal-phone",
                 ApproveReply = "reply/approve", RejectReply = "reply/reject",
                 Recall = "recall", EscalateHandling = "escalate-handling",
                 AcceptEscalation = "escalate-handling/accept",
                 DeclineEscalation = "escalate-handling/decline", TakeOver = "take-over",
                 LineTakeOver = "line-take-over", InterimReply = "interim-reply",
                 Correct = "correct", RequestCorrection = "correction",
                 ApproveCorrection = "correction/approve",
                 RejectCorrection = "correction/reject", Forward = "forward",
                 AcceptForward = "forward/accept", ReturnForward = "forward/return",
                 ReplyForward = "forward/reply", RecallForward = "forward/recall" }
);

/// Everything that can be done to an order (the table of `docs/lifecycle.md`).
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Answer {
        content: String,
        article_id: Option<i64>,
    },
    Triage {
        route: TriageRoute,
        note: String,
    },
    Dispatch {
        unit: DispatchTarget,
        co_units: Vec<UnitCode>,
        note: Option<String>,
        /// Classifies the order as it goes (required of an unclassified order
        /// dispatched to a unit; a hand-down needs none).
        domain: Option<DomainPath>,
    },
    Accept,
    Return {
        reason: String,
    },
    ApproveReturn {
        note: Option<String>,
    },
    RejectReturn {
        note: Option<String>,
    },
    RequestExtension {
        days: u32,
        reason: String,
    },
    ApproveExtension {
        note: Option<String>,
    },
    RejectExtension {
        note: Option<String>,
    },
    Reply {
        content: String,
        resolved: bool,
        /// The owning hotline reviews this reply before the callback (答复审核).
        review: bool,
    },
    /// The dispatcher takes back a dispatch the unit has not accepted (to dispatch it
    /// again, or to send it up a level).
    Recall {
        note: Option<String>,
    },
    /// The owning hotline's dispatcher asks the hotline above to handle the order
    /// (提级办理): it belongs to a provincial department or a vertically managed agency.
    EscalateHandling {
        reason: String,
    },
    /// The hotline above accepts: it becomes the owning hotline, the order waits in
    /// its queue to be dispatched within its own tree.
    AcceptEscalation {
        note: Option<String>,
    },
    /// The hotline above declines, with the reason: the order is the lower hotline's
    /// to dispatch again.
    DeclineEscalation {
        reason: String,
    },
    /// A hotline above takes the order over on its own initiative.
    TakeOver {
        reason: String,
    },
    /// The head of the lead unit's line (a provincial department) takes the matter
    /// over: its unit leads, the unit that held it becomes a co-unit.
    LineTakeOver {
        reason: String,
    },
    /// An interim reply (阶段性答复): the plan and the day the unit expects to finish,
    /// for the requester; the order stays in progress.
    InterimReply {
        content: String,
        planned: chrono::NaiveDate,
    },
    /// Staff of the owning hotline correct the classification or the place (纠错).
    Correct {
        fix: Correction,
        reason: String,
    },
    /// The lead unit asks the owning hotline to correct the order's kind.
    RequestCorrection {
        kind: Kind,
        reason: String,
    },
    /// The dispatcher grants the unit's request: the kind is corrected.
    ApproveCorrection {
        note: Option<String>,
    },
    /// The dispatcher refuses it: the kind stays.
    RejectCorrection {
        note: Option<String>,
    },
    /// The lead unit passes the order on to a sub-unit (二级派单), with a deadline no
    /// later than the order's (the order's own day if none is given).
    Forward {
        unit: UnitCode,
        deadline: Option<chrono::NaiveDate>,
        note: Option<String>,
    },
    /// The sub-unit takes the forwarded order on.
    AcceptForward,
    /// The sub-unit sends it back to the lead unit, with the reason.
    ReturnForward {
        reason: String,
    },
    /// The sub-unit replies to the lead unit, which reviews it and replies to the
    /// hotline itself.
    ReplyForward {
        content: String,
        resolved: bool,
    },
    /// The lead unit takes the order back from the sub-unit.
    RecallForward {
        note: Option<String>,
    },
    /// The hotline's review passes the reply: the callback may follow.
    ApproveReply {
        note: Option<String>,
    },
    /// The hotline's review sends the reply back to the unit, with the reason.
    RejectReply {
        reason: String,
    },
    Note {
        content: String,
    },
    Callback {
        result: CallbackResult,
        resolved: bool,
        note: Option<String>,
    },
    Evaluate {
        result: CallbackResult,
        resolved: bool,
        note: Option<String>,
    },
    Reopen {
        reason: String,
    },
    Close,
    Urge {
        note: String,
    },
    Supervise {
        note: String,
    },
    Escalate {
        note: String,
        /// The hotline above the order's, which takes over its oversight (none for
        /// the provincial hotline's own orders).
        to: Option<UnitCode>,
    },
    Merge {
        into: OrderId,
    },
    RevealPhone {
        reason: String,
    },
}

impl Action {
    /// The event this action appends.
    pub fn event_type(&self) -> EventKind {
        use EventKind as E;
        match self {
            Action::Answer { .. } => E::Answered,
            Action::Triage { .. } => E::Triaged,
            Action::Dispatch { unit, .. } if unit.kind.takes_requests() => E::HandedDown,
            Action::Dispatch { .. } => E::Dispatched,
            Action::Accept => E::Accepted,
            Action::Return { .. } => E::ReturnRequested,
            Action::ApproveReturn { .. } => E::ReturnApproved,
            Action::RejectReturn { .. } => E::ReturnRejected,
            Action::RequestExtension { .. } => E::ExtensionRequested,
            Action::ApproveExtension { .. } => E::ExtensionApproved,
            Action::RejectExtension { .. } => E::ExtensionRejected,
            Action::Reply { .. } => E::Replied,
            Action::ApproveReply { .. } => E::ReplyApproved,
            Action::Recall { .. } => E::Recalled,
            Action::EscalateHandling { .. } => E::EscalationRequested,
            Action::AcceptEscalation { .. } => E::EscalationAccepted,
            Action::DeclineEscalation { .. } => E::EscalationDeclined,
            Action::TakeOver { .. } => E::TakenOver,
            Action::LineTakeOver { .. } => E::LineTakenOver,
            Action::InterimReply { .. } => E::InterimReplied,
            Action::Correct { .. } => E::Corrected,
            Action::RequestCorrection { .. } => E::CorrectionRequested,
            Action::ApproveCorrection { .. } => E::CorrectionApproved,
            Action::RejectCorrection { .. } => E::CorrectionRejected,
            Action::Forward { .. } => E::Forwarded,
            Action::AcceptForward => E::ForwardAccepted,
            Action::ReturnForward { .. } => E::ForwardReturned,
            Action::ReplyForward { .. } => E::ForwardReplied,
            Action::RecallForward { .. } => E::ForwardRecalled,
            Action::RejectReply { .. } => E::ReplyRejected,
            Action::Note { .. } => E::Noted,
            Action::Callback { .. } => E::CalledBack,
            Action::Evaluate { .. } => E::Evaluated,
            Action::Reopen { .. } => E::Reopened,
            Action::Close => E::Closed,
            Action::Urge { .. } => E::Urged,
            Action::Supervise { .. } => E::Supervised,
            Action::Escalate { .. } => E::Escalated,
            Action::Merge { .. } => E::Merged,
            Action::RevealPhone { .. } => E::PhoneRevealed,
        }
    }
}

/// Why an action was refused. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("your role may not do this to this order")]
    Forbidden,
    #[error("{action} is not allowed while the order is {status}")]
    InvalidTransition {
        action: &'static str,
        status: Status,
    },
    #[error("the return window closed at {0}")]
    ReturnWindowClosed(Timestamp),
    #[error("an extension is already waiting for a decision")]
    ExtensionPending,
    #[error("this order has had the most extensions allowed ({0})")]
    ExtensionLimit(u32),
    #[error("no extension is waiting for a decision")]
    NoPendingExtension,
    #[error(
        "call the requester back first: close waits for a callback or the requester's evaluation"
    )]
    CallbackRequired,
    #[error("classify the order first: a dispatch to a unit needs its domain (give `domain`)")]
    DomainRequired,
    #[error("a correction of the kind is already waiting for a decision")]
    CorrectionPending,
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
}

impl TransitionError {
    /// The API's error code.
    pub fn code(&self) -> &'static str {
        match self {
            TransitionError::Forbidden => "forbidden",
            TransitionError::InvalidTransition { .. } => "invalid_transition",
            TransitionError::ReturnWindowClosed(_) => "return_window_closed",
            TransitionError::ExtensionPending => "extension_pending",
            TransitionError::ExtensionLimit(_) => "extension_limit",
            TransitionError::NoPendingExtension => "invalid_transition",
            TransitionError::CallbackRequired => "callback_required",
            TransitionError::DomainRequired => "domain_required",
            TransitionError::CorrectionPending => "correction_pending",
            TransitionError::Invalid { .. } => "validation",
        }
    }
}

/// The changed order and the event that records the change.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub order: Order,
    pub event: Event,
}

/// What the lifecycle needs besides the order and the action.
pub struct Context<'a> {
    pub now: Timestamp,
    pub rules: &'a DeadlineRules,
    pub calendar: &'a Calendar,
}

/// Decides an action. On success the returned order has its version bumped and the
/// event is to be appended in the same transaction.
pub fn apply(
    order: &Order,
    action: Action,
    actor: &Actor,
    ctx: &Context<'_>,
) -> Result<Transition, TransitionError> {
    check_permission(order, &action, actor)?;
    let mut next = order.clone();
    let mut data = json!({});
    let note = change(&mut next, &action, actor, ctx, &mut data)?;
    next.version += 1;
    let event = Event {
        at: ctx.now,
        kind: action.event_type(),
        actor: actor.username.clone(),
        unit: actor.unit.clone(),
        note,
        data,
    };
    Ok(Transition { order: next, event })
}

fn check_permission(order: &Order, action: &Action, actor: &Actor) -> Result<(), TransitionError> {
    use Role::*;
    let allowed = match action {
        Action::Answer { .. } => actor.staff_with(&[Operator, VendorOperator]),
        Action::Triage { route, .. } => {
            actor.staff_with(&[Operator, Dispatcher])
                || (route.open_to_vendors() && actor.staff_with(&[VendorOperator]))
        }
        Action::Dispatch { .. } | Action::Merge { .. } => actor.staff_with(&[Operator, Dispatcher]),
        Action::Accept
        | Action::Return { .. }
        | Action::RequestExtension { .. }
        | Action::Reply { .. }
        | Action::InterimReply { .. }
        | Action::RequestCorrection { .. }
        | Action::Forward { .. }
        | Action::RecallForward { .. } => actor.lead_handler(order),
        Action::AcceptForward | Action::ReturnForward { .. } | Action::ReplyForward { .. } => {
            actor.sub_handler(order)
        }
        // The owning hotline answers for its classification; a hotline above corrects
        // an order only once it owns it.
        Action::Correct { .. } => actor.own_staff_with(&[Operator, Dispatcher, Supervisor]),
        Action::ApproveCorrection { .. } | Action::RejectCorrection { .. } => {
            actor.own_staff_with(&[Dispatcher])
        }
        Action::ApproveReturn { .. } | Action::RejectReturn { .. } | Action::Recall { .. } => {
            actor.staff_with(&[Dispatcher])
        }
        Action::ApproveReply { .. } | Action::RejectReply { .. } => {
            actor.staff_with(&[Dispatcher, Supervisor])
        }
        Action::EscalateHandling { .. } => {
            actor.own_staff_with(&[Dispatcher]) && actor.hotline_above.is_some()
        }
        // The hotline asked decides, no other above it.
        Action::AcceptEscalation { .. } | Action::DeclineEscalation { .. } => {
            actor.upper_staff_with(&[Dispatcher])
                && order
                    .handling_escalation
                    .as_ref()
                    .is_none_or(|x| actor.upper_hotline.as_ref() == Some(&x.to))
        }
        Action::TakeOver { .. } => actor.upper_staff_with(&[Dispatcher, Supervisor]),
        Action::LineTakeOver { .. } => actor.line_overseer,
        Action::ApproveExtension { .. }
        | Action::RejectExtension { .. }
        | Action::Reopen { .. } => actor.staff_with(&[Dispatcher, Supervisor]),
        Action::Urge { .. } => actor.staff_with(&[Dispatcher, Supervisor]) || actor.line_overseer,
        Action::Note { .. } => {
            actor.lead_handler(order)
                || actor.co_handler(order)
                || actor.sub_handler(order)
                || actor.staff_with(&[Operator, VendorOperator, Dispatcher, Supervisor])
        }
        Action::Callback { .. } => actor.staff_with(&[Operator, VendorOperator, Dispatcher]),
        Action::Evaluate { .. } => actor.requester,
        Action::Close => actor.staff_with(&[Operator, Dispatcher, Supervisor]),
        Action::Supervise { .. } => actor.staff_with(&[Supervisor]) || actor.line_overseer,
        Action::Escalate { .. } => actor.staff_with(&[Supervisor]),
        Action::RevealPhone { .. } => {
            actor.staff_with(&[Operator, Dispatcher, Supervisor])
                || (actor.lead_handler(order) && !order.hides_requester())
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(TransitionError::Forbidden)
    }
}

/// Whether a replied order may be closed before its requester was reached: a
/// callback was tried, the deadline watch flagged it closable after the unreachable
/// attempts, or the rules exempt it.
fn closable_without_callback(o: &Order, rule: &crate::rules::CallbackBeforeClose) -> bool {
    let unreachable_requester =
        o.requester.anonymous && o.requester.phone.is_none() && rule.anonymous_without_phone_exempt;
    !rule.required
        || o.callback_attempts > 0
        || o.watched
            .iter()
            .any(|k| k.starts_with("callback_exhausted:"))
        || unreachable_requester
}

/// Reminders and supervision reach an order at a unit, and one waiting at a lower
/// hotline (registered, handed down, sent back, or waiting for 提级办理's decision) when
/// a hotline above gives them.
fn overseeable(o: &Order, actor: &Actor) -> bool {
    o.status.is_with_unit() || (o.status.waits_at_hotline() && actor.upper_hotline.is_some())
}

fn require(order: &Order, action: &'static str, ok: bool) -> Result<(), TransitionError> {
    if ok {
        Ok(())
    } else {
        Err(TransitionError::InvalidTransition {
            action,
            status: order.status,
        })
    }
}

fn non_empty(field: &'static str, s: &str) -> Result<(), TransitionError> {
    if s.trim().is_empty() {
        return Err(TransitionError::Invalid {
            field,
            problem: "must not be empty".into(),
        });
    }
    Ok(())
}

/// Applies the state change; returns the event's note.
fn change(
    o: &mut Order,
    action: &Action,
    actor: &Actor,
    ctx: &Context<'_>,
    data: &mut serde_json::Value,
) -> Result<Option<String>, TransitionError> {
    use Status::*;
    let name = action.event_type().as_str();
    let now = ctx.now;
    match action {
        Action::Answer {
            content,
            article_id,
        } => {
            require(o, name, o.status == Registered)?;
            non_empty("content", content)?;
            o.status = Closed;
            o.answer = Some(content.clone());
            o.article_id = *article_id;
            o.closed_at = Some(now);
            *data = json!({"article_id": article_id});
            Ok(Some(content.clone()))
        }
        Action::Triage { route, note } => {
            require(o, name, o.status == Registered)?;
            non_empty("note", note)?;
            o.status = Closed;
            o.route = Some(*route);
            o.closed_at = Some(now);
            *data = json!({"route": route});
            Ok(Some(note.clone()))
        }
        Action::Dispatch {
            unit,
            co_units,
            note,
            domain,
        } => {
            require(o, name, o.status == Registered)?;
            let classified = domain.is_some() && *domain != o.domain;
            if let Some(d) = domain {
                o.domain = Some(d.clone());
            }
            if o.domain.is_none() && !unit.kind.takes_requests() {
                return Err(TransitionError::DomainRequired);
            }
            dispatch(o, unit, co_units, ctx, data)?;
            if classified {
                data["domain"] = json!(o.domain);
            }
            Ok(note.clone())
        }
        Action::Accept => {
            require(o, name, o.status == Dispatched)?;
            o.status = InProgress;
            o.accepted_at = Some(now);
            let on_time = o.accept_deadline.is_none_or(|d| now <= d);
            *data = json!({"on_time": on_time});
            Ok(None)
        }
        Action::Return { reason } => {
            require(o, name, o.status == Dispatched)?;
            non_empty("reason", reason)?;
            if let Some(closes) = o.return_deadline.filter(|d| now > *d) {
                return Err(TransitionError::ReturnWindowClosed(closes));
            }
            o.status = ReturnRequested;
            Ok(Some(reason.clone()))
        }
        Action::ApproveReturn { note } => {
            require(o, name, o.status == ReturnRequested)?;
            *data = json!({"unit": o.unit});
            o.correction_request = None;
            o.status = Registered;
            o.unit = None;
            o.co_units.clear();
            o.accept_deadline = None;
            o.return_deadline = None;
            Ok(note.clone())
        }
        Action::Recall { note } => {
            require(o, name, o.status == Dispatched)?;
            *data = json!({"unit": o.unit});
            o.correction_request = None;
            o.status = Registered;
            o.unit = None;
            o.co_units.clear();
            o.accept_deadline = None;
            o.return_deadline = None;
            Ok(note.clone())
        }
        Action::RejectReturn { note } => {
            require(o, name, o.status == ReturnRequested)?;
            o.status = Dispatched;
            // The unit keeps the order: its window to return it is over.
            o.return_deadline = Some(now);
            Ok(note.clone())
        }
        Action::RequestExtension { days, reason } => {
            require(o, name, o.status == InProgress)?;
            non_empty("reason", reason)?;
            if o.extension.is_some() {
                return Err(TransitionError::ExtensionPending);
            }
            if o.extensions_granted >= ctx.rules.max_extensions {
                return Err(TransitionError::ExtensionLimit(ctx.rules.max_extensions));
            }
            let cap = ctx.rules.extension_cap(o.kind);
            if *days == 0 || *days > cap {
                return Err(TransitionError::Invalid {
                    field: "days",
                    problem: format!("must be between 1 and {cap} working days"),
                });
            }
            o.extension = Some(PendingExtension {
                days: *days,
                reason: reason.clone(),
                requested_at: now,
                requested_by: actor.username.clone(),
            });
            *data = json!({"days": days});
            Ok(Some(reason.clone()))
        }
        Action::ApproveExtension { note } => {
            require(o, name, o.status.is_open())?;
            let ext = o
                .extension
                .take()
                .ok_or(TransitionError::NoPendingExtension)?;
            let from = o.deadline.unwrap_or(now);
            let day = from.with_timezone(&crate::shanghai()).date_naive();
            let moved = ctx.calendar.add_workdays(day, ext.days);
            let deadline = crate::rules::end_of_day(moved.value);
            o.deadline = Some(deadline);
            o.calendar_incomplete |= moved.incomplete;
            o.extensions_granted += 1;
            o.extension_days += ext.days;
            *data = json!({"days": ext.days, "previous_deadline": from, "deadline": deadline});
            Ok(note.clone())
        }
        Action::RejectExtension { note } => {
            require(o, name, o.status.is_open())?;
            let ext = o
                .extension
                .take()
                .ok_or(TransitionError::NoPendingExtension)?;
            *data = json!({"days": ext.days});
            Ok(note.clone())
        }
        Action::Reply {
            content,
            resolved,
            review,
        } => {
            // With a sub-unit still on it, the lead unit takes it back first.
            require(o, name, o.status == InProgress && !forward_open(o))?;
            non_empty("content", content)?;
            o.status = Replied;
            o.reply_review = *review;
            o.reply = Some(Reply {
                content: content.clone(),
                resolved: *resolved,
                at: now,
                by: actor.username.clone(),
                unit: actor.unit.clone(),
            });
            let on_time = o.deadline.is_none_or(|d| now <= d);
            *data = json!({"resolved": resolved, "on_time": on_time});
            if *review {
                data["review"] = json!(true);
            }
            Ok(Some(content.clone()))
        }
        Action::EscalateHandling { reason } => {
            require(o, name, o.status == Registered)?;
            non_empty("reason", reason)?;
            let to = actor
                .hotline_above
                .clone()
                .ok_or(TransitionError::Forbidden)?;
            *data = json!({"from": o.hotline, "to": to});
            o.status = EscalationRequested;
            o.handling_escalation = Some(HandlingEscalation {
                to,
                reason: reason.clone(),
                requested_at: now,
                requested_by: actor.username.clone(),
            });
            Ok(Some(reason.clone()))
        }
        Action::AcceptEscalation { note } => {
            require(o, name, o.status == EscalationRequested)?;
            move_up(o, actor, data)?;
            Ok(note.clone())
        }
        Action::DeclineEscalation { reason } => {
            require(o, name, o.status == EscalationRequested)?;
            non_empty("reason", reason)?;
            o.status = Registered;
            let asked = o.handling_escalation.take();
            *data = json!({"from": o.hotline, "to": asked.map(|a| a.to)});
            Ok(Some(reason.clone()))
        }
        Action::TakeOver { reason } => {
            require(o, name, o.status.waits_at_hotline())?;
            non_empty("reason", reason)?;
            move_up(o, actor, data)?;
            Ok(Some(reason.clone()))
        }
        Action::LineTakeOver { reason } => {
            require(o, name, matches!(o.status, Dispatched | InProgress))?;
            non_empty("reason", reason)?;
            let head = actor.unit.clone().ok_or(TransitionError::Forbidden)?;
            let held = o.unit.replace(head.clone());
            o.co_units.retain(|u| *u != head);
            if let Some(held) = &held
                && !o.co_units.contains(held)
            {
                o.co_units.push(held.clone());
            }
            // The head takes it on: in progress at once, the deadline unchanged; an
            // extension the unit asked for is the unit's, and goes, as does a
            // sub-unit's part.
            o.extension = None;
            o.forward = None;
            o.correction_request = None;
            o.status = InProgress;
            o.accepted_at.get_or_insert(now);
            o.accept_deadline = None;
            o.return_deadline = None;
            *data = json!({"unit": head, "from": held});
            Ok(Some(reason.clone()))
        }
        Action::InterimReply { content, planned } => {
            require(o, name, o.status == InProgress)?;
            non_empty("content", content)?;
            let today = now.with_timezone(&crate::shanghai()).date_naive();
            let latest = today + chrono::Days::new(366);
            if *planned < today || *planned > latest {
                return Err(TransitionError::Invalid {
                    field: "planned_date",
                    problem: "must be a day from today to a year ahead".into(),
                });
            }
            o.interim_reply = Some(InterimReply {
                content: content.clone(),
                planned: *planned,
                at: now,
                by: actor.username.clone(),
                unit: actor.unit.clone(),
            });
            *data = json!({"planned": planned});
            Ok(Some(content.clone()))
        }
        Action::Correct { fix, reason } => {
            require(o, name, o.status.is_open())?;
            non_empty("reason", reason)?;
            if fix.is_empty() {
                return Err(TransitionError::Invalid {
                    field: "correction",
                    problem: "give at least one of kind, domain, region, street, address".into(),
                });
            }
            *data = correct(o, fix, ctx);
            if data.as_object().is_some_and(|m| m.is_empty()) {
                return Err(TransitionError::Invalid {
                    field: "correction",
                    problem: "nothing to correct: each value given is the order's already".into(),
                });
            }
            Ok(Some(reason.clone()))
        }
        Action::RequestCorrection { kind, reason } => {
            require(o, name, o.status.is_with_unit())?;
            non_empty("reason", reason)?;
            if o.correction_request.is_some() {
                return Err(TransitionError::CorrectionPending);
            }
            if *kind == o.kind {
                return Err(TransitionError::Invalid {
                    field: "kind",
                    problem: format!("the order is already of kind {kind}"),
                });
            }
            o.correction_request = Some(CorrectionRequest {
                kind: *kind,
                reason: reason.clone(),
                requested_at: now,
                requested_by: actor.username.clone(),
                unit: actor.unit.clone(),
            });
            *data = json!({"kind": kind, "from": o.kind});
            Ok(Some(reason.clone()))
        }
        Action::ApproveCorrection { note } => {
            require(
                o,
                name,
                o.status.is_open() && o.correction_request.is_some(),
            )?;
            let asked = o.correction_request.take();
            let fix = Correction {
                kind: asked.as_ref().map(|r| r.kind),
                ..Correction::default()
            };
            *data = correct(o, &fix, ctx);
            data["unit"] = json!(asked.and_then(|r| r.unit));
            Ok(note.clone())
        }
        Action::RejectCorrection { note } => {
            require(
                o,
                name,
                o.status.is_open() && o.correction_request.is_some(),
            )?;
            let asked = o.correction_request.take();
            *data = json!({
                "kind": asked.as_ref().map(|r| r.kind),
                "unit": asked.and_then(|r| r.unit),
            });
            Ok(note.clone())
        }
        Action::Forward {
            unit,
            deadline,
            note,
        } => {
            require(o, name, o.status == InProgress && !forward_open(o))?;
            if o.unit.as_ref() == Some(unit) || o.co_units.contains(unit) {
                return Err(TransitionError::Invalid {
                    field: "unit",
                    problem: "forward to a sub-unit, not to a unit already on the order".into(),
                });
            }
            let due = forward_deadline(o, *deadline, now)?;
            o.forward = Some(Forward {
                unit: unit.clone(),
                deadline: due,
                status: ForwardStatus::Forwarded,
                at: now,
                by: actor.username.clone(),
                reply: None,
            });
            *data = json!({"unit": unit, "deadline": due});
            Ok(note.clone())
        }
        Action::AcceptForward => {
            let waiting = forward_is(o, ForwardStatus::Forwarded);
            require(o, name, o.status == InProgress && waiting)?;
            if let Some(f) = o.forward.as_mut() {
                f.status = ForwardStatus::Accepted;
            }
            Ok(None)
        }
        Action::ReturnForward { reason } => {
            require(o, name, o.status == InProgress && forward_open(o))?;
            non_empty("reason", reason)?;
            let f = o.forward.take();
            *data = json!({"unit": f.map(|f| f.unit)});
            Ok(Some(reason.clone()))
        }
        Action::ReplyForward { content, resolved } => {
            let accepted = forward_is(o, ForwardStatus::Accepted);
            require(o, name, o.status == InProgress && accepted)?;
            non_empty("content", content)?;
            if let Some(f) = o.forward.as_mut() {
                f.status = ForwardStatus::Replied;
                f.reply = Some(Reply {
                    content: content.clone(),
                    resolved: *resolved,
                    at: now,
                    by: actor.username.clone(),
                    unit: actor.unit.clone(),
                });
            }
            let on_time = o
                .forward
                .as_ref()
                .and_then(|f| f.deadline)
                .is_none_or(|d| now <= d);
            *data = json!({"resolved": resolved, "on_time": on_time});
            Ok(Some(content.clone()))
        }
        Action::RecallForward { note } => {
            require(o, name, o.status == InProgress && forward_open(o))?;
            let f = o.forward.take();
            *data = json!({"unit": f.map(|f| f.unit)});
            Ok(note.clone())
        }
        Action::ApproveReply { note } => {
            require(o, name, o.status == Replied && o.reply_review)?;
            o.reply_review = false;
            Ok(note.clone())
        }
        Action::RejectReply { reason } => {
            require(o, name, o.status == Replied && o.reply_review)?;
            non_empty("reason", reason)?;
            // Back to the unit, the deadline still running from where it was.
            o.reply_review = false;
            o.reply = None;
            o.status = InProgress;
            Ok(Some(reason.clone()))
        }
        Action::Note { content } => {
            require(o, name, o.status.is_open())?;
            non_empty("content", content)?;
            Ok(Some(content.clone()))
        }
        Action::Callback {
            result,
            resolved,
            note,
        } => {
            require(o, name, o.status == Replied && !o.reply_review)?;
            record_evaluation(o, *result, *resolved, false, now, data);
            Ok(note.clone())
        }
        Action::Evaluate {
            result,
            resolved,
            note,
        } => {
            let first = o
                .evaluation
                .as_ref()
                .is_none_or(|e| e.result == CallbackResult::Unreachable);
            require(o, name, o.status == Replied && first && !o.reply_review)?;
            if *result == CallbackResult::Unreachable {
                return Err(TransitionError::Invalid {
                    field: "result",
                    problem: "a requester's own evaluation cannot be 'unreachable'".into(),
                });
            }
            record_evaluation(o, *result, *resolved, true, now, data);
            Ok(note.clone())
        }
        Action::Reopen { reason } => {
            require(o, name, o.status == CallbackDone)?;
            non_empty("reason", reason)?;
            o.status = InProgress;
            o.reopens += 1;
            o.interim_reply = None;
            o.reply = None;
            o.evaluation = None;
            o.callback_attempts = 0;
            o.extension = None;
            o.extension_days = 0;
            o.deadline_from = Some(now);
            o.forward = None;
            let deadline = ctx
                .rules
                .handling_deadline(ctx.calendar, o.kind, o.urgent, now);
            o.deadline = deadline.map(|d| d.value);
            o.calendar_incomplete = deadline.is_some_and(|d| d.incomplete);
            *data = json!({"deadline": o.deadline});
            Ok(Some(reason.clone()))
        }
        Action::Close => {
            let reviewed = !o.reply_review;
            require(
                o,
                name,
                matches!(o.status, Replied | CallbackDone) && reviewed,
            )?;
            if o.status == Replied
                && !closable_without_callback(o, &ctx.rules.callback_before_close)
            {
                return Err(TransitionError::CallbackRequired);
            }
            o.status = Closed;
            o.closed_at = Some(now);
            Ok(None)
        }
        Action::Urge { note } => {
            require(o, name, overseeable(o, actor))?;
            non_empty("note", note)?;
            o.reminders += 1;
            Ok(Some(note.clone()))
        }
        Action::Supervise { note } => {
            require(
                o,
                name,
                overseeable(o, actor) && o.supervision == SupervisionLevel::None,
            )?;
            non_empty("note", note)?;
            o.supervision = SupervisionLevel::Supervised;
            Ok(Some(note.clone()))
        }
        Action::Escalate { note, to } => {
            require(
                o,
                name,
                o.status.is_with_unit() && o.supervision != SupervisionLevel::Escalated,
            )?;
            non_empty("note", note)?;
            o.supervision = SupervisionLevel::Escalated;
            o.overseen_by = to.clone();
            *data = json!({"overseen_by": to});
            Ok(Some(note.clone()))
        }
        Action::Merge { into } => {
            require(o, name, o.status.is_open())?;
            if *into == o.id {
                return Err(TransitionError::Invalid {
                    field: "into",
                    problem: "an order cannot be merged into itself".into(),
                });
            }
            o.status = Merged;
            o.merged_into = Some(*into);
            o.closed_at = Some(now);
            *data = json!({"into": into});
            Ok(None)
        }
        Action::RevealPhone { reason } => {
            non_empty("reason", reason)?;
            Ok(Some(reason.clone()))
        }
    }
}

/// The order becomes the order of the actor's hotline, above its owner: still to be
/// dispatched, the deadline running from registration, the hotlines it came from kept
/// (their staff still read it, and their reports count it as escalated out).
fn move_up(
    o: &mut Order,
    actor: &Actor,
    data: &mut serde_json::Value,
) -> Result<(), TransitionError> {
    let to = actor
        .upper_hotline
        .clone()
        .ok_or(TransitionError::Forbidden)?;
    *data = json!({"from": o.hotline, "to": to});
    let from = std::mem::replace(&mut o.hotline, to);
    if !o.escalated_from.contains(&from) {
        o.escalated_from.push(from);
    }
    o.status = Status::Registered;
    o.handling_escalation = None;
    Ok(())
}

/// A sub-unit has the order before it (forwarded or accepted, not yet replied).
fn forward_open(o: &Order) -> bool {
    o.forward
        .as_ref()
        .is_some_and(|f| f.status != ForwardStatus::Replied)
}

fn forward_is(o: &Order, status: ForwardStatus) -> bool {
    o.forward.as_ref().is_some_and(|f| f.status == status)
}

/// The end of the day given, from today to the order's own deadline (that day if
/// none is given; none if the order has none).
fn forward_deadline(
    o: &Order,
    day: Option<chrono::NaiveDate>,
    now: Timestamp,
) -> Result<Option<Timestamp>, TransitionError> {
    let own = o
        .deadline
        .map(|d| d.with_timezone(&crate::shanghai()).date_naive());
    let today = now.with_timezone(&crate::shanghai()).date_naive();
    // An order already overdue is forwarded for today at the latest.
    let latest = own.map(|own| own.max(today));
    let Some(day) = day.or(latest) else {
        return Ok(None);
    };
    if day < today || latest.is_some_and(|latest| day > latest) {
        return Err(TransitionError::Invalid {
            field: "deadline",
            problem: "must be a day from today to the order's own deadline".into(),
        });
    }
    Ok(Some(crate::rules::end_of_day(day)))
}

/// Applies a correction; the event's data names each change (`{"from","to"}`, the
/// addresses only as changed: the timeline keeps no personal data the retention rule
/// would have to find).
fn correct(o: &mut Order, fix: &Correction, ctx: &Context<'_>) -> serde_json::Value {
    let mut changes = serde_json::Map::new();
    if let Some(kind) = fix.kind.filter(|k| *k != o.kind) {
        changes.insert("kind".into(), json!({"from": o.kind, "to": kind}));
        // A unit's request for another kind is answered by this one.
        o.correction_request = None;
        // A report's requester stays withheld once the kind no longer says so.
        if o.kind.hides_requester() && !kind.hides_requester() && !o.confidential {
            o.confidential = true;
            changes.insert("confidential".into(), json!(true));
        }
        o.kind = kind;
        let previous = o.deadline;
        // A reply was measured against the deadline of its day: that stays.
        if o.reply.is_none() {
            recount_deadline(o, ctx);
        }
        if o.deadline != previous {
            changes.insert(
                "deadline".into(),
                json!({"from": previous, "to": o.deadline}),
            );
        }
    }
    if let Some(domain) = fix
        .domain
        .as_ref()
        .filter(|d| o.domain.as_ref() != Some(*d))
    {
        changes.insert("domain".into(), json!({"from": o.domain, "to": domain}));
        o.domain = Some(domain.clone());
    }
    if let Some(region) = fix.region.as_ref().filter(|r| **r != o.region) {
        changes.insert("region".into(), json!({"from": o.region, "to": region}));
        o.region = region.clone();
    }
    if let Some(street) = fix.street.as_ref().filter(|s| **s != o.street) {
        changes.insert("street".into(), json!({"from": o.street, "to": street}));
        o.street = street.clone();
    }
    if let Some(address) = fix.address.as_ref().filter(|a| **a != o.address) {
        changes.insert("address".into(), json!(true));
        o.address = address.clone();
    }
    serde_json::Value::Object(changes)
}

/// The handling deadline counted again for the order's kind from when its clock
/// started (registration, dispatch or the last reopen), with the working days its
/// approved extensions of this round added; an order whose clock has not started
/// keeps none.
fn recount_deadline(o: &mut Order, ctx: &Context<'_>) {
    let started = o.deadline_from.or(match ctx.rules.clock_start {
        ClockStart::Registration => Some(o.registered_at),
        ClockStart::Dispatch => o.dispatched_at,
    });
    let Some(start) = started else {
        return;
    };
    let Some(base) = ctx
        .rules
        .handling_deadline(ctx.calendar, o.kind, o.urgent, start)
    else {
        o.deadline = None;
        return;
    };
    let mut deadline = base.value;
    let mut incomplete = base.incomplete;
    if o.extension_days > 0 {
        let day = deadline.with_timezone(&crate::shanghai()).date_naive();
        let moved = ctx.calendar.add_workdays(day, o.extension_days);
        deadline = crate::rules::end_of_day(moved.value);
        incomplete |= moved.incomplete;
    }
    o.deadline = Some(deadline);
    o.deadline_from = Some(start);
    o.calendar_incomplete |= incomplete;
    // A sub-unit's deadline stays no later than the order's.
    if let Some(f) = o.forward.as_mut()
        && f.deadline.is_some_and(|d| d > deadline)
    {
        f.deadline = Some(deadline);
    }
}

fn dispatch(
    o: &mut Order,
    target: &DispatchTarget,
    co_units: &[UnitCode],
    ctx: &Context<'_>,
    data: &mut serde_json::Value,
) -> Result<(), TransitionError> {
    if target.code == o.hotline {
        return Err(TransitionError::Invalid {
            field: "unit",
            problem: "the order already belongs to this hotline".into(),
        });
    }
    if target.kind.takes_requests() {
        // Handing down: the lower hotline owns it now, still to be dispatched there.
        *data = json!({"from": o.hotline, "to": target.code});
        o.hotline = target.code.clone();
        return Ok(());
    }
    if co_units.contains(&target.code) {
        return Err(TransitionError::Invalid {
            field: "co_units",
            problem: "the lead unit cannot also be a co-unit".into(),
        });
    }
    let now = ctx.now;
    o.status = Status::Dispatched;
    o.unit = Some(target.code.clone());
    o.co_units = co_units.to_vec();
    o.dispatched_at = Some(now);
    let accept = ctx.rules.accept_deadline(ctx.calendar, o.urgent, now);
    let ret = ctx.rules.return_deadline(ctx.calendar, now);
    o.accept_deadline = Some(accept.value);
    o.return_deadline = Some(ret.value);
    if o.deadline.is_none()
        && ctx.rules.clock_start == ClockStart::Dispatch
        && let Some(d) = ctx
            .rules
            .handling_deadline(ctx.calendar, o.kind, o.urgent, now)
    {
        o.deadline = Some(d.value);
        o.deadline_from = Some(now);
        o.calendar_incomplete |= d.incomplete;
    }
    o.calendar_incomplete |= accept.incomplete || ret.incomplete;
    *data = json!({"unit": target.code, "co_units": co_units, "accept_deadline": accept.value});
    Ok(())
}

fn record_evaluation(
    o: &mut Order,
    result: CallbackResult,
    resolved: bool,
    by_requester: bool,
    now: Timestamp,
    data: &mut serde_json::Value,
) {
    *data = json!({"result": result, "resolved": resolved});
    if result == CallbackResult::Unreachable {
        o.callback_attempts += 1;
        data["attempt"] = json!(o.callback_attempts);
        return;
    }
    o.status = Status::CallbackDone;
    o.evaluation = Some(Evaluation {
        result,
        resolved,
        at: now,
        by_requester,
    });
}

/// The other half of a merge: the original records the duplicate merged into it, so
/// the link reads both ways.
pub fn absorb_duplicate(
    original: &Order,
    duplicate: &Order,
    actor: &Actor,
    now: Timestamp,
) -> Result<Transition, TransitionError> {
    if !original.status.is_open() {
        return Err(TransitionError::Invalid {
            field: "into",
            problem: "the order to merge into must be open".into(),
        });
    }
    let mut next = original.clone();
    next.merged.push(duplicate.id);
    next.version += 1;
    let event = Event {
        at: now,
        kind: EventKind::DuplicateMerged,
        actor: actor.username.clone(),
        unit: actor.unit.clone(),
        note: None,
        data: json!({"duplicate": duplicate.id, "number": duplicate.number}),
    };
    Ok(Transition { order: next, event })
}

/// The actions `actor` may take on `order` now — those the lifecycle accepts with
/// well-formed input. Screens offer these and no others. (The requester's own
/// evaluation is not among them: it belongs to the public portal.)
pub fn available_actions(order: &Order, actor: &Actor, ctx: &Context<'_>) -> Vec<ActionName> {
    ActionName::ALL
        .iter()
        .copied()
        .filter(|name| {
            // A dispatch of an unclassified order is offered: its form asks the domain.
            matches!(
                apply(order, probe(*name, actor), actor, ctx),
                Ok(_) | Err(TransitionError::Invalid { .. } | TransitionError::DomainRequired)
            )
        })
        .collect()
}

/// A well-formed instance of the named action, to ask the lifecycle whether it would
/// be accepted (its texts are placeholders; an invalid one only fails validation).
fn probe(name: ActionName, actor: &Actor) -> Action {
    let text = || "-".to_owned();
    match name {
        ActionName::Answer => Action::Answer {
            content: text(),
            article_id: None,
        },
        ActionName::Triage => Action::Triage {
            route: if actor.roles.contains(&Role::VendorOperator) {
                TriageRoute::Explain
            } else {
                TriageRoute::LawfulChannel
            },
            note: text(),
        },
        ActionName::Dispatch => Action::Dispatch {
            unit: DispatchTarget {
                code: UnitCode::parse("probe-unit").expect("a valid code"),
                kind: UnitKind::Department,
            },
            co_units: vec![],
            note: None,
            domain: None,
        },
        ActionName::Accept => Action::Accept,
        ActionName::Return => Action::Return { reason: text() },
        ActionName::ApproveReturn => Action::ApproveReturn { note: None },
        ActionName::RejectReturn => Action::RejectReturn { note: None },
        ActionName::RequestExtension => Action::RequestExtension {
            days: 1,
            reason: text(),
        },
        ActionName::ApproveExtension => Action::ApproveExtension { note: None },
        ActionName::RejectExtension => Action::RejectExtension { note: None },
        ActionName::Reply => Action::Reply {
            content: text(),
            resolved: true,
            review: false,
        },
        ActionName::ApproveReply => Action::ApproveReply { note: None },
        ActionName::Recall => Action::Recall { note: None },
        ActionName::EscalateHandling => Action::EscalateHandling { reason: text() },
        ActionName::AcceptEscalation => Action::AcceptEscalation { note: None },
        ActionName::DeclineEscalation => Action::DeclineEscalation { reason: text() },
        ActionName::TakeOver => Action::TakeOver { reason: text() },
        ActionName::LineTakeOver => Action::LineTakeOver { reason: text() },
        ActionName::InterimReply => Action::InterimReply {
            content: text(),
            // Out of range on purpose: it only fails validation.
            planned: chrono::NaiveDate::MIN,
        },
        ActionName::RejectReply => Action::RejectReply { reason: text() },
        ActionName::Note => Action::Note { content: text() },
        ActionName::Callback => Action::Callback {
            result: CallbackResult::Satisfied,
            resolved: true,
            note: None,
        },
        ActionName::Reopen => Action::Reopen { reason: text() },
        ActionName::Close => Action::Close,
        ActionName::Urge => Action::Urge { note: text() },
        ActionName::Supervise => Action::Supervise { note: text() },
        ActionName::Escalate => Action::Escalate {
            note: text(),
            to: None,
        },
        ActionName::Merge => Action::Merge {
            into: OrderId::new(-1),
        },
        ActionName::RevealPhone => Action::RevealPhone { reason: text() },
        // Empty on purpose: it only fails validation.
        ActionName::Correct => Action::Correct {
            fix: Correction::default(),
            reason: text(),
        },
        ActionName::RequestCorrection => Action::RequestCorrection {
            kind: Kind::Suggestion,
            reason: text(),
        },
        ActionName::ApproveCorrection => Action::ApproveCorrection { note: None },
        ActionName::RejectCorrection => Action::RejectCorrection { note: None },
        ActionName::Forward => Action::Forward {
            unit: UnitCode::parse("probe-unit").expect("a valid code"),
            deadline: None,
            note: None,
        },
        ActionName::AcceptForward => Action::AcceptForward,
        ActionName::ReturnForward => Action::ReturnForward { reason: text() },
        ActionName::ReplyForward => Action::ReplyForward {
            content: text(),
            resolved: true,
        },
        ActionName::RecallForward => Action::RecallForward { note: None },
    }
}
