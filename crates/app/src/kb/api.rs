//! The knowledge-base API: each handler reads its request and calls the use case in
//! [`super`].

use super::*;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::auth::CurrentUser;
use crate::extract::{ApiBody, ApiJson, ApiQuery};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/kb/articles", post(create).get(list))
        .route("/api/v1/kb/articles/{id}", get(read).put(edit))
        .route("/api/v1/kb/articles/{id}/versions", get(versions))
        .route("/api/v1/kb/articles/{id}/restore", post(restore))
        .route("/api/v1/kb/articles/{id}/feedback", post(feedback))
        .route("/api/v1/kb/articles/{id}/{action}", post(act))
        .route("/api/v1/kb/search", get(search))
        .route("/api/v1/kb/suggest", get(suggest))
        .route("/api/v1/kb/pinned", get(pinned))
        .route("/api/v1/kb/contributions", get(contributions))
        .route("/api/v1/kb/synonyms", get(get_synonyms).put(put_synonyms))
        .route(
            "/api/v1/kb/import",
            post(import).layer(crate::spreadsheet::upload_limit()),
        )
        .route("/api/v1/kb/export", get(export))
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Items<T> {
    items: Vec<T>,
}

/// Days ahead a policy's date reminds the hotline of an unpublished interpretation.
pub const RELEASE_REMINDER_DAYS: u64 = 7;

async fn contributions(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
) -> ApiResult<Json<Contributions>> {
    let org = state.org().await?;
    let staff = kb_hotline(&org, &v).is_some() && v.grants(Capability::EditKnowledge);
    if !staff && contributes_to(&org, &v).is_none() {
        return Err(ApiError::forbidden(
            "for a hotline's knowledge staff and the handling units that submit to it",
        ));
    }
    contributions_for(&state, &v, RELEASE_REMINDER_DAYS)
        .await
        .map(Json)
}

