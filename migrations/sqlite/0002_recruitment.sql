-- Areas, recruiters, opt-in codes and the suppression list.
-- A recruiter's phone (officers, cadets…; used to recognise their SMS commands) is stored in the
-- privacy-core form like a person's. A mitan is a recruiter linked to their person row and holds
-- no phone of its own. Every code (a recruiter's permanent one, or an event code) lives in
-- `codes`, so no two can ever be equal.

CREATE TABLE areas (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id INTEGER REFERENCES areas (id),
    kind      TEXT NOT NULL CHECK (kind IN ('district', 'thana', 'village')),
    name      TEXT NOT NULL,
    UNIQUE (parent_id, kind, name)
);

CREATE TABLE recruiters (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT NOT NULL CHECK (kind IN ('police', 'ncc', 'nss', 'spo', 'ngo', 'mitan')),
    name             TEXT NOT NULL,
    area_id          INTEGER REFERENCES areas (id),
    phone_index      BLOB UNIQUE,
    phone_ciphertext BLOB,
    phone_key_id     TEXT,
    phone_hint       TEXT,
    quota            INTEGER NOT NULL,
    person_id        INTEGER UNIQUE REFERENCES people (id),
    recruited_by     INTEGER REFERENCES recruiters (id),
    created_at       INTEGER NOT NULL
);
CREATE INDEX recruiters_recruited_by ON recruiters (recruited_by);

CREATE TABLE codes (
    code         TEXT PRIMARY KEY,
    recruiter_id INTEGER NOT NULL REFERENCES recruiters (id),
    kind         TEXT NOT NULL CHECK (kind IN ('permanent', 'event')),
    label        TEXT,
    expires_at   INTEGER,
    max_uses     INTEGER,
    uses         INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX codes_one_permanent_per_recruiter ON codes (recruiter_id) WHERE kind = 'permanent';

ALTER TABLE people ADD COLUMN recruited_by INTEGER REFERENCES recruiters (id);
ALTER TABLE people ADD COLUMN via_code TEXT;
ALTER TABLE people ADD COLUMN area_id INTEGER REFERENCES areas (id);
CREATE INDEX people_recruited_by ON people (recruited_by);

-- Keyed hashes (blind indexes) of numbers that must not be messaged: opted out or erased.
CREATE TABLE suppressions (
    phone_index BLOB PRIMARY KEY,
    reason      TEXT NOT NULL,
    at          INTEGER NOT NULL
);
