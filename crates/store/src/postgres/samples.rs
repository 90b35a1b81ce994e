//! Samples on PostgreSQL.

use async_trait::async_trait;
use hotline_domain::UnitCode;
use hotline_domain::audit::AuditRecord;
use hotline_domain::sampling::Sample;

use super::audit::append_audit_tx;
use super::orders::record_change;
use super::{PgStore, all, exec, one, sql};
use crate::samples::{SampleStore, doc_of, sample_from};
use crate::sql::Row;
use crate::sql::samples::*;
use crate::{OrderChange, Result, StoreError};

#[async_trait]
impl SampleStore for PgStore {
    async fn create_sample(
        &self,
        sample: Sample,
        changes: Vec<OrderChange>,
        audit: AuditRecord,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let q = sql(INSERT_SAMPLE_RETURNING)
            .bind(sample.owner.to_string())
            .bind(sample.period.clone())
            .bind(sample.drawn_at.timestamp())
            .bind(doc_of(&sample)?);
        let id = one(q, &mut *tx, |r| r.get::<i64>(0))
            .await?
            .ok_or_else(|| crate::backend("no id returned"))?;
        for ch in &changes {
            record_change(&mut tx, &self.personal, ch).await?;
        }
        append_audit_tx(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn sample(&self, id: i64) -> Result<Option<Sample>> {
        let q = sql(SAMPLE).bind(id);
        one(q, &self.pool, |r| {
            sample_from(r.get(0)?, r.get(1)?, &r.get::<String>(2)?)
        })
        .await
    }

    async fn samples(&self, owner: &UnitCode, limit: u32) -> Result<Vec<Sample>> {
        let q = sql(SAMPLES_OF)
            .bind(owner.to_string())
            .bind(i64::from(limit));
        all(q, &self.pool, |r| {
            sample_from(r.get(0)?, r.get(1)?, &r.get::<String>(2)?)
        })
        .await
    }

    async fn record_finding(
        &self,
        sample: Sample,
        change: OrderChange,
        audit: AuditRecord,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let q = sql(UPDATE_SAMPLE)
            .bind(doc_of(&sample)?)
            .bind(sample.version)
            .bind(sample.id)
            .bind(sample.version - 1);
        if exec(q, &mut *tx).await? != 1 {
            return Err(StoreError::VersionConflict);
        }
        record_change(&mut tx, &self.personal, &change).await?;
        append_audit_tx(&mut tx, audit).await?;
        Ok(tx.commit().await?)
    }
}
