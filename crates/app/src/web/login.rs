//! Logging in and out of the console.

use super::*;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
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
        .unwrap_or("/console/orders")
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
    match authenticate(&state, &addr, &f.username, &f.password).await {
        Ok((token, _, _)) => {
            let max_age = state.config().session_hours * 3600;
            let cookie = set_session_cookie(&state, &token, max_age);
            let mut resp = if f.draft.is_empty() {
                Redirect::to(&next).into_response()
            } else {
                restore_draft(&state, token.clone(), &next, &f.draft).await
            };
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
    user: ConsoleUser,
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
        && session_viewer(&state, &token).await.is_ok()
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
    let user = ConsoleUser { viewer, token };
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
