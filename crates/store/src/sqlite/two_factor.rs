//! Two-factor sign-in on SQLite: writes through the writer thread, reads beside it.

use async_trait::async_trait;
use hotline_domain::audit::AuditRecord;
use hotline_domain::{Timestamp, UserId};
use rusqlite::{Connection, OptionalExtension, params};

use super::{SqliteStore, append_audit_tx, backend, sql_err};
use crate::records::from_epoch;
use crate::two_factor::*;
use crate::{Result, StoreError};

fn add_recovery(c: &Connection, user: UserId, hashes: &[String]) -> Result<()> {
    c.execute(CLEAR_RECOVERY, [user.0]).map_err(sql_err)?;
    let mut s = c.prepare_cached(ADD_RECOVERY).map_err(sql_err)?;
    for h in hashes {
        s.execute(params![user.0, h]).map_err(sql_err)?;
    }
    Ok(())
}

#[async_trait]
impl TwoFactorStore for SqliteStore {
    async fn two_factor(&self, user: UserId) -> Result<TwoFactorRecord> {
        self.read_now(move |c| {
            let row = c
                .prepare_cached(READ)
                .and_then(|mut s| {
                    s.query_row([user.0], |r| {
                        Ok(TwoFactorRecord {
                            secret: r.get(0)?,
                            pending: r.get(1)?,
                            enrolled_at: r.get::<_, Option<i64>>(2)?.map(from_epoch),
                            last_step: r.get(3)?,
                            recovery_codes_left: r.get(4)?,
                        })
                    })
                    .optional()
                })
                .map_err(backend)?;
            row.ok_or(StoreError::NotFound)
        })
    }

    async fn offer_two_factor(&self, user: UserId, secret: &str, audit: AuditRecord) -> Result<()> {
        let secret = secret.to_owned();
        self.write(move |c| {
            let n = c.execute(OFFER, params![secret, user.0]).map_err(sql_err)?;
            if n == 0 {
                return Err(StoreError::Duplicate(
                    "a confirmed two-factor enrolment".into(),
                ));
            }
            append_audit_tx(c, audit)
        })
        .await
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
        let secret = secret.to_owned();
        self.write(move |c| {
            let n = c
                .execute(CONFIRM, params![at.timestamp(), step, user.0, secret])
                .map_err(sql_err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            add_recovery(c, user, &recovery_hashes)?;
            append_audit_tx(c, audit)
        })
        .await
    }

    async fn use_totp_step(&self, user: UserId, step: i64) -> Result<bool> {
        self.write(move |c| {
            let n = c
                .execute(USE_STEP, params![step, user.0, step])
                .map_err(sql_err)?;
            Ok(n == 1)
        })
        .await
    }

    async fn use_recovery_code(
        &self,
        user: UserId,
        code_hash: &str,
        at: Timestamp,
    ) -> Result<bool> {
        let hash = code_hash.to_owned();
        self.write(move |c| {
            let n = c
                .execute(USE_RECOVERY, params![at.timestamp(), user.0, hash])
                .map_err(sql_err)?;
            Ok(n == 1)
        })
        .await
    }

    async fn replace_recovery_codes(
        &self,
        user: UserId,
        recovery_hashes: Vec<String>,
        audit: AuditRecord,
    ) -> Result<()> {
        self.write(move |c| {
            let enrolled = c
                .query_row(ENROLLED, [user.0], |_| Ok(()))
                .optional()
                .map_err(sql_err)?;
            if enrolled.is_none() {
                return Err(StoreError::NotFound);
            }
            add_recovery(c, user, &recovery_hashes)?;
            append_audit_tx(c, audit)
        })
        .await
    }

    async fn remove_two_factor(
        &self,
        user: UserId,
        end_sessions: bool,
        audit: AuditRecord,
    ) -> Result<()> {
        self.write(move |c| {
            let n = c.execute(REMOVE, [user.0]).map_err(sql_err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            c.execute(CLEAR_RECOVERY, [user.0]).map_err(sql_err)?;
            if end_sessions {
                c.execute(END_SESSIONS, [user.0]).map_err(sql_err)?;
            }
            append_audit_tx(c, audit)
        })
        .await
    }
}
