//! The calendar, the deadline rules, settings and the taxonomy on SQLite.

use async_trait::async_trait;
use hotline_domain::audit::AuditRecord;
use hotline_domain::taxonomy::DomainCategory;
use hotline_domain::{DeadlineRules, YearArrangement};
use rusqlite::params;

use super::audit::append_audit_tx;
use super::{SqliteStore, all, exec, one};
use crate::records::{self, year_texts};
use crate::sql::rules::*;
use crate::{Result, RulesStore};

#[async_trait]
impl RulesStore for SqliteStore {
    async fn calendar(&self) -> Result<Vec<YearArrangement>> {
        self.read(|c| all(c, CALENDAR, [], |r| records::year(r)))
            .await
    }

    async fn put_calendar_year(
        &self,
        y: YearArrangement,
        audit: Option<AuditRecord>,
    ) -> Result<()> {
        let (h, w) = year_texts(&y)?;
        self.write(move |c| {
            exec(c, PUT_YEAR, params![y.year, h, w])?;
            audit.map_or(Ok(()), |a| append_audit_tx(c, a))
        })
        .await
    }

    async fn deadline_rules(&self) -> Result<Option<DeadlineRules>> {
        let text = self
            .read(|c| one(c, DEADLINE_RULES, [], |r| records::text(r)))
            .await?;
        Ok(text.map(|v| serde_json::from_str(&v)).transpose()?)
    }

    async fn put_deadline_rules(
        &self,
        rules: &DeadlineRules,
        audit: Option<AuditRecord>,
    ) -> Result<()> {
        let v = serde_json::to_string(rules)?;
        self.write(move |c| {
            exec(c, PUT_DEADLINE_RULES, [v])?;
            audit.map_or(Ok(()), |a| append_audit_tx(c, a))
        })
        .await
    }

    async fn setting(&self, key: &str) -> Result<Option<String>> {
        let key = key.to_owned();
        self.read_now(move |c| one(c, SETTING, [key], |r| records::text(r)))
    }

    async fn put_setting(&self, key: &str, value: String, audit: AuditRecord) -> Result<()> {
        let key = key.to_owned();
        self.write(move |c| {
            exec(c, PUT_SETTING, params![key, value])?;
            append_audit_tx(c, audit)
        })
        .await
    }

    async fn taxonomy(&self) -> Result<Vec<DomainCategory>> {
        self.read(|c| all(c, TAXONOMY, [], |r| records::category(r)))
            .await
    }

    async fn put_domain_category(
        &self,
        cat: DomainCategory,
        audit: Option<AuditRecord>,
    ) -> Result<()> {
        self.write(move |c| {
            let p = params![cat.path.to_string(), cat.top_name, cat.name];
            exec(c, PUT_CATEGORY, p)?;
            audit.map_or(Ok(()), |a| append_audit_tx(c, a))
        })
        .await
    }
}
