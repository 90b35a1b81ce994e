-- Report counters; see the SQLite migration of the same number for the design.
CREATE TABLE report_counts (
    grain   TEXT NOT NULL,
    measure TEXT NOT NULL,
    period  INTEGER NOT NULL,
    hotline TEXT NOT NULL,
    region  TEXT NOT NULL,
    key     TEXT NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (grain, measure, period, hotline, region, key)
);

CREATE TABLE report_facts (
    order_id BIGINT PRIMARY KEY REFERENCES orders(id),
    facts    TEXT NOT NULL
);

CREATE TABLE report_cursor (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    event_id BIGINT NOT NULL
);
INSERT INTO report_cursor (id, event_id) VALUES (1, 0);
