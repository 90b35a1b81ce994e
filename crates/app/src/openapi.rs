//! The OpenAPI 3.1 document (`/api/v1/openapi.json`) and Swagger UI (`/api/docs`,
//! vendored, served from the binary). The document is built from one table of the
//! API's operations, each with an example body, so it stays one reading of API.md.

use axum::Router;
use serde_json::{Value, json};
use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, HttpMethod, InfoBuilder, OpenApi, OpenApiBuilder, Paths,
    Required, ResponseBuilder,
};
use utoipa_swagger_ui::SwaggerUi;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::from(SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", document()))
}

struct Op {
    method: HttpMethod,
    path: String,
    tag: &'static str,
    summary: &'static str,
    public: bool,
    success: &'static str,
    body: Option<Value>,
}

fn op(method: HttpMethod, path: impl Into<String>, tag: &'static str, summary: &'static str) -> Op {
    let path = path.into();
    let success = if matches!(method, HttpMethod::Post) && !path.contains('{') {
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
        success,
        body: None,
    }
}

impl Op {
    fn body(mut self, v: Value) -> Self {
        self.body = Some(v);
        self
    }
    fn public(mut self) -> Self {
        self.public = true;
        self
    }
    fn status(mut self, s: &'static str) -> Self {
        self.success = s;
        self
    }
}

