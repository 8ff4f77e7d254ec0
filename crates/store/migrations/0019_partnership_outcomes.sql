-- How a partnership's proposal came out (issue 10, points 8 and 9). A record table's columns:
-- replay rebuilds them from the partnership's events.
--
-- `accepted_at` is when the health system accepted the proposal (`partnership.updated` to
-- active; microseconds, as `recorded_at`); NULL for a proposal never accepted. Only a
-- partnership once accepted opens the health system's sites when it has ended: a proposal
-- that was ended or declined before acceptance opened nothing, and opens nothing after.
-- It is also the moment from which a new site of the health system "joins" the onboarding.
ALTER TABLE partnerships ADD COLUMN accepted_at BIGINT;

-- A declined proposal (`partnership.declined`): status 'ended', with who declined (their
-- printed name) and why, if they said. NULL for a partnership not declined.
ALTER TABLE partnerships ADD COLUMN declined_by TEXT;
ALTER TABLE partnerships ADD COLUMN decline_reason TEXT;

-- Partnerships accepted before this migration: the first event that made them active (the
-- ledger's canonical JSON is compact with sorted keys, so `new` comes before `old`).
UPDATE partnerships SET accepted_at = (
    SELECT MIN(e.recorded_at) FROM events e
    WHERE e.ledger_id = partnerships.id
      AND e.kind = 'partnership.updated'
      AND e.body LIKE '%"new":{%"status":"active"%"old":{%'
);
