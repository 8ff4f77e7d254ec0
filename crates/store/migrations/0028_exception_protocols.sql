-- Release-exception protocols (issue 13, point 1): a partnership's protocol for a program, in
-- versions on the partnership's ledger. A record table: replay rebuilds it from
-- `exception_protocol.created` / `.updated`.
--
-- `number` counts the versions of a partnership and program (1, 2, …). `protocol` is the
-- domain's `release_exception::Protocol` as JSON (tiers, patient communication, decision
-- deadline, options per kind); `content_sha256` the hash of its canonical JSON, which each
-- side's e-signature (`signature.recorded`) names. `manufacturer_signer` and
-- `health_system_signer` are the users who signed for each side ('' until then); the second
-- signature makes the version `agreed` on `agreed_on` ('' while a draft) and the version agreed
-- before it `superseded`. The gate's "release-exception protocol agreed" item is derived from
-- the agreed versions (`contracting::gate`).
CREATE TABLE exception_protocols (
    id TEXT PRIMARY KEY,
    partnership_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    number BIGINT NOT NULL,
    protocol TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    status TEXT NOT NULL,
    manufacturer_signer TEXT NOT NULL,
    health_system_signer TEXT NOT NULL,
    agreed_on TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Two people drafting at once cannot both take the same number.
CREATE UNIQUE INDEX exception_protocols_number ON exception_protocols (partnership_id, program_id, number);
-- One agreed version per partnership and program: a newer one is agreed in the same command
-- that supersedes the one before (that event comes first).
CREATE UNIQUE INDEX exception_protocols_one_agreed ON exception_protocols (partnership_id, program_id) WHERE status = 'agreed';
