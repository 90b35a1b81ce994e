//! `hotline serve`: opens the store, seeds it, optionally loads the demo, and serves
//! until SIGTERM/SIGINT, then stops accepting, lets in-flight requests finish (up to
//! the configured grace) and flushes the store.

use hotline_app::clock::SystemClock;
use hotline_app::{AppConfig, AppState, app, bootstrap, demo};
use std::sync::Arc;
use std::time::Duration;

use crate::DataArgs;
use crate::config::{Config, LogFormat};

pub fn with_data(mut cfg: Config, data: &DataArgs) -> Config {
    if let Some(dir) = &data.data_dir {
        cfg.data_dir = dir.clone();
    }
    if let Some(db) = &data.database {
        cfg.database = db.clone();
    }
    cfg
}

/// Logs to standard error: colour codes only on a terminal (a log file or journal gets
/// plain text), or one JSON object per line for a log collector.
pub fn init_logging(filter: &str, format: LogFormat) {
    use std::io::IsTerminal;
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| filter.to_owned());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Plain => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder.json().with_ansi(false).try_init(),
    };
}

/// Opens the store the configuration names and seeds what a new database lacks.
pub async fn open_state(cfg: &Config) -> Result<AppState, String> {
    let store = hotline_store::open_with(&cfg.database_url(), cfg.personal()?)
        .await
        .map_err(|e| e.to_string())?;
    bootstrap::seed_defaults(&*store)
        .await
        .map_err(|e| e.to_string())?;
    let app_cfg = AppConfig::from_settings(&cfg.app, cfg.secret_key()?)?;
    Ok(AppState::new(store, Arc::new(SystemClock), app_cfg))
}

/// The knowledge search index in the data directory (derived data; rebuilt from the
/// database whenever it is missing).
pub fn open_kb_index(cfg: &Config) -> Result<hotline_search::KbIndex, String> {
    let dir = cfg.data_dir.join("kb-index");
    hotline_search::KbIndex::open(&dir).map_err(|e| {
        format!(
            "{}: {e} (is another hotline server using this data directory?)",
            dir.display()
        )
    })
}

/// The orders' text index in the data directory (derived data, like the above).
/// With personal data encryption on, an index built while it was off (which holds the
/// requester's name, phone and address where the text repeats them) is emptied, and
/// the follower builds it again with them masked.
pub fn open_order_index(cfg: &Config) -> Result<hotline_search::OrderIndex, String> {
    let dir = cfg.data_dir.join("order-index");
    let index = hotline_search::OrderIndex::open(&dir).map_err(|e| {
        format!(
            "{}: {e} (is another hotline server using this data directory?)",
            dir.display()
        )
    })?;
    let masked = cfg.data_dir.join("order-index.masked");
    let io = |e: std::io::Error| format!("{}: {e}", masked.display());
    match (cfg.personal_data_encryption, masked.exists()) {
        (true, false) => {
            index
                .clear()
                .map_err(|e| format!("{}: {e}", dir.display()))?;
            std::fs::write(&masked, "built with requesters' details masked\n").map_err(io)?;
            tracing::info!(
                "order index emptied: it is built again with requesters' details masked"
            );
        }
        (false, true) => std::fs::remove_file(&masked).map_err(io)?,
        _ => {}
    }
    Ok(index)
}

pub async fn run(mut cfg: Config, listen: Option<String>, demo_mode: bool) -> Result<(), String> {
    init_logging(&cfg.log, cfg.log_format);
    if let Some(l) = listen {
        cfg.listen = l;
    }
    let _lock = crate::data_lock::for_server(&cfg)?;
    let mut state = open_state(&cfg)
        .await?
        .with_kb_index(open_kb_index(&cfg)?)
        .with_order_index(open_order_index(&cfg)?);
    if demo_mode {
        state = state.with_demo_hint();
        load_demo(&state).await?;
    }
    // A missing or stale index is brought up to the database before serving.
    let seq = state.kb().sync(&state).await.map_err(|e| e.message)?;
    tracing::info!(
        seq,
        articles = state.kb().index().len(),
        "knowledge index ready"
    );
    // Calls come first: orders not yet in the report counters (a database from
    // before them, a bulk import) are counted in the background while serving.
    if hotline_app::reports::stats::backlogged(
        state.store().as_ref(),
        hotline_app::reports::stats::BACKLOG,
    )
    .await
    .map_err(|e| e.to_string())?
    {
        tracing::info!(
            "report counters are being built in the background; reports answer 503 until then"
        );
    }
    let jobs = hotline_app::jobs::start(&state, cfg.audit_anchor_path());
    let listener = tokio::net::TcpListener::bind(&cfg.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", cfg.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    // Both addresses are bound before the server says it serves, so that whoever
    // waits for that line finds the metrics address answering too.
    let metrics = bind_metrics(&cfg.metrics_listen).await?;
    tracing::info!(%addr, store = state.store().backend(), "serving");
    println!("hotline is serving on http://{addr}");
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    if let Some(metrics) = metrics {
        serve_metrics(metrics, state.clone(), stop_rx.clone());
    }
    let service = app(state.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, service).with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight requests");
        let _ = stop_tx.send(true);
    });
    let grace = Duration::from_secs(cfg.shutdown_grace_seconds);
    tokio::select! {
        r = server => r.map_err(|e| e.to_string())?,
        _ = async { let _ = stop_rx.wait_for(|stopped| *stopped).await; tokio::time::sleep(grace).await } => {
            tracing::warn!("in-flight requests did not finish within the grace period");
        }
    }
    jobs.stop().await;
    drop(state);
    tracing::info!("stopped");
    Ok(())
}

/// The separate metrics address, when one is configured.
async fn bind_metrics(address: &str) -> Result<Option<tokio::net::TcpListener>, String> {
    if address.is_empty() {
        return Ok(None);
    }
    let listener = tokio::net::TcpListener::bind(address).await.map_err(|e| {
        format!("cannot listen on {address} for metrics: {e} (metrics_listen; empty turns it off)")
    })?;
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "serving metrics");
    }
    Ok(Some(listener))
}

/// Serves `/metrics` on its own address until the server stops.
fn serve_metrics(
    listener: tokio::net::TcpListener,
    state: AppState,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let service = hotline_app::ops::metrics_router(state);
    tokio::spawn(async move {
        let stopped = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, service)
            .with_graceful_shutdown(stopped)
            .await
        {
            tracing::error!(error = %e, "the metrics address stopped serving");
        }
    });
}

async fn load_demo(state: &AppState) -> Result<(), String> {
    let loaded = demo::load(state).await.map_err(|e| e.message)?;
    let passwords = demo::reset_passwords(state).await.map_err(|e| e.message)?;
    if loaded {
        println!(
            "Loaded the demo province (Sichuan: 22 hotlines, units, {} orders).",
            demo::ORDERS
        );
    }
    if passwords.is_empty() {
        println!(
            "No demo account still has the password the demo gave it (changed passwords are kept); --demo changed nothing."
        );
        return Ok(());
    }
    println!("Demo accounts (fresh passwords for this run):");
    for (user, password) in passwords {
        println!("  {user:<14} {password}");
    }
    println!("Log in: POST /api/v1/sessions {{\"username\":\"operator\",\"password\":\"…\"}}");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
