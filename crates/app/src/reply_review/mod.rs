//! Reply review (答复审核) and sensitive words (敏感词).
//!
//! A hotline may require its staff to review a unit's reply before the requester is
//! called back, for the kinds it names: the reply then waits (`reply_review` on the
//! order) until a dispatcher or supervisor approves it (`reply/approve`, on to the
//! callback) or sends it back to the unit with the reason (`reply/reject`, the order
//! in progress again, its deadline still running). The rate is in the period report.
//!
//! Words the administrator lists are flagged in every text that goes to the public —
//! a unit's reply, a direct answer — before it is sent: the action is refused (422
//! `sensitive_words`, naming them) unless the sender confirms it
//! (`confirm_sensitive: true`).

pub mod api;

use hotline_domain::{Capability, Kind, Order, UnitCode};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::audit::Principal;
use crate::error::{ApiError, ApiResult};

/// A hotline's review rule: the kinds whose replies its staff review.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReplyReview {
    pub kinds: Vec<Kind>,
}

fn key(hotline: &UnitCode) -> String {
    format!("reply_review:{hotline}")
}

pub async fn review_of(state: &AppState, hotline: &UnitCode) -> ApiResult<ReplyReview> {
    crate::settings::read(state, &key(hotline)).await
}

/// Whether a reply to this order waits for its hotline's review.
pub async fn needs_review(state: &AppState, order: &Order) -> ApiResult<bool> {
    Ok(review_of(state, &order.hotline)
        .await?
        .kinds
        .contains(&order.kind))
}

/// Sets a hotline's review rule: its administrators (or an installation's); audited.
pub async fn put_review(
    state: &AppState,
    principal: &Principal<'_>,
    hotline: &UnitCode,
    mut r: ReplyReview,
) -> ApiResult<ReplyReview> {
    let org = state.org().await?;
    if !principal.grants(Capability::Administer) || !principal.administers(&org, Some(hotline)) {
        return Err(ApiError::forbidden(
            "a hotline's administrators decide which replies it reviews",
        ));
    }
    r.kinds.sort_by_key(|k| k.as_str());
    r.kinds.dedup();
    let detail = serde_json::json!({"hotline": hotline, "kinds": r.kinds});
    let record = principal.record(
        state,
        "reply_review.change",
        format!("unit:{hotline}"),
        detail,
    );
    crate::settings::save(state, &key(hotline), &r, record).await?;
    Ok(r)
}

/// The installation's sensitive words.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SensitiveWords {
    pub words: Vec<String>,
}

const WORDS_KEY: &str = "sensitive_words";
/// Words the list holds at most, and characters a word.
pub const MAX_WORDS: usize = 1000;
pub const MAX_WORD_CHARS: usize = 30;

pub async fn words(state: &AppState) -> ApiResult<SensitiveWords> {
    crate::settings::read(state, WORDS_KEY).await
}

/// Replaces the list: installation administrators; audited.
pub async fn put_words(
    state: &AppState,
    principal: &Principal<'_>,
    w: SensitiveWords,
) -> ApiResult<SensitiveWords> {
    if !principal.is_installation_admin() {
        return Err(ApiError::forbidden(
            "the installation's administrators keep the sensitive words",
        ));
    }
    if w.words.len() > MAX_WORDS {
        return Err(ApiError::invalid(
            "words",
            format!("at most {MAX_WORDS} words"),
        ));
    }
    let mut words: Vec<String> = Vec::with_capacity(w.words.len());
    for (i, word) in w.words.iter().enumerate() {
        let word = word.trim();
        if word.is_empty() || word.chars().count() > MAX_WORD_CHARS {
            return Err(ApiError::invalid(
                &format!("words[{i}]"),
                format!("1 to {MAX_WORD_CHARS} characters"),
            ));
        }
        if word.chars().any(hotline_domain::text::is_refused_control) {
            return Err(ApiError::control_character(&format!("words[{i}]")));
        }
        if !words.iter().any(|w| w == word) {
            words.push(word.to_owned());
        }
    }
    let list = SensitiveWords { words };
    let detail = serde_json::json!({"words": list.words.len()});
    let record = principal.record(
        state,
        "sensitive_words.change",
        "rules:sensitive_words".into(),
        detail,
    );
    crate::settings::save(state, WORDS_KEY, &list, record).await?;
    Ok(list)
}

/// A text as words are looked for in it: without white space and invisible
/// formatting characters, full-width letters and digits as ASCII, so that `保 证`,
/// `保\u{200B}证` or `ＶＩＰ` do not hide a listed word.
fn folded(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}'))
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// The listed words a text holds, in the list's order.
pub async fn flagged(state: &AppState, text: &str) -> ApiResult<Vec<String>> {
    let text = folded(text);
    Ok(words(state)
        .await?
        .words
        .into_iter()
        .filter(|w| text.contains(&folded(w)))
        .collect())
}

/// Refuses a text for the public holding listed words, unless the sender confirmed
/// it: 422 `sensitive_words`, the words named under the field.
pub async fn check_public_text(
    state: &AppState,
    field: &str,
    text: &str,
    confirmed: bool,
) -> ApiResult<()> {
    if confirmed {
        return Ok(());
    }
    let found = flagged(state, text).await?;
    if found.is_empty() {
        return Ok(());
    }
    let mut e = ApiError::invalid(
        field,
        format!("contains sensitive words: {}", found.join("、")),
    );
    e.code = "sensitive_words";
    Err(e)
}
