//! The work order (工单) and the vocabulary around it.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::calendar::Calendar;
use crate::rules::{ClockStart, DeadlineRules, Sla};
use crate::values::{InvalidValue, OrderId, OrderNumber, Phone, RegionCode, UnitCode};

macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $wire)] $variant),+ }

        // Written out: utoipa's derive does not see the wire names through the macro.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($wire),+]))
                    .into()
            }
        }
        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The name used on the wire, in the database and in URLs.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
            pub fn parse(s: &str) -> Result<Self, InvalidValue> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(InvalidValue(format!(
                        "unknown {} {s:?}; expected one of: {}",
                        stringify!($name).to_lowercase(),
                        [$($wire),+].join(", ")
                    ))),
                }
            }
        }
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use wire_enum;

wire_enum!(
    /// How the request reached the hotline.
    Channel { Phone = "phone", Web = "web", App = "app", Wechat = "wechat", Sms = "sms",
              Email = "email", Letter = "letter", Open311 = "open311" }
);

wire_enum!(
    /// 诉求类型.
    Kind { Consultation = "consultation", Help = "help", Complaint = "complaint",
           Report = "report", Suggestion = "suggestion", Praise = "praise" }
);

wire_enum!(
    /// Where an order is in its life (`docs/lifecycle.md`).
    Status { Registered = "registered", Dispatched = "dispatched",
             ReturnRequested = "return_requested", InProgress = "in_progress",
             Replied = "replied", CallbackDone = "callback_done", Closed = "closed",
             Merged = "merged", EscalationRequested = "escalation_requested" }
);

wire_enum!(
    /// What a person may do (`docs/permissions.md`).
    Role { Operator = "operator", Dispatcher = "dispatcher", Handler = "handler",
           Supervisor = "supervisor", Inspector = "inspector",
           KnowledgeEditor = "knowledge_editor", Admin = "admin",
           VendorOperator = "vendor_operator", LineSupervisor = "line_supervisor" }
);

wire_enum!(
    /// What kind of organisation a unit is.
    UnitKind { Hotline = "hotline", Subcentre = "subcentre", Department = "department",
               District = "district", Township = "township", Enterprise = "enterprise",
               VerticalAgency = "vertical_agency" }
);

wire_enum!(
    /// How an order left the normal path (分类处理, `docs/policy.md` §1).
    TriageRoute { Emergency110 = "emergency_110", Emergency119 = "emergency_119",
                  Emergency120 = "emergency_120", Emergency122 = "emergency_122",
                  LawfulChannel = "lawful_channel", Explain = "explain",
                  PoliceReferral = "police_referral",
                  DisciplineReferral = "discipline_referral" }
);

wire_enum!(
    /// What the requester said at the callback or evaluation.
    CallbackResult { Satisfied = "satisfied", FairlySatisfied = "fairly_satisfied",
                     Dissatisfied = "dissatisfied", Unreachable = "unreachable" }
);

wire_enum!(
    /// What an entry of an order's timeline records: the past tense of an action,
    /// `registered`, or a step the system took by itself (the deadline watch, the
    /// retention job). The wire name is the event's stored `type`.
    EventKind { Registered = "registered", Answered = "answered", Triaged = "triaged",
                Dispatched = "dispatched", HandedDown = "handed_down", Accepted = "accepted",
                ReturnRequested = "return_requested", ReturnApproved = "return_approved",
                ReturnRejected = "return_rejected", ExtensionRequested = "extension_requested",
                ExtensionApproved = "extension_approved", ExtensionRejected = "extension_rejected",
                Replied = "replied", Noted = "noted", CalledBack = "called_back",
                Evaluated = "evaluated", Reopened = "reopened", Closed = "closed",
                Urged = "urged", Supervised = "supervised", Escalated = "escalated",
                Merged = "merged", DuplicateMerged = "duplicate_merged",
                PhoneRevealed = "phone_revealed", Reminded = "reminded",
                AcceptOverdue = "accept_overdue", ReturnReviewOverdue = "return_review_overdue",
                ExtensionReviewOverdue = "extension_review_overdue",
                CallbackOverdue = "callback_overdue", CallbackExhausted = "callback_exhausted",
                DeadlinePassed = "deadline_passed",
                ReplyApproved = "reply_approved", ReplyRejected = "reply_rejected",
                Recalled = "recalled", EscalationRequested = "escalation_requested",
                EscalationAccepted = "escalation_accepted",
                EscalationDeclined = "escalation_declined", TakenOver = "taken_over",
                LineTakenOver = "line_taken_over", InterimReplied = "interim_replied",
                Corrected = "corrected", CorrectionRequested = "correction_requested",
                CorrectionApproved = "correction_approved",
                CorrectionRejected = "correction_rejected",
                Sampled = "sampled", Inspected = "inspected",
                Forwarded = "forwarded", ForwardAccepted = "forward_accepted",
                ForwardReturned = "forward_returned", ForwardReplied = "forward_replied",
                ForwardRecalled = "forward_recalled",
                PersonalDataPurged = "personal_data_purged" }
);

