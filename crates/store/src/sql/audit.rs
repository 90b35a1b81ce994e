//! The audit trail.

use crate::types::AuditFilter;

use super::{Param, Sql};

pub(crate) const LAST: &str = "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1";
pub(crate) const INSERT: &str = "INSERT INTO audit_log \
     (id, at, actor, unit, address, action, object, detail, prev_hash, hash) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// The query behind `audit_entries`; columns as [`crate::records::audit_entry`] reads them.
pub(crate) fn entries(f: &AuditFilter) -> Sql {
    let mut w: Vec<String> = Vec::new();
    let mut p: Vec<Param> = Vec::new();
    let mut eq = |col: &str, v: &Option<String>| {
        if let Some(v) = v {
            w.push(format!("{col} = ?"));
            p.push(Param::Text(v.clone()));
        }
    };
    eq("actor", &f.actor);
    eq("action", &f.action);
    eq("object", &f.object);
    if let Some(units) = &f.units {
        if units.is_empty() {
            w.push("1 = 0".into());
        } else {
            w.push(format!("unit IN ({})", vec!["?"; units.len()].join(", ")));
            p.extend(units.iter().map(|u| Param::Text(u.clone())));
        }
    }
    if let Some(from) = f.from {
        w.push("at >= ?".into());
        p.push(Param::Text(
            from.with_timezone(&hotline_domain::shanghai()).to_rfc3339(),
        ));
    }
    if let Some(to) = f.to {
        w.push("at <= ?".into());
        p.push(Param::Text(
            to.with_timezone(&hotline_domain::shanghai()).to_rfc3339(),
        ));
    }
    if let Some(c) = f.cursor {
        w.push(if f.ascending { "id > ?" } else { "id < ?" }.into());
        p.push(Param::Int(c));
    }
    let where_ = if w.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", w.join(" AND "))
    };
    let order = if f.ascending { "ASC" } else { "DESC" };
    Sql {
        text: format!(
            "SELECT id, at, actor, unit, address, action, object, detail, prev_hash, hash \
             FROM audit_log {where_} ORDER BY id {order} LIMIT {}",
            f.limit.clamp(1, 10_000)
        ),
        params: p,
    }
}
