//! `hotline backup FILE` and `hotline restore FILE DIR`.
//!
//! A backup is a tar archive (readable with `tar tvf`): every member under `data/`
//! is a file of the data directory as it is to be restored, and `manifest.json`, last,
//! names each member with its size and SHA-256, the schema version, the audit trail's
//! head and the time; `seal.sha256` at the very end holds the SHA-256 of all the
//! archive before it, so a changed byte anywhere is found. What goes in:
//! - the SQLite database as one consistent snapshot, taken with `VACUUM INTO` on a
//!   read-only connection (`hotline_store::sqlite::file::snapshot`): it runs in one
//!   read transaction, which WAL lets stand beside the server's one writer (nothing
//!   waits for the backup, and the backup sees every transaction committed before it
//!   began — every acknowledged write). The online backup API would do as well only
//!   in one `step(-1)`: stepped in chunks, as rusqlite's `run_to_completion` does, it
//!   restarts whenever the server commits between chunks, which under steady intake
//!   may be never-ending;
//! - every other file of the data directory, found by walking it, so that files added
//!   later (the secret key, attachments, models, key files) need no change here;
//! - the snapshot's audit head as `audit.anchor`, so the restored trail verifies
//!   against its own anchor.
//!
//! Left out: the live database files (the snapshot replaces them), the server's lock
//! file, the search indexes
//! `kb-index/` and `order-index/` (derived from the database and rebuilt when the
//! server starts), and the live anchor file (it may already name records newer than
//! the snapshot).
//!
//! Both commands work on temporary names beside their target and rename at the end:
//! a failed backup leaves no half FILE, and a failed restore leaves DIR as it was.

use hotline_store::sqlite::file as sqlite_file;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Component, Path, PathBuf};

use crate::config::Config;

const MANIFEST: &str = "manifest.json";
/// The last member: the SHA-256 of every byte of the archive before it. With the
/// tar headers' own checksums and the zeros required after it, every byte of a
/// backup is checked, not only the members' contents.
const SEAL: &str = "seal.sha256";
const FORMAT: &str = "hotline-backup";
const FORMAT_VERSION: u32 = 1;
/// The folder of the archive that holds the data directory's files.
const DATA: &str = "data";
/// The database's name in the restored data directory (where `serve` looks for it).
const DATABASE: &str = "hotline.db";
const ANCHOR: &str = "audit.anchor";
/// Derived from the database and rebuilt by the server at start.
const DERIVED: [&str; 2] = ["kb-index", "order-index"];
/// A manifest is small; a larger one is not ours.
const MANIFEST_LIMIT: u64 = 64 << 20;

#[derive(Serialize, Deserialize)]
struct Manifest {
    format: String,
    version: u32,
    created_at: String,
    hotline_version: String,
    /// `None`: a `--files-only` backup (the database is PostgreSQL, dumped apart).
    database: Option<DatabaseInfo>,
    secret_key: KeyPlace,
    members: Vec<Member>,
}

#[derive(Serialize, Deserialize, PartialEq, Eq, Debug)]
struct DatabaseInfo {
    member: String,
    schema_version: i64,
    audit_head: String,
    orders: i64,
}

/// Where the phone-hash key is.
#[derive(Serialize, Deserialize, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum KeyPlace {
    /// `secret.key` of the data directory, in the backup.
    InBackup,
    /// The `secret_key` setting: not in the backup, to be kept apart.
    Setting,
    /// Neither (the server creates the file at its first start).
    None,
}

#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
struct Member {
    path: String,
    size: u64,
    sha256: String,
}

