-- The knowledge base. An article is kept whole as JSON in `doc`, with the columns
-- lists and the uniqueness rule need beside it; `seq` is the database's change
-- sequence for articles, which search indexes follow. Use counters live in columns
-- of their own, as counting is not an edit.

CREATE TABLE kb_articles (
    id          INTEGER PRIMARY KEY,
    hotline     TEXT NOT NULL REFERENCES units(code),
    status      TEXT NOT NULL,        -- draft | in_review | published | expired | withdrawn
    category    TEXT NOT NULL,
    title       TEXT NOT NULL,
    pinned      INTEGER NOT NULL DEFAULT 0,
    version     INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    uses        INTEGER NOT NULL DEFAULT 0,
    helpful     INTEGER NOT NULL DEFAULT 0,
    not_helpful INTEGER NOT NULL DEFAULT 0,
    doc         TEXT NOT NULL,
    UNIQUE (category, title)
);
CREATE INDEX kb_articles_seq ON kb_articles(seq);
CREATE INDEX kb_articles_status ON kb_articles(status, id);

CREATE TABLE kb_versions (
    article_id INTEGER NOT NULL REFERENCES kb_articles(id),
    version    INTEGER NOT NULL,
    at         TEXT NOT NULL,
    by_user    TEXT NOT NULL,
    change     TEXT NOT NULL,         -- created | edited | submitted | published | …
    fields     TEXT NOT NULL,         -- JSON array of changed field names
    status     TEXT NOT NULL,
    content    TEXT NOT NULL,         -- JSON ArticleContent
    PRIMARY KEY (article_id, version)
);
CREATE TRIGGER kb_versions_append_only_u BEFORE UPDATE ON kb_versions
BEGIN SELECT RAISE(ABORT, 'article versions are append-only'); END;
CREATE TRIGGER kb_versions_append_only_d BEFORE DELETE ON kb_versions
BEGIN SELECT RAISE(ABORT, 'article versions are append-only'); END;
