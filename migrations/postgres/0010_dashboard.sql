-- Dashboard users and their sessions. A password is kept only as its argon2 hash; a session
-- cookie only as its SHA-256, so a copy of the database opens no session. An officer user sees
-- only their recruiter's subtree, as an officer token does.
CREATE TABLE dashboard_users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'officer')),
    recruiter_id  BIGINT REFERENCES recruiters (id),
    password_hash TEXT NOT NULL,
    language      TEXT NOT NULL DEFAULT 'en',
    created_at    BIGINT NOT NULL,
    disabled_at   BIGINT,
    CHECK ((role = 'officer') = (recruiter_id IS NOT NULL))
);
CREATE TABLE dashboard_sessions (
    token_hash BYTEA PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES dashboard_users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at);
