//! Logging in and out of the console.

use super::*;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/login/code", post(code_submit))
        .route("/logout", post(logout))
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub(super) struct LoginPage {
    me: Option<Shell>,
    error: Option<&'static str>,
    next: String,
    username: String,
    demo: bool,
    /// A form sent after the session ended, carried through the login untouched
    /// (as its url-encoded body) so that nothing typed is lost.
    draft: String,
}

#[derive(Deserialize)]
pub(super) struct LoginQuery {
    next: Option<String>,
}

/// Only our own console pages are places to return to after login.
pub(super) fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| n.starts_with("/console/") && !n.contains("//"))
        .unwrap_or(super::HOME)
        .to_owned()
}

pub(super) async fn login_page(
    State(state): State<AppState>,
    Query(q): Query<LoginQuery>,
) -> LoginPage {
    LoginPage {
        me: None,
        error: None,
        next: safe_next(q.next.as_deref()),
        username: String::new(),
        demo: state.config().demo,
        draft: String::new(),
    }
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
    #[serde(default)]
    draft: String,
}

pub(super) async fn login_submit(
    State(state): State<AppState>,
    addr: ClientAddr,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = safe_next(f.next.as_deref());
    match authenticate(&state, &addr, &f.username, &f.password, &SecondFactor::None).await {
        Ok((token, _, _)) => signed_in(&state, token, &next, &f.draft).await,
        Err(e) if e.code == "second_factor_required" => {
            code_page(&state, &f.username, None, next, f.draft, e.status).await
        }
        Err(e) => {
            let page = LoginPage {
                me: None,
                error: Some(login_error(e.code)),
                next,
                username: f.username,
                demo: state.config().demo,
                draft: f.draft,
            };
            (e.status, page).into_response()
        }
    }
}

fn login_error(code: &str) -> &'static str {
    match code {
        "account_locked" => "登录失败次数过多，该账号已暂时锁定，请稍后再试。",
        "rate_limited" => "登录尝试过于频繁，请稍后再试。",
        "invalid_credentials" => "用户名或密码错误。",
        "invalid_second_factor" => "验证码或恢复码不正确，或已使用过。",
        "sign_in_expired" => "验证已超时，请重新登录。",
        "validation" => "请输入 6 位验证码或 10 位恢复码。",
        other => labels::error(other),
    }
}

/// Sets the session cookie and goes on: to the page asked for, or the form kept.
async fn signed_in(state: &AppState, token: String, next: &str, draft: &str) -> Response {
    let max_age = state.config().session_hours * 3600;
    let cookie = set_session_cookie(state, &token, max_age);
    let mut resp = if draft.is_empty() {
        Redirect::to(next).into_response()
    } else {
        restore_draft(state, token.clone(), next, draft).await
    };
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

/// How long the code page waits for its code after the password.
const CODE_PAGE_SECS: i64 = 300;

/// The code page's proof that the password was checked: a keyed hash of the account,
/// its password hash (a changed password voids it) and an end time, so it needs no
/// storage and cannot be made without the server's key.
fn password_checked(state: &AppState, user: &hotline_store::UserRecord, until: i64) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&state.config().phone_hash_key).expect("any key length");
    mac.update(b"password-checked:");
    mac.update(user.username.as_bytes());
    mac.update(b":");
    mac.update(user.password_hash.as_bytes());
    mac.update(b":");
    mac.update(until.to_string().as_bytes());
    format!("{until}.{}", hex::encode(mac.finalize().into_bytes()))
}

fn password_still_checked(state: &AppState, user: &hotline_store::UserRecord, given: &str) -> bool {
    let Some(until) = given
        .split_once('.')
        .and_then(|(u, _)| u.parse::<i64>().ok())
    else {
        return false;
    };
    let expected = password_checked(state, user, until);
    until > state.now().timestamp()
        && expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |a, (x, y)| a | (x ^ y))
            == 0
}

#[derive(Template, WebTemplate)]
#[template(path = "login_code.html")]
pub(super) struct CodePage {
    me: Option<Shell>,
    error: Option<&'static str>,
    username: String,
    pending: String,
    next: String,
    draft: String,
    demo_code: Option<String>,
}

/// The second step of a console sign-in: the password was right, the code is asked.
async fn code_page(
    state: &AppState,
    username: &str,
    error: Option<&'static str>,
    next: String,
    draft: String,
    status: axum::http::StatusCode,
) -> Response {
    let user = match state.store().user_by_username(username).await {
        Ok(Some(u)) => u,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return page_error(e.into()),
    };
    let until = state.now().timestamp() + CODE_PAGE_SECS;
    let demo_code = crate::auth::two_factor::demo_code(state, &user)
        .await
        .ok()
        .flatten();
    let page = CodePage {
        me: None,
        error,
        username: user.username.clone(),
        pending: password_checked(state, &user, until),
        next,
        draft,
        demo_code,
    };
    (status, page).into_response()
}

#[derive(Deserialize)]
pub(super) struct CodeForm {
    username: String,
    pending: String,
    code: String,
    next: Option<String>,
    #[serde(default)]
    draft: String,
}

