//! Rows decoded into records, once for both stores: each decoder reads a row of
//! either driver ([`Row`]) by the column order its statement in [`crate::sql`] names.

use hotline_domain::audit::{AuditEntry, AuditRecord};
use hotline_domain::kb::{Article, ArticleStatus, ArticleVersion};
use hotline_domain::taxonomy::DomainCategory;
use hotline_domain::{
    Event, EventKind, OrderId, RegionCode, Role, Timestamp, UnitCode, UnitKind, UserId,
    YearArrangement, shanghai,
};

use crate::sql::Row;
use crate::stats::StatCount;
use crate::two_factor::TwoFactorRecord;
use crate::{
    ApiKeyRecord, NewUser, Result, SessionRecord, StoreError, UnitRecord, UserRecord, backend,
};

fn ts(s: &str) -> Result<Timestamp> {
    chrono::DateTime::parse_from_rfc3339(s).map_err(backend)
}

pub(crate) fn from_epoch(secs: i64) -> Timestamp {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .with_timezone(&shanghai())
}

fn unit_code(s: Option<String>) -> Result<Option<UnitCode>> {
    Ok(s.map(|u| UnitCode::parse(&u)).transpose()?)
}

/// `code, name, kind, parent, region, active, line_head`
pub(crate) fn unit(r: &impl Row) -> Result<UnitRecord> {
    Ok(UnitRecord {
        code: UnitCode::parse(&r.get::<String>(0)?)?,
        name: r.get(1)?,
        kind: UnitKind::parse(&r.get::<String>(2)?)?,
        parent: unit_code(r.get(3)?)?,
        region: RegionCode::parse(&r.get::<String>(4)?)?,
        active: r.get(5)?,
        line_head: unit_code(r.get(6)?)?,
    })
}

pub(crate) fn roles_to_text(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn roles_from_text(s: &str) -> Result<Vec<Role>> {
    s.split(',')
        .filter(|r| !r.is_empty())
        .map(|r| Ok(Role::parse(r)?))
        .collect()
}

/// `id, username, password_hash, roles, unit, active`
pub(crate) fn user(r: &impl Row) -> Result<UserRecord> {
    Ok(UserRecord {
        id: UserId(r.get(0)?),
        username: r.get(1)?,
        password_hash: r.get(2)?,
        roles: roles_from_text(&r.get::<String>(3)?)?,
        unit: unit_code(r.get(4)?)?,
        active: r.get(5)?,
    })
}

/// A new account as stored under `id`.
pub(crate) fn new_user(u: NewUser, id: i64) -> UserRecord {
    UserRecord {
        id: UserId(id),
        username: u.username,
        password_hash: u.password_hash,
        roles: u.roles,
        unit: u.unit,
        active: true,
    }
}

/// The user as [`user`] reads it, then `created_at, expires_at, last_seen, address`.
pub(crate) fn session(r: &impl Row, token_hash: String) -> Result<(SessionRecord, UserRecord)> {
    let user = user(r)?;
    let session = SessionRecord {
        token_hash,
        user_id: user.id,
        created_at: from_epoch(r.get(6)?),
        expires_at: from_epoch(r.get(7)?),
        last_seen: from_epoch(r.get(8)?),
        address: r.get(9)?,
    };
    Ok((session, user))
}

/// `token_hash, created_at, expires_at, last_seen, address` of one account's session.
pub(crate) fn user_session(r: &impl Row, user_id: UserId) -> Result<SessionRecord> {
    Ok(SessionRecord {
        token_hash: r.get(0)?,
        user_id,
        created_at: from_epoch(r.get(1)?),
        expires_at: from_epoch(r.get(2)?),
        last_seen: from_epoch(r.get(3)?),
        address: r.get(4)?,
    })
}

/// `id, name, key_hash, unit, actions, created_at, revoked_at`
pub(crate) fn api_key(r: &impl Row) -> Result<ApiKeyRecord> {
    let actions: String = r.get(4)?;
    Ok(ApiKeyRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        key_hash: r.get(2)?,
        unit: UnitCode::parse(&r.get::<String>(3)?)?,
        actions: actions
            .split(',')
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .collect(),
        created_at: from_epoch(r.get(5)?),
        revoked_at: r.get::<Option<i64>>(6)?.map(from_epoch),
    })
}

