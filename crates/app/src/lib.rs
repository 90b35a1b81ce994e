//! The hotline application: use cases, the HTTP API and the jobs around them.
//!
//! A tour: [`AppState`] is the one context every handler gets (store, clock, config,
//! and cached copies of the rules administrators change while the hotline runs);
//! [`app`] builds the router users get, so tests drive exactly that. [`access`]
//! decides who sees what; [`auth`] logs people in behind the login guard, and
//! [`account`] lets them change their password and end their sessions;
//! [`two_factor`] enrols them for, and checks, the second factor (TOTP) that
//! administrators sign in with; [`client_addr`] finds the client behind trusted
//! proxies; [`orders`] holds the order use cases and their routes; [`public`] is the
//! requester's view without login;
//! [`admin`] manages units, accounts, calendar, rules and taxonomy; [`ops`] serves
//! health, metrics and the HTTP hygiene middleware; [`bootstrap`] seeds a new
//! database and [`demo`] loads the demo province. Every date a request names is
//! parsed by [`dates`], and every file read by [`spreadsheet`], both within bounds;
//! [`fuzzing`] exposes those readers to the fuzz targets. Passwords are hashed on
//! [`hashing`]'s own threads. Background jobs live in [`jobs`], one file each (the
//! deadline watch, the report counters of [`stats`], the knowledge and order indexes
//! of [`kb`] and [`order_search`], the monthly summons, the retention purge, the
//! audit anchor of [`audit_anchor`]), started by one function and stopped on shutdown.

pub mod access;
pub mod admin;
pub mod audit;
pub mod audit_anchor;
pub mod auth;
pub mod bootstrap;
pub mod client_addr;
pub mod clock;
pub mod config;
pub mod dates;
pub mod demo;
pub mod error;
pub mod extract;
pub mod fuzzing;
pub mod hashing;
pub mod jobs;
pub mod kb;
pub mod openapi;
pub mod ops;
pub mod orders;
pub mod reports;
pub mod settings;
pub mod spreadsheet;
pub mod web;

use axum::Router;
use hotline_domain::{Calendar, DeadlineRules, Timestamp, taxonomy::DomainCategory};
use hotline_store::Store;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::access::Org;
use crate::clock::Clock;
use crate::error::{ApiError, ApiResult};

/// Deployment settings the application needs (the binary reads them from the config
/// file and environment).
#[derive(Clone)]
pub struct AppConfig {
    /// Key of the keyed hash of requesters' phone numbers.
    pub phone_hash_key: Vec<u8>,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    pub session_hours: i64,
    /// A session unused this long ends.
    pub session_idle_minutes: i64,
    /// Failed logins of one username (existing or not) from one client address that
    /// lock that username for that address…
    pub login_max_failures: i64,
    /// …for this long.
    pub login_lock_minutes: i64,
    /// Failed logins of one username from all addresses in an hour beyond which only
    /// addresses it logged in from within `login_known_address_days` may try.
    pub login_name_failures_per_hour: i64,
    pub login_known_address_days: i64,
    /// Failed login attempts per client address per minute (successes are not counted).
    pub login_rate_per_minute: i64,
    /// Requests to the public (no login) endpoints per client address per minute.
    pub public_rate_per_minute: i64,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: client_addr::TrustedProxies,
    pub duplicate_window_days: i64,
    /// How long a server trusts its copy of rules, calendar and units before reading
    /// them again (other servers on the same database may change them).
    pub cache_ttl: Duration,
    /// Serve `POST /api/v1/bench/noop` (the benchmark's ceiling).
    pub bench_routes: bool,
    /// The demo province is loaded: the login page says how to log in.
    pub demo: bool,
    /// Accounts with any of these roles must sign in with a second factor (TOTP):
    /// after their password they may only enrol until they have one. Any account may
    /// enrol; once enrolled it always needs its code. The binary's default (from
    /// `config/default.toml`) is `admin`; this struct's `Default`, for tests and
    /// embedding, requires it of nobody.
    pub two_factor_roles: Vec<hotline_domain::Role>,
    /// Bearer token that opens `/metrics` on the service's own address; empty, it is
    /// served only on the separate metrics address.
    pub metrics_token: String,
    /// The installation is reached over HTTPS (itself or behind a TLS proxy): the
    /// session cookie is `Secure` and every answer carries HSTS.
    pub https: bool,
    /// Years after an order is closed when the retention job purges its personal
    /// data; 0: never.
    pub retention_years: u32,
}

