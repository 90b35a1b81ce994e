//! The OpenAPI 3.1 document (`/api/v1/openapi.json`) and Swagger UI (`/api/docs`,
//! vendored, served from the binary). The document is built from one table of the
//! API's operations, each with an example body, so it stays one reading of the
//! public contract (`docs/lifecycle.md`, `docs/permissions.md`, `docs/metrics.md`).
//! Every operation names the Rust types its handler reads and answers, so the
//! schemas are derived from the code (`utoipa::ToSchema` / `IntoParams`) and cannot
//! drift from it; the API fuzzer (`crates/cli/tests/fuzz_api.rs`) checks live answers
//! against them. Only `/api/v1` is described: the console's pages and the operations
//! endpoints (`/healthz`, `/readyz`, `/metrics`, `/static`) are not part of the API.

use axum::Router;
use hotline_domain::ActionName;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use utoipa::openapi::path::{OperationBuilder, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, HttpMethod, InfoBuilder, OpenApi, OpenApiBuilder, Paths,
    Ref, RefOr, Required, ResponseBuilder,
};
use utoipa::{IntoParams, ToSchema};
use utoipa_swagger_ui::SwaggerUi;

use crate::AppState;
use crate::auth::{account, two_factor};
use crate::kb::io as kb_io;
use crate::orders::{public, views};
use crate::{admin, auth, catalogue, kb, orders, regions, reports};

