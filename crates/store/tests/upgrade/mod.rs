//! The upgrade fixture: a small SQLite database holding a bit of every kind of stored
//! data, written through the store's own API by the code of one commit
//! (`tests/fixtures/README.md` says which), so that later code can be shown to open it,
//! read it back and keep working on it.
//!
//! Its data keeps out of the stories' way: its own units (`fx…`), names, phone hashes,
//! address keys and addresses, days in 2025, a domain the stories do not list.

use super::*;
use hotline_domain::audit::{AuditRecord, ChainVerifier};
use hotline_domain::kb::Synonyms;

/// The committed fixture.
pub const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/hotline-af65797.sqlite"
);

/// Names the file [`write_upgrade_fixture`] writes.
const WRITE_TO: &str = "HOTLINE_WRITE_UPGRADE_FIXTURE";

pub const HOTLINE: &str = "fx12345";
pub const LEAD: &str = "fx-jt";
pub const CO_UNIT: &str = "fx-sw";
pub const RETIRED: &str = "fx-old";

pub fn fx_record(action: &str, actor: &str, when: &str) -> AuditRecord {
    AuditRecord {
        at: at(when),
        actor: actor.into(),
        unit: Some(HOTLINE.into()),
        address: Some("198.18.0.1".into()),
        action: action.into(),
        object: None,
        detail: serde_json::json!({"fixture": true}),
    }
}

fn fx_unit(c: &str, kind: UnitKind, parent: Option<&str>, name: &str) -> UnitRecord {
    UnitRecord {
        code: code(c),
        name: name.into(),
        kind,
        parent: parent.map(code),
        region: RegionCode::parse("530100").unwrap(),
        active: true,
        line_head: None,
    }
}

fn fx_user(name: &str, roles: Vec<Role>, unit: Option<&str>) -> NewUser {
    NewUser {
        username: name.into(),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$fixture${name}"),
        roles,
        unit: unit.map(code),
    }
}

fn fx_actor(name: &str, role: Role, unit: &str, hotline_staff: bool) -> Actor {
    Actor {
        username: name.into(),
        roles: vec![role],
        unit: Some(code(unit)),
        hotline_staff,
        requester: false,
        upper_hotline: None,
        hotline_above: None,
        line_overseer: false,
    }
}

/// An order of the fixture's hotline, from the phone (hash) and about the address
/// given, with its registration audited.
fn fx_order(title: &str, when: &str, phone_hash: &str, address_key: &str) -> NewOrder {
    let mut intake = intake(title);
    intake.region = RegionCode::parse("530102").unwrap();
    intake.domain = Some(DomainPath::parse("social_management/housing").unwrap());
    intake.address = Some(format!("五华区{address_key}"));
    intake.content = format!("{title}。夹具数据，请勿处理。");
    intake.requester.name = Some("赵六".into());
    intake.requester.phone = Some(Phone::parse("13700001111").unwrap());
    NewOrder {
        intake,
        hotline: code(HOTLINE),
        registered_by: "fx-operator".into(),
        now: at(when),
        tracking_code: "87654321".into(),
        phone_hash: Some(phone_hash.into()),
        address_key: Some(address_key.into()),
        duplicate_window_days: 30,
        idempotency: None,
        audit: Some(fx_record("order.create", "fx-operator", when)),
    }
}

/// Records one action on an order, audited as `order.<name>`.
async fn fx_act(
    s: &Arc<dyn Store>,
    o: &Order,
    step: (&str, Action),
    who: &Actor,
    when: &str,
) -> Order {
    let (name, action) = step;
    let c = change_by(o, action, who, when);
    let order = c.order.clone();
    let record = fx_record(&format!("order.{name}"), &who.username, when);
    s.record_transitions(vec![c], Some(record)).await.unwrap();
    order
}

struct Staff {
    operator: Actor,
    dispatcher: Actor,
    handler: Actor,
}

fn staff() -> Staff {
    Staff {
        operator: fx_actor("fx-operator", Role::Operator, HOTLINE, true),
        dispatcher: fx_actor("fx-dispatcher", Role::Dispatcher, HOTLINE, true),
        handler: fx_actor("fx-handler", Role::Handler, LEAD, false),
    }
}

