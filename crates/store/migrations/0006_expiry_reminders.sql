-- Expiry reminders (issue 4): before an executed agreement lapses, an event on the
-- partnership's ledger tells both sides, at the thresholds of
-- `cellpath_domain::contracting::reminders` (90, 30 and 7 days before). A row is the record
-- that a reminder was given; it never changes.
--
-- days_before is the threshold (90, 30 or 7); days_left what was left on sent_on (less than
-- the threshold when the job ran late). expires_on is the expiry date the reminder was about:
-- a renewal moves the agreement's date, and the new date gets reminders of its own.
-- agreement_kind is kept so the reminder reads the same whatever happens to the agreement.
CREATE TABLE expiry_reminders (
    id TEXT PRIMARY KEY,
    partnership_id TEXT NOT NULL REFERENCES partnerships (id),
    agreement_id TEXT NOT NULL REFERENCES agreements (id),
    agreement_kind TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    days_before BIGINT NOT NULL,
    days_left BIGINT NOT NULL,
    sent_on TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Once per (agreement, expiry date, threshold): two jobs racing each other cannot record the
-- same reminder twice (the second is refused and records nothing).
CREATE UNIQUE INDEX expiry_reminders_once ON expiry_reminders (agreement_id, expires_on, days_before);
CREATE INDEX expiry_reminders_partnership ON expiry_reminders (partnership_id, created_at);
