//! Hotspot warnings: a spike of one topic in one district warns, naming both; the
//! same volume spread evenly over days or districts does not.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::json;

async fn report(app: &TestApp, region: &str, title: &str, when: &str) {
    app.set_time(when);
    let mut body = order_body("complaint");
    body["region"] = json!(region);
    body["title"] = json!(title);
    let r = app.create("operator", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

async fn warnings(app: &TestApp, day: &str) -> serde_json::Value {
    let r = app
        .as_user(
            "supervisor",
            "GET",
            &format!("/api/v1/reports/hotspots?day={day}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["warnings"].clone()
}

/// Some ordinary calls in every district over the fortnight before.
async fn background(app: &TestApp) {
    for d in 10..=23 {
        for (i, region) in ["510104", "510105", "510106", "510107"].iter().enumerate() {
            let title = ["路灯不亮", "小区停水", "道路坑洼", "垃圾清运不及时"][(d + i) % 4];
            report(
                app,
                region,
                title,
                &format!("2026-03-{d:02}T10:00:00+08:00"),
            )
            .await;
        }
    }
}

#[tokio::test]
async fn a_spike_in_one_district_warns_with_its_topic_and_district() {
    let app = TestApp::sqlite().await;
    background(&app).await;
    for h in 9..17 {
        report(
            &app,
            "510104",
            "夜间施工噪声扰民",
            &format!("2026-03-24T{h:02}:00:00+08:00"),
        )
        .await;
    }
    let w = warnings(&app, "2026-03-24").await;
    let list = w.as_array().unwrap();
    assert!(!list.is_empty(), "{w}");
    assert!(
        list.iter().all(|x| x["region"] == "510104"),
        "only Jinjiang spiked: {w}"
    );
    let topics: Vec<&str> = list.iter().map(|x| x["topic"].as_str().unwrap()).collect();
    assert!(topics.iter().any(|t| t.contains("噪声")), "{topics:?}");
    let noise = list
        .iter()
        .find(|x| x["topic"].as_str().unwrap().contains("噪声"))
        .unwrap();
    assert_eq!(noise["count"], 8);
    assert_eq!(noise["orders"].as_array().unwrap().len(), 8);
    let r = app
        .as_user("handler", "GET", "/api/v1/reports/hotspots", None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_same_volume_spread_over_days_or_districts_does_not_warn() {
    let app = TestApp::sqlite().await;
    background(&app).await;
    // Eight noise complaints in Jinjiang, one a day.
    for d in 17..=24 {
        report(
            &app,
            "510104",
            "夜间施工噪声扰民",
            &format!("2026-03-{d:02}T09:00:00+08:00"),
        )
        .await;
    }
    assert_eq!(warnings(&app, "2026-03-24").await, json!([]));

    let app = TestApp::sqlite().await;
    background(&app).await;
    // Eight on one day, one in each of eight districts.
    for r in [
        "510104", "510105", "510106", "510107", "510108", "510112", "510113", "510114",
    ] {
        report(&app, r, "夜间施工噪声扰民", "2026-03-24T09:00:00+08:00").await;
    }
    assert_eq!(warnings(&app, "2026-03-24").await, json!([]));
}

#[tokio::test]
async fn a_topic_that_returns_every_july_shows_year_over_year() {
    let app = TestApp::sqlite().await;
    for year in [2024, 2025, 2026] {
        for d in 1..=3 {
            report(
                &app,
                "510104",
                "暴雨积水严重",
                &format!("{year}-07-{d:02}T10:00:00+08:00"),
            )
            .await;
        }
    }
    report(
        &app,
        "510104",
        "夜间施工噪声扰民",
        "2026-07-05T10:00:00+08:00",
    )
    .await;
    let r = app
        .as_user(
            "supervisor",
            "GET",
            "/api/v1/reports/seasonal?month=2026-07&years=3",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let first = &r.body["items"][0];
    assert!(
        first["topic"].as_str().unwrap().contains("积水")
            || first["topic"].as_str().unwrap().contains("暴雨"),
        "{}",
        r.body
    );
    assert_eq!(first["recurring_in"], 3);
    assert_eq!(first["years"], json!([[2024, 3], [2025, 3], [2026, 3]]));
    let noise = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["topic"] == "噪声")
        .unwrap()
        .clone();
    assert_eq!(noise["recurring_in"], 1, "new this year");
}

/// A spike larger than one page of the store's lists is counted whole (the order
/// lists return at most `MAX_PAGE` at a time; the reports read every page).
#[tokio::test]
async fn a_spike_larger_than_a_page_is_counted_whole() {
    let app = TestApp::sqlite().await;
    background(&app).await;
    let n = hotline_store::MAX_PAGE as usize + 20;
    for i in 0..n {
        report(
            &app,
            "510104",
            "夜间施工噪声扰民",
            &format!("2026-03-24T{:02}:{:02}:00+08:00", 8 + i / 60, i % 60),
        )
        .await;
    }
    let w = warnings(&app, "2026-03-24").await;
    let noise = w
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["topic"].as_str().unwrap().contains("噪声"))
        .cloned()
        .unwrap_or_else(|| panic!("{w}"));
    assert_eq!(noise["count"], n as u64);
}
