//! The demo province: Sichuan's provincial hotline, its 21 city and prefecture
//! hotlines, districts, departments and utilities; one account per role; and a few
//! hundred orders spread over the last two months and every state, each driven
//! through the real lifecycle. Loaded once, into an empty database; at every start
//! the demo accounts that still have a password the demo gave them get fresh random
//! ones (printed, never stored): an account whose password was changed since, or one
//! the demo did not create, is never touched.

use chrono::{Duration, Timelike};
use hotline_domain::*;
use hotline_store::UnitRecord;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

use crate::AppState;
use crate::access::Viewer;
use crate::admin::{add_unit, add_user};
use crate::audit::Principal;
use crate::auth::hash_password;
use crate::error::{ApiError, ApiResult};
use crate::orders::register;

pub mod life;

use life::{Cast, Life, Script, Step};

const CITIES: [(&str, &str, &str); 21] = [
    ("cd", "成都市", "510100"),
    ("zg", "自贡市", "510300"),
    ("pzh", "攀枝花市", "510400"),
    ("lz", "泸州市", "510500"),
    ("dy", "德阳市", "510600"),
    ("my", "绵阳市", "510700"),
    ("gy", "广元市", "510800"),
    ("sn", "遂宁市", "510900"),
    ("nj", "内江市", "511000"),
    ("ls", "乐山市", "511100"),
    ("nc", "南充市", "511300"),
    ("ms", "眉山市", "511400"),
    ("yb", "宜宾市", "511500"),
    ("ga", "广安市", "511600"),
    ("dz", "达州市", "511700"),
    ("ya", "雅安市", "511800"),
    ("bz", "巴中市", "511900"),
    ("zy", "资阳市", "512000"),
    ("ab", "阿坝藏族羌族自治州", "513200"),
    ("gz", "甘孜藏族自治州", "513300"),
    ("lsz", "凉山彝族自治州", "513400"),
];

/// (code, name, kind, parent, region)
const UNITS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "sc-zjt",
        "四川省住房和城乡建设厅",
        "department",
        "sc12345",
        "510000",
    ),
    (
        "sc-scjg",
        "四川省市场监督管理局",
        "department",
        "sc12345",
        "510000",
    ),
    (
        "sc-rst",
        "四川省人力资源和社会保障厅",
        "department",
        "sc12345",
        "510000",
    ),
    (
        "sc-sthjt",
        "四川省生态环境厅",
        "department",
        "sc12345",
        "510000",
    ),
    (
        "sc-power",
        "国网四川省电力公司",
        "enterprise",
        "sc12345",
        "510000",
    ),
    (
        "sc-tax",
        "国家税务总局四川省税务局",
        "vertical_agency",
        "sc12345",
        "510000",
    ),
    (
        "sc12315",
        "四川省12315消费者投诉举报分中心",
        "subcentre",
        "sc12345",
        "510000",
    ),
    (
        "cd-jt",
        "成都市交通运输局",
        "department",
        "cd12345",
        "510100",
    ),
    (
        "cd-zj",
        "成都市住房和城乡建设局",
        "department",
        "cd12345",
        "510100",
    ),
    (
        "cd-scjg",
        "成都市市场监督管理局",
        "department",
        "cd12345",
        "510100",
    ),
    (
        "cd-sthj",
        "成都市生态环境局",
        "department",
        "cd12345",
        "510100",
    ),
    (
        "cd-rs",
        "成都市人力资源和社会保障局",
        "department",
        "cd12345",
        "510100",
    ),
    (
        "cd-cg",
        "成都市城市管理委员会",
        "department",
        "cd12345",
        "510100",
    ),
    (
        "cd-water",
        "成都市自来水有限责任公司",
        "enterprise",
        "cd12345",
        "510100",
    ),
    ("cd-gas", "成都燃气集团", "enterprise", "cd12345", "510100"),
    ("cd-jj", "锦江区人民政府", "district", "cd12345", "510104"),
    ("cd-qy", "青羊区人民政府", "district", "cd12345", "510105"),
    ("cd-jn", "金牛区人民政府", "district", "cd12345", "510106"),
    ("cd-wh", "武侯区人民政府", "district", "cd12345", "510107"),
    ("cd-ch", "成华区人民政府", "district", "cd12345", "510108"),
    (
        "cd-jj-cxl",
        "锦江区春熙路街道办事处",
        "township",
        "cd-jj",
        "510104",
    ),
    ("my-fc", "涪城区人民政府", "district", "my12345", "510703"),
    (
        "my-zj",
        "绵阳市住房和城乡建设委员会",
        "department",
        "my12345",
        "510700",
    ),
];

/// (username, role, unit): one account per role; passwords are fresh at each start.
pub const ACCOUNTS: &[(&str, &str, Option<&str>)] = &[
    ("admin", "admin", None),
    ("operator", "operator", Some("cd12345")),
    ("vendor", "vendor_operator", Some("cd12345")),
    ("dispatcher", "dispatcher", Some("cd12345")),
    ("supervisor", "supervisor", Some("cd12345")),
    ("inspector", "inspector", Some("cd12345")),
    ("editor", "knowledge_editor", Some("cd12345")),
    ("handler", "handler", Some("cd-jt")),
    ("handler2", "handler", Some("cd-zj")),
    ("sc-dispatcher", "dispatcher", Some("sc12345")),
    ("op-12315", "operator", Some("sc12315")),
    ("sc-rst-line", "line_supervisor", Some("sc-rst")),
    ("jj-handler", "handler", Some("cd-jj")),
    ("cxl-handler", "handler", Some("cd-jj-cxl")),
];

