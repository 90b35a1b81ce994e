//! Accounts and sessions: argon2id password hashes, random bearer tokens stored only
//! as their SHA-256, and the `CurrentUser` extractor that every protected handler
//! takes.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{delete, post};
use axum::{Json, Router};
use hotline_domain::Timestamp;
use hotline_store::{SessionRecord, UserRecord};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

use crate::AppState;
use crate::access::Viewer;
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

/// The password policy: at least 10 characters, three of the four character classes
/// (lower, upper, digit, other), and not containing the username.
pub fn check_password_policy(username: &str, password: &str) -> Result<(), String> {
    if password.chars().count() < 10 {
        return Err("must be at least 10 characters".into());
    }
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    if classes.iter().filter(|c| **c).count() < 3 {
        return Err("must mix three of: lower case, upper case, digits, other characters".into());
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return Err("must not contain the username".into());
    }
    Ok(())
}

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
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
        let found = state.store().session(&token_hash(token)).await?;
        let (session, user) = found.ok_or_else(ApiError::unauthorized)?;
        if session.expires_at <= state.now() || !user.active {
            return Err(ApiError::unauthorized());
        }
        Ok(CurrentUser(Viewer { user }))
    }
}

#[derive(Deserialize)]
struct LoginRequest {
    username: String,
    password: String,
}

#[derive(Serialize)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub roles: Vec<hotline_domain::Role>,
    pub unit: Option<String>,
}

impl From<&UserRecord> for UserView {
    fn from(u: &UserRecord) -> Self {
        UserView {
            id: u.id.0,
            username: u.username.clone(),
            roles: u.roles.clone(),
            unit: u.unit.as_ref().map(|c| c.to_string()),
        }
    }
}

#[derive(Serialize)]
struct LoginResponse {
    token: String,
    expires_at: Timestamp,
    user: UserView,
}

async fn login(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<(StatusCode, Json<LoginResponse>)> {
    let user = state.store().user_by_username(&req.username).await?;
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_owned());
    let password = req.password;
    let matches = tokio::task::spawn_blocking(move || verify_password(&hash, &password))
        .await
        .map_err(ApiError::internal)?;
    let user = match user {
        Some(u) if matches && u.active => u,
        _ => {
            tracing::warn!(username = %req.username, "failed login");
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "wrong username or password",
            ));
        }
    };
    let token = new_token();
    let now = state.now();
    let expires_at = now + chrono::Duration::hours(state.config().session_hours);
    state
        .store()
        .create_session(SessionRecord {
            token_hash: token_hash(&token),
            user_id: user.id,
            created_at: now,
            expires_at,
        })
        .await?;
    tracing::info!(username = %user.username, "login");
    Ok((
        StatusCode::CREATED,
        Json(LoginResponse {
            token,
            expires_at,
            user: UserView::from(&user),
        }),
    ))
}

async fn logout(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let token = bearer(&headers).ok_or_else(ApiError::unauthorized)?;
    state.store().delete_session(&token_hash(token)).await?;
    tracing::info!(username = %viewer.user.username, "logout");
    Ok(StatusCode::NO_CONTENT)
}
