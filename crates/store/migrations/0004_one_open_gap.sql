-- At most one open gap per requirement at a facility of a site: two gap analyses racing each
-- other cannot open the same gap twice (the second is refused and opens nothing).
CREATE UNIQUE INDEX gaps_one_open ON gaps (partnership_id, site_id, program_id, facility_id, requirement_key) WHERE status = 'open';
