//! `hotline bench reports`: the unit assessment and the monthly report at province
//! scale, against plain SQL aggregates over the raw tables in the same run.
//!
//! For each size it makes a fresh on-disk SQLite database with a province hotline,
//! 21 city hotlines and their departments and districts, and generates a year (2025)
//! of orders, each taken through the real lifecycle by the demo's generator
//! (`hotline_app::demo::life`) with the choices of [`Chance`]: registered,
//! dispatched, sometimes returned and dispatched again, accepted, replied (some
//! late), called back (satisfied, fairly satisfied, dissatisfied, unreachable),
//! sometimes reopened and replied again, closed; a fifth of the consultations are
//! answered at once. Titles run 10–30 characters, contents 100–400. The orders are
//! written with their timelines (`import_orders`), then counted by the same follower
//! the server runs. It times June's assessment and June's monthly report for the
//! province supervisor and for one city's supervisor through the same functions the
//! API calls, and the same figures from SQL over `orders` and `order_events` (a window
//! over each order's timeline for the dispatch cohorts, `json_extract` for fields
//! kept in the order's JSON, jieba in Rust for the title topics). The two must agree,
//! figure for figure, or the benchmark fails (`docs/metrics.md` defines them).

use chrono::{Duration as Span, NaiveDate, TimeZone};
use hotline_app::AppState;
use hotline_app::access::Viewer;
use hotline_app::admin::{add_unit, add_user};
use hotline_app::audit::Principal;
use hotline_app::demo::life::{Cast, Life, Script, Step};
use hotline_app::reports::{Period, PeriodReport, UnitLine, assess_units, period_report, topics};
use hotline_domain::assessment::Tally;
use hotline_domain::lifecycle::Actor;
use hotline_domain::{
    Calendar, CallbackResult, Channel, DeadlineRules, DomainPath, Event, Intake, Kind, Order,
    OrderId, OrderNumber, RegionCode, Requester, Role, Timestamp, UnitCode, UnitKind, shanghai,
};
use hotline_store::UnitRecord;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::Scratch;

const CITIES: &[(&str, &str)] = &[
    ("5101", "成都"),
    ("5103", "自贡"),
    ("5104", "攀枝花"),
    ("5105", "泸州"),
    ("5106", "德阳"),
    ("5107", "绵阳"),
    ("5108", "广元"),
    ("5109", "遂宁"),
    ("5110", "内江"),
    ("5111", "乐山"),
    ("5113", "南充"),
    ("5114", "眉山"),
    ("5115", "宜宾"),
    ("5116", "广安"),
    ("5117", "达州"),
    ("5118", "雅安"),
    ("5119", "巴中"),
    ("5120", "资阳"),
    ("5132", "阿坝"),
    ("5133", "甘孜"),
    ("5134", "凉山"),
];

/// City departments: (code suffix, name, the topics they handle).
const DEPARTMENTS: &[(&str, &str)] = &[
    ("zj", "住房和城乡建设局"),
    ("jt", "交通运输局"),
    ("sj", "市场监督管理局"),
    ("hb", "生态环境局"),
    ("rs", "人力资源和社会保障局"),
    ("jy", "教育局"),
    ("wj", "卫生健康委员会"),
    ("cg", "城市管理局"),
];

const DISTRICTS_PER_CITY: u32 = 6;

/// (what, where it happens, department) — the matter of an order.
const MATTERS: &[(&str, &str, usize)] = &[
    ("夜间施工噪声扰民", "建筑工地", 0),
    ("小区电梯经常故障", "住宅小区", 0),
    ("物业乱收停车费", "住宅小区", 0),
    ("公交线路调整不便", "公交站", 1),
    ("出租车拒载绕路", "火车站", 1),
    ("道路坑洼积水严重", "主干道", 1),
    ("超市销售过期食品", "超市", 2),
    ("商家虚假宣传拒不退款", "商场", 2),
    ("餐馆油烟污染", "商业街", 3),
    ("河道污水直排", "河边", 3),
    ("工厂夜间排放异味", "工业园区", 3),
    ("拖欠农民工工资", "工地", 4),
    ("社保卡补办进度", "政务中心", 4),
    ("养老保险转移接续", "社保大厅", 4),
    ("学校违规收取费用", "学校", 5),
    ("入学划片政策咨询", "学校", 5),
    ("医院挂号难排队久", "医院", 6),
    ("医保报销比例咨询", "医院", 6),
    ("路灯不亮存在安全隐患", "人行道", 7),
    ("占道经营影响通行", "菜市场", 7),
    ("垃圾清运不及时", "小区门口", 7),
    ("共享单车乱停乱放", "地铁站", 7),
];