/// `hotline backup FILE`.
pub fn backup(cfg: &Config, file: &Path, files_only: bool) -> Result<(), String> {
    let database = sqlite_database(cfg, files_only)?;
    if file.symlink_metadata().is_ok() {
        return Err(format!(
            "{}: already exists; a backup never overwrites a file",
            file.display()
        ));
    }
    let data_dir = cfg
        .data_dir
        .canonicalize()
        .map_err(|e| format!("data directory {}: {e}", cfg.data_dir.display()))?;
    let target_dir = existing_dir_of(file)?;
    if target_dir.starts_with(&data_dir) {
        return Err(format!(
            "{}: write the backup outside the data directory {}",
            file.display(),
            data_dir.display()
        ));
    }
    let scratch = tempfile::Builder::new()
        .prefix(".hotline-backup-")
        .tempdir_in(&target_dir)
        .map_err(|e| format!("{}: {e}", target_dir.display()))?;
    let partial = tempfile::Builder::new()
        .prefix(".hotline-backup-")
        .suffix(".partial")
        .tempfile_in(&target_dir)
        .map_err(|e| format!("{}: {e}", target_dir.display()))?;
    let mut archive = ArchiveWriter::new(BufWriter::new(partial));
    let info = match &database {
        Some(db) => Some(add_database(&mut archive, db, scratch.path())?),
        None => None,
    };
    let skip = Skipped::new(&data_dir, database.as_deref(), &cfg.audit_anchor_path());
    let mut files = Vec::new();
    walk(&data_dir, Path::new(""), &skip, &mut files)?;
    for (path, rel) in files {
        archive.add_file(&path, &format!("{DATA}/{rel}"))?;
    }
    add_keys_kept_elsewhere(&mut archive, cfg, &data_dir)?;
    let key_member = format!("{DATA}/secret.key");
    let secret_key = if !cfg.secret_key.is_empty() {
        KeyPlace::Setting
    } else if archive.members.iter().any(|m| m.path == key_member) {
        KeyPlace::InBackup
    } else {
        KeyPlace::None
    };
    let manifest = Manifest {
        format: FORMAT.into(),
        version: FORMAT_VERSION,
        created_at: chrono::Utc::now().to_rfc3339(),
        hotline_version: env!("CARGO_PKG_VERSION").into(),
        database: info,
        secret_key,
        members: archive.members.clone(),
    };
    let written = archive.finish(&manifest)?;
    let partial = written.into_inner().map_err(|e| e.error().to_string())?;
    publish(partial, file, &target_dir)?;
    report_backup(file, &manifest);
    Ok(())
}

/// The personal data keys, when `personal_data_keys` puts them outside the data
/// directory: without them the encrypted orders of the backup cannot be read. They go
/// in as the data directory's `data.keys`, where a restored server finds them by
/// default.
fn add_keys_kept_elsewhere<W: Write>(
    archive: &mut ArchiveWriter<W>,
    cfg: &Config,
    data_dir: &Path,
) -> Result<(), String> {
    let keys = cfg.keys_path();
    let Ok(keys) = keys.canonicalize() else {
        return Ok(()); // no keys file: encryption never used
    };
    if keys.starts_with(data_dir) {
        return Ok(()); // the walk took it
    }
    let member = format!("{DATA}/data.keys");
    if archive.members.iter().any(|m| m.path == member) {
        return Err(format!(
            "{}: the data directory holds a data.keys besides the configured keys file {}; \
             move one away",
            data_dir.display(),
            keys.display()
        ));
    }
    archive.add_file(&keys, &member)?;
    println!(
        "the personal data keys ({}) are in the backup as data.keys: a restored data \
         directory finds them there when personal_data_keys is left empty",
        keys.display()
    );
    Ok(())
}

/// The snapshot of the database and its audit head, as the restored anchor.
fn add_database<W: Write>(
    archive: &mut ArchiveWriter<W>,
    db: &Path,
    scratch: &Path,
) -> Result<DatabaseInfo, String> {
    let snapshot = scratch.join(DATABASE);
    snapshot_database(db, &snapshot)?;
    let info = describe_database(&snapshot)?;
    archive.add_file(&snapshot, &info.member)?;
    let anchor = format!("{}\n", info.audit_head);
    archive.add_bytes(&format!("{DATA}/{ANCHOR}"), anchor.as_bytes())?;
    Ok(info)
}

/// Makes the finished archive durable, then gives it its name — only if the name is
/// still free.
fn publish(partial: tempfile::NamedTempFile, file: &Path, dir: &Path) -> Result<(), String> {
    partial
        .as_file()
        .sync_all()
        .map_err(|e| format!("{}: {e}", partial.path().display()))?;
    partial.persist_noclobber(file).map_err(|e| {
        format!(
            "{}: {} (nothing was written under that name)",
            file.display(),
            e.error
        )
    })?;
    sync_dir(dir);
    Ok(())
}

