-- What a list of cases shows and how it stays right.
--
-- A case's pseudonym names one case at its site, whichever partnership it runs under: two
-- manufacturers' programs whose names begin alike share the site's sequence (the app counts
-- `cases_named_like` and opens again on this key when two cases are opened at one moment).
CREATE UNIQUE INDEX cases_site_pseudonym ON cases (site_id, pseudonym);

-- The step the case last finished (done or skipped) and when: where it stands, in a list,
-- without folding its events. NULL until its first step is done.
ALTER TABLE cases ADD COLUMN last_step TEXT;
ALTER TABLE cases ADD COLUMN last_step_at BIGINT;
