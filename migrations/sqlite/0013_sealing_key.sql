-- The id of the master key every number of this database is sealed with (`Vault::key_id`, a
-- fingerprint derived from the key, never the key): the service refuses to start with another.
CREATE TABLE sealing_key (
    one         INTEGER PRIMARY KEY CHECK (one = 1),
    key_id      TEXT NOT NULL,
    recorded_at INTEGER NOT NULL
);