/// Lines (条线): (unit, the provincial department heading its line).
const LINES: &[(&str, &str)] = &[("cd-rs", "sc-rst"), ("cd-zj", "sc-zjt")];

/// The remit of the demo's sub-centre: consumer complaints and reports.
const SUBCENTRE_REMIT: &str = "market_supervision";

/// (domain, kind, lead unit, title, content)
const MATTERS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "public_services/roads",
        "complaint",
        "cd-jt",
        "路灯不亮影响夜间出行",
        "小区门口路段的路灯已经连续一周不亮，晚上老人和孩子出行很不安全，希望尽快维修。",
    ),
    (
        "public_services/roads",
        "help",
        "cd-jt",
        "人行道地砖松动",
        "人行道上多块地砖松动翘起，下雨天踩上去会溅水，已经有人摔倒，请相关部门处理。",
    ),
    (
        "public_services/public_transport",
        "suggestion",
        "cd-jt",
        "建议增开早高峰公交班次",
        "早上七点半到八点半公交车非常拥挤，经常等两三趟才能上车，建议增开班次。",
    ),
    (
        "public_services/water_supply",
        "help",
        "cd-water",
        "小区突然停水",
        "小区从今天早上开始停水，没有看到任何停水通知，家里有老人不方便，请问什么时候恢复供水？",
    ),
    (
        "public_services/gas_supply",
        "consultation",
        "cd-gas",
        "燃气开户需要哪些材料",
        "新买的房子想开通燃气，请问需要准备哪些材料，到哪里办理？",
    ),
    (
        "environmental_protection/noise",
        "complaint",
        "cd-cg",
        "夜间施工噪声扰民",
        "附近工地每天晚上十一点以后还在施工，噪声很大，严重影响休息，请尽快查处。",
    ),
    (
        "environmental_protection/air_pollution",
        "report",
        "cd-sthj",
        "工厂夜间偷排废气",
        "有一家工厂经常在夜间排放刺鼻气味的废气，周边居民都闻得到，怀疑是偷排。",
    ),
    (
        "environmental_protection/waste",
        "complaint",
        "cd-cg",
        "垃圾清运不及时",
        "小区垃圾桶已经满溢好几天没有清运，气味很大，夏天容易滋生蚊虫。",
    ),
    (
        "market_supervision/food_safety",
        "report",
        "cd-scjg",
        "餐馆后厨卫生差",
        "在一家餐馆用餐后发现后厨卫生条件很差，食材随意堆放在地上，希望监管部门检查。",
    ),
    (
        "market_supervision/consumer_rights",
        "complaint",
        "cd-scjg",
        "预付卡商家跑路",
        "在健身房办理的年卡还没用完，商家突然关门联系不上，要求退还剩余费用。",
    ),
    (
        "social_management/housing",
        "complaint",
        "cd-zj",
        "物业公司乱收费",
        "物业公司今年突然上调物业费，没有召开业主大会，也没有公示，业主不认可。",
    ),
    (
        "social_management/wage_arrears",
        "help",
        "cd-rs",
        "工地拖欠农民工工资",
        "在工地干了三个月活，老板一直拖着不发工资，快过年了急需用钱，请帮忙协调。",
    ),
    (
        "public_services/social_security",
        "consultation",
        "cd-rs",
        "社保卡丢失如何补办",
        "社保卡不小心丢了，请问怎么挂失和补办，需要多长时间？",
    ),
    (
        "public_services/housing_fund",
        "consultation",
        "cd-zj",
        "公积金提取条件咨询",
        "想提取住房公积金用于租房，请问需要满足什么条件，怎么申请？",
    ),
    (
        "public_services/education",
        "consultation",
        "cd-jj",
        "小学入学报名时间",
        "孩子明年上小学，请问锦江区的入学报名时间和需要准备的材料？",
    ),
    (
        "social_management/urban_management",
        "complaint",
        "cd-jj",
        "占道经营影响通行",
        "街道两边的摊贩占道经营，早晚高峰行人只能走机动车道，存在安全隐患。",
    ),
    (
        "economic_regulation/prices",
        "complaint",
        "cd-scjg",
        "停车场收费标准不明",
        "商场停车场收费没有明码标价，出场时收费比周边高很多，怀疑乱收费。",
    ),
    (
        "social_management/community",
        "suggestion",
        "cd-wh",
        "建议增设社区养老服务点",
        "社区老年人越来越多，建议在社区增设日间照料和助餐服务点。",
    ),
];

