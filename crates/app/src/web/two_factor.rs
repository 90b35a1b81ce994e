//! "Two-factor sign-in" under "my account": enrolling with a QR code, new recovery
//! codes, disabling; and, for an administrator, resetting another account's. These
//! pages are all a session limited to enrolment may see.

use super::*;
use crate::auth::two_factor::{
    Offer, confirm, disable_own, offer, pending_offer, qr_svg, renew_recovery_codes, reset_for,
    status,
};

/// The page a session limited to enrolment is sent to.
pub(super) const PAGE: &str = "/console/me/two-factor";

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(page))
        .route("/console/me/two-factor/start", post(start_post))
        .route("/console/me/two-factor/confirm", post(confirm_post))
        .route(
            "/console/me/two-factor/recovery-codes",
            post(recovery_codes_post),
        )
        .route("/console/me/two-factor/disable", post(disable_post))
        .route(
            "/console/admin/users/{username}/two-factor/reset",
            post(reset_post),
        )
}

#[derive(Template, WebTemplate)]
#[template(path = "two_factor.html")]
pub(super) struct TwoFactorPage {
    me: Option<Shell>,
    csrf: String,
    message: Option<&'static str>,
    error: Option<&'static str>,
    /// The session may do nothing else until this is done.
    limited: bool,
    enrolled: bool,
    required: bool,
    enrolled_at: String,
    recovery_codes_left: i64,
    offer: Option<Offer>,
    qr_svg: String,
    demo_code: Option<String>,
    /// Just made: shown this once.
    recovery_codes: Option<Vec<String>>,
}

#[derive(Deserialize)]
pub(super) struct Outcome {
    done: Option<String>,
    error: Option<String>,
}

fn done_message(done: &str) -> &'static str {
    match done {
        "disabled" => "两步验证已停用。",
        _ => "已生成密钥，请用身份验证器扫描二维码。",
    }
}

fn error_message(key: &str) -> &'static str {
    match key {
        "otp" => "验证码不正确或已使用过，请输入应用中当前显示的 6 位验证码。",
        "recovery_code" => "恢复码不正确或已使用过。",
        "account_locked" | "rate_limited" => "验证码错误次数过多，请稍后再试。",
        "two_factor_enrolled" => "两步验证已启用。",
        "two_factor_not_enrolled" => "两步验证尚未启用。",
        "no_enrolment_pending" => "请先点击“开始设置”生成密钥。",
        other => labels::error(other),
    }
}

fn error_key(e: &ApiError) -> String {
    match e.fields.as_ref().and_then(|f| f.keys().next()) {
        Some(field) => field.clone(),
        None => e.code.to_owned(),
    }
}

/// What the header shows a session limited to enrolment: this page only.
fn limited_shell(state: &AppState, org: &Org, user: &ConsoleUser) -> Shell {
    let mut s = shell(state, org, user);
    s.nav = vec![(PAGE, "两步验证")];
    s
}

async fn render(
    state: &AppState,
    user: &ConsoleUser,
    message: Option<&'static str>,
    error: Option<&'static str>,
    recovery_codes: Option<Vec<String>>,
) -> Response {
    let limited = user.access == SessionAccess::EnrolmentOnly;
    let loaded = (
        state.org().await,
        status(state, &user.viewer).await,
        pending_offer(state, &user.viewer).await,
        crate::auth::two_factor::demo_code(state, &user.viewer.user).await,
    );
    let (org, st, offer, demo_code) = match loaded {
        (Ok(o), Ok(s), Ok(p), Ok(d)) => (o, s, p, d),
        (Err(e), ..) | (_, Err(e), ..) | (.., Err(e), _) | (.., Err(e)) => return page_error(e),
    };
    let me = if limited {
        limited_shell(state, &org, user)
    } else {
        shell(state, &org, user)
    };
    TwoFactorPage {
        me: Some(me),
        csrf: csrf_token(state, &user.token),
        message,
        error,
        limited: limited && recovery_codes.is_none(),
        enrolled: st.enrolled,
        required: st.required,
        enrolled_at: opt_when(&st.enrolled_at),
        recovery_codes_left: st.recovery_codes_left,
        qr_svg: offer
            .as_ref()
            .map(|o| qr_svg(&o.otpauth_uri))
            .unwrap_or_default(),
        offer,
        demo_code: demo_code.filter(|_| !st.enrolled),
        recovery_codes,
    }
    .into_response()
}

