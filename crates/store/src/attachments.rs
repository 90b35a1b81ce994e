//! Attachments (附件), as the [`AttachmentStore`] trait both backends implement: each
//! attachment's description, and its bytes — a file under the data folder on SQLite
//! (written and synced before its row commits, so an acknowledged upload is never
//! lost; a file without a row is harmless), a column on PostgreSQL. What may be
//! stored, and who may read it, is the application's to decide.

use async_trait::async_trait;
use hotline_domain::audit::AuditRecord;
use hotline_domain::{OrderId, Timestamp, UnitCode};

use crate::Result;

/// Who gave an attachment.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentSource {
    /// The requester (at intake, on the portal): their personal data.
    Requester,
    /// The hotline's staff.
    Staff,
    /// A handling unit, with its reply.
    Unit,
}

impl AttachmentSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requester => "requester",
            Self::Staff => "staff",
            Self::Unit => "unit",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "requester" => Some(Self::Requester),
            "staff" => Some(Self::Staff),
            "unit" => Some(Self::Unit),
            _ => None,
        }
    }
}

/// An attachment to store: its description; the bytes go beside it.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub order_id: OrderId,
    pub name: String,
    pub content_type: String,
    pub sha256: String,
    pub source: AttachmentSource,
    pub uploaded_by: String,
    pub unit: Option<UnitCode>,
    pub at: Timestamp,
}

impl NewAttachment {
    /// The description as stored, once the store has given it its id.
    pub fn stored(self, id: i64, size: u64) -> AttachmentRecord {
        AttachmentRecord {
            id,
            order_id: self.order_id,
            name: self.name,
            content_type: self.content_type,
            size,
            sha256: self.sha256,
            source: self.source,
            uploaded_by: self.uploaded_by,
            unit: self.unit,
            at: self.at,
            purged_at: None,
        }
    }
}

/// A stored attachment's description.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentRecord {
    pub id: i64,
    pub order_id: OrderId,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub source: AttachmentSource,
    pub uploaded_by: String,
    pub unit: Option<UnitCode>,
    pub at: Timestamp,
    /// When retention emptied it (its bytes are gone).
    pub purged_at: Option<Timestamp>,
}

/// Where an attachment's bytes are to be read from.
pub enum AttachmentContent {
    /// A file (SQLite): read it in pieces.
    File(std::path::PathBuf),
    /// The bytes (PostgreSQL).
    Bytes(Vec<u8>),
}

#[async_trait]
pub trait AttachmentStore: Send + Sync {
    /// Stores an attachment and its audit record; its id is assigned here.
    async fn add_attachment(
        &self,
        new: NewAttachment,
        bytes: Vec<u8>,
        audit: AuditRecord,
    ) -> Result<AttachmentRecord>;
    /// An order's attachments, oldest first.
    async fn attachments(&self, order: OrderId) -> Result<Vec<AttachmentRecord>>;
    async fn attachment(&self, id: i64) -> Result<Option<AttachmentRecord>>;
    /// The bytes of an attachment not purged.
    async fn attachment_content(&self, id: i64) -> Result<Option<AttachmentContent>>;
    /// Empties the attachments of these orders that came from `source` (retention);
    /// how many it emptied.
    async fn purge_attachments(
        &self,
        orders: &[OrderId],
        source: AttachmentSource,
        now: Timestamp,
    ) -> Result<u64>;
}

pub(crate) const INSERT: &str = "INSERT INTO attachments (order_id, name, content_type, size, \
     sha256, source, uploaded_by, unit, at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
/// Columns as [`crate::records::attachment`] reads them.
pub(crate) const BY_ORDER: &str = "SELECT id, order_id, name, content_type, size, sha256, source, \
     uploaded_by, unit, at, purged_at FROM attachments WHERE order_id = ? ORDER BY id";
pub(crate) const BY_ID: &str = "SELECT id, order_id, name, content_type, size, sha256, source, \
     uploaded_by, unit, at, purged_at FROM attachments WHERE id = ?";
