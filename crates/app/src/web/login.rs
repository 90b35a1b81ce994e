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
    }
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
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
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("hotline_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    resp
}
