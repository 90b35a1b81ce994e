//! Summons: configured rules over a month, the units that meet them with the orders
//! behind each, and the record of acting on them.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::{Value, json};

async fn dispatched(app: &TestApp, kind: &str, unit: &str, handler: &str) -> i64 {
    app.set_time("2026-03-02T09:00:00+08:00");
    let id = app.create("operator", order_body(kind)).await.body["id"]
        .as_i64()
        .unwrap();
    app.ok("dispatcher", id, "dispatch", json!({"unit": unit}))
        .await;
    app.ok(handler, id, "accept", json!({})).await;
    id
}

async fn summons(app: &TestApp, user: &str) -> Value {
    let r = app
        .as_user(user, "GET", "/api/v1/reports/summons?month=2026-03", None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"].clone()
}

on_both_backends!(
    units_meeting_a_rule_are_listed_with_their_orders_and_acting_is_recorded,
    |app: TestApp| async move {
        let mut late = Vec::new();
        for _ in 0..3 {
            late.push(dispatched(&app, "consultation", "cd-jt", "handler").await);
        }
        dispatched(&app, "consultation", "cd-zj", "handler2").await;
        let again = dispatched(&app, "complaint", "cd-jt", "handler").await;
        for (day, _) in [(10, 0), (12, 1)] {
            app.set_time(&format!("2026-03-{day:02}T09:00:00+08:00"));
            app.ok(
                "handler",
                again,
                "reply",
                json!({"content": "已处理", "resolved": false}),
            )
            .await;
            app.ok(
                "operator",
                again,
                "callback",
                json!({"result": "dissatisfied", "resolved": false}),
            )
            .await;
            app.ok(
                "dispatcher",
                again,
                "reopen",
                json!({"reason": "群众不满意"}),
            )
            .await;
        }

        app.set_time("2026-04-01T09:00:00+08:00");
        // The server's monthly evaluation puts March's list on record, once.
        let evaluate = || hotline_app::reports::summons::evaluate_last_month(&app.state);
        assert_eq!(evaluate().await.unwrap().as_deref(), Some("2026-03"));
        assert_eq!(evaluate().await.unwrap(), None, "a month is evaluated once");
        let recorded = app
            .state
            .store()
            .audit_entries(&hotline_store::AuditFilter {
                action: Some("summons.evaluated".into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(recorded.len(), 1);
        assert_eq!(recorded[0].record.actor, "system");
        assert_eq!(recorded[0].record.detail["units"][0]["unit"], "cd-jt");
        let items = summons(&app, "supervisor").await;
        let list = items.as_array().unwrap();
        assert_eq!(
            list.len(),
            1,
            "cd-zj has one overdue order, under the minimum: {items}"
        );
        assert_eq!(list[0]["unit"], "cd-jt");
        let kinds: Vec<&str> = list[0]["triggers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["rule"]["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["overdue_orders", "repeat_reopens"]);
        let overdue: Vec<i64> = list[0]["triggers"][0]["orders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        let mut expected = late.clone();
        expected.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(overdue, expected);
        assert_eq!(list[0]["triggers"][1]["orders"], json!([again]));
        assert!(list[0]["acted"].is_null());

        // The administrator lowers the evaluation minimum: dissatisfaction counts now.
        let rules =
            json!({"rules": [{"kind": "low_satisfaction", "below": 0.8, "min_evaluations": 2}]});
        let denied = app
            .as_user(
                "supervisor",
                "PUT",
                "/api/v1/reports/summons/rules",
                Some(rules.clone()),
            )
            .await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN);
        let bad = app
            .as_user(
                "admin",
                "PUT",
                "/api/v1/reports/summons/rules",
                Some(json!({"rules": []})),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let ok = app
            .as_user("admin", "PUT", "/api/v1/reports/summons/rules", Some(rules))
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
        let items = summons(&app, "supervisor").await;
        assert_eq!(items[0]["triggers"][0]["rule"]["kind"], "low_satisfaction");
        assert_eq!(items[0]["triggers"][0]["orders"], json!([again]));

        let r = app
            .as_user(
                "supervisor",
                "POST",
                "/api/v1/reports/summons/acted",
                Some(json!({"month": "2026-03", "unit": "cd-jt", "note": "已约谈单位负责人"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        let items = summons(&app, "supervisor").await;
        assert_eq!(items[0]["acted"]["by"], "supervisor");
        assert_eq!(items[0]["acted"]["note"], "已约谈单位负责人");
        let r = app
            .as_user(
                "supervisor",
                "POST",
                "/api/v1/reports/summons/acted",
                Some(json!({"month": "2026-03", "unit": "cd-zj", "note": "约谈"})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "no summons for cd-zj"
        );
        let r = app
            .as_user(
                "handler",
                "GET",
                "/api/v1/reports/summons?month=2026-03",
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
);
