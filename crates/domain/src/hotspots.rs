//! Hotspot warnings (热点预警, 国办函〔2025〕66号): a topic in a region rising well
//! above its own recent baseline.
//!
//! The rule, for a topic in a region on day `d`, with `c` its count that day and the
//! counts of the [`BASELINE_DAYS`] days before as the baseline (mean `m`, standard
//! deviation `s`): warn when `c ≥ MIN_COUNT` and `c ≥ m + 3·max(s, 1)`. The floor of
//! 1 on `s` keeps a quiet topic's first few orders from counting as a spike; the
//! minimum count keeps single calls from being one.

use std::collections::BTreeMap;

/// Days before the day examined that make its baseline.
pub const BASELINE_DAYS: usize = 14;
/// Fewest orders on one day for a warning.
pub const MIN_COUNT: u64 = 5;

/// Whether a day's count is a spike over the days before it.
pub fn is_spike(today: u64, baseline: &[u64]) -> bool {
    if today < MIN_COUNT {
        return false;
    }
    let n = baseline.len().max(1) as f64;
    let mean = baseline.iter().sum::<u64>() as f64 / n;
    let var = baseline
        .iter()
        .map(|c| (*c as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    today as f64 >= mean + 3.0 * var.sqrt().max(1.0)
}

/// One warning: the topic, the region, the day's count and the baseline's mean.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Warning {
    pub topic: String,
    pub region: String,
    pub count: u64,
    pub baseline_mean: f64,
    pub orders: Vec<i64>,
}

/// Daily counts of topics per region: `(region, topic) → day index → order ids`,
/// day 0 being the day examined and 1..=BASELINE_DAYS the days before it.
#[derive(Debug, Default)]
pub struct Counts {
    cells: BTreeMap<(String, String), BTreeMap<usize, Vec<i64>>>,
}

impl Counts {
    /// Counts an order's topics (each once) on `days_ago` (0 = the day examined).
    pub fn add(&mut self, region: &str, topics: &[String], days_ago: usize, order: i64) {
        if days_ago > BASELINE_DAYS {
            return;
        }
        let mut seen: Vec<&String> = Vec::new();
        for t in topics {
            if seen.contains(&t) {
                continue;
            }
            seen.push(t);
            self.cells
                .entry((region.to_owned(), t.clone()))
                .or_default()
                .entry(days_ago)
                .or_default()
                .push(order);
        }
    }

    /// The warnings for the day examined, largest first.
    pub fn warnings(&self) -> Vec<Warning> {
        let mut out: Vec<Warning> = self
            .cells
            .iter()
            .filter_map(|((region, topic), days)| {
                let today = days.get(&0).map_or(0, |v| v.len() as u64);
                let baseline: Vec<u64> = (1..=BASELINE_DAYS)
                    .map(|d| days.get(&d).map_or(0, |v| v.len() as u64))
                    .collect();
                is_spike(today, &baseline).then(|| Warning {
                    topic: topic.clone(),
                    region: region.clone(),
                    count: today,
                    baseline_mean: baseline.iter().sum::<u64>() as f64 / BASELINE_DAYS as f64,
                    orders: days.get(&0).cloned().unwrap_or_default(),
                })
            })
            .collect();
        out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.topic.cmp(&b.topic)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_needs_volume_and_a_rise_over_the_baseline() {
        assert!(is_spike(5, &[0; 14]), "five on a quiet topic");
        assert!(!is_spike(4, &[0; 14]), "below the minimum");
        assert!(
            is_spike(5, &[2; 14]),
            "2 a day, sd floored at 1: the threshold is 5"
        );
        assert!(!is_spike(6, &[4; 14]), "4 a day: 6 is within 4 + 3");
        let noisy: Vec<u64> = (0..14).map(|i| if i % 2 == 0 { 0 } else { 6 }).collect();
        assert!(!is_spike(10, &noisy), "mean 3, sd 3: the threshold is 12");
        assert!(is_spike(12, &noisy));
    }
}
