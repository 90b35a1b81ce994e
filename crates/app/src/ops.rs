//! Operations: `/healthz`, `/readyz`, Prometheus `/metrics`, and the middleware every
//! response passes through (request ids, security headers, body limit, request metrics).

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Datelike;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::AppState;
use crate::error::{ApiError, ApiResult};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_with_token))
}

/// The router of the separate metrics address (`metrics_listen`, loopback by
/// default): `/metrics` without a token, nothing else.
pub fn metrics_router(state: AppState) -> axum::Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    store: &'static str,
    calendar: CalendarHealth,
}

#[derive(Serialize)]
struct CalendarHealth {
    loaded_years: Vec<i32>,
    warnings: Vec<String>,
}

/// Years a deadline may reach soon whose arrangement is not loaded: the current year,
/// and from November on (when the State Council announces it) the next.
pub fn calendar_warnings(loaded: &[i32], now: hotline_domain::Timestamp) -> Vec<String> {
    let today = now.date_naive();
    let mut needed = vec![today.year()];
    if today.month() >= 11 {
        needed.push(today.year() + 1);
    }
    needed
        .into_iter()
        .filter(|y| !loaded.contains(y))
        .map(|y| format!("no official arrangement loaded for {y}: deadlines reaching {y} are counted Monday–Friday and flagged calendar_incomplete"))
        .collect()
}

async fn healthz(State(state): State<AppState>) -> Response {
    if let Err(e) = state.store().ping().await {
        tracing::error!(error = %e, "health check: the store does not answer");
        return (StatusCode::SERVICE_UNAVAILABLE, "store unavailable").into_response();
    }
    let loaded = match state.calendar().await {
        Ok(cal) => cal.loaded_years(),
        Err(_) => return (StatusCode::SERVICE_UNAVAILABLE, "calendar unavailable").into_response(),
    };
    let warnings = calendar_warnings(&loaded, state.now());
    let status = if warnings.is_empty() {
        "ok"
    } else {
        "degraded"
    };
    let body = Health {
        status,
        store: state.store().backend(),
        calendar: CalendarHealth {
            loaded_years: loaded,
            warnings,
        },
    };
    axum::Json(body).into_response()
}

/// `Cache-Control: no-store` on every answer but the static assets: pages and JSON
/// carry personal data, which no browser or proxy cache may keep. A handler that sets
/// its own cache policy keeps it.
async fn no_store(req: Request, next: Next) -> Response {
    let is_asset = req.uri().path().starts_with("/static/");
    let mut resp = next.run(req).await;
    if !is_asset && !resp.headers().contains_key(header::CACHE_CONTROL) {
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// How long the readiness write may take before the server counts as not ready.
const READY_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

/// 200 once a write has gone through the store's write path now; 503
/// `store_unavailable` with the reason when it fails or hangs (a full disk, a
/// read-only database, PostgreSQL in recovery), which `/healthz` does not see.
async fn readyz(State(state): State<AppState>) -> Response {
    let reason = match tokio::time::timeout(READY_WITHIN, state.store().probe_write(state.now()))
        .await
    {
        Ok(Ok(())) => return axum::Json(serde_json::json!({"status": "ready"})).into_response(),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "readiness: a write failed");
            "a write to the database failed"
        }
        Err(_) => {
            tracing::error!("readiness: a write did not finish within 5 s");
            "a write to the database did not finish within 5 s"
        }
    };
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable", reason).into_response()
}

const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

