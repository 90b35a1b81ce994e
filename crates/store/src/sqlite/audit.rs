//! The audit trail on SQLite: chained on the writer thread, read beside it.

use async_trait::async_trait;
use hotline_domain::audit::{AuditEntry, AuditRecord, RecordText, chain_rendered};
use hotline_domain::shanghai;
use rusqlite::params;

use super::{SqliteStore, Writer, all, bind, exec, one};
use crate::sql::audit::{INSERT, LAST, entries};
use crate::{AuditFilter, AuditStore, Result, records};

/// An audit record in Beijing time with its text rendered, ready to be chained. The
/// busy paths (intake, actions) render it before handing it to the writer, whose
/// time is the one every commit waits for.
pub(super) struct Audit {
    record: AuditRecord,
    text: RecordText,
}

impl From<AuditRecord> for Audit {
    fn from(mut record: AuditRecord) -> Self {
        record.at = record.at.with_timezone(&shanghai());
        let text = RecordText::of(&record);
        Audit { record, text }
    }
}

/// Appends to the hash chain; the writer runs one job at a time, so the last record
/// it appended (or, after it forgot it, the last one read here) is the last there is.
pub(super) fn append_audit_tx(w: &mut Writer, a: impl Into<Audit>) -> Result<()> {
    let Audit { record, text } = a.into();
    let last = match w.audit_head.take() {
        Some(head) => Some(head),
        None => one(w, LAST, [], |r| records::audit_head(r))?,
    };
    let e = chain_rendered(
        last.as_ref().map(|(id, h)| (*id, h.as_str())),
        record,
        &text,
    );
    exec(
        w,
        INSERT,
        params![
            e.id,
            text.at,
            e.record.actor,
            e.record.unit,
            e.record.address,
            e.record.action,
            e.record.object,
            text.detail,
            e.prev_hash,
            e.hash
        ],
    )?;
    w.audit_head = Some((e.id, e.hash));
    Ok(())
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append_audit(&self, record: AuditRecord) -> Result<()> {
        self.write(move |c| append_audit_tx(c, record)).await
    }

    async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let sql = entries(filter);
        self.read(move |c| {
            all(c, &sql.text, bind(&sql.params).as_slice(), |r| {
                records::audit_entry(r)
            })
        })
        .await
    }
}
