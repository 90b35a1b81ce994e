//! Every row of the action table in docs/permissions.md, through the real router:
//! each listed role succeeds; every other role gets 403 if it can see the order and
//! 404 if it cannot; and a refusal changes nothing. The capability table there is the
//! code's (`hotline_domain::capability`), and every cell of it holds through the router,
//! for people and for integration keys.

use crate::common::*;
use axum::http::StatusCode;
use hotline_domain::capability::KEY_SCOPES;
use hotline_domain::{Capability, Role};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashSet};

struct Row {
    action: String,
    route: Option<String>,
    state: String,
    roles: Vec<String>,
}

/// The cells of the table under `heading` in the documentation, header row left out.
fn table(heading: &str) -> Vec<Vec<&'static str>> {
    let doc = include_str!("../../../../docs/permissions.md");
    let section = doc
        .split(heading)
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap();
    section
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("|---"))
        .skip(1)
        .map(|l| l.trim_matches('|').split('|').map(str::trim).collect())
        .collect()
}

fn role_list(cell: &str) -> Vec<String> {
    cell.split(',').map(|r| r.trim().to_owned()).collect()
}

/// The action table, read from the documentation itself.
fn rows() -> Vec<Row> {
    table("## Acting on orders")
        .into_iter()
        .map(|cells| {
            let mut words = cells[0].split_whitespace();
            Row {
                action: words.next().unwrap().to_owned(),
                route: words.next().map(str::to_owned),
                state: cells[1].to_owned(),
                roles: role_list(cells[2]),
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
    ("upper_dispatcher", "scdispatcher"),
    ("upper_supervisor", "scsupervisor"),
    ("line_supervisor", "linesup"),
    ("sub_handler", "stationhandler"),
];

/// Whether the row allows `role`: a role of the owning hotline or one above it
/// (`dispatcher`) covers the upper one (`upper_dispatcher`); one of the owning hotline
/// itself (`own_dispatcher`) covers the plain one.
fn listed(row: &Row, role: &str) -> bool {
    row.roles.iter().any(|r| {
        r == role
            || role.strip_prefix("upper_") == Some(r.as_str())
            || r.strip_prefix("own_") == Some(role)
    })
}

/// The account that plays a role of the table.
fn user_for(role: &str) -> &'static str {
    let role = role.strip_prefix("own_").unwrap_or(role);
    ROLES
        .iter()
        .find(|(r, _)| *r == role)
        .unwrap_or_else(|| panic!("unknown role {role}"))
        .1
}

fn body(row: &Row, merge_target: i64) -> Value {
    match row.action.as_str() {
        "answer" => json!({"content": "已当场答复"}),
        "triage" => json!({"route": row.route.as_deref().unwrap(), "note": "已告知"}),
        "dispatch" => json!({"unit": "cd-jt"}),
        "return" => json!({"reason": "非本单位职责"}),
        "extension" => json!({"days": 2, "reason": "需勘查"}),
        "reply" => json!({"content": "已处理", "resolved": true}),
        "interim-reply" => json!({"content": "正在招标", "planned_date": "2026-12-31"}),
        "note" => json!({"content": "协办意见"}),
        "callback" => json!({"result": "satisfied", "resolved": true}),
        "reopen" => json!({"reason": "不满意"}),
        "reply/reject" => json!({"reason": "请补充处理结果"}),
        "escalate-handling" | "escalate-handling/decline" | "take-over" | "line-take-over" => {
            json!({"reason": "属省级部门职责"})
        }
        "urge" | "supervise" | "escalate" => json!({"note": "请加快"}),
        "merge" => json!({"into": merge_target}),
        "correct" | "correction" => json!({"kind": "consultation", "reason": "类型登记有误"}),
        "forward" => json!({"unit": "cd-jt-zd"}),
        "forward/return" => json!({"reason": "不属本站辖区"}),
        "forward/reply" => json!({"content": "已现场处理", "resolved": true}),
        "reveal-phone" => json!({"reason": "核实"}),
        _ => json!({}),
    }
}

/// A fresh order in the row's state.
async fn order_in(app: &TestApp, state: &str) -> i64 {
    // The hotline reviews suggestions' replies (set up by the test): an order awaiting
    // review is a suggestion replied to.
    let id = if state == "reply_review" {
        let r = app.create("operator", order_body("suggestion")).await;
        r.body["id"].as_i64().unwrap()
    } else {
        app.complaint().await
    };
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
        "registered" | "escalation_requested" => 0,
        "dispatched" | "return_requested" => 1,
        "in_progress" | "extension_pending" | "correction_pending" | "forwarded"
        | "forward_accepted" => 2,
        "replied" | "reply_review" => 3,
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
        "escalation_requested" => {
            let reason = json!({"reason": "属省级部门职责"});
            app.ok("dispatcher", id, "escalate-handling", reason).await;
        }
        "forwarded" | "forward_accepted" => {
            let to = json!({"unit": "cd-jt-zd"});
            app.ok("handler", id, "forward", to).await;
            if state == "forward_accepted" {
                app.ok("stationhandler", id, "forward/accept", json!({}))
                    .await;
            }
        }
        "correction_pending" => {
            let ask = json!({"kind": "consultation", "reason": "诉求人仅咨询"});
            app.ok("handler", id, "correction", ask).await;
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
        "upper_dispatcher" | "upper_supervisor" => true,
        "handler" | "co_handler" | "line_supervisor" => {
            !matches!(state, "registered" | "escalation_requested")
        }
        "sub_handler" => matches!(state, "forwarded" | "forward_accepted"),
        _ => false,
    }
}

// Each row on both stores (issue 19 asks it of every new action).
on_both_backends!(every_row_of_the_permission_table_holds, |app: TestApp| {
    every_row_holds(app)
});

async fn every_row_holds(app: TestApp) {
    let review = json!({"kinds": ["suggestion"]});
    let r = app
        .as_user("cdadmin", "PUT", "/api/v1/rules/reply-review", Some(review))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let table = rows();
    assert_eq!(table.len(), 39, "the table has a row per action");
    for row in &table {
        let path = |id: i64| format!("/api/v1/orders/{id}/{}", row.action);
        let name = format!("{} {}", row.action, row.route.as_deref().unwrap_or(""));
        let target = app.complaint().await;
        // Everyone not listed is refused, and nothing changes.
        let id = order_in(&app, &row.state).await;
        let before = app.order(id).await;
        for (role, user) in ROLES.iter().filter(|(r, _)| !listed(row, r)) {
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
            let user = user_for(role);
            let id = order_in(&app, &row.state).await;
            let target = app.complaint().await;
            let r = app
                .as_user(user, "POST", &path(id), Some(body(row, target)))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{name}: {role} → {}", r.text);
        }
    }
}

// Each row on both stores (issue 19 asks it of every new action).
on_both_backends!(
    a_listed_role_in_the_wrong_state_gets_409_and_changes_nothing,
    |app: TestApp| wrong_states_hold(app)
);

async fn wrong_states_hold(app: TestApp) {
    // Actions allowed in every open state have no wrong state to try.
    let anytime = [
        "note",
        "reveal-phone",
        "urge",
        "supervise",
        "escalate",
        "merge",
        "correct",
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
        let role = row.roles[0].strip_prefix("own_").unwrap_or(&row.roles[0]);
        let user = user_for(role);
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

#[test]
fn the_documented_capability_table_is_the_code() {
    let documented: BTreeMap<String, BTreeSet<String>> = table("## Capabilities")
        .into_iter()
        .map(|cells| {
            let name = cells[0].trim_matches('`').to_owned();
            (name, role_list(cells[1]).into_iter().collect())
        })
        .collect();
    let code: BTreeMap<String, BTreeSet<String>> = Capability::ALL
        .iter()
        .map(|c| {
            let roles = Role::ALL.iter().filter(|r| r.grants(*c));
            (c.to_string(), roles.map(Role::to_string).collect())
        })
        .collect();
    assert_eq!(documented, code);
}

/// Where each role's account sits for a probe.
#[derive(Clone, Copy)]
enum Placement {
    /// Where each role usually works: handlers at a department, admins over the whole
    /// installation, everyone else at the city hotline.
    Usual,
    /// Everyone at the city hotline (articles belong to a hotline).
    Hotline,
    /// Everyone at a department, where only handlers see orders.
    Department,
    /// Everyone at the head of the city transport bureau's line (`sc-jt`).
    LineHead,
}

impl Placement {
    fn unit(self, role: Role) -> Option<&'static str> {
        match (self, role) {
            (Placement::Usual, Role::Handler) | (Placement::Department, _) => Some("cd-jt"),
            (Placement::LineHead, _) => Some("sc-jt"),
            (Placement::Usual, Role::Admin) => None,
            _ => Some("cd12345"),
        }
    }
}

/// A request that needs `capability`: it answers `granted` to an account whose role
/// grants it and `refused` to any other.
struct Probe {
    capability: Capability,
    at: Placement,
    method: &'static str,
    path: String,
    body: Option<Value>,
    granted: StatusCode,
    refused: StatusCode,
}

fn article(title: &str, urgent: bool) -> Value {
    json!({
        "title": title, "question": "社保卡丢了怎么办？",
        "answer": "到社保经办机构补领。", "category": "社会保障/社保卡",
        "urgent": urgent
    })
}

/// One probe or more for each capability. `registered` is an order of the city
/// hotline not yet dispatched; `dispatched` one dispatched to `cd-jt`; March 2026 has
/// summons for `cd-jt`.
fn probes(registered: i64, dispatched: i64) -> Vec<Probe> {
    use Capability::*;
    use Placement::*;
    let (ok, created, none) = (StatusCode::OK, StatusCode::CREATED, StatusCode::NO_CONTENT);
    let (forbidden, not_found) = (StatusCode::FORBIDDEN, StatusCode::NOT_FOUND);
    let get = |capability, at, path: &str, refused| Probe {
        capability,
        at,
        method: "GET",
        path: path.to_owned(),
        body: None,
        granted: ok,
        refused,
    };
    let post = |capability, at, path: &str, body, granted| Probe {
        capability,
        at,
        method: "POST",
        path: path.to_owned(),
        body: Some(body),
        granted,
        refused: forbidden,
    };
    vec![
        get(
            SeeHotlineOrders,
            Usual,
            &format!("/api/v1/orders/{registered}"),
            not_found,
        ),
        get(
            HandleOrders,
            Department,
            &format!("/api/v1/orders/{dispatched}"),
            not_found,
        ),
        post(
            RegisterOrders,
            Usual,
            "/api/v1/orders",
            order_body("help"),
            created,
        ),
        post(
            LookUpCallers,
            Usual,
            "/api/v1/callers/history",
            json!({"phone": "13812345678"}),
            ok,
        ),
        post(
            EditKnowledge,
            Hotline,
            "/api/v1/kb/articles",
            article("社保卡挂失", false),
            created,
        ),
        post(
            PublishKnowledge,
            Hotline,
            "/api/v1/kb/articles",
            article("社保卡挂失答复口径", true),
            created,
        ),
        get(
            ReadReports,
            Usual,
            "/api/v1/reports/units?from=2026-03-01&to=2026-03-31",
            forbidden,
        ),
        get(
            ReadReports,
            Usual,
            "/api/v1/reports/period?period=month&date=2026-03-10",
            forbidden,
        ),
        get(
            ReadReports,
            Usual,
            "/api/v1/reports/seasonal?month=2026-03",
            forbidden,
        ),
        get(
            ReadSummons,
            Usual,
            "/api/v1/reports/summons?month=2026-03",
            forbidden,
        ),
        post(
            RecordSummons,
            Usual,
            "/api/v1/reports/summons/acted",
            json!({"month": "2026-03", "unit": "cd-jt", "note": "已约谈"}),
            none,
        ),
        get(ReadAudit, Usual, "/api/v1/audit", forbidden),
        get(
            OverseeLine,
            LineHead,
            &format!("/api/v1/orders/{dispatched}"),
            not_found,
        ),
        get(Administer, Usual, "/api/v1/users", forbidden),
        get(Administer, Usual, "/api/v1/apikeys", forbidden),
    ]
}

/// Three consultations dispatched to `cd-jt` on 2 March 2026 and left to run late, so
/// that March has summons for it; the clock then stands on 1 April. Returns one.
async fn late_in_march(app: &TestApp) -> i64 {
    app.set_time("2026-03-02T09:00:00+08:00");
    let mut last = 0;
    for _ in 0..3 {
        last = app
            .create("operator", order_body("consultation"))
            .await
            .body["id"]
            .as_i64()
            .unwrap();
        app.ok("dispatcher", last, "dispatch", json!({"unit": "cd-jt"}))
            .await;
    }
    app.set_time("2026-04-01T09:00:00+08:00");
    last
}

/// The body a probe sends as `role`: articles need titles of their own.
fn body_for(probe: &Probe, role: Role) -> Option<Value> {
    let mut body = probe.body.clone()?;
    if let Some(title) = body.get("title").and_then(Value::as_str) {
        body["title"] = json!(format!("{title}（{role}）"));
    }
    Some(body)
}

#[tokio::test]
async fn every_cell_of_the_capability_table_holds() {
    let app = TestApp::sqlite().await;
    let dispatched = late_in_march(&app).await;
    let registered = app.complaint().await;
    let probes = probes(registered, dispatched);
    for c in Capability::ALL {
        assert!(probes.iter().any(|p| p.capability == *c), "{c} has a probe");
    }
    let mut accounts = HashSet::new();
    for probe in &probes {
        for role in Role::ALL {
            let unit = probe.at.unit(*role);
            let user = format!("{role}-at-{}", unit.unwrap_or("all"));
            if accounts.insert(user.clone()) {
                app.add_cheap_user(&user, role.as_str(), unit).await;
            }
            let r = app
                .as_user(&user, probe.method, &probe.path, body_for(probe, *role))
                .await;
            let expected = if role.grants(probe.capability) {
                probe.granted
            } else {
                probe.refused
            };
            assert_eq!(
                r.status, expected,
                "{} as {user}: {} {} → {}",
                probe.capability, probe.method, probe.path, r.text
            );
        }
    }
}

#[tokio::test]
async fn an_integration_key_reaches_what_its_scopes_cover_and_its_role_grants() {
    let app = TestApp::sqlite().await;
    let dispatched = late_in_march(&app).await;
    let registered = app.complaint().await;
    // A key of the city hotline acts as its operator and dispatcher.
    let roles = [Role::Operator, Role::Dispatcher];
    let scopes = KEY_SCOPES.iter().map(|(name, _)| vec![*name]);
    for scope in scopes.chain([vec!["dispatch"], vec![]]) {
        let name = format!("key-{}", scope.join("-"));
        let key = issue_key(&app, "cd12345", json!(scope), &name).await;
        let on_the_hotline = probes(registered, dispatched)
            .into_iter()
            .filter(|p| !matches!(p.at, Placement::Department | Placement::LineHead));
        for probe in on_the_hotline {
            let covered = scope.is_empty()
                || KEY_SCOPES
                    .iter()
                    .any(|(s, caps)| scope.contains(s) && caps.contains(&probe.capability));
            let order_api =
                probe.path.starts_with("/api/v1/orders") || probe.path == "/api/v1/callers/history";
            let expected = match (
                covered && order_api,
                roles.iter().any(|r| r.grants(probe.capability)),
            ) {
                (true, true) => probe.granted,
                (true, false) => probe.refused,
                (false, _) => StatusCode::FORBIDDEN,
            };
            let r = app
                .send(
                    probe.method,
                    &probe.path,
                    Some(&key),
                    body_for(&probe, Role::Operator),
                )
                .await;
            assert_eq!(
                r.status, expected,
                "{name}: {} {} → {}",
                probe.method, probe.path, r.text
            );
        }
    }
}
