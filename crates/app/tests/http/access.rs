//! Who sees what, and bad input, over HTTP.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_handler_of_another_unit_can_neither_read_list_nor_act() {
    let app = TestApp::sqlite().await;
    let id = app.complaint().await;
    app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
        .await;
    let path = format!("/api/v1/orders/{id}");
    let mine = app.as_user("handler", "GET", &path, None).await;
    assert_eq!(mine.status, StatusCode::OK);
    for outsider in ["handler2", "myhandler", "mydispatcher"] {
        let r = app.as_user(outsider, "GET", &path, None).await;
        let missing = app
            .as_user(outsider, "GET", "/api/v1/orders/999999", None)
            .await;
        assert_eq!(
            (r.status, &r.text),
            (missing.status, &missing.text),
            "{outsider}: same as a missing order"
        );
        let list = app.as_user(outsider, "GET", "/api/v1/orders", None).await;
        assert_eq!(list.body["items"], json!([]), "{outsider}");
        let act = app.act(outsider, id, "accept", json!({})).await;
        assert_eq!(act.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(app.order(id).await["status"], "dispatched");
}

#[tokio::test]
async fn a_handler_never_receives_a_whistleblowers_identity() {
    let app = TestApp::sqlite().await;
    let r = app.create("operator", order_body("report")).await;
    let id = r.body["id"].as_i64().unwrap();
    app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
        .await;
    let mut bodies = Vec::new();
    bodies.push(
        app.as_user("handler", "GET", &format!("/api/v1/orders/{id}"), None)
            .await
            .text,
    );
    bodies.push(
        app.as_user("handler", "GET", "/api/v1/orders", None)
            .await
            .text,
    );
    bodies.push(app.act("handler", id, "accept", json!({})).await.text);
    bodies.push(
        app.act("handler", id, "reveal-phone", json!({"reason": "核实"}))
            .await
            .text,
    );
    bodies.push(
        app.act(
            "handler",
            id,
            "reply",
            json!({"content": "已查处", "resolved": true}),
        )
        .await
        .text,
    );
    for body in &bodies {
        assert!(
            !body.contains("王小明") && !body.contains("13812345678") && !body.contains("5678"),
            "{body}"
        );
    }
    let seen = app
        .as_user("handler", "GET", &format!("/api/v1/orders/{id}"), None)
        .await;
    assert_eq!(seen.body["requester"]["hidden"], true);
    assert_eq!(seen.body["tracking_code"], serde_json::Value::Null);
    // Hotline staff see the name, and the phone only masked.
    let staff = app.order(id).await;
    assert_eq!(staff["requester"]["name"], "王小明");
    assert_eq!(staff["requester"]["phone"], "138****5678");
}

#[tokio::test]
async fn revealing_a_phone_is_an_explicit_recorded_action() {
    let app = TestApp::sqlite().await;
    let id = app.complaint().await;
    let r = app
        .act(
            "supervisor",
            id,
            "reveal-phone",
            json!({"reason": "回访需要"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["requester"]["phone"], "13812345678");
    let o = app.order(id).await;
    assert_eq!(o["requester"]["phone"], "138****5678");
    let last = o["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["type"].as_str(), last["note"].as_str()),
        (Some("phone_revealed"), Some("回访需要"))
    );
}

#[tokio::test]
async fn the_callers_history_is_found_by_phone() {
    let app = TestApp::sqlite().await;
    let first = app.complaint().await;
    let r = app
        .as_user(
            "operator",
            "POST",
            "/api/v1/callers/history",
            Some(json!({"phone": "138-1234-5678"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["items"][0]["id"], first);
    let r = app
        .as_user(
            "handler",
            "POST",
            "/api/v1/callers/history",
            Some(json!({"phone": "13812345678"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_naming_the_field_and_changes_nothing() {
    let app = TestApp::sqlite().await;
    let token = app.token("operator").await;
    let mut long_title = order_body("complaint");
    long_title["title"] = json!("长".repeat(201));
    let r = app.create("operator", long_title).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["error"]["fields"]["title"].is_string(), "{}", r.text);
    let mut long_content = order_body("complaint");
    long_content["content"] = json!("字".repeat(10_001));
    assert!(
        app.create("operator", long_content).await.body["error"]["fields"]["content"].is_string()
    );
    let mut wrong_type = order_body("complaint");
    wrong_type["urgent"] = json!("yes");
    assert!(app.create("operator", wrong_type).await.body["error"]["fields"]["urgent"].is_string());
    let mut bad_region = order_body("complaint");
    bad_region["region"] = json!("5101");
    assert!(app.create("operator", bad_region).await.body["error"]["fields"]["region"].is_string());
    let mut bad_domain = order_body("complaint");
    bad_domain["domain"] = json!("public_services/teleportation");
    assert!(app.create("operator", bad_domain).await.body["error"]["fields"]["domain"].is_string());
    let mut missing = order_body("complaint");
    missing.as_object_mut().unwrap().remove("kind");
    assert!(app.create("operator", missing).await.body["error"]["fields"]["kind"].is_string());
    let r = app
        .send_bytes(
            "POST",
            "/api/v1/orders",
            Some(&token),
            vec![b'{', 0xff, 0xfe, b'}'],
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("malformed"))
    );
    let r = app
        .send_bytes(
            "POST",
            "/api/v1/orders",
            Some(&token),
            b"{\"channel\":".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let huge = vec![b' '; 65 * 1024];
    let r = app
        .send_bytes("POST", "/api/v1/orders", Some(&token), huge)
        .await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large"))
    );
    let list = app.as_user("operator", "GET", "/api/v1/orders", None).await;
    assert_eq!(list.body["items"], json!([]));
}

#[tokio::test]
async fn without_a_valid_session_everything_but_the_public_endpoints_answers_401() {
    let app = TestApp::sqlite().await;
    for (m, p) in [
        ("GET", "/api/v1/orders"),
        ("POST", "/api/v1/orders"),
        ("GET", "/api/v1/units"),
        ("GET", "/api/v1/orders/1"),
    ] {
        let r = app.send(m, p, None, Some(json!({}))).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{m} {p}");
        assert_eq!(r.body["error"]["code"], "unauthorized");
    }
    let r = app
        .send(
            "POST",
            "/api/v1/sessions",
            None,
            Some(json!({"username": "operator", "password": "wrong"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let nobody = app
        .send(
            "POST",
            "/api/v1/sessions",
            None,
            Some(json!({"username": "nobody", "password": "wrong"})),
        )
        .await;
    assert_eq!(
        (nobody.status, nobody.text),
        (r.status, r.text),
        "an unknown user is answered alike"
    );
}

#[tokio::test]
async fn logout_invalidates_the_token_at_once_and_sessions_expire() {
    let app = TestApp::sqlite().await;
    let token = app.token("operator").await;
    assert_eq!(
        app.send("GET", "/api/v1/orders", Some(&token), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.send("DELETE", "/api/v1/sessions/current", Some(&token), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.send("GET", "/api/v1/orders", Some(&token), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let other = app.token("dispatcher").await;
    app.clock.advance(chrono::Duration::hours(13));
    assert_eq!(
        app.send("GET", "/api/v1/orders", Some(&other), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn only_administrators_change_units_accounts_and_the_calendar() {
    let app = TestApp::sqlite().await;
    let unit = json!({"code": "cd-new", "name": "成都市新部门", "kind": "department", "parent": "cd12345", "region": "510100"});
    assert_eq!(
        app.as_user("dispatcher", "POST", "/api/v1/units", Some(unit.clone()))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .as_user("admin", "POST", "/api/v1/units", Some(unit.clone()))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        app.as_user("admin", "POST", "/api/v1/units", Some(unit))
            .await
            .status,
        StatusCode::CONFLICT
    );
    let user =
        json!({"username": "newop", "password": "short", "roles": ["operator"], "unit": "cd12345"});
    let r = app
        .as_user("admin", "POST", "/api/v1/users", Some(user))
        .await;
    assert!(
        r.body["error"]["fields"]["password"].is_string(),
        "{}",
        r.text
    );
    let user = json!({"username": "newop", "password": "Long-enough-1", "roles": ["operator"], "unit": "cd12345"});
    assert_eq!(
        app.as_user("admin", "POST", "/api/v1/users", Some(user))
            .await
            .status,
        StatusCode::CREATED
    );
    let year = json!({"year": 2027, "holidays": [], "workdays": []});
    assert_eq!(
        app.as_user(
            "supervisor",
            "PUT",
            "/api/v1/calendar/2027",
            Some(year.clone())
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .as_user("admin", "PUT", "/api/v1/calendar/2028", Some(year))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .as_user("operator", "GET", "/api/v1/calendar/2026", None)
        .await;
    assert!(
        r.body["workdays"]
            .as_array()
            .unwrap()
            .contains(&json!("2026-02-14"))
    );
}

/// Every body a handler receives over a whole order life, for a report and for a
/// confidential complaint, is searched for the requester's name, phone and address.
#[tokio::test]
async fn no_response_to_a_handler_in_a_full_order_life_carries_the_requesters_identity() {
    let app = TestApp::sqlite().await;
    for (kind, confidential) in [("report", false), ("complaint", true)] {
        let mut body = order_body(kind);
        body["confidential"] = json!(confidential);
        body["requester"]["address"] = json!("青羊区秘密小区8栋");
        let created = app.create("operator", body).await;
        assert_eq!(
            created.body["requester"]["phone"], "13812345678",
            "the registering operator sees the caller's number"
        );
        let id = created.body["id"].as_i64().unwrap();
        let mut seen = Vec::new();
        let path = format!("/api/v1/orders/{id}");
        let dispatch = json!({"unit": "cd-jt", "co_units": ["cd-zj"]});
        app.ok("dispatcher", id, "dispatch", dispatch).await;
        for user in ["handler", "handler2"] {
            seen.push(app.as_user(user, "GET", &path, None).await.text);
            seen.push(app.as_user(user, "GET", "/api/v1/orders", None).await.text);
            seen.push(
                app.as_user(user, "GET", "/api/v1/orders?q=路灯", None)
                    .await
                    .text,
            );
            seen.push(
                app.act(user, id, "reveal-phone", json!({"reason": "核实"}))
                    .await
                    .text,
            );
            seen.push(app.act(user, id, "close", json!({})).await.text);
        }
        seen.push(app.act("handler", id, "accept", json!({})).await.text);
        seen.push(
            app.act("handler2", id, "note", json!({"content": "协办意见"}))
                .await
                .text,
        );
        seen.push(
            app.act(
                "handler",
                id,
                "extension",
                json!({"days": 2, "reason": "需勘查"}),
            )
            .await
            .text,
        );
        app.ok("supervisor", id, "extension/approve", json!({}))
            .await;
        seen.push(app.as_user("handler", "GET", &path, None).await.text);
        seen.push(
            app.act(
                "handler",
                id,
                "reply",
                json!({"content": "已查处", "resolved": false}),
            )
            .await
            .text,
        );
        app.ok(
            "operator",
            id,
            "callback",
            json!({"result": "dissatisfied", "resolved": false}),
        )
        .await;
        app.ok("supervisor", id, "reopen", json!({"reason": "不满意"}))
            .await;
        seen.push(app.as_user("handler", "GET", &path, None).await.text);
        seen.push(
            app.act(
                "handler",
                id,
                "reply",
                json!({"content": "再次处理", "resolved": true}),
            )
            .await
            .text,
        );
        app.ok(
            "operator",
            id,
            "callback",
            json!({"result": "satisfied", "resolved": true}),
        )
        .await;
        app.ok("operator", id, "close", json!({})).await;
        seen.push(app.as_user("handler", "GET", &path, None).await.text);
        assert!(seen.len() >= 18);
        for text in &seen {
            for secret in ["王小明", "13812345678", "5678", "秘密小区"] {
                assert!(
                    !text.contains(secret),
                    "{kind}: a handler received {secret:?} in {text}"
                );
            }
        }
    }
}
