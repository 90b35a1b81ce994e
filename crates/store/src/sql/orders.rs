//! Orders and their timelines.

use crate::types::{AWAITING_REPLY, OrderFilter, Scope, like_pattern, region_prefix};

use super::{Dialect, Param, Sql};

pub(crate) const INSERT: &str = "INSERT INTO orders (id, number, hotline, unit, status, kind, \
     region, deadline, registered_at, phone_hash, address_key, version, doc, pd_key) \
     VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
/// An order as it stands, with its lookup keys left out (imports and benchmarks).
pub(crate) const INSERT_WHOLE: &str = "INSERT INTO orders (id, number, hotline, unit, status, \
     kind, region, deadline, registered_at, phone_hash, address_key, version, doc, pd_key, \
     closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?)";
/// A change, if the order is still at the version it was read at (the last `?`).
/// Kind and region follow a correction.
pub(crate) const UPDATE: &str = "UPDATE orders SET hotline = ?, unit = ?, status = ?, \
     deadline = ?, version = ?, doc = ?, pd_key = ?, closed_at = ?, kind = ?, region = ? \
     WHERE id = ? AND version = ?";
/// A corrected address finds its possible duplicates under the new one.
pub(crate) const REKEY_ADDRESS: &str = "UPDATE orders SET address_key = ? WHERE id = ?";
pub(crate) const DOC_WITH_TIME: &str = "SELECT id, doc, registered_at FROM orders WHERE id = ?";
pub(crate) const DOC: &str = "SELECT doc FROM orders WHERE id = ?";
pub(crate) const DOC_BY_NUMBER: &str = "SELECT doc FROM orders WHERE number = ?";
pub(crate) const BY_ADDRESS_KEY: &str = "SELECT doc FROM orders WHERE address_key = ? \
     AND registered_at >= ? ORDER BY registered_at DESC LIMIT ?";
pub(crate) const BY_PHONE_HASH: &str =
    "SELECT doc FROM orders WHERE phone_hash = ? ORDER BY id DESC LIMIT ?";
pub(crate) const COUNT_UPTO: &str = "SELECT count(*) FROM orders WHERE id <= ?";
pub(crate) const COUNT_BY_STATUS: &str =
    "SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY status";
/// The documents the order index follows. Title and content are read from the text in
/// Rust, not by the database's JSON functions: one document they cannot read (a NUL
/// stored before text was checked) must cost its own text, not stop the follower.
pub(crate) const DOCS_AFTER: &str =
    "SELECT o.id, o.doc, o.registered_at FROM orders o WHERE o.id > ? ORDER BY o.id LIMIT ?";

pub(crate) const DELETE_CO_UNITS: &str = "DELETE FROM order_co_units WHERE order_id = ?";
pub(crate) const INSERT_CO_UNIT: &str = "INSERT INTO order_co_units (unit, order_id) VALUES (?, ?)";

/// Columns as [`crate::records::event`] reads them.
pub(crate) const EVENTS: &str = "SELECT at, type, actor, unit, note, data FROM order_events \
     WHERE order_id = ? ORDER BY id";
pub(crate) const INSERT_EVENT: &str = "INSERT INTO order_events \
     (order_id, at, type, actor, unit, note, data) VALUES (?, ?, ?, ?, ?, ?, ?)";

pub(crate) const IDEMPOTENCY: &str = "SELECT body_hash, order_id, created_at \
     FROM idempotency_keys WHERE scope = ? AND key = ?";
pub(crate) const FORGET_IDEMPOTENCY: &str =
    "DELETE FROM idempotency_keys WHERE scope = ? AND key = ?";
pub(crate) const INSERT_IDEMPOTENCY: &str = "INSERT INTO idempotency_keys \
     (scope, key, body_hash, order_id, created_at) VALUES (?, ?, ?, ?, ?)";

/// The orders a unit leads or co-handles (two parameters: the unit, twice). Written as
/// one id list from the two indexes rather than `o.unit = ? OR EXISTS (…)`, which
/// neither backend can answer from an index: that form read the whole orders table for
/// every handler's list.
const UNIT_ORDERS: &str = "o.id IN (SELECT u.id FROM orders u WHERE u.unit = ? \
     UNION ALL SELECT c.order_id FROM order_co_units c WHERE c.unit = ?)";

