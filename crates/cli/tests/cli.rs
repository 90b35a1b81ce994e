//! The command line as a user types it.

use std::process::Command;

fn hotline(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .unwrap()
}

#[test]
fn add_workdays_gives_the_policys_worked_example() {
    let dir = tempfile::tempdir().unwrap();
    let out = hotline(dir.path(), &["calendar", "add-workdays", "2026-02-13", "3"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2026-02-25");
    assert!(out.stderr.is_empty(), "no warning inside loaded years");
}

#[test]
fn counting_into_an_unloaded_year_warns_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let out = hotline(dir.path(), &["calendar", "add-workdays", "2026-12-30", "3"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2027-01-04");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no loaded official arrangement"));
}

#[test]
fn workdays_lists_the_official_working_days_one_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = hotline(
        dir.path(),
        &[
            "calendar",
            "workdays",
            "--from",
            "2004-01-01",
            "--to",
            "2026-12-31",
        ],
    );
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let days: Vec<&str> = text.lines().collect();
    assert!(days.contains(&"2026-02-14"), "a make-up Saturday is listed");
    assert!(
        !days.contains(&"2026-02-23"),
        "a Spring Festival Monday is not"
    );
    assert!(!days.contains(&"2004-10-01") && days.contains(&"2004-10-09"));
    // 2025 by its notice: 261 weekdays, 18 of them in holiday periods, 5 make-up days.
    let in_2025 = days.iter().filter(|d| d.starts_with("2025-")).count();
    assert_eq!(in_2025, 248);
}

