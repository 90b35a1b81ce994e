//! The knowledge base on PostgreSQL. Writes that take a change sequence number hold
//! a transaction-level advisory lock, so numbers are committed in the order they are
//! taken and a follower reading `seq > n` never skips one that commits late.

use async_trait::async_trait;
use hotline_domain::audit::AuditRecord;
use hotline_domain::kb::{Article, ArticleVersion, Synonyms};
use sqlx::{Postgres, Row, Transaction};

use super::{PgStore, append_audit_tx, backend, pg_err, sql};
use crate::kb::*;
use crate::{Result, StoreError};

/// Serialises article writes between servers.
const KB_LOCK: i64 = 12_345_000_003;

async fn lock_kb(tx: &mut Transaction<'static, Postgres>) -> Result<()> {
    super::xact_lock(tx, KB_LOCK).await
}

async fn insert_version(
    tx: &mut Transaction<'static, Postgres>,
    id: i64,
    a: &Article,
    note: &VersionNote,
) -> Result<()> {
    let v = version_row(a, note)?;
    sql(INSERT_VERSION)
        .bind(id)
        .bind(v.version)
        .bind(v.at)
        .bind(v.by)
        .bind(v.change)
        .bind(v.fields)
        .bind(v.status)
        .bind(v.content)
        .execute(&mut **tx)
        .await
        .map_err(pg_err)?;
    Ok(())
}

fn decode(r: &sqlx::postgres::PgRow, at: usize) -> Result<Article> {
    let doc: String = r.try_get(at).map_err(pg_err)?;
    let uses: i64 = r.try_get(at + 1).map_err(pg_err)?;
    let helpful: i64 = r.try_get(at + 2).map_err(pg_err)?;
    let not_helpful: i64 = r.try_get(at + 3).map_err(pg_err)?;
    article_from(&doc, uses, helpful, not_helpful)
}

#[async_trait]
impl KbStore for PgStore {
    async fn create_article(&self, article: Article, audit: AuditRecord) -> Result<Article> {
        let mut tx = self.begin().await?;
        lock_kb(&mut tx).await?;
        let mut a = article;
        a.version = 1;
        let row = sql(INSERT_ARTICLE)
            .bind(a.hotline.as_str().to_owned())
            .bind(a.status.as_str())
            .bind(a.content.category.clone())
            .bind(a.content.title.clone())
            .bind(a.pinned)
            .bind(1_i64)
            .bind("{}")
            .fetch_one(&mut *tx)
            .await
            .map_err(pg_err)?;
        a.id = row.try_get(0).map_err(pg_err)?;
        sql(SET_DOC)
            .bind(doc_of(&a)?)
            .bind(a.id)
            .execute(&mut *tx)
            .await
            .map_err(pg_err)?;
        let note = VersionNote {
            change: "created".into(),
            fields: Vec::new(),
        };
        insert_version(&mut tx, a.id, &a, &note).await?;
        let mut audit = audit;
        audit.object = Some(format!("article:{}", a.id));
        append_audit_tx(&mut tx, audit).await?;
        tx.commit().await.map_err(pg_err)?;
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
        lock_kb(&mut tx).await?;
        let changed = sql(UPDATE_ARTICLE)
            .bind(a.status.as_str())
            .bind(a.content.category.clone())
            .bind(a.content.title.clone())
            .bind(a.pinned)
            .bind(i64::from(a.version))
            .bind(doc_of(a)?)
            .bind(a.id)
            .bind(i64::from(a.version) - 1)
            .execute(&mut *tx)
            .await
            .map_err(pg_err)?
            .rows_affected();
        if changed == 0 {
            return Err(StoreError::VersionConflict);
        }
        insert_version(&mut tx, a.id, a, &note).await?;
        append_audit_tx(&mut tx, audit).await?;
        tx.commit().await.map_err(pg_err)
    }

    async fn article(&self, id: i64) -> Result<Option<Article>> {
        let row = sql(&format!(
            "SELECT {ARTICLE_COLUMNS} FROM kb_articles WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(pg_err)?;
        row.map(|r| decode(&r, 0)).transpose()
    }

    async fn article_versions(&self, id: i64) -> Result<Vec<ArticleVersion>> {
        let rows = sql(VERSIONS)
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .map_err(pg_err)?;
        rows.iter()
            .map(|r| {
                let text = |i| r.try_get::<String, _>(i).map_err(pg_err);
                version_from(
                    r.try_get(0).map_err(pg_err)?,
                    r.try_get(1).map_err(pg_err)?,
                    &text(2)?,
                    text(3)?,
                    text(4)?,
                    &text(5)?,
                    &text(6)?,
                    &text(7)?,
                )
            })
            .collect()
    }

    async fn list_articles(&self, filter: &ArticleFilter) -> Result<Vec<Article>> {
        let (text, params) = list_sql(filter);
        let rows = super::bound(&text, params)
            .fetch_all(&self.pool)
            .await
            .map_err(pg_err)?;
        rows.iter().map(|r| decode(r, 0)).collect()
    }

    async fn articles_changed_since(&self, seq: u64, limit: u32) -> Result<Vec<(u64, Article)>> {
        let rows = sql(&format!(
            "SELECT seq, {ARTICLE_COLUMNS} FROM kb_articles WHERE seq > ? ORDER BY seq LIMIT ?"
        ))
        .bind(seq as i64)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(pg_err)?;
        rows.iter()
            .map(|r| {
                let seq: i64 = r.try_get(0).map_err(pg_err)?;
                Ok((seq as u64, decode(r, 1)?))
            })
            .collect()
    }

    async fn kb_seq(&self) -> Result<u64> {
        let row = sqlx::query("SELECT COALESCE(MAX(seq), 0)::BIGINT FROM kb_articles")
            .fetch_one(&self.pool)
            .await
            .map_err(pg_err)?;
        let seq: i64 = row.try_get(0).map_err(pg_err)?;
        Ok(seq as u64)
    }

    async fn mark_article(&self, id: i64, mark: ArticleMark) -> Result<()> {
        let column = mark.column();
        let n = sql(&format!(
            "UPDATE kb_articles SET {column} = {column} + 1 WHERE id = ?"
        ))
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(pg_err)?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn synonyms(&self) -> Result<Option<Synonyms>> {
        let row = sqlx::query(SYNONYMS)
            .fetch_optional(&self.pool)
            .await
            .map_err(pg_err)?;
        row.map(|r| {
            let text: String = r.try_get(0).map_err(pg_err)?;
            synonyms_from(&text)
        })
        .transpose()
    }

    async fn put_synonyms(&self, synonyms: &Synonyms, audit: AuditRecord) -> Result<()> {
        let text = serde_json::to_string(synonyms).map_err(backend)?;
        let mut tx = self.begin().await?;
        sql(PUT_SYNONYMS)
            .bind(text)
            .execute(&mut *tx)
            .await
            .map_err(pg_err)?;
        append_audit_tx(&mut tx, audit).await?;
        tx.commit().await.map_err(pg_err)
    }
}