/// Takes an order from registration as far as `stage` goes: 1 dispatched (with a
/// co-unit), 2 accepted, 3 replied, 4 called back, 5 closed; a day a step.
async fn fx_drive(s: &Arc<dyn Store>, o: Order, stage: u8, day: u32) -> Order {
    let w = staff();
    let when = |hour: u32| format!("2025-06-{day:02}T{hour:02}:00:00+08:00");
    let dispatch = Action::Dispatch {
        unit: DispatchTarget {
            code: code(LEAD),
            kind: UnitKind::Department,
        },
        co_units: vec![code(CO_UNIT)],
        note: Some("夹具派单".into()),
        domain: Some(DomainPath::parse("public_services/roads").unwrap()),
    };
    let reply = Action::Reply {
        content: "已核实处理。".into(),
        resolved: true,
        review: false,
    };
    let callback = Action::Callback {
        result: CallbackResult::Satisfied,
        resolved: true,
        note: None,
    };
    let steps = [
        (("dispatch", dispatch), &w.dispatcher),
        (("accept", Action::Accept), &w.handler),
        (("reply", reply), &w.handler),
        (("callback", callback), &w.operator),
        (("close", Action::Close), &w.operator),
    ];
    let mut o = o;
    for (i, (step, who)) in steps.into_iter().take(stage.into()).enumerate() {
        o = fx_act(s, &o, step, who, &when(10 + i as u32)).await;
    }
    o
}

/// Units, accounts with a second factor, sessions, the login guard's rows, integration
/// keys, settings and the rules administrators change.
async fn write_organisation(s: &Arc<dyn Store>) {
    let units = [
        fx_unit(HOTLINE, UnitKind::Hotline, None, "夹具市12345热线"),
        fx_unit(
            LEAD,
            UnitKind::Department,
            Some(HOTLINE),
            "夹具市交通运输局",
        ),
        fx_unit(CO_UNIT, UnitKind::Department, Some(HOTLINE), "夹具市水务局"),
        fx_unit(RETIRED, UnitKind::Department, Some(HOTLINE), "夹具市旧局"),
    ];
    for u in units {
        let record = fx_record("unit.create", "fx-admin", "2025-06-01T08:00:00+08:00");
        s.create_unit(u, record).await.unwrap();
    }
    let mut retired = fx_unit(
        RETIRED,
        UnitKind::Department,
        Some(HOTLINE),
        "夹具市旧局（撤销）",
    );
    retired.active = false;
    let record = fx_record("unit.update", "fx-admin", "2025-06-01T09:00:00+08:00");
    s.update_unit(retired, record).await.unwrap();

    let by_admin = |a: &str| fx_record(a, "fx-admin", "2025-06-01T08:30:00+08:00");
    s.create_user(
        fx_user("fx-admin", vec![Role::Admin], None),
        by_admin("user.create"),
    )
    .await
    .unwrap();
    let operator = s
        .create_user(
            fx_user("fx-operator", vec![Role::Operator], Some(HOTLINE)),
            by_admin("user.create"),
        )
        .await
        .unwrap();
    s.create_user(
        fx_user("fx-dispatcher", vec![Role::Dispatcher], Some(HOTLINE)),
        by_admin("user.create"),
    )
    .await
    .unwrap();
    let handler = s
        .create_user(
            fx_user("fx-handler", vec![Role::Handler], Some(LEAD)),
            by_admin("user.create"),
        )
        .await
        .unwrap();
    let mut promoted = handler.clone();
    promoted.roles = vec![Role::Handler, Role::Supervisor];
    let record = fx_record("user.update", "fx-admin", "2025-06-01T09:05:00+08:00");
    s.update_user(promoted, record).await.unwrap();

    let when = at("2025-06-01T09:10:00+08:00");
    let record = |a: &str| fx_record(a, "fx-operator", "2025-06-01T09:10:00+08:00");
    s.offer_two_factor(operator.id, "sealed:fixture-secret", record("2fa.offer"))
        .await
        .unwrap();
    let codes = vec!["fx-rc-1".to_owned(), "fx-rc-2".to_owned()];
    s.confirm_two_factor(
        operator.id,
        "sealed:fixture-secret",
        58_000_000,
        codes,
        when,
        record("2fa.on"),
    )
    .await
    .unwrap();
    assert!(
        s.use_recovery_code(operator.id, "fx-rc-1", when)
            .await
            .unwrap()
    );

    for (token, expires) in [
        ("fx-session-live", "2099-01-01T00:00:00+08:00"),
        ("fx-session-old", "2025-06-01T21:00:00+08:00"),
    ] {
        s.create_session(SessionRecord {
            token_hash: token.into(),
            user_id: operator.id,
            created_at: when,
            expires_at: at(expires),
            last_seen: when,
            address: Some("198.18.0.1".into()),
        })
        .await
        .unwrap();
    }

    let guard = LoginGuard {
        pair_failures: 5,
        pair_lock_secs: 900,
        name_failures: 50,
        name_window_secs: 3600,
        known_for_secs: 30 * 86_400,
        address_failures_per_minute: 60,
    };
    let ok = attempt("fx-operator", "198.18.0.1", when);
    s.begin_login(&ok, guard).await.unwrap();
    s.login_succeeded(&ok, guard).await.unwrap();
    let failed = attempt("fx-dispatcher", "198.18.0.2", when);
    s.begin_login(&failed, guard).await.unwrap();
    s.login_failed(&failed).await.unwrap();
    s.hit_rate_limit("public:198.18.0.3", when, 60, 10)
        .await
        .unwrap();
    s.append_audit(fx_record(
        "login",
        "fx-operator",
        "2025-06-01T09:10:00+08:00",
    ))
    .await
    .unwrap();

    let key = |name: &str| ApiKeyRecord {
        id: 0,
        name: name.into(),
        key_hash: format!("{name}-hash"),
        unit: code(HOTLINE),
        actions: vec!["reply".into(), "accept".into()],
        created_at: when,
        revoked_at: None,
    };
    let record = |a: &str| fx_record(a, "fx-admin", "2025-06-01T09:20:00+08:00");
    s.create_api_key(key("fx-intake"), record("key.create"))
        .await
        .unwrap();
    s.create_api_key(key("fx-retired"), record("key.create"))
        .await
        .unwrap();
    s.revoke_api_key("fx-retired", when, record("key.revoke"))
        .await
        .unwrap();

    s.put_setting(
        "summons_evaluated_month",
        "\"2025-05\"".into(),
        record("settings.summons"),
    )
    .await
    .unwrap();
    s.probe_write(when).await.unwrap();
    let year = Calendar::official_seed()
        .into_iter()
        .find(|y| y.year == 2025)
        .unwrap();
    s.put_calendar_year(year, None).await.unwrap();
    let mut rules = DeadlineRules::default();
    rules.limits.consultation = Some(4);
    s.put_deadline_rules(&rules, None).await.unwrap();
    for c in hotline_domain::taxonomy::seed()
        .into_iter()
        .filter(|c| c.path.to_string().starts_with("social_management/"))
    {
        s.put_domain_category(c, None).await.unwrap();
    }
}

