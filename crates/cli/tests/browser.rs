//! The console in a real browser: headless Chromium through chromedriver.
//!
//! Skipped with a notice where chromedriver is not installed, unless
//! `HOTLINE_REQUIRE_BROWSER=1` (as in CI), where its absence fails the test.

mod support;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::{Server, free_port, login, start_demo};

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

/// Opens the action's form on the order page, fills it and submits it.
async fn act(c: &Client, label: &str, fill: &[(&str, &str)]) {
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
        details
            .find(Locator::Css(css))
            .await
            .unwrap()
            .send_keys(value)
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
    c.wait()
        .for_element(Locator::Css(".notice, .error"))
        .await
        .unwrap();
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
async fn an_order_is_dispatched_accepted_and_shown_escaped_through_the_console() {
    let dir = tempfile::tempdir().unwrap();
    let Some((_driver, c)) = browser(&dir.path().join("profile")).await else {
        return;
    };
    let server = start_demo(&dir.path().join("data"));
    // A complaint whose title is markup: it must show as text.
    let http = reqwest::Client::new();
    let token = login(&http, &server, "operator").await;
    let body = json!({"channel": "phone", "kind": "complaint", "domain": "public_services/roads", "region": "510104",
        "title": "<script>alert(1)</script>", "content": "春熙路路灯不亮，夜间行人看不清台阶。",
        "address": "锦江区春熙路1号", "requester": {"name": "李女士", "phone": "13900001111"}});
    let order: serde_json::Value = http
        .post(format!("{}/api/v1/orders", server.base))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = order["id"].as_i64().unwrap();
    let page = format!("{}/console/orders/{id}", server.base);

    // The operator sees the list, opens the order and dispatches it.
    console_login(&c, &server, "operator").await;
    assert!(
        text_of(&c, "table.list")
            .await
            .contains("<script>alert(1)</script>")
    );
    c.goto(&page).await.unwrap();
    assert_eq!(text_of(&c, "h1").await, "<script>alert(1)</script>");
    assert!(c.get_alert_text().await.is_err(), "no script ran");
    act(&c, "派单", &[("input[name=unit]", "cd-jt")]).await;
    assert!(text_of(&c, ".notice").await.contains("派单"));
    save_screenshot("order-page.png", &c.screenshot().await.unwrap());
    logout(&c).await;

    // The handler of the lead unit sees it in the unit's list and accepts it.
    console_login(&c, &server, "handler").await;
    assert!(
        text_of(&c, "table.list")
            .await
            .contains("<script>alert(1)</script>")
    );
    save_screenshot("unit-inbox.png", &c.screenshot().await.unwrap());
    c.goto(&page).await.unwrap();
    act(&c, "签收", &[]).await;
    assert!(text_of(&c, "dl.fields").await.contains("办理中"));
    assert!(
        !c.source().await.unwrap().contains("13900001111"),
        "the full phone number stays hidden"
    );
    logout(&c).await;

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
