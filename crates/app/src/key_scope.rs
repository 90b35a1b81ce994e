//! What an integration key may call: the one table, consulted by the extractor every
//! protected route takes ([`crate::auth::CurrentUser`]). A key reaches the order API
//! and nothing else (reports, supervision, knowledge, administration and audit are for
//! people); within it, only the actions it was issued for. Anything not in the table
//! is refused, so a route added later is closed to keys until it is listed here.

use axum::http::Method;

use crate::error::ApiError;

/// The key action a request needs, or `None` when keys may not call the route at all.
/// `route` is the matched route pattern; `params` its path parameters in order.
fn needed_action(method: &Method, route: &str, params: &[&str]) -> Option<String> {
    let action = match (method.as_str(), route, params) {
        ("POST", "/api/v1/orders", []) => "create".to_owned(),
        ("GET", "/api/v1/orders" | "/api/v1/orders/{id}", _) => "read".to_owned(),
        ("POST", "/api/v1/callers/history", []) => "read".to_owned(),
        ("POST", "/api/v1/orders/{id}/{action}", [_, action]) => (*action).to_owned(),
        ("POST", "/api/v1/orders/{id}/{action}/{decision}", [_, action, decision]) => {
            format!("{action}/{decision}")
        }
        _ => return None,
    };
    Some(action)
}

/// Whether a key issued for `actions` (empty: every order action) may make this
/// request; a 403 saying why when not.
pub fn check(
    method: &Method,
    route: Option<&str>,
    params: &[&str],
    actions: &[String],
) -> Result<(), ApiError> {
    let Some(action) = route.and_then(|r| needed_action(method, r, params)) else {
        return Err(ApiError::forbidden(
            "integration keys may not use this endpoint",
        ));
    };
    if actions.is_empty() || actions.contains(&action) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!("this key may not {action}")))
    }
}
