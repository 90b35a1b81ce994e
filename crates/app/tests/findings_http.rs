//! Regression tests replaying the security review's findings (issue 13), each named
//! after what it proves.

mod common;
use axum::http::StatusCode;
use common::*;
use serde_json::json;

async fn issue_key(app: &TestApp, unit: &str, actions: serde_json::Value, name: &str) -> String {
    let r = app
        .as_user(
            "cdadmin",
            "POST",
            "/api/v1/apikeys",
            Some(json!({"name": name, "unit": unit, "actions": actions})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["key"].as_str().unwrap().to_owned()
}

/// Every route family outside the order API, as an integration key would try it.
const NOT_FOR_KEYS: &[(&str, &str)] = &[
    ("GET", "/api/v1/supervision"),
    ("GET", "/api/v1/reports/units?from=2026-10-01&to=2026-11-30"),
    (
        "GET",
        "/api/v1/reports/period?from=2026-10-01&to=2026-11-30",
    ),
    ("GET", "/api/v1/reports/hotspots"),
    ("GET", "/api/v1/reports/seasonal"),
    ("GET", "/api/v1/reports/summons?month=2026-10"),
    ("GET", "/api/v1/reports/weights"),
    ("GET", "/api/v1/kb/articles"),
    ("GET", "/api/v1/kb/search?q=%E8%B7%AF%E7%81%AF"),
    ("GET", "/api/v1/kb/suggest?q=%E8%B7%AF%E7%81%AF"),
    ("GET", "/api/v1/kb/pinned"),
    ("GET", "/api/v1/kb/export?format=csv"),
    ("GET", "/api/v1/kb/synonyms"),
    ("GET", "/api/v1/audit"),
    ("GET", "/api/v1/units"),
    ("GET", "/api/v1/users"),
    ("GET", "/api/v1/apikeys"),
    ("GET", "/api/v1/taxonomy"),
    ("GET", "/api/v1/rules/deadlines"),
    ("GET", "/api/v1/calendar/2026"),
    ("POST", "/api/v1/callers/history"),
    ("DELETE", "/api/v1/sessions/current"),
];

#[tokio::test]
async fn a_key_limited_to_create_registers_orders_and_reads_nothing_else() {
    let app = TestApp::sqlite().await;
    let id = app.complaint().await;
    let key = issue_key(&app, "cd12345", json!(["create"]), "create-only").await;
    let created = app
        .send(
            "POST",
            "/api/v1/orders",
            Some(&key),
            Some(order_body("help")),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    for (method, path) in NOT_FOR_KEYS.iter().chain(&[
        ("GET", "/api/v1/orders"),
        ("GET", &*format!("/api/v1/orders/{id}")),
    ]) {
        let body = (*method != "GET").then(|| json!({"phone": "13812345678"}));
        let r = app.send(method, path, Some(&key), body).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{method} {path} with a create-only key: {}",
            r.text
        );
        assert!(
            !r.text.contains("王小明") && !r.text.contains("tracking"),
            "{method} {path} leaked: {}",
            r.text
        );
    }
}

#[tokio::test]
async fn a_key_with_every_order_action_still_reaches_only_the_order_api() {
    let app = TestApp::sqlite().await;
    let key = issue_key(&app, "cd12345", json!([]), "all-actions").await;
    for (method, path) in NOT_FOR_KEYS {
        let body = (*method != "GET").then(|| json!({"phone": "13812345678"}));
        let r = app.send(method, path, Some(&key), body).await;
        if *path == "/api/v1/callers/history" {
            // Looking up a caller's orders is reading orders.
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            continue;
        }
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{method} {path} with an all-actions key: {}",
            r.text
        );
    }
    let listed = app.send("GET", "/api/v1/orders", Some(&key), None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
}
