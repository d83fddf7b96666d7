-- Key rotation (`mitan keys rotate`). The key a database is sealed with may change: `sealing_key`
-- then names the new key and, until every stored number is re-sealed, the key it replaces
-- (`rotating_from`). `retired_keys` keeps each replaced key's lookup keys (to find what is stored
-- only as a keyed hash of a number, such as an erased number on the suppression list), and, while
-- its rotation runs, the replaced master key itself (to open numbers not yet re-sealed); both
-- sealed under the current key, never in clear.
ALTER TABLE sealing_key ADD COLUMN rotating_from TEXT;

CREATE TABLE retired_keys (
    key_id       TEXT PRIMARY KEY,
    sealed_under TEXT NOT NULL,
    lookup       BYTEA NOT NULL,
    master       BYTEA,
    retired_at   BIGINT NOT NULL
);
