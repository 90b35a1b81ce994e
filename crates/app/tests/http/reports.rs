//! The unit assessment over a scripted month with known outcomes.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::{Value, json};

async fn order(app: &TestApp, kind: &str) -> i64 {
    app.create("operator", order_body(kind)).await.body["id"]
        .as_i64()
        .unwrap()
}

async fn step(app: &TestApp, when: &str, user: &str, id: i64, action: &str, body: Value) {
    app.set_time(when);
    app.ok(user, id, action, body).await;
}

fn close_to(v: &Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - expected).abs() < 1e-9)
}

on_both_backends!(
    a_scripted_month_yields_exactly_the_expected_rates_and_score,
    |app: TestApp| async move {
        // Outside the range: a dispatch in February counts for nothing.
        app.set_time("2026-02-27T09:00:00+08:00");
        let early = order(&app, "complaint").await;
        app.ok("dispatcher", early, "dispatch", json!({"unit": "cd-jt"}))
            .await;

        app.set_time("2026-03-02T09:00:00+08:00");
        let (a, b, c) = (
            order(&app, "complaint").await,
            order(&app, "complaint").await,
            order(&app, "complaint").await,
        );
        let d = order(&app, "consultation").await;
        let e = order(&app, "consultation").await;
        let jt = json!({"unit": "cd-jt"});
        // A: accepted on time, replied on time, satisfied and resolved.
        step(
            &app,
            "2026-03-02T09:05:00+08:00",
            "dispatcher",
            a,
            "dispatch",
            jt.clone(),
        )
        .await;
        step(
            &app,
            "2026-03-02T10:00:00+08:00",
            "handler",
            a,
            "accept",
            json!({}),
        )
        .await;
        step(
            &app,
            "2026-03-03T10:00:00+08:00",
            "handler",
            a,
            "reply",
            json!({"content": "已修复", "resolved": true}),
        )
        .await;
        step(
            &app,
            "2026-03-04T10:00:00+08:00",
            "operator",
            a,
            "callback",
            json!({"result": "satisfied", "resolved": true}),
        )
        .await;
        // B: accepted late; dissatisfied, reopened, replied again, fairly satisfied.
        step(
            &app,
            "2026-03-02T09:05:00+08:00",
            "dispatcher",
            b,
            "dispatch",
            jt.clone(),
        )
        .await;
        step(
            &app,
            "2026-03-04T09:00:00+08:00",
            "handler",
            b,
            "accept",
            json!({}),
        )
        .await;
        step(
            &app,
            "2026-03-05T09:00:00+08:00",
            "handler",
            b,
            "reply",
            json!({"content": "已处理", "resolved": false}),
        )
        .await;
        step(
            &app,
            "2026-03-05T15:00:00+08:00",
            "operator",
            b,
            "callback",
            json!({"result": "dissatisfied", "resolved": false}),
        )
        .await;
        step(
            &app,
            "2026-03-06T09:00:00+08:00",
            "dispatcher",
            b,
            "reopen",
            json!({"reason": "群众不满意"}),
        )
        .await;
        step(
            &app,
            "2026-03-09T09:00:00+08:00",
            "handler",
            b,
            "reply",
            json!({"content": "已重新处理", "resolved": true}),
        )
        .await;
        step(
            &app,
            "2026-03-10T09:00:00+08:00",
            "operator",
            b,
            "callback",
            json!({"result": "fairly_satisfied", "resolved": true}),
        )
        .await;
        // C: returned by cd-jt (approved), re-dispatched to cd-zj, which does it all.
        step(
            &app,
            "2026-03-02T09:05:00+08:00",
            "dispatcher",
            c,
            "dispatch",
            jt.clone(),
        )
        .await;
        step(
            &app,
            "2026-03-02T11:00:00+08:00",
            "handler",
            c,
            "return",
            json!({"reason": "不属本单位职责"}),
        )
        .await;
        step(
            &app,
            "2026-03-02T14:00:00+08:00",
            "dispatcher",
            c,
            "return/approve",
            json!({}),
        )
        .await;
        step(
            &app,
            "2026-03-02T14:05:00+08:00",
            "dispatcher",
            c,
            "dispatch",
            json!({"unit": "cd-zj"}),
        )
        .await;
        step(
            &app,
            "2026-03-02T15:00:00+08:00",
            "handler2",
            c,
            "accept",
            json!({}),
        )
        .await;
        step(
            &app,
            "2026-03-03T15:00:00+08:00",
            "handler2",
            c,
            "reply",
            json!({"content": "已办结", "resolved": true}),
        )
        .await;
        step(
            &app,
            "2026-03-04T09:00:00+08:00",
            "operator",
            c,
            "callback",
            json!({"result": "unreachable", "resolved": false}),
        )
        .await;
        step(
            &app,
            "2026-03-04T16:00:00+08:00",
            "operator",
            c,
            "callback",
            json!({"result": "satisfied", "resolved": true}),
        )
        .await;
        // D: returned once, re-dispatched to the same unit (another dispatch), replied late.
        step(
            &app,
            "2026-03-02T09:05:00+08:00",
            "dispatcher",
            d,
            "dispatch",
            jt.clone(),
        )
        .await;
        step(
            &app,
            "2026-03-02T09:30:00+08:00",
            "handler",
            d,
            "return",
            json!({"reason": "需补充材料"}),
        )
        .await;
        step(
            &app,
            "2026-03-02T09:40:00+08:00",
            "dispatcher",
            d,
            "return/approve",
            json!({}),
        )
        .await;
        step(
            &app,
            "2026-03-02T10:00:00+08:00",
            "dispatcher",
            d,
            "dispatch",
            jt.clone(),
        )
        .await;
        step(
            &app,
            "2026-03-02T10:30:00+08:00",
            "handler",
            d,
            "accept",
            json!({}),
        )
        .await;
        step(
            &app,
            "2026-03-06T09:00:00+08:00",
            "handler",
            d,
            "reply",
            json!({"content": "已答复", "resolved": true}),
        )
        .await;
        // E: never accepted nor replied; its deadline (03-05) passes, the watch
        // records it, and the dispatch counts as late.
        step(
            &app,
            "2026-03-02T09:05:00+08:00",
            "dispatcher",
            e,
            "dispatch",
            jt.clone(),
        )
        .await;
        app.set_time("2026-03-06T10:00:00+08:00");
        hotline_app::jobs::deadline_watch::run_once(&app.state)
            .await
            .unwrap();
        // F: dispatched to cd-zj at the end of March, replied late in April: not due
        // by March's end, so March leaves it out; March and April count it late.
        app.set_time("2026-03-30T09:00:00+08:00");
        let f = order(&app, "consultation").await;
        step(
            &app,
            "2026-03-30T09:05:00+08:00",
            "dispatcher",
            f,
            "dispatch",
            json!({"unit": "cd-zj"}),
        )
        .await;
        step(
            &app,
            "2026-03-30T10:00:00+08:00",
            "handler2",
            f,
            "accept",
            json!({}),
        )
        .await;
        step(
            &app,
            "2026-04-07T09:00:00+08:00",
            "handler2",
            f,
            "reply",
            json!({"content": "已办结", "resolved": true}),
        )
        .await;
        app.set_time("2026-04-10T09:00:00+08:00");

        let spring = app
            .as_user(
                "supervisor",
                "GET",
                "/api/v1/reports/units?from=2026-03-01&to=2026-04-30",
                None,
            )
            .await;
        let zj_spring = spring.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["unit"] == "cd-zj")
            .unwrap()
            .clone();
        assert!(
            close_to(&zj_spring["rates"]["on_time_completion"], 1.0 / 2.0),
            "{zj_spring}"
        );
        let r = app
            .as_user(
                "supervisor",
                "GET",
                "/api/v1/reports/units?from=2026-03-01&to=2026-03-31",
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let items = r.body["items"].as_array().unwrap();
        let line = |code: &str| items.iter().find(|i| i["unit"] == code).unwrap().clone();
        let zj = line("cd-zj");
        assert_eq!(items[0]["unit"], "cd-zj", "best score first");
        assert_eq!(zj["dispatches"], 2, "C and F");
        for rate in [
            "response",
            "on_time_completion",
            "resolution",
            "satisfaction",
        ] {
            assert!(
                close_to(&zj["rates"][rate], 1.0),
                "{rate}: {}",
                zj["rates"][rate]
            );
        }
        assert!(close_to(&zj["score"], 100.0));

        let jt = line("cd-jt");
        assert_eq!(
            jt["dispatches"], 6,
            "A, B, C, D twice and E; not February's"
        );
        let rates = &jt["rates"];
        assert!(close_to(&rates["response"], 2.0 / 6.0), "{rates}");
        // Due: A and B on time, D's second dispatch replied late, E overdue; C's and
        // D's first dispatches were returned before anything fell due.
        assert!(close_to(&rates["on_time_completion"], 2.0 / 4.0), "{rates}");
        assert_eq!(
            (
                &jt["counts"]["completion_due"],
                &jt["counts"]["completed_on_time"]
            ),
            (&json!(4), &json!(2))
        );
        assert!(close_to(&rates["return"], 2.0 / 6.0), "{rates}");
        assert!(close_to(&rates["reopen"], 1.0 / 4.0), "{rates}");
        assert!(close_to(&rates["resolution"], 2.0 / 3.0), "{rates}");
        assert!(close_to(&rates["satisfaction"], 2.0 / 3.0), "{rates}");
        let expected = 100.0 * (0.20 / 3.0 + 0.30 * 0.5 + 0.25 * 2.0 / 3.0 + 0.25 * 2.0 / 3.0);
        assert!(
            close_to(&jt["score"], expected),
            "{} vs {expected}",
            jt["score"]
        );
        assert_eq!(
            jt["weights"],
            json!({"response": 0.20, "on_time_completion": 0.30, "resolution": 0.25, "satisfaction": 0.25})
        );

        assert_eq!(
            (zj["level"].as_str(), zj["rank"].as_u64()),
            (Some("department"), Some(1))
        );
        assert_eq!(
            (jt["level"].as_str(), jt["rank"].as_u64()),
            (Some("department"), Some(2))
        );

        // The administrator weighs response alone, in the three weights of the
        // settings before on-time completion was weighed: on-time completion stays
        // at 0, the score follows, and the console page says so.
        let w = json!({"response": 1.0, "resolution": 0.0, "satisfaction": 0.0});
        let bad = app
            .as_user(
                "admin",
                "PUT",
                "/api/v1/reports/weights",
                Some(json!({"response": 0.9, "resolution": 0.9, "satisfaction": 0.0})),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let denied = app
            .as_user(
                "supervisor",
                "PUT",
                "/api/v1/reports/weights",
                Some(w.clone()),
            )
            .await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN);
        assert_eq!(
            app.as_user("admin", "PUT", "/api/v1/reports/weights", Some(w.clone()))
                .await
                .status,
            StatusCode::OK
        );
        let r = app
            .as_user(
                "supervisor",
                "GET",
                "/api/v1/reports/units?from=2026-03-01&to=2026-03-31",
                None,
            )
            .await;
        let jt = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["unit"] == "cd-jt")
            .unwrap()
            .clone();
        assert!(close_to(&jt["score"], 100.0 / 3.0), "{}", jt["score"]);
        assert_eq!(
            jt["weights"],
            json!({"response": 1.0, "on_time_completion": 0.0, "resolution": 0.0, "satisfaction": 0.0})
        );

        let denied = app
            .as_user("handler", "GET", "/api/v1/reports/units", None)
            .await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN);
        let elsewhere = app
            .as_user(
                "mydispatcher",
                "GET",
                "/api/v1/reports/units?from=2026-03-01&to=2026-03-31",
                None,
            )
            .await;
        assert!(
            elsewhere.body["items"].as_array().unwrap().is_empty(),
            "another city's units are not Mianyang's"
        );
    }
);