impl Dialect {
    /// A text field of the order's JSON document; `a.b` names a field of an object.
    fn doc_field(self, name: &str) -> String {
        match self {
            Dialect::Sqlite => format!("json_extract(o.doc, '$.{name}')"),
            Dialect::Postgres => format!("(o.doc::jsonb #>> '{{{}}}')", name.replace('.', ",")),
        }
    }
    /// Whether a boolean field of the order's JSON document is true.
    fn doc_true(self, name: &str) -> String {
        match self {
            Dialect::Sqlite => format!("coalesce(json_extract(o.doc, '$.{name}'), 0) = 1"),
            Dialect::Postgres => format!("coalesce((o.doc::jsonb ->> '{name}'), '') = 'true'"),
        }
    }
}

/// The query behind `list_orders`.
pub(crate) fn list(f: &OrderFilter, dialect: Dialect) -> Sql {
    let (where_, params) = conditions(f, dialect);
    // By deadline, a page is the next `limit` deadlines (the id cursor still bounds
    // only newest-first lists).
    let order = if f.by_deadline {
        "o.deadline IS NULL, o.deadline, o.id"
    } else if f.oldest_first {
        "o.id"
    } else {
        "o.id DESC"
    };
    Sql {
        text: format!(
            "SELECT o.doc FROM orders o {where_} ORDER BY {order} LIMIT {}",
            f.limit.min(crate::MAX_PAGE)
        ),
        params,
    }
}

/// The query behind `count_orders`: how many orders the filter finds, up to `cap`
/// (a badge needs no more, and the count stops reading there).
pub(crate) fn count(f: &OrderFilter, dialect: Dialect, cap: u32) -> Sql {
    let (where_, params) = conditions(f, dialect);
    Sql {
        text: format!("SELECT count(*) FROM (SELECT 1 FROM orders o {where_} LIMIT {cap}) t"),
        params,
    }
}

