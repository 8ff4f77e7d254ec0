//! Test support, compiled only with the `testing` feature (a dev-dependency feature of the
//! crates whose tests use it, never of a build that ships): fresh databases, and the app's
//! store for tests that look at or tamper with rows behind the app's back.

pub use cellpath_store::testing::TestDb;
pub use cellpath_store::{Append, Store};

use crate::App;

impl App {
    /// The store under the app, for tests only: reading rows the app has no query for, or
    /// writing behind its back to show that a check sees it.
    pub fn store(&self) -> &Store {
        &self.store
    }
}

impl App {
    /// A case at `site_id` whose product is in the site's freezer (its receipt and storage
    /// done), active and not yet infused — as the demo leaves one — if there is one.
    pub async fn stored_case(&self, site_id: &str) -> Result<Option<String>, crate::AppError> {
        use cellpath_domain::events::cases::CaseState;
        let Some(site) = self.store.site(site_id).await? else {
            return Ok(None);
        };
        let staff = self
            .store
            .users_of(&site.org_id, cellpath_store::Page::all())
            .await?;
        let Some(nurse) = staff
            .iter()
            .find(|u| u.role == cellpath_domain::Role::Nurse)
        else {
            return Ok(None);
        };
        let nurse = self
            .caller_for_user(&nurse.id, crate::access::Via::System)
            .await?;
        for row in self
            .cases_of_site(&nurse, site_id, cellpath_store::Page::all())
            .await?
        {
            if row.status != CaseState::Active {
                continue;
            }
            let (loaded, _) = self.load_case(&nurse, &row.id).await?;
            if loaded.case.is_done("receipt_and_storage") && loaded.case.first_infusion().is_none()
            {
                return Ok(Some(row.id));
            }
        }
        Ok(None)
    }

