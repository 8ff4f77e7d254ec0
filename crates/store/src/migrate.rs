//! Migrations: numbered SQL files compiled into the binary, applied in order, each in its own
//! transaction, recorded in `schema_migrations`.

use crate::StoreError;
use sqlx::{AnyPool, AssertSqlSafe};

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../migrations/0001_foundation.sql"),
    ),
    (
        2,
        "programs",
        include_str!("../migrations/0002_programs.sql"),
    ),
    (
        3,
        "refinement_readiness",
        include_str!("../migrations/0003_refinement_readiness.sql"),
    ),
    (
        4,
        "one_open_gap",
        include_str!("../migrations/0004_one_open_gap.sql"),
    ),
    (
        5,
        "contracting",
        include_str!("../migrations/0005_contracting.sql"),
    ),
    (
        6,
        "expiry_reminders",
        include_str!("../migrations/0006_expiry_reminders.sql"),
    ),
    (
        7,
        "deliverable_revocation",
        include_str!("../migrations/0007_deliverable_revocation.sql"),
    ),
    (
        8,
        "signing_lockout",
        include_str!("../migrations/0008_signing_lockout.sql"),
    ),
    (9, "jobs", include_str!("../migrations/0009_jobs.sql")),
    (
        10,
        "site_map_signatures",
        include_str!("../migrations/0010_site_map_signatures.sql"),
    ),
    (11, "cases", include_str!("../migrations/0011_cases.sql")),
    (
        12,
        "documents",
        include_str!("../migrations/0012_documents.sql"),
    ),
    (
        14,
        "registry_forms",
        include_str!("../migrations/0014_registry_forms.sql"),
    ),
    (
        15,
        "consent_versions",
        include_str!("../migrations/0015_consent_versions.sql"),
    ),
    (
        16,
        "case_list",
        include_str!("../migrations/0016_case_list.sql"),
    ),
    (
        17,
        "token_scope",
        include_str!("../migrations/0017_token_scope.sql"),
    ),
    (
        18,
        "time_zone",
        include_str!("../migrations/0018_time_zone.sql"),
    ),
    (
        19,
        "partnership_outcomes",
        include_str!("../migrations/0019_partnership_outcomes.sql"),
    ),
    (
        21,
        "site_gate_reads",
        include_str!("../migrations/0021_site_gate_reads.sql"),
    ),
    (
        23,
        "bookings",
        include_str!("../migrations/0023_bookings.sql"),
    ),
    (
        24,
        "waitlist",
        include_str!("../migrations/0024_waitlist.sql"),
    ),
    (
        25,
        "safety_reports",
        include_str!("../migrations/0025_safety_reports.sql"),
    ),
    (26, "inbox", include_str!("../migrations/0026_inbox.sql")),
    (
        27,
        "case_milestones",
        include_str!("../migrations/0027_case_milestones.sql"),
    ),
    (
        28,
        "exception_protocols",
        include_str!("../migrations/0028_exception_protocols.sql"),
    ),
    (
        29,
        "release_exceptions",
        include_str!("../migrations/0029_release_exceptions.sql"),
    ),
    (30, "outbox", include_str!("../migrations/0030_outbox.sql")),
    (
        32,
        "payments",
        include_str!("../migrations/0032_payments.sql"),
    ),
    (
        33,
        "exception_decisions",
        include_str!("../migrations/0033_exception_decisions.sql"),
    ),
    (35, "claims", include_str!("../migrations/0035_claims.sql")),
    (
        36,
        "inbox_ordered_scans",
        include_str!("../migrations/0036_inbox_ordered_scans.sql"),
    ),
    (
        37,
        "claims_to_follow_up",
        include_str!("../migrations/0037_claims_to_follow_up.sql"),
    ),
    (
        38,
        "ledger_records_seq",
        include_str!("../migrations/0038_ledger_records_seq.sql"),
    ),
];

/// Every migration's SQL, in order (e.g. for a test that reads the schema's unique keys).
pub fn texts() -> impl Iterator<Item = &'static str> {
    MIGRATIONS.iter().map(|(_, _, sql)| *sql)
}

/// A short fingerprint of every migration's text, naming test template databases so a
/// template made by an older schema is never reused.
pub fn fingerprint() -> String {
    // FNV-1a: stable across runs and platforms, unlike the std hasher.
    let mut h: u64 = 0xcbf29ce484222325;
    for (v, name, sql) in MIGRATIONS {
        for b in v
            .to_le_bytes()
            .iter()
            .chain(name.as_bytes())
            .chain(sql.as_bytes())
        {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    format!("{h:016x}")
}

pub(crate) async fn run(pool: &AnyPool) -> Result<Vec<String>, StoreError> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(pool)
    .await?;
    let done: Vec<(i64,)> = sqlx::query_as("SELECT version FROM schema_migrations")
        .fetch_all(pool)
        .await?;
    let mut applied = Vec::new();
    for (version, name, sql) in MIGRATIONS {
        if done.iter().any(|(v,)| v == version) {
            continue;
        }
        let mut tx = pool.begin().await?;
        for statement in statements(sql) {
            sqlx::query(AssertSqlSafe(statement))
                .execute(&mut *tx)
                .await?;
        }
        if *version == 10 {
            crate::project::backfill_site_map_signatures(&mut tx).await?;
        }
        if *version == 27 {
            crate::cases::figures::backfill_milestones(&mut tx).await?;
        }
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(*version)
        .bind(*name)
        .bind(now_micros())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        applied.push(format!("{version:04}_{name}"));
    }
    Ok(applied)
}

/// Split a migration into statements: drop `--` comments, split on `;`. Our migrations put no
/// `;` inside string literals.
fn statements(sql: &str) -> Vec<String> {
    let without_comments: String = sql
        .lines()
        .map(|l| match l.find("--") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    without_comments
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}
