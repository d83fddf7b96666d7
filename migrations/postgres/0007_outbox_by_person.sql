-- Queued messages by person: an opt-out or an erasure withdraws what is queued for them (a
-- broadcast may have queued a million rows) without scanning the outbox.
CREATE INDEX outbox_person ON outbox (person_id) WHERE status = 'queued';
