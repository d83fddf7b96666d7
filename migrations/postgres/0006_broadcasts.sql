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

-- Broadcasts: who (segment, JSON: areas, languages, recruiter_kinds, joined_after/before), what
-- (one tip, a drip of each person's next unseen tip, or custom texts per language: JSON, and
-- saved as an inactive tip of category 'custom' that tip_id names, so they plan like a tip) and when
-- (send_at, or a cron rule in the campaign's time zone). next_due_at is the next occurrence to
-- plan; NULL once a one-off broadcast has come due.
CREATE TABLE broadcasts (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    segment      TEXT NOT NULL,
    content      TEXT NOT NULL CHECK (content IN ('tip', 'drip', 'custom')),
    tip_id       BIGINT REFERENCES tips (id),
    custom_texts TEXT,
    send_at      BIGINT,
    cron         TEXT,
    status       TEXT NOT NULL CHECK (status IN ('active', 'paused', 'cancelled')),
    next_due_at  BIGINT,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    CHECK ((send_at IS NULL) <> (cron IS NULL)),
    CHECK ((content = 'drip') = (tip_id IS NULL)),
    CHECK ((content = 'custom') = (custom_texts IS NOT NULL))
);
CREATE INDEX broadcasts_due ON broadcasts (next_due_at) WHERE status = 'active';

-- One occurrence of a broadcast, planned once: its messages may leave from not_before (the due
-- time moved into the sending window) until expires_at. Planning goes through people in id
-- order, a batch per transaction; cursor is the last person id planned, so a crash resumes
-- where it was. planned_at is set when every person has been looked at.
CREATE TABLE broadcast_runs (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    broadcast_id BIGINT NOT NULL REFERENCES broadcasts (id),
    due_at       BIGINT NOT NULL,
    not_before   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    cursor       BIGINT NOT NULL DEFAULT 0,
    planned_at   BIGINT,
    created_at   BIGINT NOT NULL,
    UNIQUE (broadcast_id, due_at)
);
CREATE INDEX broadcast_runs_planning ON broadcast_runs (id) WHERE planned_at IS NULL;

-- Who a run reaches, at most once each: 'queued' (a message to send, with the tip it carries),
-- 'capped' (the frequency cap skipped them) or 'seen_all' (a drip with no unseen tip left).
-- due_at is the run's, kept here for the cap's count.
CREATE TABLE broadcast_recipients (
    run_id    BIGINT NOT NULL REFERENCES broadcast_runs (id),
    person_id BIGINT NOT NULL REFERENCES people (id),
    tip_id    BIGINT REFERENCES tips (id),
    outcome   TEXT NOT NULL CHECK (outcome IN ('queued', 'capped', 'seen_all')),
    due_at    BIGINT NOT NULL,
    PRIMARY KEY (run_id, person_id)
);
CREATE INDEX broadcast_recipients_person ON broadcast_recipients (person_id, tip_id);

-- The planner writes each queued recipient's message into the outbox (kind 'bulk') in the same
-- transaction; outbox.broadcast_id holds the run's id (one per occurrence), so the outbox's
-- UNIQUE (broadcast_id, person_id) makes a message per person and occurrence at most.
