-- Release exceptions (issue 13, points 2-3): one row per exception of a case, on the
-- partnership's ledger. A record table: replay rebuilds it from `release_exception.created` /
-- `.updated` (`release_exception.notified`, the record of each tier told, keeps no row: the
-- ledger is its timeline).
--
-- `kind` is out_of_specification, manufacturing_failure or post_release_notice; the
-- certificate reference and SHA-256 are the quality system's decision; `lymphodepletion_started`
-- (0/1) is the first fact shown. `tier_reached` (0-based) and `tier_notified_at` are what the
-- escalation timer re-checks; `acknowledged_at` is null until the first acknowledgement,
-- `acknowledged_by` '' until then. Every change bumps `version`, and an update applies only
-- to the version it was decided on: an escalation and an acknowledgement decided on the same
-- version cannot both be written.
CREATE TABLE release_exceptions (
    id TEXT PRIMARY KEY,
    partnership_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    site_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    protocol_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    certificate_reference TEXT NOT NULL,
    certificate_sha256 TEXT NOT NULL,
    lymphodepletion_started BIGINT NOT NULL,
    opened_at BIGINT NOT NULL,
    tier_reached BIGINT NOT NULL,
    tier_notified_at BIGINT NOT NULL,
    acknowledged_at BIGINT,
    acknowledged_by TEXT NOT NULL,
    status TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- A case's exceptions; a partnership's open ones (the inbox, the SLA record).
CREATE INDEX release_exceptions_case ON release_exceptions (case_id);
CREATE INDEX release_exceptions_partnership ON release_exceptions (partnership_id, status, opened_at);
