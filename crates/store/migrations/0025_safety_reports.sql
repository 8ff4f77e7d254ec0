-- Safety reports (issue 12, point 5; DESIGN.md §2, §4.4). A record table: replay rebuilds it
-- from the case events and `safety_report.acknowledged`.
--
-- One row per adverse event of a case, as it reaches the manufacturer: written with the
-- case's `case.adverse_event_recorded` (version 1) and changed by each of its later
-- `case.adverse_event_observed | _treated | _outcome` (version + 1), so the report is always
-- the adverse event as it stands. `body` is JSON of the domain's `journey::AdverseEvent`
-- (observations with the findings each grade comes from, treatments, outcome) — the case knows
-- its patient only by pseudonym, and so does the report. `grade` is the event's ASTCT grade
-- (the worst of its observations, 5 when fatal); `outcome` its status (ongoing, resolved,
-- fatal). The partnership's manufacturer is copied in for its list.
--
-- `acknowledged_version` is the version the manufacturer's safety role last acknowledged (0:
-- never), with who (`acknowledged_by`, `acknowledged_by_name`) and when; `pending` is 1 while
-- the report is not acknowledged at its current version — never acknowledged, or updated since.
CREATE TABLE safety_reports (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    adverse_event BIGINT NOT NULL,
    partnership_id TEXT NOT NULL,
    manufacturer_id TEXT NOT NULL,
    site_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    pseudonym TEXT NOT NULL,
    kind TEXT NOT NULL,
    onset_at BIGINT NOT NULL,
    grade BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    body TEXT NOT NULL,
    acknowledged_version BIGINT NOT NULL DEFAULT 0,
    acknowledged_by TEXT NOT NULL DEFAULT '',
    acknowledged_by_name TEXT NOT NULL DEFAULT '',
    acknowledged_at BIGINT,
    pending BIGINT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- A case's reports, by adverse event number (the case page's acknowledgements).
CREATE UNIQUE INDEX safety_reports_case ON safety_reports (case_id, adverse_event);
-- A manufacturer's reports: those waiting for an acknowledgement first, latest change first —
-- one range scan for the list and the inbox's count.
CREATE INDEX safety_reports_manufacturer ON safety_reports (manufacturer_id, pending, updated_at);
