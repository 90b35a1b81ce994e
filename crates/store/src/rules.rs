//! The rules administrators change while the hotline runs — the calendar, the
//! deadline rules, JSON settings, the domain taxonomy — as the [`RulesStore`] trait
//! both backends implement.

use async_trait::async_trait;
use hotline_domain::audit::AuditRecord;
use hotline_domain::taxonomy::DomainCategory;
use hotline_domain::{DeadlineRules, YearArrangement};

use crate::Result;

#[async_trait]
pub trait RulesStore: Send + Sync {
    async fn calendar(&self) -> Result<Vec<YearArrangement>>;
    /// Loads (or replaces) a year, audited in the same transaction (`None`: the
    /// defaults a new database is seeded with, which are no one's change).
    async fn put_calendar_year(
        &self,
        year: YearArrangement,
        audit: Option<AuditRecord>,
    ) -> Result<()>;
    async fn deadline_rules(&self) -> Result<Option<DeadlineRules>>;
    /// Replaces the deadline rules, audited as [`RulesStore::put_calendar_year`] is.
    async fn put_deadline_rules(
        &self,
        rules: &DeadlineRules,
        audit: Option<AuditRecord>,
    ) -> Result<()>;
    /// A JSON setting by key (summons rules, …).
    async fn setting(&self, key: &str) -> Result<Option<String>>;
    /// Stores a JSON setting, audited in the same transaction.
    async fn put_setting(&self, key: &str, value: String, audit: AuditRecord) -> Result<()>;
    async fn taxonomy(&self) -> Result<Vec<DomainCategory>>;
    /// Adds (or renames) a category, audited as [`RulesStore::put_calendar_year`] is.
    async fn put_domain_category(
        &self,
        category: DomainCategory,
        audit: Option<AuditRecord>,
    ) -> Result<()>;
}
