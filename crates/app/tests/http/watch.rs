//! The deadline watch with an injected clock: reminders and supervision at exactly
//! the configured working-day points, across the 2026 Spring Festival; each step once,
//! even with two workers at the same time.

use crate::common::*;
use hotline_app::jobs::deadline_watch::run_once;
use serde_json::{Value, json};

/// A consultation registered Friday 2026-02-13 10:00: its days are 02-14 (a make-up
/// working Saturday), 02-24 and 02-25 (docs/policy.md §2), so the deadline is
/// 2026-02-25 23:59:59+08:00.
async fn consultation_in_progress(app: &TestApp) -> i64 {
    app.set_time("2026-02-13T10:00:00+08:00");
    let id = app
        .create("operator", order_body("consultation"))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
        .await;
    app.ok("handler", id, "accept", json!({})).await;
    id
}

async fn watch_events(app: &TestApp, id: i64) -> Vec<(String, String)> {
    let o = app.order(id).await;
    o["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == "system")
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_owned(),
                e["at"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn at(app: &TestApp, when: &str) -> usize {
    app.set_time(when);
    run_once(&app.state).await.unwrap()
}

on_both_backends!(
    reminders_and_supervision_fall_on_working_day_points_across_the_holiday,
    |app: TestApp| async move {
        let mut rules: Value = app
            .as_user("admin", "GET", "/api/v1/rules/deadlines", None)
            .await
            .body;
        rules["reminder_points"] = json!([3, 1, 0]);
        let r = app
            .as_user("admin", "PUT", "/api/v1/rules/deadlines", Some(rules))
            .await;
        assert_eq!(r.status, axum::http::StatusCode::OK, "{}", r.text);
        let id = consultation_in_progress(&app).await;
        assert_eq!(app.order(id).await["deadline"], "2026-02-25T23:59:59+08:00");

        // Three working days left when Saturday 02-14 (a make-up working day) begins.
        assert_eq!(at(&app, "2026-02-13T23:59:59+08:00").await, 0);
        assert_eq!(at(&app, "2026-02-14T00:00:00+08:00").await, 1);
        assert_eq!(at(&app, "2026-02-14T08:00:00+08:00").await, 0, "once");
        // The holiday counts for nothing: the next point is when 02-25 begins.
        assert_eq!(at(&app, "2026-02-24T23:59:59+08:00").await, 0);
        assert_eq!(at(&app, "2026-02-25T00:00:00+08:00").await, 1);
        assert_eq!(at(&app, "2026-02-25T23:59:58+08:00").await, 0);
        assert_eq!(
            at(&app, "2026-02-25T23:59:59+08:00").await,
            1,
            "at the deadline"
        );
        // The deadline's passing is recorded the moment after it, once.
        assert_eq!(at(&app, "2026-02-26T00:00:00+08:00").await, 1);
        // Supervision after one more working day of grace (02-26).
        assert_eq!(at(&app, "2026-02-26T23:59:59+08:00").await, 0);
        assert_eq!(at(&app, "2026-02-27T00:00:00+08:00").await, 1);
        assert_eq!(at(&app, "2026-03-02T09:00:00+08:00").await, 0);

        let events = watch_events(&app, id).await;
        let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "reminded",
                "reminded",
                "reminded",
                "deadline_passed",
                "supervised"
            ]
        );
        let o = app.order(id).await;
        assert_eq!(o["supervision"], "supervised");
        assert_eq!(o["reminders"], 3);
        let audit = app
            .as_user("admin", "GET", "/api/v1/audit?actor=system", None)
            .await;
        let actions: Vec<&str> = audit.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions.iter().filter(|a| a.starts_with("watch.")).count(),
            5
        );
    }
);

