//! Regression tests replaying the security review's findings (issue 13), each named
//! after what it proves.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::json;

/// Every route family outside the order API, as an integration key would try it.
const NOT_FOR_KEYS: &[(&str, &str)] = &[
    ("GET", "/api/v1/supervision"),
    ("GET", "/api/v1/reports/units?from=2026-10-01&to=2026-11-30"),
    (
        "GET",
        "/api/v1/reports/period?from=2026-10-01&to=2026-11-30",
    ),
    ("GET", "/api/v1/reports/hotspots"),
    ("GET", "/api/v1/reports/seasonal"),
    ("GET", "/api/v1/reports/summons?month=2026-10"),
    ("GET", "/api/v1/reports/weights"),
    ("GET", "/api/v1/kb/articles"),
    ("GET", "/api/v1/kb/search?q=%E8%B7%AF%E7%81%AF"),
    ("GET", "/api/v1/kb/suggest?q=%E8%B7%AF%E7%81%AF"),
    ("GET", "/api/v1/kb/pinned"),
    ("GET", "/api/v1/kb/export?format=csv"),
    ("GET", "/api/v1/kb/synonyms"),
    ("GET", "/api/v1/audit"),
    ("GET", "/api/v1/units"),
    ("GET", "/api/v1/users"),
    ("GET", "/api/v1/apikeys"),
    ("GET", "/api/v1/taxonomy"),
    ("GET", "/api/v1/rules/deadlines"),
    ("GET", "/api/v1/calendar/2026"),
    ("POST", "/api/v1/callers/history"),
    ("DELETE", "/api/v1/sessions/current"),
];

#[tokio::test]
async fn a_key_limited_to_create_registers_orders_and_reads_nothing_else() {
    let app = TestApp::sqlite().await;
    let id = app.complaint().await;
    let key = issue_key(&app, "cd12345", json!(["create"]), "create-only").await;
    let created = app
        .send(
            "POST",
            "/api/v1/orders",
            Some(&key),
            Some(order_body("help")),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    for (method, path) in NOT_FOR_KEYS.iter().chain(&[
        ("GET", "/api/v1/orders"),
        ("GET", &*format!("/api/v1/orders/{id}")),
    ]) {
        let body = (*method != "GET").then(|| json!({"phone": "13812345678"}));
        let r = app.send(method, path, Some(&key), body).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{method} {path} with a create-only key: {}",
            r.text
        );
        assert!(
            !r.text.contains("王小明") && !r.text.contains("tracking"),
            "{method} {path} leaked: {}",
            r.text
        );
    }
}

#[tokio::test]
async fn a_key_with_every_order_action_still_reaches_only_the_order_api() {
    let app = TestApp::sqlite().await;
    let key = issue_key(&app, "cd12345", json!([]), "all-actions").await;
    for (method, path) in NOT_FOR_KEYS {
        let body = (*method != "GET").then(|| json!({"phone": "13812345678"}));
        let r = app.send(method, path, Some(&key), body).await;
        if *path == "/api/v1/callers/history" {
            // Looking up a caller's orders is reading orders.
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            continue;
        }
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{method} {path} with an all-actions key: {}",
            r.text
        );
    }
    let listed = app.send("GET", "/api/v1/orders", Some(&key), None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
}

fn caller_order(kind: &str, title: &str, address: &str) -> serde_json::Value {
    json!({
        "channel": "phone", "kind": kind, "domain": "public_services/roads", "region": "510104",
        "title": title, "content": format!("来电人王小明（电话13812345678）反映：{title}。"),
        "address": address,
        "requester": {"name": "王小明", "phone": "13812345678", "anonymous": false}
    })
}