fn report_backup(file: &Path, m: &Manifest) {
    match &m.database {
        Some(db) => println!(
            "backup written to {}: database (schema {}, {} orders, audit head {}) and {} files",
            file.display(),
            db.schema_version,
            db.orders,
            db.audit_head,
            m.members.len() - 2
        ),
        None => println!(
            "backup written to {}: {} files of the data directory; the database is not in it \
             (back it up with pg_dump, see the README)",
            file.display(),
            m.members.len()
        ),
    }
    match m.secret_key {
        KeyPlace::InBackup => println!(
            "the secret key (secret.key) is in the backup: keep the backup as safe as the key"
        ),
        KeyPlace::Setting => println!(
            "the secret key is set in the configuration (secret_key), not in the data directory: \
             keep it with this backup, or phone history cannot be read after a restore"
        ),
        KeyPlace::None => {
            println!("no secret key yet (the server creates secret.key at its first start)")
        }
    }
}

/// The SQLite database file, or `None` for a `--files-only` backup of a PostgreSQL
/// installation.
fn sqlite_database(cfg: &Config, files_only: bool) -> Result<Option<PathBuf>, String> {
    let url = cfg.database_url();
    let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
    match (postgres, files_only) {
        (true, true) => Ok(None),
        (true, false) => Err(
            "the database is PostgreSQL: back it up with pg_dump or base backups with WAL \
             archiving (README, \"Backup and restore\"); `hotline backup --files-only FILE` \
             saves the data directory's files beside it"
                .into(),
        ),
        (false, true) => Err(
            "--files-only is for PostgreSQL installations; the SQLite database is part of every backup"
                .into(),
        ),
        (false, false) => {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .unwrap_or(&url);
            let path = Path::new(path);
            let path = path
                .canonicalize()
                .map_err(|e| format!("database {}: {e}", path.display()))?;
            Ok(Some(path))
        }
    }
}

/// Copies the live database into `to` as one consistent snapshot (see the module doc).
fn snapshot_database(from: &Path, to: &Path) -> Result<(), String> {
    sqlite_file::snapshot(from, to).map_err(|e| format!("{}: {e}", from.display()))
}

/// What the manifest says about a database file.
fn describe_database(path: &Path) -> Result<DatabaseInfo, String> {
    let found = sqlite_file::summary(path)
        .map_err(|e| format!("{}: not a hotline database: {e}", path.display()))?;
    Ok(DatabaseInfo {
        member: format!("{DATA}/{DATABASE}"),
        schema_version: found.schema_version,
        audit_head: found.audit_head.to_string(),
        orders: found.orders,
    })
}

/// What the walk of the data directory leaves out.
struct Skipped {
    /// Names at the top of the data directory.
    top: Vec<String>,
}

impl Skipped {
    fn new(data_dir: &Path, database: Option<&Path>, anchor: &Path) -> Self {
        let mut top: Vec<String> = DERIVED.iter().map(|d| d.to_string()).collect();
        top.push(ANCHOR.into());
        // The running server's lock (crate::data_lock): it belongs to that process.
        top.push(crate::data_lock::LOCK_FILE.into());
        if let Some(db) = database.filter(|db| db.parent() == Some(data_dir))
            && let Some(name) = db.file_name().and_then(|n| n.to_str())
        {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                top.push(format!("{name}{suffix}"));
            }
        }
        let anchor = anchor
            .parent()
            .and_then(|p| p.canonicalize().ok())
            .zip(anchor.file_name());
        if let Some((dir, name)) = anchor
            && dir == data_dir
        {
            top.push(name.to_string_lossy().into_owned());
        }
        Skipped { top }
    }

    fn skips(&self, rel: &Path) -> bool {
        let name = rel
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        // The anchor file's temporaries (see hotline_app::audit_anchor::write).
        if name.starts_with(".audit-anchor-") {
            return true;
        }
        rel.parent() == Some(Path::new("")) && self.top.iter().any(|t| *t == name)
    }
}

/// Every file under `dir`, in name order, as (path, path relative to the data dir).
fn walk(
    dir: &Path,
    rel: &Path,
    skip: &Skipped,
    out: &mut Vec<(PathBuf, String)>,
) -> Result<(), String> {
    let io = |e: std::io::Error| format!("{}: {e}", dir.display());
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let rel = rel.join(entry.file_name());
        if skip.skips(&rel) {
            continue;
        }
        // Links are followed: what the installation reads is what is saved.
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        if meta.is_dir() {
            walk(&path, &rel, skip, out)?;
        } else if meta.is_file() {
            let name = rel
                .to_str()
                .ok_or_else(|| format!("{}: not a UTF-8 name", path.display()))?;
            out.push((path.clone(), name.replace('\\', "/")));
        } else {
            eprintln!(
                "hotline: warning: {} is neither a file nor a folder; not backed up",
                path.display()
            );
        }
    }
    Ok(())
}

