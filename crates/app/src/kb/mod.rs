//! The knowledge base: articles, their workflow and versions, and Chinese search.
//!
//! Articles belong to a hotline. Its knowledge editors write and submit them, its
//! supervisors and admins publish, withdraw and pin them; everyone at the console
//! reads the published articles that apply to their region. The search index is
//! derived from the database and follows its article change sequence
//! ([`KbSearch::sync`]): after each change made here at once, and every few seconds
//! for changes made by other servers. The HTTP routes are in [`api`], import and
//! export in [`io`], the console's pages in `crate::web`.

pub mod api;
pub mod io;

use chrono::NaiveDate;
use hotline_domain::kb::{
    Article, ArticleContent, ArticleStatus, ArticleVersion, KbAction, KbActor, KbError, Material,
    SourcePolicy, Synonyms, kb_apply, new_article_status,
};
use hotline_domain::{Capability, RegionCode, UnitCode};
use hotline_search::{Hit, KbIndex, SearchQuery};
use hotline_store::kb::{ArticleFilter, ArticleMark, VersionNote};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use crate::AppState;
use crate::access::{Org, Viewer};
use crate::audit::{self, ClientAddr};
use crate::error::{ApiError, ApiResult};

/// The search index and what keeps it in step with the database.
pub struct KbSearch {
    index: Arc<KbIndex>,
    syncing: tokio::sync::Mutex<()>,
}

impl KbSearch {
    pub fn new(index: KbIndex) -> Self {
        KbSearch {
            index: Arc::new(index),
            syncing: tokio::sync::Mutex::new(()),
        }
    }

    pub fn index(&self) -> &KbIndex {
        &self.index
    }

    pub(crate) fn shared_index(&self) -> Arc<KbIndex> {
        self.index.clone()
    }

    /// Applies every article change the index has not seen. An index ahead of the
    /// database (one built from another database) is rebuilt from scratch.
    pub async fn sync(&self, state: &AppState) -> ApiResult<u64> {
        let _one_at_a_time = self.syncing.lock().await;
        let store = state.store();
        let mut seen = self.index.synced_seq();
        if seen > store.kb_seq().await? {
            seen = 0;
            let index = self.index.clone();
            blocking(move || index.rebuild(&[], 0)).await?;
        }
        loop {
            let changes = store.articles_changed_since(seen, 500).await?;
            let Some((last, _)) = changes.last() else {
                return Ok(seen);
            };
            seen = *last;
            let articles: Vec<Article> = changes.into_iter().map(|(_, a)| a).collect();
            let index = self.index.clone();
            blocking(move || index.apply(&articles, seen)).await?;
        }
    }

    /// Drops the index and builds it again from the database.
    pub async fn reindex(&self, state: &AppState) -> ApiResult<u64> {
        {
            let _one_at_a_time = self.syncing.lock().await;
            let index = self.index.clone();
            blocking(move || index.rebuild(&[], 0)).await?;
        }
        self.sync(state).await
    }
}

/// Runs index work on the blocking pool, its errors in the API's words.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> hotline_search::Result<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| ApiError::internal(e.to_string()))
}

/// The hotline a user works for in the knowledge base (any role at a hotline).
fn kb_hotline<'a>(org: &Org, v: &'a Viewer) -> Option<&'a UnitCode> {
    let unit = v.user.unit.as_ref()?;
    org.get(unit)
        .is_some_and(|u| u.kind.takes_requests())
        .then_some(unit)
}

/// The region whose articles the viewer reads: their unit's; none (everything)
/// for an installation administrator.
pub fn reading_region(org: &Org, v: &Viewer) -> Option<RegionCode> {
    v.user
        .unit
        .as_ref()
        .and_then(|u| org.get(u))
        .map(|u| u.region.clone())
}

/// The viewer as the knowledge workflow sees them, for an article of `article_hotline`.
pub fn actor_for(org: &Org, v: &Viewer, article_hotline: &UnitCode) -> KbActor {
    let owning_staff = v.is_installation_admin()
        || kb_hotline(org, v).is_some_and(|h| org.is_same_or_above(h, article_hotline));
    KbActor {
        username: v.user.username.clone(),
        roles: v.user.roles.clone(),
        owning_staff,
    }
}

