-- Notifications (通知): one row per unit told of an order event, written in the
-- transaction that records the event (hotline_domain::notices says who is told). A
-- row names the order and what happened, nothing of the requester.
CREATE TABLE notifications (
    id       BIGSERIAL PRIMARY KEY,
    unit     TEXT NOT NULL,
    order_id BIGINT NOT NULL REFERENCES orders(id),
    number   TEXT NOT NULL,
    type     TEXT NOT NULL,
    at       TEXT NOT NULL,           -- RFC 3339, +08:00
    actor    TEXT NOT NULL
);
CREATE INDEX notifications_unit ON notifications(unit, id);

-- How far each account has read its unit's notifications.
CREATE TABLE notification_reads (
    username  TEXT PRIMARY KEY,
    last_read BIGINT NOT NULL
);
