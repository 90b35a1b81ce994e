//! Personal data at rest: the requester's name, phone and address and the matter's
//! address, sealed in each stored order document when the installation turns it on.
//!
//! Both backends read and write order documents only through [`Personal`]: it seals
//! those four fields on the way in ([`Personal::seal_order`]) and opens them on the way
//! out ([`Personal::open_order`]), so the use cases above the store see plain orders and
//! the two backends store the same bytes. Each sealed field is one self-describing
//! string, `enc:v1:ALGORITHM:KEY_ID:BASE64(nonce ‖ ciphertext ‖ tag)`, so documents
//! sealed under several keys (during a rotation) or not at all (written before the
//! setting was turned on) read side by side. The order's id and the field's name are
//! the associated data: a sealed value copied into another order or field does not open.
//!
//! The keys live in a keys file outside the database ([`Keyring`]); the database holds
//! the id of the key each order is sealed with (`orders.pd_key`), which is what
//! rotation and `hotline keys status` count. Lookups of the matter's address go
//! through a keyed hash ([`Personal::address_lookup`]) with a key of its own that
//! rotation does not change, so duplicate detection keeps finding older orders.

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, AesGcm, Nonce};
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use hmac::{Hmac, Mac};
use hotline_domain::{Order, OrderId, Timestamp};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::{Result, StoreError};

/// Personal data as stored: which keys seal it, sealing it again, and removing it when
/// retention ends; the trait both backends implement.
#[async_trait]
pub trait PersonalDataStore: Send + Sync {
    /// How many orders are sealed with each key, by key id (`None`: stored plain).
    async fn personal_data_keys(&self) -> Result<Vec<(Option<String>, u64)>>;
    /// Seals again, with the current key, up to `limit` orders after id `after` that
    /// are not sealed with it (with `plain_only`, only those stored plain), hashing
    /// their address lookup keys too; one transaction. `(orders rewritten, last id
    /// looked at)`, the id `None` when no such order is left: call again from it.
    /// An order changed meanwhile is left to its own write (sealed with the current
    /// key already) and is not counted.
    async fn reseal_orders(
        &self,
        after: i64,
        limit: u32,
        plain_only: bool,
    ) -> Result<(u64, Option<i64>)>;
    /// Removes the personal data of up to `limit` orders closed before
    /// `closed_before` (the requester's name, phone and address, the matter's address,
    /// the requester's name, phone and address where the title or content repeats
    /// them, the phone hash and the address lookup key), keeping the order, its
    /// timeline and statistics; each gets a `personal_data_purged` event. The orders
    /// purged (their texts for the full-text index changed too).
    async fn purge_personal_data(
        &self,
        closed_before: Timestamp,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<OrderId>>;
}

/// SM4 in GCM mode with a 96-bit nonce, as RFC 8998 specifies it for TLS.
type Sm4Gcm = AesGcm<sm4::Sm4, U12>;

/// What every sealed value starts with.
const ENVELOPE: &str = "enc:v1:";
/// What every keyed hash of an address lookup key starts with.
const LOOKUP_PREFIX: &str = "h1:";
/// The fields sealed, as paths into the order document.
const SEALED_FIELDS: [&[&str]; 4] = [
    &["requester", "name"],
    &["requester", "phone"],
    &["requester", "address"],
    &["address"],
];

/// The cipher of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Algorithm {
    /// AES-256-GCM (the default).
    #[serde(rename = "aes-256-gcm")]
    Aes256Gcm,
    /// SM4-GCM (国密, GB/T 32907; 128-bit key).
    #[serde(rename = "sm4-gcm")]
    Sm4Gcm,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Aes256Gcm => "aes-256-gcm",
            Algorithm::Sm4Gcm => "sm4-gcm",
        }
    }
    pub fn parse(s: &str) -> std::result::Result<Self, String> {
        match s {
            "aes-256-gcm" => Ok(Algorithm::Aes256Gcm),
            "sm4-gcm" => Ok(Algorithm::Sm4Gcm),
            _ => Err(format!(
                "unknown cipher {s:?}; expected aes-256-gcm or sm4-gcm"
            )),
        }
    }
    fn key_len(self) -> usize {
        match self {
            Algorithm::Aes256Gcm => 32,
            Algorithm::Sm4Gcm => 16,
        }
    }
    fn seal(self, key: &[u8], nonce: &[u8; 12], plain: &[u8], aad: &[u8]) -> Vec<u8> {
        let payload = Payload { msg: plain, aad };
        let nonce = Nonce::<U12>::from_slice(nonce);
        let out = match self {
            Algorithm::Aes256Gcm => {
                Aes256Gcm::new_from_slice(key).map(|c| c.encrypt(nonce, payload))
            }
            Algorithm::Sm4Gcm => Sm4Gcm::new_from_slice(key).map(|c| c.encrypt(nonce, payload)),
        };
        // Key lengths are checked when the keys file is read; GCM encryption of a
        // field (far below its 64 GiB limit) cannot fail.
        out.expect("key length checked at load")
            .expect("GCM encrypts any field")
    }
    fn open(self, key: &[u8], nonce: &[u8], sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
        let payload = Payload { msg: sealed, aad };
        let nonce = Nonce::<U12>::from_slice(nonce);
        match self {
            Algorithm::Aes256Gcm => Aes256Gcm::new_from_slice(key).ok()?.decrypt(nonce, payload),
            Algorithm::Sm4Gcm => Sm4Gcm::new_from_slice(key).ok()?.decrypt(nonce, payload),
        }
        .ok()
    }
}

