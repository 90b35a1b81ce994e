//! The console in a real browser: headless Chromium through chromedriver.
//!
//! Skipped with a notice where chromedriver is not installed, unless
//! `HOTLINE_REQUIRE_BROWSER=1` (as in CI), where its absence fails the test.

mod support;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::{Server, free_port, start_demo};

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn chromedriver() -> Option<&'static str> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
}

async fn browser(profile: &std::path::Path) -> Option<(Driver, Client)> {
    let Some(path) = chromedriver() else {
        assert!(
            std::env::var("HOTLINE_REQUIRE_BROWSER").is_err(),
            "HOTLINE_REQUIRE_BROWSER is set but chromedriver is not installed"
        );
        eprintln!("chromedriver is not installed: skipping the browser test");
        return None;
    };
    let port = free_port();
    let driver = Driver(
        Command::new(path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({"args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--window-size=1366,900", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--lang=zh-CN",
            format!("--user-data-dir={}", profile.display())]}),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    for _ in 0..50 {
        if let Ok(c) = ClientBuilder::new(connector.clone())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            return Some((driver, c));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("chromedriver did not start");
}

async fn console_login(c: &Client, s: &Server, user: &str) {
    c.goto(&format!("{}/login", s.base)).await.unwrap();
    c.find(Locator::Css("#username"))
        .await
        .unwrap()
        .send_keys(user)
        .await
        .unwrap();
    c.find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(&s.passwords[user])
        .await
        .unwrap();
    c.find(Locator::Css("form[action='/login'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("form[action='/logout']"))
        .await
        .unwrap();
    let url = c.current_url().await.unwrap();
    assert!(
        url.path().starts_with("/console/"),
        "{user} logged in: {url}"
    );
}

async fn logout(c: &Client) {
    c.find(Locator::Css("form[action='/logout'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("form[action='/login']"))
        .await
        .unwrap();
}

async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Opens the action's form on the order page, fills it, ticks boxes, and submits it.
async fn act(c: &Client, label: &str, fill: &[(&str, &str)], tick: &[&str]) {
    let details = c
        .find(Locator::XPath(&format!(
            "//details[summary[normalize-space()='{label}']]"
        )))
        .await
        .unwrap();
    details
        .find(Locator::Css("summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    for (css, value) in fill {
        let field = details.find(Locator::Css(css)).await.unwrap();
        // A suggested value (the dispatch catalogue's unit) gives way to the typed one.
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }
    for css in tick {
        details
            .find(Locator::Css(css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    details
        .find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The old page may still show the previous action's notice: wait until it is gone.
    for _ in 0..200 {
        if details.text().await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    c.wait()
        .for_element(Locator::Css(".notice, .error"))
        .await
        .unwrap();
    let notice = text_of(c, ".notice, .error").await;
    assert!(notice.starts_with("已完成"), "{label}: {notice}");
}

/// Waits (up to 20 s) until the page shows `text`.
async fn wait_for_text(c: &Client, text: &str) {
    for _ in 0..100 {
        if c.source().await.is_ok_and(|s| s.contains(text)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let page = c.source().await.unwrap_or_default();
    let url = c
        .current_url()
        .await
        .map(|u| u.to_string())
        .unwrap_or_default();
    let start = page.find("<main").unwrap_or(0);
    let shown: String = page[start..].chars().take(3000).collect();
    panic!("the page never showed {text:?}; {url} shows: {shown}");
}

async fn fill(c: &Client, css: &str, value: &str) {
    let field = c.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// Picks the option of a `<select>` with this value.
async fn choose(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .select_by_value(value)
        .await
        .unwrap();
}

/// The value of a form control.
async fn value_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// With `HOTLINE_SCREENSHOTS=1`, refreshes the README's screenshots under docs/.
fn save_screenshot(name: &str, png: &[u8]) {
    if std::env::var("HOTLINE_SCREENSHOTS").is_err() {
        return;
    }
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
    std::fs::write(docs.join(name), png).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complaint_goes_from_intake_to_close_through_the_console_and_the_portal_shows_the_reply()
{
    let dir = tempfile::tempdir().unwrap();
    let Some((_driver, c)) = browser(&dir.path().join("profile")).await else {
        return;
    };
    let server = start_demo(&dir.path().join("data"));

    // The operator takes the call: the caller's history, then the complaint.
    console_login(&c, &server, "operator").await;
    c.goto(&format!("{}/console/intake", server.base))
        .await
        .unwrap();
    fill(&c, "#lookup-phone", "13900001111").await;
    c.find(Locator::XPath("//button[normalize-space()='查询来电记录']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The old page has the same form: wait for the answer's own text instead.
    wait_for_text(&c, "该号码没有可见的历史工单").await;
    fill(&c, "#name", "李女士").await;
    // No kind is taken for granted: the operator chooses one.
    choose(&c, "#kind", "complaint").await;
    // The address typed first suggests the district and the street by their names.
    fill(&c, "#address", "锦江区春熙路1号").await;
    fill(&c, "#title", "<script>alert(1)</script>").await;
    // Classified, as a dispatch to a unit needs it.
    choose(&c, "#domain", "public_services/roads").await;
    for _ in 0..50 {
        if value_of(&c, "#street").await == "510104022" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(value_of(&c, "#region").await, "510104", "锦江区 suggested");
    assert_eq!(
        value_of(&c, "#street").await,
        "510104022",
        "春熙路街道 suggested"
    );
    fill(
        &c,
        "#content",
        "春熙路路灯连续三晚不亮，夜间行人看不清台阶，请尽快维修。",
    )
    .await;
    save_screenshot("intake.png", &c.screenshot().await.unwrap());
    c.find(Locator::Css("button[value=register]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Css(".notice")).await.unwrap();
    let notice = text_of(&c, ".notice").await;
    assert!(notice.starts_with("登记成功"), "{notice}");
    let number = notice
        .split("工单编号 ")
        .nth(1)
        .unwrap()
        .split('，')
        .next()
        .unwrap()
        .to_owned();
    let code = notice
        .split("查询码 ")
        .nth(1)
        .unwrap()
        .split('。')
        .next()
        .unwrap()
        .to_owned();
    let page = c
        .current_url()
        .await
        .unwrap()
        .as_str()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(text_of(&c, "h1").await, "<script>alert(1)</script>");
    assert!(c.get_alert_text().await.is_err(), "no script ran");
    logout(&c).await;

    // The dispatcher sends it to the transport bureau.
    console_login(&c, &server, "dispatcher").await;
    c.goto(&page).await.unwrap();
    act(&c, "派单", &[("input[name=unit]", "cd-jt")], &[]).await;
    logout(&c).await;

    // The bureau's handler finds it in the unit's list, accepts and replies.
    console_login(&c, &server, "handler").await;
    assert!(
        text_of(&c, "table.list")
            .await
            .contains("<script>alert(1)</script>")
    );
    save_screenshot("unit-inbox.png", &c.screenshot().await.unwrap());
    c.goto(&page).await.unwrap();
    act(&c, "签收", &[], &[]).await;
    act(
        &c,
        "答复",
        &[("textarea", "已更换灯具，路灯当晚恢复照明。")],
        &["input[name=resolved]"],
    )
    .await;
    assert!(
        !c.source().await.unwrap().contains("13900001111"),
        "the full phone number stays hidden"
    );
    logout(&c).await;

    // The operator calls back and closes it.
    console_login(&c, &server, "operator").await;
    c.goto(&page).await.unwrap();
    act(&c, "回访", &[], &["input[name=resolved]"]).await;
    act(&c, "办结", &[], &[]).await;
    assert!(text_of(&c, "dl.fields").await.contains("已办结"));
    save_screenshot("order-page.png", &c.screenshot().await.unwrap());
    logout(&c).await;

    // The requester tracks it with number and code, and reads the reply.
    c.goto(&format!("{}/portal", server.base)).await.unwrap();
    fill(&c, "#number", &number).await;
    fill(&c, "#code", &code).await;
    c.find(Locator::Css("form[action='/portal'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Css("#result")).await.unwrap();
    assert!(text_of(&c, "#result").await.contains("已办结"));
    assert_eq!(
        text_of(&c, "#reply").await,
        "已更换灯具，路灯当晚恢复照明。"
    );
    assert!(!c.source().await.unwrap().contains("李女士"));

    // A handler of another unit cannot open the order.
    console_login(&c, &server, "handler2").await;
    c.goto(&page).await.unwrap();
    let source = c.source().await.unwrap();
    assert!(
        source.contains("工单不存在或您无权查看") && !source.contains("春熙路路灯"),
        "{source}"
    );
    c.close().await.unwrap();
}

/// WebDriver's Enter key.
const ENTER: &str = "\u{E007}";

/// The value of a field in the order page's facts.
async fn order_field(c: &Client, name: &str) -> String {
    let css = format!("//dl[@class='fields']/dt[.='{name}']/following-sibling::dd[1]");
    c.find(Locator::XPath(&css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// A fresh intake form with the call's facts typed in.
async fn a_call(c: &Client, s: &Server, title: &str) {
    c.goto(&format!("{}/console/intake", s.base)).await.unwrap();
    choose(c, "#kind", "complaint").await;
    choose(c, "#region", "510104").await;
    choose(c, "#domain", "social_management/housing").await;
    fill(c, "#title", title).await;
    fill(c, "#content", "来电人说明了情况，请按所选方式处置。").await;
}

/// Enter in a disposition's field does that disposition, or nothing: it never
/// registers the call as 待派单 and drops the unit or the route the operator chose.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enter_in_a_dispositions_field_does_that_disposition_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let Some((_driver, c)) = browser(&dir.path().join("profile")).await else {
        return;
    };
    let server = start_demo(&dir.path().join("data"));
    console_login(&c, &server, "operator").await;

    a_call(&c, &server, "夜间有人持械闹事").await;
    c.find(Locator::Css("#route option[value=emergency_110]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill(&c, "#triage-note", &format!("已告知来电人拨打110{ENTER}")).await;
    wait_for_text(&c, "查询码").await;
    let timeline = c.source().await.unwrap();
    assert!(
        order_field(&c, "状态").await != "待派单" && timeline.contains("已告知来电人拨打110"),
        "Enter in the note takes the chosen route, with its note"
    );

    a_call(&c, &server, "小区电梯停运三天").await;
    fill(&c, "#dispatch-unit", &format!("cd-zj{ENTER}")).await;
    wait_for_text(&c, "查询码").await;
    assert_eq!(order_field(&c, "状态").await, "已派单");
    assert_eq!(
        order_field(&c, "承办单位").await,
        "成都市住房和城乡建设局",
        "Enter in the unit dispatches to it"
    );

    // The district chosen brings its suggested unit; typing part of a name finds one.
    a_call(&c, &server, "小区楼道积水").await;
    for _ in 0..50 {
        if !value_of(&c, "#dispatch-unit").await.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        value_of(&c, "#dispatch-unit").await,
        "锦江区人民政府（cd-jj）",
        "the district's government is suggested for want of a catalogue entry"
    );
    fill(&c, "#dispatch-unit", "住建").await;
    c.wait()
        .for_element(Locator::XPath(
            "//ul[@class='unit-hits']/li[contains(., '成都市住房和城乡建设局')]",
        ))
        .await
        .expect("住建 finds the housing bureau")
        .click()
        .await
        .unwrap();
    assert_eq!(
        value_of(&c, "#dispatch-unit").await,
        "成都市住房和城乡建设局（cd-zj）"
    );
    c.find(Locator::Css("button[value=dispatch]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&c, "查询码").await;
    assert_eq!(order_field(&c, "承办单位").await, "成都市住房和城乡建设局");

    a_call(&c, &server, "回车不应登记").await;
    // The district's suggested unit is in its field, but not chosen by the operator.
    for _ in 0..50 {
        if !value_of(&c, "#dispatch-unit").await.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    c.find(Locator::Css("#title"))
        .await
        .unwrap()
        .send_keys(ENTER)
        .await
        .unwrap();
    wait_for_text(&c, "回车没有登记").await;
    let page = c.source().await.unwrap();
    assert!(
        c.current_url().await.unwrap().path() == "/console/intake"
            && page.contains("回车不应登记")
            && !page.contains("查询码"),
        "with no disposition chosen, Enter registers nothing and keeps the form: {page}"
    );
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_intake_screen_suggests_articles_while_the_operator_types_and_records_the_one_cited() {
    let dir = tempfile::tempdir().unwrap();
    let Some((_driver, c)) = browser(&dir.path().join("profile")).await else {
        return;
    };
    let server = start_demo(&dir.path().join("data"));
    console_login(&c, &server, "operator").await;
    c.goto(&format!("{}/console/intake", server.base))
        .await
        .unwrap();
    let pinned = text_of(&c, ".pinned").await;
    assert!(
        pinned.contains("地铁"),
        "the demo's urgent script is pinned: {pinned}"
    );
    choose(&c, "#kind", "consultation").await;
    choose(&c, "#region", "510104").await;
    fill(&c, "#title", "社保卡补办咨询").await;
    fill(&c, "#content", "我的社保卡丢了怎么补办").await;
    let suggested = c
        .wait()
        .for_element(Locator::XPath(
            "//div[@id='kb-suggestions']//a[contains(., '社会保障卡挂失与补办流程')]",
        ))
        .await
        .expect("the panel fills in as the operator types");
    let href = suggested.attr("href").await.unwrap().unwrap();
    let article = href.trim_start_matches("/console/kb/").to_owned();
    c.execute(
        "document.getElementById('kb-suggestions').scrollIntoView({block: 'center'})",
        vec![],
    )
    .await
    .unwrap();
    save_screenshot("kb-suggestions.png", &c.screenshot().await.unwrap());
    // The panel follows the typing and may be redrawn between finding the control and
    // clicking it: find it again then.
    let cite = format!("#cite-{article}");
    for attempt in 0.. {
        let clicked = match c.find(Locator::Css(&cite)).await {
            Ok(e) => e.click().await.is_ok(),
            Err(_) => false,
        };
        if clicked {
            break;
        }
        assert!(
            attempt < 20,
            "the cite control never stayed long enough to click"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let script = value_of(&c, "#answer").await;
    assert!(
        script.contains("挂失"),
        "citing fills the direct answer with the article's script: {script:?}"
    );
    fill(&c, "#answer", "请先挂失，再携带身份证到合作银行网点补领。").await;
    c.find(Locator::Css("button[value=answer]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath(
            "//*[contains(., '已完成') or contains(., '查询码')]",
        ))
        .await
        .unwrap();
    let order = c.source().await.unwrap();
    assert!(
        order.contains("直接答复引用了知识条目") && order.contains(&format!("href=\"{href}\"")),
        "the order records the cited article"
    );
    c.goto(&format!("{}{href}", server.base)).await.unwrap();
    let facts = text_of(&c, "dl.fields").await;
    assert!(facts.contains("引用 1 次"), "{facts}");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_monthly_report_draws_its_charts_in_the_browser() {
    let dir = tempfile::tempdir().unwrap();
    let Some((_driver, c)) = browser(&dir.path().join("profile")).await else {
        return;
    };
    let server = start_demo(&dir.path().join("data"));
    console_login(&c, &server, "supervisor").await;
    c.goto(&format!(
        "{}/console/reports/period?period=month",
        server.base
    ))
    .await
    .unwrap();
    c.wait()
        .for_element(Locator::Css("#report-charts .chart canvas"))
        .await
        .expect("ECharts draws the charts");
    let charts = c
        .find_all(Locator::Css("#report-charts .chart"))
        .await
        .unwrap();
    assert!(charts.len() >= 3, "{} charts", charts.len());
    save_screenshot("report.png", &c.screenshot().await.unwrap());
    // The other supervision pages open from the navigation and show their lists.
    c.goto(&format!("{}/console/reports/units", server.base))
        .await
        .unwrap();
    let rows = c
        .find_all(Locator::Css("table.list tbody tr"))
        .await
        .unwrap();
    assert!(!rows.is_empty(), "the demo's units are assessed");
    let first = rows[0].text().await.unwrap();
    assert!(first.contains('%'), "rates shown as percentages: {first}");
    for (path, heading) in [
        ("/console/supervision", "督办清单"),
        ("/console/reports/summons", "约谈清单"),
        ("/console/reports/hotspots", "热点预警"),
    ] {
        c.goto(&format!("{}{path}", server.base)).await.unwrap();
        assert_eq!(text_of(&c, "h1").await, heading, "{path}");
    }
    c.close().await.unwrap();
}

/// At 1366×768 the intake's dispositions stay in sight, each with its shortcut; the
/// call is timed; the caller's earlier name and address are offered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_intake_fits_a_1366_by_768_screen_and_times_the_call() {
    let dir = tempfile::tempdir().unwrap();
    let Some((_driver, c)) = browser(&dir.path().join("profile")).await else {
        return;
    };
    let server = start_demo(&dir.path().join("data"));
    console_login(&c, &server, "operator").await;
    c.set_window_size(1366, 768).await.unwrap();
    c.goto(&format!("{}/console/intake", server.base))
        .await
        .unwrap();
    let in_sight = c
        .execute(
            "return [...document.querySelectorAll('.dispositions button')].map(b => { \
               const r = b.getBoundingClientRect(); \
               return r.width > 0 && r.top >= 0 && r.bottom <= window.innerHeight; })",
            vec![],
        )
        .await
        .unwrap();
    let geometry = c
        .execute(
            "const f = document.querySelector('.dispositions').getBoundingClientRect();              const chain = []; for (let e = document.querySelector('.dispositions'); e; e = e.parentElement) { const cs = getComputedStyle(e); chain.push(e.tagName + '.' + e.className + ':' + cs.overflow + ':' + cs.display + ':' + Math.round(e.getBoundingClientRect().height)); } return [window.innerHeight, document.documentElement.clientHeight, window.visualViewport.height, window.scrollY, f.top, f.bottom, chain.join(' < '), document.documentElement.scrollHeight,                ...[...document.querySelectorAll('.dispositions button')].map(b => b.getBoundingClientRect().bottom)]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        in_sight,
        serde_json::json!([true, true, true, true]),
        "every disposition button is on screen without scrolling: {geometry}"
    );
    let labels = text_of(&c, ".dispositions").await;
    for key in ["Alt+1", "Alt+2", "Alt+3", "Alt+4"] {
        assert!(labels.contains(key), "{labels}");
    }
    assert_eq!(
        c.find(Locator::Css("button[value=dispatch]"))
            .await
            .unwrap()
            .attr("accesskey")
            .await
            .unwrap()
            .as_deref(),
        Some("2")
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let elapsed = value_of(&c, "#call-timer").await;
    assert!(
        elapsed.starts_with("00:0") && elapsed != "00:00",
        "{elapsed}"
    );
    save_screenshot("intake-1366.png", &c.screenshot().await.unwrap());

    // A caller with earlier orders: their name and address are offered, one click away.
    a_call(&c, &server, "再次来电").await;
    fill(&c, "#name", "赵先生").await;
    fill(&c, "#address", "青羊区人民中路一段1号").await;
    fill(&c, "#phone", "13912345678").await;
    c.find(Locator::Css("button[value=register]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&c, "查询码").await;
    // The next call starts on a blank intake.
    c.find(Locator::Css("#next-call"))
        .await
        .expect("the way to the next call is beside the receipt")
        .click()
        .await
        .unwrap();
    wait_for_text(&c, "通话计时").await;
    assert_eq!(value_of(&c, "#title").await, "");
    assert_eq!(value_of(&c, "#kind").await, "", "no kind assumed");
    c.goto(&format!(
        "{}/console/intake?phone=%2B86%20139-1234-5678",
        server.base
    ))
    .await
    .unwrap();
    c.find(Locator::Css("#use-earlier"))
        .await
        .expect("the earlier name and address are offered")
        .click()
        .await
        .unwrap();
    assert_eq!(value_of(&c, "#name").await, "赵先生");
    assert_eq!(value_of(&c, "#address").await, "青羊区人民中路一段1号");
    c.close().await.unwrap();
}

/// Nothing on the page is wider than the screen: no sideways scrolling.
async fn fits_the_width(c: &Client, what: &str) {
    let sizes = c
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth, \
               [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1) \
                 .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)]",
            vec![],
        )
        .await
        .unwrap();
    let (scroll, inner) = (sizes[0].as_i64().unwrap(), sizes[1].as_i64().unwrap());
    assert!(inner <= 400, "the window is a phone's width: {sizes}");
    assert!(
        scroll <= inner,
        "{what} scrolls sideways at {inner} px: {sizes}"
    );
}

/// At a phone's 375 px (issue 17, point 8): a requester submits and tracks a request
/// on the portal, under the portal's own header, and a unit's staff read their list
/// and an order — none of it scrolling sideways.
#[tokio::test]
async fn the_portal_and_a_units_pages_fit_a_phone_375_pixels_wide() {
    let dir = tempfile::tempdir().unwrap();
    let Some((_driver, c)) = browser(&dir.path().join("profile")).await else {
        return;
    };
    let server = start_demo(&dir.path().join("data"));
    c.set_window_size(375, 812).await.unwrap();
    c.goto(&format!("{}/portal/new", server.base))
        .await
        .unwrap();
    fits_the_width(&c, "the portal's form").await;
    let header = text_of(&c, "header").await;
    assert!(
        header.contains("提交诉求") && !header.contains("工作台"),
        "{header}"
    );
    choose(&c, "#kind", "help").await;
    fill(&c, "#address", "锦江区春熙路1号").await;
    for _ in 0..50 {
        if value_of(&c, "#street").await == "510104022" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    fill(
        &c,
        "#content",
        "小区楼下的路灯坏了一周，晚上出行很不方便，请尽快修复。",
    )
    .await;
    c.find(Locator::XPath("//button[normalize-space()='提交']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("#receipt"))
        .await
        .unwrap();
    fits_the_width(&c, "the receipt").await;
    c.find(Locator::Css("#receipt a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Css("#result")).await.unwrap();
    assert!(text_of(&c, "#result").await.contains("已受理，正在分派"));
    fits_the_width(&c, "the tracking page").await;
    save_screenshot("portal-phone.png", &c.screenshot().await.unwrap());

    console_login(&c, &server, "handler").await;
    c.goto(&format!("{}/console/orders", server.base))
        .await
        .unwrap();
    fits_the_width(&c, "a unit's order list").await;
    let first = c
        .find(Locator::Css("table.list td a"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    c.goto(&format!("{}{first}", server.base)).await.unwrap();
    fits_the_width(&c, "a unit's order page").await;
    c.close().await.unwrap();
}

/// A unit's console hears of a dispatch as it happens (issue 17, point 1): the
/// handler's page is open when the dispatcher dispatches through the API, and the
/// unread count in the navigation and the 待签收 badge go up without a reload.
#[tokio::test]
async fn a_units_console_shows_a_new_dispatch_without_reloading() {
    let dir = tempfile::tempdir().unwrap();
    let Some((_driver, c)) = browser(&dir.path().join("profile")).await else {
        return;
    };
    let server = start_demo(&dir.path().join("data"));
    console_login(&c, &server, "handler").await;
    c.goto(&format!("{}/console/orders", server.base))
        .await
        .unwrap();
    let read = |what: &'static str| {
        let c = c.clone();
        async move { c.execute(what, vec![]).await.unwrap() }
    };
    let unread_before =
        read("return Number(document.getElementById('nav-notifications').dataset.unread)").await;
    let queue_badge = "const b = document.querySelector('a[data-queue=\"/console/orders?status=dispatched\"] .count'); return b ? b.textContent : '0'";
    let waiting_before = read(queue_badge).await;

    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("{}/api/v1/sessions", server.base))
        .json(&json!({"username": "dispatcher", "password": server.passwords["dispatcher"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap();
    let created: serde_json::Value = client
        .post(format!("{}/api/v1/orders", server.base))
        .bearer_auth(token)
        .json(
            &json!({"channel": "phone", "kind": "complaint", "domain": "public_services/roads",
            "region": "510104", "title": "井盖缺失", "content": "春熙路口井盖缺失，夜间危险。",
            "requester": {"name": "周先生", "phone": "13911112222"}}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_i64().unwrap();
    let r = client
        .post(format!("{}/api/v1/orders/{id}/dispatch", server.base))
        .bearer_auth(token)
        .json(&json!({"unit": "cd-jt"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());

    let mut unread = unread_before.clone();
    for _ in 0..100 {
        unread = read("return Number(document.getElementById('nav-notifications').dataset.unread)")
            .await;
        if unread != unread_before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        unread.as_i64().unwrap(),
        unread_before.as_i64().unwrap() + 1,
        "the count went up without a reload"
    );
    let waiting = read(queue_badge).await;
    assert_eq!(
        waiting.as_str().unwrap().parse::<i64>().unwrap(),
        waiting_before.as_str().unwrap().parse::<i64>().unwrap() + 1,
        "the 待签收 badge too"
    );
    assert!(text_of(&c, "#nav-notifications").await.contains("通知"));
    save_screenshot("unit-live-counts.png", &c.screenshot().await.unwrap());
    c.close().await.unwrap();
}
