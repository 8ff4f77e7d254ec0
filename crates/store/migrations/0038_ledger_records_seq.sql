-- A ledger's newest record event apart from its newest event (issue 12: the inbox at 10,000
-- cases): `records_seq` is the sequence number of the ledger's newest event that is not about
-- a patient's path (`cellpath_domain::events::about_a_patient`). What is judged from the
-- partners' records alone — the gate's missing deliverables in the inbox — is kept by these
-- numbers, so a case's step does not make it judged again. Today's heads start at their seq.
ALTER TABLE ledger_heads ADD COLUMN records_seq BIGINT NOT NULL DEFAULT 0;
UPDATE ledger_heads SET records_seq = seq;
