-- USSD sessions, so any instance can serve the next hop. A row holds the menu state (JSON),
-- the last input marker and reply (to answer an aggregator's retry with the same screen), and,
-- only while the caller is in the middle of joining, a resume tag: an HMAC of the number under a
-- key of its own (not the blind index), kept until resume_until and then purged.
CREATE TABLE ussd_sessions (
    channel      TEXT NOT NULL,
    session_id   TEXT NOT NULL,
    state        TEXT NOT NULL,
    last_input   TEXT,
    last_reply   TEXT NOT NULL,
    resume_tag   BYTEA,
    expires_at   BIGINT NOT NULL,
    resume_until BIGINT,
    PRIMARY KEY (channel, session_id)
);
CREATE INDEX ussd_sessions_resume ON ussd_sessions (resume_tag) WHERE resume_tag IS NOT NULL;
CREATE INDEX ussd_sessions_expires ON ussd_sessions (expires_at);
