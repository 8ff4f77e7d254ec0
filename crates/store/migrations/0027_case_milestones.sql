-- Vein-to-vein figures (issue 12, point 6): each case's milestones on its row, projected with
-- its events (the domain's `figures::milestone`: the starting material's first handoff, the
-- "released" decision, the first administration that put any of a unit into the patient),
-- microseconds, NULL until they happen; the first of each is kept. Filled in from the events
-- for a database written before it.
ALTER TABLE cases ADD COLUMN collected_at BIGINT;
ALTER TABLE cases ADD COLUMN released_at BIGINT;
ALTER TABLE cases ADD COLUMN infused_at BIGINT;
-- The figures read a set of partnerships' cases that are open or were infused, stopped or
-- cancelled in the last year (by partnership, then by the infusion), and their bookings (by
-- partnership, then by the request).
CREATE INDEX cases_figures ON cases (partnership_id, infused_at);
CREATE INDEX bookings_partnership ON bookings (partnership_id, created_at);
