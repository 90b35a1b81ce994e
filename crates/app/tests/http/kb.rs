//! The knowledge base over HTTP: workflow, versions, Chinese search within region and
//! validity, urgent scripts, citations from direct answers. SQLite and PostgreSQL.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::{Value, json};

fn social_card() -> Value {
    json!({
        "title": "社会保障卡挂失与补办流程",
        "question": "社会保障卡遗失后如何挂失和补领？",
        "answer": "持卡人可拨打服务电话或到合作银行网点办理临时挂失；正式挂失后携带居民身份证到社保经办机构申请补领，一般7个工作日内可领取新卡。",
        "category": "社会保障/社保卡",
        "material": "guide",
        "issuing_unit": "成都市人力资源和社会保障局",
        "region": "510100",
        "keywords": ["社会保障卡", "挂失", "补领"],
        "source": {"title": "社会保障卡管理办法", "number": "人社部发〔2011〕47号"}
    })
}

async fn hits(app: &TestApp, user: &str, q: &str) -> Vec<i64> {
    let path = format!("/api/v1/kb/search?q={}", urlencode(q));
    let r = app.as_user(user, "GET", &path, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_i64().unwrap())
        .collect()
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

on_both_backends!(
    a_draft_is_found_only_once_published_and_by_a_caller_s_phrasing,
    |app: TestApp| async move {
        let r = app
            .as_user("editor", "POST", "/api/v1/kb/articles", Some(social_card()))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.body["status"], "draft");
        let id = r.body["id"].as_i64().unwrap();
        assert!(
            hits(&app, "operator", "社保卡丢了怎么补办")
                .await
                .is_empty(),
            "drafts never appear"
        );

        let path = format!("/api/v1/kb/articles/{id}");
        let denied = app
            .as_user("editor", "POST", &format!("{path}/publish"), None)
            .await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN);
        let r = app
            .as_user("editor", "POST", &format!("{path}/submit"), None)
            .await;
        assert_eq!(r.body["status"], "in_review");
        let r = app
            .as_user("supervisor", "POST", &format!("{path}/publish"), None)
            .await;
        assert_eq!(r.body["status"], "published", "{}", r.text);
        let again = app
            .as_user("supervisor", "POST", &format!("{path}/publish"), None)
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT);

        assert_eq!(hits(&app, "operator", "社保卡丢了怎么补办").await, vec![id]);
        let r = app
            .as_user(
                "operator",
                "GET",
                &format!("/api/v1/kb/search?q={}", urlencode("社保卡丢了")),
                None,
            )
            .await;
        assert!(
            r.body["hits"][0]["snippet"]
                .as_str()
                .unwrap()
                .contains("<mark>")
        );
        assert!(
            hits(&app, "mydispatcher", "社保卡丢了怎么补办")
                .await
                .is_empty(),
            "a Chengdu article is not for Mianyang"
        );
        assert_eq!(
            app.as_user("mydispatcher", "GET", &path, None).await.status,
            StatusCode::NOT_FOUND
        );
        let audit = app
            .as_user("admin", "GET", "/api/v1/audit?action=kb.published", None)
            .await;
        assert_eq!(audit.body["items"].as_array().unwrap().len(), 1);
    }
);