/// Whether the viewer may read this article: its owning hotline's knowledge staff
/// in every state; anyone else only published articles for their region.
fn may_read(org: &Org, v: &Viewer, a: &Article) -> bool {
    let writer = actor_for(org, v, &a.hotline);
    let staff = writer.owning_staff && v.grants(Capability::EditKnowledge);
    staff
        || contributed_by_unit_of(v, a)
        || (a.status == ArticleStatus::Published
            && reading_region(org, v).is_none_or(|r| a.content.applies_to(&r)))
}

/// The article was submitted by the viewer's unit (its handlers follow it).
fn contributed_by_unit_of(v: &Viewer, a: &Article) -> bool {
    a.contribution.as_ref().is_some_and(|c| {
        v.grants(Capability::HandleOrders) && v.user.unit.as_ref() == Some(&c.unit)
    })
}

/// The hotline a handling unit's staff submit answer scripts and policy
/// interpretations to (部门报送): the hotline their unit belongs to.
pub fn contributes_to(org: &Org, v: &Viewer) -> Option<UnitCode> {
    let unit = v.user.unit.as_ref()?;
    let is_unit = org
        .get(unit)
        .is_some_and(|u| !u.kind.takes_requests() && u.active);
    (v.grants(Capability::HandleOrders) && is_unit)
        .then(|| v.home_hotline(org))
        .flatten()
}

fn kb_error(e: KbError) -> ApiError {
    match e {
        KbError::Forbidden => ApiError::forbidden("not allowed for your role or unit"),
        KbError::WrongState(s) => ApiError::conflict(
            "invalid_state",
            format!("not allowed while the article is {s}"),
        ),
        KbError::Invalid(p) => ApiError::invalid(p.field, p.problem),
    }
}

/// An article as the API writes it.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ArticleInput {
    pub(crate) title: String,
    pub(crate) question: String,
    pub(crate) answer: String,
    pub(crate) category: String,
    #[serde(default)]
    pub(crate) material: Option<Material>,
    #[serde(default)]
    pub(crate) issuing_unit: Option<String>,
    #[serde(default)]
    pub(crate) source: Option<SourcePolicy>,
    #[serde(default)]
    pub(crate) region: Option<RegionCode>,
    #[serde(default)]
    pub(crate) keywords: Vec<String>,
    #[serde(default)]
    pub(crate) valid_from: Option<NaiveDate>,
    #[serde(default)]
    pub(crate) valid_to: Option<NaiveDate>,
    #[serde(default)]
    pub(crate) urgent: bool,
}

impl ArticleInput {
    /// An input that writes exactly this content (imports).
    pub fn from_content(c: ArticleContent) -> Self {
        ArticleInput {
            title: c.title,
            question: c.question,
            answer: c.answer,
            category: c.category,
            material: Some(c.material),
            issuing_unit: c.issuing_unit,
            source: c.source,
            region: c.region,
            keywords: c.keywords,
            valid_from: c.valid_from,
            valid_to: c.valid_to,
            urgent: false,
        }
    }

    /// What must be unique: (category, title).
    pub fn key(&self) -> (String, String) {
        (
            self.category.trim().to_owned(),
            self.title.trim().to_owned(),
        )
    }

    /// The content it writes (the urgent flag only matters at creation).
    pub fn into_content(self) -> ArticleContent {
        self.content().0
    }

    fn content(self) -> (ArticleContent, bool) {
        let trim = |s: String| s.trim().to_owned();
        let urgent = self.urgent;
        let content = ArticleContent {
            title: trim(self.title),
            question: trim(self.question),
            answer: trim(self.answer),
            category: trim(self.category),
            material: self.material.unwrap_or(if urgent {
                Material::Script
            } else {
                Material::Faq
            }),
            issuing_unit: self.issuing_unit.map(trim).filter(|s| !s.is_empty()),
            source: self.source,
            region: self.region,
            keywords: self
                .keywords
                .into_iter()
                .map(trim)
                .filter(|k| !k.is_empty())
                .collect(),
            valid_from: self.valid_from,
            valid_to: self.valid_to,
        };
        (content, urgent)
    }
}

