-- People who gave consent, and the append-only audit log.
-- Times are milliseconds since the Unix epoch (UTC) on both backends.
-- A number is never stored in clear: phone_index is HMAC-SHA256 of the E.164 form,
-- phone_ciphertext is nonce || XChaCha20-Poly1305 ciphertext sealed under phone_key_id,
-- phone_hint is the last two digits. Erasure clears all four and keeps the row for counts.

CREATE TABLE people (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    phone_index      BYTEA UNIQUE,
    phone_ciphertext BYTEA,
    phone_key_id     TEXT,
    phone_hint       TEXT,
    language         TEXT NOT NULL,
    script           TEXT NOT NULL DEFAULT 'native',
    status           TEXT NOT NULL CHECK (status IN ('active', 'opted_out', 'erased')),
    consent_channel  TEXT NOT NULL,
    consent_version  TEXT NOT NULL,
    consented_at     BIGINT NOT NULL,
    withdrawn_at     BIGINT,
    erased_at        BIGINT,
    created_at       BIGINT NOT NULL,
    CHECK ((status = 'erased') = (phone_index IS NULL)),
    CHECK ((phone_index IS NULL) = (phone_ciphertext IS NULL))
);

CREATE TABLE audit_log (
    id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at     BIGINT NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT
);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;

CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