on_both_backends!(
    editing_keeps_the_old_version_readable_and_restorable,
    |app: TestApp| async move {
        let r = app
            .as_user(
                "supervisor",
                "POST",
                "/api/v1/kb/articles",
                Some(social_card()),
            )
            .await;
        let id = r.body["id"].as_i64().unwrap();
        let path = format!("/api/v1/kb/articles/{id}");
        app.as_user("supervisor", "POST", &format!("{path}/publish"), None)
            .await;
        let mut changed = social_card();
        changed["answer"] = json!("补领新卡可在“天府通办”App上申请，邮寄到家。");
        let r = app.as_user("editor", "PUT", &path, Some(changed)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            r.body["status"], "in_review",
            "an editor's change goes back to review"
        );
        let versions = app
            .as_user("operator", "GET", &format!("{path}/versions"), None)
            .await;
        assert_eq!(
            versions.status,
            StatusCode::NOT_FOUND,
            "not published now: operators cannot read it"
        );
        let versions = app
            .as_user("editor", "GET", &format!("{path}/versions"), None)
            .await;
        let items = versions.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 3);
        assert!(
            items[0]["content"]["answer"]
                .as_str()
                .unwrap()
                .contains("合作银行网点")
        );
        assert_eq!(items[2]["fields"], json!(["answer"]));
        let r = app
            .as_user(
                "editor",
                "POST",
                &format!("{path}/restore"),
                Some(json!({"version": 1})),
            )
            .await;
        assert!(
            r.body["answer"].as_str().unwrap().contains("合作银行网点"),
            "{}",
            r.text
        );
        assert_eq!(r.body["version"], 4);
        let bad = app
            .as_user(
                "editor",
                "PUT",
                &path,
                Some(json!({"title": "", "question": "q", "answer": "a", "category": "x"})),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let now = app.as_user("editor", "GET", &path, None).await;
        assert_eq!(now.body["version"], 4, "a refused edit changes nothing");
    }
);

on_both_backends!(
    an_urgent_script_is_pinned_for_its_region_only,
    |app: TestApp| async move {
        let mut script = social_card();
        script["title"] = json!("关于暴雨天气地铁停运的答复口径");
        script["category"] = json!("突发事件/暴雨");
        script["urgent"] = json!(true);
        let denied = app
            .as_user(
                "editor",
                "POST",
                "/api/v1/kb/articles",
                Some(script.clone()),
            )
            .await;
        assert_eq!(
            denied.status,
            StatusCode::FORBIDDEN,
            "editors have no urgent path"
        );
        let r = app
            .as_user("supervisor", "POST", "/api/v1/kb/articles", Some(script))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(
            (r.body["status"].as_str(), r.body["pinned"].as_bool()),
            (Some("published"), Some(true))
        );
        let id = r.body["id"].as_i64().unwrap();
        let pinned = app
            .as_user("operator", "GET", "/api/v1/kb/pinned", None)
            .await;
        assert_eq!(pinned.body["items"][0]["id"], id);
        let elsewhere = app
            .as_user("mydispatcher", "GET", "/api/v1/kb/pinned", None)
            .await;
        assert!(elsewhere.body["items"].as_array().unwrap().is_empty());
        let audit = app
            .as_user(
                "admin",
                "GET",
                "/api/v1/audit?action=kb.urgent_publish",
                None,
            )
            .await;
        assert_eq!(audit.body["items"].as_array().unwrap().len(), 1);
        app.as_user(
            "supervisor",
            "POST",
            &format!("/api/v1/kb/articles/{id}/unpin"),
            None,
        )
        .await;
        let pinned = app
            .as_user("operator", "GET", "/api/v1/kb/pinned", None)
            .await;
        assert!(pinned.body["items"].as_array().unwrap().is_empty());
    }
);