/// Addresses in Chengdu's central districts, each naming its street (街道) as people
/// say it (玉林北路 lies in 玉林街道), so that an order's district and street follow
/// from its address.
const STREETS: [&str; 10] = [
    "锦江区牛市口路100号",
    "青羊区少城路8号",
    "金牛区抚琴西路12号",
    "武侯区玉林北路65号",
    "成华区猛追湾街2号",
    "锦江区春熙路步行街",
    "武侯区浆洗街1号",
    "青羊区草堂路附近",
    "金牛区茶店子客运站旁",
    "成华区二仙桥东三路",
];

/// Orders of the demo's two months of history, and of its queues (see [`load_queues`]).
const HISTORY: usize = 300;
const QUEUED: usize = 17;

/// The demo's enterprise requester (its credit code passes GB 32100's check).
fn demo_enterprise() -> hotline_domain::Enterprise {
    hotline_domain::Enterprise {
        name: "成都锦城示例商贸有限公司".into(),
        credit_code: hotline_domain::CreditCode::parse("91510104MA6C4K8R12").expect("valid"),
    }
}

/// Tax matters (vertically managed: the province's tax bureau): the demo's 提级办理.
const TAX_MATTERS: [(&str, &str, &str, &str, &str); 2] = [
    (
        "economic_regulation/taxation",
        "complaint",
        "sc-tax",
        "个税汇算退税迟迟未到账",
        "去年的个人所得税汇算清缴显示应退税款，申请提交已经三个多月，至今没有到账，也查不到进度。",
    ),
    (
        "economic_regulation/taxation",
        "consultation",
        "sc-tax",
        "小规模纳税人增值税减免政策咨询",
        "个体工商户，想了解今年小规模纳税人增值税减免政策的适用条件和申报方式。",
    ),
];
/// Every order the demo loads.
pub const ORDERS: usize = HISTORY + QUEUED;

const SURNAMES: [&str; 8] = ["张", "王", "李", "赵", "刘", "陈", "杨", "黄"];

/// Whether the database holds the demo and nothing but the demo's organisation, or
/// nothing at all: what `hotline demo reset` may erase. A database with a unit or an
/// account the demo did not create (an installation that began as the demo and went
/// on to real use) is not the demo's to erase; the error names what is there.
pub async fn is_demo(state: &AppState) -> ApiResult<Result<(), String>> {
    let store = state.store();
    let (units, users) = (store.list_units().await?, store.list_users().await?);
    if units.is_empty() && users.is_empty() {
        return Ok(Ok(()));
    }
    let given: BTreeMap<String, String> = crate::settings::read(state, GIVEN_KEY).await?;
    if given.is_empty() {
        return Ok(Err("the demo was never loaded into it".into()));
    }
    let demo_units = demo_unit_codes();
    if let Some(u) = units.iter().find(|u| !demo_units.contains(u.code.as_str())) {
        return Ok(Err(format!(
            "it holds the unit {} the demo did not create",
            u.code
        )));
    }
    if let Some(u) = users
        .iter()
        .find(|u| !ACCOUNTS.iter().any(|(name, _, _)| *name == u.username))
    {
        return Ok(Err(format!(
            "it holds the account {} the demo did not create",
            u.username
        )));
    }
    Ok(Ok(()))
}

/// The codes of the units the demo creates.
fn demo_unit_codes() -> std::collections::BTreeSet<String> {
    let mut codes = std::collections::BTreeSet::from(["sc12345".to_owned()]);
    for (abbr, _, _) in CITIES {
        codes.insert(format!("{abbr}12345"));
        if abbr != "cd" && abbr != "my" {
            codes.insert(format!("{abbr}-zj"));
        }
    }
    codes.extend(UNITS.iter().map(|(code, ..)| (*code).to_owned()));
    codes
}

/// Loads the demo province into an empty database; returns false if it was not empty.
pub async fn load(state: &AppState) -> ApiResult<bool> {
    if !state.store().list_units().await?.is_empty() {
        return Ok(false);
    }
    load_units(state).await?;
    for (username, role, unit) in ACCOUNTS {
        let password = random_password();
        let unit = unit.map(|u| UnitCode::parse(u).expect("demo codes are valid"));
        let roles = vec![Role::parse(role).expect("demo roles are valid")];
        add_user(state, &Principal::System, username, &password, roles, unit).await?;
    }
    let mut given = BTreeMap::new();
    for (username, _, _) in ACCOUNTS {
        if let Some(u) = state.store().user_by_username(username).await? {
            given.insert(username.to_string(), fingerprint(&u.password_hash));
        }
    }
    let record = crate::audit::system(state, "demo.accounts", None, serde_json::json!({}));
    crate::settings::save(state, GIVEN_KEY, &given, record).await?;
    load_orders(state, HISTORY).await?;
    mark_history_read(state).await?;
    load_queues(state).await?;
    load_articles(state).await?;
    load_line_sample(state).await?;
    load_submissions(state).await?;
    let record = crate::audit::system(
        state,
        "demo.load",
        None,
        serde_json::json!({"orders": ORDERS, "accounts": ACCOUNTS.len()}),
    );
    state.store().append_audit(record).await?;
    Ok(true)
}

/// A demo account, as it acts.
async fn demo_person(state: &AppState, name: &str) -> ApiResult<Viewer> {
    state
        .store()
        .user_by_username(name)
        .await?
        .map(Viewer::new)
        .ok_or_else(ApiError::not_found)
}

