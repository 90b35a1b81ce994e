//! Picking a place by name on the intake screen and the portal: the districts a form
//! offers, grouped by city (province → city → district in one list), the streets of
//! the district chosen, and the script that refills the streets when the district
//! changes and suggests both from an address typed first; and the script that finds
//! units by name wherever a unit is asked for.

use super::*;
use hotline_domain::RegionCode;
use hotline_domain::regions::{RegionLevel, Regions};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/static/places.js", get(places_script))
        .route("/static/units.js", get(units_script))
        .route("/static/phrases.js", get(phrases_script))
        .route("/static/intake.js", get(intake_script))
        .route("/console/units/find", get(find_units))
        .route("/console/units/suggest", get(suggest_units))
}

#[derive(Deserialize)]
pub(super) struct FindQuery {
    q: Option<String>,
}

/// The unit picker's answer, for a signed-in console user (the API's
/// `GET /api/v1/units?q=` takes a bearer token).
async fn find_units(
    State(state): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<FindQuery>,
) -> Response {
    match crate::admin::api::units_for(&state, &user.viewer, q.q.as_deref()).await {
        Ok(mut items) => {
            items.truncate(20);
            axum::Json(serde_json::json!({ "items": items })).into_response()
        }
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
pub(super) struct SuggestQuery {
    domain: Option<String>,
    region: Option<String>,
}

/// The dispatch catalogue's suggestion for a call being taken, for the intake screen.
async fn suggest_units(
    State(state): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<SuggestQuery>,
) -> Response {
    let domain = q
        .domain
        .as_deref()
        .and_then(|d| hotline_domain::DomainPath::parse(d).ok());
    let Some(region) = q
        .region
        .as_deref()
        .and_then(|r| RegionCode::parse(r.trim()).ok())
    else {
        return ApiError::invalid("region", "a 6-digit division code").into_response();
    };
    match crate::catalogue::suggestion_for_intake(&state, &user.viewer, domain.as_ref(), &region)
        .await
    {
        Ok(items) => axum::Json(serde_json::json!({ "items": items })).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn intake_script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../../../static/intake.js"),
    )
}

async fn phrases_script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../../../static/phrases.js"),
    )
}

async fn units_script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../../../static/units.js"),
    )
}

async fn places_script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../../../static/places.js"),
    )
}

/// One option of a place list.
pub(super) struct Place {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

/// A city's districts, under the city's (and province's) name.
pub(super) struct PlaceGroup {
    pub label: String,
    pub places: Vec<Place>,
}

fn place(r: hotline_domain::regions::Region, selected: &str) -> Place {
    Place {
        selected: r.code == selected,
        code: r.code,
        name: r.name,
    }
}

/// The districts within `scopes` (provinces, cities or districts), grouped by city;
/// a city without districts is its own single choice.
pub(super) fn district_groups(
    regions: &Regions,
    scopes: &[RegionCode],
    selected: &str,
) -> Vec<PlaceGroup> {
    let mut cities = Vec::new();
    for scope in scopes {
        let Some(r) = regions.get(scope.as_str()) else {
            continue;
        };
        match r.level {
            RegionLevel::Province => cities.extend(regions.children(Some(&r.code))),
            RegionLevel::City | RegionLevel::District => cities.push(r),
            RegionLevel::Street => {}
        }
    }
    cities.sort_by(|a, b| a.code.cmp(&b.code));
    cities.dedup_by(|a, b| a.code == b.code);
    cities
        .into_iter()
        .map(|city| {
            let label = regions.full_name(&city.code);
            let districts: Vec<_> = regions
                .children(Some(&city.code))
                .into_iter()
                .filter(|d| d.level == RegionLevel::District)
                .collect();
            let places = if districts.is_empty() {
                vec![place(city, selected)]
            } else {
                districts.into_iter().map(|d| place(d, selected)).collect()
            };
            PlaceGroup { label, places }
        })
        .collect()
}

/// The towns and streets of `region`, `selected` marked.
pub(super) fn street_choices(regions: &Regions, region: &str, selected: &str) -> Vec<Place> {
    if region.trim().is_empty() {
        return Vec::new();
    }
    regions
        .children(Some(region.trim()))
        .into_iter()
        .filter(|s| s.level == RegionLevel::Street)
        .map(|s| place(s, selected))
        .collect()
}
