//! The lifecycle table of `docs/lifecycle.md`, action by action.

use chrono::DateTime;
use hotline_domain::*;

fn at(s: &str) -> Timestamp {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn unit(s: &str) -> UnitCode {
    UnitCode::parse(s).unwrap()
}

fn cal() -> Calendar {
    Calendar::new(Calendar::official_seed())
}

fn staff(role: Role) -> Actor {
    Actor {
        username: format!("{role}1"),
        roles: vec![role],
        unit: Some(unit("sc12345")),
        hotline_staff: true,
        upper_hotline: None,
        hotline_above: None,
        line_overseer: false,
        requester: false,
    }
}

fn handler(of: &str) -> Actor {
    Actor {
        username: format!("h-{of}"),
        roles: vec![Role::Handler],
        unit: Some(unit(of)),
        hotline_staff: false,
        upper_hotline: None,
        hotline_above: None,
        line_overseer: false,
        requester: false,
    }
}

fn new_order(kind: Kind, now: Timestamp) -> Order {
    let intake = Intake {
        channel: Channel::Phone,
        kind,
        domain: Some(DomainPath::parse("public_services/roads").unwrap()),
        region: RegionCode::parse("510104").unwrap(),
        street: None,
        title: "路灯不亮".into(),
        content: "锦江区某路段路灯连续一周不亮".into(),
        address: Some("锦江区东大街1号".into()),
        location: None,
        urgent: false,
        confidential: false,
        requester: Requester::default(),
    };
    let rules = DeadlineRules::default();
    Order::register(
        intake,
        OrderId::new(1),
        OrderNumber::new(now.date_naive(), 1),
        "12345678".into(),
        unit("sc12345"),
        "operator1",
        now,
        vec![],
        &rules,
        &cal(),
    )
    .0
}

struct World {
    rules: DeadlineRules,
    cal: Calendar,
}

impl World {
    fn new() -> Self {
        World {
            rules: DeadlineRules::default(),
            cal: cal(),
        }
    }
    fn act(
        &self,
        o: &Order,
        a: Action,
        who: &Actor,
        now: &str,
    ) -> Result<Transition, TransitionError> {
        let ctx = Context {
            now: at(now),
            rules: &self.rules,
            calendar: &self.cal,
        };
        apply(o, a, who, &ctx)
    }
    fn ok(&self, o: &Order, a: Action, who: &Actor, now: &str) -> Order {
        self.act(o, a, who, now).expect("allowed").order
    }
}

fn dispatch_to(code: &str) -> Action {
    Action::Dispatch {
        unit: DispatchTarget {
            code: unit(code),
            kind: UnitKind::Department,
        },
        co_units: vec![],
        note: None,
        domain: None,
    }
}

#[test]
fn an_order_goes_from_registered_to_closed_through_every_step() {
    let w = World::new();
    let o = new_order(Kind::Complaint, at("2026-11-02T09:00:00+08:00"));
    assert_eq!(o.deadline, Some(at("2026-11-23T23:59:59+08:00")));
    let o = w.ok(
        &o,
        dispatch_to("cdjt"),
        &staff(Role::Dispatcher),
        "2026-11-02T10:00:00+08:00",
    );
    assert_eq!(o.status, Status::Dispatched);
    assert_eq!(o.return_deadline, Some(at("2026-11-03T23:59:59+08:00")));
    let o = w.ok(
        &o,
        Action::Accept,
        &handler("cdjt"),
        "2026-11-02T11:00:00+08:00",
    );
    assert_eq!(o.status, Status::InProgress);
    let reply = Action::Reply {
        content: "已修复".into(),
        resolved: true,
        review: false,
    };
    let o = w.ok(&o, reply, &handler("cdjt"), "2026-11-05T11:00:00+08:00");
    assert_eq!(o.status, Status::Replied);
    let cb = Action::Callback {
        result: CallbackResult::Satisfied,
        resolved: true,
        note: None,
    };
    let o = w.ok(&o, cb, &staff(Role::Operator), "2026-11-06T11:00:00+08:00");
    assert_eq!(o.status, Status::CallbackDone);
    let o = w.ok(
        &o,
        Action::Close,
        &staff(Role::Operator),
        "2026-11-06T11:05:00+08:00",
    );
    assert_eq!(o.status, Status::Closed);
    assert_eq!(o.version, 6);
}

#[test]
fn a_role_not_allowed_is_forbidden_before_the_state_is_looked_at() {
    let w = World::new();
    let o = new_order(Kind::Help, at("2026-11-02T09:00:00+08:00"));
    let e = w.act(
        &o,
        Action::Accept,
        &staff(Role::Inspector),
        "2026-11-02T10:00:00+08:00",
    );
    assert_eq!(e.unwrap_err(), TransitionError::Forbidden);
    let e = w.act(
        &o,
        Action::Close,
        &staff(Role::Operator),
        "2026-11-02T10:00:00+08:00",
    );
    assert_eq!(e.unwrap_err().code(), "invalid_transition");
}

#[test]
fn only_the_lead_units_handler_may_accept() {
    let w = World::new();
    let o = new_order(Kind::Help, at("2026-11-02T09:00:00+08:00"));
    let o = w.ok(
        &o,
        dispatch_to("cdjt"),
        &staff(Role::Dispatcher),
        "2026-11-02T10:00:00+08:00",
    );
    let e = w.act(
        &o,
        Action::Accept,
        &handler("other"),
        "2026-11-02T11:00:00+08:00",
    );
    assert_eq!(e.unwrap_err(), TransitionError::Forbidden);
}

#[test]
fn a_return_after_the_window_is_refused_and_one_within_is_reviewed() {
    let w = World::new();
    let o = new_order(Kind::Help, at("2026-11-06T09:00:00+08:00")); // Friday
    let o = w.ok(
        &o,
        dispatch_to("cdjt"),
        &staff(Role::Dispatcher),
        "2026-11-06T10:00:00+08:00",
    );
    let ret = || Action::Return {
        reason: "非我单位职责".into(),
    };
    // The window runs to the end of the next working day, Monday 9 November.
    let late = w.act(&o, ret(), &handler("cdjt"), "2026-11-10T08:00:00+08:00");
    assert_eq!(late.unwrap_err().code(), "return_window_closed");
    let o = w.ok(&o, ret(), &handler("cdjt"), "2026-11-09T18:00:00+08:00");
    assert_eq!(o.status, Status::ReturnRequested);
    let o = w.ok(
        &o,
        Action::ApproveReturn { note: None },
        &staff(Role::Dispatcher),
        "2026-11-09T19:00:00+08:00",
    );
    assert_eq!(o.status, Status::Registered);
    assert_eq!(o.unit, None);
    let o = w.ok(
        &o,
        dispatch_to("cdsw"),
        &staff(Role::Dispatcher),
        "2026-11-09T19:10:00+08:00",
    );
    assert_eq!(o.unit, Some(unit("cdsw")));
    assert_eq!(
        o.deadline,
        Some(at("2026-11-17T23:59:59+08:00")),
        "the deadline keeps running"
    );
}

#[test]
fn an_approved_extension_moves_the_deadline_by_exactly_its_working_days() {
    let w = World::new();
    let o = new_order(Kind::Complaint, at("2026-09-14T09:00:00+08:00"));
    // 15 working days across the Mid-Autumn and National Day holidays and two
    // make-up days (Sunday 20 September, Saturday 10 October).
    assert_eq!(o.deadline, Some(at("2026-10-10T23:59:59+08:00")));
    let o = w.ok(
        &o,
        dispatch_to("cdjt"),
        &staff(Role::Dispatcher),
        "2026-09-14T10:00:00+08:00",
    );
    let o = w.ok(
        &o,
        Action::Accept,
        &handler("cdjt"),
        "2026-09-14T11:00:00+08:00",
    );
    let ask = Action::RequestExtension {
        days: 3,
        reason: "需现场勘查".into(),
    };
    let o = w.ok(
        &o,
        ask.clone(),
        &handler("cdjt"),
        "2026-09-20T10:00:00+08:00",
    );
    assert_eq!(
        o.deadline,
        Some(at("2026-10-10T23:59:59+08:00")),
        "pending moves nothing"
    );
    let again = w.act(
        &o,
        ask.clone(),
        &handler("cdjt"),
        "2026-09-20T11:00:00+08:00",
    );
    assert_eq!(again.unwrap_err(), TransitionError::ExtensionPending);
    let o = w.ok(
        &o,
        Action::ApproveExtension { note: None },
        &staff(Role::Supervisor),
        "2026-09-21T10:00:00+08:00",
    );
    // 10-10 → 10-12, 10-13, 10-14.
    assert_eq!(o.deadline, Some(at("2026-10-14T23:59:59+08:00")));
    let o = w.ok(
        &o,
        ask.clone(),
        &handler("cdjt"),
        "2026-09-22T10:00:00+08:00",
    );
    let o = w.ok(
        &o,
        Action::RejectExtension { note: None },
        &staff(Role::Dispatcher),
        "2026-09-22T11:00:00+08:00",
    );
    assert_eq!(o.deadline, Some(at("2026-10-14T23:59:59+08:00")));
    let o = w.ok(
        &o,
        ask.clone(),
        &handler("cdjt"),
        "2026-09-22T12:00:00+08:00",
    );
    let o = w.ok(
        &o,
        Action::ApproveExtension { note: None },
        &staff(Role::Dispatcher),
        "2026-09-22T13:00:00+08:00",
    );
    let third = w.act(&o, ask, &handler("cdjt"), "2026-09-23T10:00:00+08:00");
    assert_eq!(third.unwrap_err(), TransitionError::ExtensionLimit(2));
}

#[test]
fn vendor_operators_take_only_the_routes_open_to_them() {
    let w = World::new();
    let o = new_order(Kind::Help, at("2026-11-02T09:00:00+08:00"));
    let vendor = staff(Role::VendorOperator);
    let police = Action::Triage {
        route: TriageRoute::PoliceReferral,
        note: "恶意骚扰".into(),
    };
    assert_eq!(
        w.act(&o, police, &vendor, "2026-11-02T09:01:00+08:00")
            .unwrap_err(),
        TransitionError::Forbidden
    );
    let fire = Action::Triage {
        route: TriageRoute::Emergency119,
        note: "火情已转119".into(),
    };
    let o = w.ok(&o, fire, &vendor, "2026-11-02T09:01:00+08:00");
    assert_eq!(
        (o.status, o.route),
        (Status::Closed, Some(TriageRoute::Emergency119))
    );
}

#[test]
fn a_reopened_order_gets_the_kinds_limit_again() {
    let w = World::new();
    let o = new_order(Kind::Consultation, at("2026-11-02T09:00:00+08:00"));
    let o = w.ok(
        &o,
        dispatch_to("cdjt"),
        &staff(Role::Dispatcher),
        "2026-11-02T10:00:00+08:00",
    );
    let o = w.ok(
        &o,
        Action::Accept,
        &handler("cdjt"),
        "2026-11-02T11:00:00+08:00",
    );
    let o = w.ok(
        &o,
        Action::Reply {
            content: "答复".into(),
            resolved: false,
            review: false,
        },
        &handler("cdjt"),
        "2026-11-03T11:00:00+08:00",
    );
    let cb = Action::Callback {
        result: CallbackResult::Dissatisfied,
        resolved: false,
        note: None,
    };
    let o = w.ok(&o, cb, &staff(Role::Operator), "2026-11-04T11:00:00+08:00");
    let o = w.ok(
        &o,
        Action::Reopen {
            reason: "未解决".into(),
        },
        &staff(Role::Supervisor),
        "2026-11-04T12:00:00+08:00",
    );
    assert_eq!(o.status, Status::InProgress);
    assert_eq!(o.deadline, Some(at("2026-11-09T23:59:59+08:00")));
    assert_eq!(o.reopens, 1);
}

#[test]
fn an_unreachable_callback_records_the_attempt_and_stays_replied() {
    let w = World::new();
    let o = new_order(Kind::Help, at("2026-11-02T09:00:00+08:00"));
    let o = w.ok(
        &o,
        dispatch_to("cdjt"),
        &staff(Role::Dispatcher),
        "2026-11-02T10:00:00+08:00",
    );
    let o = w.ok(
        &o,
        Action::Accept,
        &handler("cdjt"),
        "2026-11-02T11:00:00+08:00",
    );
    let o = w.ok(
        &o,
        Action::Reply {
            content: "答复".into(),
            resolved: true,
            review: false,
        },
        &handler("cdjt"),
        "2026-11-03T11:00:00+08:00",
    );
    let cb = Action::Callback {
        result: CallbackResult::Unreachable,
        resolved: false,
        note: None,
    };
    let o = w.ok(&o, cb, &staff(Role::Operator), "2026-11-04T11:00:00+08:00");
    assert_eq!((o.status, o.callback_attempts), (Status::Replied, 1));
    let eval = Action::Evaluate {
        result: CallbackResult::Satisfied,
        resolved: true,
        note: None,
    };
    let o = w.ok(
        &o,
        eval.clone(),
        &Actor::requester(),
        "2026-11-04T12:00:00+08:00",
    );
    assert_eq!(o.status, Status::CallbackDone);
    assert!(
        w.act(&o, eval, &Actor::requester(), "2026-11-04T13:00:00+08:00")
            .is_err()
    );
}

#[test]
fn handing_down_to_a_city_hotline_keeps_the_order_registered_there() {
    let w = World::new();
    let o = new_order(Kind::Help, at("2026-11-02T09:00:00+08:00"));
    let down = Action::Dispatch {
        unit: DispatchTarget {
            code: unit("cd12345"),
            kind: UnitKind::Hotline,
        },
        co_units: vec![],
        note: None,
        domain: None,
    };
    let t = w
        .act(
            &o,
            down,
            &staff(Role::Dispatcher),
            "2026-11-02T10:00:00+08:00",
        )
        .unwrap();
    assert_eq!(
        (t.order.status, t.order.hotline.as_str()),
        (Status::Registered, "cd12345")
    );
    assert_eq!(t.event.kind, "handed_down");
}

#[test]
fn reports_hide_the_requester_so_handlers_cannot_reveal_the_phone() {
    let w = World::new();
    let o = new_order(Kind::Report, at("2026-11-02T09:00:00+08:00"));
    let o = w.ok(
        &o,
        dispatch_to("cdjt"),
        &staff(Role::Dispatcher),
        "2026-11-02T10:00:00+08:00",
    );
    let reveal = Action::RevealPhone {
        reason: "核实".into(),
    };
    let e = w.act(
        &o,
        reveal.clone(),
        &handler("cdjt"),
        "2026-11-02T11:00:00+08:00",
    );
    assert_eq!(e.unwrap_err(), TransitionError::Forbidden);
    assert!(
        w.act(
            &o,
            reveal,
            &staff(Role::Supervisor),
            "2026-11-02T11:00:00+08:00"
        )
        .is_ok()
    );
}

#[test]
fn the_available_actions_are_exactly_those_the_lifecycle_accepts() {
    let w = World::new();
    let ctx = |now: &str| Context {
        now: at(now),
        rules: &w.rules,
        calendar: &w.cal,
    };
    let o = new_order(Kind::Complaint, at("2026-11-02T09:00:00+08:00"));
    let op = available_actions(
        &o,
        &staff(Role::Operator),
        &ctx("2026-11-02T09:30:00+08:00"),
    );
    assert_eq!(
        op,
        [
            "answer",
            "triage",
            "dispatch",
            "note",
            "merge",
            "reveal-phone",
            "correct"
        ]
    );
    assert!(
        available_actions(
            &o,
            &staff(Role::Inspector),
            &ctx("2026-11-02T09:30:00+08:00")
        )
        .is_empty()
    );
    let o = w.ok(
        &o,
        dispatch_to("cdjt"),
        &staff(Role::Dispatcher),
        "2026-11-02T10:00:00+08:00",
    );
    let h = available_actions(&o, &handler("cdjt"), &ctx("2026-11-02T11:00:00+08:00"));
    assert_eq!(
        h,
        ["accept", "return", "note", "reveal-phone", "correction"]
    );
    let late = available_actions(&o, &handler("cdjt"), &ctx("2026-11-04T11:00:00+08:00"));
    assert_eq!(
        late,
        ["accept", "note", "reveal-phone", "correction"],
        "the return window has closed"
    );
    assert!(available_actions(&o, &handler("other"), &ctx("2026-11-02T11:00:00+08:00")).is_empty());
}

fn kind_to(kind: Kind) -> Action {
    Action::Correct {
        fix: Correction {
            kind: Some(kind),
            ..Correction::default()
        },
        reason: "登记类型有误".into(),
    }
}

/// The order as registered, dispatched to cdjt and accepted, with `days` of extension
/// approved.
fn accepted_with_extension(w: &World, kind: Kind, days: u32) -> Order {
    let o = new_order(kind, at("2026-09-14T09:00:00+08:00"));
    let o = w.ok(
        &o,
        dispatch_to("cdjt"),
        &staff(Role::Dispatcher),
        "2026-09-14T10:00:00+08:00",
    );
    let o = w.ok(
        &o,
        Action::Accept,
        &handler("cdjt"),
        "2026-09-14T11:00:00+08:00",
    );
    let ask = Action::RequestExtension {
        days,
        reason: "需现场勘查".into(),
    };
    let o = w.ok(&o, ask, &handler("cdjt"), "2026-09-15T10:00:00+08:00");
    w.ok(
        &o,
        Action::ApproveExtension { note: None },
        &staff(Role::Supervisor),
        "2026-09-15T11:00:00+08:00",
    )
}

#[test]
fn a_corrected_kind_counts_its_deadline_from_registration_keeping_extensions() {
    let w = World::new();
    let complaint = accepted_with_extension(&w, Kind::Complaint, 3);
    assert_eq!(complaint.deadline, Some(at("2026-10-14T23:59:59+08:00")));
    let corrected = w.ok(
        &complaint,
        kind_to(Kind::Consultation),
        &staff(Role::Operator),
        "2026-09-16T09:00:00+08:00",
    );
    // The same as a consultation registered then, with the same extension approved.
    let consultation = accepted_with_extension(&w, Kind::Consultation, 3);
    assert_eq!(corrected.kind, Kind::Consultation);
    assert_eq!(corrected.deadline, consultation.deadline);
    assert_ne!(corrected.deadline, complaint.deadline);
    let t = w
        .act(
            &complaint,
            kind_to(Kind::Consultation),
            &staff(Role::Operator),
            "2026-09-16T09:00:00+08:00",
        )
        .unwrap();
    assert_eq!(t.event.kind, EventKind::Corrected);
    assert_eq!(t.event.data["kind"]["from"], "complaint");
    assert_eq!(t.event.data["kind"]["to"], "consultation");
    assert!(t.event.data["deadline"]["to"].is_string());
}

#[test]
fn a_reopened_order_corrected_counts_from_its_reopening() {
    let w = World::new();
    let o = new_order(Kind::Consultation, at("2026-11-02T09:00:00+08:00"));
    let o = w.ok(
        &o,
        dispatch_to("cdjt"),
        &staff(Role::Dispatcher),
        "2026-11-02T10:00:00+08:00",
    );
    let o = w.ok(
        &o,
        Action::Accept,
        &handler("cdjt"),
        "2026-11-02T11:00:00+08:00",
    );
    let reply = Action::Reply {
        content: "答复".into(),
        resolved: false,
        review: false,
    };
    let o = w.ok(&o, reply, &handler("cdjt"), "2026-11-03T11:00:00+08:00");
    let cb = Action::Callback {
        result: CallbackResult::Dissatisfied,
        resolved: false,
        note: None,
    };
    let o = w.ok(&o, cb, &staff(Role::Operator), "2026-11-04T11:00:00+08:00");
    let reopen = Action::Reopen {
        reason: "未解决".into(),
    };
    let o = w.ok(
        &o,
        reopen,
        &staff(Role::Supervisor),
        "2026-11-04T12:00:00+08:00",
    );
    let o = w.ok(
        &o,
        kind_to(Kind::Complaint),
        &staff(Role::Dispatcher),
        "2026-11-05T09:00:00+08:00",
    );
    let fresh = new_order(Kind::Complaint, at("2026-11-04T12:00:00+08:00"));
    assert_eq!(o.deadline, fresh.deadline);
}

#[test]
fn a_report_corrected_to_another_kind_keeps_its_requester_withheld() {
    let w = World::new();
    let report = new_order(Kind::Report, at("2026-11-02T09:00:00+08:00"));
    assert!(report.hides_requester());
    let o = w.ok(
        &report,
        kind_to(Kind::Complaint),
        &staff(Role::Supervisor),
        "2026-11-02T10:00:00+08:00",
    );
    assert_eq!((o.kind, o.confidential), (Kind::Complaint, true));
    assert!(o.hides_requester());
}

#[test]
fn a_unit_asks_for_a_kind_correction_and_the_dispatcher_decides() {
    let w = World::new();
    let o = new_order(Kind::Complaint, at("2026-11-02T09:00:00+08:00"));
    let o = w.ok(
        &o,
        dispatch_to("cdjt"),
        &staff(Role::Dispatcher),
        "2026-11-02T10:00:00+08:00",
    );
    let ask = Action::RequestCorrection {
        kind: Kind::Consultation,
        reason: "诉求人仅咨询政策".into(),
    };
    let too_early = w.act(
        &o,
        ask.clone(),
        &handler("cdzj"),
        "2026-11-02T10:30:00+08:00",
    );
    assert_eq!(too_early.unwrap_err(), TransitionError::Forbidden);
    let o = w.ok(
        &o,
        ask.clone(),
        &handler("cdjt"),
        "2026-11-02T11:00:00+08:00",
    );
    assert_eq!(o.kind, Kind::Complaint, "asking changes nothing yet");
    let again = w.act(&o, ask, &handler("cdjt"), "2026-11-02T11:30:00+08:00");
    assert_eq!(again.unwrap_err(), TransitionError::CorrectionPending);
    let by_operator = w.act(
        &o,
        Action::ApproveCorrection { note: None },
        &staff(Role::Operator),
        "2026-11-02T12:00:00+08:00",
    );
    assert_eq!(by_operator.unwrap_err(), TransitionError::Forbidden);
    let rejected = w.ok(
        &o,
        Action::RejectCorrection { note: None },
        &staff(Role::Dispatcher),
        "2026-11-02T12:00:00+08:00",
    );
    assert_eq!(
        (rejected.kind, rejected.correction_request.is_none()),
        (Kind::Complaint, true)
    );
    let approved = w.ok(
        &o,
        Action::ApproveCorrection { note: None },
        &staff(Role::Dispatcher),
        "2026-11-02T12:00:00+08:00",
    );
    assert_eq!(approved.kind, Kind::Consultation);
    assert!(approved.correction_request.is_none());
    let fresh = new_order(Kind::Consultation, at("2026-11-02T09:00:00+08:00"));
    assert_eq!(approved.deadline, fresh.deadline);
    let nothing = w.act(
        &approved,
        Action::ApproveCorrection { note: None },
        &staff(Role::Dispatcher),
        "2026-11-02T13:00:00+08:00",
    );
    assert!(matches!(
        nothing,
        Err(TransitionError::InvalidTransition { .. })
    ));
}
