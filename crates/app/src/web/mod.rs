//! The web console: server-rendered pages in Simplified Chinese, no script needed.
//!
//! Pages call the same use-case functions as the API (`orders::list_for`,
//! `orders::perform`, `auth::authenticate`), so every permission, mask and audit
//! record is the same. The session is the API's, carried in an `HttpOnly`,
//! `SameSite=Strict` cookie; every form that changes something carries a CSRF token
//! derived from the session.

mod account;
mod admin;
mod intake;
mod kb;
mod labels;
mod line;
mod login;
mod notifications;
mod orders;
mod places;
mod portal;
mod reports;
mod two_factor;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use hmac::{Hmac, Mac};
use hotline_domain::{Capability, Context, Role, Timestamp, available_actions, shanghai};
use serde::Deserialize;
use sha2::Sha256;

use crate::AppState;
use crate::access::{Org, Viewer};
use crate::audit::{ClientAddr, Principal};
use crate::auth::{
    SecondFactor, SessionAccess, authenticate, end_session, session_access, session_viewer,
    token_hash,
};
use crate::error::ApiError;
use crate::extract::parse_json;
use crate::orders::views::OrderView;
use crate::orders::{
    CreateOrderRequest, ListParams, create_for, history_for, list_for, perform, same_address_for,
    view_for, visible_order,
};

const COOKIE: &str = "hotline_session";

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to(HOME) }))
        .route(HOME, get(home))
        .route(
            "/static/console.css",
            static_file(CSS, include_str!("../../../../static/console.css")),
        )
        .route(
            "/static/print.css",
            static_file(CSS, include_str!("../../../../static/print.css")),
        )
        .merge(login::router())
        .merge(notifications::router())
        .merge(account::router())
        .merge(intake::router())
        .merge(kb::router())
        .merge(places::router())
        .merge(orders::router())
        .merge(admin::router())
        .merge(portal::router())
        .merge(reports::router())
        .merge(two_factor::router())
        .merge(line::router())
        .route("/console/{*rest}", get(unknown_page))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            login::keep_draft,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error_pages,
        ))
}

/// Where the console sends someone who asked for no page in particular.
const HOME: &str = "/console/home";

async fn home(State(state): State<AppState>, user: ConsoleUser) -> Response {
    match state.org().await {
        Ok(org) => Redirect::to(first_screen(&org, &user.viewer)).into_response(),
        Err(e) => page_error(e),
    }
}

/// Where a role starts its shift: operators at intake, dispatchers at the orders
/// waiting for dispatch, a unit's staff at their orders, supervisors and inspectors
/// at the supervision list, editors at the knowledge base, administrators at their
/// units. Someone with several roles starts where the first of these says.
fn first_screen(org: &Org, v: &Viewer) -> &'static str {
    let sees_orders = v.scope(org).is_some();
    let calls = v.has(Role::Operator) || v.has(Role::VendorOperator);
    if calls && intake::may_take_calls(org, v) {
        "/console/intake"
    } else if v.has(Role::Dispatcher) && sees_orders {
        "/console/orders?status=registered"
    } else if v.has(Role::Handler) && sees_orders {
        "/console/orders"
    } else if v.grants(Capability::ReadReports) && sees_orders {
        "/console/supervision"
    } else if v.has(Role::KnowledgeEditor) {
        "/console/kb"
    } else if v.grants(Capability::Administer) {
        "/console/admin/units"
    } else if sees_orders {
        "/console/orders"
    } else {
        "/console/kb"
    }
}

const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// A route serving a file built into the binary (`static/`).
fn static_file(mime: &'static str, body: &'static str) -> axum::routing::MethodRouter<AppState> {
    get(move || async move { ([(header::CONTENT_TYPE, mime)], body) })
}

/// The logged-in person at the console; anyone else is sent to the login page, and a
/// session limited to enrolling a second factor to the page that does it.
pub struct ConsoleUser {
    viewer: Viewer,
    token: String,
    access: SessionAccess,
    /// Unread notifications, read for the pages (GET) of someone whose unit gets
    /// them; the navigation shows the count.
    unread: Option<u64>,
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
        let user = EnrollingConsoleUser::from_request_parts(parts, state)
            .await?
            .0;
        match user.access {
            SessionAccess::Full => {
                let mut user = user;
                if parts.method == axum::http::Method::GET {
                    user.unread = unread_of(state, &user.viewer).await;
                }
                Ok(user)
            }
            SessionAccess::EnrolmentOnly => Err(Redirect::to(two_factor::PAGE)),
        }
    }
}

/// The console user of the pages a session limited to enrolment may see.
pub struct EnrollingConsoleUser(ConsoleUser);

impl FromRequestParts<AppState> for EnrollingConsoleUser {
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
        match session_access(state, &token).await {
            Ok((viewer, access)) if viewer.key_actions.is_none() => {
                Ok(EnrollingConsoleUser(ConsoleUser {
                    viewer,
                    token,
                    access,
                    unread: None,
                }))
            }
            _ => Err(back()),
        }
    }
}

