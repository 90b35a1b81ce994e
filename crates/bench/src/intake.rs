//! `hotline bench intake`: starts the hotline binary as a server on a fresh on-disk
//! SQLite database (WAL, `synchronous=FULL`), logs 64 clients in, and drives durable
//! `POST /api/v1/orders` over loopback HTTP; its ceiling is `POST /api/v1/bench/noop`,
//! a route behind the same middleware and authentication that parses the same body
//! and answers 201 without storing anything.

use hotline_app::AppState;
use hotline_app::admin::{add_unit, add_user};
use hotline_app::audit::Principal;
use hotline_domain::{RegionCode, Role, UnitCode, UnitKind};
use hotline_store::UnitRecord;
use serde::Serialize;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::{Scratch, percentile_ms};

#[derive(Serialize)]
struct IntakeFigures {
    orders_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    ceiling_per_s: f64,
    ratio: f64,
    peak_rss_mb: f64,
}

const PASSWORD: &str = "Load-Test-Pass-2026";

/// A realistic intake: about 640 bytes of JSON with some 170 Chinese characters.
fn sample_order(i: usize) -> serde_json::Value {
    serde_json::json!({
        "channel": "phone", "kind": "complaint", "domain": "environmental_protection/noise",
        "region": "510104",
        "title": format!("夜间施工噪声扰民（第{i}号）"),
        "content": "锦江区东大街附近的建筑工地连续多日在夜间十一点以后仍然进行混凝土浇筑作业，\
                    搅拌车和振捣设备的噪声非常大，周边小区居民无法正常休息，老人和孩子尤其受影响。\
                    此前已向工地负责人反映过，但没有任何改善。希望相关部门尽快到现场核查，\
                    依法查处违规夜间施工行为，并督促施工单位合理安排作业时间，减少对居民的影响。",
        "address": "锦江区东大街100号附近工地",
        "urgent": false,
        "location": {"lat": 30.657, "lng": 104.081},
        "requester": {"name": "王先生", "phone": format!("138{:08}", i % 100_000_000), "anonymous": false},
        "confidential": false
    })
}

struct Phase {
    count: usize,
    errors: usize,
    latencies: Vec<Duration>,
    elapsed: Duration,
}

impl Phase {
    fn per_second(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64()
    }
    fn percentile_ms(&self, p: f64) -> f64 {
        percentile_ms(&self.latencies, p)
    }
}

/// Distinct request bodies, serialised before the clock starts so that the load
/// client (which shares the machine's cores with the server) does as little as it can.
fn sample_bodies(n: usize) -> Arc<Vec<bytes::Bytes>> {
    Arc::new(
        (0..n)
            .map(|i| bytes::Bytes::from(serde_json::to_vec(&sample_order(i)).unwrap_or_default()))
            .collect(),
    )
}