wire_enum!(
    /// How closely the hotline authority follows an order.
    SupervisionLevel { None = "none", Supervised = "supervised", Escalated = "escalated" }
);

impl Status {
    /// Every state but `closed` and `merged`.
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Closed | Status::Merged)
    }
    /// States in which the order is with a handling unit.
    pub fn is_with_unit(self) -> bool {
        matches!(
            self,
            Status::Dispatched
                | Status::ReturnRequested
                | Status::InProgress
                | Status::Replied
                | Status::CallbackDone
        )
    }
    /// States in which the order waits at its owning hotline, not at a unit.
    pub fn waits_at_hotline(self) -> bool {
        matches!(self, Status::Registered | Status::EscalationRequested)
    }
    /// States in which the handling deadline is running.
    pub fn awaits_reply(self) -> bool {
        matches!(
            self,
            Status::Registered
                | Status::EscalationRequested
                | Status::Dispatched
                | Status::ReturnRequested
                | Status::InProgress
        )
    }
}

impl UnitKind {
    /// An owning hotline (受理): a hotline, or a sub-centre (分中心) for its remit.
    pub fn takes_requests(self) -> bool {
        matches!(self, UnitKind::Hotline | UnitKind::Subcentre)
    }
}

impl CallbackResult {
    /// 满意 or 基本满意: what satisfaction rates count as satisfied.
    pub fn is_satisfied(self) -> bool {
        matches!(
            self,
            CallbackResult::Satisfied | CallbackResult::FairlySatisfied
        )
    }
}

impl Kind {
    /// Reports (举报) always hide the requester from handling units.
    pub fn hides_requester(self) -> bool {
        matches!(self, Kind::Report)
    }
}

impl TriageRoute {
    /// Routes a third-party vendor's operator may take.
    pub fn open_to_vendors(self) -> bool {
        matches!(
            self,
            TriageRoute::Emergency110
                | TriageRoute::Emergency119
                | TriageRoute::Emergency120
                | TriageRoute::Emergency122
                | TriageRoute::LawfulChannel
                | TriageRoute::Explain
        )
    }
}

/// `TOP/SUB` in the two-level domain taxonomy (诉求领域).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DomainPath {
    top: String,
    sub: String,
}

/// The five fields of `docs/policy.md` §1.
pub const DOMAIN_TOPS: [&str; 5] = [
    "economic_regulation",
    "market_supervision",
    "social_management",
    "public_services",
    "environmental_protection",
];

fn is_snake_case(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl DomainPath {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let (top, sub) = s
            .split_once('/')
            .ok_or_else(|| InvalidValue(format!("domain must be TOP/SUB, got {s:?}")))?;
        if !DOMAIN_TOPS.contains(&top) {
            return Err(InvalidValue(format!(
                "unknown domain field {top:?}; expected one of: {}",
                DOMAIN_TOPS.join(", ")
            )));
        }
        if !is_snake_case(sub) {
            return Err(InvalidValue(format!(
                "sub-category must be snake_case, got {sub:?}"
            )));
        }
        Ok(Self {
            top: top.to_owned(),
            sub: sub.to_owned(),
        })
    }
    pub fn top(&self) -> &str {
        &self.top
    }
    pub fn sub(&self) -> &str {
        &self.sub
    }
}

impl std::fmt::Display for DomainPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.top, self.sub)
    }
}
impl TryFrom<String> for DomainPath {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, InvalidValue> {
        Self::parse(&s)
    }
}
impl From<DomainPath> for String {
    fn from(d: DomainPath) -> String {
        d.to_string()
    }
}

