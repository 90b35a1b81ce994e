-- Two-factor sign-in (TOTP, RFC 6238), kept in the account's own row:
--   totp_secret      the secret of a confirmed enrolment, sealed by the application
--                    with the installation's secret key (never stored in clear);
--   totp_pending     a secret offered for enrolment, awaiting its first code;
--   totp_enrolled_at when the enrolment was confirmed (Unix seconds);
--   totp_last_step   the last 30-second step a code was accepted for: a code of that
--                    step or an earlier one is refused, so a code seen once cannot be
--                    used again.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending TEXT;
ALTER TABLE users ADD COLUMN totp_enrolled_at BIGINT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;

-- One-time recovery codes of an enrolment, stored only as keyed hashes; a used code
-- keeps its row (used_at set) until the codes are replaced or the enrolment removed.
CREATE TABLE recovery_codes (
    user_id   BIGINT NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL,
    used_at   BIGINT,
    PRIMARY KEY (user_id, code_hash)
);