/// (action, example body, summary) of `POST /api/v1/orders/{id}/ACTION`.
const ACTIONS: &[(&str, &str, &str)] = &[
    (
        "answer",
        r#"{"content":"已按知识库口径答复","article_id":null}"#,
        "registered → closed (direct answer); operator, vendor_operator",
    ),
    (
        "triage",
        r#"{"route":"lawful_channel","note":"已告知通过诉讼途径解决"}"#,
        "registered → closed with a triage route",
    ),
    (
        "dispatch",
        r#"{"unit":"cd-jt","co_units":["cd-zj"],"note":"请按时办理"}"#,
        "registered → dispatched, or handed down to a lower hotline",
    ),
    (
        "accept",
        "{}",
        "dispatched → in_progress; handler of the lead unit",
    ),
    (
        "return",
        r#"{"reason":"不属于本单位职责"}"#,
        "dispatched → return_requested within the return window (else 409 return_window_closed)",
    ),
    (
        "return/approve",
        r#"{"note":"同意"}"#,
        "return_requested → registered; dispatcher",
    ),
    (
        "return/reject",
        r#"{"note":"属于你单位职责"}"#,
        "return_requested → dispatched; dispatcher",
    ),
    (
        "extension",
        r#"{"days":5,"reason":"需现场勘查"}"#,
        "request an extension (409 extension_pending / extension_limit)",
    ),
    (
        "extension/approve",
        r#"{"note":"同意"}"#,
        "the deadline moves by the requested working days",
    ),
    (
        "extension/reject",
        r#"{"note":"不同意"}"#,
        "the pending extension is dropped",
    ),
    (
        "reply",
        r#"{"content":"已处理完毕","resolved":true}"#,
        "in_progress → replied",
    ),
    (
        "note",
        r#"{"content":"协办意见"}"#,
        "an internal note; no state change",
    ),
    (
        "callback",
        r#"{"result":"satisfied","resolved":true,"note":null}"#,
        "replied → callback_done (unreachable records the attempt)",
    ),
    (
        "reopen",
        r#"{"reason":"群众不满意"}"#,
        "callback_done → in_progress with a new deadline",
    ),
    ("close", "{}", "replied or callback_done → closed"),
    ("urge", r#"{"note":"请加快办理"}"#, "a reminder (催办)"),
    ("supervise", r#"{"note":"列入督办"}"#, "supervision (督办)"),
    (
        "escalate",
        r#"{"note":"提级督办"}"#,
        "escalated supervision (提级督办)",
    ),
    (
        "merge",
        r#"{"into":123}"#,
        "merge this duplicate into an open order (linked both ways)",
    ),
    (
        "reveal-phone",
        r#"{"reason":"回访需要"}"#,
        "returns the full phone number; recorded on the timeline",
    ),
];

fn operations() -> Vec<Op> {
    use HttpMethod::*;
    let order = json!({"channel": "phone", "kind": "complaint", "domain": "public_services/roads", "region": "510104",
        "title": "路灯不亮", "content": "东大街路灯连续一周不亮", "address": "锦江区东大街100号", "urgent": false,
        "location": {"lat": 30.66, "lng": 104.08},
        "requester": {"name": "王先生", "phone": "13812345678", "address": null, "anonymous": false}, "confidential": false});
    let mut ops = vec![
        op(Post, "/api/v1/sessions", "sessions", "Log in; returns a bearer token. An account enrolled in two-factor sign-in also sends `otp` (its authenticator's current code) or `recovery_code`; without it 401 second_factor_required and no session, a wrong or reused one 401 invalid_second_factor (counted by the login guard). An account whose role must use two factors and has not enrolled gets a session limited to enrolling (elsewhere 403 two_factor_enrolment_required)")
            .body(json!({"username": "admin", "password": "…", "otp": "123456"}))
            .public(),
        op(Delete, "/api/v1/sessions/current", "sessions", "Log out; the token stops working at once").status("204"),
        op(Post, "/api/v1/me/password", "sessions", "Change your own password: the current one is checked (like a login), the new one against the policy; your other sessions end")
            .body(json!({"current": "…", "new": "A-new-strong-password-1"}))
            .status("204"),
        op(Get, "/api/v1/me/sessions", "sessions", "Your live sessions, newest first: id (not the token), created_at, last_seen, expires_at, address, current"),
        op(Delete, "/api/v1/me/sessions/{id}", "sessions", "End one of your sessions (404 if it is not yours)").status("204"),
        op(Get, "/api/v1/me/two-factor", "sessions", "Your two-factor sign-in: enrolled, required (by your roles), pending, enrolled_at, recovery_codes_left (allowed to a session limited to enrolment)"),
        op(Post, "/api/v1/me/two-factor/enrolment", "sessions", "Offer a new TOTP secret (RFC 6238: SHA-1, 6 digits, 30 s): secret (base32) and otpauth_uri for the authenticator app; replaces an earlier offer; 409 two_factor_enrolled when enrolled"),
        op(Post, "/api/v1/me/two-factor/confirm", "sessions", "Confirm the offered secret with the app's current code; answers recovery_codes (ten, shown this once); lifts a session's enrolment limit")
            .body(json!({"otp": "123456"}))
            .status("200"),
        op(Post, "/api/v1/me/two-factor/recovery-codes", "sessions", "New recovery codes (the old ones stop working), given a current code or a recovery code (checked by the login guard)")
            .body(json!({"otp": "123456"}))
            .status("200"),
        op(Post, "/api/v1/me/two-factor/disable", "sessions", "Remove your second factor, given a current code or a recovery code (checked by the login guard)")
            .body(json!({"otp": "123456"}))
            .status("204"),
        op(Post, "/api/v1/orders", "orders", "Register an order (Idempotency-Key header optional)").body(order),
        op(Get, "/api/v1/orders", "orders", "List visible orders: status, kind, unit, region, sla, due_before, q, from, to, cursor, limit"),
        op(Get, "/api/v1/orders/{id}", "orders", "One order with its full timeline"),
        op(Post, "/api/v1/callers/history", "orders", "A caller's earlier orders, by phone (keyed hash lookup)").body(json!({"phone": "13812345678"})).status("200"),
op(Post, "/api/v1/public/orders", "public", "Submit a request without login; answers its number and tracking code")
            .body(json!({"kind": "help", "region": "510104", "content": "小区停水两天"}))
            .public(),
                op(Get, "/api/v1/public/orders/{number}", "public", "Track an order with ?code=TRACKING (no login)").public(),
        op(Post, "/api/v1/public/orders/{number}/evaluation", "public", "The requester's evaluation, with ?code=TRACKING").body(json!({"result": "satisfied", "resolved": true})).public(),
        op(Get, "/api/v1/units", "organisation", "All units"),
        op(Post, "/api/v1/units", "organisation", "Create a unit (admin)").body(json!({"code": "cd-jt", "name": "成都市交通运输局", "kind": "department", "parent": "cd12345", "region": "510100"})),
        op(Post, "/api/v1/users", "organisation", "Create an account (admin)").body(json!({"username": "op1", "password": "A-strong-password-1", "roles": ["operator"], "unit": "cd12345"})),
        op(Patch, "/api/v1/units/{code}", "organisation", "Rename, move, deactivate or reactivate a unit (admin of its subtree)")
            .body(json!({"name": "成都市交通运输局", "parent": "cd12345", "active": false})),
        op(Get, "/api/v1/users", "organisation", "Accounts within the administrator's subtree"),
        op(Patch, "/api/v1/users/{username}", "organisation", "Change roles or unit, disable or enable (sessions end on disable)")
            .body(json!({"roles": ["operator"], "active": false})),
        op(Post, "/api/v1/users/{username}/password", "organisation", "Reset a password (sessions end)")
            .body(json!({"password": "A-new-strong-password-1"}))
            .status("204"),
        op(Delete, "/api/v1/users/{username}/two-factor", "organisation", "Reset an account's two-factor sign-in (a lost phone): its sessions end and it enrols again at its next sign-in where its role requires; not your own (admin of its unit)").status("204"),
        op(Post, "/api/v1/apikeys", "organisation", "Issue an integration key for a unit; the key is shown once")
            .body(json!({"name": "wechat-gateway", "unit": "cd12345", "actions": ["create", "read"]})),
        op(Get, "/api/v1/apikeys", "organisation", "Integration keys within the administrator's subtree"),
        op(Delete, "/api/v1/apikeys/{name}", "organisation", "Revoke a key at once").status("204"),
        op(Get, "/api/v1/audit", "audit", "Search the audit trail: actor, action, object, from, to, cursor (admin, supervisor)"),
        op(Get, "/api/v1/calendar/{year}", "rules", "A year's official arrangement"),
        op(Put, "/api/v1/calendar/{year}", "rules", "Load or replace a year (admin)").body(json!({"year": 2027, "holidays": ["2027-01-01"], "workdays": []})),
        op(Get, "/api/v1/rules/deadlines", "rules", "The deadline rules in force"),
        op(Put, "/api/v1/rules/deadlines", "rules", "Change the deadline rules (admin)"),
        op(Get, "/api/v1/taxonomy", "rules", "The domain taxonomy"),
        op(Post, "/api/v1/taxonomy", "rules", "Add a sub-category (admin)").body(json!({"path": "public_services/parking", "name": "停车管理"})),
        op(Post, "/api/v1/kb/articles", "knowledge", "Write an article (a draft; urgent by a supervisor: published and pinned at once)")
            .body(json!({"title": "社会保障卡挂失与补办流程", "question": "社保卡丢了怎么办？", "answer": "先挂失，再携带身份证补领。",
                "category": "社会保障/社保卡", "material": "guide", "region": "510100", "keywords": ["社保卡", "补办"],
                "source": {"title": "社会保障卡管理办法", "number": "人社部发〔2011〕47号"}, "valid_to": "2027-12-31", "urgent": false})),
        op(Get, "/api/v1/kb/articles", "knowledge", "Articles the caller may read: status, pinned, before, limit"),
        op(Get, "/api/v1/kb/articles/{id}", "knowledge", "One article, with its use and helpfulness counts"),
        op(Put, "/api/v1/kb/articles/{id}", "knowledge", "Edit (a new version; an editor's edit of a published article goes back to review)"),
        op(Post, "/api/v1/kb/articles/{id}/submit", "knowledge", "Submit a draft for review (knowledge editor)").status("200"),
        op(Post, "/api/v1/kb/articles/{id}/publish", "knowledge", "Publish (supervisor or admin of the owning hotline)").status("200"),
        op(Post, "/api/v1/kb/articles/{id}/withdraw", "knowledge", "Withdraw from search").status("200"),
        op(Post, "/api/v1/kb/articles/{id}/unpin", "knowledge", "Stop pinning an urgent script").status("200"),
        op(Get, "/api/v1/kb/articles/{id}/versions", "knowledge", "Every version, oldest first, with who, when and which fields changed"),
        op(Post, "/api/v1/kb/articles/{id}/restore", "knowledge", "Restore an earlier version's content as a new version").body(json!({"version": 1})).status("200"),
        op(Post, "/api/v1/kb/articles/{id}/feedback", "knowledge", "Mark an article helpful or not").body(json!({"helpful": true})).status("204"),
        op(Get, "/api/v1/kb/search", "knowledge", "Chinese search (?q=, limit) over published, valid articles of the caller's region; snippets with <mark>"),
        op(Get, "/api/v1/kb/suggest", "knowledge", "The articles that best match an order's text (?text=)"),
        op(Get, "/api/v1/kb/pinned", "knowledge", "Urgent scripts pinned for the caller's region"),
        op(Get, "/api/v1/kb/synonyms", "knowledge", "The synonym list applied to queries"),
        op(Put, "/api/v1/kb/synonyms", "knowledge", "Replace the synonym list (installation admin)").body(json!({"text": "社保卡 = 社会保障卡"})),
        op(Post, "/api/v1/kb/import", "knowledge", "Import .xlsx/.csv (?format=, skip_errors=) as drafts; 422 names every bad row and column. At most 10 MiB (else 413), 100,000 rows under the header, 64 columns, 32,767 characters a cell and 100 MiB unpacked; beyond them 422 file_too_large").status("200"),
        op(Get, "/api/v1/kb/export", "knowledge", "Export the articles the caller may read (?format=xlsx|csv); more than 100,000 answers 422 too_many_rows"),
        op(Get, "/api/v1/supervision", "supervision", "Supervised orders of the caller's hotline subtree: ?state=open|answered|closed, ?mine=true for those it oversees itself"),
        op(Get, "/api/v1/reports/hotspots", "reports", "Hotspot warnings for ?day=: topics rising well above their 14-day baseline in a district, with their orders"),
        op(Get, "/api/v1/reports/summons", "reports", "Units meeting a summons rule in ?month=YYYY-MM, with the orders behind each and whether it was acted on"),
        op(Post, "/api/v1/reports/summons/acted", "reports", "Record that the authority acted on a unit's summons").body(json!({"month": "2026-03", "unit": "cd-jt", "note": "已约谈单位负责人"})).status("204"),
        op(Get, "/api/v1/reports/summons/rules", "reports", "The summons rules in force"),
        op(Put, "/api/v1/reports/summons/rules", "reports", "Set the summons rules (installation admin)").body(json!({"rules": [{"kind": "overdue_orders", "min": 3}, {"kind": "low_satisfaction", "below": 0.8, "min_evaluations": 20}, {"kind": "repeat_reopens", "min": 2}]})),
        op(Get, "/api/v1/reports/period", "reports", "Daily, weekly or monthly report (?period=day|week|month&date=): volumes by channel, kind, domain, region and unit; deadline performance; satisfaction; top issues"),
        op(Get, "/api/v1/reports/seasonal", "reports", "A month's top topics this year and the years before (?month=YYYY-MM&years=3): recurring seasonal issues"),
        op(Get, "/api/v1/reports/weights", "reports", "The assessment score's weights"),
        op(Put, "/api/v1/reports/weights", "reports", "Set the weights (installation admin; each 0–1, together 1)").body(json!({"response": 0.3, "resolution": 0.35, "satisfaction": 0.35})),
        op(Get, "/api/v1/reports/units", "reports", "Unit assessment over the dispatches made in ?from=&to= (and ?region=; at most ten years): rates, score and weights"),
        op(Get, "/healthz", "operations", "200 when the store answers; calendar warnings in the body").public(),
        op(Get, "/readyz", "operations", "200 when a write through the store's write path succeeds now; 503 store_unavailable with the reason").public(),
        op(Get, "/metrics", "operations", "Prometheus metrics").public(),
    ];
    for (action, body, summary) in ACTIONS {
        let path = format!("/api/v1/orders/{{id}}/{action}");
        let body: Value = serde_json::from_str(body).expect("the examples are JSON");
        ops.push(
            op(Post, path, "order actions", summary)
                .body(body)
                .status("200"),
        );
    }
    ops
}

fn error_response(description: &str) -> utoipa::openapi::Response {
    let example = json!({"error": {"code": "snake_case_code", "message": "human readable"}});
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new().example(Some(example)).build(),
        )
        .build()
}

pub fn document() -> OpenApi {
    let mut paths = Paths::new();
    for o in operations() {
        let mut b = OperationBuilder::new()
            .tag(o.tag)
            .summary(Some(o.summary))
            .response(
                o.success,
                ResponseBuilder::new().description("success").build(),
            )
            .response("400", error_response("malformed request"))
            .response(
                "422",
                error_response("validation failed; `fields` names the problem"),
            );
        if !o.public {
            b = b
                .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
                .response("401", error_response("not logged in"))
                .response("403", error_response("forbidden"))
                .response("404", error_response("not found, or not visible to you"));
        }
        if o.path.contains("/orders/{id}/") || o.path.contains("/kb/articles/{id}/") {
            b = b.response(
                "409",
                error_response("not allowed in the order's current state"),
            );
        }
        for name in ["id", "number", "year", "code", "username", "name"] {
            if o.path.contains(&format!("{{{name}}}")) {
                b = b.parameter(
                    ParameterBuilder::new()
                        .name(name)
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True),
                );
            }
        }
        if let Some(example) = o.body {
            let content = ContentBuilder::new().example(Some(example)).build();
            b = b.request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", content)
                    .build(),
            ));
        }
        paths.add_path_operation(&o.path, vec![o.method], b.build());
    }
    let bearer = SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build());
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("hotline — 12345 government service hotline API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some("Errors: {\"error\": {\"code\", \"message\", \"fields\"?}}. Times are RFC 3339 in +08:00."))
                .build(),
        )
        .paths(paths)
        .components(Some(ComponentsBuilder::new().security_scheme("bearer", bearer).build()))
        .build()
}
