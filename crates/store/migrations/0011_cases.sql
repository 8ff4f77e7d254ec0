-- Patients and their cases (issue 11). A record table each: replay rebuilds them from events.
--
-- `patients`: the identity, projected from `patient.registered` on the health system's ledger
-- (`org_id` is that ledger). Only the health system's own staff read it; `registration` is the
-- hash of the registering event, the reference a case on a partnership's ledger names.
CREATE TABLE patients (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    site_id TEXT NOT NULL,
    name TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    mrn TEXT NOT NULL,
    salt TEXT NOT NULL,
    registration TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- One patient per medical record number at a health system.
CREATE UNIQUE INDEX patients_mrn ON patients (org_id, mrn);
CREATE INDEX patients_registration ON patients (registration);

-- `cases`: one patient's therapy episode on the partnership's ledger, named by its pseudonym
-- (program code, site code, sequence) with initials, birth year and the salted hash of the
-- identity — never the identity itself. `status` is the fold's state (active, on_hold,
-- stopped, cancelled); `version` counts the case's events, so two people acting on the same
-- case from the same state cannot both write (the app checks it under the ledger's lock).
CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    partnership_id TEXT NOT NULL,
    site_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    map_version_id TEXT NOT NULL,
    pseudonym TEXT NOT NULL,
    initials TEXT NOT NULL,
    birth_year BIGINT NOT NULL,
    identity_sha256 TEXT NOT NULL,
    patient_registration TEXT NOT NULL,
    status TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX cases_pseudonym ON cases (partnership_id, pseudonym);
CREATE INDEX cases_site ON cases (site_id, program_id);

-- `case_events`: which events of the partnership's ledger are a case's, in order, so a case is
-- loaded by one query and folded, never found by scanning the ledger.
CREATE TABLE case_events (
    ledger_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    case_id TEXT NOT NULL,
    PRIMARY KEY (ledger_id, seq)
);
CREATE INDEX case_events_case ON case_events (case_id, seq);
