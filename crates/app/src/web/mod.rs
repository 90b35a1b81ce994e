//! The web console: server-rendered pages in Simplified Chinese, no script needed.
//!
//! Pages call the same use-case functions as the API (`orders::list_for`,
//! `orders::perform`, `auth::authenticate`), so every permission, mask and audit
//! record is the same. The session is the API's, carried in an `HttpOnly`,
//! `SameSite=Strict` cookie; every form that changes something carries a CSRF token
//! derived from the session.

mod labels;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use hmac::{Hmac, Mac};
use hotline_domain::{Context, Role, Timestamp, available_actions, shanghai};
use serde::Deserialize;
use sha2::Sha256;

use crate::AppState;
use crate::access::{Org, Viewer};
use crate::audit::ClientAddr;
use crate::auth::{authenticate, end_session, session_viewer, token_hash};
use crate::error::ApiError;
use crate::extract::parse_json;
use crate::orders::{
    CreateOrderRequest, ListParams, create_for, history_for, list_for, perform, view_for,
    visible_order,
};
use crate::views::OrderView;

const COOKIE: &str = "hotline_session";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console/orders") }))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/console/intake", get(intake_page).post(intake_submit))
        .route("/console/orders", get(orders_page))
        .route("/console/orders/{id}", get(order_page))
        .route("/console/orders/{id}/act", post(order_act))
        .route(
            "/console/admin/units",
            get(admin_units).post(admin_units_post),
        )
        .route(
            "/console/admin/users",
            get(admin_users).post(admin_users_post),
        )
        .route(
            "/console/admin/rules",
            get(admin_rules).post(admin_rules_post),
        )
        .route("/portal", get(portal))
        .route("/portal/new", get(portal_new).post(portal_submit))
        .route("/portal/evaluate", post(portal_evaluate))
        .route("/static/console.css", get(stylesheet))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../../../static/console.css"),
    )
}

/// The logged-in person at the console; anyone else is sent to the login page.
pub struct ConsoleUser {
    viewer: Viewer,
    token: String,
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (name, value) = c.trim().split_once('=')?;
            (name == COOKIE && !value.is_empty()).then(|| value.to_owned())
        })
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl FromRequestParts<AppState> for ConsoleUser {
    type Rejection = Redirect;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Redirect> {
        let back = || {
            let here = parts
                .uri
                .path_and_query()
                .map_or("/console/orders", |p| p.as_str());
            Redirect::to(&format!("/login?next={}", encode(here)))
        };
        let token = session_cookie(&parts.headers).ok_or_else(back)?;
        match session_viewer(state, &token).await {
            Ok(viewer) if viewer.key_actions.is_none() => Ok(ConsoleUser { viewer, token }),
            _ => Err(back()),
        }
    }
}

/// The CSRF token of a session: a keyed hash of it, so it needs no storage.
fn csrf_token(state: &AppState, session: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&state.config().phone_hash_key).expect("any key length");
    mac.update(b"csrf:");
    mac.update(token_hash(session).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn csrf_ok(state: &AppState, user: &ConsoleUser, given: &str) -> bool {
    let expected = csrf_token(state, &user.token);
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |a, (x, y)| a | (x ^ y))
            == 0
}

/// What the page header shows: who is logged in, and the screens of their roles.
pub struct Shell {
    username: String,
    roles: String,
    unit: String,
    nav: Vec<(&'static str, &'static str)>,
    csrf: String,
}

fn shell(state: &AppState, org: &Org, user: &ConsoleUser) -> Shell {
    let v = &user.viewer;
    let mut nav = Vec::new();
    if may_take_calls(org, v) {
        nav.push(("/console/intake", "受理"));
    }
    if v.scope(org).is_some() {
        nav.push(("/console/orders", "工单"));
    }
    if v.has(Role::Admin) {
        nav.push(("/console/admin/units", "单位"));
        nav.push(("/console/admin/users", "账号"));
        if v.user.unit.is_none() {
            nav.push(("/console/admin/rules", "日历与分类"));
        }
    }
    Shell {
        username: v.user.username.clone(),
        roles: v
            .user
            .roles
            .iter()
            .map(|r| labels::role(r.as_str()))
            .collect::<Vec<_>>()
            .join("、"),
        unit: unit_name(org, v.user.unit.as_ref().map(|u| u.as_str())),
        nav,
        csrf: csrf_token(state, &user.token),
    }
}

fn unit_name(org: &Org, code: Option<&str>) -> String {
    let Some(code) = code else {
        return "—".into();
    };
    hotline_domain::UnitCode::parse(code)
        .ok()
        .and_then(|c| org.get(&c).map(|u| u.name.clone()))
        .unwrap_or_else(|| code.to_owned())
}

fn when(t: &Timestamp) -> String {
    t.with_timezone(&shanghai())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn opt_when(t: &Option<Timestamp>) -> String {
    t.as_ref().map_or("—".into(), when)
}

fn text(v: &Option<String>) -> String {
    v.clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "—".into())
}

/// Errors at the console: a page for missing orders, a message otherwise.
fn page_error(e: ApiError) -> Response {
    let status = e.status;
    (status, labels::error(e.code)).into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    me: Option<Shell>,
    error: Option<&'static str>,
    next: String,
    username: String,
    demo: bool,
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

/// Only our own console pages are places to return to after login.
fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| n.starts_with("/console/") && !n.contains("//"))
        .unwrap_or("/console/orders")
        .to_owned()
}