#[tokio::test]
async fn the_monthly_report_counts_volumes_deadlines_and_satisfaction_and_exports_them() {
    let app = TestApp::sqlite().await;
    app.set_time("2026-03-02T09:00:00+08:00");
    let a = app.complaint().await;
    app.complaint().await;
    let c = app
        .create("operator", order_body("consultation"))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    app.ok("dispatcher", c, "dispatch", json!({"unit": "cd-jt"}))
        .await;
    app.ok("handler", c, "accept", json!({})).await;
    app.set_time("2026-03-03T09:00:00+08:00");
    app.ok(
        "handler",
        c,
        "reply",
        json!({"content": "已答复", "resolved": true}),
    )
    .await;
    app.ok(
        "operator",
        c,
        "callback",
        json!({"result": "fairly_satisfied", "resolved": true}),
    )
    .await;
    app.set_time("2026-04-01T09:00:00+08:00");
    app.create("operator", order_body("help")).await;

    let r = app
        .as_user(
            "supervisor",
            "GET",
            "/api/v1/reports/period?period=month&date=2026-03-15",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let b = &r.body;
    assert_eq!(
        (b["from"].as_str(), b["to"].as_str()),
        (Some("2026-03-01"), Some("2026-03-31"))
    );
    assert_eq!(b["total"], 3, "April's order is not March's");
    assert_eq!(
        b["by_kind"],
        json!([{"key": "complaint", "count": 2}, {"key": "consultation", "count": 1}])
    );
    assert_eq!(b["by_unit"], json!([{"key": "cd-jt", "count": 1}]));
    // All three deadlines fell in March (the complaints' on 03-23): one replied in time.
    assert_eq!(b["deadline"]["due"], 3);
    assert_eq!(
        (
            b["deadline"]["on_time"].as_u64(),
            b["deadline"]["late"].as_u64()
        ),
        (Some(1), Some(2))
    );
    assert_eq!(b["satisfaction"]["fairly_satisfied"], 1);
    assert!((b["satisfaction"]["rate"].as_f64().unwrap() - 1.0).abs() < 1e-9);
    // Topics are jieba's words of the titles ("路灯不亮" on all three).
    let top = &b["top_issues"][0];
    assert_eq!(top["count"], 3, "{}", b["top_issues"]);
    assert!("路灯不亮".contains(top["key"].as_str().unwrap()), "{top}");
    let _ = a;
    let week = app
        .as_user(
            "supervisor",
            "GET",
            "/api/v1/reports/period?period=week&date=2026-03-04",
            None,
        )
        .await;
    assert_eq!(
        (week.body["from"].as_str(), week.body["to"].as_str()),
        (Some("2026-03-02"), Some("2026-03-08"))
    );
    let denied = app
        .as_user("handler", "GET", "/api/v1/reports/period", None)
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
}

/// The server's follower counts each event once it has settled; a report counts the
/// fresh ones itself, so its figures include an order registered a moment ago.
#[tokio::test]
async fn the_follower_counts_settled_events_once_and_reports_never_lag() {
    use hotline_app::reports::stats::{backlogged, follow_once};
    let app = TestApp::sqlite().await;
    app.set_time("2026-03-02T09:00:00+08:00");
    app.complaint().await;
    let store = app.state.store().clone();
    let now = app.state.now();
    assert_eq!(follow_once(store.as_ref(), now).await.unwrap(), (0, false));
    async fn report(app: &TestApp) -> Option<u64> {
        app.as_user(
            "supervisor",
            "GET",
            "/api/v1/reports/period?period=day&date=2026-03-02",
            None,
        )
        .await
        .body["total"]
            .as_u64()
    }
    assert_eq!(
        report(&app).await,
        Some(1),
        "the fresh order is in the report"
    );
    app.set_time("2026-03-02T09:00:05+08:00");
    let now = app.state.now();
    // A waiting event is a backlog when the limit is 1 (the server's is 50,000:
    // beyond it reports answer 503 `counting` while the follower works it off).
    assert!(backlogged(store.as_ref(), 1).await.unwrap());
    assert!(!backlogged(store.as_ref(), 2).await.unwrap());
    assert_eq!(follow_once(store.as_ref(), now).await.unwrap(), (1, true));
    assert_eq!(follow_once(store.as_ref(), now).await.unwrap(), (0, false));
    assert!(!backlogged(store.as_ref(), 1).await.unwrap());
    assert_eq!(report(&app).await, Some(1), "counted once");
}
