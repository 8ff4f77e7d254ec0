-- Programs and their process map versions (DESIGN.md §4.1). A program is a manufacturer's
-- therapy; its facts (units, identifiers, dated prices) are JSON text. A map version is a
-- draft until published; a published version never changes (the projection refuses it).

CREATE TABLE programs (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    modality TEXT NOT NULL,
    units TEXT NOT NULL,
    identifiers TEXT NOT NULL,
    list_prices TEXT NOT NULL,
    requires_dual_verification BIGINT NOT NULL CHECK (requires_dual_verification IN (0, 1)),
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (org_id, name)
);

-- `number` counts a program's versions from 1; `content_hash` is the SHA-256 of the map's
-- canonical JSON, what a signature on the version names.
CREATE TABLE map_versions (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    number BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    map TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    published_at BIGINT,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (program_id, number)
);
