//! Possible duplicates: the earlier orders from the same phone or about the same
//! address that a new order lists when it is registered, so that the operator sees a
//! repeat call before handling it twice.

use crate::Timestamp;

/// How many possible duplicates are listed for each key (the phone, the address),
/// newest first; merged orders are not counted.
pub const PER_KEY: usize = 10;

/// The start of the window, in Unix seconds: orders registered at or after it, `days`
/// days before `now`, are looked at.
pub fn window_start(now: Timestamp, days: i64) -> i64 {
    now.timestamp() - days * 86_400
}