/// Two departments' submissions wait for the Chengdu hotline's review (部门报送): the
/// transport bureau's urgent script, and the housing bureau's interpretation of a
/// policy taking effect in three days (a reminder on the knowledge base's page).
async fn load_submissions(state: &AppState) -> ApiResult<()> {
    let addr = crate::audit::ClientAddr(None);
    let release = state.today() + chrono::Days::new(3);
    let submissions = [
        (
            "handler",
            serde_json::json!({"title": "地铁施工临时封闭人民南路辅道的答复口径",
                "question": "人民南路辅道为什么封闭？何时恢复通行？",
                "answer": "因地铁施工需要，人民南路辅道临时封闭，预计两周后恢复通行，请绕行人民中路。",
                "category": "交通出行/道路施工", "material": "script", "urgent": true,
                "issuing_unit": "成都市交通运输局"}),
        ),
        (
            "handler2",
            serde_json::json!({"title": "住房公积金提取新规解读",
                "question": "公积金提取新规有哪些变化？",
                "answer": "新规施行后，租房提取额度按实际租金提取，每月一次。",
                "category": "住房保障/住房公积金", "material": "interpretation",
                "issuing_unit": "成都市住房和城乡建设局",
                "source": {"title": "关于调整住房公积金提取政策的通知", "date": release.to_string()}}),
        ),
    ];
    for (user, body) in submissions {
        let input = serde_json::from_value(body).map_err(|e| ApiError::internal(e.to_string()))?;
        crate::kb::create_article(state, &demo_person(state, user).await?, &addr, input).await?;
    }
    Ok(())
}

/// The 人社 line's head has drawn this month's sample (or last month's, early in a
/// month) and recorded a finding: its oversight page shows both.
async fn load_line_sample(state: &AppState) -> ApiResult<()> {
    let head = demo_person(state, "sc-rst-line").await?;
    let addr = crate::audit::ClientAddr(None);
    let today = state.today();
    let months = [today, today - chrono::Months::new(1)];
    for month in months {
        let req = crate::sampling::DrawRequest {
            period: month.format("%Y-%m").to_string(),
            rule: hotline_domain::sampling::SampleRule::Count(3),
        };
        let Ok(sample) = crate::sampling::draw_sample(state, &head, &addr, req).await else {
            continue;
        };
        if let Some(first) = sample.items.first() {
            let finding = crate::sampling::FindingRequest {
                order_id: first.order_id.get(),
                verdict: hotline_domain::sampling::Verdict::Flawed,
                finding: Some("答复未引用政策依据，请补充说明".into()),
            };
            crate::sampling::record_finding(state, &head, &addr, sample.id, finding).await?;
        }
        return Ok(());
    }
    Ok(())
}

/// A few published articles (and one urgent script) of the Chengdu hotline, written
/// by its supervisor.
async fn load_articles(state: &AppState) -> ApiResult<()> {
    let supervisor = demo_person(state, "supervisor").await?;
    let addr = crate::audit::ClientAddr(None);
    let inputs: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("../../data/demo_articles.json"))
            .map_err(|e| ApiError::internal(e.to_string()))?;
    for input in inputs {
        let input = serde_json::from_value(input).map_err(|e| ApiError::internal(e.to_string()))?;
        let a = crate::kb::create_article(state, &supervisor, &addr, input).await?;
        if a.status != hotline_domain::kb::ArticleStatus::Published {
            let id = a.id.to_string();
            let publish = hotline_domain::kb::KbAction::Publish;
            crate::kb::change_article(state, &supervisor, &addr, &id, publish).await?;
        }
    }
    Ok(())
}

/// Where the demo remembers the password hashes it gave, by account: a digest of
/// each, so that an account whose hash is another (its owner or an administrator
/// changed the password) is known not to be the demo's to reset any more.
const GIVEN_KEY: &str = "demo.given_passwords";

fn fingerprint(password_hash: &str) -> String {
    hex::encode(Sha256::digest(password_hash.as_bytes()))
}

/// Gives every demo account still holding the password the demo gave it a fresh
/// random one; returns (username, password) of those.
pub async fn reset_passwords(state: &AppState) -> ApiResult<Vec<(String, String)>> {
    let mut given: BTreeMap<String, String> = crate::settings::read(state, GIVEN_KEY).await?;
    let mut out = Vec::new();
    for (username, _, _) in ACCOUNTS {
        let Some(user) = state.store().user_by_username(username).await? else {
            continue;
        };
        if given.get(*username) != Some(&fingerprint(&user.password_hash)) {
            continue;
        }
        let password = random_password();
        let pw = password.clone();
        let hash = tokio::task::spawn_blocking(move || hash_password(&pw))
            .await
            .map_err(ApiError::internal)??;
        state.store().set_user_password(username, &hash).await?;
        given.insert(username.to_string(), fingerprint(&hash));
        out.push((username.to_string(), password));
    }
    if !out.is_empty() {
        let names: Vec<&str> = out.iter().map(|(u, _)| u.as_str()).collect();
        let detail = serde_json::json!({ "accounts": names });
        let record = crate::audit::system(state, "demo.passwords", None, detail);
        crate::settings::save(state, GIVEN_KEY, &given, record).await?;
    }
    Ok(out)
}