#[test]
fn importing_a_year_makes_it_exact_and_bad_input_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("2027.json");
    std::fs::write(
        &file,
        r#"{"year": 2027, "holidays": ["2027-01-01"], "workdays": []}"#,
    )
    .unwrap();
    let out = hotline(dir.path(), &["calendar", "import", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = hotline(dir.path(), &["calendar", "add-workdays", "2026-12-31", "1"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2027-01-04");
    assert!(out.stderr.is_empty());
    std::fs::write(
        &file,
        r#"{"year": 2027, "holidays": [], "workdays": ["2027-01-05"]}"#,
    )
    .unwrap();
    let out = hotline(dir.path(), &["calendar", "import", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("2027-01-05"), "{err}");
}

#[test]
fn user_add_reads_the_password_from_stdin_and_enforces_the_policy() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let run = |password: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hotline"))
            .args([
                "user",
                "add",
                "--username",
                "root",
                "--role",
                "admin",
                "--password-stdin",
                "--data-dir",
            ])
            .arg(dir.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(password.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let weak = run("short\n");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password"));
    let ok = run("A-strong-password-1\n");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

#[test]
fn audit_verify_passes_and_then_names_the_record_altered_in_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("2027.json");
    for year in [2027, 2028, 2029] {
        std::fs::write(
            &file,
            format!(r#"{{"year": {year}, "holidays": ["{year}-01-01"], "workdays": []}}"#),
        )
        .unwrap();
        assert!(
            hotline(dir.path(), &["calendar", "import", file.to_str().unwrap()])
                .status
                .success()
        );
    }
    let ok = hotline(dir.path(), &["audit", "verify"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("3 records"));
    // Someone with direct database access drops the guard and edits record 2.
    let db = rusqlite::Connection::open(dir.path().join("hotline.db")).unwrap();
    let blocked = db.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 2", []);
    assert!(
        blocked.is_err(),
        "the product itself refuses to change the trail"
    );
    db.execute_batch("DROP TRIGGER audit_log_append_only_u; UPDATE audit_log SET actor = 'mallory' WHERE id = 2;").unwrap();
    drop(db);
    let broken = hotline(dir.path(), &["audit", "verify"]);
    assert!(!broken.status.success());
    let err = String::from_utf8_lossy(&broken.stderr);
    assert!(err.contains("audit record 2 is broken"), "{err}");
}

#[test]
fn units_and_accounts_are_managed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let ok = |args: &[&str]| {
        let out = hotline(dir.path(), args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    ok(&[
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
    ]);
    ok(&[
        "unit",
        "add",
        "--code",
        "sc-a",
        "--name",
        "甲厅",
        "--kind",
        "department",
        "--parent",
        "sc12345",
        "--region",
        "510000",
    ]);
    ok(&["unit", "rename", "sc-a", "甲厅（新）"]);
    ok(&["unit", "deactivate", "sc-a"]);
    let list = ok(&["unit", "list"]);
    assert!(
        list.contains("sc-a\tdepartment\t510000\tsc12345\tinactive\t甲厅（新）"),
        "{list}"
    );
    let bad = hotline(dir.path(), &["unit", "move", "sc12345", "sc-a"]);
    assert!(!bad.status.success());
    assert_eq!(String::from_utf8_lossy(&bad.stderr).lines().count(), 1);
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args([
            "user",
            "add",
            "--username",
            "op",
            "--role",
            "operator",
            "--unit",
            "sc12345",
            "--password-stdin",
            "--data-dir",
        ])
        .arg(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Secret-pass-2026\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
    assert!(ok(&["user", "disable", "op"]).contains("disabled"));
    assert!(ok(&["user", "roles", "op", "operator,dispatcher"]).contains("operator,dispatcher"));
    let verify = ok(&["audit", "verify"]);
    assert!(verify.contains("7 records"), "{verify}");
}

#[test]
fn apikey_add_prints_the_key_once_last_on_its_line_and_revoke_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| hotline(dir.path(), args);
    assert!(
        run(&[
            "unit",
            "add",
            "--code",
            "sc12345",
            "--name",
            "省热线",
            "--kind",
            "hotline",
            "--region",
            "510000"
        ])
        .status
        .success()
    );
    let out = run(&[
        "apikey",
        "add",
        "--name",
        "open311",
        "--unit",
        "sc12345",
        "--actions",
        "create,read",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let key = text.trim_end().rsplit(' ').next().unwrap();
    assert!(key.starts_with("hk_") && key.len() == 67, "{text}");
    let list = String::from_utf8(run(&["apikey", "list"]).stdout).unwrap();
    assert!(
        list.starts_with("open311\tsc12345\tcreate,read\t") && !list.contains(key),
        "{list}"
    );
    assert!(run(&["apikey", "revoke", "open311"]).status.success());
    let again = run(&["apikey", "revoke", "open311"]);
    assert!(!again.status.success());
    let bad = run(&[
        "apikey",
        "add",
        "--name",
        "x",
        "--unit",
        "sc12345",
        "--actions",
        "fly",
    ]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown action"));
}

#[test]
fn kb_reindex_rebuilds_the_index_from_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let out = hotline(dir.path(), &["kb", "reindex"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "knowledge index rebuilt: 0 published articles, up to change 0"
    );
    assert!(dir.path().join("kb-index").join("meta.json").exists());
}

fn add_user(dir: &std::path::Path, username: &str, role: &str, unit: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args([
            "user",
            "add",
            "--username",
            username,
            "--role",
            role,
            "--unit",
            unit,
        ])
        .args(["--password-stdin", "--data-dir"])
        .arg(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Secret-pass-2026\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn kb_import_names_bad_rows_imports_nothing_then_skips_them_when_asked_and_exports() {
    let dir = tempfile::tempdir().unwrap();
    let unit = hotline(
        dir.path(),
        &[
            "unit",
            "add",
            "--code",
            "sc12345",
            "--name",
            "省热线",
            "--kind",
            "hotline",
            "--region",
            "510000",
        ],
    );
    assert!(unit.status.success());
    add_user(dir.path(), "ed", "knowledge_editor", "sc12345");
    let file = dir.path().join("articles.csv");
    std::fs::write(
        &file,
        "标题,问题,答复口径,分类\n社保卡补办,怎么补？,先挂失。,社会保障/社保卡\n,没有标题,答,其他\n公积金提取,怎么取？,可提取。,住房/公积金\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let out = hotline(dir.path(), &["kb", "import", path, "--as", "ed"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("row 3, column 标题"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    let out = hotline(
        dir.path(),
        &["kb", "import", path, "--as", "ed", "--skip-errors"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("imported 2/2"),
        "progress is shown"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("imported 2 articles as drafts; skipped 1 rows")
    );
    let export = dir.path().join("out.xlsx");
    let out = hotline(dir.path(), &["kb", "export", export.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("exported 2 articles"));
    assert!(std::fs::read(&export).unwrap().starts_with(b"PK"));
}

/// The report benchmark at a small size: its counters agree with plain SQL over the
/// raw tables, figure for figure (it fails otherwise), and it prints the keys README
/// "Benchmarks" documents.
#[test]
fn bench_reports_counters_agree_with_plain_sql_and_print_the_documented_keys() {
    let out = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args([
            "bench", "reports", "--orders", "800", "--orders", "1600", "--json",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let sizes = last["sizes"].as_array().unwrap();
    assert_eq!(sizes.len(), 2);
    for (s, n) in sizes.iter().zip([800, 1600]) {
        assert_eq!(s["orders"], n);
        assert_eq!(s["agree"], true);
        for key in [
            "assessment_ms",
            "monthly_ms",
            "baseline_assessment_ms",
            "baseline_monthly_ms",
            "bytes_per_order",
        ] {
            assert!(s[key].as_f64().unwrap() > 0.0, "{key}: {s}");
        }
    }
    assert_eq!(last["growth"]["to_orders"], 1600);
    let bad = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["bench", "reports", "--orders", "0"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--orders"));
}

/// Imports a calendar year: one audit record each.
fn import_year(dir: &std::path::Path, year: i32) {
    std::fs::create_dir_all(dir).unwrap();
    let file = dir.join(format!("{year}.json"));
    std::fs::write(
        &file,
        format!(r#"{{"year": {year}, "holidays": ["{year}-01-01"], "workdays": []}}"#),
    )
    .unwrap();
    let out = hotline(dir, &["calendar", "import", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn audit_anchor(dir: &std::path::Path) -> String {
    let out = hotline(dir, &["audit", "anchor"]);
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn audit_verify_against_an_anchor_names_deleted_newest_records_and_passes_a_grown_trail() {
    let dir = tempfile::tempdir().unwrap();
    for year in [2027, 2028, 2029] {
        import_year(dir.path(), year);
    }
    let three = audit_anchor(dir.path());
    assert!(three.starts_with("3:") && three.len() == 66, "{three}");
    import_year(dir.path(), 2030);
    let grown = hotline(dir.path(), &["audit", "verify", "--expect", &three]);
    let text = String::from_utf8_lossy(&grown.stdout);
    assert!(
        grown.status.success(),
        "{}",
        String::from_utf8_lossy(&grown.stderr)
    );
    assert!(
        text.contains(&format!("extends the anchor {three}")),
        "{text}"
    );
    let four = audit_anchor(dir.path());

    // Someone with direct database access deletes the two newest records.
    let db = rusqlite::Connection::open(dir.path().join("hotline.db")).unwrap();
    db.execute_batch("DROP TRIGGER audit_log_append_only_d; DELETE FROM audit_log WHERE id >= 3;")
        .unwrap();
    drop(db);
    assert!(
        hotline(dir.path(), &["audit", "verify"]).status.success(),
        "the chain alone cannot tell"
    );
    let truncated = hotline(dir.path(), &["audit", "verify", "--expect", &four]);
    assert!(!truncated.status.success());
    let err = String::from_utf8_lossy(&truncated.stderr);
    assert!(
        err.contains("ends at record 2") && err.contains("records 3–4 are missing"),
        "{err}"
    );
    // The anchor file is read without being named.
    std::fs::write(dir.path().join("audit.anchor"), format!("{four}\n")).unwrap();
    let from_file = hotline(dir.path(), &["audit", "verify"]);
    assert!(!from_file.status.success());
    assert!(String::from_utf8_lossy(&from_file.stderr).contains("records 3–4 are missing"));
    std::fs::remove_file(dir.path().join("audit.anchor")).unwrap();

    // New records written in their place: as long as before, but not the same.
    import_year(dir.path(), 2031);
    import_year(dir.path(), 2032);
    let rewritten = hotline(dir.path(), &["audit", "verify", "--expect", &four]);
    assert!(!rewritten.status.success());
    let err = String::from_utf8_lossy(&rewritten.stderr);
    assert!(
        err.contains("audit record 4 is not the one anchored"),
        "{err}"
    );

    let bad = hotline(dir.path(), &["audit", "verify", "--expect", "4:xyz"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("COUNT:HASH"));
}

#[test]
fn backup_with_postgresql_points_to_pg_dump_saves_only_files_when_asked_and_never_overwrites_a_file()
 {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.tar");
    let out = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["backup", file.to_str().unwrap()])
        .args([
            "--database",
            "postgres://nobody@127.0.0.1:1/none",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
    assert!(!file.exists());
    // --files-only saves what pg_dump does not: the data directory's files.
    let pg_data = dir.path().join("pg-data");
    std::fs::create_dir_all(pg_data.join("attachments")).unwrap();
    std::fs::write(pg_data.join("secret.key"), "k".repeat(64)).unwrap();
    std::fs::write(pg_data.join("attachments/a.pdf"), "%PDF").unwrap();
    let files = dir.path().join("files.tar");
    let out = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["backup", "--files-only", files.to_str().unwrap()])
        .args([
            "--database",
            "postgres://nobody@127.0.0.1:1/none",
            "--data-dir",
        ])
        .arg(&pg_data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("the database is not in it"));
    let restored = dir.path().join("pg-restored");
    let out = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args([
            "restore",
            files.to_str().unwrap(),
            restored.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(restored.join("attachments/a.pdf")).unwrap(),
        "%PDF"
    );
    assert!(restored.join("secret.key").exists() && !restored.join("hotline.db").exists());
    std::fs::write(&file, "keep me").unwrap();
    let data = dir.path().join("data");
    import_year(&data, 2027);
    let out = hotline(&data, &["backup", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
}

#[test]
fn user_reset_two_factor_names_a_missing_account_and_resets_an_existing_one() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let missing = hotline(dir.path(), &["user", "reset-two-factor", "nobody"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nobody"));
    let mut add = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["user", "add", "--username", "root", "--role", "admin"])
        .args(["--password-stdin", "--data-dir"])
        .arg(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(b"A-strong-password-1\n")
        .unwrap();
    assert!(add.wait().unwrap().success());
    let out = hotline(dir.path(), &["user", "reset-two-factor", "root"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("root"));
}

/// The command line acts as a named principal, `cli:<os user>`: its changes go
/// through the same use cases as the API's, which build the record, and a refused
/// change records nothing.
#[test]
fn the_command_lines_changes_are_the_operators_in_the_audit_trail() {
    let dir = tempfile::tempdir().unwrap();
    let as_anna = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_hotline"))
            .args(args)
            .arg("--data-dir")
            .arg(dir.path())
            .env("USER", "ops-anna")
            .output()
            .unwrap()
    };
    let hotline_unit = [
        "unit",
        "add",
        "--code",
        "sc12345",
        "--name",
        " 四川省12345热线 ",
        "--kind",
        "hotline",
        "--region",
        "510000",
    ];
    assert!(as_anna(&hotline_unit).status.success());
    assert!(
        as_anna(&["unit", "rename", "sc12345", "四川热线"])
            .status
            .success()
    );
    let refused = as_anna(&["unit", "move", "sc12345", "sc12345"]);
    assert!(!refused.status.success());
    let db = rusqlite::Connection::open(dir.path().join("hotline.db")).unwrap();
    let mut rows = db
        .prepare("SELECT actor, action, object, detail FROM audit_log WHERE actor LIKE 'cli:%' ORDER BY id")
        .unwrap();
    let records: Vec<(String, String, String, String)> = rows
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let summary: Vec<(&str, &str, &str)> = records
        .iter()
        .map(|(a, b, c, _)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("cli:ops-anna", "unit.create", "unit:sc12345"),
            ("cli:ops-anna", "unit.change", "unit:sc12345"),
        ]
    );
    let created: serde_json::Value = serde_json::from_str(&records[0].3).unwrap();
    assert_eq!(
        created,
        serde_json::json!({"name": "四川省12345热线", "kind": "hotline", "parent": null}),
        "the use case trims the name and records what it stored"
    );
}

/// `hotline demo reset` (issue 17, point 9) loads the demo afresh, dated from today,
/// erasing what was done to it; an installation with anything the demo did not
/// create, or a database other than the data folder's own, is refused and left as it
/// was.
#[test]
fn demo_reset_reloads_the_demo_and_never_erases_another_installation() {
    let dir = tempfile::tempdir().unwrap();
    let out = hotline(dir.path(), &["demo", "reset"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("hotline serve --demo"));
    let count = |dir: &std::path::Path| {
        let out = hotline(dir, &["audit", "anchor"]);
        String::from_utf8_lossy(&out.stdout)
            .split(':')
            .next()
            .unwrap()
            .trim()
            .to_owned()
    };
    let fresh = count(dir.path());
    import_year(dir.path(), 2031);
    assert_ne!(count(dir.path()), fresh, "the import is in the trail");
    let out = hotline(dir.path(), &["demo", "reset"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count(dir.path()), fresh, "a fresh demo, without the import");
    let verify = hotline(dir.path(), &["audit", "verify"]);
    assert!(
        verify.status.success(),
        "a fresh trail: {}",
        String::from_utf8_lossy(&verify.stderr)
    );

    // An account the demo did not create makes it another installation.
    add_user(dir.path(), "visitor", "operator", "cd12345");
    let out = hotline(dir.path(), &["demo", "reset"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("visitor"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A database named elsewhere is never what the data folder's reset erases.
    let out = hotline(
        dir.path(),
        &["demo", "reset", "--database", "sqlite:/tmp/never-erased.db"],
    );
    assert!(!out.status.success());
    let kept = hotline(dir.path(), &["user", "reset-two-factor", "visitor"]);
    assert!(kept.status.success(), "nothing was erased");

    let other = tempfile::tempdir().unwrap();
    let mut add = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["user", "add", "--username", "root", "--role", "admin"])
        .args(["--password-stdin", "--data-dir"])
        .arg(other.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    add.stdin
        .take()
        .unwrap()
        .write_all(b"A-strong-password-1\n")
        .unwrap();
    assert!(add.wait().unwrap().success());
    let out = hotline(other.path(), &["demo", "reset"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("never loaded"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kept = hotline(other.path(), &["user", "reset-two-factor", "root"]);
    assert!(kept.status.success(), "the installation is untouched");
}
