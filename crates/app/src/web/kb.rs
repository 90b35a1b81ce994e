//! Knowledge base pages: search, read, write, review, version history, import, and
//! the suggestion fragment the intake screen shows beside what the operator types.

use super::*;
use crate::kb::{ArticleInput, change_article, create_article, search_for, versions_for};
use chrono::NaiveDate;
use hotline_domain::RegionCode;
use hotline_domain::kb::{Article, ArticleStatus, KbAction, Material, SourcePolicy};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/console/kb", get(kb_home))
        .route("/console/kb/new", get(new_page).post(new_submit))
        .route(
            "/console/kb/import",
            get(import_page)
                .post(import_submit)
                .layer(crate::spreadsheet::upload_limit()),
        )
        .route("/console/kb/suggest", get(suggest_fragment))
        .route("/console/kb/export", get(export_download))
        .route("/console/kb/{id}", get(article_page))
        .route("/console/kb/{id}/edit", get(edit_page).post(edit_submit))
        .route("/console/kb/{id}/act", post(article_act))
        .route("/static/kb-suggest.js", get(suggest_script))
}

async fn suggest_script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../../../static/kb-suggest.js"),
    )
}

pub(super) fn status_label(s: ArticleStatus) -> &'static str {
    match s {
        ArticleStatus::Draft => "草稿",
        ArticleStatus::InReview => "待审核",
        ArticleStatus::Published => "已发布",
        ArticleStatus::Expired => "已过期",
        ArticleStatus::Withdrawn => "已撤回",
    }
}

pub(super) fn material_label(m: Material) -> &'static str {
    match m {
        Material::Guide => "办事指南",
        Material::Law => "法律法规",
        Material::Faq => "热点问答",
        Material::Daily => "日常咨询",
        Material::Notice => "通知公告",
        Material::Instruction => "业务指引",
        Material::Script => "答复口径",
        Material::Interpretation => "政策解读",
    }
}

/// Whether the viewer writes in the knowledge base (editors, supervisors, admins).
pub(super) fn writes_kb(v: &Viewer) -> bool {
    v.grants(Capability::EditKnowledge)
}

/// One search hit as the pages show it; `snippet` is escaped HTML with `<mark>`.
pub(super) struct HitLine {
    pub(super) id: i64,
    pub(super) title: String,
    pub(super) snippet: String,
    /// The article's answer script (答复口径): citing it fills the direct answer.
    pub(super) answer: String,
}

pub(super) struct ArticleLine {
    id: i64,
    title: String,
    category: String,
    updated: String,
}

fn article_line(a: &Article) -> ArticleLine {
    ArticleLine {
        id: a.id,
        title: a.content.title.clone(),
        category: a.content.category.clone(),
        updated: when(&a.updated_at),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "kb_home.html")]
pub(super) struct KbHome {
    me: Option<Shell>,
    q: String,
    hits: Vec<HitLine>,
    searched: bool,
    writer: bool,
    review: Vec<ArticleLine>,
    drafts: Vec<ArticleLine>,
    /// Published articles of the viewer's hotline whose validity ends within 7 days.
    expiring: Vec<(ArticleLine, String)>,
    /// A handling unit's handler: may submit scripts and interpretations (部门报送).
    contributor: bool,
    /// Units' submissions waiting for review (urgent first) and reminders of policies
    /// taking effect without a published interpretation.
    waiting: Vec<SubmissionLine>,
    reminders: Vec<SubmissionLine>,
    /// May publish with one click beside a submission.
    may_publish: bool,
    csrf: String,
}

pub(super) struct SubmissionLine {
    id: i64,
    title: String,
    material: &'static str,
    from: String,
    urgent: bool,
    status: &'static str,
    release: String,
}

fn submission_line(org: &Org, l: &crate::kb::ContributionLine) -> SubmissionLine {
    SubmissionLine {
        id: l.id,
        title: l.title.clone(),
        material: material_label(l.material),
        from: l
            .unit
            .as_ref()
            .map(|u| super::unit_name(org, Some(u.as_str())))
            .unwrap_or_else(|| "本热线".into()),
        urgent: l.urgent,
        status: ArticleStatus::parse(&l.status).map_or("", status_label),
        release: l.release.map(|d| d.to_string()).unwrap_or_default(),
    }
}

