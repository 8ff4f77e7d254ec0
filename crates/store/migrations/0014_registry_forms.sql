-- Registry follow-up forms (issue 11, point 7). A record table: replay rebuilds it from the
-- case events. `case.registry_scheduled` (the first infusion) inserts one row per scheduled
-- form; `case.registry_form_submitted` sets `submitted_on` and `reference`; `case.cancelled`
-- removes the forms not yet submitted (a cancelled case takes no submission, so its forms are
-- neither due nor overdue). Dates are `YYYY-MM-DD` text, which sorts as dates do; `''` is
-- "not yet" (submitted on, reference), as elsewhere.
CREATE TABLE registry_forms (
    case_id TEXT NOT NULL,
    form_key TEXT NOT NULL,
    partnership_id TEXT NOT NULL,
    site_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    pseudonym TEXT NOT NULL,
    form TEXT NOT NULL,
    occurrence BIGINT NOT NULL,
    due_when TEXT NOT NULL,
    opens_on TEXT NOT NULL,
    due_on TEXT NOT NULL,
    closes_on TEXT NOT NULL,
    submitted_on TEXT NOT NULL DEFAULT '',
    reference TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (case_id, form_key)
);
-- "Due and overdue forms at a site": the open forms of the site, by the day their window
-- closes (overdue: closes before today; due: opens on or before today and closes on or after
-- it) — one range scan of this partial index, most urgent first.
CREATE INDEX registry_forms_open ON registry_forms (site_id, closes_on, opens_on)
    WHERE submitted_on = '';
-- "Submitted forms at a site", latest first.
CREATE INDEX registry_forms_submitted ON registry_forms (site_id, submitted_on)
    WHERE submitted_on <> '';
