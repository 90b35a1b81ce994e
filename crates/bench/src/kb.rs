//! `hotline bench kb`: Chinese knowledge search at scale, against SQLite FTS5 with its
//! trigram tokenizer (the built-in alternative) on the same articles and queries.
//!
//! The corpus is generated, deterministically, from a vocabulary of hotline topics:
//! each article is one combination of a **service** (社会保障卡, 住房公积金, …, each
//! with the words callers use for it: 社保卡, 公积金 …), an **action** on it (挂失补办,
//! 提取, 缴费 …, with callers' words: 丢了, 取出来, 交钱 …), a **place** (a district of
//! Sichuan and one of its service centres) and a **group** of people it is for (退休人员,
//! 灵活就业人员 …, with callers' words: 退休了, 打零工的 …). Its answer script (200–800
//! characters) is built from policy phrases that name those four facets. A query is
//! derived from one article the way a caller would say it: colloquial words for the
//! service, the action and the group, the district, and a question particle; it knows
//! the article it came from, and a search scores when that article is in its top 3.

use hotline_domain::kb::{Article, ArticleContent, ArticleStatus, Material, Synonyms};
use hotline_domain::{RegionCode, UnitCode};
use hotline_search::{KbIndex, SearchQuery};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::time::{Duration, Instant};

use crate::{Scratch, percentile_ms};

/// (formal name, callers' words)
const SERVICES: &[(&str, &[&str])] = &[
    ("社会保障卡", &["社保卡"]),
    ("住房公积金", &["公积金"]),
    ("居民身份证", &["身份证"]),
    ("机动车驾驶证", &["驾照", "驾驶证"]),
    ("基本医疗保险", &["医保"]),
    ("基本养老金", &["养老金", "退休金"]),
    ("营业执照", &["执照"]),
    ("不动产权证书", &["房产证"]),
    ("户籍登记", &["户口"]),
    ("最低生活保障", &["低保"]),
    ("失业保险金", &["失业金"]),
    ("居住证", &["居住证"]),
    ("出生医学证明", &["出生证"]),
    ("新生儿参保", &["小孩医保"]),
    ("个人所得税汇算", &["个税退税"]),
    ("电动自行车登记", &["电瓶车上牌"]),
    ("公共租赁住房", &["公租房"]),
    ("义务教育入学", &["小孩上学"]),
    ("残疾人证", &["残疾证"]),
    ("老年人优待证", &["老年证"]),
    ("燃气开户", &["天然气开户"]),
    ("供水报装", &["水表安装"]),
    ("城乡居民养老保险", &["农村养老保险"]),
    ("工伤认定", &["工伤"]),
    ("劳动合同备案", &["劳动合同"]),
];

/// (formal name, callers' words)
const ACTIONS: &[(&str, &[&str])] = &[
    ("挂失与补办", &["丢了怎么补", "弄丢了"]),
    ("首次申领", &["第一次办", "怎么申请"]),
    ("信息变更", &["信息错了怎么改", "改名字"]),
    ("异地转移", &["转到外地", "换城市了怎么转"]),
    ("待遇领取", &["怎么领钱", "钱怎么领"]),
    ("费用缴纳", &["怎么交钱", "在哪交费"]),
    ("到期续办", &["过期了", "到期了怎么办"]),
    ("进度查询", &["办到哪一步了", "怎么查进度"]),
    ("注销办理", &["不要了怎么注销", "怎么销户"]),
    ("线上办理", &["手机上能办吗", "网上怎么弄"]),
];

/// (formal name, callers' words)
const GROUPS: &[(&str, &str)] = &[
    ("退休人员", "我退休了"),
    ("灵活就业人员", "我是打零工的"),
    ("外地户籍人员", "我户口在外地"),
    ("在校学生", "我还是学生"),
    ("残疾人", "家里有残疾人"),
    ("六十岁以上老年人", "家里老人七十多了"),
    ("现役军人家属", "我是军属"),
    ("新就业大学生", "刚毕业参加工作"),
    ("个体工商户", "我是开小店的"),
    ("进城务工人员", "我在城里打工"),
];

