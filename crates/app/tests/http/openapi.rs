//! The OpenAPI document and the router agree: every `/api/v1` route of the router is
//! documented, and every documented operation reaches a handler. The console's pages
//! and `/healthz`, `/readyz`, `/metrics`, `/static` are not part of the API document.
//!
//! The routes are read from the modules' `router()` functions (each `.route("/api/v1/…",
//! get(…).post(…))`), so a route added without documentation fails here by name.

use crate::common::TestApp;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// Under `/api/v1` but not the API: the document itself, and the benchmark's ceiling
/// (served only with `bench_routes`).
const NOT_API: &[&str] = &["/api/v1/openapi.json", "/api/v1/bench/noop"];

const METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];

/// (METHOD, path) of every `.route(…)` under `/api/v1` in the application's sources.
fn routed() -> Vec<(String, String)> {
    let src = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src"));
    let mut out = Vec::new();
    for path in sources(src) {
        let text = std::fs::read_to_string(&path).unwrap();
        for call in text.split(".route(").skip(1) {
            let Some(route) = call.split('"').nth(1) else {
                continue;
            };
            if !route.starts_with("/api/v1/") || NOT_API.contains(&route) {
                continue;
            }
            // The route's arguments end at its closing parenthesis.
            let mut depth = 1;
            let end = call
                .char_indices()
                .find(|(_, c)| {
                    depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(call.len(), |(i, _)| i);
            let args = &call[..end];
            for m in METHODS {
                let called = args.match_indices(&format!("{m}(")).any(|(i, _)| {
                    i == 0
                        || !args.as_bytes()[i - 1].is_ascii_alphanumeric()
                            && args.as_bytes()[i - 1] != b'_'
                });
                if called {
                    out.push((m.to_uppercase(), route.to_owned()));
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The `.rs` files under `dir`, feature folders included.
fn sources(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// Whether a documented path is one the route's template matches (`{…}` matches any
/// segment, so `/orders/{id}/{action}` matches `/orders/{id}/accept`).
fn matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<_>, Vec<_>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len() && t.iter().zip(&p).all(|(a, b)| a.starts_with('{') || a == b)
}

#[test]
fn every_route_of_the_router_is_documented() {
    let documented = hotline_app::openapi::documented_operations();
    let routes = routed();
    assert!(routes.len() > 40, "the route reader found only {routes:?}");
    let missing: Vec<_> = routes
        .iter()
        .filter(|(m, r)| !documented.iter().any(|(dm, dp)| dm == m && matches(r, dp)))
        .map(|(m, r)| format!("{m} {r}"))
        .collect();
    assert!(
        missing.is_empty(),
        "routes without an operation in the OpenAPI document (add them to crates/app/src/openapi.rs): {missing:#?}"
    );
}

#[tokio::test]
async fn every_documented_operation_reaches_a_handler() {
    let app = TestApp::sqlite().await;
    let token = app.token("admin").await;
    for (method, path) in hotline_app::openapi::documented_operations() {
        let concrete = path
            .split('/')
            .map(|s| if s.starts_with('{') { "999999" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let req = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(&concrete)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let resp = app.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        // The router's own answers to an unknown path or method have no body; every
        // handler's answer (even its 404) has one.
        let unrouted = status == StatusCode::METHOD_NOT_ALLOWED
            || (status == StatusCode::NOT_FOUND && body.is_empty());
        assert!(
            !unrouted,
            "documented but not routed: {method} {path} ({status})"
        );
    }
}

#[test]
fn the_document_describes_bodies_and_answers_of_every_operation() {
    let doc = serde_json::to_value(hotline_app::openapi::document()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            let ok = op["responses"]
                .as_object()
                .unwrap()
                .iter()
                .find(|(s, _)| s.starts_with('2'))
                .unwrap_or_else(|| panic!("{method} {path}: no success answer"));
            assert!(
                ok.0 == "204" || ok.1.get("content").is_some(),
                "{method} {path}: the success answer has no schema"
            );
            if method == "post" || method == "put" || method == "patch" {
                let has_body = op.get("requestBody").is_some();
                let bodiless = (path.contains("/kb/articles/{id}/")
                    && !path.ends_with("restore")
                    && !path.ends_with("feedback"))
                    || path == "/api/v1/me/two-factor/enrolment";
                assert!(
                    has_body || bodiless,
                    "{method} {path}: no request body schema"
                );
            }
            assert!(op["responses"]["400"]["content"]["application/json"]["schema"].is_object());
        }
    }
}
