//! Storage for the knowledge base: the [`KbStore`] trait both backends implement, and
//! the rows they write.
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

pub(crate) fn doc_of(a: &Article) -> Result<String> {
    Ok(serde_json::to_string(a)?)
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
        fields: serde_json::to_string(&note.fields)?,
        status: a.status.as_str(),
        content: serde_json::to_string(&a.content)?,
    })
}

pub(crate) fn synonyms_from(text: &str) -> Result<Synonyms> {
    serde_json::from_str(text).map_err(|e| StoreError::Backend(format!("synonyms: {e}")))
}