/// Orders through their lifecycle: registered (with an idempotency key), dispatched,
/// replied, closed, a merged pair, a report, and one whose personal data was purged.
async fn write_orders(s: &Arc<dyn Store>) {
    let mut first = fx_order(
        "夹具：窨井盖缺失",
        "2025-06-02T09:00:00+08:00",
        "fx-ph-1",
        "fx-addr-1",
    );
    first.idempotency = Some(IdempotencyKey {
        scope: "fx-user:2".into(),
        key: "fx-key-1".into(),
        body_hash: "fx-body-1".into(),
        not_before: at("2025-06-01T09:00:00+08:00"),
    });
    create(s, first).await;
    let dispatched = fx_order(
        "夹具：路面塌陷",
        "2025-06-02T09:10:00+08:00",
        "fx-ph-2",
        "fx-addr-2",
    );
    let dispatched = create(s, dispatched).await;
    fx_drive(s, dispatched, 1, 3).await;
    let replied = fx_order(
        "夹具：楼道灯坏",
        "2025-06-02T09:20:00+08:00",
        "fx-ph-3",
        "fx-addr-3",
    );
    let replied = create(s, replied).await;
    fx_drive(s, replied, 3, 4).await;
    let closed = fx_order(
        "夹具：供水中断",
        "2025-06-02T09:30:00+08:00",
        "fx-ph-4",
        "fx-addr-4",
    );
    let closed = create(s, closed).await;
    fx_drive(s, closed, 5, 20).await;

    let kept = fx_order(
        "夹具：电梯故障",
        "2025-06-03T09:00:00+08:00",
        "fx-ph-5",
        "fx-addr-5",
    );
    let kept = create(s, kept).await;
    let again = fx_order(
        "夹具：电梯又坏",
        "2025-06-03T10:00:00+08:00",
        "fx-ph-5",
        "fx-addr-6",
    );
    let again = create(s, again).await;
    assert_eq!(again.possible_duplicates, vec![kept.id]);
    let merge = ("merge", Action::Merge { into: kept.id });
    let w = staff();
    fx_act(s, &again, merge, &w.dispatcher, "2025-06-03T10:30:00+08:00").await;

    let mut report = fx_order(
        "夹具：举报违规收费",
        "2025-06-04T09:00:00+08:00",
        "fx-ph-7",
        "fx-addr-7",
    );
    report.intake.kind = Kind::Report;
    report.intake.confidential = true;
    report.intake.content = "赵六举报某物业违规收费，电话13700001111。".into();
    let report = create(s, report).await;
    fx_drive(s, report, 1, 5).await;

    let purged = fx_order(
        "夹具：赵六反映施工扰民",
        "2025-06-02T09:40:00+08:00",
        "fx-ph-8",
        "fx-addr-8",
    );
    let purged = create(s, purged).await;
    fx_drive(s, purged, 5, 6).await;
    let gone = s
        .purge_personal_data(
            at("2025-06-10T00:00:00+08:00"),
            at("2025-06-30T03:00:00+08:00"),
            10,
        )
        .await
        .unwrap();
    assert_eq!(gone.len(), 1, "only the order closed on the 6th");
}

