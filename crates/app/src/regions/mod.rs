//! Places by name: the official divisions down to streets
//! ([`hotline_domain::regions`]), with the streets administrators added or renamed
//! (kept as the `region_streets` setting, audited like every setting). The HTTP routes
//! are in [`api`]; intake, the portal and the reports name regions through
//! [`AppState::regions`](crate::AppState::regions).

pub mod api;

use hotline_domain::regions::{Region, Regions, StreetEdit, Suggestion};
use hotline_domain::{Capability, RegionCode};

use crate::AppState;
use crate::audit::Principal;
use crate::error::{ApiError, ApiResult};

/// Where administrators' streets are kept.
pub(crate) const STREETS_KEY: &str = "region_streets";

/// Most streets administrators may add or rename, so the setting stays small.
const MAX_EDITS: usize = 5000;

/// Most divisions a search answers.
pub const SEARCH_LIMIT: usize = 50;

/// The divisions directly inside `parent` (the provinces without one), or those whose
/// name contains `q` (within `within`, if given).
pub async fn list(
    state: &AppState,
    parent: Option<&str>,
    q: Option<&str>,
    within: Option<&str>,
) -> ApiResult<Vec<Region>> {
    let regions = state.regions().await?;
    let known = |field: &str, code: &str| {
        regions
            .get(code)
            .map(|_| ())
            .ok_or_else(|| ApiError::invalid(field, format!("no such division: {code}")))
    };
    if let Some(w) = within {
        known("within", w)?;
    }
    match (parent, q.map(str::trim).filter(|q| !q.is_empty())) {
        (Some(_), Some(_)) => Err(ApiError::invalid("q", "give parent or q, not both")),
        (Some(p), None) => {
            known("parent", p)?;
            Ok(regions.children(Some(p)))
        }
        (None, Some(q)) => {
            crate::orders::check_len("q", q, 20, true)?;
            Ok(regions.search(q, within, SEARCH_LIMIT))
        }
        (None, None) => Ok(regions.children(None)),
    }
}

/// The district and street an address names, within `within` if given.
pub async fn suggest(
    state: &AppState,
    addr: &crate::audit::ClientAddr,
    address: &str,
    within: Option<&str>,
) -> ApiResult<Suggestion> {
    // Open to anyone, so counted like the portal's other requests.
    crate::orders::public::limit(state, addr).await?;
    crate::orders::check_len("address", address, 100, true)?;
    let regions = state.regions().await?;
    if let Some(w) = within.filter(|w| regions.get(w).is_none()) {
        return Err(ApiError::invalid(
            "within",
            format!("no such division: {w}"),
        ));
    }
    Ok(regions.suggest(address, within))
}

/// Adds a street or renames one: an installation administrator anywhere, a hotline's
/// administrator within their unit's region.
pub async fn set_street(
    state: &AppState,
    principal: &Principal<'_>,
    code: &str,
    name: &str,
) -> ApiResult<Region> {
    if !principal.grants(Capability::Administer) {
        return Err(ApiError::forbidden("streets are kept by administrators"));
    }
    let regions = state.regions().await?;
    let edit = StreetEdit {
        code: code.to_owned(),
        name: name.trim().to_owned(),
    };
    regions.check_edit(&edit).map_err(|e| {
        let field = if e.0.starts_with("code") {
            "code"
        } else {
            "name"
        };
        ApiError::invalid(field, e.0)
    })?;
    if !may_keep(state, principal, &edit.code).await? {
        return Err(ApiError::forbidden(
            "this street lies outside your unit's region",
        ));
    }
    let mut edits = regions.edits();
    edits.retain(|e| e.code != edit.code);
    if edits.len() >= MAX_EDITS {
        return Err(ApiError::invalid(
            "code",
            format!("at most {MAX_EDITS} streets may be added or renamed"),
        ));
    }
    let before = regions.get(&edit.code).map(|r| r.name);
    edits.push(edit.clone());
    edits.sort_by(|a, b| a.code.cmp(&b.code));
    let detail = serde_json::json!({"code": edit.code, "name": edit.name, "was": before});
    let record = principal.record(
        state,
        "region.street",
        format!("region:{}", edit.code),
        detail,
    );
    crate::settings::save(state, STREETS_KEY, &edits, record).await?;
    state.invalidate_caches();
    let regions = state.regions().await?;
    regions
        .get(&edit.code)
        .ok_or_else(|| ApiError::internal("the street just saved is missing"))
}

/// Whether the principal's unit's region holds the street.
async fn may_keep(state: &AppState, principal: &Principal<'_>, street: &str) -> ApiResult<bool> {
    if principal.is_installation_admin() {
        return Ok(true);
    }
    let Principal::Person { viewer, .. } = principal else {
        return Ok(true);
    };
    let org = state.org().await?;
    let Some(unit) = viewer.user.unit.as_ref().and_then(|u| org.get(u)) else {
        return Ok(false);
    };
    let district = RegionCode::parse(&street[..6]);
    Ok(district.is_ok_and(|d| unit.region.contains(&d)))
}

/// The divisions in force, built from the administrators' streets.
pub(crate) async fn load(state: &AppState) -> ApiResult<Regions> {
    let edits: Vec<StreetEdit> = crate::settings::read(state, STREETS_KEY).await?;
    Ok(Regions::new(&edits))
}
