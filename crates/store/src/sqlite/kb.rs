//! The knowledge base on SQLite: writes through the writer thread, reads beside it.

use async_trait::async_trait;
use hotline_domain::audit::AuditRecord;
use hotline_domain::kb::{Article, ArticleVersion, Synonyms};
use rusqlite::{Connection, OptionalExtension, params};

use super::{SqliteStore, append_audit_tx, backend, bind, sql_err};
use crate::kb::*;
use crate::{Result, StoreError};

fn insert_version(c: &Connection, id: i64, a: &Article, note: &VersionNote) -> Result<()> {
    let v = version_row(a, note)?;
    c.prepare_cached(INSERT_VERSION)
        .and_then(|mut s| {
            s.execute(params![
                id, v.version, v.at, v.by, v.change, v.fields, v.status, v.content
            ])
        })
        .map_err(sql_err)?;
    Ok(())
}

fn read_article(c: &Connection, id: i64) -> Result<Option<Article>> {
    let row: Option<(String, i64, i64, i64)> = c
        .prepare_cached(&format!(
            "SELECT {ARTICLE_COLUMNS} FROM kb_articles WHERE id = ?"
        ))
        .and_then(|mut s| {
            s.query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .optional()
        })
        .map_err(sql_err)?;
    row.map(|(d, u, h, n)| article_from(&d, u, h, n))
        .transpose()
}

#[async_trait]
impl KbStore for SqliteStore {
    async fn create_article(&self, article: Article, audit: AuditRecord) -> Result<Article> {
        self.write(move |c| {
            let mut a = article;
            a.version = 1;
            let id: i64 = c
                .prepare_cached(INSERT_ARTICLE)
                .and_then(|mut s| {
                    s.query_row(
                        params![
                            a.hotline.as_str(),
                            a.status.as_str(),
                            a.content.category,
                            a.content.title,
                            a.pinned,
                            1,
                            "{}"
                        ],
                        |r| r.get(0),
                    )
                })
                .map_err(sql_err)?;
            a.id = id;
            let doc = doc_of(&a)?;
            c.prepare_cached(SET_DOC)
                .and_then(|mut s| s.execute(params![doc, id]))
                .map_err(sql_err)?;
            let note = VersionNote {
                change: "created".into(),
                fields: Vec::new(),
            };
            insert_version(c, id, &a, &note)?;
            let mut audit = audit;
            audit.object = Some(format!("article:{id}"));
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
            let doc = doc_of(&a)?;
            let changed = c
                .prepare_cached(UPDATE_ARTICLE)
                .and_then(|mut s| {
                    s.execute(params![
                        a.status.as_str(),
                        a.content.category,
                        a.content.title,
                        a.pinned,
                        i64::from(a.version),
                        doc,
                        a.id,
                        i64::from(a.version) - 1
                    ])
                })
                .map_err(sql_err)?;
            if changed == 0 {
                return Err(StoreError::VersionConflict);
            }
            insert_version(c, a.id, &a, &note)?;
            append_audit_tx(c, audit)
        })
        .await
    }

    async fn article(&self, id: i64) -> Result<Option<Article>> {
        self.read_now(|c| read_article(c, id))
    }

    async fn article_versions(&self, id: i64) -> Result<Vec<ArticleVersion>> {
        self.read(move |c| {
            let mut s = c.prepare_cached(VERSIONS).map_err(sql_err)?;
            let rows = s
                .query_map([id], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, String>(7)?,
                    ))
                })
                .map_err(sql_err)?;
            rows.map(|r| {
                let (id, v, at, by, change, fields, status, content) = r.map_err(sql_err)?;
                version_from(id, v, &at, by, change, &fields, &status, &content)
            })
            .collect()
        })
        .await
    }

    async fn list_articles(&self, filter: &ArticleFilter) -> Result<Vec<Article>> {
        let (sql, params) = list_sql(filter);
        self.read(move |c| {
            let mut s = c.prepare_cached(&sql).map_err(sql_err)?;
            let rows = s
                .query_map(bind(&params).as_slice(), |r| {
                    Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .map_err(sql_err)?;
            rows.map(|r| {
                let (d, u, h, n) = r.map_err(sql_err)?;
                article_from(&d, u, h, n)
            })
            .collect()
        })
        .await
    }

    async fn articles_changed_since(&self, seq: u64, limit: u32) -> Result<Vec<(u64, Article)>> {
        self.read(move |c| {
            let mut s = c
                .prepare_cached(&format!(
                    "SELECT seq, {ARTICLE_COLUMNS} FROM kb_articles WHERE seq > ? ORDER BY seq LIMIT ?"
                ))
                .map_err(sql_err)?;
            let rows = s
                .query_map(params![seq as i64, i64::from(limit)], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                    ))
                })
                .map_err(sql_err)?;
            rows.map(|r| {
                let (seq, d, u, h, n) = r.map_err(sql_err)?;
                Ok((seq as u64, article_from(&d, u, h, n)?))
            })
            .collect()
        })
        .await
    }

    async fn kb_seq(&self) -> Result<u64> {
        self.read_now(|c| {
            c.query_row("SELECT COALESCE(MAX(seq), 0) FROM kb_articles", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|s| s as u64)
            .map_err(sql_err)
        })
    }

    async fn mark_article(&self, id: i64, mark: ArticleMark) -> Result<()> {
        let column = mark.column();
        self.write(move |c| {
            let n = c
                .execute(
                    &format!("UPDATE kb_articles SET {column} = {column} + 1 WHERE id = ?"),
                    [id],
                )
                .map_err(sql_err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }

    async fn synonyms(&self) -> Result<Option<Synonyms>> {
        self.read_now(|c| {
            let text: Option<String> = c
                .query_row(SYNONYMS, [], |r| r.get(0))
                .optional()
                .map_err(sql_err)?;
            text.map(|t| synonyms_from(&t)).transpose()
        })
    }

    async fn put_synonyms(&self, synonyms: &Synonyms, audit: AuditRecord) -> Result<()> {
        let text = serde_json::to_string(synonyms).map_err(backend)?;
        self.write(move |c| {
            c.execute(PUT_SYNONYMS, [text]).map_err(sql_err)?;
            append_audit_tx(c, audit)
        })
        .await
    }
}
