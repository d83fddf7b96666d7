-- The planner asks two things of a person's earlier recipient rows, once per person planned:
-- how many queued tips fall in the frequency cap's period (outcome, due_at), and for a drip
-- whether a tip was queued before (tip_id, outcome). With outcome and due_at in the index by
-- person both are answered from the index alone, instead of a table row read per earlier row
-- (a second run over 1,000,000 people read a million table rows for each). It serves
-- everything the narrower index did.
DROP INDEX broadcast_recipients_person;
CREATE INDEX broadcast_recipients_person ON broadcast_recipients (person_id, tip_id, outcome, due_at);
