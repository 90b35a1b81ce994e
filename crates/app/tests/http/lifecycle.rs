//! The order lifecycle over HTTP, through the real router, on SQLite and (when
//! `HOTLINE_TEST_DATABASE_URL` is set) on PostgreSQL.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::json;

on_both_backends!(
    an_order_goes_from_registered_to_closed,
    |app: TestApp| async move {
        let id = app.complaint().await;
        let o = app.order(id).await;
        assert_eq!(o["status"], "registered");
        assert_eq!(o["hotline"], "cd12345");
        assert!(o["number"].as_str().unwrap().starts_with("20261102-"));
        assert_eq!(o["deadline"], "2026-11-23T23:59:59+08:00");
        assert_eq!(o["sla"], "on_track");
        let o = app
            .ok(
                "dispatcher",
                id,
                "dispatch",
                json!({"unit": "cd-jt", "co_units": ["cd-zj"]}),
            )
            .await;
        assert_eq!(
            (o["status"].as_str(), o["unit"].as_str()),
            (Some("dispatched"), Some("cd-jt"))
        );
        assert_eq!(
            app.ok("handler", id, "accept", json!({})).await["status"],
            "in_progress"
        );
        app.ok(
            "handler2",
            id,
            "note",
            json!({"content": "协办意见：已配合现场核查"}),
        )
        .await;
        let o = app
            .ok(
                "handler",
                id,
                "reply",
                json!({"content": "已更换灯泡", "resolved": true}),
            )
            .await;
        assert_eq!(o["status"], "replied");
        let o = app
            .ok(
                "operator",
                id,
                "callback",
                json!({"result": "satisfied", "resolved": true}),
            )
            .await;
        assert_eq!(o["status"], "callback_done");
        let o = app.ok("operator", id, "close", json!({})).await;
        assert_eq!(o["status"], "closed");
        let types: Vec<String> = o["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            types,
            [
                "registered",
                "dispatched",
                "accepted",
                "noted",
                "replied",
                "called_back",
                "closed"
            ]
        );
        assert_eq!(o["events"][1]["actor"], "dispatcher");
        assert_eq!(o["events"][2]["unit"], "cd-jt");
    }
);

on_both_backends!(
    a_return_is_approved_and_the_order_redispatched,
    |app: TestApp| async move {
        let id = app.complaint().await;
        app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        let o = app
            .ok(
                "handler",
                id,
                "return",
                json!({"reason": "不属于本单位职责"}),
            )
            .await;
        assert_eq!(o["status"], "return_requested");
        let o = app
            .ok(
                "dispatcher",
                id,
                "return/approve",
                json!({"note": "同意退回"}),
            )
            .await;
        assert_eq!(o["status"], "registered");
        assert_eq!(o["unit"], serde_json::Value::Null);
        let r = app
            .as_user("handler", "GET", &format!("/api/v1/orders/{id}"), None)
            .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "the returning unit no longer sees it"
        );
        let o = app
            .ok("dispatcher", id, "dispatch", json!({"unit": "cd-zj"}))
            .await;
        assert_eq!(
            (o["status"].as_str(), o["unit"].as_str()),
            (Some("dispatched"), Some("cd-zj"))
        );
        assert_eq!(
            o["deadline"], "2026-11-23T23:59:59+08:00",
            "the deadline keeps running"
        );
    }
);

