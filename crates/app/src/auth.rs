//! Accounts and sessions: argon2id password hashes, random bearer tokens stored only
//! as their SHA-256, and the `CurrentUser` extractor that every protected handler
//! takes.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{delete, post};
use axum::{Json, Router};
use hotline_domain::Timestamp;
use hotline_store::{LoginAttempt, LoginGate, LoginGuard, SessionRecord, UserRecord};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

use crate::AppState;
use crate::access::Viewer;
use crate::audit::{self, ClientAddr};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/sessions", post(login))
        .route("/api/v1/sessions/current", delete(logout))
}

pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(ApiError::internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ApiError::internal)
}

pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Unknown usernames are checked against this, so both paths do the same work.
fn dummy_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| hash_password("not a real password, never matches").unwrap_or_default())
}

pub use crate::password_policy::check_password_policy;

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// The caller of a protected endpoint. Extracting it answers 401 when there is no
/// valid, unexpired session.
pub struct CurrentUser(pub Viewer);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers).ok_or_else(ApiError::unauthorized)?;
        if !token.starts_with(API_KEY_PREFIX) {
            return session_viewer(state, token).await.map(CurrentUser);
        }
        let viewer = key_viewer(state, token).await?;
        let route = parts
            .extensions
            .get::<MatchedPath>()
            .map(|m| m.as_str().to_owned());
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found())?;
        let params: Vec<&str> = params.iter().map(|(_, v)| v).collect();
        let actions = viewer.key_actions.as_deref().unwrap_or_default();
        crate::key_scope::check(&parts.method, route.as_deref(), &params, actions)?;
        Ok(CurrentUser(viewer))
    }
}

/// The person behind a bearer token or session cookie: a session that is neither past
/// its end nor idle too long, of an active account. Integration keys are not sessions
/// (the API extractor takes them, within their scope; the console never does).
pub async fn session_viewer(state: &AppState, token: &str) -> Result<Viewer, ApiError> {
    if token.starts_with(API_KEY_PREFIX) {
        return Err(ApiError::unauthorized());
    }
    let hash = token_hash(token);
    let found = state.store().session(&hash).await?;
    let (session, user) = found.ok_or_else(ApiError::unauthorized)?;
    let now = state.now();
    let idle = chrono::Duration::minutes(state.config().session_idle_minutes);
    if session.expires_at <= now || session.last_seen + idle <= now || !user.active {
        return Err(ApiError::unauthorized());
    }
    // Idle time is kept to the minute, so a busy session writes once a minute.
    if now - session.last_seen >= chrono::Duration::minutes(1) {
        state.store().touch_session(&hash, now).await?;
    }
    Ok(Viewer::new(user))
}

/// Integration keys start with this, so the extractor knows what it holds.
pub const API_KEY_PREFIX: &str = "hk_";

pub fn new_api_key() -> String {
    format!("{API_KEY_PREFIX}{}", new_token())
}

