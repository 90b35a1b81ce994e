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

// Interim replies (issue 19, point 5): the unit tells the requester its plan and the
// day it expects to finish; the portal shows it until the final reply; the period
// report counts it apart.
on_both_backends!(
    an_interim_reply_reaches_the_portal_and_is_counted_apart,
    |app: TestApp| async move {
        app.set_time("2026-03-02T09:00:00+08:00");
        let r = app.create("operator", order_body("complaint")).await;
        let (id, number, code) = (
            r.body["id"].as_i64().unwrap(),
            r.body["number"].as_str().unwrap().to_owned(),
            r.body["tracking_code"].as_str().unwrap().to_owned(),
        );
        app.ok(
            "dispatcher",
            id,
            "dispatch",
            json!({"unit": "cd-jt", "co_units": ["cd-zj"]}),
        )
        .await;
        let plan = json!({"content": "已列入道路改造计划，正在招标", "planned_date": "2026-04-30"});
        let r = app.act("handler", id, "interim-reply", plan.clone()).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "accepted first: {}", r.text);
        app.ok("handler", id, "accept", json!({})).await;
        let r = app.act("handler2", id, "interim-reply", plan.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "the lead unit's: {}",
            r.text
        );
        let past = json!({"content": "x", "planned_date": "2026-03-01"});
        let r = app.act("handler", id, "interim-reply", past).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let o = app.ok("handler", id, "interim-reply", plan).await;
        assert_eq!(
            (o["status"].as_str(), o["interim_reply"]["planned"].as_str()),
            (Some("in_progress"), Some("2026-04-30"))
        );
        let last = o["events"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["type"], "interim_replied");

        let public = format!("/api/v1/public/orders/{number}?code={code}");
        let r = app.send("GET", &public, None, None).await;
        assert_eq!(
            r.body["interim_reply"]["content"], "已列入道路改造计划，正在招标",
            "{}",
            r.text
        );
        assert!(r.body["reply"].is_null());

        let report = app
            .as_user(
                "supervisor",
                "GET",
                "/api/v1/reports/period?period=month&date=2026-03-10",
                None,
            )
            .await;
        assert_eq!(report.body["interim_replies"], 1, "{}", report.text);

        // The final reply replaces it on the portal.
        app.ok(
            "handler",
            id,
            "reply",
            json!({"content": "已修复", "resolved": true}),
        )
        .await;
        let r = app.send("GET", &public, None, None).await;
        assert!(r.body["interim_reply"].is_null(), "{}", r.text);
        assert_eq!(r.body["reply"]["content"], "已修复");
    }
);