async fn login_page(State(state): State<AppState>, Query(q): Query<LoginQuery>) -> LoginPage {
    LoginPage {
        me: None,
        error: None,
        next: safe_next(q.next.as_deref()),
        username: String::new(),
        demo: state.config().demo,
    }
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn login_submit(
    State(state): State<AppState>,
    addr: ClientAddr,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = safe_next(f.next.as_deref());
    match authenticate(&state, &addr, &f.username, &f.password).await {
        Ok((token, _, _)) => {
            let max_age = state.config().session_hours * 3600;
            let cookie =
                format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}");
            let mut resp = Redirect::to(&next).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
            resp
        }
        Err(e) => {
            let error = match e.code {
                "account_locked" => "登录失败次数过多，该账号已暂时锁定，请稍后再试。",
                "rate_limited" => "登录尝试过于频繁，请稍后再试。",
                "invalid_credentials" => "用户名或密码错误。",
                _ => labels::error(e.code),
            };
            let page = LoginPage {
                me: None,
                error: Some(error),
                next,
                username: f.username,
                demo: state.config().demo,
            };
            (e.status, page).into_response()
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !csrf_ok(&state, &user, &f.csrf) {
        return (
            axum::http::StatusCode::FORBIDDEN,
            "表单已过期，请刷新页面后重试。",
        )
            .into_response();
    }
    let _ = end_session(&state, &user.viewer, &addr, &user.token).await;
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("hotline_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    resp
}

/// One option of a select box.
struct Choice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

fn choices(
    values: impl Iterator<Item = &'static str>,
    label: fn(&str) -> &'static str,
    current: &Option<String>,
) -> Vec<Choice> {
    values
        .map(|value| Choice {
            value,
            label: label(value),
            selected: current.as_deref() == Some(value),
        })
        .collect()
}

struct Row {
    id: i64,
    number: String,
    kind: &'static str,
    title: String,
    status: &'static str,
    unit: String,
    deadline: String,
    sla: &'static str,
    sla_class: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "orders.html")]
struct OrdersPage {
    me: Option<Shell>,
    rows: Vec<Row>,
    statuses: Vec<Choice>,
    slas: Vec<Choice>,
    q: String,
    queues: Vec<(&'static str, &'static str)>,
    sort_deadline: bool,
    kinds: Vec<Choice>,
    domains: Vec<DynChoice>,
    unit: String,
    region: String,
    from: String,
    to: String,
    next_page: Option<String>,
}

#[derive(Deserialize)]
struct OrdersQuery {
    status: Option<String>,
    sla: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
    extension: Option<String>,
    sort: Option<String>,
    kind: Option<String>,
    domain: Option<String>,
    unit: Option<String>,
    region: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// The work queues of a role, as links to filtered lists.
fn queues(org: &Org, v: &Viewer) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    if v.staff_hotline(org).is_some() {
        out.extend([
            ("/console/orders?status=registered", "待派单"),
            ("/console/orders?status=return_requested", "退单待审"),
            ("/console/orders?extension=pending", "延期待批"),
        ]);
    } else if v.has(Role::Handler) {
        out.extend([
            ("/console/orders?status=dispatched", "待签收"),
            ("/console/orders?status=in_progress", "办理中"),
        ]);
    }
    out.extend([
        ("/console/orders?sla=due_soon&sort=deadline", "即将到期"),
        ("/console/orders?sla=overdue&sort=deadline", "已超期"),
        ("/console/orders", "全部"),
    ]);
    out
}

fn sla_of(v: &OrderView) -> (&'static str, &'static str) {
    match v.sla {
        Some(s) => (labels::sla(s.as_str()), s.as_str()),
        None => ("—", "none"),
    }
}

async fn orders_page(
    State(state): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<OrdersQuery>,
) -> Response {
    let org = match state.org().await {
        Ok(o) => o,
        Err(e) => return page_error(e),
    };
    let nonempty = |s: &Option<String>| s.clone().filter(|v| !v.is_empty());
    let params = ListParams {
        status: nonempty(&q.status).and_then(|s| hotline_domain::Status::parse(&s).ok()),
        sla: nonempty(&q.sla)
            .and_then(|s| serde_json::from_value(serde_json::Value::String(s)).ok()),
        q: nonempty(&q.q),
        cursor: nonempty(&q.cursor),
        extension: nonempty(&q.extension),
        sort: nonempty(&q.sort),
        kind: nonempty(&q.kind).and_then(|k| hotline_domain::Kind::parse(&k).ok()),
        domain: nonempty(&q.domain),
        unit: nonempty(&q.unit),
        region: nonempty(&q.region),
        from: nonempty(&q.from),
        to: nonempty(&q.to),
        limit: Some(50),
        ..ListParams::default()
    };
    let page = match list_for(&state, &user.viewer, params).await {
        Ok(p) => p,
        Err(e) => return page_error(e),
    };
    let rows = page
        .items
        .iter()
        .map(|v| {
            let (sla, sla_class) = sla_of(v);
            Row {
                id: v.id.0,
                number: v.number.clone(),
                kind: labels::kind(v.kind.as_str()),
                title: v.title.clone(),
                status: labels::status(v.status.as_str()),
                unit: unit_name(&org, v.unit.as_ref().map(|u| u.as_str())),
                deadline: opt_when(&v.deadline),
                sla,
                sla_class,
            }
        })
        .collect();
    let keep = |k: &str, v: &Option<String>| {
        nonempty(v)
            .map(|v| format!("&{k}={}", encode(&v)))
            .unwrap_or_default()
    };
    let next_page = page.next_cursor.map(|c| {
        let kept: String = [
            ("status", &q.status),
            ("sla", &q.sla),
            ("q", &q.q),
            ("kind", &q.kind),
            ("domain", &q.domain),
            ("unit", &q.unit),
            ("region", &q.region),
            ("from", &q.from),
            ("to", &q.to),
            ("extension", &q.extension),
        ]
        .iter()
        .map(|(k, v)| keep(k, v))
        .collect();
        format!("/console/orders?cursor={c}{kept}")
    });
    let taxonomy = match state.taxonomy().await {
        Ok(t) => t,
        Err(e) => return page_error(e),
    };
    let mut domains: Vec<DynChoice> = Vec::new();
    for c in taxonomy.iter() {
        if !domains.iter().any(|d| d.value == c.path.top()) {
            let top = c.path.top().to_owned();
            domains.push(DynChoice {
                selected: q.domain.as_deref() == Some(top.as_str()),
                value: top,
                label: c.top_name.clone(),
            });
        }
        let value = c.path.to_string();
        domains.push(DynChoice {
            selected: q.domain.as_deref() == Some(value.as_str()),
            value,
            label: format!("　{}", c.name),
        });
    }
    OrdersPage {
        me: Some(shell(&state, &org, &user)),
        rows,
        statuses: choices(
            hotline_domain::Status::ALL.iter().map(|s| s.as_str()),
            labels::status,
            &q.status,
        ),
        slas: choices(
            ["on_track", "due_soon", "overdue"].into_iter(),
            labels::sla,
            &q.sla,
        ),
        q: q.q.unwrap_or_default(),
        queues: queues(&org, &user.viewer),
        sort_deadline: q.sort.as_deref() == Some("deadline"),
        kinds: choices(
            hotline_domain::Kind::ALL.iter().map(|k| k.as_str()),
            labels::kind,
            &q.kind,
        ),
        domains,
        unit: q.unit.clone().unwrap_or_default(),
        region: q.region.clone().unwrap_or_default(),
        from: q.from.clone().unwrap_or_default(),
        to: q.to.clone().unwrap_or_default(),
        next_page,
    }
    .into_response()
}

struct Detail {
    id: i64,
    number: String,
    tracking_code: Option<String>,
    status: &'static str,
    kind: &'static str,
    channel: &'static str,
    domain: String,
    region: String,
    title: String,
    content: String,
    address: String,
    urgent: bool,
    confidential: bool,
    registered_at: String,
    unit: String,
    deadline: String,
    sla: &'static str,
    sla_class: &'static str,
    requester_hidden: bool,
    requester_name: String,
    requester_phone: String,
    requester_address: String,
    reply: Option<String>,
    links: String,
}

struct EventLine {
    at: String,
    label: &'static str,
    actor: String,
    unit: String,
    note: String,
}

/// One action form: which inputs it needs.
struct ActionForm {
    id: usize,
    name: &'static str,
    label: &'static str,
    unit: bool,
    route: bool,
    result: bool,
    days: bool,
    into: bool,
    text: bool,
    text_field: &'static str,
    text_label: &'static str,
    text_required: bool,
    resolved: bool,
}

fn action_form(id: usize, name: &'static str, vendor: bool) -> ActionForm {
    let (text_field, text_label, text_required) = match name {
        "answer" | "reply" | "note" => (
            "content",
            if name == "note" {
                "备注内容"
            } else {
                "答复内容"
            },
            true,
        ),
        "return" | "reopen" | "reveal-phone" | "extension" => ("reason", "理由", true),
        "triage" | "urge" | "supervise" | "escalate" => ("note", "说明", true),
        "accept" | "close" | "merge" => ("", "", false),
        _ => ("note", "意见（可选）", false),
    };
    let _ = vendor;
    ActionForm {
        id,
        name,
        label: labels::action(name),
        unit: name == "dispatch",
        route: name == "triage",
        result: name == "callback",
        days: name == "extension",
        into: name == "merge",
        text: !text_field.is_empty(),
        text_field,
        text_label,
        text_required,
        resolved: name == "reply" || name == "callback",
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "order.html")]
struct OrderPage {
    me: Option<Shell>,
    o: Detail,
    events: Vec<EventLine>,
    actions: Vec<ActionForm>,
    routes: Vec<(&'static str, &'static str)>,
    units: Vec<(String, String)>,
    csrf: String,
    message: Option<String>,
    error: Option<&'static str>,
}

const ROUTES: &[(&str, &str)] = &[
    ("lawful_channel", "告知依法通过诉讼、仲裁、信访等渠道解决"),
    ("explain", "解释说明（不属受理范围）"),
    ("emergency_110", "转110"),
    ("emergency_119", "转119"),
    ("emergency_120", "转120"),
    ("emergency_122", "转122"),
    ("police_referral", "恶意骚扰线索移交公安"),
    ("discipline_referral", "线索推送纪检监察机关"),
];

#[derive(Deserialize)]
struct OrderQuery {
    done: Option<String>,
    error: Option<String>,
    created: Option<String>,
}

/// Stands for "just registered" until the page knows the number and code to read out.
const CREATED: &str = "\u{0}created";

async fn order_page(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    Query(q): Query<OrderQuery>,
) -> Response {
    let message = match (&q.created, &q.done) {
        (Some(_), _) => Some(CREATED.to_owned()),
        (None, Some(a)) => Some(format!("已完成：{}", labels::action(a))),
        (None, None) => None,
    };
    let error = q.error.as_deref().map(labels::error);
    render_order(&state, &user, &id, message, error, false).await
}

async fn render_order(
    state: &AppState,
    user: &ConsoleUser,
    id: &str,
    message: Option<String>,
    error: Option<&'static str>,
    full_phone: bool,
) -> Response {
    match build_order_page(state, user, id, message, error, full_phone).await {
        Ok(page) => page.into_response(),
        Err(e) => page_error(e),
    }
}

async fn build_order_page(
    state: &AppState,
    user: &ConsoleUser,
    id: &str,
    message: Option<String>,
    error: Option<&'static str>,
    full_phone: bool,
) -> Result<OrderPage, ApiError> {
    let org = state.org().await?;
    let v = &user.viewer;
    let order = visible_order(state, v, &org, id).await?;
    let (rules, calendar) = (state.rules().await?, state.calendar().await?);
    let ctx = Context {
        now: state.now(),
        rules: &rules,
        calendar: &calendar,
    };
    let names = available_actions(&order, &v.actor_for(&org, &order), &ctx);
    let vendor = v.has(Role::VendorOperator) && !v.has(Role::Operator) && !v.has(Role::Dispatcher);
    let routes = ROUTES
        .iter()
        .filter(|(r, _)| !vendor || !matches!(*r, "police_referral" | "discipline_referral"))
        .copied()
        .collect();
    let events = state.store().events(order.id).await?;
    let view = view_for(state, v, &org, order, Some(events), full_phone).await?;
    let units = if names.contains(&"dispatch") {
        let mut u: Vec<(String, String)> = org
            .all()
            .filter(|u| {
                u.active && u.code != view.hotline && org.is_same_or_above(&view.hotline, &u.code)
            })
            .map(|u| (u.code.to_string(), u.name.clone()))
            .collect();
        u.sort();
        u
    } else {
        Vec::new()
    };
    let message = message.map(|m| {
        if m == CREATED {
            let code = view.tracking_code.as_deref().unwrap_or("—");
            format!("登记成功：工单编号 {}，查询码 {code}。请告知诉求人，凭编号和查询码可查询办理进度。", view.number)
        } else {
            m
        }
    });
    let (sla, sla_class) = sla_of(&view);
    let links = [
        view.merged_into.map(|m| format!("已并入 {m}")),
        (!view.merged.is_empty()).then(|| format!("并入本单的重复件：{}", join_ids(&view.merged))),
        (!view.possible_duplicates.is_empty())
            .then(|| format!("可能重复：{}", join_ids(&view.possible_duplicates))),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("；");
    let events = view
        .events
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|e| EventLine {
            at: when(&e.at),
            label: labels::event(&e.kind),
            actor: e.actor.clone(),
            unit: unit_name(&org, e.unit.as_ref().map(|u| u.as_str())),
            note: text(&e.note),
        })
        .collect();
    let detail = Detail {
        id: view.id.0,
        number: view.number.clone(),
        tracking_code: view.tracking_code.clone(),
        status: labels::status(view.status.as_str()),
        kind: labels::kind(view.kind.as_str()),
        channel: labels::channel(view.channel.as_str()),
        domain: domain_name(&state.taxonomy().await?, view.domain.as_ref()),
        region: view.region.clone(),
        title: view.title.clone(),
        content: view.content.clone(),
        address: text(&view.address),
        urgent: view.urgent,
        confidential: view.confidential,
        registered_at: when(&view.registered_at),
        unit: unit_name(&org, view.unit.as_ref().map(|u| u.as_str())),
        deadline: opt_when(&view.deadline),
        sla,
        sla_class,
        requester_hidden: view.requester.hidden,
        requester_name: text(&view.requester.name),
        requester_phone: text(&view.requester.phone),
        requester_address: text(&view.requester.address),
        reply: view.reply.as_ref().map(|r| r.content.clone()),
        links,
    };
    Ok(OrderPage {
        me: Some(shell(state, &org, user)),
        o: detail,
        events,
        actions: names
            .into_iter()
            .enumerate()
            .map(|(i, n)| action_form(i, n, vendor))
            .collect(),
        routes,
        units,
        csrf: csrf_token(state, &user.token),
        message,
        error,
    })
}

/// A domain as people read it: `公共服务 / 道路交通`.
fn domain_name(
    taxonomy: &[hotline_domain::taxonomy::DomainCategory],
    d: Option<&hotline_domain::DomainPath>,
) -> String {
    let Some(d) = d else { return "—".into() };
    taxonomy
        .iter()
        .find(|c| &c.path == d)
        .map_or_else(|| d.to_string(), |c| format!("{} / {}", c.top_name, c.name))
}

fn join_ids(ids: &[hotline_domain::OrderId]) -> String {
    ids.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join("、")
}

#[derive(Deserialize)]
struct ActForm {
    csrf: String,
    action: String,
    content: Option<String>,
    note: Option<String>,
    reason: Option<String>,
    unit: Option<String>,
    co_units: Option<String>,
    days: Option<String>,
    route: Option<String>,
    result: Option<String>,
    resolved: Option<String>,
    into: Option<String>,
}

/// The form, as the JSON body the action's use case takes.
fn action_body(f: &ActForm) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    let mut put = |k: &str, v: &Option<String>| {
        if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            m.insert(k.to_owned(), serde_json::Value::String(v.to_owned()));
        }
    };
    put("content", &f.content);
    put("note", &f.note);
    put("reason", &f.reason);
    put("unit", &f.unit);
    put("route", &f.route);
    put("result", &f.result);
    if let Some(co) = f.co_units.as_deref() {
        let list: Vec<&str> = co
            .split([',', '，', ' '])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        m.insert("co_units".into(), serde_json::json!(list));
    }
    if let Some(days) = f.days.as_deref() {
        m.insert(
            "days".into(),
            days.trim()
                .parse::<u32>()
                .map_or(serde_json::json!(days), |d| serde_json::json!(d)),
        );
    }
    if let Some(into) = f.into.as_deref().map(str::trim) {
        m.insert(
            "into".into(),
            into.parse::<i64>()
                .map_or(serde_json::json!(into), |i| serde_json::json!(i)),
        );
    }
    if matches!(f.action.as_str(), "reply" | "callback") {
        m.insert(
            "resolved".into(),
            serde_json::json!(f.resolved.as_deref() == Some("true")),
        );
    }
    serde_json::Value::Object(m)
}

