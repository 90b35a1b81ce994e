//! Units, accounts, sessions and integration keys on PostgreSQL.

use async_trait::async_trait;
use hotline_domain::audit::AuditRecord;
use hotline_domain::{Timestamp, UserId};

use super::audit::append_audit_tx;
use super::{PgStore, all, exec, one, sql};
use crate::records::{self, roles_to_text};
use crate::sql::accounts::*;
use crate::sql::for_update;
use crate::{
    AccountStore, ApiKeyRecord, NewUser, Result, SessionRecord, StoreError, UnitRecord, UserRecord,
    found,
};

#[async_trait]
impl AccountStore for PgStore {
    async fn create_unit(&self, unit: UnitRecord, audit: AuditRecord) -> Result<UnitRecord> {
        let mut tx = self.begin().await?;
        let insert = sql(INSERT_UNIT)
            .bind(unit.code.as_str())
            .bind(&unit.name)
            .bind(unit.kind.as_str())
            .bind(unit.parent.as_ref().map(|p| p.as_str()))
            .bind(unit.region.as_str())
            .bind(unit.active)
            .bind(unit.line_head.as_ref().map(|h| h.as_str()));
        exec(insert, &mut *tx).await?;
        append_audit_tx(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(unit)
    }

    async fn list_units(&self) -> Result<Vec<UnitRecord>> {
        all(sql(UNITS), &self.pool, records::unit).await
    }

    async fn update_unit(&self, u: UnitRecord, audit: AuditRecord) -> Result<()> {
        let mut tx = self.begin().await?;
        let update = sql(UPDATE_UNIT)
            .bind(&u.name)
            .bind(u.parent.as_ref().map(|p| p.as_str()))
            .bind(u.active)
            .bind(u.line_head.as_ref().map(|h| h.as_str()))
            .bind(u.code.as_str());
        found(exec(update, &mut *tx).await?)?;
        append_audit_tx(&mut tx, audit).await?;
        Ok(tx.commit().await?)
    }

    async fn list_users(&self) -> Result<Vec<UserRecord>> {
        all(sql(USERS), &self.pool, records::user).await
    }

    async fn update_user(&self, u: UserRecord, audit: AuditRecord) -> Result<()> {
        let mut tx = self.begin().await?;
        let old = sql(&for_update(PASSWORD_OF)).bind(u.id.0);
        let old_hash = one(old, &mut *tx, records::text)
            .await?
            .ok_or(StoreError::NotFound)?;
        let update = sql(UPDATE_USER)
            .bind(&u.password_hash)
            .bind(roles_to_text(&u.roles))
            .bind(u.unit.as_ref().map(|x| x.as_str()))
            .bind(u.active)
            .bind(u.id.0);
        exec(update, &mut *tx).await?;
        if !u.active || old_hash != u.password_hash {
            exec(sql(END_SESSIONS).bind(u.id.0), &mut *tx).await?;
        }
        append_audit_tx(&mut tx, audit).await?;
        Ok(tx.commit().await?)
    }

    async fn create_user(&self, u: NewUser, audit: AuditRecord) -> Result<UserRecord> {
        let mut tx = self.begin().await?;
        let insert = sql(INSERT_USER)
            .bind(&u.username)
            .bind(&u.password_hash)
            .bind(roles_to_text(&u.roles))
            .bind(u.unit.as_ref().map(|x| x.as_str()));
        let id = one(insert, &mut *tx, records::number).await?;
        append_audit_tx(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(records::new_user(u, id.ok_or(StoreError::NotFound)?))
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>> {
        let q = sql(USER_BY_NAME).bind(username);
        one(q, &self.pool, records::user).await
    }

    async fn set_user_password(&self, username: &str, password_hash: &str) -> Result<()> {
        let q = sql(SET_PASSWORD_BY_NAME).bind(password_hash).bind(username);
        found(exec(q, &self.pool).await?)
    }

    async fn create_session(&self, s: SessionRecord) -> Result<()> {
        let insert = sql(INSERT_SESSION)
            .bind(s.token_hash)
            .bind(s.user_id.0)
            .bind(s.created_at.timestamp())
            .bind(s.expires_at.timestamp())
            .bind(s.last_seen.timestamp())
            .bind(s.address);
        exec(insert, &self.pool).await.map(drop)
    }

    async fn session(&self, token_hash: &str) -> Result<Option<(SessionRecord, UserRecord)>> {
        let q = sql(SESSION).bind(token_hash);
        one(q, &self.pool, |r| {
            records::session(r, token_hash.to_owned())
        })
        .await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        let q = sql(DELETE_SESSION).bind(token_hash);
        exec(q, &self.pool).await.map(drop)
    }

    async fn touch_session(&self, token_hash: &str, now: Timestamp) -> Result<()> {
        let q = sql(TOUCH_SESSION).bind(now.timestamp()).bind(token_hash);
        exec(q, &self.pool).await.map(drop)
    }

    async fn user_sessions(&self, user: UserId) -> Result<Vec<SessionRecord>> {
        let q = sql(USER_SESSIONS).bind(user.0);
        all(q, &self.pool, |r| records::user_session(r, user)).await
    }

    async fn end_user_session(
        &self,
        user: UserId,
        token_hash: &str,
        audit: AuditRecord,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let q = sql(END_SESSION).bind(user.0).bind(token_hash);
        found(exec(q, &mut *tx).await?)?;
        append_audit_tx(&mut tx, audit).await?;
        Ok(tx.commit().await?)
    }

    async fn change_password(
        &self,
        user: UserId,
        password_hash: &str,
        keep: &str,
        audit: AuditRecord,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let q = sql(SET_PASSWORD).bind(password_hash).bind(user.0);
        found(exec(q, &mut *tx).await?)?;
        let q = sql(END_OTHER_SESSIONS).bind(user.0).bind(keep);
        exec(q, &mut *tx).await?;
        append_audit_tx(&mut tx, audit).await?;
        Ok(tx.commit().await?)
    }

    async fn create_api_key(&self, key: ApiKeyRecord, audit: AuditRecord) -> Result<ApiKeyRecord> {
        let mut tx = self.begin().await?;
        let insert = sql(INSERT_API_KEY)
            .bind(&key.name)
            .bind(&key.key_hash)
            .bind(key.unit.as_str())
            .bind(key.actions.join(","))
            .bind(key.created_at.timestamp());
        let id = one(insert, &mut *tx, records::number).await?;
        append_audit_tx(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(ApiKeyRecord {
            id: id.ok_or(StoreError::NotFound)?,
            ..key
        })
    }

    async fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>> {
        let q = sql(API_KEY_BY_HASH).bind(key_hash);
        one(q, &self.pool, records::api_key).await
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>> {
        all(sql(API_KEYS), &self.pool, records::api_key).await
    }

    async fn revoke_api_key(&self, name: &str, at: Timestamp, audit: AuditRecord) -> Result<()> {
        let mut tx = self.begin().await?;
        let q = sql(REVOKE_API_KEY).bind(at.timestamp()).bind(name);
        found(exec(q, &mut *tx).await?)?;
        append_audit_tx(&mut tx, audit).await?;
        Ok(tx.commit().await?)
    }
}
