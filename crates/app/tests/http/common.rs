//! `TestApp`: the real router on a fresh database, with a hand-set clock.
#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use hotline_app::clock::ManualClock;
use hotline_app::{AppConfig, AppState, app, bootstrap};
use hotline_domain::*;
use hotline_store::personal::{Algorithm, Keyring, Personal};
use hotline_store::{NewUser, Store, UnitRecord};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use tower::ServiceExt;

pub const PASSWORD: &str = "Test-Password-1";

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    tokens: Mutex<HashMap<String, String>>,
    _dir: Option<tempfile::TempDir>,
}

pub struct Response {
    pub status: StatusCode,
    pub retry_after: Option<String>,
    pub location: Option<String>,
    /// The cookie a response sets, as a request sends it back (`name=value`).
    pub set_cookie: Option<String>,
    pub body: Value,
    pub text: String,
    pub bytes: Vec<u8>,
}

/// Personal data sealed when `HOTLINE_TEST_PERSONAL_DATA` is `aes-256-gcm` or
/// `sm4-gcm` (every HTTP test can be run with encryption on), plain otherwise.
pub fn personal_from_env() -> Arc<Personal> {
    match std::env::var("HOTLINE_TEST_PERSONAL_DATA") {
        Ok(cipher) if !cipher.is_empty() => sealed(Algorithm::parse(&cipher).unwrap()),
        _ => Personal::plain(),
    }
}

/// Personal data sealed with a fresh key of `algorithm`.
pub fn sealed(algorithm: Algorithm) -> Arc<Personal> {
    Personal::sealed(Keyring::generate(algorithm), None)
}

pub fn at(s: &str) -> Timestamp {
    chrono::DateTime::parse_from_rfc3339(s).unwrap()
}

/// The audit record of a row the tests set up, written with it as any such write is.
pub fn set_up(action: &str, object: String) -> hotline_domain::audit::AuditRecord {
    hotline_domain::audit::AuditRecord {
        at: at("2026-11-02T09:00:00+08:00"),
        actor: "system".into(),
        unit: None,
        address: None,
        action: action.into(),
        object: Some(object),
        detail: json!({}),
    }
}

fn password_hash() -> String {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| hotline_app::auth::hash_password(PASSWORD).unwrap())
        .clone()
}

/// The test organisation: a province, two city hotlines, their units.
const UNITS: &[(&str, &str, Option<&str>, &str)] = &[
    ("sc12345", "hotline", None, "510000"),
    ("cd12345", "hotline", Some("sc12345"), "510100"),
    ("my12345", "hotline", Some("sc12345"), "510700"),
    ("sc-jt", "department", Some("sc12345"), "510000"),
    ("cd-jt", "department", Some("cd12345"), "510100"),
    ("cd-jt-zd", "department", Some("cd-jt"), "510104"),
    ("cd-zj", "department", Some("cd12345"), "510100"),
    ("cd-old", "department", Some("cd12345"), "510100"),
    ("my-zj", "department", Some("my12345"), "510700"),
    ("sc-tax", "vertical_agency", Some("sc12345"), "510000"),
];

/// (unit, the head of its line): the city's transport bureau is in the provincial
/// transport department's line.
const LINES: &[(&str, &str)] = &[("cd-jt", "sc-jt")];

/// (username, roles, unit)
const USERS: &[(&str, &[&str], Option<&str>)] = &[
    ("admin", &["admin"], None),
    ("cdadmin", &["admin"], Some("cd12345")),
    ("operator", &["operator"], Some("cd12345")),
    ("vendor", &["vendor_operator"], Some("cd12345")),
    ("dispatcher", &["dispatcher"], Some("cd12345")),
    ("supervisor", &["supervisor"], Some("cd12345")),
    ("inspector", &["inspector"], Some("cd12345")),
    ("editor", &["knowledge_editor"], Some("cd12345")),
    ("handler", &["handler"], Some("cd-jt")),
    ("handler2", &["handler"], Some("cd-zj")),
    ("myhandler", &["handler"], Some("my-zj")),
    ("mydispatcher", &["dispatcher"], Some("my12345")),
    ("scdispatcher", &["dispatcher"], Some("sc12345")),
    ("scsupervisor", &["supervisor"], Some("sc12345")),
    ("schandler", &["handler"], Some("sc-tax")),
    ("linesup", &["line_supervisor"], Some("sc-jt")),
    ("sc-jt-handler", &["handler"], Some("sc-jt")),
    ("stationhandler", &["handler"], Some("cd-jt-zd")),
];

impl TestApp {
    pub async fn sqlite() -> TestApp {
        Self::sqlite_with(|_| {}).await
    }

    /// On SQLite, with some settings changed.
    pub async fn sqlite_with(change: impl FnOnce(&mut AppConfig)) -> TestApp {
        Self::sqlite_sealed_with(personal_from_env(), change).await
    }

