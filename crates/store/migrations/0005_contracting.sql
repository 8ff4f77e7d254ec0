-- Dual-track contracting on the partnership's ledger (DESIGN.md §2, §4.3). The gate itself is
-- `cellpath_domain::contracting::missing_for_authorization`; these tables hold its facts.

-- A legal agreement between the partnership's two sides. Central kinds (master service
-- agreement, terms and conditions, data protection) bind the health system (site_id '');
-- quality and supply agreements may bind one site. Dates are `YYYY-MM-DD`, '' when not set.
-- coverage: {"covers":"all_sites"} or {"covers":"named","site_ids":[...]} (extended by joinder).
-- documents: [{name, sha256, bytes, added_on}]; amendments: [{title, effective_on}].
CREATE TABLE agreements (
    id TEXT PRIMARY KEY,
    partnership_id TEXT NOT NULL REFERENCES partnerships (id),
    kind TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('health_system', 'site')),
    site_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('not_started', 'drafting', 'negotiating', 'legal_review', 'executed', 'withdrawn')),
    owner_manufacturer TEXT NOT NULL,
    owner_health_system TEXT NOT NULL,
    effective_on TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    coverage TEXT NOT NULL,
    documents TEXT NOT NULL,
    amendments TEXT NOT NULL,
    redline_rounds BIGINT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX agreements_partnership ON agreements (partnership_id, kind);

-- A gate deliverable done at a site for a program, with its evidence; the e-signature that
-- makes it count is its own event, naming this record's event.
CREATE TABLE deliverable_records (
    id TEXT PRIMARY KEY,
    partnership_id TEXT NOT NULL REFERENCES partnerships (id),
    site_id TEXT NOT NULL REFERENCES sites (id),
    program_id TEXT NOT NULL REFERENCES programs (id),
    deliverable TEXT NOT NULL,
    done_on TEXT NOT NULL,
    evidence TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (partnership_id, site_id, program_id, deliverable)
);

-- The gate's verdict as last recorded for a program at a site: `authorized` since a day, or
-- `suspended` since a day with what went missing (a JSON list of sentences). A row appears
-- the first time a site is authorized; it changes only by `site_authorization.*` events on
-- the partnership's ledger, so both sides see every suspension and reinstatement.
CREATE TABLE site_authorizations (
    id TEXT PRIMARY KEY,
    partnership_id TEXT NOT NULL REFERENCES partnerships (id),
    site_id TEXT NOT NULL REFERENCES sites (id),
    program_id TEXT NOT NULL REFERENCES programs (id),
    status TEXT NOT NULL CHECK (status IN ('authorized', 'suspended')),
    since TEXT NOT NULL,
    missing TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (partnership_id, site_id, program_id)
);

-- A program's track template (`cellpath_domain::contracting::template`): the agreements and
-- gate deliverables with their `after` links and three-point estimates, on the manufacturer's
-- ledger. A program without a row uses the standard template.
CREATE TABLE track_templates (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    program_id TEXT NOT NULL UNIQUE REFERENCES programs (id),
    items TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
