//! Contracting: agreements, gate deliverables and the gate's verdicts on the ledger.

use super::{DEMO_PASSWORD, HISTORY_DAYS, Launch, find, launch, user};
use crate::consent::{NewConsentVersion, SectionInput};
use crate::contracting::{AgreementInput, DeliverableInput, DocumentInput};
use crate::{App, AppError, Caller};
use cellpath_domain::LedgerInt;
use cellpath_domain::contracting::{AgreementKind, Deliverable, Scope};
use cellpath_store::Page;

/// A site's consent form for a program (`title`, e.g. "LUH-MAIN Vantacel"): uploaded, added as
/// version 1 with its sections (the manufacturing-failure one among them), and made active —
/// the gate's consent item rests on it, and the demo's cases record their patients' consent
/// against it.
pub(super) async fn consent_version(
    app: &App,
    by: &Caller,
    site_id: &str,
    program_id: &str,
    title: &str,
    sections: &[(&str, &str, &str)],
) -> Result<(), AppError> {
    let form = sections
        .iter()
        .map(|(_, heading, text)| format!("{heading}\n\n{text}\n"))
        .collect::<Vec<_>>()
        .join("\n");
    let uploaded = app
        .upload(
            by,
            &format!("{title} informed consent v1.txt"),
            format!("Informed consent: {title}\n\n{form}").as_bytes(),
        )
        .await?;
    let today = cellpath_domain::Date::of_micros(app.now());
    let v = app
        .create_consent_version(
            by,
            site_id,
            NewConsentVersion {
                program_id: program_id.into(),
                document_sha256: uploaded.sha256,
                document_name: uploaded.name,
                effective_on: today.plus_days(-20).as_str().into(),
                sections: sections
                    .iter()
                    .map(|(kind, heading, text)| SectionInput {
                        kind: (*kind).into(),
                        heading: (*heading).into(),
                        text: (*text).into(),
                    })
                    .collect(),
            },
            None,
        )
        .await?
        .fresh()?;
    app.activate_consent_version(by, &v.id, Some(v.version), DEMO_PASSWORD, None)
        .await?
        .fresh()?;
    Ok(())
}

/// The demo consent form's sections: (kind, heading, text).
const CONSENT_SECTIONS: &[(&str, &str, &str)] = &[
    (
        "other",
        "What the treatment is",
        "Vantacel is made from your own T cells, collected by apheresis and sent to Helixa's manufacturing site.",
    ),
    (
        "manufacturing_failure",
        "If your cells cannot be made into Vantacel",
        "Sometimes the product cannot be manufactured, or does not meet its release specification. If that happens your care team will tell you, may offer a second collection, and will discuss other treatment with you; you will not be charged for a product that was not made.",
    ),
    (
        "other",
        "Risks",
        "Cytokine release syndrome and neurologic effects (ICANS) can occur; you will stay near the treatment center for at least four weeks after the infusion.",
    ),
];

/// An agreement of the partnership taken to executed, as its contracts leads do it: created by
/// the manufacturer's (both leads its owners), dated by the health system's, the executed
/// document added, executed; in effect over `(effective, expires)` (`YYYY-MM-DD`).
#[allow(clippy::too_many_arguments)]
pub(super) async fn execute_agreement(
    app: &App,
    manufacturer: &Caller,
    health_system: &Caller,
    partnership_id: &str,
    kind: AgreementKind,
    scope: Scope,
    site: Option<String>,
    (effective, expires): (&str, &str),
) -> Result<crate::views::Agreement, AppError> {
    let org = |c: &Caller| c.principal.as_ref().map(|p| p.user_id.clone());
    let a = app
        .create_agreement(
            manufacturer,
            partnership_id,
            AgreementInput {
                kind: kind.as_str().into(),
                scope: scope.as_str().into(),
                site_id: site,
                coverage: None,
                owner_manufacturer: org(manufacturer),
                owner_health_system: org(health_system),
            },
            None,
        )
        .await?
        .fresh()?;
    let a = app
        .set_agreement_dates(health_system, &a.id, a.version, effective, expires, None)
        .await?
        .fresh()?;
    let a = app
        .add_document(
            manufacturer,
            &a.id,
            a.version,
            DocumentInput {
                name: format!("{}-executed.pdf", kind.as_str().replace('_', "-")),
                sha256: cellpath_ledger::content_hash(&serde_json::json!({
                    "demo": kind.as_str(), "site": a.site_id,
                }))
                .map_err(|e| AppError::Internal(e.to_string()))?,
                bytes: LedgerInt::from(482_113),
            },
            None,
        )
        .await?
        .fresh()?;
    app.move_agreement(health_system, &a.id, a.version, "executed", None)
        .await?
        .fresh()
}

