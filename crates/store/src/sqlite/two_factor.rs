//! Two-factor sign-in on SQLite: writes through the writer thread, reads beside it.

use async_trait::async_trait;
use hotline_domain::audit::AuditRecord;
use hotline_domain::{Timestamp, UserId};
use rusqlite::{Connection, params};

use super::audit::append_audit_tx;
use super::{SqliteStore, exec, one};
use crate::sql::accounts::END_SESSIONS;
use crate::sql::two_factor::*;
use crate::two_factor::{TwoFactorRecord, TwoFactorStore};
use crate::{Result, StoreError, found, records};

fn add_recovery(c: &Connection, user: UserId, hashes: &[String]) -> Result<()> {
    exec(c, CLEAR_RECOVERY, [user.0])?;
    for h in hashes {
        exec(c, ADD_RECOVERY, params![user.0, h])?;
    }
    Ok(())
}

#[async_trait]
impl TwoFactorStore for SqliteStore {
    async fn two_factor(&self, user: UserId) -> Result<TwoFactorRecord> {
        self.read_now(|c| one(c, READ, [user.0], |r| records::two_factor(r)))?
            .ok_or(StoreError::NotFound)
    }

    async fn offer_two_factor(&self, user: UserId, secret: &str, audit: AuditRecord) -> Result<()> {
        let secret = secret.to_owned();
        self.write(move |c| {
            if exec(c, OFFER, params![secret, user.0])? == 0 {
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
            let p = params![at.timestamp(), step, user.0, secret];
            found(exec(c, CONFIRM, p)?)?;
            add_recovery(c, user, &recovery_hashes)?;
            append_audit_tx(c, audit)
        })
        .await
    }

    async fn use_totp_step(&self, user: UserId, step: i64) -> Result<bool> {
        self.write(move |c| Ok(exec(c, USE_STEP, params![step, user.0, step])? == 1))
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
            let p = params![at.timestamp(), user.0, hash];
            Ok(exec(c, USE_RECOVERY, p)? == 1)
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
            one(c, ENROLLED, [user.0], |_| Ok(()))?.ok_or(StoreError::NotFound)?;
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
            found(exec(c, REMOVE, [user.0])?)?;
            exec(c, CLEAR_RECOVERY, [user.0])?;
            if end_sessions {
                exec(c, END_SESSIONS, [user.0])?;
            }
            append_audit_tx(c, audit)
        })
        .await
    }
}
