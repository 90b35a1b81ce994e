//! The supervision list: manual supervision and escalation, states, and who oversees.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::json;

async fn listed(app: &TestApp, user: &str, query: &str) -> Vec<(i64, String, String)> {
    let r = app
        .as_user(user, "GET", &format!("/api/v1/supervision{query}"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["id"].as_i64().unwrap(),
                i["state"].as_str().unwrap().to_owned(),
                i["overseen_by"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

on_both_backends!(
    supervised_and_escalated_orders_are_listed_with_their_state_and_overseer,
    |app: TestApp| async move {
        let (a, b, c) = (
            app.complaint().await,
            app.complaint().await,
            app.complaint().await,
        );
        for id in [a, b, c] {
            app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
                .await;
            app.ok("handler", id, "accept", json!({})).await;
        }
        app.ok(
            "supervisor",
            a,
            "supervise",
            json!({"note": "群众反映强烈，列入督办"}),
        )
        .await;
        let escalated = app
            .ok(
                "supervisor",
                b,
                "escalate",
                json!({"note": "多次催办未果，提级督办"}),
            )
            .await;
        assert_eq!(escalated["supervision"], "escalated");
        assert_eq!(
            escalated["overseen_by"], "sc12345",
            "the provincial hotline takes oversight"
        );

        let all = listed(&app, "supervisor", "").await;
        assert_eq!(
            all,
            vec![
                (b, "open".into(), "sc12345".into()),
                (a, "open".into(), "cd12345".into())
            ]
        );
        assert_eq!(
            listed(&app, "supervisor", "?mine=true").await.len(),
            1,
            "Chengdu oversees only A"
        );
        assert_eq!(
            listed(&app, "scdispatcher", "?mine=true").await,
            vec![(b, "open".into(), "sc12345".into())]
        );

        app.ok(
            "handler",
            a,
            "reply",
            json!({"content": "已整改", "resolved": true}),
        )
        .await;
        assert_eq!(
            listed(&app, "supervisor", "?state=answered").await,
            vec![(a, "answered".into(), "cd12345".into())]
        );
        assert_eq!(listed(&app, "supervisor", "?state=open").await.len(), 1);

        let r = app
            .as_user("handler", "GET", "/api/v1/supervision", None)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app
            .as_user(
                "supervisor",
                "GET",
                "/api/v1/supervision?state=whatever",
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            listed(&app, "mydispatcher", "").await.is_empty(),
            "Mianyang sees none of Chengdu's"
        );
    }
);
