//! SQL shared by both backends: written once with `?` placeholders, numbered for
//! PostgreSQL by [`numbered`].

use crate::types::{AWAITING_REPLY, AuditFilter, OrderFilter, Scope, like_pattern, region_prefix};

/// A bound parameter.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Text(String),
    Int(i64),
}

pub(crate) struct Sql {
    pub text: String,
    pub params: Vec<Param>,
}

/// The orders a unit leads or co-handles (two parameters: the unit, twice). Written as
/// one id list from the two indexes rather than `o.unit = ? OR EXISTS (…)`, which
/// neither backend can answer from an index: that form read the whole orders table for
/// every handler's list.
const UNIT_ORDERS: &str = "o.id IN (SELECT u.id FROM orders u WHERE u.unit = ? \
     UNION ALL SELECT c.order_id FROM order_co_units c WHERE c.unit = ?)";

/// Where the two backends' SQL differs.
#[derive(Clone, Copy)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// A text field of the order's JSON document.
    fn doc_field(self, name: &str) -> String {
        match self {
            Dialect::Sqlite => format!("json_extract(o.doc, '$.{name}')"),
            Dialect::Postgres => format!("(o.doc::jsonb ->> '{name}')"),
        }
    }
}

/// The query behind `list_orders`.
pub(crate) fn list_orders(f: &OrderFilter, dialect: Dialect) -> Sql {
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
    time("o.id < ?", f.before_id.map(|id| id.0));
    if let Some(q) = f.text.as_deref().filter(|q| !q.trim().is_empty()) {
        let q = q.trim();
        let (title, content) = (dialect.doc_field("title"), dialect.doc_field("content"));
        let substring = format!("({title} LIKE ? ESCAPE '\\' OR {content} LIKE ? ESCAPE '\\')");
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
                    .map(|id| id.0.to_string())
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
    if f.extension_pending {
        w.push(format!("{} IS NOT NULL", dialect.doc_field("extension")));
    }
    let where_ = if w.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", w.join(" AND "))
    };
    // By deadline, a page is the next `limit` deadlines (the id cursor still bounds
    // only newest-first lists).
    let order = if f.by_deadline {
        "o.deadline IS NULL, o.deadline, o.id"
    } else {
        "o.id DESC"
    };
    Sql {
        text: format!(
            "SELECT o.doc FROM orders o {where_} ORDER BY {order} LIMIT {}",
            f.limit.min(crate::MAX_PAGE)
        ),
        params: p,
    }
}

/// `?` placeholders as PostgreSQL's `$1, $2, …` (no `?` appears in our SQL otherwise).
pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

pub(crate) const AUDIT_COLUMNS: &str =
    "id, at, actor, unit, address, action, object, detail, prev_hash, hash";

/// The query behind `audit_entries`.
pub(crate) fn audit_entries(f: &AuditFilter) -> Sql {
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
            "SELECT {AUDIT_COLUMNS} FROM audit_log {where_} ORDER BY id {order} LIMIT {}",
            f.limit.clamp(1, 10_000)
        ),
        params: p,
    }
}

/// Titles and contents of the orders after `after`, for the full-text index.
/// The documents the order index follows. Title and content are read from the text in
/// Rust, not by the database's JSON functions: one document they cannot read (a NUL
/// stored before text was checked) must cost its own text, not stop the follower.
pub(crate) const ORDER_DOCS_AFTER: &str =
    "SELECT o.id, o.doc, o.registered_at FROM orders o WHERE o.id > ? ORDER BY o.id LIMIT ?";

