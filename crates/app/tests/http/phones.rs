//! One canonical form for phone numbers (issue 16, point 7): a caller is found
//! however their number was written, and hashes stored in an older form are
//! recomputed.

use crate::common::*;
use axum::http::StatusCode;
use hotline_domain::OrderId;
use serde_json::json;

async fn history(app: &TestApp, phone: &str) -> Vec<i64> {
    let r = app
        .as_user(
            "operator",
            "POST",
            "/api/v1/callers/history",
            Some(json!({"phone": phone})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect()
}

on_both_backends!(
    a_caller_is_found_however_the_number_is_written_and_old_hashes_are_recomputed,
    |app: TestApp| async move {
        let mut body = order_body("complaint");
        body["requester"]["phone"] = json!("+86 138-0000-1111");
        let first = app.create("operator", body.clone()).await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
        let id = first.body["id"].as_i64().unwrap();
        for written in [
            "13800001111",
            "0086 13800001111",
            "8613800001111",
            "138 0000 1111",
        ] {
            assert_eq!(history(&app, written).await, [id], "{written}");
        }
        let o = app.order(id).await;
        assert_eq!(o["requester"]["phone"], "138****1111");
        body["requester"]["phone"] = json!("8613800001111");
        let again = app.create("operator", body).await;
        assert!(
            again.body["possible_duplicates"]
                .as_array()
                .unwrap()
                .contains(&json!(id)),
            "{}",
            again.text
        );

        // A hash kept in an older form is recomputed once, with an audit record.
        let key = app.state.config().phone_hash_key.clone();
        let old = hotline_app::orders::phone_hash(
            &key,
            &serde_json::from_value::<hotline_domain::Phone>(json!("13800001111")).unwrap(),
        );
        let stale = format!("{old}-old");
        app.state
            .store()
            .set_phone_hashes(vec![(OrderId::new(id), stale)])
            .await
            .unwrap();
        assert!(
            !history(&app, "13800001111").await.contains(&id),
            "the stale hash hides it"
        );
        let n = hotline_app::jobs::phone_rehash::run_once(&app.state)
            .await
            .unwrap();
        assert_eq!(n, 2);
        assert!(history(&app, "13800001111").await.contains(&id));
        assert_eq!(
            hotline_app::jobs::phone_rehash::run_once(&app.state)
                .await
                .unwrap(),
            0,
            "once"
        );
        let audit = app
            .as_user(
                "admin",
                "GET",
                "/api/v1/audit?action=orders.phone_rehash",
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

#[tokio::test]
async fn a_local_number_takes_the_hotlines_area_code() {
    let app = TestApp::sqlite_with(|c| c.phone_area_code = "028".into()).await;
    let mut body = order_body("complaint");
    body["requester"]["phone"] = json!("8765 4321");
    let r = app.create("operator", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(history(&app, "028-87654321").await, [id]);
    assert_eq!(history(&app, "87654321").await, [id]);
    let full = app
        .as_user("operator", "GET", &format!("/api/v1/orders/{id}"), None)
        .await;
    assert_eq!(full.body["requester"]["phone"], "028****4321");
}