async fn register_as(app: &TestApp, user: &str, body: serde_json::Value) -> serde_json::Value {
    let r = app.create(user, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

fn ids(v: &serde_json::Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect()
}

/// One caller, a report (A) and a consultation (B) about another address, both with
/// one unit: the unit must not learn that A's requester is B's.
async fn whistleblower_and_sibling(app: &TestApp, report_first: bool) -> (i64, i64) {
    let report = caller_order("report", "举报某单位违规收费", "锦江区红星路1号");
    let consult = caller_order("consultation", "咨询社保转移", "武侯区科华北路9号");
    let (first, second) = if report_first {
        (report, consult)
    } else {
        (consult, report)
    };
    let first = register_as(app, "operator", first).await["id"]
        .as_i64()
        .unwrap();
    let second = register_as(app, "operator", second).await;
    assert_eq!(
        ids(&second["possible_duplicates"]),
        vec![first],
        "hotline staff see the link"
    );
    let second = second["id"].as_i64().unwrap();
    for id in [first, second] {
        app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
            .await;
    }
    if report_first {
        (first, second)
    } else {
        (second, first)
    }
}

async fn assert_unit_cannot_join(app: &TestApp, report: i64, consult: i64) {
    for id in [report, consult] {
        let seen = app
            .as_user("handler", "GET", &format!("/api/v1/orders/{id}"), None)
            .await;
        assert_eq!(seen.status, StatusCode::OK, "{}", seen.text);
        assert!(
            !ids(&seen.body["possible_duplicates"]).contains(&(report + consult - id)),
            "order {id} links the report and the consultation for the unit: {}",
            seen.text
        );
        assert!(ids(&seen.body["merged"]).is_empty());
    }
    let listed = app.as_user("handler", "GET", "/api/v1/orders", None).await;
    for item in listed.body["items"].as_array().unwrap() {
        assert!(
            ids(&item["possible_duplicates"]).is_empty(),
            "the unit's list links them: {item}"
        );
    }
    // Hotline staff still see the link both ways.
    let staff = app.order(consult).await;
    assert!(
        ids(&staff["possible_duplicates"]).contains(&report)
            || ids(&app.order(report).await["possible_duplicates"]).contains(&consult)
    );
}

on_both_backends!(
    a_handling_unit_cannot_join_a_report_to_its_requesters_other_order,
    |app: TestApp| async move {
        let (report, consult) = whistleblower_and_sibling(&app, true).await;
        assert_unit_cannot_join(&app, report, consult).await;
    }
);

#[tokio::test]
async fn a_report_registered_after_the_sibling_is_not_joined_to_it_either() {
    let app = TestApp::sqlite().await;
    let (report, consult) = whistleblower_and_sibling(&app, false).await;
    assert_unit_cannot_join(&app, report, consult).await;
}

on_both_backends!(
    possible_duplicates_name_only_orders_the_viewer_may_see,
    |app: TestApp| async move {
        let chengdu = app.complaint().await;
        // The same caller rings the Mianyang hotline: its staff learn nothing of Chengdu.
        let mianyang = register_as(&app, "mydispatcher", order_body("help")).await;
        assert!(
            !ids(&mianyang["possible_duplicates"]).contains(&chengdu),
            "a Mianyang dispatcher sees a Chengdu order id: {mianyang}"
        );
        let id = mianyang["id"].as_i64().unwrap();
        let again = app
            .as_user("mydispatcher", "GET", &format!("/api/v1/orders/{id}"), None)
            .await;
        assert!(!ids(&again.body["possible_duplicates"]).contains(&chengdu));
        // The province above both sees the link.
        let province = app
            .as_user("scdispatcher", "GET", &format!("/api/v1/orders/{id}"), None)
            .await;
        assert!(ids(&province.body["possible_duplicates"]).contains(&chengdu));
    }
);

#[tokio::test]
async fn a_unit_sees_no_staff_notes_no_reveal_reasons_and_no_requester_name_on_a_report() {
    let app = TestApp::sqlite().await;
    let body = caller_order("report", "举报某单位违规收费", "锦江区红星路1号");
    let report = register_as(&app, "operator", body).await["id"]
        .as_i64()
        .unwrap();
    app.ok(
        "operator",
        report,
        "reveal-phone",
        json!({"reason": "王小明要求回电核实"}),
    )
    .await;
    app.ok(
        "dispatcher",
        report,
        "note",
        json!({"content": "举报人王小明系该单位前员工"}),
    )
    .await;
    app.ok("dispatcher", report, "dispatch", json!({"unit": "cd-jt"}))
        .await;
    app.ok(
        "handler",
        report,
        "note",
        json!({"content": "已联系13812345678核实"}),
    )
    .await;
    let seen = app
        .as_user("handler", "GET", &format!("/api/v1/orders/{report}"), None)
        .await;
    assert_eq!(seen.status, StatusCode::OK);
    for secret in ["王小明", "13812345678", "前员工", "要求回电"] {
        assert!(
            !seen.text.contains(secret),
            "the unit reads {secret}: {}",
            seen.text
        );
    }
    assert!(seen.body["content"].as_str().unwrap().contains("反映"));
    // Staff keep the whole timeline.
    let staff = app.order(report).await.to_string();
    assert!(staff.contains("前员工") && staff.contains("王小明要求回电核实"));
}

/// The reads that broke on PostgreSQL once one order held a NUL.
const READS_OF_STORED_ORDERS: &[&str] = &[
    "/api/v1/orders?q=%E6%8A%95%E6%AF%92",
    "/api/v1/supervision",
    "/api/v1/orders?extension=pending",
    "/api/v1/orders?domain=public_services",
    "/api/v1/orders",
];

async fn portal_request(app: &TestApp, content: &str) -> Response {
    let body = json!({"kind": "complaint", "region": "510104", "title": "匿名",
        "content": content, "requester": {"name": "匿名", "phone": "13812345678"}});
    app.send("POST", "/api/v1/public/orders", None, Some(body))
        .await
}

on_both_backends!(
    a_nul_from_the_portal_is_refused_and_every_read_keeps_working,
    |app: TestApp| async move {
        let r = portal_request(&app, "匿名\u{0}投毒").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.body["error"]["code"], "control_character");
        assert!(
            r.body["error"]["fields"]["content"].is_string(),
            "{}",
            r.text
        );
        // Every other C0 control and DEL too, in any field, nested or not.
        for bad in ["\u{1}", "\u{8}", "\u{b}", "\u{c}", "\u{1b}", "\u{7f}"] {
            let r = portal_request(&app, &format!("投{bad}毒")).await;
            assert_eq!(r.body["error"]["code"], "control_character", "{bad:?}");
            let mut body = order_body("complaint");
            body["requester"]["name"] = json!(format!("王{bad}"));
            let r = app.create("operator", body).await;
            assert!(
                r.body["error"]["fields"]["requester.name"].is_string(),
                "{}",
                r.text
            );
        }
        // Line breaks are kept as LF; tab stays.
        let r = portal_request(&app, "第一行\r\n第二行\r第三行\t完").await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let list = app
            .as_user("supervisor", "GET", "/api/v1/orders", None)
            .await;
        assert_eq!(
            list.body["items"][0]["content"],
            "第一行\n第二行\n第三行\t完"
        );
        // Queries and forms pass the same rule.
        let r = app
            .as_user("supervisor", "GET", "/api/v1/orders?q=%00", None)
            .await;
        assert_eq!(
            (r.status, r.body["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("control_character"))
        );
        for path in READS_OF_STORED_ORDERS {
            let r = app.as_user("supervisor", "GET", path, None).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
        }
    }
);

#[tokio::test]
async fn a_console_form_with_a_control_character_is_refused_and_crlf_becomes_lf() {
    use axum::body::Body;
    use tower::ServiceExt;
    let app = TestApp::sqlite().await;
    let send = |body: &'static str| {
        let req = axum::http::Request::builder()
            .method("POST")
            .uri("/portal/new")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        app.router.clone().oneshot(req)
    };
    let r = send("kind=complaint&region=510104&title=x&content=a%00b")
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bytes = http_body_util::BodyExt::collect(r.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert!(String::from_utf8_lossy(&bytes).contains("control_character"));
}

async fn department_admin(app: &TestApp) {
    let r = app
        .as_user(
            "cdadmin",
            "POST",
            "/api/v1/users",
            Some(json!({"username": "jtadmin", "password": "Jt-Admin-Pass-9",
                "roles": ["admin"], "unit": "cd-jt"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

async fn as_jtadmin(app: &TestApp, method: &str, path: &str, body: serde_json::Value) -> Response {
    let login = app.login("jtadmin", "Jt-Admin-Pass-9").await;
    let token = login.body["token"].as_str().unwrap().to_owned();
    app.send(method, path, Some(&token), Some(body)).await
}

on_both_backends!(
    a_department_administrator_cannot_create_a_hotline_that_captures_another_citys_requests,
    |app: TestApp| async move {
        department_admin(&app).await;
        let rogue = json!({"code": "rogue12345", "name": "阿坝州12345", "kind": "hotline",
            "parent": "cd-jt", "region": "513221"});
        let r = as_jtadmin(&app, "POST", "/api/v1/units", rogue).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        let sub = json!({"code": "rogue-sub", "name": "分中心", "kind": "subcentre",
            "parent": "cd-jt", "region": "510104"});
        let r = as_jtadmin(&app, "POST", "/api/v1/units", sub).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        // Other units, yes — but within the parent's region.
        let far = json!({"code": "jt-aba", "name": "汶川办事处", "kind": "department",
            "parent": "cd-jt", "region": "513221"});
        let r = as_jtadmin(&app, "POST", "/api/v1/units", far).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.body["error"]["fields"]["region"].is_string());
        let near = json!({"code": "jt-jj", "name": "锦江办事处", "kind": "department",
            "parent": "cd-jt", "region": "510104"});
        let r = as_jtadmin(&app, "POST", "/api/v1/units", near).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        // A hotline's administrator cannot place a hotline under a department, nor
        // open a second hotline for a region that has one.
        let under_dept = json!({"code": "jj12345", "name": "锦江区12345", "kind": "hotline",
            "parent": "cd-jt", "region": "510104"});
        let r = app
            .as_user("cdadmin", "POST", "/api/v1/units", Some(under_dept))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let twin = json!({"code": "cd2-12345", "name": "成都第二热线", "kind": "hotline",
            "parent": "cd12345", "region": "510100"});
        let r = app
            .as_user("cdadmin", "POST", "/api/v1/units", Some(twin))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        // A portal request for 510104 still goes to Chengdu's hotline.
        let body = json!({"kind": "complaint", "region": "510104", "title": "路灯",
            "content": "路灯不亮", "requester": {"name": "市民", "phone": "13812345678"}});
        let r = app
            .send("POST", "/api/v1/public/orders", None, Some(body))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let listed = app.as_user("operator", "GET", "/api/v1/orders", None).await;
        assert_eq!(listed.body["items"][0]["hotline"], "cd12345");
    }
);

#[tokio::test]
async fn requests_route_to_one_hotline_down_the_hotline_tree_even_with_stored_rogues() {
    let app = TestApp::sqlite().await;
    // Stored before the rules: a "hotline" under a department, and a twin of Mianyang.
    for (code, parent, region) in [
        ("rogue", "cd-jt", "510704"),
        ("my-twin", "sc12345", "510700"),
    ] {
        app.state
            .store()
            .create_unit(
                hotline_store::UnitRecord {
                    code: hotline_domain::UnitCode::parse(code).unwrap(),
                    name: code.into(),
                    kind: hotline_domain::UnitKind::Hotline,
                    parent: Some(hotline_domain::UnitCode::parse(parent).unwrap()),
                    region: hotline_domain::RegionCode::parse(region).unwrap(),
                    active: true,
                    line_head: None,
                },
                crate::common::set_up("unit.create", format!("unit:{code}")),
            )
            .await
            .unwrap();
    }
    let org = app.state.org().await.unwrap();
    let region = hotline_domain::RegionCode::parse("510704").unwrap();
    let first = org.hotline_for_region(&region).unwrap();
    assert_ne!(
        first.as_str(),
        "rogue",
        "never a hotline under a department"
    );
    for _ in 0..20 {
        let again = hotline_app::access::Org::new(app.state.store().list_units().await.unwrap());
        assert_eq!(again.hotline_for_region(&region), Some(first.clone()));
    }
    let chengdu = hotline_domain::RegionCode::parse("510104").unwrap();
    assert_eq!(
        org.hotline_for_region(&chengdu).unwrap().as_str(),
        "cd12345"
    );
}

#[tokio::test]
async fn orders_the_index_lost_below_its_watermark_are_found_again_after_the_check() {
    let app = TestApp::sqlite().await;
    let mut ids = Vec::new();
    for title in ["路灯不亮", "噪音扰民", "井盖缺失"] {
        let mut body = order_body("complaint");
        body["title"] = json!(title);
        body["content"] = json!(format!("{title}，请尽快处理"));
        ids.push(
            register_as(&app, "operator", body).await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    // What a full disk left: the watermark past orders whose documents never landed.
    let index = app.state.order_search().index();
    index.apply(&[(ids[0], "路灯不亮".into())], ids[2]).unwrap();
    let search = |q: &'static str| app.as_user("supervisor", "GET", q, None);
    let found = search("/api/v1/orders?q=%E4%BA%95%E7%9B%96").await;
    assert_eq!(
        found.body["items"].as_array().unwrap().len(),
        0,
        "the finding: lost"
    );
    app.set_time("2026-11-02T09:05:00+08:00");
    let missing = app
        .state
        .order_search()
        .repair_gaps(&app.state)
        .await
        .unwrap();
    assert_eq!(missing, 2);
    let found = search("/api/v1/orders?q=%E4%BA%95%E7%9B%96").await;
    assert_eq!(found.body["items"][0]["id"], ids[2], "{}", found.text);
    assert_eq!(
        app.state
            .order_search()
            .repair_gaps(&app.state)
            .await
            .unwrap(),
        0
    );
}

on_both_backends!(
    a_conflict_answers_in_the_apis_words_the_same_on_both_stores,
    |app: TestApp| async move {
        let unit = json!({"code": "cd-jt", "name": "重复", "kind": "department",
            "parent": "cd12345", "region": "510100"});
        let r = app
            .as_user("cdadmin", "POST", "/api/v1/units", Some(unit))
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert_eq!(
            r.body["error"]["message"],
            "already exists: a unit with this code"
        );
        let user = json!({"username": "handler", "password": "Another-Pass-77",
            "roles": ["handler"], "unit": "cd-jt"});
        let r = app
            .as_user("cdadmin", "POST", "/api/v1/users", Some(user))
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert_eq!(
            r.body["error"]["message"],
            "already exists: an account with this username"
        );
        for leak in ["UNIQUE", "constraint", "users.", "_key", "units."] {
            assert!(!r.text.contains(leak), "{}", r.text);
        }
    }
);

#[tokio::test]
async fn an_imported_cell_with_a_control_character_is_a_row_error_and_stores_nothing() {
    let app = TestApp::sqlite().await;
    let token = app.token("editor").await;
    let file = "标题,问题,答复口径,分类,资料类型,适用区划,关键词,生效日期\n\
        社保卡挂失,社保卡丢了怎么办？,先挂失\u{0}再补领。,社会保障/社保卡,办事指南,510100,社保卡,2026-01-01\n";
    let r = app
        .send_bytes(
            "POST",
            "/api/v1/kb/import?format=csv",
            Some(&token),
            file.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("control character"), "{}", r.text);
    let listed = app
        .as_user("editor", "GET", "/api/v1/kb/articles", None)
        .await;
    assert!(listed.body["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_unit_cannot_find_a_report_by_searching_its_requesters_name() {
    let app = TestApp::sqlite().await;
    let body = caller_order("report", "举报某单位违规收费", "锦江区红星路1号");
    let report = register_as(&app, "operator", body).await["id"]
        .as_i64()
        .unwrap();
    app.ok("dispatcher", report, "dispatch", json!({"unit": "cd-jt"}))
        .await;
    app.set_time("2026-11-02T09:05:00+08:00");
    app.state.order_search().catch_up(&app.state).await.unwrap();
    // 王小明, 13812345678, and a word of the matter itself.
    let by_name = "/api/v1/orders?q=%E7%8E%8B%E5%B0%8F%E6%98%8E";
    let by_phone = "/api/v1/orders?q=13812345678";
    for q in [by_name, by_phone] {
        let r = app.as_user("handler", "GET", q, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(
            r.body["items"].as_array().unwrap().is_empty(),
            "{q}: {}",
            r.text
        );
    }
    let by_matter = "/api/v1/orders?q=%E8%BF%9D%E8%A7%84%E6%94%B6%E8%B4%B9";
    let r = app.as_user("handler", "GET", by_matter, None).await;
    assert_eq!(r.body["items"][0]["id"], report, "{}", r.text);
}