/// Two articles, one edited and used, and the synonyms.
async fn write_knowledge(s: &Arc<dyn Store>) {
    use hotline_domain::kb::{ArticleStatus, Synonyms};
    use hotline_store::kb::{ArticleMark, VersionNote};
    let mut a = kb_article("夹具：公租房申请条件");
    a.hotline = code(HOTLINE);
    a.content.category = "住房保障/公租房".into();
    a.status = ArticleStatus::Published;
    a.updated_by = "fx-editor".into();
    let a = s
        .create_article(
            a,
            fx_record("kb.create", "fx-editor", "2025-06-05T09:00:00+08:00"),
        )
        .await
        .unwrap();
    let mut b = a.clone();
    b.version = 2;
    b.content.answer = "持身份证和收入证明到街道申请。".into();
    let note = VersionNote {
        change: "edited".into(),
        fields: vec!["answer".into()],
    };
    s.update_article(
        &b,
        note,
        fx_record("kb.edit", "fx-editor", "2025-06-05T10:00:00+08:00"),
    )
    .await
    .unwrap();
    s.mark_article(a.id, ArticleMark::Used).await.unwrap();
    s.mark_article(a.id, ArticleMark::Helpful).await.unwrap();
    let mut c = kb_article("夹具：租赁补贴发放");
    c.hotline = code(HOTLINE);
    c.content.category = "住房保障/补贴".into();
    c.status = ArticleStatus::InReview;
    s.create_article(
        c,
        fx_record("kb.create", "fx-editor", "2025-06-05T11:00:00+08:00"),
    )
    .await
    .unwrap();
    let synonyms = Synonyms::parse("公租房 = 公共租赁住房").unwrap();
    s.put_synonyms(
        &synonyms,
        fx_record("kb.synonyms", "fx-editor", "2025-06-05T12:00:00+08:00"),
    )
    .await
    .unwrap();
}

/// Counts every order event, as the report counter does.
async fn write_counters(s: &Arc<dyn Store>) {
    let pending = s.stats_pending(1000).await.unwrap();
    let mut ids: Vec<OrderId> = pending.events.iter().map(|e| e.1).collect();
    ids.sort();
    ids.dedup();
    let topics = ["井盖".to_owned(), "电梯".to_owned()];
    let batch = s
        .orders_for_stats(ids)
        .await
        .unwrap()
        .iter()
        .map(|(o, events)| (o.id, hotline_domain::stats::facts(o, events, &topics)))
        .collect();
    let last = pending.events.last().map(|e| e.0);
    s.apply_stats(batch, last).await.unwrap();
    assert!(s.stats_pending(10).await.unwrap().events.is_empty());
}

