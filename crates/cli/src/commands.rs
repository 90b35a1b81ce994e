//! Administration commands: accounts and the calendar.

use chrono::NaiveDate;
use clap::Subcommand;
use hotline_app::audit::Principal;
use hotline_domain::{Role, UnitCode, YearArrangement};
use std::io::Read;
use std::path::PathBuf;

use crate::DataArgs;
use crate::config::Config;
use crate::data_lock::{self, DataLock};
use crate::serve::{open_state, with_data};

/// Opens the store for a command that writes, holding the data directory's lock for
/// as long as the returned guard lives (see [`data_lock`]); `instead` names the API
/// call that does the same through a running server.
async fn open_to_write(
    cfg: &Config,
    instead: &str,
) -> Result<(hotline_app::AppState, Option<DataLock>), String> {
    let lock = data_lock::for_writing(cfg, instead)?;
    Ok((open_state(cfg).await?, lock))
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account (the way the first admin is made).
    Add {
        #[arg(long)]
        username: String,
        /// A role, or several separated by commas.
        #[arg(long)]
        role: String,
        /// The unit's code (every role but admin needs one).
        #[arg(long)]
        unit: Option<String>,
        /// Read the password from standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Stop an account from logging in; its sessions end at once.
    Disable {
        username: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Let a disabled account log in again.
    Enable {
        username: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Set a new password, read from standard input; the account's sessions end.
    Reset {
        username: String,
        #[arg(long, required = true)]
        password_stdin: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Remove an account's two-factor sign-in (a lost phone and no recovery codes);
    /// its sessions end, and it enrols again at its next sign-in where required.
    ResetTwoFactor {
        username: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Replace an account's roles (separated by commas).
    Roles {
        username: String,
        roles: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
pub enum UnitCommand {
    /// Create a unit; without --parent, a root hotline.
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        kind: String,
        #[arg(long)]
        parent: Option<String>,
        #[arg(long)]
        region: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Rename a unit.
    Rename {
        code: String,
        name: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Move a unit (and its subtree) under another parent.
    Move {
        code: String,
        parent: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Stop new dispatches to a unit; its history stays.
    Deactivate {
        code: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Let a deactivated unit receive dispatches again.
    Activate {
        code: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Print every unit: code, kind, region, parent, active, name.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
pub enum ApiKeyCommand {
    /// Issue a key for an integration; it is printed once, last on its line.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        unit: String,
        /// Allowed actions, separated by commas (create, read, dispatch, reply, …);
        /// all of the unit's role's when left out.
        #[arg(long)]
        actions: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Revoke a key: it stops working at once.
    Revoke {
        name: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Print the keys: name, unit, actions, issued, revoked.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
}

pub async fn apikey(cfg: Config, cmd: ApiKeyCommand) -> Result<(), String> {
    match cmd {
        ApiKeyCommand::Add {
            name,
            unit,
            actions,
            data,
        } => {
            let (state, _lock) =
                open_to_write(&with_data(cfg, &data), "POST /api/v1/apikeys").await?;
            let unit = UnitCode::parse(&unit).map_err(|e| e.0)?;
            let actions: Vec<String> = actions
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect();
            let issued =
                hotline_app::admin::issue_key(&state, &Principal::operator(), &name, unit, actions)
                    .await
                    .map_err(|e| e.message)?;
            println!(
                "issued key {} for {} (shown once): {}",
                issued.record.name, issued.record.unit, issued.key
            );
            Ok(())
        }
        ApiKeyCommand::Revoke { name, data } => {
            let (state, _lock) =
                open_to_write(&with_data(cfg, &data), "DELETE /api/v1/apikeys/{name}").await?;
            hotline_app::admin::revoke_key(&state, &Principal::operator(), &name)
                .await
                .map_err(|e| match e.status {
                    axum::http::StatusCode::NOT_FOUND => format!("no active key named {name:?}"),
                    _ => e.message,
                })?;
            println!("revoked key {name}");
            Ok(())
        }
        ApiKeyCommand::List { data } => {
            let state = open_state(&with_data(cfg, &data)).await?;
            for k in state
                .store()
                .list_api_keys()
                .await
                .map_err(|e| e.to_string())?
            {
                let actions = if k.actions.is_empty() {
                    "*".to_owned()
                } else {
                    k.actions.join(",")
                };
                let revoked = k.revoked_at.map_or("-".to_owned(), |t| t.to_rfc3339());
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    k.name,
                    k.unit,
                    actions,
                    k.created_at.to_rfc3339(),
                    revoked
                );
            }
            Ok(())
        }
    }
}

#[derive(Subcommand)]
pub enum CalendarCommand {
    /// Print every working day in the range, one ISO date per line.
    Workdays {
        #[arg(long)]
        from: NaiveDate,
        #[arg(long)]
        to: NaiveDate,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Print the date N working days after DATE (DATE itself not counted).
    AddWorkdays {
        date: NaiveDate,
        n: u32,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Load a year's official arrangement from a JSON file
    /// ({"year","holidays":[…],"workdays":[…]}, as GET /api/v1/calendar/{year}).
    Import {
        file: PathBuf,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check the audit trail's hash chain and name the first broken record; with an
    /// anchor (--expect, and the anchor file when there is one) also that the trail
    /// still holds the anchored record, so that deleted newest records show.
    Verify {
        /// A head printed earlier by `hotline audit anchor` (COUNT:HASH); may be repeated.
        #[arg(long, value_name = "COUNT:HASH")]
        expect: Vec<hotline_domain::audit::AuditHead>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Print the trail's head (COUNT:HASH) for an operator to keep outside the
    /// installation; `audit verify --expect` checks a later trail against it.
    Anchor {
        #[command(flatten)]
        data: DataArgs,
    },
}

pub async fn audit(cfg: Config, cmd: AuditCommand) -> Result<(), String> {
    match cmd {
        AuditCommand::Anchor { data } => {
            let state = open_state(&with_data(cfg, &data)).await?;
            let head = hotline_app::audit_anchor::head(state.store().as_ref()).await?;
            println!("{head}");
            Ok(())
        }
        AuditCommand::Verify { expect, data } => {
            let cfg = with_data(cfg, &data);
            audit_verify(&cfg, expect).await
        }
    }
}

/// Walks the whole trail oldest first, against the anchors given and the anchor file.
async fn audit_verify(
    cfg: &Config,
    mut anchors: Vec<hotline_domain::audit::AuditHead>,
) -> Result<(), String> {
    let file = cfg.audit_anchor_path();
    let from_file = hotline_app::audit_anchor::read(&file)?;
    anchors.extend(from_file.clone());
    let state = open_state(cfg).await?;
    let mut verifier = hotline_domain::audit::ChainVerifier::expecting(anchors.clone());
    let mut cursor = None;
    loop {
        let filter = hotline_store::AuditFilter {
            ascending: true,
            cursor,
            limit: 5000,
            ..Default::default()
        };
        let page = state
            .store()
            .audit_entries(&filter)
            .await
            .map_err(|e| e.to_string())?;
        for entry in &page {
            verifier.check(entry).map_err(|broken| broken.to_string())?;
        }
        match page.last() {
            Some(last) => cursor = Some(last.id),
            None => break,
        }
    }
    let head = verifier.finish().map_err(|m| m.to_string())?;
    println!(
        "audit trail intact: {} records; head {head}",
        verifier.checked
    );
    for anchor in &anchors {
        let source = if Some(anchor) == from_file.as_ref() {
            format!(" ({})", file.display())
        } else {
            String::new()
        };
        println!("extends the anchor {anchor}{source}");
    }
    if from_file.is_none() {
        eprintln!(
            "hotline: note: no anchor file at {}: without one (or --expect) deleted newest records do not show",
            file.display()
        );
    }
    Ok(())
}

fn read_password() -> Result<String, String> {
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .map_err(|e| format!("reading the password: {e}"))?;
    Ok(password.trim_end_matches(['\n', '\r']).to_owned())
}

fn parse_roles(list: &str) -> Result<Vec<Role>, String> {
    list.split(',')
        .map(|r| Role::parse(r.trim()).map_err(|e| e.0))
        .collect()
}

pub async fn user(cfg: Config, cmd: UserCommand) -> Result<(), String> {
    use hotline_app::admin::{UserPatch, change_user, set_password};
    let (username, patch, data) = match cmd {
        UserCommand::Add {
            username,
            role,
            unit,
            data,
            ..
        } => return add_user(cfg, username, role, unit, data).await,
        UserCommand::Reset { username, data, .. } => {
            let password = read_password()?;
            let (state, _lock) = open_to_write(
                &with_data(cfg, &data),
                "POST /api/v1/users/{username}/password",
            )
            .await?;
            set_password(&state, &Principal::operator(), &username, &password)
                .await
                .map_err(|e| e.message)?;
            println!("password of {username} reset; its sessions have ended");
            return Ok(());
        }
        UserCommand::ResetTwoFactor { username, data } => {
            let (state, _lock) = open_to_write(
                &with_data(cfg, &data),
                "DELETE /api/v1/users/{username}/two-factor",
            )
            .await?;
            hotline_app::auth::two_factor::reset_for(&state, &Principal::operator(), &username)
                .await
                .map_err(|e| match e.status {
                    axum::http::StatusCode::NOT_FOUND => format!("no such account: {username}"),
                    _ => e.message,
                })?;
            println!("two-factor sign-in of {username} removed; its sessions have ended");
            return Ok(());
        }
        UserCommand::Disable { username, data } => (
            username,
            UserPatch {
                active: Some(false),
                ..Default::default()
            },
            data,
        ),
        UserCommand::Enable { username, data } => (
            username,
            UserPatch {
                active: Some(true),
                ..Default::default()
            },
            data,
        ),
        UserCommand::Roles {
            username,
            roles,
            data,
        } => (
            username,
            UserPatch {
                roles: Some(parse_roles(&roles)?),
                ..Default::default()
            },
            data,
        ),
    };
    let (state, _lock) =
        open_to_write(&with_data(cfg, &data), "PATCH /api/v1/users/{username}").await?;
    let user = change_user(&state, &Principal::operator(), &username, patch)
        .await
        .map_err(|e| e.message)?;
    let roles: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
    println!(
        "{}: roles {}, {}",
        user.username,
        roles.join(","),
        if user.active == Some(false) {
            "disabled"
        } else {
            "active"
        }
    );
    Ok(())
}

pub async fn unit(cfg: Config, cmd: UnitCommand) -> Result<(), String> {
    use hotline_app::admin::{UnitPatch, add_unit, change_unit};
    let parse = |c: &str| UnitCode::parse(c).map_err(|e| e.0);
    let (code, patch, data) = match cmd {
        UnitCommand::Add {
            code,
            name,
            kind,
            parent,
            region,
            data,
        } => {
            let (state, _lock) =
                open_to_write(&with_data(cfg, &data), "POST /api/v1/units").await?;
            let record = hotline_store::UnitRecord {
                code: parse(&code)?,
                name,
                kind: hotline_domain::UnitKind::parse(&kind).map_err(|e| e.0)?,
                parent: parent.as_deref().map(parse).transpose()?,
                region: hotline_domain::RegionCode::parse(&region).map_err(|e| e.0)?,
                active: true,
                line_head: None,
            };
            let unit = add_unit(&state, &Principal::operator(), record)
                .await
                .map_err(|e| e.message)?;
            println!("created unit {} ({})", unit.code, unit.name);
            return Ok(());
        }
        UnitCommand::List { data } => {
            let state = open_state(&with_data(cfg, &data)).await?;
            for u in state
                .store()
                .list_units()
                .await
                .map_err(|e| e.to_string())?
            {
                let parent = u.parent.as_ref().map_or("-".to_owned(), |p| p.to_string());
                let active = if u.active { "active" } else { "inactive" };
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    u.code, u.kind, u.region, parent, active, u.name
                );
            }
            return Ok(());
        }
        UnitCommand::Rename { code, name, data } => (
            code,
            UnitPatch {
                name: Some(name),
                ..Default::default()
            },
            data,
        ),
        UnitCommand::Move { code, parent, data } => (
            code,
            UnitPatch {
                parent: Some(parse(&parent)?),
                ..Default::default()
            },
            data,
        ),
        UnitCommand::Deactivate { code, data } => (
            code,
            UnitPatch {
                active: Some(false),
                ..Default::default()
            },
            data,
        ),
        UnitCommand::Activate { code, data } => (
            code,
            UnitPatch {
                active: Some(true),
                ..Default::default()
            },
            data,
        ),
    };
    let (state, _lock) =
        open_to_write(&with_data(cfg, &data), "PATCH /api/v1/units/{code}").await?;
    let code = parse(&code)?;
    let u = change_unit(&state, &Principal::operator(), &code, patch)
        .await
        .map_err(|e| e.message)?;
    let parent = u.parent.as_ref().map_or("-".to_owned(), |p| p.to_string());
    println!(
        "{}: {} under {}, {}",
        u.code,
        u.name,
        parent,
        if u.active { "active" } else { "inactive" }
    );
    Ok(())
}

async fn add_user(
    cfg: Config,
    username: String,
    role: String,
    unit: Option<String>,
    data: DataArgs,
) -> Result<(), String> {
    let roles = parse_roles(&role)?;
    let unit = unit
        .map(|u| UnitCode::parse(&u).map_err(|e| e.0))
        .transpose()?;
    let password = read_password()?;
    let password = password.as_str();
    let (state, _lock) = open_to_write(&with_data(cfg, &data), "POST /api/v1/users").await?;
    let operator = Principal::operator();
    let user = hotline_app::admin::add_user(&state, &operator, &username, password, roles, unit)
        .await
        .map_err(|e| e.message)?;
    println!("created user {} ({})", user.username, role);
    Ok(())
}

pub async fn calendar(cfg: Config, cmd: CalendarCommand) -> Result<(), String> {
    match cmd {
        CalendarCommand::Workdays { from, to, data } => {
            if from > to {
                return Err(format!("--from {from} is after --to {to}"));
            }
            let state = open_state(&with_data(cfg, &data)).await?;
            let cal = state.calendar().await.map_err(|e| e.message)?;
            let days = cal.workdays(from, to);
            warn_if_incomplete(days.incomplete, &cal.loaded_years());
            let mut out = String::with_capacity(days.value.len() * 11);
            for d in days.value {
                out.push_str(&d.to_string());
                out.push('\n');
            }
            print!("{out}");
            Ok(())
        }
        CalendarCommand::AddWorkdays { date, n, data } => {
            let state = open_state(&with_data(cfg, &data)).await?;
            let cal = state.calendar().await.map_err(|e| e.message)?;
            let r = cal.add_workdays(date, n);
            warn_if_incomplete(r.incomplete, &cal.loaded_years());
            println!("{}", r.value);
            Ok(())
        }
        CalendarCommand::Import { file, data } => {
            let text =
                std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let year: YearArrangement = serde_json::from_str(&text)
                .map_err(|e| format!("{}: not a calendar year: {e}", file.display()))?;
            let (state, _lock) =
                open_to_write(&with_data(cfg, &data), "PUT /api/v1/calendar/{year}").await?;
            let y = hotline_app::admin::load_year(&state, &Principal::operator(), year)
                .await
                .map_err(|e| e.message)?;
            println!(
                "loaded {}: {} holidays, {} make-up working days",
                y.year,
                y.holidays.len(),
                y.workdays.len()
            );
            Ok(())
        }
    }
}

/// Changes made from the command line are audited like those made through the API,
/// with the operating-system user as far as it is known.
async fn cli_audit(
    state: &hotline_app::AppState,
    action: &str,
    object: String,
    detail: serde_json::Value,
) -> Result<(), String> {
    state
        .store()
        .append_audit(Principal::operator().record(state, action, object, detail))
        .await
        .map_err(|e| e.to_string())
}

fn warn_if_incomplete(incomplete: bool, loaded: &[i32]) {
    if incomplete {
        let range = match (loaded.first(), loaded.last()) {
            (Some(a), Some(b)) => format!("{a}–{b}"),
            _ => "none".into(),
        };
        eprintln!(
            "hotline: warning: the range reaches a year with no loaded official arrangement (loaded: {range}); \
             Monday–Friday was counted there. Load it with `hotline calendar import`."
        );
    }
}

#[derive(Subcommand)]
pub enum KbCommand {
    /// Rebuild the knowledge search index from the database (with the server stopped;
    /// a running server keeps its own index in step).
    Reindex {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Import articles as drafts from an .xlsx or .csv file (layout in the README);
    /// a file with errors imports nothing unless --skip-errors.
    Import {
        file: std::path::PathBuf,
        /// The knowledge editor, supervisor or admin the articles are written by.
        #[arg(long = "as")]
        author: String,
        #[arg(long)]
        skip_errors: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Export every article to an .xlsx or .csv file in the import layout.
    Export {
        file: std::path::PathBuf,
        #[command(flatten)]
        data: DataArgs,
    },
}

pub async fn kb(cfg: Config, cmd: KbCommand) -> Result<(), String> {
    match cmd {
        KbCommand::Reindex { data } => {
            let cfg = with_data(cfg, &data);
            let state = open_state(&cfg)
                .await?
                .with_kb_index(crate::serve::open_kb_index(&cfg)?);
            let seq = state.kb().reindex(&state).await.map_err(|e| e.message)?;
            println!(
                "knowledge index rebuilt: {} published articles, up to change {seq}",
                state.kb().index().len()
            );
            Ok(())
        }
        KbCommand::Import {
            file,
            author,
            skip_errors,
            data,
        } => kb_import(with_data(cfg, &data), &file, &author, skip_errors).await,
        KbCommand::Export { file, data } => kb_export(with_data(cfg, &data), &file).await,
    }
}

fn file_format(file: &std::path::Path) -> Result<hotline_app::kb::io::FileFormat, String> {
    hotline_app::kb::io::FileFormat::parse(&file.to_string_lossy())
        .ok_or_else(|| format!("{}: the file must end in .xlsx or .csv", file.display()))
}

async fn kb_import(
    cfg: Config,
    file: &std::path::Path,
    author: &str,
    skip_errors: bool,
) -> Result<(), String> {
    let format = file_format(file)?;
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let (state, _lock) = open_to_write(&cfg, "POST /api/v1/kb/import").await?;
    let user = state
        .store()
        .user_by_username(author)
        .await
        .map_err(|e| e.to_string())?
        .filter(|u| u.active)
        .ok_or_else(|| format!("no active account {author:?}"))?;
    let viewer = hotline_app::access::Viewer::new(user);
    let addr = hotline_app::audit::ClientAddr(Some("cli".into()));
    let progress = |done: usize, total: usize| {
        if done.is_multiple_of(500) || done == total {
            eprintln!("imported {done}/{total}");
        }
    };
    let report = hotline_app::kb::io::import(
        &state,
        &viewer,
        &addr,
        (&bytes, format),
        skip_errors,
        &progress,
    )
    .await
    .map_err(|e| e.message)?;
    for e in &report.errors {
        eprintln!("row {}, column {}: {}", e.row, e.column, e.problem);
    }
    if report.imported == 0 && !report.errors.is_empty() && !skip_errors {
        return Err(format!(
            "{} rows have problems; nothing was imported (--skip-errors imports the others)",
            report.errors.len()
        ));
    }
    println!(
        "imported {} articles as drafts; skipped {} rows",
        report.imported, report.skipped
    );
    Ok(())
}

async fn kb_export(cfg: Config, file: &std::path::Path) -> Result<(), String> {
    let format = file_format(file)?;
    let state = open_state(&cfg).await?;
    let articles = hotline_app::kb::all_articles(&state, None)
        .await
        .map_err(|e| e.message)?;
    let bytes = hotline_app::kb::io::write_file(&articles, format).map_err(|e| e.message)?;
    std::fs::write(file, bytes).map_err(|e| format!("{}: {e}", file.display()))?;
    let detail =
        serde_json::json!({"articles": articles.len(), "file": file.display().to_string()});
    cli_audit(&state, "kb.export", "kb:articles".into(), detail).await?;
    println!("exported {} articles to {}", articles.len(), file.display());
    Ok(())
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// The keys in the keys file, and how many orders are encrypted with each.
    Status {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Makes a new key current and encrypts every order with it again, in batches
    /// (each its own transaction); keys no order uses any more are then dropped from
    /// the keys file. Interrupted, `--resume` finishes without making another key.
    Rotate {
        #[command(flatten)]
        data: DataArgs,
        /// Finish an interrupted rotation with the current key.
        #[arg(long)]
        resume: bool,
        /// Orders per transaction.
        #[arg(long, default_value_t = 500)]
        batch: u32,
    },
}

pub async fn keys(cfg: Config, cmd: KeysCommand) -> Result<(), String> {
    match cmd {
        KeysCommand::Status { data } => keys_status(with_data(cfg, &data)).await,
        KeysCommand::Rotate {
            data,
            resume,
            batch,
        } => keys_rotate(with_data(cfg, &data), resume, batch.max(1)).await,
    }
}

/// `(key id or None for plain, orders)` as the store counts them.
async fn orders_per_key(
    state: &hotline_app::AppState,
) -> Result<Vec<(Option<String>, u64)>, String> {
    state
        .store()
        .personal_data_keys()
        .await
        .map_err(|e| e.to_string())
}

async fn keys_status(cfg: Config) -> Result<(), String> {
    let state = open_state(&cfg).await?;
    let counts = orders_per_key(&state).await?;
    let count_of = |id: Option<&str>| {
        counts
            .iter()
            .find(|(k, _)| k.as_deref() == id)
            .map_or(0, |(_, n)| *n)
    };
    if cfg.personal_data_encryption {
        let path = cfg.keys_path();
        let ring = hotline_store::personal::Keyring::load(&path)?;
        println!(
            "personal data encryption: on (keys file {})",
            path.display()
        );
        for k in &ring.keys {
            let current = if k.id == ring.current {
                " (current)"
            } else {
                ""
            };
            println!(
                "key {}{current}: {}, made {}: {} orders",
                k.id,
                k.algorithm.as_str(),
                k.created,
                count_of(Some(&k.id))
            );
        }
    } else {
        println!("personal data encryption: off");
    }
    println!("stored plain: {} orders", count_of(None));
    Ok(())
}

async fn keys_rotate(cfg: Config, resume: bool, batch: u32) -> Result<(), String> {
    use hotline_store::personal::Keyring;
    if !cfg.personal_data_encryption {
        return Err(
            "personal data encryption is off (personal_data_encryption = false): nothing to rotate"
                .into(),
        );
    }
    let path = cfg.keys_path();
    let mut ring = Keyring::load(&path)?;
    if !resume {
        let id = ring.add_current(cfg.cipher()?);
        ring.save(&path)?;
        println!("new current key {id} ({})", cfg.personal_data_cipher);
    }
    // Opening checks every key in use against the file, which now holds the new one.
    let (state, _lock) =
        open_to_write(&cfg, "nothing: stop the server, rotate, then start it").await?;
    let (mut after, mut rewritten) = (0, 0);
    loop {
        let (n, next) = state
            .store()
            .reseal_orders(after, batch, false)
            .await
            .map_err(|e| format!("{e} (run `hotline keys rotate --resume` to finish)"))?;
        rewritten += n;
        match next {
            Some(id) => after = id,
            None => break,
        }
    }
    let counts = orders_per_key(&state).await?;
    let used: Vec<String> = counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .filter_map(|(k, _)| k.clone())
        .collect();
    // Read again: a server may have added nothing, but the file is the truth.
    let mut ring = Keyring::load(&path)?;
    let dropped = ring.drop_unused(&used);
    if !dropped.is_empty() {
        ring.save(&path)?;
    }
    let kept: Vec<&String> = used.iter().filter(|k| **k != ring.current).collect();
    let detail = serde_json::json!({
        "current": ring.current, "orders": rewritten, "dropped": dropped, "still_used": kept,
    });
    cli_audit(
        &state,
        "keys.rotate",
        format!("key:{}", ring.current),
        detail,
    )
    .await?;
    println!(
        "{rewritten} orders encrypted again with key {}",
        ring.current
    );
    if !dropped.is_empty() {
        println!("dropped from the keys file: {}", dropped.join(", "));
    }
    if !kept.is_empty() {
        println!(
            "still in use (written meanwhile by a server with the old key): {}; restart the servers and run `hotline keys rotate --resume`",
            kept.iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

#[derive(Subcommand)]
pub enum DemoCommand {
    /// Erase the demo's database and load the demo again, dated from today (embedded
    /// SQLite only; with the server stopped). Refuses a database the demo did not load.
    Reset {
        #[command(flatten)]
        data: DataArgs,
    },
}

pub async fn demo(cfg: Config, cmd: DemoCommand) -> Result<(), String> {
    let DemoCommand::Reset { data } = cmd;
    let cfg = with_data(cfg, &data);
    // Only the data folder's own database: the one this command erases is the one it
    // checked, never another named by --database or the configuration.
    if !cfg.database.is_empty() {
        return Err(
            "demo reset erases the data folder's embedded SQLite database only, and a \
             database is configured (--database, HOTLINE_DATABASE or the configuration); with \
             PostgreSQL, drop and create the database, then start `hotline serve --demo`"
                .into(),
        );
    }
    let _lock = crate::data_lock::for_writing(&cfg, "nothing (a reset has no API)")?;
    {
        let state = open_state(&cfg).await?;
        if let Err(why) = hotline_app::demo::is_demo(&state)
            .await
            .map_err(|e| e.message)?
        {
            return Err(format!(
                "{} holds an installation that is not only the demo ({why}): demo reset will \
                 not erase it",
                cfg.data_dir.display()
            ));
        }
    }
    // The database and what is derived from it or anchored to it; the keys stay.
    let d = &cfg.data_dir;
    for file in [
        "hotline.db",
        "hotline.db-wal",
        "hotline.db-shm",
        "order-index.masked",
    ] {
        remove_if_there(&d.join(file))?;
    }
    if cfg.audit_anchor_path().starts_with(d) {
        remove_if_there(&cfg.audit_anchor_path())?;
    }
    for dir in ["kb-index", "order-index"] {
        let path = d.join(dir);
        if path.exists() {
            std::fs::remove_dir_all(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    let state = open_state(&cfg)
        .await?
        .with_kb_index(crate::serve::open_kb_index(&cfg)?)
        .with_order_index(crate::serve::open_order_index(&cfg)?);
    if !hotline_app::demo::load(&state)
        .await
        .map_err(|e| e.message)?
    {
        return Err(format!(
            "{}: the database was not empty after erasing it",
            d.display()
        ));
    }
    state.kb().sync(&state).await.map_err(|e| e.message)?;
    println!(
        "The demo was loaded afresh into {}, dated from today. Start it with `hotline serve --demo`: \
         the demo accounts get their passwords then.",
        cfg.data_dir.display()
    );
    Ok(())
}

fn remove_if_there(path: &std::path::Path) -> Result<(), String> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}