async fn drive(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    bodies: &Arc<Vec<bytes::Bytes>>,
    clients: usize,
    length: Duration,
) -> Phase {
    let started = Instant::now();
    let deadline = started + length;
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, url, token, bodies) = (
            client.clone(),
            url.to_owned(),
            token.to_owned(),
            bodies.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            let mut i = c * 7919;
            while Instant::now() < deadline {
                let body = bodies[i % bodies.len()].clone();
                i += 1;
                let t = Instant::now();
                let r = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                match r {
                    Ok(resp) if resp.status() == reqwest::StatusCode::CREATED => {
                        let _ = resp.bytes().await;
                        lat.push(t.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let mut phase = Phase {
        count: 0,
        errors: 0,
        latencies: Vec::new(),
        elapsed: Duration::ZERO,
    };
    for t in tasks {
        if let Ok((lat, errors)) = t.await {
            phase.count += lat.len();
            phase.errors += errors;
            phase.latencies.extend(lat);
        }
    }
    phase.elapsed = started.elapsed();
    phase.latencies.sort();
    phase
}

/// Creates the bench's hotline and operator in a fresh database, then closes it.
async fn prepare(state: AppState) -> Result<(), String> {
    let code = UnitCode::parse("bench12345").map_err(|e| e.0)?;
    let unit = UnitRecord {
        code: code.clone(),
        name: "压测热线".into(),
        kind: UnitKind::Hotline,
        parent: None,
        region: RegionCode::parse("510100").map_err(|e| e.0)?,
        active: true,
        line_head: None,
    };
    add_unit(&state, &Principal::System, unit)
        .await
        .map_err(|e| e.message)?;
    add_user(
        &state,
        &Principal::System,
        "bench",
        PASSWORD,
        vec![Role::Operator],
        Some(code),
    )
    .await
    .map_err(|e| e.message)?;
    Ok(())
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// Peak resident set of a process (VmHWM), in MiB.
fn peak_rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn wait_healthy(client: &reqwest::Client, base: &str) -> Result<(), String> {
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("the benchmark server did not become healthy within 30 s".into())
}

async fn login(
    client: &reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
) -> Result<String, String> {
    let r = client
        .post(format!("{base}/api/v1/sessions"))
        .json(&serde_json::json!({"username": username, "password": password}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let v: serde_json::Value = r.json().await.map_err(|e| e.to_string())?;
    v["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("login failed: {v}"))
}

/// Runs the benchmark: `clients` concurrent clients, each phase `length` long.
/// `server` is the hotline binary, started as `server serve --data-dir DIR`; `open`
/// opens the application on DIR as that server will (to create the operator first).
pub async fn run<F, Fut>(
    json: bool,
    clients: usize,
    length: Duration,
    server: &Path,
    open: F,
) -> Result<(), String>
where
    F: FnOnce(PathBuf) -> Fut,
    Fut: Future<Output = Result<AppState, String>>,
{
    let dir = Scratch::new("intake")?;
    prepare(open(dir.path().to_owned()).await?).await?;
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let mut server = tokio::process::Command::new(server)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(dir.path())
        .env("HOTLINE_BENCH_ROUTES", "true")
        .env("HOTLINE_LOG", "warn")
        // Several servers may run side by side: none takes the fixed metrics port.
        .env("HOTLINE_METRICS_LISTEN", "")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start the server: {e}"))?;
    let pid = server.id().unwrap_or(0);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()
        .map_err(|e| e.to_string())?;
    wait_healthy(&client, &base).await?;
    let token = login(&client, &base, "bench", PASSWORD).await?;
    let bodies = sample_bodies(20_000);
    let noop = format!("{base}/api/v1/bench/noop");
    let orders = format!("{base}/api/v1/orders");
    drive(
        &client,
        &noop,
        &token,
        &bodies,
        clients,
        Duration::from_secs(1),
    )
    .await;
    let ceiling = drive(&client, &noop, &token, &bodies, clients, length).await;
    let intake = drive(&client, &orders, &token, &bodies, clients, length).await;
    let rss = peak_rss_mb(pid);
    let _ = server.kill().await;
    if intake.errors > 0 || ceiling.errors > 0 {
        eprintln!(
            "hotline: warning: {} intake and {} ceiling requests failed",
            intake.errors, ceiling.errors
        );
    }
    let figures = IntakeFigures {
        orders_per_s: round1(intake.per_second()),
        p50_ms: round2(intake.percentile_ms(0.50)),
        p99_ms: round2(intake.percentile_ms(0.99)),
        ceiling_per_s: round1(ceiling.per_second()),
        ratio: round2(intake.per_second() / ceiling.per_second().max(1.0)),
        peak_rss_mb: round1(rss),
    };
    println!(
        "bench intake: {clients} clients over loopback HTTP, {} s per phase, fresh SQLite (WAL, synchronous=FULL)",
        length.as_secs()
    );
    println!(
        "  ceiling  no-op route (same middleware, auth, parsing): {:>9.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms",
        figures.ceiling_per_s,
        ceiling.percentile_ms(0.5),
        ceiling.percentile_ms(0.99)
    );
    println!(
        "  intake   durable POST /api/v1/orders:                 {:>9.0} orders/s   p50 {:>6.2} ms   p99 {:>6.2} ms",
        figures.orders_per_s, figures.p50_ms, figures.p99_ms
    );
    println!(
        "  ratio {:.2}   server peak RSS {:.1} MB   ({} orders stored)",
        figures.ratio, figures.peak_rss_mb, intake.count
    );
    if json {
        println!(
            "{}",
            serde_json::to_string(&figures).map_err(|e| e.to_string())?
        );
    }
    Ok(())
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