pub fn router() -> Router<AppState> {
    Router::from(SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", document()))
}

/// The named schemas of the document, collected as operations reference them.
#[derive(Default)]
struct Schemas(BTreeMap<String, RefOr<Schema>>);

impl Schemas {
    /// Adds a schema under its name. Two different types answering to one name would
    /// make one of them wrong in the document, so that is refused at once.
    fn add(&mut self, name: String, schema: RefOr<Schema>) {
        if let Some(old) = self.0.get(&name) {
            let same = serde_json::to_value(old).ok() == serde_json::to_value(&schema).ok();
            assert!(
                same,
                "two schemas are named {name}; give one `#[schema(as = …)]`"
            );
        }
        self.0.insert(name, schema);
    }
}

/// How an operation references a type: its schema and those it uses go to the
/// components, the operation gets a `$ref`.
type SchemaOf = fn(&mut Schemas) -> RefOr<Schema>;

fn schema_of<T: ToSchema>(c: &mut Schemas) -> RefOr<Schema> {
    let mut used = Vec::new();
    T::schemas(&mut used);
    for (name, schema) in used {
        c.add(name, schema);
    }
    let name = component_name::<T>();
    c.add(name.clone(), T::schema());
    RefOr::Ref(Ref::from_schema_name(name))
}

/// `T::name()`, with a generic wrapper's argument appended (`Items_Article`), since
/// utoipa names every `Items<…>` alike.
fn component_name<T: ToSchema>() -> String {
    let full = std::any::type_name::<T>();
    let base = T::name().into_owned();
    match full.split_once('<') {
        None => base,
        Some((_, args)) => {
            let args = args.trim_end_matches('>');
            let last = args.rsplit("::").next().unwrap_or(args);
            format!("{base}_{last}")
        }
    }
}

type ParamsOf = fn() -> Vec<Parameter>;

fn query_of<P: IntoParams>() -> Vec<Parameter> {
    P::into_params(|| Some(ParameterIn::Query))
}

/// What a successful answer carries.
#[derive(Clone, Copy)]
enum Success {
    Json(SchemaOf),
    /// 204, no body.
    Empty,
    /// A file download (`GET /api/v1/kb/export`).
    File,
}

struct Op {
    method: HttpMethod,
    path: String,
    tag: &'static str,
    summary: &'static str,
    public: bool,
    status: &'static str,
    success: Option<Success>,
    example: Option<Value>,
    request: Option<SchemaOf>,
    /// The body is a file (`POST /api/v1/kb/import`), not JSON.
    upload: bool,
    query: Option<ParamsOf>,
    /// Answers beyond the ones every operation has: 429, 503, …
    extra: &'static [(&'static str, &'static str)],
}

fn op(method: HttpMethod, path: impl Into<String>, tag: &'static str, summary: &'static str) -> Op {
    let path = path.into();
    let status = if matches!(method, HttpMethod::Post) && !path.contains('{') {
        "201"
    } else {
        "200"
    };
    Op {
        method,
        path,
        tag,
        summary,
        public: false,
        status,
        success: None,
        example: None,
        request: None,
        upload: false,
        query: None,
        extra: &[],
    }
}

impl Op {
    /// The JSON body the handler reads, with an example.
    fn body<T: ToSchema>(mut self, example: Value) -> Self {
        self.example = Some(example);
        self.request = Some(schema_of::<T>);
        self
    }
    /// The JSON body the handler reads, without an example.
    fn reads<T: ToSchema>(mut self) -> Self {
        self.request = Some(schema_of::<T>);
        self
    }
    /// The JSON the handler answers on success.
    fn answers<T: ToSchema>(mut self) -> Self {
        self.success = Some(Success::Json(schema_of::<T>));
        self
    }
    fn query<P: IntoParams>(mut self) -> Self {
        self.query = Some(query_of::<P>);
        self
    }
    fn public(mut self) -> Self {
        self.public = true;
        self
    }
    fn no_content(mut self) -> Self {
        self.status = "204";
        self.success = Some(Success::Empty);
        self
    }
    fn status(mut self, s: &'static str) -> Self {
        self.status = s;
        self
    }
    fn also(mut self, extra: &'static [(&'static str, &'static str)]) -> Self {
        self.extra = extra;
        self
    }
}

/// Where a password is checked: the hashing pool may be full (503 `busy`), and
/// repeated failures are slowed down (429).
const PASSWORD_CHECK: &[(&str, &str)] = &[
    (
        "429",
        "too many attempts; `Retry-After` says when to try again",
    ),
    (
        "503",
        "busy: the password could not be checked in time; try again",
    ),
];
/// A login: like any password check, and the account may need to wait.
const LOGIN: &[(&str, &str)] = &[
    ("401", "wrong username or password"),
    (
        "429",
        "too many attempts; `Retry-After` says when to try again",
    ),
    (
        "503",
        "busy: the password could not be checked in time; try again",
    ),
];
/// Where a password is hashed (the hashing pool may be full).
const PASSWORD_HASH: &[(&str, &str)] = &[(
    "503",
    "busy: the password could not be hashed in time; try again",
)];
/// The requester's endpoints are rate limited per client address.
const RATE_LIMITED: &[(&str, &str)] = &[(
    "429",
    "too many requests; `Retry-After` says when to try again",
)];

/// (example body, body type, summary) of `POST /api/v1/orders/{id}/ACTION`.
fn action_doc(name: ActionName) -> (&'static str, SchemaOf, &'static str) {
    match name {
        ActionName::EscalateHandling => (
            r#"{"reason":"属省级部门（税务）职责，申请提级办理"}"#,
            schema_of::<orders::ReasonBody>,
            "registered → escalation_requested: the owning hotline's dispatcher asks the hotline above to handle the order (提级办理); that hotline is notified; the deadline keeps running",
        ),
        ActionName::AcceptEscalation => (
            r#"{"note":"同意，由省热线派单"}"#,
            schema_of::<orders::NoteOptBody>,
            "escalation_requested → registered at the accepting hotline above, which now owns the order and dispatches it in its own tree; the lower hotline keeps read access and is notified",
        ),
        ActionName::DeclineEscalation => (
            r#"{"reason":"属市级事权，请市热线派单"}"#,
            schema_of::<orders::ReasonBody>,
            "escalation_requested → registered, still at the lower hotline (notified, with the reason); dispatcher of a hotline above",
        ),
        ActionName::TakeOver => (
            r#"{"reason":"涉及全省政策，省热线提级办理"}"#,
            schema_of::<orders::ReasonBody>,
            "registered or escalation_requested at a lower hotline → registered at the actor's hotline (提级办理 on its own initiative); dispatcher, supervisor of a hotline above; an order at a unit is recalled first",
        ),
        ActionName::Correct => (
            r#"{"kind":"complaint","domain":"public_services/roads","street":"510104021","reason":"来电人反映的是投诉，登记为咨询有误"}"#,
            schema_of::<orders::CorrectBody>,
            "any open state, state unchanged: staff of the owning hotline (operator, dispatcher, supervisor) correct the kind, domain, region, street or address (纠错; at least one). A changed kind counts the handling deadline again from registration (or dispatch, or the last reopen) with the approved extensions kept; a report corrected to another kind stays confidential; a region correction does not move the order between hotlines. Audited with the changes, on the timeline; the lead unit is notified",
        ),
        ActionName::RequestCorrection => (
            r#"{"kind":"consultation","reason":"诉求人仅咨询政策，并非投诉"}"#,
            schema_of::<orders::CorrectionRequestBody>,
            "at the unit, state unchanged: the lead unit asks the owning hotline to correct the kind (one request at a time: 409 correction_pending); the hotline is notified",
        ),
        ActionName::ApproveCorrection => (
            r#"{"note":"同意更正"}"#,
            schema_of::<orders::NoteOptBody>,
            "a kind correction pending, state unchanged: the dispatcher of the owning hotline grants it; the kind changes and the deadline is counted again as for `correct`; the unit is notified",
        ),
        ActionName::RejectCorrection => (
            r#"{"note":"诉求人明确表示投诉，类型不变"}"#,
            schema_of::<orders::NoteOptBody>,
            "a kind correction pending, state unchanged: the dispatcher of the owning hotline refuses it; the unit is notified",
        ),
        ActionName::Forward => (
            r#"{"unit":"cd-jt-station","deadline":"2026-11-20","note":"请站点现场核实"}"#,
            schema_of::<orders::ForwardBody>,
            "in_progress, state unchanged: the lead unit passes the order on to a sub-unit below it (二级派单), with a deadline from today to the order's own (that day if left out); one at a time; the sub-unit is notified and reads the order as a unit does",
        ),
        ActionName::AcceptForward => (
            "{}",
            schema_of::<orders::EmptyBody>,
            "in_progress, state unchanged: the sub-unit takes the forwarded order on",
        ),
        ActionName::ReturnForward => (
            r#"{"reason":"不属本站点辖区"}"#,
            schema_of::<orders::ReasonBody>,
            "in_progress, state unchanged: the sub-unit sends the forward back to the lead unit (notified), with the reason",
        ),
        ActionName::ReplyForward => (
            r#"{"content":"已现场处理，井盖已更换","resolved":true}"#,
            schema_of::<orders::ForwardReplyBody>,
            "in_progress, state unchanged: the sub-unit replies to the lead unit (notified), which reviews it and replies to the hotline itself (or forwards again)",
        ),
        ActionName::RecallForward => (
            r#"{"note":"改由本单位直接办理"}"#,
            schema_of::<orders::NoteOptBody>,
            "in_progress, state unchanged: the lead unit takes the order back from the sub-unit (notified) before its reply",
        ),
        ActionName::InterimReply => (
            r#"{"content":"已列入本年度道路改造计划，正在招标","planned_date":"2026-12-31"}"#,
            schema_of::<orders::InterimReplyBody>,
            "in_progress, state unchanged: the lead unit's interim reply (阶段性答复) with its plan and the day it expects to finish (today to a year ahead); the requester reads it on the portal until the final reply; counted apart from final replies in the period report",
        ),
        ActionName::LineTakeOver => (
            r#"{"reason":"涉及全省社保政策，省人社厅提级办理"}"#,
            schema_of::<orders::ReasonBody>,
            "dispatched or in_progress at a unit of the caller's line (条线) → in_progress with the line's head as lead unit, the unit a co-unit (line_supervisor at the head; the unit and the owning hotline are notified; the deadline unchanged)",
        ),
        ActionName::Recall => (
            r#"{"note":"派错单位，撤回重派"}"#,
            schema_of::<orders::NoteOptBody>,
            "dispatched (not yet accepted) → registered: the dispatcher takes the dispatch back (the unit is notified; the deadline keeps running; the dispatch does not count in the unit's assessment)",
        ),
        ActionName::ApproveReply => (
            r#"{"note":"答复规范，同意回访"}"#,
            schema_of::<orders::NoteOptBody>,
            "replied (awaiting review) → replied, ready for the callback; dispatcher, supervisor of the owning hotline (答复审核)",
        ),
        ActionName::RejectReply => (
            r#"{"reason":"答复未说明处理结果，请补充"}"#,
            schema_of::<orders::ReasonBody>,
            "replied (awaiting review) → in_progress, back to the unit with the reason; dispatcher, supervisor",
        ),
        ActionName::Answer => (
            r#"{"content":"已按知识库口径答复","article_id":null}"#,
            schema_of::<orders::AnswerBody>,
            "registered → closed (direct answer); operator, vendor_operator",
        ),
        ActionName::Triage => (
            r#"{"route":"lawful_channel","note":"已告知通过诉讼途径解决"}"#,
            schema_of::<orders::TriageBody>,
            "registered → closed with a triage route",
        ),
        ActionName::Dispatch => (
            r#"{"unit":"cd-jt","co_units":["cd-zj"],"note":"请按时办理"}"#,
            schema_of::<orders::DispatchBody>,
            "registered → dispatched, or handed down to a lower hotline",
        ),
        ActionName::Accept => (
            "{}",
            schema_of::<orders::EmptyBody>,
            "dispatched → in_progress; handler of the lead unit",
        ),
        ActionName::Return => (
            r#"{"reason":"不属于本单位职责"}"#,
            schema_of::<orders::ReasonBody>,
            "dispatched → return_requested within the return window (else 409 return_window_closed)",
        ),
        ActionName::ApproveReturn => (
            r#"{"note":"同意"}"#,
            schema_of::<orders::NoteOptBody>,
            "return_requested → registered; dispatcher",
        ),
        ActionName::RejectReturn => (
            r#"{"note":"属于你单位职责"}"#,
            schema_of::<orders::NoteOptBody>,
            "return_requested → dispatched; dispatcher",
        ),
        ActionName::RequestExtension => (
            r#"{"days":5,"reason":"需现场勘查"}"#,
            schema_of::<orders::ExtensionBody>,
            "request an extension (409 extension_pending / extension_limit)",
        ),
        ActionName::ApproveExtension => (
            r#"{"note":"同意"}"#,
            schema_of::<orders::NoteOptBody>,
            "the deadline moves by the requested working days",
        ),
        ActionName::RejectExtension => (
            r#"{"note":"不同意"}"#,
            schema_of::<orders::NoteOptBody>,
            "the pending extension is dropped",
        ),
        ActionName::Reply => (
            r#"{"content":"已处理完毕","resolved":true}"#,
            schema_of::<orders::ReplyBody>,
            "in_progress → replied",
        ),
        ActionName::Note => (
            r#"{"content":"协办意见"}"#,
            schema_of::<orders::ContentBody>,
            "an internal note; no state change",
        ),
        ActionName::Callback => (
            r#"{"result":"satisfied","resolved":true,"note":null}"#,
            schema_of::<orders::CallbackBody>,
            "replied → callback_done (unreachable records the attempt)",
        ),
        ActionName::Reopen => (
            r#"{"reason":"群众不满意"}"#,
            schema_of::<orders::ReasonBody>,
            "callback_done → in_progress with a new deadline",
        ),
        ActionName::Close => (
            "{}",
            schema_of::<orders::EmptyBody>,
            "replied or callback_done → closed",
        ),
        ActionName::Urge => (
            r#"{"note":"请加快办理"}"#,
            schema_of::<orders::NoteBody>,
            "a reminder (催办)",
        ),
        ActionName::Supervise => (
            r#"{"note":"列入督办"}"#,
            schema_of::<orders::NoteBody>,
            "supervision (督办)",
        ),
        ActionName::Escalate => (
            r#"{"note":"提级督办"}"#,
            schema_of::<orders::NoteBody>,
            "escalated supervision (提级督办)",
        ),
        ActionName::Merge => (
            r#"{"into":123}"#,
            schema_of::<orders::MergeBody>,
            "merge this duplicate into an open order (linked both ways)",
        ),
        ActionName::RevealPhone => (
            r#"{"reason":"回访需要"}"#,
            schema_of::<orders::ReasonBody>,
            "returns the full phone number; recorded on the timeline",
        ),
    }
}

/// The knowledge workflow's steps without a body: `POST /api/v1/kb/articles/{id}/STEP`.
const KB_STEPS: &[(&str, &str)] = &[
    ("submit", "Submit a draft for review (knowledge editor)"),
    (
        "publish",
        "Publish (supervisor or admin of the owning hotline)",
    ),
    ("withdraw", "Withdraw from search"),
    ("unpin", "Stop pinning an urgent script"),
];

fn operations() -> Vec<Op> {
    use HttpMethod::*;
    let order = json!({"channel": "phone", "kind": "complaint", "domain": "public_services/roads", "region": "510104",
        "title": "路灯不亮", "content": "东大街路灯连续一周不亮", "address": "锦江区东大街100号", "urgent": false,
        "location": {"lat": 30.66, "lng": 104.08},
        "requester": {"name": "王先生", "phone": "13812345678", "address": null, "anonymous": false}, "confidential": false});
    let article = json!({"title": "社会保障卡挂失与补办流程", "question": "社保卡丢了怎么办？", "answer": "先挂失，再携带身份证补领。",
        "category": "社会保障/社保卡", "material": "guide", "region": "510100", "keywords": ["社保卡", "补办"],
        "source": {"title": "社会保障卡管理办法", "number": "人社部发〔2011〕47号"}, "valid_to": "2027-12-31", "urgent": false});
    let mut ops = vec![
        op(Post, "/api/v1/sessions", "sessions", "Log in; returns a bearer token. An account enrolled in two-factor sign-in also sends `otp` (its authenticator's current code) or `recovery_code`; without it 401 second_factor_required and no session, a wrong or reused one 401 invalid_second_factor (counted by the login guard). An account whose role must use two factors and has not enrolled gets a session limited to enrolling (elsewhere 403 two_factor_enrolment_required)")
            .body::<auth::LoginRequest>(json!({"username": "operator", "password": "…"}))
            .answers::<auth::LoginResponse>()
            .public()
            .also(LOGIN),
        op(Delete, "/api/v1/sessions/current", "sessions", "Log out; the token stops working at once").no_content(),
        op(Post, "/api/v1/me/password", "sessions", "Change your own password: the current one is checked (like a login), the new one against the policy; your other sessions end")
            .body::<account::PasswordChange>(json!({"current": "…", "new": "A-new-strong-password-1"}))
            .no_content()
            .also(PASSWORD_CHECK),
        op(Get, "/api/v1/me/sessions", "sessions", "Your live sessions, newest first: id (not the token), created_at, last_seen, expires_at, address, current").answers::<account::Sessions>(),
        op(Delete, "/api/v1/me/sessions/{id}", "sessions", "End one of your sessions (404 if it is not yours)").no_content(),
        op(Get, "/api/v1/me/phrases", "sessions", "Your common phrases (常用语) for notes, replies and answers").answers::<auth::phrases::Phrases>(),
        op(Put, "/api/v1/me/phrases", "sessions", "Replace your common phrases: at most 50, each at most 200 characters (blank ones dropped)")
            .body::<auth::phrases::Phrases>(json!({"items": ["您好，您反映的问题已转交相关单位办理。"]})).answers::<auth::phrases::Phrases>(),
        op(Get, "/api/v1/me/two-factor", "sessions", "Your two-factor sign-in: enrolled, required (by your roles), pending, enrolled_at, recovery_codes_left (allowed to a session limited to enrolment)")
            .answers::<two_factor::Status>(),
        op(Post, "/api/v1/me/two-factor/enrolment", "sessions", "Offer a new TOTP secret (RFC 6238: SHA-1, 6 digits, 30 s): secret (base32) and otpauth_uri for the authenticator app; replaces an earlier offer; 409 two_factor_enrolled when enrolled")
            .answers::<two_factor::Offer>(),
        op(Post, "/api/v1/me/two-factor/confirm", "sessions", "Confirm the offered secret with the app's current code; answers recovery_codes (ten, shown this once); lifts a session's enrolment limit")
            .body::<two_factor::OtpBody>(json!({"otp": "123456"}))
            .status("200")
            .answers::<two_factor::RecoveryCodes>(),
        op(Post, "/api/v1/me/two-factor/recovery-codes", "sessions", "New recovery codes (the old ones stop working), given a current code or a recovery code (checked by the login guard)")
            .body::<two_factor::ProofBody>(json!({"otp": "123456"}))
            .status("200")
            .answers::<two_factor::RecoveryCodes>()
            .also(RATE_LIMITED),
        op(Post, "/api/v1/me/two-factor/disable", "sessions", "Remove your second factor, given a current code or a recovery code (checked by the login guard)")
            .body::<two_factor::ProofBody>(json!({"otp": "123456"}))
            .no_content()
            .also(RATE_LIMITED),
        op(Post, "/api/v1/orders", "orders", "Register an order (Idempotency-Key header optional)").body::<orders::CreateOrderRequest>(order).answers::<views::OrderView>(),
        op(Get, "/api/v1/orders", "orders", "List visible orders: status, kind, unit, region, sla, due_before, q, from, to, cursor, limit").query::<orders::ListParams>().answers::<orders::Page>(),
        op(Get, "/api/v1/orders/{id}", "orders", "One order with its full timeline").answers::<views::OrderView>(),
        op(Post, "/api/v1/orders/batch/{action}", "order actions", "One action on up to 100 orders, each its own audited action (dispatch, accept, callback with result unreachable, urge); body is what the action takes on one order; answers each order's new status or why not, in the order named")
            .body::<orders::api::BatchRequest>(json!({"orders": [1, 2], "body": {"unit": "cd-zj", "note": "同一小区停水"}}))
            .status("200")
            .answers::<orders::api::BatchAnswer>(),
        op(Post, "/api/v1/callers/history", "orders", "A caller's earlier orders, by phone (keyed hash lookup)").body::<orders::api::HistoryRequest>(json!({"phone": "13812345678"})).status("200").answers::<orders::api::History>(),
        op(Post, "/api/v1/public/orders", "public", "Submit a request without login; answers its number and tracking code")
            .body::<public::PublicRequest>(json!({"kind": "help", "region": "510104", "content": "小区停水两天"}))
            .answers::<public::Receipt>()
            .public()
            .also(RATE_LIMITED),
        op(Get, "/api/v1/public/orders/{number}", "public", "Track an order with ?code=TRACKING (no login)").query::<orders::api::public::CodeQuery>().answers::<views::PublicOrderView>().public().also(RATE_LIMITED),
        op(Post, "/api/v1/public/orders/{number}/evaluation", "public", "The requester's evaluation, with ?code=TRACKING").query::<orders::api::public::CodeQuery>().body::<orders::CallbackBody>(json!({"result": "satisfied", "resolved": true})).answers::<views::PublicOrderView>().public().also(RATE_LIMITED),
        op(Get, "/api/v1/regions", "regions", "Official divisions by name, no login: ?parent=CODE (its children; the provinces without it) or ?q=NAME (names containing it, ?within=CODE, at most 50); province, city and district codes have 6 digits, towns and streets 9")
            .query::<regions::api::RegionQuery>().answers::<regions::api::Items>().public(),
        op(Get, "/api/v1/regions/suggest", "regions", "The district and street an address names (?address=, ?within=CODE), no login").query::<regions::api::SuggestQuery>().answers::<hotline_domain::regions::Suggestion>().public().also(RATE_LIMITED),
        op(Put, "/api/v1/regions/streets/{code}", "regions", "Add or rename a town or street (9-digit code under a listed district; admin, within their unit's region)")
            .body::<regions::api::StreetName>(json!({"name": "春熙路街道"})).answers::<hotline_domain::regions::Region>(),
        op(Get, "/api/v1/units", "organisation", "The units of the caller's hotline and below (an installation admin: all); ?q=NAME keeps those whose name or code matches — the exact name, a part of it, or its characters in order (住建 → 成都市住房和城乡建设局) — best first")
            .query::<admin::api::UnitsQuery>().answers::<admin::api::Items<hotline_store::UnitRecord>>(),
        op(Post, "/api/v1/units", "organisation", "Create a unit (admin)").body::<admin::api::CreateUnit>(json!({"code": "cd-jt", "name": "成都市交通运输局", "kind": "department", "parent": "cd12345", "region": "510100"})).answers::<hotline_store::UnitRecord>(),
        op(Post, "/api/v1/users", "organisation", "Create an account (admin)").body::<admin::api::CreateUser>(json!({"username": "op1", "password": "A-strong-password-1", "roles": ["operator"], "unit": "cd12345"})).answers::<auth::UserView>().also(PASSWORD_HASH),
        op(Patch, "/api/v1/units/{code}", "organisation", "Rename, move, deactivate or reactivate a unit (admin of its subtree)")
            .body::<admin::UnitPatch>(json!({"name": "成都市交通运输局", "parent": "cd12345", "active": false})).answers::<hotline_store::UnitRecord>(),
        op(Get, "/api/v1/users", "organisation", "Accounts within the administrator's subtree").answers::<admin::api::Items<auth::UserView>>(),
        op(Patch, "/api/v1/users/{username}", "organisation", "Change roles or unit, disable or enable (sessions end on disable)")
            .body::<admin::UserPatch>(json!({"roles": ["operator"], "active": false})).answers::<auth::UserView>(),
        op(Post, "/api/v1/users/{username}/password", "organisation", "Reset a password (sessions end)")
            .body::<admin::api::PasswordBody>(json!({"password": "A-new-strong-password-1"}))
            .no_content()
            .also(PASSWORD_HASH),
        op(Delete, "/api/v1/users/{username}/two-factor", "organisation", "Reset an account's two-factor sign-in (a lost phone): its sessions end and it enrols again at its next sign-in where its role requires; not your own (admin of its unit)")
            .no_content(),
        op(Post, "/api/v1/apikeys", "organisation", "Issue an integration key for a unit; the key is shown once")
            .body::<admin::api::NewKey>(json!({"name": "wechat-gateway", "unit": "cd12345", "actions": ["create", "read"]})).answers::<admin::IssuedKey>(),
        op(Get, "/api/v1/apikeys", "organisation", "Integration keys within the administrator's subtree").answers::<admin::api::Items<hotline_store::ApiKeyRecord>>(),
        op(Delete, "/api/v1/apikeys/{name}", "organisation", "Revoke a key at once").no_content(),
        op(Get, "/api/v1/audit", "audit", "Search the audit trail: actor, action, object, from, to, cursor (admin, supervisor)").query::<admin::audit_trail::SearchParams>().answers::<admin::audit_trail::Page>(),
        op(Get, "/api/v1/calendar/{year}", "rules", "A year's official arrangement").answers::<hotline_domain::calendar::YearArrangement>(),
        op(Put, "/api/v1/calendar/{year}", "rules", "Load or replace a year (admin)").body::<hotline_domain::calendar::YearArrangement>(json!({"year": 2027, "holidays": ["2027-01-01"], "workdays": []})).answers::<hotline_domain::calendar::YearArrangement>(),
        op(Get, "/api/v1/rules/deadlines", "rules", "The deadline rules in force").answers::<hotline_domain::DeadlineRules>(),
        op(Put, "/api/v1/rules/deadlines", "rules", "Change the deadline rules (admin)").reads::<hotline_domain::DeadlineRules>().answers::<hotline_domain::DeadlineRules>(),
        op(Get, "/api/v1/rules/dispatch-catalogue", "rules", "The dispatch catalogue (派单目录) of the caller's hotline (an installation admin names ?hotline=): entries of domain (TOP or TOP/SUB) and optional region → lead unit and co-units")
            .query::<catalogue::api::HotlineQuery>().answers::<hotline_domain::catalogue::DispatchCatalogue>(),
        op(Put, "/api/v1/rules/dispatch-catalogue", "rules", "Replace the dispatch catalogue (the hotline's admins; at most 2000 entries, each checked: nothing changes if one is wrong)")
            .query::<catalogue::api::HotlineQuery>()
            .body::<hotline_domain::catalogue::DispatchCatalogue>(json!({"entries": [{"domain": "social_management/housing", "region": "510104", "unit": "cd-zj", "co_units": ["cd-jt"]}]}))
            .answers::<hotline_domain::catalogue::DispatchCatalogue>(),
        op(Get, "/api/v1/rules/dispatch-catalogue/match", "rules", "The units the caller's hotline suggests for a call not yet registered (?domain=TOP/SUB, ?region=CODE), as suggested-units answers (the intake screen)")
            .query::<catalogue::api::MatchQuery>().answers::<catalogue::api::Items>(),
        op(Get, "/api/v1/orders/{id}/suggested-units", "orders", "The units suggested for dispatching an order: the best catalogue entry for its domain and region (source catalogue), else the district's government (source region); for the order's hotline staff")
            .answers::<catalogue::api::Items>(),
        Op { upload: true, ..op(Post, "/api/v1/orders/{id}/attachments", "attachments", "Attach a photo or document to an order (the file is the body; ?name= its name): JPEG, PNG or PDF by its bytes, at most 10 MiB (else 413 file_too_large), 20 an order; photos are stored without their metadata (EXIF with GPS, XMP, IPTC, comments, PNG text). For the owning hotline's staff and the units handling the order; audited")
            .query::<crate::attachments::api::UploadQuery>().status("201").answers::<crate::attachments::AttachmentView>() },
        op(Get, "/api/v1/orders/{id}/attachments", "attachments", "An order's attachments the caller may see: a requester's only by those who may see the requester (never a handling unit of a report or a confidential order)")
            .answers::<crate::attachments::api::Items>(),
        Op { success: Some(Success::File), ..op(Get, "/api/v1/attachments/{id}", "attachments", "An attachment's bytes (images inline, documents as a download), for whoever may see it; each download audited") },
        op(Get, "/api/v1/rules/reply-review", "rules", "The kinds whose replies the caller's hotline reviews before the callback (答复审核); ?hotline= for an installation admin")
            .query::<crate::reply_review::api::HotlineQuery>().answers::<crate::reply_review::ReplyReview>(),
        op(Put, "/api/v1/rules/reply-review", "rules", "Set them (the hotline's administrators); audited")
            .query::<crate::reply_review::api::HotlineQuery>()
            .body::<crate::reply_review::ReplyReview>(json!({"kinds": ["complaint", "report"]}))
            .answers::<crate::reply_review::ReplyReview>(),
        op(Get, "/api/v1/rules/remit", "rules", "A sub-centre's remit (分中心受理范围): the domains whose requests it takes, each a field or TOP/SUB")
            .query::<crate::remit::api::SubcentreQuery>().answers::<crate::access::Remit>(),
        op(Put, "/api/v1/rules/remit", "rules", "Set it (administrators of the hotline above the sub-centre, or of the installation; at most 100 entries); audited. Portal and integration requests of these domains from the sub-centre's region go to it")
            .query::<crate::remit::api::SubcentreQuery>()
            .body::<crate::access::Remit>(json!({"domains": ["market_supervision"]}))
            .answers::<crate::access::Remit>(),
        op(Post, "/api/v1/samples", "oversight", "Draw a sample for inspection (抽查, line_supervisor at a line's head): for a past or the current month, `{\"count\": n}` (1–100) or `{\"percent\": p}` (rounded up) of the orders registered that month of each unit of the line, as lead unit, at random; the seed is kept. Each drawn order's timeline gets a `sampled` event; audited")
            .body::<crate::sampling::DrawRequest>(json!({"period": "2026-11", "rule": {"count": 3}}))
            .answers::<hotline_domain::sampling::Sample>(),
        op(Get, "/api/v1/samples", "oversight", "The line's samples, newest first (at most 20)").answers::<Vec<hotline_domain::sampling::Sample>>(),
        op(Get, "/api/v1/samples/{id}", "oversight", "One of the line's samples, its drawn orders (number and unit) and findings").answers::<hotline_domain::sampling::Sample>(),
        op(Post, "/api/v1/samples/{id}/findings", "oversight", "Record what the inspection of a drawn order found: `sound`, or `flawed` with the finding (again replaces it; the timeline keeps each as an `inspected` event); audited")
            .body::<crate::sampling::FindingRequest>(json!({"order_id": 42, "verdict": "flawed", "finding": "答复未说明处理依据"}))
            .answers::<hotline_domain::sampling::Sample>(),
        op(Get, "/api/v1/rules/sensitive-words", "rules", "The sensitive words flagged in replies and answers to the public").answers::<crate::reply_review::SensitiveWords>(),
        op(Put, "/api/v1/rules/sensitive-words", "rules", "Replace them (installation admin; at most 1000 words of 1–30 characters); audited")
            .body::<crate::reply_review::SensitiveWords>(json!({"words": ["保证", "绝对"]}))
            .answers::<crate::reply_review::SensitiveWords>(),
        op(Get, "/api/v1/notifications", "notifications", "The caller's unit's notifications (通知), newest first (?before=CURSOR, ?limit=): new dispatches, reminders, supervision, decisions on returns and extensions for a handling unit; return and extension requests for a hotline. Each names the order and the event, never the requester; `unread` counts up to 100")
            .query::<crate::notifications::api::ListQuery>().answers::<crate::notifications::Listing>(),
        op(Post, "/api/v1/notifications/read", "notifications", "Mark the caller's notifications read up to an id")
            .body::<crate::notifications::ReadUpTo>(json!({"upto": 42})).no_content(),
        op(Get, "/api/v1/taxonomy", "rules", "The domain taxonomy").answers::<admin::api::Items<hotline_domain::taxonomy::DomainCategory>>(),
        op(Post, "/api/v1/taxonomy", "rules", "Add a sub-category (admin)").body::<admin::NewCategory>(json!({"path": "public_services/parking", "name": "停车管理"})).answers::<hotline_domain::taxonomy::DomainCategory>(),
        op(Post, "/api/v1/kb/articles", "knowledge", "Write an article (a draft; urgent by a supervisor: published and pinned at once)")
            .body::<kb::ArticleInput>(article).answers::<hotline_domain::kb::Article>(),
        op(Get, "/api/v1/kb/articles", "knowledge", "Articles the caller may read: status, pinned, before, limit").query::<kb::api::ListQuery>().answers::<kb::api::Items<hotline_domain::kb::Article>>(),
        op(Get, "/api/v1/kb/articles/{id}", "knowledge", "One article, with its use and helpfulness counts").answers::<hotline_domain::kb::Article>(),
        op(Put, "/api/v1/kb/articles/{id}", "knowledge", "Edit (a new version; an editor's edit of a published article goes back to review)").reads::<kb::ArticleInput>().answers::<hotline_domain::kb::Article>(),
        op(Get, "/api/v1/kb/articles/{id}/versions", "knowledge", "Every version, oldest first, with who, when and which fields changed").answers::<kb::api::Items<hotline_domain::kb::ArticleVersion>>(),
        op(Post, "/api/v1/kb/articles/{id}/restore", "knowledge", "Restore an earlier version's content as a new version").body::<kb::api::RestoreBody>(json!({"version": 1})).status("200").answers::<hotline_domain::kb::Article>(),
        op(Post, "/api/v1/kb/articles/{id}/feedback", "knowledge", "Mark an article helpful or not").body::<kb::api::FeedbackBody>(json!({"helpful": true})).no_content(),
        op(Get, "/api/v1/kb/search", "knowledge", "Chinese search (?q=, limit) over published, valid articles of the caller's region; snippets with <mark>").query::<kb::api::SearchParams>().answers::<kb::api::Hits>(),
        op(Get, "/api/v1/kb/suggest", "knowledge", "The articles that best match an order's text (?text=)").query::<kb::api::SearchParams>().answers::<kb::api::Hits>(),
        op(Get, "/api/v1/kb/pinned", "knowledge", "Urgent scripts pinned for the caller's region").answers::<kb::api::Items<hotline_domain::kb::Article>>(),
        op(Get, "/api/v1/kb/contributions", "knowledge", "Submissions from handling units (部门报送) waiting for the caller's hotline's review, urgent first, and reminders: policy interpretations not yet published whose policy's date (source.date) is within 7 days. For a hotline's knowledge staff; a handling unit's handlers see their unit's. A unit's handler submits with POST /api/v1/kb/articles (material script or interpretation; an interpretation needs source.date): the article is in review at once, and an urgent one is pinned when published").answers::<kb::Contributions>(),
        op(Get, "/api/v1/kb/synonyms", "knowledge", "The synonym list applied to queries").answers::<kb::api::SynonymsBody>(),
        op(Put, "/api/v1/kb/synonyms", "knowledge", "Replace the synonym list (installation admin)").body::<kb::api::SynonymsBody>(json!({"text": "社保卡 = 社会保障卡"})).answers::<kb::api::SynonymsBody>(),
        Op { upload: true, ..op(Post, "/api/v1/kb/import", "knowledge", "Import .xlsx/.csv (?format=, skip_errors=) as drafts; 422 names every bad row and column. At most 10 MiB (else 413), 100,000 rows under the header, 64 columns, 32,767 characters a cell and 100 MiB unpacked; beyond them 422 file_too_large").status("200").query::<kb::api::FileParams>().answers::<kb_io::ImportReport>() },
        Op { success: Some(Success::File), ..op(Get, "/api/v1/kb/export", "knowledge", "Export the articles the caller may read (?format=xlsx|csv); more than 100,000 answers 422 too_many_rows").query::<kb::api::FileParams>() },
        op(Get, "/api/v1/supervision", "supervision", "Supervised orders of the caller's hotline subtree: ?state=open|answered|closed, ?mine=true for those it oversees itself").query::<orders::api::supervision::ListQuery>().answers::<orders::api::supervision::Items>(),
        op(Get, "/api/v1/reports/hotspots", "reports", "Hotspot warnings for ?day=: topics rising well above their 14-day baseline in a district, with their orders").query::<reports::api::HotspotQuery>().answers::<reports::api::Hotspots>(),
        op(Get, "/api/v1/reports/summons", "reports", "Units meeting a summons rule in ?month=YYYY-MM, with the orders behind each and whether it was acted on").query::<reports::api::summons::MonthQuery>().answers::<reports::api::summons::Items>(),
        op(Post, "/api/v1/reports/summons/acted", "reports", "Record that the authority acted on a unit's summons").body::<reports::summons::ActedBody>(json!({"month": "2026-03", "unit": "cd-jt", "note": "已约谈单位负责人"})).no_content(),
        op(Get, "/api/v1/reports/summons/rules", "reports", "The summons rules in force").answers::<hotline_domain::summons::SummonsRules>(),
        op(Put, "/api/v1/reports/summons/rules", "reports", "Set the summons rules (installation admin)").body::<hotline_domain::summons::SummonsRules>(json!({"rules": [{"kind": "overdue_orders", "min": 3}, {"kind": "low_satisfaction", "below": 0.8, "min_evaluations": 20}, {"kind": "repeat_reopens", "min": 2}]})).answers::<hotline_domain::summons::SummonsRules>(),
        op(Get, "/api/v1/reports/period", "reports", "Daily, weekly, monthly, quarterly or yearly report (?period=day|week|month|quarter|year&date=), or of any days (?period=range&from=&to=, at most 366): volumes by channel, kind, domain, region and unit; deadline performance; satisfaction; top issues").query::<reports::api::PeriodQuery>().answers::<reports::PeriodReport>(),
        op(Get, "/api/v1/reports/seasonal", "reports", "A month's top topics this year and the years before (?month=YYYY-MM&years=3): recurring seasonal issues").query::<reports::api::SeasonalQuery>().answers::<reports::api::SeasonalItems>(),
        op(Get, "/api/v1/reports/weights", "reports", "The assessment score's weights").answers::<hotline_domain::assessment::Weights>(),
        op(Put, "/api/v1/reports/weights", "reports", "Set the weights (installation admin; each 0–1, together 1)").body::<hotline_domain::assessment::Weights>(json!({"response": 0.3, "resolution": 0.35, "satisfaction": 0.35})).answers::<hotline_domain::assessment::Weights>(),
        op(Get, "/api/v1/reports/hotlines", "reports", "Hotline assessment over ?from=&to= (default the last 30 days; at most ten years): each hotline and sub-centre of the caller's subtree — orders received, routing time (median, share within 2 hours), direct-answer rate (直办率), dispatch accuracy (派单准确率), callback rate and timeliness, reopen rate, orders passed up (提级办理); docs/metrics.md").query::<reports::api::RangeQuery>().answers::<reports::api::HotlineItems>(),
        op(Get, "/api/v1/reports/units", "reports", "Unit assessment over the dispatches made in ?from=&to= (and ?region=; at most ten years): rates, score and weights").query::<reports::api::UnitsQuery>().answers::<reports::api::Items>(),
    ];
    for (step, summary) in KB_STEPS {
        let path = format!("/api/v1/kb/articles/{{id}}/{step}");
        ops.push(
            op(Post, path, "knowledge", summary)
                .status("200")
                .answers::<hotline_domain::kb::Article>(),
        );
    }
    for action in ActionName::ALL {
        let (example, body, summary) = action_doc(*action);
        let path = format!("/api/v1/orders/{{id}}/{action}");
        let example: Value = serde_json::from_str(example).expect("the examples are JSON");
        let mut o = op(Post, path, "order actions", summary)
            .status("200")
            .answers::<views::OrderView>();
        o.example = Some(example);
        o.request = Some(body);
        ops.push(o);
    }
    ops
}

fn error_response(description: &str, c: &mut Schemas) -> utoipa::openapi::Response {
    let example = json!({"error": {"code": "snake_case_code", "message": "human readable"}});
    let schema = schema_of::<crate::error::Body<'static>>(c);
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(schema))
                .example(Some(example))
                .build(),
        )
        .build()
}

