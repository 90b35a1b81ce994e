//! The calendar, the deadline rules, settings and the taxonomy on PostgreSQL.

use async_trait::async_trait;
use hotline_domain::audit::AuditRecord;
use hotline_domain::taxonomy::DomainCategory;
use hotline_domain::{DeadlineRules, YearArrangement};

use super::audit::append_audit_tx;
use super::{PgStore, all, exec, one, sql};
use crate::records::{self, year_texts};
use crate::sql::rules::*;
use crate::{Result, RulesStore};

#[async_trait]
impl RulesStore for PgStore {
    async fn calendar(&self) -> Result<Vec<YearArrangement>> {
        all(sql(CALENDAR), &self.pool, records::year).await
    }

    async fn put_calendar_year(
        &self,
        y: YearArrangement,
        audit: Option<AuditRecord>,
    ) -> Result<()> {
        let (h, w) = year_texts(&y)?;
        let mut tx = self.begin().await?;
        exec(sql(PUT_YEAR).bind(y.year).bind(h).bind(w), &mut *tx).await?;
        if let Some(a) = audit {
            append_audit_tx(&mut tx, a).await?;
        }
        Ok(tx.commit().await?)
    }

    async fn deadline_rules(&self) -> Result<Option<DeadlineRules>> {
        let text = one(sql(DEADLINE_RULES), &self.pool, records::text).await?;
        Ok(text.map(|v| serde_json::from_str(&v)).transpose()?)
    }

    async fn put_deadline_rules(
        &self,
        rules: &DeadlineRules,
        audit: Option<AuditRecord>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let q = sql(PUT_DEADLINE_RULES).bind(serde_json::to_string(rules)?);
        exec(q, &mut *tx).await?;
        if let Some(a) = audit {
            append_audit_tx(&mut tx, a).await?;
        }
        Ok(tx.commit().await?)
    }

    async fn setting(&self, key: &str) -> Result<Option<String>> {
        one(sql(SETTING).bind(key), &self.pool, records::text).await
    }

    async fn put_setting(&self, key: &str, value: String, audit: AuditRecord) -> Result<()> {
        let mut tx = self.begin().await?;
        exec(sql(PUT_SETTING).bind(key).bind(value), &mut *tx).await?;
        append_audit_tx(&mut tx, audit).await?;
        Ok(tx.commit().await?)
    }

    async fn taxonomy(&self) -> Result<Vec<DomainCategory>> {
        all(sql(TAXONOMY), &self.pool, records::category).await
    }

    async fn put_domain_category(
        &self,
        cat: DomainCategory,
        audit: Option<AuditRecord>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let q = sql(PUT_CATEGORY)
            .bind(cat.path.to_string())
            .bind(cat.top_name)
            .bind(cat.name);
        exec(q, &mut *tx).await?;
        if let Some(a) = audit {
            append_audit_tx(&mut tx, a).await?;
        }
        Ok(tx.commit().await?)
    }
}
