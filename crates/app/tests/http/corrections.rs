//! Correction of an order's classification and place (纠错, issue 19, point 3): the
//! owning hotline's staff correct kind, domain, region, street and address; a unit
//! asks for a kind correction and the dispatcher decides; a changed kind counts the
//! deadline again from registration with approved extensions kept; lists, the audit
//! trail, the timeline and the search index follow; bad input changes nothing.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::{Value, json};

async fn ids(app: &TestApp, user: &str, query: &str) -> Vec<i64> {
    let r = app
        .as_user(user, "GET", &format!("/api/v1/orders?{query}"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect()
}

/// A dispatched and accepted order of `kind`, with two working days of extension.
async fn in_progress_with_extension(app: &TestApp, kind: &str) -> i64 {
    let r = app.create("operator", order_body(kind)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
        .await;
    app.ok("handler", id, "accept", json!({})).await;
    let ask = json!({"days": 2, "reason": "需现场勘查"});
    app.ok("handler", id, "extension", ask).await;
    app.ok("supervisor", id, "extension/approve", json!({}))
        .await;
    id
}

fn last_event(order: &Value) -> Value {
    order["events"].as_array().unwrap().last().unwrap().clone()
}

on_both_backends!(
    staff_correct_kind_domain_and_place_and_everything_follows,
    |app: TestApp| async move {
        let id = in_progress_with_extension(&app, "complaint").await;
        let twin = in_progress_with_extension(&app, "consultation").await;
        let before = app.order(id).await;

        // Bad input answers clearly and changes nothing.
        let refused: &[(&str, Value)] = &[
            ("handler", json!({"kind": "consultation", "reason": "x"})),
            (
                "scdispatcher",
                json!({"kind": "consultation", "reason": "x"}),
            ),
            ("operator", json!({"reason": "什么也没改"})),
            ("operator", json!({"kind": "consultation", "reason": " "})),
            (
                "operator",
                json!({"kind": "consultation", "reason": "a\u{7}b"}),
            ),
            ("operator", json!({"domain": "no/such", "reason": "x"})),
            ("operator", json!({"region": "999999", "reason": "x"})),
            ("operator", json!({"street": "510105001", "reason": "x"})),
            ("operator", json!({"kind": "rumour", "reason": "x"})),
        ];
        for (user, body) in refused {
            let r = app.act(user, id, "correct", body.clone()).await;
            let expected = match *user {
                "handler" | "scdispatcher" => StatusCode::FORBIDDEN,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            assert_eq!(r.status, expected, "{user} {body}: {}", r.text);
        }
        assert_eq!(app.order(id).await["version"], before["version"]);

        let fix = json!({"kind": "consultation", "domain": "social_management/housing",
            "street": "510104022", "address": "锦江区春熙路1号", "reason": "来电人仅咨询，登记有误"});
        let after = app.ok("operator", id, "correct", fix).await;
        assert_eq!(after["status"], "in_progress", "the state is unchanged");
        assert_eq!(after["kind"], "consultation");
        assert_eq!(after["domain"], "social_management/housing");
        assert_eq!(after["street"], "510104022");
        assert_eq!(after["address"], "锦江区春熙路1号");
        assert_eq!(after["hotline"], before["hotline"]);
        // Counted again from registration, the approved extension kept: the same
        // deadline as a consultation registered then and extended alike.
        assert_eq!(after["deadline"], app.order(twin).await["deadline"]);
        assert_ne!(after["deadline"], before["deadline"]);

        let event = last_event(&app.order(id).await);
        assert_eq!(event["type"], "corrected");
        assert_eq!(event["note"], "来电人仅咨询，登记有误");
        assert_eq!(
            event["data"]["kind"],
            json!({"from": "complaint", "to": "consultation"})
        );
        assert_eq!(event["data"]["street"]["to"], "510104022");
        assert_eq!(
            event["data"]["address"], true,
            "the timeline keeps no address"
        );

        assert!(
            ids(&app, "dispatcher", "kind=consultation")
                .await
                .contains(&id)
        );
        assert!(
            !ids(&app, "dispatcher", "kind=complaint")
                .await
                .contains(&id)
        );
        assert!(
            ids(&app, "dispatcher", "domain=social_management/housing")
                .await
                .contains(&id)
        );

        let r = app
            .as_user("cdadmin", "GET", "/api/v1/audit?action=order.correct", None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let record = &r.body["items"][0];
        assert_eq!(record["actor"], "operator");
        assert_eq!(
            record["detail"]["changes"]["kind"]["to"], "consultation",
            "{record}"
        );

        // A new call about the corrected address finds it as a possible duplicate.
        let mut same_place = order_body("complaint");
        same_place["address"] = json!("锦江区 春熙路1号");
        let r = app.create("operator", same_place).await;
        assert!(
            r.body["possible_duplicates"]
                .as_array()
                .unwrap()
                .contains(&json!(id)),
            "{}",
            r.text
        );

        // A region correction keeps the order at its hotline; the old street goes.
        let moved = app
            .ok(
                "supervisor",
                id,
                "correct",
                json!({"region": "510105", "reason": "实为青羊区"}),
            )
            .await;
        assert_eq!(moved["region"], "510105");
        assert!(moved["street"].is_null(), "{moved}");
        assert_eq!(moved["hotline"], before["hotline"]);
        assert!(ids(&app, "dispatcher", "region=510105").await.contains(&id));

        // The unit hears of a correction made to its order.
        let r = app
            .as_user("handler", "GET", "/api/v1/notifications", None)
            .await;
        let told = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["type"] == "corrected" && n["order_id"] == id);
        assert!(told, "{}", r.text);
    }
);

on_both_backends!(
    a_unit_asks_for_a_kind_correction_and_the_dispatcher_decides,
    |app: TestApp| async move {
        let id = app.complaint().await;
        app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        let ask = json!({"kind": "consultation", "reason": "诉求人仅咨询政策"});
        let r = app.act("handler2", id, "correction", ask.clone()).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "another unit sees nothing");
        let asked = app.ok("handler", id, "correction", ask.clone()).await;
        assert_eq!(asked["kind"], "complaint");
        assert_eq!(asked["correction_request"]["kind"], "consultation");
        let r = app.act("handler", id, "correction", ask.clone()).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(r.body["error"]["code"], "correction_pending", "{}", r.text);
        let r = app
            .act("operator", id, "correction/approve", json!({}))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

        let rejected = app
            .ok(
                "dispatcher",
                id,
                "correction/reject",
                json!({"note": "诉求人明确投诉"}),
            )
            .await;
        assert_eq!(rejected["kind"], "complaint");
        assert!(rejected["correction_request"].is_null());
        let r = app
            .act("dispatcher", id, "correction/reject", json!({}))
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "nothing waits: {}", r.text);

        app.ok("handler", id, "correction", ask).await;
        let deadline_before = app.order(id).await["deadline"].clone();
        let approved = app
            .ok("dispatcher", id, "correction/approve", json!({}))
            .await;
        assert_eq!(approved["kind"], "consultation");
        assert_ne!(approved["deadline"], deadline_before);
        let event = last_event(&app.order(id).await);
        assert_eq!(event["type"], "correction_approved");
        assert_eq!(event["data"]["kind"]["to"], "consultation");

        let r = app
            .as_user("handler", "GET", "/api/v1/notifications", None)
            .await;
        let types: Vec<&str> = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["order_id"] == id)
            .map(|n| n["type"].as_str().unwrap())
            .collect();
        assert!(types.contains(&"correction_approved"), "{types:?}");
        assert!(types.contains(&"correction_rejected"), "{types:?}");
        let r = app
            .as_user("dispatcher", "GET", "/api/v1/notifications", None)
            .await;
        assert!(
            r.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["type"] == "correction_requested" && n["order_id"] == id),
            "{}",
            r.text
        );
    }
);