on_both_backends!(
    an_approved_extension_moves_the_deadline_by_exactly_its_working_days,
    |app: TestApp| async move {
        app.set_time("2026-09-14T09:00:00+08:00");
        let id = app.complaint().await;
        assert_eq!(app.order(id).await["deadline"], "2026-10-10T23:59:59+08:00");
        app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        app.ok("handler", id, "accept", json!({})).await;
        let o = app
            .ok(
                "handler",
                id,
                "extension",
                json!({"days": 3, "reason": "需现场勘查"}),
            )
            .await;
        assert_eq!(o["extension"]["days"], 3);
        assert_eq!(o["deadline"], "2026-10-10T23:59:59+08:00");
        let again = app
            .act(
                "handler",
                id,
                "extension",
                json!({"days": 1, "reason": "再延"}),
            )
            .await;
        assert_eq!(
            (again.status, again.body["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("extension_pending"))
        );
        let o = app
            .ok("supervisor", id, "extension/approve", json!({}))
            .await;
        // Saturday 10 October is a make-up working day; three more: 12, 13, 14 October.
        assert_eq!(o["deadline"], "2026-10-14T23:59:59+08:00");
        assert_eq!(o["extension"], serde_json::Value::Null);
    }
);

on_both_backends!(
    refused_actions_answer_409_or_403_and_add_no_event,
    |app: TestApp| async move {
        let id = app.complaint().await;
        let before = app.event_count(id).await;
        // Wrong state: 409 invalid_transition.
        for (user, action, body) in [
            ("handler", "accept", json!({})),
            ("operator", "close", json!({})),
            (
                "operator",
                "callback",
                json!({"result": "satisfied", "resolved": true}),
            ),
            ("supervisor", "reopen", json!({"reason": "x"})),
            ("dispatcher", "return/approve", json!({})),
            ("supervisor", "urge", json!({"note": "请加快"})),
        ] {
            let r = app.act(user, id, action, body).await;
            if user == "handler" {
                assert_eq!(
                    r.status,
                    StatusCode::NOT_FOUND,
                    "a handler cannot see an undispatched order"
                );
                continue;
            }
            assert_eq!(r.status, StatusCode::CONFLICT, "{action}: {}", r.text);
            assert_eq!(r.body["error"]["code"], "invalid_transition");
        }
        // Role not allowed: 403 forbidden.
        for (user, action, body) in [
            ("inspector", "dispatch", json!({"unit": "cd-jt"})),
            ("supervisor", "dispatch", json!({"unit": "cd-jt"})),
            ("operator", "supervise", json!({"note": "x"})),
            (
                "vendor",
                "triage",
                json!({"route": "police_referral", "note": "恶意骚扰"}),
            ),
            ("inspector", "answer", json!({"content": "x"})),
        ] {
            let r = app.act(user, id, action, body).await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{user} {action}: {}",
                r.text
            );
            assert_eq!(r.body["error"]["code"], "forbidden");
        }
        assert_eq!(app.event_count(id).await, before);
        assert_eq!(app.order(id).await["status"], "registered");
    }
);

#[tokio::test]
async fn a_return_after_the_window_answers_409_return_window_closed() {
    let app = TestApp::sqlite().await;
    let id = app.complaint().await;
    app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
        .await;
    app.set_time("2026-11-04T00:00:01+08:00");
    let r = app
        .act("handler", id, "return", json!({"reason": "不属于本单位"}))
        .await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("return_window_closed"))
    );
    assert_eq!(app.order(id).await["status"], "dispatched");
}

#[tokio::test]
async fn the_worked_example_of_the_policy_gives_25_february() {
    let app = TestApp::sqlite().await;
    app.set_time("2026-02-13T10:00:00+08:00");
    let r = app.create("operator", order_body("consultation")).await;
    assert_eq!(r.body["deadline"], "2026-02-25T23:59:59+08:00");
    assert_eq!(r.body["calendar_incomplete"], false);
}

#[tokio::test]
async fn a_deadline_into_an_unloaded_year_is_flagged_and_health_warns() {
    let app = TestApp::sqlite().await;
    app.set_time("2026-12-20T10:00:00+08:00");
    let r = app.create("operator", order_body("complaint")).await;
    assert_eq!(r.body["calendar_incomplete"], true);
    let h = app.send("GET", "/healthz", None, None).await;
    assert_eq!(h.status, StatusCode::OK);
    assert!(h.text.contains("2027"), "{}", h.text);
    // Loading 2027 through the API makes later deadlines exact again.
    let year = json!({"year": 2027, "holidays": ["2027-01-01"], "workdays": []});
    let put = app
        .as_user("admin", "PUT", "/api/v1/calendar/2027", Some(year))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let r = app.create("operator", order_body("complaint")).await;
    assert_eq!(r.body["calendar_incomplete"], false);
    let h = app.send("GET", "/healthz", None, None).await;
    assert!(!h.text.contains("no official arrangement"), "{}", h.text);
}

