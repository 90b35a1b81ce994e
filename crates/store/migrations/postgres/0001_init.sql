-- The first schema (PostgreSQL twin of migrations/sqlite/0001_init.sql). Times that
-- lists filter on are Unix seconds; the order itself is kept whole as JSON in `doc`.

CREATE TABLE units (
    code    TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    kind    TEXT NOT NULL,            -- hotline | subcentre | department | …
    parent  TEXT REFERENCES units(code),
    region  TEXT NOT NULL,            -- GB/T 2260
    active  BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,      -- argon2id PHC string
    roles         TEXT NOT NULL,      -- comma-separated role names
    unit          TEXT REFERENCES units(code),
    active        BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,      -- SHA-256 of the bearer token; the token is never stored
    user_id    BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE calendar_years (
    year     INTEGER PRIMARY KEY,
    holidays TEXT NOT NULL,           -- JSON array of ISO dates
    workdays TEXT NOT NULL            -- JSON array of ISO dates (调休上班)
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,           -- e.g. deadline_rules
    value TEXT NOT NULL               -- JSON
);

CREATE TABLE domain_categories (
    path     TEXT PRIMARY KEY,        -- TOP/SUB
    top_name TEXT NOT NULL,
    name     TEXT NOT NULL
);

CREATE TABLE order_day_seq (
    day  TEXT PRIMARY KEY,            -- YYYYMMDD in Asia/Shanghai
    last BIGINT NOT NULL             -- the last sequence number given out that day
);

CREATE TABLE orders (
    id            BIGSERIAL PRIMARY KEY,
    number        TEXT NOT NULL UNIQUE,
    hotline       TEXT NOT NULL,      -- owning hotline's unit code
    unit          TEXT,               -- lead unit while dispatched
    status        TEXT NOT NULL,
    kind          TEXT NOT NULL,
    region        TEXT NOT NULL,
    deadline      BIGINT,            -- handling deadline
    registered_at BIGINT NOT NULL,
    phone_hash    TEXT,               -- HMAC of the requester's phone: never the number
    address_key   TEXT,               -- normalised address of the matter
    version       BIGINT NOT NULL,   -- optimistic concurrency
    doc           TEXT NOT NULL       -- the whole order as JSON
);
CREATE INDEX orders_hotline ON orders(hotline, id);
CREATE INDEX orders_unit ON orders(unit, id);
CREATE INDEX orders_status ON orders(status, deadline);
CREATE INDEX orders_phone ON orders(phone_hash, registered_at);
CREATE INDEX orders_address ON orders(address_key, registered_at);

-- Co-units (协办) of each order, so a co-unit's handlers find what they share.
CREATE TABLE order_co_units (
    unit     TEXT NOT NULL,
    order_id BIGINT NOT NULL REFERENCES orders(id),
    PRIMARY KEY (unit, order_id)
);

-- The timeline: appended, never updated or deleted.
CREATE TABLE order_events (
    id       BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders(id),
    at       TEXT NOT NULL,           -- RFC 3339, +08:00
    type     TEXT NOT NULL,
    actor    TEXT NOT NULL,
    unit     TEXT,
    note     TEXT,
    data     TEXT NOT NULL            -- JSON
);
CREATE INDEX order_events_order ON order_events(order_id, id);
CREATE FUNCTION order_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'order events are append-only'; END $$;
CREATE TRIGGER order_events_append_only BEFORE UPDATE OR DELETE ON order_events
FOR EACH ROW EXECUTE FUNCTION order_events_append_only();

CREATE TABLE idempotency_keys (
    scope      TEXT NOT NULL,         -- the caller
    key        TEXT NOT NULL,
    body_hash  TEXT NOT NULL,
    order_id   BIGINT NOT NULL REFERENCES orders(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
