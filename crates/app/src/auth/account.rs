//! A person's own account: changing their password (`POST /api/v1/me/password`) and
//! seeing and ending their sessions (`GET /api/v1/me/sessions`,
//! `DELETE /api/v1/me/sessions/{id}`). The API and the console's "my account" page
//! call the same use cases, which write their own audit records.
//!
//! A session is shown by a prefix of its token's SHA-256, never by the token: the id
//! names the session without letting anyone who reads it use it.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use hotline_domain::Timestamp;
use hotline_store::SessionRecord;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::access::Viewer;
use crate::audit::{self, ClientAddr};
use crate::auth::{
    CurrentUser, bearer, check_password, check_password_policy, hash_password, token_hash,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me/password", post(change_password_route))
        .route("/api/v1/me/sessions", get(sessions_route))
        .route("/api/v1/me/sessions/{id}", delete(end_session_route))
}

/// How many hex digits of the token's hash name a session.
const SESSION_ID_LEN: usize = 16;

fn session_id(token_hash: &str) -> &str {
    &token_hash[..SESSION_ID_LEN.min(token_hash.len())]
}

/// Integration keys act for a unit, not a person: they have no password, sessions or
/// second factor.
pub(crate) fn person(viewer: &Viewer) -> ApiResult<()> {
    match viewer.key_actions {
        Some(_) => Err(ApiError::forbidden(
            "an integration key has no account of its own",
        )),
        None => Ok(()),
    }
}

/// An audit record of a change a person makes to their own account.
pub(crate) fn audit_own(
    state: &AppState,
    viewer: &Viewer,
    addr: &ClientAddr,
    action: &str,
    detail: serde_json::Value,
) -> hotline_domain::audit::AuditRecord {
    let object = Some(format!("user:{}", viewer.user.username));
    audit::by(viewer, addr, state, action, object, detail)
}

/// Sets a new password for the viewer, who proves the current one (through the login
/// guard, so that a stolen session cannot guess it), and ends their other sessions:
/// whoever else holds one is out.
pub async fn change_own_password(
    state: &AppState,
    viewer: &Viewer,
    addr: &ClientAddr,
    session_token: &str,
    current: &str,
    new: &str,
) -> ApiResult<()> {
    person(viewer)?;
    let username = viewer.user.username.as_str();
    check_password_policy(username, new).map_err(|p| ApiError::invalid("new", p))?;
    match check_password(state, addr, username, current).await {
        Err(e) if e.code == "invalid_credentials" => {
            return Err(ApiError::invalid("current", "is not your current password"));
        }
        other => other?,
    };
    let new = new.to_owned();
    let hash = state.hashing().run(move || hash_password(&new)).await??;
    let record = audit_own(
        state,
        viewer,
        addr,
        "user.password_change",
        serde_json::json!({}),
    );
    let keep = token_hash(session_token);
    state
        .store()
        .change_password(viewer.user.id, &hash, &keep, record)
        .await?;
    tracing::info!(username, "password changed by its owner");
    Ok(())
}

/// One of a person's sessions, as they see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    /// A prefix of the token's SHA-256: names the session, cannot be used as it.
    pub id: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub last_seen: Timestamp,
    /// The latest end: sooner if it stays unused `session_idle_minutes`.
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
    pub address: Option<String>,
    /// The session this request came with.
    pub current: bool,
}

/// The viewer's live sessions, newest first.
pub async fn own_sessions(
    state: &AppState,
    viewer: &Viewer,
    session_token: &str,
) -> ApiResult<Vec<SessionView>> {
    person(viewer)?;
    let now = state.now();
    let idle = chrono::Duration::minutes(state.config().session_idle_minutes);
    let current = token_hash(session_token);
    let sessions = state.store().user_sessions(viewer.user.id).await?;
    Ok(sessions
        .into_iter()
        .filter(|s| s.expires_at > now && s.last_seen + idle > now)
        .map(|s: SessionRecord| SessionView {
            id: session_id(&s.token_hash).to_owned(),
            current: s.token_hash == current,
            created_at: s.created_at,
            last_seen: s.last_seen,
            expires_at: s.expires_at,
            address: s.address,
        })
        .collect())
}

/// Ends one of the viewer's sessions, by its id; another person's, or none, is 404.
pub async fn end_own_session(
    state: &AppState,
    viewer: &Viewer,
    addr: &ClientAddr,
    id: &str,
) -> ApiResult<()> {
    person(viewer)?;
    let sessions = state.store().user_sessions(viewer.user.id).await?;
    let hash = sessions
        .into_iter()
        .map(|s| s.token_hash)
        .find(|h| id.len() == SESSION_ID_LEN && session_id(h) == id)
        .ok_or_else(ApiError::not_found)?;
    let record = audit_own(
        state,
        viewer,
        addr,
        "session.end",
        serde_json::json!({"session": id}),
    );
    // A session ended meanwhile answers NotFound, like one never found.
    Ok(state
        .store()
        .end_user_session(viewer.user.id, &hash, record)
        .await?)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct PasswordChange {
    current: String,
    new: String,
}

async fn change_password_route(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    addr: ClientAddr,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    let token = bearer(&headers).ok_or_else(ApiError::unauthorized)?;
    change_own_password(&state, &viewer, &addr, token, &body.current, &body.new).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Sessions {
    items: Vec<SessionView>,
}

async fn sessions_route(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    headers: HeaderMap,
) -> ApiResult<Json<Sessions>> {
    let token = bearer(&headers).ok_or_else(ApiError::unauthorized)?;
    let items = own_sessions(&state, &viewer, token).await?;
    Ok(Json(Sessions { items }))
}

async fn end_session_route(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    addr: ClientAddr,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    end_own_session(&state, &viewer, &addr, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
