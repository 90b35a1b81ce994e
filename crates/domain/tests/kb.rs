//! The knowledge workflow: who may do what to an article, in which state.

use hotline_domain::kb::*;
use hotline_domain::{Role, UnitCode};

fn now() -> hotline_domain::Timestamp {
    chrono::DateTime::parse_from_rfc3339("2026-11-28T10:00:00+08:00").unwrap()
}

fn actor(roles: &[Role], owning_staff: bool) -> KbActor {
    KbActor {
        username: "someone".into(),
        roles: roles.to_vec(),
        owning_staff,
    }
}

fn content() -> ArticleContent {
    ArticleContent {
        title: "社会保障卡挂失与补办流程".into(),
        question: "社保卡丢了怎么办？".into(),
        answer: "先挂失，再补领。".into(),
        category: "社会保障/社保卡".into(),
        material: Material::Guide,
        issuing_unit: None,
        source: None,
        region: None,
        keywords: vec!["社保卡".into()],
        valid_from: None,
        valid_to: None,
    }
}

fn draft() -> Article {
    Article {
        id: 1,
        hotline: UnitCode::parse("sc-12345").unwrap(),
        status: ArticleStatus::Draft,
        urgent: false,
        pinned: false,
        version: 1,
        content: content(),
        created_by: "editor".into(),
        updated_by: "editor".into(),
        updated_at: now(),
        published_at: None,
        uses: 0,
        helpful: 0,
        not_helpful: 0,
        contribution: None,
    }
}

#[test]
fn editors_write_and_submit_publishers_publish() {
    let editor = actor(&[Role::KnowledgeEditor], true);
    let supervisor = actor(&[Role::Supervisor], true);
    assert_eq!(new_article_status(&editor, false), Ok(ArticleStatus::Draft));
    assert_eq!(new_article_status(&editor, true), Err(KbError::Forbidden));
    assert_eq!(
        new_article_status(&supervisor, true),
        Ok(ArticleStatus::Published)
    );
    assert_eq!(
        new_article_status(&actor(&[Role::Operator], true), false),
        Err(KbError::Forbidden)
    );

    let submitted = kb_apply(&draft(), &KbAction::Submit, &editor, now()).unwrap();
    assert_eq!(
        (submitted.status, submitted.version),
        (ArticleStatus::InReview, 2)
    );
    assert_eq!(
        kb_apply(&submitted, &KbAction::Publish, &editor, now()),
        Err(KbError::Forbidden)
    );
    let published = kb_apply(&submitted, &KbAction::Publish, &supervisor, now()).unwrap();
    assert_eq!(published.status, ArticleStatus::Published);
    assert_eq!(published.published_at, Some(now()));
    assert_eq!(
        kb_apply(&published, &KbAction::Submit, &editor, now()),
        Err(KbError::WrongState("published"))
    );
}

#[test]
fn another_hotline_s_staff_may_do_nothing_and_permission_comes_before_state() {
    let outsider = actor(&[Role::Supervisor, Role::KnowledgeEditor], false);
    let mut published = draft();
    published.status = ArticleStatus::Published;
    for action in [KbAction::Submit, KbAction::Publish, KbAction::Withdraw] {
        assert_eq!(
            kb_apply(&published, &action, &outsider, now()),
            Err(KbError::Forbidden)
        );
    }
}

#[test]
fn an_editor_s_change_to_a_published_article_goes_back_to_review_and_unpins_it() {
    let editor = actor(&[Role::KnowledgeEditor], true);
    let supervisor = actor(&[Role::Supervisor], true);
    let mut a = draft();
    a.status = ArticleStatus::Published;
    a.pinned = true;
    let mut changed = content();
    changed.answer = "携带身份证到合作银行网点补领。".into();
    let by_editor = kb_apply(
        &a,
        &KbAction::Edit(Box::new(changed.clone())),
        &editor,
        now(),
    )
    .unwrap();
    assert_eq!(by_editor.status, ArticleStatus::InReview);
    assert!(!by_editor.pinned);
    assert_eq!(changed.changed_fields(&content()), vec!["answer"]);
    let by_supervisor =
        kb_apply(&a, &KbAction::Edit(Box::new(changed)), &supervisor, now()).unwrap();
    assert_eq!(by_supervisor.status, ArticleStatus::Published);
    assert!(by_supervisor.pinned);
}

#[test]
fn bad_content_is_refused_with_the_field() {
    let editor = actor(&[Role::KnowledgeEditor], true);
    let mut c = content();
    c.category = "社会保障//社保卡".into();
    let err = kb_apply(&draft(), &KbAction::Edit(Box::new(c)), &editor, now()).unwrap_err();
    assert!(matches!(
        err,
        KbError::Invalid(FieldProblem {
            field: "category",
            ..
        })
    ));
    let mut c = content();
    c.valid_from = chrono::NaiveDate::from_ymd_opt(2026, 12, 1);
    c.valid_to = chrono::NaiveDate::from_ymd_opt(2026, 11, 1);
    assert_eq!(c.check().unwrap_err().field, "valid_to");
}

#[test]
fn synonym_lists_parse_and_expand_queries() {
    let s = Synonyms::parse("# 注释\n社保卡 = 社会保障卡\n公积金＝住房公积金\n").unwrap();
    assert_eq!(s.expansions("社保卡丢了"), vec!["社会保障卡"]);
    assert!(
        s.expansions("住房公积金").is_empty(),
        "the longer word already holds the shorter"
    );
    assert!(Synonyms::parse("只有一个词").is_err());
    assert_eq!(Synonyms::parse(&s.to_text()).unwrap(), s);
}
