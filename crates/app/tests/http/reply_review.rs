//! Reply review (答复审核) and sensitive words (issue 17, point 3): a hotline reviews
//! the replies of the kinds it names before the callback — approve, or send back to
//! the unit with the reason — counted as a rate; words the administrator lists are
//! flagged before a text goes to the public.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::json;

async fn replied(app: &TestApp, kind: &str) -> i64 {
    let r = app.create("operator", order_body(kind)).await;
    let id = r.body["id"].as_i64().unwrap();
    app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
        .await;
    app.ok("handler", id, "accept", json!({})).await;
    app.ok(
        "handler",
        id,
        "reply",
        json!({"content": "已修复路灯", "resolved": true}),
    )
    .await;
    id
}

on_both_backends!(
    a_reviewed_reply_waits_for_approval_or_goes_back_to_the_unit_and_the_rate_is_reported,
    |app: TestApp| async move {
        app.set_time("2026-03-02T09:00:00+08:00");
        let r = app
            .as_user(
                "cdadmin",
                "PUT",
                "/api/v1/rules/reply-review",
                Some(json!({"kinds": ["complaint"]})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = app
            .as_user(
                "dispatcher",
                "PUT",
                "/api/v1/rules/reply-review",
                Some(json!({"kinds": []})),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app
            .as_user("dispatcher", "GET", "/api/v1/rules/reply-review", None)
            .await;
        assert_eq!(r.body["kinds"], json!(["complaint"]));

        // A help request is not reviewed: straight on to the callback.
        let help = replied(&app, "help").await;
        assert_eq!(app.order(help).await["reply_review"], false);
        app.ok(
            "operator",
            help,
            "callback",
            json!({"result": "satisfied", "resolved": true}),
        )
        .await;

        let a = replied(&app, "complaint").await;
        let o = app.order(a).await;
        assert_eq!(
            (o["status"].as_str(), o["reply_review"].as_bool()),
            (Some("replied"), Some(true))
        );
        // The requester does not read a reply under review, nor evaluate it.
        let (number, code) = (
            o["number"].as_str().unwrap(),
            o["tracking_code"].as_str().unwrap(),
        );
        let public = format!("/api/v1/public/orders/{number}?code={code}");
        let r = app.send("GET", &public, None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            (r.body["status"].as_str(), r.body["reply"].is_null()),
            (Some("in_progress"), true),
            "{}",
            r.text
        );
        assert!(!r.text.contains("已修复路灯"));
        let evaluate = format!("/api/v1/public/orders/{number}/evaluation?code={code}");
        let r = app
            .send(
                "POST",
                &evaluate,
                None,
                Some(json!({"result": "satisfied", "resolved": true})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        // It waits in the review queue, not in the callback queue.
        let ids = |r: &Response| -> Vec<i64> {
            r.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["id"].as_i64().unwrap())
                .collect()
        };
        let review = app
            .as_user("dispatcher", "GET", "/api/v1/orders?queue=review", None)
            .await;
        assert_eq!(ids(&review), [a]);
        let callback = app
            .as_user("operator", "GET", "/api/v1/orders?queue=callback", None)
            .await;
        assert!(!ids(&callback).contains(&a), "{}", callback.text);
        for (user, action) in [("operator", "callback"), ("operator", "close")] {
            let r = app
                .act(
                    user,
                    a,
                    action,
                    json!({"result": "satisfied", "resolved": true}),
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::CONFLICT,
                "{action} waits for the review: {}",
                r.text
            );
        }
        let r = app.act("handler", a, "reply/approve", json!({})).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "the unit does not review itself"
        );
        let o = app
            .ok(
                "supervisor",
                a,
                "reply/approve",
                json!({"note": "答复规范"}),
            )
            .await;
        assert_eq!(o["reply_review"], false);
        app.ok(
            "operator",
            a,
            "callback",
            json!({"result": "satisfied", "resolved": true}),
        )
        .await;

        let b = replied(&app, "complaint").await;
        let r = app.act("dispatcher", b, "reply/reject", json!({})).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a reason is needed"
        );
        let o = app
            .ok(
                "dispatcher",
                b,
                "reply/reject",
                json!({"reason": "未说明维修时间，请补充"}),
            )
            .await;
        assert_eq!(
            (o["status"].as_str(), o["reply"].is_null()),
            (Some("in_progress"), true)
        );
        let last = o["events"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (last["type"].as_str(), last["note"].as_str()),
            (Some("reply_rejected"), Some("未说明维修时间，请补充"))
        );
        let notices = app
            .as_user("handler", "GET", "/api/v1/notifications", None)
            .await;
        assert_eq!(
            notices.body["items"][0]["type"], "reply_rejected",
            "the unit hears of it"
        );
        app.ok(
            "handler",
            b,
            "reply",
            json!({"content": "已于3月3日更换灯具", "resolved": true}),
        )
        .await;
        assert_eq!(
            app.order(b).await["reply_review"],
            true,
            "the new reply is reviewed again"
        );
        app.ok("dispatcher", b, "reply/approve", json!({})).await;

        let r = app
            .as_user(
                "supervisor",
                "GET",
                "/api/v1/reports/period?period=month&date=2026-03-02",
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let rr = &r.body["reply_review"];
        assert_eq!(
            (
                rr["reviewed"].as_u64(),
                rr["approved"].as_u64(),
                rr["rejected"].as_u64()
            ),
            (Some(3), Some(2), Some(1)),
            "{rr}"
        );
        assert!((rr["rate"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
        // The reply sent back is not the unit's reply: three replies count, not four.
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
            .find(|l| l["unit"] == "cd-jt")
            .unwrap()
            .clone();
        assert_eq!(
            (
                jt["counts"]["replies"].as_u64(),
                jt["counts"]["completion_due"].as_u64()
            ),
            (Some(3), Some(3)),
            "{jt}"
        );
    }
);

on_both_backends!(
    sensitive_words_are_flagged_before_a_reply_or_an_answer_reaches_the_public,
    |app: TestApp| async move {
        let words = json!({"words": ["保证", "绝对", "保证"]});
        let r = app
            .as_user(
                "cdadmin",
                "PUT",
                "/api/v1/rules/sensitive-words",
                Some(words.clone()),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "the installation's administrators keep it"
        );
        let r = app
            .as_user("admin", "PUT", "/api/v1/rules/sensitive-words", Some(words))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["words"], json!(["保证", "绝对"]));
        let r = app
            .as_user(
                "admin",
                "PUT",
                "/api/v1/rules/sensitive-words",
                Some(json!({"words": ["a\u{1}b"]})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.body["error"]["code"], "control_character");

        let id = app.complaint().await;
        app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        app.ok("handler", id, "accept", json!({})).await;
        let events = app.event_count(id).await;
        let r = app
            .act(
                "handler",
                id,
                "reply",
                json!({"content": "我们保证三天内修好", "resolved": true}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.body["error"]["code"], "sensitive_words");
        assert!(r.text.contains("保证"), "{}", r.text);
        assert_eq!(app.event_count(id).await, events, "nothing sent");
        app.ok(
            "handler",
            id,
            "reply",
            json!({"content": "我们保证三天内修好", "resolved": true, "confirm_sensitive": true}),
        )
        .await;

        let mut consult = order_body("consultation");
        consult["title"] = json!("咨询");
        let c = app.create("operator", consult).await.body["id"]
            .as_i64()
            .unwrap();
        let r = app
            .act("operator", c, "answer", json!({"content": "绝对没有问题"}))
            .await;
        assert_eq!(r.body["error"]["code"], "sensitive_words");
        // Spaces, zero-width characters and full-width forms do not hide a word.
        for hidden in ["绝 对没有问题", "绝\u{200B}对没有问题"] {
            let r = app
                .act("operator", c, "answer", json!({"content": hidden}))
                .await;
            assert_eq!(
                r.body["error"]["code"], "sensitive_words",
                "{hidden:?}: {}",
                r.text
            );
        }
        let r = app
            .as_user("handler", "GET", "/api/v1/rules/sensitive-words", None)
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "those who write to the public read the list"
        );
    }
);