/// A tar archive being written, with the manifest entry of every member so far and
/// the hash of every byte so far (for the seal).
struct ArchiveWriter<W: Write> {
    tar: tar::Builder<Hashing<W>>,
    members: Vec<Member>,
}

impl<W: Write> ArchiveWriter<W> {
    fn new(out: W) -> Self {
        ArchiveWriter {
            tar: tar::Builder::new(Hashing::new(out)),
            members: Vec::new(),
        }
    }

    fn append(
        &mut self,
        name: &str,
        size: u64,
        mtime: u64,
        data: impl Read,
    ) -> Result<Member, String> {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(size);
        // Every file of a data directory is private to the service's account.
        header.set_mode(0o600);
        header.set_mtime(mtime);
        let mut hashing = Hashing::new(data.take(size));
        self.tar
            .append_data(&mut header, name, &mut hashing)
            .map_err(|e| format!("writing the backup ({name}): {e}"))?;
        if hashing.count != size {
            return Err(format!(
                "{name} shrank while it was being backed up; run the backup again"
            ));
        }
        Ok(Member {
            path: name.to_owned(),
            size,
            sha256: hashing.hex(),
        })
    }

    /// Adds a file as it is now; one that vanished since the walk is left out.
    fn add_file(&mut self, path: &Path, name: &str) -> Result<(), String> {
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let meta = file
            .metadata()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        let member = self.append(name, meta.len(), mtime, BufReader::new(file))?;
        self.members.push(member);
        Ok(())
    }

    fn add_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<(), String> {
        let member = self.append(name, bytes.len() as u64, now_secs(), bytes)?;
        self.members.push(member);
        Ok(())
    }

    /// Appends the manifest and the seal, and ends the archive.
    fn finish(mut self, manifest: &Manifest) -> Result<W, String> {
        let text = serde_json::to_vec_pretty(manifest).map_err(|e| e.to_string())?;
        self.append(MANIFEST, text.len() as u64, now_secs(), text.as_slice())?;
        let seal = format!(
            "{}\n",
            hex::encode(self.tar.get_ref().hasher.clone().finalize())
        );
        self.append(SEAL, seal.len() as u64, now_secs(), seal.as_bytes())?;
        let out = self
            .tar
            .into_inner()
            .map_err(|e| format!("writing the backup: {e}"))?;
        Ok(out.inner)
    }
}

fn now_secs() -> u64 {
    chrono::Utc::now().timestamp().max(0) as u64
}

