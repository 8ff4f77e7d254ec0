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
/// `LOT-HX-24017`) taken on through its first infusion: [`App::through_first_infusion`].
pub async fn infuse_stored_demo_case(app: &App, case_id: &str) -> Result<(), crate::AppError> {
    app.through_first_infusion(case_id).await
}

/// The demo's registry step (`demo::registry`), for tests.
pub async fn demo_registry_forms(app: &App, case_id: &str) -> Result<(), crate::AppError> {
    crate::demo::registry::registry_forms(app, case_id).await
}
