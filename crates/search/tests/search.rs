//! The knowledge index answers callers' phrasing, within region and validity.

use chrono::NaiveDate;
use hotline_domain::kb::{Article, ArticleContent, ArticleStatus, Material, Synonyms};
use hotline_domain::{RegionCode, UnitCode};
use hotline_search::{KbIndex, SearchQuery};

fn article(id: i64, title: &str, question: &str, answer: &str, region: Option<&str>) -> Article {
    Article {
        id,
        hotline: UnitCode::parse("sc-12345").unwrap(),
        status: ArticleStatus::Published,
        urgent: false,
        pinned: false,
        version: 1,
        content: ArticleContent {
            title: title.into(),
            question: question.into(),
            answer: answer.into(),
            category: "社会保障/社保卡".into(),
            material: Material::Guide,
            issuing_unit: None,
            source: None,
            region: region.map(|r| RegionCode::parse(r).unwrap()),
            keywords: vec![],
            valid_from: None,
            valid_to: None,
        },
        created_by: "editor".into(),
        updated_by: "editor".into(),
        updated_at: chrono::DateTime::parse_from_rfc3339("2026-11-01T09:00:00+08:00").unwrap(),
        published_at: None,
        uses: 0,
        helpful: 0,
        not_helpful: 0,
        contribution: None,
    }
}

fn corpus() -> Vec<Article> {
    vec![
        article(
            1,
            "社会保障卡挂失与补办流程",
            "社会保障卡遗失后如何挂失和补领？",
            "持卡人可通过电话、网上经办平台或到合作银行网点办理临时挂失；正式挂失后携带居民身份证到社保经办机构或合作银行网点申请补领，一般7个工作日内可领取新卡。",
            None,
        ),
        article(
            2,
            "住房公积金提取条件",
            "哪些情况可以提取住房公积金？",
            "购买、建造、翻建、大修自住住房，偿还购房贷款本息，租房自住等情形可以申请提取。",
            None,
        ),
        article(
            3,
            "夜间施工噪声投诉受理",
            "晚上工地施工太吵怎么办？",
            "夜间（22时至次日6时）禁止产生环境噪声污染的建筑施工作业，因特殊需要必须连续作业的须取得证明并公告附近居民。",
            Some("510100"),
        ),
        article(
            4,
            "绵阳市居民医保参保缴费",
            "绵阳城乡居民医保怎么交？",
            "城乡居民基本医疗保险按年度缴费，可通过银行、微信、税务App缴纳。",
            Some("510700"),
        ),
    ]
}

fn search(index: &KbIndex, text: &str, region: Option<&str>) -> Vec<i64> {
    let region = region.map(|r| RegionCode::parse(r).unwrap());
    let synonyms = Synonyms::seed();
    index
        .search(&SearchQuery {
            text,
            region: region.as_ref(),
            day: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
            limit: 3,
            synonyms: &synonyms,
        })
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect()
}

#[test]
fn a_caller_s_phrasing_finds_the_article_through_segmentation_and_synonyms() {
    let index = KbIndex::in_memory().unwrap();
    index.rebuild(&corpus(), 7).unwrap();
    assert_eq!(index.synced_seq(), 7);
    assert_eq!(
        search(&index, "社保卡丢了怎么补办", Some("510104")).first(),
        Some(&1)
    );
    assert_eq!(search(&index, "公积金能取出来吗", None).first(), Some(&2));
    let hits = index
        .search(&SearchQuery {
            text: "社保卡丢了怎么补办",
            region: None,
            day: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
            limit: 1,
            synonyms: &Synonyms::seed(),
        })
        .unwrap();
    assert!(hits[0].snippet.contains("<mark>"), "{}", hits[0].snippet);
}

#[test]
fn regional_articles_stay_in_their_region_and_expired_ones_leave() {
    let index = KbIndex::in_memory().unwrap();
    let mut articles = corpus();
    articles[1].content.valid_to = NaiveDate::from_ymd_opt(2026, 11, 27);
    index.rebuild(&articles, 1).unwrap();
    assert_eq!(
        search(&index, "工地夜间施工噪声", Some("510104")).first(),
        Some(&3),
        "Chengdu article for a Jinjiang caller"
    );
    assert!(
        !search(&index, "工地夜间施工噪声", Some("510703")).contains(&3),
        "not for Mianyang"
    );
    assert!(
        !search(&index, "医保缴费", Some("510104")).contains(&4),
        "a Mianyang article is not for Chengdu"
    );
    assert!(
        search(&index, "医保缴费", Some("510000")).contains(&4),
        "the province sees every region"
    );
    assert!(
        search(&index, "住房公积金提取", None).is_empty(),
        "expired yesterday"
    );
}

#[test]
fn only_published_articles_are_indexed_and_updates_replace() {
    let index = KbIndex::in_memory().unwrap();
    let mut articles = corpus();
    articles[0].status = ArticleStatus::Draft;
    index.rebuild(&articles, 1).unwrap();
    assert!(!search(&index, "社会保障卡挂失", None).contains(&1));
    articles[0].status = ArticleStatus::Published;
    index.apply(&articles[0..1], 2).unwrap();
    assert_eq!(search(&index, "社会保障卡挂失", None).first(), Some(&1));
    articles[0].status = ArticleStatus::Withdrawn;
    index.apply(&articles[0..1], 3).unwrap();
    assert!(!search(&index, "社会保障卡挂失", None).contains(&1));
    assert_eq!(index.synced_seq(), 3);
    assert_eq!(index.len(), 3);
}

#[test]
fn an_index_on_disk_remembers_how_far_it_has_caught_up() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = KbIndex::open(dir.path()).unwrap();
        index.rebuild(&corpus(), 42).unwrap();
    }
    let index = KbIndex::open(dir.path()).unwrap();
    assert_eq!(index.synced_seq(), 42);
    assert_eq!(index.len(), 4);
}

#[test]
fn snippets_escape_the_article_text() {
    let index = KbIndex::in_memory().unwrap();
    let a = article(
        9,
        "标签测试",
        "问题",
        "<script>alert(1)</script> 社保卡 补办",
        None,
    );
    index.rebuild(&[a], 1).unwrap();
    let hits = index
        .search(&SearchQuery {
            text: "社保卡补办",
            region: None,
            day: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
            limit: 1,
            synonyms: &Synonyms::default(),
        })
        .unwrap();
    assert!(!hits[0].snippet.contains("<script>") && hits[0].snippet.contains("&lt;script&gt;"));
}
