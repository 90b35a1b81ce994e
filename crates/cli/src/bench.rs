//! `hotline bench …`: the command line of the shipped benchmarks, which the
//! `hotline-bench` crate runs. Each prints its figures beside a baseline measured in
//! the same run, and with `--json` ends with one JSON line.

use clap::Subcommand;
use hotline_app::AppState;
use std::path::PathBuf;
use std::time::Duration;

use crate::config::Config;
use crate::serve::open_state;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Durable order intake over loopback HTTP, against its no-op ceiling.
    Intake {
        /// End with one JSON line of the figures.
        #[arg(long)]
        json: bool,
        /// Concurrent clients.
        #[arg(long, default_value_t = 64)]
        clients: usize,
        /// Seconds each phase runs.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
    /// Chinese knowledge search on generated articles, against SQLite FTS5 (trigram).
    Kb {
        /// End with one JSON line of the figures.
        #[arg(long)]
        json: bool,
        /// Articles to generate.
        #[arg(long, default_value_t = 100_000)]
        articles: usize,
        /// Callers' questions to ask.
        #[arg(long, default_value_t = 1000)]
        queries: usize,
    },
    /// The unit assessment and the monthly report at province scale, against plain SQL.
    Reports {
        /// End with one JSON line of the figures.
        #[arg(long)]
        json: bool,
        /// Orders to generate; give it more than once for several sizes.
        #[arg(long = "orders", default_values_t = [100_000, 1_000_000])]
        orders: Vec<usize>,
    },
}

pub async fn run(cmd: BenchCommand) -> Result<(), String> {
    match cmd {
        BenchCommand::Intake {
            json,
            clients,
            seconds,
        } => {
            let server = std::env::current_exe().map_err(|e| e.to_string())?;
            let length = Duration::from_secs(seconds);
            hotline_bench::intake::run(json, clients, length, &server, open_fresh).await
        }
        BenchCommand::Kb {
            json,
            articles,
            queries,
        } => tokio::task::spawn_blocking(move || hotline_bench::kb::run(json, articles, queries))
            .await
            .map_err(|e| e.to_string())?,
        BenchCommand::Reports { json, orders } => {
            hotline_bench::reports::run(json, orders, open_fresh).await
        }
    }
}

/// The application on a fresh SQLite database in `dir`, configured as the server the
/// intake benchmark starts sees it: the built-in defaults under the environment
/// (HOTLINE_CONFIG, HOTLINE_…), without this command's `--config`.
async fn open_fresh(dir: PathBuf) -> Result<AppState, String> {
    let mut cfg = Config::load(None)?;
    cfg.data_dir = dir;
    cfg.database = String::new();
    open_state(&cfg).await
}
