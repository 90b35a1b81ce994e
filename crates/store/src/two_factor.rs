//! Two-factor sign-in as stored: the [`TwoFactorStore`] trait both backends implement.
//! The secrets are opaque text here (the application seals them); recovery codes
//! arrive already hashed. Each method that changes something
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