/// `at, type, actor, unit, note, data`, from column `at` on.
pub(crate) fn event(r: &impl Row, at: usize) -> Result<Event> {
    Ok(Event {
        at: ts(&r.get::<String>(at)?)?,
        kind: EventKind::parse(&r.get::<String>(at + 1)?)?,
        actor: r.get(at + 2)?,
        unit: unit_code(r.get(at + 3)?)?,
        note: r.get(at + 4)?,
        data: serde_json::from_str(&r.get::<String>(at + 5)?)?,
    })
}

/// `id, order_id, name, content_type, size, sha256, source, uploaded_by, unit, at, purged_at`
pub(crate) fn attachment(r: &impl Row) -> Result<crate::attachments::AttachmentRecord> {
    let source: String = r.get(6)?;
    Ok(crate::attachments::AttachmentRecord {
        id: r.get(0)?,
        order_id: OrderId::new(r.get(1)?),
        name: r.get(2)?,
        content_type: r.get(3)?,
        size: r.get::<i64>(4)?.max(0) as u64,
        sha256: r.get(5)?,
        source: crate::attachments::AttachmentSource::parse(&source)
            .ok_or_else(|| backend(format!("unknown attachment source {source}")))?,
        uploaded_by: r.get(7)?,
        unit: unit_code(r.get(8)?)?,
        at: ts(&r.get::<String>(9)?)?,
        purged_at: r.get::<Option<String>>(10)?.map(|t| ts(&t)).transpose()?,
    })
}

/// `id, unit, order_id, number, type, at, actor`
pub(crate) fn notification(r: &impl Row) -> Result<crate::notices::Notification> {
    Ok(crate::notices::Notification {
        id: r.get(0)?,
        unit: UnitCode::parse(&r.get::<String>(1)?)?,
        order_id: OrderId::new(r.get(2)?),
        number: r.get(3)?,
        kind: EventKind::parse(&r.get::<String>(4)?)?,
        at: ts(&r.get::<String>(5)?)?,
        actor: r.get(6)?,
    })
}

/// `id, at, actor, unit, address, action, object, detail, prev_hash, hash`
pub(crate) fn audit_entry(r: &impl Row) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: r.get(0)?,
        record: AuditRecord {
            at: ts(&r.get::<String>(1)?)?,
            actor: r.get(2)?,
            unit: r.get(3)?,
            address: r.get(4)?,
            action: r.get(5)?,
            object: r.get(6)?,
            detail: serde_json::from_str(&r.get::<String>(7)?)?,
        },
        prev_hash: r.get(8)?,
        hash: r.get(9)?,
    })
}

/// `id, hash` of the last audit record.
pub(crate) fn audit_head(r: &impl Row) -> Result<(i64, String)> {
    Ok((r.get(0)?, r.get(1)?))
}

pub(crate) fn year_texts(y: &YearArrangement) -> Result<(String, String)> {
    Ok((
        serde_json::to_string(&y.holidays)?,
        serde_json::to_string(&y.workdays)?,
    ))
}

/// `year, holidays, workdays`
pub(crate) fn year(r: &impl Row) -> Result<YearArrangement> {
    Ok(YearArrangement {
        year: r.get(0)?,
        holidays: serde_json::from_str(&r.get::<String>(1)?)?,
        workdays: serde_json::from_str(&r.get::<String>(2)?)?,
        // The table keeps the days only; the notices are provenance of the shipped seed.
        notice: None,
    })
}

/// `path, top_name, name`
pub(crate) fn category(r: &impl Row) -> Result<DomainCategory> {
    Ok(DomainCategory {
        path: hotline_domain::DomainPath::parse(&r.get::<String>(0)?)?,
        top_name: r.get(1)?,
        name: r.get(2)?,
    })
}

