-- Durable jobs and timers (issue 9, DESIGN.md §3). What must follow a command — the gate's
-- review after a change, the hourly expiry check — is a row here, written in the same
-- transaction as the event that causes it, so a crash between the commit and the reaction
-- loses nothing. A worker claims due rows with a lease and runs each as an ordinary command.
-- Operational rows: not part of the record, never replayed, purged some days after done.
--
-- due_at is when the job may run (later than created_at for a timer); lease_until is when a
-- running job's claim runs out (NULL unless running), after which another worker may take it
-- again; attempts counts the claims, and the attempt a claim made is its fence: a worker whose
-- lease ran out cannot complete or fail a job claimed again since.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    attempts BIGINT NOT NULL,
    lease_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- One untried job per key: a second cause of the same work while the first job still waits
-- adds nothing (the insert does nothing on conflict). A job waiting for a retry does not
-- count: the new cause gets its own, due now, rather than waiting out the backoff.
CREATE UNIQUE INDEX jobs_queued_once ON jobs (dedupe_key) WHERE status = 'queued' AND attempts = 0;
CREATE INDEX jobs_due ON jobs (status, due_at);
-- One row per attempt (a claim): when it started and finished, and how it ended — done,
-- failed with its error, or lease_expired when its worker vanished (e.g. kill -9) and the job
-- was claimed again.
CREATE TABLE job_attempts (
    job_id TEXT NOT NULL REFERENCES jobs (id),
    attempt BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    outcome TEXT NOT NULL CHECK (outcome IN ('running', 'done', 'failed', 'lease_expired')),
    error TEXT,
    PRIMARY KEY (job_id, attempt)
);