/// Random, meets the password policy, easy to type: `Hx7k-…`.
fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY34679";
    let mut rng = rand::rng();
    let body: String = (0..12)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("Hl-{body}7")
}

fn unit(code: &str, name: &str, kind: &str, parent: Option<&str>, region: &str) -> UnitRecord {
    UnitRecord {
        code: UnitCode::parse(code).expect("demo codes are valid"),
        name: name.to_owned(),
        kind: UnitKind::parse(kind).expect("demo kinds are valid"),
        parent: parent.map(|p| UnitCode::parse(p).expect("demo codes are valid")),
        region: RegionCode::parse(region).expect("demo regions are valid"),
        active: true,
        line_head: None,
    }
}

/// Creates a demo unit, as the server's own (`system`) work.
async fn add_demo_unit(state: &AppState, u: UnitRecord) -> ApiResult<UnitRecord> {
    add_unit(state, &Principal::System, u).await
}

async fn load_units(state: &AppState) -> ApiResult<()> {
    add_demo_unit(
        state,
        unit(
            "sc12345",
            "四川省12345政务服务便民热线",
            "hotline",
            None,
            "510000",
        ),
    )
    .await?;
    for (abbr, name, region) in CITIES {
        let code = format!("{abbr}12345");
        add_demo_unit(
            state,
            unit(
                &code,
                &format!("{name}12345热线"),
                "hotline",
                Some("sc12345"),
                region,
            ),
        )
        .await?;
        if abbr != "cd" && abbr != "my" {
            let dept = format!("{abbr}-zj");
            add_demo_unit(
                state,
                unit(
                    &dept,
                    &format!("{name}住房和城乡建设局"),
                    "department",
                    Some(&code),
                    region,
                ),
            )
            .await?;
        }
    }
    for (code, name, kind, parent, region) in UNITS {
        add_demo_unit(state, unit(code, name, kind, Some(parent), region)).await?;
    }
    let remit = crate::access::Remit {
        domains: vec![SUBCENTRE_REMIT.into()],
    };
    let sub_centre = UnitCode::parse("sc12315").expect("valid");
    crate::remit::put_remit(state, &Principal::System, &sub_centre, remit).await?;
    for (unit, head) in LINES {
        let patch = crate::admin::UnitPatch {
            line_head: Some((*head).to_owned()),
            ..Default::default()
        };
        let code = UnitCode::parse(unit).expect("valid");
        crate::admin::change_unit(state, &Principal::System, &code, patch).await?;
    }
    Ok(())
}

async fn load_orders(state: &AppState, count: usize) -> ApiResult<()> {
    let mut rng = StdRng::seed_from_u64(12345);
    let org = state.org().await?;
    let (rules, calendar) = (state.rules().await?, state.calendar().await?);
    let user = |name: &str| {
        let store = state.store().clone();
        let name = name.to_owned();
        async move {
            store
                .user_by_username(&name)
                .await?
                .ok_or_else(ApiError::not_found)
                .map(Viewer::new)
        }
    };
    let (operator, dispatcher) = (user("operator").await?, user("dispatcher").await?);
    let supervisor = user("supervisor").await?;
    let regions = state.regions().await?;
    let now = state.now();
    for i in 0..count {
        let (domain, kind, lead, title, content) = MATTERS[rng.random_range(0..MATTERS.len())];
        let days_ago = (count - i) as i64 * 60 / count as i64;
        let at = (now - Duration::days(days_ago))
            .with_hour(9)
            .and_then(|t| t.with_minute(0))
            .unwrap_or(now)
            + Duration::minutes(rng.random_range(0..480));
        let at = at.min(now - Duration::minutes(30));
        let street = STREETS[rng.random_range(0..STREETS.len())];
        let place = place_of(&regions, street);
        let intake = Intake {
            channel: [
                Channel::Phone,
                Channel::Phone,
                Channel::Phone,
                Channel::Web,
                Channel::Wechat,
                Channel::App,
            ][rng.random_range(0..6)],
            kind: Kind::parse(kind).expect("demo kinds are valid"),
            domain: Some(DomainPath::parse(domain).expect("demo domains are valid")),
            region: place.0.clone(),
            street: place.1.clone(),
            title: title.to_owned(),
            content: content.to_owned(),
            address: Some(street.to_owned()),
            location: None,
            urgent: rng.random_bool(0.03),
            confidential: rng.random_bool(0.05),
            requester: Requester {
                name: Some(format!(
                    "{}先生",
                    SURNAMES[rng.random_range(0..SURNAMES.len())]
                )),
                phone: Phone::parse(&format!("13{:09}", rng.random_range(0..1_000_000_000u32)))
                    .ok(),
                address: None,
                anonymous: false,
                // Price complaints come from a shop (涉企诉求).
                enterprise: domain
                    .starts_with("economic_regulation")
                    .then(demo_enterprise),
            },
        };
        let cd = UnitCode::parse("cd12345").expect("valid");
        let order = register_at(state, intake, cd, at).await?;
        let mut plan = Plan {
            stage: rng.random_range(0..10u8),
            registered: at,
            now,
        };
        let lead = UnitCode::parse(lead).expect("valid");
        let handler = handler_for(state, &lead).await?.actor_for(&org, &order);
        let [operator, dispatcher, supervisor] =
            [&operator, &dispatcher, &supervisor].map(|v| v.actor_for(&org, &order));
        let cast = Cast {
            operator: &operator,
            dispatcher: &dispatcher,
            supervisor: &supervisor,
            handler: &|_| handler.clone(),
        };
        let mut life = Life::new(order, &rules, &calendar).keeping_each_order();
        // A step the lifecycle refuses ends the order's story where it is.
        let _ = life.live(&mut plan, &cast, &lead);
        let changes = life.into_changes();
        if !changes.is_empty() {
            state.store().record_transitions(changes, None).await?;
        }
    }
    Ok(())
}

