//! Reports over any period (issue 17, point 6): a daily trend, 环比 and 同比, quarters,
//! years and any range; merged duplicates counted once; topics without words that
//! say nothing (哪些, 材料); the summons form at the console.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::{Value, json};

async fn registered(app: &TestApp, at: &str, title: &str) -> i64 {
    app.set_time(at);
    let mut body = order_body("consultation");
    body["title"] = json!(title);
    let r = app.create("operator", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_i64().unwrap()
}

async fn report(app: &TestApp, query: &str) -> Value {
    let r = app
        .as_user(
            "supervisor",
            "GET",
            &format!("/api/v1/reports/period?{query}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text);
    r.body
}

on_both_backends!(
    a_period_shows_its_daily_trend_its_change_and_counts_a_merged_duplicate_once,
    |app: TestApp| async move {
        registered(&app, "2025-03-10T09:00:00+08:00", "护照办理需要哪些材料").await;
        for day in ["2026-02-10", "2026-02-11"] {
            registered(
                &app,
                &format!("{day}T09:00:00+08:00"),
                "护照办理需要哪些材料",
            )
            .await;
        }
        let a = registered(&app, "2026-03-02T09:00:00+08:00", "护照办理需要哪些材料").await;
        registered(&app, "2026-03-02T10:00:00+08:00", "社保卡补办需要哪些材料").await;
        let dup = registered(&app, "2026-03-03T09:00:00+08:00", "护照办理需要哪些材料").await;
        app.set_time("2026-03-20T09:00:00+08:00");
        app.ok("operator", dup, "merge", json!({"into": a})).await;

        let m = report(&app, "period=month&date=2026-03-15").await;
        assert_eq!(
            m["total"], 2,
            "the merged duplicate is counted once, as its target: {m}"
        );
        let trend = m["trend"].as_array().unwrap();
        assert_eq!(trend.len(), 31);
        assert_eq!(trend[1], json!({"date": "2026-03-02", "count": 2}));
        assert_eq!(trend[2]["count"], 0, "the duplicate's day counts nothing");
        let c = &m["comparison"];
        assert_eq!(
            (c["previous"].as_u64(), c["last_year"].as_u64()),
            (Some(2), Some(1)),
            "{c}"
        );
        assert_eq!(c["change_from_previous"], 0.0);
        assert_eq!(c["change_from_last_year"], 1.0);
        let issues: Vec<&str> = m["top_issues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["key"].as_str().unwrap())
            .collect();
        assert!(
            !issues.contains(&"哪些") && !issues.contains(&"材料") && !issues.contains(&"需要"),
            "{issues:?}"
        );
        assert!(issues.contains(&"护照"), "{issues:?}");

        let q = report(&app, "period=quarter&date=2026-02-15").await;
        assert_eq!(
            (q["from"].as_str(), q["to"].as_str(), q["total"].as_u64()),
            (Some("2026-01-01"), Some("2026-03-31"), Some(4))
        );
        let y = report(&app, "period=year&date=2026-06-01").await;
        assert_eq!(
            (y["from"].as_str(), y["to"].as_str()),
            (Some("2026-01-01"), Some("2026-12-31"))
        );
        assert_eq!(
            y["trend"].as_array().unwrap().len(),
            12,
            "a year's trend by month"
        );
        assert_eq!(y["trend"][1], json!({"date": "2026-02", "count": 2}));
        let r = report(&app, "period=range&from=2026-02-11&to=2026-03-02").await;
        assert_eq!(r["total"], 3);
        assert_eq!(r["comparison"]["previous"], 1, "the 20 days before");

        for bad in [
            "period=range&from=2026-03-02&to=2026-02-01",
            "period=range&from=2025-01-01&to=2026-03-02",
            "period=range",
        ] {
            let r = app
                .as_user(
                    "supervisor",
                    "GET",
                    &format!("/api/v1/reports/period?{bad}"),
                    None,
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{bad}: {}",
                r.text
            );
        }
    }
);