/// An integration key acts for its unit: as hotline staff (operator and dispatcher)
/// for a hotline, as a handler for any other unit, and only within its actions.
async fn key_viewer(state: &AppState, key: &str) -> Result<Viewer, ApiError> {
    let record = state.store().api_key_by_hash(&token_hash(key)).await?;
    let record = record
        .filter(|k| k.revoked_at.is_none())
        .ok_or_else(ApiError::unauthorized)?;
    let org = state.org().await?;
    let unit = org
        .get(&record.unit)
        .filter(|u| u.active)
        .ok_or_else(ApiError::unauthorized)?;
    let roles = if unit.kind == hotline_domain::UnitKind::Hotline {
        vec![
            hotline_domain::Role::Operator,
            hotline_domain::Role::Dispatcher,
        ]
    } else {
        vec![hotline_domain::Role::Handler]
    };
    let user = UserRecord {
        id: hotline_domain::UserId(-record.id),
        username: format!("apikey:{}", record.name),
        password_hash: String::new(),
        roles,
        unit: Some(record.unit.clone()),
        active: true,
    };
    Ok(Viewer {
        user,
        key_actions: Some(record.actions),
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct LoginRequest {
    username: String,
    password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub roles: Vec<hotline_domain::Role>,
    pub unit: Option<String>,
    /// Shown to administrators managing accounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

impl From<&UserRecord> for UserView {
    fn from(u: &UserRecord) -> Self {
        UserView {
            id: u.id.0,
            username: u.username.clone(),
            roles: u.roles.clone(),
            unit: u.unit.as_ref().map(|c| c.to_string()),
            active: None,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct LoginResponse {
    token: String,
    #[schema(value_type = String, format = DateTime)]
    expires_at: Timestamp,
    user: UserView,
}

/// The login guard as configured.
fn login_guard(cfg: &crate::AppConfig) -> LoginGuard {
    LoginGuard {
        pair_failures: cfg.login_max_failures,
        pair_lock_secs: cfg.login_lock_minutes * 60,
        name_failures: cfg.login_name_failures_per_hour,
        name_window_secs: 3600,
        known_for_secs: cfg.login_known_address_days * 86_400,
        address_failures_per_minute: cfg.login_rate_per_minute,
    }
}

/// Checks `password` as the password of `username`, behind the login guard: the guard
/// decides before any hashing (a refused attempt costs no hash), counts the attempt
/// as a failure at once and takes it back on success. Failures and refusals are
/// audited; the same work is done whether or not the name exists.
pub async fn check_password(
    state: &AppState,
    addr: &ClientAddr,
    username: &str,
    password: &str,
) -> Result<UserRecord, ApiError> {
    let guard = login_guard(state.config());
    let now = state.now();
    let store = state.store();
    let attempt = LoginAttempt {
        username: username.to_owned(),
        address: addr.key().to_owned(),
        at: now,
    };
    let audit_as =
        |action: &str| audit::anonymous(username, addr, state, action, None, serde_json::json!({}));
    let locks_on_failure = match store.begin_login(&attempt, guard).await? {
        LoginGate::Check { locks_on_failure } => locks_on_failure,
        LoginGate::Locked { until } => {
            store.append_audit(audit_as("login_locked")).await?;
            tracing::warn!(username, address = addr.key(), "login refused: locked");
            return Err(account_locked(until, now));
        }
        LoginGate::AddressLimited { until } => {
            tracing::warn!(address = addr.key(), "login rate limit reached");
            return Err(ApiError::rate_limited(
                (until - now).num_seconds().max(1) as u64
            ));
        }
    };
    let user = store.user_by_username(username).await?;
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_owned());
    let password = password.to_owned();
    let matches = state
        .hashing()
        .run(move || verify_password(&hash, &password))
        .await?;
    match user {
        Some(u) if matches && u.active => {
            store.login_succeeded(&attempt, guard).await?;
            Ok(u)
        }
        _ => {
            let action = if locks_on_failure {
                "login_failed_locked"
            } else {
                "login_failed"
            };
            store.login_failed(&attempt).await?;
            store.append_audit(audit_as(action)).await?;
            tracing::warn!(username, locked = locks_on_failure, "failed login");
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "wrong username or password",
            ))
        }
    }
}

/// A new session for a username and password (see [`check_password`]), audited.
pub async fn authenticate(
    state: &AppState,
    addr: &ClientAddr,
    username: &str,
    password: &str,
) -> Result<(String, Timestamp, UserRecord), ApiError> {
    let user = check_password(state, addr, username, password).await?;
    let now = state.now();
    let token = new_token();
    let expires_at = now + chrono::Duration::hours(state.config().session_hours);
    state
        .store()
        .create_session(SessionRecord {
            token_hash: token_hash(&token),
            user_id: user.id,
            created_at: now,
            expires_at,
            last_seen: now,
            address: addr.0.clone(),
        })
        .await?;
    let viewer = Viewer::new(user.clone());
    let object = Some(format!("user:{}", user.username));
    let record = audit::by(&viewer, addr, state, "login", object, serde_json::json!({}));
    state.store().append_audit(record).await?;
    tracing::info!(username = %user.username, "login");
    Ok((token, expires_at, user))
}

async fn login(
    State(state): State<AppState>,
    addr: ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<(StatusCode, Json<LoginResponse>)> {
    let (token, expires_at, user) =
        authenticate(&state, &addr, &req.username, &req.password).await?;
    Ok((
        StatusCode::CREATED,
        Json(LoginResponse {
            token,
            expires_at,
            user: UserView::from(&user),
        }),
    ))
}

/// Ends the session of this token, and records it.
pub async fn end_session(
    state: &AppState,
    viewer: &Viewer,
    addr: &ClientAddr,
    token: &str,
) -> Result<(), ApiError> {
    state.store().delete_session(&token_hash(token)).await?;
    let record = audit::by(
        viewer,
        addr,
        state,
        "logout",
        Some(format!("user:{}", viewer.user.username)),
        serde_json::json!({}),
    );
    state.store().append_audit(record).await?;
    tracing::info!(username = %viewer.user.username, "logout");
    Ok(())
}

fn account_locked(until: Timestamp, now: Timestamp) -> ApiError {
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "account_locked",
        "too many failed logins for this username; try again later",
    );
    e.retry_after = Some((until - now).num_seconds().max(1) as u64);
    e
}

async fn logout(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    addr: ClientAddr,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let token = bearer(&headers).ok_or_else(ApiError::unauthorized)?;
    end_session(&state, &viewer, &addr, token).await?;
    Ok(StatusCode::NO_CONTENT)
}
