-- GET /readyz proves the write path by writing this one row (and nothing else).
CREATE TABLE readiness (
    id INTEGER PRIMARY KEY,
    at BIGINT NOT NULL
);