#[tokio::test]
async fn a_reopened_order_gets_a_new_limit_and_the_requester_evaluates_once() {
    let app = TestApp::sqlite().await;
    let id = app.complaint().await;
    app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
        .await;
    app.ok("handler", id, "accept", json!({})).await;
    let handler_view = app
        .ok(
            "handler",
            id,
            "reply",
            json!({"content": "已处理", "resolved": false}),
        )
        .await;
    assert_eq!(
        handler_view["tracking_code"],
        serde_json::Value::Null,
        "the requester's code is not the unit's"
    );
    let o = app.order(id).await;
    let (number, code) = (
        o["number"].as_str().unwrap().to_owned(),
        o["tracking_code"].as_str().unwrap().to_owned(),
    );
    let track = app
        .send(
            "GET",
            &format!("/api/v1/public/orders/{number}?code={code}"),
            None,
            None,
        )
        .await;
    assert_eq!(track.status, StatusCode::OK);
    assert_eq!(track.body["reply"]["content"], "已处理");
    assert!(!track.text.contains("13812345678") && !track.text.contains("王小明"));
    let wrong = app
        .send(
            "GET",
            &format!("/api/v1/public/orders/{number}?code=00000000"),
            None,
            None,
        )
        .await;
    let unknown = app
        .send(
            "GET",
            "/api/v1/public/orders/20991231-000001?code=00000000",
            None,
            None,
        )
        .await;
    assert_eq!((wrong.status, &wrong.text), (unknown.status, &unknown.text));
    let eval = json!({"result": "dissatisfied", "resolved": false});
    let path = format!("/api/v1/public/orders/{number}/evaluation?code={code}");
    assert_eq!(
        app.send("POST", &path, None, Some(eval.clone()))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.send("POST", &path, None, Some(eval)).await.status,
        StatusCode::CONFLICT
    );
    app.set_time("2026-11-05T10:00:00+08:00");
    let o = app
        .ok("supervisor", id, "reopen", json!({"reason": "群众不满意"}))
        .await;
    assert_eq!(o["status"], "in_progress");
    assert_eq!(o["deadline"], "2026-11-26T23:59:59+08:00");
}

