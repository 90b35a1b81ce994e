//! Places by name (issue 16, point 3): the official divisions down to streets,
//! searched and suggested without login, an order's street checked against its
//! region, administrators' streets, and regions named the same way everywhere.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::{Value, json};

fn codes(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn divisions_are_listed_by_parent_and_found_by_name_without_login() {
    let app = TestApp::sqlite().await;
    let top = app.send("GET", "/api/v1/regions", None, None).await;
    assert_eq!(top.status, StatusCode::OK, "{}", top.text);
    assert_eq!(top.body["items"].as_array().unwrap().len(), 31);
    let chengdu = app
        .send("GET", "/api/v1/regions?parent=510100", None, None)
        .await;
    let jinjiang = chengdu.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "510104")
        .unwrap()
        .clone();
    assert_eq!(
        jinjiang,
        json!({"code": "510104", "name": "锦江区", "level": "district", "parent": "510100"})
    );
    let streets = app
        .send("GET", "/api/v1/regions?parent=510104", None, None)
        .await;
    assert!(codes(&streets.body).contains(&"510104022".to_owned()));
    assert!(
        streets.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["level"] == "street" && s["parent"] == "510104")
    );
    let found = app
        .send(
            "GET",
            "/api/v1/regions?q=%E6%98%A5%E7%86%99%E8%B7%AF&within=510100",
            None,
            None,
        )
        .await;
    assert_eq!(codes(&found.body), ["510104022"], "{}", found.text);
    let suggested = app
        .send(
            "GET",
            "/api/v1/regions/suggest?address=%E9%94%A6%E6%B1%9F%E5%8C%BA%E6%98%A5%E7%86%99%E8%B7%AF1%E5%8F%B7&within=510100",
            None,
            None,
        )
        .await;
    assert_eq!(
        suggested.body["region"]["name"], "锦江区",
        "{}",
        suggested.text
    );
    assert_eq!(suggested.body["street"]["code"], "510104022");
    for bad in [
        "/api/v1/regions?parent=510100&q=%E9%94%A6",
        "/api/v1/regions?parent=999999",
        "/api/v1/regions?q=%E9%94%A6&within=51",
        "/api/v1/regions?q=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "/api/v1/regions/suggest?address=",
    ] {
        let r = app.send("GET", bad, None, None).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
    }
}

on_both_backends!(
    an_order_keeps_its_street_within_its_region_and_is_named_by_division,
    |app: TestApp| async move {
        let mut body = order_body("complaint");
        body["street"] = json!("510104022");
        let r = app.create("operator", body.clone()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(
            (
                &r.body["street"],
                &r.body["region_name"],
                &r.body["street_name"]
            ),
            (&json!("510104022"), &json!("锦江区"), &json!("春熙路街道"))
        );
        let id = r.body["id"].as_i64().unwrap();
        assert_eq!(app.order(id).await["street"], "510104022", "stored");

        let before = app
            .as_user("dispatcher", "GET", "/api/v1/orders", None)
            .await;
        for (field, street, region) in [
            ("street", "510105001", "510104"),
            ("street", "510104999", "510104"),
            ("street", "5101040", "510104"),
            ("region", "", "510199"),
        ] {
            let mut bad = body.clone();
            bad["street"] = json!(street);
            bad["region"] = json!(region);
            let r = app.create("operator", bad).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{street}: {}",
                r.text
            );
            assert!(r.body["error"]["fields"][field].is_string(), "{}", r.text);
        }
        let after = app
            .as_user("dispatcher", "GET", "/api/v1/orders", None)
            .await;
        assert_eq!(
            before.body["items"], after.body["items"],
            "nothing registered"
        );
    }
);

on_both_backends!(
    administrators_add_and_rename_streets_within_their_region_audited,
    |app: TestApp| async move {
        let rename = json!({"name": "春熙商圈街道"});
        let r = app
            .as_user(
                "cdadmin",
                "PUT",
                "/api/v1/regions/streets/510104022",
                Some(rename.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["name"], "春熙商圈街道");
        let added = app
            .as_user(
                "cdadmin",
                "PUT",
                "/api/v1/regions/streets/510104901",
                Some(json!({"name": "新设街道"})),
            )
            .await;
        assert_eq!(added.status, StatusCode::OK, "{}", added.text);
        let streets = app
            .send("GET", "/api/v1/regions?parent=510104", None, None)
            .await;
        let names: Vec<&str> = streets.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"春熙商圈街道") && names.contains(&"新设街道"));
        assert!(!names.contains(&"春熙路街道"));

        // Mianyang's street is outside Chengdu's administrator's region; a handler is
        // no administrator; a street under no district, or nameless, is refused.
        let outside = app
            .as_user(
                "cdadmin",
                "PUT",
                "/api/v1/regions/streets/510703001",
                Some(rename.clone()),
            )
            .await;
        assert_eq!(outside.status, StatusCode::FORBIDDEN, "{}", outside.text);
        let handler = app
            .as_user(
                "handler",
                "PUT",
                "/api/v1/regions/streets/510104022",
                Some(rename.clone()),
            )
            .await;
        assert_eq!(handler.status, StatusCode::FORBIDDEN);
        for (code, body) in [
            ("510199001", rename.clone()),
            ("510104022", json!({"name": "x"})),
        ] {
            let r = app
                .as_user(
                    "admin",
                    "PUT",
                    &format!("/api/v1/regions/streets/{code}"),
                    Some(body),
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{code}: {}",
                r.text
            );
        }
        let audit = app
            .as_user("admin", "GET", "/api/v1/audit?action=region.street", None)
            .await;
        assert_eq!(
            audit.body["items"].as_array().unwrap().len(),
            2,
            "{}",
            audit.text
        );
        assert_eq!(audit.body["items"][1]["detail"]["was"], "春熙路街道");
    }
);
