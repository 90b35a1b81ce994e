//! An order's life, generated: the demo's orders and the report benchmark's year of
//! orders (`hotline bench reports`) are both taken through the real lifecycle
//! ([`apply`]) by [`Life::live`], with the same actions in the same words.
//!
//! The shape of a life is the one a hotline sees: answered at once, or turned to
//! another channel, or dispatched — perhaps returned by the unit and dispatched to
//! another —, accepted, replied, called back (once more when the requester was not
//! reached), perhaps reopened after a dissatisfied callback and replied again, and
//! closed. A [`Script`] makes every choice: how far the life goes (the demo leaves
//! orders in every state), which way it turns, and when each step comes (the demo at
//! a fixed pace up to now, the benchmark at random over a year).

use hotline_domain::lifecycle::{Action, Actor, Context, DispatchTarget, TransitionError, apply};
use hotline_domain::{
    Calendar, CallbackResult, DeadlineRules, Event, Kind, Order, Status, Timestamp, TriageRoute,
    UnitCode, UnitKind,
};
use hotline_store::OrderChange;

/// The steps of a life, each a lifecycle action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Answer,
    Triage,
    Dispatch,
    Return,
    ApproveReturn,
    Accept,
    Reply,
    Callback,
    Reopen,
    Close,
}

/// The choices of one order's life. The life asks in the order it goes, so a script
/// drawing from a seeded generator gives the same lives every run.
pub trait Script {
    /// Whether the operator answers this consultation at once (即时办结).
    fn answers_at_once(&mut self) -> bool;
    /// Whether the operator tells the requester the lawful channel instead of
    /// dispatching.
    fn triaged(&mut self) -> bool;
    /// The unit the order goes to when its first unit returns it, if it does.
    fn returned_to(&mut self) -> Option<UnitCode>;
    /// Whether the life goes on to `step` (asked before accepting, replying, calling
    /// back and closing).
    fn reaches(&mut self, step: Step) -> bool;
    /// When `step` comes, the step before having come at `last`.
    fn at(&mut self, step: Step, last: Timestamp) -> Timestamp;
    /// Whether a reply says the matter is resolved.
    fn resolved(&mut self) -> bool;
    /// What the requester says at a callback, and whether the matter is resolved.
    fn callback(&mut self) -> (CallbackResult, bool);
    /// Whether a dissatisfied requester's order is reopened.
    fn reopens(&mut self) -> bool;
}

/// Who moves an order along.
pub struct Cast<'a> {
    /// Answers, triages, calls back and closes.
    pub operator: &'a Actor,
    /// Dispatches and approves returns.
    pub dispatcher: &'a Actor,
    /// Reopens.
    pub supervisor: &'a Actor,
    /// The handler of a unit the order is dispatched to.
    pub handler: &'a dyn Fn(&UnitCode) -> Actor,
}

/// One order on its way through the lifecycle.
pub struct Life<'a> {
    order: Order,
    /// The events of this life (the order's earlier ones not included).
    events: Vec<Event>,
    /// The order as each event left it, for a store that records them one by one.
    each_order: Option<Vec<Order>>,
    now: Timestamp,
    rules: &'a DeadlineRules,
    calendar: &'a Calendar,
}

const DISPATCH_NOTE: &str = "请按时办理";
const ANSWER: &str = "已根据知识库口径当场答复来电人。";
const TRIAGE_NOTE: &str = "已告知来电人通过诉讼途径解决";
const RETURN_REASON: &str = "不属于本单位职责";
const REPLY: &str = "经现场核实，已安排人员处理完毕，并向来电人说明情况。";
const REOPEN_REASON: &str = "群众不满意，重新办理";

impl<'a> Life<'a> {
    /// The life of a registered order, from its registration on.
    pub fn new(order: Order, rules: &'a DeadlineRules, calendar: &'a Calendar) -> Self {
        Life {
            now: order.registered_at,
            order,
            events: Vec::new(),
            each_order: None,
            rules,
            calendar,
        }
    }

    /// Keeps the order as each event leaves it too (see [`Life::into_changes`]).
    pub fn keeping_each_order(mut self) -> Self {
        self.each_order = Some(Vec::new());
        self
    }

    /// The order as it stands, and the events of this life.
    pub fn into_order_and_events(self) -> (Order, Vec<Event>) {
        (self.order, self.events)
    }

    /// Each event of this life with the order as it left it (empty unless kept).
    pub fn into_changes(self) -> Vec<OrderChange> {
        self.each_order
            .unwrap_or_default()
            .into_iter()
            .zip(self.events)
            .map(|(order, event)| OrderChange { order, event })
            .collect()
    }