    /// Take a case whose product is in the site's freezer (as the demo's stored case is) on
    /// through its first infusion: each open step by a person of its role, the first entry's
    /// fields or EHR attestation, signatures with the password, the bedside verification by two
    /// nurses (a second one is added to the site's staff when there is one only). Stops once a
    /// unit is infused; a step this walk does not know (a custody handoff, a release) is an
    /// error naming it.
    pub async fn through_first_infusion(&self, case_id: &str) -> Result<(), crate::AppError> {
        use crate::AppError;
        use crate::cases::{CaseInput, ScanInput};
        use cellpath_domain::events::cases::EhrAttestation;
        use cellpath_domain::journey::{Disposition, available};
        use cellpath_domain::process_map::{RecordedIn, StepKind};
        use cellpath_domain::{OrgKind, Role};
        let system = |u: &cellpath_store::User| {
            let id = u.id.clone();
            async move { self.caller_for_user(&id, crate::access::Via::System).await }
        };
        let row = self
            .store
            .case(case_id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("case {case_id}")))?;
        let pship = self
            .store
            .partnership(&row.partnership_id)
            .await?
            .ok_or_else(|| AppError::not_found("the case's partnership"))?;
        let all = cellpath_store::Page::all();
        let mut site_staff = self.store.users_of(&pship.health_system_id, all).await?;
        let makers = self.store.users_of(&pship.manufacturer_id, all).await?;
        if site_staff.iter().filter(|u| u.role == Role::Nurse).count() < 2 {
            let admin = site_staff
                .iter()
                .find(|u| u.role == Role::Admin)
                .ok_or_else(|| AppError::Internal("no admin at the site".into()))?;
            let created = self
                .create_user(
                    &system(admin).await?,
                    &pship.health_system_id,
                    crate::records::users::UserInput {
                        email: format!("second.nurse.{}@example.org", &row.id[row.id.len() - 6..]),
                        name: "Second Nurse".into(),
                        role: "nurse".into(),
                        password: crate::demo::DEMO_PASSWORD.into(),
                    },
                    None,
                )
                .await?
                .fresh()?;
            site_staff.push(created);
        }
        for _ in 0..40 {
            let some_nurse = site_staff
                .iter()
                .find(|u| u.role == Role::Nurse)
                .expect("a nurse");
            let (loaded, _) = self.load_case(&system(some_nurse).await?, case_id).await?;
            if loaded.case.first_infusion().is_some() {
                return Ok(());
            }
            let open = available(&loaded.map, &loaded.case);
            let next = open.first().ok_or_else(|| {
                AppError::Internal(format!("case {}: no open step", row.pseudonym))
            })?;
            let step = loaded
                .map
                .map()
                .step(&next.step)
                .expect("an open step of the map")
                .clone();
            let role = *next.roles.first().expect("someone may do an open step");
            let begun = loaded
                .case
                .current(&step.key)
                .is_some_and(cellpath_domain::journey::Attempt::is_begun);
            let (fields, attestation) = match (begun, step.recorded_in) {
                (true, _) => (Default::default(), None),
                (false, RecordedIn::Ehr) => (
                    Default::default(),
                    Some(EhrAttestation {
                        reference: format!("EHR-{}", step.key.to_uppercase()),
                        charted_at: self.now(),
                    }),
                ),
                (false, RecordedIn::Cellpath) => (
                    step.params
                        .fields
                        .iter()
                        .map(|f| (f.clone(), "as recorded".to_string()))
                        .collect(),
                    None,
                ),
            };
            let verified: Vec<String> = loaded
                .case
                .current(&step.key)
                .map(|a| {
                    a.verifications
                        .iter()
                        .map(|v| v.by.user_id.clone())
                        .collect()
                })
                .unwrap_or_default();
            let manufacturer =
                step.kind == StepKind::ReleaseDecision || !role.allowed_in(OrgKind::HealthSystem);
            let people = if manufacturer { &makers } else { &site_staff };
            let by = people
                .iter()
                .find(|u| u.role == role && u.active && !verified.contains(&u.id))
                .ok_or_else(|| AppError::Internal(format!("no {role} to do {}", step.name)))?;
            let key = step.key.clone();
            let input = match step.kind {
                StepKind::Record => CaseInput::Record {
                    step: key,
                    fields,
                    attestation,
                },
                StepKind::HoldPoint => CaseInput::PassHold {
                    step: key,
                    fields,
                    attestation,
                },
                StepKind::Checklist => CaseInput::Checklist {
                    step: key,
                    fields,
                    attestation,
                    ticked: step.params.items.clone(),
                },
                StepKind::Signature => {
                    let meaning = step
                        .params
                        .signatures
                        .iter()
                        .find(|s| s.role == role)
                        .map(|s| s.meaning)
                        .ok_or_else(|| {
                            AppError::Internal(format!("{}: no signature", step.name))
                        })?;
                    CaseInput::Sign {
                        step: key,
                        meaning,
                        fields,
                        attestation,
                    }
                }
                StepKind::Thaw => CaseInput::Thaw {
                    step: key,
                    fields,
                    attestation,
                },
                StepKind::DualVerification => {
                    let label = loaded
                        .case
                        .identifiers
                        .first()
                        .ok_or_else(|| AppError::Internal("a case without labels".into()))?;
                    CaseInput::Verify {
                        step: key,
                        scan: Some(ScanInput {
                            expected: label.kind,
                            text: label.printed(),
                        }),
                        fields,
                        attestation,
                    }
                }
                StepKind::Administer => CaseInput::Administer {
                    step: key,
                    fields,
                    attestation,
                    disposition: Disposition::InfusedWhole,
                    late_reason: None,
                },
                other => {
                    return Err(AppError::Internal(format!(
                        "{} is a {other} step: take the product to storage first",
                        step.name
                    )));
                }
            };
            self.act_on_case(
                &system(by).await?,
                case_id,
                input,
                crate::demo::DEMO_PASSWORD,
                None,
                None,
            )
            .await?;
        }
        Err(AppError::Internal(format!(
            "case {} not infused after 40 steps",
            row.pseudonym
        )))
    }
}

