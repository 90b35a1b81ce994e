//! Deployment settings: the built-in `config/default.toml` (the one list of defaults,
//! which the application reads too), then a config file, then `HOTLINE_…` environment
//! variables, then command-line flags.

use hotline_app::config::{AppSettings, DEFAULTS};
use hotline_store::personal::{Algorithm, Keyring, Personal};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Clone, Deserialize)]
pub struct Config {
    pub listen: String,
    pub data_dir: PathBuf,
    pub database: String,
    pub secret_key: String,
    pub audit_anchor_file: PathBuf,
    pub personal_data_encryption: bool,
    pub personal_data_cipher: String,
    pub personal_data_keys: PathBuf,
    pub metrics_listen: String,
    pub log_format: LogFormat,
    pub log: String,
    pub shutdown_grace_seconds: u64,
    /// The settings the application reads (limits, sessions, proxies, …).
    #[serde(flatten)]
    pub app: AppSettings,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Plain,
    Json,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database", &redact_url(&self.database))
            .field("secret_key", &"[redacted]")
            .field("metrics_token", &"[redacted]")
            .field("body_limit", &self.app.body_limit)
            .finish_non_exhaustive()
    }
}

fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
        _ => url.to_owned(),
    }
}

impl Config {
    /// Loads the layers below the command line.
    pub fn load(file: Option<&Path>) -> Result<Self, String> {
        let mut table: toml::Table = DEFAULTS
            .parse()
            .map_err(|e| format!("built-in defaults: {e}"))?;
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("HOTLINE_CONFIG").map(PathBuf::from));
        if let Some(path) = file {
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let over: toml::Table = text
                .parse()
                .map_err(|e| format!("{}: {e}", path.display()))?;
            for (k, v) in over {
                if !table.contains_key(&k) {
                    return Err(format!("{}: unknown setting {k:?}", path.display()));
                }
                table.insert(k, v);
            }
        }
        let keys: Vec<String> = table.keys().cloned().collect();
        for key in keys {
            if let Ok(raw) = std::env::var(format!("HOTLINE_{}", key.to_uppercase())) {
                let value = match &table[&key] {
                    toml::Value::Integer(_) => {
                        raw.parse::<i64>().map(toml::Value::Integer).map_err(|_| {
                            format!(
                                "HOTLINE_{}: not a whole number: {raw:?}",
                                key.to_uppercase()
                            )
                        })?
                    }
                    toml::Value::Boolean(_) => {
                        toml::Value::Boolean(matches!(raw.as_str(), "1" | "true" | "yes"))
                    }
                    // Lists are written comma-separated: HOTLINE_TRUSTED_PROXIES=10.0.0.0/8,fd00::/8
                    toml::Value::Array(_) => toml::Value::Array(
                        raw.split(',')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(|s| toml::Value::String(s.to_owned()))
                            .collect(),
                    ),
                    _ => toml::Value::String(raw),
                };
                table.insert(key, value);
            }
        }
        toml::Value::Table(table)
            .try_into()
            .map_err(|e| format!("configuration: {e}"))
    }

    /// The database URL in force: the configured one, or SQLite in the data folder.
    pub fn database_url(&self) -> String {
        if self.database.is_empty() {
            format!("sqlite:{}", self.data_dir.join("hotline.db").display())
        } else {
            self.database.clone()
        }
    }

    /// Where the personal data keys are: configured, or DATA_DIR/data.keys.
    pub fn keys_path(&self) -> PathBuf {
        if self.personal_data_keys.as_os_str().is_empty() {
            self.data_dir.join("data.keys")
        } else {
            self.personal_data_keys.clone()
        }
    }

    /// The cipher of new personal data keys.
    pub fn cipher(&self) -> Result<Algorithm, String> {
        Algorithm::parse(&self.personal_data_cipher)
            .map_err(|e| format!("personal_data_cipher: {e}"))
    }

    /// How the store keeps personal data: plain, or sealed with the keys file (read,
    /// or made on first use).
    pub fn personal(&self) -> Result<Arc<Personal>, String> {
        let cipher = self.cipher()?;
        if !self.personal_data_encryption {
            return Ok(Personal::plain());
        }
        let path = self.keys_path();
        let ring = Keyring::load_or_create(&path, cipher)?;
        Ok(Personal::sealed(ring, Some(path)))
    }

    /// Where the server keeps the audit trail's head.
    pub fn audit_anchor_path(&self) -> PathBuf {
        if self.audit_anchor_file.as_os_str().is_empty() {
            self.data_dir.join("audit.anchor")
        } else {
            self.audit_anchor_file.clone()
        }
    }

    /// The phone-hash key: configured, or generated once into the data folder.
    pub fn secret_key(&self) -> Result<Vec<u8>, String> {
        if !self.secret_key.is_empty() {
            return Ok(self.secret_key.as_bytes().to_vec());
        }
        let path = self.data_dir.join("secret.key");
        if let Ok(existing) = std::fs::read_to_string(&path) {
            return Ok(existing.trim().as_bytes().to_vec());
        }
        std::fs::create_dir_all(&self.data_dir)
            .map_err(|e| format!("{}: {e}", self.data_dir.display()))?;
        let key: String = (0..32)
            .map(|_| format!("{:02x}", rand::random::<u8>()))
            .collect();
        write_private(&path, &key).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(key.into_bytes())
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_defaults_parse_and_match_the_api_contract() {
        let c = Config::load(None).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(c.app.body_limit, 1024 * 1024);
        assert!(c.database_url().ends_with("data/hotline.db"));
        assert!(c.app.trusted_proxies.is_empty());
        assert!(!c.personal_data_encryption);
        assert_eq!(c.cipher().unwrap(), Algorithm::Aes256Gcm);
        assert!(c.keys_path().ends_with("data/data.keys"));
        assert_eq!(c.app.retention_years, 0);
        assert!(c.audit_anchor_path().ends_with("data/audit.anchor"));
        // Administrators sign in with two factors unless the installation says otherwise.
        assert_eq!(c.app.two_factor_roles, vec!["admin".to_owned()]);
    }

    #[test]
    fn credentials_in_database_urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:pw@host/db"),
            "postgres://***@host/db"
        );
    }
}
