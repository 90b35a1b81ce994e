-- Attachments (附件): photos and documents on an order. The description is here; the
-- bytes are a file under the data folder (attachments/ID) on SQLite and `data` on
-- PostgreSQL. `source` says who gave it: `requester` (intake, the portal), `staff`
-- (the hotline), `unit` (a handling unit, with its reply). Retention empties a
-- requester's files with the rest of their personal data (`purged_at`).
CREATE TABLE attachments (
    id           BIGSERIAL PRIMARY KEY,
    order_id     BIGINT NOT NULL REFERENCES orders(id),
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    source       TEXT NOT NULL,
    uploaded_by  TEXT NOT NULL,
    unit         TEXT,
    at           TEXT NOT NULL,           -- RFC 3339, +08:00
    purged_at    TEXT,
    data         BYTEA
);
CREATE INDEX attachments_order ON attachments(order_id, id);