/// One key of the keys file.
#[derive(Clone, Serialize, Deserialize)]
pub struct Key {
    pub id: String,
    pub algorithm: Algorithm,
    /// Base64 of the key's bytes.
    secret: String,
    /// When it was made (RFC 3339), for the operator.
    pub created: String,
}

impl Key {
    fn bytes(&self) -> Result<Vec<u8>, String> {
        let bytes = B64
            .decode(self.secret.trim_end_matches('='))
            .map_err(|e| format!("key {}: secret is not base64: {e}", self.id))?;
        if bytes.len() != self.algorithm.key_len() {
            return Err(format!(
                "key {}: {} needs {} bytes, the file has {}",
                self.id,
                self.algorithm.as_str(),
                self.algorithm.key_len(),
                bytes.len()
            ));
        }
        Ok(bytes)
    }
}

/// The keys file: the keys personal data is sealed with, which one seals new data,
/// and the key of the address lookup hash (never rotated: the stored hashes depend
/// on it). Kept outside the database, mode 0600.
#[derive(Clone, Serialize, Deserialize)]
pub struct Keyring {
    pub format: String,
    pub current: String,
    lookup: String,
    pub keys: Vec<Key>,
}

const FORMAT: &str = "hotline-keys/1";

fn random_bytes(n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    rand::rng().fill_bytes(&mut b);
    b
}

impl Keyring {
    /// A new keys file with one key of `algorithm`.
    pub fn generate(algorithm: Algorithm) -> Keyring {
        let mut ring = Keyring {
            format: FORMAT.into(),
            current: String::new(),
            lookup: B64.encode(random_bytes(32)),
            keys: Vec::new(),
        };
        ring.add_current(algorithm);
        ring
    }

    /// Adds a fresh key of `algorithm` and makes it the one new data is sealed with;
    /// its id.
    pub fn add_current(&mut self, algorithm: Algorithm) -> String {
        let id = loop {
            let id = hex::encode(random_bytes(4));
            if !self.keys.iter().any(|k| k.id == id) {
                break id;
            }
        };
        self.keys.push(Key {
            id: id.clone(),
            algorithm,
            secret: B64.encode(random_bytes(algorithm.key_len())),
            created: chrono::Utc::now().to_rfc3339(),
        });
        self.current = id.clone();
        id
    }

    /// Drops the keys not current and not in `used` (the key ids stored data is still
    /// sealed with); the ids dropped.
    pub fn drop_unused(&mut self, used: &[String]) -> Vec<String> {
        let (keep, gone): (Vec<Key>, Vec<Key>) = std::mem::take(&mut self.keys)
            .into_iter()
            .partition(|k| k.id == self.current || used.contains(&k.id));
        self.keys = keep;
        gone.into_iter().map(|k| k.id).collect()
    }

