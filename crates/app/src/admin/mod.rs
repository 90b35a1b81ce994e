//! Administration: units, accounts, the calendar, deadline rules and the taxonomy.
//! Reads are open to every logged-in user (they are what the console shows);
//! changes need an administrator, scoped to their subtree where they have a unit.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use hotline_domain::taxonomy::{DomainCategory, top_name};
use hotline_domain::{
    Capability, DeadlineRules, DomainPath, RegionCode, Role, UnitCode, UnitKind, YearArrangement,
};
use hotline_store::{ApiKeyRecord, NewUser, UnitRecord};
use serde::{Deserialize, Serialize};

use crate::access::{Org, Viewer};
use crate::audit::{ClientAddr, Principal};
use crate::auth::{
    CurrentUser, UserView, check_password_policy, hash_password, new_api_key, token_hash,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::{AppState, unknown_unit};

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

/// Creates a unit, with its audit record; `parent: null` creates a root hotline.
pub async fn add_unit(
    state: &AppState,
    actor: &Principal<'_>,
    mut req: UnitRecord,
) -> ApiResult<UnitRecord> {
    let org = state.org().await?;
    if !actor.may_create_unit(&org, req.kind, req.parent.as_ref()) {
        return Err(ApiError::forbidden(
            "only an administrator of the parent unit creates units, and only a hotline's administrator creates hotlines and sub-centres",
        ));
    }
    req.name = req.name.trim().to_owned();
    if req.name.is_empty() || req.name.chars().count() > 100 {
        return Err(ApiError::invalid("name", "must be 1–100 characters"));
    }
    match &req.parent {
        None if req.kind != UnitKind::Hotline => {
            return Err(ApiError::invalid(
                "parent",
                "only a hotline can be a root unit",
            ));
        }
        Some(p) if org.get(p).is_none() => return Err(unknown_unit("parent", p.as_str())),
        _ => {}
    }
    if let Some((field, problem)) =
        org.placement_problem(req.kind, req.parent.as_ref(), &req.region)
    {
        return Err(ApiError::invalid(field, problem));
    }
    if req.kind == UnitKind::Hotline && org.hotline_at(&req.region).is_some() {
        return Err(ApiError::invalid(
            "region",
            "another active hotline already takes requests for this region",
        ));
    }
    let detail = serde_json::json!({"name": req.name, "kind": req.kind, "parent": req.parent});
    let record = actor.record(state, "unit.create", format!("unit:{}", req.code), detail);
    let unit = state.store().create_unit(req, record).await?;
    state.invalidate_caches();
    tracing::info!(unit = %unit.code, by = actor.name(), "unit created");
    Ok(unit)
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
    };
    let unit = add_unit(&state, &Principal::person(&viewer, &addr), record).await?;
    Ok((StatusCode::CREATED, Json(unit)))
}

/// Units as far as the caller's organisation reaches: an installation administrator
/// sees all; everyone else the subtree of the hotline they belong to (a province sees
/// every city, a city its own units).
async fn list_units(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
) -> ApiResult<Json<Items<UnitRecord>>> {
    let org = state.org().await?;
    let units = state.store().list_units().await?;
    let items = match home_hotline(&org, &viewer) {
        None if viewer.is_installation_admin() => units,
        None => Vec::new(),
        Some(home) => units
            .into_iter()
            .filter(|u| org.is_same_or_above(&home, &u.code))
            .collect(),
    };
    Ok(Json(Items { items }))
}

/// The hotline a user belongs to: their unit if it is one, else the nearest above it.
fn home_hotline(org: &Org, viewer: &Viewer) -> Option<UnitCode> {
    let mut at = viewer.user.unit.clone();
    while let Some(code) = at {
        let unit = org.get(&code)?;
        if unit.kind == UnitKind::Hotline {
            return Some(code);
        }
        at = unit.parent.clone();
    }
    None
}

/// A change to a unit: any of its name, its parent (a move) or whether it is active.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct UnitPatch {
    pub name: Option<String>,
    pub parent: Option<UnitCode>,
    pub active: Option<bool>,
}

