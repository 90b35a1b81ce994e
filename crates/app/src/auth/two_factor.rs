//! Two-factor sign-in: time-based one-time codes (TOTP, RFC 6238: HMAC-SHA-1, six
//! digits, 30-second steps, one step of clock drift allowed either way) from an
//! authenticator app, and one-time recovery codes for a lost phone.
//!
//! Who must use it is configuration (`two_factor_roles`, administrators by default);
//! anyone may enrol, and an enrolled account always needs its code. An account that
//! must and has not enrolled gets, after its password, a session limited to enrolling
//! ([`crate::auth::SessionAccess`]). Enrolment offers a secret (shown as an
//! `otpauth://` QR code), and is confirmed by a current code; it then hands out ten
//! recovery codes, shown once and stored as keyed hashes.
//!
//! Codes are checked behind the login guard ([`crate::auth::GuardedAttempt`]), so a
//! wrong code counts like a wrong password and six digits cannot be tried through;
//! and each 30-second step is accepted once, so a code seen over a shoulder or in a
//! log cannot be replayed. The secret is stored sealed with the installation's secret
//! key, so a copy of the database alone does not yield it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use hmac::{Hmac, Mac};
use hotline_domain::{Timestamp, UserId};
use hotline_store::{StoreError, TwoFactorRecord, UserRecord};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use totp_rs::{Algorithm, TOTP};

use crate::AppState;
use crate::access::Viewer;
use crate::audit::{ClientAddr, Principal};
use crate::auth::account::{audit_own, person};
use crate::auth::{CurrentUser, EnrollingUser, GuardedAttempt};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me/two-factor", get(status_route))
        .route("/api/v1/me/two-factor/enrolment", post(offer_route))
        .route("/api/v1/me/two-factor/confirm", post(confirm_route))
        .route(
            "/api/v1/me/two-factor/recovery-codes",
            post(recovery_codes_route),
        )
        .route("/api/v1/me/two-factor/disable", post(disable_route))
        .route("/api/v1/users/{username}/two-factor", delete(reset_route))
}

/// The name authenticator apps show beside the account.
pub const ISSUER: &str = "12345热线";
const STEP_SECS: u64 = 30;
const DIGITS: usize = 6;
/// Steps of clock drift accepted either way.
const SKEW: i64 = 1;
const SECRET_BYTES: usize = 20;
const RECOVERY_CODES: usize = 10;
/// Recovery codes use letters and digits that cannot be mistaken for one another.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
const RECOVERY_LEN: usize = 10;

// ----- The code arithmetic (pure) -----

fn totp(secret: &[u8], digits: usize) -> TOTP {
    // Unchecked: the secret is always ours (160 bits), the digits a constant.
    TOTP::new_unchecked(Algorithm::SHA1, digits, 0, STEP_SECS, secret.to_vec())
}

/// The code of a time step.
pub fn code_at(secret: &[u8], step: i64) -> String {
    totp(secret, DIGITS).generate(step.max(0) as u64 * STEP_SECS)
}

/// The time step of a moment.
pub fn step_of(at: Timestamp) -> i64 {
    at.timestamp().div_euclid(STEP_SECS as i64)
}

