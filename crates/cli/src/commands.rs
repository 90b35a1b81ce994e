//! Administration commands: accounts and the calendar.

use chrono::NaiveDate;
use clap::Subcommand;
use hotline_domain::{Role, UnitCode, YearArrangement};
use std::io::Read;
use std::path::PathBuf;

use crate::DataArgs;
use crate::config::Config;
use crate::serve::{open_state, with_data};

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
    /// Check the audit trail's hash chain; name the first broken record.
    Verify {
        #[command(flatten)]
        data: DataArgs,
    },
}

pub async fn audit(cfg: Config, cmd: AuditCommand) -> Result<(), String> {
    let AuditCommand::Verify { data } = cmd;
    let state = open_state(&with_data(cfg, &data)).await?;
    let mut verifier = hotline_domain::audit::ChainVerifier::default();
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
    println!("audit trail intact: {} records", verifier.checked);
    Ok(())
}

pub async fn user(cfg: Config, cmd: UserCommand) -> Result<(), String> {
    let UserCommand::Add {
        username,
        role,
        unit,
        password_stdin: _,
        data,
    } = cmd;
    let roles = role
        .split(',')
        .map(|r| Role::parse(r.trim()).map_err(|e| e.0))
        .collect::<Result<Vec<_>, _>>()?;
    let unit = unit
        .map(|u| UnitCode::parse(&u).map_err(|e| e.0))
        .transpose()?;
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .map_err(|e| format!("reading the password: {e}"))?;
    let password = password.trim_end_matches(['\n', '\r']);
    let state = open_state(&with_data(cfg, &data)).await?;
    let user = hotline_app::admin::add_user(&state, &username, password, roles, unit)
        .await
        .map_err(|e| e.message)?;
    cli_audit(
        &state,
        "user.create",
        format!("user:{}", user.username),
        serde_json::json!({"roles": user.roles, "unit": user.unit}),
    )
    .await?;
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
            let state = open_state(&with_data(cfg, &data)).await?;
            let y = hotline_app::admin::load_year(&state, year)
                .await
                .map_err(|e| e.message)?;
            let detail =
                serde_json::json!({"holidays": y.holidays.len(), "workdays": y.workdays.len()});
            cli_audit(
                &state,
                "calendar.load",
                format!("calendar:{}", y.year),
                detail,
            )
            .await?;
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
    let who = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let record = hotline_domain::audit::AuditRecord {
        at: state.now(),
        actor: format!("cli:{who}"),
        unit: None,
        address: None,
        action: action.to_owned(),
        object: Some(object),
        detail,
    };
    state
        .store()
        .append_audit(record)
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
