//! Accounts and sessions: argon2id password hashes, random bearer tokens stored only
//! as their SHA-256, and the `CurrentUser` extractor that every protected handler
//! takes.

pub mod account;
pub mod key_scope;
pub mod password_policy;
pub mod phrases;
pub mod two_factor;

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

pub use crate::auth::password_policy::check_password_policy;

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
        crate::auth::key_scope::check(&parts.method, route.as_deref(), &params, actions)?;
        Ok(CurrentUser(viewer))
    }
}

/// What a session may do: everything, or (an account that must sign in with two
/// factors and has none yet) only enrol one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionAccess {
    Full,
    EnrolmentOnly,
}

/// The person behind a bearer token or session cookie: a session that is neither past
/// its end nor idle too long, of an active account. Integration keys are not sessions
/// (the API extractor takes them, within their scope; the console never does). A
/// session limited to enrolling a second factor is refused (403
/// `two_factor_enrolment_required`): only [`session_access`] lets it through.
pub async fn session_viewer(state: &AppState, token: &str) -> Result<Viewer, ApiError> {
    match session_access(state, token).await? {
        (viewer, SessionAccess::Full) => Ok(viewer),
        (_, SessionAccess::EnrolmentOnly) => Err(crate::auth::two_factor::enrolment_required()),
    }
}

/// The person behind a session, and what the session may do. Whether it is limited is
/// decided on every request, not when it was opened: enrolling lifts the limit at once,
/// and removing an enrolment brings it back.
/// The session's viewer if it is still good, without counting as use: what a
/// long-lived stream checks now and then, so that an open tab does not keep its
/// session from going idle, and a logout, a disabled account or a changed role ends
/// the stream.
pub async fn session_viewer_untouched(state: &AppState, token: &str) -> Option<Viewer> {
    if token.starts_with(API_KEY_PREFIX) {
        return None;
    }
    let (session, user) = state.store().session(&token_hash(token)).await.ok()??;
    let now = state.now();
    let idle = chrono::Duration::minutes(state.config().session_idle_minutes);
    let good = session.expires_at > now && session.last_seen + idle > now && user.active;
    let full = !crate::auth::two_factor::must_enrol(state, &user)
        .await
        .ok()?;
    (good && full).then(|| Viewer::new(user))
}

pub async fn session_access(
    state: &AppState,
    token: &str,
) -> Result<(Viewer, SessionAccess), ApiError> {
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
    let access = if crate::auth::two_factor::must_enrol(state, &user).await? {
        SessionAccess::EnrolmentOnly
    } else {
        SessionAccess::Full
    };
    Ok((Viewer::new(user), access))
}

/// The caller of the few routes a session limited to enrolment may use (its second
/// factor, logging out); otherwise like [`CurrentUser`], integration keys excepted.
pub struct EnrollingUser(pub Viewer);

impl FromRequestParts<AppState> for EnrollingUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers).ok_or_else(ApiError::unauthorized)?;
        if token.starts_with(API_KEY_PREFIX) {
            return Err(ApiError::forbidden(
                "an integration key has no account of its own",
            ));
        }
        let (viewer, _) = session_access(state, token).await?;
        Ok(EnrollingUser(viewer))
    }
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
    let roles = if unit.kind.takes_requests() {
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
    /// The current code of an enrolled account's authenticator…
    otp: Option<String>,
    /// …or one of its unused recovery codes instead.
    recovery_code: Option<String>,
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

/// One sign-in attempt behind the login guard. The guard decides before any hashing
/// (a refused attempt costs no hash) and counts the attempt as a failure at once, so
/// that parallel attempts cannot pass a limit together. The attempt then either
/// [`succeeded`](Self::succeeded) (the count is taken back), [`failed`](Self::failed)
/// (kept, and recorded), or is left counted as it is: a right password whose second
/// factor is still to come. So wrong codes lock an account like wrong passwords, and
/// a right password does not clear the failures of the codes tried after it.
pub(crate) struct GuardedAttempt<'a> {
    state: &'a AppState,
    addr: &'a ClientAddr,
    attempt: LoginAttempt,
    guard: LoginGuard,
    locks_on_failure: bool,
}

