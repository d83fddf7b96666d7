-- The tip library that broadcasts send. A tip has a category, an order (for drips) and an
-- active flag; each of its texts (a language in a script) carries the DLT template id it is
-- registered under and what it costs (encoding and SMS parts, computed when it was saved).
-- slug is the library file's own id ("tip-01"), so re-importing a file updates, never duplicates;
-- tips written through the admin API have none.

CREATE TABLE tips (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug       TEXT UNIQUE,
    category   TEXT NOT NULL,
    position   BIGINT NOT NULL,
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX tips_drip ON tips (position, id) WHERE active;

CREATE TABLE tip_texts (
    tip_id      BIGINT NOT NULL REFERENCES tips (id) ON DELETE CASCADE,
    language    TEXT NOT NULL CHECK (language IN ('hi', 'hne', 'en')),
    script      TEXT NOT NULL CHECK (script IN ('native', 'roman')),
    body        TEXT NOT NULL,
    template_id TEXT,
    encoding    TEXT NOT NULL CHECK (encoding IN ('gsm7', 'ucs2')),
    parts       BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (tip_id, language, script)
);