/// Applies a unit change after checking it keeps the tree a tree. Deactivated units
/// receive no new dispatches; their history stays.
pub async fn change_unit(
    state: &AppState,
    actor: &Principal<'_>,
    code: &UnitCode,
    patch: UnitPatch,
) -> ApiResult<UnitRecord> {
    let org = state.org().await?;
    let mut unit = org.get(code).cloned().ok_or_else(ApiError::not_found)?;
    let may = actor.administers(&org, Some(code))
        && patch
            .parent
            .as_ref()
            .is_none_or(|p| actor.administers(&org, Some(p)));
    if !may {
        return Err(ApiError::forbidden(
            "only an administrator of the unit (and of its new parent) changes it",
        ));
    }
    let detail =
        serde_json::json!({"name": patch.name, "parent": patch.parent, "active": patch.active});
    let audit = actor.record(state, "unit.change", format!("unit:{code}"), detail);
    if let Some(name) = patch.name {
        let name = name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ApiError::invalid("name", "must be 1–100 characters"));
        }
        unit.name = name;
    }
    if let Some(parent) = patch.parent {
        if org.get(&parent).is_none() {
            return Err(unknown_unit("parent", parent.as_str()));
        }
        if org.is_same_or_above(code, &parent) {
            return Err(ApiError::invalid(
                "parent",
                "a unit cannot move under itself or its own subtree",
            ));
        }
        if unit.parent.is_none() {
            return Err(ApiError::invalid("parent", "a root hotline stays the root"));
        }
        if let Some((field, problem)) =
            org.placement_problem(unit.kind, Some(&parent), &unit.region)
        {
            return Err(ApiError::invalid(field, problem));
        }
        unit.parent = Some(parent);
    }
    if let Some(active) = patch.active {
        unit.active = active;
    }
    state.store().update_unit(unit.clone(), audit).await?;
    state.invalidate_caches();
    Ok(unit)
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

/// Creates an account, with its audit record, after checking the username, the
/// password policy and the unit.
pub async fn add_user(
    state: &AppState,
    actor: &Principal<'_>,
    username: &str,
    password: &str,
    roles: Vec<Role>,
    unit: Option<UnitCode>,
) -> ApiResult<UserView> {
    if !actor.administers(&*state.org().await?, unit.as_ref()) {
        return Err(ApiError::forbidden(
            "only an administrator of the unit creates its accounts",
        ));
    }
    let ok_name = !username.is_empty()
        && username.len() <= 64
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !ok_name {
        return Err(ApiError::invalid(
            "username",
            "must be 1–64 letters, digits, '_', '-' or '.'",
        ));
    }
    if roles.is_empty() {
        return Err(ApiError::invalid("roles", "at least one role"));
    }
    check_password_policy(username, password).map_err(|p| ApiError::invalid("password", p))?;
    if let Some(u) = &unit
        && state.org().await?.get(u).is_none()
    {
        return Err(unknown_unit("unit", u.as_str()));
    }
    let needs_unit = roles.iter().any(|r| *r != Role::Admin);
    if needs_unit && unit.is_none() {
        return Err(ApiError::invalid(
            "unit",
            "every role but admin works for a unit",
        ));
    }
    let password = password.to_owned();
    let password_hash = state
        .hashing()
        .run(move || hash_password(&password))
        .await??;
    let detail = serde_json::json!({"roles": roles, "unit": unit});
    let record = actor.record(state, "user.create", format!("user:{username}"), detail);
    let user = state
        .store()
        .create_user(
            NewUser {
                username: username.to_owned(),
                password_hash,
                roles,
                unit,
            },
            record,
        )
        .await?;
    tracing::info!(user = %user.username, by = actor.name(), "account created");
    Ok(UserView::from(&user))
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

/// A change to an account: roles, unit, or whether it may log in.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct UserPatch {
    pub roles: Option<Vec<Role>>,
    pub unit: Option<UnitCode>,
    pub active: Option<bool>,
}

