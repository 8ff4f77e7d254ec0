-- Claims, payer profiles and exposure now (issue 14, points 2 and 3; DESIGN.md §4.6). Record
-- tables: replay rebuilds them from the health system's ledger (`payer_profile.created`,
-- `payer_profile.updated`, `claim.created`, `claim.stepped`) and, for the exposure, from the
-- partnership's `invoice.settled` too.
--
-- `payer_profiles`: how one of a health system's payers pays (JSON of the domain's
-- `finance::PayerProfile`: fixed amount, share of price, lag, denial and appeal figures in
-- basis points), edited in versions; one name per health system.
CREATE TABLE payer_profiles (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    name TEXT NOT NULL,
    profile TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX payer_profiles_name ON payer_profiles (org_id, name);

-- `claims`: the one claim of a case to its payer (the unique index keeps it one), where it
-- stands (`status`: submitted, paid, denied, appealed, unpaid) and the day of each step;
-- `last_on` the latest step's day (a step is never recorded before it).
CREATE TABLE claims (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    site_id TEXT NOT NULL,
    partnership_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    payer_profile_id TEXT NOT NULL,
    payer_name TEXT NOT NULL,
    submitted_on TEXT NOT NULL,
    claimed_cents BIGINT NOT NULL,
    expanded_access BIGINT NOT NULL,
    status TEXT NOT NULL,
    paid_cents BIGINT,
    paid_on TEXT,
    denied_on TEXT,
    denial_reason TEXT,
    appealed_on TEXT,
    unpaid_on TEXT,
    last_on TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX claims_case ON claims (case_id);
-- A health system's open claims (days in accounts receivable).
CREATE INDEX claims_open ON claims (org_id, status);

-- `exposure_flows`: every movement of a health system's money for its cases, by day — a
-- payment to a manufacturer (`out_cents`, from `invoice.settled` payment), a manufacturer's
-- credit or a payer's claim payment (`in_cents`) — so its exposure now is one indexed
-- aggregate, whatever the number of cases. `source_id` is the settlement or the claim.
CREATE TABLE exposure_flows (
    source_id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    day TEXT NOT NULL,
    out_cents BIGINT NOT NULL,
    in_cents BIGINT NOT NULL
);
CREATE INDEX exposure_flows_org ON exposure_flows (org_id, day);
-- The longest-waiting cases: a health system's sites' infused cases, oldest infusion first.
CREATE INDEX cases_site_infused ON cases (site_id, infused_at);
