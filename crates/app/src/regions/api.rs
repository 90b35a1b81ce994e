//! `GET /api/v1/regions` (without login: the portal asks it), the address
//! suggestion, and an administrator's `PUT /api/v1/regions/streets/{code}`.

use axum::extract::{Path, State};
use axum::routing::{get, put};
use axum::{Json, Router};
use hotline_domain::regions::{Region, Suggestion};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::audit::{ClientAddr, Principal};
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/regions", get(list_regions))
        .route("/api/v1/regions/suggest", get(suggest_regions))
        .route("/api/v1/regions/streets/{code}", put(put_street))
}

/// `parent` (its children; the provinces without one) or `q` (names containing it,
/// `within` a division if given).
#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct RegionQuery {
    parent: Option<String>,
    q: Option<String>,
    within: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = RegionList)]
pub(crate) struct Items {
    items: Vec<Region>,
}

async fn list_regions(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<RegionQuery>,
) -> ApiResult<Json<Items>> {
    let items = super::list(
        &state,
        q.parent.as_deref(),
        q.q.as_deref(),
        q.within.as_deref(),
    )
    .await?;
    Ok(Json(Items { items }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct SuggestQuery {
    address: String,
    within: Option<String>,
}

async fn suggest_regions(
    State(state): State<AppState>,
    addr: ClientAddr,
    ApiQuery(q): ApiQuery<SuggestQuery>,
) -> ApiResult<Json<Suggestion>> {
    super::suggest(&state, &addr, &q.address, q.within.as_deref())
        .await
        .map(Json)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct StreetName {
    name: String,
}

async fn put_street(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    addr: ClientAddr,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<StreetName>,
) -> ApiResult<Json<Region>> {
    let principal = Principal::person(&v, &addr);
    super::set_street(&state, &principal, &code, &body.name)
        .await
        .map(Json)
}
