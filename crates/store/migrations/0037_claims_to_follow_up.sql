-- Claims to follow up (issue 14: claims waiting appear in the health system's finance inbox):
-- a partnership's claims by status and the day of their latest step, read as one ordered
-- scan per partnership (`Store::claims_to_follow_up`) and counted in the inbox's statement.
CREATE INDEX claims_follow_up ON claims (partnership_id, status, last_on);