async fn create(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    addr: ClientAddr,
    ApiJson(input): ApiJson<ArticleInput>,
) -> ApiResult<(StatusCode, Json<Article>)> {
    let a = create_article(&state, &v, &addr, input).await?;
    Ok((StatusCode::CREATED, Json(a)))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct ListQuery {
    status: Option<String>,
    pinned: Option<bool>,
    before: Option<i64>,
    limit: Option<u32>,
    /// Published articles whose validity ends within this many days (reminders).
    expiring_within: Option<u32>,
}

async fn list(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Items<Article>>> {
    let status = q
        .status
        .as_deref()
        .map(ArticleStatus::parse)
        .transpose()
        .map_err(|e| ApiError::invalid("status", e.0))?;
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    if let Some(days) = q.expiring_within {
        let mut items = expiring_for(&state, &v, days.min(365)).await?;
        items.truncate(limit as usize);
        return Ok(Json(Items { items }));
    }
    let items = list_for(
        &state,
        &v,
        status,
        q.pinned.unwrap_or(false),
        q.before,
        limit,
    )
    .await?;
    Ok(Json(Items { items }))
}

async fn read(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Article>> {
    Ok(Json(visible_article(&state, &v, &id).await?.1))
}

async fn edit(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    addr: ClientAddr,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ArticleInput>,
) -> ApiResult<Json<Article>> {
    let (content, _) = input.content();
    let a = change_article(&state, &v, &addr, &id, KbAction::Edit(Box::new(content))).await?;
    Ok(Json(a))
}

async fn act(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    addr: ClientAddr,
    Path((id, action)): Path<(String, String)>,
) -> ApiResult<Json<Article>> {
    let action = workflow_action(&action).ok_or_else(ApiError::not_found)?;
    Ok(Json(change_article(&state, &v, &addr, &id, action).await?))
}

async fn versions(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Items<ArticleVersion>>> {
    Ok(Json(Items {
        items: versions_for(&state, &v, &id).await?,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct RestoreBody {
    version: u32,
}

async fn restore(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    addr: ClientAddr,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RestoreBody>,
) -> ApiResult<Json<Article>> {
    let old = versions_for(&state, &v, &id)
        .await?
        .into_iter()
        .find(|x| x.version == body.version)
        .ok_or_else(|| ApiError::invalid("version", "no such version of this article"))?;
    let action = KbAction::Restore(Box::new(old.content));
    Ok(Json(change_article(&state, &v, &addr, &id, action).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct FeedbackBody {
    helpful: bool,
}

async fn feedback(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<FeedbackBody>,
) -> ApiResult<StatusCode> {
    give_feedback(&state, &v, &id, body.helpful).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct SearchParams {
    q: Option<String>,
    text: Option<String>,
    limit: Option<usize>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Hits {
    hits: Vec<Hit>,
}

async fn search(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<Json<Hits>> {
    let q = p.q.unwrap_or_default();
    if q.trim().is_empty() {
        return Err(ApiError::invalid("q", "must not be empty"));
    }
    let hits = search_for(&state, &v, &q, p.limit.unwrap_or(10).clamp(1, 50)).await?;
    Ok(Json(Hits { hits }))
}

/// The articles that best match an order's content, for the intake screen.
async fn suggest(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<Json<Hits>> {
    let text = p.text.unwrap_or_default();
    let hits = if text.trim().is_empty() {
        Vec::new()
    } else {
        search_for(&state, &v, &text, p.limit.unwrap_or(5).clamp(1, 20)).await?
    };
    Ok(Json(Hits { hits }))
}

async fn pinned(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
) -> ApiResult<Json<Items<Article>>> {
    Ok(Json(Items {
        items: pinned_for(&state, &v).await?,
    }))
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct SynonymsBody {
    text: String,
}

async fn get_synonyms(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
) -> ApiResult<Json<SynonymsBody>> {
    Ok(Json(SynonymsBody {
        text: state.synonyms().await?.to_text(),
    }))
}

async fn put_synonyms(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    addr: ClientAddr,
    ApiJson(body): ApiJson<SynonymsBody>,
) -> ApiResult<Json<SynonymsBody>> {
    let list = save_synonyms(&state, &v, &addr, &body.text).await?;
    Ok(Json(SynonymsBody {
        text: list.to_text(),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct FileParams {
    format: Option<String>,
    skip_errors: Option<bool>,
}

fn file_format(p: &FileParams) -> ApiResult<crate::kb::io::FileFormat> {
    crate::kb::io::FileFormat::parse(p.format.as_deref().unwrap_or("xlsx"))
        .ok_or_else(|| ApiError::invalid("format", "must be csv or xlsx"))
}

/// `POST /api/v1/kb/import?format=csv|xlsx&skip_errors=true`, the file as the body
/// (at most [`crate::spreadsheet::MAX_FILE`] bytes, else 413). A file with errors
/// answers 422 naming each bad row and column, and stores nothing unless `skip_errors`
/// is set; a file larger than an import reads answers 422 `file_too_large` whatever
/// `skip_errors` says.
async fn import(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    addr: ClientAddr,
    ApiQuery(p): ApiQuery<FileParams>,
    ApiBody(body): ApiBody,
) -> ApiResult<Json<crate::kb::io::ImportReport>> {
    let format = file_format(&p)?;
    let skip = p.skip_errors.unwrap_or(false);
    let report =
        crate::kb::io::import(&state, &v, &addr, (&body, format), skip, &|_, _| {}).await?;
    if report.imported == 0 && !report.errors.is_empty() && !skip {
        let mut e = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            format!(
                "{} rows have problems; nothing was imported",
                report.errors.len()
            ),
        );
        e.fields = Some(
            report
                .errors
                .iter()
                .map(|r| (format!("row {}: {}", r.row, r.column), r.problem.clone()))
                .collect(),
        );
        return Err(e);
    }
    Ok(Json(report))
}

/// `GET /api/v1/kb/export?format=csv|xlsx`: the articles the viewer may read, in the
/// import layout.
async fn export(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    addr: ClientAddr,
    ApiQuery(p): ApiQuery<FileParams>,
) -> ApiResult<axum::response::Response> {
    export_file(&state, &v, &addr, file_format(&p)?).await
}
