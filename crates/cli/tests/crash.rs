//! Crash safety: the server is killed with SIGKILL while clients create orders
//! concurrently; after a restart every order that was answered 201 is there, with
//! its events.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    base: String,
    passwords: HashMap<String, String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `hotline serve --demo` and reads the demo passwords it prints.
fn start(dir: &std::path::Path) -> Server {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(dir)
        .env("HOTLINE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut passwords = HashMap::new();
    let stdout = child.stdout.take().unwrap();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if line.starts_with("hotline is serving") {
            break;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.len() == 2 && parts[1].starts_with("Hl-") {
            passwords.insert(parts[0].to_owned(), parts[1].to_owned());
        }
    }
    Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        passwords,
    }
}

async fn login(client: &reqwest::Client, s: &Server, user: &str) -> String {
    let r = client
        .post(format!("{}/api/v1/sessions", s.base))
        .json(&serde_json::json!({"username": user, "password": s.passwords[user]}))
        .send()
        .await
        .unwrap();
    r.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_order_answered_201_survives_a_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path());
    let client = reqwest::Client::new();
    let token = login(&client, &server, "operator").await;
    let acknowledged: Arc<Mutex<Vec<(i64, String)>>> = Arc::default();
    let stop_at = Instant::now() + Duration::from_secs(20);
    let mut tasks = Vec::new();
    for c in 0..16 {
        let (client, token, base, acked) = (
            client.clone(),
            token.clone(),
            server.base.clone(),
            acknowledged.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut i = 0;
            while Instant::now() < stop_at {
                i += 1;
                let body = serde_json::json!({"channel": "phone", "kind": "help", "region": "510104",
                    "title": format!("断电求助 {c}-{i}"), "content": "小区突然停电，家中有老人，请尽快协调抢修。"});
                let sent = client.post(format!("{base}/api/v1/orders")).bearer_auth(&token).json(&body).send().await;
                match sent {
                    Ok(r) if r.status() == reqwest::StatusCode::CREATED => {
                        if let Ok(v) = r.json::<serde_json::Value>().await {
                            acked.lock().unwrap().push((v["id"].as_i64().unwrap(), v["number"].as_str().unwrap().to_owned()));
                        }
                    }
                    Ok(_) => {}
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }
    // Let intake run, then kill the server mid-flight.
    while acknowledged.lock().unwrap().len() < 300 && Instant::now() < stop_at {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    for t in tasks {
        let _ = t.await;
    }
    let acked = acknowledged.lock().unwrap().clone();
    assert!(
        acked.len() >= 300,
        "intake ran before the kill ({} orders)",
        acked.len()
    );

    let server = start(dir.path());
    let token = login(&client, &server, "supervisor").await;
    for (id, number) in &acked {
        let r = client
            .get(format!("{}/api/v1/orders/{id}", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            reqwest::StatusCode::OK,
            "order {number} was acknowledged but is gone"
        );
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["number"].as_str(), Some(number.as_str()));
        assert_eq!(v["events"][0]["type"], "registered");
    }
}