    /// Reads a keys file, checking every key.
    pub fn load(path: &Path) -> Result<Keyring, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("keys file {}: {e}", path.display()))?;
        let ring: Keyring = serde_json::from_str(&text)
            .map_err(|e| format!("keys file {}: {e}", path.display()))?;
        ring.check()
            .map_err(|e| format!("keys file {}: {e}", path.display()))?;
        Ok(ring)
    }

    /// Reads the keys file, or makes one with a key of `algorithm` if there is none.
    pub fn load_or_create(path: &Path, algorithm: Algorithm) -> Result<Keyring, String> {
        if path.exists() {
            return Keyring::load(path);
        }
        let ring = Keyring::generate(algorithm);
        ring.save(path)?;
        tracing::info!(path = %path.display(), key = %ring.current, "personal data keys file created");
        Ok(ring)
    }

    /// Writes the file whole (a new file renamed over the old one, mode 0600), so a
    /// crash leaves either the old keys or the new ones.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let err = |e: std::io::Error| format!("keys file {}: {e}", path.display());
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        let tmp = path.with_extension("keys-new");
        let _ = std::fs::remove_file(&tmp);
        write_private(&tmp, &text).map_err(err)?;
        std::fs::rename(&tmp, path).map_err(err)
    }

    fn check(&self) -> Result<(), String> {
        if self.format != FORMAT {
            return Err(format!("format {:?} is not {FORMAT:?}", self.format));
        }
        for k in &self.keys {
            k.bytes()?;
        }
        if !self.keys.iter().any(|k| k.id == self.current) {
            return Err(format!(
                "the current key {:?} is not in the file",
                self.current
            ));
        }
        let lookup = B64
            .decode(self.lookup.trim_end_matches('='))
            .map_err(|e| format!("lookup key is not base64: {e}"))?;
        if lookup.len() < 16 {
            return Err("lookup key is shorter than 16 bytes".into());
        }
        Ok(())
    }

    fn key(&self, id: &str) -> Option<&Key> {
        self.keys.iter().find(|k| k.id == id)
    }

    fn current_key(&self) -> &Key {
        self.key(&self.current).expect("checked at load")
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
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// The store's codec for order documents: plain when encryption is off, sealing and
/// opening the personal fields when it is on.
pub struct Personal {
    sealing: Option<Sealing>,
}

struct Sealing {
    ring: RwLock<Arc<Keyring>>,
    /// Read again when a document names a key this copy does not have (another
    /// process rotated): servers follow a rotation without a restart.
    path: Option<PathBuf>,
}

fn sealed_err(msg: String) -> StoreError {
    StoreError::Backend(format!("personal data: {msg}"))
}

/// The parts of a sealed value: (algorithm, key id, nonce ‖ ciphertext ‖ tag).
fn envelope_parts(s: &str) -> Option<(&str, &str, &str)> {
    let rest = s.strip_prefix(ENVELOPE)?;
    let mut it = rest.splitn(3, ':');
    Some((it.next()?, it.next()?, it.next()?))
}

fn aad(order: i64, field: &[&str]) -> Vec<u8> {
    format!("order:{order}:{}", field.join(".")).into_bytes()
}

fn field_mut<'a>(doc: &'a mut Value, path: &[&str]) -> Option<&'a mut Value> {
    path.iter().try_fold(doc, |v, name| v.get_mut(*name))
}

impl Personal {
    /// Encryption off: documents are stored as they are.
    pub fn plain() -> Arc<Personal> {
        Arc::new(Personal { sealing: None })
    }

    /// Encryption on with these keys; `path` is the keys file to read again when a
    /// document names a key added since (another process rotated).
    pub fn sealed(ring: Keyring, path: Option<PathBuf>) -> Arc<Personal> {
        Arc::new(Personal {
            sealing: Some(Sealing {
                ring: RwLock::new(Arc::new(ring)),
                path,
            }),
        })
    }

