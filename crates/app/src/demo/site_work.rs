//! Site work: refined site maps, proposals and signatures; readiness visits and gaps.

use super::{DEMO_PASSWORD, Launch, find, launch, user};
use crate::readiness::VisitInput;
use crate::{App, AppError};
use cellpath_domain::process_map::{RecordedIn, Step, StepKind, StepParams};
use cellpath_domain::readiness::{Observation, Observed};
use cellpath_domain::refinement::{LocalDetail, LocalStep, SiteRefinement};
use cellpath_domain::{FacilityKind, LedgerInt, Role};
use cellpath_ledger::Meaning;
use cellpath_store::Page;
use std::collections::BTreeMap;

pub(super) fn detail(owner: Option<Role>, location: &str, system: &str) -> LocalDetail {
    LocalDetail {
        owner_role: owner,
        location: Some(location.into()),
        system: (!system.is_empty()).then(|| system.into()),
        notes: None,
    }
}

fn observe(facility: &str, capability: &str, value: Observed) -> Observation {
    Observation {
        facility_id: facility.into(),
        capability: capability.into(),
        value,
        note: String::new(),
    }
}

/// What Northbridge observes for Corvigen's requirements: the lab's receiving hours, and the
/// clinical unit's minutes from the lab and the signatures it requires.
pub(super) fn gene_therapy_observations(
    (lab, receiving): (&str, &str),
    (unit, minutes, signatures): (&str, i32, &[&str]),
) -> Vec<Observation> {
    vec![
        observe(lab, "receiving_hours", Observed::Text(receiving.into())),
        observe(
            unit,
            "minutes_cell_lab_to_infusion",
            Observed::Number(LedgerInt::from(minutes)),
        ),
        observe(
            unit,
            "required_signatures",
            Observed::List(signatures.iter().map(|s| s.to_string()).collect()),
        ),
    ]
}

/// The ids of a site's processing facility (its cell lab) and its clinical unit.
pub(super) async fn lab_and_unit(app: &App, site_id: &str) -> Result<(String, String), AppError> {
    let facilities = app.store.facilities_of_site(site_id).await?;
    let lab = find(facilities.clone(), "processing facility", |f| {
        f.kind == FacilityKind::Processing
    })
    .await?;
    let unit = find(facilities, "clinical unit", |f| {
        f.kind == FacilityKind::Clinical
    })
    .await?;
    Ok((lab.id, unit.id))
}

