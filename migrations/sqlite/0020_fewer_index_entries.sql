-- Fewer bytes written where mitan writes most: every USSD hop saves its session, and planning a
-- broadcast writes an outbox row for each person it reaches (a million for a district). Every
-- page a write changes goes to the write-ahead log, and again into the database at checkpoint
-- (BENCHMARKS.md).
--
-- * A broadcast's messages name their text instead of each carrying a copy: outbox_texts holds
--   each text a run sends once (copied from the tip when the run is planned, so an edit of the
--   tip later does not change what the run sends), and outbox.text_id names it. A message's body
--   was most of its row (Devanagari is three bytes a letter): 450 MB of copies of a few texts
--   for one tip to a million people. Replies and other single messages keep their own body.
-- * ussd_sessions_expires changed on every hop (each hop moves its session's expiry) and served
--   only the housekeeping purge, which now reads the table: it holds the sessions of the last
--   minutes and those kept for resuming, a few thousand rows.
-- * outbox's UNIQUE (channel, provider_message_id) held an entry for every message, sent or not,
--   though only a sent one has the aggregator's id: a partial unique index holds the sent ones,
--   and the delivery-report lookup (channel = ? AND provider_message_id = ?) still uses it.
-- SQLite cannot change a column or drop a table constraint, so the outbox is made again with the
-- same rows.
DROP INDEX ussd_sessions_expires;

CREATE TABLE outbox_texts (
    id              INTEGER PRIMARY KEY,
    run_id          INTEGER NOT NULL REFERENCES broadcast_runs (id),
    tip_id          INTEGER NOT NULL,
    language        TEXT NOT NULL CHECK (language IN ('hi', 'hne', 'en')),
    script          TEXT NOT NULL CHECK (script IN ('native', 'roman')),
    body            TEXT NOT NULL,
    encoding        TEXT NOT NULL CHECK (encoding IN ('gsm7', 'ucs2')),
    parts           INTEGER NOT NULL,
    dlt_template_id TEXT,
    UNIQUE (run_id, tip_id, language, script)
);

CREATE TABLE outbox_new (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    channel             TEXT NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('reply', 'confirmation', 'invite', 'bulk',
                                                      'call', 'call_back')),
    priority            INTEGER NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'delivered',
                                                        'failed', 'unknown', 'suppressed', 'expired')),
    recipient_tag       BLOB,
    phone_ciphertext    BLOB,
    phone_key_id        TEXT,
    phone_hint          TEXT NOT NULL,
    person_id           INTEGER REFERENCES people (id),
    broadcast_id        INTEGER,
    body                TEXT,
    text_id             INTEGER REFERENCES outbox_texts (id),
    encoding            TEXT NOT NULL CHECK (encoding IN ('gsm7', 'ucs2')),
    parts               INTEGER NOT NULL,
    dlt_template_id     TEXT,
    not_before          INTEGER NOT NULL,
    expires_at          INTEGER,
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     INTEGER NOT NULL,
    lease_owner         TEXT,
    lease_expires_at    INTEGER,
    provider_message_id TEXT,
    last_error          TEXT,
    created_at          INTEGER NOT NULL,
    sent_at             INTEGER,
    finished_at         INTEGER,
    tip_id              INTEGER,
    language            TEXT CHECK (language IN ('hi', 'hne', 'en')),
    UNIQUE (broadcast_id, person_id),
    CHECK ((kind IN ('call', 'call_back')) = (language IS NOT NULL)),
    CHECK ((body IS NULL) != (text_id IS NULL))
);
INSERT INTO outbox_new (id, channel, kind, priority, status, recipient_tag, phone_ciphertext, phone_key_id,
    phone_hint, person_id, broadcast_id, body, encoding, parts, dlt_template_id, not_before,
    expires_at, attempts, next_attempt_at, lease_owner, lease_expires_at, provider_message_id,
    last_error, created_at, sent_at, finished_at, tip_id, language)
SELECT id, channel, kind, priority, status, recipient_tag, phone_ciphertext, phone_key_id,
    phone_hint, person_id, broadcast_id, body, encoding, parts, dlt_template_id, not_before,
    expires_at, attempts, next_attempt_at, lease_owner, lease_expires_at, provider_message_id,
    last_error, created_at, sent_at, finished_at, tip_id, language
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE UNIQUE INDEX outbox_provider_message ON outbox (channel, provider_message_id)
    WHERE provider_message_id IS NOT NULL;
CREATE INDEX outbox_due ON outbox (priority, next_attempt_at, id) WHERE status = 'queued';
CREATE INDEX outbox_leases ON outbox (lease_expires_at) WHERE status = 'sending';
CREATE INDEX outbox_recipient ON outbox (recipient_tag) WHERE recipient_tag IS NOT NULL;
CREATE INDEX outbox_person ON outbox (person_id) WHERE status = 'queued';
