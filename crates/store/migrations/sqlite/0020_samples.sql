-- Samples drawn for inspection (抽查): a line's head draws orders of its line's units
-- per month at random and records what it found; the call centre's quality
-- inspection will draw with the same engine. The document holds the rule, the seed,
-- the drawn orders and their findings.
CREATE TABLE samples (
    id       INTEGER PRIMARY KEY,
    owner    TEXT NOT NULL,       -- the unit that drew it
    period   TEXT NOT NULL,       -- YYYY-MM
    drawn_at INTEGER NOT NULL,    -- Unix seconds
    version  INTEGER NOT NULL,
    doc      TEXT NOT NULL
);
CREATE INDEX samples_owner ON samples(owner, id);
