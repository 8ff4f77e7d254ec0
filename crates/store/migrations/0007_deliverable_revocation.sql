-- A recorded deliverable can be revoked (issue 4): a failed re-audit, staff training that
-- lapsed, a consent version withdrawn, or a mistake. The row stays (one per site, program and
-- deliverable); revoked_on is the day it stopped counting and revoked_reason says why, both
-- empty while it counts. Recording it done again clears them; the ledger keeps every version
-- with its signature.
ALTER TABLE deliverable_records ADD COLUMN revoked_on TEXT NOT NULL DEFAULT '';
ALTER TABLE deliverable_records ADD COLUMN revoked_reason TEXT NOT NULL DEFAULT '';
