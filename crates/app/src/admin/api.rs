//! The administration API: each handler reads its request and calls the use case in
//! [`super`], which checks the caller and writes the audit record.

use super::*;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};

use crate::audit::ClientAddr;
use crate::auth::CurrentUser;
use crate::extract::{ApiJson, ApiQuery};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/units", post(create_unit).get(list_units))
        .route("/api/v1/units/{code}", patch(patch_unit))
        .route("/api/v1/users", post(create_user).get(list_users))
        .route("/api/v1/users/{username}", patch(patch_user))
        .route("/api/v1/users/{username}/password", post(reset_password))
        .route("/api/v1/apikeys", post(create_key).get(list_keys))
        .route("/api/v1/apikeys/{name}", delete(delete_key))
        .route("/api/v1/calendar/{year}", get(get_year).put(put_year))
        .route("/api/v1/rules/deadlines", get(get_rules).put(put_rules))
        .route("/api/v1/taxonomy", get(get_taxonomy).post(post_category))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct CreateUnit {
    code: UnitCode,
    name: String,
    kind: UnitKind,
    parent: Option<UnitCode>,
    region: RegionCode,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Items<T> {
    items: Vec<T>,
}

async fn create_unit(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    addr: ClientAddr,
    ApiJson(req): ApiJson<CreateUnit>,
) -> ApiResult<(StatusCode, Json<UnitRecord>)> {
    let record = UnitRecord {
        code: req.code,
        name: req.name,
        kind: req.kind,
        parent: req.parent,
        region: req.region,
        active: true,
        line_head: None,
    };
    let unit = add_unit(&state, &Principal::person(&viewer, &addr), record).await?;
    Ok((StatusCode::CREATED, Json(unit)))
}

/// Units as far as the caller's organisation reaches: an installation administrator
/// sees all; everyone else the subtree of the hotline they belong to (a province sees
/// every city, a city its own units).
/// `q`: only the units whose name or code matches, best match first (see
/// [`crate::access::Org::find_units`]).
#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct UnitsQuery {
    q: Option<String>,
}

async fn list_units(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    ApiQuery(query): ApiQuery<UnitsQuery>,
) -> ApiResult<Json<Items<UnitRecord>>> {
    let items = units_for(&state, &viewer, query.q.as_deref()).await?;
    Ok(Json(Items { items }))
}

/// The units a viewer may list (their hotline's subtree; an installation
/// administrator: all), narrowed to those matching `q` best first if given: the use
/// case behind `GET /api/v1/units` and the console's unit pickers.
pub(crate) async fn units_for(
    state: &AppState,
    viewer: &Viewer,
    q: Option<&str>,
) -> ApiResult<Vec<UnitRecord>> {
    let org = state.org().await?;
    let units = state.store().list_units().await?;
    let mut items: Vec<UnitRecord> = match home_hotline(&org, viewer) {
        None if viewer.is_installation_admin() => units,
        None => Vec::new(),
        Some(home) => units
            .into_iter()
            .filter(|u| org.is_same_or_above(&home, &u.code))
            .collect(),
    };
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        crate::orders::check_len("q", q, 50, true)?;
        let rank: std::collections::HashMap<UnitCode, usize> = org
            .find_units(q, None)
            .into_iter()
            .enumerate()
            .map(|(i, u)| (u.code.clone(), i))
            .collect();
        items.retain(|u| rank.contains_key(&u.code));
        items.sort_by_key(|u| rank.get(&u.code).copied());
    }
    Ok(items)
}

fn home_hotline(org: &Org, viewer: &Viewer) -> Option<UnitCode> {
    viewer.home_hotline(org)
}

