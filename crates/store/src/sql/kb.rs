//! The knowledge base.

use crate::kb::{ArticleFilter, ArticleMark};

use super::Param;

pub(crate) const INSERT_ARTICLE: &str = "INSERT INTO kb_articles (hotline, status, category, title, pinned, version, seq, doc) \
     VALUES (?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM kb_articles), ?) RETURNING id";
pub(crate) const SET_DOC: &str = "UPDATE kb_articles SET doc = ? WHERE id = ?";
pub(crate) const UPDATE_ARTICLE: &str = "UPDATE kb_articles SET status = ?, category = ?, title = ?, pinned = ?, version = ?, \
     seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM kb_articles), doc = ? WHERE id = ? AND version = ?";
pub(crate) const INSERT_VERSION: &str = "INSERT INTO kb_versions (article_id, version, at, by_user, change, fields, status, content) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
/// Columns as [`crate::records::article`] reads them.
pub(crate) const ARTICLE: &str =
    "SELECT doc, uses, helpful, not_helpful FROM kb_articles WHERE id = ?";
/// The change number, then the article's columns.
pub(crate) const CHANGED_SINCE: &str = "SELECT seq, doc, uses, helpful, not_helpful \
     FROM kb_articles WHERE seq > ? ORDER BY seq LIMIT ?";
pub(crate) const SEQ: &str = "SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) FROM kb_articles";
/// Columns as [`crate::records::article_version`] reads them.
pub(crate) const VERSIONS: &str = "SELECT article_id, version, at, by_user, change, fields, status, content \
     FROM kb_versions WHERE article_id = ? ORDER BY version";
pub(crate) const SYNONYMS: &str = "SELECT value FROM settings WHERE key = 'kb_synonyms'";
pub(crate) const PUT_SYNONYMS: &str = "INSERT INTO settings (key, value) VALUES ('kb_synonyms', ?) \
     ON CONFLICT (key) DO UPDATE SET value = excluded.value";

/// Counts a mark on an article (its id).
pub(crate) fn mark(mark: ArticleMark) -> String {
    let column = match mark {
        ArticleMark::Used => "uses",
        ArticleMark::Helpful => "helpful",
        ArticleMark::NotHelpful => "not_helpful",
    };
    format!("UPDATE kb_articles SET {column} = {column} + 1 WHERE id = ?")
}

/// The SQL of a list, and its parameters.
pub(crate) fn list(f: &ArticleFilter) -> (String, Vec<Param>) {
    let mut sql =
        String::from("SELECT doc, uses, helpful, not_helpful FROM kb_articles WHERE 1 = 1");
    let mut params = Vec::new();
    if let Some(s) = f.status {
        sql.push_str(" AND status = ?");
        params.push(Param::Text(s.as_str().to_owned()));
    }
    if f.pinned {
        sql.push_str(" AND pinned = TRUE");
    }
    if let Some(id) = f.before_id {
        sql.push_str(" AND id < ?");
        params.push(Param::Int(id));
    }
    sql.push_str(" ORDER BY id DESC LIMIT ?");
    params.push(Param::Int(i64::from(f.limit.clamp(1, 1000))));
    (sql, params)
}
