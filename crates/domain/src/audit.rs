//! The audit trail's hash chain.
//!
//! Every record holds the hash of the one before it, and its own hash covers that and
//! every field of the record, its id included: changing, deleting, inserting or
//! reordering a record breaks the chain at that record. [`ChainVerifier`] walks the
//! trail in order and names the first record that does not fit.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Timestamp;

/// The `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, as the use case reports it; the store numbers and chains it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditRecord {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// Username, or `requester` / `system` / the name tried at a failed login.
    pub actor: String,
    /// The actor's unit, for scoping who may read the record.
    pub unit: Option<String>,
    /// Where the request came from.
    pub address: Option<String>,
    /// What was done: `login`, `login_failed`, `order.dispatch`, `unit.create`, …
    pub action: String,
    /// On what: `order:123`, `unit:cd-jt`, `user:alice`, …
    pub object: Option<String>,
    /// More about it, as JSON; never a requester's identity.
    pub detail: serde_json::Value,
}

/// A record as stored: numbered and chained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    #[serde(flatten)]
    pub record: AuditRecord,
    pub prev_hash: String,
    pub hash: String,
}

/// The fields of a record kept and hashed as text, rendered once: a store renders
/// them before the record reaches the one writer that chains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordText {
    pub at: String,
    pub detail: String,
}

impl RecordText {
    pub fn of(r: &AuditRecord) -> Self {
        RecordText {
            at: r.at.to_rfc3339(),
            detail: r.detail.to_string(),
        }
    }
}

/// The hash of a record with this id following `prev_hash`.
pub fn chain_hash(prev_hash: &str, id: i64, r: &AuditRecord) -> String {
    rendered_hash(prev_hash, id, r, &RecordText::of(r))
}

/// [`chain_hash`] of a record whose text is already rendered.
pub fn rendered_hash(prev_hash: &str, id: i64, r: &AuditRecord, text: &RecordText) -> String {
    let mut h = Sha256::new();
    for part in [
        prev_hash,
        &id.to_string(),
        &text.at,
        &r.actor,
        r.unit.as_deref().unwrap_or(""),
        r.address.as_deref().unwrap_or(""),
        &r.action,
        r.object.as_deref().unwrap_or(""),
        &text.detail,
    ] {
        // Length-prefixed, so that moving text between fields changes the hash.
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Chains a record after the entry before it (or after the start).
pub fn chain(prev: Option<(i64, &str)>, record: AuditRecord) -> AuditEntry {
    let text = RecordText::of(&record);
    chain_rendered(prev, record, &text)
}

/// [`chain`] for a record whose text is already rendered.
pub fn chain_rendered(
    prev: Option<(i64, &str)>,
    record: AuditRecord,
    text: &RecordText,
) -> AuditEntry {
    let (id, prev_hash) = match prev {
        Some((id, hash)) => (id + 1, hash.to_owned()),
        None => (1, GENESIS.to_owned()),
    };
    let hash = rendered_hash(&prev_hash, id, &record, text);
    AuditEntry {
        id,
        record,
        prev_hash,
        hash,
    }
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit record {id} is broken: {reason}")]
pub struct BrokenLink {
    pub id: i64,
    pub reason: String,
}

/// Checks a trail record by record, in id order.
#[derive(Debug, Default)]
pub struct ChainVerifier {
    last: Option<(i64, String)>,
    pub checked: u64,
}

impl ChainVerifier {
    pub fn check(&mut self, e: &AuditEntry) -> Result<(), BrokenLink> {
        let broken = |reason: String| Err(BrokenLink { id: e.id, reason });
        let (expected_id, expected_prev) = match &self.last {
            Some((id, hash)) => (id + 1, hash.as_str()),
            None => (1, GENESIS),
        };
        if e.id != expected_id {
            return broken(format!(
                "expected record {expected_id} here (a record is missing or out of order)"
            ));
        }
        if e.prev_hash != expected_prev {
            return broken("its prev_hash is not the previous record's hash".into());
        }
        if chain_hash(&e.prev_hash, e.id, &e.record) != e.hash {
            return broken("its contents do not match its hash (the record was altered)".into());
        }
        self.last = Some((e.id, e.hash.clone()));
        self.checked += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(action: &str) -> AuditRecord {
        AuditRecord {
            at: chrono::DateTime::parse_from_rfc3339("2026-11-28T10:00:00+08:00").unwrap(),
            actor: "alice".into(),
            unit: Some("cd12345".into()),
            address: Some("127.0.0.1".into()),
            action: action.into(),
            object: Some("order:1".into()),
            detail: serde_json::json!({"status": "dispatched"}),
        }
    }

    fn trail(n: usize) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let prev = out.last().map(|e| (e.id, e.hash.as_str()));
            let e = chain(prev, record(&format!("a{i}")));
            out.push(e);
        }
        out
    }

    fn verify(t: &[AuditEntry]) -> Result<(), BrokenLink> {
        let mut v = ChainVerifier::default();
        t.iter().try_for_each(|e| v.check(e))
    }

    #[test]
    fn an_untouched_trail_verifies() {
        assert_eq!(verify(&trail(5)), Ok(()));
    }

    #[test]
    fn an_altered_record_is_named() {
        let mut t = trail(5);
        t[2].record.actor = "mallory".into();
        assert_eq!(verify(&t).unwrap_err().id, 3);
    }

    #[test]
    fn a_deleted_record_is_named() {
        let mut t = trail(5);
        t.remove(1);
        assert_eq!(verify(&t).unwrap_err().id, 3);
    }

    #[test]
    fn a_rehashed_record_still_breaks_the_next_link() {
        let mut t = trail(5);
        t[2].record.action = "nothing".into();
        t[2].hash = chain_hash(&t[2].prev_hash, 3, &t[2].record);
        assert_eq!(verify(&t).unwrap_err().id, 4);
    }
}
