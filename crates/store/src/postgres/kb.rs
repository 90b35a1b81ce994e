//! The knowledge base on PostgreSQL. Writes that take a change sequence number hold
//! a transaction-level advisory lock, so numbers are committed in the order they are
//! taken and a follower reading `seq > n` never skips one that commits late.

use async_trait::async_trait;
use hotline_domain::audit::{AuditRecord, article_object};
use hotline_domain::kb::{Article, ArticleVersion, Synonyms};

use super::audit::append_audit_tx;
use super::{PgStore, Tx, all, bound, exec, one, sql, xact_lock};
use crate::kb::*;
use crate::sql::kb::*;
use crate::{Result, StoreError, found, records};

/// Serialises article writes between servers.
const KB_LOCK: i64 = 12_345_000_003;

async fn insert_version(tx: &mut Tx, id: i64, a: &Article, note: &VersionNote) -> Result<()> {
    let v = version_row(a, note)?;
    let q = sql(INSERT_VERSION)
        .bind(id)
        .bind(v.version)
        .bind(v.at)
        .bind(v.by)
        .bind(v.change)
        .bind(v.fields)
        .bind(v.status)
        .bind(v.content);
    exec(q, &mut **tx).await.map(drop)
}

#[async_trait]
impl KbStore for PgStore {
    async fn create_article(&self, article: Article, audit: AuditRecord) -> Result<Article> {
        let mut tx = self.begin().await?;
        xact_lock(&mut tx, KB_LOCK).await?;
        let mut a = article;
        a.version = 1;
        let insert = sql(INSERT_ARTICLE)
            .bind(a.hotline.as_str())
            .bind(a.status.as_str())
            .bind(&a.content.category)
            .bind(&a.content.title)
            .bind(a.pinned)
            .bind(1_i64)
            .bind("{}");
        let id = one(insert, &mut *tx, records::number).await?;
        a.id = id.ok_or(StoreError::NotFound)?;
        exec(sql(SET_DOC).bind(doc_of(&a)?).bind(a.id), &mut *tx).await?;
        let note = VersionNote {
            change: "created".into(),
            fields: Vec::new(),
        };
        insert_version(&mut tx, a.id, &a, &note).await?;
        let mut audit = audit;
        audit.object = Some(article_object(a.id));
        append_audit_tx(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(a)
    }

    async fn update_article(
        &self,
        article: &Article,
        note: VersionNote,
        audit: AuditRecord,
    ) -> Result<()> {
        let a = article;
        let mut tx = self.begin().await?;
        xact_lock(&mut tx, KB_LOCK).await?;
        let update = sql(UPDATE_ARTICLE)
            .bind(a.status.as_str())
            .bind(&a.content.category)
            .bind(&a.content.title)
            .bind(a.pinned)
            .bind(i64::from(a.version))
            .bind(doc_of(a)?)
            .bind(a.id)
            .bind(i64::from(a.version) - 1);
        if exec(update, &mut *tx).await? == 0 {
            return Err(StoreError::VersionConflict);
        }
        insert_version(&mut tx, a.id, a, &note).await?;
        append_audit_tx(&mut tx, audit).await?;
        Ok(tx.commit().await?)
    }

    async fn article(&self, id: i64) -> Result<Option<Article>> {
        one(sql(ARTICLE).bind(id), &self.pool, |r| {
            records::article(r, 0)
        })
        .await
    }

    async fn article_versions(&self, id: i64) -> Result<Vec<ArticleVersion>> {
        all(sql(VERSIONS).bind(id), &self.pool, records::article_version).await
    }

    async fn list_articles(&self, filter: &ArticleFilter) -> Result<Vec<Article>> {
        let (text, params) = list(filter);
        all(bound(&text, params), &self.pool, |r| records::article(r, 0)).await
    }

    async fn articles_changed_since(&self, seq: u64, limit: u32) -> Result<Vec<(u64, Article)>> {
        let q = sql(CHANGED_SINCE).bind(seq as i64).bind(i64::from(limit));
        all(q, &self.pool, |r| {
            Ok((records::count_at(r, 0)?, records::article(r, 1)?))
        })
        .await
    }

    async fn kb_seq(&self) -> Result<u64> {
        let seq = one(sql(SEQ), &self.pool, |r| records::count_at(r, 0)).await?;
        Ok(seq.unwrap_or(0))
    }

    async fn mark_article(&self, id: i64, m: ArticleMark) -> Result<()> {
        found(exec(sql(&mark(m)).bind(id), &self.pool).await?)
    }

    async fn synonyms(&self) -> Result<Option<Synonyms>> {
        let text = one(sql(SYNONYMS), &self.pool, records::text).await?;
        text.map(|t| synonyms_from(&t)).transpose()
    }

    async fn put_synonyms(&self, synonyms: &Synonyms, audit: AuditRecord) -> Result<()> {
        let text = serde_json::to_string(synonyms)?;
        let mut tx = self.begin().await?;
        exec(sql(PUT_SYNONYMS).bind(text), &mut *tx).await?;
        append_audit_tx(&mut tx, audit).await?;
        Ok(tx.commit().await?)
    }
}