impl std::fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConfig")
            .field("phone_hash_key", &"[redacted]")
            .field("body_limit", &self.body_limit)
            .field("session_hours", &self.session_hours)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("duplicate_window_days", &self.duplicate_window_days)
            .field("cache_ttl", &self.cache_ttl)
            .field("two_factor_roles", &self.two_factor_roles)
            .field("retention_years", &self.retention_years)
            .finish()
    }
}

/// How long a sign-in waits for its password check before answering 503 `busy`.
const HASH_WAIT: Duration = Duration::from_secs(10);

/// A value read from the store and kept for a while.
struct Cached<T> {
    slot: RwLock<Option<(Instant, Arc<T>)>>,
}

impl<T> Cached<T> {
    fn new() -> Self {
        Cached {
            slot: RwLock::new(None),
        }
    }

    async fn get<F, Fut>(&self, ttl: Duration, load: F) -> ApiResult<Arc<T>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = ApiResult<T>>,
    {
        if let Some((at, v)) = self.slot.read().expect("cache lock").as_ref()
            && at.elapsed() < ttl
        {
            return Ok(v.clone());
        }
        let v = Arc::new(load().await?);
        *self.slot.write().expect("cache lock") = Some((Instant::now(), v.clone()));
        Ok(v)
    }

    fn invalidate(&self) {
        *self.slot.write().expect("cache lock") = None;
    }
}

struct Inner {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    config: AppConfig,
    rules: Cached<DeadlineRules>,
    calendar: Cached<Calendar>,
    org: Cached<Org>,
    taxonomy: Cached<Vec<DomainCategory>>,
    synonyms: Cached<hotline_domain::kb::Synonyms>,
    metrics: ops::Metrics,
    kb: Arc<kb::KbSearch>,
    orders_index: Arc<orders::search::OrderSearch>,
    hashing: Arc<hashing::HashPool>,
}