    pub fn is_on(&self) -> bool {
        self.sealing.is_some()
    }

    /// The key new data is sealed with (`None` when encryption is off).
    pub fn current_key(&self) -> Option<String> {
        self.ring().map(|r| r.current.clone())
    }

    fn ring(&self) -> Option<Arc<Keyring>> {
        self.sealing
            .as_ref()
            .map(|s| s.ring.read().expect("keyring lock").clone())
    }

    /// The key `id`, reading the keys file again once if this copy lacks it.
    fn key(&self, id: &str) -> Result<Key> {
        let Some(s) = &self.sealing else {
            return Err(sealed_err(format!(
                "the database holds personal data encrypted with key {id}, but encryption \
                 is off (personal_data_encryption = false): turn it on with the keys file"
            )));
        };
        if let Some(k) = s.ring.read().expect("keyring lock").key(id) {
            return Ok(k.clone());
        }
        let where_ = s
            .path
            .as_ref()
            .map_or("the configured keys".to_owned(), |p| {
                p.display().to_string()
            });
        if let Some(path) = &s.path
            && let Ok(fresh) = Keyring::load(path)
            && let Some(k) = fresh.key(id).cloned()
        {
            tracing::info!(
                key = id,
                "personal data keys file read again: a key was added"
            );
            *s.ring.write().expect("keyring lock") = Arc::new(fresh);
            return Ok(k);
        }
        Err(sealed_err(format!(
            "data is encrypted with key {id}, which {where_} does not hold (wrong or old keys file?)"
        )))
    }

    /// The order's document as stored, and the key it is sealed with.
    pub fn seal_order(&self, order: &Order) -> Result<(String, Option<String>)> {
        let Some(ring) = self.ring() else {
            let doc = serde_json::to_string(order).map_err(|e| sealed_err(e.to_string()))?;
            return Ok((doc, None));
        };
        let key = ring.current_key();
        let secret = key.bytes().map_err(sealed_err)?;
        let mut doc = serde_json::to_value(order).map_err(|e| sealed_err(e.to_string()))?;
        for path in SEALED_FIELDS {
            if let Some(v) = field_mut(&mut doc, path)
                && let Value::String(plain) = v
                && !plain.starts_with(ENVELOPE)
            {
                let nonce: [u8; 12] = random_bytes(12).try_into().expect("12 bytes");
                let sealed = key.algorithm.seal(
                    &secret,
                    &nonce,
                    plain.as_bytes(),
                    &aad(order.id.get(), path),
                );
                let mut body = nonce.to_vec();
                body.extend_from_slice(&sealed);
                *v = Value::String(format!(
                    "{ENVELOPE}{}:{}:{}",
                    key.algorithm.as_str(),
                    key.id,
                    B64.encode(body)
                ));
            }
        }
        Ok((doc.to_string(), Some(key.id.clone())))
    }

    /// The order a stored document holds, its personal fields opened.
    pub fn open_order(&self, doc: &str) -> Result<Order> {
        if !doc.contains(ENVELOPE) {
            return serde_json::from_str(doc).map_err(|e| StoreError::Backend(e.to_string()));
        }
        let mut value: Value =
            serde_json::from_str(doc).map_err(|e| StoreError::Backend(e.to_string()))?;
        let id = value.get("id").and_then(Value::as_i64).unwrap_or_default();
        for path in SEALED_FIELDS {
            if let Some(v) = field_mut(&mut value, path)
                && let Value::String(s) = v
                && s.starts_with(ENVELOPE)
            {
                *v = Value::String(self.open_value(s, id, path)?);
            }
        }
        serde_json::from_value(value).map_err(|e| StoreError::Backend(e.to_string()))
    }

