//! Knowledge articles (知识条目) and the workflow that publishes them
//! (`docs/policy.md` §9).
//!
//! An article is written by knowledge editors of a hotline, checked and published by
//! a supervisor or admin of that hotline, and read by everyone answering calls in its
//! region. Every edit is a new version; old versions stay readable and can be
//! restored. An urgent answer script (答复口径 for a major or sudden event) skips review
//! and is pinned on the intake screen of its region until unpinned or expired.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::capability::{Capability, any_grants};
use crate::order::{Role, wire_enum};
use crate::values::{InvalidValue, RegionCode, UnitCode};

wire_enum!(
    /// Where an article is in its workflow.
    ArticleStatus { Draft = "draft", InReview = "in_review", Published = "published",
                    Expired = "expired", Withdrawn = "withdrawn" }
);

wire_enum!(
    /// 资料类型 (`docs/policy.md` §9).
    Material { Guide = "guide", Law = "law", Faq = "faq", Daily = "daily",
               Notice = "notice", Instruction = "instruction", Script = "script",
               Interpretation = "interpretation" }
);

/// The policy document an answer rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct SourcePolicy {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// What an editor writes; each version of an article holds one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ArticleContent {
    pub title: String,
    pub question: String,
    /// The answer script operators read out.
    pub answer: String,
    /// Category path, levels separated by `/`: `社会保障/社保卡`.
    pub category: String,
    pub material: Material,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuing_unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourcePolicy>,
    /// The region the article speaks for, with everything under it; none means the
    /// whole province.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<RegionCode>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<NaiveDate>,
}

/// A field of an article that was refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: &'static str,
    pub problem: String,
}

fn problem(field: &'static str, problem: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field,
        problem: problem.into(),
    }
}

fn length(field: &'static str, value: &str, max: usize) -> Result<(), FieldProblem> {
    let n = value.trim().chars().count();
    if n == 0 || n > max {
        return Err(problem(field, format!("must be 1–{max} characters")));
    }
    Ok(())
}

impl ArticleContent {
    /// Whether the content can be stored: lengths, category levels, keywords,
    /// validity window and link.
    pub fn check(&self) -> Result<(), FieldProblem> {
        self.check_text()?;
        length("title", &self.title, 100)?;
        length("question", &self.question, 1000)?;
        length("answer", &self.answer, 20_000)?;
        length("category", &self.category, 100)?;
        let levels: Vec<&str> = self.category.split('/').collect();
        if levels.len() > 3 || levels.iter().any(|l| l.trim().is_empty()) {
            return Err(problem(
                "category",
                "must be 1–3 non-empty levels separated by /",
            ));
        }
        if self.keywords.len() > 20
            || self
                .keywords
                .iter()
                .any(|k| k.trim().is_empty() || k.chars().count() > 20)
        {
            return Err(problem(
                "keywords",
                "at most 20 keywords of 1–20 characters",
            ));
        }
        let dates = [
            ("valid_from", self.valid_from),
            ("valid_to", self.valid_to),
            ("source.date", self.source.as_ref().and_then(|s| s.date)),
        ];
        if let Some((field, _)) = dates
            .iter()
            .find(|(_, d)| d.is_some_and(|d| !crate::calendar::in_years(d)))
        {
            let (first, last) = (crate::calendar::YEARS.start(), crate::calendar::YEARS.end());
            return Err(problem(
                field,
                format!("must lie in the years {first}–{last}"),
            ));
        }
        if let (Some(from), Some(to)) = (self.valid_from, self.valid_to)
            && to < from
        {
            return Err(problem("valid_to", "must not be before valid_from"));
        }
        if let Some(s) = &self.source {
            length("source.title", &s.title, 200)?;
            if s.link
                .as_deref()
                .is_some_and(|l| !(l.starts_with("https://") || l.starts_with("http://")))
            {
                return Err(problem("source.link", "must be an http(s) address"));
            }
        }
        Ok(())
    }

    /// Every text of the article passes the one text rule ([`crate::text`]), however it
    /// arrived (API, console, import, command line).
    fn check_text(&self) -> Result<(), FieldProblem> {
        let source = self.source.as_ref();
        let texts = [
            ("title", Some(self.title.as_str())),
            ("question", Some(self.question.as_str())),
            ("answer", Some(self.answer.as_str())),
            ("category", Some(self.category.as_str())),
            ("issuing_unit", self.issuing_unit.as_deref()),
            ("source.title", source.map(|s| s.title.as_str())),
            ("source.number", source.and_then(|s| s.number.as_deref())),
            ("source.link", source.and_then(|s| s.link.as_deref())),
        ];
        let keywords = self.keywords.iter().map(|k| ("keywords", Some(k.as_str())));
        match texts
            .into_iter()
            .chain(keywords)
            .find(|(_, t)| t.is_some_and(|t| crate::text::normalise(t).is_err()))
        {
            Some((field, _)) => Err(problem(
                field,
                "contains a control character (only tab and line breaks are allowed)",
            )),
            None => Ok(()),
        }
    }

