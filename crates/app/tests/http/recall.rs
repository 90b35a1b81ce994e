//! `recall` (issue 18, a first increment): the dispatcher takes back a dispatch the
//! unit has not accepted; the unit hears of it, and it does not count against them.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::json;

on_both_backends!(
    a_dispatch_not_yet_accepted_is_recalled_and_counts_for_nobody,
    |app: TestApp| async move {
        app.set_time("2026-03-02T09:00:00+08:00");
        let id = app.complaint().await;
        let deadline = app.order(id).await["deadline"].clone();
        app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        let r = app.act("handler", id, "recall", json!({})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        let o = app
            .ok("dispatcher", id, "recall", json!({"note": "派错单位"}))
            .await;
        assert_eq!(
            (o["status"].as_str(), o["unit"].is_null()),
            (Some("registered"), true),
            "{o}"
        );
        assert_eq!(
            o["deadline"], deadline,
            "the deadline keeps running from registration"
        );
        let last = o["events"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (last["type"].as_str(), last["data"]["unit"].as_str()),
            (Some("recalled"), Some("cd-jt"))
        );
        let notices = app
            .as_user("handler", "GET", "/api/v1/notifications", None)
            .await;
        assert_eq!(
            notices.body["items"][0]["type"], "recalled",
            "the unit hears of it"
        );
        let r = app.act("handler", id, "accept", json!({})).await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "no longer the unit's order"
        );

        // Dispatched again, accepted: too late to recall.
        app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-zj"}))
            .await;
        app.ok("handler2", id, "accept", json!({})).await;
        let r = app.act("dispatcher", id, "recall", json!({})).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);

        // The recalled dispatch is not cd-jt's to answer for.
        let r = app
            .as_user(
                "supervisor",
                "GET",
                "/api/v1/reports/units?from=2026-03-01&to=2026-03-31",
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let units: Vec<(String, u64)> = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["unit"].as_str().unwrap().to_owned(),
                    l["dispatches"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(units, [("cd-zj".to_owned(), 1)], "{}", r.text);
    }
);
