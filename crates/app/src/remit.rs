//! Sub-centres (分中心) and their remit (受理范围).
//!
//! A sub-centre — a 12315 or 12333 line merged into 12345 — is an owning hotline for
//! the domains of its remit, under the hotline it belongs to: its operators and
//! dispatchers register, answer and dispatch orders of those domains, in the tree of
//! the hotline above it (`Org::dispatch_root`), and that hotline sees them as its own
//! subtree. Requests from the portal and integration keys go to exactly one owning
//! hotline for their region and domain ([`Org::owner_for`]).
//!
//! The remit is kept per sub-centre (`remit:{code}` in the settings, so in the
//! backup), by the administrators of the hotline above it — a sub-centre's own
//! administrator could otherwise draw citizens' requests to it.

use std::collections::HashMap;

use hotline_domain::{Capability, DOMAIN_TOPS, DomainPath, RegionCode, UnitCode, UnitKind};

use crate::AppState;
use crate::access::{Org, Remit};
use crate::audit::Principal;
use crate::error::{ApiError, ApiResult};

/// Entries a remit holds at most.
pub const MAX_DOMAINS: usize = 100;

fn key(code: &UnitCode) -> String {
    format!("remit:{code}")
}

pub async fn remit_of(state: &AppState, code: &UnitCode) -> ApiResult<Remit> {
    crate::settings::read(state, &key(code)).await
}

/// The remits of the active sub-centres.
pub async fn remits(state: &AppState, org: &Org) -> ApiResult<HashMap<UnitCode, Remit>> {
    let mut out = HashMap::new();
    for u in org
        .all()
        .filter(|u| u.active && u.kind == UnitKind::Subcentre)
    {
        out.insert(u.code.clone(), remit_of(state, &u.code).await?);
    }
    Ok(out)
}

/// The owning hotline of a request from the portal (`from` none) or an integration
/// key of the hotline `from`.
pub async fn owner_for(
    state: &AppState,
    org: &Org,
    region: &RegionCode,
    domain: Option<&DomainPath>,
    from: Option<&UnitCode>,
) -> ApiResult<Option<UnitCode>> {
    // Without a domain no remit applies: nothing to read.
    let remits = match domain {
        Some(_) => remits(state, org).await?,
        None => HashMap::new(),
    };
    Ok(org.owner_for(region, domain, from, &remits))
}

/// A sub-centre registers only orders of its remit (422 `outside_remit`): anything
/// else is the hotline's.
pub async fn check_intake(
    state: &AppState,
    org: &Org,
    hotline: &UnitCode,
    domain: Option<&DomainPath>,
) -> ApiResult<()> {
    if org
        .get(hotline)
        .is_none_or(|u| u.kind != UnitKind::Subcentre)
    {
        return Ok(());
    }
    let remit = remit_of(state, hotline).await?;
    if domain.is_some_and(|d| remit.covers(d)) {
        return Ok(());
    }
    let listed = if remit.domains.is_empty() {
        "none set".to_owned()
    } else {
        remit.domains.join(", ")
    };
    let mut e = ApiError::invalid(
        "domain",
        format!("sub-centre {hotline} takes requests of its remit only ({listed})"),
    );
    e.code = "outside_remit";
    Err(e)
}

/// Replaces a sub-centre's remit: administrators of the hotline above it, or of the
/// installation; audited.
pub async fn put_remit(
    state: &AppState,
    principal: &Principal<'_>,
    code: &UnitCode,
    r: Remit,
) -> ApiResult<Remit> {
    let org = state.org().await?;
    let unit = org
        .get(code)
        .filter(|u| u.kind == UnitKind::Subcentre)
        .ok_or_else(|| ApiError::invalid("subcentre", format!("no such sub-centre: {code}")))?;
    let above = unit.parent.as_ref();
    if !principal.grants(Capability::Administer) || !principal.administers(&org, above) {
        return Err(ApiError::forbidden(
            "the administrators of the hotline above a sub-centre set its remit",
        ));
    }
    let remit = Remit {
        domains: valid_domains(&r.domains)?,
    };
    let detail = serde_json::json!({"subcentre": code, "domains": remit.domains});
    let record = principal.record(state, "remit.change", format!("unit:{code}"), detail);
    crate::settings::save(state, &key(code), &remit, record).await?;
    Ok(remit)
}

/// Each entry a field of the taxonomy or a `TOP/SUB` path; sorted, once each.
fn valid_domains(domains: &[String]) -> ApiResult<Vec<String>> {
    if domains.len() > MAX_DOMAINS {
        return Err(ApiError::invalid(
            "domains",
            format!("at most {MAX_DOMAINS} entries"),
        ));
    }
    let mut out = Vec::with_capacity(domains.len());
    for (i, d) in domains.iter().enumerate() {
        let d = d.trim();
        if d.chars().any(hotline_domain::text::is_refused_control) {
            return Err(ApiError::control_character(&format!("domains[{i}]")));
        }
        let ok = DOMAIN_TOPS.contains(&d) || DomainPath::parse(d).is_ok();
        if !ok {
            return Err(ApiError::invalid(
                &format!("domains[{i}]"),
                "expected a field (TOP) or TOP/SUB of the taxonomy",
            ));
        }
        out.push(d.to_owned());
    }
    out.sort();
    out.dedup();
    Ok(out)
}

pub mod api {
    //! `GET/PUT /api/v1/rules/remit?subcentre=CODE`.

    use axum::extract::State;
    use axum::routing::get;
    use axum::{Json, Router};

    use crate::AppState;
    use crate::access::Remit;
    use crate::audit::{ClientAddr, Principal};
    use crate::auth::CurrentUser;
    use crate::error::{ApiError, ApiResult};
    use crate::extract::{ApiJson, ApiQuery};
    use hotline_domain::UnitCode;

    /// `subcentre`: the sub-centre whose remit.
    #[derive(serde::Deserialize, utoipa::IntoParams)]
    pub(crate) struct SubcentreQuery {
        subcentre: String,
    }

    pub fn router() -> Router<AppState> {
        Router::new().route("/api/v1/rules/remit", get(get_remit).put(put_remit))
    }

    fn code(q: &SubcentreQuery) -> ApiResult<UnitCode> {
        UnitCode::parse(&q.subcentre).map_err(|e| ApiError::invalid("subcentre", e.0))
    }

    /// Anyone logged in who may see the sub-centre's unit (its remit decides where
    /// requests go, and is no secret).
    async fn get_remit(
        State(state): State<AppState>,
        CurrentUser(_v): CurrentUser,
        ApiQuery(q): ApiQuery<SubcentreQuery>,
    ) -> ApiResult<Json<Remit>> {
        let code = code(&q)?;
        let org = state.org().await?;
        if org
            .get(&code)
            .is_none_or(|u| u.kind != hotline_domain::UnitKind::Subcentre)
        {
            return Err(ApiError::not_found());
        }
        super::remit_of(&state, &code).await.map(Json)
    }

    async fn put_remit(
        State(state): State<AppState>,
        CurrentUser(v): CurrentUser,
        addr: ClientAddr,
        ApiQuery(q): ApiQuery<SubcentreQuery>,
        ApiJson(r): ApiJson<Remit>,
    ) -> ApiResult<Json<Remit>> {
        let code = code(&q)?;
        super::put_remit(&state, &Principal::person(&v, &addr), &code, r)
            .await
            .map(Json)
    }
}