const SENTENCES: &[&str] = &[
    "这个问题已经持续了一个多月，周边居民反映强烈。",
    "此前已经向相关单位反映过多次，但一直没有得到解决。",
    "希望有关部门尽快到现场核实情况，依法依规处理。",
    "老人和孩子受影响尤其大，晚上根本无法正常休息。",
    "我们也理解城市建设的需要，但希望能够合理安排时间。",
    "现场情况可以随时联系我，我愿意配合调查。",
    "据了解同一小区还有很多住户遇到了同样的问题。",
    "请相关部门给出明确答复，并告知处理的时间安排。",
    "该情况存在较大的安全隐患，一旦发生事故后果严重。",
    "附近还有一所小学，上下学时段人流量很大。",
    "之前拨打过单位电话，工作人员说会处理但没有下文。",
    "希望加强日常监管，避免类似问题再次发生。",
];

const KINDS: &[(Kind, u32)] = &[
    (Kind::Complaint, 35),
    (Kind::Help, 25),
    (Kind::Consultation, 20),
    (Kind::Suggestion, 10),
    (Kind::Report, 6),
    (Kind::Praise, 4),
];

const CHANNELS: &[(Channel, u32)] = &[
    (Channel::Phone, 70),
    (Channel::Web, 8),
    (Channel::App, 8),
    (Channel::Wechat, 10),
    (Channel::Sms, 2),
    (Channel::Email, 1),
    (Channel::Letter, 1),
];

const DOMAINS: &[&str] = &[
    "economic_regulation/prices",
    "market_supervision/food_safety",
    "social_management/public_security",
    "public_services/transport",
    "environmental_protection/noise",
];

fn pick<T: Copy>(rng: &mut StdRng, weighted: &[(T, u32)]) -> T {
    let total: u32 = weighted.iter().map(|(_, w)| w).sum();
    let mut x = rng.random_range(0..total);
    for (v, w) in weighted {
        if x < *w {
            return *v;
        }
        x -= w;
    }
    weighted[0].0
}

fn city_hotline(city: &str) -> UnitCode {
    UnitCode::parse(&format!("c{city}")).expect("a valid unit code")
}

fn department(city: &str, d: usize) -> UnitCode {
    UnitCode::parse(&format!("c{city}-{}", DEPARTMENTS[d].0)).expect("a valid unit code")
}

fn district(city: &str, n: u32) -> (UnitCode, RegionCode) {
    (
        UnitCode::parse(&format!("d{city}{n:02}")).expect("a valid unit code"),
        RegionCode::parse(&format!("{city}{n:02}")).expect("a valid region"),
    )
}

/// The province hotline, the 21 city hotlines, each with 8 departments and 6
/// district governments.
async fn build_org(state: &AppState) -> Result<(), String> {
    let unit =
        |code: UnitCode, name: String, kind, parent: Option<UnitCode>, region: &str| UnitRecord {
            code,
            name,
            kind,
            parent,
            region: RegionCode::parse(region).expect("a valid region"),
            active: true,
            line_head: None,
        };
    let province = UnitCode::parse("sc12345").map_err(|e| e.0)?;
    let mut units = vec![unit(
        province.clone(),
        "四川省12345热线".into(),
        UnitKind::Hotline,
        None,
        "510000",
    )];
    for (city, name) in CITIES {
        let hotline = city_hotline(city);
        units.push(unit(
            hotline.clone(),
            format!("{name}市12345热线"),
            UnitKind::Hotline,
            Some(province.clone()),
            &format!("{city}00"),
        ));
        for (d, (_, dept)) in DEPARTMENTS.iter().enumerate() {
            units.push(unit(
                department(city, d),
                format!("{name}市{dept}"),
                UnitKind::Department,
                Some(hotline.clone()),
                &format!("{city}00"),
            ));
        }
        for n in 1..=DISTRICTS_PER_CITY {
            let (code, region) = district(city, n);
            units.push(unit(
                code,
                format!("{name}市第{n}区人民政府"),
                UnitKind::District,
                Some(hotline.clone()),
                region.as_str(),
            ));
        }
    }
    for u in units {
        add_unit(state, &Principal::System, u)
            .await
            .map_err(|e| e.message)?;
    }
    let password = "Report-Bench-Pass-2026";
    add_user(
        state,
        &Principal::System,
        "province",
        password,
        vec![Role::Supervisor],
        Some(province),
    )
    .await
    .map_err(|e| e.message)?;
    add_user(
        state,
        &Principal::System,
        "chengdu",
        password,
        vec![Role::Supervisor],
        Some(city_hotline(CITIES[0].0)),
    )
    .await
    .map_err(|e| e.message)?;
    Ok(())
}

/// Makes a year of orders, one at a time, deterministically.
struct Generator {
    rng: StdRng,
    rules: DeadlineRules,
    calendar: Calendar,
    next_id: i64,
    day_seq: BTreeMap<NaiveDate, u64>,
    year_start: Timestamp,
}