pub(super) async fn code_submit(
    State(state): State<AppState>,
    addr: ClientAddr,
    Form(f): Form<CodeForm>,
) -> Response {
    let next = safe_next(f.next.as_deref());
    // The page's proof of the password comes first: nothing else is looked at (or
    // a new page issued) without it.
    let user = state.store().user_by_username(&f.username).await;
    if !matches!(&user, Ok(Some(u)) if password_still_checked(&state, u, &f.pending)) {
        let page = LoginPage {
            me: None,
            error: Some(login_error("sign_in_expired")),
            next,
            username: f.username,
            demo: state.config().demo,
            draft: f.draft,
        };
        return (axum::http::StatusCode::UNAUTHORIZED, page).into_response();
    }
    let outcome = match SecondFactor::typed(&f.code) {
        Ok(second) => {
            let pending = f.pending.clone();
            let still = |u: &hotline_store::UserRecord| password_still_checked(&state, u, &pending);
            crate::auth::authenticate_second_step(&state, &addr, &f.username, still, &second).await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok((token, _, _)) => signed_in(&state, token, &next, &f.draft).await,
        Err(e) if matches!(e.code, "invalid_second_factor" | "validation") => {
            let error = Some(login_error(e.code));
            code_page(&state, &f.username, error, next, f.draft, e.status).await
        }
        Err(e) => {
            let page = LoginPage {
                me: None,
                error: Some(login_error(e.code)),
                next,
                username: f.username,
                demo: state.config().demo,
                draft: f.draft,
            };
            (e.status, page).into_response()
        }
    }
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    csrf: String,
}

pub(super) async fn logout(
    State(state): State<AppState>,
    addr: ClientAddr,
    EnrollingConsoleUser(user): EnrollingConsoleUser,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !csrf_ok(&state, &user, &f.csrf) {
        return stale_form();
    }
    let _ = end_session(&state, &user.viewer, &addr, &user.token).await;
    let mut resp = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&set_session_cookie(&state, "", 0)) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

/// The `Set-Cookie` value of the session cookie: `Secure` when the installation is served over HTTPS, so the
/// browser never sends it over plain HTTP.
fn set_session_cookie(state: &AppState, token: &str, max_age: i64) -> String {
    let secure = if state.config().https { "; Secure" } else { "" };
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// Console forms sent without a live session: instead of losing what was typed behind
/// a redirect, the login page is shown with the form carried along (its CSRF token
/// dropped, as it belonged to the old session). After login the form is shown again,
/// filled in, for the user to check and send; nothing is acted on unseen.
pub(super) async fn keep_draft(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path().to_owned();
    if req.method() != axum::http::Method::POST || !path.starts_with("/console/") {
        return next.run(req).await;
    }
    if let Some(token) = session_cookie(req.headers())
        && session_access(&state, &token).await.is_ok()
    {
        return next.run(req).await;
    }
    let limit = state.config().body_limit;
    let body = axum::body::to_bytes(req.into_body(), limit)
        .await
        .unwrap_or_default();
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let kept: Vec<(String, String)> = fields.into_iter().filter(|(k, _)| k != "csrf").collect();
    let page = LoginPage {
        me: None,
        error: Some("登录已超时，请重新登录。您填写的内容已保留，登录后将重新显示。"),
        next: safe_next(Some(path.trim_end_matches("/act"))),
        username: String::new(),
        demo: state.config().demo,
        draft: serde_urlencoded::to_string(&kept).unwrap_or_default(),
    };
    (axum::http::StatusCode::UNAUTHORIZED, page).into_response()
}

/// The page the draft came from, filled in with it again.
async fn restore_draft(state: &AppState, token: String, next: &str, draft: &str) -> Response {
    let Ok(viewer) = session_viewer(state, &token).await else {
        return Redirect::to(next).into_response();
    };
    let user = ConsoleUser {
        viewer,
        token,
        access: SessionAccess::Full,
        unread: None,
    };
    if next == "/console/intake" {
        let form: intake::IntakeForm = serde_urlencoded::from_str(draft).unwrap_or_default();
        let notice = "已恢复登录前填写的内容，请核对后重新提交。".to_owned();
        return match intake::intake_view(state, &user, form, Some(notice), false).await {
            Ok(page) => page.into_response(),
            Err(e) => page_error(e),
        };
    }
    if let Some(id) = next.strip_prefix("/console/orders/") {
        let fields: Vec<(String, String)> = serde_urlencoded::from_str(draft).unwrap_or_default();
        let typed: Vec<String> = fields
            .into_iter()
            .filter(|(k, v)| {
                matches!(k.as_str(), "note" | "content" | "reason") && !v.trim().is_empty()
            })
            .map(|(_, v)| v)
            .collect();
        let message = (!typed.is_empty()).then(|| {
            format!(
                "登录前填写的内容尚未提交：「{}」，请核对后重新操作。",
                typed.join("」「")
            )
        });
        return orders::render_order(state, &user, id, message, None, false).await;
    }
    Redirect::to(next).into_response()
}