/// `(id, "title content", registered_at)` of one order document; an empty text
/// (logged) when the document cannot be read, so the follower still counts it.
pub(crate) fn order_text(id: i64, doc: &str, registered_at: i64) -> (i64, String, i64) {
    #[derive(serde::Deserialize)]
    struct Texts {
        #[serde(default)]
        title: String,
        #[serde(default)]
        content: String,
        #[serde(default)]
        kind: String,
        #[serde(default)]
        confidential: bool,
        #[serde(default)]
        requester: Option<Who>,
    }
    #[derive(serde::Deserialize)]
    struct Who {
        name: Option<String>,
        phone: Option<String>,
    }
    match serde_json::from_str::<Texts>(doc) {
        Ok(t) => {
            let mut text = format!("{} {}", t.title, t.content);
            // A report's or confidential order's requester is not searchable by the
            // name or number someone typed into its text: a unit searching a name
            // would learn who reported.
            if let Some(who) = t.requester.filter(|_| t.confidential || t.kind == "report") {
                let secrets = hotline_domain::text::requester_secrets(
                    who.name.as_deref(),
                    who.phone.as_deref(),
                );
                hotline_domain::text::mask_secrets(&mut text, &secrets);
            }
            (id, text, registered_at)
        }
        Err(e) => {
            tracing::error!(order = id, error = %e, "order document unreadable: indexed without its text");
            (id, String::new(), registered_at)
        }
    }
}

/// The tables whose JSON documents the text repair rewrites: (table, key, column).
pub(crate) const REPAIRED_DOCUMENTS: &[(&str, &str, &str)] =
    &[("orders", "id", "doc"), ("kb_articles", "id", "doc")];

/// Migration that repairs the stored text (run in Rust after its SQL).
pub(crate) const REPAIR_TEXT_VERSION: i64 = 8;

/// A stored document with refused control characters dropped and line breaks made
/// LF, or `None` when it needs no repair (or is not JSON at all).
pub(crate) fn repaired_document(doc: &str) -> Option<String> {
    let mut value: serde_json::Value = serde_json::from_str(doc).ok()?;
    hotline_domain::text::scrub_json(&mut value).then(|| value.to_string())
}

/// Finds the documents that may need [`repaired_document`]: serde_json writes a
/// control character as a `\u00XX`, `\r`, `\b` or `\f` escape, and DEL as itself.
pub(crate) fn may_need_repair_sql(
    dialect: Dialect,
    table: &str,
    key: &str,
    column: &str,
) -> String {
    let (find, chr) = match dialect {
        Dialect::Sqlite => ("instr", "char"),
        Dialect::Postgres => ("strpos", "chr"),
    };
    let tests: Vec<String> = [r"'\u00'", r"'\r'", r"'\b'", r"'\f'"]
        .iter()
        .map(|esc| format!("{find}({column}, {esc}) > 0"))
        .chain([format!("{find}({column}, {chr}(127)) > 0")])
        .collect();
    format!(
        "SELECT {key}, {column} FROM {table} WHERE {}",
        tests.join(" OR ")
    )
}

/// The login guard's statements, the same on both backends.
pub(crate) mod login {
    pub const ADDRESS: &str = "SELECT window_start, count FROM rate_counters WHERE key = ?";
    pub const PAIR: &str = "SELECT failures, first_at, locked_until FROM login_pair_failures \
         WHERE username = ? AND address = ?";
    pub const NAME: &str = "SELECT failures, first_at FROM login_failures WHERE username = ?";
    pub const KNOWN: &str =
        "SELECT last_at FROM login_known_addresses WHERE username = ? AND address = ?";
    pub const PUT_ADDRESS: &str = "INSERT INTO rate_counters (key, window_start, count) \
         VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET window_start = excluded.window_start, \
         count = excluded.count";
    pub const PUT_PAIR: &str = "INSERT INTO login_pair_failures \
         (username, address, failures, first_at, locked_until) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (username, address) DO UPDATE SET failures = excluded.failures, \
         first_at = excluded.first_at, locked_until = excluded.locked_until";
    pub const PUT_NAME: &str = "INSERT INTO login_failures \
         (username, failures, first_at, locked_until) VALUES (?, ?, ?, 0) \
         ON CONFLICT (username) DO UPDATE SET failures = excluded.failures, \
         first_at = excluded.first_at";
    /// A success takes back its attempt from the name's hour that counted it.
    pub const UNCOUNT_NAME: &str = "UPDATE login_failures SET failures = failures - 1 \
         WHERE username = ? AND first_at <= ? AND failures > 0";
    /// A checked attempt failed: one more for the address's minute.
    pub const COUNT_ADDRESS: &str = "INSERT INTO rate_counters (key, window_start, count) \
         VALUES (?, ?, 1) ON CONFLICT (key) DO UPDATE SET \
         count = CASE WHEN rate_counters.window_start = excluded.window_start \
         THEN rate_counters.count + 1 ELSE 1 END, window_start = excluded.window_start";
    pub const CLEAR_PAIR: &str =
        "DELETE FROM login_pair_failures WHERE username = ? AND address = ?";
    pub const KNOW: &str = "INSERT INTO login_known_addresses (username, address, last_at) \
         VALUES (?, ?, ?) ON CONFLICT (username, address) DO UPDATE SET last_at = excluded.last_at";
    /// Addresses no longer spared are forgotten when the name next logs in.
    pub const FORGET: &str = "DELETE FROM login_known_addresses WHERE username = ? AND last_at < ?";

