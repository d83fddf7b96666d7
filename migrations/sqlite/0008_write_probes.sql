-- The write probe's table (`store::health`): a row is written and deleted again in one
-- transaction every second, to learn whether the database takes writes. It is always empty.
CREATE TABLE write_probes (
    id INTEGER PRIMARY KEY
);