async fn order_act(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Path(id): Path<String>,
    Form(f): Form<ActForm>,
) -> Response {
    if !csrf_ok(&state, &user, &f.csrf) {
        return (
            axum::http::StatusCode::FORBIDDEN,
            "表单已过期，请刷新页面后重试。",
        )
            .into_response();
    }
    let body = serde_json::to_vec(&action_body(&f)).unwrap_or_default();
    match perform(&state, &user.viewer, &addr, &id, &f.action, &body).await {
        Ok(_) if f.action == "reveal-phone" => {
            let message = Some("完整号码已显示，本次查看已记录。".to_owned());
            render_order(&state, &user, &id, message, None, true).await
        }
        Ok(_) => Redirect::to(&format!(
            "/console/orders/{}?done={}",
            encode(&id),
            encode(&f.action)
        ))
        .into_response(),
        Err(e) if e.code == "not_found" => page_error(e),
        Err(e) => Redirect::to(&format!("/console/orders/{}?error={}", encode(&id), e.code))
            .into_response(),
    }
}

/// Operators, vendor operators and dispatchers of a hotline take calls.
fn may_take_calls(org: &Org, v: &Viewer) -> bool {
    v.staff_hotline(org).is_some()
        && [Role::Operator, Role::VendorOperator, Role::Dispatcher]
            .iter()
            .any(|r| v.has(*r))
}