/// The step within the allowed drift whose code `code` is, if any. Every candidate is
/// compared (in constant time), so the answer takes as long whichever matched.
pub fn matching_step(secret: &[u8], code: &str, at: Timestamp) -> Option<i64> {
    let now = step_of(at);
    let mut found = None;
    for step in (now - SKEW)..=(now + SKEW) {
        let expected = code_at(secret, step);
        if constant_time_eq(expected.as_bytes(), code.as_bytes()) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn base32(secret: &[u8]) -> String {
    match totp_rs::Secret::Raw(secret.to_vec()).to_encoded() {
        totp_rs::Secret::Encoded(s) => s,
        totp_rs::Secret::Raw(_) => String::new(),
    }
}

/// The `otpauth://` URI authenticator apps read from the QR code.
pub fn otpauth_uri(account: &str, secret: &[u8]) -> String {
    let enc = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        issuer = enc(ISSUER),
        account = enc(account),
        secret = base32(secret),
    )
}

/// A QR code of `data` as an inline SVG element (no image library, no script).
pub fn qr_svg(data: &str) -> String {
    use qrcode::render::svg;
    let Ok(code) = qrcode::QrCode::with_error_correction_level(data, qrcode::EcLevel::M) else {
        return String::new();
    };
    let svg = code
        .render::<svg::Color>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    // The XML declaration has no place inside an HTML page.
    match svg.find("<svg") {
        Some(i) => svg[i..].to_owned(),
        None => svg,
    }
}

fn keyed(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// Seals a secret for storage with AES-256-GCM under a key derived from the
/// installation key, bound to the account (its id is the associated data, so a sealed
/// secret copied to another account does not open), with a fresh random nonce.
fn seal(key: &[u8], user: UserId, secret: &[u8]) -> String {
    use aes_gcm::aead::{Aead, Payload};
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut nonce);
    let aad = user.0.to_be_bytes();
    let sealed = sealing_cipher(key)
        .encrypt(
            aes_gcm::Nonce::from_slice(&nonce),
            Payload {
                msg: secret,
                aad: &aad,
            },
        )
        .expect("AES-GCM seals a short secret");
    format!("v2:{}:{}", hex::encode(nonce), hex::encode(sealed))
}

fn open(key: &[u8], user: UserId, sealed: &str) -> Option<Vec<u8>> {
    use aes_gcm::aead::{Aead, Payload};
    let rest = sealed.strip_prefix("v2:")?;
    let (nonce, body) = rest.split_once(':')?;
    let (nonce, body) = (hex::decode(nonce).ok()?, hex::decode(body).ok()?);
    if nonce.len() != 12 {
        return None;
    }
    let aad = user.0.to_be_bytes();
    sealing_cipher(key)
        .decrypt(
            aes_gcm::Nonce::from_slice(&nonce),
            Payload {
                msg: &body,
                aad: &aad,
            },
        )
        .ok()
}

/// The sealing key of second-factor secrets: the installation key through HMAC, so
/// it is 256 bits whatever the configured key's length, and used for nothing else.
fn sealing_cipher(key: &[u8]) -> aes_gcm::Aes256Gcm {
    use aes_gcm::KeyInit;
    let derived = keyed(key, &[b"totp-secret-seal:v2"]);
    aes_gcm::Aes256Gcm::new(&derived.into())
}

fn new_recovery_code() -> String {
    let mut rng = rand::rng();
    let chars: String = (0..RECOVERY_LEN)
        .map(|_| RECOVERY_ALPHABET[rng.random_range(0..RECOVERY_ALPHABET.len())] as char)
        .collect();
    format!(
        "{}-{}",
        &chars[..RECOVERY_LEN / 2],
        &chars[RECOVERY_LEN / 2..]
    )
}

/// A recovery code as typed, without case, spaces or dashes.
fn normalize_recovery(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Keyed, so that the stored hashes of these 50-bit codes cannot be searched through
/// without the installation key.
fn recovery_hash(key: &[u8], user: UserId, normalized: &str) -> String {
    hex::encode(keyed(
        key,
        &[b"recovery:", &user.0.to_be_bytes(), normalized.as_bytes()],
    ))
}

// ----- Errors -----

/// A session limited to enrolment asked for something else.
pub fn enrolment_required() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "two_factor_enrolment_required",
        "this account must set up two-factor sign-in before anything else: \
         POST /api/v1/me/two-factor/enrolment, then /api/v1/me/two-factor/confirm",
    )
}

/// The password was right; the account's second factor is missing.
pub fn second_factor_required() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "second_factor_required",
        "this account signs in with two factors: send `otp` (the authenticator's current code) or `recovery_code`",
    )
}

pub fn invalid_second_factor() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_second_factor",
        "wrong or already used code",
    )
}

