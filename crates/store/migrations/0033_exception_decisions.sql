-- Release exceptions' decisions (issue 13, points 2-3): the patient told, the decision among
-- the options the protocol offers for the kind, expanded access's prerequisites, and the
-- close signed by each side — all folded into the exception's row by versioned
-- `release_exception.updated` events, so two commands decided on one version cannot both be
-- written. What each carried in full (how the patient was told, the care-transition plan, the
-- IRB's reference…) is on the ledger (`release_exception.patient_told`, `.decided`,
-- `.prerequisite_recorded`, and `signature.recorded` for the close): the exception's timeline.
--
-- `patient_told_at` / `decided_at` / `*_signed_at` are null until done, their `*_by` ''.
-- `decision` is '' until decided, else a decision option (remanufacture, re_collection,
-- expanded_access, other_therapy, enhanced_monitoring, cancel). `prerequisites` is a JSON list
-- of the expanded-access prerequisites recorded (physician_request, irb_approval,
-- expanded_access_consent, manufacturer_release).
ALTER TABLE release_exceptions ADD COLUMN patient_told_at BIGINT;
ALTER TABLE release_exceptions ADD COLUMN patient_told_by TEXT NOT NULL DEFAULT '';
ALTER TABLE release_exceptions ADD COLUMN decision TEXT NOT NULL DEFAULT '';
ALTER TABLE release_exceptions ADD COLUMN decided_at BIGINT;
ALTER TABLE release_exceptions ADD COLUMN decided_by TEXT NOT NULL DEFAULT '';
ALTER TABLE release_exceptions ADD COLUMN prerequisites TEXT NOT NULL DEFAULT '[]';
ALTER TABLE release_exceptions ADD COLUMN manufacturer_signed_at BIGINT;
ALTER TABLE release_exceptions ADD COLUMN manufacturer_signed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE release_exceptions ADD COLUMN health_system_signed_at BIGINT;
ALTER TABLE release_exceptions ADD COLUMN health_system_signed_by TEXT NOT NULL DEFAULT '';
