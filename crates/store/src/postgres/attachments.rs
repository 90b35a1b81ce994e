//! Attachments on PostgreSQL: the bytes in the row's `data`, so that every server of
//! the installation reads them and `pg_dump` backs them up with the rest.

use async_trait::async_trait;
use hotline_domain::audit::AuditRecord;
use hotline_domain::{OrderId, Timestamp};

use super::audit::append_audit_tx;
use super::{PgStore, all, exec, one, sql};
use crate::attachments::{
    AttachmentContent, AttachmentRecord, AttachmentSource, AttachmentStore, BY_ID, BY_ORDER,
    INSERT, NewAttachment,
};
use crate::{Result, records};

#[async_trait]
impl AttachmentStore for PgStore {
    async fn add_attachment(
        &self,
        new: NewAttachment,
        bytes: Vec<u8>,
        audit: AuditRecord,
    ) -> Result<AttachmentRecord> {
        let size = bytes.len() as u64;
        let mut tx = self.begin().await?;
        let q = sql(&format!("{INSERT} RETURNING id"))
            .bind(new.order_id.get())
            .bind(&new.name)
            .bind(&new.content_type)
            .bind(size as i64)
            .bind(&new.sha256)
            .bind(new.source.as_str())
            .bind(&new.uploaded_by)
            .bind(new.unit.as_ref().map(|u| u.as_str()))
            .bind(new.at.to_rfc3339())
            .bind(bytes);
        let id = one(q, &mut *tx, |r| Ok(sqlx::Row::try_get::<i64, _>(r, 0)?))
            .await?
            .unwrap_or_default();
        append_audit_tx(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(new.stored(id, size))
    }

    async fn attachments(&self, order: OrderId) -> Result<Vec<AttachmentRecord>> {
        all(
            sql(BY_ORDER).bind(order.get()),
            &self.pool,
            records::attachment,
        )
        .await
    }

    async fn attachment(&self, id: i64) -> Result<Option<AttachmentRecord>> {
        one(sql(BY_ID).bind(id), &self.pool, records::attachment).await
    }

    async fn attachment_content(&self, id: i64) -> Result<Option<AttachmentContent>> {
        let q = sql("SELECT data FROM attachments WHERE id = ? AND purged_at IS NULL").bind(id);
        let data = one(q, &self.pool, |r| {
            Ok(sqlx::Row::try_get::<Option<Vec<u8>>, _>(r, 0)?)
        })
        .await?;
        Ok(data.flatten().map(AttachmentContent::Bytes))
    }

    async fn purge_attachments(
        &self,
        orders: &[OrderId],
        source: AttachmentSource,
        now: Timestamp,
    ) -> Result<u64> {
        let mut n = 0;
        let mut tx = self.begin().await?;
        for o in orders {
            let q = sql(
                "UPDATE attachments SET purged_at = ?, data = NULL WHERE order_id = ? \
                 AND source = ? AND purged_at IS NULL",
            )
            .bind(now.to_rfc3339())
            .bind(o.get())
            .bind(source.as_str());
            n += exec(q, &mut *tx).await?;
        }
        tx.commit().await?;
        Ok(n)
    }
}
