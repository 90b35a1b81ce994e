//! Picking a place by name on the intake screen and the portal: the districts a form
//! offers, grouped by city (province → city → district in one list), the streets of
//! the district chosen, and the script that refills the streets when the district
//! changes and suggests both from an address typed first.

use super::*;
use hotline_domain::RegionCode;
use hotline_domain::regions::{RegionLevel, Regions};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/static/places.js", get(places_script))
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