fn actor(name: &str, roles: Vec<Role>, unit: &UnitCode, staff: bool) -> Actor {
    Actor {
        username: name.into(),
        roles,
        unit: Some(unit.clone()),
        hotline_staff: staff,
        upper_hotline: None,
        hotline_above: None,
        line_overseer: false,
        requester: false,
    }
}

impl Generator {
    fn new(seed: u64) -> Self {
        Generator {
            rng: StdRng::seed_from_u64(seed),
            rules: DeadlineRules::default(),
            calendar: Calendar::new(Calendar::official_seed()),
            next_id: 1,
            day_seq: BTreeMap::new(),
            year_start: shanghai()
                .with_ymd_and_hms(2025, 1, 1, 8, 30, 0)
                .single()
                .expect("a valid time"),
        }
    }

    fn text(&mut self, matter: &str, place: &str) -> (String, String) {
        let extra = ["（再次反映）", "问题", "，请尽快处理", "的情况"];
        let mut title = format!("{place}{matter}");
        while title.chars().count() < 10 {
            title.push_str(extra[self.rng.random_range(0..extra.len())]);
        }
        let title: String = title.chars().take(30).collect();
        let target = self.rng.random_range(100..=400);
        let mut content = format!("我要反映{place}{matter}的问题。");
        while content.chars().count() < target {
            content.push_str(SENTENCES[self.rng.random_range(0..SENTENCES.len())]);
        }
        (title, content.chars().take(target).collect())
    }

    /// A random working moment of 2025 (08:30–18:30 on any day).
    fn moment(&mut self) -> Timestamp {
        let day = self.rng.random_range(0..365);
        let minute = self.rng.random_range(0..600);
        self.year_start + Span::days(day) + Span::minutes(minute)
    }

    fn order(&mut self) -> (Order, Vec<Event>) {
        let (city, _) = CITIES[if self.rng.random_bool(0.3) {
            0
        } else {
            self.rng.random_range(0..CITIES.len())
        }];
        let n = self.rng.random_range(1..=DISTRICTS_PER_CITY);
        let (district_unit, region) = district(city, n);
        let (matter, place, dept) = MATTERS[self.rng.random_range(0..MATTERS.len())];
        let (title, content) = self.text(matter, place);
        let kind = pick(&mut self.rng, KINDS);
        let at = self.moment();
        let day = at.date_naive();
        let seq = self.day_seq.entry(day).or_default();
        *seq += 1;
        let intake = Intake {
            channel: pick(&mut self.rng, CHANNELS),
            kind,
            domain: DomainPath::parse(DOMAINS[dept % DOMAINS.len()]).ok(),
            region,
            street: None,
            title,
            content,
            address: Some(format!("{place}附近")),
            location: None,
            urgent: false,
            confidential: false,
            requester: Requester {
                name: Some("市民".into()),
                phone: None,
                address: None,
                anonymous: false,
                enterprise: None,
            },
        };
        let hotline = city_hotline(city);
        let id = OrderId::new(self.next_id);
        self.next_id += 1;
        let (order, first) = Order::register(
            intake,
            id,
            OrderNumber::new(day, *seq),
            format!("{:08}", self.rng.random_range(0..100_000_000u32)),
            hotline.clone(),
            "op",
            at,
            Vec::new(),
            &self.rules,
            &self.calendar,
        );
        let lead = if self.rng.random_bool(0.5) {
            department(city, dept)
        } else {
            district_unit
        };
        let other = department(city, (dept + 1) % DEPARTMENTS.len());
        let operator = actor("op", vec![Role::Operator, Role::Dispatcher], &hotline, true);
        let supervisor = actor("sup", vec![Role::Supervisor], &hotline, true);
        let cast = Cast {
            operator: &operator,
            dispatcher: &operator,
            supervisor: &supervisor,
            handler: &|unit| actor("h", vec![Role::Handler], unit, false),
        };
        let mut chance = Chance {
            rng: &mut self.rng,
            other,
        };
        let mut life = Life::new(order, &self.rules, &self.calendar);
        life.live(&mut chance, &cast, &lead)
            .unwrap_or_else(|e| panic!("the generated life broke a rule: {e:?}"));
        let (order, events) = life.into_order_and_events();
        (order, std::iter::once(first).chain(events).collect())
    }
}

/// The choices of a generated life, at random: a fifth of the consultations answered
/// at once, one order in twenty returned by its first unit, one reply in ten late,
/// callbacks as requesters answer them, a third of the dissatisfied reopened.
struct Chance<'r> {
    rng: &'r mut StdRng,
    /// Where the order goes when its first unit returns it.
    other: UnitCode,
}

impl Chance<'_> {
    fn hours(&mut self, lo: i64, hi: i64) -> Span {
        Span::minutes(self.rng.random_range(lo * 60..=hi * 60))
    }
}

