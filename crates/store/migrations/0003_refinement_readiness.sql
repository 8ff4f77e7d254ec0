-- Site refinements of process maps and site readiness, on the partnership's ledger
-- (DESIGN.md §4.1, §4.2). JSON documents are text; their shapes are the domain's
-- (`cellpath_domain::refinement`, `cellpath_domain::readiness`).

-- A program's requirements: typed checks on facility capabilities.
ALTER TABLE programs ADD COLUMN requirements TEXT NOT NULL DEFAULT '[]';

-- A site's version of a program's published map. Which sides have signed it is read from
-- `signatures` (on the version's content hash), never stored twice.
CREATE TABLE site_map_versions (
    id TEXT PRIMARY KEY,
    partnership_id TEXT NOT NULL REFERENCES partnerships (id),
    site_id TEXT NOT NULL REFERENCES sites (id),
    program_id TEXT NOT NULL REFERENCES programs (id),
    base_map_version_id TEXT NOT NULL REFERENCES map_versions (id),
    number BIGINT NOT NULL,
    refinement TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (site_id, program_id, number)
);

-- A site's proposed change to a controlled step, and the manufacturer's decision.
CREATE TABLE map_proposals (
    id TEXT PRIMARY KEY,
    partnership_id TEXT NOT NULL REFERENCES partnerships (id),
    site_map_version_id TEXT NOT NULL REFERENCES site_map_versions (id),
    step_key TEXT NOT NULL,
    proposed TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
    decision_reason TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE site_visits (
    id TEXT PRIMARY KEY,
    partnership_id TEXT NOT NULL REFERENCES partnerships (id),
    site_id TEXT NOT NULL REFERENCES sites (id),
    visited_on TEXT NOT NULL,
    visitors TEXT NOT NULL,
    facility_ids TEXT NOT NULL,
    observations TEXT NOT NULL,
    findings TEXT NOT NULL,
    attachments TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- An unmet requirement at a facility (or, with facility_id '', at a site lacking the kind of
-- facility it needs). It closes only with evidence and a signature in the same command.
CREATE TABLE gaps (
    id TEXT PRIMARY KEY,
    partnership_id TEXT NOT NULL REFERENCES partnerships (id),
    site_id TEXT NOT NULL REFERENCES sites (id),
    program_id TEXT NOT NULL REFERENCES programs (id),
    facility_id TEXT NOT NULL,
    requirement_key TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('blocking', 'major', 'minor')),
    expected TEXT NOT NULL,
    observed TEXT NOT NULL,
    owner_role TEXT NOT NULL,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    evidence TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX gaps_site ON gaps (site_id, status);
