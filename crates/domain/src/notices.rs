//! Who is told of an event as it happens (通知): the units whose staff must act on
//! it or learn of it at once — a unit of a new dispatch, a reminder, supervision and
//! the decisions on its return and extension requests; a hotline of a request that
//! waits for its decision. A notice names the order and what happened, nothing of the
//! requester: staff open the order to read it, under the order's own rules.

use crate::order::{Event, EventKind, Order};
use crate::values::UnitCode;

/// The units to notify of `event`, which left the order as `order` is now; each once.
pub fn recipients(order: &Order, event: &Event) -> Vec<UnitCode> {
    use EventKind::*;
    let lead = || order.unit.iter().cloned().collect::<Vec<_>>();
    let named = |key: &str| {
        event
            .data
            .get(key)
            .and_then(|u| u.as_str())
            .and_then(|u| UnitCode::parse(u).ok())
            .into_iter()
            .collect::<Vec<_>>()
    };
    // A reminder or supervision of an order waiting at a lower hotline is for it.
    let overseen = || {
        if order.status.waits_at_hotline() {
            vec![order.hotline.clone()]
        } else {
            lead()
        }
    };
    let mut units = match event.kind {
        Dispatched => {
            let mut u = lead();
            u.extend(order.co_units.iter().cloned());
            u
        }
        Urged | Reminded | Supervised => overseen(),
        Escalated | Reopened | ReturnRejected | ExtensionApproved | ExtensionRejected
        | DeadlinePassed | AcceptOverdue | ReplyRejected => lead(),
        // The unit that asked, or whose dispatch was taken back: the order no longer
        // names it.
        ReturnApproved | Recalled => named("unit"),
        // The unit that asked for a kind correction hears the decision; the lead unit
        // hears of a correction the hotline made (its deadline may have moved).
        CorrectionApproved | CorrectionRejected => named("unit"),
        // 二级派单: the sub-unit hears of a forward and of its recall, the lead unit of
        // the sub-unit's return and reply.
        Forwarded | ForwardRecalled => named("unit"),
        ForwardReturned | ForwardReplied => lead(),
        Corrected => lead(),
        // 提级办理: the request waits at the hotline above; its decision, or a take-over,
        // is for the hotline the order came from.
        EscalationRequested => named("to"),
        EscalationAccepted | EscalationDeclined | TakenOver => named("from"),
        // The unit whose matter its line's head took over, and the owning hotline.
        LineTakenOver => {
            let mut u = named("from");
            u.push(order.hotline.clone());
            u
        }
        ReturnRequested | ExtensionRequested | CorrectionRequested | HandedDown => {
            vec![order.hotline.clone()]
        }
        // A reply its hotline reviews waits for the hotline.
        Replied if order.reply_review => vec![order.hotline.clone()],
        _ => Vec::new(),
    };
    units.dedup();
    units
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_a_unit_must_hear_of_reaches_it_and_nothing_else_is_told() {
        let told = [
            EventKind::Dispatched,
            EventKind::Urged,
            EventKind::Reminded,
            EventKind::Supervised,
            EventKind::Escalated,
            EventKind::Reopened,
            EventKind::ReturnRejected,
            EventKind::ExtensionApproved,
            EventKind::ExtensionRejected,
            EventKind::DeadlinePassed,
            EventKind::AcceptOverdue,
            EventKind::ReturnApproved,
            EventKind::ReturnRequested,
            EventKind::ExtensionRequested,
            EventKind::HandedDown,
            EventKind::ReplyRejected,
        ];
        let intake = crate::order::Intake {
            channel: crate::order::Channel::Phone,
            kind: crate::order::Kind::Complaint,
            domain: None,
            region: crate::values::RegionCode::parse("510104").unwrap(),
            street: None,
            title: "路灯不亮".into(),
            content: "路灯不亮".into(),
            address: None,
            location: None,
            urgent: false,
            confidential: false,
            requester: crate::order::Requester::default(),
        };
        let now = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap();
        let rules = crate::rules::DeadlineRules::default();
        let calendar = crate::calendar::Calendar::new(crate::calendar::Calendar::official_seed());
        let (mut order, _) = Order::register(
            intake,
            crate::values::OrderId::new(1),
            crate::values::OrderNumber::new(now.date_naive(), 1),
            "12345678".into(),
            UnitCode::parse("cd12345").unwrap(),
            "operator",
            now,
            vec![],
            &rules,
            &calendar,
        );
        order.unit = Some(UnitCode::parse("cd-jt").unwrap());
        order.co_units = vec![UnitCode::parse("cd-zj").unwrap()];
        order.status = crate::order::Status::InProgress;
        for kind in EventKind::ALL {
            let event = Event {
                at: order.registered_at,
                kind: *kind,
                actor: "x".into(),
                unit: None,
                note: None,
                data: serde_json::json!({"unit": "cd-sw", "from": "cd-lower", "to": "sc12345"}),
            };
            let units: Vec<String> = recipients(&order, &event)
                .iter()
                .map(|u| u.to_string())
                .collect();
            let expected: &[&str] = match kind {
                EventKind::Dispatched => &["cd-jt", "cd-zj"],
                EventKind::ReturnApproved
                | EventKind::Recalled
                | EventKind::CorrectionApproved
                | EventKind::CorrectionRejected
                | EventKind::Forwarded
                | EventKind::ForwardRecalled => &["cd-sw"],
                EventKind::ForwardReturned | EventKind::ForwardReplied => &["cd-jt"],
                EventKind::ReturnRequested
                | EventKind::ExtensionRequested
                | EventKind::CorrectionRequested
                | EventKind::HandedDown => &["cd12345"],
                EventKind::Corrected => &["cd-jt"],
                EventKind::EscalationRequested => &["sc12345"],
                EventKind::EscalationAccepted
                | EventKind::EscalationDeclined
                | EventKind::TakenOver => &["cd-lower"],
                EventKind::LineTakenOver => &["cd-lower", "cd12345"],
                k if told.contains(k) => &["cd-jt"],
                _ => &[],
            };
            assert_eq!(units, expected, "{kind:?}");
        }
        // Waiting at its hotline, the order's reminders and supervision are for it.
        order.status = crate::order::Status::Registered;
        order.unit = None;
        for kind in [EventKind::Urged, EventKind::Reminded, EventKind::Supervised] {
            let event = Event {
                at: order.registered_at,
                kind,
                actor: "x".into(),
                unit: None,
                note: None,
                data: serde_json::json!({}),
            };
            let units: Vec<String> = recipients(&order, &event)
                .iter()
                .map(|u| u.to_string())
                .collect();
            assert_eq!(units, ["cd12345"], "{kind:?}");
        }
    }
}
