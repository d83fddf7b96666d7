-- One token bucket per channel, shared by every instance on this database (issue 19): a send
-- takes its token here, so all instances together keep to the channel's `tps` and `burst`.
-- `tokens` is in thousandths of a message (a second at `tps` refills `tps * 1000`, a millisecond
-- `tps`), so the arithmetic stays in integers on both backends; `refilled_at` is epoch ms.
-- UNLOGGED: the bucket is written for every send, so it must not wait on the write-ahead log's
-- flush. After a crash PostgreSQL empties it, and the next send starts a full bucket: at most one
-- burst, as after any quiet spell.
CREATE UNLOGGED TABLE rate_buckets (
    channel      TEXT PRIMARY KEY,
    tokens       BIGINT NOT NULL,
    refilled_at  BIGINT NOT NULL,
    granted      BIGINT NOT NULL
);
