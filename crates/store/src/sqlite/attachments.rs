//! Attachments on SQLite: the description in the database, the bytes in a file under
//! the data folder, `attachments/SHA256` (one file for equal bytes). The file is
//! written and synced, under its final name, before the row that names it commits.

use async_trait::async_trait;
use hotline_domain::audit::AuditRecord;
use hotline_domain::{OrderId, Timestamp};
use rusqlite::params;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::audit::{Audit, append_audit_tx};
use super::{SqliteStore, all, exec, one};
use crate::attachments::{
    AttachmentContent, AttachmentRecord, AttachmentSource, AttachmentStore, BY_ID, BY_ORDER,
    INSERT, NewAttachment,
};
use crate::{Result, backend, records};

impl SqliteStore {
    /// The folder of the attachments' files, beside the database.
    fn attachment_dir(&self) -> PathBuf {
        self.readers
            .path
            .parent()
            .map_or_else(|| PathBuf::from("attachments"), |d| d.join("attachments"))
    }
}

/// Writes `bytes` as `dir/sha256`, synced, unless that file is already there.
fn write_file(dir: &Path, sha256: &str, bytes: &[u8]) -> std::io::Result<()> {
    let path = dir.join(sha256);
    if path.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    // Two uploads of the same bytes at once each write a file of their own.
    let tmp = dir.join(format!(
        ".{sha256}.{}.{}",
        std::process::id(),
        rand::random::<u64>()
    ));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, &path)?;
    // The rename itself is durable once the folder is synced.
    std::fs::File::open(dir)?.sync_all()
}

#[async_trait]
impl AttachmentStore for SqliteStore {
    async fn add_attachment(
        &self,
        new: NewAttachment,
        bytes: Vec<u8>,
        audit: AuditRecord,
    ) -> Result<AttachmentRecord> {
        let dir = self.attachment_dir();
        let (sha, content) = (new.sha256.clone(), bytes);
        let size = content.len() as u64;
        tokio::task::spawn_blocking(move || write_file(&dir, &sha, &content))
            .await
            .map_err(backend)?
            .map_err(backend)?;
        let audit = Audit::from(audit);
        let row = new.clone();
        let id = self
            .write(move |c| {
                let p = params![
                    row.order_id.get(),
                    row.name,
                    row.content_type,
                    size as i64,
                    row.sha256,
                    row.source.as_str(),
                    row.uploaded_by,
                    row.unit.as_ref().map(|u| u.as_str()),
                    row.at.to_rfc3339(),
                    Option::<Vec<u8>>::None
                ];
                exec(c, INSERT, p)?;
                let id = c.last_insert_rowid();
                append_audit_tx(c, audit)?;
                Ok(id)
            })
            .await?;
        Ok(new.stored(id, size))
    }

    async fn attachments(&self, order: OrderId) -> Result<Vec<AttachmentRecord>> {
        self.read(move |c| all(c, BY_ORDER, [order.get()], |r| records::attachment(r)))
            .await
    }

    async fn attachment(&self, id: i64) -> Result<Option<AttachmentRecord>> {
        self.read(move |c| one(c, BY_ID, [id], |r| records::attachment(r)))
            .await
    }

    async fn attachment_content(&self, id: i64) -> Result<Option<AttachmentContent>> {
        let Some(a) = self.attachment(id).await? else {
            return Ok(None);
        };
        if a.purged_at.is_some() {
            return Ok(None);
        }
        let path = self.attachment_dir().join(&a.sha256);
        Ok(path.exists().then_some(AttachmentContent::File(path)))
    }

    async fn purge_attachments(
        &self,
        orders: &[OrderId],
        source: AttachmentSource,
        now: Timestamp,
    ) -> Result<u64> {
        let ids: Vec<i64> = orders.iter().map(|o| o.get()).collect();
        let (source, at) = (source.as_str(), now.to_rfc3339());
        let gone = self
            .write(move |c| {
                let mut emptied = Vec::new();
                for id in ids {
                    let shas = all(
                        c,
                        "SELECT sha256 FROM attachments WHERE order_id = ? AND source = ? \
                         AND purged_at IS NULL",
                        params![id, source],
                        |r| Ok(r.get::<_, String>(0)?),
                    )?;
                    exec(
                        c,
                        "UPDATE attachments SET purged_at = ? WHERE order_id = ? AND source = ? \
                         AND purged_at IS NULL",
                        params![at, id, source],
                    )?;
                    emptied.extend(shas);
                }
                // A file goes once no attachment still in use names it.
                let mut unused = Vec::new();
                for sha in &emptied {
                    let used = one(
                        c,
                        "SELECT 1 FROM attachments WHERE sha256 = ? AND purged_at IS NULL",
                        [sha],
                        |_| Ok(()),
                    )?;
                    if used.is_none() {
                        unused.push(sha.clone());
                    }
                }
                Ok((emptied.len() as u64, unused))
            })
            .await?;
        let dir = self.attachment_dir();
        for sha in &gone.1 {
            match std::fs::remove_file(dir.join(sha)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(backend(e)),
            }
        }
        Ok(gone.0)
    }
}