/// The type of a path parameter: ids and years are integers (anything else is no such
/// resource, 404), codes and names are strings.
fn path_parameter(path: &str, name: &str) -> Parameter {
    // A session's id is a hex prefix of its token's hash, not a number.
    let session = path.starts_with("/api/v1/me/sessions/");
    let ty = if matches!(name, "id" | "year") && !session {
        Type::Integer
    } else {
        Type::String
    };
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .schema(Some(ObjectBuilder::new().schema_type(ty)))
        .build()
}

fn success_response(o: &Op, c: &mut Schemas) -> utoipa::openapi::Response {
    let b = ResponseBuilder::new().description("success");
    match o.success {
        Some(Success::Json(schema)) => b.content(
            "application/json",
            ContentBuilder::new().schema(Some(schema(c))).build(),
        ),
        Some(Success::File) => {
            let file = ContentBuilder::new()
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .content_media_type("application/octet-stream"),
                ))
                .build();
            b.content("text/csv; charset=utf-8", file.clone()).content(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                file,
            )
        }
        Some(Success::Empty) | None => b,
    }
    .build()
}

/// The operations' paths as documented, method and path (the coverage test compares
/// them with the router's routes).
pub fn documented_operations() -> Vec<(String, String)> {
    operations()
        .into_iter()
        .map(|o| (method_name(&o.method).to_owned(), o.path))
        .collect()
}

