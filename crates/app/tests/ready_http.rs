//! `GET /readyz`: ready only while a write goes through.

#[macro_use]
mod common;
use axum::http::StatusCode;
use common::*;

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
