//! The dispatch catalogue of each hotline (派单目录, [`hotline_domain::catalogue`]):
//! kept by the hotline's administrators as an audited setting, read by its staff, and
//! the source of the unit suggested at intake and dispatch
//! (`GET /api/v1/orders/{id}/suggested-units`). The HTTP routes are in [`api`].

pub mod api;

use hotline_domain::catalogue::{DispatchCatalogue, MAX_ENTRIES};
use hotline_domain::{Capability, DomainPath, OrderId, RegionCode, UnitCode, UnitKind};
use serde::Serialize;

use crate::AppState;
use crate::access::{Org, Viewer};
use crate::audit::Principal;
use crate::error::{ApiError, ApiResult};

fn key(hotline: &UnitCode) -> String {
    format!("dispatch_catalogue:{hotline}")
}

/// The hotline whose catalogue a viewer reads or keeps (see
/// [`Viewer::hotline_to_keep`]).
pub fn hotline_of(org: &Org, v: &Viewer, named: Option<&str>) -> ApiResult<UnitCode> {
    v.hotline_to_keep(org, named)
}

/// A hotline's catalogue (empty until its administrators keep one).
pub async fn catalogue(state: &AppState, hotline: &UnitCode) -> ApiResult<DispatchCatalogue> {
    crate::settings::read(state, &key(hotline)).await
}

/// Replaces a hotline's catalogue: its administrators (or an installation's). Every
/// entry is checked — its domain, its region on the division list, and its units
/// active and under the hotline — and nothing changes if one is wrong.
pub async fn put_catalogue(
    state: &AppState,
    principal: &Principal<'_>,
    hotline: &UnitCode,
    c: DispatchCatalogue,
) -> ApiResult<DispatchCatalogue> {
    let org = state.org().await?;
    if !principal.grants(Capability::Administer) || !principal.administers(&org, Some(hotline)) {
        return Err(ApiError::forbidden(
            "a hotline's administrators keep its dispatch catalogue",
        ));
    }
    if c.entries.len() > MAX_ENTRIES {
        return Err(ApiError::invalid(
            "entries",
            format!("at most {MAX_ENTRIES} entries"),
        ));
    }
    let regions = state.regions().await?;
    for (i, e) in c.entries.iter().enumerate() {
        let field = |name: &str| format!("entries[{i}].{name}");
        e.validate()
            .map_err(|err| ApiError::invalid(&field("domain"), err.0))?;
        if let Some(path) = e.domain.contains('/').then(|| DomainPath::parse(&e.domain)) {
            let path = path.map_err(|err| ApiError::invalid(&field("domain"), err.0))?;
            if !state.taxonomy().await?.iter().any(|t| t.path == path) {
                return Err(ApiError::invalid(&field("domain"), "no such category"));
            }
        }
        if let Some(r) = e
            .region
            .as_ref()
            .filter(|r| regions.get(r.as_str()).is_none())
        {
            return Err(ApiError::invalid(
                &field("region"),
                format!("no such division: {r}"),
            ));
        }
        for (name, unit) in
            std::iter::once(("unit", &e.unit)).chain(e.co_units.iter().map(|u| ("co_units", u)))
        {
            let ok = org.get(unit).is_some_and(|u| {
                u.active && !u.kind.takes_requests() && org.in_dispatch_tree(hotline, &u.code)
            });
            if !ok {
                return Err(ApiError::invalid(
                    &field(name),
                    format!("{unit} is no active handling unit under {hotline}"),
                ));
            }
        }
    }
    let detail = serde_json::json!({"hotline": hotline, "entries": c.entries.len()});
    let record = principal.record(
        state,
        "dispatch_catalogue.change",
        format!("unit:{hotline}"),
        detail,
    );
    crate::settings::save(state, &key(hotline), &c, record).await?;
    Ok(c)
}

/// A unit the catalogue (or the order's place) suggests.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SuggestedUnit {
    pub unit: UnitCode,
    pub name: String,
    pub co_units: Vec<UnitCode>,
    /// `catalogue`: the hotline's dispatch catalogue; `region`: the district's
    /// government, for want of a catalogue entry.
    pub source: &'static str,
}

/// What to suggest for an order of `domain` in `region` owned by `hotline`: the best
/// catalogue entry, else the active district unit of that region under the hotline.
pub async fn suggest_for(
    state: &AppState,
    org: &Org,
    hotline: &UnitCode,
    domain: Option<&DomainPath>,
    region: &RegionCode,
) -> ApiResult<Vec<SuggestedUnit>> {
    let name = |u: &UnitCode| org.get(u).map_or_else(|| u.to_string(), |r| r.name.clone());
    let usable = |u: &UnitCode| {
        org.get(u)
            .is_some_and(|r| r.active && org.in_dispatch_tree(hotline, u))
    };
    if let Some(e) = catalogue(state, hotline).await?.best(domain, region)
        && usable(&e.unit)
    {
        return Ok(vec![SuggestedUnit {
            unit: e.unit.clone(),
            name: name(&e.unit),
            co_units: e.co_units.iter().filter(|u| usable(u)).cloned().collect(),
            source: "catalogue",
        }]);
    }
    Ok(org
        .all()
        .filter(|u| u.kind == UnitKind::District && u.region == *region && usable(&u.code))
        .map(|u| SuggestedUnit {
            unit: u.code.clone(),
            name: u.name.clone(),
            co_units: Vec::new(),
            source: "region",
        })
        .collect())
}

/// The units suggested for an order, for those who dispatch it.
pub async fn suggested_units(
    state: &AppState,
    v: &Viewer,
    id: OrderId,
) -> ApiResult<Vec<SuggestedUnit>> {
    let org = state.org().await?;
    let order = crate::orders::visible_order(state, v, &org, id).await?;
    if !v.is_staff_of(&org, &order) {
        return Err(ApiError::forbidden(
            "suggested units are for the staff of the order's hotline",
        ));
    }
    suggest_for(
        state,
        &org,
        &order.hotline,
        order.domain.as_ref(),
        &order.region,
    )
    .await
}

/// What intake suggests for a call of `domain` in `region`, before the order exists:
/// for the staff of a hotline, from their hotline's catalogue.
pub async fn suggestion_for_intake(
    state: &AppState,
    v: &Viewer,
    domain: Option<&DomainPath>,
    region: &RegionCode,
) -> ApiResult<Vec<SuggestedUnit>> {
    let org = state.org().await?;
    let Some(hotline) = v.staff_hotline(&org).cloned() else {
        return Err(ApiError::forbidden("suggestions are for hotline staff"));
    };
    suggest_for(state, &org, &hotline, domain, region).await
}

/// A suggestion as the console shows it: `派单建议：名称（派单目录）`.
pub fn hint(s: &SuggestedUnit) -> String {
    let source = if s.source == "catalogue" {
        "派单目录"
    } else {
        "属地"
    };
    format!("派单建议：{}（{source}）", s.name)
}
