//! "My account": a person changes their password and ends their other sessions.

use super::*;
use crate::auth::account::{change_own_password, end_own_session, own_sessions};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/console/me", get(me_page))
        .route("/console/me/password", post(password_post))
        .route("/console/me/sessions/end", post(end_session_post))
        .route("/console/me/phrases", post(phrases_post))
}

pub(super) struct SessionLine {
    id: String,
    created_at: String,
    last_seen: String,
    address: String,
    current: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "me.html")]
pub(super) struct MePage {
    me: Option<Shell>,
    sessions: Vec<SessionLine>,
    /// The common phrases, one a line.
    phrases: String,
    csrf: String,
    message: Option<&'static str>,
    error: Option<&'static str>,
    two_factor_enrolled: bool,
}

#[derive(Deserialize)]
pub(super) struct Outcome {
    done: Option<String>,
    error: Option<String>,
}

fn done_message(done: &str) -> &'static str {
    match done {
        "password" => "密码已修改，您在其他地方的登录已全部结束。",
        "phrases" => "常用语已保存。",
        _ => "会话已结束。",
    }
}

/// What went wrong, said for the person at the console: which password, or why not.
fn error_key(e: &ApiError) -> String {
    match e.fields.as_ref().and_then(|f| f.keys().next()) {
        Some(field) => field.clone(),
        None => e.code.to_owned(),
    }
}

fn error_message(key: &str) -> &'static str {
    match key {
        "current" => "当前密码不正确。",
        "new" => "新密码不符合密码策略，请换一个更不易猜到的密码。",
        "account_locked" | "rate_limited" => "密码错误次数过多，请稍后再试。",
        "not_found" => "该会话不存在或已结束。",
        k if k.starts_with("items") => "常用语最多 50 条，每条不超过 200 字。",
        other => labels::error(other),
    }
}

pub(super) async fn me_page(
    State(state): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<Outcome>,
) -> Response {
    let (org, sessions, two_factor) = match (
        state.org().await,
        own_sessions(&state, &user.viewer, &user.token).await,
        crate::auth::two_factor::status(&state, &user.viewer).await,
    ) {
        (Ok(o), Ok(s), Ok(t)) => (o, s, t),
        (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => return page_error(e),
    };
    let sessions = sessions
        .into_iter()
        .map(|s| SessionLine {
            id: s.id,
            created_at: when(&s.created_at),
            last_seen: when(&s.last_seen),
            address: text(&s.address),
            current: s.current,
        })
        .collect();
    let phrases = match crate::auth::phrases::phrases_of(&state, &user.viewer).await {
        Ok(p) => p.items.join("\n"),
        Err(e) => return page_error(e),
    };
    MePage {
        me: Some(shell(&state, &org, &user)),
        sessions,
        phrases,
        csrf: csrf_token(&state, &user.token),
        message: q.done.as_deref().map(done_message),
        error: q.error.as_deref().map(error_message),
        two_factor_enrolled: two_factor.enrolled,
    }
    .into_response()
}

fn back(outcome: Result<(), ApiError>, done: &str) -> Response {
    match outcome {
        Ok(()) => Redirect::to(&format!("/console/me?done={done}")).into_response(),
        Err(e) => Redirect::to(&format!("/console/me?error={}", error_key(&e))).into_response(),
    }
}

#[derive(Deserialize)]
pub(super) struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
}

pub(super) async fn password_post(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Form(f): Form<PasswordForm>,
) -> Response {
    if !csrf_ok(&state, &user, &f.csrf) {
        return stale_form();
    }
    let outcome =
        change_own_password(&state, &user.viewer, &addr, &user.token, &f.current, &f.new).await;
    back(outcome, "password")
}

#[derive(Deserialize)]
pub(super) struct EndForm {
    csrf: String,
    id: String,
}

pub(super) async fn end_session_post(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Form(f): Form<EndForm>,
) -> Response {
    if !csrf_ok(&state, &user, &f.csrf) {
        return stale_form();
    }
    back(
        end_own_session(&state, &user.viewer, &addr, &f.id).await,
        "session",
    )
}

#[derive(Deserialize)]
pub(super) struct PhrasesForm {
    csrf: String,
    #[serde(default)]
    phrases: String,
}

pub(super) async fn phrases_post(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Form(f): Form<PhrasesForm>,
) -> Response {
    if !csrf_ok(&state, &user, &f.csrf) {
        return stale_form();
    }
    let items = f.phrases.lines().map(str::to_owned).collect();
    let outcome = crate::auth::phrases::set_phrases(&state, &user.viewer, &addr, items)
        .await
        .map(drop);
    back(outcome, "phrases")
}
