-- Voice tips for people who cannot read an SMS.
--
-- people.medium: how a member gets tips, 'sms' (the default) or 'voice' (a call that plays the
-- recorded tip), chosen by SMS VOICE / SMS, the USSD menu, or a keypad consent on a call.
ALTER TABLE people ADD COLUMN medium TEXT NOT NULL DEFAULT 'sms' CHECK (medium IN ('sms', 'voice'));

-- The outbox gains two kinds: 'call' (a broadcast tip as a call: after replies, inside the
-- sending window, stopped by a STOP like 'bulk') and 'call_back' (a call a missed call asked for:
-- today's tip for a member, the consent notice for anyone else). A call carries the tip it plays
-- (tip_id, NULL for the consent notice) and the language it plays it in. SQLite cannot change a
-- CHECK constraint in place, so the table is made again with the same rows.
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
    body                TEXT NOT NULL,
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
    UNIQUE (channel, provider_message_id),
    UNIQUE (broadcast_id, person_id),
    CHECK ((kind IN ('call', 'call_back')) = (language IS NOT NULL))
);
INSERT INTO outbox_new (id, channel, kind, priority, status, recipient_tag, phone_ciphertext,
    phone_key_id, phone_hint, person_id, broadcast_id, body, encoding, parts, dlt_template_id,
    not_before, expires_at, attempts, next_attempt_at, lease_owner, lease_expires_at,
    provider_message_id, last_error, created_at, sent_at, finished_at)
SELECT id, channel, kind, priority, status, recipient_tag, phone_ciphertext, phone_key_id,
    phone_hint, person_id, broadcast_id, body, encoding, parts, dlt_template_id, not_before,
    expires_at, attempts, next_attempt_at, lease_owner, lease_expires_at, provider_message_id,
    last_error, created_at, sent_at, finished_at
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (priority, next_attempt_at, id) WHERE status = 'queued';
CREATE INDEX outbox_leases ON outbox (lease_expires_at) WHERE status = 'sending';
CREATE INDEX outbox_recipient ON outbox (recipient_tag) WHERE recipient_tag IS NOT NULL;
CREATE INDEX outbox_person ON outbox (person_id) WHERE status = 'queued';
