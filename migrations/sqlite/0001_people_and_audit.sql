-- People who gave consent, and the append-only audit log.
-- Times are milliseconds since the Unix epoch (UTC) on both backends.
-- A number is never stored in clear: phone_index is HMAC-SHA256 of the E.164 form,
-- phone_ciphertext is nonce || XChaCha20-Poly1305 ciphertext sealed under phone_key_id,
-- phone_hint is the last two digits. Erasure clears all four and keeps the row for counts.

CREATE TABLE people (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    phone_index      BLOB UNIQUE,
    phone_ciphertext BLOB,
    phone_key_id     TEXT,
    phone_hint       TEXT,
    language         TEXT NOT NULL,
    script           TEXT NOT NULL DEFAULT 'native',
    status           TEXT NOT NULL CHECK (status IN ('active', 'opted_out', 'erased')),
    consent_channel  TEXT NOT NULL,
    consent_version  TEXT NOT NULL,
    consented_at     INTEGER NOT NULL,
    withdrawn_at     INTEGER,
    erased_at        INTEGER,
    created_at       INTEGER NOT NULL,
    CHECK ((status = 'erased') = (phone_index IS NULL)),
    CHECK ((phone_index IS NULL) = (phone_ciphertext IS NULL))
);

CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     INTEGER NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
