//! `hotline`: serves the 12345 hotline, administers it, and benchmarks it.
//! `main` only parses the command line and hands over.

mod backup;
mod bench;
mod commands;
mod config;
mod data_lock;
mod serve;

use clap::{Parser, Subcommand};

/// mimalloc gives freed memory back to the system; glibc's malloc kept a heap of up to
/// 64 MiB for every thread that once allocated much (the demo load, the index writers,
/// a burst of password hashes), so an idle server held ~300 MB it did not use.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "hotline",
    version,
    about = "12345 government service hotline platform"
)]
struct Cli {
    /// A config file over the built-in defaults (also HOTLINE_CONFIG).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

/// Where the data is: every command that touches data takes these.
#[derive(clap::Args, Clone, Default)]
pub struct DataArgs {
    /// Folder of the embedded SQLite database.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Database URL (postgres://… for PostgreSQL).
    #[arg(long)]
    database: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service.
    Serve {
        #[command(flatten)]
        data: DataArgs,
        /// Address to listen on.
        #[arg(long)]
        listen: Option<String>,
        /// Load the demo province into an empty database and print how to log in.
        #[arg(long)]
        demo: bool,
    },
    /// Manage accounts.
    #[command(subcommand)]
    User(commands::UserCommand),
    /// The organisation's units.
    #[command(subcommand)]
    Unit(commands::UnitCommand),
    /// Integration keys.
    #[command(subcommand)]
    Apikey(commands::ApiKeyCommand),
    /// The official working-day calendar.
    #[command(subcommand)]
    Calendar(commands::CalendarCommand),
    /// The audit trail.
    #[command(subcommand)]
    Audit(commands::AuditCommand),
    /// The knowledge base.
    #[command(subcommand)]
    Kb(commands::KbCommand),
    /// The keys personal data is encrypted with.
    #[command(subcommand)]
    Keys(commands::KeysCommand),
    /// Write an online, consistent backup of the installation to FILE (a tar archive
    /// with a checksummed manifest): the database, the secret key and every other
    /// file of the data directory but the search indexes. FILE must not exist.
    Backup {
        file: PathBuf,
        /// With PostgreSQL: save only the key and the data directory's files (the
        /// database itself is backed up with pg_dump; see the README).
        #[arg(long)]
        files_only: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Check a backup and restore it into DIR, which must be empty or absent.
    Restore { file: PathBuf, dir: PathBuf },
    /// The shipped benchmarks.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// The demo province.
    #[command(subcommand)]
    Demo(commands::DemoCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let cfg = match config::Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    // One-shot commands report problems only; the server logs at the configured level.
    let level = if matches!(cli.command, Command::Serve { .. }) {
        cfg.log.as_str()
    } else {
        "warn"
    };
    serve::init_logging(level, cfg.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&format!("cannot start the runtime: {e}")),
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve { data, listen, demo } => {
                serve::run(serve::with_data(cfg, &data), listen, demo).await
            }
            Command::User(cmd) => commands::user(cfg, cmd).await,
            Command::Unit(cmd) => commands::unit(cfg, cmd).await,
            Command::Apikey(cmd) => commands::apikey(cfg, cmd).await,
            Command::Calendar(cmd) => commands::calendar(cfg, cmd).await,
            Command::Audit(cmd) => commands::audit(cfg, cmd).await,
            Command::Kb(cmd) => commands::kb(cfg, cmd).await,
            Command::Keys(cmd) => commands::keys(cfg, cmd).await,
            Command::Backup {
                file,
                files_only,
                data,
            } => backup::backup(&serve::with_data(cfg, &data), &file, files_only),
            Command::Restore { file, dir } => backup::restore(&file, &dir),
            Command::Bench(cmd) => bench::run(cmd).await,
            Command::Demo(cmd) => commands::demo(cfg, cmd).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("hotline: {message}");
    ExitCode::FAILURE
}
