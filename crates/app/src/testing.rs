//! Test support, compiled only with the `testing` feature (a dev-dependency feature of the
//! crates whose tests use it, never of a build that ships): fresh databases, and the app's
//! store for tests that look at or tamper with rows behind the app's back.

pub use cellpath_store::testing::TestDb;
pub use cellpath_store::{Append, DocumentStore, InDatabase, Store};

use crate::App;

impl App {
    /// The store under the app, for tests only: reading rows the app has no query for, or
    /// writing behind its back to show that a check sees it.
    pub fn store(&self) -> &Store {
        &self.store
    }
}

impl App {
    /// A case at `site_id` whose product was released by the manufacturer and is in the site's
    /// freezer (its receipt and storage done), active and not yet infused — as the demo leaves
    /// one on the CAR-T map — if there is one. (An in-vivo kit, on a map without a release
    /// decision, is not it.)
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
            let released = loaded
                .map
                .map()
                .steps()
                .any(|s| s.kind == cellpath_domain::process_map::StepKind::ReleaseDecision);
            if released
                && loaded.case.is_done("receipt_and_storage")
                && loaded.case.first_infusion().is_none()
            {
                return Ok(Some(row.id));
            }
        }
        Ok(None)
    }

    /// Take a case on through its first infusion the way the demo takes its cases
    /// (`demo::drive`): each open step by a person of its role with the entry a careful person
    /// makes, signatures with the password, the bedside verification by two nurses (a second
    /// one is added to the site's staff when there is one only). Stops once a unit is infused;
    /// a case that stops before (on hold, cancelled, its product not released) is an error.
    pub async fn through_first_infusion(&self, case_id: &str) -> Result<(), crate::AppError> {
        use crate::AppError;
        use crate::demo::drive::next;
        let (people, pseudonym) = self.people_of_case(case_id).await?;
        let labels = self.labels_of_case(&people, case_id).await?;
        for _ in 0..60 {
            let (loaded, _) = self.load_case(&people.coordinator, case_id).await?;
            if loaded.case.first_infusion().is_some() {
                return Ok(());
            }
            if next(self, &people, case_id, &labels, &[], None)
                .await?
                .is_none()
            {
                return Err(AppError::Internal(format!(
                    "case {pseudonym}: no open step before its first infusion"
                )));
            }
        }
        Err(AppError::Internal(format!(
            "case {pseudonym} not infused after 60 steps"
        )))
    }

    /// Take a case forward as [`App::through_first_infusion`] does until `step` is the next
    /// open step (an error if the case stops before it).
    pub async fn forward_until(&self, case_id: &str, step: &str) -> Result<(), crate::AppError> {
        use crate::demo::drive::next;
        let (people, pseudonym) = self.people_of_case(case_id).await?;
        let labels = self.labels_of_case(&people, case_id).await?;
        for _ in 0..60 {
            if next(self, &people, case_id, &labels, &[], Some(step))
                .await?
                .is_none()
            {
                let (loaded, _) = self.load_case(&people.coordinator, case_id).await?;
                let open = cellpath_domain::journey::available(&loaded.map, &loaded.case);
                return match open.first() {
                    Some(a) if a.step == step => Ok(()),
                    _ => Err(crate::AppError::Internal(format!(
                        "case {pseudonym} stopped before {step}"
                    ))),
                };
            }
        }
        Err(crate::AppError::Internal(format!(
            "case {pseudonym}: {step} not reached after 60 steps"
        )))
    }

    /// What the case's labels read (the scans at its checkpoints read them), the demo's
    /// numbering for those it does not hold yet.
    async fn labels_of_case(
        &self,
        people: &crate::demo::drive::People,
        case_id: &str,
    ) -> Result<crate::demo::drive::Labels, crate::AppError> {
        use cellpath_domain::program::IdentifierKind;
        let (loaded, _) = self.load_case(&people.coordinator, case_id).await?;
        let mut labels = crate::demo::drive::Labels::numbered(0);
        for i in &loaded.case.identifiers {
            match (i.kind, &i.unit) {
                (IdentifierKind::Isbt128Din, _) => labels.din = i.printed(),
                (IdentifierKind::ManufacturerOrderId, None) => labels.order = i.value.clone(),
                (IdentifierKind::LotNumber, Some(unit)) => {
                    labels.lots.insert(unit.clone(), i.value.clone());
                }
                // One lot for the whole product: every unit's label reads it.
                (IdentifierKind::LotNumber, None) => {
                    for unit in loaded.case.units.keys() {
                        labels.lots.insert(unit.clone(), i.value.clone());
                    }
                }
                _ => {}
            }
        }
        Ok(labels)
    }

    /// The people who take a case forward: the partnership's staff by role (a second nurse
    /// added to the site's when there is one only), and the case's pseudonym.
    async fn people_of_case(
        &self,
        case_id: &str,
    ) -> Result<(crate::demo::drive::People, String), crate::AppError> {
        use crate::AppError;
        use crate::demo::drive::People;
        use cellpath_domain::Role;
        use std::collections::BTreeMap;
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
        let mut site_staff: Vec<crate::views::User> =
            crate::views::all(self.store.users_of(&pship.health_system_id, all).await?);
        let makers = self.store.users_of(&pship.manufacturer_id, all).await?;
        let system =
            |id: String| async move { self.caller_for_user(&id, crate::access::Via::System).await };
        if site_staff.iter().filter(|u| u.role == Role::Nurse).count() < 2 {
            let admin = site_staff
                .iter()
                .find(|u| u.role == Role::Admin)
                .ok_or_else(|| AppError::Internal("no admin at the site".into()))?;
            let created = self
                .create_user(
                    &system(admin.id.clone()).await?,
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
        let mut health_system: BTreeMap<Role, Vec<crate::Caller>> = BTreeMap::new();
        for u in site_staff.iter().filter(|u| u.active) {
            let caller = system(u.id.clone()).await?;
            health_system.entry(u.role).or_default().push(caller);
        }
        let mut manufacturer = BTreeMap::new();
        for u in makers.iter().filter(|u| u.active) {
            if let std::collections::btree_map::Entry::Vacant(e) = manufacturer.entry(u.role) {
                e.insert(system(u.id.clone()).await?);
            }
        }
        let people = People::new(health_system, manufacturer, crate::demo::DEMO_PASSWORD)?;
        Ok((people, row.pseudonym))
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

impl App {
    /// The gate of one site and program as opening a case judges it: from that site's rows
    /// alone (`gate_record_of_site`), for comparing with the whole partnership's record.
    pub async fn gate_of_site_alone(
        &self,
        partnership_id: &str,
        site_id: &str,
        program_id: &str,
        today: cellpath_domain::Date,
    ) -> Result<crate::contracting::GateView, crate::AppError> {
        use crate::AppError;
        let p = self
            .store
            .partnership(partnership_id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("partnership {partnership_id}")))?;
        let site = self
            .store
            .site(site_id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("site {site_id}")))?;
        // Signed as the API answers it, so the two compare whole.
        let signatures = self
            .record_signatures(
                &crate::Caller::system("test"),
                &p.id,
                crate::signatures::SignedRecords::Deliverables,
            )
            .await?;
        Ok(self
            .gate_record_of_site(&p, &site, program_id)
            .await?
            .gate(site_id, program_id, today)
            .signed(&signatures))
    }
}