    fn open_value(&self, sealed: &str, order: i64, path: &[&str]) -> Result<String> {
        let bad = || sealed_err(format!("order {order}: a sealed value is malformed"));
        let (alg, id, body) = envelope_parts(sealed).ok_or_else(bad)?;
        let key = self.key(id)?;
        if Algorithm::parse(alg).ok() != Some(key.algorithm) {
            return Err(bad());
        }
        let body = B64.decode(body).map_err(|_| bad())?;
        if body.len() < 12 + 16 {
            return Err(bad());
        }
        let secret = key.bytes().map_err(sealed_err)?;
        let plain = key
            .algorithm
            .open(&secret, &body[..12], &body[12..], &aad(order, path))
            .ok_or_else(|| {
                sealed_err(format!(
                    "order {order}: key {id} in the keys file does not open the data sealed \
                     with it (a different key under the same id: wrong keys file?)"
                ))
            })?;
        String::from_utf8(plain).map_err(|_| bad())
    }

    /// What the address duplicate lookup stores and searches: a keyed hash of the
    /// normalised address when encryption is on (idempotent), the key itself when off.
    pub fn address_lookup(&self, key: &str) -> String {
        let Some(ring) = self.ring() else {
            return key.to_owned();
        };
        if key.starts_with(LOOKUP_PREFIX) {
            return key.to_owned();
        }
        let secret = B64
            .decode(ring.lookup.trim_end_matches('='))
            .expect("checked at load");
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&secret).expect("any key length");
        mac.update(key.as_bytes());
        format!(
            "{LOOKUP_PREFIX}{}",
            hex::encode(mac.finalize().into_bytes())
        )
    }

    /// `(id, text, registered_at)` for the order text index. With encryption on, the
    /// requester's name, phone and address are masked wherever they appear in the title
    /// or content of any order, so the index on disk holds none of them; with it off,
    /// only those of reports and confidential orders are (see [`crate::records::order_text`]).
    pub(crate) fn index_text(&self, id: i64, doc: &str, registered_at: i64) -> (i64, String, i64) {
        if !self.is_on() {
            return crate::records::order_text(id, doc, registered_at);
        }
        match self.open_order(doc) {
            Ok(o) => {
                let mut text = format!("{} {}", o.title, o.content);
                let r = &o.requester;
                let mut secrets = r.secrets();
                secrets.extend(r.address.iter().filter(|a| a.chars().count() >= 2).cloned());
                hotline_domain::text::mask_secrets(&mut text, &secrets);
                (id, text, registered_at)
            }
            Err(e) => {
                tracing::error!(order = id, error = %e, "order document unreadable: indexed without its text");
                (id, String::new(), registered_at)
            }
        }
    }
}

/// The order's address lookup key as stored (keyed when encryption is on): a
/// corrected address finds its duplicates under the new one.
pub(crate) fn address_lookup_key(personal: &Personal, o: &Order) -> Option<String> {
    o.address
        .as_deref()
        .and_then(hotline_domain::text::address_key)
        .map(|k| personal.address_lookup(&k))
}

/// When a closed order was closed (Unix seconds), for the retention job.
pub(crate) fn closed_at(o: &Order) -> Option<i64> {
    o.closed_at
        .filter(|_| o.status == hotline_domain::Status::Closed)
        .map(|t| t.timestamp())
}

/// An order stored again under the current key: (document, key id, address lookup
/// key hashed).
pub(crate) fn resealed(
    personal: &Personal,
    doc: &str,
    address_key: Option<String>,
) -> Result<(String, Option<String>, Option<String>)> {
    if !personal.is_on() {
        return Err(sealed_err(
            "encryption is off (personal_data_encryption = false): nothing to seal with".into(),
        ));
    }
    let order = personal.open_order(doc)?;
    let (doc, key) = personal.seal_order(&order)?;
    Ok((doc, key, address_key.map(|k| personal.address_lookup(&k))))
}

