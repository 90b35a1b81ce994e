//! The login guard and the rate limits.

/// The address's failures this minute: (window start, count). Also any rate counter.
pub(crate) const ADDRESS: &str = "SELECT window_start, count FROM rate_counters WHERE key = ?";
pub(crate) const PAIR: &str = "SELECT failures, first_at, locked_until FROM login_pair_failures \
     WHERE username = ? AND address = ?";
pub(crate) const NAME: &str = "SELECT failures, first_at FROM login_failures WHERE username = ?";
pub(crate) const KNOWN: &str =
    "SELECT last_at FROM login_known_addresses WHERE username = ? AND address = ?";
/// Sets a rate counter (the address's failures, or any other limit).
pub(crate) const PUT_ADDRESS: &str = "INSERT INTO rate_counters (key, window_start, count) \
     VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET window_start = excluded.window_start, \
     count = excluded.count";
pub(crate) const PUT_PAIR: &str = "INSERT INTO login_pair_failures \
     (username, address, failures, first_at, locked_until) VALUES (?, ?, ?, ?, ?) \
     ON CONFLICT (username, address) DO UPDATE SET failures = excluded.failures, \
     first_at = excluded.first_at, locked_until = excluded.locked_until";
pub(crate) const PUT_NAME: &str = "INSERT INTO login_failures \
     (username, failures, first_at, locked_until) VALUES (?, ?, ?, 0) \
     ON CONFLICT (username) DO UPDATE SET failures = excluded.failures, \
     first_at = excluded.first_at";
/// Makes sure a name's row exists, so that it can be locked (PostgreSQL).
pub(crate) const CLAIM_NAME: &str = "INSERT INTO login_failures \
     (username, failures, first_at, locked_until) VALUES (?, 0, 0, 0) \
     ON CONFLICT (username) DO NOTHING";
/// Makes sure a rate counter's row exists, so that it can be locked (PostgreSQL).
pub(crate) const CLAIM_COUNTER: &str = "INSERT INTO rate_counters (key, window_start, count) \
     VALUES (?, 0, 0) ON CONFLICT (key) DO NOTHING";
/// A success takes back its attempt from the name's hour that counted it.
pub(crate) const UNCOUNT_NAME: &str = "UPDATE login_failures SET failures = failures - 1 \
     WHERE username = ? AND first_at <= ? AND failures > 0";
/// A checked attempt failed: one more for the address's minute.
pub(crate) const COUNT_ADDRESS: &str = "INSERT INTO rate_counters (key, window_start, count) \
     VALUES (?, ?, 1) ON CONFLICT (key) DO UPDATE SET \
     count = CASE WHEN rate_counters.window_start = excluded.window_start \
     THEN rate_counters.count + 1 ELSE 1 END, window_start = excluded.window_start";
pub(crate) const CLEAR_PAIR: &str =
    "DELETE FROM login_pair_failures WHERE username = ? AND address = ?";
pub(crate) const KNOW: &str = "INSERT INTO login_known_addresses (username, address, last_at) \
     VALUES (?, ?, ?) ON CONFLICT (username, address) DO UPDATE SET last_at = excluded.last_at";
/// Addresses no longer spared are forgotten when the name next logs in.
pub(crate) const FORGET: &str =
    "DELETE FROM login_known_addresses WHERE username = ? AND last_at < ?";

/// What the login guard no longer needs (every `?`: the cut-off, in Unix seconds):
/// counters and failures whose window and lock ended before it…
pub(crate) const PURGE_COUNTERS: [&str; 3] = [
    "DELETE FROM rate_counters WHERE window_start < ?",
    "DELETE FROM login_failures WHERE first_at < ? AND locked_until < ?",
    "DELETE FROM login_pair_failures WHERE first_at < ? AND locked_until < ?",
];
/// …then addresses known for a name and sessions that ended before theirs.
pub(crate) const PURGE_KNOWN: [&str; 2] = [
    "DELETE FROM login_known_addresses WHERE last_at < ?",
    "DELETE FROM sessions WHERE expires_at < ?",
];
