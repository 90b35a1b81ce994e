//! The reports API: each handler reads its query and calls the use case in [`super`].

pub mod summons;

use super::*;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use crate::auth::CurrentUser;
use crate::extract::ApiQuery;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reports/units", get(units))
        .route("/api/v1/reports/hotlines", get(hotlines))
        .route("/api/v1/reports/weights", get(get_weights).put(put_weights))
        .route("/api/v1/reports/hotspots", get(hotspots))
        .route("/api/v1/reports/period", get(period))
        .route("/api/v1/reports/seasonal", get(seasonal))
        .merge(summons::router())
}

#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct UnitsQuery {
    from: Option<String>,
    to: Option<String>,
    region: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = UnitAssessment)]
pub(crate) struct Items {
    items: Vec<UnitLine>,
    #[schema(value_type = String, format = DateTime)]
    from: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    to: Timestamp,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = HotlineAssessment)]
pub(crate) struct HotlineItems {
    items: Vec<hotlines::HotlineLine>,
    #[schema(value_type = String, format = DateTime)]
    from: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    to: Timestamp,
}

/// `from`, `to`: the range (default: the 30 days up to now).
#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
}

/// The range a query names, or the 30 days up to now.
fn range_of(
    state: &AppState,
    from: Option<&str>,
    to: Option<&str>,
) -> ApiResult<(Timestamp, Timestamp)> {
    let to = to
        .map(|s| dates::time("to", s, true))
        .transpose()?
        .unwrap_or(state.now());
    let from = from
        .map(|s| dates::time("from", s, false))
        .transpose()?
        .unwrap_or(to - chrono::Duration::days(30));
    Ok((from, to))
}

async fn hotlines(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> ApiResult<Json<HotlineItems>> {
    let (from, to) = range_of(&state, q.from.as_deref(), q.to.as_deref())?;
    let items = hotlines::assess_hotlines(&state, &v, from, to).await?;
    Ok(Json(HotlineItems { items, from, to }))
}

async fn get_weights(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
) -> ApiResult<Json<Weights>> {
    Ok(Json(weights(&state).await?))
}

async fn put_weights(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    addr: crate::audit::ClientAddr,
    crate::extract::ApiJson(w): crate::extract::ApiJson<Weights>,
) -> ApiResult<Json<Weights>> {
    let principal = crate::audit::Principal::person(&v, &addr);
    Ok(Json(set_weights(&state, &principal, w).await?))
}

async fn units(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    ApiQuery(q): ApiQuery<UnitsQuery>,
) -> ApiResult<Json<Items>> {
    let (from, to) = range_of(&state, q.from.as_deref(), q.to.as_deref())?;
    let region = q
        .region
        .as_deref()
        .map(|r| RegionCode::parse(r).map_err(|e| ApiError::invalid("region", e.0)))
        .transpose()?;
    let items = assess_units(&state, &v, from, to, region).await?;
    Ok(Json(Items { items, from, to }))
}

/// A `YYYY-MM-DD` query parameter; today when absent.
fn date_param(field: &str, value: Option<&str>, state: &AppState) -> ApiResult<chrono::NaiveDate> {
    value.map_or(Ok(state.today()), |d| dates::day(field, d))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct HotspotQuery {
    day: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Hotspots {
    day: chrono::NaiveDate,
    rule: &'static str,
    warnings: Vec<hotline_domain::hotspots::Warning>,
}

async fn hotspots(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    ApiQuery(q): ApiQuery<HotspotQuery>,
) -> ApiResult<Json<Hotspots>> {
    let day = date_param("day", q.day.as_deref(), &state)?;
    let warnings = hotspots_for(&state, &v, day).await?;
    Ok(Json(Hotspots {
        day,
        rule: "count ≥ 5 and count ≥ mean + 3 × max(sd, 1) of the 14 days before, per topic and district",
        warnings,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct PeriodQuery {
    /// `day`, `week`, `month` (the default), `quarter`, `year`, or `range` with `from`
    /// and `to` (at most 366 days).
    period: Option<Period>,
    date: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

async fn period(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<PeriodReport>> {
    let date = date_param("date", q.date.as_deref(), &state)?;
    let period = q.period.unwrap_or(Period::Month);
    let range = match (q.from.as_deref(), q.to.as_deref()) {
        (Some(from), Some(to)) => Some((
            crate::dates::day("from", from)?,
            crate::dates::day("to", to)?,
        )),
        _ => None,
    };
    let days = period.days(date, range)?;
    let report = crate::reports::range_report(&state, &v, period, days).await?;
    Ok(Json(report))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct SeasonalQuery {
    month: String,
    years: Option<i32>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SeasonalItems {
    items: Vec<Seasonal>,
}

async fn seasonal(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    ApiQuery(q): ApiQuery<SeasonalQuery>,
) -> ApiResult<Json<SeasonalItems>> {
    use chrono::Datelike;
    let first = dates::month("month", &q.month)?;
    let (year, month) = (first.year(), first.month());
    let items = seasonal_for(&state, &v, year, month, q.years.unwrap_or(3).clamp(2, 10)).await?;
    Ok(Json(SeasonalItems { items }))
}
