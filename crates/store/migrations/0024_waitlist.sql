-- The scored waitlist (issue 12, point 3; DESIGN.md §4.4). Record columns: replay rebuilds
-- them from `booking.*` events.
--
-- Who asked for the day (the user id; the confirmed chain's schedule step is recorded as
-- theirs). A waiting request's priority: score (NULL until scored), why, the criteria version,
-- who scored it. `skipped`: passed over for offers (1), with who and why, until it is scored
-- again. An offer's deadline (microseconds; NULL unless offered): its chain
-- sits in the booking's chain columns and its two slots in `slot_reservations`, so two offers
-- never share a slot.
ALTER TABLE bookings ADD COLUMN requested_by TEXT NOT NULL DEFAULT '';
ALTER TABLE bookings ADD COLUMN score BIGINT;
ALTER TABLE bookings ADD COLUMN score_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE bookings ADD COLUMN criteria_version TEXT NOT NULL DEFAULT '';
ALTER TABLE bookings ADD COLUMN scored_by TEXT NOT NULL DEFAULT '';
ALTER TABLE bookings ADD COLUMN skipped BIGINT NOT NULL DEFAULT 0;
ALTER TABLE bookings ADD COLUMN skip_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE bookings ADD COLUMN skipped_by TEXT NOT NULL DEFAULT '';
ALTER TABLE bookings ADD COLUMN offer_expires_at BIGINT;
-- The chains that hold slots (confirmed, or offered and not yet answered) by manufacturing
-- day: what is booked around a day asked for.
CREATE INDEX bookings_program_holding ON bookings (program_id, manufacturing_on) WHERE status IN ('confirmed', 'offered');
