-- A ledger's records apart from its newest event (issue 12: the inbox at 10,000 cases):
-- `records_seq` is the ledger's sequence number after the newest command that moved the
-- partners' records — any command but a patient's path with the signatures that sign it
-- (`cellpath_domain::events::moves_records`). What is judged from the records alone — the
-- gate's missing deliverables in the inbox — is kept by these numbers, so a case's step does
-- not make it judged again. Today's heads start at their seq.
ALTER TABLE ledger_heads ADD COLUMN records_seq BIGINT NOT NULL DEFAULT 0;
UPDATE ledger_heads SET records_seq = seq;
