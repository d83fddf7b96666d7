-- SMS: the outbox every outbound message leaves through, short-lived pending consents, and the
-- receipts that make aggregator retries harmless.
--
-- outbox: one row per message. The recipient is held sealed (ciphertext + key id, never the number
-- in clear) and under recipient_tag, an HMAC of the number with a key of its own (not the blind
-- index), only while the row may still be sent or reported on; a final state keeps the hint alone.
-- kind: 'reply' answers the number's own message, 'confirmation' confirms a STOP or DELETE (sent
-- even though the number is now suppressed), 'invite' asks an invited villager for consent,
-- 'bulk' is a broadcast. priority 0 (replies) goes ahead of 1 (bulk).
CREATE TABLE outbox (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    channel             TEXT NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('reply', 'confirmation', 'invite', 'bulk')),
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
    UNIQUE (channel, provider_message_id),
    UNIQUE (broadcast_id, person_id)
);
CREATE INDEX outbox_due ON outbox (priority, next_attempt_at, id) WHERE status = 'queued';
CREATE INDEX outbox_leases ON outbox (lease_expires_at) WHERE status = 'sending';
CREATE INDEX outbox_recipient ON outbox (recipient_tag) WHERE recipient_tag IS NOT NULL;

-- Someone who asked to join by SMS or missed call, or was invited, and has not said YES yet.
-- Keyed by an HMAC of the number under its own key (never the blind index); nothing else about
-- them is kept, and the row goes at YES, STOP, DELETE or expiry.
CREATE TABLE sms_pending_consents (
    tag            BLOB PRIMARY KEY,
    language       TEXT NOT NULL,
    script         TEXT NOT NULL,
    code           TEXT,
    invited_by     INTEGER REFERENCES recruiters (id),
    notice_version TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL
);
CREATE INDEX sms_pending_consents_expiry ON sms_pending_consents (expires_at);

-- Aggregator message and call ids already acted on, written in the same transaction as the
-- effect, so a retried webhook does nothing twice. No numbers; purged after a few days.
CREATE TABLE webhook_receipts (
    channel    TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('sms', 'call')),
    message_id TEXT NOT NULL,
    seen_at    INTEGER NOT NULL,
    PRIMARY KEY (channel, kind, message_id)
);
CREATE INDEX webhook_receipts_seen ON webhook_receipts (seen_at);