/// Creates an article for the viewer's hotline: a draft, or (urgent, by a
/// publisher) published and pinned at once.
pub async fn create_article(
    state: &AppState,
    v: &Viewer,
    addr: &ClientAddr,
    input: ArticleInput,
) -> ApiResult<Article> {
    let (article, record) = prepare_article(state, v, addr, input).await?;
    let article = state.store().create_article(article, record).await?;
    state.kb().sync(state).await?;
    Ok(article)
}

/// A new article of the viewer's hotline and its audit record, checked, not stored.
pub async fn prepare_article(
    state: &AppState,
    v: &Viewer,
    addr: &ClientAddr,
    input: ArticleInput,
) -> ApiResult<(Article, hotline_domain::audit::AuditRecord)> {
    let org = state.org().await?;
    if kb_hotline(&org, v).is_none()
        && let Some(hotline) = contributes_to(&org, v)
    {
        return prepare_contribution(state, v, addr, hotline, input);
    }
    let hotline = kb_hotline(&org, v)
        .cloned()
        .ok_or_else(|| ApiError::forbidden("only staff of a hotline write articles"))?;
    let (content, urgent) = input.content();
    let status = new_article_status(&actor_for(&org, v, &hotline), urgent).map_err(kb_error)?;
    content
        .check()
        .map_err(|p| ApiError::invalid(p.field, p.problem))?;
    let now = state.now();
    let published = status == ArticleStatus::Published;
    let article = Article {
        id: 0,
        hotline,
        status,
        urgent,
        pinned: urgent,
        version: 1,
        content,
        created_by: v.user.username.clone(),
        updated_by: v.user.username.clone(),
        updated_at: now,
        published_at: published.then_some(now),
        uses: 0,
        helpful: 0,
        not_helpful: 0,
        contribution: None,
    };
    let action = if urgent {
        "kb.urgent_publish"
    } else {
        "kb.create"
    };
    let detail = serde_json::json!({"title": article.content.title, "status": status.as_str(), "pinned": urgent});
    let record = audit::by(v, addr, state, action, None, detail);
    Ok((article, record))
}

/// A handling unit's submission to its hotline (部门报送): an answer script or a policy
/// interpretation (with the policy's date), in review at once; an urgent one waits on
/// the hotline supervisors' page to be published with one click, pinned.
fn prepare_contribution(
    state: &AppState,
    v: &Viewer,
    addr: &ClientAddr,
    hotline: UnitCode,
    input: ArticleInput,
) -> ApiResult<(Article, hotline_domain::audit::AuditRecord)> {
    let unit = v.user.unit.clone().ok_or_else(ApiError::not_found)?;
    let given = input.material;
    let (content, urgent) = input.content();
    if !given.is_some_and(hotline_domain::kb::contributable) {
        return Err(ApiError::invalid(
            "material",
            "a unit submits an answer script (script) or a policy interpretation (interpretation)",
        ));
    }
    let dated = content.source.as_ref().and_then(|s| s.date).is_some();
    if content.material == Material::Interpretation && !dated {
        return Err(ApiError::invalid(
            "source.date",
            "a policy interpretation gives the policy's date (source.date)",
        ));
    }
    content
        .check()
        .map_err(|p| ApiError::invalid(p.field, p.problem))?;
    let now = state.now();
    let article = Article {
        id: 0,
        hotline,
        status: ArticleStatus::InReview,
        urgent,
        pinned: false,
        version: 1,
        content,
        created_by: v.user.username.clone(),
        updated_by: v.user.username.clone(),
        updated_at: now,
        published_at: None,
        uses: 0,
        helpful: 0,
        not_helpful: 0,
        contribution: Some(hotline_domain::kb::Contribution {
            unit: unit.clone(),
            by: v.user.username.clone(),
            urgent,
        }),
    };
    let detail = serde_json::json!({"title": article.content.title, "unit": unit, "urgent": urgent, "material": article.content.material});
    let record = audit::by(v, addr, state, "kb.contribute", None, detail);
    Ok((article, record))
}

/// What waits for the viewer's hotline from its units (部门报送), for its knowledge
/// staff: submissions in review, urgent ones first; and the policy interpretations
/// not yet published whose policy takes effect within `days` (the reminder).
pub async fn contributions_for(
    state: &AppState,
    v: &Viewer,
    days: u64,
) -> ApiResult<Contributions> {
    let org = state.org().await?;
    let unpublished = unpublished_for(state, v).await?;
    Ok(contributions_among(
        &org,
        v,
        state.today(),
        days,
        &unpublished,
    ))
}

