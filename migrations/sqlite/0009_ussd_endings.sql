-- A session that ended keeps its row until it expires, marked `ended`, with its last input and
-- its final screen: an aggregator retrying the hop that ended it gets that screen again, byte
-- for byte, instead of the menu of a new session. No resume tag is kept on an ended row.
ALTER TABLE ussd_sessions ADD COLUMN ended BOOLEAN NOT NULL DEFAULT FALSE;