/// The district and street an address names (the demo's addresses all name one of
/// Chengdu's central districts), so that an order's region is where its address is.
fn place_of(
    regions: &hotline_domain::regions::Regions,
    address: &str,
) -> (RegionCode, Option<String>) {
    let found = regions.suggest(address, Some("510100"));
    let region = found
        .region
        .and_then(|r| RegionCode::parse(&r.code).ok())
        .unwrap_or_else(|| RegionCode::parse("510104").expect("valid"));
    let street = found.street.map(|s| s.code);
    (region, street)
}

/// Registers with the clock set to `at` (the demo's history lies in the past).
async fn register_at(
    state: &AppState,
    intake: Intake,
    hotline: UnitCode,
    at: Timestamp,
) -> ApiResult<Order> {
    Ok(register(state, intake, hotline, "operator", None, at, None)
        .await?
        .order)
}

/// A handler of the lead unit; the demo has one account for two units and makes a
/// stand-in for the others (never stored: it only drives the lifecycle).
async fn handler_for(state: &AppState, unit: &UnitCode) -> ApiResult<Viewer> {
    for name in ["handler", "handler2"] {
        if let Some(u) = state.store().user_by_username(name).await?
            && u.unit.as_ref() == Some(unit)
        {
            return Ok(Viewer::new(u));
        }
    }
    Ok(Viewer::new(hotline_store::UserRecord {
        id: UserId(0),
        username: format!("{unit}-staff"),
        password_hash: String::new(),
        roles: vec![Role::Handler],
        unit: Some(unit.clone()),
        active: true,
    }))
}

/// How far one demo order gets: its stage (0–9) takes it to every state, at a
/// fixed pace from its registration, and never later than a minute ago.
struct Plan {
    stage: u8,
    registered: Timestamp,
    now: Timestamp,
}

impl Script for Plan {
    fn answers_at_once(&mut self) -> bool {
        self.stage < 5
    }

    fn triaged(&mut self) -> bool {
        self.stage == 0 && self.registered < self.now - Duration::days(3)
    }

    fn returned_to(&mut self) -> Option<UnitCode> {
        None
    }

    fn reaches(&mut self, step: Step) -> bool {
        match step {
            Step::Accept => self.stage >= 2,
            Step::Reply => self.stage >= 4,
            Step::Callback => self.stage >= 6,
            Step::Close => self.stage >= 7 && self.stage != 9,
            _ => true,
        }
    }

    fn at(&mut self, step: Step, last: Timestamp) -> Timestamp {
        let hours = match step {
            Step::Answer | Step::Triage => 0,
            Step::Dispatch | Step::Return | Step::ApproveReturn | Step::Close => 1,
            Step::Accept | Step::Reopen => 2,
            Step::Reply => 47,
            Step::Callback => 24,
        };
        (last + Duration::hours(hours)).min(self.now - Duration::minutes(1))
    }

    fn resolved(&mut self) -> bool {
        true
    }

    fn callback(&mut self) -> (CallbackResult, bool) {
        if self.stage == 9 {
            (CallbackResult::Dissatisfied, false)
        } else {
            (CallbackResult::Satisfied, true)
        }
    }

    fn reopens(&mut self) -> bool {
        false
    }
}

/// The demo's accounts have read the notifications of its two months of history: what
/// is new to them is what waits in the queues.
async fn mark_history_read(state: &AppState) -> ApiResult<()> {
    let store = state.store();
    for (username, _, unit) in ACCOUNTS {
        let Some(unit) = unit.and_then(|u| UnitCode::parse(u).ok()) else {
            continue;
        };
        if let Some(newest) = store.notifications(&unit, None, 1).await?.first() {
            store.mark_notifications_read(username, newest.id).await?;
        }
    }
    Ok(())
}