/// Writes the fixture to the path `HOTLINE_WRITE_UPGRADE_FIXTURE` names:
/// `HOTLINE_WRITE_UPGRADE_FIXTURE=$PWD/crates/store/tests/fixtures/hotline-af65797.sqlite
/// cargo test -p hotline-store --test store_suite write_upgrade_fixture -- --ignored`.
#[tokio::test]
#[ignore = "writes the upgrade fixture (tests/fixtures/README.md)"]
async fn write_upgrade_fixture() {
    let out = std::path::PathBuf::from(std::env::var(WRITE_TO).expect(WRITE_TO));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let s: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
    write_organisation(&s).await;
    write_orders(&s).await;
    write_knowledge(&s).await;
    write_counters(&s).await;
    drop(s);
    // One compact file without its WAL: a copy as of the last commit, rolled back
    // to the default journal so that it needs no side files.
    let _ = std::fs::remove_file(&out);
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute("VACUUM INTO ?", [out.to_str().unwrap()]).unwrap();
    drop(c);
    let c = rusqlite::Connection::open(&out).unwrap();
    c.execute_batch("PRAGMA journal_mode = DELETE;").unwrap();
}

/// A copy of the fixture opened by today's code (its migrations run).
pub async fn sqlite_upgraded() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    std::fs::copy(FIXTURE, &path).unwrap();
    let store = SqliteStore::open(&path).unwrap();
    Backend {
        store: Arc::new(store),
        _dir: Some(dir),
    }
}

/// What the store held before a story began: nothing on a fresh store; the fixture's
/// data on an upgraded one. A story that reads the whole store (every order, the
/// whole trail, the latest change numbers) expects this plus what it wrote itself.
#[derive(Debug, Clone, Default)]
pub struct Before {
    pub statuses: Vec<(String, i64)>,
    /// The id of the last audit record.
    pub audit_head: i64,
    pub kb_seq: u64,
    pub stats_cursor: i64,
    pub last_order: i64,
    pub calendar: Vec<YearArrangement>,
    pub deadline_rules: Option<DeadlineRules>,
    pub synonyms: Option<Synonyms>,
}

impl Before {
    pub async fn read(s: &Arc<dyn Store>) -> Before {
        let mut last = OrderFilter::new(Scope::All);
        last.limit = 1;
        Before {
            statuses: s.count_by_status().await.unwrap(),
            audit_head: audit_head(s).await,
            kb_seq: s.kb_seq().await.unwrap(),
            stats_cursor: s.stats_pending(0).await.unwrap().cursor,
            last_order: s
                .list_orders(&last)
                .await
                .unwrap()
                .first()
                .map_or(0, |o| o.id.get()),
            calendar: s.calendar().await.unwrap(),
            deadline_rules: s.deadline_rules().await.unwrap(),
            synonyms: s.synonyms().await.unwrap(),
        }
    }

    /// Orders per status: these and the story's own.
    pub fn plus_statuses(&self, own: &[(&str, i64)]) -> Vec<(String, i64)> {
        let mut all: std::collections::BTreeMap<String, i64> =
            self.statuses.iter().cloned().collect();
        for (status, n) in own {
            *all.entry((*status).to_owned()).or_default() += n;
        }
        all.into_iter().collect()
    }
}

tokio::task_local! {
    static BEFORE: Before;
}

/// What the store held before the running story (see [`Before`]).
pub fn before() -> Before {
    BEFORE.try_with(Before::clone).unwrap_or_default()
}

/// Runs a story with what the store held before it.
pub async fn with_before<F: std::future::Future<Output = ()>>(s: &Arc<dyn Store>, story: F) {
    let before = Before::read(s).await;
    BEFORE.scope(before, story).await;
}