impl Script for Chance<'_> {
    fn answers_at_once(&mut self) -> bool {
        self.rng.random_bool(0.2)
    }

    fn triaged(&mut self) -> bool {
        false
    }

    fn returned_to(&mut self) -> Option<UnitCode> {
        self.rng.random_bool(0.05).then(|| self.other.clone())
    }

    fn reaches(&mut self, _: Step) -> bool {
        true
    }

    fn at(&mut self, step: Step, last: Timestamp) -> Timestamp {
        let gap = match step {
            Step::Answer | Step::Triage => self.hours(0, 0),
            Step::Dispatch => self.hours(0, 2),
            Step::Return => self.hours(1, 3),
            Step::ApproveReturn => self.hours(1, 4),
            Step::Accept if self.rng.random_bool(0.9) => self.hours(0, 6),
            Step::Accept => self.hours(30, 80),
            // Most replies come well within the limit; one in ten runs late.
            Step::Reply if self.rng.random_bool(0.1) => self.hours(24 * 12, 24 * 30),
            Step::Reply => self.hours(4, 24 * 3),
            Step::Callback => self.hours(2, 48),
            Step::Reopen => Span::hours(2),
            Step::Close => Span::hours(1),
        };
        last + gap
    }

    fn resolved(&mut self) -> bool {
        self.rng.random_bool(0.85)
    }

    fn callback(&mut self) -> (CallbackResult, bool) {
        let result = pick(
            self.rng,
            &[
                (CallbackResult::Satisfied, 60),
                (CallbackResult::FairlySatisfied, 20),
                (CallbackResult::Dissatisfied, 12),
                (CallbackResult::Unreachable, 8),
            ],
        );
        let resolved = result != CallbackResult::Dissatisfied && self.rng.random_bool(0.9);
        (result, resolved)
    }

    fn reopens(&mut self) -> bool {
        self.rng.random_bool(0.3)
    }
}

/// A report's breakdowns: (name, [(key, count)]), keys in order.
type Breakdowns = Vec<(String, Vec<(String, u64)>)>;

/// The report figures compared between the counters and the baseline.
#[derive(Debug, PartialEq)]
struct Figures {
    units: BTreeMap<String, Tally>,
    report: Breakdowns,
}

fn figures_of(lines: &[UnitLine], r: &PeriodReport) -> Figures {
    let list = |v: &[hotline_app::reports::Count]| {
        let mut v: Vec<(String, u64)> = v.iter().map(|c| (c.key.clone(), c.count)).collect();
        v.sort();
        v
    };
    Figures {
        units: lines.iter().map(|l| (l.unit.clone(), l.counts)).collect(),
        report: vec![
            ("total".into(), vec![(String::new(), r.total)]),
            ("channel".into(), list(&r.by_channel)),
            ("kind".into(), list(&r.by_kind)),
            ("domain".into(), list(&r.by_domain)),
            ("region".into(), list(&r.by_region)),
            ("unit".into(), list(&r.by_unit)),
            (
                "deadline".into(),
                vec![
                    ("late".into(), r.deadline.late),
                    ("on_time".into(), r.deadline.on_time),
                ],
            ),
            (
                "evaluation".into(),
                vec![
                    ("dissatisfied".into(), r.satisfaction.dissatisfied),
                    ("fairly_satisfied".into(), r.satisfaction.fairly_satisfied),
                    ("satisfied".into(), r.satisfaction.satisfied),
                ],
            ),
            ("topics".into(), list(&r.top_issues)),
        ],
    }
}

/// June 2025, the month every size reports on.
fn june() -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(2025, 6, 1).expect("a date"),
        NaiveDate::from_ymd_opt(2025, 6, 30).expect("a date"),
    )
}

fn bounds(first: NaiveDate, last: NaiveDate) -> (Timestamp, Timestamp) {
    (
        hotline_domain::rules::start_of_day(first),
        hotline_domain::rules::end_of_day(last),
    )
}

/// The baseline: the same figures by SQL over the raw tables.
mod baseline {
    use super::*;
    use rusqlite::{Connection, params_from_iter};

    type Value = rusqlite::types::Value;

    fn scoped(hotlines: &[String]) -> String {
        let marks = vec!["?"; hotlines.len()].join(", ");
        format!("hotline IN ({marks})")
    }

    /// The scope's hotlines, then the other parameters, in placeholder order.
    fn args(hotlines: &[String], more: impl IntoIterator<Item = Value>) -> Vec<Value> {
        hotlines
            .iter()
            .map(|h| Value::Text(h.clone()))
            .chain(more)
            .collect()
    }

    fn failed(e: rusqlite::Error) -> String {
        e.to_string()
    }