/// Request counters and latency histograms per route and status.
#[derive(Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<(String, String, u16), Series>>,
    in_flight: AtomicU64,
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut map = self.series.lock().expect("metrics lock");
        let s = map
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default();
        s.count += 1;
        s.sum += seconds;
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                s.buckets[i] += 1;
            }
        }
    }

    fn render(&self, out: &mut String) {
        let map = self.series.lock().expect("metrics lock");
        out.push_str("# HELP hotline_http_requests_total HTTP requests answered.\n# TYPE hotline_http_requests_total counter\n");
        for ((m, r, st), s) in map.iter() {
            let _ = writeln!(
                out,
                "hotline_http_requests_total{{method=\"{m}\",route=\"{r}\",status=\"{st}\"}} {}",
                s.count
            );
        }
        out.push_str("# HELP hotline_http_request_duration_seconds HTTP request latency.\n# TYPE hotline_http_request_duration_seconds histogram\n");
        let mut merged: BTreeMap<(&str, &str), Series> = BTreeMap::new();
        for ((m, r, _), s) in map.iter() {
            let t = merged.entry((m, r)).or_default();
            t.count += s.count;
            t.sum += s.sum;
            for i in 0..BUCKETS.len() {
                t.buckets[i] += s.buckets[i];
            }
        }
        for ((m, r), s) in merged {
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "hotline_http_request_duration_seconds_bucket{{method=\"{m}\",route=\"{r}\",le=\"{b}\"}} {}",
                    s.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "hotline_http_request_duration_seconds_bucket{{method=\"{m}\",route=\"{r}\",le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "hotline_http_request_duration_seconds_sum{{method=\"{m}\",route=\"{r}\"}} {}",
                s.sum
            );
            let _ = writeln!(
                out,
                "hotline_http_request_duration_seconds_count{{method=\"{m}\",route=\"{r}\"}} {}",
                s.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP hotline_http_requests_in_flight Requests being served.\n# TYPE hotline_http_requests_in_flight gauge\nhotline_http_requests_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
    }
}

/// `/metrics` on the service's own address, which callers from anywhere reach: only
/// with `Authorization: Bearer <metrics_token>`, and not at all without a token
/// configured (the separate metrics address serves it then).
async fn metrics_with_token(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> ApiResult<Response> {
    let expected = &state.config().metrics_token;
    if expected.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "metrics are served on the metrics address (metrics_listen), or here with metrics_token",
        ));
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !same_secret(given, expected) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "metrics need the metrics token as a bearer token",
        ));
    }
    metrics(State(state)).await
}

/// Compares digests, so the time taken says nothing about how much of the token matched.
fn same_secret(given: &str, expected: &str) -> bool {
    use sha2::{Digest, Sha256};
    Sha256::digest(given.as_bytes()) == Sha256::digest(expected.as_bytes())
}

async fn metrics(State(state): State<AppState>) -> ApiResult<Response> {
    let mut out = String::new();
    state.metrics().render(&mut out);
    out.push_str("# HELP hotline_orders Orders by status.\n# TYPE hotline_orders gauge\n");
    for (status, n) in state.store().count_by_status().await? {
        let _ = writeln!(out, "hotline_orders{{status=\"{status}\"}} {n}");
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response())
}

/// One request counted in flight until it is dropped: also when the handler panics
/// and its future is dropped mid-way, which once left the gauge counting it for ever.
struct InFlight<'a>(&'a AtomicU64);

impl<'a> InFlight<'a> {
    fn count(gauge: &'a AtomicU64) -> Self {
        gauge.fetch_add(1, Ordering::Relaxed);
        InFlight(gauge)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn track_request(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let m = state.metrics();
    let in_flight = InFlight::count(&m.in_flight);
    let resp = next.run(req).await;
    drop(in_flight);
    m.observe(
        &method,
        &route,
        resp.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    resp
}

/// Request ids: a per-process random prefix and a counter, cheap and unique enough to
/// follow one request through the logs.
#[derive(Clone)]
struct RequestIds {
    prefix: String,
    next: std::sync::Arc<AtomicU64>,
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The middleware every route gets.
pub fn with_middleware(router: Router<AppState>, state: AppState) -> Router<AppState> {
    let x_request_id = HeaderName::from_static("x-request-id");
    let ids = RequestIds {
        prefix: format!("{:08x}", rand::random::<u32>()),
        next: Default::default(),
    };
    let static_header = |name: &'static str, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        )
    };
    let router = if state.config().https {
        // A year, the usual HSTS lifetime; subdomains are left to their own servers.
        router.layer(static_header(
            "strict-transport-security",
            "max-age=31536000",
        ))
    } else {
        router
    };
    router
        .layer(middleware::from_fn(crate::extract::check_text_inputs))
        .layer(middleware::from_fn(no_store))
        .layer(middleware::from_fn_with_state(state.clone(), track_request))
        .layer(DefaultBodyLimit::max(state.config().body_limit))
        .layer(static_header("x-content-type-options", "nosniff"))
        .layer(static_header("x-frame-options", "DENY"))
        .layer(static_header("referrer-policy", "no-referrer"))
        .layer(static_header("content-security-policy", CSP))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::debug_span!("request", method = %req.method(), uri = %req.uri().path(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(SetRequestIdLayer::new(x_request_id, ids))
}
