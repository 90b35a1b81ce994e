//! Line oversight's sampling (抽查, issue 19, point 1): a line supervisor draws a
//! number or a share of each line unit's orders of a month at random, records what
//! the inspection found; both are on the drawn orders' timelines and audited; nobody
//! else draws, and a sample names no requester.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::{Value, json};

async fn dispatched(app: &TestApp, kind: &str, unit: &str) -> i64 {
    let r = app.create("operator", order_body(kind)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    app.ok("dispatcher", id, "dispatch", json!({"unit": unit}))
        .await;
    id
}

fn types(order: &Value) -> Vec<String> {
    order["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

on_both_backends!(
    a_line_head_draws_a_sample_of_its_units_orders_and_records_findings,
    |app: TestApp| async move {
        let mut line = Vec::new();
        for _ in 0..4 {
            line.push(dispatched(&app, "complaint", "cd-jt").await);
        }
        let report = dispatched(&app, "report", "cd-jt").await;
        line.push(report);
        let other = dispatched(&app, "complaint", "cd-zj").await;

        let draw = |user: &'static str, body: Value| {
            let app = &app;
            async move {
                app.as_user(user, "POST", "/api/v1/samples", Some(body))
                    .await
            }
        };
        let good = json!({"period": "2026-11", "rule": {"count": 2}});
        for user in ["dispatcher", "supervisor", "handler", "admin"] {
            let r = draw(user, good.clone()).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{user}: {}", r.text);
        }
        for bad in [
            json!({"period": "2026-11", "rule": {"count": 0}}),
            json!({"period": "2026-11", "rule": {"count": 101}}),
            json!({"period": "2026-11", "rule": {"percent": 101}}),
            json!({"period": "2026-13", "rule": {"count": 2}}),
            json!({"period": "2027-01", "rule": {"count": 2}}),
            json!({"period": "2026-10", "rule": {"count": 2}}),
            json!({"period": "2026-11", "rule": {"several": 2}}),
        ] {
            let r = draw("linesup", bad.clone()).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{bad}: {}",
                r.text
            );
        }

        let r = draw("linesup", good).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let sample = r.body.clone();
        let sid = sample["id"].as_i64().unwrap();
        assert_eq!(sample["population"], 5, "the line's orders only: {sample}");
        assert_eq!(sample["period"], "2026-11");
        let drawn: Vec<i64> = sample["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                assert_eq!(i["unit"], "cd-jt");
                i["order_id"].as_i64().unwrap()
            })
            .collect();
        assert_eq!(drawn.len(), 2);
        assert!(drawn.iter().all(|d| line.contains(d)));
        for id in &line {
            let sampled = types(&app.order(*id).await).contains(&"sampled".to_owned());
            assert_eq!(sampled, drawn.contains(id), "order {id}");
        }
        assert!(!types(&app.order(other).await).contains(&"sampled".to_owned()));

        // Everything of a report's draw: no requester anywhere in a sample.
        let all = draw(
            "linesup",
            json!({"period": "2026-11", "rule": {"percent": 100}}),
        )
        .await;
        assert_eq!(all.status, StatusCode::CREATED, "{}", all.text);
        assert_eq!(all.body["items"].as_array().unwrap().len(), 5);
        assert!(!all.text.contains("王小明") && !all.text.contains("13812345678"));

        let r = app.as_user("linesup", "GET", "/api/v1/samples", None).await;
        assert_eq!(r.body.as_array().unwrap().len(), 2, "{}", r.text);
        let path = format!("/api/v1/samples/{sid}");
        let r = app.as_user("linesup", "GET", &path, None).await;
        assert_eq!(r.body["id"], sid);
        let r = app.as_user("supervisor", "GET", &path, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app
            .as_user("linesup", "GET", "/api/v1/samples/99999", None)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        let findings = format!("/api/v1/samples/{sid}/findings");
        let note = |body: Value| {
            let (app, findings) = (&app, findings.clone());
            async move { app.as_user("linesup", "POST", &findings, Some(body)).await }
        };
        for bad in [
            json!({"order_id": drawn[0], "verdict": "flawed"}),
            json!({"order_id": other, "verdict": "sound"}),
            json!({"order_id": drawn[0], "verdict": "fine"}),
            json!({"order_id": drawn[0], "verdict": "flawed", "finding": "a\u{1}b"}),
        ] {
            let r = note(bad.clone()).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{bad}: {}",
                r.text
            );
        }
        let before = app.order(drawn[0]).await["version"].clone();
        assert_eq!(
            app.order(drawn[0]).await["version"],
            before,
            "refusals change nothing"
        );
        let r = note(
            json!({"order_id": drawn[0], "verdict": "flawed", "finding": "答复未说明处理依据"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let item = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["order_id"] == drawn[0])
            .unwrap()
            .clone();
        assert_eq!(item["verdict"], "flawed");
        assert_eq!(item["inspected_by"], "linesup");
        let order = app.order(drawn[0]).await;
        let last = order["events"].as_array().unwrap().last().unwrap();
        assert_eq!(last["type"], "inspected");
        assert_eq!(last["note"], "答复未说明处理依据");
        assert_eq!(last["data"]["verdict"], "flawed");

        for action in ["sample.draw", "sample.finding"] {
            let r = app
                .as_user(
                    "admin",
                    "GET",
                    &format!("/api/v1/audit?action={action}"),
                    None,
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            assert!(!r.body["items"].as_array().unwrap().is_empty(), "{action}");
        }

        // The line's head reads the drawn order as the unit does.
        let r = app
            .as_user("linesup", "GET", &format!("/api/v1/orders/{report}"), None)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(!r.text.contains("王小明"), "{}", r.text);

        // Findings of the review: a sample holds at most 500 orders, a month takes five
        // samples, and an order that left the line is no longer inspected.
        let r = draw(
            "linesup",
            json!({"period": "2026-11", "rule": {"count": 1}}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED);
        for _ in 0..2 {
            draw(
                "linesup",
                json!({"period": "2026-11", "rule": {"count": 1}}),
            )
            .await;
        }
        let r = draw(
            "linesup",
            json!({"period": "2026-11", "rule": {"count": 1}}),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        app.ok(
            "handler",
            drawn[1],
            "return",
            json!({"reason": "非本单位职责"}),
        )
        .await;
        app.ok("dispatcher", drawn[1], "return/approve", json!({}))
            .await;
        let r = note(json!({"order_id": drawn[1], "verdict": "sound"})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    }
);
