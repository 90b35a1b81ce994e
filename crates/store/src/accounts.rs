//! The organisation and its accounts: units, users, their sessions and the
//! integration keys, as the [`AccountStore`] trait both backends implement.

use async_trait::async_trait;
use hotline_domain::audit::AuditRecord;
use hotline_domain::{Timestamp, UserId};

use crate::{ApiKeyRecord, NewUser, Result, SessionRecord, UnitRecord, UserRecord};

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates a unit, audited in the same transaction.
    async fn create_unit(&self, unit: UnitRecord, audit: AuditRecord) -> Result<UnitRecord>;
    async fn list_units(&self) -> Result<Vec<UnitRecord>>;
    /// Replaces a unit's name, parent and active flag (its code, kind and history stay).
    async fn update_unit(&self, unit: UnitRecord, audit: AuditRecord) -> Result<()>;
    async fn list_users(&self) -> Result<Vec<UserRecord>>;
    /// Replaces an account's roles, unit, active flag and (if given) password hash;
    /// ends its sessions when it is disabled or its password changes.
    async fn update_user(&self, user: UserRecord, audit: AuditRecord) -> Result<()>;
    /// Creates an account, audited in the same transaction.
    async fn create_user(&self, user: NewUser, audit: AuditRecord) -> Result<UserRecord>;
    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>>;
    async fn set_user_password(&self, username: &str, password_hash: &str) -> Result<()>;
    async fn create_session(&self, session: SessionRecord) -> Result<()>;
    /// The session with this token hash and its user, if both exist.
    async fn session(&self, token_hash: &str) -> Result<Option<(SessionRecord, UserRecord)>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
    /// Notes that the session was used now (for idle expiry).
    async fn touch_session(&self, token_hash: &str, now: Timestamp) -> Result<()>;
    /// The account's sessions, newest first (expired ones too, until removed).
    async fn user_sessions(&self, user: UserId) -> Result<Vec<SessionRecord>>;
    /// Ends one session of the account (`NotFound` if it has no such session),
    /// audited in the same transaction.
    async fn end_user_session(
        &self,
        user: UserId,
        token_hash: &str,
        audit: AuditRecord,
    ) -> Result<()>;
    /// Sets the account's password hash and ends its sessions except `keep` (the one
    /// that asked), audited in the same transaction.
    async fn change_password(
        &self,
        user: UserId,
        password_hash: &str,
        keep: &str,
        audit: AuditRecord,
    ) -> Result<()>;

    async fn create_api_key(&self, key: ApiKeyRecord, audit: AuditRecord) -> Result<ApiKeyRecord>;
    async fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>>;
    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>>;
    /// Revokes the named key; `NotFound` if there is no such key.
    async fn revoke_api_key(&self, name: &str, at: Timestamp, audit: AuditRecord) -> Result<()>;
}
