//! The deployment settings the application reads, and their one list of defaults.
//!
//! `config/default.toml` holds every deployment setting with its default and what it
//! means. The binary layers a config file, the environment and its flags over it;
//! [`AppConfig::default`] (tests, embedders) is the same file as shipped, but for
//! the roles that must sign in with a second factor (see there).

use hotline_domain::Role;
use serde::Deserialize;
use std::time::Duration;

use crate::AppConfig;
use crate::client_addr::TrustedProxies;

/// The shipped defaults of every deployment setting, the binary's own included.
pub const DEFAULTS: &str = include_str!("../../../config/default.toml");

/// The key of the phone hash when none is configured: only tests and embedders run
/// with it (the binary generates one into the data directory).
const PLACEHOLDER_PHONE_HASH_KEY: &[u8] = b"change-me";

/// The settings of `config/default.toml` the application reads (the binary reads the
/// others: where to listen, the database, the keys file, logging …). No `Debug`: it
/// holds the metrics token.
#[derive(Clone, Deserialize)]
pub struct AppSettings {
    pub body_limit: usize,
    pub session_hours: i64,
    pub session_idle_minutes: i64,
    pub login_max_failures: i64,
    pub login_lock_minutes: i64,
    pub login_name_failures_per_hour: i64,
    pub login_known_address_days: i64,
    pub login_rate_per_minute: i64,
    pub public_rate_per_minute: i64,
    pub trusted_proxies: Vec<String>,
    pub duplicate_window_days: i64,
    pub phone_area_code: String,
    pub cache_ttl_seconds: u64,
    pub bench_routes: bool,
    pub two_factor_roles: Vec<String>,
    pub metrics_token: String,
    pub https: bool,
    pub retention_years: u32,
}

impl AppSettings {
    /// The settings as `config/default.toml` ships them.
    pub fn shipped() -> Self {
        toml::from_str(DEFAULTS).expect("config/default.toml holds every application setting")
    }
}

impl AppConfig {
    /// The application's configuration: its settings, checked, and the key of the
    /// phone hash.
    pub fn from_settings(s: &AppSettings, phone_hash_key: Vec<u8>) -> Result<Self, String> {
        Ok(AppConfig {
            phone_hash_key,
            body_limit: s.body_limit,
            session_hours: s.session_hours,
            session_idle_minutes: s.session_idle_minutes,
            login_max_failures: s.login_max_failures,
            login_lock_minutes: s.login_lock_minutes,
            login_name_failures_per_hour: s.login_name_failures_per_hour,
            login_known_address_days: s.login_known_address_days,
            login_rate_per_minute: s.login_rate_per_minute,
            public_rate_per_minute: s.public_rate_per_minute,
            trusted_proxies: TrustedProxies::parse(&s.trusted_proxies)
                .map_err(|e| format!("trusted_proxies: {e}"))?,
            duplicate_window_days: s.duplicate_window_days,
            phone_area_code: check_area_code(&s.phone_area_code)?,
            cache_ttl: Duration::from_secs(s.cache_ttl_seconds),
            bench_routes: s.bench_routes,
            demo: false,
            two_factor_roles: s
                .two_factor_roles
                .iter()
                .map(|r| Role::parse(r).map_err(|e| format!("two_factor_roles: {r}: {e}")))
                .collect::<Result<_, _>>()?,
            metrics_token: s.metrics_token.clone(),
            https: s.https,
            retention_years: s.retention_years,
        })
    }
}

/// An area code is `0` and 2–3 more digits (`010`, `028`, `0816`), or empty.
fn check_area_code(code: &str) -> Result<String, String> {
    let code = code.trim();
    let ok = code.is_empty()
        || ((3..=4).contains(&code.len())
            && code.starts_with('0')
            && code.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        Ok(code.to_owned())
    } else {
        Err(format!(
            "phone_area_code: expected like \"028\", got {code:?}"
        ))
    }
}

impl Default for AppConfig {
    /// `config/default.toml` as shipped, with two differences: the placeholder key of
    /// the phone hash, and no role required to sign in with a second factor (the file
    /// requires it of `admin`): tests log in as administrators with a password, and
    /// the two-factor tests name the roles they check.
    fn default() -> Self {
        let shipped =
            AppConfig::from_settings(&AppSettings::shipped(), PLACEHOLDER_PHONE_HASH_KEY.to_vec())
                .expect("config/default.toml holds valid settings");
        AppConfig {
            two_factor_roles: Vec::new(),
            ..shipped
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_configuration_is_the_shipped_file_but_for_the_second_factor() {
        let shipped = AppSettings::shipped();
        assert_eq!(shipped.two_factor_roles, ["admin"]);
        let c = AppConfig::default();
        assert!(c.two_factor_roles.is_empty());
        assert_eq!(c.body_limit, shipped.body_limit);
        assert_eq!(c.cache_ttl, Duration::from_secs(shipped.cache_ttl_seconds));
        assert_eq!(c.login_rate_per_minute, shipped.login_rate_per_minute);
        assert_eq!(c.retention_years, shipped.retention_years);
        // The public contract's figures: a 1 MiB body, 60 failed logins a minute.
        assert_eq!(c.body_limit, 1024 * 1024);
        assert_eq!(c.login_rate_per_minute, 60);
    }

    #[test]
    fn settings_that_do_not_parse_are_named() {
        let mut s = AppSettings::shipped();
        s.two_factor_roles = vec!["root".into()];
        let e = AppConfig::from_settings(&s, Vec::new()).unwrap_err();
        assert!(e.starts_with("two_factor_roles: root"), "{e}");
        let mut s = AppSettings::shipped();
        s.trusted_proxies = vec!["not an address".into()];
        let e = AppConfig::from_settings(&s, Vec::new()).unwrap_err();
        assert!(e.starts_with("trusted_proxies"), "{e}");
    }
}
