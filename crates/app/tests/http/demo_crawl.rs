//! The demo, walked as its visitors would: each demo account logs in to the console
//! and every link reachable from there opens (no dead link), with no raw English
//! code where a label belongs.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use hotline_app::clock::SystemClock;
use hotline_app::{AppConfig, AppState, app, bootstrap, demo};
use http_body_util::BodyExt;
use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use tower::ServiceExt;

async fn fetch(router: &axum::Router, path: &str, cookie: &str) -> (StatusCode, String) {
    let req = Request::get(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap();
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn links(page: &str) -> Vec<String> {
    page.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|h| h.starts_with('/') && !h.starts_with("//"))
        .map(|h| h.replace("&amp;", "&"))
        .collect()
}

/// Visible text between tags that is exactly a raw code.
fn raw_codes(page: &str) -> Vec<String> {
    const CODES: &[&str] = &[
        "registered",
        "dispatched",
        "return_requested",
        "in_progress",
        "replied",
        "callback_done",
        "closed",
        "merged",
        "consultation",
        "help",
        "complaint",
        "report",
        "suggestion",
        "praise",
        "on_track",
        "due_soon",
        "overdue",
        "None",
        "null",
        "undefined",
    ];
    page.split('>')
        .filter_map(|s| s.split('<').next())
        .map(str::trim)
        .filter(|t| CODES.contains(t))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn every_demo_account_walks_the_console_without_a_dead_link_or_a_raw_code() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        Arc::new(hotline_store::sqlite::SqliteStore::open(&dir.path().join("demo.db")).unwrap());
    bootstrap::seed_defaults(&*store).await.unwrap();
    let state = AppState::new(
        store,
        Arc::new(SystemClock),
        AppConfig {
            login_rate_per_minute: 1000,
            ..AppConfig::default()
        },
    )
    .with_demo_hint();
    assert!(demo::load(&state).await.unwrap());
    let passwords = demo::reset_passwords(&state).await.unwrap();
    let router = app(state);
    let (_, login_page) = fetch(&router, "/login", "").await;
    assert!(login_page.contains("演示环境如何登录"));
    for (user, password) in &passwords {
        let body = format!(
            "username={user}&password={}&next=/console/orders",
            password.replace('-', "%2D")
        );
        let req = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        let resp = router.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{user} logs in");
        let cookie = resp.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let mut seen = BTreeSet::new();
        let mut queue = VecDeque::from(["/console/orders".to_owned()]);
        while let Some(path) = queue.pop_front() {
            if seen.len() >= 60 || !seen.insert(path.clone()) {
                continue;
            }
            let (status, page) = fetch(&router, &path, &cookie).await;
            // Roles without orders (editor, admin) are told so, not sent to a dead end.
            assert!(status == StatusCode::OK, "{user}: {path} answered {status}");
            if path.starts_with("/static/") {
                continue;
            }
            assert!(
                raw_codes(&page).is_empty(),
                "{user}: {path} shows {:?}",
                raw_codes(&page)
            );
            // The 2025 measures sort requests rather than refuse them (issue 19).
            for refused in ["不予受理", "不属受理范围", "不受理"] {
                assert!(!page.contains(refused), "{user}: {path} says {refused}");
            }
            if path.starts_with("/console/orders/") && page.contains("name=\"route\"") {
                assert!(page.contains("解释说明并办结"), "{user}: {path}");
            }
            queue.extend(links(&page).into_iter().filter(|l| !seen.contains(l)));
        }
        assert!(seen.len() > 1, "{user} could go somewhere from the console");
    }
}

async fn api_get(router: &axum::Router, path: &str, token: &str) -> serde_json::Value {
    let req = Request::get(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let resp = router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&body).unwrap()
}

async fn api_token(router: &axum::Router, user: &str, password: &str) -> String {
    let body = serde_json::json!({"username": user, "password": password}).to_string();
    let req = Request::post("/api/v1/sessions")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    let resp = router.clone().oneshot(req).await.unwrap();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    v["token"].as_str().unwrap().to_owned()
}

/// The demo as loaded today (issue 17, point 9): every queue a role opens first holds
/// orders, dated from the day it is loaded, and every order's address lies in its
/// region.
#[tokio::test]
async fn the_demo_has_orders_in_every_queue_a_role_opens_first() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        Arc::new(hotline_store::sqlite::SqliteStore::open(&dir.path().join("demo.db")).unwrap());
    bootstrap::seed_defaults(&*store).await.unwrap();
    let state = AppState::new(store, Arc::new(SystemClock), AppConfig::default());
    assert!(demo::load(&state).await.unwrap());
    let passwords: std::collections::BTreeMap<String, String> = demo::reset_passwords(&state)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let router = app(state);
    let dispatcher = api_token(&router, "dispatcher", &passwords["dispatcher"]).await;
    let handler = api_token(&router, "handler", &passwords["handler"]).await;
    let province = api_token(&router, "sc-dispatcher", &passwords["sc-dispatcher"]).await;
    let sub_centre = api_token(&router, "op-12315", &passwords["op-12315"]).await;
    let line = api_token(&router, "sc-rst-line", &passwords["sc-rst-line"]).await;
    let district = api_token(&router, "jj-handler", &passwords["jj-handler"]).await;
    let street = api_token(&router, "cxl-handler", &passwords["cxl-handler"]).await;
    let queues = [
        (
            &district,
            "status=in_progress",
            "the district's 办理中 (二级派单 replied)",
        ),
        (&district, "scope=sub_units", "the district's 下级单位工单"),
        (&street, "limit=5", "the street office's forwarded order"),
        (&line, "limit=5", "the 人社 line's orders"),
        (&province, "status=escalation_requested", "提级待审"),
        (
            &sub_centre,
            "status=registered",
            "the 12315 sub-centre's 待派单",
        ),
        (
            &sub_centre,
            "status=dispatched",
            "the 12315 sub-centre's dispatched",
        ),
        (&province, "unit=sc-tax", "handled at the provincial level"),
        (&dispatcher, "status=registered", "待派单"),
        (&dispatcher, "status=return_requested", "退单待审"),
        (&dispatcher, "extension=pending", "延期待批"),
        (&dispatcher, "queue=callback", "待回访"),
        (&dispatcher, "status=merged", "已合并"),
        (&dispatcher, "sla=due_soon", "即将到期"),
        (&dispatcher, "sla=overdue", "已超期"),
        (&handler, "status=dispatched", "待签收"),
        (&handler, "status=in_progress", "办理中"),
        (&handler, "sla=due_soon", "the unit's 即将到期"),
        (&handler, "sla=overdue", "the unit's 已超期"),
    ];
    for (token, query, queue) in queues {
        let page = api_get(&router, &format!("/api/v1/orders?{query}"), token).await;
        assert!(
            !page["items"].as_array().unwrap().is_empty(),
            "{queue} ({query}) is empty"
        );
    }
    // Departments' submissions wait for the hotline, one a reminder.
    let supervisor = api_token(&router, "supervisor", &passwords["supervisor"]).await;
    let submitted = api_get(&router, "/api/v1/kb/contributions", &supervisor).await;
    assert_eq!(submitted["waiting"][0]["urgent"], true, "{submitted}");
    assert_eq!(
        submitted["reminders"].as_array().unwrap().len(),
        1,
        "{submitted}"
    );
    // The line head's oversight page has its drawn sample, with a finding.
    let samples = api_get(&router, "/api/v1/samples", &line).await;
    let sample = &samples[0];
    assert_eq!(sample["owner"], "sc-rst", "{samples}");
    assert!(!sample["items"].as_array().unwrap().is_empty());
    assert_eq!(sample["items"][0]["verdict"], "flawed");
    let mut cursor = String::new();
    let mut seen = 0;
    loop {
        let page = api_get(
            &router,
            &format!("/api/v1/orders?limit=200{cursor}"),
            &province,
        )
        .await;
        for o in page["items"].as_array().unwrap() {
            let (address, region) = (
                o["address"].as_str().unwrap(),
                o["region_name"].as_str().unwrap(),
            );
            assert!(address.contains(region), "{address} lies in {region}");
            assert!(
                o["street_name"].is_string(),
                "{address} names its street: {o}"
            );
            seen += 1;
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        demo::ORDERS,
        "every order of the demo, seen by the province"
    );
}