on_both_backends!(
    a_complaint_corrected_to_a_report_withholds_the_requester_in_the_index_too,
    |app: TestApp| async move {
        let mut body = order_body("complaint");
        body["content"] = json!("我是王小明，东大街井盖被人偷走，怀疑是附近废品站所为。");
        let r = app.create("operator", body).await;
        let id = r.body["id"].as_i64().unwrap();
        app.set_time("2026-11-02T09:05:00+08:00");
        app.state.order_search().catch_up(&app.state).await.unwrap();
        let synonyms = hotline_domain::kb::Synonyms::default();
        let index = app.state.order_search().index();
        let found = index.search_ids("王小明", &synonyms, 10).unwrap();
        assert!(found.contains(&id), "indexed as registered");

        let fix = json!({"kind": "report", "reason": "实为举报"});
        app.ok("dispatcher", id, "correct", fix).await;
        let found = index.search_ids("王小明", &synonyms, 10).unwrap();
        assert!(!found.contains(&id), "the index follows the correction");

        app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        let seen = app
            .as_user("handler", "GET", &format!("/api/v1/orders/{id}"), None)
            .await;
        assert_eq!(seen.status, StatusCode::OK);
        assert!(!seen.text.contains("13812345678"), "{}", seen.text);
        assert!(!seen.text.contains("王小明"), "{}", seen.text);
    }
);