/// The first column, as text.
pub(crate) fn text(r: &impl Row) -> Result<String> {
    r.get(0)
}

/// The first column, as a number.
pub(crate) fn number(r: &impl Row) -> Result<i64> {
    r.get(0)
}

/// Column `i`, as a count.
pub(crate) fn count_at(r: &impl Row, i: usize) -> Result<u64> {
    Ok(r.get::<i64>(i)?.max(0) as u64)
}

/// `(text, number)`: a status or key and its count, and the like.
pub(crate) fn text_and_number(r: &impl Row) -> Result<(String, i64)> {
    Ok((r.get(0)?, r.get(1)?))
}

/// `measure, key, n`
pub(crate) fn stat_count(r: &impl Row) -> Result<StatCount> {
    Ok(StatCount {
        measure: r.get(0)?,
        key: r.get(1)?,
        n: r.get(2)?,
    })
}

/// `id, order_id, at` of an event waiting to be counted.
pub(crate) fn pending_event(r: &impl Row) -> Result<(i64, OrderId, Timestamp)> {
    Ok((
        r.get(0)?,
        OrderId::new(r.get(1)?),
        ts(&r.get::<String>(2)?)?,
    ))
}

/// `doc, uses, helpful, not_helpful`, from column `at` on.
pub(crate) fn article(r: &impl Row, at: usize) -> Result<Article> {
    let doc: String = r.get(at)?;
    let mut a: Article =
        serde_json::from_str(&doc).map_err(|e| StoreError::Backend(format!("article doc: {e}")))?;
    a.uses = count_at(r, at + 1)?;
    a.helpful = count_at(r, at + 2)?;
    a.not_helpful = count_at(r, at + 3)?;
    Ok(a)
}

/// `article_id, version, at, by_user, change, fields, status, content`
pub(crate) fn article_version(r: &impl Row) -> Result<ArticleVersion> {
    let bad = |e: String| StoreError::Backend(format!("article version: {e}"));
    let text = |i| r.get::<String>(i);
    Ok(ArticleVersion {
        article_id: r.get(0)?,
        version: r.get::<i64>(1)? as u32,
        at: chrono::DateTime::parse_from_rfc3339(&text(2)?).map_err(|e| bad(e.to_string()))?,
        by: text(3)?,
        change: text(4)?,
        fields: serde_json::from_str(&text(5)?).map_err(|e| bad(e.to_string()))?,
        status: ArticleStatus::parse(&text(6)?).map_err(|e| bad(e.0))?,
        content: serde_json::from_str(&text(7)?).map_err(|e| bad(e.to_string()))?,
    })
}

/// `totp_secret, totp_pending, totp_enrolled_at, totp_last_step, recovery codes left`
pub(crate) fn two_factor(r: &impl Row) -> Result<TwoFactorRecord> {
    Ok(TwoFactorRecord {
        secret: r.get(0)?,
        pending: r.get(1)?,
        enrolled_at: r.get::<Option<i64>>(2)?.map(from_epoch),
        last_step: r.get(3)?,
        recovery_codes_left: r.get(4)?,
    })
}

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
        #[serde(default)]
        enterprise: Option<Firm>,
    }
    #[derive(serde::Deserialize)]
    struct Firm {
        #[serde(default)]
        name: String,
        #[serde(default)]
        credit_code: String,
    }
    match serde_json::from_str::<Texts>(doc) {
        Ok(t) => {
            let mut text = format!("{} {}", t.title, t.content);
            // A report's or confidential order's requester is not searchable by the
            // name or number someone typed into its text: a unit searching a name
            // would learn who reported.
            if let Some(who) = t.requester.filter(|_| t.confidential || t.kind == "report") {
                let mut secrets = hotline_domain::text::requester_secrets(
                    who.name.as_deref(),
                    who.phone.as_deref(),
                );
                if let Some(firm) = who.enterprise {
                    secrets.extend(
                        [firm.name, firm.credit_code]
                            .into_iter()
                            .filter(|s| s.trim().chars().count() >= 2),
                    );
                }
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
