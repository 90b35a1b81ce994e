//! `hotline keys` on a real data directory: the demo province loaded by a server with
//! personal data encryption on, its keys rotated to SM4 while the server is stopped,
//! and a start with the wrong keys file refused.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

fn hotline(dir: &std::path::Path, envs: &[(&str, &str)], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env("HOTLINE_PERSONAL_DATA_ENCRYPTION", "true")
        .envs(envs.iter().copied())
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Loads the demo with encryption on, then stops the server.
fn load_demo_encrypted(dir: &std::path::Path, envs: &[(&str, &str)]) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(dir)
        .env("HOTLINE_PERSONAL_DATA_ENCRYPTION", "true")
        .env("HOTLINE_LOG", "warn")
        .env("HOTLINE_METRICS_LISTEN", "")
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    for line in BufReader::new(stdout).lines() {
        if line.unwrap().starts_with("hotline is serving") {
            break;
        }
    }
    let _ = child.kill();
    child.wait().unwrap();
}

fn count_for(status: &str, key: &str) -> String {
    status
        .lines()
        .find(|l| l.starts_with(&format!("key {key}")))
        .unwrap_or_else(|| panic!("no key {key} in {status}"))
        .rsplit(": ")
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn keys_are_made_on_first_use_rotated_to_sm4_and_a_wrong_file_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    load_demo_encrypted(dir.path(), &[]);
    // The order index was built with requesters' details masked from the start.
    assert!(dir.path().join("order-index.masked").exists());
    let keys = dir.path().join("data.keys");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&keys).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let ring: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&keys).unwrap()).unwrap();
    let first = ring["current"].as_str().unwrap().to_owned();
    assert_eq!(ring["keys"][0]["algorithm"], "aes-256-gcm");

    let status = hotline(dir.path(), &[], &["keys", "status"]);
    assert!(status.status.success(), "{}", text(&status));
    let status = text(&status);
    assert_eq!(count_for(&status, &first), demo_orders(), "{status}");
    assert!(status.contains("stored plain: 0 orders"), "{status}");

    let rotated = hotline(
        dir.path(),
        &[("HOTLINE_PERSONAL_DATA_CIPHER", "sm4-gcm")],
        &["keys", "rotate", "--batch", "70"],
    );
    assert!(rotated.status.success(), "{}", text(&rotated));
    let out = text(&rotated);
    assert!(
        out.contains(&format!("{} encrypted again", demo_orders())),
        "{out}"
    );
    assert!(
        out.contains(&format!("dropped from the keys file: {first}")),
        "{out}"
    );
    let ring: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&keys).unwrap()).unwrap();
    let second = ring["current"].as_str().unwrap().to_owned();
    assert_eq!(ring["keys"].as_array().unwrap().len(), 1);
    assert_eq!(ring["keys"][0]["algorithm"], "sm4-gcm");
    let status = text(&hotline(dir.path(), &[], &["keys", "status"]));
    assert_eq!(count_for(&status, &second), demo_orders(), "{status}");

    // The old keys file (or none) no longer opens the data: a clear refusal.
    let saved = std::fs::read(&keys).unwrap();
    std::fs::remove_file(&keys).unwrap();
    let refused = hotline(dir.path(), &[], &["keys", "status"]);
    assert!(!refused.status.success());
    let out = text(&refused);
    assert!(
        out.contains(&format!("key {second}")) && out.contains("does not hold"),
        "{out}"
    );
    // Encryption off over encrypted data is refused too.
    std::fs::write(&keys, saved).unwrap();
    let off = hotline(
        dir.path(),
        &[("HOTLINE_PERSONAL_DATA_ENCRYPTION", "false")],
        &["keys", "status"],
    );
    assert!(!off.status.success());
    assert!(text(&off).contains("encryption is off"), "{}", text(&off));
}

#[test]
fn a_backup_carries_a_keys_file_kept_outside_the_data_directory() {
    let root = tempfile::tempdir().unwrap();
    let (data, vault) = (root.path().join("data"), root.path().join("vault"));
    std::fs::create_dir_all(&vault).unwrap();
    let keys = vault.join("hotline.keys");
    let outside = [("HOTLINE_PERSONAL_DATA_KEYS", keys.to_str().unwrap())];
    load_demo_encrypted(&data, &outside);
    assert!(keys.exists() && !data.join("data.keys").exists());
    let file = root.path().join("backup.tar");
    let out = hotline(&data, &outside, &["backup", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("data.keys"), "{}", text(&out));

    let restored = root.path().join("restored");
    let out = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args([
            "restore",
            file.to_str().unwrap(),
            restored.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        std::fs::read(restored.join("data.keys")).unwrap(),
        std::fs::read(&keys).unwrap()
    );
    // The restored copy opens with its keys where a data directory keeps them…
    let out = hotline(&restored, &[], &["keys", "status"]);
    assert!(out.status.success(), "{}", text(&out));
    // …and without them it does not open at all.
    std::fs::remove_file(restored.join("data.keys")).unwrap();
    let out = hotline(&restored, &[], &["keys", "status"]);
    assert!(!out.status.success(), "{}", text(&out));
}

/// "N orders": every order the demo loads.
fn demo_orders() -> String {
    format!("{} orders", hotline_app::demo::ORDERS)
}
