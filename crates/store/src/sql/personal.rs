//! Personal data at rest and its retention.

/// Orders per key id (NULL: stored plain).
pub(crate) const KEYS: &str = "SELECT pd_key, COUNT(*) FROM orders GROUP BY pd_key ORDER BY pd_key";
/// One sealed document per key id in use: opening it at start proves the key.
pub(crate) const SAMPLES: &str = "SELECT o.pd_key, o.doc FROM orders o WHERE o.id IN \
     (SELECT MIN(id) FROM orders WHERE pd_key IS NOT NULL GROUP BY pd_key)";
/// Orders not sealed with the current key (`?` after id, current key, limit).
pub(crate) const NOT_CURRENT: &str = "SELECT id, version, doc, address_key FROM orders \
     WHERE id > ? AND (pd_key IS NULL OR pd_key <> ?) ORDER BY id LIMIT ?";
/// Orders stored plain (`?` after id, limit).
pub(crate) const PLAIN: &str = "SELECT id, version, doc, address_key FROM orders \
     WHERE id > ? AND pd_key IS NULL ORDER BY id LIMIT ?";
/// The same order sealed again; the version is unchanged (the order is the same),
/// but must still be the one read, or a newer write (sealed already) wins.
pub(crate) const RESEAL: &str = "UPDATE orders SET doc = ?, pd_key = ?, address_key = ? \
     WHERE id = ? AND version = ?";
/// Closed orders past retention whose personal data is still there.
pub(crate) const TO_PURGE: &str = "SELECT id, version, doc FROM orders WHERE closed_at < ? \
     AND purged_at IS NULL AND status = 'closed' ORDER BY closed_at, id LIMIT ?";
pub(crate) const PURGE: &str = "UPDATE orders SET doc = ?, version = ?, pd_key = ?, \
     phone_hash = NULL, address_key = NULL, purged_at = ? WHERE id = ? AND version = ?";
/// The setting that says every order stored plain before encryption was turned on
/// has been sealed (the one-time conversion at the first start with it on).
pub(crate) const SEALED_SETTING: &str = "personal_data.sealed";
