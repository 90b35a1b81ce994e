//! The shipped benchmarks, which `hotline bench …` runs. Each prints its figures
//! beside a baseline measured in the same run, and with `json` ends with one JSON
//! line (the keys are part of the public contract: README "Benchmarks").
//!
//! - [`intake`]: durable order intake over loopback HTTP against a server it starts,
//!   with its no-op ceiling;
//! - [`kb`]: Chinese knowledge search on generated articles, against SQLite FTS5;
//! - [`reports`]: the unit assessment and the monthly report at province scale,
//!   against plain SQL over the raw tables.
//!
//! The baselines need their own drivers (rusqlite, an HTTP client): they live here so
//! that the binary's crate does not depend on them. Where a benchmark needs the
//! application on a fresh data directory, the binary hands it the way it opens one
//! ([`intake::run`], [`reports::run`]): the benchmarks measure what the server runs.

pub mod intake;
pub mod kb;
pub mod reports;

use std::path::{Path, PathBuf};
use std::time::Duration;

/// A benchmark's scratch folder under the system's temporary folder: empty when made,
/// removed when dropped (HOTLINE_BENCH_KEEP=1 keeps it to look into).
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Result<Self, String> {
        let dir = std::env::temp_dir().join(format!("hotline-bench-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(Scratch(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::env::var_os("HOTLINE_BENCH_KEEP").is_some() {
            eprintln!("  kept {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// The `p` quantile (0–1) of latencies sorted in ascending order, in milliseconds.
fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}
