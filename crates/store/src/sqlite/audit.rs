//! The audit trail on SQLite: chained on the writer thread, read beside it.

use async_trait::async_trait;
use hotline_domain::audit::{AuditEntry, AuditRecord, RecordText, chain_rendered};
use hotline_domain::shanghai;
use rusqlite::{Connection, params};

use super::{SqliteStore, all, bind, exec, one};
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

thread_local! {
    /// The last audit entry the writer appended, so that chaining the next one needs
    /// no read. Forgotten whenever a job or a commit fails, as the row may be gone.
    static AUDIT_HEAD: std::cell::RefCell<Option<(i64, String)>> = const { std::cell::RefCell::new(None) };
}

pub(super) fn forget_head() {
    AUDIT_HEAD.with(|h| *h.borrow_mut() = None);
}

/// Appends to the hash chain; the writer runs one job at a time, so the last record
/// read here is the last record there is.
pub(super) fn append_audit_tx(conn: &Connection, a: impl Into<Audit>) -> Result<()> {
    let Audit { record, text } = a.into();
    let last = match AUDIT_HEAD.with(|h| h.borrow().clone()) {
        Some(head) => Some(head),
        None => one(conn, LAST, [], |r| records::audit_head(r))?,
    };
    let e = chain_rendered(
        last.as_ref().map(|(id, h)| (*id, h.as_str())),
        record,
        &text,
    );
    exec(
        conn,
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
    AUDIT_HEAD.with(|h| *h.borrow_mut() = Some((e.id, e.hash)));
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
