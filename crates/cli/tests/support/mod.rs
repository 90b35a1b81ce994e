//! Starting the real binary with the demo province, for tests that need a server.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub struct Server {
    pub child: Child,
    pub base: String,
    pub passwords: HashMap<String, String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `hotline serve --demo` and reads the demo passwords it prints.
pub fn start_demo(dir: &std::path::Path) -> Server {
    start_demo_with(dir, &[])
}

/// The same, with some settings given as environment variables.
pub fn start_demo_with(dir: &std::path::Path, env: &[(&str, &str)]) -> Server {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(dir)
        .envs(env.iter().copied())
        .env("HOTLINE_LOG", "warn")
        // Tests run servers side by side: none takes the fixed metrics port.
        .env("HOTLINE_METRICS_LISTEN", "")
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

pub async fn login(client: &reqwest::Client, s: &Server, user: &str) -> String {
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
