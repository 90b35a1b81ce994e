//! The audit trail's hash chain.
//!
//! Every record holds the hash of the one before it, and its own hash covers that and
//! every field of the record, its id included: changing, deleting, inserting or
//! reordering a record breaks the chain at that record. [`ChainVerifier`] walks the
//! trail in order and names the first record that does not fit.
//!
//! What the chain cannot show is the newest records deleted: a shortened trail is
//! still a valid chain. An [`AuditHead`] (the number of records and the last one's
//! hash) kept outside the database — printed by `hotline audit anchor`, written
//! periodically by the server — closes that gap: a trail extends an anchor when the
//! record at the anchor's position is still there with the anchored hash, so a trail
//! that has grown since passes, and a truncated or rewritten tail does not.

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

/// The object of a record about an order (`order:123`): the store names it so in the
/// record it writes with an order it has just numbered.
pub fn order_object(id: crate::OrderId) -> String {
    format!("order:{id}")
}

/// The object of a record about an article (`article:7`), named as [`order_object`].
pub fn article_object(id: i64) -> String {
    format!("article:{id}")
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

/// The head of a trail: how many records it holds (ids run 1, 2, … so this is also
/// the newest record's id) and the newest record's hash. Written `COUNT:HASH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHead {
    pub count: i64,
    pub hash: String,
}

impl AuditHead {
    /// The head of an empty trail: every trail extends it.
    pub fn empty() -> Self {
        AuditHead {
            count: 0,
            hash: GENESIS.to_owned(),
        }
    }

    /// The head of a trail whose newest record is `newest` (`None`: empty).
    pub fn of(newest: Option<&AuditEntry>) -> Self {
        newest.map_or_else(Self::empty, |e| AuditHead {
            count: e.id,
            hash: e.hash.clone(),
        })
    }

    /// Whether a trail extends this head, given the trail's record at this head's
    /// position (`None`: the trail has no record there). Only that record is looked
    /// at; [`ChainVerifier`] checks that the records before and after it chain.
    pub fn extended_by(&self, at_position: Option<&AuditEntry>) -> Result<(), TailMismatch> {
        if self.count == 0 {
            return Ok(());
        }
        match at_position {
            Some(e) if e.id == self.count && e.hash == self.hash => Ok(()),
            Some(e) if e.id == self.count => Err(TailMismatch::Rewritten {
                anchor: self.clone(),
            }),
            _ => Err(TailMismatch::Truncated {
                anchor: self.clone(),
                ends_at: at_position.map_or(0, |e| e.id.min(self.count - 1)),
            }),
        }
    }
}

impl std::fmt::Display for AuditHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.count, self.hash)
    }
}

impl std::str::FromStr for AuditHead {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!("{s:?} is not an audit head (COUNT:HASH, as `hotline audit anchor` prints it)")
        };
        let (count, hash) = s.trim().split_once(':').ok_or_else(bad)?;
        let count: i64 = count.parse().map_err(|_| bad())?;
        let is_hash =
            hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if count < 0 || !is_hash || (count == 0 && hash != GENESIS) {
            return Err(bad());
        }
        Ok(AuditHead {
            count,
            hash: hash.to_owned(),
        })
    }
}

/// How a trail fails to extend an anchored head.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TailMismatch {
    #[error(
        "the audit trail ends at record {ends_at}, but the anchor {anchor} names record {}: \
         records {}–{} are missing (the newest records were deleted)",
        anchor.count, ends_at + 1, anchor.count
    )]
    Truncated { anchor: AuditHead, ends_at: i64 },
    #[error(
        "audit record {} is not the one anchored as {anchor}: its hash differs \
         (the trail was rewritten at or before it)",
        anchor.count
    )]
    Rewritten { anchor: AuditHead },
}

/// Checks a trail record by record, in id order, and at the end whether it extends
/// the heads it was told to expect.
#[derive(Debug, Default)]
pub struct ChainVerifier {
    last: Option<(i64, String)>,
    pub checked: u64,
    anchors: Vec<AuditHead>,
}

impl ChainVerifier {
    /// A verifier that also requires the trail to extend each of these heads.
    pub fn expecting(anchors: Vec<AuditHead>) -> Self {
        ChainVerifier {
            anchors,
            ..Default::default()
        }
    }

    /// The head of the records checked so far.
    pub fn head(&self) -> AuditHead {
        match &self.last {
            Some((id, hash)) => AuditHead {
                count: *id,
                hash: hash.clone(),
            },
            None => AuditHead::empty(),
        }
    }