#[tokio::test]
async fn handing_down_to_a_city_hotline_moves_the_order_into_its_queue() {
    let app = TestApp::sqlite().await;
    let r = app.create("scdispatcher", order_body("help")).await;
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(r.body["hotline"], "sc12345");
    assert_eq!(
        app.as_user("dispatcher", "GET", &format!("/api/v1/orders/{id}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let o = app
        .ok("scdispatcher", id, "dispatch", json!({"unit": "cd12345"}))
        .await;
    assert_eq!(
        (o["status"].as_str(), o["hotline"].as_str()),
        (Some("registered"), Some("cd12345"))
    );
    assert_eq!(
        o["events"].as_array().unwrap().last().unwrap()["type"],
        "handed_down"
    );
    // Now in Chengdu's queue, and still visible to the province above it.
    let queue = app
        .as_user(
            "dispatcher",
            "GET",
            "/api/v1/orders?status=registered",
            None,
        )
        .await;
    assert_eq!(queue.body["items"][0]["id"], id);
    // A city cannot hand its order sideways to another city, nor dispatch to its units.
    let r = app
        .act("dispatcher", id, "dispatch", json!({"unit": "my12345"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = app
        .act("dispatcher", id, "dispatch", json!({"unit": "my-zj"}))
        .await;
    assert_eq!(
        r.body["error"]["fields"]
            .as_object()
            .map(|f| f.contains_key("unit")),
        Some(true)
    );
    let o = app
        .ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
        .await;
    assert_eq!(o["status"], "dispatched");
    assert_eq!(
        app.as_user("scdispatcher", "GET", &format!("/api/v1/orders/{id}"), None)
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn merge_links_the_duplicate_and_the_original_both_ways() {
    let app = TestApp::sqlite().await;
    let first = app.complaint().await;
    let r = app.create("operator", order_body("complaint")).await;
    let dup = r.body["id"].as_i64().unwrap();
    assert_eq!(r.body["possible_duplicates"], json!([first]));
    let o = app
        .ok("operator", dup, "merge", json!({"into": first}))
        .await;
    assert_eq!(
        (o["status"].as_str(), o["merged_into"].as_i64()),
        (Some("merged"), Some(first))
    );
    let original = app.order(first).await;
    assert_eq!(original["merged"], json!([dup]));
    assert_eq!(
        original["events"].as_array().unwrap().last().unwrap()["type"],
        "duplicate_merged"
    );
    let r = app
        .act("operator", first, "merge", json!({"into": dup}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "cannot merge into a merged order"
    );
}

#[tokio::test]
async fn an_idempotency_key_returns_the_same_order_and_refuses_another_body() {
    let app = TestApp::sqlite().await;
    let token = app.token("operator").await;
    let send = |body: serde_json::Value| {
        let bytes = serde_json::to_vec(&body).unwrap();
        let router = app.router.clone();
        let token = token.clone();
        async move {
            use tower::ServiceExt;
            let req = axum::http::Request::post("/api/v1/orders")
                .header("authorization", format!("Bearer {token}"))
                .header("idempotency-key", "intake-42")
                .body(axum::body::Body::from(bytes))
                .unwrap();
            let resp = router.oneshot(req).await.unwrap();
            let status = resp.status();
            let b = http_body_util::BodyExt::collect(resp.into_body())
                .await
                .unwrap()
                .to_bytes();
            (
                status,
                serde_json::from_slice::<serde_json::Value>(&b).unwrap(),
            )
        }
    };
    let (s1, o1) = send(order_body("help")).await;
    let (s2, o2) = send(order_body("help")).await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::OK));
    assert_eq!(o1["id"], o2["id"]);
    let (s3, e3) = send(order_body("complaint")).await;
    assert_eq!(
        (s3, e3["error"]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("idempotency_key_reused")
        )
    );
    let list = app.as_user("operator", "GET", "/api/v1/orders", None).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_public_request_goes_to_the_hotline_of_its_region() {
    let app = TestApp::sqlite().await;
    let body = json!({"kind": "complaint", "region": "510703", "content": "绵阳某小区噪声扰民", "requester": {"anonymous": true}});
    let r = app
        .send("POST", "/api/v1/public/orders", None, Some(body))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let number = r.body["number"].as_str().unwrap().to_owned();
    assert_eq!(r.body["tracking_code"].as_str().unwrap().len(), 8);
    let mine = app
        .as_user(
            "mydispatcher",
            "GET",
            &format!("/api/v1/orders?q={number}"),
            None,
        )
        .await;
    assert_eq!(
        mine.body["items"][0]["hotline"], "my12345",
        "Mianyang's order"
    );
    assert_eq!(mine.body["items"][0]["title"], "绵阳某小区噪声扰民");
    let other = app
        .as_user(
            "dispatcher",
            "GET",
            &format!("/api/v1/orders?q={number}"),
            None,
        )
        .await;
    assert_eq!(other.body["items"], json!([]), "not Chengdu's");
    let bad = app
        .send(
            "POST",
            "/api/v1/public/orders",
            None,
            Some(json!({"kind": "complaint", "region": "990000", "content": "x"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn lists_filter_by_domain_field_or_sub_category_kind_and_date() {
    let app = TestApp::sqlite().await;
    let id = app.complaint().await;
    let ids = |r: &Response| {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    for (query, expected) in [
        ("domain=public_services", vec![id]),
        ("domain=public_services/roads", vec![id]),
        ("domain=market_supervision", vec![]),
        ("kind=complaint&from=2026-11-02&to=2026-11-02", vec![id]),
        ("kind=help", vec![]),
        ("from=2026-11-03", vec![]),
    ] {
        let r = app
            .as_user(
                "supervisor",
                "GET",
                &format!("/api/v1/orders?{query}"),
                None,
            )
            .await;
        assert_eq!(ids(&r), expected, "{query}");
    }
    let bad = app
        .as_user("supervisor", "GET", "/api/v1/orders?domain=astrology", None)
        .await;
    assert!(bad.body["error"]["fields"]["domain"].is_string());
}

// Dispatch requires a domain (issue 19, point 3): a portal order reaches no unit
// unclassified; the dispatch classifies it; a hand-down to a hotline needs none.
on_both_backends!(
    an_unclassified_order_is_classified_as_it_is_dispatched,
    |app: TestApp| async move {
        let body = json!({"kind": "complaint", "region": "510104", "content": "小区门口路灯不亮", "requester": {"anonymous": true}});
        let r = app
            .send("POST", "/api/v1/public/orders", None, Some(body))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let list = app
            .as_user("dispatcher", "GET", "/api/v1/orders?limit=1", None)
            .await;
        let id = list.body["items"][0]["id"].as_i64().unwrap();
        let before = app.order(id).await["version"].clone();
        let r = app
            .act("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.body["error"]["code"], "domain_required");
        assert_eq!(app.order(id).await["version"], before);
        let r = app
            .act(
                "dispatcher",
                id,
                "dispatch",
                json!({"unit": "cd-jt", "domain": "public_services/nope"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let o = app
            .ok(
                "dispatcher",
                id,
                "dispatch",
                json!({"unit": "cd-jt", "domain": "public_services/roads"}),
            )
            .await;
        assert_eq!(o["domain"], "public_services/roads");
        let last = o["events"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            last["data"]["domain"], "public_services/roads",
            "on the timeline"
        );

        // Handed down unclassified: the city classifies it.
        let mut body = order_body("complaint");
        body.as_object_mut().unwrap().remove("domain");
        let id = app.create("scdispatcher", body).await.body["id"]
            .as_i64()
            .unwrap();
        let o = app
            .ok("scdispatcher", id, "dispatch", json!({"unit": "cd12345"}))
            .await;
        assert_eq!(
            (o["hotline"].as_str(), o["domain"].is_null()),
            (Some("cd12345"), true)
        );
    }
);
