-- The dashboard's counts over 100,000 people read indexes alone: people by recruiter or by area
-- with their status, recruiters by kind.
DROP INDEX people_recruited_by;
CREATE INDEX people_recruited_by_status ON people (recruited_by, status);
DROP INDEX people_area;
CREATE INDEX people_area_status ON people (area_id, status);
CREATE INDEX recruiters_kind ON recruiters (kind);
-- A recruiter's event codes, among every mitan's permanent one.
CREATE INDEX codes_event_owner ON codes (recruiter_id) WHERE kind = 'event';