/// On the wire a path is one string, `TOP/SUB`.
impl utoipa::PartialSchema for DomainPath {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(format!(
                "^({})/[a-z][a-z0-9_]{{0,63}}$",
                DOMAIN_TOPS.join("|")
            )))
            .examples(["public_services/roads"])
            .into()
    }
}
impl utoipa::ToSchema for DomainPath {}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Location {
    pub lat: f64,
    pub lng: f64,
}

impl Location {
    pub fn validate(&self) -> Result<(), InvalidValue> {
        if !(-90.0..=90.0).contains(&self.lat) || !(-180.0..=180.0).contains(&self.lng) {
            return Err(InvalidValue("location is outside the globe".into()));
        }
        Ok(())
    }
}

/// Who asks. Identity is shown masked or hidden as the access rules say.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Requester {
    pub name: Option<String>,
    pub phone: Option<Phone>,
    pub address: Option<String>,
    #[serde(default)]
    pub anonymous: bool,
    /// The enterprise asking (涉企诉求), if the requester speaks for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise: Option<Enterprise>,
}

impl Requester {
    /// What names the requester wherever someone typed it into a text: their name and
    /// phone, and the enterprise they speak for (its name and credit code).
    pub fn secrets(&self) -> Vec<String> {
        let mut out = crate::text::requester_secrets(
            self.name.as_deref(),
            self.phone.as_ref().map(|p| p.as_str()),
        );
        if let Some(e) = &self.enterprise {
            out.extend(
                [e.name.trim(), e.credit_code.as_str()]
                    .into_iter()
                    .filter(|s| s.chars().count() >= 2)
                    .map(str::to_owned),
            );
        }
        out
    }
}

/// An enterprise as a requester: its registered name and unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Enterprise {
    pub name: String,
    pub credit_code: crate::values::CreditCode,
}

/// An extension a unit asked for, waiting for a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PendingExtension {
    pub days: u32,
    pub reason: String,
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: Timestamp,
    pub requested_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reply {
    pub content: String,
    pub resolved: bool,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub by: String,
    pub unit: Option<UnitCode>,
}

wire_enum!(
    /// Where a second-level dispatch (二级派单) stands at the sub-unit.
    ForwardStatus { Forwarded = "forwarded", Accepted = "accepted", Replied = "replied" }
);

/// A second-level dispatch (二级派单): the lead unit passed the order on to one of its
/// sub-units, which handles it for the lead unit and replies to it; the lead unit
/// reviews that reply and replies to the hotline itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Forward {
    pub unit: UnitCode,
    /// The sub-unit's deadline: no later than the order's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub deadline: Option<Timestamp>,
    #[schema(value_type = String)]
    pub status: ForwardStatus,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub by: String,
    /// The sub-unit's reply to the lead unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<Reply>,
}

/// An interim reply (阶段性答复): what the unit is doing about a matter it cannot finish
/// in time, and by when it expects to; the requester reads it on the portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InterimReply {
    pub content: String,
    /// The day the unit expects to have finished.
    #[schema(value_type = String, format = Date)]
    pub planned: chrono::NaiveDate,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub by: String,
    pub unit: Option<UnitCode>,
}

/// What a correction of the order's classification or place changes (纠错): each
/// field given replaces the order's; `street` and `address` given as `None` clear them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Correction {
    pub kind: Option<Kind>,
    pub domain: Option<DomainPath>,
    pub region: Option<RegionCode>,
    pub street: Option<Option<String>>,
    pub address: Option<Option<String>>,
}

impl Correction {
    pub fn is_empty(&self) -> bool {
        *self == Correction::default()
    }
}

/// A handling unit's request to correct the order's kind, waiting for the owning
/// hotline's dispatcher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CorrectionRequest {
    pub kind: Kind,
    pub reason: String,
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: Timestamp,
    pub requested_by: String,
    pub unit: Option<UnitCode>,
}

/// A request for the hotline above to handle the order (提级办理), waiting for its
/// decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HandlingEscalation {
    /// The hotline asked.
    pub to: UnitCode,
    pub reason: String,
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: Timestamp,
    pub requested_by: String,
}

/// A callback or the requester's own evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Evaluation {
    pub result: CallbackResult,
    pub resolved: bool,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub by_requester: bool,
}