#[derive(Deserialize)]
pub(super) struct KbQuery {
    q: Option<String>,
}

/// How many articles the intake screen suggests.
pub(super) const SUGGESTIONS: usize = 5;

pub(super) async fn suggestions(
    state: &AppState,
    v: &Viewer,
    text: &str,
    limit: usize,
) -> Result<Vec<HitLine>, ApiError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let hits = search_for(state, v, text, limit).await?;
    // A panel of five beside a call is read at a glance: a hit scoring under a
    // quarter of the best one is noise there (a longer search list keeps them).
    let floor = if limit <= SUGGESTIONS {
        hits.first().map_or(0.0, |h| h.score * 0.25)
    } else {
        0.0
    };
    let mut lines = Vec::new();
    for h in hits.into_iter().filter(|h| h.score >= floor) {
        let answer = state
            .store()
            .article(h.id)
            .await?
            .map(|a| a.content.answer)
            .unwrap_or_default();
        lines.push(HitLine {
            id: h.id,
            title: h.title,
            snippet: h.snippet,
            answer,
        });
    }
    Ok(lines)
}

pub(super) async fn kb_home(
    State(state): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<KbQuery>,
) -> Response {
    let v = &user.viewer;
    let text = q.q.unwrap_or_default();
    let page = async {
        let org = state.org().await?;
        let hits = suggestions(&state, v, &text, 20).await?;
        let writer = writes_kb(v);
        let contributor = crate::kb::contributes_to(&org, v).is_some();
        let (mut review, mut drafts, mut expiring) = (Vec::new(), Vec::new(), Vec::new());
        let (mut waiting, mut reminders) = (Vec::new(), Vec::new());
        if writer || contributor {
            // Read once: the review and draft lists and the units' submissions alike.
            let unpublished = crate::kb::unpublished_for(&state, v).await?;
            let days = crate::kb::api::RELEASE_REMINDER_DAYS;
            let c = crate::kb::contributions_among(&org, v, state.today(), days, &unpublished);
            let lines = |ls: &[crate::kb::ContributionLine]| {
                ls.iter()
                    .map(|l| submission_line(&org, l))
                    .collect::<Vec<_>>()
            };
            (waiting, reminders) = (lines(&c.waiting), lines(&c.reminders));
            if writer {
                let first = |all: &[Article]| all.iter().take(50).map(article_line).collect();
                (review, drafts) = (first(&unpublished.0), first(&unpublished.1));
            }
        }
        if writer {
            expiring = crate::kb::expiring_for(&state, v, 7)
                .await?
                .iter()
                .map(|a| {
                    let until = a
                        .content
                        .valid_to
                        .map(|d| d.to_string())
                        .unwrap_or_default();
                    (article_line(a), until)
                })
                .collect();
        }
        Ok::<_, ApiError>(KbHome {
            contributor,
            waiting,
            reminders,
            may_publish: v.grants(Capability::PublishKnowledge),
            csrf: csrf_token(&state, &user.token),
            me: Some(shell(&state, &org, &user)),
            searched: !text.trim().is_empty(),
            q: text.clone(),
            hits,
            writer,
            review,
            drafts,
            expiring,
        })
    };
    match page.await {
        Ok(p) => p.into_response(),
        Err(e) => page_error(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "kb_suggest.html")]
pub(super) struct SuggestFragment {
    hits: Vec<HitLine>,
}

#[derive(Deserialize)]
pub(super) struct SuggestQuery {
    text: Option<String>,
}

/// The intake screen's suggestion panel, as a fragment for its script to swap in.
pub(super) async fn suggest_fragment(
    State(state): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<SuggestQuery>,
) -> Response {
    match suggestions(
        &state,
        &user.viewer,
        q.text.as_deref().unwrap_or(""),
        SUGGESTIONS,
    )
    .await
    {
        Ok(hits) => SuggestFragment { hits }.into_response(),
        Err(e) => page_error(e),
    }
}

pub(super) struct VersionLine {
    version: u32,
    at: String,
    by: String,
    change: &'static str,
    fields: String,
    answer: String,
}

fn change_label(c: &str) -> &'static str {
    match c {
        "created" => "创建",
        "edited" => "修改",
        "submitted" => "提交审核",
        "published" => "发布",
        "withdrawn" => "撤回",
        "unpinned" => "取消置顶",
        "expired" => "过期",
        "restored" => "恢复旧版本",
        _ => "变更",
    }
}

