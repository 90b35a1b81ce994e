//! Report counters.

use crate::stats::{CountQuery, spans};

use super::Param;

/// Adds to a counter at both grains (upsert).
pub(crate) const BUMP: &str = "INSERT INTO report_counts (grain, measure, period, hotline, region, key, n) \
     VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (grain, measure, period, hotline, region, key) \
     DO UPDATE SET n = report_counts.n + excluded.n";
pub(crate) const READ_FACTS: &str = "SELECT facts FROM report_facts WHERE order_id = ?";
pub(crate) const WRITE_FACTS: &str = "INSERT INTO report_facts (order_id, facts) VALUES (?, ?) \
     ON CONFLICT (order_id) DO UPDATE SET facts = excluded.facts";
pub(crate) const MOVE_CURSOR: &str =
    "UPDATE report_cursor SET event_id = ? WHERE id = 1 AND event_id < ?";
/// Columns as [`crate::records::pending_event`] reads them.
pub(crate) const PENDING: &str = "SELECT e.id, e.order_id, e.at FROM order_events e \
     WHERE e.id > (SELECT event_id FROM report_cursor WHERE id = 1) ORDER BY e.id LIMIT ?";
pub(crate) const CURSOR: &str = "SELECT event_id FROM report_cursor WHERE id = 1";
/// An upper bound of the events waiting (ids may have gaps), read from the ends of
/// the id index alone: while it is below a limit, nothing needs counting.
pub(crate) const PENDING_AT_MOST: &str = "SELECT coalesce(max(id), 0) - \
     (SELECT event_id FROM report_cursor WHERE id = 1) FROM order_events";
/// The events waiting, counted up to a limit.
pub(crate) const PENDING_UP_TO: &str = "SELECT count(*) FROM (SELECT 1 FROM order_events \
     WHERE id > (SELECT event_id FROM report_cursor WHERE id = 1) ORDER BY id LIMIT ?) p";

/// The query's SQL and parameters; columns as [`crate::records::stat_count`] reads them.
pub(crate) fn counts(q: &CountQuery) -> (String, Vec<Param>) {
    let mut parts = Vec::new();
    let mut params = Vec::new();
    for (grain, lo, hi) in spans(q.from, q.to) {
        for m in &q.measures {
            let mut w = String::from(
                "SELECT measure, key, n FROM report_counts \
                 WHERE grain = ? AND measure = ? AND period BETWEEN ? AND ?",
            );
            params.extend([
                Param::Text(grain.into()),
                Param::Text((*m).into()),
                Param::Int(lo.into()),
                Param::Int(hi.into()),
            ]);
            if let Some(h) = &q.hotlines {
                let marks = vec!["?"; h.len().max(1)].join(", ");
                w.push_str(&format!(" AND hotline IN ({marks})"));
                if h.is_empty() {
                    params.push(Param::Text(String::new()));
                }
                params.extend(h.iter().map(|x| Param::Text(x.clone())));
            }
            if let Some(p) = q
                .region_prefix
                .as_ref()
                .filter(|_| hotline_domain::stats::measure::regional(m))
            {
                w.push_str(" AND region LIKE ?");
                params.push(Param::Text(format!("{p}%")));
            }
            parts.push(w);
        }
    }
    if parts.is_empty() {
        parts.push("SELECT '' AS measure, '' AS key, 0 AS n WHERE 1 = 0".into());
    }
    let text = format!(
        "SELECT measure, key, CAST(SUM(n) AS BIGINT) FROM ({}) t \
         GROUP BY measure, key HAVING SUM(n) <> 0",
        parts.join(" UNION ALL ")
    );
    (text, params)
}