/// The console's code page outlived its password check.
pub fn sign_in_expired() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "sign_in_expired",
        "the sign-in took too long or the account changed; sign in again",
    )
}

fn not_enrolled() -> ApiError {
    ApiError::conflict(
        "two_factor_not_enrolled",
        "this account has no second factor",
    )
}

// ----- Use cases -----

/// A second factor as sent with a sign-in or a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondFactor {
    None,
    Otp(String),
    RecoveryCode(String),
}

impl SecondFactor {
    /// From the two optional fields of a request (one at most; empty ones are absent).
    /// A malformed code is refused here, before anything is checked or counted.
    pub fn from_fields(otp: Option<String>, recovery_code: Option<String>) -> ApiResult<Self> {
        let present = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        match (present(otp), present(recovery_code)) {
            (Some(_), Some(_)) => Err(ApiError::invalid(
                "recovery_code",
                "send either otp or recovery_code",
            )),
            (Some(otp), None) => {
                let otp: String = otp.chars().filter(|c| !c.is_whitespace()).collect();
                if otp.len() != DIGITS || !otp.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(ApiError::invalid("otp", "six digits"));
                }
                Ok(SecondFactor::Otp(otp))
            }
            (None, Some(code)) => {
                let n = normalize_recovery(&code);
                if n.len() != RECOVERY_LEN || code.chars().count() > 32 {
                    return Err(ApiError::invalid(
                        "recovery_code",
                        "a recovery code has ten letters and digits",
                    ));
                }
                Ok(SecondFactor::RecoveryCode(n))
            }
            (None, None) => Ok(SecondFactor::None),
        }
    }
}

impl SecondFactor {
    /// From the console's one field, which takes either: digits are a code,
    /// anything else a recovery code.
    pub fn typed(code: &str) -> ApiResult<Self> {
        let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            SecondFactor::from_fields(Some(digits), None)
        } else {
            SecondFactor::from_fields(None, Some(code.to_owned()))
        }
    }
}