    /// `(key, count)` rows of a grouping query, in key order.
    fn group(c: &Connection, sql: &str, args: Vec<Value>) -> Result<Vec<(String, u64)>, String> {
        let mut s = c.prepare(sql).map_err(failed)?;
        let rows = s
            .query_map(params_from_iter(args), |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                    r.get::<_, i64>(1)? as u64,
                ))
            })
            .map_err(failed)?;
        let mut out: Vec<(String, u64)> = rows.collect::<Result<_, _>>().map_err(failed)?;
        out.sort();
        Ok(out)
    }

    /// The largest `limit` of a breakdown (as the reports list them), in key order.
    fn top(mut v: Vec<(String, u64)>, limit: usize) -> Vec<(String, u64)> {
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.truncate(limit);
        v.sort();
        v
    }

    /// Every key listed, with 0 where no row had it.
    fn fill(mut v: Vec<(String, u64)>, keys: &[&str]) -> Vec<(String, u64)> {
        for k in keys {
            if !v.iter().any(|(x, _)| x == k) {
                v.push(((*k).into(), 0));
            }
        }
        v.sort();
        v
    }

    /// The title topics of the orders registered in the range (jieba has no SQL).
    fn topic_counts(
        c: &Connection,
        scope: &str,
        args: Vec<Value>,
    ) -> Result<Vec<(String, u64)>, String> {
        let mut titles = c
            .prepare(&format!(
                "SELECT json_extract(doc, '$.title') FROM orders WHERE {scope} \
                 AND registered_at BETWEEN ? AND ?"
            ))
            .map_err(failed)?;
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        let rows = titles
            .query_map(params_from_iter(args), |r| r.get::<_, String>(0))
            .map_err(failed)?;
        for title in rows {
            for t in topics(&title.map_err(failed)?) {
                *counts.entry(t).or_default() += 1;
            }
        }
        Ok(top(counts.into_iter().collect(), 10))
    }

    pub fn monthly(c: &Connection, hotlines: &[String]) -> Result<Breakdowns, String> {
        let (first, last) = june();
        let (from, to) = bounds(first, last);
        let range = || args(hotlines, [from.timestamp().into(), to.timestamp().into()]);
        let scope = scoped(hotlines);
        let by = |column: &str| {
            let sql = format!(
                "SELECT {column}, COUNT(*) FROM orders WHERE {scope} \
                 AND registered_at BETWEEN ? AND ? GROUP BY 1"
            );
            group(c, &sql, range())
        };
        let mut unit = by("unit")?;
        unit.retain(|(k, _)| !k.is_empty());
        let mut domains: BTreeMap<String, u64> = BTreeMap::new();
        for (path, n) in by("json_extract(doc, '$.domain')")? {
            *domains
                .entry(path.split('/').next().unwrap_or_default().to_owned())
                .or_default() += n;
        }
        let deadline = group(
            c,
            &format!(
                "SELECT CASE WHEN unixepoch(json_extract(doc, '$.reply.at')) <= deadline \
                 THEN 'on_time' ELSE 'late' END, COUNT(*) FROM orders WHERE {scope} \
                 AND deadline BETWEEN ? AND ? GROUP BY 1"
            ),
            range(),
        )?;
        let evaluation = group(
            c,
            &format!(
                "SELECT CASE WHEN json_extract(doc, '$.evaluation.result') IN ('satisfied', 'fairly_satisfied') \
                 THEN json_extract(doc, '$.evaluation.result') ELSE 'dissatisfied' END, COUNT(*) \
                 FROM orders WHERE {scope} \
                 AND unixepoch(json_extract(doc, '$.evaluation.at')) BETWEEN ? AND ? GROUP BY 1"
            ),
            range(),
        )?;
        let total = by("''")?.iter().map(|(_, n)| n).sum();
        Ok(vec![
            ("total".into(), vec![(String::new(), total)]),
            (
                "channel".into(),
                top(by("json_extract(doc, '$.channel')")?, 50),
            ),
            ("kind".into(), by("kind")?),
            ("domain".into(), domains.into_iter().collect()),
            ("region".into(), top(by("region")?, 50)),
            ("unit".into(), top(unit, 50)),
            ("deadline".into(), fill(deadline, &["late", "on_time"])),
            (
                "evaluation".into(),
                fill(
                    evaluation,
                    &["dissatisfied", "fairly_satisfied", "satisfied"],
                ),
            ),
            ("topics".into(), topic_counts(c, &scope, range())?),
        ])
    }

    /// Each event belongs to the latest dispatch or approved return before it; the
    /// events of a dispatch are those that belong to it.
    pub fn assessment(
        c: &Connection,
        hotlines: &[String],
    ) -> Result<BTreeMap<String, Tally>, String> {
        let (first, last) = june();
        let (from, _) = bounds(first, last);
        let until = hotline_domain::rules::start_of_day(last + Span::days(1));
        let scope = scoped(hotlines);
        // `grp` numbers the stretches of a timeline: a dispatch starts one, and so
        // does the first event after an approved return; a stretch that starts with
        // a dispatch is that dispatch's cohort. `due` is the first reply or passed
        // deadline of each stretch: when its completion fell due, counted if by the
        // range's end (the bench's range is long past).
        let sql = format!(
            "WITH e1 AS ( \
               SELECT e.order_id, e.id, e.type, e.at, e.data, \
                 SUM(e.type = 'dispatched') OVER (PARTITION BY e.order_id ORDER BY e.id) + \
                 COALESCE(SUM(e.type = 'return_approved') OVER (PARTITION BY e.order_id ORDER BY e.id \
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS grp \
               FROM order_events e WHERE e.order_id IN (SELECT id FROM orders WHERE {scope})), \
             ev AS ( \
               SELECT order_id, grp, type, data, \
                 FIRST_VALUE(type) OVER w AS head, FIRST_VALUE(at) OVER w AS head_at, \
                 FIRST_VALUE(json_extract(data, '$.unit')) OVER w AS unit \
               FROM e1 WINDOW w AS (PARTITION BY order_id, grp ORDER BY id)), \
             due AS ( \
               SELECT order_id, grp, type, at, data FROM ( \
                 SELECT order_id, grp, type, at, data, \
                   ROW_NUMBER() OVER (PARTITION BY order_id, grp ORDER BY id) AS rn \
                 FROM e1 WHERE type IN ('replied', 'deadline_passed')) WHERE rn = 1) \
             SELECT unit, SUM(ev.type = 'dispatched'), \
               SUM(ev.type = 'accepted' AND json_extract(ev.data, '$.on_time') = 1), \
               SUM(ev.type = 'return_approved'), \
               SUM(ev.type = 'replied'), \
               SUM(ev.type = 'replied' AND json_extract(ev.data, '$.on_time') = 1), \
               SUM(ev.type = 'reopened'), \
               SUM(ev.type IN ('called_back', 'evaluated') AND json_extract(ev.data, '$.result') <> 'unreachable'), \
               SUM(ev.type IN ('called_back', 'evaluated') AND json_extract(ev.data, '$.result') <> 'unreachable' \
                 AND json_extract(ev.data, '$.resolved') = 1), \
               SUM(ev.type IN ('called_back', 'evaluated') \
                 AND json_extract(ev.data, '$.result') IN ('satisfied', 'fairly_satisfied')), \
               COALESCE(SUM(ev.type = 'dispatched' AND d.at < ?), 0), \
               COALESCE(SUM(ev.type = 'dispatched' AND d.at < ? AND d.type = 'replied' \
                 AND json_extract(d.data, '$.on_time') = 1), 0) \
             FROM ev LEFT JOIN due d ON d.order_id = ev.order_id AND d.grp = ev.grp \
             WHERE head = 'dispatched' AND head_at >= ? AND head_at < ? GROUP BY unit"
        );
        let mut s = c.prepare(&sql).map_err(failed)?;
        let until_text = until.to_rfc3339();
        let args = args(
            hotlines,
            [
                until_text.clone().into(),
                until_text.clone().into(),
                from.to_rfc3339().into(),
                until_text.into(),
            ],
        );
        let rows = s
            .query_map(params_from_iter(args), |r| {
                let n = |i: usize| r.get::<_, i64>(i).map(|v| v as u64);
                Ok((
                    r.get::<_, String>(0)?,
                    Tally {
                        dispatches: n(1)?,
                        accepted_on_time: n(2)?,
                        approved_returns: n(3)?,
                        replies: n(4)?,
                        replies_on_time: n(5)?,
                        reopens: n(6)?,
                        outcomes: n(7)?,
                        resolved: n(8)?,
                        satisfied: n(9)?,
                        completion_due: n(10)?,
                        completed_on_time: n(11)?,
                    },
                ))
            })
            .map_err(failed)?;
        rows.collect::<Result<_, _>>().map_err(failed)
    }
}

