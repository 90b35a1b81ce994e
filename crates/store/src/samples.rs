//! Samples drawn for inspection (抽查), as the [`SampleStore`] trait both backends
//! implement. A sample is written with the `sampled` event of every order it drew,
//! and each finding with the order's `inspected` event, in one transaction each.

use async_trait::async_trait;
use hotline_domain::UnitCode;
use hotline_domain::audit::AuditRecord;
use hotline_domain::sampling::Sample;

use crate::{OrderChange, Result};

#[async_trait]
pub trait SampleStore: Send + Sync {
    /// Stores a new sample with its orders' events (each order still at the version
    /// it was read at); returns its id.
    async fn create_sample(
        &self,
        sample: Sample,
        changes: Vec<OrderChange>,
        audit: AuditRecord,
    ) -> Result<i64>;
    async fn sample(&self, id: i64) -> Result<Option<Sample>>;
    /// A unit's samples, newest first, at most `limit`.
    async fn samples(&self, owner: &UnitCode, limit: u32) -> Result<Vec<Sample>>;
    /// Writes a sample changed by a finding (still at its version minus one) with the
    /// order's event.
    async fn record_finding(
        &self,
        sample: Sample,
        change: OrderChange,
        audit: AuditRecord,
    ) -> Result<()>;
}

pub(crate) fn doc_of(sample: &Sample) -> Result<String> {
    serde_json::to_string(sample).map_err(crate::backend)
}

pub(crate) fn sample_from(id: i64, version: i64, doc: &str) -> Result<Sample> {
    let mut s: Sample = serde_json::from_str(doc).map_err(crate::backend)?;
    s.id = id;
    s.version = version;
    Ok(s)
}