on_both_backends!(
    expired_articles_leave_search_and_citations_count,
    |app: TestApp| async move {
        app.set_time("2026-11-28T10:00:00+08:00");
        let mut a = social_card();
        a["valid_to"] = json!("2026-11-30");
        let r = app
            .as_user("supervisor", "POST", "/api/v1/kb/articles", Some(a))
            .await;
        let id = r.body["id"].as_i64().unwrap();
        app.as_user(
            "supervisor",
            "POST",
            &format!("/api/v1/kb/articles/{id}/publish"),
            None,
        )
        .await;

        let order = app
            .create("operator", order_body("consultation"))
            .await
            .body["id"]
            .as_i64()
            .unwrap();
        let events = app.event_count(order).await;
        let draft = app
            .as_user(
                "editor",
                "POST",
                "/api/v1/kb/articles",
                Some(json!({
                    "title": "草稿", "question": "问", "answer": "答", "category": "其他"
                })),
            )
            .await
            .body["id"]
            .as_i64()
            .unwrap();
        let r = app
            .act(
                "operator",
                order,
                "answer",
                json!({"content": "请到银行网点挂失补领。", "article_id": draft}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(
            app.event_count(order).await,
            events,
            "a refused answer adds nothing"
        );
        let r = app
            .act(
                "operator",
                order,
                "answer",
                json!({"content": "请到银行网点挂失补领。", "article_id": id}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let feedback = app
            .as_user(
                "operator",
                "POST",
                &format!("/api/v1/kb/articles/{id}/feedback"),
                Some(json!({"helpful": true})),
            )
            .await;
        assert_eq!(feedback.status, StatusCode::NO_CONTENT);
        let counted = app
            .as_user(
                "supervisor",
                "GET",
                &format!("/api/v1/kb/articles/{id}"),
                None,
            )
            .await;
        assert_eq!(
            (
                counted.body["uses"].as_u64(),
                counted.body["helpful"].as_u64()
            ),
            (Some(1), Some(1))
        );

        app.set_time("2026-12-01T09:00:00+08:00");
        assert!(
            hits(&app, "operator", "社保卡补办").await.is_empty(),
            "past valid_to"
        );
        assert_eq!(hotline_app::kb::expire_due(&app.state).await.unwrap(), 1);
        let r = app
            .as_user(
                "supervisor",
                "GET",
                &format!("/api/v1/kb/articles/{id}"),
                None,
            )
            .await;
        assert_eq!(r.body["status"], "expired");
    }
);

#[tokio::test]
async fn the_administrator_edits_synonyms_and_search_follows() {
    let app = TestApp::sqlite().await;
    let r = app
        .as_user(
            "supervisor",
            "POST",
            "/api/v1/kb/articles",
            Some(social_card()),
        )
        .await;
    let id = r.body["id"].as_i64().unwrap();
    app.as_user(
        "supervisor",
        "POST",
        &format!("/api/v1/kb/articles/{id}/publish"),
        None,
    )
    .await;
    assert_eq!(hits(&app, "operator", "遗落").await, Vec::<i64>::new());
    let denied = app
        .as_user(
            "supervisor",
            "PUT",
            "/api/v1/kb/synonyms",
            Some(json!({"text": "遗落 = 遗失"})),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let bad = app
        .as_user(
            "admin",
            "PUT",
            "/api/v1/kb/synonyms",
            Some(json!({"text": "只有一个词"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = app
        .as_user(
            "admin",
            "PUT",
            "/api/v1/kb/synonyms",
            Some(json!({"text": "遗落 = 遗失"})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(hits(&app, "operator", "遗落").await, vec![id]);
}

#[tokio::test]
async fn an_index_rebuilt_from_the_database_holds_the_same_articles() {
    let app = TestApp::sqlite().await;
    let r = app
        .as_user(
            "supervisor",
            "POST",
            "/api/v1/kb/articles",
            Some(social_card()),
        )
        .await;
    let id = r.body["id"].as_i64().unwrap();
    app.as_user(
        "supervisor",
        "POST",
        &format!("/api/v1/kb/articles/{id}/publish"),
        None,
    )
    .await;
    let seq = app.state.kb().reindex(&app.state).await.unwrap();
    assert_eq!(seq, app.state.kb().index().synced_seq());
    assert_eq!(app.state.kb().index().len(), 1);
    assert_eq!(hits(&app, "operator", "社保卡补办").await, vec![id]);
}

const GOOD_ROW: &str = "社会保障卡挂失,社保卡丢了怎么办？,先挂失再补领。,社会保障/社保卡,办事指南,510100,社保卡、挂失,2026-01-01";

fn csv_file(rows: &[&str]) -> Vec<u8> {
    let mut s = String::from("标题,问题,答复口径,分类,资料类型,适用区划,关键词,生效日期\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s.into_bytes()
}

#[tokio::test]
async fn an_import_file_with_two_bad_rows_reports_exactly_those_rows_and_stores_nothing() {
    let app = TestApp::sqlite().await;
    let token = app.token("editor").await;
    let file = csv_file(&[
        GOOD_ROW,
        "医保缴费,医保怎么交？,每年9月至12月缴纳。,社会保障/医疗保险,日常咨询,5101,医保,2026-01-01",
        "公积金提取,公积金怎么取？,符合条件可提取。,住房/公积金,热点问答,,公积金,",
        "驾照换证,驾照到期怎么换？,到期前90日内申请。,交通/驾驶证,办事指南,,驾照,2026-13-01",
    ]);
    let r = app
        .send_bytes(
            "POST",
            "/api/v1/kb/import?format=csv",
            Some(&token),
            file.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let fields = r.body["error"]["fields"].as_object().unwrap();
    let keys: Vec<&str> = fields.keys().map(String::as_str).collect();
    assert_eq!(keys, vec!["row 3: 适用区划", "row 5: 生效日期"]);
    let listed = app
        .as_user("editor", "GET", "/api/v1/kb/articles", None)
        .await;
    assert!(
        listed.body["items"].as_array().unwrap().is_empty(),
        "nothing imported"
    );

    let r = app
        .send_bytes(
            "POST",
            "/api/v1/kb/import?format=csv&skip_errors=true",
            Some(&token),
            file,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.body["imported"].as_u64(), r.body["skipped"].as_u64()),
        (Some(2), Some(2))
    );
    let listed = app
        .as_user("editor", "GET", "/api/v1/kb/articles?status=draft", None)
        .await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 2);

    let again = app
        .send_bytes(
            "POST",
            "/api/v1/kb/import?format=csv",
            Some(&token),
            csv_file(&[GOOD_ROW]),
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an existing title is a row error"
    );
    let operator = app.token("operator").await;
    let denied = app
        .send_bytes(
            "POST",
            "/api/v1/kb/import?format=csv",
            Some(&operator),
            csv_file(&["新条目,问,答,其他"]),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_xlsx_export_imports_again_unchanged() {
    let app = TestApp::sqlite().await;
    let mut a = social_card();
    a["valid_to"] = json!("2027-06-30");
    app.as_user("editor", "POST", "/api/v1/kb/articles", Some(a))
        .await;
    let export = app
        .as_user("editor", "GET", "/api/v1/kb/export?format=xlsx", None)
        .await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(export.bytes.starts_with(b"PK"), "an .xlsx is a zip");

    let other = TestApp::sqlite().await;
    let token = other.token("editor").await;
    let r = other
        .send_bytes(
            "POST",
            "/api/v1/kb/import?format=xlsx",
            Some(&token),
            export.bytes,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let items = other
        .as_user("editor", "GET", "/api/v1/kb/articles", None)
        .await
        .body["items"]
        .clone();
    let original = app
        .as_user("editor", "GET", "/api/v1/kb/articles", None)
        .await
        .body["items"]
        .clone();
    for field in [
        "title",
        "question",
        "answer",
        "category",
        "material",
        "issuing_unit",
        "region",
        "keywords",
        "valid_to",
        "source",
    ] {
        assert_eq!(items[0][field], original[0][field], "{field}");
    }
}

const FORMULA: &str = "=cmd|' /C calc'!A0";

/// The cells of an exported file, as a spreadsheet reads them.
fn exported_cells(bytes: &[u8], format: &str) -> Vec<Vec<String>> {
    if format == "csv" {
        let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text)
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect()
    } else {
        use calamine::Reader;
        let mut book: calamine::Xlsx<_> =
            calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let range = book.worksheet_range_at(0).unwrap().unwrap();
        range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    }
}

#[tokio::test]
async fn a_formula_in_an_article_is_exported_as_text_and_imports_back_unchanged() {
    let app = TestApp::sqlite().await;
    let mut a = social_card();
    a["title"] = json!(FORMULA);
    a["question"] = json!("@SUM(1+1)*cmd|' /C calc'!A0");
    a["answer"] = json!("-2+3，先挂失再补领。");
    a["issuing_unit"] = json!("+成都市人社局");
    let r = app
        .as_user("editor", "POST", "/api/v1/kb/articles", Some(a))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    for format in ["csv", "xlsx"] {
        let export = app
            .as_user(
                "editor",
                "GET",
                &format!("/api/v1/kb/export?format={format}"),
                None,
            )
            .await;
        assert_eq!(export.status, StatusCode::OK);
        let cells = exported_cells(&export.bytes, format);
        assert_eq!(cells[1][0], format!("'{FORMULA}"), "{format}");
        assert_eq!(cells[1][1], "'@SUM(1+1)*cmd|' /C calc'!A0", "{format}");
        assert_eq!(cells[1][2], "'-2+3，先挂失再补领。", "{format}");
        assert_eq!(cells[1][5], "'+成都市人社局", "{format}");
        assert_eq!(cells[1][3], "社会保障/社保卡", "plain text is untouched");

        let other = TestApp::sqlite().await;
        let token = other.token("editor").await;
        let r = other
            .send_bytes(
                "POST",
                &format!("/api/v1/kb/import?format={format}"),
                Some(&token),
                export.bytes,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{format}: {}", r.text);
        let items = other
            .as_user("editor", "GET", "/api/v1/kb/articles", None)
            .await
            .body["items"]
            .clone();
        assert_eq!(items[0]["title"], FORMULA, "{format}");
        assert_eq!(items[0]["answer"], "-2+3，先挂失再补领。", "{format}");
        assert_eq!(items[0]["issuing_unit"], "+成都市人社局", "{format}");
    }
}

on_both_backends!(
    a_second_server_on_the_same_database_follows_the_first_one_s_edits,
    |app: TestApp| async move {
        let other = hotline_app::AppState::new(
            app.state.store().clone(),
            app.clock.clone(),
            app.state.config().clone(),
        );
        let r = app
            .as_user(
                "supervisor",
                "POST",
                "/api/v1/kb/articles",
                Some(social_card()),
            )
            .await;
        let id = r.body["id"].as_i64().unwrap();
        app.as_user(
            "supervisor",
            "POST",
            &format!("/api/v1/kb/articles/{id}/publish"),
            None,
        )
        .await;
        assert_eq!(
            other.kb().index().len(),
            0,
            "the other server has not looked yet"
        );
        other.kb().sync(&other).await.unwrap();
        assert_eq!(other.kb().index().len(), 1);
        app.as_user(
            "supervisor",
            "POST",
            &format!("/api/v1/kb/articles/{id}/withdraw"),
            None,
        )
        .await;
        other.kb().sync(&other).await.unwrap();
        assert_eq!(
            other.kb().index().len(),
            0,
            "a withdrawal leaves the other server's index too"
        );
    }
);

#[tokio::test]
async fn owners_are_reminded_of_articles_expiring_within_seven_days() {
    let app = TestApp::sqlite().await;
    app.set_time("2026-11-28T10:00:00+08:00");
    let mut soon = social_card();
    soon["valid_to"] = json!("2026-12-04");
    let mut later = social_card();
    later["title"] = json!("住房公积金提取");
    later["valid_to"] = json!("2027-03-01");
    for a in [soon, later] {
        let id = app
            .as_user("supervisor", "POST", "/api/v1/kb/articles", Some(a))
            .await
            .body["id"]
            .as_i64()
            .unwrap();
        app.as_user(
            "supervisor",
            "POST",
            &format!("/api/v1/kb/articles/{id}/publish"),
            None,
        )
        .await;
    }
    let r = app
        .as_user(
            "editor",
            "GET",
            "/api/v1/kb/articles?expiring_within=7",
            None,
        )
        .await;
    let titles: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, vec!["社会保障卡挂失与补办流程"]);
    let r = app
        .as_user(
            "mydispatcher",
            "GET",
            "/api/v1/kb/articles?expiring_within=7",
            None,
        )
        .await;
    assert!(
        r.body["items"].as_array().unwrap().is_empty(),
        "only the owners are reminded"
    );
}

fn submission(material: &str, title: &str, date: Option<&str>, urgent: bool) -> Value {
    let mut b = json!({"title": title, "question": format!("{title}怎么办？"),
        "answer": "按照新规定办理，详见通知。", "category": "社会保障/养老保险",
        "material": material, "urgent": urgent,
        "source": {"title": "关于调整城乡居民养老保险缴费档次的通知"}});
    if let Some(d) = date {
        b["source"]["date"] = json!(d);
    }
    b
}

// Issue 19, point 7: departments supply answer scripts and policy interpretations to
// their hotline's knowledge base for review; an urgent script waits for the
// supervisors' one-click publishing; an interpretation whose policy takes effect soon
// and is not yet published is a reminder.
on_both_backends!(
    a_departments_scripts_and_interpretations_reach_the_hotline_for_review,
    |app: TestApp| async move {
        let post = |user: &'static str, body: Value| {
            let app = &app;
            async move {
                app.as_user(user, "POST", "/api/v1/kb/articles", Some(body))
                    .await
            }
        };
        for (body, field) in [
            (submission("faq", "常见问题", None, false), "material"),
            (
                submission("interpretation", "缴费档次调整解读", None, false),
                "source.date",
            ),
            (submission("script", "口径\u{7}", None, false), "title"),
        ] {
            let r = post("handler", body).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{field}: {}",
                r.text
            );
        }
        let r = post("operator", submission("script", "口径", None, false)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

        let r = post(
            "handler",
            submission("script", "养老保险缴费紧急口径", None, true),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.body["status"], "in_review");
        assert_eq!(r.body["pinned"], false);
        assert_eq!(r.body["hotline"], "cd12345");
        assert_eq!(r.body["contribution"]["unit"], "cd-jt");
        let urgent = r.body["id"].as_i64().unwrap();
        let later = submission(
            "interpretation",
            "缴费档次调整解读",
            Some("2026-11-05"),
            false,
        );
        let r = post("handler", later).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let interpretation = r.body["id"].as_i64().unwrap();
        let far = submission("interpretation", "明年政策解读", Some("2027-03-01"), false);
        assert_eq!(post("handler", far).await.status, StatusCode::CREATED);

        let read = |user: &'static str, id: i64| {
            let app = &app;
            async move {
                app.as_user(user, "GET", &format!("/api/v1/kb/articles/{id}"), None)
                    .await
                    .status
            }
        };
        assert_eq!(
            read("handler", urgent).await,
            StatusCode::OK,
            "its own unit's"
        );
        assert_eq!(read("handler2", urgent).await, StatusCode::NOT_FOUND);
        assert_eq!(
            read("operator", urgent).await,
            StatusCode::NOT_FOUND,
            "not yet published"
        );

        let listed = |user: &'static str| {
            let app = &app;
            async move {
                app.as_user(user, "GET", "/api/v1/kb/contributions", None)
                    .await
            }
        };
        let r = listed("supervisor").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            r.body["waiting"][0]["id"], urgent,
            "urgent first: {}",
            r.text
        );
        assert_eq!(r.body["waiting"][0]["urgent"], true);
        assert_eq!(r.body["waiting"].as_array().unwrap().len(), 3);
        let reminders = r.body["reminders"].as_array().unwrap();
        assert_eq!(
            reminders.len(),
            1,
            "only the policy taking effect within 7 days: {}",
            r.text
        );
        assert_eq!(reminders[0]["id"], interpretation);
        assert_eq!(reminders[0]["release"], "2026-11-05");
        let r = listed("handler").await;
        assert_eq!(r.body["waiting"].as_array().unwrap().len(), 3, "{}", r.text);
        let r = listed("handler2").await;
        assert!(
            r.body["waiting"].as_array().unwrap().is_empty(),
            "{}",
            r.text
        );
        assert_eq!(listed("operator").await.status, StatusCode::FORBIDDEN);
        let r = listed("mydispatcher").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // One click publishes the urgent script, pinned; the interpretation's reminder
        // goes once it is published.
        for id in [urgent, interpretation] {
            let r = app
                .as_user(
                    "supervisor",
                    "POST",
                    &format!("/api/v1/kb/articles/{id}/publish"),
                    Some(json!({})),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
        let r = app
            .as_user("operator", "GET", "/api/v1/kb/pinned", None)
            .await;
        assert!(
            r.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["id"] == urgent),
            "{}",
            r.text
        );
        let r = listed("supervisor").await;
        assert!(
            r.body["reminders"].as_array().unwrap().is_empty(),
            "{}",
            r.text
        );
        assert_eq!(r.body["waiting"].as_array().unwrap().len(), 1);
        let r = app
            .as_user("admin", "GET", "/api/v1/audit?action=kb.contribute", None)
            .await;
        assert_eq!(r.body["items"].as_array().unwrap().len(), 3, "{}", r.text);
    }
);
