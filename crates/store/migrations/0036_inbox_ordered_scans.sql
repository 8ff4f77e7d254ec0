-- The inbox across many partnerships (issue 12, point 4): each source is read as one ordered
-- range scan per partnership, cut at the page's end and merged (`Store::per_partnership`),
-- instead of one scan of every matching row sorted whole. For that each index must give the
-- source's whole order, ties included, so a branch stops after a page of rows.
--
-- The steps a role may do now, longest waiting first, ties by name, case and step (the order
-- `open_steps_for_role` answers in). It replaces 0026's `(role, partnership_id, since)`, of
-- which it is an extension: the navigation's count is the same range.
DROP INDEX case_open_steps_role;
CREATE INDEX case_open_steps_role ON case_open_steps (role, partnership_id, since, name, case_id, step);

-- Requests to confirm wait for the apheresis day asked for, then by how long they have waited
-- (0026's `(partnership_id, status, created_at)` serves the waitlist and the offers).
CREATE INDEX bookings_partnership_asked ON bookings (partnership_id, status, asked_on, created_at, case_id);
