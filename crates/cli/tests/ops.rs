//! The server as operations run it: metrics on their own address, log lines a
//! collector can read.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use support::free_port;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `hotline serve` with extra settings; answers once it prints that it serves.
fn serve(dir: &std::path::Path, port: u16, env: &[(&str, &str)]) -> Running {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hotline"));
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(dir)
        .env("HOTLINE_LOG", "info")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let serving = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|l| l.starts_with("hotline is serving"));
    assert!(serving, "the server started");
    Running(child)
}

/// Stops the server and returns what it logged.
fn stop(mut server: Running) -> String {
    let _ = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status();
    let _ = server.0.wait();
    let mut logged = String::new();
    std::io::Read::read_to_string(&mut server.0.stderr.take().unwrap(), &mut logged).unwrap();
    logged
}

#[tokio::test]
async fn metrics_are_served_on_their_own_address_and_not_on_the_services() {
    let dir = tempfile::tempdir().unwrap();
    let (port, metrics_port) = (free_port(), free_port());
    let metrics_listen = format!("127.0.0.1:{metrics_port}");
    let server = serve(
        dir.path(),
        port,
        &[("HOTLINE_METRICS_LISTEN", metrics_listen.as_str())],
    );
    let client = reqwest::Client::new();
    let r = client
        .get(format!("http://{metrics_listen}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("hotline_orders"));
    let r = client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    drop(server);
}

#[test]
fn a_metrics_address_already_taken_stops_the_server_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["serve", "--listen", &format!("127.0.0.1:{}", free_port())])
        .arg("--data-dir")
        .arg(dir.path())
        .env("HOTLINE_METRICS_LISTEN", &address)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("metrics_listen"), "{err}");
}

#[test]
fn logs_written_to_a_file_carry_no_colour_codes_and_json_logs_are_one_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let plain = stop(serve(
        dir.path(),
        free_port(),
        &[("HOTLINE_METRICS_LISTEN", "")],
    ));
    assert!(plain.contains("serving"), "{plain}");
    assert!(!plain.contains('\u{1b}'), "no escape codes: {plain:?}");

    let json = stop(serve(
        dir.path(),
        free_port(),
        &[
            ("HOTLINE_METRICS_LISTEN", ""),
            ("HOTLINE_LOG_FORMAT", "json"),
        ],
    ));
    let lines: Vec<&str> = json.lines().collect();
    assert!(!lines.is_empty());
    for line in &lines {
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not one JSON object per line ({e}): {line}"));
        assert!(v["level"].is_string() && v["fields"].is_object(), "{line}");
    }
    assert!(json.contains("\"serving\""), "{json}");
}

#[test]
fn an_unknown_log_format_is_refused_with_the_settings_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["audit", "verify", "--data-dir"])
        .arg(dir.path())
        .env("HOTLINE_LOG_FORMAT", "xml")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("log_format"), "{err}");
}

fn hotline_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .unwrap()
}

const ADD_HOTLINE: [&str; 10] = [
    "unit",
    "add",
    "--code",
    "sc12345",
    "--name",
    "四川省12345热线",
    "--kind",
    "hotline",
    "--region",
    "510000",
];

#[test]
fn a_writing_command_beside_a_running_server_refuses_and_names_the_api_call_instead() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), free_port(), &[("HOTLINE_METRICS_LISTEN", "")]);
    // Once this broke the server's next write: two processes, one database file.
    let out = hotline_in(dir.path(), &ADD_HOTLINE);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("POST /api/v1/units"), "{err}");
    assert!(
        !hotline_in(dir.path(), &["unit", "list"])
            .stdout
            .windows(7)
            .any(|w| w == b"sc12345")
    );
    // Reading commands still run beside it.
    assert!(
        hotline_in(dir.path(), &["audit", "verify"])
            .status
            .success()
    );
    // So does no second server.
    let second = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["serve", "--listen", &format!("127.0.0.1:{}", free_port())])
        .arg("--data-dir")
        .arg(dir.path())
        .env("HOTLINE_METRICS_LISTEN", "")
        .output()
        .unwrap();
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("in use"));
    stop(server);
    let out = hotline_in(dir.path(), &ADD_HOTLINE);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
