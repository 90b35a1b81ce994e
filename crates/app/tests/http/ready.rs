//! `GET /readyz`: ready only while a write goes through.

use crate::common::*;
use axum::http::StatusCode;

on_both_backends!(
    readyz_answers_200_while_writes_go_through,
    |app: TestApp| async move {
        let r = app.send("GET", "/readyz", None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["status"], "ready");
    }
);

#[tokio::test]
async fn readyz_answers_503_with_the_reason_when_a_write_fails_while_healthz_still_answers() {
    use hotline_app::{AppConfig, AppState, app, clock::ManualClock};
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = hotline_store::sqlite::SqliteStore::open(&path).unwrap();
    let clock = std::sync::Arc::new(ManualClock::new(at("2026-11-02T09:00:00+08:00")));
    let state = AppState::new(std::sync::Arc::new(store), clock, AppConfig::default());
    hotline_app::bootstrap::seed_defaults(&**state.store())
        .await
        .unwrap();
    let router = app(state);
    let get = |path: &'static str| {
        let req = axum::http::Request::get(path)
            .body(axum::body::Body::empty())
            .unwrap();
        router.clone().oneshot(req)
    };
    assert_eq!(get("/readyz").await.unwrap().status(), StatusCode::OK);
    // The write path breaks under the server (here: its table is gone).
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("DROP TABLE readiness")
        .unwrap();
    let r = get("/readyz").await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = http_body_util::BodyExt::collect(r.into_body())
        .await
        .unwrap()
        .to_bytes();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], "store_unavailable");
    assert!(body["error"]["message"].as_str().unwrap().contains("write"));
    assert_eq!(get("/healthz").await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn answers_carrying_personal_data_are_never_cached_and_static_assets_may_be() {
    use tower::ServiceExt;
    let app = TestApp::sqlite().await;
    let id = app.complaint().await;
    let token = app.token("supervisor").await;
    for path in [
        format!("/api/v1/orders/{id}"),
        "/api/v1/orders".to_owned(),
        "/console/orders".to_owned(),
        "/portal".to_owned(),
    ] {
        let req = axum::http::Request::get(&path)
            .header("authorization", format!("Bearer {token}"))
            .body(axum::body::Body::empty())
            .unwrap();
        let r = app.router.clone().oneshot(req).await.unwrap();
        assert_eq!(
            r.headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{path}"
        );
    }
    let req = axum::http::Request::get("/static/console.css")
        .body(axum::body::Body::empty())
        .unwrap();
    let r = app.router.clone().oneshot(req).await.unwrap();
    assert_ne!(
        r.headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
}

/// A raw answer of the router: status and headers, for the operations settings.
async fn raw(
    router: &axum::Router,
    req: axum::http::Request<axum::body::Body>,
) -> axum::http::Response<axum::body::Body> {
    use tower::ServiceExt;
    router.clone().oneshot(req).await.unwrap()
}

fn get_with(path: &str, token: Option<&str>) -> axum::http::Request<axum::body::Body> {
    let mut req = axum::http::Request::get(path);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    req.body(axum::body::Body::empty()).unwrap()
}

#[tokio::test]
async fn metrics_are_not_served_on_the_service_address_without_a_token_configured() {
    let app = TestApp::sqlite().await;
    let r = raw(&app.router, get_with("/metrics", None)).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // The metrics address serves them, to whoever reaches it.
    let metrics = hotline_app::ops::metrics_router(app.state.clone());
    let r = raw(&metrics, get_with("/metrics", None)).await;
    assert_eq!(r.status(), StatusCode::OK);
    // And nothing else: the API is not reachable through the metrics address.
    let r = raw(&metrics, get_with("/api/v1/orders", None)).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn metrics_on_the_service_address_need_the_metrics_token() {
    let app = TestApp::sqlite_with(|c| c.metrics_token = "scrape-4f1d".into()).await;
    let user = app.token("supervisor").await;
    for token in [None, Some("wrong"), Some(user.as_str())] {
        let r = raw(&app.router, get_with("/metrics", token)).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{token:?}");
    }
    let r = raw(&app.router, get_with("/metrics", Some("scrape-4f1d"))).await;
    assert_eq!(r.status(), StatusCode::OK);
}

async fn console_login_cookie(app: &TestApp) -> String {
    let login = format!(
        "username=operator&password={}",
        PASSWORD.replace('-', "%2D")
    );
    let req = axum::http::Request::post("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(login))
        .unwrap();
    let r = raw(&app.router, req).await;
    r.headers()
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn over_https_the_session_cookie_is_secure_and_every_answer_carries_hsts() {
    let app = TestApp::sqlite_with(|c| c.https = true).await;
    let cookie = console_login_cookie(&app).await;
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    for path in [
        "/login",
        "/api/v1/orders",
        "/healthz",
        "/static/console.css",
    ] {
        let r = raw(&app.router, get_with(path, None)).await;
        assert_eq!(
            r.headers()
                .get("strict-transport-security")
                .map(|v| v.to_str().unwrap()),
            Some("max-age=31536000"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn over_plain_http_the_cookie_is_not_secure_and_no_hsts_is_sent() {
    let app = TestApp::sqlite().await;
    let cookie = console_login_cookie(&app).await;
    assert!(!cookie.contains("Secure"), "{cookie}");
    let r = raw(&app.router, get_with("/login", None)).await;
    assert!(r.headers().get("strict-transport-security").is_none());
}
