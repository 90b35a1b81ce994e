//! The knowledge base on SQLite: writes through the writer thread, reads beside it.

use async_trait::async_trait;
use hotline_domain::audit::{AuditRecord, article_object};
use hotline_domain::kb::{Article, ArticleVersion, Synonyms};
use rusqlite::{Connection, params};

use super::audit::append_audit_tx;
use super::{SqliteStore, all, bind, exec, one};
use crate::kb::*;
use crate::sql::kb::*;
use crate::{Result, StoreError, found, records};

fn insert_version(c: &Connection, id: i64, a: &Article, note: &VersionNote) -> Result<()> {
    let v = version_row(a, note)?;
    let p = params![
        id, v.version, v.at, v.by, v.change, v.fields, v.status, v.content
    ];
    exec(c, INSERT_VERSION, p).map(drop)
}

#[async_trait]
impl KbStore for SqliteStore {
    async fn create_article(&self, article: Article, audit: AuditRecord) -> Result<Article> {
        self.write(move |c| {
            let mut a = article;
            a.version = 1;
            let p = params![
                a.hotline.as_str(),
                a.status.as_str(),
                a.content.category,
                a.content.title,
                a.pinned,
                1,
                "{}"
            ];
            let id = one(c, INSERT_ARTICLE, p, |r| records::number(r))?;
            a.id = id.ok_or(StoreError::NotFound)?;
            exec(c, SET_DOC, params![doc_of(&a)?, a.id])?;
            let note = VersionNote {
                change: "created".into(),
                fields: Vec::new(),
            };
            insert_version(c, a.id, &a, &note)?;
            let mut audit = audit;
            audit.object = Some(article_object(a.id));
            append_audit_tx(c, audit)?;
            Ok(a)
        })
        .await
    }

    async fn update_article(
        &self,
        article: &Article,
        note: VersionNote,
        audit: AuditRecord,
    ) -> Result<()> {
        let a = article.clone();
        self.write(move |c| {
            let p = params![
                a.status.as_str(),
                a.content.category,
                a.content.title,
                a.pinned,
                i64::from(a.version),
                doc_of(&a)?,
                a.id,
                i64::from(a.version) - 1
            ];
            if exec(c, UPDATE_ARTICLE, p)? == 0 {
                return Err(StoreError::VersionConflict);
            }
            insert_version(c, a.id, &a, &note)?;
            append_audit_tx(c, audit)
        })
        .await
    }

    async fn article(&self, id: i64) -> Result<Option<Article>> {
        self.read_now(|c| one(c, ARTICLE, [id], |r| records::article(r, 0)))
    }

    async fn article_versions(&self, id: i64) -> Result<Vec<ArticleVersion>> {
        self.read(move |c| all(c, VERSIONS, [id], |r| records::article_version(r)))
            .await
    }

    async fn list_articles(&self, filter: &ArticleFilter) -> Result<Vec<Article>> {
        let (sql, params) = list(filter);
        self.read(move |c| {
            all(c, &sql, bind(&params).as_slice(), |r| {
                records::article(r, 0)
            })
        })
        .await
    }

    async fn articles_changed_since(&self, seq: u64, limit: u32) -> Result<Vec<(u64, Article)>> {
        self.read(move |c| {
            all(
                c,
                CHANGED_SINCE,
                params![seq as i64, i64::from(limit)],
                |r| Ok((records::count_at(r, 0)?, records::article(r, 1)?)),
            )
        })
        .await
    }

    async fn kb_seq(&self) -> Result<u64> {
        self.read_now(|c| Ok(one(c, SEQ, [], |r| records::count_at(r, 0))?.unwrap_or(0)))
    }

    async fn mark_article(&self, id: i64, m: ArticleMark) -> Result<()> {
        let sql = mark(m);
        self.write(move |c| found(exec(c, &sql, [id])?)).await
    }

    async fn synonyms(&self) -> Result<Option<Synonyms>> {
        self.read_now(|c| {
            let text = one(c, SYNONYMS, [], |r| records::text(r))?;
            text.map(|t| synonyms_from(&t)).transpose()
        })
    }

    async fn put_synonyms(&self, synonyms: &Synonyms, audit: AuditRecord) -> Result<()> {
        let text = serde_json::to_string(synonyms)?;
        self.write(move |c| {
            exec(c, PUT_SYNONYMS, [text])?;
            append_audit_tx(c, audit)
        })
        .await
    }
}
