//! The summons API: each handler reads its request and calls the use case in
//! [`crate::reports::summons`].

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use hotline_domain::summons::SummonsRules;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::audit::{ClientAddr, Principal};
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery};
use crate::reports::summons::{
    ActedBody, SummonsLine, record_acted, rules, set_rules, summons_for,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reports/summons", get(list))
        .route("/api/v1/reports/summons/acted", post(acted))
        .route(
            "/api/v1/reports/summons/rules",
            get(get_rules).put(put_rules),
        )
}

#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct MonthQuery {
    month: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = SummonsList)]
pub(crate) struct Items {
    month: String,
    items: Vec<SummonsLine>,
}

async fn list(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> ApiResult<Json<Items>> {
    let month = q
        .month
        .unwrap_or_else(|| state.today().format("%Y-%m").to_string());
    let items = summons_for(&state, &v, &month).await?;
    Ok(Json(Items { month, items }))
}

async fn get_rules(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
) -> ApiResult<Json<SummonsRules>> {
    Ok(Json(rules(&state).await?))
}

async fn acted(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    addr: ClientAddr,
    ApiJson(b): ApiJson<ActedBody>,
) -> ApiResult<StatusCode> {
    record_acted(&state, &v, &addr, b).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn put_rules(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    addr: ClientAddr,
    ApiJson(r): ApiJson<SummonsRules>,
) -> ApiResult<Json<SummonsRules>> {
    let principal = Principal::person(&v, &addr);
    Ok(Json(set_rules(&state, &principal, r).await?))
}
