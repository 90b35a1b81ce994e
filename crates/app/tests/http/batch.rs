//! Batch work (issue 17, point 5): several orders dispatched to one unit, accepted,
//! or marked unreachable at callback in one request — each still its own audited
//! action, one refused order not stopping the others, a bad batch changing nothing.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::{Value, json};

async fn batch(app: &TestApp, user: &str, action: &str, body: Value) -> Response {
    app.as_user(
        user,
        "POST",
        &format!("/api/v1/orders/batch/{action}"),
        Some(body),
    )
    .await
}

fn statuses(r: &Response) -> Vec<(i64, String)> {
    r.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            let outcome = x["status"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| x["error"]["code"].as_str().unwrap().to_owned());
            (x["id"].as_i64().unwrap(), outcome)
        })
        .collect()
}

async fn audit_count(app: &TestApp, action: &str) -> usize {
    let r = app
        .as_user(
            "admin",
            "GET",
            &format!("/api/v1/audit?action={action}&limit=200"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"].as_array().unwrap().len()
}

on_both_backends!(
    a_batch_is_one_audited_action_per_order_and_one_refusal_stops_no_other,
    |app: TestApp| async move {
        app.set_time("2026-03-02T09:00:00+08:00");
        let (a, b, c) = (
            app.complaint().await,
            app.complaint().await,
            app.complaint().await,
        );
        // c is already dispatched elsewhere: a second dispatch of it is refused alone.
        app.ok("dispatcher", c, "dispatch", json!({"unit": "cd-zj"}))
            .await;
        let before = audit_count(&app, "order.dispatch").await;
        let r = batch(
            &app,
            "dispatcher",
            "dispatch",
            json!({"orders": [a, b, c], "body": {"unit": "cd-jt", "note": "同一小区停水"}}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            (r.body["done"].as_u64(), r.body["failed"].as_u64()),
            (Some(2), Some(1))
        );
        assert_eq!(
            statuses(&r),
            [
                (a, "dispatched".to_owned()),
                (b, "dispatched".to_owned()),
                (c, "invalid_transition".to_owned())
            ]
        );
        assert_eq!(audit_count(&app, "order.dispatch").await, before + 2);
        for id in [a, b] {
            let o = app.order(id).await;
            assert_eq!(o["unit"], "cd-jt");
            let events = o["events"].as_array().unwrap();
            assert_eq!(events.last().unwrap()["type"], "dispatched", "{o}");
        }
        assert_eq!(app.order(c).await["unit"], "cd-zj", "c left as it was");

        // The unit accepts both in one go.
        let r = batch(&app, "handler", "accept", json!({"orders": [a, b]})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            statuses(&r),
            [(a, "in_progress".to_owned()), (b, "in_progress".to_owned())]
        );
        for id in [a, b] {
            app.ok(
                "handler",
                id,
                "reply",
                json!({"content": "已处理", "resolved": true}),
            )
            .await;
        }
        // Nobody answers at callback: both marked unreachable, each its own event.
        let r = batch(
            &app,
            "operator",
            "callback",
            json!({"orders": [a, b], "body": {"result": "unreachable", "note": "两次未接"}}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["done"], 2);
        for id in [a, b] {
            let o = app.order(id).await;
            assert_eq!(o["callback_attempts"], 1, "{o}");
            let last = o["events"].as_array().unwrap().last().unwrap().clone();
            assert_eq!(
                (last["type"].as_str(), last["data"]["result"].as_str()),
                (Some("called_back"), Some("unreachable"))
            );
        }
        // An order the caller cannot see is not found, like a single action on it.
        let r = batch(&app, "handler", "accept", json!({"orders": [c]})).await;
        assert_eq!(statuses(&r), [(c, "not_found".to_owned())]);
    }
);

on_both_backends!(
    a_bad_batch_is_refused_whole_before_any_order_changes,
    |app: TestApp| async move {
        app.set_time("2026-03-02T09:00:00+08:00");
        let a = app.complaint().await;
        let events = app.event_count(a).await;
        let too_many: Vec<i64> = (1..=101).collect();
        let cases = [
            (
                "dispatch",
                json!({"orders": [a, a], "body": {"unit": "cd-jt"}}),
                "orders",
            ),
            (
                "dispatch",
                json!({"orders": [], "body": {"unit": "cd-jt"}}),
                "orders",
            ),
            (
                "dispatch",
                json!({"orders": too_many, "body": {"unit": "cd-jt"}}),
                "orders",
            ),
            ("dispatch", json!({"orders": [a]}), "unit"),
            (
                "dispatch",
                json!({"orders": [a], "body": {"unit": "cd\u{1}jt"}}),
                "body.unit",
            ),
            (
                "callback",
                json!({"orders": [a], "body": {"result": "satisfied"}}),
                "result",
            ),
            ("close", json!({"orders": [a]}), "action"),
            (
                "reopen",
                json!({"orders": [a], "body": {"reason": "x"}}),
                "action",
            ),
        ];
        for (action, body, field) in cases {
            let r = batch(&app, "dispatcher", action, body.clone()).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{action} {body}: {}",
                r.text
            );
            assert!(
                r.body["error"]["fields"].get(field).is_some()
                    || r.body["error"]["message"].as_str().unwrap().contains(field),
                "{action} {body}: {}",
                r.text
            );
        }
        let r = batch(&app, "dispatcher", "no_such_action", json!({"orders": [a]})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(app.event_count(a).await, events, "nothing recorded");
        assert_eq!(app.order(a).await["status"], "registered");
    }
);

/// A key issued for `accept` alone may accept in a batch and may not dispatch in one.
#[tokio::test]
async fn a_keys_scopes_cover_a_batch_by_its_action() {
    let app = TestApp::sqlite().await;
    let a = app.complaint().await;
    let key = issue_key(&app, "cd12345", json!(["accept"]), "batch-key").await;
    let r = app
        .send(
            "POST",
            "/api/v1/orders/batch/dispatch",
            Some(&key),
            Some(json!({"orders": [a], "body": {"unit": "cd-jt"}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(app.order(a).await["status"], "registered");
}