    /// On SQLite, personal data kept by `personal`, with some settings changed.
    pub async fn sqlite_sealed_with(
        personal: Arc<Personal>,
        change: impl FnOnce(&mut AppConfig),
    ) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let store =
            hotline_store::sqlite::SqliteStore::open_with(&dir.path().join("t.db"), personal)
                .unwrap();
        Self::with_store(Arc::new(store), Some(dir), change).await
    }

    pub async fn postgres() -> Option<TestApp> {
        Self::postgres_sealed(personal_from_env()).await
    }

    /// On PostgreSQL, personal data kept by `personal`.
    pub async fn postgres_sealed(personal: Arc<Personal>) -> Option<TestApp> {
        let Ok(url) = std::env::var("HOTLINE_TEST_DATABASE_URL") else {
            eprintln!("HOTLINE_TEST_DATABASE_URL is not set: skipping the PostgreSQL run");
            return None;
        };
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let schema = format!("api_{}_{}", std::process::id(), nanos % 1_000_000_000_000);
        let store = hotline_store::postgres::PgStore::connect_with(&url, Some(&schema), personal)
            .await
            .unwrap();
        Some(Self::with_store(Arc::new(store), None, |_| {}).await)
    }

    /// On PostgreSQL, with a second store on the same database: another server of
    /// the installation.
    pub async fn postgres_with_second_server()
    -> Option<(TestApp, Arc<hotline_store::postgres::PgStore>)> {
        let url = std::env::var("HOTLINE_TEST_DATABASE_URL").ok()?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let schema = format!("two_{}_{}", std::process::id(), nanos % 1_000_000_000_000);
        let connect = || hotline_store::postgres::PgStore::connect_in_schema(&url, Some(&schema));
        let first = connect().await.unwrap();
        let second = connect().await.unwrap();
        let app = Self::with_store(Arc::new(first), None, |_| {}).await;
        Some((app, Arc::new(second)))
    }

    async fn with_store(
        store: Arc<dyn Store>,
        dir: Option<tempfile::TempDir>,
        change: impl FnOnce(&mut AppConfig),
    ) -> TestApp {
        bootstrap::seed_defaults(&*store).await.unwrap();
        for (code, kind, parent, region) in UNITS {
            store
                .create_unit(
                    UnitRecord {
                        code: UnitCode::parse(code).unwrap(),
                        name: format!("单位 {code}"),
                        kind: UnitKind::parse(kind).unwrap(),
                        parent: parent.map(|p| UnitCode::parse(p).unwrap()),
                        region: RegionCode::parse(region).unwrap(),
                        active: true,
                        line_head: LINES
                            .iter()
                            .find(|(unit, _)| unit == code)
                            .map(|(_, head)| UnitCode::parse(head).unwrap()),
                    },
                    set_up("unit.create", format!("unit:{code}")),
                )
                .await
                .unwrap();
        }
        for (name, roles, unit) in USERS {
            store
                .create_user(
                    NewUser {
                        username: name.to_string(),
                        password_hash: password_hash(),
                        roles: roles.iter().map(|r| Role::parse(r).unwrap()).collect(),
                        unit: unit.map(|u| UnitCode::parse(u).unwrap()),
                    },
                    set_up("user.create", format!("user:{name}")),
                )
                .await
                .unwrap();
        }
        let clock = Arc::new(ManualClock::new(at("2026-11-02T09:00:00+08:00")));
        let mut config = AppConfig {
            body_limit: 64 * 1024,
            cache_ttl: std::time::Duration::ZERO,
            ..AppConfig::default()
        };
        change(&mut config);
        let state = AppState::new(store, clock.clone(), config);
        TestApp {
            router: app(state.clone()),
            state,
            clock,
            tokens: Mutex::new(HashMap::new()),
            _dir: dir,
        }
    }

    /// The real router over a state made elsewhere (its database filled already).
    pub fn on_state(state: AppState, clock: Arc<ManualClock>) -> TestApp {
        TestApp {
            router: app(state.clone()),
            state,
            clock,
            tokens: Mutex::new(HashMap::new()),
            _dir: None,
        }
    }

    /// Moves the clock; sessions may have expired, so log in afresh afterwards.
    pub fn set_time(&self, s: &str) {
        self.clock.set(at(s));
        self.tokens.lock().unwrap().clear();
    }

    pub async fn login(&self, user: &str, password: &str) -> Response {
        self.send(
            "POST",
            "/api/v1/sessions",
            None,
            Some(json!({"username": user, "password": password})),
        )
        .await
    }

    pub async fn token(&self, user: &str) -> String {
        if let Some(t) = self.tokens.lock().unwrap().get(user) {
            return t.clone();
        }
        let r = self
            .send(
                "POST",
                "/api/v1/sessions",
                None,
                Some(json!({"username": user, "password": PASSWORD})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "login {user}: {}", r.text);
        let t = r.body["token"].as_str().unwrap().to_owned();
        self.tokens
            .lock()
            .unwrap()
            .insert(user.to_owned(), t.clone());
        t
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let bytes = body
            .map(|b| serde_json::to_vec(&b).unwrap())
            .unwrap_or_default();
        self.send_bytes(method, path, token, bytes).await
    }

    pub async fn send_bytes(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Vec<u8>,
    ) -> Response {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        self.call(req.body(Body::from(body)).unwrap()).await
    }

    /// A login from a client whose connection comes from `peer`, through a proxy
    /// that names the client in `X-Forwarded-For` when `forwarded_for` is given.
    pub async fn login_from(
        &self,
        peer: &str,
        forwarded_for: Option<&str>,
        user: &str,
        password: &str,
    ) -> Response {
        let body = json!({"username": user, "password": password});
        self.request_from(peer, forwarded_for, "POST", "/api/v1/sessions", Some(body))
            .await
    }

    /// A request without a session from a client at `peer` (see [`TestApp::login_from`]).
    pub async fn request_from(
        &self,
        peer: &str,
        forwarded_for: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json");
        if let Some(f) = forwarded_for {
            req = req.header("x-forwarded-for", f);
        }
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut req = req.body(Body::from(body)).unwrap();
        let peer: std::net::IpAddr = peer.parse().unwrap();
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::new(
                peer, 40000,
            )));
        self.call(req).await
    }

    /// An account whose password hash is as cheap as argon2 allows, for tests that
    /// log in hundreds of times (verification follows the hash's own parameters).
    pub async fn add_cheap_user(&self, name: &str, role: &str, unit: Option<&str>) {
        use argon2::password_hash::{PasswordHasher, SaltString};
        let params = argon2::Params::new(8, 1, 1, None).unwrap();
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let salt = SaltString::encode_b64(b"cheap test salt!").unwrap();
        let hash = argon.hash_password(PASSWORD.as_bytes(), &salt).unwrap();
        self.state
            .store()
            .create_user(
                NewUser {
                    username: name.to_owned(),
                    password_hash: hash.to_string(),
                    roles: vec![Role::parse(role).unwrap()],
                    unit: unit.map(|u| UnitCode::parse(u).unwrap()),
                },
                set_up("user.create", format!("user:{name}")),
            )
            .await
            .unwrap();
    }

    /// Sends a request through the router and reads the whole answer.
    pub async fn call(&self, req: Request<Body>) -> Response {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let retry_after = header("retry-after");
        let location = header("location");
        let set_cookie = header("set-cookie").map(|c| c.split(';').next().unwrap().to_owned());
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Response {
            status,
            retry_after,
            location,
            set_cookie,
            body,
            text,
            bytes: bytes.to_vec(),
        }
    }

    /// As `user`: a request with that user's token.
    pub async fn as_user(
        &self,
        user: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let t = self.token(user).await;
        self.send(method, path, Some(&t), body).await
    }

    pub async fn create(&self, user: &str, body: Value) -> Response {
        self.as_user(user, "POST", "/api/v1/orders", Some(body))
            .await
    }

    /// Registers a complaint as the operator and returns its id.
    pub async fn complaint(&self) -> i64 {
        let r = self.create("operator", order_body("complaint")).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body["id"].as_i64().unwrap()
    }

    pub async fn act(&self, user: &str, id: i64, action: &str, body: Value) -> Response {
        self.as_user(
            user,
            "POST",
            &format!("/api/v1/orders/{id}/{action}"),
            Some(body),
        )
        .await
    }

    pub async fn ok(&self, user: &str, id: i64, action: &str, body: Value) -> Value {
        let r = self.act(user, id, action, body).await;
        assert_eq!(r.status, StatusCode::OK, "{user} {action}: {}", r.text);
        r.body
    }

    pub async fn order(&self, id: i64) -> Value {
        let r = self
            .as_user("supervisor", "GET", &format!("/api/v1/orders/{id}"), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body
    }

    pub async fn event_count(&self, id: i64) -> usize {
        self.order(id).await["events"].as_array().unwrap().len()
    }
}

/// An integration key for `unit` with these scopes, issued by the city's admin.
pub async fn issue_key(app: &TestApp, unit: &str, actions: Value, name: &str) -> String {
    let r = app
        .as_user(
            "cdadmin",
            "POST",
            "/api/v1/apikeys",
            Some(json!({"name": name, "unit": unit, "actions": actions})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["key"].as_str().unwrap().to_owned()
}

pub fn order_body(kind: &str) -> Value {
    json!({
        "channel": "phone", "kind": kind, "domain": "public_services/roads", "region": "510104",
        "title": "路灯不亮", "content": "锦江区东大街路灯连续一周不亮，夜间出行不安全。",
        "address": "锦江区东大街100号",
        "requester": {"name": "王小明", "phone": "13812345678", "anonymous": false}
    })
}

/// Runs a test body on SQLite, and on PostgreSQL when `HOTLINE_TEST_DATABASE_URL` is set.
#[allow(unused_macros)]
macro_rules! on_both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn on_sqlite() {
                let app = TestApp::sqlite().await;
                ($body)(app).await;
            }
            #[tokio::test]
            async fn on_postgres() {
                if let Some(app) = TestApp::postgres().await {
                    ($body)(app).await;
                }
            }
        }
    };
}
