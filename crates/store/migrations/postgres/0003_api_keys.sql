-- Keys for integrations (other government systems, Open311 gateways): each acts for
-- one unit, optionally only for some actions, until revoked. Only the key's hash is kept.
CREATE TABLE api_keys (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    key_hash   TEXT NOT NULL UNIQUE,      -- SHA-256 of the key
    unit       TEXT NOT NULL REFERENCES units(code),
    actions    TEXT NOT NULL,             -- comma-separated; empty means every action of the unit's role
    created_at BIGINT NOT NULL,
    revoked_at  BIGINT                    -- set once revoked
);