/// (district, region code, service centre)
const PLACES: &[(&str, &str, &str)] = &[
    ("锦江区", "510104", "春熙路"),
    ("青羊区", "510105", "少城"),
    ("金牛区", "510106", "驷马桥"),
    ("武侯区", "510107", "玉林"),
    ("成华区", "510108", "猛追湾"),
    ("龙泉驿区", "510112", "龙泉"),
    ("新都区", "510114", "新都"),
    ("温江区", "510115", "柳城"),
    ("双流区", "510116", "东升"),
    ("郫都区", "510117", "郫筒"),
    ("涪城区", "510703", "城厢"),
    ("游仙区", "510704", "富乐"),
    ("安州区", "510705", "花荄"),
    ("旌阳区", "510603", "旌阳"),
    ("顺庆区", "511302", "中城"),
    ("翠屏区", "511502", "合江门"),
    ("东坡区", "511402", "通惠"),
    ("雁江区", "512002", "资溪"),
    ("市中区", "511102", "嘉定"),
    ("船山区", "510903", "南津"),
    ("都江堰市", "510181", "灌口"),
    ("彭州市", "510182", "天彭"),
    ("邛崃市", "510183", "临邛"),
    ("崇州市", "510184", "崇阳"),
    ("简阳市", "510185", "简城"),
    ("金堂县", "510121", "赵镇"),
    ("大邑县", "510129", "晋原"),
    ("蒲江县", "510131", "鹤山"),
    ("新津区", "510118", "五津"),
    ("青白江区", "510113", "大弯"),
    ("江油市", "510781", "中坝"),
    ("三台县", "510722", "潼川"),
    ("盐亭县", "510723", "云溪"),
    ("梓潼县", "510725", "文昌"),
    ("北川羌族自治县", "510726", "永昌"),
    ("平武县", "510727", "龙安"),
    ("广汉市", "510681", "雒城"),
    ("什邡市", "510682", "方亭"),
    ("绵竹市", "510683", "剑南"),
    ("罗江区", "510604", "万安"),
];

const OPENINGS: &[&str] = &[
    "您好，关于{p}{g}办理{s}{a}的问题，现答复如下。",
    "您好，感谢您的来电。{p}{g}{s}{a}可按以下方式办理。",
    "您好，根据相关规定，{g}申请{s}{a}应当符合以下要求。",
];

const BODY: &[&str] = &[
    "申请人可携带本人有效身份证件到{p}{c}便民服务中心综合窗口办理，工作人员当场受理并出具受理回执。",
    "也可登录“天府通办”App或四川政务服务网，在“{s}”专区选择“{a}”事项，按提示上传材料后在线提交。",
    "{g}办理时还需提供相关证明材料，材料齐全且符合法定形式的，一般在5个工作日内办结。",
    "办理过程中如有疑问，可拨打12345政务服务便民热线咨询，或向{p}相关主管部门反映。",
    "根据《四川省政务服务管理办法》的规定，对符合条件的申请应当即时受理，不得要求申请人重复提交材料。",
    "办理结果可通过短信、App消息或现场领取等方式获取，逾期未领取的将按规定妥善保管。",
    "委托他人代办的，应当提交委托书及双方身份证件原件，代办人应对所提交材料的真实性负责。",
    "该事项不收取任何费用，任何单位和个人不得以任何名义收取额外费用，如发现违规收费可依法投诉。",
    "{c}便民服务中心工作时间为法定工作日上午9:00至12:00、下午13:30至17:30，节假日期间另行安排。",
    "对办理结果不服的，可以依法申请行政复议或者提起行政诉讼。",
];

const ENDINGS: &[&str] = &["吗", "呢", "怎么办", "要带什么", "去哪里办"];

/// One generated article and the facets it was built from.
struct Facets {
    service: usize,
    action: usize,
    group: usize,
    place: usize,
}

fn fill(template: &str, f: &Facets) -> String {
    template
        .replace("{s}", SERVICES[f.service].0)
        .replace("{a}", ACTIONS[f.action].0)
        .replace("{g}", GROUPS[f.group].0)
        .replace("{p}", PLACES[f.place].0)
        .replace("{c}", PLACES[f.place].2)
}

