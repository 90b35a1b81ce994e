//! Enterprise requests (涉企诉求, issue 19, point 4): a requester may speak for an
//! enterprise, named with its unified social credit code (GB 32100-2015, its check
//! character verified); such requests are filterable and counted apart; on a report
//! the enterprise is withheld from the unit like any requester.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::{Value, json};

fn by_enterprise(kind: &str, code: &str) -> Value {
    let mut b = order_body(kind);
    b["requester"]["enterprise"] = json!({"name": "成都锦城示例商贸有限公司", "credit_code": code});
    b
}

on_both_backends!(
    an_enterprises_request_is_checked_filtered_and_counted_apart,
    |app: TestApp| async move {
        app.set_time("2026-03-02T09:00:00+08:00");
        let r = app
            .create("operator", by_enterprise("complaint", "91510104MA6C4K8R13"))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a wrong check character: {}",
            r.text
        );
        let r = app
            .create("operator", by_enterprise("complaint", "91510104ma6c4k8r12"))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let firm = r.body["id"].as_i64().unwrap();
        assert_eq!(
            r.body["requester"]["enterprise"]["credit_code"],
            "91510104MA6C4K8R12"
        );
        app.complaint().await;

        let r = app
            .as_user(
                "dispatcher",
                "GET",
                "/api/v1/orders?requester=enterprise",
                None,
            )
            .await;
        let ids: Vec<i64> = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, [firm], "{}", r.text);
        let r = app
            .as_user("dispatcher", "GET", "/api/v1/orders?requester=person", None)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let report = app
            .as_user(
                "supervisor",
                "GET",
                "/api/v1/reports/period?period=month&date=2026-03-10",
                None,
            )
            .await;
        assert_eq!(
            (
                report.body["total"].as_u64(),
                report.body["enterprise_requests"].as_u64()
            ),
            (Some(2), Some(1)),
            "{}",
            report.text
        );

        // A report an enterprise makes: the unit reads no enterprise.
        let mut body = by_enterprise("report", "91510104MA6C4K8R12");
        body["content"] = json!("成都锦城示例商贸有限公司举报隔壁商户偷排油烟。");
        let id = app.create("operator", body).await.body["id"]
            .as_i64()
            .unwrap();
        app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        let r = app
            .as_user("handler", "GET", &format!("/api/v1/orders/{id}"), None)
            .await;
        assert_eq!(r.body["requester"]["hidden"], true);
        assert!(r.body["requester"]["enterprise"].is_null());
        assert!(
            !r.text.contains("锦城示例") && !r.text.contains("91510104MA6C4K8R12"),
            "{}",
            r.text
        );
    }
);
