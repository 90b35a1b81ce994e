//! Every row of the action table in docs/permissions.md, through the real router:
//! each listed role succeeds; every other role gets 403 if it can see the order and
//! 404 if it cannot; and a refusal changes nothing.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::{Value, json};

struct Row {
    action: String,
    route: Option<String>,
    state: String,
    roles: Vec<String>,
}

/// The action table, read from the documentation itself.
fn rows() -> Vec<Row> {
    let doc = include_str!("../../../../docs/permissions.md");
    let section = doc
        .split("## Acting on orders")
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap();
    section
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| action") && !l.starts_with("|---"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            let mut words = cells[0].split_whitespace();
            Row {
                action: words.next().unwrap().to_owned(),
                route: words.next().map(str::to_owned),
                state: cells[1].to_owned(),
                roles: cells[2].split(',').map(|r| r.trim().to_owned()).collect(),
            }
        })
        .collect()
}

/// A test account for each role: handler is of the lead unit, co_handler of a co-unit.
const ROLES: &[(&str, &str)] = &[
    ("operator", "operator"),
    ("vendor_operator", "vendor"),
    ("dispatcher", "dispatcher"),
    ("supervisor", "supervisor"),
    ("inspector", "inspector"),
    ("knowledge_editor", "editor"),
    ("handler", "handler"),
    ("co_handler", "handler2"),
    ("admin", "admin"),
    ("other_city_handler", "myhandler"),
];

fn body(row: &Row, merge_target: i64) -> Value {
    match row.action.as_str() {
        "answer" => json!({"content": "已当场答复"}),
        "triage" => json!({"route": row.route.as_deref().unwrap(), "note": "已告知"}),
        "dispatch" => json!({"unit": "cd-jt"}),
        "return" => json!({"reason": "非本单位职责"}),
        "extension" => json!({"days": 2, "reason": "需勘查"}),
        "reply" => json!({"content": "已处理", "resolved": true}),
        "note" => json!({"content": "协办意见"}),
        "callback" => json!({"result": "satisfied", "resolved": true}),
        "reopen" => json!({"reason": "不满意"}),
        "urge" | "supervise" | "escalate" => json!({"note": "请加快"}),
        "merge" => json!({"into": merge_target}),
        "reveal-phone" => json!({"reason": "核实"}),
        _ => json!({}),
    }
}

/// A fresh order in the row's state.
async fn order_in(app: &TestApp, state: &str) -> i64 {
    let id = app.complaint().await;
    let steps: &[(&str, &str, Value)] = &[
        (
            "dispatcher",
            "dispatch",
            json!({"unit": "cd-jt", "co_units": ["cd-zj"]}),
        ),
        ("handler", "accept", json!({})),
        (
            "handler",
            "reply",
            json!({"content": "已处理", "resolved": true}),
        ),
        (
            "operator",
            "callback",
            json!({"result": "satisfied", "resolved": true}),
        ),
    ];
    let n = match state {
        "registered" => 0,
        "dispatched" | "return_requested" => 1,
        "in_progress" | "extension_pending" => 2,
        "replied" => 3,
        "callback_done" => 4,
        other => panic!("no set-up for state {other}"),
    };
    for (user, action, b) in &steps[..n] {
        app.ok(user, id, action, b.clone()).await;
    }
    match state {
        "return_requested" => {
            app.ok("handler", id, "return", json!({"reason": "非本单位职责"}))
                .await;
        }
        "extension_pending" => {
            app.ok(
                "handler",
                id,
                "extension",
                json!({"days": 2, "reason": "需勘查"}),
            )
            .await;
        }
        _ => {}
    }
    id
}

fn sees(role: &str, state: &str) -> bool {
    match role {
        "operator" | "vendor_operator" | "dispatcher" | "supervisor" | "inspector" => true,
        "handler" | "co_handler" => state != "registered",
        _ => false,
    }
}

#[tokio::test]
async fn every_row_of_the_permission_table_holds() {
    let app = TestApp::sqlite().await;
    let table = rows();
    assert_eq!(table.len(), 21, "the table has a row per action");
    for row in &table {
        let path = |id: i64| format!("/api/v1/orders/{id}/{}", row.action);
        let name = format!("{} {}", row.action, row.route.as_deref().unwrap_or(""));
        let target = app.complaint().await;
        // Everyone not listed is refused, and nothing changes.
        let id = order_in(&app, &row.state).await;
        let before = app.order(id).await;
        for (role, user) in ROLES
            .iter()
            .filter(|(r, _)| !row.roles.iter().any(|x| x == r))
        {
            let r = app
                .as_user(user, "POST", &path(id), Some(body(row, target)))
                .await;
            let expected = if sees(role, &row.state) {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(r.status, expected, "{name}: {role} → {}", r.text);
        }
        let after = app.order(id).await;
        assert_eq!(
            after["version"], before["version"],
            "{name}: refusals changed nothing"
        );
        assert_eq!(
            after["events"].as_array().unwrap().len(),
            before["events"].as_array().unwrap().len()
        );
        // Everyone listed succeeds (each on an order of its own).
        for role in &row.roles {
            let user = ROLES
                .iter()
                .find(|(r, _)| r == role)
                .unwrap_or_else(|| panic!("unknown role {role}"))
                .1;
            let id = order_in(&app, &row.state).await;
            let target = app.complaint().await;
            let r = app
                .as_user(user, "POST", &path(id), Some(body(row, target)))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{name}: {role} → {}", r.text);
        }
    }
}

#[tokio::test]
async fn a_listed_role_in_the_wrong_state_gets_409_and_changes_nothing() {
    let app = TestApp::sqlite().await;
    // Actions allowed in every open state have no wrong state to try.
    let anytime = [
        "note",
        "reveal-phone",
        "urge",
        "supervise",
        "escalate",
        "merge",
    ];
    for row in rows()
        .iter()
        .filter(|r| !anytime.contains(&r.action.as_str()))
    {
        let wrong = if row.state == "registered" {
            "replied"
        } else {
            "registered"
        };
        let id = order_in(&app, wrong).await;
        let role = &row.roles[0];
        let user = ROLES.iter().find(|(r, _)| r == role).unwrap().1;
        let before = app.order(id).await["version"].clone();
        let r = app
            .as_user(
                user,
                "POST",
                &format!("/api/v1/orders/{id}/{}", row.action),
                Some(body(row, 0)),
            )
            .await;
        let expected = if sees(role, wrong) {
            StatusCode::CONFLICT
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(
            r.status, expected,
            "{} by {role} in {wrong}: {}",
            row.action, r.text
        );
        assert_eq!(app.order(id).await["version"], before, "{}", row.action);
    }
}