fn facets_of(i: usize) -> Facets {
    // A mixed-radix walk through every combination: 25 services × 10 actions × 10
    // groups × 40 places = 100,000 distinct articles before any combination repeats.
    let (s, rest) = (i % SERVICES.len(), i / SERVICES.len());
    let (a, rest) = (rest % ACTIONS.len(), rest / ACTIONS.len());
    let (g, rest) = (rest % GROUPS.len(), rest / GROUPS.len());
    let p = rest % PLACES.len();
    Facets {
        service: s,
        action: a,
        group: g,
        place: p,
    }
}

fn generate_article(i: usize, rng: &mut StdRng) -> Article {
    let f = facets_of(i);
    let variant = i / (SERVICES.len() * ACTIONS.len() * GROUPS.len() * PLACES.len());
    let mut answer = fill(OPENINGS[rng.random_range(0..OPENINGS.len())], &f);
    let target = rng.random_range(200..=800);
    while answer.chars().count() < target {
        answer.push_str(&fill(BODY[rng.random_range(0..BODY.len())], &f));
    }
    let answer: String = answer.chars().take(target).collect();
    let p = PLACES[f.place];
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-01T09:00:00+08:00").expect("fixed");
    Article {
        id: i as i64 + 1,
        hotline: UnitCode::parse("sc12345").expect("fixed"),
        status: ArticleStatus::Published,
        urgent: false,
        pinned: false,
        version: 1,
        content: ArticleContent {
            title: format!(
                "{}{}{}{}（{}）",
                p.0,
                GROUPS[f.group].0,
                SERVICES[f.service].0,
                ACTIONS[f.action].0,
                variant + 1
            ),
            question: format!(
                "{}的{}如何在{}办理{}？",
                GROUPS[f.group].0, SERVICES[f.service].0, p.0, ACTIONS[f.action].0
            ),
            answer,
            category: format!("政务服务/{}", SERVICES[f.service].0),
            material: Material::Guide,
            issuing_unit: None,
            source: None,
            region: Some(RegionCode::parse(p.1).expect("fixed")),
            keywords: vec![
                SERVICES[f.service].0.to_owned(),
                ACTIONS[f.action].0.to_owned(),
            ],
            valid_from: None,
            valid_to: None,
        },
        created_by: "bench".into(),
        updated_by: "bench".into(),
        updated_at: now,
        published_at: Some(now),
        uses: 0,
        helpful: 0,
        not_helpful: 0,
        contribution: None,
    }
}