fn method_name(m: &HttpMethod) -> &'static str {
    match m {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
        HttpMethod::Put => "PUT",
        HttpMethod::Patch => "PATCH",
        HttpMethod::Delete => "DELETE",
        HttpMethod::Head => "HEAD",
        HttpMethod::Options => "OPTIONS",
        HttpMethod::Trace => "TRACE",
    }
}

pub fn document() -> OpenApi {
    let mut paths = Paths::new();
    let mut c = Schemas::default();
    for o in operations() {
        let mut b = OperationBuilder::new()
            .tag(o.tag)
            .summary(Some(o.summary))
            .operation_id(Some(format!("{} {}", method_name(&o.method), o.path)))
            .response(o.status, success_response(&o, &mut c))
            .response("400", error_response("malformed request", &mut c))
            .response(
                "422",
                error_response("validation failed; `fields` names the problem", &mut c),
            );
        if !o.public {
            b = b
                .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
                .response("401", error_response("not logged in", &mut c))
                .response("403", error_response("forbidden", &mut c))
                .response(
                    "404",
                    error_response("not found, or not visible to you", &mut c),
                );
        } else if o.path.contains('{') {
            b = b.response(
                "404",
                error_response("no such order, or a wrong tracking code", &mut c),
            );
        }
        if !matches!(o.method, HttpMethod::Get) {
            b = b.response(
                "409",
                error_response("conflicts with the current state (a duplicate, a changed version, a step not allowed now)", &mut c),
            );
        }
        if o.request.is_some() || o.upload {
            b = b.response(
                "413",
                error_response("the request body is too large", &mut c),
            );
        }
        for (status, description) in o.extra {
            b = b.response(*status, error_response(description, &mut c));
        }
        for segment in o.path.split('/') {
            if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                b = b.parameter(path_parameter(&o.path, name));
            }
        }
        if let Some(query) = o.query {
            for p in query() {
                b = b.parameter(p);
            }
        }
        if let Some(schema) = o.request {
            let mut content = ContentBuilder::new().schema(Some(schema(&mut c)));
            if let Some(example) = o.example.clone() {
                content = content.example(Some(example));
            }
            b = b.request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", content.build())
                    .required(Some(Required::True))
                    .build(),
            ));
        }
        if o.upload {
            let file = ContentBuilder::new()
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .content_media_type("application/octet-stream"),
                ))
                .build();
            b = b.request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/octet-stream", file)
                    .required(Some(Required::True))
                    .build(),
            ));
        }
        paths.add_path_operation(&o.path, vec![o.method], b.build());
    }
    // Types reached only as a generic wrapper's argument (`Items<T>`): utoipa does not
    // collect their schemas through the wrapper.
    for wrapped in [
        schema_of::<hotline_domain::kb::Article>,
        schema_of::<hotline_domain::kb::ArticleVersion>,
        schema_of::<hotline_domain::taxonomy::DomainCategory>,
        schema_of::<hotline_store::UnitRecord>,
        schema_of::<hotline_store::ApiKeyRecord>,
        schema_of::<auth::UserView>,
    ] as [SchemaOf; 6]
    {
        wrapped(&mut c);
    }
    let bearer = SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build());
    let mut components = ComponentsBuilder::new().security_scheme("bearer", bearer);
    for (name, schema) in c.0 {
        components = components.schema(name, schema);
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("hotline — 12345 government service hotline API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some("Errors: {\"error\": {\"code\", \"message\", \"fields\"?}}. Times are RFC 3339 in +08:00. Only /api/v1 is described here; the console's pages and /healthz, /readyz, /metrics, /static are not part of the API."))
                .build(),
        )
        .paths(paths)
        .components(Some(components.build()))
        .build()
}