/// A select option whose value is not known at compile time.
struct DynChoice {
    value: String,
    label: String,
    selected: bool,
}

struct DomainGroup {
    label: String,
    items: Vec<DynChoice>,
}

struct HistoryLine {
    id: i64,
    number: String,
    at: String,
    kind: &'static str,
    title: String,
    status: &'static str,
}

/// What the operator typed, kept when the page is shown again.
#[derive(Default, Deserialize)]
struct IntakeForm {
    csrf: Option<String>,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    name: String,
    anonymous: Option<String>,
    confidential: Option<String>,
    urgent: Option<String>,
    channel: Option<String>,
    kind: Option<String>,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    content: String,
    then: Option<String>,
    #[serde(default)]
    answer: String,
    route: Option<String>,
    #[serde(default)]
    triage_note: String,
}

/// The form's values as the template shows them.
struct IntakeValues {
    phone: String,
    name: String,
    anonymous: bool,
    confidential: bool,
    urgent: bool,
    region: String,
    address: String,
    title: String,
    content: String,
    answer: String,
    triage_note: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "intake.html")]
struct IntakePage {
    me: Option<Shell>,
    error: Option<String>,
    f: IntakeValues,
    looked_up: bool,
    history: Vec<HistoryLine>,
    channels: Vec<Choice>,
    kinds: Vec<Choice>,
    domains: Vec<DomainGroup>,
    regions: Vec<(String, String)>,
    routes: Vec<(&'static str, &'static str)>,
    csrf: String,
}

fn field_label(field: &str) -> &'static str {
    match field {
        "channel" => "来源渠道",
        "kind" => "诉求类型",
        "domain" => "诉求领域",
        "region" => "行政区划代码",
        "title" => "标题",
        "content" => "诉求内容",
        "address" => "事发地址",
        "requester.phone" => "诉求人电话",
        "requester.name" => "诉求人姓名",
        "answer" => "直接答复内容",
        "triage_note" => "处置说明",
        _ => "填写内容",
    }
}

fn form_error(e: &ApiError) -> String {
    match e.fields.as_ref().and_then(|f| f.keys().next()) {
        Some(field) => format!("「{}」填写有误，请检查后重试。", field_label(field)),
        None => labels::error(e.code).to_owned(),
    }
}

