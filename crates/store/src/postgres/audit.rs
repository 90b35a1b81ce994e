//! The audit trail on PostgreSQL: appends serialised between servers by a
//! transaction-scoped advisory lock, so that the chain never forks.

use async_trait::async_trait;
use hotline_domain::audit::{AuditEntry, AuditRecord, chain};
use hotline_domain::shanghai;

use super::{PgStore, Tx, all, bound, exec, one, sql, xact_lock};
use crate::sql::audit::{INSERT, LAST, entries};
use crate::{AuditFilter, AuditStore, Result, records};

/// Serialises appends to the audit chain between servers, per transaction.
const AUDIT_LOCK: i64 = 12_345_000_002;

/// Appends to the hash chain inside the caller's transaction.
pub(super) async fn append_audit_tx(tx: &mut Tx, mut r: AuditRecord) -> Result<()> {
    r.at = r.at.with_timezone(&shanghai());
    xact_lock(tx, AUDIT_LOCK).await?;
    let last = one(sql(LAST), &mut **tx, records::audit_head).await?;
    let e = chain(last.as_ref().map(|(id, h)| (*id, h.as_str())), r);
    let insert = sql(INSERT)
        .bind(e.id)
        .bind(e.record.at.to_rfc3339())
        .bind(e.record.actor)
        .bind(e.record.unit)
        .bind(e.record.address)
        .bind(e.record.action)
        .bind(e.record.object)
        .bind(e.record.detail.to_string())
        .bind(e.prev_hash)
        .bind(e.hash);
    exec(insert, &mut **tx).await.map(drop)
}

#[async_trait]
impl AuditStore for PgStore {
    async fn append_audit(&self, record: AuditRecord) -> Result<()> {
        let mut tx = self.begin().await?;
        append_audit_tx(&mut tx, record).await?;
        Ok(tx.commit().await?)
    }

    async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let q = entries(filter);
        all(bound(&q.text, q.params), &self.pool, records::audit_entry).await
    }
}