#[derive(Serialize, Clone)]
pub struct SizeFigures {
    orders: usize,
    events: usize,
    /// The slower of the province's and the city's.
    assessment_ms: f64,
    monthly_ms: f64,
    baseline_assessment_ms: f64,
    baseline_monthly_ms: f64,
    bytes_per_order: f64,
    province_assessment_ms: f64,
    city_assessment_ms: f64,
    province_monthly_ms: f64,
    city_monthly_ms: f64,
    province_baseline_assessment_ms: f64,
    city_baseline_assessment_ms: f64,
    province_baseline_monthly_ms: f64,
    city_baseline_monthly_ms: f64,
    load_s: f64,
    count_s: f64,
    /// The counters and the baseline gave the same figures.
    agree: bool,
}

fn median_ms(mut runs: Vec<Duration>) -> f64 {
    runs.sort();
    runs[runs.len() / 2].as_secs_f64() * 1000.0
}

async fn time_it<T, F, Fut>(runs: usize, mut f: F) -> Result<(f64, T), String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let mut out = f().await?; // warm-up
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        out = f().await?;
        times.push(t.elapsed());
    }
    Ok((median_ms(times), out))
}

fn file_bytes(dir: &Path) -> u64 {
    ["hotline.db", "hotline.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum()
}

async fn viewer(state: &AppState, name: &str) -> Result<Viewer, String> {
    let user = state
        .store()
        .user_by_username(name)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the benchmark user is missing")?;
    Ok(Viewer::new(user))
}

struct Scoped {
    assessment_ms: f64,
    monthly_ms: f64,
    baseline_assessment_ms: f64,
    baseline_monthly_ms: f64,
    agree: bool,
}

async fn measure(
    state: &AppState,
    db: &Path,
    who: &str,
    hotlines: Vec<String>,
) -> Result<Scoped, String> {
    let v = viewer(state, who).await?;
    let (first, last) = june();
    let (from, to) = bounds(first, last);
    let (assessment_ms, lines) = time_it(5, || async {
        assess_units(state, &v, from, to, None)
            .await
            .map_err(|e| e.message)
    })
    .await?;
    let (monthly_ms, report) = time_it(5, || async {
        period_report(state, &v, Period::Month, first)
            .await
            .map_err(|e| e.message)
    })
    .await?;
    let db = db.to_owned();
    let base = tokio::task::spawn_blocking(move || -> Result<_, String> {
        let c = rusqlite::Connection::open(&db).map_err(|e| e.to_string())?;
        let mut runs = Vec::new();
        let mut units = BTreeMap::new();
        for _ in 0..3 {
            let t = Instant::now();
            units = baseline::assessment(&c, &hotlines)?;
            runs.push(t.elapsed());
        }
        let assessment_ms = median_ms(runs);
        let mut runs = Vec::new();
        let mut report = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            report = baseline::monthly(&c, &hotlines)?;
            runs.push(t.elapsed());
        }
        Ok((assessment_ms, median_ms(runs), Figures { units, report }))
    })
    .await
    .map_err(|e| e.to_string())??;
    let mine = figures_of(&lines, &report);
    let agree = mine == base.2;
    if !agree {
        eprintln!("{who}: the counters and the baseline disagree");
        if mine.units != base.2.units {
            for (u, t) in &mine.units {
                if base.2.units.get(u) != Some(t) {
                    eprintln!(
                        "  unit {u}: counters {t:?}, baseline {:?}",
                        base.2.units.get(u)
                    );
                }
            }
        }
        for (a, b) in mine.report.iter().zip(&base.2.report) {
            if a != b {
                eprintln!(
                    "  {}: counters {:?}\n  {}: baseline {:?}",
                    a.0, a.1, b.0, b.1
                );
            }
        }
    }
    Ok(Scoped {
        assessment_ms,
        monthly_ms,
        baseline_assessment_ms: base.0,
        baseline_monthly_ms: base.1,
        agree,
    })
}