/// What an order's intake says, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Intake {
    pub channel: Channel,
    pub kind: Kind,
    pub domain: Option<DomainPath>,
    pub region: RegionCode,
    /// The town or street (乡镇/街道): a 9-digit statistical code within `region`.
    pub street: Option<String>,
    pub title: String,
    pub content: String,
    pub address: Option<String>,
    pub location: Option<Location>,
    pub urgent: bool,
    pub confidential: bool,
    pub requester: Requester,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One registered request and everything done about it. Stored whole as JSON, where
/// empty fields are left out to keep each order small.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub id: OrderId,
    pub number: OrderNumber,
    pub tracking_code: String,
    pub hotline: UnitCode,
    pub channel: Channel,
    pub kind: Kind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<DomainPath>,
    pub region: RegionCode,
    /// The town or street (9-digit statistical code) within `region`, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    pub title: String,
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    pub urgent: bool,
    pub confidential: bool,
    pub requester: Requester,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitCode>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub co_units: Vec<UnitCode>,
    pub registered_at: Timestamp,
    pub registered_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatched_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept_deadline: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_deadline: Option<Timestamp>,
    /// A deadline was counted across a year with no loaded calendar.
    #[serde(default, skip_serializing_if = "is_false")]
    pub calendar_incomplete: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<PendingExtension>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub extensions_granted: u32,
    pub supervision: SupervisionLevel,
    /// The hotline that oversees a supervised order after escalation (提级督办): the
    /// one above the owning hotline. None: the owning hotline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overseen_by: Option<UnitCode>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reminders: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<Reply>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub callback_attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation: Option<Evaluation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<TriageRoute>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<OrderId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<OrderId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub possible_duplicates: Vec<OrderId>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reopens: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
    /// The deadline watch's steps already taken, each keyed with the deadline it was
    /// for (so a new deadline after an extension or a reopen is watched afresh).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub watched: Vec<String>,
    /// The unit's reply waits for the owning hotline's review (答复审核) before the
    /// callback.
    #[serde(default, skip_serializing_if = "is_false")]
    pub reply_review: bool,
    /// A 提级办理 request waiting for the hotline above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handling_escalation: Option<HandlingEscalation>,
    /// The latest interim reply of this round of handling (the timeline keeps all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interim_reply: Option<InterimReply>,
    /// The hotlines that owned the order before it went up a level, oldest first: their
    /// staff still read it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalated_from: Vec<UnitCode>,
    /// When the handling deadline in force began to run (registration, dispatch or
    /// the last reopen): a corrected kind counts its deadline again from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_from: Option<Timestamp>,
    /// Working days the approved extensions of this round of handling added.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub extension_days: u32,
    /// A unit's request to correct the kind, waiting for the dispatcher.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction_request: Option<CorrectionRequest>,
    /// The lead unit's second-level dispatch to a sub-unit (二级派单), this round.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward: Option<Forward>,
    /// Bumped by every change; a write that finds another version lost a race.
    pub version: i64,
}

impl Order {
    /// A new order as registered at `now`; the id, number and tracking code are
    /// assigned by the store, which passes them in.
    #[allow(clippy::too_many_arguments)]
    pub fn register(
        intake: Intake,
        id: OrderId,
        number: OrderNumber,
        tracking_code: String,
        hotline: UnitCode,
        by: &str,
        now: Timestamp,
        possible_duplicates: Vec<OrderId>,
        rules: &DeadlineRules,
        cal: &Calendar,
    ) -> (Order, Event) {
        let deadline = match rules.clock_start {
            ClockStart::Registration => {
                rules.handling_deadline(cal, intake.kind, intake.urgent, now)
            }
            ClockStart::Dispatch => None,
        };
        let order = Order {
            id,
            number,
            tracking_code,
            hotline,
            channel: intake.channel,
            kind: intake.kind,
            domain: intake.domain,
            region: intake.region,
            street: intake.street,
            title: intake.title,
            content: intake.content,
            address: intake.address,
            location: intake.location,
            urgent: intake.urgent,
            confidential: intake.confidential,
            requester: intake.requester,
            status: Status::Registered,
            unit: None,
            co_units: Vec::new(),
            registered_at: now,
            registered_by: by.to_owned(),
            dispatched_at: None,
            accepted_at: None,
            deadline: deadline.map(|d| d.value),
            accept_deadline: None,
            return_deadline: None,
            calendar_incomplete: deadline.is_some_and(|d| d.incomplete),
            extension: None,
            extensions_granted: 0,
            supervision: SupervisionLevel::None,
            reminders: 0,
            reply: None,
            callback_attempts: 0,
            evaluation: None,
            route: None,
            answer: None,
            article_id: None,
            merged_into: None,
            merged: Vec::new(),
            possible_duplicates,
            reopens: 0,
            closed_at: None,
            watched: Vec::new(),
            reply_review: false,
            overseen_by: None,
            handling_escalation: None,
            interim_reply: None,
            escalated_from: Vec::new(),
            deadline_from: (rules.clock_start == ClockStart::Registration).then_some(now),
            extension_days: 0,
            correction_request: None,
            forward: None,
            version: 1,
        };
        let event = Event {
            at: now,
            kind: EventKind::Registered,
            actor: by.to_owned(),
            unit: Some(order.hotline.clone()),
            note: None,
            data: serde_json::json!({"channel": order.channel, "kind": order.kind}),
        };
        (order, event)
    }

