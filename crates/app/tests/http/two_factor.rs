//! Two-factor sign-in through the real router: enrolment, sign-in with a code, the
//! limits on an account that has not enrolled, the login guard counting wrong codes,
//! replays, recovery codes, and the console's two-step form.

use crate::common::*;
use axum::http::StatusCode;
use hotline_app::auth::two_factor::{code_at, step_of};
use hotline_domain::Role;
use hotline_store::AuditFilter;
use serde_json::{Value, json};

/// The harness requires two factors of nobody; these tests of administrators.
async fn app() -> TestApp {
    TestApp::sqlite_with(|c| c.two_factor_roles = vec![Role::Admin]).await
}

fn secret_of(offer: &Value) -> Vec<u8> {
    let b32 = offer["secret"].as_str().unwrap().to_owned();
    totp_rs::Secret::Encoded(b32).to_bytes().unwrap()
}

/// The code an authenticator shows now, `steps` steps on.
fn code(app: &TestApp, secret: &[u8], steps: i64) -> String {
    code_at(secret, step_of(app.state.now()) + steps)
}

fn sign_in(user: &str, extra: Value) -> Value {
    let mut body = json!({"username": user, "password": PASSWORD});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

async fn login_with(app: &TestApp, user: &str, extra: Value) -> Response {
    app.send("POST", "/api/v1/sessions", None, Some(sign_in(user, extra)))
        .await
}

/// Signs `user` in (a session limited to enrolment where required), enrols, and
/// returns (the session's token, the secret, the recovery codes).
async fn enrol(app: &TestApp, user: &str) -> (String, Vec<u8>, Vec<String>) {
    let r = app.login(user, PASSWORD).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let token = r.body["token"].as_str().unwrap().to_owned();
    let offer = app
        .send(
            "POST",
            "/api/v1/me/two-factor/enrolment",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(offer.status, StatusCode::CREATED, "{}", offer.text);
    let uri = offer.body["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains(&format!(":{user}?secret=")), "{uri}");
    let secret = secret_of(&offer.body);
    let wrong = app
        .send(
            "POST",
            "/api/v1/me/two-factor/confirm",
            Some(&token),
            Some(json!({"otp": code(app, &secret, 5)})),
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.text
    );
    let ok = app
        .send(
            "POST",
            "/api/v1/me/two-factor/confirm",
            Some(&token),
            Some(json!({"otp": code(app, &secret, 0)})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let codes: Vec<String> = ok.body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (token, secret, codes)
}

async fn sessions_of(app: &TestApp, user: &str) -> usize {
    let u = app
        .state
        .store()
        .user_by_username(user)
        .await
        .unwrap()
        .unwrap();
    app.state.store().user_sessions(u.id).await.unwrap().len()
}

async fn audit_actions(app: &TestApp) -> Vec<(String, String, Value)> {
    let filter = AuditFilter {
        limit: 500,
        ..AuditFilter::default()
    };
    let entries = app.state.store().audit_entries(&filter).await.unwrap();
    entries
        .into_iter()
        .map(|e| (e.record.actor, e.record.action, e.record.detail))
        .collect()
}

#[tokio::test]
async fn an_administrator_without_a_second_factor_may_only_enrol() {
    let app = app().await;
    let r = app.login("admin", PASSWORD).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let token = r.body["token"].as_str().unwrap().to_owned();
    for path in ["/api/v1/users", "/api/v1/orders", "/api/v1/me/sessions"] {
        let r = app.send("GET", path, Some(&token), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.text);
        assert_eq!(r.body["error"]["code"], "two_factor_enrolment_required");
    }
    let st = app
        .send("GET", "/api/v1/me/two-factor", Some(&token), None)
        .await;
    assert_eq!(st.status, StatusCode::OK, "{}", st.text);
    assert_eq!(
        (&st.body["enrolled"], &st.body["required"]),
        (&json!(false), &json!(true))
    );
    // Roles not named in two_factor_roles sign in as before.
    let op = app.login("operator", PASSWORD).await.body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app.send("GET", "/api/v1/orders", Some(&op), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Enrolling lifts the limit on the same session at once.
    let (token, _, codes) = enrol(&app, "admin").await;
    assert_eq!(codes.len(), 10);
    let r = app.send("GET", "/api/v1/users", Some(&token), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Logging out works for a limited session too.
    let limited = app
        .send(
            "POST",
            "/api/v1/sessions",
            None,
            Some(json!({"username": "cdadmin", "password": PASSWORD})),
        )
        .await;
    let limited = limited.body["token"].as_str().unwrap().to_owned();
    let out = app
        .send("DELETE", "/api/v1/sessions/current", Some(&limited), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT, "{}", out.text);
    let actions = audit_actions(&app).await;
    assert!(
        actions
            .iter()
            .any(|(who, a, d)| who == "admin" && a == "login" && d["enrolment_only"] == true)
    );
    assert!(
        actions
            .iter()
            .any(|(who, a, _)| who == "admin" && a == "two_factor.enrol")
    );
}

#[tokio::test]
async fn an_enrolled_account_signs_in_with_its_code_and_never_without() {
    let app = app().await;
    let (_, secret, _) = enrol(&app, "admin").await;
    let before = sessions_of(&app, "admin").await;
    let r = app.login("admin", PASSWORD).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "second_factor_required");
    assert_eq!(sessions_of(&app, "admin").await, before, "no session made");
    // A wrong password is told apart from a missing code only after the password.
    let r = app
        .send(
            "POST",
            "/api/v1/sessions",
            None,
            Some(json!({"username": "admin", "password": "nope", "otp": code(&app, &secret, 0)})),
        )
        .await;
    assert_eq!(r.body["error"]["code"], "invalid_credentials");
    // The step used to confirm the enrolment is spent: its code is a replay.
    let r = login_with(&app, "admin", json!({"otp": code(&app, &secret, 0)})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "invalid_second_factor");
    app.set_time("2026-11-02T09:00:30+08:00");
    let r = login_with(&app, "admin", json!({"otp": code(&app, &secret, 0)})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let token = r.body["token"].as_str().unwrap().to_owned();
    let r = app.send("GET", "/api/v1/users", Some(&token), None).await;
    assert_eq!(r.status, StatusCode::OK);
    // The same code again, within its 30 seconds: refused.
    let r = login_with(&app, "admin", json!({"otp": code(&app, &secret, 0)})).await;
    assert_eq!(r.body["error"]["code"], "invalid_second_factor");
    // One step of drift is accepted; and a malformed code is refused unchecked.
    let r = login_with(&app, "admin", json!({"otp": code(&app, &secret, 1)})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = login_with(&app, "admin", json!({"otp": "12ab56"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let logins = audit_actions(&app).await;
    assert!(
        logins
            .iter()
            .any(|(_, a, d)| a == "login" && d["second_factor"] == "otp")
    );
    assert!(
        logins
            .iter()
            .any(|(_, a, _)| a == "login_second_factor_required")
    );
}

#[tokio::test]
async fn wrong_codes_count_in_the_login_guard_and_a_right_password_does_not_clear_them() {
    let app = app().await;
    let (_, secret, _) = enrol(&app, "admin").await;
    app.set_time("2026-11-02T09:01:00+08:00");
    let wrong = code(&app, &secret, 7);
    for _ in 0..3 {
        let r = login_with(&app, "admin", json!({"otp": wrong})).await;
        assert_eq!(
            r.body["error"]["code"], "invalid_second_factor",
            "{}",
            r.text
        );
    }
    // The right password alone neither signs in nor forgives the codes tried.
    let r = app.login("admin", PASSWORD).await;
    assert_eq!(r.body["error"]["code"], "second_factor_required");
    let r = login_with(&app, "admin", json!({"otp": wrong})).await;
    assert_eq!(r.body["error"]["code"], "invalid_second_factor");
    // Five attempts without a whole sign-in: locked, even with the right code.
    let r = login_with(&app, "admin", json!({"otp": code(&app, &secret, 0)})).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "account_locked");
    let failed = audit_actions(&app)
        .await
        .into_iter()
        .filter(|(_, a, d)| a.starts_with("login_failed") && d["factor"] == "otp")
        .count();
    assert_eq!(failed, 4);
    // After the lock, the right code signs in.
    app.set_time("2026-11-02T09:20:00+08:00");
    let r = login_with(&app, "admin", json!({"otp": code(&app, &secret, 0)})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let app = app().await;
    let (_, _, codes) = enrol(&app, "admin").await;
    let typed = codes[3].to_uppercase();
    let r = login_with(&app, "admin", json!({"recovery_code": typed})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let token = r.body["token"].as_str().unwrap().to_owned();
    let r = login_with(&app, "admin", json!({"recovery_code": codes[3]})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "invalid_second_factor");
    let st = app
        .send("GET", "/api/v1/me/two-factor", Some(&token), None)
        .await;
    assert_eq!(st.body["recovery_codes_left"], 9);
    // New codes replace the old ones (given a current code).
    let r = app
        .send(
            "POST",
            "/api/v1/me/two-factor/recovery-codes",
            Some(&token),
            Some(json!({"recovery_code": codes[4]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let fresh = r.body["recovery_codes"][0].as_str().unwrap().to_owned();
    let r = login_with(&app, "admin", json!({"recovery_code": codes[5]})).await;
    assert_eq!(r.body["error"]["code"], "invalid_second_factor");
    let r = login_with(&app, "admin", json!({"recovery_code": fresh})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let used = audit_actions(&app)
        .await
        .into_iter()
        .filter(|(_, a, d)| a == "login" && d["second_factor"] == "recovery_code")
        .count();
    assert_eq!(used, 2);
}

#[tokio::test]
async fn its_owner_disables_it_with_a_code_and_an_administrator_resets_another_account() {
    let app = app().await;
    // An operator enrols of their own accord, and from then on needs the code.
    let (op_token, op_secret, _) = enrol(&app, "operator").await;
    let r = app.login("operator", PASSWORD).await;
    assert_eq!(r.body["error"]["code"], "second_factor_required");
    let r = app
        .send(
            "POST",
            "/api/v1/me/two-factor/disable",
            Some(&op_token),
            Some(json!({"otp": code(&app, &op_secret, 3)})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    app.set_time("2026-11-02T09:00:30+08:00");
    let r = app
        .send(
            "POST",
            "/api/v1/me/two-factor/disable",
            Some(&op_token),
            Some(json!({"otp": code(&app, &op_secret, 0)})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(
        app.login("operator", PASSWORD).await.status,
        StatusCode::CREATED
    );

    let (admin_token, _, _) = enrol(&app, "admin").await;
    let (cd_token, _, _) = enrol(&app, "cdadmin").await;
    // A unit administrator cannot reset the installation administrator's.
    let r = app
        .send(
            "DELETE",
            "/api/v1/users/admin/two-factor",
            Some(&cd_token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    // Nor anyone their own without a code.
    let r = app
        .send(
            "DELETE",
            "/api/v1/users/admin/two-factor",
            Some(&admin_token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = app
        .send(
            "DELETE",
            "/api/v1/users/cdadmin/two-factor",
            Some(&admin_token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    // The account's sessions ended; its next sign-in enrols again.
    let r = app
        .send("GET", "/api/v1/me/two-factor", Some(&cd_token), None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app.login("cdadmin", PASSWORD).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let t = r.body["token"].as_str().unwrap();
    let r = app.send("GET", "/api/v1/users", Some(t), None).await;
    assert_eq!(r.body["error"]["code"], "two_factor_enrolment_required");
    let actions = audit_actions(&app).await;
    assert!(
        actions
            .iter()
            .any(|(who, a, _)| who == "admin" && a == "user.two_factor_reset")
    );
    assert!(
        actions.iter().any(|(who, a, d)| who == "operator"
            && a == "two_factor.disable"
            && d["proof"] == "otp")
    );
}

/// A console request: (status, Location, page).
async fn console(
    app: &TestApp,
    method: &str,
    path: &str,
    cookie: &str,
    form: Option<&str>,
) -> (StatusCode, String, String) {
    let req = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(form.unwrap_or("").to_owned()))
        .unwrap();
    let r = app.call(req).await;
    (r.status, r.location.unwrap_or_default(), r.text)
}

async fn console_login(app: &TestApp, form: &str) -> crate::common::Response {
    let req = axum::http::Request::post("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(form.to_owned()))
        .unwrap();
    app.call(req).await
}

fn field(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn at_the_console_an_administrator_enrols_by_qr_code_and_then_signs_in_in_two_steps() {
    let app = TestApp::sqlite_with(|c| {
        c.two_factor_roles = vec![Role::Admin];
        c.demo = true;
    })
    .await;
    let password = format!("username=admin&password={}", PASSWORD.replace('-', "%2D"));
    let r = console_login(&app, &format!("{password}&next=/console/admin/users")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let cookie = r.set_cookie.unwrap();
    // Every other page sends the limited session to the enrolment page.
    let (status, to, _) = console(&app, "GET", "/console/admin/users", &cookie, None).await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/console/me/two-factor")
    );
    let (status, _, page) = console(&app, "GET", "/console/me/two-factor", &cookie, None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("须启用两步验证"), "{page}");
    assert!(
        !page.contains("/console/orders\">工单"),
        "only this page in the menu"
    );
    let csrf = field(&page, "csrf");
    let (_, to, _) = console(
        &app,
        "POST",
        "/console/me/two-factor/start",
        &cookie,
        Some(&format!("csrf={csrf}")),
    )
    .await;
    let (_, _, page) = console(&app, "GET", &to, &cookie, None).await;
    assert!(page.contains("<svg"), "the QR code is drawn inline: {page}");
    let secret: String = page
        .split("手动输入密钥：<code>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let secret = totp_rs::Secret::Encoded(secret).to_bytes().unwrap();
    // The demo shows the current code beside the QR code.
    assert!(page.contains(&code(&app, &secret, 0)), "{page}");
    let form = format!("csrf={csrf}&code={}", code(&app, &secret, 0));
    let (status, _, page) = console(
        &app,
        "POST",
        "/console/me/two-factor/confirm",
        &cookie,
        Some(&form),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("恢复码只显示这一次"), "{page}");
    assert_eq!(page.matches("<li><code>").count(), 10);
    let (status, _, _) = console(&app, "GET", "/console/admin/users", &cookie, None).await;
    assert_eq!(status, StatusCode::OK, "the session is whole now");

    // Signing in again: the password, then the code page.
    app.set_time("2026-11-02T09:00:30+08:00");
    let r = console_login(&app, &format!("{password}&next=/console/admin/users")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.set_cookie.is_none());
    assert!(r.text.contains("验证码或恢复码"), "{}", r.text);
    let pending = field(&r.text, "pending");
    let step = |code: &str, pending: &str| {
        format!("username=admin&pending={pending}&next=/console/admin/users&code={code}")
    };
    let req = |body: String| {
        axum::http::Request::post("/login/code")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(body))
            .unwrap()
    };
    let wrong = app.call(req(step(&code(&app, &secret, 9), &pending))).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(
        wrong.text.contains("验证码或恢复码不正确"),
        "{}",
        wrong.text
    );
    // A forged proof of the password gets nowhere.
    let forged = app
        .call(req(step(&code(&app, &secret, 0), "9999999999.00")))
        .await;
    assert!(forged.set_cookie.is_none());
    assert!(forged.text.contains("验证已超时"), "{}", forged.text);
    let ok = app.call(req(step(&code(&app, &secret, 0), &pending))).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    assert_eq!(ok.location.as_deref(), Some("/console/admin/users"));
    let cookie = ok.set_cookie.unwrap();
    let (status, _, page) = console(&app, "GET", "/console/admin/users", &cookie, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("重置两步验证"));
    // The console's wrong code counted like the API's.
    let failed = audit_actions(&app)
        .await
        .into_iter()
        .filter(|(_, a, d)| a == "login_failed" && d["factor"] == "otp")
        .count();
    assert_eq!(failed, 1);
    // The proof expires.
    app.set_time("2026-11-02T09:10:00+08:00");
    let late = app.call(req(step(&code(&app, &secret, 0), &pending))).await;
    assert!(late.text.contains("验证已超时"), "{}", late.text);
}

#[tokio::test]
async fn the_openapi_document_describes_the_two_factor_routes() {
    let app = TestApp::sqlite().await;
    let doc = app.send("GET", "/api/v1/openapi.json", None, None).await;
    let paths = &doc.body["paths"];
    for (path, method) in [
        ("/api/v1/me/two-factor", "get"),
        ("/api/v1/me/two-factor/enrolment", "post"),
        ("/api/v1/me/two-factor/confirm", "post"),
        ("/api/v1/me/two-factor/recovery-codes", "post"),
        ("/api/v1/me/two-factor/disable", "post"),
        ("/api/v1/users/{username}/two-factor", "delete"),
    ] {
        assert!(paths[path][method].is_object(), "{method} {path}");
    }
    let login = paths["/api/v1/sessions"]["post"].to_string();
    assert!(login.contains("second_factor_required"), "{login}");
}

/// The whole flow on PostgreSQL (the harness there keeps its defaults, so an account
/// enrols of its own accord, which obliges it the same).
#[tokio::test]
async fn on_postgres_an_enrolled_account_needs_its_code_once_and_a_recovery_code_once() {
    let Some(app) = TestApp::postgres().await else {
        return;
    };
    let (_, secret, codes) = enrol(&app, "supervisor").await;
    let r = app.login("supervisor", PASSWORD).await;
    assert_eq!(r.body["error"]["code"], "second_factor_required");
    let r = login_with(&app, "supervisor", json!({"otp": code(&app, &secret, 0)})).await;
    assert_eq!(r.body["error"]["code"], "invalid_second_factor", "a replay");
    let r = login_with(&app, "supervisor", json!({"otp": code(&app, &secret, 1)})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = login_with(&app, "supervisor", json!({"recovery_code": codes[0]})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = login_with(&app, "supervisor", json!({"recovery_code": codes[0]})).await;
    assert_eq!(r.body["error"]["code"], "invalid_second_factor");
}
