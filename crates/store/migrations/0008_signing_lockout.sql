-- Security issue 8: wrong passwords re-entered to sign count against signing, not against
-- signing in. A person's signing has its own counter and lock, so five wrong signing passwords
-- through an API token pause that person's signatures (on every channel) without locking them
-- out of the web; wrong sign-in passwords keep counting in failed_attempts / locked_until.
ALTER TABLE credentials ADD COLUMN signing_failed_attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE credentials ADD COLUMN signing_locked_until BIGINT NOT NULL DEFAULT 0;
-- Through what each signature came (the payload's optional `channel`, as its JSON), '' for
-- signatures recorded before the channel was.
ALTER TABLE signatures ADD COLUMN channel TEXT NOT NULL DEFAULT '';
