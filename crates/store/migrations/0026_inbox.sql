-- One inbox (issue 12, point 4): what a person may do now, read from indexes kept with the
-- events, never recomputed per request.
--
-- `case_open_steps`: the journey steps open on each active case now, one row per step and role
-- that may act on it (a signature step waiting for two roles has two rows). What is open
-- follows from the case folded on its map (the journey engine's `available`), which only the
-- app holds: the app writes a case's rows in the transaction of every command on the case,
-- under the ledger's lock, replacing what was there (an operational index, like `jobs`:
-- `App::reindex_open_steps` writes it again from the events, e.g. after a replay). `since`
-- is when the step's row was first written: how long it has waited.
CREATE TABLE case_open_steps (
    case_id TEXT NOT NULL,
    step TEXT NOT NULL,
    role TEXT NOT NULL,
    partnership_id TEXT NOT NULL,
    site_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    pseudonym TEXT NOT NULL,
    name TEXT NOT NULL,
    stage TEXT NOT NULL,
    attempt BIGINT NOT NULL,
    waiting TEXT NOT NULL,
    since BIGINT NOT NULL,
    PRIMARY KEY (case_id, step, role)
);
-- "The steps a role may do now under these partnerships", longest waiting first: one range
-- scan per partnership; the count is the same scan.
CREATE INDEX case_open_steps_role ON case_open_steps (role, partnership_id, since);
-- The manufacturer's cases by stage.
CREATE INDEX case_open_steps_stage ON case_open_steps (partnership_id, stage);

-- `open_adverse_events`: a record table, projected from the case events — an adverse event
-- recorded on a case is open until its outcome is final (resolved or fatal). What the site's
-- nurses and physicians have to complete, without folding any case.
CREATE TABLE open_adverse_events (
    case_id TEXT NOT NULL,
    adverse_event BIGINT NOT NULL,
    partnership_id TEXT NOT NULL,
    site_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    pseudonym TEXT NOT NULL,
    kind TEXT NOT NULL,
    onset_at BIGINT NOT NULL,
    PRIMARY KEY (case_id, adverse_event)
);
CREATE INDEX open_adverse_events_partnership ON open_adverse_events (partnership_id, onset_at);

-- Open registry forms under a partnership by the day their window closes (a health system's
-- inbox spans its partnerships, not one site).
CREATE INDEX registry_forms_partnership_open ON registry_forms (partnership_id, closes_on, opens_on)
    WHERE submitted_on = '';

-- Bookings under a partnership by status, oldest first (the manufacturer's requests to
-- confirm and waitlist to decide).
CREATE INDEX bookings_partnership_status ON bookings (partnership_id, status, created_at);
