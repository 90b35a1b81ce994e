//! Samples on SQLite.

use async_trait::async_trait;
use hotline_domain::UnitCode;
use hotline_domain::audit::AuditRecord;
use hotline_domain::sampling::Sample;
use rusqlite::params;

use super::audit::{Audit, append_audit_tx};
use super::orders::record_change;
use super::{SqliteStore, all, exec, one};
use crate::samples::{SampleStore, doc_of, sample_from};
use crate::sql::samples::*;
use crate::{OrderChange, Result, StoreError};

#[async_trait]
impl SampleStore for SqliteStore {
    async fn create_sample(
        &self,
        sample: Sample,
        changes: Vec<OrderChange>,
        audit: AuditRecord,
    ) -> Result<i64> {
        let personal = self.personal.clone();
        let audit = Audit::from(audit);
        let doc = doc_of(&sample)?;
        self.write(move |c| {
            let p = params![
                sample.owner.as_str(),
                sample.period,
                sample.drawn_at.timestamp(),
                doc
            ];
            exec(c, INSERT_SAMPLE, p)?;
            let id = c.last_insert_rowid();
            for ch in &changes {
                record_change(c, &personal, ch)?;
            }
            append_audit_tx(c, audit)?;
            Ok(id)
        })
        .await
    }

    async fn sample(&self, id: i64) -> Result<Option<Sample>> {
        self.read(move |c| {
            one(c, SAMPLE, [id], |r| {
                sample_from(r.get(0)?, r.get(1)?, &r.get::<_, String>(2)?)
            })
        })
        .await
    }

    async fn samples(&self, owner: &UnitCode, limit: u32) -> Result<Vec<Sample>> {
        let owner = owner.to_string();
        self.read(move |c| {
            all(c, SAMPLES_OF, params![owner, limit], |r| {
                sample_from(r.get(0)?, r.get(1)?, &r.get::<_, String>(2)?)
            })
        })
        .await
    }

    async fn record_finding(
        &self,
        sample: Sample,
        change: OrderChange,
        audit: AuditRecord,
    ) -> Result<()> {
        let personal = self.personal.clone();
        let audit = Audit::from(audit);
        let doc = doc_of(&sample)?;
        self.write(move |c| {
            let p = params![doc, sample.version, sample.id, sample.version - 1];
            if exec(c, UPDATE_SAMPLE, p)? != 1 {
                return Err(StoreError::VersionConflict);
            }
            record_change(c, &personal, &change)?;
            append_audit_tx(c, audit)
        })
        .await
    }
}