/// The articles in review and the drafts the viewer may read, at most 500 of each,
/// newest first: `(in review, drafts)`.
pub async fn unpublished_for(
    state: &AppState,
    v: &Viewer,
) -> ApiResult<(Vec<Article>, Vec<Article>)> {
    let status = |s| list_for(state, v, Some(s), false, None, 500);
    Ok((
        status(ArticleStatus::InReview).await?,
        status(ArticleStatus::Draft).await?,
    ))
}

/// [`contributions_for`] among articles already read by [`unpublished_for`].
pub fn contributions_among(
    org: &Org,
    v: &Viewer,
    today: NaiveDate,
    days: u64,
    (in_review, drafts): &(Vec<Article>, Vec<Article>),
) -> Contributions {
    let own_unit = contributes_to(org, v).is_some();
    let mut waiting = Vec::new();
    let mut reminders = Vec::new();
    for a in in_review.iter().chain(drafts) {
        if let Some(release) = a.release_due(today, days) {
            reminders.push(ContributionLine::of(a, Some(release)));
        }
        let submitted = a.contribution.is_some() && a.status == ArticleStatus::InReview;
        if submitted && (own_unit || actor_for(org, v, &a.hotline).owning_staff) {
            waiting.push(ContributionLine::of(a, None));
        }
    }
    waiting.sort_by_key(|l| (!l.urgent, -l.id));
    reminders.sort_by_key(|l| l.release);
    Contributions { waiting, reminders }
}

/// `GET /api/v1/kb/contributions`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Contributions {
    /// Submissions waiting for review, urgent first.
    pub waiting: Vec<ContributionLine>,
    /// Policy interpretations not yet published, their policy taking effect soon.
    pub reminders: Vec<ContributionLine>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ContributionLine {
    pub id: i64,
    pub title: String,
    #[schema(value_type = String)]
    pub material: Material,
    pub status: String,
    pub urgent: bool,
    /// The unit that submitted it, if a unit did.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub unit: Option<UnitCode>,
    /// The policy's date, for a reminder.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date)]
    pub release: Option<NaiveDate>,
}

impl ContributionLine {
    fn of(a: &Article, release: Option<NaiveDate>) -> Self {
        ContributionLine {
            id: a.id,
            title: a.content.title.clone(),
            material: a.content.material,
            status: a.status.as_str().to_owned(),
            urgent: a.contribution.as_ref().is_some_and(|c| c.urgent),
            unit: a.contribution.as_ref().map(|c| c.unit.clone()),
            release,
        }
    }
}

/// The article the viewer may act on or read, or 404.
async fn visible_article(state: &AppState, v: &Viewer, id: &str) -> ApiResult<(Arc<Org>, Article)> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found())?;
    let org = state.org().await?;
    let a = state
        .store()
        .article(id)
        .await?
        .filter(|a| may_read(&org, v, a))
        .ok_or_else(ApiError::not_found)?;
    Ok((org, a))
}

/// An article the viewer may read, or 404.
pub async fn read_article(state: &AppState, v: &Viewer, id: &str) -> ApiResult<Article> {
    Ok(visible_article(state, v, id).await?.1)
}

/// The workflow action of a URL segment.
pub fn workflow_action(name: &str) -> Option<KbAction> {
    match name {
        "submit" => Some(KbAction::Submit),
        "publish" => Some(KbAction::Publish),
        "withdraw" => Some(KbAction::Withdraw),
        "unpin" => Some(KbAction::Unpin),
        _ => None,
    }
}

/// An operator's "helpful / not helpful" on an article they can read.
pub async fn give_feedback(state: &AppState, v: &Viewer, id: &str, helpful: bool) -> ApiResult<()> {
    let (_, a) = visible_article(state, v, id).await?;
    if a.status != ArticleStatus::Published {
        return Err(ApiError::conflict(
            "invalid_state",
            "only a published article takes feedback",
        ));
    }
    let mark = if helpful {
        ArticleMark::Helpful
    } else {
        ArticleMark::NotHelpful
    };
    Ok(state.store().mark_article(a.id, mark).await?)
}

