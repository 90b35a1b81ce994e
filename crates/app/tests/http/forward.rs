//! Second-level dispatch (二级派单, issue 19, point 2): the lead unit forwards an order
//! it accepted to a sub-unit with a deadline no later than its own; the sub-unit
//! accepts, returns or replies to the lead unit, which reviews and replies to the
//! hotline; the lead unit reads its sub-units' orders; a report's reporter stays
//! withheld from the sub-unit; bad input changes nothing.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::json;

async fn accepted_at_bureau(app: &TestApp, kind: &str) -> i64 {
    let r = app.create("operator", order_body(kind)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
        .await;
    app.ok("handler", id, "accept", json!({})).await;
    id
}

async fn listed(app: &TestApp, user: &str, query: &str) -> Vec<i64> {
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

on_both_backends!(
    a_bureau_forwards_to_its_station_reviews_the_reply_and_replies,
    |app: TestApp| async move {
        let id = accepted_at_bureau(&app, "complaint").await;
        let deadline = app.order(id).await["deadline"].as_str().unwrap().to_owned();
        let version = app.order(id).await["version"].clone();

        // What the lead unit may not do.
        let refused = [
            (json!({"unit": "cd-zj"}), "not below the bureau"),
            (json!({"unit": "cd-jt"}), "the bureau itself"),
            (json!({"unit": "cd12345"}), "a hotline"),
            (
                json!({"unit": "cd-jt-zd", "deadline": "2027-06-30"}),
                "after its own deadline",
            ),
            (
                json!({"unit": "cd-jt-zd", "deadline": "2026-11-01"}),
                "in the past",
            ),
            (
                json!({"unit": "cd-jt-zd", "deadline": "tomorrow"}),
                "not a day",
            ),
            (
                json!({"unit": "cd-jt-zd", "note": "a\u{1}b"}),
                "a control character",
            ),
        ];
        for (body, why) in refused {
            let r = app.act("handler", id, "forward", body).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{why}: {}",
                r.text
            );
        }
        let r = app
            .act("stationhandler", id, "forward", json!({"unit": "cd-jt-zd"}))
            .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "the station sees nothing yet"
        );
        assert_eq!(
            app.order(id).await["version"],
            version,
            "refusals change nothing"
        );

        let forwarded = app
            .ok(
                "handler",
                id,
                "forward",
                json!({"unit": "cd-jt-zd", "deadline": "2026-11-10", "note": "请现场核实"}),
            )
            .await;
        assert_eq!(forwarded["status"], "in_progress");
        assert_eq!(forwarded["unit"], "cd-jt", "the bureau stays the lead unit");
        assert_eq!(forwarded["forward"]["unit"], "cd-jt-zd");
        assert_eq!(forwarded["forward"]["status"], "forwarded");
        assert_eq!(
            forwarded["forward"]["deadline"],
            "2026-11-10T23:59:59+08:00"
        );
        assert_eq!(
            forwarded["deadline"],
            deadline.as_str(),
            "the order's deadline stands"
        );
        let r = app
            .act("handler", id, "forward", json!({"unit": "cd-jt-zd"}))
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "one at a time");
        let r = app
            .act(
                "handler",
                id,
                "reply",
                json!({"content": "已处理", "resolved": true}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CONFLICT,
            "the station has it: {}",
            r.text
        );

        // The station finds it, and hears of it; the hotline's other unit does not.
        assert!(listed(&app, "stationhandler", "").await.contains(&id));
        assert!(!listed(&app, "handler2", "").await.contains(&id));
        let r = app
            .as_user("stationhandler", "GET", "/api/v1/notifications", None)
            .await;
        assert!(
            r.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["type"] == "forwarded" && n["order_id"] == id),
            "{}",
            r.text
        );
        let r = app
            .act(
                "stationhandler",
                id,
                "forward/reply",
                json!({"content": "x", "resolved": true}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "accept first");
        let r = app.act("handler", id, "forward/accept", json!({})).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "the bureau does not accept for its station"
        );
        app.ok("stationhandler", id, "forward/accept", json!({}))
            .await;
        let replied = app
            .ok(
                "stationhandler",
                id,
                "forward/reply",
                json!({"content": "已更换井盖", "resolved": true}),
            )
            .await;
        assert_eq!(replied["status"], "in_progress");
        assert_eq!(replied["forward"]["status"], "replied");
        assert_eq!(replied["forward"]["reply"]["content"], "已更换井盖");
        let r = app
            .as_user("handler", "GET", "/api/v1/notifications", None)
            .await;
        assert!(
            r.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["type"] == "forward_replied" && n["order_id"] == id),
            "{}",
            r.text
        );

        // The bureau reviews and replies to the hotline itself.
        let done = app
            .ok(
                "handler",
                id,
                "reply",
                json!({"content": "经核实，站点已更换井盖", "resolved": true}),
            )
            .await;
        assert_eq!(done["status"], "replied");
        assert_eq!(done["reply"]["unit"], "cd-jt");
        let types: Vec<String> = app.order(id).await["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect();
        for t in [
            "forwarded",
            "forward_accepted",
            "forward_replied",
            "replied",
        ] {
            assert!(types.contains(&t.to_owned()), "{t}: {types:?}");
        }
        // The assessment breaks the station out under its bureau.
        let r = app
            .as_user(
                "supervisor",
                "GET",
                "/api/v1/reports/units?from=2026-11-01&to=2026-11-30",
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let station = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["unit"] == "cd-jt-zd")
            .cloned()
            .unwrap_or_else(|| panic!("the station has a line: {}", r.text));
        assert_eq!(station["parent"], "cd-jt");
        assert_eq!(
            station["forwards"],
            json!({"received": 1, "replied": 1, "replied_on_time": 1})
        );

        // Done with it, the station no longer acts on it.
        let r = app
            .act(
                "stationhandler",
                id,
                "forward/return",
                json!({"reason": "x"}),
            )
            .await;
        assert!(
            r.status == StatusCode::CONFLICT || r.status == StatusCode::NOT_FOUND,
            "{}",
            r.text
        );
    }
);