/// A reader or writer that counts and hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R> Hashing<R> {
    fn new(inner: R) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }
    fn hex(self) -> String {
        hex::encode(self.hasher.finalize())
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// `hotline restore FILE DIR`.
pub fn restore(file: &Path, dir: &Path) -> Result<(), String> {
    require_empty_or_absent(dir)?;
    let parent = existing_dir_of(dir)?;
    let staging = tempfile::Builder::new()
        .prefix(".hotline-restore-")
        .tempdir_in(&parent)
        .map_err(|e| format!("{}: {e}", parent.display()))?;
    make_private(staging.path())?;
    let Extracted {
        manifest,
        members,
        seal,
    } = extract(file, staging.path())?;
    check_members(&manifest, &members).map_err(|e| format!("{}: {e}", file.display()))?;
    check_seal(file, &seal).map_err(|e| format!("{}: {e}", file.display()))?;
    if let Some(db) = &manifest.database {
        check_database(&staging.path().join(DATABASE), db)
            .map_err(|e| format!("{}: {e}", file.display()))?;
    }
    // Checked again at the last moment: the directory may have been filled meanwhile.
    require_empty_or_absent(dir)?;
    let staged = staging.keep();
    if let Err(e) = std::fs::rename(&staged, dir) {
        let _ = std::fs::remove_dir_all(&staged);
        return Err(format!("{}: {e}", dir.display()));
    }
    sync_dir(&parent);
    report_restore(dir, &manifest);
    Ok(())
}

fn report_restore(dir: &Path, m: &Manifest) {
    match &m.database {
        Some(db) => println!(
            "restored into {}: database (schema {}, {} orders, audit head {}) and {} files \
             from the backup of {}; the search indexes are rebuilt when the server starts",
            dir.display(),
            db.schema_version,
            db.orders,
            db.audit_head,
            m.members.len() - 2,
            m.created_at
        ),
        None => println!(
            "restored {} files into {} from the backup of {}; restore the PostgreSQL database \
             from its own dump (see the README)",
            m.members.len(),
            dir.display(),
            m.created_at
        ),
    }
    if m.secret_key == KeyPlace::Setting {
        println!("the secret key was configured (secret_key), not backed up: set it again");
    }
}

/// Extracts every member into `staging`, hashing as it goes.
/// What [`extract`] found in an archive.
struct Extracted {
    manifest: Manifest,
    members: BTreeMap<String, Member>,
    seal: Seal,
}

/// Where the seal is, and what it says.
struct Seal {
    header_at: u64,
    data_end: u64,
    /// The hash in hex and a line feed, exactly.
    text: String,
}

fn extract(file: &Path, staging: &Path) -> Result<Extracted, String> {
    let bad = |e: &dyn std::fmt::Display| format!("{}: not a readable backup: {e}", file.display());
    let input = File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut archive = tar::Archive::new(BufReader::new(input));
    let mut manifest = None;
    let mut found = BTreeMap::new();
    let mut seal: Option<Seal> = None;
    for entry in archive.entries().map_err(|e| bad(&e))? {
        let mut entry = entry.map_err(|e| bad(&e))?;
        if seal.is_some() {
            return Err(bad(&"members follow its seal"));
        }
        let name = entry
            .path()
            .map_err(|e| bad(&e))?
            .to_str()
            .ok_or_else(|| bad(&"a member's name is not UTF-8"))?
            .to_owned();
        match entry.header().entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => {}
            tar::EntryType::Directory => continue,
            other => return Err(bad(&format!("{name}: unexpected member type {other:?}"))),
        }
        if name == MANIFEST {
            if entry.size() > MANIFEST_LIMIT {
                return Err(bad(&"the manifest is too large"));
            }
            let mut text = Vec::new();
            entry.read_to_end(&mut text).map_err(|e| bad(&e))?;
            let m: Manifest =
                serde_json::from_slice(&text).map_err(|e| bad(&format!("its manifest: {e}")))?;
            manifest = Some(m);
            continue;
        }
        if name == SEAL {
            let mut text = String::new();
            entry
                .by_ref()
                .take(128)
                .read_to_string(&mut text)
                .map_err(|e| bad(&e))?;
            seal = Some(Seal {
                header_at: entry.raw_header_position(),
                data_end: entry.raw_file_position() + entry.size(),
                text,
            });
            continue;
        }
        let rel = name
            .strip_prefix(&format!("{DATA}/"))
            .filter(|rel| is_plain_relative(Path::new(rel)))
            .ok_or_else(|| bad(&format!("unexpected member {name:?}")))?;
        let target = staging.join(rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        let member = write_member(&mut entry, &target, &name)?;
        if found.insert(name.clone(), member).is_some() {
            return Err(bad(&format!("{name} appears twice")));
        }
    }
    let manifest = manifest.ok_or_else(|| bad(&"it has no manifest"))?;
    let seal = seal.ok_or_else(|| bad(&"it has no seal (it was cut short?)"))?;
    if manifest.format != FORMAT || manifest.version > FORMAT_VERSION {
        return Err(bad(&format!(
            "its manifest is {} version {}; this hotline reads {FORMAT} up to version {FORMAT_VERSION}",
            manifest.format, manifest.version
        )));
    }
    Ok(Extracted {
        manifest,
        members: found,
        seal,
    })
}

/// Every byte before the seal hashes to what it says, and only zeros (the tar's
/// padding and end blocks) follow it.
fn check_seal(file: &Path, seal: &Seal) -> Result<(), String> {
    let io = |e: std::io::Error| format!("{}: {e}", file.display());
    let mut input = BufReader::new(File::open(file).map_err(io)?);
    let mut sealed = Hashing::new((&mut input).take(seal.header_at));
    std::io::copy(&mut sealed, &mut std::io::sink()).map_err(io)?;
    if sealed.count != seal.header_at || format!("{}\n", sealed.hex()) != seal.text {
        return Err(
            "its seal does not match its contents (the backup is damaged or was altered)".into(),
        );
    }
    let mut rest = Vec::new();
    input.read_to_end(&mut rest).map_err(io)?;
    let after_seal = (seal.data_end - seal.header_at) as usize;
    if rest.len() < after_seal || rest[after_seal..].iter().any(|b| *b != 0) {
        return Err(
            "bytes after its seal were changed (the backup is damaged or was altered)".into(),
        );
    }
    Ok(())
}

/// Only names below the folder: no `..`, no root, no drive.
fn is_plain_relative(p: &Path) -> bool {
    !p.as_os_str().is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)))
}

