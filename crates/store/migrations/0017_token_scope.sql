-- An API token's expiry and scope (issue 10, point 16).
--
-- `expires_on`: the last day (UTC) the token is accepted, '' when it does not expire; the day
-- after, the API refuses it with 401 and says it expired. `read_only`: 1 when the token may
-- only read (GET); any write through it is refused with 403. Tokens made before this
-- migration keep working as they did: no expiry, read and write.
ALTER TABLE api_tokens ADD COLUMN expires_on TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN read_only BIGINT NOT NULL DEFAULT 0 CHECK (read_only IN (0, 1));