async fn one_size(state: AppState, dir: &Path, n: usize) -> Result<SizeFigures, String> {
    build_org(&state).await?;
    let started = Instant::now();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<(Order, Vec<Event>)>>(2);
    let maker = tokio::task::spawn_blocking(move || {
        let mut g = Generator::new(2025);
        let mut left = n;
        while left > 0 {
            let batch: Vec<_> = (0..left.min(10_000)).map(|_| g.order()).collect();
            left -= batch.len();
            if tx.blocking_send(batch).is_err() {
                return;
            }
        }
    });
    let mut events = 0;
    let mut done = 0;
    while let Some(batch) = rx.recv().await {
        events += batch.iter().map(|(_, e)| e.len()).sum::<usize>();
        done += batch.len();
        let audit = hotline_domain::audit::AuditRecord {
            at: chrono::Utc::now().with_timezone(&shanghai()),
            actor: "bench".into(),
            unit: None,
            address: None,
            action: "orders.import".into(),
            object: None,
            detail: serde_json::json!({"orders": batch.len()}),
        };
        state
            .store()
            .import_orders(batch, audit)
            .await
            .map_err(|e| e.to_string())?;
        eprint!("\r  {n}: {done} orders written");
    }
    maker.await.map_err(|e| e.to_string())?;
    let load_s = started.elapsed().as_secs_f64();
    eprintln!(" in {load_s:.1} s; counting…");
    let t = Instant::now();
    hotline_app::reports::stats::catch_up(state.store().as_ref(), state.now())
        .await
        .map_err(|e| e.to_string())?;
    let count_s = t.elapsed().as_secs_f64();
    let db = dir.join("hotline.db");
    {
        let c = rusqlite::Connection::open(&db).map_err(|e| e.to_string())?;
        c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|e| e.to_string())?;
    }
    let bytes_per_order = file_bytes(dir) as f64 / n.max(1) as f64;
    let all: Vec<String> = std::iter::once("sc12345".to_owned())
        .chain(
            CITIES
                .iter()
                .map(|(c, _)| city_hotline(c).as_str().to_owned()),
        )
        .collect();
    let province = measure(&state, &db, "province", all).await?;
    let city = measure(
        &state,
        &db,
        "chengdu",
        vec![city_hotline(CITIES[0].0).as_str().to_owned()],
    )
    .await?;
    Ok(SizeFigures {
        orders: n,
        events,
        assessment_ms: province.assessment_ms.max(city.assessment_ms),
        monthly_ms: province.monthly_ms.max(city.monthly_ms),
        baseline_assessment_ms: province
            .baseline_assessment_ms
            .max(city.baseline_assessment_ms),
        baseline_monthly_ms: province.baseline_monthly_ms.max(city.baseline_monthly_ms),
        bytes_per_order,
        province_assessment_ms: province.assessment_ms,
        city_assessment_ms: city.assessment_ms,
        province_monthly_ms: province.monthly_ms,
        city_monthly_ms: city.monthly_ms,
        province_baseline_assessment_ms: province.baseline_assessment_ms,
        city_baseline_assessment_ms: city.baseline_assessment_ms,
        province_baseline_monthly_ms: province.baseline_monthly_ms,
        city_baseline_monthly_ms: city.baseline_monthly_ms,
        load_s,
        count_s,
        agree: province.agree && city.agree,
    })
}

