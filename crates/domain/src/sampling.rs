//! Samples drawn for inspection (抽查): a number or a share of each group's items,
//! at random, recorded with its seed so the draw can be shown to be the one made.
//!
//! [`draw`] is written for any grouping: a line's head draws orders per unit of its
//! line per month; the call centre's quality inspection will draw calls per agent
//! with it. What was drawn and what the inspection found is a [`Sample`].

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::Timestamp;
use crate::order::wire_enum;
use crate::values::{InvalidValue, OrderId, UnitCode};

/// How many of each group's items a sample takes at most.
pub const MAX_PER_GROUP: u32 = 100;

/// How much of each group to draw: a number of items, or a percentage (rounded up,
/// so a group with any item gives at least one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SampleRule {
    Count(u32),
    Percent(u32),
}

impl SampleRule {
    pub fn check(self) -> Result<Self, InvalidValue> {
        match self {
            SampleRule::Count(n) if (1..=MAX_PER_GROUP).contains(&n) => Ok(self),
            SampleRule::Percent(p) if (1..=100).contains(&p) => Ok(self),
            SampleRule::Count(_) => Err(InvalidValue(format!(
                "count must be between 1 and {MAX_PER_GROUP}"
            ))),
            SampleRule::Percent(_) => Err(InvalidValue("percent must be between 1 and 100".into())),
        }
    }

    /// How many of a group of `size` items the rule takes.
    pub fn size_of(self, size: usize) -> usize {
        let wanted = match self {
            SampleRule::Count(n) => n as usize,
            SampleRule::Percent(p) => (size * p as usize).div_ceil(100),
        };
        wanted.min(size).min(MAX_PER_GROUP as usize)
    }
}

/// A small, seedable generator (SplitMix64): the same seed draws the same sample.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0), without modulo bias.
    fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next();
            if x < zone {
                return x % n;
            }
        }
    }
}

/// Draws from each group, in key order, the rule's share of its items at random
/// without replacement (a partial Fisher–Yates shuffle), each group's picks in the
/// order drawn. The items' order in a group is part of the draw: give them sorted.
pub fn draw<K: Ord + Clone, T: Clone>(
    groups: &BTreeMap<K, Vec<T>>,
    rule: SampleRule,
    seed: u64,
) -> Vec<(K, T)> {
    let mut rng = SplitMix(seed);
    let mut out = Vec::new();
    for (key, items) in groups {
        let mut pool: Vec<&T> = items.iter().collect();
        let take = rule.size_of(pool.len());
        for i in 0..take {
            let j = i + rng.below((pool.len() - i) as u64) as usize;
            pool.swap(i, j);
            out.push((key.clone(), pool[i].clone()));
        }
    }
    out
}

wire_enum!(
    /// What the inspection of a sampled order found.
    Verdict { Sound = "sound", Flawed = "flawed" }
);

wire_enum!(
    /// Who drew a sample and for what: a line's head inspecting its line (the call
    /// centre's quality inspection comes later).
    SamplePurpose { Line = "line" }
);

/// One drawn order and its inspection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SampleItem {
    #[schema(value_type = i64)]
    pub order_id: OrderId,
    pub number: String,
    /// The unit the order was drawn for (its lead unit).
    #[schema(value_type = String)]
    pub unit: UnitCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub verdict: Option<Verdict>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspected_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub inspected_at: Option<Timestamp>,
}

/// A sample as drawn, with its findings so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Sample {
    /// Assigned by the store.
    #[serde(default)]
    pub id: i64,
    #[schema(value_type = String)]
    pub purpose: SamplePurpose,
    /// The unit that drew it (a line's head).
    #[schema(value_type = String)]
    pub owner: UnitCode,
    /// `YYYY-MM`: the month whose orders it was drawn from.
    pub period: String,
    pub rule: SampleRule,
    /// The generator's seed, as a decimal string (it exceeds what JSON numbers hold).
    pub seed: String,
    #[schema(value_type = String, format = DateTime)]
    pub drawn_at: Timestamp,
    pub drawn_by: String,
    /// How many orders it was drawn from.
    pub population: u32,
    pub items: Vec<SampleItem>,
    #[serde(default)]
    pub version: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(sizes: &[(&'static str, usize)]) -> BTreeMap<&'static str, Vec<usize>> {
        sizes.iter().map(|(k, n)| (*k, (0..*n).collect())).collect()
    }

    #[test]
    fn a_count_or_a_share_of_each_group_is_drawn_once_each() {
        let g = groups(&[("a", 10), ("b", 2), ("c", 0), ("d", 200)]);
        let drawn = draw(&g, SampleRule::Count(3), 7);
        let per = |k: &str| drawn.iter().filter(|(g, _)| *g == k).count();
        assert_eq!((per("a"), per("b"), per("c"), per("d")), (3, 2, 0, 3));
        let drawn = draw(&g, SampleRule::Percent(10), 7);
        let per = |k: &str| drawn.iter().filter(|(g, _)| *g == k).count();
        assert_eq!((per("a"), per("b"), per("c"), per("d")), (1, 1, 0, 20));
        let mut seen: Vec<_> = drawn.clone();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), drawn.len(), "no item twice");
    }

    #[test]
    fn the_same_seed_draws_the_same_sample_and_another_seed_another() {
        let g = groups(&[("a", 1000)]);
        let one = draw(&g, SampleRule::Count(10), 42);
        assert_eq!(one, draw(&g, SampleRule::Count(10), 42));
        assert_ne!(one, draw(&g, SampleRule::Count(10), 43));
    }

    #[test]
    fn every_item_can_be_drawn_and_about_equally_often() {
        let g = groups(&[("a", 10)]);
        let mut hits = [0u32; 10];
        for seed in 0..10_000 {
            for (_, i) in draw(&g, SampleRule::Count(1), seed) {
                hits[i] += 1;
            }
        }
        assert!(hits.iter().all(|h| (800..1200).contains(h)), "{hits:?}");
    }

    #[test]
    fn rules_out_of_range_are_refused() {
        assert!(SampleRule::Count(0).check().is_err());
        assert!(SampleRule::Count(MAX_PER_GROUP + 1).check().is_err());
        assert!(SampleRule::Percent(0).check().is_err());
        assert!(SampleRule::Percent(101).check().is_err());
        assert!(SampleRule::Percent(100).check().is_ok());
    }
}
