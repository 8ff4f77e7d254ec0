-- Payment alignment (issue 14; DESIGN.md §4.6). Record tables: replay rebuilds them from
-- `payment_terms.created`, `invoice.created` and `invoice.settled` on the partnership's ledger.
--
-- `payment_terms`: one row per dated set of a program's terms in a partnership, proposed by
-- the manufacturer; the latest `effective_on` on or before a day is in force. `terms` is JSON
-- of the domain's `finance::PaymentTerms` (price in cents, basis, backstop, net days, denial
-- protection, not-infused credit, outcomes refund).
CREATE TABLE payment_terms (
    id TEXT PRIMARY KEY,
    partnership_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    effective_on TEXT NOT NULL,
    terms TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX payment_terms_program ON payment_terms (partnership_id, program_id, effective_on);

-- `invoices`: the one invoice of a case (the unique index keeps it one, whatever runs the
-- job twice), made at its basis event (`basis_event`, `basis_on`) under `terms_id`, due on
-- `due_on`; `paid_cents` and `credited_cents` sum its settlements.
CREATE TABLE invoices (
    id TEXT PRIMARY KEY,
    partnership_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    site_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    terms_id TEXT NOT NULL,
    basis_event TEXT NOT NULL,
    basis_on TEXT NOT NULL,
    price_cents BIGINT NOT NULL,
    due_on TEXT NOT NULL,
    paid_cents BIGINT NOT NULL DEFAULT 0,
    credited_cents BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX invoices_case ON invoices (case_id);
CREATE INDEX invoices_partnership ON invoices (partnership_id, due_on);

-- `invoice_settlements`: each payment (by the health system) or credit (by the manufacturer)
-- recorded against an invoice, on the day it was made.
CREATE TABLE invoice_settlements (
    id TEXT PRIMARY KEY,
    invoice_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    settled_on TEXT NOT NULL,
    by_user TEXT NOT NULL,
    by_name TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX invoice_settlements_invoice ON invoice_settlements (invoice_id, settled_on);
