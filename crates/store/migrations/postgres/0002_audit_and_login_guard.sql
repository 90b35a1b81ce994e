-- The audit trail: append-only and hash-chained (see hotline_domain::audit). Each
-- record holds the previous record's hash; ids are consecutive.
CREATE TABLE audit_log (
    id        BIGINT PRIMARY KEY,
    at        TEXT NOT NULL,          -- RFC 3339, +08:00
    actor     TEXT NOT NULL,
    unit      TEXT,                   -- the actor's unit, for scoping readers
    address   TEXT,                   -- client address
    action    TEXT NOT NULL,
    object    TEXT,
    detail    TEXT NOT NULL,          -- JSON
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log(actor, id);
CREATE INDEX audit_log_object ON audit_log(object, id);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- Idle expiry: when the session was last used (updated at most once a minute).
ALTER TABLE sessions ADD COLUMN last_seen BIGINT NOT NULL DEFAULT 0;

-- Failed logins per username (existing or not), so a lock reveals nothing and is
-- shared by every server on the database.
CREATE TABLE login_failures (
    username     TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL,
    first_at     BIGINT NOT NULL,    -- start of the counting window
    locked_until BIGINT NOT NULL     -- 0 when not locked
);

-- Fixed-window request counters (login per address, public endpoints per address).
CREATE TABLE rate_counters (
    key          TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    count        BIGINT NOT NULL
);