/// Gate deliverables recorded at a site for a program, each signed by who did the work:
/// (who, deliverable, done on, evidence).
pub(super) async fn record_deliverables(
    app: &App,
    partnership_id: &str,
    site_id: &str,
    program_id: &str,
    done: &[(&Caller, Deliverable, &str, &str)],
) -> Result<(), AppError> {
    for (who, deliverable, on, evidence) in done {
        app.record_deliverable(
            who,
            partnership_id,
            DeliverableInput {
                site_id: site_id.into(),
                program_id: program_id.into(),
                deliverable: deliverable.as_str().into(),
                done_on: (*on).into(),
                evidence: (*evidence).into(),
            },
            DEMO_PASSWORD,
            None,
        )
        .await?
        .fresh()?;
    }
    Ok(())
}

/// Agreements and gate deliverables: Helixa × Lakeshore has its central agreements executed
/// for all sites and LUH-MAIN's local ones, so LUH-MAIN is authorized for Vantacel while
/// LUH-NORTH is still negotiating; Northbridge × Piedmont is in legal review of its data
/// protection agreement after two redline rounds.
pub(super) async fn contracting_work(app: &App) -> Result<(), AppError> {
    let helixa_contracts = user(app, "contracts@helixa.example").await?;
    let lakeshore_contracts = user(app, "contracts@lakeshore.example").await?;
    let helixa_onboarding = user(app, "onboarding@helixa.example").await?;
    let org = |c: &Caller| c.principal.as_ref().map(|p| p.user_id.clone());
    let Launch {
        lakeshore,
        pship,
        vantacel,
        sites,
    } = launch(app).await?;
    let main = find(sites.clone(), "LUH-MAIN", |s| s.code == "LUH-MAIN").await?;
    let north = find(sites, "LUH-NORTH", |s| s.code == "LUH-NORTH").await?;

    let execute = |kind: AgreementKind, scope: Scope, site: Option<String>| {
        execute_agreement(
            app,
            &helixa_contracts,
            &lakeshore_contracts,
            &pship.id,
            kind,
            scope,
            site,
            ("2025-06-01", "2030-05-31"),
        )
    };
    for kind in [
        AgreementKind::MasterServiceAgreement,
        AgreementKind::TermsAndConditions,
        AgreementKind::DataProtection,
    ] {
        execute(kind, Scope::HealthSystem, None).await?;
    }
    for kind in [
        AgreementKind::QualityAgreement,
        AgreementKind::SupplyAgreement,
    ] {
        execute(kind, Scope::Site, Some(main.id.clone())).await?;
    }
    // LUH-NORTH: its quality agreement is still being negotiated.
    let q = app
        .create_agreement(
            &helixa_contracts,
            &pship.id,
            AgreementInput {
                kind: AgreementKind::QualityAgreement.as_str().into(),
                scope: Scope::Site.as_str().into(),
                site_id: Some(north.id.clone()),
                coverage: None,
                owner_manufacturer: org(&helixa_contracts),
                owner_health_system: org(&lakeshore_contracts),
            },
            None,
        )
        .await?
        .fresh()?;
    app.move_agreement(&helixa_contracts, &q.id, q.version, "negotiating", None)
        .await?
        .fresh()?;

    consent_version(
        app,
        &lakeshore_contracts,
        &main.id,
        &vantacel.id,
        "LUH-MAIN Vantacel",
        CONSENT_SECTIONS,
    )
    .await?;
    let done: &[(&Caller, Deliverable, &str, &str)] = &[
        (
            &helixa_onboarding,
            Deliverable::SiteQualificationAudit,
            "2025-09-15",
            "Site qualification audit passed on 2025-09-15 (report SQA-2025-041).",
        ),
        (
            &helixa_onboarding,
            Deliverable::StaffTraining,
            "2025-10-08",
            "Cell lab, BMT unit and apheresis staff trained on Vantacel handling; roster on file.",
        ),
        (
            &helixa_onboarding,
            Deliverable::MockShipment,
            "2025-10-15",
            "Mock shipment received, stored and thawed within the window.",
        ),
        (
            &lakeshore_contracts,
            Deliverable::PharmacyAndTherapeutics,
            "2025-10-01",
            "Vantacel added to the formulary at the P&T meeting of 2025-10-01.",
        ),
    ];
    record_deliverables(app, &pship.id, &main.id, &vantacel.id, done).await?;

    // The gate's verdicts on the ledger: LUH-MAIN authorized from today.
    app.review_authorizations(
        &helixa_contracts,
        &pship.id,
        cellpath_domain::Date::of_micros(app.now()),
    )
    .await?;

    // Northbridge × Piedmont: data protection in legal review after two redline rounds.
    let piedmont = find(
        app.store.organizations(Page::all()).await?,
        "Piedmont",
        |o| o.name == "Piedmont Valley Health",
    )
    .await?;
    let northbridge = find(
        app.store.organizations(Page::all()).await?,
        "Northbridge",
        |o| o.name == "Northbridge Gene Medicines",
    )
    .await?;
    let np = find(
        app.store.partnerships_of(&piedmont.id, Page::all()).await?,
        "partnership",
        |p| p.manufacturer_id == northbridge.id,
    )
    .await?;
    let nb = user(app, "contracts@northbridge.example").await?;
    let pv = user(app, "contracts@piedmont.example").await?;
    let mut a = app
        .create_agreement(
            &nb,
            &np.id,
            AgreementInput {
                kind: AgreementKind::DataProtection.as_str().into(),
                scope: Scope::HealthSystem.as_str().into(),
                site_id: None,
                coverage: None,
                owner_manufacturer: org(&nb),
                owner_health_system: org(&pv),
            },
            None,
        )
        .await?
        .fresh()?;
    for to in [
        "legal_review",
        "negotiating",
        "legal_review",
        "negotiating",
        "legal_review",
    ] {
        a = app
            .move_agreement(&pv, &a.id, a.version, to, None)
            .await?
            .fresh()?;
    }

    // Northbridge × Lakeshore: the master service agreement signed for Corvigen's trials
    // lapses 45 days after the demo's today (HISTORY_DAYS after seeding), so both sides find
    // an expiry reminder among their notices once the server's job has run.
    let nl = find(
        app.store
            .partnerships_of(&lakeshore.id, Page::all())
            .await?,
        "partnership",
        |p| p.manufacturer_id == northbridge.id,
    )
    .await?;
    let lc = &lakeshore_contracts;
    let seeded = cellpath_domain::Date::of_micros(app.now());
    let effective = seeded.plus_days(-3 * 365);
    let expires = seeded.plus_days(HISTORY_DAYS + 45);
    let msa = app
        .create_agreement(
            &nb,
            &nl.id,
            AgreementInput {
                kind: AgreementKind::MasterServiceAgreement.as_str().into(),
                scope: Scope::HealthSystem.as_str().into(),
                site_id: None,
                coverage: None,
                owner_manufacturer: org(&nb),
                owner_health_system: org(lc),
            },
            None,
        )
        .await?
        .fresh()?;
    let msa = app
        .set_agreement_dates(
            lc,
            &msa.id,
            msa.version,
            effective.as_str(),
            expires.as_str(),
            None,
        )
        .await?
        .fresh()?;
    app.move_agreement(&nb, &msa.id, msa.version, "executed", None)
        .await?
        .fresh()?;
    Ok(())
}