async fn intake_view(
    state: &AppState,
    user: &ConsoleUser,
    f: IntakeForm,
    error: Option<String>,
    looked_up: bool,
) -> Result<IntakePage, ApiError> {
    let org = state.org().await?;
    let taxonomy = state.taxonomy().await?;
    let mut history = Vec::new();
    if looked_up && let Ok(phone) = hotline_domain::Phone::parse(&f.phone) {
        for v in history_for(state, &user.viewer, &phone).await? {
            history.push(HistoryLine {
                id: v.id.0,
                number: v.number.clone(),
                at: when(&v.registered_at),
                kind: labels::kind(v.kind.as_str()),
                title: v.title.clone(),
                status: labels::status(v.status.as_str()),
            });
        }
    }
    let mut domains: Vec<DomainGroup> = Vec::new();
    for c in taxonomy.iter() {
        let choice = DynChoice {
            value: c.path.to_string(),
            label: c.name.clone(),
            selected: f.domain == c.path.to_string(),
        };
        match domains.last_mut() {
            Some(g) if g.label == c.top_name => g.items.push(choice),
            _ => domains.push(DomainGroup {
                label: c.top_name.clone(),
                items: vec![choice],
            }),
        }
    }
    let mut regions: Vec<(String, String)> = org
        .all()
        .filter(|u| {
            u.active
                && matches!(
                    u.kind,
                    hotline_domain::UnitKind::Hotline | hotline_domain::UnitKind::District
                )
        })
        .map(|u| (u.region.to_string(), u.name.clone()))
        .collect();
    regions.sort();
    regions.dedup_by(|a, b| a.0 == b.0);
    let vendor = user.viewer.has(Role::VendorOperator)
        && !user.viewer.has(Role::Operator)
        && !user.viewer.has(Role::Dispatcher);
    let routes = ROUTES
        .iter()
        .filter(|(r, _)| !vendor || !matches!(*r, "police_referral" | "discipline_referral"))
        .copied()
        .collect();
    let channel = f.channel.clone().or(Some("phone".into()));
    let kind = f.kind.clone().or(Some("complaint".into()));
    Ok(IntakePage {
        me: Some(shell(state, &org, user)),
        error,
        looked_up,
        history,
        channels: choices(
            hotline_domain::Channel::ALL.iter().map(|c| c.as_str()),
            labels::channel,
            &channel,
        ),
        kinds: choices(
            hotline_domain::Kind::ALL.iter().map(|k| k.as_str()),
            labels::kind,
            &kind,
        ),
        domains,
        regions,
        routes,
        csrf: csrf_token(state, &user.token),
        f: IntakeValues {
            phone: f.phone,
            name: f.name,
            anonymous: f.anonymous.is_some(),
            confidential: f.confidential.is_some(),
            urgent: f.urgent.is_some(),
            region: f.region,
            address: f.address,
            title: f.title,
            content: f.content,
            answer: f.answer,
            triage_note: f.triage_note,
        },
    })
}

async fn intake_page(
    State(state): State<AppState>,
    user: ConsoleUser,
    Query(f): Query<IntakeForm>,
) -> Response {
    let org = match state.org().await {
        Ok(o) => o,
        Err(e) => return page_error(e),
    };
    if !may_take_calls(&org, &user.viewer) {
        return (axum::http::StatusCode::FORBIDDEN, "您的角色不受理诉求。").into_response();
    }
    let looked_up = !f.phone.trim().is_empty();
    let error = (looked_up && hotline_domain::Phone::parse(&f.phone).is_err())
        .then(|| "来电号码格式不正确。".to_owned());
    match intake_view(&state, &user, f, error, looked_up).await {
        Ok(page) => page.into_response(),
        Err(e) => page_error(e),
    }
}

/// The form, as the JSON body of `POST /api/v1/orders`, so that it is checked the same way.
fn intake_body(f: &IntakeForm) -> serde_json::Value {
    let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    serde_json::json!({
        "channel": f.channel.as_deref().unwrap_or("phone"),
        "kind": f.kind.as_deref().unwrap_or("complaint"),
        "domain": opt(&f.domain),
        "region": f.region.trim(),
        "title": f.title,
        "content": f.content,
        "address": opt(&f.address),
        "urgent": f.urgent.is_some(),
        "confidential": f.confidential.is_some(),
        "requester": {"name": opt(&f.name), "phone": opt(&f.phone), "anonymous": f.anonymous.is_some()},
    })
}

async fn intake_submit(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Form(f): Form<IntakeForm>,
) -> Response {
    if !csrf_ok(&state, &user, f.csrf.as_deref().unwrap_or("")) {
        return (
            axum::http::StatusCode::FORBIDDEN,
            "表单已过期，请刷新页面后重试。",
        )
            .into_response();
    }
    let then = f.then.clone().unwrap_or_else(|| "register".into());
    // The follow-up's own input is checked before anything is registered.
    let follow_up = match then.as_str() {
        "answer" if f.answer.trim().is_empty() => {
            Err(ApiError::invalid("answer", "must not be empty"))
        }
        "answer" => Ok(Some((
            "answer",
            serde_json::json!({"content": f.answer.trim()}),
        ))),
        "triage" if f.triage_note.trim().is_empty() => {
            Err(ApiError::invalid("triage_note", "must not be empty"))
        }
        "triage" => Ok(Some((
            "triage",
            serde_json::json!({"route": f.route.as_deref().unwrap_or("explain"), "note": f.triage_note.trim()}),
        ))),
        _ => Ok(None),
    };
    let registered = match follow_up {
        Err(e) => Err(e),
        Ok(next) => {
            let body = serde_json::to_vec(&intake_body(&f)).unwrap_or_default();
            match parse_json::<CreateOrderRequest>(&body) {
                Err(e) => Err(e),
                Ok(req) => create_for(&state, &user.viewer, &addr, req, None)
                    .await
                    .map(|c| (c.order.id, next)),
            }
        }
    };
    match registered {
        Ok((id, None)) => Redirect::to(&format!("/console/orders/{id}?created=1")).into_response(),
        Ok((id, Some((action, body)))) => {
            let body = serde_json::to_vec(&body).unwrap_or_default();
            match perform(&state, &user.viewer, &addr, &id.to_string(), action, &body).await {
                Ok(_) => Redirect::to(&format!("/console/orders/{id}?created=1")).into_response(),
                Err(e) => {
                    Redirect::to(&format!("/console/orders/{id}?error={}", e.code)).into_response()
                }
            }
        }
        Err(e) => {
            let status = e.status;
            match intake_view(&state, &user, f, Some(form_error(&e)), false).await {
                Ok(page) => (status, page).into_response(),
                Err(e) => page_error(e),
            }
        }
    }
}

struct PortalResult {
    number: String,
    kind: &'static str,
    status: &'static str,
    registered_at: String,
    deadline: String,
    reply: Option<String>,
    can_evaluate: bool,
    evaluation: Option<&'static str>,
}

fn satisfaction(r: hotline_domain::CallbackResult) -> &'static str {
    match r {
        hotline_domain::CallbackResult::Satisfied => "满意",
        hotline_domain::CallbackResult::FairlySatisfied => "基本满意",
        hotline_domain::CallbackResult::Dissatisfied => "不满意",
        hotline_domain::CallbackResult::Unreachable => "未能联系",
    }
}

fn portal_result(v: crate::views::PublicOrderView) -> PortalResult {
    PortalResult {
        number: v.number.clone(),
        kind: labels::kind(v.kind.as_str()),
        status: labels::status(v.status.as_str()),
        registered_at: when(&v.registered_at),
        deadline: opt_when(&v.deadline),
        can_evaluate: v.status == hotline_domain::Status::Replied,
        evaluation: v.evaluation.map(satisfaction),
        reply: v.reply.map(|r| r.content),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "portal.html")]
struct PortalPage {
    me: Option<Shell>,
    number: String,
    code: String,
    error: Option<&'static str>,
    result: Option<PortalResult>,
}

#[derive(Deserialize)]
struct PortalQuery {
    number: Option<String>,
    code: Option<String>,
}

