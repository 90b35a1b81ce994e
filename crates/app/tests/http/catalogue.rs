//! Units by name and the dispatch catalogue (issue 16, point 5): `?q=` finds a unit
//! by its name's characters, a dispatch takes a name, the catalogue kept by the
//! hotline's administrators suggests the unit for an order.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::{Value, json};

async fn add_unit(app: &TestApp, code: &str, name: &str, kind: &str, region: &str) {
    let unit =
        json!({"code": code, "name": name, "kind": kind, "parent": "cd12345", "region": region});
    let r = app
        .as_user("admin", "POST", "/api/v1/units", Some(unit))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

fn first_code(body: &Value) -> &str {
    body["items"][0]["unit"]
        .as_str()
        .or_else(|| body["items"][0]["code"].as_str())
        .unwrap_or("")
}

on_both_backends!(
    units_are_found_and_dispatched_by_name_and_the_catalogue_suggests_them,
    |app: TestApp| async move {
        add_unit(
            &app,
            "cd-zjj",
            "成都市住房和城乡建设局",
            "department",
            "510100",
        )
        .await;
        add_unit(&app, "cd-sw", "成都市水务局", "department", "510100").await;
        add_unit(&app, "cd-jj", "锦江区人民政府", "district", "510104").await;

        let r = app
            .as_user(
                "dispatcher",
                "GET",
                "/api/v1/units?q=%E4%BD%8F%E5%BB%BA",
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            first_code(&r.body),
            "cd-zjj",
            "住建 → 住房和城乡建设局: {}",
            r.text
        );
        let r = app
            .as_user("dispatcher", "GET", "/api/v1/units?q=cd-sw", None)
            .await;
        assert_eq!(r.body["items"].as_array().unwrap().len(), 1);

        // A dispatch names the unit as people do; an ambiguous name is refused.
        let id = app.complaint().await;
        let r = app
            .act("dispatcher", id, "dispatch", json!({"unit": "单位"}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("names several units"), "{}", r.text);
        let r = app
            .act(
                "dispatcher",
                id,
                "dispatch",
                json!({"unit": "住建", "co_units": ["水务"]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            (&r.body["unit"], &r.body["co_units"]),
            (&json!("cd-zjj"), &json!(["cd-sw"]))
        );

        // Without a catalogue, the district's government is suggested for its region.
        let other = app.complaint().await;
        let r = app
            .as_user(
                "dispatcher",
                "GET",
                &format!("/api/v1/orders/{other}/suggested-units"),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            (&r.body["items"][0]["unit"], &r.body["items"][0]["source"]),
            (&json!("cd-jj"), &json!("region"))
        );

        // The city's administrator keeps the catalogue; it then leads the suggestion.
        let catalogue = json!({"entries": [
            {"domain": "public_services", "unit": "cd-jt"},
            {"domain": "public_services/roads", "region": "510104", "unit": "cd-zjj", "co_units": ["cd-sw"]}
        ]});
        let denied = app
            .as_user(
                "dispatcher",
                "PUT",
                "/api/v1/rules/dispatch-catalogue",
                Some(catalogue.clone()),
            )
            .await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN);
        let bad = json!({"entries": [{"domain": "public_services", "unit": "my-zj"}]});
        let r = app
            .as_user(
                "cdadmin",
                "PUT",
                "/api/v1/rules/dispatch-catalogue",
                Some(bad),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(
            r.body["error"]["fields"]["entries[0].unit"].is_string(),
            "{}",
            r.text
        );
        let r = app
            .as_user(
                "cdadmin",
                "PUT",
                "/api/v1/rules/dispatch-catalogue",
                Some(catalogue.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let read = app
            .as_user(
                "dispatcher",
                "GET",
                "/api/v1/rules/dispatch-catalogue",
                None,
            )
            .await;
        assert_eq!(read.body, catalogue);
        let r = app
            .as_user(
                "dispatcher",
                "GET",
                &format!("/api/v1/orders/{other}/suggested-units"),
                None,
            )
            .await;
        assert_eq!(
            r.body["items"][0],
            json!({"unit": "cd-zjj", "name": "成都市住房和城乡建设局", "co_units": ["cd-sw"], "source": "catalogue"})
        );
        let before_intake = app
            .as_user(
                "operator",
                "GET",
                "/api/v1/rules/dispatch-catalogue/match?domain=public_services/water_supply&region=510105",
                None,
            )
            .await;
        assert_eq!(
            first_code(&before_intake.body),
            "cd-jt",
            "the field's entry: {}",
            before_intake.text
        );
        let handler = app
            .as_user(
                "handler",
                "GET",
                &format!("/api/v1/orders/{other}/suggested-units"),
                None,
            )
            .await;
        assert!(
            matches!(
                handler.status,
                StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
            ),
            "{}",
            handler.text
        );
        let audit = app
            .as_user(
                "admin",
                "GET",
                "/api/v1/audit?action=dispatch_catalogue.change",
                None,
            )
            .await;
        assert_eq!(
            audit.body["items"].as_array().unwrap().len(),
            1,
            "{}",
            audit.text
        );
    }
);
