//! Orders and their timelines, as the [`OrderStore`] trait both backends implement.

use async_trait::async_trait;
use hotline_domain::audit::AuditRecord;
use hotline_domain::{
    Calendar, DeadlineRules, Event, Order, OrderId, OrderNumber, Timestamp, UnitCode,
};
use std::sync::Arc;

use crate::{Created, NewOrder, OrderChange, OrderFilter, Result};

#[async_trait]
pub trait OrderStore: Send + Sync {
    /// Registers an order: assigns id and number, finds possible duplicates, computes
    /// deadlines and writes the order with its `registered` event durably. With an
    /// idempotency key already used for the same body, returns that order instead.
    async fn create_order(
        &self,
        new: NewOrder,
        rules: Arc<DeadlineRules>,
        calendar: Arc<Calendar>,
    ) -> Result<Created>;
    async fn order(&self, id: OrderId) -> Result<Option<Order>>;
    async fn order_by_number(&self, number: &OrderNumber) -> Result<Option<Order>>;
    /// The owning hotline of each of these orders that exists: what hotline staff need
    /// to know to be shown a link to it (read without the order documents, as every
    /// intake's answer lists its possible duplicates).
    async fn order_hotlines(&self, ids: &[OrderId]) -> Result<Vec<(OrderId, UnitCode)>>;
    /// The orders of these ids that exist (an order's links: possible duplicates and
    /// merges, at most a few dozen).
    async fn orders_by_ids(&self, ids: &[OrderId]) -> Result<Vec<Order>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(self.order(*id).await?);
        }
        Ok(out)
    }
    async fn events(&self, id: OrderId) -> Result<Vec<Event>>;
    async fn list_orders(&self, filter: &OrderFilter) -> Result<Vec<Order>>;
    /// How many orders the filter finds (its limit and cursor aside), counted up to
    /// `cap`: a queue's badge.
    async fn count_orders(&self, filter: &OrderFilter, cap: u32) -> Result<u64>;
    /// `(id, title and content, registered_at in Unix seconds)` of the orders after
    /// `after`, by id, for the full-text index (texts never change once registered).
    async fn order_texts_after(&self, after: i64, limit: u32) -> Result<Vec<(i64, String, i64)>>;
    /// `(id, text)` of these orders for the full-text index as they stand now (an
    /// order whose indexed text changed: a corrected kind masks a whistleblower, a
    /// purge removes the requester).
    async fn order_texts(&self, ids: &[OrderId]) -> Result<Vec<(i64, String)>>;
    /// How many orders have an id up to `id` (what a text index at that watermark holds).
    async fn count_orders_upto(&self, id: i64) -> Result<u64>;
    /// Orders about the same address (its normalised key) registered since `since`,
    /// newest first: possible duplicates shown before a new order is saved.
    async fn orders_by_address_key(
        &self,
        address_key: &str,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<Order>>;
    /// Earlier orders from the same phone number (by its keyed hash), newest first.
    async fn orders_by_phone_hash(&self, phone_hash: &str, limit: u32) -> Result<Vec<Order>>;
    /// Writes changed orders and their events in one transaction; each order must
    /// still be at the version it was read at (its new version minus one). The units
    /// to be told of an event get their notifications in the same transaction, and
    /// the live signal once it is committed.
    async fn record_transitions(
        &self,
        changes: Vec<OrderChange>,
        audit: Option<AuditRecord>,
    ) -> Result<()>;
    /// Stores orders kept elsewhere, each as it stands with its whole timeline (a
    /// migration from another system; the report benchmark), in one transaction with
    /// one audit record. Their ids and numbers must be free; later orders are numbered
    /// after them.
    async fn import_orders(
        &self,
        batch: Vec<(Order, Vec<Event>)>,
        audit: AuditRecord,
    ) -> Result<()>;
    /// Sets the keyed phone hash of these orders (recomputed when the phone's
    /// canonical form changed), in one transaction; orders that are gone are skipped.
    async fn set_phone_hashes(&self, hashes: Vec<(OrderId, String)>) -> Result<()>;
    /// Open orders per status, for metrics.
    async fn count_by_status(&self) -> Result<Vec<(String, i64)>>;
}