/// The demo's case stored in the cell lab (VAN-LUH-MAIN-0007: released, lot
/// `LOT-HX-24017`) taken on through its first infusion (CD4), each step by the role it
/// belongs to: bridging therapy left out, lymphodepletion attested from the EHR, the order and
/// the pharmacist's verification signed, CD4 thawed, verified at the bedside by two nurses
/// (a second nurse is added to Lakeshore for it), and infused whole.
pub async fn infuse_stored_demo_case(app: &App, case_id: &str) -> Result<(), crate::AppError> {
    use crate::cases::{CaseInput, ScanInput};
    use crate::records::users::UserInput;
    use cellpath_domain::events::cases::EhrAttestation;
    use cellpath_domain::journey::Disposition;
    use cellpath_domain::process_map::SignatureMeaning;
    use cellpath_domain::program::IdentifierKind;
    let as_user = |email: &'static str| async move {
        let u = app
            .store
            .user_by_email(email)
            .await?
            .ok_or_else(|| crate::AppError::Internal(format!("demo user {email}")))?;
        app.caller_for_user(&u.id, crate::access::Via::Session)
            .await
    };
    const SECOND_NURSE: &str = "nurse.two@lakeshore.example";
    if app.store.user_by_email(SECOND_NURSE).await?.is_none() {
        let admin = as_user("admin@lakeshore.example").await?;
        let org = admin
            .principal
            .as_ref()
            .map(|p| p.org_id.clone())
            .unwrap_or_default();
        app.create_user(
            &admin,
            &org,
            UserInput {
                email: SECOND_NURSE.into(),
                name: "Noor Haddad".into(),
                role: "nurse".into(),
                password: crate::demo::DEMO_PASSWORD.into(),
            },
            None,
        )
        .await?;
    }
    let ehr = |step: &str| {
        Some(EhrAttestation {
            reference: format!("EPIC-{}", step.to_uppercase()),
            charted_at: app.now(),
        })
    };
    let scan = || ScanInput {
        expected: IdentifierKind::LotNumber,
        text: "LOT-HX-24017".into(),
    };
    let sign = |step: &str, meaning| CaseInput::Sign {
        step: step.into(),
        meaning,
        fields: Default::default(),
        attestation: None,
    };
    let verify = || CaseInput::Verify {
        step: "dual_verification_cd4".into(),
        scan: Some(scan()),
        fields: Default::default(),
        attestation: None,
    };
    let steps: Vec<(&'static str, CaseInput)> = vec![
        (
            "physician@lakeshore.example",
            CaseInput::Skip {
                step: "bridging_therapy".into(),
                reason: "disease stable: no bridging needed".into(),
            },
        ),
        (
            "physician@lakeshore.example",
            CaseInput::PassHold {
                step: "lymphodepletion".into(),
                fields: Default::default(),
                attestation: ehr("lymphodepletion"),
            },
        ),
        (
            "physician@lakeshore.example",
            sign("physician_order", SignatureMeaning::Approved),
        ),
        (
            "pharmacy@lakeshore.example",
            sign("pharmacist_verification", SignatureMeaning::Verified),
        ),
        (
            "cell.lab@lakeshore.example",
            CaseInput::Thaw {
                step: "thaw_cd4".into(),
                fields: Default::default(),
                attestation: None,
            },
        ),
        ("nurse@lakeshore.example", verify()),
        (SECOND_NURSE, verify()),
        (
            "nurse@lakeshore.example",
            CaseInput::Administer {
                step: "administer_cd4".into(),
                fields: Default::default(),
                attestation: ehr("administer_cd4"),
                disposition: Disposition::InfusedWhole,
                late_reason: None,
            },
        ),
    ];
    for (email, input) in steps {
        if email == "cell.lab@lakeshore.example" {
            tick_local_checklists(app, case_id).await?;
        }
        let by = as_user(email).await?;
        app.act_on_case(&by, case_id, input, crate::demo::DEMO_PASSWORD, None, None)
            .await?;
    }
    Ok(())
}

/// The site's own checklist steps open now (e.g. LUH-MAIN's ICU bed held before the thaw),
/// ticked in full by their local owners.
async fn tick_local_checklists(app: &App, case_id: &str) -> Result<(), crate::AppError> {
    use crate::cases::CaseInput;
    use cellpath_domain::process_map::StepKind;
    let system = crate::Caller::system("test: local checklists");
    let view = app.case(&system, case_id).await?;
    let map = view
        .map
        .as_ref()
        .ok_or_else(|| crate::AppError::Internal("a case view has its map".into()))?;
    for open in &view.available {
        let Some(step) = map
            .step(&open.step)
            .filter(|s| s.kind == StepKind::Checklist)
        else {
            continue;
        };
        let role = view
            .steps
            .iter()
            .find(|s| s.key == step.key)
            .map(|s| s.role)
            .unwrap_or(step.role);
        let email = format!("{}@lakeshore.example", role.as_str().replace('_', "."));
        let u = app
            .store
            .user_by_email(&email)
            .await?
            .ok_or_else(|| crate::AppError::Internal(format!("demo user {email}")))?;
        let by = app
            .caller_for_user(&u.id, crate::access::Via::Session)
            .await?;
        let input = CaseInput::Checklist {
            step: step.key.clone(),
            fields: step
                .params
                .fields
                .iter()
                .map(|f| (f.clone(), "as recorded".to_string()))
                .collect(),
            attestation: None,
            ticked: step.params.items.clone(),
        };
        app.act_on_case(&by, case_id, input, "", None, None).await?;
    }
    Ok(())
}

/// The demo's registry step (`demo::registry`), for tests.
pub async fn demo_registry_forms(app: &App, case_id: &str) -> Result<(), crate::AppError> {
    crate::demo::registry::registry_forms(app, case_id).await
}