/// What the second factor of a sign-in came to.
pub enum Checked {
    /// The account has none.
    NotEnrolled,
    /// Right, and now used up: `otp` or `recovery_code`.
    Passed(&'static str),
    Missing,
    Wrong(&'static str),
}

/// Whether this account's roles oblige it to sign in with two factors.
pub fn required(state: &AppState, user: &UserRecord) -> bool {
    let roles = &state.config().two_factor_roles;
    user.roles.iter().any(|r| roles.contains(r))
}

/// Whether the account must enrol before it may do anything.
pub async fn must_enrol(state: &AppState, user: &UserRecord) -> ApiResult<bool> {
    if !required(state, user) {
        return Ok(false);
    }
    Ok(!state.store().two_factor(user.id).await?.enrolled())
}

async fn record(state: &AppState, user: UserId) -> ApiResult<TwoFactorRecord> {
    match state.store().two_factor(user).await {
        Err(StoreError::NotFound) => Err(ApiError::not_found()),
        other => Ok(other?),
    }
}

fn opened(state: &AppState, user: UserId, sealed: &str) -> ApiResult<Vec<u8>> {
    open(&state.config().phone_hash_key, user, sealed)
        .ok_or_else(|| ApiError::internal("a stored two-factor secret does not open"))
}

/// Checks (and uses up) the second factor of an account at sign-in. The caller holds
/// the login guard's attempt and counts a wrong one.
pub async fn check_at_sign_in(
    state: &AppState,
    user: &UserRecord,
    second: &SecondFactor,
) -> ApiResult<Checked> {
    let tf = record(state, user.id).await?;
    let Some(sealed) = tf.secret.as_deref() else {
        return Ok(Checked::NotEnrolled);
    };
    let store = state.store();
    match second {
        SecondFactor::None => Ok(Checked::Missing),
        SecondFactor::Otp(code) => {
            let secret = opened(state, user.id, sealed)?;
            let used = match matching_step(&secret, code, state.now()) {
                Some(step) => store.use_totp_step(user.id, step).await?,
                None => false,
            };
            Ok(if used {
                Checked::Passed("otp")
            } else {
                Checked::Wrong("otp")
            })
        }
        SecondFactor::RecoveryCode(code) => {
            let hash = recovery_hash(&state.config().phone_hash_key, user.id, code);
            let used = store.use_recovery_code(user.id, &hash, state.now()).await?;
            if used {
                tracing::info!(username = %user.username, "recovery code used");
            }
            Ok(if used {
                Checked::Passed("recovery_code")
            } else {
                Checked::Wrong("recovery_code")
            })
        }
    }
}

/// Where an account stands.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = TwoFactorStatus)]
pub struct Status {
    pub enrolled: bool,
    /// Its roles oblige it to use two factors.
    pub required: bool,
    /// A secret is offered and awaits its first code.
    pub pending: bool,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub enrolled_at: Option<Timestamp>,
    pub recovery_codes_left: i64,
}

pub async fn status(state: &AppState, viewer: &Viewer) -> ApiResult<Status> {
    person(viewer)?;
    let tf = record(state, viewer.user.id).await?;
    Ok(Status {
        enrolled: tf.enrolled(),
        required: required(state, &viewer.user),
        pending: tf.pending.is_some(),
        enrolled_at: tf.enrolled_at,
        recovery_codes_left: tf.recovery_codes_left,
    })
}

/// A secret offered for enrolment, for the authenticator app.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = TwoFactorOffer)]
pub struct Offer {
    /// Base32, for typing into an app that cannot scan.
    pub secret: String,
    pub otpauth_uri: String,
}

impl Offer {
    fn of(account: &str, secret: &[u8]) -> Offer {
        Offer {
            secret: base32(secret),
            otpauth_uri: otpauth_uri(account, secret),
        }
    }
}

/// Offers a new secret (replacing one offered before); 409 when already enrolled.
pub async fn offer(state: &AppState, viewer: &Viewer, addr: &ClientAddr) -> ApiResult<Offer> {
    person(viewer)?;
    let user = viewer.user.id;
    let mut secret = [0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut secret);
    let sealed = seal(&state.config().phone_hash_key, user, &secret);
    let audit = audit_own(
        state,
        viewer,
        addr,
        "two_factor.offer",
        serde_json::json!({}),
    );
    match state.store().offer_two_factor(user, &sealed, audit).await {
        Err(StoreError::Duplicate(_)) => Err(ApiError::conflict(
            "two_factor_enrolled",
            "this account has a second factor already; disable it first to enrol another",
        )),
        other => other.map_err(ApiError::from),
    }?;
    Ok(Offer::of(&viewer.user.username, &secret))
}

/// The secret on offer, if any (the console shows its QR code again on reload).
pub async fn pending_offer(state: &AppState, viewer: &Viewer) -> ApiResult<Option<Offer>> {
    person(viewer)?;
    let tf = record(state, viewer.user.id).await?;
    let enrolled = tf.enrolled();
    match tf.pending.filter(|_| !enrolled) {
        Some(sealed) => {
            let secret = opened(state, viewer.user.id, &sealed)?;
            Ok(Some(Offer::of(&viewer.user.username, &secret)))
        }
        None => Ok(None),
    }
}

fn no_offer() -> ApiError {
    ApiError::conflict(
        "no_enrolment_pending",
        "no secret is on offer: POST /api/v1/me/two-factor/enrolment first",
    )
}

/// New recovery codes (returned in clear, once) and their keyed hashes.
fn recovery_codes(state: &AppState, user: UserId) -> (Vec<String>, Vec<String>) {
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let key = &state.config().phone_hash_key;
    let hashes = codes
        .iter()
        .map(|c| recovery_hash(key, user, &normalize_recovery(c)))
        .collect();
    (codes, hashes)
}

/// Confirms the offered secret with a current code from the app; returns the recovery
/// codes, which are never shown again. The code's step is used up by it.
pub async fn confirm(
    state: &AppState,
    viewer: &Viewer,
    addr: &ClientAddr,
    otp: &str,
) -> ApiResult<Vec<String>> {
    person(viewer)?;
    let user = viewer.user.id;
    let tf = record(state, user).await?;
    if tf.enrolled() {
        return Err(ApiError::conflict(
            "two_factor_enrolled",
            "this account has a second factor already",
        ));
    }
    let sealed = tf.pending.ok_or_else(no_offer)?;
    let SecondFactor::Otp(otp) = SecondFactor::from_fields(Some(otp.to_owned()), None)? else {
        return Err(ApiError::invalid("otp", "six digits"));
    };
    let secret = opened(state, user, &sealed)?;
    let step = matching_step(&secret, &otp, state.now()).ok_or_else(|| {
        ApiError::invalid(
            "otp",
            "is not the app's current code (is the phone's clock right?)",
        )
    })?;
    let (codes, hashes) = recovery_codes(state, user);
    let audit = audit_own(
        state,
        viewer,
        addr,
        "two_factor.enrol",
        serde_json::json!({}),
    );
    match state
        .store()
        .confirm_two_factor(user, &sealed, step, hashes, state.now(), audit)
        .await
    {
        Err(StoreError::NotFound) => Err(no_offer()),
        other => other.map_err(ApiError::from),
    }?;
    tracing::info!(username = %viewer.user.username, "two-factor sign-in enrolled");
    Ok(codes)
}

/// Proves the viewer holds the second factor, behind the login guard (a stolen
/// session cannot try codes through).
async fn prove(
    state: &AppState,
    viewer: &Viewer,
    addr: &ClientAddr,
    proof: &SecondFactor,
) -> ApiResult<&'static str> {
    if !record(state, viewer.user.id).await?.enrolled() {
        return Err(not_enrolled());
    }
    if *proof == SecondFactor::None {
        return Err(ApiError::invalid(
            "otp",
            "a current code (or a recovery code) is required",
        ));
    }
    let attempt = GuardedAttempt::begin(state, addr, &viewer.user.username).await?;
    match check_at_sign_in(state, &viewer.user, proof).await? {
        Checked::Passed(factor) => {
            attempt.succeeded().await?;
            Ok(factor)
        }
        Checked::Wrong(factor) => {
            attempt
                .failed(serde_json::json!({ "factor": factor }))
                .await?;
            Err(ApiError::invalid(factor, "is wrong or already used"))
        }
        Checked::NotEnrolled | Checked::Missing => Err(not_enrolled()),
    }
}

/// Replaces the recovery codes (the old ones stop working), given a current code.
pub async fn renew_recovery_codes(
    state: &AppState,
    viewer: &Viewer,
    addr: &ClientAddr,
    proof: &SecondFactor,
) -> ApiResult<Vec<String>> {
    person(viewer)?;
    let factor = prove(state, viewer, addr, proof).await?;
    let user = viewer.user.id;
    let (codes, hashes) = recovery_codes(state, user);
    let detail = serde_json::json!({ "proof": factor });
    let audit = audit_own(state, viewer, addr, "two_factor.recovery_codes", detail);
    match state
        .store()
        .replace_recovery_codes(user, hashes, audit)
        .await
    {
        Err(StoreError::NotFound) => Err(not_enrolled()),
        other => other.map_err(ApiError::from),
    }?;
    Ok(codes)
}

/// Removes the viewer's own second factor, given a current code or a recovery code.
/// Where the roles require one, the session is limited to enrolling again at once.
pub async fn disable_own(
    state: &AppState,
    viewer: &Viewer,
    addr: &ClientAddr,
    proof: &SecondFactor,
) -> ApiResult<()> {
    person(viewer)?;
    let factor = prove(state, viewer, addr, proof).await?;
    let detail = serde_json::json!({ "proof": factor });
    let audit = audit_own(state, viewer, addr, "two_factor.disable", detail);
    state
        .store()
        .remove_two_factor(viewer.user.id, false, audit)
        .await?;
    tracing::info!(username = %viewer.user.username, "two-factor sign-in disabled by its owner");
    Ok(())
}

/// An administrator removes the second factor of an account they manage (a lost
/// phone and no recovery codes): its sessions end, and where its roles require two
/// factors it enrols again at its next sign-in. Their own account they change with a
/// code, like everyone.
///
/// The operator at the command line does the same for an installation whose last
/// administrator lost their phone and recovery codes.
pub async fn reset_for(state: &AppState, actor: &Principal<'_>, username: &str) -> ApiResult<()> {
    let user = crate::auth::managed_user(state, actor, username).await?;
    if let Principal::Person { viewer, .. } = actor
        && user.id == viewer.user.id
    {
        return Err(ApiError::forbidden(
            "remove your own second factor with a current code: POST /api/v1/me/two-factor/disable",
        ));
    }
    let object = format!("user:{}", user.username);
    let audit = actor.record(
        state,
        "user.two_factor_reset",
        object,
        serde_json::json!({}),
    );
    state
        .store()
        .remove_two_factor(user.id, true, audit)
        .await?;
    tracing::info!(username, by = actor.name(), "two-factor sign-in reset");
    Ok(())
}

/// In the demo only, the code the account's authenticator would show now (of its
/// enrolment, else of the secret on offer): the demo can be clicked through without
/// a phone. The next unused step, so that the code shown always works once.
pub async fn demo_code(state: &AppState, user: &UserRecord) -> ApiResult<Option<String>> {
    if !state.config().demo {
        return Ok(None);
    }
    let tf = record(state, user.id).await?;
    let Some(sealed) = tf.secret.as_ref().or(tf.pending.as_ref()) else {
        return Ok(None);
    };
    let secret = opened(state, user.id, sealed)?;
    let now = step_of(state.now());
    let step = match tf.last_step {
        Some(last) if tf.secret.is_some() && last >= now => last + 1,
        _ => now,
    };
    Ok((step <= now + SKEW).then(|| code_at(&secret, step)))
}

// ----- Routes -----

async fn status_route(
    State(state): State<AppState>,
    EnrollingUser(viewer): EnrollingUser,
) -> ApiResult<Json<Status>> {
    Ok(Json(status(&state, &viewer).await?))
}

async fn offer_route(
    State(state): State<AppState>,
    EnrollingUser(viewer): EnrollingUser,
    addr: ClientAddr,
) -> ApiResult<(StatusCode, Json<Offer>)> {
    Ok((
        StatusCode::CREATED,
        Json(offer(&state, &viewer, &addr).await?),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct OtpBody {
    /// The authenticator app's current six-digit code.
    otp: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct ProofBody {
    /// The authenticator app's current code…
    otp: Option<String>,
    /// …or one of the unused recovery codes.
    recovery_code: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct RecoveryCodes {
    /// Shown this once: each signs in once in place of a code.
    recovery_codes: Vec<String>,
}

async fn confirm_route(
    State(state): State<AppState>,
    EnrollingUser(viewer): EnrollingUser,
    addr: ClientAddr,
    ApiJson(body): ApiJson<OtpBody>,
) -> ApiResult<Json<RecoveryCodes>> {
    let recovery_codes = confirm(&state, &viewer, &addr, &body.otp).await?;
    Ok(Json(RecoveryCodes { recovery_codes }))
}

async fn recovery_codes_route(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    addr: ClientAddr,
    ApiJson(body): ApiJson<ProofBody>,
) -> ApiResult<Json<RecoveryCodes>> {
    let proof = SecondFactor::from_fields(body.otp, body.recovery_code)?;
    let recovery_codes = renew_recovery_codes(&state, &viewer, &addr, &proof).await?;
    Ok(Json(RecoveryCodes { recovery_codes }))
}

async fn disable_route(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    addr: ClientAddr,
    ApiJson(body): ApiJson<ProofBody>,
) -> ApiResult<StatusCode> {
    let proof = SecondFactor::from_fields(body.otp, body.recovery_code)?;
    disable_own(&state, &viewer, &addr, &proof).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reset_route(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    addr: ClientAddr,
    Path(username): Path<String>,
) -> ApiResult<StatusCode> {
    reset_for(&state, &Principal::person(&viewer, &addr), &username).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B: the SHA-1 seed, times and eight-digit codes.
    const RFC_SEED: &[u8] = b"12345678901234567890";
    const RFC_VECTORS: &[(u64, &str)] = &[
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];

    fn at(secs: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(secs, 0).unwrap().into()
    }

    #[test]
    fn codes_are_those_of_the_rfc_6238_test_vectors() {
        for (time, code) in RFC_VECTORS {
            assert_eq!(totp(RFC_SEED, 8).generate(*time), *code, "T = {time}");
            // Six digits are the last six of eight (the same number, mod 10^6).
            let step = *time as i64 / 30;
            assert_eq!(code_at(RFC_SEED, step), code[2..], "T = {time}");
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_no_further() {
        let now = at(1_234_567_890);
        let step = step_of(now);
        for drift in -1..=1 {
            let code = code_at(RFC_SEED, step + drift);
            assert_eq!(matching_step(RFC_SEED, &code, now), Some(step + drift));
        }
        for drift in [-3, -2, 2, 3] {
            let code = code_at(RFC_SEED, step + drift);
            assert_eq!(matching_step(RFC_SEED, &code, now), None, "drift {drift}");
        }
        assert_eq!(matching_step(RFC_SEED, "12345", now), None);
    }

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_account() {
        let key = b"installation key";
        let sealed = seal(key, UserId(7), RFC_SEED);
        assert!(!sealed.contains(&hex::encode(RFC_SEED)));
        assert_eq!(open(key, UserId(7), &sealed).as_deref(), Some(RFC_SEED));
        assert_ne!(open(key, UserId(8), &sealed).as_deref(), Some(RFC_SEED));
        assert_ne!(
            open(b"other key", UserId(7), &sealed).as_deref(),
            Some(RFC_SEED)
        );
        // Each sealing has its own nonce.
        assert_ne!(sealed, seal(key, UserId(7), RFC_SEED));
        assert_eq!(open(key, UserId(7), "garbage"), None);
    }

    #[test]
    fn the_enrolment_uri_names_the_issuer_account_and_parameters() {
        let uri = otpauth_uri("管理员 a", RFC_SEED);
        assert!(uri.starts_with("otpauth://totp/12345%E7%83%AD%E7%BA%BF:%E7%AE%A1"));
        assert!(
            uri.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&"),
            "{uri}"
        );
        assert!(uri.ends_with("&algorithm=SHA1&digits=6&period=30"));
        let svg = qr_svg(&uri);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
    }

    #[test]
    fn recovery_codes_read_alike_however_typed() {
        let code = new_recovery_code();
        assert_eq!(code.len(), RECOVERY_LEN + 1);
        let typed = format!(" {} ", code.to_uppercase().replace('-', " "));
        assert_eq!(normalize_recovery(&typed), code.replace('-', ""));
        let f = SecondFactor::from_fields(None, Some(typed)).unwrap();
        assert_eq!(f, SecondFactor::RecoveryCode(code.replace('-', "")));
    }

    #[test]
    fn malformed_second_factors_are_refused_before_anything_is_checked() {
        let bad = |otp: Option<&str>, rc: Option<&str>| {
            SecondFactor::from_fields(otp.map(Into::into), rc.map(Into::into)).unwrap_err()
        };
        assert_eq!(bad(Some("12345"), None).code, "validation");
        assert_eq!(bad(Some("12345a"), None).code, "validation");
        assert_eq!(bad(Some("123456"), Some("abcde-fghjk")).code, "validation");
        assert_eq!(bad(None, Some("short")).code, "validation");
        assert_eq!(
            SecondFactor::from_fields(Some("123 456".into()), Some(String::new())).unwrap(),
            SecondFactor::Otp("123456".into())
        );
        assert_eq!(
            SecondFactor::from_fields(None, None).unwrap(),
            SecondFactor::None
        );
    }
}