    /// Whether the requester's identity must never reach a handling unit.
    pub fn hides_requester(&self) -> bool {
        self.confidential || self.kind.hides_requester()
    }

    /// The units that have the order before them: its lead unit, its co-units and a
    /// sub-unit it was forwarded to.
    pub fn units_at(&self) -> impl Iterator<Item = &UnitCode> {
        self.unit
            .iter()
            .chain(&self.co_units)
            .chain(self.forward.as_ref().map(|f| &f.unit))
    }

    /// The units besides the lead that have the order before them (what a unit's list
    /// finds it by besides the lead), once each.
    pub fn units_sharing(&self) -> Vec<UnitCode> {
        let mut out: Vec<UnitCode> = Vec::new();
        for u in self.units_at().filter(|u| self.unit.as_ref() != Some(*u)) {
            if !out.contains(u) {
                out.push(u.clone());
            }
        }
        out
    }

    /// How the order stands against its handling deadline: while it awaits a reply,
    /// against `now`; once replied, against the reply time, so a late reply stays
    /// overdue. Orders with no deadline, or closed without a reply, have none.
    pub fn sla(&self, rules: &DeadlineRules, cal: &Calendar, now: Timestamp) -> Option<Sla> {
        let deadline = self.deadline?;
        if self.status.awaits_reply() {
            return Some(rules.sla(cal, deadline, now));
        }
        let replied = self.reply.as_ref()?;
        Some(if replied.at > deadline {
            Sla::Overdue
        } else {
            Sla::OnTrack
        })
    }
}

/// One entry of an order's timeline. Events are appended, never changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Event {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// The past tense of the action (`dispatched`, …), `registered`, or the system's own.
    #[serde(rename = "type")]
    pub kind: EventKind,
    pub actor: String,
    pub unit: Option<UnitCode>,
    pub note: Option<String>,
    pub data: serde_json::Value,
}

/// What a callback or the requester's evaluation found, when it reached them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub result: CallbackResult,
    pub resolved: bool,
}

/// Typed readings of the facts events carry in `data` (stored JSON keeps its shape).
impl Event {
    /// The result of a `called_back` or `evaluated` event that reached the requester;
    /// none for other events and for an unreachable requester.
    pub fn outcome(&self) -> Option<Outcome> {
        if !matches!(self.kind, EventKind::CalledBack | EventKind::Evaluated) {
            return None;
        }
        let result = self.callback_result()?;
        (result != CallbackResult::Unreachable).then(|| Outcome {
            result,
            resolved: self.data["resolved"] == true,
        })
    }
    /// A callback that could not reach the requester (a try that counts).
    pub fn is_unreachable_callback(&self) -> bool {
        self.kind == EventKind::CalledBack
            && self.callback_result() == Some(CallbackResult::Unreachable)
    }
    fn callback_result(&self) -> Option<CallbackResult> {
        CallbackResult::parse(self.data["result"].as_str()?).ok()
    }
    /// An acceptance or reply made within its deadline.
    pub fn on_time(&self) -> bool {
        self.data["on_time"] == true
    }
    /// The unit the event names: the lead unit of a dispatch, the lead unit at the
    /// time of a watch step.
    pub fn unit_named(&self) -> Option<&str> {
        self.data["unit"].as_str().filter(|u| !u.is_empty())
    }
}