/// The order with its personal data removed (retention), one version on, and the
/// event that says so on its timeline: the requester's name, phone and address and the
/// matter's address, and the requester's name, phone and address wherever the title or
/// content repeats them. The rest (kind, region, units, deadlines, reply, evaluation)
/// stays for the statistics.
pub(crate) fn purged(mut order: Order, now: Timestamp) -> (Order, hotline_domain::Event) {
    let r = &order.requester;
    let mut secrets = hotline_domain::text::requester_secrets(
        r.name.as_deref(),
        r.phone.as_ref().map(|p| p.as_str()),
    );
    secrets.extend(
        [&r.address, &order.address]
            .into_iter()
            .flatten()
            .filter(|a| a.chars().count() >= 2)
            .cloned(),
    );
    hotline_domain::text::mask_secrets(&mut order.title, &secrets);
    hotline_domain::text::mask_secrets(&mut order.content, &secrets);
    order.requester.name = None;
    order.requester.phone = None;
    order.requester.address = None;
    order.address = None;
    order.version += 1;
    let event = hotline_domain::Event {
        at: now,
        kind: hotline_domain::EventKind::PersonalDataPurged,
        actor: "system".into(),
        unit: None,
        note: None,
        data: serde_json::json!({"reason": "retention"}),
    };
    (order, event)
}

/// Checks, at start, that the keys open what the database holds: one sealed order
/// per key id in use (`samples`). With encryption off, any sealed order is an error.
pub(crate) fn check_samples(personal: &Personal, samples: &[(String, String)]) -> Result<()> {
    for (key, doc) in samples {
        personal.open_order(doc).map_err(|e| match e {
            StoreError::Backend(m) => StoreError::Backend(format!("{m} (key {key})")),
            other => other,
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn sm4_matches_the_gb_t_32907_example() {
        use sm4::cipher::{BlockEncrypt, KeyInit as _};
        let key = unhex("0123456789abcdeffedcba9876543210");
        let cipher = sm4::Sm4::new_from_slice(&key).unwrap();
        let mut block = sm4::cipher::generic_array::GenericArray::clone_from_slice(&key);
        cipher.encrypt_block(&mut block);
        assert_eq!(hex::encode(block), "681edf34d206965e86b3e94f536e4246");
    }

    #[test]
    fn sm4_gcm_matches_the_rfc_8998_test_vector() {
        let key = unhex("0123456789abcdeffedcba9876543210");
        let iv: [u8; 12] = unhex("00001234567800000000abcd").try_into().unwrap();
        let aad = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let plain = unhex(
            "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd\
             eeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa",
        );
        let sealed = Algorithm::Sm4Gcm.seal(&key, &iv, &plain, &aad);
        assert_eq!(
            hex::encode(&sealed),
            "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735\
             d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d\
             83de3541e4c2b58177e065a9bf7b62ec"
        );
        assert_eq!(
            Algorithm::Sm4Gcm.open(&key, &iv, &sealed, &aad).unwrap(),
            plain
        );
        let mut tampered = sealed.clone();
        tampered[0] ^= 1;
        assert!(Algorithm::Sm4Gcm.open(&key, &iv, &tampered, &aad).is_none());
    }

    #[test]
    fn aes_256_gcm_matches_a_nist_test_vector() {
        // NIST GCM test case 16 (McGrew and Viega), 256-bit key, with associated data.
        let key = unhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
        let iv: [u8; 12] = unhex("cafebabefacedbaddecaf888").try_into().unwrap();
        let aad = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let plain = unhex(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
             1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        );
        let sealed = Algorithm::Aes256Gcm.seal(&key, &iv, &plain, &aad);
        assert_eq!(
            hex::encode(&sealed),
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
             8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662\
             76fc6ece0f4e1768cddf8853bb2d551b"
        );
    }

    #[test]
    fn a_keys_file_round_trips_and_refuses_a_short_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.keys");
        let ring = Keyring::load_or_create(&path, Algorithm::Sm4Gcm).unwrap();
        let again = Keyring::load_or_create(&path, Algorithm::Aes256Gcm).unwrap();
        assert_eq!(ring.current, again.current);
        assert_eq!(again.keys[0].algorithm, Algorithm::Sm4Gcm);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let mut broken = again.clone();
        broken.keys[0].secret = B64.encode([1u8; 8]);
        broken.save(&path).unwrap();
        let err = Keyring::load(&path).err().unwrap();
        assert!(err.contains("needs 16 bytes"), "{err}");
    }
}
