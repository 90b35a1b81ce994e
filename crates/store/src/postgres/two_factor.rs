//! Two-factor sign-in on PostgreSQL: each change in one transaction with its audit
//! record; the single-statement checks (a used step, a used recovery code) hold
//! between servers because the row update is atomic.

use async_trait::async_trait;
use hotline_domain::audit::AuditRecord;
use hotline_domain::{Timestamp, UserId};

use super::audit::append_audit_tx;
use super::{PgStore, Tx, exec, one, sql};
use crate::sql::accounts::END_SESSIONS;
use crate::sql::for_update;
use crate::sql::two_factor::*;
use crate::two_factor::{TwoFactorRecord, TwoFactorStore};
use crate::{Result, StoreError, found, records};

async fn add_recovery(tx: &mut Tx, user: UserId, hashes: &[String]) -> Result<()> {
    exec(sql(CLEAR_RECOVERY).bind(user.0), &mut **tx).await?;
    for h in hashes {
        exec(sql(ADD_RECOVERY).bind(user.0).bind(h), &mut **tx).await?;
    }
    Ok(())
}

#[async_trait]
impl TwoFactorStore for PgStore {
    async fn two_factor(&self, user: UserId) -> Result<TwoFactorRecord> {
        one(sql(READ).bind(user.0), &self.pool, records::two_factor)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn offer_two_factor(&self, user: UserId, secret: &str, audit: AuditRecord) -> Result<()> {
        let mut tx = self.begin().await?;
        if exec(sql(OFFER).bind(secret).bind(user.0), &mut *tx).await? == 0 {
            return Err(StoreError::Duplicate(
                "a confirmed two-factor enrolment".into(),
            ));
        }
        append_audit_tx(&mut tx, audit).await?;
        Ok(tx.commit().await?)
    }

    async fn confirm_two_factor(
        &self,
        user: UserId,
        secret: &str,
        step: i64,
        recovery_hashes: Vec<String>,
        at: Timestamp,
        audit: AuditRecord,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let q = sql(CONFIRM)
            .bind(at.timestamp())
            .bind(step)
            .bind(user.0)
            .bind(secret);
        found(exec(q, &mut *tx).await?)?;
        add_recovery(&mut tx, user, &recovery_hashes).await?;
        append_audit_tx(&mut tx, audit).await?;
        Ok(tx.commit().await?)
    }

    async fn use_totp_step(&self, user: UserId, step: i64) -> Result<bool> {
        let q = sql(USE_STEP).bind(step).bind(user.0).bind(step);
        Ok(exec(q, &self.pool).await? == 1)
    }

    async fn use_recovery_code(
        &self,
        user: UserId,
        code_hash: &str,
        at: Timestamp,
    ) -> Result<bool> {
        let q = sql(USE_RECOVERY)
            .bind(at.timestamp())
            .bind(user.0)
            .bind(code_hash);
        Ok(exec(q, &self.pool).await? == 1)
    }

    async fn replace_recovery_codes(
        &self,
        user: UserId,
        recovery_hashes: Vec<String>,
        audit: AuditRecord,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        // FOR UPDATE: a removal running beside this waits, so no codes outlive it.
        let enrolled = sql(&for_update(ENROLLED)).bind(user.0);
        one(enrolled, &mut *tx, |_| Ok(()))
            .await?
            .ok_or(StoreError::NotFound)?;
        add_recovery(&mut tx, user, &recovery_hashes).await?;
        append_audit_tx(&mut tx, audit).await?;
        Ok(tx.commit().await?)
    }

    async fn remove_two_factor(
        &self,
        user: UserId,
        end_sessions: bool,
        audit: AuditRecord,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        found(exec(sql(REMOVE).bind(user.0), &mut *tx).await?)?;
        let mut steps = vec![CLEAR_RECOVERY];
        if end_sessions {
            steps.push(END_SESSIONS);
        }
        for step in steps {
            exec(sql(step).bind(user.0), &mut *tx).await?;
        }
        append_audit_tx(&mut tx, audit).await?;
        Ok(tx.commit().await?)
    }
}
