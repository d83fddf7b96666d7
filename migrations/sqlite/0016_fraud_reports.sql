-- Numbers villagers reported as fraud callers or senders (issue: anonymous fraud-number reports).
-- The number is sealed like every stored number; `phone_index` is its fraud-report index (keyed
-- apart from people's blind index, so a report cannot be matched against members).
CREATE TABLE fraud_numbers (
    id                INTEGER PRIMARY KEY,
    phone_index       BLOB NOT NULL UNIQUE,
    phone_ciphertext  BLOB NOT NULL,
    phone_key_id      TEXT NOT NULL,
    phone_hint        TEXT NOT NULL
);

-- One row per counted vote: the day, how the fraud came and what it was about. Nothing of the
-- reporter. Rows older than the report window are deleted, then numbers with none left.
CREATE TABLE fraud_reports (
    id         INTEGER PRIMARY KEY,
    number_id  INTEGER NOT NULL REFERENCES fraud_numbers (id) ON DELETE CASCADE,
    day        TEXT NOT NULL,
    medium     TEXT,
    kind       TEXT
);
CREATE INDEX fraud_reports_by_number ON fraud_reports (number_id, day);
CREATE INDEX fraud_reports_by_day ON fraud_reports (day);

-- One vote per reporter per number: a keyed tag of both numbers, kept for the report window.
-- It names neither number nor report, so no reporter identity sits beside a report.
CREATE TABLE fraud_votes (
    tag         BLOB PRIMARY KEY,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX fraud_votes_by_expiry ON fraud_votes (expires_at);
