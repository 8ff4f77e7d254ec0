-- An organization's time zone (issue 10, point 12): an IANA name of the tz database
-- (`America/Chicago`), set by its admin; pages show times on that zone's clock, with UTC on
-- hover. '' until set, read as UTC. Stored times stay UTC microseconds.
ALTER TABLE organizations ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
