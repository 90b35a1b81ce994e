//! A person's own account: the password policy, changing one's password and ending
//! one's sessions (through the API and at the console), and the demo accounts across
//! restarts.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::json;

async fn create_with(app: &TestApp, name: &str, password: &str) -> Response {
    let body =
        json!({"username": name, "password": password, "roles": ["operator"], "unit": "cd12345"});
    app.as_user("admin", "POST", "/api/v1/users", Some(body))
        .await
}

#[tokio::test]
async fn common_passwords_are_refused_however_they_are_dressed_up() {
    let app = TestApp::sqlite().await;
    for weak in [
        "Password123",
        "P@ssw0rd!!",
        "password-2026!",
        "Qwerty2026!",
        "Hotline12345!",
        "Admin@12345",
        "Aa1234567890",
        "Woaini1314!",
        "1qaz@WSX3edc",
    ] {
        let r = create_with(&app, "newcomer", weak).await;
        assert_eq!(
            (r.status, r.body["error"]["fields"]["password"].is_string()),
            (StatusCode::UNPROCESSABLE_ENTITY, true),
            "{weak}: {}",
            r.text
        );
    }
    let r = create_with(&app, "newcomer", "Lamp-Post-Tuesday-7").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[tokio::test]
async fn a_user_changes_their_password_with_the_current_one_and_their_other_sessions_end() {
    let app = TestApp::sqlite().await;
    let here = app.login("operator", PASSWORD).await.body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let elsewhere = app.login("operator", PASSWORD).await.body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let change = |current: &str, new: &str| json!({"current": current, "new": new});
    let path = "/api/v1/me/password";
    let wrong = app
        .send(
            "POST",
            path,
            Some(&here),
            Some(change("not-it", "Lamp-Post-Tuesday-7")),
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.text
    );
    assert!(wrong.body["error"]["fields"]["current"].is_string());
    let weak = app
        .send(
            "POST",
            path,
            Some(&here),
            Some(change(PASSWORD, "Password123")),
        )
        .await;
    assert_eq!(
        weak.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        weak.text
    );
    assert!(weak.body["error"]["fields"]["new"].is_string());
    let ok = app
        .send(
            "POST",
            path,
            Some(&here),
            Some(change(PASSWORD, "Lamp-Post-Tuesday-7")),
        )
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.text);
    let status = |t: &str| {
        let t = t.to_owned();
        let app = &app;
        async move {
            app.send("GET", "/api/v1/orders", Some(&t), None)
                .await
                .status
        }
    };
    assert_eq!(
        status(&here).await,
        StatusCode::OK,
        "the session that asked goes on"
    );
    assert_eq!(status(&elsewhere).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.login("operator", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("operator", "Lamp-Post-Tuesday-7").await.status,
        StatusCode::CREATED
    );
    let r = app
        .as_user(
            "admin",
            "GET",
            "/api/v1/audit?actor=operator&action=user.password_change",
            None,
        )
        .await;
    assert_eq!(r.body["items"][0]["object"], "user:operator", "{}", r.text);
}

#[tokio::test]
async fn a_user_lists_and_ends_their_own_sessions_without_seeing_a_token() {
    let app = TestApp::sqlite().await;
    let here = app.login_from("10.0.0.1", None, "operator", PASSWORD).await;
    let here = here.body["token"].as_str().unwrap().to_owned();
    let there = app.login_from("10.0.0.2", None, "operator", PASSWORD).await;
    let there = there.body["token"].as_str().unwrap().to_owned();
    let others = app.token("dispatcher").await;
    let list = app
        .send("GET", "/api/v1/me/sessions", Some(&here), None)
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", list.text);
    for secret in [&here, &there, &hotline_app::auth::token_hash(&here)] {
        assert!(!list.text.contains(secret.as_str()), "{}", list.text);
    }
    let current: Vec<_> = items.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["address"], "10.0.0.1");
    let other = items.iter().find(|s| s["current"] == false).unwrap();
    assert_eq!(other["address"], "10.0.0.2");
    for field in ["created_at", "last_seen", "expires_at"] {
        assert!(other[field].is_string(), "{field}: {}", list.text);
    }
    let id = other["id"].as_str().unwrap();
    // Another person's session, and one that does not exist, are alike not found.
    let theirs = app
        .send("GET", "/api/v1/me/sessions", Some(&others), None)
        .await;
    let theirs = theirs.body["items"][0]["id"].as_str().unwrap().to_owned();
    for missing in [theirs.as_str(), "0000000000000000"] {
        let r = app
            .send(
                "DELETE",
                &format!("/api/v1/me/sessions/{missing}"),
                Some(&here),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{missing}");
    }
    let r = app
        .send(
            "DELETE",
            &format!("/api/v1/me/sessions/{id}"),
            Some(&here),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(
        app.send("GET", "/api/v1/orders", Some(&there), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.send("GET", "/api/v1/orders", Some(&others), None)
            .await
            .status,
        StatusCode::OK
    );
    let r = app
        .as_user(
            "admin",
            "GET",
            "/api/v1/audit?actor=operator&action=session.end",
            None,
        )
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "{}", r.text);
}

#[tokio::test]
async fn restarting_the_demo_keeps_a_password_its_owner_changed() {
    use hotline_app::{AppConfig, AppState, bootstrap, demo};
    let dir = tempfile::tempdir().unwrap();
    let store = hotline_store::sqlite::SqliteStore::open(&dir.path().join("demo.db")).unwrap();
    let store: std::sync::Arc<dyn hotline_store::Store> = std::sync::Arc::new(store);
    bootstrap::seed_defaults(&*store).await.unwrap();
    let clock = std::sync::Arc::new(hotline_app::clock::ManualClock::new(at(
        "2026-11-02T09:00:00+08:00",
    )));
    let state = AppState::new(store, clock.clone(), AppConfig::default());
    assert!(demo::load(&state).await.unwrap());
    let first = demo::reset_passwords(&state).await.unwrap();
    let admin_password = &first.iter().find(|(u, _)| u == "admin").unwrap().1;
    let app = TestApp::on_state(state.clone(), clock);
    let token = app.login("admin", admin_password).await.body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .send(
            "POST",
            "/api/v1/me/password",
            Some(&token),
            Some(json!({"current": admin_password, "new": "Lamp-Post-Tuesday-7"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    // The server starts again with --demo.
    assert!(!demo::load(&state).await.unwrap());
    let second = demo::reset_passwords(&state).await.unwrap();
    assert!(second.iter().all(|(u, _)| u != "admin"), "{second:?}");
    assert_eq!(
        app.login("admin", "Lamp-Post-Tuesday-7").await.status,
        StatusCode::CREATED
    );
    // The untouched demo accounts get fresh passwords, as before.
    let (user, password) = second.iter().find(|(u, _)| u == "operator").unwrap();
    assert_eq!(app.login(user, password).await.status, StatusCode::CREATED);
}

/// A console request with the session cookie: (status, Location, page).
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

#[tokio::test]
async fn at_the_console_a_user_changes_their_password_and_ends_a_session_with_the_forms_token() {
    let app = TestApp::sqlite().await;
    let login = format!(
        "username=operator&password={}",
        PASSWORD.replace('-', "%2D")
    );
    let req = axum::http::Request::post("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(login))
        .unwrap();
    let cookie = app.call(req).await.set_cookie.unwrap();
    let elsewhere = app.login("operator", PASSWORD).await.body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _, page) = console(&app, "GET", "/console/me", &cookie, None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("href=\"/console/me\""),
        "the navigation links here"
    );
    assert_eq!(
        page.matches("name=\"id\"").count(),
        1,
        "one session to end: {page}"
    );
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let change = "current=Test%2DPassword%2D1&new=Lamp%2DPost%2DTuesday%2D7";
    let forged = format!("csrf=forged&{change}");
    let forged = console(&app, "POST", "/console/me/password", &cookie, Some(&forged)).await;
    assert_eq!(forged.0, StatusCode::FORBIDDEN);
    let wrong = format!("csrf={csrf}&current=nope&new=Lamp%2DPost%2DTuesday%2D7");
    let (_, to, _) = console(&app, "POST", "/console/me/password", &cookie, Some(&wrong)).await;
    assert_eq!(to, "/console/me?error=current");
    let (_, _, page) = console(&app, "GET", &to, &cookie, None).await;
    assert!(page.contains("当前密码不正确"), "{page}");
    let right = format!("csrf={csrf}&{change}");
    let (status, to, _) =
        console(&app, "POST", "/console/me/password", &cookie, Some(&right)).await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/console/me?done=password")
    );
    assert_eq!(
        app.send("GET", "/api/v1/orders", Some(&elsewhere), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let (status, _, page) = console(&app, "GET", &to, &cookie, None).await;
    assert_eq!(status, StatusCode::OK, "the console session goes on");
    assert!(page.contains("密码已修改"));
    // A second session, ended from the console.
    let other = app.login("operator", "Lamp-Post-Tuesday-7").await.body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, _, page) = console(&app, "GET", "/console/me", &cookie, None).await;
    let id = page
        .split("name=\"id\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let end = format!("csrf={csrf}&id={id}");
    let (_, to, _) = console(
        &app,
        "POST",
        "/console/me/sessions/end",
        &cookie,
        Some(&end),
    )
    .await;
    assert_eq!(to, "/console/me?done=session");
    assert_eq!(
        app.send("GET", "/api/v1/orders", Some(&other), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}
