//! A person's own account: the password policy.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

async fn create_with(app: &TestApp, name: &str, password: &str) -> Response {
    let body =
        json!({"username": name, "password": password, "roles": ["operator"], "unit": "cd12345"});
    app.as_user("admin", "POST", "/api/v1/users", Some(body))
        .await
}

#[tokio::test]
async fn common_passwords_are_refused_however_they_are_dressed_up() {
    let app = TestApp::sqlite().await;
    for weak in [
        "Password123",
        "P@ssw0rd!!",
        "password-2026!",
        "Qwerty2026!",
        "Hotline12345!",
        "Admin@12345",
        "Aa1234567890",
        "Woaini1314!",
        "1qaz@WSX3edc",
    ] {
        let r = create_with(&app, "newcomer", weak).await;
        assert_eq!(
            (r.status, r.body["error"]["fields"]["password"].is_string()),
            (StatusCode::UNPROCESSABLE_ENTITY, true),
            "{weak}: {}",
            r.text
        );
    }
    let r = create_with(&app, "newcomer", "Lamp-Post-Tuesday-7").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}
