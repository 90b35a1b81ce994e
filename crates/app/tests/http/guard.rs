//! Logins, sessions, rate limits and the audit trail, with a hand-set clock.

use crate::common::*;
use axum::http::StatusCode;
use hotline_app::client_addr::TrustedProxies;
use serde_json::json;

#[tokio::test]
async fn five_failed_logins_lock_a_name_whether_or_not_it_exists() {
    let app = TestApp::sqlite().await;
    for name in ["operator", "ghost"] {
        for _ in 0..5 {
            let r = app.login(name, "wrong-password").await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{name}");
        }
        let r = app.login(name, PASSWORD).await;
        assert_eq!(
            (r.status, r.body["error"]["code"].as_str()),
            (StatusCode::TOO_MANY_REQUESTS, Some("account_locked")),
            "{name}"
        );
        assert_eq!(r.retry_after.as_deref(), Some("900"));
    }
    // The two answers are alike: the lock says nothing about whether the name exists.
    let (real, ghost) = (
        app.login("operator", "x").await,
        app.login("ghost", "x").await,
    );
    assert_eq!((real.status, real.text), (ghost.status, ghost.text));
    // Another name is not affected; after 15 minutes the lock is gone.
    assert_eq!(
        app.login("dispatcher", PASSWORD).await.status,
        StatusCode::CREATED
    );
    app.clock.advance(chrono::Duration::minutes(15));
    assert_eq!(
        app.login("operator", PASSWORD).await.status,
        StatusCode::CREATED
    );
    let audit = app
        .as_user("admin", "GET", "/api/v1/audit?actor=ghost", None)
        .await;
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"login_failed")
            && actions.contains(&"login_failed_locked")
            && actions.contains(&"login_locked"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn a_session_ends_after_30_idle_minutes_but_not_while_used() {
    let app = TestApp::sqlite().await;
    let token = app.token("operator").await;
    for _ in 0..3 {
        app.clock.advance(chrono::Duration::minutes(20));
        assert_eq!(
            app.send("GET", "/api/v1/orders", Some(&token), None)
                .await
                .status,
            StatusCode::OK
        );
    }
    app.clock.advance(chrono::Duration::minutes(31));
    assert_eq!(
        app.send("GET", "/api/v1/orders", Some(&token), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn logins_and_public_lookups_are_rate_limited_with_retry_after() {
    let app = TestApp::sqlite_with(|c| {
        c.login_rate_per_minute = 3;
        c.public_rate_per_minute = 2;
    })
    .await;
    app.set_time("2026-11-02T09:00:10+08:00");
    for _ in 0..3 {
        assert_eq!(
            app.login("operator", "wrong").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let r = app.login("operator", PASSWORD).await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
    assert_eq!(r.retry_after.as_deref(), Some("50"));
    for expected in [
        StatusCode::NOT_FOUND,
        StatusCode::NOT_FOUND,
        StatusCode::TOO_MANY_REQUESTS,
    ] {
        let r = app
            .send(
                "GET",
                "/api/v1/public/orders/20261102-000001?code=1",
                None,
                None,
            )
            .await;
        assert_eq!(r.status, expected);
    }
    app.clock.advance(chrono::Duration::minutes(1));
    assert_eq!(
        app.login("operator", PASSWORD).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn every_order_action_is_in_the_audit_trail_without_personal_data() {
    let app = TestApp::sqlite().await;
    let id = app.complaint().await;
    app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
        .await;
    app.ok(
        "supervisor",
        id,
        "reveal-phone",
        json!({"reason": "回访需要"}),
    )
    .await;
    let refused = app
        .act(
            "handler",
            id,
            "reply",
            json!({"content": "x", "resolved": true}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    let r = app
        .as_user(
            "supervisor",
            "GET",
            &format!("/api/v1/audit?object=order:{id}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let items = r.body["items"].as_array().unwrap();
    let seen: Vec<(&str, &str)> = items
        .iter()
        .map(|e| (e["actor"].as_str().unwrap(), e["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            ("supervisor", "order.reveal-phone"),
            ("dispatcher", "order.dispatch"),
            ("operator", "order.create")
        ]
    );
    assert!(!r.text.contains("13812345678") && !r.text.contains("王小明"));
    assert_eq!(
        app.as_user("handler", "GET", "/api/v1/audit", None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.as_user("operator", "GET", "/api/v1/audit", None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn admin_changes_are_audited() {
    let app = TestApp::sqlite().await;
    let unit = json!({"code": "cd-new", "name": "新部门", "kind": "department", "parent": "cd12345", "region": "510100"});
    assert_eq!(
        app.as_user("admin", "POST", "/api/v1/units", Some(unit))
            .await
            .status,
        StatusCode::CREATED
    );
    let r = app
        .as_user("admin", "GET", "/api/v1/audit?action=unit.create", None)
        .await;
    assert_eq!(r.body["items"][0]["object"], "unit:cd-new");
    assert_eq!(r.body["items"][0]["actor"], "admin");
}

#[tokio::test]
async fn every_response_carries_the_security_headers_a_request_id_and_no_cors_grant() {
    use tower::ServiceExt;
    let app = TestApp::sqlite().await;
    for (method, path, origin) in [
        ("GET", "/healthz", None),
        ("GET", "/api/v1/orders", None),
        ("GET", "/no/such/page", None),
        ("OPTIONS", "/api/v1/orders", Some("https://evil.example")),
        (
            "GET",
            "/api/v1/public/orders/20261102-000001?code=1",
            Some("https://evil.example"),
        ),
    ] {
        let mut req = axum::http::Request::builder().method(method).uri(path);
        if let Some(o) = origin {
            req = req
                .header("origin", o)
                .header("access-control-request-method", "POST");
        }
        let resp = app
            .router
            .clone()
            .oneshot(req.body(axum::body::Body::empty()).unwrap())
            .await
            .unwrap();
        let h = resp.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert!(h.contains_key("x-request-id"), "{path}");
        assert!(
            !h.contains_key("access-control-allow-origin"),
            "{method} {path}: CORS stays closed"
        );
    }
}

#[tokio::test]
async fn the_openapi_document_and_swagger_ui_are_served_without_login() {
    let app = TestApp::sqlite().await;
    let doc = app.send("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc.body["paths"].as_object().unwrap();
    for p in [
        "/api/v1/orders",
        "/api/v1/orders/{id}/dispatch",
        "/api/v1/orders/{id}/return/approve",
        "/api/v1/audit",
        "/api/v1/apikeys",
        "/api/v1/kb/articles",
        "/api/v1/kb/search",
        "/api/v1/kb/articles/{id}/publish",
        "/api/v1/me/password",
        "/api/v1/me/sessions",
        "/api/v1/me/sessions/{id}",
    ] {
        assert!(paths.contains_key(p), "{p} is documented");
    }
    assert!(paths["/api/v1/orders"]["post"]["requestBody"].is_object());
    let ui = app.send("GET", "/api/docs/", None, None).await;
    assert_eq!(ui.status, StatusCode::OK);
    assert!(
        ui.text.contains("swagger"),
        "{}",
        &ui.text[..ui.text.len().min(200)]
    );
}

/// The actions of the audit trail's records about `actor`, oldest first.
async fn audited(app: &TestApp, actor: &str) -> Vec<String> {
    let r = app
        .as_user(
            "admin",
            "GET",
            &format!("/api/v1/audit?actor={actor}&limit=500"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mut actions: Vec<String> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    actions.reverse();
    actions
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_parallel_guesses_from_one_address_get_five_checked_and_the_rest_refused_unhashed() {
    let app = TestApp::sqlite().await;
    let guesses: Vec<_> = (0..30)
        .map(|i| {
            let req = axum::http::Request::builder()
                .method("POST")
                .uri("/api/v1/sessions")
                .header("content-type", "application/json")
                .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                    [203, 0, 113, 9],
                    40000,
                ))))
                .body(axum::body::Body::from(
                    json!({"username": "operator", "password": format!("guess-{i}")}).to_string(),
                ))
                .unwrap();
            let router = app.router.clone();
            tokio::spawn(async move {
                use tower::ServiceExt;
                router.oneshot(req).await.unwrap().status()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for g in guesses {
        statuses.push(g.await.unwrap());
    }
    let count = |s: StatusCode| statuses.iter().filter(|x| **x == s).count();
    assert_eq!(
        (
            count(StatusCode::UNAUTHORIZED),
            count(StatusCode::TOO_MANY_REQUESTS)
        ),
        (5, 25),
        "{statuses:?}"
    );
    // Each checked guess leaves a login_failed record, each refused one login_locked.
    let actions = audited(&app, "operator").await;
    let checked = actions
        .iter()
        .filter(|a| a.starts_with("login_failed"))
        .count();
    let refused = actions.iter().filter(|a| *a == "login_locked").count();
    assert_eq!((checked, refused), (5, 25), "{actions:?}");
}

#[tokio::test]
async fn a_lock_holds_one_address_for_15_minutes_and_never_the_owner_elsewhere() {
    let app = TestApp::sqlite().await;
    let attacker = "203.0.113.9";
    for _ in 0..5 {
        let r = app.login_from(attacker, None, "operator", "wrong").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = app.login_from(attacker, None, "operator", PASSWORD).await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("account_locked"))
    );
    let owner = app.login_from("10.0.0.1", None, "operator", PASSWORD).await;
    assert_eq!(owner.status, StatusCode::CREATED, "{}", owner.text);
    app.clock.advance(chrono::Duration::seconds(899));
    assert_eq!(
        app.login_from(attacker, None, "operator", PASSWORD)
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
    app.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(
        app.login_from(attacker, None, "operator", PASSWORD)
            .await
            .status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn strangers_failing_fifty_times_an_hour_do_not_lock_out_the_owner_from_an_address_used_within_30_days()
 {
    let app = TestApp::sqlite().await;
    app.add_cheap_user("clerk", "operator", Some("cd12345"))
        .await;
    let home = "10.0.0.1";
    assert_eq!(
        app.login_from(home, None, "clerk", PASSWORD).await.status,
        StatusCode::CREATED
    );
    app.clock.advance(chrono::Duration::days(20));
    // Ten addresses, five guesses each: 50 failures within the hour.
    for i in 0..50 {
        let stranger = format!("203.0.113.{}", i / 5);
        let r = app.login_from(&stranger, None, "clerk", "wrong").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "guess {i}");
    }
    let r = app
        .login_from("198.51.100.7", None, "clerk", PASSWORD)
        .await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("account_locked")),
        "an address the account never used waits for the hour to end"
    );
    let r = app.login_from(home, None, "clerk", PASSWORD).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[tokio::test]
async fn three_hundred_operators_behind_one_address_log_in_within_two_minutes() {
    let app = TestApp::sqlite().await;
    for i in 0..300 {
        app.add_cheap_user(&format!("op{i:03}"), "operator", Some("cd12345"))
            .await;
    }
    for i in 0..300 {
        let r = app
            .login_from("10.9.9.9", None, &format!("op{i:03}"), PASSWORD)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "login {i}: {}", r.text);
        app.clock.advance(chrono::Duration::milliseconds(400));
    }
}

/// The audit trail's address of the newest record about `actor`.
async fn last_address(app: &TestApp, actor: &str) -> serde_json::Value {
    let r = app
        .as_user(
            "admin",
            "GET",
            &format!("/api/v1/audit?actor={actor}&limit=1"),
            None,
        )
        .await;
    r.body["items"][0]["address"].clone()
}

#[tokio::test]
async fn two_clients_behind_a_trusted_proxy_have_separate_budgets() {
    let app = TestApp::sqlite_with(|c| {
        c.login_rate_per_minute = 2;
        c.public_rate_per_minute = 2;
        c.trusted_proxies = TrustedProxies::parse(&["10.0.0.0/24", "fd00::1"]).unwrap();
    })
    .await;
    let proxy = "10.0.0.5";
    for _ in 0..2 {
        let r = app
            .login_from(proxy, Some("198.51.100.1"), "ghost", "x")
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = app
        .login_from(proxy, Some("198.51.100.1"), "ghost", "x")
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // A second proxy hop (itself trusted) and a spoofed entry to the left change nothing.
    let other = "203.0.113.1, 198.51.100.2, 10.0.0.7";
    let r = app.login_from(proxy, Some(other), "ghost", "x").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(last_address(&app, "ghost").await, "198.51.100.2");
    let r = app
        .login_from("fd00::1", Some("198.51.100.3"), "operator", PASSWORD)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(last_address(&app, "operator").await, "198.51.100.3");
    // The portal's budget too.
    let track = "/api/v1/public/orders/20261102-000001?code=1";
    for (client, expected) in [
        ("198.51.100.1", StatusCode::NOT_FOUND),
        ("198.51.100.1", StatusCode::NOT_FOUND),
        ("198.51.100.1", StatusCode::TOO_MANY_REQUESTS),
        ("198.51.100.2", StatusCode::NOT_FOUND),
    ] {
        let r = app
            .request_from(proxy, Some(client), "GET", track, None)
            .await;
        assert_eq!(r.status, expected, "{client}");
    }
}

#[tokio::test]
async fn an_untrusted_peers_forwarded_for_is_ignored() {
    let app = TestApp::sqlite_with(|c| {
        c.login_rate_per_minute = 2;
        c.trusted_proxies = TrustedProxies::parse(&["10.0.0.0/24"]).unwrap();
    })
    .await;
    let peer = "203.0.113.7";
    for claimed in ["198.51.100.1", "198.51.100.2"] {
        let r = app.login_from(peer, Some(claimed), "ghost", "x").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(last_address(&app, "ghost").await, peer);
    let r = app
        .login_from(peer, Some("198.51.100.3"), "ghost", "x")
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn three_hundred_operators_behind_one_address_log_in_at_once() {
    let app = std::rc::Rc::new(TestApp::sqlite().await);
    for i in 0..300 {
        app.add_cheap_user(&format!("op{i:03}"), "operator", Some("cd12345"))
            .await;
    }
    // All in flight together: the guard must not count them as failures meanwhile.
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async move {
            let logins: Vec<_> = (0..300)
                .map(|i| {
                    let app = app.clone();
                    tokio::task::spawn_local(async move {
                        app.login_from("10.9.9.9", None, &format!("op{i:03}"), PASSWORD)
                            .await
                    })
                })
                .collect();
            for login in logins {
                let r = login.await.unwrap();
                assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            }
        })
        .await;
}
