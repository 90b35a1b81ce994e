//! Across levels (issue 18): 提级办理 — a city asks the province to handle an order,
//! the province accepts or declines, or takes an order over on its own initiative —
//! and reminders and supervision of orders waiting at a lower hotline.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::{Value, json};

fn types(o: &Value) -> Vec<String> {
    o["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

async fn notices(app: &TestApp, user: &str) -> Vec<String> {
    let r = app
        .as_user(user, "GET", "/api/v1/notifications", None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap().to_owned())
        .collect()
}

async fn month_report(app: &TestApp, user: &str) -> Value {
    let r = app
        .as_user(
            user,
            "GET",
            "/api/v1/reports/period?period=month&date=2026-03-10",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

on_both_backends!(
    a_city_order_goes_up_to_the_province_and_is_counted_once,
    |app: TestApp| async move {
        app.set_time("2026-03-02T09:00:00+08:00");
        let id = app.complaint().await;
        let deadline = app.order(id).await["deadline"].clone();
        let reason = json!({"reason": "属税务部门（垂直管理）职责"});

        // Only the owning hotline's dispatcher asks, and the reason is required.
        let r = app
            .act("operator", id, "escalate-handling", reason.clone())
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        let r = app
            .act("scdispatcher", id, "escalate-handling", reason.clone())
            .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "the province takes over instead"
        );
        let r = app
            .act(
                "dispatcher",
                id,
                "escalate-handling",
                json!({"reason": " "}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let o = app
            .ok("dispatcher", id, "escalate-handling", reason.clone())
            .await;
        assert_eq!(o["status"], "escalation_requested", "{o}");
        assert_eq!(o["handling_escalation"]["to"], "sc12345");
        assert!(
            notices(&app, "scdispatcher")
                .await
                .contains(&"escalation_requested".to_owned())
        );
        // Waiting for the province: the city neither dispatches it nor asks twice.
        let r = app
            .act("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);

        // Declined: back at the city, which hears why.
        let r = app
            .act(
                "dispatcher",
                id,
                "escalate-handling/decline",
                json!({"reason": "市级事权"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        let o = app
            .ok(
                "scdispatcher",
                id,
                "escalate-handling/decline",
                json!({"reason": "属市级事权"}),
            )
            .await;
        assert_eq!(
            (o["status"].as_str(), o["hotline"].as_str()),
            (Some("registered"), Some("cd12345"))
        );
        assert!(o["handling_escalation"].is_null());
        assert!(
            notices(&app, "dispatcher")
                .await
                .contains(&"escalation_declined".to_owned())
        );

        // Asked again and accepted: the province owns it, the deadline still runs from
        // registration.
        app.ok("dispatcher", id, "escalate-handling", reason.clone())
            .await;
        let o = app
            .ok(
                "scdispatcher",
                id,
                "escalate-handling/accept",
                json!({"note": "省热线派单"}),
            )
            .await;
        assert_eq!(
            (o["status"].as_str(), o["hotline"].as_str()),
            (Some("registered"), Some("sc12345"))
        );
        assert_eq!(o["escalated_from"], json!(["cd12345"]));
        assert_eq!(o["deadline"], deadline);
        assert!(
            notices(&app, "dispatcher")
                .await
                .contains(&"escalation_accepted".to_owned())
        );

        // The city still reads it and acts on it no more; a province unit handles it.
        let r = app
            .as_user("dispatcher", "GET", &format!("/api/v1/orders/{id}"), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = app
            .act("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        let r = app
            .act("scdispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "a city unit stays in the province's tree: {}",
            r.text
        );
        let r = app
            .act("dispatcher", id, "note", json!({"content": "x"}))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        app.ok("scdispatcher", id, "recall", json!({})).await;
        app.ok("scdispatcher", id, "dispatch", json!({"unit": "sc-tax"}))
            .await;
        let o = app.ok("schandler", id, "accept", json!({})).await;
        // The timeline shows both levels.
        let t = types(&o);
        for step in [
            "escalation_requested",
            "escalation_declined",
            "escalation_accepted",
            "dispatched",
            "accepted",
        ] {
            assert!(t.contains(&step.to_owned()), "{step}: {t:?}");
        }
        let accepted = o["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["type"] == "escalation_accepted")
            .unwrap()
            .clone();
        assert_eq!(
            (
                accepted["data"]["from"].as_str(),
                accepted["data"]["to"].as_str()
            ),
            (Some("cd12345"), Some("sc12345"))
        );

        // Counted once in the province's totals, as escalated out in the city's.
        let city = month_report(&app, "supervisor").await;
        assert_eq!(
            (city["total"].as_u64(), city["escalated_out"].as_u64()),
            (Some(0), Some(1)),
            "{city}"
        );
        let province = month_report(&app, "scsupervisor").await;
        assert_eq!(
            (
                province["total"].as_u64(),
                province["escalated_out"].as_u64()
            ),
            (Some(1), Some(0)),
            "{province}"
        );
    }
);

on_both_backends!(
    the_province_takes_over_and_urges_orders_waiting_at_a_city,
    |app: TestApp| async move {
        app.set_time("2026-03-02T09:00:00+08:00");
        // Reminders and supervision reach an order waiting at the city hotline.
        let waiting = app.complaint().await;
        let r = app
            .act("dispatcher", waiting, "urge", json!({"note": "请尽快派单"}))
            .await;
        assert_eq!(
            r.status,
            StatusCode::CONFLICT,
            "the city does not urge itself: {}",
            r.text
        );
        app.ok(
            "scdispatcher",
            waiting,
            "urge",
            json!({"note": "请尽快派单"}),
        )
        .await;
        let o = app
            .ok(
                "scsupervisor",
                waiting,
                "supervise",
                json!({"note": "省热线督办"}),
            )
            .await;
        assert_eq!(o["supervision"], "supervised");
        let told = notices(&app, "dispatcher").await;
        assert!(
            told.contains(&"urged".to_owned()) && told.contains(&"supervised".to_owned()),
            "{told:?}"
        );

        // Taken over on the province's own initiative, with a reason.
        let r = app
            .act("scsupervisor", waiting, "take-over", json!({}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let r = app
            .act("supervisor", waiting, "take-over", json!({"reason": "x"}))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        let o = app
            .ok(
                "scsupervisor",
                waiting,
                "take-over",
                json!({"reason": "涉及全省政策"}),
            )
            .await;
        assert_eq!(
            (o["status"].as_str(), o["hotline"].as_str()),
            (Some("registered"), Some("sc12345"))
        );
        assert!(
            notices(&app, "dispatcher")
                .await
                .contains(&"taken_over".to_owned())
        );

        // An order at a unit is recalled first; at the top there is nothing above.
        let at_unit = app.complaint().await;
        app.ok("dispatcher", at_unit, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        let r = app
            .act("scdispatcher", at_unit, "take-over", json!({"reason": "x"}))
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        let r = app
            .act(
                "scdispatcher",
                waiting,
                "escalate-handling",
                json!({"reason": "x"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

        // Another city sees none of it.
        let r = app
            .as_user(
                "mydispatcher",
                "GET",
                &format!("/api/v1/orders/{waiting}"),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
);

#[tokio::test]
async fn a_city_that_passed_a_report_up_reads_it_without_the_whistleblower() {
    let app = TestApp::sqlite().await;
    let r = app.create("operator", order_body("report")).await;
    let id = r.body["id"].as_i64().unwrap();
    assert!(!r.body["requester"]["hidden"].as_bool().unwrap());
    app.ok(
        "dispatcher",
        id,
        "escalate-handling",
        json!({"reason": "属省纪委监委管辖"}),
    )
    .await;
    app.ok("scdispatcher", id, "escalate-handling/accept", json!({}))
        .await;
    let r = app
        .as_user("dispatcher", "GET", &format!("/api/v1/orders/{id}"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["requester"]["hidden"], true, "{}", r.text);
    let r = app
        .as_user("scdispatcher", "GET", &format!("/api/v1/orders/{id}"), None)
        .await;
    assert_eq!(r.body["requester"]["hidden"], false);
}

/// The figures of one hotline in the assessment, by code.
async fn hotline_figures(app: &TestApp, user: &str) -> Vec<Value> {
    let r = app
        .as_user(
            user,
            "GET",
            "/api/v1/reports/hotlines?from=2026-03-01&to=2026-03-31",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"].as_array().unwrap().clone()
}

on_both_backends!(
    the_province_assesses_each_city_hotlines_own_work,
    |app: TestApp| async move {
        let at = |t: &str| app.set_time(&format!("2026-03-02T{t}:00+08:00"));
        at("09:00");
        // A: dispatched after 30 minutes, to the wrong unit (returned), then again.
        let a = app.complaint().await;
        at("09:30");
        app.ok("dispatcher", a, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        app.ok("handler", a, "return", json!({"reason": "非本单位职责"}))
            .await;
        app.ok("dispatcher", a, "return/approve", json!({})).await;
        at("10:00");
        app.ok("dispatcher", a, "dispatch", json!({"unit": "cd-zj"}))
            .await;
        app.ok("handler2", a, "accept", json!({})).await;
        app.ok(
            "handler2",
            a,
            "reply",
            json!({"content": "已处理", "resolved": true}),
        )
        .await;
        app.ok(
            "operator",
            a,
            "callback",
            json!({"result": "satisfied", "resolved": true}),
        )
        .await;
        // B: answered directly. C: passed up; the province routes it after an hour.
        let b = app.complaint().await;
        app.ok("operator", b, "answer", json!({"content": "已当场解答"}))
            .await;
        let c = app.complaint().await;
        app.ok(
            "dispatcher",
            c,
            "escalate-handling",
            json!({"reason": "属省级事权"}),
        )
        .await;
        at("11:00");
        app.ok("scdispatcher", c, "escalate-handling/accept", json!({}))
            .await;
        at("12:00");
        app.ok("scdispatcher", c, "dispatch", json!({"unit": "sc-tax"}))
            .await;

        let lines = hotline_figures(&app, "scsupervisor").await;
        let codes: Vec<&str> = lines
            .iter()
            .map(|l| l["hotline"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["sc12345", "cd12345"], "its own first: {lines:?}");
        let city = &lines[1];
        assert_eq!(
            (
                city["received"].as_u64(),
                city["routed"].as_u64(),
                city["routing_median_minutes"].as_i64()
            ),
            (Some(3), Some(1), Some(30)),
            "{city}"
        );
        assert_eq!(city["routed_promptly"], 1.0);
        assert_eq!(city["direct_answer_rate"].as_f64().unwrap(), 1.0 / 3.0);
        assert_eq!(
            (city["dispatches"].as_u64(), city["misdispatched"].as_u64()),
            (Some(2), Some(1))
        );
        assert_eq!(city["dispatch_accuracy"], 0.5);
        assert_eq!(
            (
                city["callback_rate"].as_f64(),
                city["callback_timeliness"].as_f64()
            ),
            (Some(1.0), Some(1.0))
        );
        assert_eq!(
            (city["reopen_rate"].as_f64(), city["escalated_out"].as_u64()),
            (Some(0.0), Some(1))
        );
        let province = &lines[0];
        assert_eq!(
            (
                province["received"].as_u64(),
                province["routing_median_minutes"].as_i64(),
                province["dispatch_accuracy"].as_f64()
            ),
            (Some(1), Some(60), Some(1.0)),
            "{province}"
        );
        assert!(province["callback_rate"].is_null());

        // The city sees its own line only; a unit none.
        let own = hotline_figures(&app, "supervisor").await;
        assert_eq!(own.len(), 1);
        assert_eq!(own[0]["hotline"], "cd12345");
        let r = app
            .as_user("handler", "GET", "/api/v1/reports/hotlines", None)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
);

// Review of 提级办理 (replays of each finding): a city that passed a report up finds
// it by none of the requester's marks, writes nothing to it, and loses it when the
// province hands it to another city; only the hotline asked decides a request.
on_both_backends!(
    what_a_city_passed_up_it_reads_no_further_than_it_should,
    |app: TestApp| async move {
        // A county hotline under the city: three levels.
        let county = json!({"code": "jj12345", "name": "锦江区12345热线", "kind": "hotline", "parent": "cd12345", "region": "510104"});
        let r = app
            .as_user("admin", "POST", "/api/v1/units", Some(county))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        app.add_cheap_user("jjoperator", "operator", Some("jj12345"))
            .await;
        app.add_cheap_user("jjdispatcher", "dispatcher", Some("jj12345"))
            .await;
        let r = app.create("jjoperator", order_body("report")).await;
        let id = r.body["id"].as_i64().unwrap();
        app.ok(
            "jjdispatcher",
            id,
            "escalate-handling",
            json!({"reason": "属市级事权"}),
        )
        .await;
        // Only the hotline asked decides (the province is above it, and not asked).
        let r = app
            .act("scdispatcher", id, "escalate-handling/accept", json!({}))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        let r = app
            .act(
                "scdispatcher",
                id,
                "escalate-handling/decline",
                json!({"reason": "x"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        app.ok("dispatcher", id, "escalate-handling/accept", json!({}))
            .await;
        // The city asks the province in words that name the reporter: the county,
        // which may not see the reporter, reads them masked.
        let reason = json!({"reason": "举报人王小明（13812345678）反映的问题属省级部门职责"});
        app.ok("dispatcher", id, "escalate-handling", reason).await;
        let r = app
            .as_user("jjdispatcher", "GET", &format!("/api/v1/orders/{id}"), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let shown = r.body["handling_escalation"]["reason"].as_str().unwrap();
        assert!(
            !shown.contains("王小明") && !shown.contains("13812345678"),
            "{shown}"
        );
        // Nor does a look-up by the reporter's number find it for them.
        let r = app
            .as_user(
                "jjdispatcher",
                "POST",
                "/api/v1/callers/history",
                Some(json!({"phone": "13812345678"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(
            r.text.find(&format!("\"id\":{id},")).is_none(),
            "{}",
            r.text
        );
        // It merges nothing into the order it passed up.
        let own = app.create("jjoperator", order_body("complaint")).await.body["id"]
            .as_i64()
            .unwrap();
        let r = app
            .act("jjdispatcher", own, "merge", json!({"into": id}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(app.order(id).await["merged"], json!([]));
        // Handed down to another city, it is no longer the first ones' to read.
        app.ok("scdispatcher", id, "escalate-handling/accept", json!({}))
            .await;
        app.ok("scdispatcher", id, "dispatch", json!({"unit": "my12345"}))
            .await;
        for user in ["jjdispatcher", "dispatcher"] {
            let r = app
                .as_user(user, "GET", &format!("/api/v1/orders/{id}"), None)
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{user}");
        }
        let r = app
            .as_user("mydispatcher", "GET", &format!("/api/v1/orders/{id}"), None)
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
);

// 提级办理 up a line: the provincial transport department, head of the city transport
// bureau's line, reads and urges the bureau's orders and takes a matter over; the
// bureau becomes a co-unit.
on_both_backends!(
    a_line_head_takes_over_a_matter_its_city_bureau_holds,
    |app: TestApp| async move {
        app.set_time("2026-03-02T09:00:00+08:00");
        let id = app.complaint().await;
        let deadline = app.order(id).await["deadline"].clone();
        let r = app
            .as_user("linesup", "GET", &format!("/api/v1/orders/{id}"), None)
            .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "not yet at a unit of the line"
        );
        app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        app.ok("handler", id, "accept", json!({})).await;
        // The line's orders, read only, as the unit sees them.
        let r = app.as_user("linesup", "GET", "/api/v1/orders", None).await;
        let ids: Vec<i64> = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, [id], "{}", r.text);
        let r = app
            .act("linesup", id, "note", json!({"content": "x"}))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        app.ok("linesup", id, "urge", json!({"note": "请加快办理"}))
            .await;
        assert!(notices(&app, "handler").await.contains(&"urged".to_owned()));

        let r = app
            .act("linesup", id, "line-take-over", json!({"reason": " "}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let o = app
            .ok(
                "linesup",
                id,
                "line-take-over",
                json!({"reason": "涉及全省交通规划，由省交通运输厅主办"}),
            )
            .await;
        assert_eq!(
            (o["unit"].as_str(), o["status"].as_str()),
            (Some("sc-jt"), Some("in_progress")),
            "{o}"
        );
        assert_eq!(o["co_units"], json!(["cd-jt"]));
        assert_eq!(o["deadline"], deadline);
        let last = o["events"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (last["type"].as_str(), last["data"]["from"].as_str()),
            (Some("line_taken_over"), Some("cd-jt"))
        );
        assert!(
            notices(&app, "handler")
                .await
                .contains(&"line_taken_over".to_owned())
        );
        // The bureau helps now; the head replies.
        let r = app
            .act(
                "handler",
                id,
                "reply",
                json!({"content": "x", "resolved": true}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        app.ok(
            "handler",
            id,
            "note",
            json!({"content": "协办意见：已现场核实"}),
        )
        .await;
        app.ok(
            "sc-jt-handler",
            id,
            "reply",
            json!({"content": "已纳入全省规划", "resolved": true}),
        )
        .await;

        // A matter the bureau only helps with is not the head's to take over; a
        // report's reporter stays hidden from the line as from the unit.
        let r = app.create("operator", order_body("report")).await;
        let report = r.body["id"].as_i64().unwrap();
        app.ok(
            "dispatcher",
            report,
            "dispatch",
            json!({"unit": "cd-zj", "co_units": ["cd-jt"]}),
        )
        .await;
        app.ok("handler2", report, "accept", json!({})).await;
        let r = app
            .as_user("linesup", "GET", &format!("/api/v1/orders/{report}"), None)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["requester"]["hidden"], true);
        let r = app
            .act("linesup", report, "line-take-over", json!({"reason": "x"}))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    }
);

#[tokio::test]
async fn a_unit_joins_a_line_by_the_administrators_who_reach_both() {
    let app = TestApp::sqlite().await;
    let path = "/api/v1/units/cd-zj";
    let r = app
        .as_user(
            "cdadmin",
            "PATCH",
            path,
            Some(json!({"line_head": "sc-jt"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    for bad in ["cd12345", "cd-zj", "nope", "cd-jt", "cd-old"] {
        let r = app
            .as_user("admin", "PATCH", path, Some(json!({"line_head": bad})))
            .await;
        assert!(
            r.status == StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {} {}",
            r.status,
            r.text
        );
    }
    let r = app
        .as_user("admin", "PATCH", path, Some(json!({"line_head": "sc-jt"})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["line_head"], "sc-jt");
    // Leaving takes both sides too: the city alone cannot take its bureau out.
    for (who, unit) in [("cdadmin", "cd-zj"), ("cdadmin", "cd-jt")] {
        let r = app
            .as_user(
                who,
                "PATCH",
                &format!("/api/v1/units/{unit}"),
                Some(json!({"line_head": ""})),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{unit}: {}", r.text);
    }
    let r = app
        .as_user("admin", "PATCH", path, Some(json!({"line_head": ""})))
        .await;
    assert!(r.body["line_head"].is_null(), "{}", r.text);
}

// Review of lines (replays): the line finds no report by its reporter's marks before
// the index masks it; it presses only matters its line leads; a take-over drops the
// bureau's pending extension; a deactivated head takes nothing; its supervisor hears
// no notice of orders it cannot open.
on_both_backends!(
    a_line_reads_and_presses_no_further_than_its_lead_units,
    |app: TestApp| async move {
        app.set_time("2026-03-02T09:00:00+08:00");
        let mut body = order_body("report");
        body["content"] = json!("我是王小明，电话13812345678，举报东大街路灯维修款被挪用。");
        let r = app.create("operator", body).await;
        let report = r.body["id"].as_i64().unwrap();
        app.ok("dispatcher", report, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        // Not yet indexed: neither the unit nor its line finds it by the reporter.
        for user in ["handler", "linesup"] {
            for q in ["王小明", "13812345678"] {
                let r = app
                    .as_user(
                        user,
                        "GET",
                        &format!("/api/v1/orders?q={}", urlencoding(q)),
                        None,
                    )
                    .await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.text);
                assert!(
                    r.body["items"].as_array().unwrap().is_empty(),
                    "{user} {q}: {}",
                    r.text
                );
            }
        }
        let r = app
            .as_user(
                "dispatcher",
                "GET",
                &format!("/api/v1/orders?q={}", urlencoding("王小明")),
                None,
            )
            .await;
        assert_eq!(
            r.body["items"].as_array().unwrap().len(),
            1,
            "staff still find it"
        );

        // Led by cd-zj, cd-jt helping: the line reads it and presses nothing.
        let helped = app.complaint().await;
        app.ok(
            "dispatcher",
            helped,
            "dispatch",
            json!({"unit": "cd-zj", "co_units": ["cd-jt"]}),
        )
        .await;
        let r = app
            .as_user("linesup", "GET", &format!("/api/v1/orders/{helped}"), None)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        for (action, body) in [
            ("urge", json!({"note": "x"})),
            ("supervise", json!({"note": "x"})),
        ] {
            let r = app.act("linesup", helped, action, body).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{action}: {}", r.text);
        }

        // A pending extension of the bureau goes with the matter.
        let id = app.complaint().await;
        app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        app.ok("handler", id, "accept", json!({})).await;
        app.ok(
            "handler",
            id,
            "extension",
            json!({"days": 5, "reason": "需勘查"}),
        )
        .await;
        let o = app
            .ok(
                "linesup",
                id,
                "line-take-over",
                json!({"reason": "由省厅主办"}),
            )
            .await;
        assert!(o["extension"].is_null(), "{o}");
        let r = app
            .act("dispatcher", id, "extension/approve", json!({}))
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);

        // The line's supervisor hears nothing of the department's own orders.
        let own = app
            .create("scdispatcher", order_body("complaint"))
            .await
            .body["id"]
            .as_i64()
            .unwrap();
        app.ok("scdispatcher", own, "dispatch", json!({"unit": "sc-jt"}))
            .await;
        let r = app
            .as_user("linesup", "GET", "/api/v1/notifications", None)
            .await;
        assert_eq!(r.body["items"], json!([]), "{}", r.text);

        // A deactivated head takes nothing over.
        let another = app.complaint().await;
        app.ok("dispatcher", another, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        let r = app
            .as_user(
                "admin",
                "PATCH",
                "/api/v1/units/sc-jt",
                Some(json!({"active": false})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = app
            .act("linesup", another, "line-take-over", json!({"reason": "x"}))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    }
);

fn urlencoding(s: &str) -> String {
    serde_urlencoded::to_string([("q", s)]).unwrap()[2..].to_owned()
}
