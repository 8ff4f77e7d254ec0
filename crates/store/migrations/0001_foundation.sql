-- The foundation schema. Portable SQL that runs unchanged on SQLite and PostgreSQL through
-- sqlx `Any` (DESIGN.md §6): only TEXT and BIGINT columns; booleans are 0/1 with a CHECK;
-- times are integer microseconds since the Unix epoch (UTC); ids and JSON are text.

-- One row per ledger. Its `seq` is bumped by the first statement of every write transaction,
-- which is the ledger's lock: appends to one ledger are serialized, different ledgers are not.
CREATE TABLE ledger_heads (
    ledger_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('manufacturer', 'health_system', 'partnership')),
    seq BIGINT NOT NULL,
    head_hash TEXT NOT NULL,
    last_recorded_at BIGINT NOT NULL
);

-- The record itself. `body` holds the exact canonical bytes that were hashed (RFC 8785 JSON,
-- always UTF-8); verification hashes these bytes, never a re-serialization.
CREATE TABLE events (
    ledger_id TEXT NOT NULL REFERENCES ledger_heads (ledger_id),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (ledger_id, seq)
);

-- Current state, written only by `project` in the same transaction as the event.
CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('manufacturer', 'health_system')),
    name TEXT NOT NULL UNIQUE,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE sites (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    code TEXT NOT NULL,
    city TEXT NOT NULL,
    region TEXT NOT NULL,
    active BIGINT NOT NULL CHECK (active IN (0, 1)),
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (org_id, code)
);

-- A facility may serve several sites (a shared cell lab); `site_facilities` says which.
CREATE TABLE facilities (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('clinical', 'collection', 'processing')),
    site_ids TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE site_facilities (
    site_id TEXT NOT NULL REFERENCES sites (id),
    facility_id TEXT NOT NULL REFERENCES facilities (id),
    PRIMARY KEY (site_id, facility_id)
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    active BIGINT NOT NULL CHECK (active IN (0, 1)),
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE partnerships (
    id TEXT PRIMARY KEY,
    manufacturer_id TEXT NOT NULL REFERENCES organizations (id),
    health_system_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    programs TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('proposed', 'active', 'ended')),
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (manufacturer_id, health_system_id, name)
);

-- Personal API tokens: only the SHA-256 of the token is kept. `last_used_at` is operational.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    last_used_at BIGINT
);

-- E-signatures, projected from `signature.recorded` events so a record can list its signatures.
CREATE TABLE signatures (
    event_hash TEXT PRIMARY KEY,
    ledger_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    target TEXT NOT NULL,
    signer_user_id TEXT NOT NULL,
    printed_name TEXT NOT NULL,
    meaning TEXT NOT NULL,
    signed_at BIGINT NOT NULL
);
CREATE INDEX signatures_target ON signatures (target);

-- Operational rows (not part of the record, DESIGN.md §3).

-- Password hashes (argon2id) and lock-out counters.
CREATE TABLE credentials (
    user_id TEXT PRIMARY KEY REFERENCES users (id),
    password_hash TEXT NOT NULL,
    failed_attempts BIGINT NOT NULL,
    locked_until BIGINT NOT NULL
);

-- Web sessions: the cookie carries a random id; only its SHA-256 is stored.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Answers to POST/PATCH/sign requests by Idempotency-Key, written in the same transaction as
-- the event, kept 24 hours.
CREATE TABLE idempotency (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status BIGINT NOT NULL,
    response TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
