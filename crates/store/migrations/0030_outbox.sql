-- The outbox (issue 13, point 4): what an organization is told leaves through it — one row per
-- recipient and channel, written in the transaction of the command that caused it, delivered
-- by a job that records every attempt.
--
-- `webhook_endpoints`: a record table, projected from the `webhook_endpoint.*` events on the
-- organization's ledger. `kinds` is a JSON array of notification kinds ('[]': all of them).
-- `status`: active | disabled (by an admin) | unhealthy (failed too often in a row; no longer
-- tried until an admin enables it again).
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    url TEXT NOT NULL,
    kinds TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (org_id, created_at);

-- Operational, never on the ledger: the secret the endpoint's deliveries are signed with (the
-- signer must hold it in clear; it is shown to the admin once), and how many deliveries in a
-- row failed (reset by a success or by enabling the endpoint again).
CREATE TABLE webhook_endpoint_state (
    endpoint_id TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    consecutive_failures BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- One message to one recipient on one channel. `id` is the stable event id a receiver
-- deduplicates on: every attempt carries it. `channel`: webhook (target = endpoint id) | email
-- (target = address). `status`: pending | delivered | held (its endpoint is unhealthy or
-- disabled; sent when it is enabled again) | failed (gave up).
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    target TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT NOT NULL,
    source_event TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX outbox_org ON outbox (org_id, created_at);
CREATE INDEX outbox_target ON outbox (target, status);

-- Every attempt at delivering a message and its result: the HTTP status (none when the
-- request did not get an answer, and for e-mail), the error, how long it took.
CREATE TABLE delivery_attempts (
    outbox_id TEXT NOT NULL,
    attempt BIGINT NOT NULL,
    org_id TEXT NOT NULL,
    target TEXT NOT NULL,
    at BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    status_code BIGINT,
    error TEXT,
    ok BIGINT NOT NULL,
    PRIMARY KEY (outbox_id, attempt)
);
CREATE INDEX delivery_attempts_org ON delivery_attempts (org_id, at);