    /// The names of the fields that differ from `older`, for the version history.
    pub fn changed_fields(&self, older: &ArticleContent) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut diff = |name, changed: bool| {
            if changed {
                out.push(name);
            }
        };
        diff("title", self.title != older.title);
        diff("question", self.question != older.question);
        diff("answer", self.answer != older.answer);
        diff("category", self.category != older.category);
        diff("material", self.material != older.material);
        diff("issuing_unit", self.issuing_unit != older.issuing_unit);
        diff("source", self.source != older.source);
        diff("region", self.region != older.region);
        diff("keywords", self.keywords != older.keywords);
        diff("valid_from", self.valid_from != older.valid_from);
        diff("valid_to", self.valid_to != older.valid_to);
        out
    }

    /// Whether the article may be read on `day`.
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from.is_none_or(|f| f <= day) && self.valid_to.is_none_or(|t| day <= t)
    }

    /// Whether the article speaks to callers in `region`: a province-wide article
    /// everywhere, a regional one where the regions overlap (a city's article for its
    /// districts, a district's article for the city hotline that serves it).
    pub fn applies_to(&self, region: &RegionCode) -> bool {
        self.region
            .as_ref()
            .is_none_or(|a| a.contains(region) || region.contains(a))
    }
}

/// An article as stored: its current content and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Article {
    pub id: i64,
    /// The hotline that owns the article; its supervisors and admins publish it.
    pub hotline: UnitCode,
    pub status: ArticleStatus,
    pub urgent: bool,
    pub pinned: bool,
    pub version: u32,
    #[serde(flatten)]
    pub content: ArticleContent,
    pub created_by: String,
    pub updated_by: String,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<Timestamp>,
    #[serde(default)]
    pub uses: u64,
    #[serde(default)]
    pub helpful: u64,
    #[serde(default)]
    pub not_helpful: u64,
    /// A handling unit's submission (部门报送): an answer script or a policy
    /// interpretation for the hotline to review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contribution: Option<Contribution>,
}

/// Who submitted an article from outside the hotline, and whether it is urgent (an
/// urgent script waits for the hotline's supervisors to publish it at once, pinned).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contribution {
    #[schema(value_type = String)]
    pub unit: UnitCode,
    pub by: String,
    pub urgent: bool,
}

/// What a handling unit may submit: answer scripts and policy interpretations.
pub fn contributable(m: Material) -> bool {
    matches!(m, Material::Script | Material::Interpretation)
}

impl Article {
    /// A policy interpretation not yet published whose policy takes effect (its source's
    /// date) between `today` and `today + days`: the hotline is reminded of it.
    pub fn release_due(&self, today: NaiveDate, days: u64) -> Option<NaiveDate> {
        let unpublished = matches!(self.status, ArticleStatus::Draft | ArticleStatus::InReview);
        let release = self.content.source.as_ref().and_then(|s| s.date)?;
        let soon = today <= release && release <= today + chrono::Days::new(days);
        (self.content.material == Material::Interpretation && unpublished && soon)
            .then_some(release)
    }
}

impl Article {
    /// Whether operators find the article in search on `day`.
    pub fn searchable(&self, day: NaiveDate) -> bool {
        self.status == ArticleStatus::Published && self.content.valid_on(day)
    }

    /// Whether the article is pinned on intake screens on `day`.
    pub fn pinned_on(&self, day: NaiveDate) -> bool {
        self.pinned && self.searchable(day)
    }
}

/// One version in an article's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ArticleVersion {
    pub article_id: i64,
    pub version: u32,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub by: String,
    /// What this version did: `created`, `edited`, `submitted`, `published`,
    /// `withdrawn`, `unpinned`, `expired`, `restored`.
    pub change: String,
    /// The fields whose content changed from the version before.
    pub fields: Vec<String>,
    pub status: ArticleStatus,
    pub content: ArticleContent,
}

/// Who acts on an article, as the workflow needs to know them.
#[derive(Debug, Clone)]
pub struct KbActor {
    pub username: String,
    pub roles: Vec<Role>,
    /// Works for the article's owning hotline or a hotline above it.
    pub owning_staff: bool,
}

impl KbActor {
    fn writes(&self) -> bool {
        self.owning_staff && any_grants(&self.roles, Capability::EditKnowledge)
    }
    fn publishes(&self) -> bool {
        self.owning_staff && any_grants(&self.roles, Capability::PublishKnowledge)
    }
}

/// What can be done to an article.
#[derive(Debug, Clone, PartialEq)]
pub enum KbAction {
    Edit(Box<ArticleContent>),
    Submit,
    Publish,
    Withdraw,
    Unpin,
    /// Back to the content of an earlier version, as a new version.
    Restore(Box<ArticleContent>),
    /// The validity window has passed (the system's sweep).
    Expire,
}

