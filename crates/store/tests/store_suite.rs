//! One storage story, run on SQLite always and on PostgreSQL when
//! `HOTLINE_TEST_DATABASE_URL` names a database (each test in a fresh schema).

use chrono::DateTime;
use hotline_domain::*;
use hotline_store::*;
use std::sync::Arc;

fn at(s: &str) -> Timestamp {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn code(s: &str) -> UnitCode {
    UnitCode::parse(s).unwrap()
}

struct Backend {
    store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
}

async fn sqlite() -> Backend {
    sqlite_with(Personal::plain()).await
}

/// Personal data sealed with a fresh key of `algorithm`.
fn sealed(algorithm: Algorithm) -> Arc<Personal> {
    Personal::sealed(Keyring::generate(algorithm), None)
}

async fn sqlite_with(personal: Arc<Personal>) -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_with(&dir.path().join("t.db"), personal).unwrap();
    Backend {
        store: Arc::new(store),
        _dir: Some(dir),
    }
}

async fn postgres() -> Option<Backend> {
    postgres_with(Personal::plain()).await
}

fn postgres_url() -> Option<String> {
    let url = std::env::var("HOTLINE_TEST_DATABASE_URL").ok();
    if url.is_none() {
        eprintln!("HOTLINE_TEST_DATABASE_URL is not set: skipping the PostgreSQL run");
    }
    url
}

async fn postgres_with(personal: Arc<Personal>) -> Option<Backend> {
    let url = postgres_url()?;
    let schema = format!("t_{}_{}", std::process::id(), rand_suffix());
    let store = hotline_store::postgres::PgStore::connect_with(&url, Some(&schema), personal)
        .await
        .expect("PostgreSQL at HOTLINE_TEST_DATABASE_URL answers");
    Some(Backend {
        store: Arc::new(store),
        _dir: None,
    })
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    u64::from(nanos) * 1000 + N.fetch_add(1, Ordering::Relaxed)
}

use hotline_store::personal::{Algorithm, Keyring, Personal};
use hotline_store::sqlite::SqliteStore;

mod upgrade;
use upgrade::before;

/// Runs a story on every configured backend, with personal data stored plain and
/// sealed (AES-256-GCM on SQLite, SM4-GCM on PostgreSQL), and on a database an older
/// version of the store wrote, opened by this one (see [`upgrade`]).
macro_rules! story {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn on_sqlite() {
                let b = sqlite().await;
                ($body)(b.store.clone()).await;
            }
            #[tokio::test]
            async fn on_postgres() {
                if let Some(b) = postgres().await {
                    ($body)(b.store.clone()).await;
                }
            }
            #[tokio::test]
            async fn on_sqlite_sealed() {
                let b = sqlite_with(sealed(Algorithm::Aes256Gcm)).await;
                ($body)(b.store.clone()).await;
            }
            #[tokio::test]
            async fn on_postgres_sealed() {
                if let Some(b) = postgres_with(sealed(Algorithm::Sm4Gcm)).await {
                    ($body)(b.store.clone()).await;
                }
            }
            #[tokio::test]
            async fn on_sqlite_upgraded() {
                let b = upgrade::sqlite_upgraded().await;
                upgrade::with_before(&b.store, ($body)(b.store.clone())).await;
            }
        }
    };
}

async fn seed_units(s: &Arc<dyn Store>) {
    let unit = |c: &str, kind, parent: Option<&str>, region: &str| UnitRecord {
        code: code(c),
        name: format!("单位{c}"),
        kind,
        parent: parent.map(code),
        region: RegionCode::parse(region).unwrap(),
        active: true,
        line_head: None,
    };
    for u in [
        unit("sc", UnitKind::Hotline, None, "510000"),
        unit("cd", UnitKind::Hotline, Some("sc"), "510100"),
        unit("cdjt", UnitKind::Department, Some("cd"), "510100"),
        unit("cdsw", UnitKind::Department, Some("cd"), "510100"),
    ] {
        s.create_unit(u, audit("unit.create")).await.unwrap();
    }
}

fn intake(title: &str) -> Intake {
    Intake {
        channel: Channel::Phone,
        kind: Kind::Complaint,
        // Classified, as a dispatch to a unit needs it.
        domain: Some(DomainPath::parse("social_management/community").unwrap()),
        region: RegionCode::parse("510104").unwrap(),
        street: None,
        title: title.into(),
        content: format!("{title}，请尽快处理"),
        address: Some("锦江区东大街1号".into()),
        location: None,
        urgent: false,
        confidential: false,
        requester: Requester {
            name: Some("张三".into()),
            phone: Some(Phone::parse("13812341234").unwrap()),
            address: None,
            anonymous: false,
            enterprise: None,
        },
    }
}

fn new_order(title: &str, now: &str, phone_hash: Option<&str>, address: Option<&str>) -> NewOrder {
    NewOrder {
        intake: intake(title),
        hotline: code("cd"),
        registered_by: "op".into(),
        now: at(now),
        tracking_code: "12345678".into(),
        phone_hash: phone_hash.map(str::to_owned),
        address_key: address.map(str::to_owned),
        duplicate_window_days: 30,
        idempotency: None,
        audit: None,
    }
}

async fn create(s: &Arc<dyn Store>, n: NewOrder) -> Order {
    let cal = Arc::new(Calendar::new(Calendar::official_seed()));
    s.create_order(n, Arc::new(DeadlineRules::default()), cal)
        .await
        .unwrap()
        .order
}

/// Registers an order from the phone (hash) and about the address given.
async fn register(
    s: &Arc<dyn Store>,
    title: &str,
    now: &str,
    phone_hash: Option<&str>,
    address: Option<&str>,
) -> Order {
    create(s, new_order(title, now, phone_hash, address)).await
}

fn dispatcher() -> Actor {
    Actor {
        username: "d".into(),
        roles: vec![Role::Dispatcher],
        unit: Some(code("cd")),
        hotline_staff: true,
        upper_hotline: None,
        hotline_above: None,
        line_overseer: false,
        requester: false,
    }
}

/// The ids of the orders a filter lists, in order.
async fn listed(s: &Arc<dyn Store>, f: &OrderFilter) -> Vec<OrderId> {
    let orders = s.list_orders(f).await.unwrap();
    orders.into_iter().map(|o| o.id).collect()
}

/// The change a dispatcher's action makes to the order, not yet recorded.
fn change(o: &Order, action: Action, now: &str) -> OrderChange {
    change_by(o, action, &dispatcher(), now)
}

fn change_by(o: &Order, action: Action, actor: &Actor, now: &str) -> OrderChange {
    let rules = DeadlineRules::default();
    let cal = Calendar::new(Calendar::official_seed());
    let ctx = Context {
        now: at(now),
        rules: &rules,
        calendar: &cal,
    };
    let t = apply(o, action, actor, &ctx).unwrap();
    OrderChange {
        order: t.order,
        event: t.event,
    }
}

/// Applies a dispatcher's action and records it.
async fn act(s: &Arc<dyn Store>, o: &Order, action: Action, now: &str) -> Order {
    let c = change(o, action, now);
    let order = c.order.clone();
    s.record_transitions(vec![c], None).await.unwrap();
    order
}

fn dispatch_to(unit: &str, co: &[&str]) -> Action {
    Action::Dispatch {
        unit: DispatchTarget {
            code: code(unit),
            kind: UnitKind::Department,
        },
        co_units: co.iter().map(|c| code(c)).collect(),
        note: None,
        domain: None,
    }
}

async fn dispatch(s: &Arc<dyn Store>, o: &Order, unit: &str, co: &[&str], now: &str) -> Order {
    act(s, o, dispatch_to(unit, co), now).await
}

story!(orders_are_numbered_by_day_and_read_back_whole, |s: Arc<
    dyn Store,
>| async move {
    seed_units(&s).await;
    let a = register(&s, "路灯不亮", "2026-11-27T09:00:00+08:00", None, None).await;
    let b = register(&s, "噪声扰民", "2026-11-27T10:00:00+08:00", None, None).await;
    // 23:30 UTC on the 27th is already the 28th in Shanghai.
    let c = register(&s, "占道经营", "2026-11-27T23:30:00Z", None, None).await;
    assert_eq!(a.number.as_str(), "20261127-000001");
    assert_eq!(b.number.as_str(), "20261127-000002");
    assert_eq!(c.number.as_str(), "20261128-000001");
    assert_eq!(s.order(a.id).await.unwrap().unwrap(), a);
    assert_eq!(
        s.order_by_number(&b.number).await.unwrap().unwrap().id,
        b.id
    );
    let events = s.events(a.id).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "registered");
    assert_eq!(events[0].at, at("2026-11-27T09:00:00+08:00"));
});

story!(
    possible_duplicates_are_the_same_phone_or_address_within_30_days,
    |s: Arc<dyn Store>| async move {
        seed_units(&s).await;
        let old = register(&s, "旧", "2026-09-01T09:00:00+08:00", Some("h1"), None).await;
        let a = register(&s, "甲", "2026-11-20T09:00:00+08:00", Some("h1"), None).await;
        let b = register(
            &s,
            "乙",
            "2026-11-21T09:00:00+08:00",
            Some("h2"),
            Some("东大街1号"),
        )
        .await;
        let c = register(
            &s,
            "丙",
            "2026-11-22T09:00:00+08:00",
            Some("h1"),
            Some("东大街1号"),
        )
        .await;
        assert!(
            a.possible_duplicates.is_empty(),
            "the September order is outside the window: {old:?}"
        );
        assert_eq!(c.possible_duplicates, vec![b.id, a.id]);
        assert_eq!(
            s.order(c.id).await.unwrap().unwrap(),
            c,
            "stored as answered"
        );
        let history = s.orders_by_phone_hash("h1", 10).await.unwrap();
        assert_eq!(
            history.iter().map(|o| o.id).collect::<Vec<_>>(),
            vec![c.id, a.id, old.id]
        );
    }
);