/// The one context every handler gets.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl AppState {
    /// A state whose knowledge index lives in memory (built from the database by
    /// the first [`kb::KbSearch::sync`]); servers give it one on disk instead.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: AppConfig) -> Self {
        let index = hotline_search::KbIndex::in_memory().expect("an in-memory index opens");
        let orders = hotline_search::OrderIndex::in_memory().expect("an in-memory index opens");
        Self::build(
            store,
            clock,
            config,
            Arc::new(kb::KbSearch::new(index)),
            Arc::new(orders::search::OrderSearch::new(orders)),
        )
    }

    fn build(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        config: AppConfig,
        kb: Arc<kb::KbSearch>,
        orders_index: Arc<orders::search::OrderSearch>,
    ) -> Self {
        AppState(Arc::new(Inner {
            store,
            clock,
            config,
            rules: Cached::new(),
            calendar: Cached::new(),
            org: Cached::new(),
            taxonomy: Cached::new(),
            synonyms: Cached::new(),
            metrics: ops::Metrics::default(),
            kb,
            orders_index,
            hashing: Arc::new(hashing::HashPool::for_this_machine(HASH_WAIT)),
        }))
    }

    /// The same state, searching the knowledge index in `index`.
    pub fn with_kb_index(self, index: hotline_search::KbIndex) -> Self {
        let i = &self.0;
        let kb = Arc::new(kb::KbSearch::new(index));
        let orders = i.orders_index.clone();
        AppState::build(
            i.store.clone(),
            i.clock.clone(),
            i.config.clone(),
            kb,
            orders,
        )
    }

    /// The same state, searching orders' texts in `index`.
    pub fn with_order_index(self, index: hotline_search::OrderIndex) -> Self {
        let i = &self.0;
        let orders = Arc::new(orders::search::OrderSearch::new(index));
        AppState::build(
            i.store.clone(),
            i.clock.clone(),
            i.config.clone(),
            i.kb.clone(),
            orders,
        )
    }

    pub fn order_search(&self) -> &orders::search::OrderSearch {
        &self.0.orders_index
    }

    /// The same state, with the login page telling visitors how to use the demo.
    pub fn with_demo_hint(self) -> Self {
        let mut config = self.0.config.clone();
        config.demo = true;
        let i = &self.0;
        AppState::build(
            i.store.clone(),
            i.clock.clone(),
            config,
            i.kb.clone(),
            i.orders_index.clone(),
        )
    }

    /// Where passwords are hashed and checked (a bounded pool).
    pub fn hashing(&self) -> &hashing::HashPool {
        &self.0.hashing
    }

    pub fn kb(&self) -> &kb::KbSearch {
        &self.0.kb
    }

    pub(crate) fn kb_handle(&self) -> Arc<hotline_search::KbIndex> {
        self.0.kb.shared_index()
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.0.store
    }

    pub fn now(&self) -> Timestamp {
        self.0.clock.now()
    }

    /// Today's date in Asia/Shanghai, the hotline's calendar.
    pub fn today(&self) -> chrono::NaiveDate {
        self.now()
            .with_timezone(&hotline_domain::shanghai())
            .date_naive()
    }

    pub fn config(&self) -> &AppConfig {
        &self.0.config
    }

    pub(crate) fn metrics(&self) -> &ops::Metrics {
        &self.0.metrics
    }

    pub async fn rules(&self) -> ApiResult<Arc<DeadlineRules>> {
        let store = self.0.store.clone();
        self.0
            .rules
            .get(self.0.config.cache_ttl, || async move {
                Ok(store.deadline_rules().await?.unwrap_or_default())
            })
            .await
    }

    pub async fn calendar(&self) -> ApiResult<Arc<Calendar>> {
        let store = self.0.store.clone();
        self.0
            .calendar
            .get(self.0.config.cache_ttl, || async move {
                Ok(Calendar::new(store.calendar().await?))
            })
            .await
    }

    pub async fn org(&self) -> ApiResult<Arc<Org>> {
        let store = self.0.store.clone();
        self.0
            .org
            .get(self.0.config.cache_ttl, || async move {
                Ok(Org::new(store.list_units().await?))
            })
            .await
    }

    pub async fn taxonomy(&self) -> ApiResult<Arc<Vec<DomainCategory>>> {
        let store = self.0.store.clone();
        self.0
            .taxonomy
            .get(self.0.config.cache_ttl, || async move {
                Ok(store.taxonomy().await?)
            })
            .await
    }

    /// The knowledge synonym list in force (the shipped list until an admin saves
    /// one), read on every search, so cached like the rules.
    pub async fn synonyms(&self) -> ApiResult<Arc<hotline_domain::kb::Synonyms>> {
        let store = self.0.store.clone();
        self.0
            .synonyms
            .get(self.0.config.cache_ttl, || async move {
                Ok(store
                    .synonyms()
                    .await?
                    .unwrap_or_else(hotline_domain::kb::Synonyms::seed))
            })
            .await
    }

    /// Forgets the cached copies after a change made here.
    pub fn invalidate_caches(&self) {
        self.0.rules.invalidate();
        self.0.calendar.invalidate();
        self.0.org.invalidate();
        self.0.taxonomy.invalidate();
        self.0.synonyms.invalidate();
    }
}

/// The router users get: every route, with the shared middleware.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .merge(auth::router())
        .merge(auth::account::router())
        .merge(auth::two_factor::router())
        .merge(admin::audit_trail::router())
        .merge(orders::api::router())
        .merge(orders::public::router())
        .merge(admin::api::router())
        .merge(ops::router())
        .merge(openapi::router())
        .merge(kb::api::router())
        .merge(reports::api::router())
        .merge(orders::supervision::router())
        .merge(web::router(&state));
    let api = if state.config().bench_routes {
        api.merge(orders::api::bench_router())
    } else {
        api
    };
    ops::with_middleware(api, state.clone()).with_state(state)
}

/// For handlers that must not run without a unit tree.
pub(crate) fn unknown_unit(field: &str, code: &str) -> ApiError {
    ApiError::invalid(field, format!("no such unit: {code}"))
}
