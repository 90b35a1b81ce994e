//! The audit anchor: the trail's head (`COUNT:HASH`, see
//! [`hotline_domain::audit::AuditHead`]) written to a file outside the database, so
//! that deleting the newest records — which leaves a valid, shorter chain — shows in
//! `hotline audit verify`. The server writes it when it starts, every minute, and
//! when it stops; it never writes a head the trail does not extend from the one
//! already in the file, so a trail truncated while the server was stopped is not
//! made to look right by the next start (the error is logged instead, every minute,
//! until an operator looks).

use hotline_domain::audit::{AuditEntry, AuditHead, TailMismatch};
use hotline_store::{AuditFilter, Store};
use std::io::Write;
use std::path::Path;

use crate::AppState;

/// The trail's newest record as it stands.
pub async fn head(store: &dyn Store) -> Result<AuditHead, String> {
    let newest = store
        .audit_entries(&AuditFilter {
            limit: 1,
            ..Default::default()
        })
        .await
        .map_err(|e| e.to_string())?;
    Ok(AuditHead::of(newest.first()))
}

/// The trail's record at `position` (1-based), or the newest before it when the
/// trail is shorter.
async fn record_at(store: &dyn Store, position: i64) -> Result<Option<AuditEntry>, String> {
    let found = store
        .audit_entries(&AuditFilter {
            cursor: Some(position + 1),
            limit: 1,
            ..Default::default()
        })
        .await
        .map_err(|e| e.to_string())?;
    Ok(found.into_iter().next())
}

/// Whether the trail still holds the anchored record at its position.
pub async fn extends(
    store: &dyn Store,
    anchor: &AuditHead,
) -> Result<Result<(), TailMismatch>, String> {
    if anchor.count == 0 {
        return Ok(Ok(()));
    }
    Ok(anchor.extended_by(record_at(store, anchor.count).await?.as_ref()))
}

/// The head kept in an anchor file; `None` when there is no file yet.
pub fn read(path: &Path) -> Result<Option<AuditHead>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => text
            .parse()
            .map(Some)
            .map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Replaces the file's content with `head` as one step: written beside it, synced,
/// then renamed over it, so a crash leaves the old head or the new one, never half.
pub fn write(path: &Path, head: &AuditHead) -> Result<(), String> {
    let named = |e: std::io::Error| format!("{}: {e}", path.display());
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".audit-anchor-")
        .tempfile_in(dir)
        .map_err(named)?;
    writeln!(file, "{head}").map_err(named)?;
    file.as_file().sync_all().map_err(named)?;
    file.persist(path).map_err(|e| named(e.error))?;
    Ok(())
}

/// What [`refresh`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Refreshed {
    Unchanged,
    Written(AuditHead),
}

/// Writes the trail's head to the file, after checking that the trail extends the
/// head already there.
pub async fn refresh(store: &dyn Store, path: &Path) -> Result<Refreshed, String> {
    let now = head(store).await?;
    let kept = read(path)?;
    if kept.as_ref() == Some(&now) {
        return Ok(Refreshed::Unchanged);
    }
    if let Some(kept) = &kept {
        extends(store, kept)
            .await?
            .map_err(|m| format!("{m}; the anchor in {} is left as it is", path.display()))?;
    }
    write(path, &now)?;
    Ok(Refreshed::Written(now))
}

/// [`refresh`], its failure logged as the error it is.
pub async fn refresh_logged(state: &AppState, path: &Path) {
    match refresh(state.store().as_ref(), path).await {
        Ok(Refreshed::Unchanged) => {}
        Ok(Refreshed::Written(h)) => tracing::debug!(head = %h, "audit anchor written"),
        Err(e) => tracing::error!(error = %e, "audit anchor not written"),
    }
}
