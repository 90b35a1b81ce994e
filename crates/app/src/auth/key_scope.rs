//! What an integration key may call: the one table, consulted by the extractor every
//! protected route takes ([`crate::auth::CurrentUser`]). A key reaches the order API
//! and nothing else (reports, supervision, knowledge, administration and audit are for
//! people); within it, what its scopes cover: `create` and `read` stand for
//! capabilities ([`hotline_domain::capability::KEY_SCOPES`]), every other scope for
//! one order action. Anything not in the table is refused, so a route added later is
//! closed to keys until it is listed here.

use axum::http::Method;
use hotline_domain::Capability;
use hotline_domain::capability::{KEY_SCOPES, key_scopes_cover};

use crate::error::ApiError;

/// What a request needs a key's scopes to cover.
enum Needed {
    /// One of these capabilities.
    Capability(&'static [Capability]),
    /// This order action, by the name in its route (`dispatch`, `return/approve`).
    Action(String),
}

/// What a request needs, or `None` when keys may not call the route at all. `route` is
/// the matched route pattern; `params` its path parameters in order.
fn needed(method: &Method, route: &str, params: &[&str]) -> Option<Needed> {
    use Capability::*;
    let needed = match (method.as_str(), route, params) {
        ("POST", "/api/v1/orders", []) => Needed::Capability(&[RegisterOrders]),
        ("GET", "/api/v1/orders" | "/api/v1/orders/{id}", _) => {
            Needed::Capability(&[SeeHotlineOrders, HandleOrders])
        }
        ("POST", "/api/v1/callers/history", []) => Needed::Capability(&[LookUpCallers]),
        ("POST", "/api/v1/orders/batch/{action}", [action])
        | ("POST", "/api/v1/orders/{id}/{action}", [_, action]) => {
            Needed::Action((*action).to_owned())
        }
        ("POST", "/api/v1/orders/{id}/{action}/{decision}", [_, action, decision]) => {
            Needed::Action(format!("{action}/{decision}"))
        }
        _ => return None,
    };
    Some(needed)
}

/// Whether a key issued for `scopes` (empty: every order action and capability its
/// role grants) may make this request; a 403 saying why when not.
pub fn check(
    method: &Method,
    route: Option<&str>,
    params: &[&str],
    scopes: &[String],
) -> Result<(), ApiError> {
    let Some(needed) = route.and_then(|r| needed(method, r, params)) else {
        return Err(ApiError::forbidden(
            "integration keys may not use this endpoint",
        ));
    };
    let (covered, scope) = match &needed {
        Needed::Capability(c) => (key_scopes_cover(scopes, c), scope_name(c)),
        Needed::Action(a) => (scopes.is_empty() || scopes.contains(a), a.as_str()),
    };
    if covered {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!("this key may not {scope}")))
    }
}

/// The scope that covers one of `capabilities`, as the refusal names it.
fn scope_name(capabilities: &[Capability]) -> &'static str {
    KEY_SCOPES
        .iter()
        .find(|(_, covered)| capabilities.iter().any(|c| covered.contains(c)))
        .map_or("use this endpoint", |(name, _)| name)
}

/// What an integration key can be issued for: registering, reading, and each action.
pub fn scope_names() -> impl Iterator<Item = &'static str> {
    hotline_domain::capability::KEY_SCOPES
        .iter()
        .map(|(name, _)| *name)
        .chain(hotline_domain::ActionName::ALL.iter().map(|a| a.as_str()))
}