/// A caller's question about article `i`, in the caller's words.
fn generate_query(i: usize, rng: &mut StdRng) -> String {
    let f = facets_of(i);
    let pick = |words: &[&'static str], rng: &mut StdRng| words[rng.random_range(0..words.len())];
    let service = pick(SERVICES[f.service].1, rng);
    let action = pick(ACTIONS[f.action].1, rng);
    let ending = pick(ENDINGS, rng);
    format!(
        "{}，住在{}，{}{}{}",
        GROUPS[f.group].1, PLACES[f.place].0, service, action, ending
    )
}

/// What a knowledge editor would add to the synonym list after listening to callers:
/// their everyday words beside the words of the articles (word for word, not the
/// generator's phrases).
const EDITOR_SYNONYMS: &str = "
交钱 = 缴纳 = 缴费
领钱 = 领取
改 = 变更
转 = 转移
进度 = 查询
销户 = 注销
第一次 = 首次
申请 = 申领
哪一步 = 进度
补 = 补办
过期 = 到期 = 续办
手机 = 网上 = 线上
打零工 = 灵活就业
开小店 = 个体工商户
打工 = 务工
老人 = 老年人
军属 = 军人家属
毕业 = 大学生
";

/// The synonyms an installation would keep for this vocabulary: the shipped list,
/// the editor's additions, and each service's formal name with the callers' words.
fn bench_synonyms() -> Synonyms {
    let mut s = Synonyms::seed();
    s.groups.extend(
        Synonyms::parse(EDITOR_SYNONYMS)
            .expect("the list parses")
            .groups,
    );
    for (formal, said) in SERVICES {
        let mut group = vec![(*formal).to_owned()];
        group.extend(said.iter().map(|w| (*w).to_owned()).filter(|w| w != formal));
        if group.len() > 1 {
            s.groups.push(group);
        }
    }
    s
}

#[derive(Serialize)]
struct KbFigures {
    articles: usize,
    build_s: f64,
    index_mb: f64,
    p50_ms: f64,
    p99_ms: f64,
    top3: f64,
    fts5_build_s: f64,
    fts5_index_mb: f64,
    fts5_p50_ms: f64,
    fts5_p99_ms: f64,
    fts5_top3: f64,
}

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        dir_size(&p)
                    } else {
                        e.metadata().map(|m| m.len()).unwrap_or(0)
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

struct Run {
    build: Duration,
    bytes: u64,
    latencies: Vec<Duration>,
    top3: f64,
}

fn run_tantivy(
    dir: &std::path::Path,
    articles: &[Article],
    queries: &[(usize, String)],
) -> Result<Run, String> {
    let err = |e: hotline_search::SearchError| e.to_string();
    let index = KbIndex::open(&dir.join("tantivy")).map_err(err)?;
    let started = Instant::now();
    index.rebuild(articles, 1).map_err(err)?;
    let build = started.elapsed();
    let synonyms = bench_synonyms();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).expect("fixed");
    let mut latencies = Vec::with_capacity(queries.len());
    let mut found = 0;
    for (source, text) in queries {
        let t = Instant::now();
        let hits = index
            .search(&SearchQuery {
                text,
                region: None,
                day,
                limit: 3,
                synonyms: &synonyms,
            })
            .map_err(err)?;
        latencies.push(t.elapsed());
        if hits.iter().any(|h| h.id == *source as i64 + 1) {
            found += 1;
        }
    }
    latencies.sort();
    Ok(Run {
        build,
        bytes: dir_size(&dir.join("tantivy")),
        latencies,
        top3: found as f64 / queries.len() as f64,
    })
}

/// FTS5's trigram tokenizer matches substrings of three or more characters; a
/// caller's question, with the same synonym expansion the tantivy side gets, is turned
/// into the OR of its three-character windows (without punctuation), ranked by bm25
/// with the same field weights.
fn fts5_query(text: &str, synonyms: &Synonyms) -> String {
    let mut expanded = text.to_owned();
    for extra in synonyms.expansions(text) {
        expanded.push(' ');
        expanded.push_str(extra);
    }
    let chars: Vec<char> = expanded.chars().filter(|c| c.is_alphanumeric()).collect();
    let mut grams: Vec<String> = chars.windows(3).map(|w| w.iter().collect()).collect();
    grams.dedup();
    grams
        .iter()
        .map(|g| format!("\"{g}\""))
        .collect::<Vec<_>>()
        .join(" OR ")
}

fn run_fts5(
    dir: &std::path::Path,
    articles: &[Article],
    queries: &[(usize, String)],
) -> Result<Run, String> {
    let err = |e: rusqlite::Error| e.to_string();
    let path = dir.join("fts5.db");
    let conn = rusqlite::Connection::open(&path).map_err(err)?;
    conn.execute_batch(
        "CREATE VIRTUAL TABLE kb USING fts5(title, keywords, question, answer, tokenize = 'trigram');",
    )
    .map_err(err)?;
    let started = Instant::now();
    conn.execute_batch("BEGIN").map_err(err)?;
    {
        let mut insert = conn
            .prepare(
                "INSERT INTO kb (rowid, title, keywords, question, answer) VALUES (?, ?, ?, ?, ?)",
            )
            .map_err(err)?;
        for a in articles {
            let c = &a.content;
            insert
                .execute(rusqlite::params![
                    a.id,
                    c.title,
                    c.keywords.join(" "),
                    c.question,
                    c.answer
                ])
                .map_err(err)?;
        }
    }
    conn.execute_batch("COMMIT; INSERT INTO kb(kb) VALUES('optimize');")
        .map_err(err)?;
    let build = started.elapsed();
    let mut search = conn
        .prepare(
            "SELECT rowid FROM kb WHERE kb MATCH ? ORDER BY bm25(kb, 3.0, 2.5, 1.5, 1.0) LIMIT 3",
        )
        .map_err(err)?;
    let synonyms = bench_synonyms();
    let mut latencies = Vec::with_capacity(queries.len());
    let mut found = 0;
    for (source, text) in queries {
        let t = Instant::now();
        let ids: Vec<i64> = search
            .query_map([fts5_query(text, &synonyms)], |r| r.get(0))
            .map_err(err)?
            .collect::<Result<_, _>>()
            .map_err(err)?;
        latencies.push(t.elapsed());
        if ids.contains(&(*source as i64 + 1)) {
            found += 1;
        }
    }
    latencies.sort();
    drop(search);
    drop(conn);
    Ok(Run {
        build,
        bytes: std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
        latencies,
        top3: found as f64 / queries.len() as f64,
    })
}

