//! Settings an administrator (or the server) keeps as JSON in the store, read with
//! their defaults and saved with their audit record in the same transaction.

use hotline_domain::audit::AuditRecord;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::{ApiError, ApiResult};

/// The setting stored under `key`, or the default until one is saved.
pub async fn read<T: DeserializeOwned + Default>(state: &AppState, key: &str) -> ApiResult<T> {
    match state.store().setting(key).await? {
        Some(text) => serde_json::from_str(&text).map_err(|e| ApiError::internal(e.to_string())),
        None => Ok(T::default()),
    }
}

/// Stores `value` under `key`, audited by `record`.
pub async fn save<T: Serialize>(
    state: &AppState,
    key: &str,
    value: &T,
    record: AuditRecord,
) -> ApiResult<()> {
    let text = serde_json::to_string(value).map_err(|e| ApiError::internal(e.to_string()))?;
    state.store().put_setting(key, text, record).await?;
    Ok(())
}
