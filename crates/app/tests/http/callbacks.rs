//! Callback and evaluation results where staff work: the 待回访 queue, the 不满意
//! filter, and the result on the order and in lists (issue 16, point 2).

use crate::common::*;
use axum::http::StatusCode;
use serde_json::json;

/// An order dispatched to cd-jt, accepted and replied.
async fn replied(app: &TestApp) -> i64 {
    let id = app.complaint().await;
    app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
        .await;
    app.ok("handler", id, "accept", json!({})).await;
    app.ok(
        "handler",
        id,
        "reply",
        json!({"content": "已处理", "resolved": true}),
    )
    .await;
    id
}

fn ids(body: &serde_json::Value) -> Vec<i64> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect()
}

on_both_backends!(
    the_callback_queue_holds_replied_orders_oldest_first_and_dissatisfied_ones_are_found,
    |app: TestApp| async move {
        app.set_time("2026-03-02T09:00:00+08:00");
        let a = replied(&app).await;
        let b = replied(&app).await;
        let c = replied(&app).await;
        app.complaint().await;
        app.ok(
            "operator",
            c,
            "callback",
            json!({"result": "dissatisfied", "resolved": false}),
        )
        .await;

        let r = app
            .as_user("operator", "GET", "/api/v1/orders?queue=callback", None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            ids(&r.body),
            [a, b],
            "replied and not called back, oldest first"
        );
        // Pages go on from the cursor, still oldest first.
        let first = app
            .as_user(
                "operator",
                "GET",
                "/api/v1/orders?queue=callback&limit=1",
                None,
            )
            .await;
        assert_eq!(ids(&first.body), [a]);
        let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
        let next = app
            .as_user(
                "operator",
                "GET",
                &format!("/api/v1/orders?queue=callback&limit=1&cursor={cursor}"),
                None,
            )
            .await;
        assert_eq!(ids(&next.body), [b]);

        let r = app
            .as_user(
                "dispatcher",
                "GET",
                "/api/v1/orders?evaluation=dissatisfied",
                None,
            )
            .await;
        assert_eq!(ids(&r.body), [c]);
        assert_eq!(r.body["items"][0]["evaluation"]["result"], "dissatisfied");

        for bad in [
            "/api/v1/orders?queue=callback&status=closed",
            "/api/v1/orders?queue=later",
            "/api/v1/orders?evaluation=happy",
        ] {
            let r = app.as_user("operator", "GET", bad, None).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{bad}: {}",
                r.text
            );
        }
        // A handling unit's callback queue holds only its own orders.
        let r = app
            .as_user("handler2", "GET", "/api/v1/orders?queue=callback", None)
            .await;
        assert!(ids(&r.body).is_empty(), "{}", r.text);
    }
);

// Callback before closing (issue 19, point 6): a replied order closes only once the
// requester was tried, unless they cannot be called or administrators turned it off.
on_both_backends!(
    a_replied_order_closes_only_after_a_callback_was_tried,
    |app: TestApp| async move {
        let replied = |body: serde_json::Value| {
            let app = &app;
            async move {
                let id = app.create("operator", body).await.body["id"]
                    .as_i64()
                    .unwrap();
                app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
                    .await;
                app.ok("handler", id, "accept", json!({})).await;
                app.ok(
                    "handler",
                    id,
                    "reply",
                    json!({"content": "已处理", "resolved": true}),
                )
                .await;
                id
            }
        };
        let id = replied(order_body("complaint")).await;
        let before = app.order(id).await["version"].clone();
        let r = app.act("operator", id, "close", json!({})).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert_eq!(r.body["error"]["code"], "callback_required");
        assert_eq!(app.order(id).await["version"], before, "nothing changed");
        app.ok("operator", id, "callback", json!({"result": "unreachable"}))
            .await;
        app.ok("operator", id, "close", json!({})).await;

        // An anonymous requester without a phone cannot be called back.
        let mut anonymous = order_body("complaint");
        anonymous["requester"] = json!({"anonymous": true});
        let id = replied(anonymous).await;
        app.ok("operator", id, "close", json!({})).await;

        // Administrators may turn the rule off.
        let rules = json!({"callback_before_close": {"required": false}});
        let r = app
            .as_user("admin", "PUT", "/api/v1/rules/deadlines", Some(rules))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let id = replied(order_body("complaint")).await;
        app.ok("operator", id, "close", json!({})).await;
    }
);