/// Applies a workflow action and stores the new version.
pub async fn change_article(
    state: &AppState,
    v: &Viewer,
    addr: &ClientAddr,
    id: &str,
    action: KbAction,
) -> ApiResult<Article> {
    let (org, current) = visible_article(state, v, id).await?;
    let next = kb_apply(
        &current,
        &action,
        &actor_for(&org, v, &current.hotline),
        state.now(),
    )
    .map_err(kb_error)?;
    let fields = next
        .content
        .changed_fields(&current.content)
        .into_iter()
        .map(str::to_owned)
        .collect();
    let change = action.change();
    let note = VersionNote {
        change: change.to_owned(),
        fields,
    };
    let detail = serde_json::json!({"from": current.status.as_str(), "to": next.status.as_str(), "version": next.version});
    let record = audit::by(
        v,
        addr,
        state,
        &format!("kb.{change}"),
        Some(format!("article:{}", next.id)),
        detail,
    );
    state.store().update_article(&next, note, record).await?;
    state.kb().sync(state).await?;
    Ok(next)
}

/// Every stored article (of a status), read a page at a time, newest first.
pub async fn all_articles(
    state: &AppState,
    status: Option<ArticleStatus>,
) -> ApiResult<Vec<Article>> {
    let mut out = Vec::new();
    let mut before = None;
    loop {
        let page = state
            .store()
            .list_articles(&ArticleFilter {
                status,
                before_id: before,
                limit: 1000,
                ..Default::default()
            })
            .await?;
        before = page.last().map(|a| a.id);
        let done = page.len() < 1000;
        out.extend(page);
        if done {
            return Ok(out);
        }
    }
}

/// Marks published articles whose validity has ended as expired (the system acts).
pub async fn expire_due(state: &AppState) -> ApiResult<usize> {
    let today = state.today();
    let published = all_articles(state, Some(ArticleStatus::Published)).await?;
    let system = KbActor {
        username: "system".into(),
        roles: Vec::new(),
        owning_staff: false,
    };
    let mut expired = 0;
    for a in published
        .iter()
        .filter(|a| a.content.valid_to.is_some_and(|t| t < today))
    {
        let next = kb_apply(a, &KbAction::Expire, &system, state.now()).map_err(kb_error)?;
        let note = VersionNote {
            change: "expired".into(),
            fields: Vec::new(),
        };
        let record = crate::audit::system(
            state,
            "kb.expired",
            Some(format!("article:{}", a.id)),
            serde_json::json!({"valid_to": a.content.valid_to}),
        );
        state.store().update_article(&next, note, record).await?;
        expired += 1;
    }
    if expired > 0 {
        state.kb().sync(state).await?;
    }
    Ok(expired)
}

/// Published articles the viewer writes for whose validity ends within `days` days:
/// the owners' reminder to renew or let them lapse.
pub async fn expiring_for(state: &AppState, v: &Viewer, days: u32) -> ApiResult<Vec<Article>> {
    let org = state.org().await?;
    let today = state.today();
    let until = today + chrono::Days::new(u64::from(days));
    let published = list_for(
        state,
        v,
        Some(ArticleStatus::Published),
        false,
        None,
        u32::MAX,
    )
    .await?;
    let mut soon: Vec<Article> = published
        .into_iter()
        .filter(|a| actor_for(&org, v, &a.hotline).owning_staff)
        .filter(|a| a.content.valid_to.is_some_and(|t| today <= t && t <= until))
        .collect();
    soon.sort_by_key(|a| a.content.valid_to);
    Ok(soon)
}

/// The articles a viewer may read, newest first.
pub async fn list_for(
    state: &AppState,
    v: &Viewer,
    status: Option<ArticleStatus>,
    pinned: bool,
    before: Option<i64>,
    limit: u32,
) -> ApiResult<Vec<Article>> {
    let org = state.org().await?;
    let mut out = Vec::new();
    let mut before = before;
    // Filtering happens after the read, so read in pages until the page is full.
    loop {
        let page = state
            .store()
            .list_articles(&ArticleFilter {
                status,
                pinned,
                before_id: before,
                limit: 200,
            })
            .await?;
        let done = page.len() < 200;
        before = page.last().map(|a| a.id);
        out.extend(page.into_iter().filter(|a| may_read(&org, v, a)));
        if done || out.len() >= limit as usize {
            break;
        }
    }
    out.truncate(limit as usize);
    Ok(out)
}

