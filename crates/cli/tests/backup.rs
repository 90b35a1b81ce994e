//! Backup and restore while the server serves, and the audit anchor the server keeps.

mod support;

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{Server, login, start_demo as start};

fn hotline(args: &[&str], data_dir: Option<&Path>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hotline"));
    cmd.args(args);
    if let Some(dir) = data_dir {
        cmd.arg("--data-dir").arg(dir);
    }
    cmd.output().unwrap()
}

fn succeeded(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn failed(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every order answered 201, as (id, number), in the order the answers came.
type Acknowledged = Arc<Mutex<Vec<(i64, String)>>>;

/// Stops the server as an operator does (SIGTERM) and waits for it to exit.
fn stop(mut server: Server) {
    let sent = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    assert!(server.child.wait().unwrap().success(), "a clean stop");
}

/// Creates orders from several clients until told to stop, keeping every (id, number)
/// answered 201 in the order the answers came.
fn keep_creating_orders(
    server: &Server,
    token: &str,
    stop: &Arc<AtomicBool>,
) -> (Acknowledged, Vec<tokio::task::JoinHandle<()>>) {
    let acked: Acknowledged = Arc::default();
    let client = reqwest::Client::new();
    let tasks = (0..6)
        .map(|c| {
            let (client, token, base, acked, stop) = (
                client.clone(),
                token.to_owned(),
                server.base.clone(),
                acked.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let body = serde_json::json!({"channel": "phone", "kind": "help", "region": "510104",
                        "title": format!("路灯不亮 {c}-{i}"), "content": "小区门口路灯已坏一周，夜间出行不便。"});
                    let r = client
                        .post(format!("{base}/api/v1/orders"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
                    let v: serde_json::Value = r.json().await.unwrap();
                    acked.lock().unwrap().push((
                        v["id"].as_i64().unwrap(),
                        v["number"].as_str().unwrap().to_owned(),
                    ));
                }
            })
        })
        .collect();
    (acked, tasks)
}

async fn wait_for_more(acked: &Mutex<Vec<(i64, String)>>, than: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().len() < than {
        assert!(Instant::now() < deadline, "intake stalled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn order_ids(db: &Path) -> HashSet<i64> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut s = conn.prepare("SELECT id FROM orders").unwrap();
    s.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The byte offset of the middle of a member's data in a tar archive.
fn member_offset(archive: &Path, name: &str) -> u64 {
    let mut ar = tar::Archive::new(std::fs::File::open(archive).unwrap());
    ar.entries()
        .unwrap()
        .map(Result::unwrap)
        .find(|e| e.path().unwrap().to_str() == Some(name))
        .map(|e| e.raw_file_position() + e.size() / 2)
        .unwrap()
}

/// Restores a copy of the backup with one byte flipped, which must fail, leave no
/// target and no temporary behind; the error.
fn restore_with_flipped_byte(root: &Path, backup: &[u8], at: u64) -> String {
    let mut bytes = backup.to_vec();
    bytes[at as usize] ^= 0x01;
    let tampered = root.join("tampered.backup");
    std::fs::write(&tampered, bytes).unwrap();
    let target = root.join("from-tampered");
    let out = hotline(
        &[
            "restore",
            tampered.to_str().unwrap(),
            target.to_str().unwrap(),
        ],
        None,
    );
    assert!(!out.status.success(), "a flipped byte at {at} was restored");
    assert!(!target.exists());
    let leftovers: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_load_holds_every_order_acknowledged_before_it_and_restores_checked() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let server = start(&data);
    // Files the installation gains later are backed up without being named anywhere.
    std::fs::create_dir_all(data.join("attachments/2026")).unwrap();
    std::fs::write(
        data.join("attachments/2026/photo.jpg"),
        b"\xff\xd8not really",
    )
    .unwrap();
    let client = reqwest::Client::new();
    let token = login(&client, &server, "operator").await;
    let stopping = Arc::new(AtomicBool::new(false));
    let (acked, tasks) = keep_creating_orders(&server, &token, &stopping);
    wait_for_more(&acked, 150).await;

    let before: Vec<(i64, String)> = acked.lock().unwrap().clone();
    let file = root.path().join("hotline.backup");
    let out = tokio::task::spawn_blocking({
        let (data, file) = (data.clone(), file.clone());
        move || hotline(&["backup", file.to_str().unwrap()], Some(&data))
    })
    .await
    .unwrap();
    let report = succeeded(&out);
    assert!(
        report.contains("secret key (secret.key) is in the backup"),
        "{report}"
    );
    // The server kept serving: intake goes on after the backup.
    let after = acked.lock().unwrap().len();
    wait_for_more(&acked, after + 50).await;
    stopping.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }

    let restored = root.path().join("restored");
    let report = succeeded(&hotline(
        &[
            "restore",
            file.to_str().unwrap(),
            restored.to_str().unwrap(),
        ],
        None,
    ));
    assert!(report.contains("restored into"), "{report}");
    let ids = order_ids(&restored.join("hotline.db"));
    for (id, number) in &before {
        assert!(
            ids.contains(id),
            "order {number} was acknowledged before the backup but is not in it"
        );
    }
    assert_eq!(
        std::fs::read(restored.join("secret.key")).unwrap(),
        std::fs::read(data.join("secret.key")).unwrap()
    );
    assert!(restored.join("attachments/2026/photo.jpg").exists());
    assert!(
        !restored.join("kb-index").exists(),
        "derived indexes are rebuilt, not restored"
    );
    let verified = succeeded(&hotline(&["audit", "verify"], Some(&restored)));
    assert!(verified.contains("extends the anchor"), "{verified}");

    // The restored copy serves, with the orders the backup holds.
    drop(server);
    let copy = start(&restored);
    let token = login(&client, &copy, "supervisor").await;
    let (id, number) = before.last().unwrap();
    let r = client
        .get(format!("{}/api/v1/orders/{id}", copy.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK, "order {number}");
    // The text index, not in the backup, is rebuilt from the restored database.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let found: serde_json::Value = client
            .get(format!("{}/api/v1/orders?q=路灯不亮", copy.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if found["items"].as_array().is_some_and(|i| !i.is_empty()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the order index was not rebuilt: {found}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(copy);

    // One flipped byte in the database's copy is named; one anywhere else (a header,
    // padding, the manifest, the seal, the end blocks) is refused too; and a refused
    // restore leaves nothing behind.
    let original = std::fs::read(&file).unwrap();
    let in_database = member_offset(&file, "data/hotline.db");
    let err = restore_with_flipped_byte(root.path(), &original, in_database);
    assert!(
        err.contains("data/hotline.db does not match its checksum"),
        "{err}"
    );
    let len = original.len() as u64;
    let manifest = member_offset(&file, "manifest.json");
    let seal = member_offset(&file, "seal.sha256");
    let elsewhere = [0, 150, 600, manifest, seal, seal - 400, len - 700, len - 1];
    for at in elsewhere
        .into_iter()
        .chain((1..12).map(|k| len * k / 12 + 3))
    {
        let err = restore_with_flipped_byte(root.path(), &original, at);
        assert!(err.contains("hotline: "), "byte {at} of {len}: {err}");
    }

    // A directory already holding data is never restored over.
    let err = failed(&hotline(
        &["restore", file.to_str().unwrap(), data.to_str().unwrap()],
        None,
    ));
    assert!(err.contains("not empty"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_keeps_the_audit_anchor_and_never_moves_it_over_a_truncated_trail() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let server = start(&data);
    let anchor_file = data.join("audit.anchor");
    // Written when the server starts…
    let deadline = Instant::now() + Duration::from_secs(30);
    while !anchor_file.exists() {
        assert!(Instant::now() < deadline, "no anchor file");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let client = reqwest::Client::new();
    login(&client, &server, "operator").await;
    login(&client, &server, "supervisor").await;
    stop(server);
    // …and when it stops, after the last request (background jobs may add records
    // after it: an anchor is a point the trail must still reach, not its end).
    let kept = std::fs::read_to_string(&anchor_file).unwrap();
    let anchored: i64 = kept.split(':').next().unwrap().parse().unwrap();
    let db = rusqlite::Connection::open(data.join("hotline.db")).unwrap();
    let last_login: i64 = db
        .query_row(
            "SELECT MAX(id) FROM audit_log WHERE action = 'login'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    drop(db);
    assert!(
        anchored >= last_login,
        "{kept} misses the login, record {last_login}"
    );
    let verified = succeeded(&hotline(&["audit", "verify"], Some(&data)));
    assert!(
        verified.contains(&format!("extends the anchor {}", kept.trim())),
        "{verified}"
    );
    let head = succeeded(&hotline(&["audit", "anchor"], Some(&data)));
    assert!(
        verified.contains(&format!("head {}", head.trim())),
        "{verified}"
    );

    let db = rusqlite::Connection::open(data.join("hotline.db")).unwrap();
    // The newest records, the anchored one among them, are deleted.
    db.execute_batch("DROP TRIGGER audit_log_append_only_d;")
        .unwrap();
    db.execute("DELETE FROM audit_log WHERE id >= ?1", [anchored - 1])
        .unwrap();
    drop(db);
    let err = failed(&hotline(&["audit", "verify"], Some(&data)));
    assert!(err.contains("are missing"), "{err}");

    // A restart does not make the shortened trail look right.
    let server = start(&data);
    login(&client, &server, "operator").await;
    stop(server);
    assert_eq!(std::fs::read_to_string(&anchor_file).unwrap(), kept);
    failed(&hotline(&["audit", "verify"], Some(&data)));
}
