//! Recomputes the stored keyed phone hashes once, after the phone's canonical form
//! changed (mobiles without `+86`, landlines with their area code: issue 16), so that
//! history and duplicate lookups find callers registered before it. A stored number
//! reads back canonical by itself (`Phone` parses into that form); only the hash
//! column needs writing. Done once per installation (and again when
//! `phone_area_code` changes), marked by the `phone_hash_form` setting with an audit
//! record of how many orders it rehashed.

use hotline_domain::OrderId;
use hotline_store::{OrderFilter, Scope};
use tokio::task::JoinHandle;

use crate::AppState;
use crate::error::ApiResult;
use crate::orders::{local_phone, phone_hash};

/// The setting that records which form the hashes are in: the canonical form of
/// issue 16 with the area code local numbers were completed with (changing
/// `phone_area_code` rehashes again).
const MARK: &str = "phone_hash_form";

fn form(state: &AppState) -> String {
    format!("canonical-2:{}", state.config().phone_area_code)
}
/// Orders read and rewritten per transaction.
const BATCH: u32 = 500;

/// Rehashes every order's phone if not done yet; how many orders it rewrote.
pub async fn run_once(state: &AppState) -> ApiResult<usize> {
    let done: String = crate::settings::read(state, MARK).await?;
    let form = form(state);
    if done == form {
        return Ok(0);
    }
    let key = state.config().phone_hash_key.clone();
    let mut after: Option<OrderId> = None;
    let mut rehashed = 0;
    loop {
        let mut f = OrderFilter::new(Scope::All);
        f.oldest_first = true;
        f.after_id = after;
        f.limit = BATCH;
        let page = state.store().list_orders(&f).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        let hashes: Vec<(OrderId, String)> = page
            .iter()
            .filter_map(|o| {
                let phone = local_phone(state, o.requester.phone.clone()?);
                Some((o.id, phone_hash(&key, &phone)))
            })
            .collect();
        rehashed += hashes.len();
        state.store().set_phone_hashes(hashes).await?;
    }
    let record = crate::audit::system(
        state,
        "orders.phone_rehash",
        None,
        serde_json::json!({"orders": rehashed, "form": form}),
    );
    crate::settings::save(state, MARK, &form, record).await?;
    Ok(rehashed)
}

/// Runs the rehash once, in the background, when the server starts.
pub(super) fn spawn(state: AppState) -> JoinHandle<()> {
    tokio::spawn(async move {
        match run_once(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(orders = n, "phone hashes recomputed in the canonical form"),
            Err(e) => {
                tracing::warn!(error = %e.message, "phone rehash failed; it runs again at the next start")
            }
        }
    })
}