on_both_backends!(
    an_extension_moves_the_points_and_missed_accepts_and_callbacks_are_flagged,
    |app: TestApp| async move {
        app.set_time("2026-02-13T10:00:00+08:00");
        let id = app
            .create("operator", order_body("consultation"))
            .await
            .body["id"]
            .as_i64()
            .unwrap();
        app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        // Accept deadline: end of 02-14 (one working day after dispatch).
        assert_eq!(at(&app, "2026-02-14T23:59:59+08:00").await, 0);
        assert_eq!(at(&app, "2026-02-15T00:00:00+08:00").await, 1);
        app.ok("handler", id, "accept", json!({})).await;
        app.set_time("2026-02-24T09:00:00+08:00");
        app.ok(
            "handler",
            id,
            "extension",
            json!({"days": 2, "reason": "需现场核查"}),
        )
        .await;
        app.ok("dispatcher", id, "extension/approve", json!({}))
            .await;
        assert_eq!(app.order(id).await["deadline"], "2026-02-27T23:59:59+08:00");
        assert_eq!(
            at(&app, "2026-02-25T00:00:00+08:00").await,
            0,
            "the old point is gone"
        );
        assert_eq!(at(&app, "2026-02-27T00:00:00+08:00").await, 1);
        app.set_time("2026-02-27T10:00:00+08:00");
        app.ok(
            "handler",
            id,
            "reply",
            json!({"content": "已答复。", "resolved": true}),
        )
        .await;
        // Callback due by the end of the next working day: Saturday 02-28, the
        // second make-up working day of the Spring Festival arrangement.
        assert_eq!(at(&app, "2026-02-28T23:59:59+08:00").await, 0);
        assert_eq!(at(&app, "2026-03-01T00:00:00+08:00").await, 1);
        let kinds: Vec<String> = watch_events(&app, id)
            .await
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(kinds, ["accept_overdue", "reminded", "callback_overdue"]);
    }
);

on_both_backends!(
    two_workers_at_once_take_each_step_once,
    |app: TestApp| async move {
        let id = consultation_in_progress(&app).await;
        let other = hotline_app::AppState::new(
            app.state.store().clone(),
            app.clock.clone(),
            app.state.config().clone(),
        );
        app.set_time("2026-02-27T00:00:00+08:00");
        let (a, b) = tokio::join!(run_once(&app.state), run_once(&other));
        assert_eq!(
            a.unwrap() + b.unwrap(),
            4,
            "two reminders, the deadline's passing and supervision, taken once"
        );
        let kinds: Vec<String> = watch_events(&app, id)
            .await
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            kinds,
            ["reminded", "reminded", "deadline_passed", "supervised"]
        );
    }
);

on_both_backends!(
    an_unreachable_requester_is_tried_again_until_the_attempts_run_out,
    |app: TestApp| async move {
        let id = consultation_in_progress(&app).await;
        app.set_time("2026-03-02T10:00:00+08:00");
        app.ok(
            "handler",
            id,
            "reply",
            json!({"content": "已答复", "resolved": true}),
        )
        .await;
        // Due by the end of the next working day (03-03).
        assert_eq!(at(&app, "2026-03-03T23:59:59+08:00").await, 0);
        assert_eq!(at(&app, "2026-03-04T00:00:00+08:00").await, 1);
        let unreachable = json!({"result": "unreachable", "resolved": false});
        app.set_time("2026-03-04T10:00:00+08:00");
        app.ok("operator", id, "callback", unreachable.clone())
            .await;
        // Tried again by the end of the next working day after the failed try.
        assert_eq!(at(&app, "2026-03-05T23:59:59+08:00").await, 0);
        assert_eq!(at(&app, "2026-03-06T00:00:00+08:00").await, 1);
        app.set_time("2026-03-06T10:00:00+08:00");
        app.ok("operator", id, "callback", unreachable.clone())
            .await;
        app.set_time("2026-03-06T15:00:00+08:00");
        app.ok("operator", id, "callback", unreachable).await;
        assert_eq!(
            at(&app, "2026-03-06T15:01:00+08:00").await,
            1,
            "three tries: it may be closed"
        );
        assert_eq!(at(&app, "2026-03-09T09:00:00+08:00").await, 0, "once");
        let kinds: Vec<String> = watch_events(&app, id)
            .await
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            kinds
                .iter()
                .filter(|k| k.starts_with("callback"))
                .cloned()
                .collect::<Vec<_>>(),
            ["callback_overdue", "callback_overdue", "callback_exhausted"]
        );
        app.ok("operator", id, "close", json!({})).await;
    }
);
