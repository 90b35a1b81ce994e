//! Administration: units, accounts, integration keys, the calendar, deadline rules
//! and the taxonomy. Reads are open to every logged-in user (they are what the
//! console shows); changes need an administrator, scoped to their subtree where they
//! have a unit. Each change is a use case taking a [`Principal`]: it checks the
//! principal, builds the audit record and hands both to the store, which commits
//! them together. The HTTP routes are in [`api`], reading the trail in
//! [`audit_trail`], the console's pages in `crate::web`.

pub mod api;
pub mod audit_trail;

use hotline_domain::taxonomy::{DomainCategory, top_name};
use hotline_domain::{
    Capability, DeadlineRules, DomainPath, RegionCode, Role, UnitCode, UnitKind, YearArrangement,
};
use hotline_store::{ApiKeyRecord, NewUser, UnitRecord};
use serde::{Deserialize, Serialize};

use crate::access::{Org, Viewer};
use crate::audit::Principal;
use crate::auth::{
    UserView, check_password_policy, hash_password, managed_user, new_api_key, token_hash,
};
use crate::error::{ApiError, ApiResult};
use crate::{AppState, unknown_unit};

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

/// A change to a unit: any of its name, its parent (a move) or whether it is active.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct UnitPatch {
    pub name: Option<String>,
    pub parent: Option<UnitCode>,
    pub active: Option<bool>,
    /// The head of the unit's line (条线): a provincial department's code; `""` takes
    /// the unit out of its line.
    pub line_head: Option<String>,
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
    // Switching a hotline or sub-centre on or off decides where citizens' requests
    // go: the hotline above decides, not the unit's own administrator.
    if patch.active.is_some()
        && unit.kind.takes_requests()
        && !actor.administers(&org, unit.parent.as_ref())
    {
        return Err(ApiError::forbidden(
            "the administrators of the hotline above switch a hotline or sub-centre on or off",
        ));
    }
    let detail = serde_json::json!({"name": patch.name, "parent": patch.parent,
        "active": patch.active, "line_head": patch.line_head});
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
    if let Some(head) = patch.line_head.as_deref() {
        unit.line_head = line_head(&org, actor, &unit, head)?;
    }
    state.store().update_unit(unit.clone(), audit).await?;
    state.invalidate_caches();
    Ok(unit)
}

/// The line head a patch names for `unit`, checked: a line lets the head's line
/// supervisors read the unit's orders, so the administrators who decide it reach both
/// the unit and the head (a province's); the head is an active handling unit (a
/// department, not a hotline), outside the unit's subtree, and heads no line of its own
/// kind above it (lines are one level).
fn line_head(
    org: &Org,
    actor: &Principal<'_>,
    unit: &UnitRecord,
    head: &str,
) -> ApiResult<Option<UnitCode>> {
    // Leaving or switching a line takes the current head's administrators too: a
    // bureau does not leave its oversight alone.
    if let Some(current) = &unit.line_head
        && !actor.administers(org, Some(current))
    {
        return Err(ApiError::forbidden(
            "a unit leaves a line by the administrators of both the unit and the line's head",
        ));
    }
    let head = head.trim();
    if head.is_empty() {
        return Ok(None);
    }
    let code = UnitCode::parse(head).map_err(|e| ApiError::invalid("line_head", e.0))?;
    let record = org
        .get(&code)
        .ok_or_else(|| unknown_unit("line_head", code.as_str()))?;
    if !actor.administers(org, Some(&code)) {
        return Err(ApiError::forbidden(
            "a unit joins a line by the administrators of both the unit and the line's head",
        ));
    }
    // The head is a department of a hotline above the unit's (a province's for a
    // city bureau).
    let above = match (org.hotline_of(&code), org.hotline_of(&unit.code)) {
        (Some(h), Some(own)) => h != own && org.is_same_or_above(h, own),
        _ => false,
    };
    if !above {
        return Err(ApiError::invalid(
            "line_head",
            "the head of a line is a department of a hotline above the unit's",
        ));
    }
    if unit.kind.takes_requests() || record.kind.takes_requests() || !record.active {
        return Err(ApiError::invalid(
            "line_head",
            "a line joins handling units to an active department heading it",
        ));
    }
    let heads_a_line = !org.line_members(&unit.code).is_empty();
    if org.is_same_or_above(&unit.code, &code) || record.line_head.is_some() || heads_a_line {
        return Err(ApiError::invalid(
            "line_head",
            "the head lies outside the unit's subtree and belongs to no line itself",
        ));
    }
    Ok(Some(code))
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
    let org = state.org().await?;
    if !actor.administers(&org, unit.as_ref()) {
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
        && org.get(u).is_none()
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

/// Loads (or replaces) a year's official arrangement, with its audit record.
pub async fn load_year(
    state: &AppState,
    actor: &Principal<'_>,
    year: YearArrangement,
) -> ApiResult<YearArrangement> {
    may_change_calendar(actor)?;
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
fn may_change_calendar(actor: &Principal<'_>) -> ApiResult<()> {
    if actor.is_installation_admin() {
        return Ok(());
    }
    Err(ApiError::forbidden(
        "only an installation administrator changes the calendar",
    ))
}

/// Replaces the deadline rules in force, for the API and the console alike. Orders
/// keep the deadlines they have; the new rules apply from the next action.
pub async fn change_rules(
    state: &AppState,
    actor: &Principal<'_>,
    rules: DeadlineRules,
) -> ApiResult<DeadlineRules> {
    if !actor.is_installation_admin() {
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

/// A second-level category of the taxonomy (a first level is fixed by the standard).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewCategory {
    pub path: DomainPath,
    pub name: String,
}

/// Adds a category to the taxonomy, with its audit record.
pub async fn add_category(
    state: &AppState,
    actor: &Principal<'_>,
    req: NewCategory,
) -> ApiResult<DomainCategory> {
    if !actor.is_installation_admin() {
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
        .find(|a| !crate::auth::key_scope::scope_names().any(|k| k == a.as_str()))
    {
        let known: Vec<&str> = crate::auth::key_scope::scope_names().collect();
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