/// Applies an account change; disabling ends the account's sessions at once.
pub async fn change_user(
    state: &AppState,
    actor: &Principal<'_>,
    username: &str,
    patch: UserPatch,
) -> ApiResult<UserView> {
    let mut user = managed_user(state, actor, username).await?;
    if let Some(unit) = &patch.unit
        && !actor.administers(&*state.org().await?, Some(unit))
    {
        return Err(ApiError::forbidden(
            "the new unit is outside your administration",
        ));
    }
    let detail =
        serde_json::json!({"roles": patch.roles, "unit": patch.unit, "active": patch.active});
    let audit = actor.record(state, "user.change", format!("user:{username}"), detail);
    if let Some(roles) = patch.roles {
        if roles.is_empty() {
            return Err(ApiError::invalid("roles", "at least one role"));
        }
        user.roles = roles;
    }
    if let Some(unit) = patch.unit {
        if state.org().await?.get(&unit).is_none() {
            return Err(unknown_unit("unit", unit.as_str()));
        }
        user.unit = Some(unit);
    }
    if let Some(active) = patch.active {
        user.active = active;
    }
    if user.unit.is_none() && user.roles.iter().any(|r| *r != Role::Admin) {
        return Err(ApiError::invalid(
            "unit",
            "every role but admin works for a unit",
        ));
    }
    state.store().update_user(user.clone(), audit).await?;
    let mut view = UserView::from(&user);
    view.active = Some(user.active);
    Ok(view)
}

/// Sets a new password (checked against the policy) and ends the account's sessions.
pub async fn set_password(
    state: &AppState,
    actor: &Principal<'_>,
    username: &str,
    password: &str,
) -> ApiResult<()> {
    let mut user = managed_user(state, actor, username).await?;
    let object = format!("user:{username}");
    let audit = actor.record(state, "user.password_reset", object, serde_json::json!({}));
    check_password_policy(username, password).map_err(|p| ApiError::invalid("password", p))?;
    let password = password.to_owned();
    user.password_hash = state
        .hashing()
        .run(move || hash_password(&password))
        .await??;
    Ok(state.store().update_user(user, audit).await?)
}