/// Orders waiting in every queue a role opens first, dated from the moment the demo
/// is loaded: 待派单 (this morning's calls), 退单待审, 延期待批, 已合并, 即将到期 and
/// 已超期 (the history above leaves 待回访 full). Each is taken there by the same use
/// cases a person's click runs, so its timeline and audit trail are real.
async fn load_queues(state: &AppState) -> ApiResult<()> {
    let now = state.now();
    let person = |name: &'static str| async move {
        state
            .store()
            .user_by_username(name)
            .await?
            .map(Viewer::new)
            .ok_or_else(ApiError::not_found)
    };
    let (dispatcher, handler, operator) = (
        person("dispatcher").await?,
        person("handler").await?,
        person("operator").await?,
    );
    let addr = crate::audit::ClientAddr(None);
    let act = |who: &Viewer, id: OrderId, input: crate::orders::ActionInput| {
        let (who, addr) = (who.clone(), addr.clone());
        async move { crate::orders::perform(state, &who, &addr, id, input).await }
    };
    let dispatch_to_roads = || {
        crate::orders::ActionInput::Dispatch(crate::orders::DispatchBody {
            unit: "cd-jt".into(),
            co_units: Vec::new(),
            note: Some("请按时办理".into()),
            domain: None,
        })
    };
    // 待派单: four calls of the last hours.
    for (i, matter) in [0usize, 2, 5, 9].into_iter().enumerate() {
        queue_order(
            state,
            matter,
            i,
            now - Duration::minutes(40 * (i as i64 + 1)),
        )
        .await?;
    }
    // 待签收: dispatched to the roads bureau this morning, not yet accepted.
    for (matter, slot) in [(2usize, 1usize), (0, 3)] {
        let order = queue_order(state, matter, slot, now - Duration::minutes(90)).await?;
        act(&dispatcher, order.id, dispatch_to_roads()).await?;
    }
    // 退单待审: dispatched this morning; the unit says it is not theirs.
    let returned = queue_order(state, 1, 4, now - Duration::hours(3)).await?;
    act(&dispatcher, returned.id, dispatch_to_roads()).await?;
    let reason = "该路段属于绕城高速管理范围，不属于本单位职责，请改派".to_owned();
    act(
        &handler,
        returned.id,
        crate::orders::ActionInput::Return(crate::orders::ReasonBody { reason }),
    )
    .await?;
    // 延期待批: accepted, the repair needs parts.
    let extended = queue_order(state, 0, 5, now - Duration::hours(26)).await?;
    act(&dispatcher, extended.id, dispatch_to_roads()).await?;
    act(&handler, extended.id, crate::orders::ActionInput::Accept).await?;
    let reason = "需更换整段线缆，材料采购需 5 个工作日".to_owned();
    act(
        &handler,
        extended.id,
        crate::orders::ActionInput::RequestExtension(crate::orders::ExtensionBody {
            days: 5,
            reason,
        }),
    )
    .await?;
    // 已合并: the same streetlight reported twice; the second joins the first.
    let first = queue_order(state, 0, 6, now - Duration::hours(2)).await?;
    let again = queue_order(state, 0, 6, now - Duration::minutes(20)).await?;
    act(
        &dispatcher,
        again.id,
        crate::orders::ActionInput::Merge(crate::orders::MergeBody {
            into: crate::orders::OrderRef::Id(first.id.get()),
        }),
    )
    .await?;
    let _ = operator;
    // 提级办理: a tax matter the city asked the province to handle; the province
    // accepted it and dispatched it to the provincial tax bureau. A second request
    // waits for the province's decision (its 提级待审 queue).
    let province = person("sc-dispatcher").await?;
    let escalate = |reason: &str| {
        crate::orders::ActionInput::EscalateHandling(crate::orders::ReasonBody {
            reason: reason.into(),
        })
    };
    let up = register_matter(
        state,
        TAX_MATTERS[0],
        2,
        now - Duration::hours(5),
        "cd12345",
    )
    .await?;
    act(
        &dispatcher,
        up.id,
        escalate("税务系统垂直管理，退税进度需省税务局核查，申请提级办理"),
    )
    .await?;
    act(
        &province,
        up.id,
        crate::orders::ActionInput::AcceptEscalation(crate::orders::NoteOptBody {
            note: Some("同意提级，由省热线派省税务局办理".into()),
        }),
    )
    .await?;
    act(
        &province,
        up.id,
        crate::orders::ActionInput::Dispatch(crate::orders::DispatchBody {
            unit: "sc-tax".into(),
            co_units: Vec::new(),
            note: Some("请核查退税进度并答复诉求人".into()),
            domain: None,
        }),
    )
    .await?;
    let asked = register_matter(
        state,
        TAX_MATTERS[1],
        3,
        now - Duration::minutes(50),
        "cd12345",
    )
    .await?;
    // The 12315 sub-centre's operator took two consumer complaints: one dispatched to
    // Chengdu's market regulator, one still to dispatch.
    let sub_centre = person("op-12315").await?;
    let consumer = MATTERS[9];
    let taken = register_matter(state, consumer, 4, now - Duration::hours(4), "sc12315").await?;
    act(
        &sub_centre,
        taken.id,
        crate::orders::ActionInput::Dispatch(crate::orders::DispatchBody {
            unit: "cd-scjg".into(),
            co_units: Vec::new(),
            note: Some("12315分中心转办，请依法处理".into()),
            domain: None,
        }),
    )
    .await?;
    register_matter(state, MATTERS[8], 5, now - Duration::minutes(15), "sc12315").await?;
    // 二级派单: the 锦江 district government passed a matter on to its 春熙路 street
    // office, which has replied; the district reviews it before replying itself.
    let (district, street) = (person("jj-handler").await?, person("cxl-handler").await?);
    let passed = queue_order(state, 3, 0, now - Duration::hours(28)).await?;
    act(
        &dispatcher,
        passed.id,
        crate::orders::ActionInput::Dispatch(crate::orders::DispatchBody {
            unit: "cd-jj".into(),
            co_units: Vec::new(),
            note: Some("请区政府组织核处".into()),
            domain: None,
        }),
    )
    .await?;
    act(&district, passed.id, crate::orders::ActionInput::Accept).await?;
    act(
        &district,
        passed.id,
        crate::orders::ActionInput::Forward(crate::orders::ForwardBody {
            unit: "cd-jj-cxl".into(),
            deadline: None,
            note: Some("请街道现场核实处理，并答复区政府".into()),
        }),
    )
    .await?;
    act(
        &street,
        passed.id,
        crate::orders::ActionInput::AcceptForward,
    )
    .await?;
    act(
        &street,
        passed.id,
        crate::orders::ActionInput::ReplyForward(crate::orders::ForwardReplyBody {
            content: "街道已会同社区现场核实，已责令整改，诉求人表示认可".into(),
            resolved: true,
        }),
    )
    .await?;
    act(
        &dispatcher,
        asked.id,
        escalate("属省税务局政策解释事项，申请提级办理"),
    )
    .await?;
    // 即将到期 and 已超期: help requests at the roads bureau, accepted, registered so
    // that their deadline is today, and two working days ago.
    let (rules, calendar) = (state.rules().await?, state.calendar().await?);
    let today = now.with_timezone(&shanghai()).date_naive();
    let limit = rules.limits.help.unwrap_or(7);
    for (slot, due_days_ago) in [(7usize, 0u32), (8, 2)] {
        let day = registration_day_for(&calendar, today, limit, due_days_ago);
        let at = day
            .and_hms_opt(9, 30, 0)
            .and_then(|t| t.and_local_timezone(shanghai()).single())
            .unwrap_or(now);
        let order = queue_order(state, 1, slot, at.min(now - Duration::hours(1))).await?;
        let org = state.org().await?;
        let cast_dispatcher = dispatcher.actor_for(&org, &order);
        let cast_handler = handler.actor_for(&org, &order);
        let mut life = Life::new(order, &rules, &calendar).keeping_each_order();
        let mut plan = Plan {
            stage: 2,
            registered: at,
            now,
        };
        let cast = Cast {
            operator: &cast_dispatcher,
            dispatcher: &cast_dispatcher,
            supervisor: &cast_dispatcher,
            handler: &|_| cast_handler.clone(),
        };
        let lead = UnitCode::parse("cd-jt").expect("valid");
        let _ = life.live(&mut plan, &cast, &lead);
        state
            .store()
            .record_transitions(life.into_changes(), None)
            .await?;
    }
    Ok(())
}