/// The requester's own page, without login: number and tracking code show the
/// status, deadline and reply — nobody's personal data.
async fn portal(
    State(state): State<AppState>,
    addr: ClientAddr,
    Query(q): Query<PortalQuery>,
) -> Response {
    let (number, code) = (
        q.number.unwrap_or_default().trim().to_owned(),
        q.code.unwrap_or_default().trim().to_owned(),
    );
    let mut page = PortalPage {
        me: None,
        number,
        code,
        error: None,
        result: None,
    };
    if page.number.is_empty() {
        return page.into_response();
    }
    match crate::public::track_order(&state, &addr, &page.number, &page.code).await {
        Ok(v) => {
            page.result = Some(portal_result(v));
            page.into_response()
        }
        Err(e) => {
            page.error = Some(match e.code {
                "rate_limited" => "查询过于频繁，请稍后再试。",
                _ => "未找到该工单，请核对工单编号和查询码。",
            });
            (e.status, page).into_response()
        }
    }
}

#[derive(Default, Deserialize)]
struct PortalForm {
    kind: Option<String>,
    #[serde(default)]
    region: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    anonymous: Option<String>,
}

struct PortalValues {
    region: String,
    address: String,
    title: String,
    content: String,
    name: String,
    phone: String,
    anonymous: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "portal_new.html")]
struct PortalNewPage {
    me: Option<Shell>,
    kinds: Vec<Choice>,
    f: PortalValues,
    error: Option<String>,
    receipt: Option<crate::public::Receipt>,
}

fn portal_new_page(
    f: PortalForm,
    error: Option<String>,
    receipt: Option<crate::public::Receipt>,
) -> PortalNewPage {
    let kind = f.kind.clone().or(Some("help".into()));
    PortalNewPage {
        me: None,
        kinds: choices(
            hotline_domain::Kind::ALL.iter().map(|k| k.as_str()),
            labels::kind,
            &kind,
        ),
        error,
        receipt,
        f: PortalValues {
            region: f.region,
            address: f.address,
            title: f.title,
            content: f.content,
            name: f.name,
            phone: f.phone,
            anonymous: f.anonymous.is_some(),
        },
    }
}

async fn portal_new() -> PortalNewPage {
    portal_new_page(PortalForm::default(), None, None)
}

async fn portal_submit(
    State(state): State<AppState>,
    addr: ClientAddr,
    Form(f): Form<PortalForm>,
) -> Response {
    let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let body = serde_json::json!({
        "kind": f.kind.as_deref().unwrap_or("help"),
        "region": f.region.trim(),
        "title": opt(&f.title),
        "content": f.content,
        "address": opt(&f.address),
        "requester": {"name": opt(&f.name), "phone": opt(&f.phone), "anonymous": f.anonymous.is_some()},
    });
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let result = match parse_json::<crate::public::PublicRequest>(&bytes) {
        Ok(req) => crate::public::submit_request(&state, &addr, req).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(receipt) => (
            axum::http::StatusCode::CREATED,
            portal_new_page(PortalForm::default(), None, Some(receipt)),
        )
            .into_response(),
        Err(e) => {
            let message = if e.code == "rate_limited" {
                "提交过于频繁，请稍后再试。".to_owned()
            } else {
                form_error(&e)
            };
            (e.status, portal_new_page(f, Some(message), None)).into_response()
        }
    }
}

#[derive(Deserialize)]
struct EvaluationForm {
    number: String,
    code: String,
    result: String,
    resolved: Option<String>,
    note: Option<String>,
}

async fn portal_evaluate(
    State(state): State<AppState>,
    addr: ClientAddr,
    Form(f): Form<EvaluationForm>,
) -> Response {
    let body = serde_json::json!({
        "result": f.result,
        "resolved": f.resolved.as_deref() == Some("true"),
        "note": f.note.filter(|n| !n.trim().is_empty()),
    });
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let outcome = match parse_json::<crate::orders::CallbackBody>(&bytes) {
        Ok(b) => crate::public::evaluate_order(&state, &addr, &f.number, &f.code, &b).await,
        Err(e) => Err(e),
    };
    let mut page = PortalPage {
        me: None,
        number: f.number,
        code: f.code,
        error: None,
        result: None,
    };
    match outcome {
        Ok(v) => {
            page.result = Some(portal_result(v));
            page.into_response()
        }
        Err(e) => {
            page.error = Some(match e.code {
                "invalid_transition" => "该工单当前不能评价（可能已评价或尚未答复）。",
                "not_found" => "未找到该工单，请核对工单编号和查询码。",
                _ => "评价未能提交，请稍后再试。",
            });
            (e.status, page).into_response()
        }
    }
}

fn unit_kind_label(k: &str) -> &'static str {
    match k {
        "hotline" => "热线",
        "subcentre" => "分中心",
        "department" => "部门",
        "district" => "县（市、区）",
        "township" => "乡镇（街道）",
        "enterprise" => "企业",
        "vertical_agency" => "垂直管理机构",
        _ => "其他",
    }
}