/// The version history of an article the viewer may read.
pub async fn versions_for(
    state: &AppState,
    v: &Viewer,
    id: &str,
) -> ApiResult<Vec<ArticleVersion>> {
    let (_, a) = visible_article(state, v, id).await?;
    Ok(state.store().article_versions(a.id).await?)
}

/// Searches the published, currently valid articles of the viewer's region.
pub async fn search_for(
    state: &AppState,
    v: &Viewer,
    text: &str,
    limit: usize,
) -> ApiResult<Vec<Hit>> {
    let org = state.org().await?;
    let region = reading_region(&org, v);
    let synonyms = state.synonyms().await?;
    let day = state.today();
    let text: String = text.chars().take(500).collect();
    let kb = state.kb_handle();
    blocking(move || {
        kb.search(&SearchQuery {
            text: &text,
            region: region.as_ref(),
            day,
            limit,
            synonyms: &synonyms,
        })
    })
    .await
}

/// Urgent scripts pinned for the viewer's region today.
pub async fn pinned_for(state: &AppState, v: &Viewer) -> ApiResult<Vec<Article>> {
    let day = state.today();
    let org = state.org().await?;
    let region = reading_region(&org, v);
    let pinned = list_for(state, v, Some(ArticleStatus::Published), true, None, 20).await?;
    Ok(pinned
        .into_iter()
        .filter(|a| a.pinned_on(day) && region.as_ref().is_none_or(|r| a.content.applies_to(r)))
        .collect())
}

/// Replaces the synonym list (installation administrators).
pub async fn save_synonyms(
    state: &AppState,
    v: &Viewer,
    addr: &ClientAddr,
    text: &str,
) -> ApiResult<Synonyms> {
    if !v.is_installation_admin() {
        return Err(ApiError::forbidden(
            "only an installation administrator edits synonyms",
        ));
    }
    let list = Synonyms::parse(text).map_err(|e| ApiError::invalid("text", e.0))?;
    let detail = serde_json::json!({"groups": list.groups.len()});
    let record = audit::by(
        v,
        addr,
        state,
        "kb.synonyms",
        Some("kb:synonyms".into()),
        detail,
    );
    state.store().put_synonyms(&list, record).await?;
    state.invalidate_caches();
    Ok(list)
}

/// Checks that an article cited by a direct answer is one the operator could have
/// read out: published, valid today, for their region.
pub async fn check_citation(state: &AppState, v: &Viewer, article_id: i64) -> ApiResult<()> {
    let org = state.org().await?;
    let found = state.store().article(article_id).await?;
    let day = state.today();
    match found {
        Some(a) if a.searchable(day) && may_read(&org, v, &a) => Ok(()),
        _ => Err(ApiError::invalid(
            "article_id",
            "no such published article for your region",
        )),
    }
}

/// Counts a use of an article by a direct answer that was recorded.
pub async fn count_use(state: &AppState, article_id: i64) -> ApiResult<()> {
    Ok(state
        .store()
        .mark_article(article_id, ArticleMark::Used)
        .await?)
}

/// The articles the viewer may read as a download, audited (API and console).
pub async fn export_file(
    state: &AppState,
    v: &Viewer,
    addr: &ClientAddr,
    format: crate::kb::io::FileFormat,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let (state, v) = (state.clone(), v.clone());
    // One more than an export holds, so that write_file can tell it is too many.
    let limit = u32::try_from(crate::spreadsheet::MAX_ROWS + 1).unwrap_or(u32::MAX);
    let articles = list_for(&state, &v, None, false, None, limit).await?;
    let bytes = crate::kb::io::write_file(&articles, format)?;
    let detail = serde_json::json!({"articles": articles.len()});
    let record = audit::by(&v, addr, &state, "kb.export", None, detail);
    state.store().append_audit(record).await?;
    let (mime, name) = match format {
        crate::kb::io::FileFormat::Csv => ("text/csv; charset=utf-8", "knowledge.csv"),
        crate::kb::io::FileFormat::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "knowledge.xlsx",
        ),
    };
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, mime.to_owned()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
