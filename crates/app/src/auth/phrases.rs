//! A person's common phrases (常用语) for notes, replies and answers:
//! `GET/PUT /api/v1/me/phrases`, the console's "my account" page, and the picker
//! beside the text boxes of the intake screen and the order page. Kept per account as
//! an audited setting; at most [`MAX_PHRASES`] of at most [`MAX_CHARS`] characters.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::access::Viewer;
use crate::audit::ClientAddr;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;

pub const MAX_PHRASES: usize = 50;
pub const MAX_CHARS: usize = 200;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/me/phrases", get(get_phrases).put(put_phrases))
}

#[derive(Debug, Default, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = Phrases)]
pub struct Phrases {
    pub items: Vec<String>,
}

fn key(v: &Viewer) -> String {
    format!("phrases:{}", v.user.id.0)
}

/// The viewer's phrases (none until they keep some).
pub async fn phrases_of(state: &AppState, v: &Viewer) -> ApiResult<Phrases> {
    crate::auth::account::person(v)?;
    crate::settings::read(state, &key(v)).await
}

/// Replaces the viewer's phrases: blank ones dropped, each trimmed, checked for length
/// and number; nothing changes if one is wrong.
pub async fn set_phrases(
    state: &AppState,
    v: &Viewer,
    addr: &ClientAddr,
    items: Vec<String>,
) -> ApiResult<Phrases> {
    crate::auth::account::person(v)?;
    let items: Vec<String> = items
        .iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    if items.len() > MAX_PHRASES {
        return Err(ApiError::invalid(
            "items",
            format!("at most {MAX_PHRASES} phrases"),
        ));
    }
    if let Some(i) = items.iter().position(|p| p.chars().count() > MAX_CHARS) {
        return Err(ApiError::invalid(
            &format!("items[{i}]"),
            format!("a phrase has at most {MAX_CHARS} characters"),
        ));
    }
    let phrases = Phrases { items };
    let detail = serde_json::json!({"phrases": phrases.items.len()});
    let record = crate::auth::account::audit_own(state, v, addr, "account.phrases", detail);
    crate::settings::save(state, &key(v), &phrases, record).await?;
    Ok(phrases)
}

async fn get_phrases(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
) -> ApiResult<Json<Phrases>> {
    phrases_of(&state, &v).await.map(Json)
}

async fn put_phrases(
    State(state): State<AppState>,
    CurrentUser(v): CurrentUser,
    addr: ClientAddr,
    ApiJson(p): ApiJson<Phrases>,
) -> ApiResult<Json<Phrases>> {
    set_phrases(&state, &v, &addr, p.items).await.map(Json)
}