on_both_backends!(
    a_station_returns_or_the_bureau_recalls_and_the_bureau_reads_its_stations_orders,
    |app: TestApp| async move {
        let id = accepted_at_bureau(&app, "complaint").await;
        app.ok("handler", id, "forward", json!({"unit": "cd-jt-zd"}))
            .await;
        let back = app
            .ok(
                "stationhandler",
                id,
                "forward/return",
                json!({"reason": "不属本站辖区"}),
            )
            .await;
        assert!(back["forward"].is_null());
        assert!(!listed(&app, "stationhandler", "").await.contains(&id));
        let r = app
            .as_user(
                "stationhandler",
                "GET",
                &format!("/api/v1/orders/{id}"),
                None,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "returned, no longer the station's"
        );

        app.ok("handler", id, "forward", json!({"unit": "cd-jt-zd"}))
            .await;
        let r = app
            .act("stationhandler", id, "forward/recall", json!({}))
            .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "the station does not recall"
        );
        let recalled = app.ok("handler", id, "forward/recall", json!({})).await;
        assert!(recalled["forward"].is_null());

        // An order the hotline dispatched to the station itself: the bureau reads it
        // among its sub-units' orders, and acts on none of it.
        let r = app.create("operator", order_body("complaint")).await;
        let direct = r.body["id"].as_i64().unwrap();
        app.ok(
            "dispatcher",
            direct,
            "dispatch",
            json!({"unit": "cd-jt-zd"}),
        )
        .await;
        let below = listed(&app, "handler", "scope=sub_units").await;
        assert!(below.contains(&direct), "{below:?}");
        assert!(!below.contains(&id), "its own order is not a sub-unit's");
        assert!(!listed(&app, "handler", "").await.contains(&direct));
        let r = app
            .as_user("handler", "GET", &format!("/api/v1/orders/{direct}"), None)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let r = app.act("handler", direct, "accept", json!({})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "read only: {}", r.text);
        let r = app
            .as_user("handler2", "GET", "/api/v1/orders?scope=sub_units", None)
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "cd-zj has no sub-units"
        );
        let r = app
            .as_user("handler", "GET", "/api/v1/orders?scope=everything", None)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
);

