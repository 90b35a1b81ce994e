//! What an order looks like to a given viewer. Personal data is masked by default and
//! the requester's identity is left out entirely where the viewer may not have it.

use hotline_domain::{
    CallbackResult, Channel, DomainPath, Evaluation, Event, EventKind, Kind, Location, Order,
    OrderId, PendingExtension, Sla, Status, SupervisionLevel, Timestamp, TriageRoute, UnitCode,
};
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RequesterView {
    pub name: Option<String>,
    /// Masked (`138****1234`) unless revealed by an explicit, audited action.
    pub phone: Option<String>,
    pub address: Option<String>,
    pub anonymous: bool,
    /// The enterprise the requester speaks for (涉企诉求).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enterprise: Option<hotline_domain::Enterprise>,
    /// The identity is withheld from this viewer (reports and confidential orders).
    pub hidden: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReplyView {
    pub content: String,
    pub resolved: bool,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub by: String,
    pub unit: Option<UnitCode>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrderView {
    pub id: OrderId,
    pub number: String,
    /// Only hotline staff see the requester's tracking code.
    pub tracking_code: Option<String>,
    pub status: Status,
    pub hotline: UnitCode,
    pub channel: Channel,
    pub kind: Kind,
    pub domain: Option<DomainPath>,
    pub region: String,
    /// The region's official name (`锦江区`).
    pub region_name: String,
    /// The town or street (9-digit code), and its name.
    pub street: Option<String>,
    pub street_name: Option<String>,
    pub title: String,
    pub content: String,
    pub address: Option<String>,
    pub location: Option<Location>,
    pub urgent: bool,
    pub confidential: bool,
    pub requester: RequesterView,
    pub unit: Option<UnitCode>,
    pub co_units: Vec<UnitCode>,
    #[schema(value_type = String, format = DateTime)]
    pub registered_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub dispatched_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub accepted_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub deadline: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub accept_deadline: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub return_deadline: Option<Timestamp>,
    pub sla: Option<Sla>,
    pub calendar_incomplete: bool,
    pub extension: Option<PendingExtension>,
    pub extensions_granted: u32,
    pub supervision: SupervisionLevel,
    /// After escalation, the hotline that oversees the order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overseen_by: Option<hotline_domain::UnitCode>,
    pub reminders: u32,
    pub reply: Option<ReplyView>,
    pub callback_attempts: u32,
    /// The reply waits for the owning hotline's review (答复审核) before the callback.
    pub reply_review: bool,
    pub evaluation: Option<Evaluation>,
    pub route: Option<TriageRoute>,
    pub answer: Option<String>,
    pub article_id: Option<i64>,
    pub merged_into: Option<OrderId>,
    pub merged: Vec<OrderId>,
    pub possible_duplicates: Vec<OrderId>,
    pub reopens: u32,
    /// The latest interim reply (阶段性答复) of this round of handling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interim_reply: Option<hotline_domain::InterimReply>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<Timestamp>,
    /// A 提级办理 request waiting for the hotline above.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handling_escalation: Option<hotline_domain::HandlingEscalation>,
    /// The hotlines the order came up from (提级办理), oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub escalated_from: Vec<UnitCode>,
    /// A unit's request to correct the kind, waiting for the dispatcher.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correction_request: Option<hotline_domain::CorrectionRequest>,
    /// The lead unit's second-level dispatch to a sub-unit (二级派单).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forward: Option<hotline_domain::Forward>,
    pub version: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<Event>>,
}

/// How much of the order the viewer may have.
#[derive(Debug, Clone, Copy)]
pub struct Disclosure {
    pub identity: bool,
    pub tracking_code: bool,
    pub full_phone: bool,
}

impl OrderView {
    pub fn new(o: Order, sla: Option<Sla>, d: Disclosure, events: Option<Vec<Event>>) -> Self {
        let r = o.requester;
        let requester = if d.identity {
            RequesterView {
                name: r.name,
                phone: r.phone.map(|p| {
                    if d.full_phone {
                        p.as_str().to_owned()
                    } else {
                        p.masked()
                    }
                }),
                address: r.address,
                anonymous: r.anonymous,
                enterprise: r.enterprise,
                hidden: false,
            }
        } else {
            RequesterView {
                name: None,
                phone: None,
                address: None,
                anonymous: r.anonymous,
                enterprise: None,
                hidden: true,
            }
        };
        OrderView {
            id: o.id,
            number: o.number.to_string(),
            tracking_code: d.tracking_code.then_some(o.tracking_code),
            status: o.status,
            hotline: o.hotline,
            channel: o.channel,
            kind: o.kind,
            domain: o.domain,
            region: o.region.to_string(),
            region_name: String::new(),
            street: o.street,
            street_name: None,
            title: o.title,
            content: o.content,
            address: o.address,
            location: o.location,
            urgent: o.urgent,
            confidential: o.confidential,
            requester,
            unit: o.unit,
            co_units: o.co_units,
            registered_at: o.registered_at,
            dispatched_at: o.dispatched_at,
            accepted_at: o.accepted_at,
            deadline: o.deadline,
            accept_deadline: o.accept_deadline,
            return_deadline: o.return_deadline,
            sla,
            calendar_incomplete: o.calendar_incomplete,
            extension: o.extension,
            extensions_granted: o.extensions_granted,
            supervision: o.supervision,
            overseen_by: o.overseen_by,
            reminders: o.reminders,
            reply: o.reply.map(|r| ReplyView {
                content: r.content,
                resolved: r.resolved,
                at: r.at,
                by: r.by,
                unit: r.unit,
            }),
            callback_attempts: o.callback_attempts,
            reply_review: o.reply_review,
            evaluation: o.evaluation,
            route: o.route,
            answer: o.answer,
            article_id: o.article_id,
            merged_into: o.merged_into,
            merged: o.merged,
            possible_duplicates: o.possible_duplicates,
            reopens: o.reopens,
            interim_reply: o.interim_reply,
            closed_at: o.closed_at,
            handling_escalation: o.handling_escalation,
            escalated_from: o.escalated_from,
            correction_request: o.correction_request,
            forward: o.forward,
            version: o.version,
            events,
        }
    }
}

/// The requester's own view: status, deadline and reply; nobody's personal data.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicOrderView {
    pub number: String,
    pub status: Status,
    pub kind: Kind,
    pub channel: Channel,
    #[schema(value_type = String, format = DateTime)]
    pub registered_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub deadline: Option<Timestamp>,
    pub reply: Option<PublicReply>,
    /// The unit's latest interim reply (阶段性答复), until the final reply.
    pub interim_reply: Option<PublicInterimReply>,
    pub evaluation: Option<CallbackResult>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<Timestamp>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicReply {
    pub content: String,
    pub resolved: bool,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicInterimReply {
    pub content: String,
    /// The day the unit expects to have finished.
    #[schema(value_type = String, format = Date)]
    pub planned: chrono::NaiveDate,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

impl From<&Order> for PublicOrderView {
    /// A reply still under the hotline's review (答复审核) is not the requester's to
    /// read yet: the order shows as in progress, without it.
    fn from(o: &Order) -> Self {
        let under_review = o.reply_review;
        PublicOrderView {
            number: o.number.to_string(),
            status: if under_review {
                hotline_domain::Status::InProgress
            } else {
                o.status
            },
            kind: o.kind,
            channel: o.channel,
            registered_at: o.registered_at,
            deadline: o.deadline,
            reply: o
                .reply
                .as_ref()
                .filter(|_| !under_review)
                .map(|r| PublicReply {
                    content: r.content.clone(),
                    resolved: r.resolved,
                    at: r.at,
                }),
            interim_reply: o
                .interim_reply
                .as_ref()
                .filter(|_| o.reply.is_none() || under_review)
                .map(|i| PublicInterimReply {
                    content: i.content.clone(),
                    planned: i.planned,
                    at: i.at,
                }),
            evaluation: o.evaluation.as_ref().map(|e| e.result),
            closed_at: o.closed_at,
        }
    }
}

/// What a viewer from whom the requester is withheld (a handling unit, on a report or
/// a confidential order) still reads: hotline staff's reveal reasons and internal notes
/// leave the timeline, and the requester's stored name and phone are masked wherever
/// someone typed them into a text — the title, the content, the reply, a note.
pub fn withhold_requester(
    order: &mut Order,
    events: Option<&mut Vec<Event>>,
    by_staff: impl Fn(&Event) -> bool,
) {
    let secrets = requester_secrets(order);
    let mask = |text: &mut String| hotline_domain::text::mask_secrets(text, &secrets);
    mask(&mut order.title);
    mask(&mut order.content);
    if let Some(r) = order.reply.as_mut() {
        mask(&mut r.content);
    }
    if let Some(a) = order.answer.as_mut() {
        mask(a);
    }
    if let Some(x) = order.extension.as_mut() {
        mask(&mut x.reason);
    }
    if let Some(x) = order.handling_escalation.as_mut() {
        mask(&mut x.reason);
    }
    if let Some(i) = order.interim_reply.as_mut() {
        mask(&mut i.content);
    }
    if let Some(c) = order.correction_request.as_mut() {
        mask(&mut c.reason);
    }
    if let Some(r) = order.forward.as_mut().and_then(|f| f.reply.as_mut()) {
        mask(&mut r.content);
    }
    let Some(events) = events else { return };
    events.retain(|e| !(by_staff(e) && STAFF_ONLY_EVENTS.contains(&e.kind)));
    for e in events.iter_mut() {
        if let Some(n) = e.note.as_mut() {
            mask(n);
        }
        mask_json(&mut e.data, &secrets);
    }
}

/// Timeline entries hotline staff write for themselves.
const STAFF_ONLY_EVENTS: &[EventKind] = &[EventKind::PhoneRevealed, EventKind::Noted];

fn requester_secrets(order: &Order) -> Vec<String> {
    order.requester.secrets()
}

fn mask_json(value: &mut serde_json::Value, secrets: &[String]) {
    match value {
        serde_json::Value::String(s) => hotline_domain::text::mask_secrets(s, secrets),
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| mask_json(v, secrets)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| mask_json(v, secrets)),
        _ => {}
    }
}
