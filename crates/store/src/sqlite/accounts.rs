//! Units, accounts, sessions and integration keys on SQLite.

use async_trait::async_trait;
use hotline_domain::audit::AuditRecord;
use hotline_domain::{Timestamp, UserId};
use rusqlite::params;

use super::audit::append_audit_tx;
use super::{SqliteStore, all, exec, one};
use crate::records::{self, roles_to_text};
use crate::sql::accounts::*;
use crate::{
    AccountStore, ApiKeyRecord, NewUser, Result, SessionRecord, StoreError, UnitRecord, UserRecord,
    found,
};

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_unit(&self, unit: UnitRecord, audit: AuditRecord) -> Result<UnitRecord> {
        self.write(move |c| {
            exec(
                c,
                INSERT_UNIT,
                params![
                    unit.code.as_str(),
                    unit.name,
                    unit.kind.as_str(),
                    unit.parent.as_ref().map(|p| p.as_str()),
                    unit.region.as_str(),
                    unit.active,
                    unit.line_head.as_ref().map(|h| h.as_str())
                ],
            )?;
            append_audit_tx(c, audit)?;
            Ok(unit)
        })
        .await
    }

    async fn list_units(&self) -> Result<Vec<UnitRecord>> {
        self.read(|c| all(c, UNITS, [], |r| records::unit(r))).await
    }

    async fn update_unit(&self, u: UnitRecord, audit: AuditRecord) -> Result<()> {
        self.write(move |c| {
            let changed = exec(
                c,
                UPDATE_UNIT,
                params![
                    u.name,
                    u.parent.as_ref().map(|p| p.as_str()),
                    u.active,
                    u.line_head.as_ref().map(|h| h.as_str()),
                    u.code.as_str()
                ],
            )?;
            found(changed)?;
            append_audit_tx(c, audit)
        })
        .await
    }

    async fn list_users(&self) -> Result<Vec<UserRecord>> {
        self.read(|c| all(c, USERS, [], |r| records::user(r))).await
    }

    async fn update_user(&self, u: UserRecord, audit: AuditRecord) -> Result<()> {
        self.write(move |c| {
            let old_hash =
                one(c, PASSWORD_OF, [u.id.0], |r| records::text(r))?.ok_or(StoreError::NotFound)?;
            exec(
                c,
                UPDATE_USER,
                params![
                    u.password_hash,
                    roles_to_text(&u.roles),
                    u.unit.as_ref().map(|x| x.as_str()),
                    u.active,
                    u.id.0
                ],
            )?;
            if !u.active || old_hash != u.password_hash {
                exec(c, END_SESSIONS, [u.id.0])?;
            }
            append_audit_tx(c, audit)
        })
        .await
    }

    async fn create_user(&self, u: NewUser, audit: AuditRecord) -> Result<UserRecord> {
        self.write(move |c| {
            let p = params![
                u.username,
                u.password_hash,
                roles_to_text(&u.roles),
                u.unit.as_ref().map(|x| x.as_str())
            ];
            let id = one(c, INSERT_USER, p, |r| records::number(r))?;
            append_audit_tx(c, audit)?;
            Ok(records::new_user(u, id.ok_or(StoreError::NotFound)?))
        })
        .await
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>> {
        let username = username.to_owned();
        self.read_now(move |c| one(c, USER_BY_NAME, [username], |r| records::user(r)))
    }

    async fn set_user_password(&self, username: &str, password_hash: &str) -> Result<()> {
        let (username, hash) = (username.to_owned(), password_hash.to_owned());
        self.write(move |c| found(exec(c, SET_PASSWORD_BY_NAME, params![hash, username])?))
            .await
    }

    async fn create_session(&self, s: SessionRecord) -> Result<()> {
        self.write(move |c| {
            let p = params![
                s.token_hash,
                s.user_id.0,
                s.created_at.timestamp(),
                s.expires_at.timestamp(),
                s.last_seen.timestamp(),
                s.address
            ];
            exec(c, INSERT_SESSION, p).map(drop)
        })
        .await
    }

    async fn session(&self, token_hash: &str) -> Result<Option<(SessionRecord, UserRecord)>> {
        let token_hash = token_hash.to_owned();
        self.read_now(move |c| {
            one(c, SESSION, [&token_hash], |r| {
                records::session(r, token_hash.clone())
            })
        })
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        let token_hash = token_hash.to_owned();
        self.write(move |c| exec(c, DELETE_SESSION, [token_hash]).map(drop))
            .await
    }

    async fn touch_session(&self, token_hash: &str, now: Timestamp) -> Result<()> {
        let token_hash = token_hash.to_owned();
        self.write(move |c| exec(c, TOUCH_SESSION, params![now.timestamp(), token_hash]).map(drop))
            .await
    }

    async fn user_sessions(&self, user: UserId) -> Result<Vec<SessionRecord>> {
        self.read(move |c| {
            all(c, USER_SESSIONS, [user.0], |r| {
                records::user_session(r, user)
            })
        })
        .await
    }

    async fn end_user_session(
        &self,
        user: UserId,
        token_hash: &str,
        audit: AuditRecord,
    ) -> Result<()> {
        let token_hash = token_hash.to_owned();
        self.write(move |c| {
            found(exec(c, END_SESSION, params![user.0, token_hash])?)?;
            append_audit_tx(c, audit)
        })
        .await
    }

    async fn change_password(
        &self,
        user: UserId,
        password_hash: &str,
        keep: &str,
        audit: AuditRecord,
    ) -> Result<()> {
        let (hash, keep) = (password_hash.to_owned(), keep.to_owned());
        self.write(move |c| {
            found(exec(c, SET_PASSWORD, params![hash, user.0])?)?;
            exec(c, END_OTHER_SESSIONS, params![user.0, keep])?;
            append_audit_tx(c, audit)
        })
        .await
    }

    async fn create_api_key(&self, key: ApiKeyRecord, audit: AuditRecord) -> Result<ApiKeyRecord> {
        self.write(move |c| {
            let p = params![
                key.name,
                key.key_hash,
                key.unit.as_str(),
                key.actions.join(","),
                key.created_at.timestamp()
            ];
            let id = one(c, INSERT_API_KEY, p, |r| records::number(r))?;
            append_audit_tx(c, audit)?;
            Ok(ApiKeyRecord {
                id: id.ok_or(StoreError::NotFound)?,
                ..key
            })
        })
        .await
    }

    async fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>> {
        let key_hash = key_hash.to_owned();
        self.read_now(move |c| one(c, API_KEY_BY_HASH, [key_hash], |r| records::api_key(r)))
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>> {
        self.read(|c| all(c, API_KEYS, [], |r| records::api_key(r)))
            .await
    }

    async fn revoke_api_key(&self, name: &str, at: Timestamp, audit: AuditRecord) -> Result<()> {
        let name = name.to_owned();
        self.write(move |c| {
            found(exec(c, REVOKE_API_KEY, params![at.timestamp(), name])?)?;
            append_audit_tx(c, audit)
        })
        .await
    }
}