/// The fixture reads back whole after the upgrade: its orders and their timelines,
/// the audit chain, accounts with their second factor and sessions, keys, settings,
/// rules, articles and counters.
#[tokio::test]
async fn the_fixture_reads_back_after_the_upgrade() {
    let b = sqlite_upgraded().await;
    let s = b.store.clone();
    let units = s.list_units().await.unwrap();
    let codes: Vec<&str> = units.iter().map(|u| u.code.as_str()).collect();
    assert_eq!(codes, [LEAD, RETIRED, CO_UNIT, HOTLINE]);
    assert!(!units[1].active, "the update kept");
    assert_eq!(units[3].region.as_str(), "530100");

    let operator = s.user_by_username("fx-operator").await.unwrap().unwrap();
    assert_eq!(
        (operator.roles.clone(), operator.unit.clone()),
        (vec![Role::Operator], Some(code(HOTLINE)))
    );
    let handler = s.user_by_username("fx-handler").await.unwrap().unwrap();
    assert_eq!(handler.roles, [Role::Handler, Role::Supervisor]);
    assert_eq!(s.list_users().await.unwrap().len(), 4);
    let second = s.two_factor(operator.id).await.unwrap();
    assert_eq!(
        (
            second.secret.as_deref(),
            second.last_step,
            second.recovery_codes_left
        ),
        (Some("sealed:fixture-secret"), Some(58_000_000), 1)
    );
    assert!(
        !s.use_recovery_code(operator.id, "fx-rc-1", at("2025-06-02T09:00:00+08:00"))
            .await
            .unwrap()
    );
    let (session, user) = s.session("fx-session-live").await.unwrap().unwrap();
    assert_eq!(
        (session.address.as_deref(), user.id),
        (Some("198.18.0.1"), operator.id)
    );
    assert_eq!(s.user_sessions(operator.id).await.unwrap().len(), 2);

    let keys = s.list_api_keys().await.unwrap();
    assert_eq!(
        keys.iter()
            .map(|k| (k.name.as_str(), k.revoked_at.is_some()))
            .collect::<Vec<_>>(),
        [("fx-intake", false), ("fx-retired", true)]
    );
    let key = s.api_key_by_hash("fx-intake-hash").await.unwrap().unwrap();
    assert_eq!(key.actions, ["reply", "accept"]);
    assert_eq!(
        s.setting("summons_evaluated_month")
            .await
            .unwrap()
            .as_deref(),
        Some("\"2025-05\"")
    );
    assert_eq!(
        s.calendar()
            .await
            .unwrap()
            .iter()
            .map(|y| y.year)
            .collect::<Vec<_>>(),
        [2025]
    );
    assert_eq!(
        s.deadline_rules()
            .await
            .unwrap()
            .unwrap()
            .limits
            .consultation,
        Some(4)
    );
    assert_eq!(s.taxonomy().await.unwrap().len(), 5);

    // The login guard remembers the failure and the address logged in from.
    let guard = LoginGuard {
        pair_failures: 2,
        pair_lock_secs: 900,
        name_failures: 50,
        name_window_secs: 3600,
        known_for_secs: 30 * 86_400,
        address_failures_per_minute: 60,
    };
    let again = attempt(
        "fx-dispatcher",
        "198.18.0.2",
        at("2025-06-01T09:11:00+08:00"),
    );
    assert_eq!(
        s.begin_login(&again, guard).await.unwrap(),
        LoginGate::Check {
            locks_on_failure: true
        }
    );

    let all = s.list_orders(&OrderFilter::new(Scope::All)).await.unwrap();
    let statuses: Vec<(i64, &str)> = all
        .iter()
        .map(|o| (o.id.get(), o.status.as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            (8, "closed"),
            (7, "dispatched"),
            (6, "merged"),
            (5, "registered"),
            (4, "closed"),
            (3, "replied"),
            (2, "dispatched"),
            (1, "registered")
        ]
    );
    let first = s.order_by_number(&all[7].number).await.unwrap().unwrap();
    assert_eq!(
        (first.title.as_str(), first.requester.name.as_deref()),
        ("夹具：窨井盖缺失", Some("赵六"))
    );
    let dispatched = s.order(OrderId::new(2)).await.unwrap().unwrap();
    assert_eq!(
        (dispatched.unit.clone(), dispatched.co_units.clone()),
        (Some(code(LEAD)), vec![code(CO_UNIT)])
    );
    let mut co = OrderFilter::new(Scope::Unit(code(CO_UNIT)));
    co.limit = 10;
    assert_eq!(
        listed(&s, &co).await,
        [
            OrderId::new(8),
            OrderId::new(7),
            OrderId::new(4),
            OrderId::new(3),
            OrderId::new(2)
        ]
    );
    let closed = s.events(OrderId::new(4)).await.unwrap();
    let kinds: Vec<&str> = closed.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "registered",
            "dispatched",
            "accepted",
            "replied",
            "called_back",
            "closed"
        ]
    );
    let merged = s.order(OrderId::new(6)).await.unwrap().unwrap();
    assert_eq!(merged.possible_duplicates, [OrderId::new(5)]);
    let report = s.order(OrderId::new(7)).await.unwrap().unwrap();
    assert_eq!((report.kind, report.confidential), (Kind::Report, true));
    let purged = s.order(OrderId::new(8)).await.unwrap().unwrap();
    assert_eq!(
        (purged.requester.name.clone(), purged.title.as_str()),
        (None, "夹具：***反映施工扰民")
    );
    assert_eq!(
        s.events(OrderId::new(8))
            .await
            .unwrap()
            .last()
            .unwrap()
            .kind,
        "personal_data_purged"
    );
    let history = s.orders_by_phone_hash("fx-ph-5", 10).await.unwrap();
    assert_eq!(
        history.iter().map(|o| o.id).collect::<Vec<_>>(),
        [OrderId::new(6), OrderId::new(5)]
    );
    let near = s
        .orders_by_address_key("fx-addr-1", at("2025-06-01T00:00:00+08:00"), 10)
        .await
        .unwrap();
    assert_eq!(near.len(), 1);
    let texts = s.order_texts_after(0, 100).await.unwrap();
    assert_eq!(texts.len(), 8);
    assert!(
        texts[6].1.contains("***举报"),
        "the report's requester stays masked: {}",
        texts[6].1
    );
    assert_eq!(s.personal_data_keys().await.unwrap(), [(None, 8)]);

    // The idempotency key still answers with its order.
    let mut replay = fx_order(
        "夹具：窨井盖缺失",
        "2025-06-02T09:05:00+08:00",
        "fx-ph-1",
        "fx-addr-1",
    );
    replay.idempotency = Some(IdempotencyKey {
        scope: "fx-user:2".into(),
        key: "fx-key-1".into(),
        body_hash: "fx-body-1".into(),
        not_before: at("2025-06-01T09:00:00+08:00"),
    });
    let cal = Arc::new(Calendar::new(Calendar::official_seed()));
    let created = s
        .create_order(replay, Arc::new(DeadlineRules::default()), cal)
        .await
        .unwrap();
    assert!(created.replayed && created.order.id == OrderId::new(1));

    let trail = trail_after(&s, 0).await;
    let mut chain = ChainVerifier::default();
    for e in &trail {
        chain.check(e).unwrap();
    }
    assert_eq!(chain.checked, 37);
    let created = trail
        .iter()
        .find(|e| e.record.action == "order.create")
        .unwrap();
    assert_eq!(created.record.object.as_deref(), Some("order:1"));
    assert_eq!(created.record.at, at("2025-06-02T09:00:00+08:00"));

    use hotline_store::kb::ArticleFilter;
    let articles = s
        .list_articles(&ArticleFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        articles
            .iter()
            .map(|a| (a.content.title.as_str(), a.version))
            .collect::<Vec<_>>(),
        [("夹具：租赁补贴发放", 1), ("夹具：公租房申请条件", 2)]
    );
    assert_eq!((articles[1].uses, articles[1].helpful), (1, 1));
    assert_eq!(s.article_versions(articles[1].id).await.unwrap().len(), 2);
    assert_eq!(s.kb_seq().await.unwrap(), 3);
    assert_eq!(s.articles_changed_since(0, 10).await.unwrap().len(), 2);
    assert_eq!(
        s.synonyms().await.unwrap(),
        Some(Synonyms::parse("公租房 = 公共租赁住房").unwrap())
    );

    // Migration 0014 has every order counted again from its first event (the
    // counters keep their sums meanwhile: counting again adds only differences).
    let pending = s.stats_pending(10).await.unwrap();
    assert_eq!(pending.cursor, 0);
    assert!(!pending.events.is_empty());
    let june = count_query(&["kind", "topic"], "2025-06-01", "2025-06-30");
    assert_eq!(
        sums(&s, &june).await,
        [
            ("kind".to_owned(), "complaint".to_owned(), 7),
            ("kind".to_owned(), "report".to_owned(), 1),
            ("topic".to_owned(), "井盖".to_owned(), 8),
            ("topic".to_owned(), "电梯".to_owned(), 8),
        ]
    );
}
