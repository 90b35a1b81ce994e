//! The supervision list's API: the handler reads its query and calls
//! [`crate::orders::supervision::list_for`].

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::ApiQuery;
use crate::orders::supervision::{SupervisionLine, list_for};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/supervision", get(list))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct ListQuery {
    state: Option<String>,
    /// Only orders this hotline oversees itself.
    mine: Option<bool>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = SupervisionList)]
pub(crate) struct Items {
    items: Vec<SupervisionLine>,
}

async fn list(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Items>> {
    let items = list_for(&state, &v, q.state.as_deref(), q.mine.unwrap_or(false)).await?;
    Ok(Json(Items { items }))
}
