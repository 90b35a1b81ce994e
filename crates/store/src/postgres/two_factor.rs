//! Two-factor sign-in on PostgreSQL: each change in one transaction with its audit
//! record; the single-statement checks (a used step, a used recovery code) hold
//! between servers because the row update is atomic.

use async_trait::async_trait;
use hotline_domain::audit::AuditRecord;
use hotline_domain::{Timestamp, UserId};
use sqlx::{Postgres, Row, Transaction};

use super::{PgStore, append_audit_tx, pg_err, sql};
use crate::records::from_epoch;
use crate::two_factor::*;
use crate::{Result, StoreError};

async fn add_recovery(
    tx: &mut Transaction<'static, Postgres>,
    user: UserId,
    hashes: &[String],
) -> Result<()> {
    sql(CLEAR_RECOVERY)
        .bind(user.0)
        .execute(&mut **tx)
        .await
        .map_err(pg_err)?;
    for h in hashes {
        sql(ADD_RECOVERY)
            .bind(user.0)
            .bind(h)
            .execute(&mut **tx)
            .await
            .map_err(pg_err)?;
    }
    Ok(())
}

#[async_trait]
impl TwoFactorStore for PgStore {
    async fn two_factor(&self, user: UserId) -> Result<TwoFactorRecord> {
        let row = sql(READ)
            .bind(user.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(pg_err)?
            .ok_or(StoreError::NotFound)?;
        let enrolled_at: Option<i64> = row.try_get(2).map_err(pg_err)?;
        Ok(TwoFactorRecord {
            secret: row.try_get(0).map_err(pg_err)?,
            pending: row.try_get(1).map_err(pg_err)?,
            enrolled_at: enrolled_at.map(from_epoch),
            last_step: row.try_get(3).map_err(pg_err)?,
            recovery_codes_left: row.try_get(4).map_err(pg_err)?,
        })
    }

    async fn offer_two_factor(&self, user: UserId, secret: &str, audit: AuditRecord) -> Result<()> {
        let mut tx = self.begin().await?;
        let done = sql(OFFER)
            .bind(secret)
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .map_err(pg_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Duplicate(
                "a confirmed two-factor enrolment".into(),
            ));
        }
        append_audit_tx(&mut tx, audit).await?;
        tx.commit().await.map_err(pg_err)
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
        let done = sql(CONFIRM)
            .bind(at.timestamp())
            .bind(step)
            .bind(user.0)
            .bind(secret)
            .execute(&mut *tx)
            .await
            .map_err(pg_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        add_recovery(&mut tx, user, &recovery_hashes).await?;
        append_audit_tx(&mut tx, audit).await?;
        tx.commit().await.map_err(pg_err)
    }

    async fn use_totp_step(&self, user: UserId, step: i64) -> Result<bool> {
        let done = sql(USE_STEP)
            .bind(step)
            .bind(user.0)
            .bind(step)
            .execute(&self.pool)
            .await
            .map_err(pg_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn use_recovery_code(
        &self,
        user: UserId,
        code_hash: &str,
        at: Timestamp,
    ) -> Result<bool> {
        let done = sql(USE_RECOVERY)
            .bind(at.timestamp())
            .bind(user.0)
            .bind(code_hash)
            .execute(&self.pool)
            .await
            .map_err(pg_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn replace_recovery_codes(
        &self,
        user: UserId,
        recovery_hashes: Vec<String>,
        audit: AuditRecord,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        // FOR UPDATE: a removal running beside this waits, so no codes outlive it.
        let enrolled = sql(&format!("{ENROLLED} FOR UPDATE"))
            .bind(user.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(pg_err)?;
        if enrolled.is_none() {
            return Err(StoreError::NotFound);
        }
        add_recovery(&mut tx, user, &recovery_hashes).await?;
        append_audit_tx(&mut tx, audit).await?;
        tx.commit().await.map_err(pg_err)
    }

    async fn remove_two_factor(
        &self,
        user: UserId,
        end_sessions: bool,
        audit: AuditRecord,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let done = sql(REMOVE)
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .map_err(pg_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let mut steps = vec![CLEAR_RECOVERY];
        if end_sessions {
            steps.push(END_SESSIONS);
        }
        for step in steps {
            sql(step)
                .bind(user.0)
                .execute(&mut *tx)
                .await
                .map_err(pg_err)?;
        }
        append_audit_tx(&mut tx, audit).await?;
        tx.commit().await.map_err(pg_err)
    }
}
