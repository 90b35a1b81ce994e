//! Samples drawn for inspection.

pub(crate) const INSERT_SAMPLE: &str =
    "INSERT INTO samples (owner, period, drawn_at, version, doc) VALUES (?, ?, ?, 1, ?)";
pub(crate) const INSERT_SAMPLE_RETURNING: &str = "INSERT INTO samples \
     (owner, period, drawn_at, version, doc) VALUES (?, ?, ?, 1, ?) RETURNING id";
pub(crate) const SAMPLE: &str = "SELECT id, version, doc FROM samples WHERE id = ?";
pub(crate) const SAMPLES_OF: &str =
    "SELECT id, version, doc FROM samples WHERE owner = ? ORDER BY id DESC LIMIT ?";
pub(crate) const UPDATE_SAMPLE: &str =
    "UPDATE samples SET doc = ?, version = ? WHERE id = ? AND version = ?";
