//! Crash safety: the server is killed with SIGKILL while clients create orders
//! concurrently; after a restart every order that was answered 201 is there, with
//! its events.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{login, start_demo as start};

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