/// Refined site maps, proposals, signatures, visits and gaps for the demo's partnerships.
pub(super) async fn site_work(app: &App) -> Result<(), AppError> {
    let Launch {
        lakeshore,
        pship,
        vantacel,
        sites,
    } = launch(app).await?;
    let piedmont = find(
        app.store.organizations(Page::all()).await?,
        "Piedmont",
        |o| o.name == "Piedmont Valley Health",
    )
    .await?;
    let main = find(sites.clone(), "LUH-MAIN", |s| s.code == "LUH-MAIN").await?;
    let cancer = find(sites.clone(), "LUH-CANCER", |s| s.code == "LUH-CANCER").await?;
    let north = find(sites, "LUH-NORTH", |s| s.code == "LUH-NORTH").await?;
    let pharmacy = user(app, "pharmacy@lakeshore.example").await?;
    let coordinator = user(app, "coordinator@lakeshore.example").await?;
    let quality = user(app, "quality@helixa.example").await?;
    let onboarding = user(app, "onboarding@helixa.example").await?;

    // Lakeshore University Hospital: refined, one proposal accepted and one rejected, signed.
    let v = app
        .start_site_map(&pharmacy, &pship.id, &main.id, &vantacel.id, None, None)
        .await?
        .fresh()?;
    let mut r = SiteRefinement::default();
    let lab = "Cell Therapy Laboratory, B2";
    let unit = "BMT Unit, 7 West";
    r.details.insert(
        "courier_handoff".into(),
        detail(
            Some(Role::Apheresis),
            "Apheresis Center, 3rd floor",
            "Helixa portal",
        ),
    );
    r.details.insert(
        "receipt_and_storage".into(),
        detail(Some(Role::CellLab), lab, "Cell lab LIMS"),
    );
    for u in ["cd4", "cd8"] {
        r.details.insert(
            format!("thaw_{u}"),
            detail(Some(Role::CellLab), lab, "Cell lab LIMS"),
        );
        r.details.insert(
            format!("dual_verification_{u}"),
            detail(Some(Role::Nurse), unit, "Epic (barcode scan)"),
        );
        r.details.insert(
            format!("administer_{u}"),
            detail(Some(Role::Nurse), unit, "Epic MAR"),
        );
    }
    r.details.insert(
        "pharmacist_verification".into(),
        detail(Some(Role::Pharmacy), "Oncology pharmacy", "Epic Beacon"),
    );
    let base = app.site_map(&pharmacy, &v.id).await?;
    let effective = base
        .effective
        .clone()
        .ok_or_else(|| AppError::Internal("effective map".into()))?;
    if let Some(step) = effective.step("pharmacist_verification") {
        let mut changed = step.clone();
        changed.name = "Pharmacist verification (BMT pharmacy)".into();
        r.overrides.insert(changed.key.clone(), changed);
    }
    // A local checklist before the first thaw: the ICU bed is held for the monitoring period.
    let thaw = effective
        .steps()
        .find(|s| s.key == "thaw_cd4")
        .cloned()
        .ok_or_else(|| AppError::Internal("thaw_cd4".into()))?;
    r.local_steps.push(LocalStep {
        step: Step {
            key: "icu_bed_hold".into(),
            name: "Confirm ICU bed held for 14 days".into(),
            stage: thaw.stage,
            kind: StepKind::Checklist,
            role: Role::Coordinator,
            after: thaw.after.clone(),
            controlled: false,
            recorded_in: RecordedIn::Cellpath,
            optional: false,
            params: StepParams {
                items: vec![
                    "ICU bed held".into(),
                    "Tocilizumab 2 doses on the unit".into(),
                ],
                ..Default::default()
            },
        },
        before: vec!["thaw_cd4".into()],
    });
    let v = app
        .refine_site_map(&pharmacy, &v.id, v.version, r, None)
        .await?
        .fresh()?;
    let monitoring = effective
        .step("monitoring")
        .cloned()
        .ok_or_else(|| AppError::Internal("monitoring".into()))?;
    let mut longer = monitoring.clone();
    longer.params.monitoring_days = Some(28);
    let accepted = app
        .propose_change(
            &pharmacy,
            &v.id,
            longer,
            "Our IEC program monitors the first ten commercial patients for 28 days.",
            None,
        )
        .await?
        .fresh()?;
    app.decide_proposal(
        &quality,
        &accepted.id,
        accepted.version,
        true,
        "Accepted: longer monitoring is within the label.",
        None,
    )
    .await?
    .fresh()?;
    let handoff = effective
        .step("courier_handoff")
        .cloned()
        .ok_or_else(|| AppError::Internal("courier_handoff".into()))?;
    let mut no_scan = handoff.clone();
    no_scan.params.scan = false;
    let rejected = app
        .propose_change(
            &pharmacy,
            &v.id,
            no_scan,
            "No scanner at the apheresis bay; we would rather record the bag number by hand.",
            None,
        )
        .await?
        .fresh()?;
    app.decide_proposal(
        &quality,
        &rejected.id,
        rejected.version,
        false,
        "Rejected: chain of identity needs the scan at handoff; we will provide a scanner.",
        None,
    )
    .await?
    .fresh()?;
    app.sign_site_map(&pharmacy, &v.id, Meaning::Approved, DEMO_PASSWORD, None)
        .await?
        .fresh()?;
    app.sign_site_map(&quality, &v.id, Meaning::Approved, DEMO_PASSWORD, None)
        .await?
        .fresh()?;

    // Lakeshore Cancer Pavilion: a draft with a proposal waiting for Helixa.
    let draft = app
        .start_site_map(
            &coordinator,
            &pship.id,
            &cancer.id,
            &vantacel.id,
            None,
            None,
        )
        .await?
        .fresh()?;
    let mut r = SiteRefinement::default();
    r.details.insert(
        "referral".into(),
        detail(
            Some(Role::Coordinator),
            "Cancer Pavilion intake",
            "Epic referral queue",
        ),
    );
    r.details.insert(
        "receipt_and_storage".into(),
        detail(Some(Role::CellLab), lab, "Cell lab LIMS"),
    );
    let draft = app
        .refine_site_map(&coordinator, &draft.id, draft.version, r, None)
        .await?
        .fresh()?;
    let mut thaw_here = thaw.clone();
    thaw_here.params.location = Some("Cancer Pavilion satellite pharmacy".into());
    app.propose_change(
        &coordinator,
        &draft.id,
        thaw_here,
        "Thaw in the Pavilion's satellite pharmacy, two floors from the infusion chairs.",
        None,
    )
    .await?
    .fresh()?;

    // Site visits and gaps.
    let facilities = app.store.facilities_of(&lakeshore.id, Page::all()).await?;
    let cell_lab = find(facilities.clone(), "cell lab", |f| {
        f.kind == FacilityKind::Processing
    })
    .await?
    .id;
    let main_unit = find(facilities.clone(), "main unit", |f| {
        f.kind == FacilityKind::Clinical && f.site_ids.contains(&main.id)
    })
    .await?
    .id;
    let north_unit = find(facilities, "north unit", |f| {
        f.kind == FacilityKind::Clinical && f.site_ids.contains(&north.id)
    })
    .await?
    .id;
    let lab_met = |id: &str| {
        vec![
            observe(
                id,
                "ln2_vapor_storage_max_celsius",
                Observed::Number(LedgerInt::from(-175)),
            ),
            observe(
                id,
                "ln2_storage_positions",
                Observed::Number(LedgerInt::from(6)),
            ),
            observe(id, "validated_thaw_device", Observed::YesNo(true)),
            observe(id, "receiving_hours", Observed::Text("07:00-19:00".into())),
            observe(id, "fact_accredited", Observed::YesNo(true)),
        ]
    };
    let mut obs = lab_met(&cell_lab);
    obs.extend([
        observe(
            &main_unit,
            "minutes_cell_lab_to_infusion",
            Observed::Number(LedgerInt::from(12)),
        ),
        observe(
            &main_unit,
            "required_signatures",
            Observed::List(vec!["pharmacist".into(), "nurse".into()]),
        ),
        observe(
            &main_unit,
            "tocilizumab_doses_on_hand",
            Observed::Number(LedgerInt::from(1)),
        ),
    ]);
    let visitors = vec![
        "Marcus Kowalski (Helixa onboarding)".to_string(),
        "Samuel Adeyemi (Helixa quality)".to_string(),
    ];
    let mut findings = BTreeMap::new();
    findings.insert(
        "cell_lab_layout".to_string(),
        "Separate receiving bench beside the LN2 room; thaw device validated in August."
            .to_string(),
    );
    findings.insert("storage".to_string(), "Two vapor-phase freezers with remote alarms; tocilizumab par level is one dose per patient.".to_string());
    app.record_visit(
        &onboarding,
        &pship.id,
        VisitInput {
            site_id: main.id.clone(),
            visited_on: "2026-09-15".into(),
            visitors: visitors.clone(),
            facility_ids: vec![cell_lab.clone(), main_unit.clone()],
            observations: obs,
            findings,
            attachments: vec![],
        },
        None,
    )
    .await?
    .fresh()?;
    let opened = app
        .analyze_gaps(&onboarding, &pship.id, &main.id, &vantacel.id)
        .await?;
    for gap in opened {
        app.close_gap(&pharmacy, &gap.id, gap.version, "Par level raised to two doses per CAR-T patient on 2026-10-01 (Omnicell report attached to the P&T minutes).", DEMO_PASSWORD, None).await?.fresh()?;
    }
    let mut obs = lab_met(&cell_lab);
    obs.extend([
        observe(
            &north_unit,
            "minutes_cell_lab_to_infusion",
            Observed::Number(LedgerInt::from(45)),
        ),
        observe(
            &north_unit,
            "required_signatures",
            Observed::List(vec!["nurse".into()]),
        ),
        observe(
            &north_unit,
            "tocilizumab_doses_on_hand",
            Observed::Number(LedgerInt::from(0)),
        ),
    ]);
    let mut findings = BTreeMap::new();
    findings.insert(
        "internal_transport".to_string(),
        "Product crosses the campus by shuttle: 45 minutes door to door.".to_string(),
    );
    app.record_visit(
        &onboarding,
        &pship.id,
        VisitInput {
            site_id: north.id.clone(),
            visited_on: "2026-10-20".into(),
            visitors,
            facility_ids: vec![cell_lab.clone(), north_unit],
            observations: obs,
            findings,
            attachments: vec![],
        },
        None,
    )
    .await?
    .fresh()?;
    app.analyze_gaps(&onboarding, &pship.id, &north.id, &vantacel.id)
        .await?;

    // Northbridge at Piedmont: receiving hours fall short of the courier window.
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
    let corvigen = find(
        app.store.programs_of(&northbridge.id, Page::all()).await?,
        "Corvigen",
        |_| true,
    )
    .await?;
    let psites = app.store.sites_of(&piedmont.id, Page::all()).await?;
    let pmain = find(psites, "PVH-MAIN", |s| s.code == "PVH-MAIN").await?;
    let (plab, punit) = lab_and_unit(app, &pmain.id).await?;
    let nb = user(app, "onboarding@northbridge.example").await?;
    app.record_visit(
        &nb,
        &np.id,
        VisitInput {
            site_id: pmain.id.clone(),
            visited_on: "2026-11-02".into(),
            visitors: vec!["Jonah Vasquez (Northbridge onboarding)".into()],
            facility_ids: vec![plab.clone(), punit.clone()],
            observations: gene_therapy_observations(
                (&plab, "09:00-17:00"),
                (&punit, 15, &["pharmacist", "physician"]),
            ),
            findings: BTreeMap::new(),
            attachments: vec![],
        },
        None,
    )
    .await?
    .fresh()?;
    app.analyze_gaps(&nb, &np.id, &pmain.id, &corvigen.id)
        .await?;
    Ok(())
}