struct UnitLine {
    code: String,
    name: String,
    kind: &'static str,
    parent: String,
    region: String,
    state: &'static str,
    active: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_units.html")]
struct AdminUnitsPage {
    me: Option<Shell>,
    units: Vec<UnitLine>,
    kinds: Vec<(&'static str, &'static str)>,
    csrf: String,
    message: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct AdminQuery {
    done: Option<String>,
    error: Option<String>,
}

fn admin_messages(q: &AdminQuery) -> (Option<String>, Option<String>) {
    (
        q.done.as_ref().map(|_| "已保存。".to_owned()),
        q.error.as_deref().map(|e| admin_error(e).to_owned()),
    )
}

fn admin_error(code: &str) -> &'static str {
    match code {
        "already_exists" => "编码或用户名已存在。",
        "validation" => "填写内容有误，请检查后重试（密码须符合密码策略）。",
        "forbidden" => "超出您的管理范围。",
        "not_found" => "对象不存在或超出您的管理范围。",
        _ => labels::error(code),
    }
}

fn not_admin() -> Response {
    (
        axum::http::StatusCode::FORBIDDEN,
        "仅系统管理员可访问此页面。",
    )
        .into_response()
}

async fn admin_units(
    State(state): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<AdminQuery>,
) -> Response {
    if !user.viewer.has(Role::Admin) {
        return not_admin();
    }
    let org = match state.org().await {
        Ok(o) => o,
        Err(e) => return page_error(e),
    };
    let mut units: Vec<UnitLine> = org
        .all()
        .filter(|u| user.viewer.administers(&org, Some(&u.code)))
        .map(|u| UnitLine {
            code: u.code.to_string(),
            name: u.name.clone(),
            kind: unit_kind_label(u.kind.as_str()),
            parent: u.parent.as_ref().map_or("—".into(), |p| p.to_string()),
            region: u.region.to_string(),
            state: if u.active { "在用" } else { "已停用" },
            active: u.active,
        })
        .collect();
    units.sort_by(|a, b| a.code.cmp(&b.code));
    let (message, error) = admin_messages(&q);
    AdminUnitsPage {
        me: Some(shell(&state, &org, &user)),
        units,
        kinds: hotline_domain::UnitKind::ALL
            .iter()
            .map(|k| (k.as_str(), unit_kind_label(k.as_str())))
            .collect(),
        csrf: csrf_token(&state, &user.token),
        message,
        error,
    }
    .into_response()
}

#[derive(Deserialize)]
struct UnitForm {
    csrf: String,
    op: String,
    code: String,
    name: Option<String>,
    kind: Option<String>,
    parent: Option<String>,
    region: Option<String>,
}

/// After a change, back to the page (so a reload does not repeat it).
fn back_to(page: &str, outcome: Result<(), ApiError>) -> Response {
    match outcome {
        Ok(()) => Redirect::to(&format!("{page}?done=1")).into_response(),
        Err(e) => Redirect::to(&format!("{page}?error={}", e.code)).into_response(),
    }
}

async fn admin_units_post(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Form(f): Form<UnitForm>,
) -> Response {
    if !csrf_ok(&state, &user, &f.csrf) {
        return (
            axum::http::StatusCode::FORBIDDEN,
            "表单已过期，请刷新页面后重试。",
        )
            .into_response();
    }
    back_to(
        "/console/admin/units",
        unit_change(&state, &addr, &user.viewer, f).await,
    )
}

async fn unit_change(
    state: &AppState,
    addr: &ClientAddr,
    v: &Viewer,
    f: UnitForm,
) -> Result<(), ApiError> {
    use crate::admin::{UnitPatch, add_unit, audit_change, change_unit};
    let org = state.org().await?;
    let bad =
        |field: &'static str| move |e: hotline_domain::InvalidValue| ApiError::invalid(field, e.0);
    let nonempty = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let code = hotline_domain::UnitCode::parse(f.code.trim()).map_err(bad("code"))?;
    let parent = nonempty(&f.parent)
        .map(|p| hotline_domain::UnitCode::parse(&p))
        .transpose()
        .map_err(bad("parent"))?;
    if f.op == "create" {
        if !v.administers(&org, parent.as_ref()) {
            return Err(ApiError::forbidden("outside your administration"));
        }
        let record = hotline_store::UnitRecord {
            code,
            name: nonempty(&f.name).unwrap_or_default(),
            kind: hotline_domain::UnitKind::parse(f.kind.as_deref().unwrap_or(""))
                .map_err(bad("kind"))?,
            parent,
            region: hotline_domain::RegionCode::parse(f.region.as_deref().unwrap_or("").trim())
                .map_err(bad("region"))?,
            active: true,
        };
        let unit = add_unit(state, record).await?;
        let detail =
            serde_json::json!({"name": unit.name, "kind": unit.kind, "parent": unit.parent});
        return audit_change(
            state,
            v,
            addr,
            "unit.create",
            Some(format!("unit:{}", unit.code)),
            detail,
        )
        .await;
    }
    let patch = match f.op.as_str() {
        "deactivate" => UnitPatch {
            active: Some(false),
            ..Default::default()
        },
        "activate" => UnitPatch {
            active: Some(true),
            ..Default::default()
        },
        _ => UnitPatch {
            name: nonempty(&f.name),
            parent,
            active: None,
        },
    };
    let in_reach = v.administers(&org, Some(&code))
        && patch
            .parent
            .as_ref()
            .is_none_or(|p| v.administers(&org, Some(p)));
    if !in_reach {
        return Err(ApiError::forbidden("outside your administration"));
    }
    let detail =
        serde_json::json!({"name": patch.name, "parent": patch.parent, "active": patch.active});
    let record = crate::audit::by(
        v,
        addr,
        state,
        "unit.change",
        Some(format!("unit:{code}")),
        detail,
    );
    change_unit(state, &code, patch, record).await.map(|_| ())
}

struct UserLine {
    username: String,
    roles: String,
    unit: String,
    state: &'static str,
    active: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_users.html")]
struct AdminUsersPage {
    me: Option<Shell>,
    users: Vec<UserLine>,
    roles: Vec<(&'static str, &'static str)>,
    csrf: String,
    message: Option<String>,
    error: Option<String>,
}

async fn admin_users(
    State(state): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<AdminQuery>,
) -> Response {
    if !user.viewer.has(Role::Admin) {
        return not_admin();
    }
    let (org, all) = match (state.org().await, state.store().list_users().await) {
        (Ok(o), Ok(u)) => (o, u),
        (Err(e), _) => return page_error(e),
        (_, Err(e)) => return page_error(e.into()),
    };
    let users = all
        .iter()
        .filter(|u| user.viewer.administers(&org, u.unit.as_ref()))
        .map(|u| UserLine {
            username: u.username.clone(),
            roles: u
                .roles
                .iter()
                .map(|r| labels::role(r.as_str()))
                .collect::<Vec<_>>()
                .join("、"),
            unit: unit_name(&org, u.unit.as_ref().map(|c| c.as_str())),
            state: if u.active { "在用" } else { "已停用" },
            active: u.active,
        })
        .collect();
    let (message, error) = admin_messages(&q);
    AdminUsersPage {
        me: Some(shell(&state, &org, &user)),
        users,
        roles: hotline_domain::Role::ALL
            .iter()
            .map(|r| (r.as_str(), labels::role(r.as_str())))
            .collect(),
        csrf: csrf_token(&state, &user.token),
        message,
        error,
    }
    .into_response()
}

#[derive(Deserialize)]
struct UserForm {
    csrf: String,
    op: String,
    username: String,
    role: Option<String>,
    unit: Option<String>,
    password: Option<String>,
}

async fn admin_users_post(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Form(f): Form<UserForm>,
) -> Response {
    if !csrf_ok(&state, &user, &f.csrf) {
        return (
            axum::http::StatusCode::FORBIDDEN,
            "表单已过期，请刷新页面后重试。",
        )
            .into_response();
    }
    back_to(
        "/console/admin/users",
        account_change(&state, &addr, &user.viewer, f).await,
    )
}

async fn account_change(
    state: &AppState,
    addr: &ClientAddr,
    v: &Viewer,
    f: UserForm,
) -> Result<(), ApiError> {
    use crate::admin::{UserPatch, add_user, audit_change, change_user, set_password};
    if !v.has(Role::Admin) {
        return Err(ApiError::forbidden("administrators only"));
    }
    let org = state.org().await?;
    let object = Some(format!("user:{}", f.username.trim()));
    if f.op == "create" {
        let unit = f
            .unit
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(hotline_domain::UnitCode::parse)
            .transpose();
        let unit = unit.map_err(|e| ApiError::invalid("unit", e.0))?;
        if !v.administers(&org, unit.as_ref()) {
            return Err(ApiError::forbidden("outside your administration"));
        }
        let role = Role::parse(f.role.as_deref().unwrap_or(""))
            .map_err(|e| ApiError::invalid("role", e.0))?;
        let created = add_user(
            state,
            f.username.trim(),
            f.password.as_deref().unwrap_or(""),
            vec![role],
            unit,
        )
        .await?;
        let detail = serde_json::json!({"roles": created.roles, "unit": created.unit});
        return audit_change(state, v, addr, "user.create", object, detail).await;
    }
    let target = state.store().user_by_username(f.username.trim()).await?;
    if !target.is_some_and(|t| v.administers(&org, t.unit.as_ref())) {
        return Err(ApiError::not_found());
    }
    if f.op == "reset" {
        let record = crate::audit::by(
            v,
            addr,
            state,
            "user.password_reset",
            object,
            serde_json::json!({}),
        );
        return set_password(
            state,
            f.username.trim(),
            f.password.as_deref().unwrap_or(""),
            record,
        )
        .await;
    }
    let patch = UserPatch {
        active: Some(f.op == "enable"),
        ..Default::default()
    };
    let record = crate::audit::by(
        v,
        addr,
        state,
        "user.change",
        object,
        serde_json::json!({"active": patch.active}),
    );
    change_user(state, f.username.trim(), patch, record)
        .await
        .map(|_| ())
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_rules.html")]
struct AdminRulesPage {
    me: Option<Shell>,
    years: String,
    warnings: Vec<String>,
    limits: Vec<(&'static str, String)>,
    tops: Vec<(&'static str, &'static str)>,
    categories: Vec<(String, String, String)>,
    csrf: String,
    message: Option<String>,
    error: Option<String>,
}

/// Years as ranges: `2004–2026`.
fn year_ranges(years: &[i32]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < years.len() {
        let mut j = i;
        while j + 1 < years.len() && years[j + 1] == years[j] + 1 {
            j += 1;
        }
        out.push(if i == j {
            years[i].to_string()
        } else {
            format!("{}–{}", years[i], years[j])
        });
        i = j + 1;
    }
    if out.is_empty() {
        "无".into()
    } else {
        out.join("、")
    }
}

/// Calendar, rules and taxonomy belong to the whole installation.
fn installation_admin(v: &Viewer) -> bool {
    v.has(Role::Admin) && v.user.unit.is_none()
}

async fn admin_rules(
    State(state): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<AdminQuery>,
) -> Response {
    if !installation_admin(&user.viewer) {
        return not_admin();
    }
    let loaded = async {
        let org = state.org().await?;
        let (calendar, rules, taxonomy) = (
            state.calendar().await?,
            state.rules().await?,
            state.taxonomy().await?,
        );
        Ok::<_, ApiError>((org, calendar, rules, taxonomy))
    };
    let (org, calendar, rules, taxonomy) = match loaded.await {
        Ok(x) => x,
        Err(e) => return page_error(e),
    };
    let years = calendar.loaded_years();
    let warnings = crate::ops::calendar_warnings(&years, state.now())
        .iter()
        .map(|w| {
            let year = w.split_whitespace().find(|t| t.parse::<i32>().is_ok()).unwrap_or("");
            format!("尚未载入 {year} 年的法定节假日安排：涉及该年的时限暂按周一至周五计算并标记为日历不完整。")
        })
        .collect();
    let days = |d: Option<u32>| d.map_or("不设时限".to_owned(), |n| format!("{n} 个工作日"));
    let limits = vec![
        ("咨询", days(rules.limits.consultation)),
        ("求助", days(rules.limits.help)),
        ("投诉", days(rules.limits.complaint)),
        ("举报", days(rules.limits.report)),
        ("意见建议", days(rules.limits.suggestion)),
        ("表扬", days(rules.limits.praise)),
        (
            "紧急诉求",
            format!(
                "{} 小时内签收，{} 个工作日内办结",
                rules.urgent_accept_hours, rules.urgent_limit_days
            ),
        ),
        ("签收时限", days(Some(rules.accept_days))),
        ("退单时限", days(Some(rules.return_window_days))),
        ("延期次数上限", format!("{} 次", rules.max_extensions)),
    ];
    let (message, error) = admin_messages(&q);
    AdminRulesPage {
        me: Some(shell(&state, &org, &user)),
        years: year_ranges(&years),
        warnings,
        limits,
        tops: hotline_domain::DOMAIN_TOPS
            .iter()
            .map(|t| (*t, hotline_domain::taxonomy::top_name(t)))
            .collect(),
        categories: taxonomy
            .iter()
            .map(|c| (c.top_name.clone(), c.name.clone(), c.path.to_string()))
            .collect(),
        csrf: csrf_token(&state, &user.token),
        message,
        error,
    }
    .into_response()
}

#[derive(Deserialize)]
struct RulesForm {
    csrf: String,
    op: String,
    json: Option<String>,
    top: Option<String>,
    sub: Option<String>,
    name: Option<String>,
}

async fn admin_rules_post(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Form(f): Form<RulesForm>,
) -> Response {
    if !csrf_ok(&state, &user, &f.csrf) {
        return (
            axum::http::StatusCode::FORBIDDEN,
            "表单已过期，请刷新页面后重试。",
        )
            .into_response();
    }
    back_to(
        "/console/admin/rules",
        rules_change(&state, &addr, &user.viewer, f).await,
    )
}

async fn rules_change(
    state: &AppState,
    addr: &ClientAddr,
    v: &Viewer,
    f: RulesForm,
) -> Result<(), ApiError> {
    use crate::admin::audit_change;
    if !installation_admin(v) {
        return Err(ApiError::forbidden("installation administrators only"));
    }
    if f.op == "calendar" {
        let year: hotline_domain::YearArrangement =
            parse_json(f.json.unwrap_or_default().as_bytes())?;
        let y = crate::admin::load_year(state, year).await?;
        let detail =
            serde_json::json!({"holidays": y.holidays.len(), "workdays": y.workdays.len()});
        return audit_change(
            state,
            v,
            addr,
            "calendar.load",
            Some(format!("calendar:{}", y.year)),
            detail,
        )
        .await;
    }
    let path = format!(
        "{}/{}",
        f.top.unwrap_or_default(),
        f.sub.unwrap_or_default().trim()
    );
    let path =
        hotline_domain::DomainPath::parse(&path).map_err(|e| ApiError::invalid("path", e.0))?;
    let name = f.name.unwrap_or_default().trim().to_owned();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(ApiError::invalid("name", "must be 1–50 characters"));
    }
    let cat = hotline_domain::taxonomy::DomainCategory {
        top_name: hotline_domain::taxonomy::top_name(path.top()).to_owned(),
        path,
        name,
    };
    state.store().put_domain_category(cat.clone()).await?;
    state.invalidate_caches();
    audit_change(
        state,
        v,
        addr,
        "taxonomy.add",
        Some(format!("domain:{}", cat.path)),
        serde_json::json!({"name": cat.name}),
    )
    .await
}
