-- Signatures on site map versions as the gate reads them (issue 9): the version and the
-- content each signature is on — both named in the signature's payload — projected with the
-- signature event, so the gate knows which versions both sides signed without rebuilding
-- every site map of the partnership. A record table: replay rebuilds it from the events.
-- Signatures recorded before this migration are filled in from their events by the step
-- migrate.rs runs with it.
CREATE TABLE site_map_signatures (
    event_hash TEXT PRIMARY KEY,
    partnership_id TEXT NOT NULL,
    site_map_version_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    signer_user_id TEXT NOT NULL,
    signed_at BIGINT NOT NULL
);
CREATE INDEX site_map_signatures_partnership ON site_map_signatures (partnership_id);