/// The filter's `WHERE` clause and its parameters.
fn conditions(f: &OrderFilter, dialect: Dialect) -> (String, Vec<Param>) {
    let mut w: Vec<String> = Vec::new();
    let mut p: Vec<Param> = Vec::new();
    let text = |s: &str| Param::Text(s.to_owned());
    match &f.scope {
        Scope::All => {}
        Scope::Hotlines(codes) if codes.is_empty() => w.push("1 = 0".into()),
        Scope::Hotlines(codes) => {
            w.push(format!(
                "o.hotline IN ({})",
                vec!["?"; codes.len()].join(", ")
            ));
            p.extend(codes.iter().map(|c| text(c.as_str())));
        }
        Scope::Unit(u) => {
            w.push(UNIT_ORDERS.into());
            p.extend([text(u.as_str()), text(u.as_str())]);
        }
        Scope::Units(units) if units.is_empty() => w.push("1 = 0".into()),
        Scope::Units(units) => {
            let marks = vec!["?"; units.len()].join(", ");
            w.push(format!(
                "o.id IN (SELECT u.id FROM orders u WHERE u.unit IN ({marks}) \
                 UNION ALL SELECT c.order_id FROM order_co_units c WHERE c.unit IN ({marks}))"
            ));
            for _ in 0..2 {
                p.extend(units.iter().map(|u| text(u.as_str())));
            }
        }
    }
    if let Some(s) = f.status {
        w.push("o.status = ?".into());
        p.push(text(s.as_str()));
    }
    if let Some(k) = f.kind {
        w.push("o.kind = ?".into());
        p.push(text(k.as_str()));
    }
    if let Some(u) = &f.unit {
        w.push(UNIT_ORDERS.into());
        p.extend([text(u.as_str()), text(u.as_str())]);
    }
    if let Some(r) = &f.region {
        w.push("o.region LIKE ?".into());
        p.push(Param::Text(format!("{}%", region_prefix(r))));
    }
    if f.awaiting_reply {
        let list: Vec<String> = AWAITING_REPLY.iter().map(|s| format!("'{s}'")).collect();
        w.push(format!(
            "o.status IN ({}) AND o.deadline IS NOT NULL",
            list.join(", ")
        ));
    }
    let mut time = |cond: &str, t: Option<i64>| {
        if let Some(t) = t {
            w.push(cond.into());
            p.push(Param::Int(t));
        }
    };
    time("o.deadline > ?", f.deadline_after.map(|t| t.timestamp()));
    time("o.deadline <= ?", f.deadline_before.map(|t| t.timestamp()));
    time(
        "o.registered_at >= ?",
        f.registered_from.map(|t| t.timestamp()),
    );
    time(
        "o.registered_at <= ?",
        f.registered_to.map(|t| t.timestamp()),
    );
    time("o.id < ?", f.before_id.map(|id| id.get()));
    time("o.id > ?", f.after_id.map(|id| id.get()));
    if let Some(q) = f.text.as_deref().filter(|q| !q.trim().is_empty()) {
        let q = q.trim();
        let (title, content) = (dialect.doc_field("title"), dialect.doc_field("content"));
        let mut substring = format!("({title} LIKE ? ESCAPE '\\' OR {content} LIKE ? ESCAPE '\\')");
        // Those who may not see a report's or a confidential order's requester (a
        // unit, a line) search its text only once the index holds it masked.
        if matches!(f.scope, Scope::Unit(_) | Scope::Units(_)) {
            let confidential = dialect.doc_true("confidential");
            substring = format!("({substring} AND o.kind <> 'report' AND NOT {confidential})");
        }
        match &f.text_hits {
            None => {
                w.push(format!("(o.number = ? OR {substring})"));
                p.push(text(q));
            }
            Some((ids, indexed_upto)) => {
                // Ids are numbers the index gave back, inlined so that the list
                // keeps one statement shape per length class.
                let listed = ids
                    .iter()
                    .map(|id| id.get().to_string())
                    .collect::<Vec<_>>()
                    .join(",");
                let hits = if listed.is_empty() {
                    String::new()
                } else {
                    format!(" OR o.id IN ({listed})")
                };
                w.push(format!(
                    "(o.number = ?{hits} OR (o.id > ? AND {substring}))"
                ));
                p.extend([text(q), Param::Int(*indexed_upto)]);
            }
        }
        p.extend([Param::Text(like_pattern(q)), Param::Text(like_pattern(q))]);
    }
    if let Some(d) = &f.domain {
        // A field matches its sub-categories too.
        w.push(format!(
            "({0} = ? OR {0} LIKE ?)",
            dialect.doc_field("domain")
        ));
        p.extend([Param::Text(d.clone()), Param::Text(format!("{d}/%"))]);
    }
    if f.supervised {
        w.push(format!(
            "COALESCE({}, 'none') <> 'none'",
            dialect.doc_field("supervision")
        ));
    }
    if let Some(r) = f.evaluation {
        w.push(format!("{} = ?", dialect.doc_field("evaluation.result")));
        p.push(text(r.as_str()));
    }
    if let Some(pending) = f.reply_review {
        // JSON true reads back as `true` on PostgreSQL and as 1 on SQLite.
        let field = format!(
            "COALESCE(CAST({} AS TEXT), '')",
            dialect.doc_field("reply_review")
        );
        w.push(if pending {
            format!("{field} IN ('true', '1')")
        } else {
            format!("{field} NOT IN ('true', '1')")
        });
    }
    if f.extension_pending {
        w.push(format!("{} IS NOT NULL", dialect.doc_field("extension")));
    }
    if f.enterprise {
        let name = dialect.doc_field("requester.enterprise.name");
        w.push(format!("{name} IS NOT NULL"));
        // A unit or a line may not learn who is behind a report or a confidential
        // order, an enterprise included.
        if matches!(f.scope, Scope::Unit(_) | Scope::Units(_)) {
            let confidential = dialect.doc_true("confidential");
            w.push(format!("o.kind <> 'report' AND NOT {confidential}"));
        }
    }
    let where_ = if w.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", w.join(" AND "))
    };
    (where_, p)
}

pub(crate) const INSERT_NOTIFICATION: &str = "INSERT INTO notifications \
     (unit, order_id, number, type, at, actor) VALUES (?, ?, ?, ?, ?, ?)";
/// Columns as [`crate::records::notification`] reads them.
pub(crate) const NOTIFICATIONS: &str = "SELECT id, unit, order_id, number, type, at, actor \
     FROM notifications WHERE unit = ? AND id < ? ORDER BY id DESC LIMIT ?";
pub(crate) const UNREAD_NOTIFICATIONS: &str = "SELECT count(*) FROM (SELECT 1 FROM notifications \
     WHERE unit = ? AND id > COALESCE((SELECT last_read FROM notification_reads WHERE username = ?), 0) \
     LIMIT ?) t";
pub(crate) const MARK_NOTIFICATIONS_READ: &str = "INSERT INTO notification_reads (username, last_read) \
     VALUES (?, ?) ON CONFLICT (username) DO UPDATE SET last_read = \
     CASE WHEN excluded.last_read > notification_reads.last_read THEN excluded.last_read \
     ELSE notification_reads.last_read END";