impl<'a> GuardedAttempt<'a> {
    pub(crate) async fn begin(
        state: &'a AppState,
        addr: &'a ClientAddr,
        username: &str,
    ) -> Result<Self, ApiError> {
        let guard = login_guard(state.config());
        let now = state.now();
        let store = state.store();
        let attempt = LoginAttempt {
            username: username.to_owned(),
            address: addr.key().to_owned(),
            at: now,
        };
        match store.begin_login(&attempt, guard).await? {
            LoginGate::Check { locks_on_failure } => Ok(GuardedAttempt {
                state,
                addr,
                attempt,
                guard,
                locks_on_failure,
            }),
            LoginGate::Locked { until } => {
                let record = audit::anonymous(
                    username,
                    addr,
                    state,
                    "login_locked",
                    None,
                    serde_json::json!({}),
                );
                store.append_audit(record).await?;
                tracing::warn!(username, address = addr.key(), "login refused: locked");
                Err(account_locked(until, now))
            }
            LoginGate::AddressLimited { until } => {
                tracing::warn!(address = addr.key(), "login rate limit reached");
                Err(ApiError::rate_limited(
                    (until - now).num_seconds().max(1) as u64
                ))
            }
        }
    }

    pub(crate) async fn succeeded(self) -> Result<(), ApiError> {
        Ok(self
            .state
            .store()
            .login_succeeded(&self.attempt, self.guard)
            .await?)
    }

    /// Records the failure (`detail` says of what, if not of the password).
    pub(crate) async fn failed(self, detail: serde_json::Value) -> Result<(), ApiError> {
        let action = if self.locks_on_failure {
            "login_failed_locked"
        } else {
            "login_failed"
        };
        let username = self.attempt.username.as_str();
        let store = self.state.store();
        store.login_failed(&self.attempt).await?;
        let record = audit::anonymous(username, self.addr, self.state, action, None, detail);
        store.append_audit(record).await?;
        tracing::warn!(username, locked = self.locks_on_failure, "failed login");
        Ok(())
    }
}

/// The account, if `password` is its password and it may log in; the same work is
/// done whether or not the name exists.
async fn password_matches(
    state: &AppState,
    username: &str,
    password: &str,
) -> Result<Option<UserRecord>, ApiError> {
    let user = state.store().user_by_username(username).await?;
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_owned());
    let password = password.to_owned();
    let matches = state
        .hashing()
        .run(move || verify_password(&hash, &password))
        .await?;
    Ok(user.filter(|u| matches && u.active))
}

fn invalid_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "wrong username or password",
    )
}

/// Checks `password` as the password of `username`, behind the login guard (see
/// [`GuardedAttempt`]); failures and refusals are audited.
pub async fn check_password(
    state: &AppState,
    addr: &ClientAddr,
    username: &str,
    password: &str,
) -> Result<UserRecord, ApiError> {
    let attempt = GuardedAttempt::begin(state, addr, username).await?;
    match password_matches(state, username, password).await? {
        Some(u) => {
            attempt.succeeded().await?;
            Ok(u)
        }
        None => {
            attempt.failed(serde_json::json!({})).await?;
            Err(invalid_credentials())
        }
    }
}

/// A new session for a username and password and, for an account enrolled in
/// two-factor sign-in, its second factor (see [`crate::auth::two_factor`]); audited. An
/// account that must enrol and has not gets a session limited to enrolling.
pub async fn authenticate(
    state: &AppState,
    addr: &ClientAddr,
    username: &str,
    password: &str,
    second: &SecondFactor,
) -> Result<(String, Timestamp, UserRecord), ApiError> {
    let attempt = GuardedAttempt::begin(state, addr, username).await?;
    let Some(user) = password_matches(state, username, password).await? else {
        attempt.failed(serde_json::json!({})).await?;
        return Err(invalid_credentials());
    };
    finish_sign_in(state, addr, attempt, user, second).await
}

