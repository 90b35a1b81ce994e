//! The audit trail: the [`AuditStore`] trait both backends implement. Each backend
//! chains records one at a time (the SQLite writer; an advisory lock on PostgreSQL),
//! so the chain never forks.

use async_trait::async_trait;
use hotline_domain::audit::{AuditEntry, AuditRecord};

use crate::{AuditFilter, Result};

#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends a record to the hash chain.
    async fn append_audit(&self, record: AuditRecord) -> Result<()>;
    async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>>;
}
