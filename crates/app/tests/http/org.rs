//! Managing the organisation and accounts over HTTP.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::json;

fn codes(r: &Response) -> Vec<String> {
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn units_are_renamed_moved_and_deactivated_and_keep_their_history() {
    let app = TestApp::sqlite().await;
    let id = app.complaint().await;
    app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-old"}))
        .await;
    let r = app
        .as_user(
            "cdadmin",
            "PATCH",
            "/api/v1/units/cd-old",
            Some(json!({"name": "成都市旧部门（已撤并）", "active": false})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.body["active"].as_bool(), r.body["name"].as_str()),
        (Some(false), Some("成都市旧部门（已撤并）"))
    );
    // No new dispatches; the order already there stays, with its history.
    let other = app.complaint().await;
    let d = app
        .act("dispatcher", other, "dispatch", json!({"unit": "cd-old"}))
        .await;
    assert_eq!(d.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(d.text.contains("deactivated"), "{}", d.text);
    assert_eq!(app.order(id).await["unit"], "cd-old");
    // Moves keep the tree a tree.
    let r = app
        .as_user(
            "cdadmin",
            "PATCH",
            "/api/v1/units/cd-jt",
            Some(json!({"parent": "cd-zj"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .as_user(
            "cdadmin",
            "PATCH",
            "/api/v1/units/cd-zj",
            Some(json!({"parent": "cd-jt"})),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no cycles: {}",
        r.text
    );
    let audit = app
        .as_user("admin", "GET", "/api/v1/audit?action=unit.change", None)
        .await;
    assert_eq!(audit.body["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_city_administrator_manages_only_the_citys_subtree() {
    let app = TestApp::sqlite().await;
    let r = app
        .as_user(
            "cdadmin",
            "PATCH",
            "/api/v1/units/my-zj",
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .as_user(
            "cdadmin",
            "PATCH",
            "/api/v1/units/cd-jt",
            Some(json!({"parent": "my12345"})),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "cannot move a unit out of its own reach"
    );
    let unit = json!({"code": "my-new", "name": "x", "kind": "department", "parent": "my12345", "region": "510700"});
    assert_eq!(
        app.as_user("cdadmin", "POST", "/api/v1/units", Some(unit))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.as_user(
            "dispatcher",
            "PATCH",
            "/api/v1/units/cd-jt",
            Some(json!({"name": "x"}))
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let users = app.as_user("cdadmin", "GET", "/api/v1/users", None).await;
    let names: Vec<&str> = users.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"handler") && !names.contains(&"myhandler") && !names.contains(&"admin"),
        "{names:?}"
    );
    let r = app
        .as_user(
            "cdadmin",
            "PATCH",
            "/api/v1/users/myhandler",
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "another city's account is not this admin's to see"
    );
}

#[tokio::test]
async fn each_sees_the_units_of_their_own_hotline() {
    let app = TestApp::sqlite().await;
    let all = codes(&app.as_user("admin", "GET", "/api/v1/units", None).await);
    assert!(all.contains(&"my-zj".to_owned()) && all.contains(&"sc12345".to_owned()));
    let province = codes(
        &app.as_user("scdispatcher", "GET", "/api/v1/units", None)
            .await,
    );
    assert_eq!(province, all);
    let city = codes(&app.as_user("handler", "GET", "/api/v1/units", None).await);
    assert!(city.contains(&"cd-zj".to_owned()) && city.contains(&"cd12345".to_owned()));
    assert!(!city.contains(&"my-zj".to_owned()) && !city.contains(&"sc12345".to_owned()));
}

#[tokio::test]
async fn disabling_or_resetting_an_account_ends_its_sessions_at_once() {
    let app = TestApp::sqlite().await;
    let token = app.token("handler").await;
    let r = app
        .as_user(
            "cdadmin",
            "PATCH",
            "/api/v1/users/handler",
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["active"].as_bool()),
        (StatusCode::OK, Some(false))
    );
    assert_eq!(
        app.send("GET", "/api/v1/orders", Some(&token), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("handler", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.as_user(
        "cdadmin",
        "PATCH",
        "/api/v1/users/handler",
        Some(json!({"active": true, "roles": ["handler", "dispatcher"]})),
    )
    .await;
    let t2 = app.login("handler", PASSWORD).await.body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let weak = app
        .as_user(
            "cdadmin",
            "POST",
            "/api/v1/users/handler/password",
            Some(json!({"password": "weak"})),
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .as_user(
            "cdadmin",
            "POST",
            "/api/v1/users/handler/password",
            Some(json!({"password": "New-Secret-2026"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.send("GET", "/api/v1/orders", Some(&t2), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let ok = app.login("handler", "New-Secret-2026").await;
    assert_eq!(ok.body["user"]["roles"], json!(["handler", "dispatcher"]));
    assert_eq!(
        app.as_user(
            "dispatcher",
            "PATCH",
            "/api/v1/users/handler",
            Some(json!({"active": false}))
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn an_integration_key_acts_for_its_unit_within_its_actions_until_revoked() {
    let app = TestApp::sqlite().await;
    let issue = |unit: &str, actions: serde_json::Value, name: &str| json!({"name": name, "unit": unit, "actions": actions});
    let r = app
        .as_user(
            "cdadmin",
            "POST",
            "/api/v1/apikeys",
            Some(issue(
                "cd12345",
                json!(["create", "read"]),
                "wechat-gateway",
            )),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let key = r.body["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("hk_"));
    let created = app
        .send(
            "POST",
            "/api/v1/orders",
            Some(&key),
            Some(order_body("help")),
        )
        .await;
    assert_eq!(
        (created.status, created.body["hotline"].as_str()),
        (StatusCode::CREATED, Some("cd12345"))
    );
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(
        app.send("GET", &format!("/api/v1/orders/{id}"), Some(&key), None)
            .await
            .status,
        StatusCode::OK
    );
    let d = app
        .send(
            "POST",
            &format!("/api/v1/orders/{id}/dispatch"),
            Some(&key),
            Some(json!({"unit": "cd-jt"})),
        )
        .await;
    assert_eq!(
        d.status,
        StatusCode::FORBIDDEN,
        "dispatch is outside this key's actions"
    );
    let events = app.order(id).await["events"].clone();
    assert_eq!(events[0]["actor"], "apikey:wechat-gateway");
    // A unit's key handles what is dispatched to the unit, and nothing else.
    let r = app
        .as_user(
            "cdadmin",
            "POST",
            "/api/v1/apikeys",
            Some(issue("cd-jt", json!([]), "jt-system")),
        )
        .await;
    let unit_key = r.body["key"].as_str().unwrap().to_owned();
    assert_eq!(
        app.send(
            "GET",
            &format!("/api/v1/orders/{id}"),
            Some(&unit_key),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
        .await;
    let accepted = app
        .send(
            "POST",
            &format!("/api/v1/orders/{id}/accept"),
            Some(&unit_key),
            Some(json!({})),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    // Revoked: refused at once.
    assert_eq!(
        app.as_user("cdadmin", "DELETE", "/api/v1/apikeys/jt-system", None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.send("GET", "/api/v1/orders", Some(&unit_key), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // Scope and validation of issuing.
    let r = app
        .as_user(
            "cdadmin",
            "POST",
            "/api/v1/apikeys",
            Some(issue("my-zj", json!([]), "other")),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .as_user(
            "cdadmin",
            "POST",
            "/api/v1/apikeys",
            Some(issue("cd-jt", json!(["fly"]), "bad")),
        )
        .await;
    assert!(
        r.body["error"]["fields"]["actions"].is_string(),
        "{}",
        r.text
    );
    let listed = app.as_user("cdadmin", "GET", "/api/v1/apikeys", None).await;
    assert!(!listed.text.contains("hk_") && listed.text.contains("wechat-gateway"));
}