// Findings of the review of corrections: a correction that changes nothing is
// refused; a unit's request that names the requester goes when the kind becomes
// report, and with the unit's dispatch; a replied order keeps its deadline.
on_both_backends!(
    what_the_review_of_corrections_found_stays_mended,
    |app: TestApp| async move {
        let id = app.complaint().await;
        let version = app.order(id).await["version"].clone();
        let same = json!({"kind": "complaint", "domain": "public_services/roads", "reason": "x"});
        let r = app.act("operator", id, "correct", same).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(app.order(id).await["version"], version);

        app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        let ask = json!({"kind": "report", "reason": "王小明13812345678实名举报站长"});
        app.ok("handler", id, "correction", ask).await;
        app.ok(
            "dispatcher",
            id,
            "correct",
            json!({"kind": "report", "reason": "实为举报"}),
        )
        .await;
        let o = app.order(id).await;
        assert!(
            o["correction_request"].is_null(),
            "answered by the correction"
        );
        app.ok("dispatcher", id, "recall", json!({})).await;
        app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-zj"}))
            .await;
        let r = app
            .as_user("handler2", "GET", &format!("/api/v1/orders/{id}"), None)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            !r.text.contains("13812345678") && !r.text.contains("王小明"),
            "{}",
            r.text
        );

        let other = app.complaint().await;
        app.ok("dispatcher", other, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        let ask = json!({"kind": "consultation", "reason": "仅咨询"});
        app.ok("handler", other, "correction", ask).await;
        app.ok("dispatcher", other, "recall", json!({})).await;
        assert!(
            app.order(other).await["correction_request"].is_null(),
            "the unit lost it"
        );

        app.ok("dispatcher", other, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        app.ok("handler", other, "accept", json!({})).await;
        app.ok(
            "handler",
            other,
            "reply",
            json!({"content": "已处理", "resolved": true}),
        )
        .await;
        let before = app.order(other).await["deadline"].clone();
        let after = app
            .ok(
                "operator",
                other,
                "correct",
                json!({"kind": "consultation", "reason": "实为咨询"}),
            )
            .await;
        assert_eq!(after["kind"], "consultation");
        assert_eq!(
            after["deadline"], before,
            "the reply was measured against it"
        );
        let long = json!({"note": "长".repeat(3000)});
        app.ok(
            "handler",
            other,
            "correction",
            json!({"kind": "help", "reason": "x"}),
        )
        .await;
        let r = app
            .act("dispatcher", other, "correction/reject", long)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    }
);
