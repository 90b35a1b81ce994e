//! The upgrade fixture: a small SQLite database holding a bit of every kind of stored
//! data, written through the store's own API by the code of one commit
//! (`tests/fixtures/README.md` says which), so that later code can be shown to open it,
//! read it back and keep working on it.
//!
//! Its data keeps out of the stories' way: its own units (`fx…`), names, phone hashes,
//! address keys and addresses, days in 2025, a domain the stories do not list.

use super::*;
use hotline_domain::audit::AuditRecord;

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
    };
    let reply = Action::Reply {
        content: "已核实处理。".into(),
        resolved: true,
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
        s.create_unit(u).await.unwrap();
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

    s.create_user(fx_user("fx-admin", vec![Role::Admin], None))
        .await
        .unwrap();
    let operator = s
        .create_user(fx_user("fx-operator", vec![Role::Operator], Some(HOTLINE)))
        .await
        .unwrap();
    s.create_user(fx_user(
        "fx-dispatcher",
        vec![Role::Dispatcher],
        Some(HOTLINE),
    ))
    .await
    .unwrap();
    let handler = s
        .create_user(fx_user("fx-handler", vec![Role::Handler], Some(LEAD)))
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
    s.put_calendar_year(year).await.unwrap();
    let mut rules = DeadlineRules::default();
    rules.limits.consultation = Some(4);
    s.put_deadline_rules(&rules).await.unwrap();
    for c in hotline_domain::taxonomy::seed()
        .into_iter()
        .filter(|c| c.path.to_string().starts_with("social_management/"))
    {
        s.put_domain_category(c).await.unwrap();
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
