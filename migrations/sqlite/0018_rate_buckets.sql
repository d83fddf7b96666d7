-- One token bucket per channel, shared by every instance on the database (issue 19). SQLite
-- serves one instance, which keeps to each channel's rate in memory; the table exists so that
-- the store reads alike on both backends. `tokens` is in thousandths of a message, `refilled_at`
-- epoch ms.
CREATE TABLE rate_buckets (
    channel      TEXT PRIMARY KEY,
    tokens       INTEGER NOT NULL,
    refilled_at  INTEGER NOT NULL,
    granted      INTEGER NOT NULL
);