    /// The rate counter of an address's failed logins.
    pub fn address_key(address: &str) -> String {
        format!("login:{address}")
    }

    /// The start of the minute an attempt was counted in.
    pub fn minute_of(at: i64) -> i64 {
        at - at.rem_euclid(60)
    }
}

/// The write `GET /readyz` makes: one row, rewritten.
pub(crate) const PROBE_WRITE: &str = "INSERT INTO readiness (id, at) VALUES (1, ?) \
     ON CONFLICT (id) DO UPDATE SET at = excluded.at";

/// The statements of personal data at rest and retention, the same on both backends.
pub(crate) mod personal {
    /// Orders per key id (NULL: stored plain).
    pub const KEYS: &str = "SELECT pd_key, COUNT(*) FROM orders GROUP BY pd_key ORDER BY pd_key";
    /// One sealed document per key id in use: opening it at start proves the key.
    pub const SAMPLES: &str = "SELECT o.pd_key, o.doc FROM orders o WHERE o.id IN \
         (SELECT MIN(id) FROM orders WHERE pd_key IS NOT NULL GROUP BY pd_key)";
    /// Orders not sealed with the current key (`?` after id, current key, limit).
    pub const NOT_CURRENT: &str = "SELECT id, version, doc, address_key FROM orders \
         WHERE id > ? AND (pd_key IS NULL OR pd_key <> ?) ORDER BY id LIMIT ?";
    /// Orders stored plain (`?` after id, limit).
    pub const PLAIN: &str = "SELECT id, version, doc, address_key FROM orders \
         WHERE id > ? AND pd_key IS NULL ORDER BY id LIMIT ?";
    /// The same order sealed again; the version is unchanged (the order is the same),
    /// but must still be the one read, or a newer write (sealed already) wins.
    pub const RESEAL: &str = "UPDATE orders SET doc = ?, pd_key = ?, address_key = ? \
         WHERE id = ? AND version = ?";
    /// Closed orders past retention whose personal data is still there.
    pub const TO_PURGE: &str = "SELECT id, version, doc FROM orders WHERE closed_at < ? \
         AND purged_at IS NULL AND status = 'closed' ORDER BY closed_at, id LIMIT ?";
    pub const PURGE: &str = "UPDATE orders SET doc = ?, version = ?, pd_key = ?, \
         phone_hash = NULL, address_key = NULL, purged_at = ? WHERE id = ? AND version = ?";
    /// The setting that says every order stored plain before encryption was turned on
    /// has been sealed (the one-time conversion at the first start with it on).
    pub const SEALED_SETTING: &str = "personal_data.sealed";
    /// What the login guard no longer needs (every `?`: the cut-off, in Unix
    /// seconds): counters and failures whose window and lock ended before it, then
    /// addresses known for a name and sessions that ended before theirs.
    pub const GUARD_COUNTERS: [&str; 3] = [
        "DELETE FROM rate_counters WHERE window_start < ?",
        "DELETE FROM login_failures WHERE first_at < ? AND locked_until < ?",
        "DELETE FROM login_pair_failures WHERE first_at < ? AND locked_until < ?",
    ];
    pub const GUARD_KNOWN: [&str; 2] = [
        "DELETE FROM login_known_addresses WHERE last_at < ?",
        "DELETE FROM sessions WHERE expires_at < ?",
    ];
}
