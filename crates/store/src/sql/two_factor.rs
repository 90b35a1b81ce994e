//! Two-factor sign-in.

/// Columns as [`crate::records::two_factor`] reads them.
pub(crate) const READ: &str = "SELECT totp_secret, totp_pending, totp_enrolled_at, totp_last_step, \
     (SELECT COUNT(*) FROM recovery_codes r WHERE r.user_id = users.id AND r.used_at IS NULL) \
     FROM users WHERE id = ?";
/// (secret, id): only where nothing is enrolled.
pub(crate) const OFFER: &str =
    "UPDATE users SET totp_pending = ? WHERE id = ? AND totp_secret IS NULL";
/// (enrolled_at, step, id, secret)
pub(crate) const CONFIRM: &str = "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, \
     totp_enrolled_at = ?, totp_last_step = ? WHERE id = ? AND totp_pending = ? AND totp_secret IS NULL";
/// (step, id, step)
pub(crate) const USE_STEP: &str = "UPDATE users SET totp_last_step = ? WHERE id = ? \
     AND totp_secret IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < ?)";
/// (at, id, hash)
pub(crate) const USE_RECOVERY: &str = "UPDATE recovery_codes SET used_at = ? \
     WHERE user_id = ? AND code_hash = ? AND used_at IS NULL";
pub(crate) const ENROLLED: &str = "SELECT 1 FROM users WHERE id = ? AND totp_secret IS NOT NULL";
pub(crate) const CLEAR_RECOVERY: &str = "DELETE FROM recovery_codes WHERE user_id = ?";
/// (id, hash)
pub(crate) const ADD_RECOVERY: &str =
    "INSERT INTO recovery_codes (user_id, code_hash, used_at) VALUES (?, ?, NULL)";
pub(crate) const REMOVE: &str = "UPDATE users SET totp_secret = NULL, totp_pending = NULL, \
     totp_enrolled_at = NULL, totp_last_step = NULL WHERE id = ?";