/// Runs the benchmark on `articles` generated articles and `queries` questions
/// (blocking: it builds indexes and searches on this thread).
pub fn run(json: bool, articles: usize, queries: usize) -> Result<(), String> {
    let mut rng = StdRng::seed_from_u64(12345);
    println!("bench kb: generating {articles} articles and {queries} callers' questions …");
    let corpus: Vec<Article> = (0..articles)
        .map(|i| generate_article(i, &mut rng))
        .collect();
    let asked: Vec<(usize, String)> = (0..queries)
        .map(|_| {
            let source = rng.random_range(0..articles);
            (source, generate_query(source, &mut rng))
        })
        .collect();
    let (t, f) = {
        let dir = Scratch::new("kb")?;
        let t = run_tantivy(dir.path(), &corpus, &asked)?;
        let f = run_fts5(dir.path(), &corpus, &asked)?;
        (t, f)
    };
    let mb = |b: u64| b as f64 / 1_048_576.0;
    let figures = KbFigures {
        articles,
        build_s: t.build.as_secs_f64(),
        index_mb: mb(t.bytes),
        p50_ms: percentile_ms(&t.latencies, 0.50),
        p99_ms: percentile_ms(&t.latencies, 0.99),
        top3: t.top3,
        fts5_build_s: f.build.as_secs_f64(),
        fts5_index_mb: mb(f.bytes),
        fts5_p50_ms: percentile_ms(&f.latencies, 0.50),
        fts5_p99_ms: percentile_ms(&f.latencies, 0.99),
        fts5_top3: f.top3,
    };
    println!(
        "  tantivy + jieba + synonyms: build {:6.1} s  index {:7.1} MB  p50 {:6.2} ms  p99 {:6.2} ms  top-3 {:5.1} %",
        figures.build_s,
        figures.index_mb,
        figures.p50_ms,
        figures.p99_ms,
        figures.top3 * 100.0
    );
    println!(
        "  SQLite FTS5 trigram:        build {:6.1} s  index {:7.1} MB  p50 {:6.2} ms  p99 {:6.2} ms  top-3 {:5.1} %",
        figures.fts5_build_s,
        figures.fts5_index_mb,
        figures.fts5_p50_ms,
        figures.fts5_p99_ms,
        figures.fts5_top3 * 100.0
    );
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    println!(
        "  ratios (tantivy / FTS5): p99 {:.2}  top-3 {:.2}",
        ratio(figures.p99_ms, figures.fts5_p99_ms),
        ratio(figures.top3, figures.fts5_top3)
    );
    if json {
        println!(
            "{}",
            serde_json::to_string(&figures).map_err(|e| e.to_string())?
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_are_distinct_and_within_length_and_queries_use_callers_words() {
        let mut rng = StdRng::seed_from_u64(1);
        let titles: std::collections::HashSet<String> = (0..5000)
            .map(|i| generate_article(i, &mut rng).content.title)
            .collect();
        assert_eq!(titles.len(), 5000);
        let a = generate_article(0, &mut rng);
        let n = a.content.answer.chars().count();
        assert!((200..=800).contains(&n), "{n}");
        let q = generate_query(0, &mut rng);
        assert!(q.contains("社保卡") && !q.contains("社会保障卡"), "{q}");
    }
}