#[derive(Serialize)]
struct Growth {
    from_orders: usize,
    to_orders: usize,
    assessment: f64,
    monthly: f64,
}

#[derive(Serialize)]
struct ReportFigures {
    sizes: Vec<SizeFigures>,
    growth: Option<Growth>,
}

/// Runs the benchmark at each size (orders generated); `open` opens the application
/// on a fresh data directory as the server would.
pub async fn run<F, Fut>(json: bool, sizes: Vec<usize>, open: F) -> Result<(), String>
where
    F: Fn(PathBuf) -> Fut,
    Fut: Future<Output = Result<AppState, String>>,
{
    if sizes.is_empty() || sizes.contains(&0) {
        return Err("--orders must be at least 1".into());
    }
    let mut out = Vec::new();
    for n in &sizes {
        let dir = Scratch::new(&format!("reports-{n}"))?;
        let f = one_size(open(dir.path().to_owned()).await?, dir.path(), *n).await?;
        println!(
            "{:>9} orders ({} events): assessment {:.1} ms (province {:.1}, city {:.1}), \
             monthly report {:.1} ms (province {:.1}, city {:.1}); plain SQL baseline: \
             assessment {:.1} ms, monthly {:.1} ms (ratio {:.0}× and {:.0}×); \
             {:.0} bytes per order stored; loaded in {:.1} s, counted in {:.1} s; figures agree: {}",
            f.orders,
            f.events,
            f.assessment_ms,
            f.province_assessment_ms,
            f.city_assessment_ms,
            f.monthly_ms,
            f.province_monthly_ms,
            f.city_monthly_ms,
            f.baseline_assessment_ms,
            f.baseline_monthly_ms,
            f.baseline_assessment_ms / f.assessment_ms.max(1e-9),
            f.baseline_monthly_ms / f.monthly_ms.max(1e-9),
            f.bytes_per_order,
            f.load_s,
            f.count_s,
            if f.agree { "yes" } else { "NO" }
        );
        out.push(f);
    }
    let growth = (out.len() >= 2).then(|| {
        let (a, b) = (&out[0], &out[out.len() - 1]);
        Growth {
            from_orders: a.orders,
            to_orders: b.orders,
            assessment: b.assessment_ms / a.assessment_ms.max(1e-9),
            monthly: b.monthly_ms / a.monthly_ms.max(1e-9),
        }
    });
    if let Some(g) = &growth {
        println!(
            "growth from {} to {} orders: assessment {:.2}×, monthly report {:.2}×",
            g.from_orders, g.to_orders, g.assessment, g.monthly
        );
    }
    let agree = out.iter().all(|f| f.agree);
    if json {
        let figures = ReportFigures { sizes: out, growth };
        println!(
            "{}",
            serde_json::to_string(&figures).map_err(|e| e.to_string())?
        );
    }
    if agree {
        Ok(())
    } else {
        Err("the report counters and the plain SQL baseline disagree (see above)".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    #[test]
    fn generated_orders_have_the_lengths_the_issue_asks_for_and_real_timelines() {
        let mut g = Generator::new(7);
        for _ in 0..500 {
            let (o, events) = g.order();
            let t = o.title.chars().count();
            let c = o.content.chars().count();
            assert!((10..=30).contains(&t), "{t}: {}", o.title);
            assert!((100..=400).contains(&c), "{c}");
            assert!(events.len() >= 2, "{events:?}");
            assert_eq!(o.registered_at.year(), 2025);
            assert!(!o.status.is_open(), "{:?}", o.status);
        }
    }
}
