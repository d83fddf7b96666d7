-- The admin API: bearer tokens (stored only as SHA-256 hashes), join bursts flagged per code,
-- and the indexes the figures read. Area names are unique among their siblings, districts too
-- (the UNIQUE in 0002 lets two NULL parents through).

CREATE TABLE api_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('admin', 'officer')),
    recruiter_id BIGINT REFERENCES recruiters (id),
    token_hash   BYTEA NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT,
    CHECK ((role = 'officer') = (recruiter_id IS NOT NULL))
);

-- One row each time joins through one code reach the configured number within an hour.
CREATE TABLE code_bursts (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code         TEXT NOT NULL REFERENCES codes (code),
    recruiter_id BIGINT NOT NULL REFERENCES recruiters (id),
    flagged_at   BIGINT NOT NULL,
    joins        BIGINT NOT NULL
);
CREATE INDEX code_bursts_code ON code_bursts (code, flagged_at);

CREATE UNIQUE INDEX areas_unique_sibling ON areas (COALESCE(parent_id, 0), kind, name);
CREATE INDEX recruiters_area ON recruiters (area_id);
CREATE INDEX people_area ON people (area_id);
CREATE INDEX people_created ON people (created_at);
CREATE INDEX people_via_code ON people (via_code, created_at);
