-- Consent documents (issue 11, point 2): a site's informed-consent form for a program, in
-- versions on the partnership's ledger. A record table: replay rebuilds it from
-- `consent_version.created` / `.updated`.
--
-- `number` counts the versions of a site and program (1, 2, …). The form's file is kept by
-- hash (`document_sha256`, an uploaded document or one kept elsewhere) under the name it was
-- uploaded with. `sections` is the form's sections as JSON (`[{kind, heading, text}]`); a
-- version is made active only with a `manufacturing_failure` section saying enough (the rule
-- is the domain's `consent`). `status` moves draft → active → retired; `activated_on` and
-- `retired_on` are '' until then, as the ledger holds them; `retired_reason` says why
-- (superseded by a newer version, withdrawn).
CREATE TABLE consent_versions (
    id TEXT PRIMARY KEY,
    partnership_id TEXT NOT NULL,
    site_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    number BIGINT NOT NULL,
    document_name TEXT NOT NULL,
    document_sha256 TEXT NOT NULL,
    effective_on TEXT NOT NULL,
    sections TEXT NOT NULL,
    status TEXT NOT NULL,
    activated_on TEXT NOT NULL,
    retired_on TEXT NOT NULL,
    retired_reason TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Two people adding a version at once cannot both take the same number.
CREATE UNIQUE INDEX consent_versions_number ON consent_versions (partnership_id, site_id, program_id, number);
-- One active version per site and program: a newer one is made active in the same command
-- that retires the one before (that event comes first).
CREATE UNIQUE INDEX consent_versions_one_active ON consent_versions (partnership_id, site_id, program_id) WHERE status = 'active';
-- Which records name a document (who may download it).
CREATE INDEX consent_versions_document ON consent_versions (document_sha256);