    /// After the last record: the anchors the trail did not reach.
    pub fn finish(&self) -> Result<AuditHead, TailMismatch> {
        let head = self.head();
        for anchor in &self.anchors {
            if anchor.count > head.count {
                return Err(TailMismatch::Truncated {
                    anchor: anchor.clone(),
                    ends_at: head.count,
                });
            }
        }
        Ok(head)
    }

    pub fn check(&mut self, e: &AuditEntry) -> Result<(), VerifyError> {
        let broken = |reason: String| Err(BrokenLink { id: e.id, reason }.into());
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
        for anchor in self.anchors.iter().filter(|a| a.count == e.id) {
            anchor.extended_by(Some(e))?;
        }
        self.last = Some((e.id, e.hash.clone()));
        self.checked += 1;
        Ok(())
    }
}

/// Why a trail does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Broken(#[from] BrokenLink),
    #[error(transparent)]
    Tail(#[from] TailMismatch),
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
        t.iter().try_for_each(|e| match v.check(e) {
            Err(VerifyError::Broken(b)) => Err(b),
            Err(VerifyError::Tail(t)) => panic!("no anchor was given: {t}"),
            Ok(()) => Ok(()),
        })
    }

    fn verify_expecting(t: &[AuditEntry], anchor: &AuditHead) -> Result<AuditHead, VerifyError> {
        let mut v = ChainVerifier::expecting(vec![anchor.clone()]);
        t.iter().try_for_each(|e| v.check(e))?;
        Ok(v.finish()?)
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

    #[test]
    fn a_head_reads_back_as_it_is_written() {
        let t = trail(3);
        let head = AuditHead::of(t.last());
        assert_eq!(head.count, 3);
        assert_eq!(head.to_string().parse::<AuditHead>(), Ok(head));
        assert_eq!(AuditHead::of(None), format!("0:{GENESIS}").parse().unwrap());
        for bad in [
            "",
            "3",
            "x:abc",
            "-1:00",
            &format!("3:{}", "A".repeat(64)),
            "0:ab",
        ] {
            assert!(bad.parse::<AuditHead>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_trail_that_grew_since_its_anchor_passes() {
        let t = trail(6);
        let anchor = AuditHead::of(t.get(3));
        assert_eq!(verify_expecting(&t, &anchor), Ok(AuditHead::of(t.last())));
        assert_eq!(
            verify_expecting(&t, &AuditHead::empty()).map(|h| h.count),
            Ok(6)
        );
    }

    #[test]
    fn deleting_the_newest_records_is_named_against_the_anchor() {
        let mut t = trail(6);
        let anchor = AuditHead::of(t.last());
        t.truncate(4);
        assert_eq!(verify(&t), Ok(()), "the chain alone cannot tell");
        let err = verify_expecting(&t, &anchor).unwrap_err();
        assert_eq!(
            err,
            VerifyError::Tail(TailMismatch::Truncated { anchor, ends_at: 4 })
        );
        assert!(err.to_string().contains("records 5–6 are missing"), "{err}");
    }

    #[test]
    fn a_rewritten_tail_of_the_same_length_is_named() {
        let t = trail(5);
        let anchor = AuditHead::of(t.last());
        let mut forged: Vec<AuditEntry> = t[..3].to_vec();
        for action in ["x", "y"] {
            let prev = forged.last().map(|e| (e.id, e.hash.as_str()));
            let e = chain(prev, record(action));
            forged.push(e);
        }
        assert_eq!(verify(&forged), Ok(()));
        let err = verify_expecting(&forged, &anchor).unwrap_err();
        assert_eq!(err, VerifyError::Tail(TailMismatch::Rewritten { anchor }));
        assert!(
            err.to_string()
                .starts_with("audit record 5 is not the one anchored")
        );
    }

    #[test]
    fn the_record_at_an_anchors_position_decides_whether_a_trail_extends_it() {
        let t = trail(4);
        let anchor = AuditHead::of(t.get(2));
        assert_eq!(anchor.extended_by(t.get(2)), Ok(()));
        assert_eq!(
            anchor.extended_by(t.get(1)),
            Err(TailMismatch::Truncated {
                anchor: anchor.clone(),
                ends_at: 2
            })
        );
        assert!(matches!(
            anchor.extended_by(None),
            Err(TailMismatch::Truncated { ends_at: 0, .. })
        ));
        assert_eq!(AuditHead::empty().extended_by(None), Ok(()));
    }
}
