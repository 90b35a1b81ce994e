//! Notifications (issue 17, point 1): a unit hears of its dispatches, reminders,
//! supervision and the decisions on its requests; a hotline of the requests waiting
//! for it; nobody else; live, over server-sent events, and between the servers of one
//! PostgreSQL database by LISTEN/NOTIFY.

use crate::common::*;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::time::Duration;
use tower::ServiceExt;

async fn listed(app: &TestApp, user: &str) -> Value {
    let r = app
        .as_user(user, "GET", "/api/v1/notifications", None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

fn kinds(listing: &Value) -> Vec<String> {
    listing["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap().to_owned())
        .collect()
}

on_both_backends!(
    a_unit_hears_of_its_dispatches_reminders_and_decisions_and_nobody_else_does,
    |app: TestApp| async move {
        app.set_time("2026-03-02T09:00:00+08:00");
        let r = app.create("operator", order_body("report")).await;
        let report = r.body["id"].as_i64().unwrap();
        let other = app.complaint().await;
        app.ok(
            "dispatcher",
            report,
            "dispatch",
            json!({"unit": "cd-jt", "co_units": ["cd-zj"]}),
        )
        .await;
        let mine = listed(&app, "handler").await;
        assert_eq!(kinds(&mine), ["dispatched"]);
        assert_eq!(mine["unread"], 1);
        assert_eq!(mine["items"][0]["order_id"], report);
        assert_eq!(mine["items"][0]["unread"], true);
        let text = mine.to_string();
        assert!(
            !text.contains("王小明") && !text.contains("138"),
            "nothing of the reporter: {text}"
        );
        assert_eq!(
            kinds(&listed(&app, "handler2").await),
            ["dispatched"],
            "the co-unit too"
        );
        assert!(kinds(&listed(&app, "myhandler").await).is_empty());

        app.ok("supervisor", report, "urge", json!({"note": "请加快办理"}))
            .await;
        app.ok(
            "supervisor",
            report,
            "supervise",
            json!({"note": "列入督办"}),
        )
        .await;
        let mine = listed(&app, "handler").await;
        assert_eq!(kinds(&mine), ["supervised", "urged", "dispatched"]);
        assert_eq!(mine["unread"], 3);
        assert_eq!(
            kinds(&listed(&app, "handler2").await),
            ["dispatched"],
            "reminders go to the lead"
        );

        // A return waits for the hotline; its approval reaches the unit that asked.
        app.ok("dispatcher", other, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        app.ok(
            "handler",
            other,
            "return",
            json!({"reason": "不属于本单位职责"}),
        )
        .await;
        let hotline = listed(&app, "dispatcher").await;
        assert_eq!(kinds(&hotline), ["return_requested"]);
        app.ok("dispatcher", other, "return/approve", json!({}))
            .await;
        let mine = listed(&app, "handler").await;
        assert_eq!(kinds(&mine)[0], "return_approved");
        assert_eq!(mine["unread"], 5);

        // Read up to the newest: nothing unread; older pages go on from the cursor.
        let newest = mine["items"][0]["id"].as_i64().unwrap();
        let r = app
            .as_user(
                "handler",
                "POST",
                "/api/v1/notifications/read",
                Some(json!({"upto": newest})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        let mine = listed(&app, "handler").await;
        assert_eq!(mine["unread"], 0);
        assert!(
            mine["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|n| n["unread"] == false)
        );
        let page = app
            .as_user("handler", "GET", "/api/v1/notifications?limit=2", None)
            .await;
        let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
        let next = app
            .as_user(
                "handler",
                "GET",
                &format!("/api/v1/notifications?limit=2&before={cursor}"),
                None,
            )
            .await;
        assert_eq!(kinds(&next.body), ["supervised", "urged"]);
        let r = app
            .as_user(
                "handler",
                "POST",
                "/api/v1/notifications/read",
                Some(json!({"upto": -1})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        // Marking beyond the newest does not mark what comes later.
        let r = app
            .as_user(
                "handler",
                "POST",
                "/api/v1/notifications/read",
                Some(json!({"upto": i64::MAX})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        app.ok("supervisor", report, "urge", json!({"note": "再次催办"}))
            .await;
        assert_eq!(listed(&app, "handler").await["unread"], 1);
        // Integration keys are for orders, not people's notifications.
        let key = issue_key(&app, "cd-jt", json!([]), "notices-key").await;
        let r = app
            .send("GET", "/api/v1/notifications", Some(&key), None)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
);

async fn console_cookie(app: &TestApp, user: &str) -> String {
    let body = format!(
        "username={user}&password={}&next=/console/orders",
        PASSWORD.replace('-', "%2D")
    );
    let req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    resp.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// The next `counts` event of a stream, within five seconds.
async fn next_counts(body: &mut Body, seen: &mut String) -> Value {
    loop {
        if let Some(end) = seen.find("\n\n") {
            let event: String = seen.drain(..end + 2).collect();
            if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) {
                assert!(event.contains("event: counts"), "{event}");
                return serde_json::from_str(data).unwrap();
            }
            continue;
        }
        let frame = tokio::time::timeout(Duration::from_secs(5), body.frame())
            .await
            .expect("an event within five seconds")
            .expect("the stream goes on")
            .unwrap();
        if let Ok(data) = frame.into_data() {
            seen.push_str(&String::from_utf8_lossy(&data));
        }
    }
}

on_both_backends!(
    the_console_stream_brings_the_new_count_as_a_dispatch_is_recorded,
    |app: TestApp| async move {
        app.set_time("2026-03-02T09:00:00+08:00");
        let a = app.complaint().await;
        let cookie = console_cookie(&app, "handler").await;
        let req = Request::get("/console/notifications/stream")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap();
        let resp = app.router.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()[header::CONTENT_TYPE], "text/event-stream");
        let mut body = resp.into_body();
        let mut seen = String::new();
        let first = next_counts(&mut body, &mut seen).await;
        assert_eq!(first["unread"], 0);
        assert_eq!(first["queues"]["/console/orders?status=dispatched"], "0");
        app.ok("dispatcher", a, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        let after = next_counts(&mut body, &mut seen).await;
        assert_eq!(after["unread"], 1, "{after}");
        assert_eq!(after["queues"]["/console/orders?status=dispatched"], "1");
        // Someone whose unit gets no notifications has no stream.
        let admin = console_cookie(&app, "admin").await;
        let req = Request::get("/console/notifications/stream")
            .header(header::COOKIE, &admin)
            .body(Body::empty())
            .unwrap();
        assert_eq!(
            app.router.clone().oneshot(req).await.unwrap().status(),
            StatusCode::NOT_FOUND
        );
    }
);

/// On PostgreSQL a dispatch recorded by one server reaches a user connected to
/// another server of the installation, through LISTEN/NOTIFY.
#[tokio::test]
async fn a_dispatch_on_one_server_reaches_a_user_of_another_through_postgres() {
    let Some((app, second)) = TestApp::postgres_with_second_server().await else {
        return;
    };
    use hotline_store::{Notice, NoticeStore};
    let mut rx = second.subscribe_notices();
    // The listener says it is listening (its connection is up) before anything else.
    let ready = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ready, Notice::Resync);
    let a = app.complaint().await;
    app.ok("dispatcher", a, "dispatch", json!({"unit": "cd-jt"}))
        .await;
    let heard = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        heard,
        Notice::Unit(hotline_domain::UnitCode::parse("cd-jt").unwrap())
    );
    let unit = hotline_domain::UnitCode::parse("cd-jt").unwrap();
    assert_eq!(
        second
            .unread_notifications(&unit, "handler", 100)
            .await
            .unwrap(),
        1
    );
}

/// A stream ends once its session does, does not keep the session alive, and one
/// person holds at most three (a review's findings).
#[tokio::test]
async fn a_stream_ends_with_its_session_and_one_person_holds_few() {
    let app = TestApp::sqlite().await;
    app.set_time("2026-03-02T09:00:00+08:00");
    let a = app.complaint().await;
    let cookie = console_cookie(&app, "handler").await;
    let open = |cookie: String| {
        let router = app.router.clone();
        async move {
            let req = Request::get("/console/notifications/stream")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap();
            router.oneshot(req).await.unwrap()
        }
    };
    let first = open(cookie.clone()).await;
    assert_eq!(first.status(), StatusCode::OK);
    let (second, third) = (open(cookie.clone()).await, open(cookie.clone()).await);
    assert_eq!(
        (second.status(), third.status()),
        (StatusCode::OK, StatusCode::OK)
    );
    assert_eq!(
        open(cookie.clone()).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    drop(second);
    assert_eq!(
        open(cookie.clone()).await.status(),
        StatusCode::OK,
        "a closed stream frees its place"
    );

    let mut body = first.into_body();
    let mut seen = String::new();
    next_counts(&mut body, &mut seen).await;
    // Logged out: the next notice ends the stream instead of counting for it.
    let page = app
        .router
        .clone()
        .oneshot(
            Request::get("/console/orders")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let page = String::from_utf8(
        page.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let logout = Request::post("/logout")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("csrf={csrf}")))
        .unwrap();
    app.router.clone().oneshot(logout).await.unwrap();
    app.ok("dispatcher", a, "dispatch", json!({"unit": "cd-jt"}))
        .await;
    let end = tokio::time::timeout(Duration::from_secs(5), body.frame())
        .await
        .expect("the stream answers");
    assert!(end.is_none(), "the stream ended with its session");
}
