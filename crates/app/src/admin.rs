//! Administration: units, accounts, the calendar, deadline rules and the taxonomy.
//! Reads are open to every logged-in user (they are what the console shows);
//! changes need an administrator, scoped to their subtree where they have a unit.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use hotline_domain::taxonomy::{DomainCategory, top_name};
use hotline_domain::{
    DeadlineRules, DomainPath, RegionCode, Role, UnitCode, UnitKind, YearArrangement,
};
use hotline_store::{NewUser, UnitRecord};
use serde::{Deserialize, Serialize};

use crate::audit::{self, ClientAddr};
use crate::auth::{CurrentUser, UserView, check_password_policy, hash_password};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::{AppState, unknown_unit};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/units", post(create_unit).get(list_units))
        .route("/api/v1/users", post(create_user))
        .route("/api/v1/calendar/{year}", get(get_year).put(put_year))
        .route("/api/v1/rules/deadlines", get(get_rules).put(put_rules))
        .route("/api/v1/taxonomy", get(get_taxonomy).post(add_category))
}

#[derive(Deserialize)]
struct CreateUnit {
    code: UnitCode,
    name: String,
    kind: UnitKind,
    parent: Option<UnitCode>,
    region: RegionCode,
}

#[derive(Serialize)]
struct Items<T> {
    items: Vec<T>,
}

/// Creates a unit; `parent: null` creates a root hotline.
pub async fn add_unit(state: &AppState, req: UnitRecord) -> ApiResult<UnitRecord> {
    if req.name.trim().is_empty() || req.name.chars().count() > 100 {
        return Err(ApiError::invalid("name", "must be 1–100 characters"));
    }
    let org = state.org().await?;
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
    let unit = state.store().create_unit(req).await?;
    state.invalidate_caches();
    Ok(unit)
}

async fn create_unit(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    addr: ClientAddr,
    ApiJson(req): ApiJson<CreateUnit>,
) -> ApiResult<(StatusCode, Json<UnitRecord>)> {
    let org = state.org().await?;
    if !viewer.administers(&org, req.parent.as_ref()) {
        return Err(ApiError::forbidden(
            "only an administrator of the parent unit creates units",
        ));
    }
    let record = UnitRecord {
        code: req.code,
        name: req.name.trim().to_owned(),
        kind: req.kind,
        parent: req.parent,
        region: req.region,
        active: true,
    };
    let unit = add_unit(&state, record).await?;
    tracing::info!(unit = %unit.code, by = %viewer.user.username, "unit created");
    audit_change(
        &state,
        &viewer,
        &addr,
        "unit.create",
        Some(format!("unit:{}", unit.code)),
        serde_json::json!({"name": unit.name, "kind": unit.kind, "parent": unit.parent}),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(unit)))
}

async fn list_units(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
) -> ApiResult<Json<Items<UnitRecord>>> {
    Ok(Json(Items {
        items: state.store().list_units().await?,
    }))
}

#[derive(Deserialize)]
struct CreateUser {
    username: String,
    password: String,
    roles: Vec<Role>,
    unit: Option<UnitCode>,
}

/// Creates an account after checking the username, the password policy and the unit.
pub async fn add_user(
    state: &AppState,
    username: &str,
    password: &str,
    roles: Vec<Role>,
    unit: Option<UnitCode>,
) -> ApiResult<UserView> {
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
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(ApiError::internal)??;
    let user = state
        .store()
        .create_user(NewUser {
            username: username.to_owned(),
            password_hash,
            roles,
            unit,
        })
        .await?;
    Ok(UserView::from(&user))
}

async fn create_user(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    addr: ClientAddr,
    ApiJson(req): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let org = state.org().await?;
    if !viewer.administers(&org, req.unit.as_ref()) {
        return Err(ApiError::forbidden(
            "only an administrator of the unit creates its accounts",
        ));
    }
    let user = add_user(&state, &req.username, &req.password, req.roles, req.unit).await?;
    tracing::info!(user = %user.username, by = %viewer.user.username, "account created");
    audit_change(
        &state,
        &viewer,
        &addr,
        "user.create",
        Some(format!("user:{}", user.username)),
        serde_json::json!({"roles": user.roles, "unit": user.unit}),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Appends an administrator's change to the audit trail.
async fn audit_change(
    state: &AppState,
    viewer: &crate::access::Viewer,
    addr: &ClientAddr,
    action: &str,
    object: Option<String>,
    detail: serde_json::Value,
) -> ApiResult<()> {
    let r = audit::by(viewer, addr, state, action, object, detail);
    Ok(state.store().append_audit(r).await?)
}

fn year_param(year: &str) -> ApiResult<i32> {
    year.parse().map_err(|_| ApiError::not_found())
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

/// Loads (or replaces) a year's official arrangement.
pub async fn load_year(state: &AppState, year: YearArrangement) -> ApiResult<YearArrangement> {
    year.validate()
        .map_err(|e| ApiError::invalid("holidays", e.0))?;
    state.store().put_calendar_year(year.clone()).await?;
    state.invalidate_caches();
    Ok(year)
}

async fn put_year(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    addr: ClientAddr,
    Path(year): Path<String>,
    ApiJson(body): ApiJson<YearArrangement>,
) -> ApiResult<Json<YearArrangement>> {
    if !viewer.administers(&*state.org().await?, None) {
        return Err(ApiError::forbidden(
            "only an installation administrator changes the calendar",
        ));
    }
    if body.year != year_param(&year)? {
        return Err(ApiError::invalid("year", "must match the year in the path"));
    }
    let y = load_year(&state, body).await?;
    tracing::info!(year = y.year, by = %viewer.user.username, "calendar year loaded");
    audit_change(
        &state,
        &viewer,
        &addr,
        "calendar.load",
        Some(format!("calendar:{}", y.year)),
        serde_json::json!({"holidays": y.holidays.len(), "workdays": y.workdays.len()}),
    )
    .await?;
    Ok(Json(y))
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
    if !viewer.administers(&*state.org().await?, None) {
        return Err(ApiError::forbidden(
            "only an installation administrator changes deadline rules",
        ));
    }
    state.store().put_deadline_rules(&rules).await?;
    state.invalidate_caches();
    tracing::info!(by = %viewer.user.username, "deadline rules changed");
    audit_change(
        &state,
        &viewer,
        &addr,
        "rules.change",
        Some("rules:deadlines".to_owned()),
        serde_json::to_value(&rules).unwrap_or_default(),
    )
    .await?;
    Ok(Json(rules))
}

async fn get_taxonomy(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
) -> ApiResult<Json<Items<DomainCategory>>> {
    Ok(Json(Items {
        items: (*state.taxonomy().await?).clone(),
    }))
}

#[derive(Deserialize)]
struct NewCategory {
    path: DomainPath,
    name: String,
}

async fn add_category(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    addr: ClientAddr,
    ApiJson(req): ApiJson<NewCategory>,
) -> ApiResult<(StatusCode, Json<DomainCategory>)> {
    if !viewer.administers(&*state.org().await?, None) {
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
    state.store().put_domain_category(cat.clone()).await?;
    state.invalidate_caches();
    audit_change(
        &state,
        &viewer,
        &addr,
        "taxonomy.add",
        Some(format!("domain:{}", cat.path)),
        serde_json::json!({"name": cat.name}),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(cat)))
}
