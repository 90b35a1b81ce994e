-- The login guard per client address. A name's failures used to lock it for every
-- address at once, so anyone could lock anyone out; now five failures lock only the
-- (name, address) pair, and a name's failures from all addresses are limited per hour
-- except for the addresses it logged in from lately.

-- Failed logins per name and client address. An attempt is counted before its
-- password is checked (and taken back if it succeeds), so parallel guesses cannot
-- all pass the count.
CREATE TABLE login_pair_failures (
    username     TEXT NOT NULL,
    address      TEXT NOT NULL,
    failures     BIGINT NOT NULL,
    first_at     BIGINT NOT NULL,    -- start of the counting window
    locked_until BIGINT NOT NULL,    -- 0 when not locked
    PRIMARY KEY (username, address)
);

-- login_failures now counts a name's failures from every address over an hour (its
-- locked_until stays 0: the count itself refuses). The locks it held meant "locked
-- for everyone": they go.
DELETE FROM login_failures;

-- Where each account last logged in from: those addresses are spared the per-name
-- limit for a while (30 days by default).
CREATE TABLE login_known_addresses (
    username TEXT NOT NULL,
    address  TEXT NOT NULL,
    last_at  BIGINT NOT NULL,
    PRIMARY KEY (username, address)
);

-- Where a session was opened from, shown to its owner in their list of sessions.
ALTER TABLE sessions ADD COLUMN address TEXT;
-- A person lists and ends their own sessions.
CREATE INDEX sessions_user ON sessions(user_id);