impl KbAction {
    pub fn change(&self) -> &'static str {
        match self {
            KbAction::Edit(_) => "edited",
            KbAction::Submit => "submitted",
            KbAction::Publish => "published",
            KbAction::Withdraw => "withdrawn",
            KbAction::Unpin => "unpinned",
            KbAction::Restore(_) => "restored",
            KbAction::Expire => "expired",
        }
    }
}

/// Why an action on an article was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KbError {
    #[error("not allowed for this role or unit")]
    Forbidden,
    #[error("not allowed while the article is {0}")]
    WrongState(&'static str),
    #[error("{}: {}", .0.field, .0.problem)]
    Invalid(FieldProblem),
}

/// Who may create an article, and in which state it starts: a supervisor's or
/// admin's urgent script is published and pinned at once, anything else is a draft.
pub fn new_article_status(actor: &KbActor, urgent: bool) -> Result<ArticleStatus, KbError> {
    match (urgent, actor.publishes(), actor.writes()) {
        (true, true, _) => Ok(ArticleStatus::Published),
        (true, false, _) | (false, _, false) => Err(KbError::Forbidden),
        (false, _, true) => Ok(ArticleStatus::Draft),
    }
}

/// The article after `action`, or why not. Permission is checked before state, as
/// for orders. The version is counted up by every accepted action.
pub fn kb_apply(
    article: &Article,
    action: &KbAction,
    actor: &KbActor,
    now: Timestamp,
) -> Result<Article, KbError> {
    use ArticleStatus::*;
    let allowed = match action {
        KbAction::Edit(_) | KbAction::Submit | KbAction::Restore(_) => actor.writes(),
        KbAction::Publish | KbAction::Withdraw | KbAction::Unpin => actor.publishes(),
        KbAction::Expire => true,
    };
    if !allowed {
        return Err(KbError::Forbidden);
    }
    let mut a = article.clone();
    let state_ok = match action {
        KbAction::Edit(content) | KbAction::Restore(content) => {
            content.check().map_err(KbError::Invalid)?;
            a.content = (**content).clone();
            a.status = match a.status {
                // What operators read has been checked by a publisher: an editor's
                // change to a published article goes back to review.
                Published if !actor.publishes() => InReview,
                Expired | Withdrawn => Draft,
                s => s,
            };
            if a.status != Published {
                a.pinned = false;
            }
            true
        }
        KbAction::Submit => {
            a.status = InReview;
            article.status == Draft
        }
        KbAction::Publish => {
            a.status = Published;
            a.published_at = Some(now);
            // A department's urgent script is pinned as the hotline's own would be, when
            // first published (a publisher who unpinned it decided otherwise).
            let first = article.published_at.is_none();
            if first && article.contribution.as_ref().is_some_and(|c| c.urgent) {
                a.pinned = true;
            }
            matches!(article.status, Draft | InReview)
        }
        KbAction::Withdraw => {
            a.status = Withdrawn;
            a.pinned = false;
            matches!(article.status, Draft | InReview | Published)
        }
        KbAction::Unpin => {
            a.pinned = false;
            article.pinned
        }
        KbAction::Expire => {
            a.status = Expired;
            a.pinned = false;
            article.status == Published
        }
    };
    if !state_ok {
        return Err(KbError::WrongState(article.status.as_str()));
    }
    a.version += 1;
    a.updated_by = actor.username.clone();
    a.updated_at = now;
    Ok(a)
}

/// A synonym list: each line one group of words that mean the same
/// (`社保卡 = 社会保障卡`), applied to queries, never to stored text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Synonyms {
    pub groups: Vec<Vec<String>>,
}

impl Synonyms {
    /// Parses `a = b = c` lines; blank lines and `#` comments are skipped.
    pub fn parse(text: &str) -> Result<Self, InvalidValue> {
        let mut groups = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words: Vec<String> = line
                .split(['=', '＝'])
                .map(|w| w.trim().to_owned())
                .collect();
            if words.len() < 2 || words.iter().any(|w| w.is_empty() || w.chars().count() > 30) {
                return Err(InvalidValue(format!(
                    "line {}: write two or more words separated by =",
                    n + 1
                )));
            }
            groups.push(words);
        }
        Ok(Synonyms { groups })
    }

    pub fn to_text(&self) -> String {
        self.groups
            .iter()
            .map(|g| g.join(" = "))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The other words of every group one of whose words the text contains.
    pub fn expansions(&self, text: &str) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for group in &self.groups {
            if group.iter().any(|w| text.contains(w.as_str())) {
                for w in group {
                    if !text.contains(w.as_str()) && !out.contains(&w.as_str()) {
                        out.push(w);
                    }
                }
            }
        }
        out
    }

    /// The list a new installation starts with.
    pub fn seed() -> Self {
        Self::parse(include_str!("../data/synonyms.txt")).expect("the seed list parses")
    }
}
