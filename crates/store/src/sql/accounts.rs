//! Units, accounts, sessions and integration keys.

pub(crate) const INSERT_UNIT: &str = "INSERT INTO units (code, name, kind, parent, region, active, line_head) VALUES (?, ?, ?, ?, ?, ?, ?)";
/// Columns as [`crate::records::unit`] reads them.
pub(crate) const UNITS: &str =
    "SELECT code, name, kind, parent, region, active, line_head FROM units ORDER BY code";
pub(crate) const UPDATE_UNIT: &str =
    "UPDATE units SET name = ?, parent = ?, active = ?, line_head = ? WHERE code = ?";

/// Columns as [`crate::records::user`] reads them.
pub(crate) const USERS: &str =
    "SELECT id, username, password_hash, roles, unit, active FROM users ORDER BY username";
pub(crate) const USER_BY_NAME: &str =
    "SELECT id, username, password_hash, roles, unit, active FROM users WHERE username = ?";
pub(crate) const INSERT_USER: &str = "INSERT INTO users (username, password_hash, roles, unit, active) \
     VALUES (?, ?, ?, ?, TRUE) RETURNING id";
pub(crate) const PASSWORD_OF: &str = "SELECT password_hash FROM users WHERE id = ?";
pub(crate) const UPDATE_USER: &str =
    "UPDATE users SET password_hash = ?, roles = ?, unit = ?, active = ? WHERE id = ?";
pub(crate) const SET_PASSWORD_BY_NAME: &str =
    "UPDATE users SET password_hash = ? WHERE username = ?";
pub(crate) const SET_PASSWORD: &str = "UPDATE users SET password_hash = ? WHERE id = ?";

pub(crate) const INSERT_SESSION: &str = "INSERT INTO sessions \
     (token_hash, user_id, created_at, expires_at, last_seen, address) VALUES (?, ?, ?, ?, ?, ?)";
/// The session's user (as [`crate::records::user`] reads it), then its times and address.
pub(crate) const SESSION: &str = "SELECT u.id, u.username, u.password_hash, u.roles, u.unit, \
     u.active, s.created_at, s.expires_at, s.last_seen, s.address \
     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?";
pub(crate) const TOUCH_SESSION: &str = "UPDATE sessions SET last_seen = ? WHERE token_hash = ?";
pub(crate) const DELETE_SESSION: &str = "DELETE FROM sessions WHERE token_hash = ?";
pub(crate) const USER_SESSIONS: &str = "SELECT token_hash, created_at, expires_at, last_seen, \
     address FROM sessions WHERE user_id = ? ORDER BY created_at DESC, token_hash";
pub(crate) const END_SESSIONS: &str = "DELETE FROM sessions WHERE user_id = ?";
pub(crate) const END_SESSION: &str = "DELETE FROM sessions WHERE user_id = ? AND token_hash = ?";
pub(crate) const END_OTHER_SESSIONS: &str =
    "DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?";

pub(crate) const INSERT_API_KEY: &str = "INSERT INTO api_keys \
     (name, key_hash, unit, actions, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id";
/// Columns as [`crate::records::api_key`] reads them.
pub(crate) const API_KEY_BY_HASH: &str = "SELECT id, name, key_hash, unit, actions, created_at, \
     revoked_at FROM api_keys WHERE key_hash = ?";
pub(crate) const API_KEYS: &str = "SELECT id, name, key_hash, unit, actions, created_at, \
     revoked_at FROM api_keys ORDER BY name";
pub(crate) const REVOKE_API_KEY: &str =
    "UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL";
