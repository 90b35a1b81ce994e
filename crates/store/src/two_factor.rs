//! Two-factor sign-in as stored: the [`TwoFactorStore`] trait both backends implement,
//! and the SQL they share. The secrets are opaque text here (the application seals
//! them); recovery codes arrive already hashed. Each method that changes something
//! writes its audit record in the same transaction.

use async_trait::async_trait;
use hotline_domain::audit::AuditRecord;
use hotline_domain::{Timestamp, UserId};

use crate::Result;

/// An account's second factor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TwoFactorRecord {
    /// The (sealed) secret of a confirmed enrolment.
    pub secret: Option<String>,
    /// A (sealed) secret offered for enrolment, awaiting its first code.
    pub pending: Option<String>,
    pub enrolled_at: Option<Timestamp>,
    /// The last time step a code was accepted for.
    pub last_step: Option<i64>,
    /// Recovery codes not used yet.
    pub recovery_codes_left: i64,
}

impl TwoFactorRecord {
    pub fn enrolled(&self) -> bool {
        self.secret.is_some()
    }
}

#[async_trait]
pub trait TwoFactorStore: Send + Sync {
    /// The account's second factor (all empty when it has none); `NotFound` when
    /// there is no such account.
    async fn two_factor(&self, user: UserId) -> Result<TwoFactorRecord>;
    /// Offers `secret` for enrolment, replacing one offered before; `Duplicate` when
    /// the account is enrolled already (it removes its enrolment first).
    async fn offer_two_factor(&self, user: UserId, secret: &str, audit: AuditRecord) -> Result<()>;
    /// Confirms the offered secret, which must still be `secret` (`NotFound`
    /// otherwise: nothing offered, or offered again meanwhile), with a code of `step`
    /// (used up by it), and sets the recovery codes.
    async fn confirm_two_factor(
        &self,
        user: UserId,
        secret: &str,
        step: i64,
        recovery_hashes: Vec<String>,
        at: Timestamp,
        audit: AuditRecord,
    ) -> Result<()>;
    /// Uses up the time step `step` of an enrolled account: `false` when a code of
    /// that step or a later one was accepted already (a replay), or it is not
    /// enrolled. One statement, so that two requests with one code cannot both pass.
    async fn use_totp_step(&self, user: UserId, step: i64) -> Result<bool>;
    /// Uses up one recovery code (by its hash): `false` when unknown or used.
    async fn use_recovery_code(&self, user: UserId, code_hash: &str, at: Timestamp)
    -> Result<bool>;
    /// Replaces the recovery codes of an enrolled account (`NotFound` if not enrolled).
    async fn replace_recovery_codes(
        &self,
        user: UserId,
        recovery_hashes: Vec<String>,
        audit: AuditRecord,
    ) -> Result<()>;
    /// Removes the enrolment (secret, offer, recovery codes); with `end_sessions`,
    /// also ends every session of the account.
    async fn remove_two_factor(
        &self,
        user: UserId,
        end_sessions: bool,
        audit: AuditRecord,
    ) -> Result<()>;
}

pub(crate) const READ: &str = "SELECT totp_secret, totp_pending, totp_enrolled_at, totp_last_step, \
     (SELECT COUNT(*) FROM recovery_codes r WHERE r.user_id = users.id AND r.used_at IS NULL) \
     FROM users WHERE id = ?";
/// (secret, id): only where nothing is enrolled.
pub(crate) const OFFER: &str =
    "UPDATE users SET totp_pending = ? WHERE id = ? AND totp_secret IS NULL";
/// (enrolled_at, step, id, secret)
pub(crate) const CONFIRM: &str = "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, \
     totp_enrolled_at = ?, totp_last_step = ? WHERE id = ? AND totp_pending = ? AND totp_secret IS NULL";
/// (step, id, step)
pub(crate) const USE_STEP: &str = "UPDATE users SET totp_last_step = ? WHERE id = ? \
     AND totp_secret IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < ?)";
/// (at, id, hash)
pub(crate) const USE_RECOVERY: &str = "UPDATE recovery_codes SET used_at = ? \
     WHERE user_id = ? AND code_hash = ? AND used_at IS NULL";
pub(crate) const ENROLLED: &str = "SELECT 1 FROM users WHERE id = ? AND totp_secret IS NOT NULL";
pub(crate) const CLEAR_RECOVERY: &str = "DELETE FROM recovery_codes WHERE user_id = ?";
/// (id, hash)
pub(crate) const ADD_RECOVERY: &str =
    "INSERT INTO recovery_codes (user_id, code_hash, used_at) VALUES (?, ?, NULL)";
pub(crate) const REMOVE: &str = "UPDATE users SET totp_secret = NULL, totp_pending = NULL, \
     totp_enrolled_at = NULL, totp_last_step = NULL WHERE id = ?";
pub(crate) const END_SESSIONS: &str = "DELETE FROM sessions WHERE user_id = ?";