fn field_name(f: &str) -> &'static str {
    match f {
        "title" => "标题",
        "question" => "问题",
        "answer" => "答复口径",
        "category" => "分类",
        "material" => "资料类型",
        "issuing_unit" => "发布单位",
        "source" => "依据文件",
        "region" => "适用区划",
        "keywords" => "关键词",
        "valid_from" => "生效日期",
        "valid_to" => "失效日期",
        _ => "其他",
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "kb_article.html")]
pub(super) struct ArticlePage {
    me: Option<Shell>,
    a: Article,
    status: &'static str,
    material: &'static str,
    region: String,
    validity: String,
    source: String,
    actions: Vec<(&'static str, &'static str)>,
    writer: bool,
    versions: Vec<VersionLine>,
    csrf: String,
    message: Option<String>,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
pub(super) struct ArticleQuery {
    done: Option<String>,
    error: Option<String>,
}

/// The workflow buttons the viewer may use on the article now (from the domain rules).
fn article_actions(
    org: &Org,
    v: &Viewer,
    a: &Article,
    now: Timestamp,
) -> Vec<(&'static str, &'static str)> {
    let actor = crate::kb::actor_for(org, v, &a.hotline);
    [
        (KbAction::Submit, "submit", "提交审核"),
        (KbAction::Publish, "publish", "审核发布"),
        (KbAction::Unpin, "unpin", "取消置顶"),
        (KbAction::Withdraw, "withdraw", "撤回"),
    ]
    .into_iter()
    .filter(|(action, _, _)| hotline_domain::kb::kb_apply(a, action, &actor, now).is_ok())
    .map(|(_, name, label)| (name, label))
    .collect()
}

pub(super) async fn article_page(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    Query(q): Query<ArticleQuery>,
) -> Response {
    let message = q.done.as_deref().map(|d| match d {
        "created" => "条目已保存为草稿。".to_owned(),
        "feedback" => "感谢您的反馈。".to_owned(),
        "submitted" => "已提交热线审核。".to_owned(),
        "published" => "已发布。".to_owned(),
        other => format!("已完成：{}", change_label(other)),
    });
    let error = q.error.as_deref().map(labels::error);
    match build_article_page(&state, &user, &id, message, error).await {
        Ok(p) => p.into_response(),
        Err(e) => page_error(e),
    }
}

async fn build_article_page(
    state: &AppState,
    user: &ConsoleUser,
    id: &str,
    message: Option<String>,
    error: Option<&'static str>,
) -> Result<ArticlePage, ApiError> {
    let v = &user.viewer;
    let org = state.org().await?;
    let versions = versions_for(state, v, id).await?;
    let a = crate::kb::read_article(state, v, id).await?;
    let c = &a.content;
    let date = |d: Option<chrono::NaiveDate>| d.map_or("不限".to_owned(), |d| d.to_string());
    let source = c.source.as_ref().map_or("—".to_owned(), |s| {
        [
            Some(s.title.clone()),
            s.number.clone(),
            s.date.map(|d| d.to_string()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ")
    });
    let writer = crate::kb::actor_for(&org, v, &a.hotline).owning_staff && writes_kb(v);
    Ok(ArticlePage {
        me: Some(shell(state, &org, user)),
        status: status_label(a.status),
        material: material_label(c.material),
        region: c
            .region
            .as_ref()
            .map_or("全省".to_owned(), |r| r.to_string()),
        validity: format!("{} 至 {}", date(c.valid_from), date(c.valid_to)),
        source,
        actions: article_actions(&org, v, &a, state.now()),
        writer,
        versions: versions
            .into_iter()
            .rev()
            .map(|x| VersionLine {
                version: x.version,
                at: when(&x.at),
                by: x.by,
                change: change_label(&x.change),
                fields: x
                    .fields
                    .iter()
                    .map(|f| field_name(f))
                    .collect::<Vec<_>>()
                    .join("、"),
                answer: x.content.answer,
            })
            .collect(),
        a,
        csrf: csrf_token(state, &user.token),
        message,
        error,
    })
}

#[derive(Deserialize)]
pub(super) struct ArticleActForm {
    csrf: String,
    action: String,
    version: Option<u32>,
}

pub(super) async fn article_act(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Path(id): Path<String>,
    Form(f): Form<ArticleActForm>,
) -> Response {
    if !csrf_ok(&state, &user, &f.csrf) {
        return stale_form();
    }
    let v = &user.viewer;
    let outcome = match f.action.as_str() {
        "helpful" | "not_helpful" => {
            crate::kb::give_feedback(&state, v, &id, f.action == "helpful")
                .await
                .map(|_| "feedback")
        }
        "restore" => async {
            let old = versions_for(&state, v, &id)
                .await?
                .into_iter()
                .find(|x| Some(x.version) == f.version)
                .ok_or_else(|| ApiError::invalid("version", "no such version"))?;
            change_article(
                &state,
                v,
                &addr,
                &id,
                KbAction::Restore(Box::new(old.content)),
            )
            .await
        }
        .await
        .map(|_| "restored"),
        name => match crate::kb::workflow_action(name) {
            Some(action) => change_article(&state, v, &addr, &id, action)
                .await
                .map(|a| match a.status {
                    ArticleStatus::InReview if name == "submit" => "submitted",
                    _ => match name {
                        "publish" => "published",
                        "withdraw" => "withdrawn",
                        _ => "unpinned",
                    },
                }),
            None => Err(ApiError::not_found()),
        },
    };
    match outcome {
        Ok(done) => {
            Redirect::to(&format!("/console/kb/{}?done={done}", encode(&id))).into_response()
        }
        Err(e) if e.code == "not_found" => page_error(e),
        Err(e) => {
            Redirect::to(&format!("/console/kb/{}?error={}", encode(&id), e.code)).into_response()
        }
    }
}

/// The article form's values.
#[derive(Default, Deserialize)]
pub(super) struct ArticleForm {
    csrf: Option<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    question: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    material: String,
    #[serde(default)]
    issuing_unit: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    keywords: String,
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    valid_to: String,
    #[serde(default)]
    source_title: String,
    #[serde(default)]
    source_number: String,
    /// The policy's date (发布或施行日期), `YYYY-MM-DD`.
    #[serde(default)]
    source_date: String,
    urgent: Option<String>,
}

impl ArticleForm {
    fn of(a: &Article) -> Self {
        let c = &a.content;
        let s = c.source.clone().unwrap_or_default();
        ArticleForm {
            csrf: None,
            title: c.title.clone(),
            question: c.question.clone(),
            answer: c.answer.clone(),
            category: c.category.clone(),
            material: c.material.as_str().to_owned(),
            issuing_unit: c.issuing_unit.clone().unwrap_or_default(),
            region: c.region.as_ref().map(|r| r.to_string()).unwrap_or_default(),
            keywords: c.keywords.join("、"),
            valid_from: c.valid_from.map(|d| d.to_string()).unwrap_or_default(),
            valid_to: c.valid_to.map(|d| d.to_string()).unwrap_or_default(),
            source_title: s.title,
            source_number: s.number.unwrap_or_default(),
            source_date: s.date.map(|d| d.to_string()).unwrap_or_default(),
            urgent: None,
        }
    }

    /// The form as the API's body, refused field by field as its JSON would be.
    fn input(&self) -> Result<ArticleInput, ApiError> {
        let keywords = self
            .keywords
            .split(['、', ',', '，', ' '])
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect();
        let date = |s: &str| s.parse::<NaiveDate>();
        let source_date = opt_field("source.date", &self.source_date, date)?;
        let source = blank_to_none(&self.source_title).map(|title| SourcePolicy {
            title,
            number: blank_to_none(&self.source_number),
            date: source_date,
            link: None,
        });
        Ok(ArticleInput {
            title: self.title.clone(),
            question: self.question.clone(),
            answer: self.answer.clone(),
            category: self.category.clone(),
            material: opt_field("material", &self.material, Material::parse)?,
            issuing_unit: blank_to_none(&self.issuing_unit),
            source,
            region: opt_field("region", &self.region, RegionCode::parse)?,
            keywords,
            valid_from: opt_field("valid_from", &self.valid_from, date)?,
            valid_to: opt_field("valid_to", &self.valid_to, date)?,
            urgent: self.urgent.is_some(),
        })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "kb_edit.html")]
pub(super) struct EditPage {
    me: Option<Shell>,
    /// None for a new article.
    id: Option<i64>,
    f: ArticleForm,
    materials: Vec<Choice>,
    may_publish: bool,
    /// A handling unit's submission (部门报送) rather than the hotline's own article.
    contributing: bool,
    csrf: String,
    error: Option<String>,
}

async fn edit_view(
    state: &AppState,
    user: &ConsoleUser,
    id: Option<i64>,
    f: ArticleForm,
    error: Option<String>,
) -> Response {
    let org = match state.org().await {
        Ok(o) => o,
        Err(e) => return page_error(e),
    };
    let v = &user.viewer;
    let contributing =
        id.is_none() && !writes_kb(v) && crate::kb::contributes_to(&org, v).is_some();
    if !writes_kb(v) && !contributing {
        return refused("您的角色不编辑知识库。");
    }
    let current = (!f.material.is_empty()).then(|| f.material.clone());
    let offered = Material::ALL
        .iter()
        .filter(|m| !contributing || hotline_domain::kb::contributable(**m))
        .map(|m| m.as_str());
    EditPage {
        me: Some(shell(state, &org, user)),
        id,
        contributing,
        materials: choices(
            offered,
            |m| Material::parse(m).map_or("", material_label),
            &current,
        ),
        may_publish: v.grants(Capability::PublishKnowledge),
        f,
        csrf: csrf_token(state, &user.token),
        error,
    }
    .into_response()
}

pub(super) async fn new_page(State(state): State<AppState>, user: ConsoleUser) -> Response {
    edit_view(&state, &user, None, ArticleForm::default(), None).await
}

pub(super) async fn new_submit(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Form(f): Form<ArticleForm>,
) -> Response {
    if !csrf_ok(&state, &user, f.csrf.as_deref().unwrap_or("")) {
        return stale_form();
    }
    let created = match f.input() {
        Ok(input) => create_article(&state, &user.viewer, &addr, input).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(a) if a.status == ArticleStatus::Published => {
            Redirect::to(&format!("/console/kb/{}?done=published", a.id)).into_response()
        }
        // A unit's submission is in review at once (部门报送).
        Ok(a) if a.status == ArticleStatus::InReview => {
            Redirect::to(&format!("/console/kb/{}?done=submitted", a.id)).into_response()
        }
        Ok(a) => Redirect::to(&format!("/console/kb/{}?done=created", a.id)).into_response(),
        Err(e) => {
            let status = e.status;
            let page = edit_view(&state, &user, None, f, Some(article_error(&e))).await;
            (status, page).into_response()
        }
    }
}

fn article_error(e: &ApiError) -> String {
    let field = e
        .fields
        .as_ref()
        .and_then(|f| f.keys().next())
        .map(|f| f.as_str());
    match (e.code, field) {
        ("already_exists", _) => "同一分类下已有同名条目。".to_owned(),
        (_, Some(f)) => format!(
            "「{}」填写有误，请检查后重试。",
            field_name(f.split('.').next().unwrap_or(f))
        ),
        _ => labels::error(e.code).to_owned(),
    }
}

pub(super) async fn edit_page(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
) -> Response {
    match crate::kb::read_article(&state, &user.viewer, &id).await {
        Ok(a) => edit_view(&state, &user, Some(a.id), ArticleForm::of(&a), None).await,
        Err(e) => page_error(e),
    }
}

pub(super) async fn edit_submit(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Path(id): Path<String>,
    Form(f): Form<ArticleForm>,
) -> Response {
    if !csrf_ok(&state, &user, f.csrf.as_deref().unwrap_or("")) {
        return stale_form();
    }
    let edited = match f.input() {
        Ok(input) => {
            let action = KbAction::Edit(Box::new(input.into_content()));
            change_article(&state, &user.viewer, &addr, &id, action).await
        }
        Err(e) => Err(e),
    };
    match edited {
        Ok(a) => Redirect::to(&format!("/console/kb/{}?done=edited", a.id)).into_response(),
        Err(e) if e.code == "not_found" => page_error(e),
        Err(e) => {
            let status = e.status;
            let page = edit_view(&state, &user, id.parse().ok(), f, Some(article_error(&e))).await;
            (status, page).into_response()
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "kb_import.html")]
pub(super) struct ImportPage {
    me: Option<Shell>,
    csrf: String,
    report: Option<crate::kb::io::ImportReport>,
    error: Option<String>,
    columns: Vec<&'static str>,
}

pub(super) async fn import_page(State(state): State<AppState>, user: ConsoleUser) -> Response {
    import_view(&state, &user, None, None).await
}

async fn import_view(
    state: &AppState,
    user: &ConsoleUser,
    report: Option<crate::kb::io::ImportReport>,
    error: Option<String>,
) -> Response {
    if !writes_kb(&user.viewer) {
        return refused("您的角色不编辑知识库。");
    }
    let org = match state.org().await {
        Ok(o) => o,
        Err(e) => return page_error(e),
    };
    ImportPage {
        me: Some(shell(state, &org, user)),
        csrf: csrf_token(state, &user.token),
        report,
        error,
        columns: crate::kb::io::COLUMNS.iter().map(|(_, l)| *l).collect(),
    }
    .into_response()
}

/// The upload: a multipart form with the file, the CSRF token and the skip choice.
pub(super) async fn import_submit(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    mut form: axum::extract::Multipart,
) -> Response {
    let (mut csrf, mut skip, mut file) = (String::new(), false, None);
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return upload_failed(&state, &user, e.status()).await,
        };
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("skip_errors") => skip = true,
            Some("file") => {
                let name = field.file_name().unwrap_or_default().to_owned();
                match field.bytes().await {
                    Ok(b) => file = Some((name, b)),
                    Err(e) => return upload_failed(&state, &user, e.status()).await,
                }
            }
            _ => {}
        }
    }
    if !csrf_ok(&state, &user, &csrf) {
        return stale_form();
    }
    let Some((name, bytes)) = file else {
        return import_view(&state, &user, None, Some("请选择要导入的文件。".into())).await;
    };
    let Some(format) = crate::kb::io::FileFormat::parse(&name) else {
        return import_view(
            &state,
            &user,
            None,
            Some("文件须为 .xlsx 或 .csv 格式。".into()),
        )
        .await;
    };
    let result = crate::kb::io::import(
        &state,
        &user.viewer,
        &addr,
        (&bytes, format),
        skip,
        &|_, _| {},
    )
    .await;
    match result {
        Ok(report) => import_view(&state, &user, Some(report), None).await,
        Err(e) => import_view(&state, &user, None, Some(labels::error(e.code).to_owned())).await,
    }
}

/// The form could not be read to its end: too large, or cut off.
async fn upload_failed(
    state: &AppState,
    user: &ConsoleUser,
    status: axum::http::StatusCode,
) -> Response {
    let (status, message) = if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        (status, labels::error("file_too_large"))
    } else {
        (axum::http::StatusCode::BAD_REQUEST, "上传未完成，请重试。")
    };
    let page = import_view(state, user, None, Some(message.to_owned())).await;
    (status, page).into_response()
}

#[derive(Deserialize)]
pub(super) struct ExportQuery {
    format: Option<String>,
}

pub(super) async fn export_download(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Query(q): Query<ExportQuery>,
) -> Response {
    let format = crate::kb::io::FileFormat::parse(q.format.as_deref().unwrap_or("xlsx"))
        .unwrap_or(crate::kb::io::FileFormat::Xlsx);
    match crate::kb::export_file(&state, &user.viewer, &addr, format).await {
        Ok(r) => r,
        Err(e) => page_error(e),
    }
}