    /// Takes the order as far as the script goes, the first unit being `lead`. A step
    /// the lifecycle refuses ends the life there, with the steps before it kept.
    pub fn live(
        &mut self,
        script: &mut impl Script,
        cast: &Cast,
        lead: &UnitCode,
    ) -> Result<(), TransitionError> {
        if self.order.kind == Kind::Consultation && script.answers_at_once() {
            let answer = Action::Answer {
                content: ANSWER.into(),
                article_id: None,
            };
            return self.act(script, Step::Answer, cast.operator, answer);
        }
        if script.triaged() {
            let triage = Action::Triage {
                route: TriageRoute::LawfulChannel,
                note: TRIAGE_NOTE.into(),
            };
            return self.act(script, Step::Triage, cast.operator, triage);
        }
        self.act(script, Step::Dispatch, cast.dispatcher, dispatch(lead))?;
        let mut lead = lead.clone();
        if let Some(other) = script.returned_to() {
            let reason = RETURN_REASON.into();
            self.act(
                script,
                Step::Return,
                &(cast.handler)(&lead),
                Action::Return { reason },
            )?;
            let approve = Action::ApproveReturn { note: None };
            self.act(script, Step::ApproveReturn, cast.dispatcher, approve)?;
            lead = other;
            self.act(script, Step::Dispatch, cast.dispatcher, dispatch(&lead))?;
        }
        let handler = (cast.handler)(&lead);
        if !script.reaches(Step::Accept) {
            return Ok(());
        }
        self.act(script, Step::Accept, &handler, Action::Accept)?;
        if !script.reaches(Step::Reply) {
            return Ok(());
        }
        self.reply(script, &handler)?;
        if !script.reaches(Step::Callback) {
            return Ok(());
        }
        self.callback(script, cast.operator)?;
        if self.order.status == Status::Replied {
            // Not reached: called once more.
            self.callback(script, cast.operator)?;
        }
        if self.dissatisfied() && script.reopens() {
            let reason = REOPEN_REASON.into();
            self.act(
                script,
                Step::Reopen,
                cast.supervisor,
                Action::Reopen { reason },
            )?;
            self.reply(script, &handler)?;
            self.callback(script, cast.operator)?;
        }
        if script.reaches(Step::Close)
            && matches!(self.order.status, Status::Replied | Status::CallbackDone)
        {
            self.act(script, Step::Close, cast.operator, Action::Close)?;
        }
        Ok(())
    }

    fn dissatisfied(&self) -> bool {
        self.order.status == Status::CallbackDone
            && self.order.evaluation.as_ref().map(|e| e.result)
                == Some(CallbackResult::Dissatisfied)
    }

    fn reply(&mut self, script: &mut impl Script, handler: &Actor) -> Result<(), TransitionError> {
        let at = script.at(Step::Reply, self.now);
        self.watch_deadline_before(at);
        let resolved = script.resolved();
        let reply = Action::Reply {
            content: REPLY.into(),
            resolved,
            review: false,
        };
        self.apply_at(at, handler, reply)
    }

    /// A reply late for its deadline comes after the deadline watch has recorded the
    /// deadline passing, as it does on a running server a minute after.
    fn watch_deadline_before(&mut self, reply_at: Timestamp) {
        let Some(deadline) = self.order.deadline else {
            return;
        };
        let noticed = deadline + chrono::Duration::minutes(1);
        if noticed >= reply_at {
            return;
        }
        if let Some(step) = hotline_domain::watch::deadline_passed(&self.order, noticed) {
            let t = hotline_domain::watch::take(&self.order, &step, noticed);
            self.record(t);
        }
    }

    fn callback(
        &mut self,
        script: &mut impl Script,
        operator: &Actor,
    ) -> Result<(), TransitionError> {
        let (result, resolved) = script.callback();
        let at = script.at(Step::Callback, self.now);
        let callback = Action::Callback {
            result,
            resolved,
            note: None,
        };
        self.apply_at(at, operator, callback)
    }

    fn act(
        &mut self,
        script: &mut impl Script,
        step: Step,
        who: &Actor,
        action: Action,
    ) -> Result<(), TransitionError> {
        let at = script.at(step, self.now);
        self.apply_at(at, who, action)
    }

    fn apply_at(
        &mut self,
        at: Timestamp,
        who: &Actor,
        action: Action,
    ) -> Result<(), TransitionError> {
        self.now = at;
        let ctx = Context {
            now: at,
            rules: self.rules,
            calendar: self.calendar,
        };
        let t = apply(&self.order, action, who, &ctx)?;
        self.record(t);
        Ok(())
    }

    fn record(&mut self, t: hotline_domain::lifecycle::Transition) {
        if let Some(kept) = &mut self.each_order {
            kept.push(t.order.clone());
        }
        self.order = t.order;
        self.events.push(t.event);
    }
}

fn dispatch(unit: &UnitCode) -> Action {
    Action::Dispatch {
        unit: DispatchTarget {
            code: unit.clone(),
            kind: UnitKind::Department,
        },
        co_units: Vec::new(),
        note: Some(DISPATCH_NOTE.into()),
        domain: None,
    }
}
