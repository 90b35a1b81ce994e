//! Batch work: one action on several orders at once (dispatch a morning's orders to
//! one unit, accept several, mark callbacks nobody answered). Each order still goes
//! through [`perform`] on its own — its own permission check, transition, event and
//! audit record — so a batch is only a loop a person would otherwise click through,
//! and one order refused does not stop the others.

use super::*;

/// Orders one batch may name.
pub const MAX_ORDERS: usize = 100;

/// The actions a batch may take. A callback in a batch records only `unreachable`:
/// a requester's answer is taken one call at a time.
pub const ACTIONS: [ActionName; 4] = [
    ActionName::Dispatch,
    ActionName::Accept,
    ActionName::Callback,
    ActionName::Urge,
];

/// One order's outcome.
pub struct Outcome {
    pub id: OrderId,
    pub result: ApiResult<OrderView>,
}

/// Refuses a batch before any order is touched: an action batches do not take, no
/// orders, too many, or one named twice.
pub fn check(ids: &[OrderId], input: &ActionInput) -> ApiResult<()> {
    let name = input.name();
    if !ACTIONS.contains(&name) {
        return Err(ApiError::invalid(
            "action",
            format!("a batch takes dispatch, accept, callback (unreachable) or urge, not {name}"),
        ));
    }
    if let ActionInput::Callback(c) = input
        && c.result != CallbackResult::Unreachable
    {
        return Err(ApiError::invalid(
            "result",
            "a batch records only unreachable callbacks; record an answer on its order",
        ));
    }
    if ids.is_empty() {
        return Err(ApiError::invalid("orders", "name at least one order"));
    }
    if ids.len() > MAX_ORDERS {
        return Err(ApiError::invalid(
            "orders",
            format!("at most {MAX_ORDERS} orders a batch"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = ids.iter().find(|id| !seen.insert(id.get())) {
        return Err(ApiError::invalid(
            "orders",
            format!("order {} is named twice", twice.get()),
        ));
    }
    Ok(())
}

/// Takes the action on each order in turn, as that order's own action.
pub async fn perform_batch(
    state: &AppState,
    viewer: &Viewer,
    addr: &ClientAddr,
    ids: &[OrderId],
    input: ActionInput,
) -> ApiResult<Vec<Outcome>> {
    check(ids, &input)?;
    let mut out = Vec::with_capacity(ids.len());
    for &id in ids {
        let result = perform(state, viewer, addr, id, input.clone()).await;
        out.push(Outcome { id, result });
    }
    Ok(out)
}
