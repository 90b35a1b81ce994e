//! Report counters: the [`StatsStore`] trait both backends implement, and the rows
//! they write. See `hotline_domain::stats` for what is counted and why it is exact.
//!
//! A counter is kept twice, per day and per month, so that a month's report reads
//! the month's counters however many orders it had; a range is read as its whole
//! months plus the days left over ([`spans`]).

use async_trait::async_trait;
use chrono::{Datelike, NaiveDate};
use hotline_domain::stats::{Counter, Facts, date_number};
use hotline_domain::{Event, Order, OrderId, Timestamp};

use crate::Result;

/// Order events not yet counted, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Pending {
    /// The last event counted with all before it.
    pub cursor: i64,
    /// `(event id, order, when the event happened)`.
    pub events: Vec<(i64, OrderId, Timestamp)>,
}

/// Which counters to add up: `measures` over the days `from..=to`, within the
/// hotlines (all if `None`) and, for regional measures, the region subtree.
#[derive(Debug, Clone)]
pub struct CountQuery {
    pub measures: Vec<&'static str>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub hotlines: Option<Vec<String>>,
    /// A region code prefix (`51`, `5101`, `510104`).
    pub region_prefix: Option<String>,
}

/// One sum: a measure's count under one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatCount {
    pub measure: String,
    pub key: String,
    pub n: i64,
}

#[async_trait]
pub trait StatsStore: Send + Sync {
    /// The next `limit` order events after the cursor.
    async fn stats_pending(&self, limit: u32) -> Result<Pending>;
    /// Whether at least `n` order events wait to be counted; cheap while fewer do.
    async fn stats_backlogged(&self, n: u32) -> Result<bool>;
    /// The orders (with their timelines) the counters are to be brought up to date with.
    async fn orders_for_stats(&self, ids: Vec<OrderId>) -> Result<Vec<(Order, Vec<Event>)>>;
    /// Replaces each order's counted facts with the given ones, adding the difference
    /// to the counters, and moves the cursor forward to `cursor` if given; in one
    /// transaction, serialised with every other such write.
    async fn apply_stats(&self, batch: Vec<(OrderId, Facts)>, cursor: Option<i64>) -> Result<()>;
    /// The sums a query asks for, by measure and key.
    async fn stat_counts(&self, q: &CountQuery) -> Result<Vec<StatCount>>;
}

/// `(grain, first, last)`: the whole months of `from..=to` as `('m', yyyymm, yyyymm)`
/// and the days around them as `('d', yyyymmdd, yyyymmdd)`.
pub fn spans(from: NaiveDate, to: NaiveDate) -> Vec<(&'static str, u32, u32)> {
    let month_no = |d: NaiveDate| d.year() as u32 * 100 + d.month();
    let first_of_next = |d: NaiveDate| d.with_day(1).unwrap_or(d) + chrono::Months::new(1);
    let mut out = Vec::new();
    if from > to {
        return out;
    }
    // The first whole month on or after `from`, and the day after the last one.
    let start = if from.day() == 1 {
        from
    } else {
        first_of_next(from)
    };
    let mut end = start;
    while first_of_next(end).pred_opt().is_some_and(|last| last <= to) {
        end = first_of_next(end);
    }
    if start >= end {
        out.push(("d", date_number(from), date_number(to)));
        return out;
    }
    if from < start {
        let before = start.pred_opt().unwrap_or(start);
        out.push(("d", date_number(from), date_number(before)));
    }
    let last_month = end.pred_opt().unwrap_or(end);
    out.push(("m", month_no(start), month_no(last_month)));
    if end <= to {
        out.push(("d", date_number(end), date_number(to)));
    }
    out
}

/// The rows a counter change writes: `(grain, measure, period, hotline, region, key, n)`.
pub(crate) fn bumps(
    c: &Counter,
    n: i64,
) -> [(&'static str, String, i64, String, String, String, i64); 2] {
    let row = |grain: &'static str, period: u32| {
        (
            grain,
            c.measure.clone(),
            i64::from(period),
            c.hotline.clone(),
            c.region.clone(),
            c.key.clone(),
            n,
        )
    };
    [row("d", c.day), row("m", c.day / 100)]
}

/// The changes of a batch summed per counter, so that each counter is written once.
pub(crate) fn merge(changes: Vec<(Counter, i64)>) -> Vec<(Counter, i64)> {
    let mut sum: std::collections::BTreeMap<Counter, i64> = Default::default();
    for (c, n) in changes {
        *sum.entry(c).or_default() += n;
    }
    sum.into_iter().filter(|(_, n)| *n != 0).collect()
}

pub(crate) fn facts_from(text: Option<String>) -> Result<Facts> {
    text.map_or(Ok(Facts::default()), |t| Ok(serde_json::from_str(&t)?))
}

pub(crate) fn facts_text(f: &Facts) -> Result<String> {
    Ok(serde_json::to_string(f)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_range_is_read_as_its_whole_months_and_the_days_around_them() {
        assert_eq!(
            spans(d("2026-03-01"), d("2026-03-31")),
            vec![("m", 202603, 202603)]
        );
        assert_eq!(
            spans(d("2026-02-20"), d("2026-05-03")),
            vec![
                ("d", 20260220, 20260228),
                ("m", 202603, 202604),
                ("d", 20260501, 20260503)
            ]
        );
        assert_eq!(
            spans(d("2026-03-02"), d("2026-03-08")),
            vec![("d", 20260302, 20260308)]
        );
        assert_eq!(
            spans(d("2025-12-01"), d("2026-01-31")),
            vec![("m", 202512, 202601)]
        );
        assert!(spans(d("2026-03-02"), d("2026-03-01")).is_empty());
    }
}
