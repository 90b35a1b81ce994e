//! Storage for the knowledge base: the [`KbStore`] trait both backends implement, and
//! the SQL they share.
//!
//! Every write to an article takes the next number of the article change sequence
//! (`seq`), in the same transaction, with writes serialised (the SQLite writer; an
//! advisory lock on PostgreSQL), so a search index that has applied every change up
//! to `n` only ever needs the changes after `n`.

use async_trait::async_trait;
use hotline_domain::audit::AuditRecord;
use hotline_domain::kb::{Article, ArticleStatus, ArticleVersion, Synonyms};

use crate::{Result, StoreError};

/// A count kept on an article without making a new version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArticleMark {
    /// An operator answered a call citing the article.
    Used,
    Helpful,
    NotHelpful,
}

impl ArticleMark {
    pub(crate) fn column(self) -> &'static str {
        match self {
            ArticleMark::Used => "uses",
            ArticleMark::Helpful => "helpful",
            ArticleMark::NotHelpful => "not_helpful",
        }
    }
}

/// Which articles a list wants, newest first.
#[derive(Debug, Clone, Default)]
pub struct ArticleFilter {
    pub status: Option<ArticleStatus>,
    pub pinned: bool,
    pub before_id: Option<i64>,
    pub limit: u32,
}

/// What a new version records besides the article itself.
#[derive(Debug, Clone)]
pub struct VersionNote {
    pub change: String,
    pub fields: Vec<String>,
}

#[async_trait]
pub trait KbStore: Send + Sync {
    /// Stores a new article as version 1 (its id is assigned here).
    async fn create_article(&self, article: Article, audit: AuditRecord) -> Result<Article>;
    /// Stores `article` as its next version, if the stored one is still the version
    /// before it ([`StoreError::VersionConflict`] otherwise).
    async fn update_article(
        &self,
        article: &Article,
        note: VersionNote,
        audit: AuditRecord,
    ) -> Result<()>;
    async fn article(&self, id: i64) -> Result<Option<Article>>;
    /// Every version, oldest first.
    async fn article_versions(&self, id: i64) -> Result<Vec<ArticleVersion>>;
    async fn list_articles(&self, filter: &ArticleFilter) -> Result<Vec<Article>>;
    /// Articles written after change `seq`, in change order, with their sequence numbers.
    async fn articles_changed_since(&self, seq: u64, limit: u32) -> Result<Vec<(u64, Article)>>;
    /// The latest change sequence number (0 before any article).
    async fn kb_seq(&self) -> Result<u64>;
    async fn mark_article(&self, id: i64, mark: ArticleMark) -> Result<()>;
    async fn synonyms(&self) -> Result<Option<Synonyms>>;
    async fn put_synonyms(&self, synonyms: &Synonyms, audit: AuditRecord) -> Result<()>;
}

pub(crate) const INSERT_ARTICLE: &str = "INSERT INTO kb_articles (hotline, status, category, title, pinned, version, seq, doc) \
     VALUES (?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM kb_articles), ?) RETURNING id";
pub(crate) const SET_DOC: &str = "UPDATE kb_articles SET doc = ? WHERE id = ?";
pub(crate) const UPDATE_ARTICLE: &str = "UPDATE kb_articles SET status = ?, category = ?, title = ?, pinned = ?, version = ?, \
     seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM kb_articles), doc = ? WHERE id = ? AND version = ?";
pub(crate) const INSERT_VERSION: &str = "INSERT INTO kb_versions (article_id, version, at, by_user, change, fields, status, content) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
pub(crate) const ARTICLE_COLUMNS: &str = "doc, uses, helpful, not_helpful";
pub(crate) const VERSIONS: &str = "SELECT article_id, version, at, by_user, change, fields, status, content \
     FROM kb_versions WHERE article_id = ? ORDER BY version";
pub(crate) const SYNONYMS: &str = "SELECT value FROM settings WHERE key = 'kb_synonyms'";
pub(crate) const PUT_SYNONYMS: &str = "INSERT INTO settings (key, value) VALUES ('kb_synonyms', ?) \
     ON CONFLICT (key) DO UPDATE SET value = excluded.value";

/// The SQL of a list, and its parameters (`?` placeholders).
pub(crate) fn list_sql(f: &ArticleFilter) -> (String, Vec<crate::query::Param>) {
    use crate::query::Param;
    let mut sql = format!("SELECT {ARTICLE_COLUMNS} FROM kb_articles WHERE 1 = 1");
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

/// An article from its stored JSON and counters.
pub(crate) fn article_from(
    doc: &str,
    uses: i64,
    helpful: i64,
    not_helpful: i64,
) -> Result<Article> {
    let mut a: Article =
        serde_json::from_str(doc).map_err(|e| StoreError::Backend(format!("article doc: {e}")))?;
    a.uses = uses.max(0) as u64;
    a.helpful = helpful.max(0) as u64;
    a.not_helpful = not_helpful.max(0) as u64;
    Ok(a)
}

pub(crate) fn doc_of(a: &Article) -> Result<String> {
    serde_json::to_string(a).map_err(|e| StoreError::Backend(e.to_string()))
}

/// The version row of an article as it is now.
pub(crate) struct VersionRow {
    pub version: i64,
    pub at: String,
    pub by: String,
    pub change: String,
    pub fields: String,
    pub status: &'static str,
    pub content: String,
}

pub(crate) fn version_row(a: &Article, note: &VersionNote) -> Result<VersionRow> {
    Ok(VersionRow {
        version: i64::from(a.version),
        at: a.updated_at.to_rfc3339(),
        by: a.updated_by.clone(),
        change: note.change.clone(),
        fields: serde_json::to_string(&note.fields)
            .map_err(|e| StoreError::Backend(e.to_string()))?,
        status: a.status.as_str(),
        content: serde_json::to_string(&a.content)
            .map_err(|e| StoreError::Backend(e.to_string()))?,
    })
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn version_from(
    article_id: i64,
    version: i64,
    at: &str,
    by: String,
    change: String,
    fields: &str,
    status: &str,
    content: &str,
) -> Result<ArticleVersion> {
    let bad = |e: String| StoreError::Backend(format!("article version: {e}"));
    Ok(ArticleVersion {
        article_id,
        version: version as u32,
        at: chrono::DateTime::parse_from_rfc3339(at).map_err(|e| bad(e.to_string()))?,
        by,
        change,
        fields: serde_json::from_str(fields).map_err(|e| bad(e.to_string()))?,
        status: ArticleStatus::parse(status).map_err(|e| bad(e.0))?,
        content: serde_json::from_str(content).map_err(|e| bad(e.to_string()))?,
    })
}

pub(crate) fn synonyms_from(text: &str) -> Result<Synonyms> {
    serde_json::from_str(text).map_err(|e| StoreError::Backend(format!("synonyms: {e}")))
}
