//! Personal data at rest through the real router: with encryption on, intake, possible
//! duplicates, the order views and the reports behave as with it off; the retention
//! job purges the personal data of old closed orders only, writes its audit record,
//! and leaves the statistics as they were.

use crate::common::*;
use hotline_store::personal::Algorithm;
use serde_json::{Value, json};

/// An order registered, handled and closed at the clock's time; its content repeats
/// the requester's name.
async fn closed_order(app: &TestApp) -> i64 {
    let mut body = order_body("complaint");
    body["content"] = json!("王小明反映：锦江区东大街路灯连续一周不亮。");
    let r = app.create("operator", body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
        .await;
    app.ok("handler", id, "accept", json!({})).await;
    app.ok(
        "handler",
        id,
        "reply",
        json!({"content": "已更换灯泡", "resolved": true}),
    )
    .await;
    app.ok(
        "operator",
        id,
        "callback",
        json!({"result": "satisfied", "resolved": true}),
    )
    .await;
    let o = app.ok("operator", id, "close", json!({})).await;
    assert_eq!(o["status"], "closed");
    id
}

async fn units_report(app: &TestApp) -> Value {
    hotline_app::reports::stats::catch_up(app.state.store().as_ref(), app.state.now())
        .await
        .unwrap();
    let r = app
        .as_user(
            "supervisor",
            "GET",
            "/api/v1/reports/units?from=2019-01-01&to=2026-12-31",
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

/// `sealed`: personal data encryption is on, and the text index masks the requester's
/// name from the start (only orders not indexed yet are found by it, by substring).
async fn retention_purges_old_closed_orders_only(app: TestApp, sealed: bool) {
    app.set_time("2019-03-04T09:00:00+08:00");
    let old = closed_order(&app).await;
    app.set_time("2026-11-02T09:00:00+08:00");
    let recent = closed_order(&app).await;
    let open = app.complaint().await;
    let before = units_report(&app).await;
    app.state.order_search().catch_up(&app.state).await.unwrap();
    let by_name = if sealed {
        vec![recent]
    } else {
        vec![recent, old]
    };
    assert_eq!(found_by_text(&app, "王小明").await, by_name);

    let purged = hotline_app::jobs::retention::run_once(&app.state)
        .await
        .unwrap();
    assert_eq!(purged.orders, 1);

    let o = app.order(old).await;
    assert_eq!(o["status"], "closed");
    assert!(o["requester"]["name"].is_null(), "{}", o["requester"]);
    assert!(o["requester"]["phone"].is_null(), "{}", o["requester"]);
    assert!(o["address"].is_null());
    assert_eq!(o["title"], "路灯不亮");
    assert_eq!(o["content"], "***反映：锦江区东大街路灯连续一周不亮。");
    // Neither the order nor the text index finds it by the name any more.
    assert_eq!(found_by_text(&app, "王小明").await, vec![recent]);
    let types: Vec<&str> = o["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types.last(), Some(&"personal_data_purged"));
    for id in [recent, open] {
        let o = app.order(id).await;
        assert_eq!(o["requester"]["name"], "王小明");
        assert_eq!(o["address"], "锦江区东大街100号");
    }
    // Statistics and the rest of the audit trail are as they were.
    assert_eq!(units_report(&app).await, before);
    let r = app
        .as_user("admin", "GET", "/api/v1/audit?action=retention.purge", None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", r.text);
    assert_eq!(items[0]["actor"], "system");
    assert_eq!(items[0]["detail"]["orders"], 1);
    assert_eq!(items[0]["detail"]["retention_years"], 5);
    // A second run finds nothing more, and says so.
    let again = hotline_app::jobs::retention::run_once(&app.state)
        .await
        .unwrap();
    assert_eq!(again.orders, 0);
}

/// The orders a text search finds, newest first.
async fn found_by_text(app: &TestApp, q: &str) -> Vec<i64> {
    let r = app
        .as_user(
            "supervisor",
            "GET",
            &format!("/api/v1/orders?q={}", urlencode(q)),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect()
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

fn five_years(c: &mut hotline_app::AppConfig) {
    c.retention_years = 5;
}

#[tokio::test]
async fn retention_on_sqlite_with_aes() {
    retention_purges_old_closed_orders_only(
        TestApp::sqlite_sealed_with(sealed(Algorithm::Aes256Gcm), five_years).await,
        true,
    )
    .await;
}

#[tokio::test]
async fn retention_on_sqlite_plain() {
    retention_purges_old_closed_orders_only(
        TestApp::sqlite_sealed_with(hotline_store::personal::Personal::plain(), five_years).await,
        false,
    )
    .await;
}

#[tokio::test]
async fn retention_on_postgres_with_sm4() {
    if let Some(app) = TestApp::postgres_sealed(sealed(Algorithm::Sm4Gcm)).await {
        let app = TestApp::on_state(
            hotline_app::AppState::new(
                app.state.store().clone(),
                app.clock.clone(),
                hotline_app::AppConfig {
                    retention_years: 5,
                    cache_ttl: std::time::Duration::ZERO,
                    ..hotline_app::AppConfig::default()
                },
            ),
            app.clock.clone(),
        );
        retention_purges_old_closed_orders_only(app, true).await;
    }
}

#[tokio::test]
async fn retention_is_off_by_default() {
    let app = TestApp::sqlite_sealed_with(sealed(Algorithm::Aes256Gcm), |_| {}).await;
    app.set_time("2010-03-04T09:00:00+08:00");
    let old = closed_order(&app).await;
    app.set_time("2026-11-02T09:00:00+08:00");
    let purged = hotline_app::jobs::retention::run_once(&app.state)
        .await
        .unwrap();
    assert_eq!(purged.orders, 0);
    assert_eq!(app.order(old).await["requester"]["name"], "王小明");
}

async fn duplicates_are_found_with_encryption_on(app: TestApp) {
    let first = app.complaint().await;
    let r = app.create("operator", order_body("complaint")).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let dups: Vec<i64> = r.body["possible_duplicates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap_or_else(|| d.as_i64().unwrap()))
        .collect();
    assert_eq!(dups, vec![first], "{}", r.text);
    // Only the address is the same: still a possible duplicate (by its keyed hash).
    let mut body = order_body("complaint");
    body["requester"]["phone"] = json!("13900009999");
    let r = app.create("operator", body).await;
    assert!(
        r.text.contains(&format!("{first}")),
        "the address alone finds the first order: {}",
        r.text
    );
    let o = app.order(first).await;
    assert_eq!(o["requester"]["name"], "王小明");
    // Shown masked, as ever: made from the number read back in plain.
    assert_eq!(o["requester"]["phone"], "138****5678");
}

#[tokio::test]
async fn duplicates_on_sqlite_with_sm4() {
    duplicates_are_found_with_encryption_on(
        TestApp::sqlite_sealed_with(sealed(Algorithm::Sm4Gcm), |_| {}).await,
    )
    .await;
}

#[tokio::test]
async fn duplicates_on_postgres_with_aes() {
    if let Some(app) = TestApp::postgres_sealed(sealed(Algorithm::Aes256Gcm)).await {
        duplicates_are_found_with_encryption_on(app).await;
    }
}
