-- As on SQLite (whose migration tells why at more length):
--
-- * A broadcast's messages name their text instead of each carrying a copy: outbox_texts holds
--   each text a run sends once, copied from the tip when the run is planned, and outbox.text_id
--   names it; replies and other single messages keep their own body.
-- * outbox's UNIQUE (channel, provider_message_id) held an entry for every message, sent or not,
--   though only a sent one has the aggregator's id. A partial unique index holds the sent ones,
--   and the delivery-report lookup (channel = $1 AND provider_message_id = $2) still uses it.
-- (ussd_sessions_expires stays: on PostgreSQL a hop's time goes to its round trips to the server,
-- not to pages written.)
CREATE TABLE outbox_texts (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id          BIGINT NOT NULL REFERENCES broadcast_runs (id),
    tip_id          BIGINT NOT NULL,
    language        TEXT NOT NULL CHECK (language IN ('hi', 'hne', 'en')),
    script          TEXT NOT NULL CHECK (script IN ('native', 'roman')),
    body            TEXT NOT NULL,
    encoding        TEXT NOT NULL CHECK (encoding IN ('gsm7', 'ucs2')),
    parts           BIGINT NOT NULL,
    dlt_template_id TEXT,
    UNIQUE (run_id, tip_id, language, script)
);
ALTER TABLE outbox ALTER COLUMN body DROP NOT NULL;
ALTER TABLE outbox ADD COLUMN text_id BIGINT REFERENCES outbox_texts (id);
ALTER TABLE outbox ADD CONSTRAINT outbox_body_or_text CHECK ((body IS NULL) != (text_id IS NULL));

ALTER TABLE outbox DROP CONSTRAINT outbox_channel_provider_message_id_key;
CREATE UNIQUE INDEX outbox_provider_message ON outbox (channel, provider_message_id)
    WHERE provider_message_id IS NOT NULL;