story!(
    a_merged_order_is_no_longer_listed_as_a_duplicate,
    |s: Arc<dyn Store>| async move {
        seed_units(&s).await;
        let a = register(&s, "甲", "2026-11-20T09:00:00+08:00", Some("h7"), None).await;
        let b = register(&s, "乙", "2026-11-20T10:00:00+08:00", Some("h7"), None).await;
        assert_eq!(b.possible_duplicates, vec![a.id]);
        act(
            &s,
            &b,
            Action::Merge { into: a.id },
            "2026-11-20T10:05:00+08:00",
        )
        .await;
        let c = register(&s, "丙", "2026-11-20T11:00:00+08:00", Some("h7"), None).await;
        assert_eq!(
            c.possible_duplicates,
            vec![a.id],
            "the merged order is left out"
        );
    }
);

story!(
    orders_registered_at_once_list_each_other_as_duplicates,
    |s: Arc<dyn Store>| async move {
        seed_units(&s).await;
        let mut calls = tokio::task::JoinSet::new();
        for _ in 0..10 {
            let s = s.clone();
            calls.spawn(async move {
                register(
                    &s,
                    "同一来电",
                    "2026-11-20T09:00:00+08:00",
                    Some("h9"),
                    None,
                )
                .await
            });
        }
        let orders = calls.join_all().await;
        // Of any two, the one written second lists the first.
        for a in &orders {
            for b in orders.iter().filter(|b| b.id != a.id) {
                let listed = a.possible_duplicates.contains(&b.id) as u8
                    + b.possible_duplicates.contains(&a.id) as u8;
                assert_eq!(listed, 1, "orders {} and {} of one burst", a.id, b.id);
            }
            assert_eq!(s.order(a.id).await.unwrap().unwrap(), *a);
        }
    }
);

story!(
    an_idempotency_key_returns_the_same_order_or_refuses_another_body,
    |s: Arc<dyn Store>| async move {
        seed_units(&s).await;
        let keyed = |body: &str, now: &str| {
            let mut n = new_order("路灯", now, None, None);
            n.idempotency = Some(IdempotencyKey {
                scope: "user:1".into(),
                key: "k1".into(),
                body_hash: body.into(),
                not_before: at(now) - chrono::Duration::hours(24),
            });
            n
        };
        let cal = Arc::new(Calendar::new(Calendar::official_seed()));
        let rules = Arc::new(DeadlineRules::default());
        let first = s
            .create_order(
                keyed("b1", "2026-11-27T09:00:00+08:00"),
                rules.clone(),
                cal.clone(),
            )
            .await
            .unwrap();
        let again = s
            .create_order(
                keyed("b1", "2026-11-27T09:01:00+08:00"),
                rules.clone(),
                cal.clone(),
            )
            .await
            .unwrap();
        assert!(!first.replayed && again.replayed);
        assert_eq!(first.order.id, again.order.id);
        let other = s
            .create_order(
                keyed("b2", "2026-11-27T09:02:00+08:00"),
                rules.clone(),
                cal.clone(),
            )
            .await;
        assert!(matches!(other, Err(StoreError::IdempotencyKeyReused)));
        let cd = OrderFilter::new(Scope::Hotlines(vec![code("cd")]));
        let all = s.list_orders(&cd).await.unwrap();
        assert_eq!(all.len(), 1);
        let next_day = s
            .create_order(keyed("b2", "2026-11-28T10:00:00+08:00"), rules, cal)
            .await
            .unwrap();
        assert!(!next_day.replayed, "keys are kept 24 hours");
    }
);

story!(
    a_change_made_on_a_stale_copy_is_refused_and_writes_nothing,
    |s: Arc<dyn Store>| async move {
        seed_units(&s).await;
        let o = register(&s, "路灯", "2026-11-27T09:00:00+08:00", None, None).await;
        let dispatched = dispatch(&s, &o, "cdjt", &[], "2026-11-27T10:00:00+08:00").await;
        assert_eq!(dispatched.version, 2);
        // The same transition again, from the stale version 1 copy.
        let stale = change(&o, dispatch_to("cdsw", &[]), "2026-11-27T10:01:00+08:00");
        let r = s.record_transitions(vec![stale], None).await;
        assert!(matches!(r, Err(StoreError::VersionConflict)));
        let now = s.order(o.id).await.unwrap().unwrap();
        assert_eq!(now.unit, Some(code("cdjt")));
        assert_eq!(s.events(o.id).await.unwrap().len(), 2);
    }
);

story!(lists_keep_to_their_scope_and_filters, |s: Arc<
    dyn Store,
>| async move {
    seed_units(&s).await;
    let a = register(&s, "路灯不亮", "2026-11-27T09:00:00+08:00", None, None).await;
    let b = register(&s, "噪声扰民", "2026-11-27T10:00:00+08:00", None, None).await;
    let c = register(&s, "占道经营 100%", "2026-11-27T11:00:00+08:00", None, None).await;
    dispatch(&s, &a, "cdjt", &[], "2026-11-27T12:00:00+08:00").await;
    dispatch(&s, &b, "cdsw", &["cdjt"], "2026-11-27T12:00:00+08:00").await;
    let ids = |v: Vec<Order>| v.into_iter().map(|o| o.id).collect::<Vec<_>>();
    let unit = s
        .list_orders(&OrderFilter::new(Scope::Unit(code("cdjt"))))
        .await
        .unwrap();
    assert_eq!(ids(unit), vec![b.id, a.id]);
    let sw = s
        .list_orders(&OrderFilter::new(Scope::Unit(code("cdsw"))))
        .await
        .unwrap();
    assert_eq!(ids(sw), vec![b.id]);
    let other = s
        .list_orders(&OrderFilter::new(Scope::Hotlines(vec![code("sc")])))
        .await
        .unwrap();
    assert!(other.is_empty());
    let mut f = OrderFilter::new(Scope::Hotlines(vec![code("cd")]));
    f.status = Some(Status::Registered);
    assert_eq!(ids(s.list_orders(&f).await.unwrap()), vec![c.id]);
    let mut f = OrderFilter::new(Scope::All);
    f.text = Some("噪声".into());
    assert_eq!(ids(s.list_orders(&f).await.unwrap()), vec![b.id]);
    f.text = Some("100%".into());
    assert_eq!(ids(s.list_orders(&f).await.unwrap()), vec![c.id]);
    f.text = Some(a.number.to_string());
    assert_eq!(ids(s.list_orders(&f).await.unwrap()), vec![a.id]);
    let mut page = OrderFilter::new(Scope::Hotlines(vec![code("cd")]));
    page.limit = 2;
    let first = s.list_orders(&page).await.unwrap();
    page.before_id = Some(first[1].id);
    assert_eq!(ids(s.list_orders(&page).await.unwrap()), vec![a.id]);
    let counts = s.count_by_status().await.unwrap();
    assert_eq!(
        counts,
        before().plus_statuses(&[("dispatched", 2), ("registered", 1)])
    );
});

story!(accounts_sessions_calendar_and_rules_round_trip, |s: Arc<
    dyn Store,
>| async move {
    seed_units(&s).await;
    let head = audit_head(&s).await;
    let u = s
        .create_user(
            NewUser {
                username: "alice".into(),
                password_hash: "h".into(),
                roles: vec![Role::Operator, Role::Dispatcher],
                unit: Some(code("cd")),
            },
            audit("user.create"),
        )
        .await
        .unwrap();
    let dup = s
        .create_user(
            NewUser {
                username: "alice".into(),
                password_hash: "h".into(),
                roles: vec![],
                unit: None,
            },
            audit("user.create"),
        )
        .await;
    assert!(matches!(dup, Err(StoreError::Duplicate(_))));
    let back = s.user_by_username("alice").await.unwrap().unwrap();
    assert_eq!(
        (back.id, back.roles.clone(), back.unit.clone()),
        (
            u.id,
            vec![Role::Operator, Role::Dispatcher],
            Some(code("cd"))
        )
    );
    s.create_session(SessionRecord {
        token_hash: "t".into(),
        user_id: u.id,
        created_at: at("2026-11-27T09:00:00+08:00"),
        expires_at: at("2026-11-27T21:00:00+08:00"),
        last_seen: at("2026-11-27T09:00:00+08:00"),
        address: None,
    })
    .await
    .unwrap();
    s.touch_session("t", at("2026-11-27T09:20:00+08:00"))
        .await
        .unwrap();
    assert_eq!(
        s.session("t").await.unwrap().unwrap().0.last_seen,
        at("2026-11-27T09:20:00+08:00")
    );
    let (sess, user) = s.session("t").await.unwrap().unwrap();
    assert_eq!(
        (sess.expires_at, user.username.as_str()),
        (at("2026-11-27T21:00:00+08:00"), "alice")
    );
    s.delete_session("t").await.unwrap();
    assert!(s.session("t").await.unwrap().is_none());

    let y = YearArrangement {
        year: 2027,
        holidays: vec!["2027-01-01".parse().unwrap()],
        workdays: vec![],
        notice: None,
    };
    s.put_calendar_year(y.clone(), Some(audit("calendar.load")))
        .await
        .unwrap();
    assert_eq!(
        s.calendar().await.unwrap(),
        [before().calendar, vec![y]].concat()
    );
    assert_eq!(s.deadline_rules().await.unwrap(), before().deadline_rules);
    let mut rules = DeadlineRules::default();
    rules.limits.consultation = Some(5);
    s.put_deadline_rules(&rules, Some(audit("rules.change")))
        .await
        .unwrap();
    assert_eq!(s.deadline_rules().await.unwrap(), Some(rules));
    let seed = hotline_domain::taxonomy::seed();
    for c in seed.clone() {
        s.put_domain_category(c, Some(audit("taxonomy.add")))
            .await
            .unwrap();
    }
    assert_eq!(s.taxonomy().await.unwrap().len(), seed.len());
    // Each change with its record; the refused account, neither.
    let trail = trail_after(&s, head).await;
    let actions: Vec<&str> = trail.iter().map(|e| e.record.action.as_str()).collect();
    let changes = ["user.create", "calendar.load", "rules.change"];
    assert_eq!(actions[..3], changes);
    assert_eq!(actions[3..], vec!["taxonomy.add"; seed.len()]);
});

