-- Report counters (hotline_domain::stats): each order's facts are added up per day
-- ('d', period = yyyymmdd) and per month ('m', period = yyyymm), so that a report
-- reads a few thousand counters however many orders there are. `report_facts` holds
-- the facts last counted for each order, so that a change adds only the difference;
-- `report_cursor` is the last order event whose order has been counted (with every
-- event before it).
CREATE TABLE report_counts (
    grain   TEXT NOT NULL,
    measure TEXT NOT NULL,
    period  INTEGER NOT NULL,
    hotline TEXT NOT NULL,
    region  TEXT NOT NULL,            -- '' for measures not kept per region
    key     TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (grain, measure, period, hotline, region, key)
) WITHOUT ROWID;

CREATE TABLE report_facts (
    order_id INTEGER PRIMARY KEY REFERENCES orders(id),
    facts    TEXT NOT NULL            -- JSON, hotline_domain::stats::Facts
);

CREATE TABLE report_cursor (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    event_id INTEGER NOT NULL
);
INSERT INTO report_cursor (id, event_id) VALUES (1, 0);