pub(super) async fn page(
    State(state): State<AppState>,
    EnrollingConsoleUser(user): EnrollingConsoleUser,
    Query(q): Query<Outcome>,
) -> Response {
    let message = q.done.as_deref().map(done_message);
    let error = q.error.as_deref().map(error_message);
    render(&state, &user, message, error, None).await
}

fn back(outcome: Result<(), ApiError>, done: &str) -> Response {
    match outcome {
        Ok(()) => Redirect::to(&format!("{PAGE}?done={done}")).into_response(),
        Err(e) => Redirect::to(&format!("{PAGE}?error={}", error_key(&e))).into_response(),
    }
}

#[derive(Deserialize)]
pub(super) struct CsrfOnly {
    csrf: String,
}

pub(super) async fn start_post(
    State(state): State<AppState>,
    addr: ClientAddr,
    EnrollingConsoleUser(user): EnrollingConsoleUser,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if !csrf_ok(&state, &user, &f.csrf) {
        return stale_form();
    }
    back(
        offer(&state, &user.viewer, &addr).await.map(drop),
        "offered",
    )
}

#[derive(Deserialize)]
pub(super) struct CodeForm {
    csrf: String,
    code: String,
}

/// After a failed form, back to the page saying why.
fn failed(e: ApiError) -> Response {
    back(Err(e), "")
}

pub(super) async fn confirm_post(
    State(state): State<AppState>,
    addr: ClientAddr,
    EnrollingConsoleUser(user): EnrollingConsoleUser,
    Form(f): Form<CodeForm>,
) -> Response {
    if !csrf_ok(&state, &user, &f.csrf) {
        return stale_form();
    }
    match confirm(&state, &user.viewer, &addr, &f.code).await {
        Ok(codes) => {
            let user = ConsoleUser {
                access: SessionAccess::Full,
                ..user
            };
            let message = Some("两步验证已启用。今后登录时，请在密码之后输入验证码。");
            render(&state, &user, message, None, Some(codes)).await
        }
        Err(e) => failed(e),
    }
}

pub(super) async fn recovery_codes_post(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Form(f): Form<CodeForm>,
) -> Response {
    if !csrf_ok(&state, &user, &f.csrf) {
        return stale_form();
    }
    let outcome = match SecondFactor::typed(&f.code) {
        Ok(p) => renew_recovery_codes(&state, &user.viewer, &addr, &p).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(codes) => {
            let message = Some("已生成新的恢复码，原有恢复码已全部失效。");
            render(&state, &user, message, None, Some(codes)).await
        }
        Err(e) => failed(e),
    }
}

pub(super) async fn disable_post(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Form(f): Form<CodeForm>,
) -> Response {
    if !csrf_ok(&state, &user, &f.csrf) {
        return stale_form();
    }
    let outcome = match SecondFactor::typed(&f.code) {
        Ok(p) => disable_own(&state, &user.viewer, &addr, &p).await,
        Err(e) => Err(e),
    };
    back(outcome, "disabled")
}

pub(super) async fn reset_post(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Path(username): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if !csrf_ok(&state, &user, &f.csrf) {
        return stale_form();
    }
    match reset_for(&state, &Principal::person(&user.viewer, &addr), &username).await {
        Ok(()) => Redirect::to("/console/admin/users?done=1").into_response(),
        Err(e) => page_error(e),
    }
}