/// The audit trail after record `after`, oldest first.
async fn trail_after(s: &Arc<dyn Store>, after: i64) -> Vec<hotline_domain::audit::AuditEntry> {
    let filter = AuditFilter {
        ascending: true,
        cursor: Some(after),
        limit: 1000,
        ..Default::default()
    };
    s.audit_entries(&filter).await.unwrap()
}

/// The id of the last audit record (0 before any).
async fn audit_head(s: &Arc<dyn Store>) -> i64 {
    let newest = AuditFilter {
        limit: 1,
        ..Default::default()
    };
    let entries = s.audit_entries(&newest).await.unwrap();
    entries.first().map_or(0, |e| e.id)
}

fn audit(action: &str) -> hotline_domain::audit::AuditRecord {
    hotline_domain::audit::AuditRecord {
        at: at("2026-11-27T09:00:00+08:00"),
        actor: "alice".into(),
        unit: Some("cd".into()),
        address: Some("127.0.0.1".into()),
        action: action.into(),
        object: None,
        detail: serde_json::json!({}),
    }
}

story!(
    the_audit_trail_is_one_verifiable_chain_written_with_its_change,
    |s: Arc<dyn Store>| async move {
        seed_units(&s).await;
        let head = audit_head(&s).await;
        s.append_audit(audit("login")).await.unwrap();
        let mut n = new_order("路灯", "2026-11-27T09:00:00+08:00", None, None);
        n.audit = Some(audit("order.create"));
        let o = create(&s, n).await;
        let c = change(&o, dispatch_to("cdjt", &[]), "2026-11-27T10:00:00+08:00");
        s.record_transitions(vec![c.clone()], Some(audit("order.dispatch")))
            .await
            .unwrap();
        // A refused write records nothing either.
        let stale = s
            .record_transitions(vec![c], Some(audit("order.dispatch")))
            .await;
        assert!(matches!(stale, Err(StoreError::VersionConflict)));
        let all = trail_after(&s, 0).await;
        let own: Vec<_> = all.iter().filter(|e| e.id > head).collect();
        assert_eq!(
            own.iter()
                .map(|e| e.record.action.as_str())
                .collect::<Vec<_>>(),
            ["login", "order.create", "order.dispatch"]
        );
        assert_eq!(
            own[1].record.object.as_deref(),
            Some(format!("order:{}", o.id).as_str())
        );
        let mut v = hotline_domain::audit::ChainVerifier::default();
        for e in &all {
            v.check(e).unwrap();
        }
        let newest = s
            .audit_entries(&AuditFilter {
                actor: Some("alice".into()),
                limit: 1,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(newest[0].id, head + 3);
    }
);

const GUARD: LoginGuard = LoginGuard {
    pair_failures: 5,
    pair_lock_secs: 900,
    name_failures: 50,
    name_window_secs: 3600,
    known_for_secs: 30 * 86_400,
    address_failures_per_minute: 60,
};

fn attempt(name: &str, address: &str, when: Timestamp) -> LoginAttempt {
    LoginAttempt {
        username: name.into(),
        address: address.into(),
        at: when,
    }
}

/// A login that passes the gate and succeeds.
async fn logs_in(s: &Arc<dyn Store>, a: &LoginAttempt) {
    let gate = s.begin_login(a, GUARD).await.unwrap();
    assert!(matches!(gate, LoginGate::Check { .. }), "{a:?}: {gate:?}");
    s.login_succeeded(a, GUARD).await.unwrap();
}

story!(
    thirty_parallel_attempts_of_one_name_from_one_address_let_five_be_checked,
    |s: Arc<dyn Store>| async move {
        let t0 = at("2026-11-27T09:00:00+08:00");
        let guesses: Vec<_> = (0..30)
            .map(|_| {
                let (s, a) = (s.clone(), attempt("operator", "203.0.113.9", t0));
                tokio::spawn(async move { s.begin_login(&a, GUARD).await.unwrap() })
            })
            .collect();
        let mut gates = Vec::new();
        for g in guesses {
            gates.push(g.await.unwrap());
        }
        let checked = gates
            .iter()
            .filter(|g| matches!(g, LoginGate::Check { .. }))
            .count();
        let locking = gates
            .iter()
            .filter(|g| {
                matches!(
                    g,
                    LoginGate::Check {
                        locks_on_failure: true
                    }
                )
            })
            .count();
        let until = t0 + chrono::Duration::minutes(15);
        let locked = gates
            .iter()
            .filter(|g| **g == LoginGate::Locked { until })
            .count();
        assert_eq!((checked, locking, locked), (5, 1, 25), "{gates:?}");
        // The lock is the pair's: the owner elsewhere and other names are not refused.
        logs_in(&s, &attempt("operator", "10.0.0.1", t0)).await;
        logs_in(&s, &attempt("dispatcher", "203.0.113.9", t0)).await;
        let later = |secs| {
            attempt(
                "operator",
                "203.0.113.9",
                t0 + chrono::Duration::seconds(secs),
            )
        };
        assert_eq!(
            s.begin_login(&later(899), GUARD).await.unwrap(),
            LoginGate::Locked { until }
        );
        logs_in(&s, &later(900)).await;
        // A success clears the pair's failures: five more may be checked.
        for i in 0..5 {
            let gate = s.begin_login(&later(901 + i), GUARD).await.unwrap();
            assert!(matches!(gate, LoginGate::Check { .. }), "{i}: {gate:?}");
        }
    }
);

story!(
    a_name_over_fifty_failures_an_hour_is_refused_except_from_addresses_it_logged_in_from_lately,
    |s: Arc<dyn Store>| async move {
        let day = |d: i64, secs: i64| {
            at("2026-11-01T09:00:00+08:00")
                + chrono::Duration::days(d)
                + chrono::Duration::seconds(secs)
        };
        logs_in(&s, &attempt("operator", "10.0.0.1", day(0, 0))).await;
        logs_in(&s, &attempt("operator", "10.0.0.2", day(0, 0))).await;
        logs_in(&s, &attempt("operator", "10.0.0.1", day(10, 0))).await;
        // Day 31: ten addresses fail five times each (their pairs lock, the name's hour fills).
        for i in 0..50 {
            let a = attempt("operator", &format!("203.0.113.{}", i / 5), day(31, i));
            let gate = s.begin_login(&a, GUARD).await.unwrap();
            assert!(matches!(gate, LoginGate::Check { .. }), "{i}: {gate:?}");
        }
        let end = day(31, 3600);
        for stranger in ["198.51.100.7", "10.0.0.2"] {
            assert_eq!(
                s.begin_login(&attempt("operator", stranger, day(31, 60)), GUARD)
                    .await
                    .unwrap(),
                LoginGate::Locked { until: end },
                "{stranger} is not spared (10.0.0.2 logged in 31 days ago)"
            );
        }
        logs_in(&s, &attempt("operator", "10.0.0.1", day(31, 60))).await;
        // Another name is not affected; after the hour, strangers may try again.
        logs_in(&s, &attempt("dispatcher", "198.51.100.7", day(31, 60))).await;
        logs_in(&s, &attempt("operator", "198.51.100.7", day(31, 3600))).await;
    }
);

story!(an_address_is_limited_by_its_failed_logins_only, |s: Arc<
    dyn Store,
>| async move {
    let t0 = at("2026-11-02T08:59:00+08:00");
    let guard = LoginGuard {
        address_failures_per_minute: 3,
        ..GUARD
    };
    // Three hundred operators behind one address log in within two minutes.
    for i in 0..300 {
        let a = attempt(
            &format!("op{i}"),
            "10.9.9.9",
            t0 + chrono::Duration::milliseconds(400 * i),
        );
        let gate = s.begin_login(&a, guard).await.unwrap();
        assert!(matches!(gate, LoginGate::Check { .. }), "{i}: {gate:?}");
        s.login_succeeded(&a, guard).await.unwrap();
    }
    let t1 = at("2026-11-02T09:10:20+08:00");
    // Attempts in flight do not count against the address…
    for name in ["a", "b", "c", "d"] {
        let gate = s
            .begin_login(&attempt(name, "10.9.9.9", t1), guard)
            .await
            .unwrap();
        assert!(matches!(gate, LoginGate::Check { .. }), "{name}: {gate:?}");
    }
    // …their failures do.
    for name in ["a", "b", "c"] {
        s.login_failed(&attempt(name, "10.9.9.9", t1))
            .await
            .unwrap();
    }
    assert_eq!(
        s.begin_login(&attempt("d", "10.9.9.9", t1), guard)
            .await
            .unwrap(),
        LoginGate::AddressLimited {
            until: at("2026-11-02T09:11:00+08:00")
        }
    );
    let elsewhere = s
        .begin_login(&attempt("d", "10.9.9.10", t1), guard)
        .await
        .unwrap();
    assert!(matches!(elsewhere, LoginGate::Check { .. }));
    let next_minute = attempt("d", "10.9.9.9", at("2026-11-02T09:11:00+08:00"));
    assert!(matches!(
        s.begin_login(&next_minute, guard).await.unwrap(),
        LoginGate::Check { .. }
    ));
    // Public lookups keep their own fixed windows.
    for _ in 0..3 {
        assert_eq!(
            s.hit_rate_limit("public:1.2.3.4", t1, 60, 3).await.unwrap(),
            None
        );
    }
    assert_eq!(
        s.hit_rate_limit("public:1.2.3.4", t1, 60, 3).await.unwrap(),
        Some(40)
    );
});

story!(
    an_account_lists_and_ends_its_sessions_and_a_password_change_keeps_only_the_current,
    |s: Arc<dyn Store>| async move {
        seed_units(&s).await;
        let user = |name: &str| NewUser {
            username: name.into(),
            password_hash: "h".into(),
            roles: vec![Role::Operator],
            unit: Some(code("cd")),
        };
        let alice = s
            .create_user(user("alice"), audit("user.create"))
            .await
            .unwrap();
        let bob = s
            .create_user(user("bob"), audit("user.create"))
            .await
            .unwrap();
        let head = audit_head(&s).await;
        let open = |id: UserId, hash: &str, hour: u32, address: Option<&str>| SessionRecord {
            token_hash: hash.into(),
            user_id: id,
            created_at: at(&format!("2026-11-27T{hour:02}:00:00+08:00")),
            expires_at: at("2026-11-27T23:00:00+08:00"),
            last_seen: at(&format!("2026-11-27T{hour:02}:00:00+08:00")),
            address: address.map(str::to_owned),
        };
        for session in [
            open(alice.id, "a1", 8, Some("10.0.0.1")),
            open(alice.id, "a2", 9, None),
            open(alice.id, "a3", 10, Some("10.0.0.3")),
            open(bob.id, "b1", 9, Some("10.0.0.9")),
        ] {
            s.create_session(session).await.unwrap();
        }
        let listed = |v: Vec<SessionRecord>| {
            v.into_iter()
                .map(|x| (x.token_hash, x.address))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            listed(s.user_sessions(alice.id).await.unwrap()),
            [
                ("a3".to_string(), Some("10.0.0.3".to_string())),
                ("a2".to_string(), None),
                ("a1".to_string(), Some("10.0.0.1".to_string())),
            ]
        );
        let foreign = s
            .end_user_session(alice.id, "b1", audit("session.end"))
            .await;
        assert!(matches!(foreign, Err(StoreError::NotFound)));
        s.end_user_session(alice.id, "a1", audit("session.end"))
            .await
            .unwrap();
        s.change_password(alice.id, "h2", "a3", audit("password.change"))
            .await
            .unwrap();
        assert_eq!(
            listed(s.user_sessions(alice.id).await.unwrap()),
            [("a3".to_string(), Some("10.0.0.3".to_string()))]
        );
        assert_eq!(s.user_sessions(bob.id).await.unwrap().len(), 1);
        let (_, u) = s.session("a3").await.unwrap().unwrap();
        assert_eq!(u.password_hash, "h2");
        let trail = trail_after(&s, head).await;
        let actions: Vec<_> = trail.iter().map(|e| e.record.action.as_str()).collect();
        assert_eq!(actions, ["session.end", "password.change"]);
    }
);

story!(
    queues_find_pending_extensions_and_sort_by_deadline,
    |s: Arc<dyn Store>| async move {
        seed_units(&s).await;
        let mut help = new_order("求助", "2026-11-02T09:00:00+08:00", None, None);
        help.intake.kind = Kind::Help;
        let help = create(&s, help).await;
        let complaint = register(&s, "投诉", "2026-11-02T10:00:00+08:00", None, None).await;
        let mut consult = new_order("咨询", "2026-11-02T11:00:00+08:00", None, None);
        consult.intake.kind = Kind::Consultation;
        let consult = create(&s, consult).await;
        let mut f = OrderFilter::new(Scope::Hotlines(vec![code("cd")]));
        f.by_deadline = true;
        let ids = listed(&s, &f).await;
        assert_eq!(
            ids,
            vec![consult.id, help.id, complaint.id],
            "3, 7 and 15 working days"
        );
        // An extension waiting for a decision.
        let o = dispatch(&s, &complaint, "cdjt", &[], "2026-11-02T12:00:00+08:00").await;
        let handler = Actor {
            username: "h".into(),
            roles: vec![Role::Handler],
            unit: Some(code("cdjt")),
            hotline_staff: false,
            upper_hotline: None,
            hotline_above: None,
            line_overseer: false,
            requester: false,
        };
        let now = "2026-11-02T13:00:00+08:00";
        let accept = change_by(&o, Action::Accept, &handler, now);
        let extend = Action::RequestExtension {
            days: 2,
            reason: "勘查".into(),
        };
        let ask = change_by(&accept.order, extend, &handler, now);
        s.record_transitions(vec![accept, ask], None).await.unwrap();
        let mut f = OrderFilter::new(Scope::All);
        f.extension_pending = true;
        let ids = listed(&s, &f).await;
        assert_eq!(ids, vec![complaint.id]);
    }
);

story!(lists_filter_by_domain_field_and_sub_category, |s: Arc<
    dyn Store,
>| async move {
    seed_units(&s).await;
    let mut roads = new_order("路灯", "2026-11-02T09:00:00+08:00", None, None);
    roads.intake.domain = Some(DomainPath::parse("public_services/roads").unwrap());
    let roads = create(&s, roads).await;
    let mut noise = new_order("噪声", "2026-11-02T10:00:00+08:00", None, None);
    noise.intake.domain = Some(DomainPath::parse("environmental_protection/noise").unwrap());
    create(&s, noise).await;
    for (domain, expected) in [
        ("public_services", vec![roads.id]),
        ("public_services/roads", vec![roads.id]),
        ("market_supervision", vec![]),
    ] {
        let mut f = OrderFilter::new(Scope::All);
        f.domain = Some(domain.into());
        let ids = listed(&s, &f).await;
        assert_eq!(ids, expected, "{domain}");
    }
});

story!(
    orders_about_an_address_are_found_by_its_key_within_the_window,
    |s: Arc<dyn Store>| async move {
        seed_units(&s).await;
        register(
            &s,
            "旧",
            "2026-09-01T09:00:00+08:00",
            None,
            Some("东大街1号"),
        )
        .await;
        let a = register(
            &s,
            "甲",
            "2026-11-20T09:00:00+08:00",
            None,
            Some("东大街1号"),
        )
        .await;
        register(
            &s,
            "乙",
            "2026-11-21T09:00:00+08:00",
            None,
            Some("西大街2号"),
        )
        .await;
        let found = s
            .orders_by_address_key("东大街1号", at("2026-10-28T00:00:00+08:00"), 10)
            .await
            .unwrap();
        assert_eq!(found.iter().map(|o| o.id).collect::<Vec<_>>(), vec![a.id]);
    }
);

fn kb_article(title: &str) -> hotline_domain::kb::Article {
    use hotline_domain::kb::*;
    Article {
        id: 0,
        hotline: code("cd"),
        status: ArticleStatus::Draft,
        urgent: false,
        pinned: false,
        version: 0,
        content: ArticleContent {
            title: title.into(),
            question: "社保卡丢了怎么办？".into(),
            answer: "先挂失，再补领。".into(),
            category: "社会保障/社保卡".into(),
            material: Material::Guide,
            issuing_unit: Some("成都市人社局".into()),
            source: None,
            region: Some(RegionCode::parse("510100").unwrap()),
            keywords: vec!["社保卡".into(), "补办".into()],
            valid_from: None,
            valid_to: None,
        },
        created_by: "editor".into(),
        updated_by: "editor".into(),
        updated_at: at("2026-11-27T09:00:00+08:00"),
        published_at: None,
        uses: 0,
        helpful: 0,
        not_helpful: 0,
        contribution: None,
    }
}

story!(
    articles_keep_every_version_and_a_change_sequence,
    |s: Arc<dyn Store>| async move {
        use hotline_domain::kb::ArticleStatus;
        use hotline_store::kb::*;
        seed_units(&s).await;
        let seq = before().kb_seq;
        assert_eq!(s.kb_seq().await.unwrap(), seq);
        let a = s
            .create_article(kb_article("社会保障卡挂失与补办流程"), audit("kb.create"))
            .await
            .unwrap();
        assert_eq!((a.version, s.kb_seq().await.unwrap()), (1, seq + 1));
        let again = s
            .create_article(kb_article("社会保障卡挂失与补办流程"), audit("kb.create"))
            .await;
        assert!(
            matches!(again, Err(StoreError::Duplicate(_))),
            "title unique within its category"
        );

        let mut b = a.clone();
        b.content.answer = "携带身份证到合作银行网点补领。".into();
        b.status = ArticleStatus::InReview;
        b.version = 2;
        let note = VersionNote {
            change: "edited".into(),
            fields: vec!["answer".into()],
        };
        s.update_article(&b, note.clone(), audit("kb.edit"))
            .await
            .unwrap();
        assert!(
            matches!(
                s.update_article(&b, note, audit("kb.edit")).await,
                Err(StoreError::VersionConflict)
            ),
            "a stale version is refused"
        );
        let stored = s.article(a.id).await.unwrap().unwrap();
        assert_eq!(
            (stored.version, stored.status),
            (2, ArticleStatus::InReview)
        );
        let versions = s.article_versions(a.id).await.unwrap();
        assert_eq!(versions.len(), 2);
        assert_eq!(
            versions[0].content.answer, "先挂失，再补领。",
            "the old text stays readable"
        );
        assert_eq!(versions[1].fields, vec!["answer".to_owned()]);

        let other = s
            .create_article(kb_article("住房公积金提取"), audit("kb.create"))
            .await
            .unwrap();
        let changed = s.articles_changed_since(seq + 1, 10).await.unwrap();
        let ids: Vec<i64> = changed.iter().map(|(_, a)| a.id).collect();
        assert_eq!(
            ids,
            vec![a.id, other.id],
            "in change order, each article once at its latest"
        );
        assert_eq!(s.kb_seq().await.unwrap(), changed.last().unwrap().0);

        s.mark_article(a.id, ArticleMark::Used).await.unwrap();
        s.mark_article(a.id, ArticleMark::Helpful).await.unwrap();
        let counted = s.article(a.id).await.unwrap().unwrap();
        assert_eq!((counted.uses, counted.helpful, counted.version), (1, 1, 2));
        assert!(matches!(
            s.mark_article(999, ArticleMark::Used).await,
            Err(StoreError::NotFound)
        ));

        let list = s
            .list_articles(&ArticleFilter {
                status: Some(ArticleStatus::Draft),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            list.iter().map(|a| a.id).collect::<Vec<_>>(),
            vec![other.id]
        );

        assert_eq!(s.synonyms().await.unwrap(), before().synonyms);
        let syn = hotline_domain::kb::Synonyms::parse("社保卡 = 社会保障卡").unwrap();
        s.put_synonyms(&syn, audit("kb.synonyms")).await.unwrap();
        assert_eq!(s.synonyms().await.unwrap(), Some(syn));
    }
);

fn count_query(
    measures: &[&'static str],
    from: &str,
    to: &str,
) -> hotline_store::stats::CountQuery {
    hotline_store::stats::CountQuery {
        measures: measures.to_vec(),
        from: from.parse().unwrap(),
        to: to.parse().unwrap(),
        hotlines: None,
        region_prefix: None,
    }
}

async fn sums(
    s: &Arc<dyn Store>,
    q: &hotline_store::stats::CountQuery,
) -> Vec<(String, String, i64)> {
    let mut v: Vec<_> = s
        .stat_counts(q)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.measure, c.key, c.n))
        .collect();
    v.sort();
    v
}

story!(
    report_counters_follow_each_orders_facts_exactly_and_read_by_day_or_month,
    |s: Arc<dyn Store>| async move {
        use hotline_domain::stats::facts;
        seed_units(&s).await;
        // An upgraded store counts every order again (migration 0014); the story
        // starts once that is done.
        let upgraded = s.stats_pending(100_000).await.unwrap().events;
        let start = upgraded.last().map_or(before().stats_cursor, |e| e.0);
        if !upgraded.is_empty() {
            s.apply_stats(Vec::new(), Some(start)).await.unwrap();
        }
        let a = register(&s, "路灯不亮", "2026-03-02T09:00:00+08:00", None, None).await;
        let b = register(&s, "噪音扰民", "2026-03-31T22:00:00+08:00", None, None).await;
        // Both events are waiting to be counted, oldest first.
        let pending = s.stats_pending(100).await.unwrap();
        assert_eq!(pending.cursor, start);
        let ids: Vec<OrderId> = pending.events.iter().map(|e| e.1).collect();
        assert_eq!(ids, vec![a.id, b.id]);
        assert!(s.stats_backlogged(2).await.unwrap());
        assert!(!s.stats_backlogged(3).await.unwrap());
        let last = pending.events.last().unwrap().0;
        let count = |o: &Order| facts(o, &[], &["路灯".to_owned()]);
        s.apply_stats(vec![(a.id, count(&a)), (b.id, count(&b))], Some(last))
            .await
            .unwrap();
        assert!(s.stats_pending(100).await.unwrap().events.is_empty());
        assert!(!s.stats_backlogged(1).await.unwrap());
        let march = count_query(&["kind", "topic"], "2026-03-01", "2026-03-31");
        let expect = vec![
            ("kind".to_owned(), "complaint".to_owned(), 2),
            ("topic".to_owned(), "路灯".to_owned(), 2),
        ];
        assert_eq!(sums(&s, &march).await, expect);
        // The same figures from the day counters (a range that is not a whole month).
        let days = count_query(&["kind"], "2026-02-27", "2026-03-31");
        assert_eq!(sums(&s, &days).await[0].2, 2);
        let first_day = count_query(&["kind"], "2026-03-02", "2026-03-02");
        assert_eq!(sums(&s, &first_day).await[0].2, 1);
        // Counting an order again changes nothing; a dispatch moves only what changed.
        s.apply_stats(vec![(a.id, count(&a))], None).await.unwrap();
        assert_eq!(sums(&s, &march).await, expect);
        let a2 = dispatch(&s, &a, "cdjt", &[], "2026-03-02T10:00:00+08:00").await;
        let events = s.events(a.id).await.unwrap();
        s.apply_stats(
            vec![(a.id, facts(&a2, &events, &["路灯".to_owned()]))],
            None,
        )
        .await
        .unwrap();
        let assessed = count_query(&["a_disp", "unit"], "2026-03-01", "2026-03-31");
        assert_eq!(
            sums(&s, &assessed).await,
            vec![
                ("a_disp".to_owned(), "cdjt".to_owned(), 1),
                ("unit".to_owned(), "cdjt".to_owned(), 1)
            ]
        );
        assert_eq!(sums(&s, &march).await, expect);
        // Scoped to other hotlines or another region, nothing.
        let mut elsewhere = assessed.clone();
        elsewhere.hotlines = Some(vec!["sc".into()]);
        assert!(sums(&s, &elsewhere).await.is_empty());
        let mut other_region = assessed.clone();
        other_region.region_prefix = Some("5107".into());
        assert_eq!(
            sums(&s, &other_region).await.len(),
            1,
            "only the regional measure is cut"
        );
        other_region.region_prefix = Some("5101".into());
        assert_eq!(sums(&s, &other_region).await.len(), 2);
        // Two servers counting the same change at once count it once; a pass that
        // read an older version of the order changes nothing.
        let renamed = facts(&b, &[], &["噪音".to_owned()]);
        let (x, y) = tokio::join!(
            s.apply_stats(vec![(b.id, renamed.clone())], None),
            s.apply_stats(vec![(b.id, renamed.clone())], None)
        );
        x.unwrap();
        y.unwrap();
        let mut older = count(&b);
        older.version -= 1;
        s.apply_stats(vec![(b.id, older)], None).await.unwrap();
        let topics = count_query(&["topic"], "2026-03-01", "2026-03-31");
        assert_eq!(
            sums(&s, &topics).await,
            vec![
                ("topic".to_owned(), "噪音".to_owned(), 1),
                ("topic".to_owned(), "路灯".to_owned(), 1)
            ]
        );
    }
);

story!(
    imported_orders_keep_their_timelines_and_later_orders_are_numbered_after_them,
    |s: Arc<dyn Store>| async move {
        seed_units(&s).await;
        let first = register(&s, "路灯不亮", "2026-03-02T09:00:00+08:00", None, None).await;
        let mut old = first.clone();
        old.id = OrderId::new(first.id.get() + 100);
        old.number = OrderNumber::new("2026-03-02".parse().unwrap(), 7);
        let event = s.events(first.id).await.unwrap();
        s.import_orders(vec![(old.clone(), event.clone())], audit("orders.import"))
            .await
            .unwrap();
        assert_eq!(s.order(old.id).await.unwrap().unwrap(), old);
        assert_eq!(s.events(old.id).await.unwrap(), event);
        let next = register(&s, "噪音扰民", "2026-03-02T11:00:00+08:00", None, None).await;
        assert!(next.id.get() > old.id.get(), "{:?}", next.id);
        assert_eq!(next.number.as_str(), "20260302-000008");
        let again = s
            .import_orders(vec![(old.clone(), event)], audit("orders.import"))
            .await;
        assert!(again.is_err(), "an id already taken is refused");
        assert_eq!(
            s.events(old.id).await.unwrap().len(),
            1,
            "and nothing is written"
        );
    }
);

/// Committed pages reach the database file itself within moments, not only when the
/// WAL has grown to the writer's checkpoint limit: a copy of the file alone, without
/// its WAL, already holds the orders.
#[tokio::test]
async fn sqlite_checkpoints_in_the_background() {
    let b = sqlite().await;
    let s = b.store.clone();
    seed_units(&s).await;
    let order = register(&s, "背景检查点", "2026-11-20T09:00:00+08:00", None, None).await;
    let dir = b._dir.as_ref().unwrap().path();
    let copy = dir.join("copy.db");
    let mut found = 0;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        std::fs::copy(dir.join("t.db"), &copy).unwrap();
        let c = rusqlite::Connection::open(&copy).unwrap();
        found = c
            .query_row(
                "SELECT count(*) FROM orders WHERE id = ?",
                [order.id.get()],
                |r| r.get(0),
            )
            .unwrap_or(0);
        if found == 1 {
            break;
        }
    }
    assert_eq!(found, 1, "the order never reached the database file");
}

story!(
    an_order_stored_with_a_nul_is_skipped_by_the_text_follower_and_repaired,
    |s: Arc<dyn Store>| async move {
        seed_units(&s).await;
        let before = register(&s, "正常", "2026-11-02T09:00:00+08:00", None, None).await;
        // Written past the HTTP checks, as an older version let it through.
        let mut n = new_order("匿名", "2026-11-02T09:01:00+08:00", None, None);
        n.intake.content = "匿名\u{0}投毒\r\n第二行".into();
        let poisoned = create(&s, n).await;
        let after = register(&s, "之后", "2026-11-02T09:02:00+08:00", None, None).await;
        let texts = s
            .order_texts_after(upgrade::before().last_order, 100)
            .await
            .unwrap();
        let followed: Vec<i64> = texts.iter().map(|t| t.0).collect();
        assert!(followed.contains(&before.id.get()) && followed.contains(&after.id.get()));
        let mut domain = OrderFilter::new(Scope::All);
        domain.domain = Some("public_services".into());
        domain.limit = 50;
        assert_eq!(s.repair_stored_text().await.unwrap(), 1);
        assert_eq!(s.repair_stored_text().await.unwrap(), 0, "repairs once");
        s.list_orders(&domain).await.unwrap();
        let fixed = s.order(poisoned.id).await.unwrap().unwrap();
        assert_eq!(fixed.content, "匿名投毒\n第二行");
        let texts = s
            .order_texts_after(upgrade::before().last_order, 100)
            .await
            .unwrap();
        assert_eq!(texts.len(), 3, "the repaired order is followed again");
    }
);

// Personal data at rest and retention.

/// An order closed on `closed` (its status and time set directly: the store keeps
/// whatever a use case decided).
async fn close_at(s: &Arc<dyn Store>, o: &Order, closed: &str) -> Order {
    let mut done = o.clone();
    done.status = Status::Closed;
    done.closed_at = Some(at(closed));
    done.version += 1;
    let event = Event {
        at: at(closed),
        kind: hotline_domain::EventKind::Closed,
        actor: "d".into(),
        unit: None,
        note: None,
        data: serde_json::json!({}),
    };
    s.record_transitions(
        vec![OrderChange {
            order: done.clone(),
            event,
        }],
        None,
    )
    .await
    .unwrap();
    done
}

story!(
    retention_purges_the_personal_data_of_old_closed_orders_only,
    |s: Arc<dyn Store>| async move {
        seed_units(&s).await;
        let mut old = new_order(
            "张三反映噪声",
            "2019-03-01T09:00:00+08:00",
            Some("ph-old"),
            Some("东大街1号"),
        );
        old.intake.requester.address = Some("锦江区春熙路8号".into());
        old.intake.content = "张三说晚上施工，电话13812341234".into();
        let old = create(&s, old).await;
        let old = close_at(&s, &old, "2019-04-01T09:00:00+08:00").await;
        let recent = register(
            &s,
            "路灯",
            "2026-10-01T09:00:00+08:00",
            Some("ph-new"),
            Some("东大街1号"),
        )
        .await;
        let recent = close_at(&s, &recent, "2026-11-01T09:00:00+08:00").await;
        let open = register(
            &s,
            "井盖",
            "2019-03-02T09:00:00+08:00",
            Some("ph-open"),
            None,
        )
        .await;
        let now = at("2026-12-01T03:00:00+08:00");
        let cutoff = at("2021-12-01T03:00:00+08:00");

        assert_eq!(
            s.purge_personal_data(cutoff, now, 100).await.unwrap(),
            vec![old.id]
        );
        let purged = s.order(old.id).await.unwrap().unwrap();
        assert_eq!(
            purged.requester,
            Requester {
                anonymous: false,
                ..Requester::default()
            }
        );
        assert_eq!(purged.address, None);
        assert_eq!(purged.title, "***反映噪声");
        assert_eq!(purged.content, "***说晚上施工，电话***");
        assert_eq!(purged.status, Status::Closed);
        assert_eq!(purged.kind, old.kind);
        assert_eq!(purged.region, old.region);
        assert_eq!(purged.version, old.version + 1);
        let events = s.events(old.id).await.unwrap();
        assert_eq!(events.last().unwrap().kind, "personal_data_purged");
        // Its phone hash and address key are gone: lookups no longer find it.
        assert!(
            s.orders_by_phone_hash("ph-old", 10)
                .await
                .unwrap()
                .is_empty()
        );
        let by_address = s
            .orders_by_address_key("东大街1号", at("2019-01-01T00:00:00+08:00"), 10)
            .await
            .unwrap();
        assert_eq!(
            by_address.iter().map(|o| o.id).collect::<Vec<_>>(),
            vec![recent.id]
        );
        // The recently closed and the open order keep theirs.
        assert_eq!(s.order(recent.id).await.unwrap().unwrap(), recent);
        assert_eq!(s.order(open.id).await.unwrap().unwrap(), open);
        assert_eq!(
            s.orders_by_phone_hash("ph-open", 10).await.unwrap().len(),
            1
        );
        // A second run finds nothing left.
        assert!(
            s.purge_personal_data(cutoff, now, 100)
                .await
                .unwrap()
                .is_empty()
        );
    }
);

story!(the_login_guard_forgets_what_it_no_longer_needs, |s: Arc<
    dyn Store,
>| async move {
    let guard = LoginGuard {
        pair_failures: 5,
        pair_lock_secs: 900,
        name_failures: 50,
        name_window_secs: 3600,
        known_for_secs: 30 * 86400,
        address_failures_per_minute: 60,
    };
    let attempt = |name: &str, address: &str, when: &str| LoginAttempt {
        username: name.into(),
        address: address.into(),
        at: at(when),
    };
    let old = attempt("wang", "10.0.0.1", "2026-10-01T09:00:00+08:00");
    s.begin_login(&old, guard).await.unwrap();
    s.login_succeeded(&old, guard).await.unwrap();
    let failed = attempt("li", "10.0.0.2", "2026-10-01T09:00:00+08:00");
    s.begin_login(&failed, guard).await.unwrap();
    s.login_failed(&failed).await.unwrap();
    let fresh = attempt("zhao", "10.0.0.3", "2026-11-30T09:00:00+08:00");
    s.begin_login(&fresh, guard).await.unwrap();
    s.login_failed(&fresh).await.unwrap();
    let purged = s
        .purge_login_guard(
            at("2026-11-29T09:00:00+08:00"),
            at("2026-11-01T09:00:00+08:00"),
        )
        .await
        .unwrap();
    // wang: the known address and the name's counter; li: the name, the pair and
    // the address's counter. zhao's rows stay.
    assert!(purged >= 4, "{purged}");
    assert_eq!(
        s.purge_login_guard(
            at("2026-11-29T09:00:00+08:00"),
            at("2026-11-01T09:00:00+08:00")
        )
        .await
        .unwrap(),
        0
    );
    // The guard still counts zhao's failure: four more lock the pair.
    for _ in 0..3 {
        s.begin_login(&fresh, guard).await.unwrap();
        s.login_failed(&fresh).await.unwrap();
    }
    assert_eq!(
        s.begin_login(&fresh, guard).await.unwrap(),
        LoginGate::Check {
            locks_on_failure: true
        }
    );
});

/// Where a test database lives, to open it again with other keys.
enum Place {
    Sqlite(tempfile::TempDir),
    Postgres(String, String),
}

impl Place {
    fn sqlite() -> Place {
        Place::Sqlite(tempfile::tempdir().unwrap())
    }
    fn postgres() -> Option<Place> {
        let url = postgres_url()?;
        Some(Place::Postgres(
            url,
            format!("t_{}_{}", std::process::id(), rand_suffix()),
        ))
    }
    async fn open(&self, personal: Arc<Personal>) -> Result<Arc<dyn Store>> {
        Ok(match self {
            Place::Sqlite(dir) => {
                Arc::new(SqliteStore::open_with(&dir.path().join("t.db"), personal)?)
            }
            Place::Postgres(url, schema) => Arc::new(
                hotline_store::postgres::PgStore::connect_with(url, Some(schema), personal).await?,
            ),
        })
    }
    /// Everything stored: the database files on SQLite (WAL included), the order rows
    /// as text on PostgreSQL.
    async fn stored_bytes(&self) -> Vec<u8> {
        match self {
            Place::Sqlite(dir) => {
                let mut all = Vec::new();
                for e in std::fs::read_dir(dir.path()).unwrap() {
                    all.extend(std::fs::read(e.unwrap().path()).unwrap());
                }
                all
            }
            Place::Postgres(url, schema) => {
                let pool = sqlx::PgPool::connect(url).await.unwrap();
                let q = format!(
                    "SELECT coalesce(string_agg(o::text, ' '), '') FROM \"{schema}\".orders o"
                );
                let text: String = sqlx::query_scalar(sqlx::AssertSqlSafe(q))
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                text.into_bytes()
            }
        }
    }
}

/// Copies the WAL into the database file and empties it, as the server's
/// checkpointer does while it runs.
fn checkpoint(place: &Place) {
    if let Place::Sqlite(dir) = place {
        let c = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
        c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
    }
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// An order from 李四 (phone 13900001111) about 武侯祠大街9号.
async fn register_li_si(s: &Arc<dyn Store>, title: &str) -> Order {
    let mut n = new_order(
        title,
        "2026-11-27T09:00:00+08:00",
        Some("ph-li"),
        Some("武侯祠大街9号"),
    );
    n.intake.requester.name = Some("李四".into());
    n.intake.requester.phone = Some(Phone::parse("13900001111").unwrap());
    n.intake.requester.address = Some("高新区天府大道100号".into());
    n.intake.address = Some("武侯祠大街9号".into());
    create(s, n).await
}

fn places() -> Vec<(Place, Algorithm)> {
    let mut out = vec![
        (Place::sqlite(), Algorithm::Aes256Gcm),
        (Place::sqlite(), Algorithm::Sm4Gcm),
    ];
    out.extend(Place::postgres().map(|p| (p, Algorithm::Aes256Gcm)));
    out.extend(Place::postgres().map(|p| (p, Algorithm::Sm4Gcm)));
    out
}

#[tokio::test]
async fn sealed_personal_data_is_not_in_the_stored_bytes_and_reads_back_plain() {
    for (place, algorithm) in places() {
        let ring = Keyring::generate(algorithm);
        let s = place
            .open(Personal::sealed(ring.clone(), None))
            .await
            .unwrap();
        seed_units(&s).await;
        let o = register_li_si(&s, "噪声扰民").await;
        let changed = act(
            &s,
            &o,
            dispatch_to("cdjt", &[]),
            "2026-11-27T10:00:00+08:00",
        )
        .await;
        let back = s.order(o.id).await.unwrap().unwrap();
        assert_eq!(back, changed);
        assert_eq!(back.requester.name.as_deref(), Some("李四"));
        assert_eq!(
            back.requester.phone.as_ref().unwrap().as_str(),
            "13900001111"
        );
        drop(s);
        let bytes = place.stored_bytes().await;
        for secret in ["李四", "13900001111", "天府大道", "武侯祠大街"] {
            assert!(
                !contains(&bytes, secret),
                "{secret} stored in plain ({algorithm:?})"
            );
        }
        assert!(contains(
            &bytes,
            &format!("enc:v1:{}:{}:", algorithm.as_str(), ring.current)
        ));
        // Duplicates by address still work through the keyed hash.
        let s = place.open(Personal::sealed(ring, None)).await.unwrap();
        let again = register_li_si(&s, "又是噪声").await;
        assert_eq!(again.possible_duplicates, vec![o.id]);
    }
}

#[tokio::test]
async fn rotation_seals_everything_again_and_the_old_key_can_then_be_dropped() {
    for (place, algorithm) in places() {
        let mut ring = Keyring::generate(algorithm);
        let old_key = ring.current.clone();
        let s = place
            .open(Personal::sealed(ring.clone(), None))
            .await
            .unwrap();
        seed_units(&s).await;
        let mut orders = Vec::new();
        for title in ["一", "二", "三", "四", "五"] {
            orders.push(register_li_si(&s, title).await);
        }
        drop(s);
        let new_key = ring.add_current(Algorithm::Aes256Gcm);
        let s = place
            .open(Personal::sealed(ring.clone(), None))
            .await
            .unwrap();
        // New writes use the new key at once; the rest wait for the pass.
        let sixth = register_li_si(&s, "六").await;
        assert_eq!(s.personal_data_keys().await.unwrap(), {
            let mut v = vec![(Some(old_key.clone()), 5), (Some(new_key.clone()), 1)];
            v.sort();
            v
        });
        let (mut after, mut rewritten) = (0, 0);
        loop {
            let (n, next) = s.reseal_orders(after, 2, false).await.unwrap();
            rewritten += n;
            match next {
                Some(id) => after = id,
                None => break,
            }
        }
        assert_eq!(rewritten, 5);
        assert_eq!(
            s.personal_data_keys().await.unwrap(),
            vec![(Some(new_key.clone()), 6)]
        );
        drop(s);
        let used = vec![new_key.clone()];
        assert_eq!(ring.drop_unused(&used), vec![old_key.clone()]);
        let s = place.open(Personal::sealed(ring, None)).await.unwrap();
        for o in orders.iter().chain([&sixth]) {
            assert_eq!(&s.order(o.id).await.unwrap().unwrap(), o);
        }
        drop(s);
        // The replaced ciphertext was overwritten, not left in free space.
        if matches!(place, Place::Sqlite(_)) {
            checkpoint(&place);
        }
        assert!(!contains(
            &place.stored_bytes().await,
            &format!(":{old_key}:")
        ));
    }
}

#[tokio::test]
async fn a_missing_or_wrong_key_stops_the_start_with_a_clear_error() {
    for (place, algorithm) in places() {
        let ring = Keyring::generate(algorithm);
        let s = place
            .open(Personal::sealed(ring.clone(), None))
            .await
            .unwrap();
        seed_units(&s).await;
        register_li_si(&s, "噪声").await;
        drop(s);
        // Another keys file altogether.
        let other = Keyring::generate(algorithm);
        let err = place
            .open(Personal::sealed(other, None))
            .await
            .err()
            .unwrap();
        assert!(
            err.to_string().contains(&format!("key {}", ring.current)),
            "{err}"
        );
        assert!(err.to_string().contains("does not hold"), "{err}");
        // The same key id with other bytes.
        let mut forged = serde_json::to_value(&ring).unwrap();
        let len = if algorithm == Algorithm::Sm4Gcm {
            16
        } else {
            32
        };
        forged["keys"][0]["secret"] = serde_json::json!(base64_of(&vec![7u8; len]));
        let forged: Keyring = serde_json::from_value(forged).unwrap();
        let err = place
            .open(Personal::sealed(forged, None))
            .await
            .err()
            .unwrap();
        assert!(err.to_string().contains("does not open"), "{err}");
        // Encryption turned off over sealed data.
        let err = place.open(Personal::plain()).await.err().unwrap();
        assert!(err.to_string().contains("encryption is off"), "{err}");
        // The right keys still open it.
        assert!(place.open(Personal::sealed(ring, None)).await.is_ok());
    }
}

fn base64_of(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, b| n << 8 | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

#[tokio::test]
async fn orders_stored_plain_are_sealed_at_the_first_start_with_encryption_on() {
    for (place, algorithm) in places() {
        let s = place.open(Personal::plain()).await.unwrap();
        seed_units(&s).await;
        let o = register_li_si(&s, "噪声").await;
        drop(s);
        assert!(contains(&place.stored_bytes().await, "李四"));
        let ring = Keyring::generate(algorithm);
        let s = place
            .open(Personal::sealed(ring.clone(), None))
            .await
            .unwrap();
        assert_eq!(
            s.personal_data_keys().await.unwrap(),
            vec![(Some(ring.current.clone()), 1)]
        );
        assert_eq!(s.order(o.id).await.unwrap().unwrap(), o);
        // The address key became a keyed hash, and the lookup still finds the order.
        let found = s
            .orders_by_address_key("武侯祠大街9号", at("2026-11-01T00:00:00+08:00"), 10)
            .await
            .unwrap();
        assert_eq!(found.len(), 1);
        drop(s);
        let bytes = place.stored_bytes().await;
        assert!(!contains(&bytes, "武侯祠大街9号"));
        assert!(!contains(&bytes, "13900001111"));
    }
}

#[tokio::test]
async fn with_encryption_on_the_text_index_gets_no_requester_field_of_any_order() {
    for (place, algorithm) in places() {
        let s = place.open(sealed(algorithm)).await.unwrap();
        seed_units(&s).await;
        let mut n = new_order("李四反映噪声", "2026-11-27T09:00:00+08:00", None, None);
        n.intake.requester.name = Some("李四".into());
        n.intake.requester.phone = Some(Phone::parse("13900001111").unwrap());
        n.intake.requester.address = Some("天府大道100号".into());
        n.intake.content = "我是李四，电话13900001111，住天府大道100号，楼下施工".into();
        let o = create(&s, n).await;
        let texts = s.order_texts_after(0, 10).await.unwrap();
        assert_eq!(texts.len(), 1);
        let (id, text, _) = &texts[0];
        assert_eq!(*id, o.id.get());
        assert_eq!(text, "***反映噪声 我是***，电话***，住***，楼下施工");
    }
}

#[tokio::test]
async fn a_running_server_follows_a_rotation_made_by_another_process() {
    let place = Place::sqlite();
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("data.keys");
    let ring = Keyring::load_or_create(&path, Algorithm::Aes256Gcm).unwrap();
    let server = place
        .open(Personal::sealed(ring.clone(), Some(path.clone())))
        .await
        .unwrap();
    seed_units(&server).await;
    let first = register_li_si(&server, "旧密钥写入").await;
    // `hotline keys rotate` in another process: a new key in the file, then the pass.
    let mut rotated = ring.clone();
    let new_key = rotated.add_current(Algorithm::Sm4Gcm);
    rotated.save(&path).unwrap();
    let other = place
        .open(Personal::sealed(rotated, Some(path.clone())))
        .await
        .unwrap();
    assert_eq!(
        other.reseal_orders(0, 10, false).await.unwrap(),
        (1, Some(first.id.get()))
    );
    // The server meets the new key, reads the file again, and writes with it too.
    assert_eq!(server.order(first.id).await.unwrap().unwrap(), first);
    let changed = act(
        &server,
        &first,
        dispatch_to("cdjt", &[]),
        "2026-11-27T10:00:00+08:00",
    )
    .await;
    assert_eq!(server.order(first.id).await.unwrap().unwrap(), changed);
    assert_eq!(
        server.personal_data_keys().await.unwrap(),
        vec![(Some(new_key), 1)]
    );
    assert!(!contains(&place.stored_bytes().await, "李四"));
}
story!(
    a_second_factor_is_offered_confirmed_used_once_and_removed,
    |s: Arc<dyn Store>| async move {
        let u = s
            .create_user(
                NewUser {
                    username: "root2fa".into(),
                    password_hash: "h".into(),
                    roles: vec![Role::Admin],
                    unit: None,
                },
                audit("user.create"),
            )
            .await
            .unwrap();
        let none = s.two_factor(u.id).await.unwrap();
        assert_eq!(none, TwoFactorRecord::default());
        assert!(matches!(
            s.two_factor(UserId(999_999)).await,
            Err(StoreError::NotFound)
        ));
        // Nothing enrolled: no step can be used, no codes replaced.
        assert!(!s.use_totp_step(u.id, 10).await.unwrap());
        assert!(matches!(
            s.replace_recovery_codes(u.id, vec!["x".into()], audit("2fa.codes"))
                .await,
            Err(StoreError::NotFound)
        ));

        s.offer_two_factor(u.id, "first", audit("2fa.offer"))
            .await
            .unwrap();
        s.offer_two_factor(u.id, "second", audit("2fa.offer"))
            .await
            .unwrap();
        // Confirming the secret offered first fails: another was offered meanwhile.
        let when = at("2026-11-27T09:00:00+08:00");
        let codes = vec!["c1".to_owned(), "c2".to_owned()];
        let stale = s
            .confirm_two_factor(u.id, "first", 100, codes.clone(), when, audit("2fa.on"))
            .await;
        assert!(matches!(stale, Err(StoreError::NotFound)));
        s.confirm_two_factor(u.id, "second", 100, codes, when, audit("2fa.on"))
            .await
            .unwrap();
        let on = s.two_factor(u.id).await.unwrap();
        assert_eq!(
            (
                on.secret.as_deref(),
                on.pending,
                on.enrolled_at,
                on.last_step
            ),
            (Some("second"), None, Some(when), Some(100))
        );
        assert_eq!(on.recovery_codes_left, 2);
        // An enrolled account is not offered another secret.
        assert!(matches!(
            s.offer_two_factor(u.id, "third", audit("2fa.offer")).await,
            Err(StoreError::Duplicate(_))
        ));

        // The confirming step and earlier ones are spent; later ones once each.
        assert!(!s.use_totp_step(u.id, 100).await.unwrap());
        assert!(!s.use_totp_step(u.id, 99).await.unwrap());
        assert!(s.use_totp_step(u.id, 101).await.unwrap());
        assert!(!s.use_totp_step(u.id, 101).await.unwrap());

        assert!(s.use_recovery_code(u.id, "c1", when).await.unwrap());
        assert!(!s.use_recovery_code(u.id, "c1", when).await.unwrap());
        assert!(!s.use_recovery_code(u.id, "nope", when).await.unwrap());
        assert_eq!(s.two_factor(u.id).await.unwrap().recovery_codes_left, 1);
        s.replace_recovery_codes(
            u.id,
            vec!["d1".into(), "d2".into(), "d3".into()],
            audit("2fa.codes"),
        )
        .await
        .unwrap();
        assert!(!s.use_recovery_code(u.id, "c2", when).await.unwrap());
        assert_eq!(s.two_factor(u.id).await.unwrap().recovery_codes_left, 3);

        s.create_session(SessionRecord {
            token_hash: "tok2fa".into(),
            user_id: u.id,
            created_at: when,
            expires_at: at("2026-11-27T21:00:00+08:00"),
            last_seen: when,
            address: None,
        })
        .await
        .unwrap();
        s.remove_two_factor(u.id, false, audit("2fa.off"))
            .await
            .unwrap();
        assert_eq!(
            s.two_factor(u.id).await.unwrap(),
            TwoFactorRecord::default()
        );
        assert!(s.session("tok2fa").await.unwrap().is_some());
        s.offer_two_factor(u.id, "again", audit("2fa.offer"))
            .await
            .unwrap();
        s.confirm_two_factor(u.id, "again", 5, vec![], when, audit("2fa.on"))
            .await
            .unwrap();
        // An administrator's reset also ends the account's sessions.
        s.remove_two_factor(u.id, true, audit("2fa.reset"))
            .await
            .unwrap();
        assert!(s.session("tok2fa").await.unwrap().is_none());
        let trail = trail_after(&s, before().audit_head).await;
        let actions: Vec<&str> = trail.iter().map(|e| e.record.action.as_str()).collect();
        assert_eq!(
            actions.iter().filter(|a| a.starts_with("2fa.")).count(),
            8,
            "{actions:?}"
        );
    }
);

story!(
    notifications_are_written_with_their_events_counted_read_and_signalled,
    |s: Arc<dyn Store>| async move {
        seed_units(&s).await;
        let mut signal = s.subscribe_notices();
        let a = register(&s, "路灯不亮", "2026-11-27T09:00:00+08:00", None, None).await;
        let b = register(&s, "噪声扰民", "2026-11-27T09:10:00+08:00", None, None).await;
        let a = dispatch(&s, &a, "cdjt", &["cdsw"], "2026-11-27T09:20:00+08:00").await;
        dispatch(&s, &b, "cdjt", &[], "2026-11-27T09:30:00+08:00").await;
        let urge = Action::Urge {
            note: "请加快".into(),
        };
        act(&s, &a, urge, "2026-11-27T10:00:00+08:00").await;
        let jt = s.notifications(&code("cdjt"), None, 10).await.unwrap();
        let seen: Vec<(OrderId, &str)> = jt.iter().map(|n| (n.order_id, n.kind.as_str())).collect();
        assert_eq!(
            seen,
            [(a.id, "urged"), (b.id, "dispatched"), (a.id, "dispatched")]
        );
        assert_eq!(jt[0].number, a.number.as_str());
        assert_eq!(jt[0].at, at("2026-11-27T10:00:00+08:00"));
        assert_eq!(
            s.notifications(&code("cdsw"), None, 10)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(
            s.notifications(&code("cd"), None, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let older = s
            .notifications(&code("cdjt"), Some(jt[0].id), 1)
            .await
            .unwrap();
        assert_eq!(older[0].id, jt[1].id);

        assert_eq!(
            s.unread_notifications(&code("cdjt"), "h", 100)
                .await
                .unwrap(),
            3
        );
        assert_eq!(
            s.unread_notifications(&code("cdjt"), "h", 2).await.unwrap(),
            2,
            "capped"
        );
        s.mark_notifications_read("h", jt[1].id).await.unwrap();
        assert_eq!(
            s.unread_notifications(&code("cdjt"), "h", 100)
                .await
                .unwrap(),
            1
        );
        s.mark_notifications_read("h", jt[2].id).await.unwrap();
        assert_eq!(
            s.unread_notifications(&code("cdjt"), "h", 100)
                .await
                .unwrap(),
            1,
            "never backwards"
        );
        assert_eq!(
            s.unread_notifications(&code("cdjt"), "other", 100)
                .await
                .unwrap(),
            3
        );

        let mut heard = Vec::new();
        while heard.len() < 4 {
            match tokio::time::timeout(std::time::Duration::from_secs(10), signal.recv()).await {
                Ok(Ok(hotline_store::Notice::Unit(u))) => heard.push(u.to_string()),
                Ok(Ok(hotline_store::Notice::Resync)) => {}
                other => panic!("no signal: {other:?} after {heard:?}"),
            }
        }
        heard.sort();
        assert_eq!(heard, ["cdjt", "cdjt", "cdjt", "cdsw"]);

        let mut f = OrderFilter::new(Scope::All);
        f.status = Some(Status::Dispatched);
        // This story's orders only (an upgraded database has others).
        f.after_id = Some(OrderId::new(a.id.get() - 1));
        assert_eq!(s.count_orders(&f, 100).await.unwrap(), 2);
        assert_eq!(s.count_orders(&f, 1).await.unwrap(), 1);
        f.unit = Some(code("cdsw"));
        assert_eq!(s.count_orders(&f, 100).await.unwrap(), 1, "as co-unit");
    }
);