/// The second step of a sign-in whose password was checked by an earlier request (the
/// console's code page): `still_valid` says whether that check still holds for the
/// account as it is now (its password unchanged). Behind the guard like the first.
pub async fn authenticate_second_step(
    state: &AppState,
    addr: &ClientAddr,
    username: &str,
    still_valid: impl FnOnce(&UserRecord) -> bool,
    second: &SecondFactor,
) -> Result<(String, Timestamp, UserRecord), ApiError> {
    let user = state.store().user_by_username(username).await?;
    let Some(user) = user.filter(|u| u.active && still_valid(u)) else {
        return Err(crate::auth::two_factor::sign_in_expired());
    };
    let attempt = GuardedAttempt::begin(state, addr, username).await?;
    finish_sign_in(state, addr, attempt, user, second).await
}

pub use crate::auth::two_factor::SecondFactor;

/// After the password: the second factor of an enrolled account, then the session.
async fn finish_sign_in(
    state: &AppState,
    addr: &ClientAddr,
    attempt: GuardedAttempt<'_>,
    user: UserRecord,
    second: &SecondFactor,
) -> Result<(String, Timestamp, UserRecord), ApiError> {
    use crate::auth::two_factor::Checked;
    let factor = match crate::auth::two_factor::check_at_sign_in(state, &user, second).await? {
        Checked::NotEnrolled => None,
        Checked::Passed(factor) => Some(factor),
        Checked::Missing => {
            let record = audit::anonymous(
                &user.username,
                addr,
                state,
                "login_second_factor_required",
                None,
                serde_json::json!({}),
            );
            state.store().append_audit(record).await?;
            return Err(crate::auth::two_factor::second_factor_required());
        }
        Checked::Wrong(factor) => {
            attempt
                .failed(serde_json::json!({ "factor": factor }))
                .await?;
            return Err(crate::auth::two_factor::invalid_second_factor());
        }
    };
    attempt.succeeded().await?;
    let enrolment_only =
        factor.is_none() && crate::auth::two_factor::must_enrol(state, &user).await?;
    open_session(state, addr, user, factor, enrolment_only).await
}

async fn open_session(
    state: &AppState,
    addr: &ClientAddr,
    user: UserRecord,
    factor: Option<&'static str>,
    enrolment_only: bool,
) -> Result<(String, Timestamp, UserRecord), ApiError> {
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
    let mut detail = serde_json::json!({});
    if let Some(f) = factor {
        detail["second_factor"] = f.into();
    }
    if enrolment_only {
        detail["enrolment_only"] = true.into();
    }
    let record = audit::by(&viewer, addr, state, "login", object, detail);
    state.store().append_audit(record).await?;
    tracing::info!(username = %user.username, "login");
    Ok((token, expires_at, user))
}

async fn login(
    State(state): State<AppState>,
    addr: ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<(StatusCode, Json<LoginResponse>)> {
    let second = SecondFactor::from_fields(req.otp, req.recovery_code)?;
    let (token, expires_at, user) =
        authenticate(&state, &addr, &req.username, &req.password, &second).await?;
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
    EnrollingUser(viewer): EnrollingUser,
    addr: ClientAddr,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let token = bearer(&headers).ok_or_else(ApiError::unauthorized)?;
    end_session(&state, &viewer, &addr, token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The account, if this administrator manages it; 404 alike for missing and foreign.
pub async fn managed_user(
    state: &AppState,
    actor: &crate::audit::Principal<'_>,
    username: &str,
) -> ApiResult<hotline_store::UserRecord> {
    let org = state.org().await?;
    match state.store().user_by_username(username).await? {
        Some(u) if actor.administers(&org, u.unit.as_ref()) => Ok(u),
        _ if !actor.grants(hotline_domain::Capability::Administer) => {
            Err(ApiError::forbidden("only administrators manage accounts"))
        }
        _ => Err(ApiError::not_found()),
    }
}