on_both_backends!(
    a_forwarded_report_keeps_its_reporter_from_the_station,
    |app: TestApp| async move {
        let id = accepted_at_bureau(&app, "report").await;
        app.ok("handler", id, "forward", json!({"unit": "cd-jt-zd"}))
            .await;
        let r = app
            .as_user(
                "stationhandler",
                "GET",
                &format!("/api/v1/orders/{id}"),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            !r.text.contains("王小明") && !r.text.contains("13812345678"),
            "{}",
            r.text
        );
        let r = app
            .act(
                "stationhandler",
                id,
                "reveal-phone",
                json!({"reason": "核实"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app
            .as_user("stationhandler", "GET", "/api/v1/orders?q=王小明", None)
            .await;
        assert!(!r.text.contains(&format!("\"id\":{id}")), "{}", r.text);
    }
);

// Findings of the review of second-level dispatch and departments' submissions.
on_both_backends!(
    what_the_review_of_forwarding_found_stays_mended,
    |app: TestApp| async move {
        // An overdue order is forwarded for today at the latest.
        let late = accepted_at_bureau(&app, "consultation").await;
        app.set_time("2026-11-20T09:00:00+08:00");
        let r = app
            .ok("handler", late, "forward", json!({"unit": "cd-jt-zd"}))
            .await;
        assert_eq!(r["forward"]["deadline"], "2026-11-20T23:59:59+08:00");

        // A corrected kind keeps the sub-unit's deadline within the order's.
        app.set_time("2026-11-02T09:00:00+08:00");
        let id = accepted_at_bureau(&app, "complaint").await;
        app.ok("handler", id, "forward", json!({"unit": "cd-jt-zd"}))
            .await;
        let fix = json!({"kind": "consultation", "reason": "实为咨询"});
        let o = app.ok("operator", id, "correct", fix).await;
        assert_eq!(o["forward"]["deadline"], o["deadline"]);

        // The line's head opens what its list shows: an order forwarded to a unit of
        // its line is the line's too.
        let r = app
            .as_user("linesup", "GET", &format!("/api/v1/orders/{id}"), None)
            .await;
        assert_eq!(r.status, StatusCode::OK);

        // A unit learns nothing of who is behind a report, an enterprise included.
        let mut report = order_body("report");
        report["requester"]["enterprise"] =
            json!({"name": "成都锦城示例商贸有限公司", "credit_code": "91510104MA6C4K8R12"});
        let r = app.create("operator", report).await;
        let rid = r.body["id"].as_i64().unwrap();
        app.ok("dispatcher", rid, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        let found = listed(&app, "handler", "requester=enterprise").await;
        assert!(!found.contains(&rid), "{found:?}");
        assert!(
            listed(&app, "dispatcher", "requester=enterprise")
                .await
                .contains(&rid)
        );

        // Units submit one article at a time: no import, and no feedback on their own
        // unpublished submission.
        let r = app
            .as_user(
                "stationhandler",
                "POST",
                "/api/v1/kb/import?format=csv",
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        let body = json!({"title": "站点停水口径", "question": "何时恢复？", "answer": "今晚恢复",
            "category": "公用事业", "material": "script"});
        let r = app
            .as_user("stationhandler", "POST", "/api/v1/kb/articles", Some(body))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let aid = r.body["id"].as_i64().unwrap();
        let r = app
            .as_user(
                "stationhandler",
                "POST",
                &format!("/api/v1/kb/articles/{aid}/feedback"),
                Some(json!({"helpful": true})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    }
);