async fn patch_unit(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    addr: ClientAddr,
    Path(code): Path<String>,
    ApiJson(patch): ApiJson<UnitPatch>,
) -> ApiResult<Json<UnitRecord>> {
    let code = UnitCode::parse(&code).map_err(|_| ApiError::not_found())?;
    let actor = Principal::person(&viewer, &addr);
    Ok(Json(change_unit(&state, &actor, &code, patch).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct CreateUser {
    username: String,
    password: String,
    roles: Vec<Role>,
    unit: Option<UnitCode>,
}

async fn create_user(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    addr: ClientAddr,
    ApiJson(req): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let user = add_user(
        &state,
        &Principal::person(&viewer, &addr),
        &req.username,
        &req.password,
        req.roles,
        req.unit,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Accounts an administrator manages: all for an installation administrator, those of
/// the administrator's subtree otherwise.
async fn list_users(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
) -> ApiResult<Json<Items<UserView>>> {
    if !viewer.grants(Capability::Administer) {
        return Err(ApiError::forbidden("only administrators list accounts"));
    }
    let org = state.org().await?;
    let users = state.store().list_users().await?;
    let items = users
        .iter()
        .filter(|u| viewer.administers(&org, u.unit.as_ref()))
        .map(|u| {
            let mut v = UserView::from(u);
            v.active = Some(u.active);
            v
        })
        .collect();
    Ok(Json(Items { items }))
}

async fn patch_user(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    addr: ClientAddr,
    Path(username): Path<String>,
    ApiJson(patch): ApiJson<UserPatch>,
) -> ApiResult<Json<UserView>> {
    let actor = Principal::person(&viewer, &addr);
    Ok(Json(change_user(&state, &actor, &username, patch).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct PasswordBody {
    password: String,
}

async fn reset_password(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    addr: ClientAddr,
    Path(username): Path<String>,
    ApiJson(body): ApiJson<PasswordBody>,
) -> ApiResult<StatusCode> {
    let actor = Principal::person(&viewer, &addr);
    set_password(&state, &actor, &username, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A year in a path: not a number is no such page, a number out of range 422.
fn year_param(year: &str) -> ApiResult<i32> {
    crate::dates::year("year", year.parse().map_err(|_| ApiError::not_found())?)
}

async fn get_year(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
    Path(year): Path<String>,
) -> ApiResult<Json<YearArrangement>> {
    let cal = state.calendar().await?;
    cal.arrangement(year_param(&year)?)
        .map(Json)
        .ok_or_else(ApiError::not_found)
}

async fn put_year(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    addr: ClientAddr,
    Path(year): Path<String>,
    ApiJson(body): ApiJson<YearArrangement>,
) -> ApiResult<Json<YearArrangement>> {
    let actor = Principal::person(&viewer, &addr);
    // The permission comes before the path, as it did: a stranger learns nothing
    // from which of the two failed.
    may_change_calendar(&actor)?;
    if body.year != year_param(&year)? {
        return Err(ApiError::invalid("year", "must match the year in the path"));
    }
    Ok(Json(load_year(&state, &actor, body).await?))
}

async fn get_rules(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
) -> ApiResult<Json<DeadlineRules>> {
    Ok(Json((*state.rules().await?).clone()))
}

async fn put_rules(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    addr: ClientAddr,
    ApiJson(rules): ApiJson<DeadlineRules>,
) -> ApiResult<Json<DeadlineRules>> {
    let actor = Principal::person(&viewer, &addr);
    change_rules(&state, &actor, rules).await.map(Json)
}

async fn get_taxonomy(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
) -> ApiResult<Json<Items<DomainCategory>>> {
    Ok(Json(Items {
        items: (*state.taxonomy().await?).clone(),
    }))
}

async fn post_category(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    addr: ClientAddr,
    ApiJson(req): ApiJson<NewCategory>,
) -> ApiResult<(StatusCode, Json<DomainCategory>)> {
    let actor = Principal::person(&viewer, &addr);
    let cat = add_category(&state, &actor, req).await?;
    Ok((StatusCode::CREATED, Json(cat)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct NewKey {
    name: String,
    unit: UnitCode,
    #[serde(default)]
    actions: Vec<String>,
}

async fn create_key(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    addr: ClientAddr,
    ApiJson(req): ApiJson<NewKey>,
) -> ApiResult<(StatusCode, Json<IssuedKey>)> {
    let actor = Principal::person(&viewer, &addr);
    let issued = issue_key(&state, &actor, &req.name, req.unit, req.actions).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

async fn list_keys(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
) -> ApiResult<Json<Items<ApiKeyRecord>>> {
    if !viewer.grants(Capability::Administer) {
        return Err(ApiError::forbidden("only administrators list keys"));
    }
    let org = state.org().await?;
    let keys = state.store().list_api_keys().await?;
    Ok(Json(Items {
        items: keys
            .into_iter()
            .filter(|k| viewer.administers(&org, Some(&k.unit)))
            .collect(),
    }))
}

async fn delete_key(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    addr: ClientAddr,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    revoke_key(&state, &Principal::person(&viewer, &addr), &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
