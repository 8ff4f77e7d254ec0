-- Manufacturing capacity and chained booking (issue 12; DESIGN.md §4.4). Record tables:
-- replay rebuilds them from `program_capacity.*` and `booking.*` events.
--
-- A program's capacity (its id is the program's), kept as the manufacturer states it: JSON
-- of the domain's `Capacity` (slots per day, closed days, lead times, monthly allocations).
CREATE TABLE program_capacities (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL,
    capacity TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- A site's booking for a case: requested (the apheresis day asked for), then confirmed with a
-- whole chain, waitlisted with a reason, or cancelled. The chain's days are '' and its slots
-- NULL until confirmed (and again after a cancellation frees them).
CREATE TABLE bookings (
    id TEXT PRIMARY KEY,
    partnership_id TEXT NOT NULL,
    site_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    asked_on TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    apheresis_on TEXT NOT NULL,
    apheresis_slot BIGINT,
    manufacturing_on TEXT NOT NULL,
    manufacturing_slot BIGINT,
    ships_on TEXT NOT NULL,
    arrives_on TEXT NOT NULL,
    expected_infusion_on TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- One booking in play per case: another is asked for only after this one is cancelled.
CREATE UNIQUE INDEX bookings_one_open ON bookings (case_id) WHERE status <> 'cancelled';
-- A program's requests waiting for the manufacturer, oldest first; its confirmed chains by
-- manufacturing day (what is booked around a day asked for).
CREATE INDEX bookings_program_status ON bookings (program_id, status, created_at);
CREATE INDEX bookings_program_manufacturing ON bookings (program_id, manufacturing_on) WHERE status = 'confirmed';
-- The slots a confirmed chain holds, two per booking. The primary key is what keeps capacity
-- from ever being oversold: whatever two confirmations read, only one row per (program, kind,
-- day, slot) can be written; a cancellation deletes the booking's rows.
CREATE TABLE slot_reservations (
    program_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    day TEXT NOT NULL,
    slot BIGINT NOT NULL,
    booking_id TEXT NOT NULL,
    PRIMARY KEY (program_id, kind, day, slot)
);
CREATE INDEX slot_reservations_booking ON slot_reservations (booking_id);