/// The account, if this administrator manages it; 404 alike for missing and foreign.
pub(crate) async fn managed_user(
    state: &AppState,
    actor: &Principal<'_>,
    username: &str,
) -> ApiResult<hotline_store::UserRecord> {
    let org = state.org().await?;
    match state.store().user_by_username(username).await? {
        Some(u) if actor.administers(&org, u.unit.as_ref()) => Ok(u),
        _ if !actor.grants(Capability::Administer) => {
            Err(ApiError::forbidden("only administrators manage accounts"))
        }
        _ => Err(ApiError::not_found()),
    }
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

/// Loads (or replaces) a year's official arrangement, with its audit record.
pub async fn load_year(
    state: &AppState,
    actor: &Principal<'_>,
    year: YearArrangement,
) -> ApiResult<YearArrangement> {
    may_change_calendar(state, actor).await?;
    year.validate()
        .map_err(|e| ApiError::invalid("holidays", e.0))?;
    let detail =
        serde_json::json!({"holidays": year.holidays.len(), "workdays": year.workdays.len()});
    let record = actor.record(
        state,
        "calendar.load",
        format!("calendar:{}", year.year),
        detail,
    );
    state
        .store()
        .put_calendar_year(year.clone(), Some(record))
        .await?;
    state.invalidate_caches();
    tracing::info!(year = year.year, by = actor.name(), "calendar year loaded");
    Ok(year)
}

/// Only an installation administrator changes the calendar.
async fn may_change_calendar(state: &AppState, actor: &Principal<'_>) -> ApiResult<()> {
    if actor.administers(&*state.org().await?, None) {
        return Ok(());
    }
    Err(ApiError::forbidden(
        "only an installation administrator changes the calendar",
    ))
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
    may_change_calendar(&state, &actor).await?;
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

/// Replaces the deadline rules in force, for the API and the console alike. Orders
/// keep the deadlines they have; the new rules apply from the next action.
pub async fn change_rules(
    state: &AppState,
    actor: &Principal<'_>,
    rules: DeadlineRules,
) -> ApiResult<DeadlineRules> {
    if !actor.administers(&*state.org().await?, None) {
        return Err(ApiError::forbidden(
            "only an installation administrator changes deadline rules",
        ));
    }
    rules
        .check()
        .map_err(|(field, why)| ApiError::invalid(field, why))?;
    let detail = serde_json::to_value(&rules).unwrap_or_default();
    let record = actor.record(state, "rules.change", "rules:deadlines".to_owned(), detail);
    state
        .store()
        .put_deadline_rules(&rules, Some(record))
        .await?;
    state.invalidate_caches();
    tracing::info!(by = actor.name(), "deadline rules changed");
    Ok(rules)
}

async fn get_taxonomy(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
) -> ApiResult<Json<Items<DomainCategory>>> {
    Ok(Json(Items {
        items: (*state.taxonomy().await?).clone(),
    }))
}

/// A second-level category of the taxonomy (a first level is fixed by the standard).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewCategory {
    pub path: DomainPath,
    pub name: String,
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

/// Adds a category to the taxonomy, with its audit record.
pub async fn add_category(
    state: &AppState,
    actor: &Principal<'_>,
    req: NewCategory,
) -> ApiResult<DomainCategory> {
    if !actor.administers(&*state.org().await?, None) {
        return Err(ApiError::forbidden(
            "only an installation administrator extends the taxonomy",
        ));
    }
    if req.name.trim().is_empty() || req.name.chars().count() > 50 {
        return Err(ApiError::invalid("name", "must be 1–50 characters"));
    }
    let cat = DomainCategory {
        top_name: top_name(req.path.top()).to_owned(),
        path: req.path,
        name: req.name.trim().to_owned(),
    };
    let detail = serde_json::json!({"name": cat.name});
    let record = actor.record(
        state,
        "taxonomy.add",
        format!("domain:{}", cat.path),
        detail,
    );
    state
        .store()
        .put_domain_category(cat.clone(), Some(record))
        .await?;
    state.invalidate_caches();
    Ok(cat)
}

/// A newly issued key: the only time its secret is shown.
#[derive(Serialize, utoipa::ToSchema)]
pub struct IssuedKey {
    #[serde(flatten)]
    pub record: ApiKeyRecord,
    pub key: String,
}

/// Issues an integration key for a unit, limited to `actions` (all of the unit's
/// role's when empty).
pub async fn issue_key(
    state: &AppState,
    actor: &Principal<'_>,
    name: &str,
    unit: UnitCode,
    actions: Vec<String>,
) -> ApiResult<IssuedKey> {
    if !actor.administers(&*state.org().await?, Some(&unit)) {
        return Err(ApiError::forbidden(
            "only an administrator of the unit issues its keys",
        ));
    }
    let ok_name = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !ok_name {
        return Err(ApiError::invalid(
            "name",
            "must be 1–64 letters, digits, '_', '-' or '.'",
        ));
    }
    if state.org().await?.get(&unit).is_none() {
        return Err(unknown_unit("unit", unit.as_str()));
    }
    if let Some(bad) = actions
        .iter()
        .find(|a| !crate::orders::key_actions().any(|k| k == a.as_str()))
    {
        let known: Vec<&str> = crate::orders::key_actions().collect();
        return Err(ApiError::invalid(
            "actions",
            format!(
                "unknown action {bad:?}; expected some of: {}",
                known.join(", ")
            ),
        ));
    }
    let detail = serde_json::json!({"unit": unit, "actions": actions});
    let audit = actor.record(state, "apikey.create", format!("apikey:{name}"), detail);
    let key = new_api_key();
    let record = ApiKeyRecord {
        id: 0,
        name: name.to_owned(),
        key_hash: token_hash(&key),
        unit,
        actions,
        created_at: state.now(),
        revoked_at: None,
    };
    let record = state.store().create_api_key(record, audit).await?;
    Ok(IssuedKey { record, key })
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

/// Revokes an active key of the actor's administration; 404 alike for missing,
/// revoked and foreign.
pub async fn revoke_key(state: &AppState, actor: &Principal<'_>, name: &str) -> ApiResult<()> {
    let org = state.org().await?;
    let keys = state.store().list_api_keys().await?;
    let key = keys.iter().find(|k| {
        k.name == name && k.revoked_at.is_none() && actor.administers(&org, Some(&k.unit))
    });
    if key.is_none() {
        return Err(if actor.grants(Capability::Administer) {
            ApiError::not_found()
        } else {
            ApiError::forbidden("only administrators revoke keys")
        });
    }
    let record = actor.record(
        state,
        "apikey.revoke",
        format!("apikey:{name}"),
        serde_json::json!({}),
    );
    state
        .store()
        .revoke_api_key(name, state.now(), record)
        .await?;
    Ok(())
}