/// The unread count the navigation shows, for someone whose unit gets notifications
/// (a failed count shows no badge rather than failing the page).
async fn unread_of(state: &AppState, viewer: &Viewer) -> Option<u64> {
    let unit = crate::notifications::unit_of(state, viewer).await.ok()??;
    let username = &viewer.user.username;
    let cap = crate::notifications::CAP;
    state
        .store()
        .unread_notifications(&unit, username, cap)
        .await
        .ok()
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

/// The answer to a form whose CSRF token is not the session's (a stale page, or a
/// request forged elsewhere).
fn stale_form() -> Response {
    refused("表单已过期，请刷新页面后重试。")
}

/// What the page header shows: who is logged in, and the screens of their roles.
pub struct Shell {
    username: String,
    roles: String,
    unit: String,
    nav: Vec<(&'static str, &'static str)>,
    csrf: String,
    /// Unread notifications, for someone whose unit gets them: the navigation links
    /// their list with the count, and the page listens for more.
    notifications: Option<u64>,
}

fn shell(state: &AppState, org: &Org, user: &ConsoleUser) -> Shell {
    let v = &user.viewer;
    let mut nav = Vec::new();
    if intake::may_take_calls(org, v) {
        nav.push(("/console/intake", "受理"));
    }
    if v.scope(org).is_some() {
        nav.push(("/console/orders", "工单"));
    }
    nav.push(("/console/kb", "知识库"));
    if v.grants(Capability::ReadReports) && v.scope(org).is_some() {
        nav.push(("/console/supervision", "督办"));
    }
    if v.grants(Capability::ReadReports) {
        nav.push(("/console/reports/period", "统计报表"));
        nav.push(("/console/reports/units", "单位考核"));
        if v.staff_hotline(org).is_some() || v.is_installation_admin() {
            nav.push(("/console/reports/hotlines", "热线考核"));
        }
    }
    if v.grants(Capability::ReadReports) && v.scope(org).is_some() {
        nav.push(("/console/reports/hotspots", "热点预警"));
    }
    if v.grants(Capability::ReadSummons) {
        nav.push(("/console/reports/summons", "约谈"));
    }
    if v.grants(Capability::OverseeLine) {
        nav.push(("/console/line", "条线监管"));
    }
    if v.grants(Capability::Administer) {
        nav.push(("/console/admin/units", "单位"));
        nav.push(("/console/admin/users", "账号"));
        if v.user.unit.is_none() {
            nav.push(("/console/admin/rules", "日历与分类"));
        }
    }
    nav.push(("/console/me", "我的账号"));
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
        notifications: user.unread,
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

/// A console table as a download (`format` `xlsx`, else CSV), audited as `action`
/// with what it covered: an export takes data out of the platform.
async fn download(
    state: &AppState,
    user: &ConsoleUser,
    addr: &ClientAddr,
    action: &str,
    table: &crate::spreadsheet::Table,
    format: &str,
    file_stem: &str,
) -> Response {
    let (written, mime, ext) = if format == "xlsx" {
        (
            table.xlsx(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        )
    } else {
        (table.csv(), "text/csv; charset=utf-8", "csv")
    };
    let bytes = match written {
        Ok(b) => b,
        Err(e) => return page_error(ApiError::internal(e)),
    };
    let detail = serde_json::json!({"rows": table.rows.len(), "covers": table.note, "format": ext});
    let record = crate::audit::by(&user.viewer, addr, state, action, None, detail);
    if let Err(e) = state.store().append_audit(record).await {
        return page_error(e.into());
    }
    // The stem is ASCII the server made (dates, codes); the title goes in the file.
    let stem: String = file_stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{stem}.{ext}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// Errors at the console: a page for missing orders, a message otherwise.
fn page_error(e: ApiError) -> Response {
    refusal(e.status, labels::error(e.code))
}

/// A page refused to this user (403), shown with the console's navigation.
fn refused(message: &str) -> Response {
    refusal(axum::http::StatusCode::FORBIDDEN, message)
}

/// A console page's refusal or failure: [`error_pages`] renders it as a page of the
/// console, with its navigation where the visitor is signed in.
#[derive(Clone)]
struct PageError {
    status: axum::http::StatusCode,
    message: String,
}

fn refusal(status: axum::http::StatusCode, message: &str) -> Response {
    let mut response = status.into_response();
    response.extensions_mut().insert(PageError {
        status,
        message: message.to_owned(),
    });
    response
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    me: Option<Shell>,
    title: &'static str,
    message: String,
}

/// Renders every [`PageError`] a console handler answered as a page with the
/// signed-in user's navigation (403, 404 and the rest alike).
async fn error_pages(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let token = session_cookie(request.headers());
    let response = next.run(request).await;
    let Some(error) = response.extensions().get::<PageError>().cloned() else {
        return response;
    };
    let me = match token {
        Some(token) => shell_of_session(&state, token).await,
        None => None,
    };
    let title = match error.status {
        axum::http::StatusCode::FORBIDDEN => "无权访问",
        axum::http::StatusCode::NOT_FOUND => "页面不存在",
        _ => "未能完成",
    };
    let page = ErrorPage {
        me,
        title,
        message: error.message,
    };
    (error.status, page).into_response()
}

async fn shell_of_session(state: &AppState, token: String) -> Option<Shell> {
    let (viewer, access) = session_access(state, &token).await.ok()?;
    let org = state.org().await.ok()?;
    let unread = unread_of(state, &viewer).await;
    let user = ConsoleUser {
        viewer,
        token,
        access,
        unread,
    };
    Some(shell(state, &org, &user))
}

async fn unknown_page() -> Response {
    refusal(axum::http::StatusCode::NOT_FOUND, "没有这个页面。")
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

/// A select option whose value is not known at compile time.
struct DynChoice {
    value: String,
    label: String,
    selected: bool,
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
        "unit" => "承办单位",
        "co_units" => "协办单位",
        "note" => "说明",
        "reason" => "理由",
        "days" => "延期工作日数",
        "into" => "并入的工单编号",
        "result" => "回访结果",
        "route" => "处置方式",
        "orders" => "勾选的工单（每次 1 至 100 件，不重复）",
        "action" => "批量操作",
        "period" => "抽查月份（本月或以前的月份，每月至多抽取 5 次）",
        "rule" => "每单位抽取数量（1 至 100 件或 1% 至 100%，每次至多 500 件）",
        "finding" => "检查意见（结论为存在问题时必填）",
        "verdict" => "检查结论",
        "order_id" => "抽查工单（须仍在本条线单位办理）",
        "deadline" => "下级单位办理期限（今天至本单位办理时限之间）",
        "source.date" => "发布或施行日期（政策解读必填）",
        "material" => "资料类型（单位可报送答复口径或政策解读）",
        "street" => "乡镇/街道代码（须属于所填或原有行政区划）",
        "correction" => "更正内容（至少改变一项）",
        "planned_date" => "预计办结日期",
        _ => "填写内容",
    }
}

/// A form field read as a typed value; one it cannot be is refused naming the field,
/// as reading the API's JSON refuses it (forms reach the use cases typed, not as JSON).
fn field<T, E: std::fmt::Display>(
    name: &str,
    value: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, ApiError> {
    parse(value).map_err(|e| ApiError::invalid(name, e.to_string()))
}

/// A field left blank is absent.
fn blank_to_none(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// An optional typed field: blank is absent, anything else must parse.
/// The enterprise a form names (企业名称 and 统一社会信用代码), or none when both are blank.
fn enterprise_of(name: &str, code: &str) -> Result<Option<hotline_domain::Enterprise>, ApiError> {
    let (name, code) = (name.trim(), code.trim());
    if name.is_empty() && code.is_empty() {
        return Ok(None);
    }
    if name.is_empty() {
        return Err(ApiError::invalid(
            "requester.enterprise.name",
            "must not be empty",
        ));
    }
    let credit_code = field(
        "requester.enterprise.credit_code",
        code,
        hotline_domain::CreditCode::parse,
    )?;
    Ok(Some(hotline_domain::Enterprise {
        name: name.to_owned(),
        credit_code,
    }))
}

fn opt_field<T, E: std::fmt::Display>(
    name: &str,
    value: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<Option<T>, ApiError> {
    blank_to_none(value)
        .map(|v| field(name, &v, parse))
        .transpose()
}

fn form_error(e: &ApiError) -> String {
    if e.code == "sensitive_words" {
        let words = e
            .fields
            .as_ref()
            .and_then(|f| f.values().next())
            .and_then(|m| m.split_once(": "))
            .map_or("", |(_, w)| w);
        return format!(
            "内容含有敏感词：{words}。请修改后再发送；如确需使用，请勾选“已核对敏感词，仍然发送”。"
        );
    }
    match e.fields.as_ref().and_then(|f| f.keys().next()) {
        Some(field) => format!("「{}」填写有误，请检查后重试。", field_label(field)),
        None => labels::error(e.code).to_owned(),
    }
}

const ROUTES: &[(&str, &str)] = &[
    ("lawful_channel", "告知依法通过诉讼、仲裁、信访等渠道解决"),
    ("explain", "解释说明并办结"),
    ("emergency_110", "转110"),
    ("emergency_119", "转119"),
    ("emergency_120", "转120"),
    ("emergency_122", "转122"),
    ("police_referral", "恶意骚扰线索移交公安"),
    ("discipline_referral", "线索推送纪检监察机关"),
];

/// The triage routes this viewer may take: a vendor's operators only those the
/// domain opens to vendors.
fn triage_routes(v: &Viewer) -> Vec<(&'static str, &'static str)> {
    let vendor_only =
        v.has(Role::VendorOperator) && !v.has(Role::Operator) && !v.has(Role::Dispatcher);
    ROUTES
        .iter()
        .filter(|(r, _)| {
            !vendor_only || hotline_domain::TriageRoute::parse(r).is_ok_and(|t| t.open_to_vendors())
        })
        .copied()
        .collect()
}