/// The working day on which a request registered has its deadline `due_days_ago`
/// working days before `today` (0: due today).
fn registration_day_for(
    calendar: &Calendar,
    today: chrono::NaiveDate,
    limit: u32,
    due_days_ago: u32,
) -> chrono::NaiveDate {
    let mut day = today;
    for _ in 0..60 {
        day = day.pred_opt().unwrap_or(day);
        let due = calendar.add_workdays(day, limit).value;
        let target = (0..due_days_ago).fold(today, |d, _| previous_workday(calendar, d));
        if due <= target {
            return day;
        }
    }
    day
}

fn previous_workday(calendar: &Calendar, day: chrono::NaiveDate) -> chrono::NaiveDate {
    let mut d = day.pred_opt().unwrap_or(day);
    while !calendar.is_workday(d) {
        d = d.pred_opt().unwrap_or(d);
    }
    d
}

/// A demo order for a queue: matter `matter`, the `slot`th address, registered at `at`
/// by the Chengdu hotline's operator.
async fn queue_order(
    state: &AppState,
    matter: usize,
    slot: usize,
    at: Timestamp,
) -> ApiResult<Order> {
    register_matter(state, MATTERS[matter % MATTERS.len()], slot, at, "cd12345").await
}

/// [`queue_order`] of a matter given whole.
async fn register_matter(
    state: &AppState,
    (domain, kind, _, title, content): (&str, &str, &str, &str, &str),
    slot: usize,
    at: Timestamp,
    hotline: &str,
) -> ApiResult<Order> {
    let address = STREETS[slot % STREETS.len()];
    let regions = state.regions().await?;
    let (region, street) = place_of(&regions, address);
    let intake = Intake {
        channel: Channel::Phone,
        kind: Kind::parse(kind).expect("demo kinds are valid"),
        domain: Some(DomainPath::parse(domain).expect("demo domains are valid")),
        region,
        street,
        title: title.to_owned(),
        content: content.to_owned(),
        address: Some(address.to_owned()),
        location: None,
        urgent: false,
        confidential: false,
        requester: Requester {
            name: Some(format!("{}女士", SURNAMES[slot % SURNAMES.len()])),
            phone: Phone::parse(&format!("139{:08}", 20_000_000 + slot * 7919)).ok(),
            address: None,
            anonymous: false,
            enterprise: None,
        },
    };
    register_at(state, intake, UnitCode::parse(hotline).expect("valid"), at).await
}