fn write_member(data: &mut impl Read, target: &Path, name: &str) -> Result<Member, String> {
    let io = |e: std::io::Error| format!("{}: {e}", target.display());
    let mut out = private_file(target).map_err(io)?;
    let mut hashing = Hashing::new(data);
    std::io::copy(&mut hashing, &mut out).map_err(io)?;
    out.sync_all().map_err(io)?;
    Ok(Member {
        path: name.to_owned(),
        size: hashing.count,
        sha256: hashing.hex(),
    })
}

/// The restored data directory holds the secret key: only its owner enters it.
#[cfg(unix)]
fn make_private(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| format!("{}: {e}", dir.display()))
}

#[cfg(not(unix))]
fn make_private(_dir: &Path) -> Result<(), String> {
    Ok(())
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// Every member the manifest names is there with its size and checksum, and nothing
/// else is.
fn check_members(manifest: &Manifest, found: &BTreeMap<String, Member>) -> Result<(), String> {
    for m in &manifest.members {
        match found.get(&m.path) {
            None => return Err(format!("{} is missing from the backup", m.path)),
            Some(f) if f != m => {
                return Err(format!(
                    "{} does not match its checksum in the manifest (the backup is damaged or was altered)",
                    m.path
                ));
            }
            Some(_) => {}
        }
    }
    if let Some(extra) = found
        .keys()
        .find(|k| !manifest.members.iter().any(|m| &m.path == *k))
    {
        return Err(format!("{extra} is in the backup but not in its manifest"));
    }
    Ok(())
}

/// SQLite's own check of the restored database, and that it is the one described.
fn check_database(path: &Path, expected: &DatabaseInfo) -> Result<(), String> {
    let problems =
        sqlite_file::integrity_problems(path).map_err(|e| format!("the database: {e}"))?;
    if !problems.is_empty() {
        return Err(format!(
            "the database fails SQLite's integrity check: {}",
            problems.join("; ")
        ));
    }
    let found = describe_database(path)?;
    if &found != expected {
        return Err(format!(
            "the database is not the one its manifest describes (schema {}, audit head {})",
            found.schema_version, found.audit_head
        ));
    }
    Ok(())
}

fn require_empty_or_absent(dir: &Path) -> Result<(), String> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => match entries.next() {
            None => Ok(()),
            Some(_) => Err(format!(
                "{}: not empty; restore only into an empty or new directory",
                dir.display()
            )),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("{}: {e}", dir.display())),
    }
}

/// The existing folder a path is to be created in.
fn existing_dir_of(path: &Path) -> Result<PathBuf, String> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    parent
        .canonicalize()
        .map_err(|e| format!("{}: {e}", parent.display()))
}

/// Makes a rename in `dir` durable; where folders cannot be synced, the rename
/// stands anyway.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_must_stay_inside_the_data_directory() {
        assert!(is_plain_relative(Path::new("secret.key")));
        assert!(is_plain_relative(Path::new("attachments/2026/a.pdf")));
        for bad in ["", "../x", "/etc/passwd", "a/../../b", "./a"] {
            assert!(!is_plain_relative(Path::new(bad)), "{bad:?}");
        }
    }

    #[test]
    fn the_walk_leaves_out_the_live_database_the_lock_the_indexes_and_the_anchor() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        for f in [
            "hotline.db",
            "hotline.db-wal",
            "secret.key",
            "audit.anchor",
            "hotline.lock",
            "kb-index/meta.json",
            "attachments/kb-index/x",
            "models/m.bin",
        ] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, f).unwrap();
        }
        let skip = Skipped::new(
            &root,
            Some(&root.join("hotline.db")),
            &root.join("audit.anchor"),
        );
        let mut out = Vec::new();
        walk(&root, Path::new(""), &skip, &mut out).unwrap();
        let names: Vec<&str> = out.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(
            names,
            ["attachments/kb-index/x", "models/m.bin", "secret.key"]
        );
    }
}
