//! The audit trail as the use cases write it: who acts ([`Principal`], [`ClientAddr`])
//! and the records they leave. Administrators and supervisors read it through
//! [`crate::admin::audit_trail`]; records are never changed through the product.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use hotline_domain::audit::AuditRecord;
use hotline_domain::{Capability, UnitCode, UnitKind};
use std::net::SocketAddr;

use crate::AppState;
use crate::access::{Org, Viewer};

/// The client's address, where the server knows it: the connection's peer, or behind
/// `trusted_proxies` the client they name (see [`crate::client_addr`]). Rate limits,
/// the login guard and the audit trail all take it from here.
#[derive(Debug, Clone, Default)]
pub struct ClientAddr(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr
where
    AppState: FromRef<S>,
{
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Some(peer) = parts
            .extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
        else {
            return Ok(ClientAddr(None));
        };
        let forwarded: Vec<&str> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        let app = AppState::from_ref(state);
        let client = app.config().trusted_proxies.client(peer, &forwarded);
        Ok(ClientAddr(Some(client.to_string())))
    }
}

impl ClientAddr {
    /// A key for per-address counters.
    pub fn key(&self) -> &str {
        self.0.as_deref().unwrap_or("unknown")
    }
}

/// Who does what a use case records. Use cases take a `Principal`, decide whether it
/// may act and build the audit record themselves, so the API, the console and the
/// command line are thin adapters that cannot differ in either.
pub enum Principal<'a> {
    /// A person signed in through the API or the console.
    Person {
        viewer: &'a Viewer,
        addr: &'a ClientAddr,
    },
    /// Whoever runs `hotline` on the server's machine, recorded as `cli:<os user>`.
    /// Holding the data directory, they hold the installation: they act as its
    /// administrator.
    Operator(String),
    /// The server itself, seeding the demo province or a benchmark's database.
    System,
}

impl<'a> Principal<'a> {
    pub fn person(viewer: &'a Viewer, addr: &'a ClientAddr) -> Self {
        Principal::Person { viewer, addr }
    }

    /// The operator at the command line, named by the operating system's `USER`.
    pub fn operator() -> Principal<'static> {
        let who = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
        Principal::Operator(format!("cli:{who}"))
    }

    /// The actor's name in the audit trail and the log.
    pub fn name(&self) -> &str {
        match self {
            Principal::Person { viewer, .. } => &viewer.user.username,
            Principal::Operator(name) => name,
            Principal::System => "system",
        }
    }

    /// Administers `unit`'s subtree (`None`: the whole installation).
    pub fn administers(&self, org: &Org, unit: Option<&UnitCode>) -> bool {
        match self {
            Principal::Person { viewer, .. } => viewer.administers(org, unit),
            Principal::Operator(_) | Principal::System => true,
        }
    }

    /// Administers the whole installation: an administrator without a unit, the
    /// operator and the server.
    pub fn is_installation_admin(&self) -> bool {
        match self {
            Principal::Person { viewer, .. } => viewer.is_installation_admin(),
            Principal::Operator(_) | Principal::System => true,
        }
    }

    /// May create a unit of `kind` under `parent` (see [`Viewer::may_create_unit`]).
    pub fn may_create_unit(&self, org: &Org, kind: UnitKind, parent: Option<&UnitCode>) -> bool {
        match self {
            Principal::Person { viewer, .. } => viewer.may_create_unit(org, kind, parent),
            Principal::Operator(_) | Principal::System => true,
        }
    }

    /// Holds `capability` (the operator and the server hold every one).
    pub fn grants(&self, capability: Capability) -> bool {
        match self {
            Principal::Person { viewer, .. } => viewer.grants(capability),
            Principal::Operator(_) | Principal::System => true,
        }
    }

    /// The audit record of this actor doing `action` to `object`.
    pub fn record(
        &self,
        state: &AppState,
        action: &str,
        object: String,
        detail: serde_json::Value,
    ) -> AuditRecord {
        match self {
            Principal::Person { viewer, addr } => {
                by(viewer, addr, state, action, Some(object), detail)
            }
            Principal::Operator(name) => {
                record(state, (name, None, None), action, Some(object), detail)
            }
            Principal::System => system(state, action, Some(object), detail),
        }
    }
}

/// A record of something a logged-in user did.
pub fn by(
    viewer: &Viewer,
    addr: &ClientAddr,
    state: &AppState,
    action: &str,
    object: Option<String>,
    detail: serde_json::Value,
) -> AuditRecord {
    let unit = viewer.user.unit.as_ref().map(|u| u.to_string());
    let who = (viewer.user.username.as_str(), unit, addr.0.clone());
    record(state, who, action, object, detail)
}

/// A record of something the server did by itself (the watch, expiries, the monthly
/// summons evaluation), as the actor `system`.
pub fn system(
    state: &AppState,
    action: &str,
    object: Option<String>,
    detail: serde_json::Value,
) -> AuditRecord {
    record(state, ("system", None, None), action, object, detail)
}

/// A record of something done without a session (logins, the requester's portal).
pub fn anonymous(
    actor: &str,
    addr: &ClientAddr,
    state: &AppState,
    action: &str,
    object: Option<String>,
    detail: serde_json::Value,
) -> AuditRecord {
    record(state, (actor, None, addr.0.clone()), action, object, detail)
}

/// `who` is the actor, their unit and their address.
fn record(
    state: &AppState,
    who: (&str, Option<String>, Option<String>),
    action: &str,
    object: Option<String>,
    detail: serde_json::Value,
) -> AuditRecord {
    let (actor, unit, address) = who;
    AuditRecord {
        at: state.now(),
        actor: actor.to_owned(),
        unit,
        address,
        action: action.to_owned(),
        object,
        detail,
    }
}
