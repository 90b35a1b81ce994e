-- Stored text is repaired in Rust when this version is applied (repair_stored_text):
-- C0 controls other than tab and LF, and DEL, are dropped from order and article
-- documents, CRLF and CR become LF. Timelines, versions and the audit chain are
-- append-only and stay as written.
SELECT 1;
