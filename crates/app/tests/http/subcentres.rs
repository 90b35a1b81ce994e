//! Sub-centres (issue 18, point 3): a 12315 line merged into 12345 is an owning
//! hotline for its remit under the provincial hotline; the portal and integration
//! keys route each request to exactly one owning hotline for its region and domain.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::{Value, json};

async fn set_up_12315(app: &TestApp) {
    let unit = json!({"code": "sc12315", "name": "四川12315分中心", "kind": "subcentre", "parent": "sc12345", "region": "510000"});
    let r = app
        .as_user("admin", "POST", "/api/v1/units", Some(unit))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let remit = json!({"domains": ["market_supervision", "economic_regulation/prices"]});
    let path = "/api/v1/rules/remit?subcentre=sc12315";
    // A city's administrator does not draw requests to a sub-centre.
    let r = app
        .as_user("cdadmin", "PUT", path, Some(remit.clone()))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = app
        .as_user("admin", "PUT", path, Some(json!({"domains": ["roads"]})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = app
        .as_user(
            "admin",
            "PUT",
            "/api/v1/rules/remit?subcentre=cd12345",
            Some(remit.clone()),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a hotline has no remit: {}",
        r.text
    );
    let r = app.as_user("admin", "PUT", path, Some(remit)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app.as_user("operator", "GET", path, None).await;
    assert_eq!(
        r.body["domains"],
        json!(["economic_regulation/prices", "market_supervision"])
    );
    app.add_cheap_user("op12315", "operator", Some("sc12315"))
        .await;
    app.add_cheap_user("disp12315", "dispatcher", Some("sc12315"))
        .await;
}

fn with_domain(domain: &str) -> Value {
    let mut b = order_body("complaint");
    b["domain"] = json!(domain);
    b
}

/// The newest order, as the province sees it.
async fn newest(app: &TestApp) -> Value {
    let r = app
        .as_user("scdispatcher", "GET", "/api/v1/orders?limit=1", None)
        .await;
    r.body["items"][0].clone()
}

on_both_backends!(
    a_sub_centre_registers_and_dispatches_its_remit_and_the_province_sees_it,
    |app: TestApp| async move {
        set_up_12315(&app).await;
        let r = app
            .create("op12315", with_domain("market_supervision/food_safety"))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.body["hotline"], "sc12315");
        let id = r.body["id"].as_i64().unwrap();
        // Outside its remit, or unclassified: the hotline's, not the sub-centre's.
        let r = app
            .create("op12315", with_domain("public_services/roads"))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.body["error"]["code"], "outside_remit");
        let r = app.create("op12315", order_body("complaint")).await;
        assert_eq!(r.body["error"]["code"], "outside_remit", "{}", r.text);

        // It dispatches in the province's tree: a city's market bureau handles it.
        let r = app
            .act("disp12315", id, "dispatch", json!({"unit": "sc12345"}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        app.ok("disp12315", id, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        app.ok("handler", id, "accept", json!({})).await;
        // The province sees it as its subtree's; the city and another sub-centre's
        // neighbours do not.
        let r = app
            .as_user("scdispatcher", "GET", &format!("/api/v1/orders/{id}"), None)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let r = app
            .as_user("dispatcher", "GET", &format!("/api/v1/orders/{id}"), None)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        // The sub-centre's own list and report hold it.
        let r = app
            .as_user("disp12315", "GET", "/api/v1/orders", None)
            .await;
        assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "{}", r.text);
    }
);

on_both_backends!(
    the_portal_and_keys_route_each_request_to_one_owning_hotline,
    |app: TestApp| async move {
        set_up_12315(&app).await;
        let portal = |domain: Option<&str>| {
            let mut b = json!({"kind": "complaint", "region": "510104", "content": "商家拒不退还预付卡余额", "requester": {"anonymous": true}});
            if let Some(d) = domain {
                b["domain"] = json!(d);
            }
            b
        };
        for (domain, owner) in [
            (Some("market_supervision/consumer_rights"), "sc12315"),
            (Some("economic_regulation/prices"), "sc12315"),
            (Some("economic_regulation/taxation"), "cd12345"),
            (None, "cd12345"),
        ] {
            let r = app
                .send("POST", "/api/v1/public/orders", None, Some(portal(domain)))
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            assert_eq!(newest(&app).await["hotline"], owner, "{domain:?}");
        }
        // A deactivated sub-centre takes nothing.
        let r = app
            .as_user(
                "admin",
                "PATCH",
                "/api/v1/units/sc12315",
                Some(json!({"active": false})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = app
            .send(
                "POST",
                "/api/v1/public/orders",
                None,
                Some(portal(Some("market_supervision/consumer_rights"))),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        assert_eq!(newest(&app).await["hotline"], "cd12345");

        // A city's key keeps within its city: the province's sub-centre is not below it.
        let key = issue_key(&app, "cd12345", json!(["create", "read"]), "gw").await;
        let r = app
            .send(
                "POST",
                "/api/v1/orders",
                Some(&key),
                Some(with_domain("market_supervision/food_safety")),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.body["hotline"], "cd12345");
    }
);

// Review of sub-centres (replays): a sub-centre hands nothing to another hotline; the
// province hands it only orders of its remit; its own administrator does not switch
// it back on.
on_both_backends!(
    a_sub_centre_keeps_to_its_remit_both_ways,
    |app: TestApp| async move {
        set_up_12315(&app).await;
        let r = app
            .create("op12315", with_domain("market_supervision/food_safety"))
            .await;
        let id = r.body["id"].as_i64().unwrap();
        let r = app
            .act("disp12315", id, "dispatch", json!({"unit": "my12345"}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let r = app
            .as_user("scdispatcher", "GET", &format!("/api/v1/orders/{id}"), None)
            .await;
        assert_eq!(r.body["hotline"], "sc12315");

        let roads = app
            .create("scdispatcher", order_body("complaint"))
            .await
            .body["id"]
            .as_i64()
            .unwrap();
        let r = app
            .act(
                "scdispatcher",
                roads,
                "dispatch",
                json!({"unit": "sc12315"}),
            )
            .await;
        assert_eq!(r.body["error"]["code"], "outside_remit", "{}", r.text);
        let market = app
            .create(
                "scdispatcher",
                with_domain("market_supervision/consumer_rights"),
            )
            .await
            .body["id"]
            .as_i64()
            .unwrap();
        let o = app
            .ok(
                "scdispatcher",
                market,
                "dispatch",
                json!({"unit": "sc12315"}),
            )
            .await;
        assert_eq!(
            (o["hotline"].as_str(), o["status"].as_str()),
            (Some("sc12315"), Some("registered"))
        );

        app.add_cheap_user("admin12315", "admin", Some("sc12315"))
            .await;
        let off = json!({"active": false});
        let r = app
            .as_user(
                "admin12315",
                "PATCH",
                "/api/v1/units/sc12315",
                Some(off.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        let r = app
            .as_user("admin", "PATCH", "/api/v1/units/sc12315", Some(off))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let on = json!({"active": true});
        let r = app
            .as_user("admin12315", "PATCH", "/api/v1/units/sc12315", Some(on))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        // Renaming stays its own administrator's.
        let r = app
            .as_user(
                "admin12315",
                "PATCH",
                "/api/v1/units/sc12315",
                Some(json!({"name": "四川12315分中心（消费维权）"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
);

// A review's finding: a correction of a sub-centre's order kept it there with a
// domain its intake would refuse.
on_both_backends!(
    a_sub_centre_corrects_its_orders_within_its_remit_only,
    |app: TestApp| async move {
        set_up_12315(&app).await;
        let r = app
            .create("op12315", with_domain("market_supervision/food_safety"))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let id = r.body["id"].as_i64().unwrap();
        let out = json!({"domain": "public_services/roads", "reason": "实为道路问题"});
        let r = app.act("disp12315", id, "correct", out).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.body["error"]["code"], "outside_remit");
        let within = json!({"domain": "economic_regulation/prices", "reason": "实为价格问题"});
        app.ok("disp12315", id, "correct", within).await;
    }
);
