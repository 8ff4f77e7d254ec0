//! Facilities: clinical, collection (apheresis) and processing (cell lab) units of a health
//! system. One facility may serve several of its sites (a shared cell lab).

use super::expect_version;
use crate::views::{Facility, Page};
use crate::write::Write;
use crate::{App, AppError, Caller, Fields, Idem, Outcome};
use cellpath_domain::events::Diff;
use cellpath_domain::events::directory::{FacilityChanges, FacilityCreated, FacilityFields};
use cellpath_domain::policy::{Action, ResourceKind};
use cellpath_domain::{FacilityKind, Name, OrgKind, PartnershipStatus};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FacilityInput {
    #[schema(schema_with = crate::views::schema::name)]
    pub name: String,
    #[schema(schema_with = crate::views::schema::vocabulary::<FacilityKind>)]
    pub kind: String,
    #[serde(default)]
    pub site_ids: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FacilityPatch {
    #[schema(schema_with = crate::views::schema::name)]
    pub name: Option<String>,
    #[schema(schema_with = crate::views::schema::vocabulary::<FacilityKind>)]
    pub kind: Option<String>,
    pub site_ids: Option<Vec<String>>,
}

impl App {
    /// Every site id must be a site of the same health system; duplicates are dropped.
    async fn check_site_ids(
        &self,
        f: &mut Fields,
        org_id: &str,
        ids: &[String],
    ) -> Result<Vec<String>, AppError> {
        let mut out: Vec<String> = Vec::new();
        for id in ids {
            match self.store.site(id).await? {
                Some(site) if site.org_id == org_id => {
                    if !out.contains(id) {
                        out.push(id.clone());
                    }
                }
                _ => f.fail(
                    "site_ids",
                    format!(
                        "{} is not a site of this health system",
                        id.chars().take(40).collect::<String>()
                    ),
                ),
            }
        }
        Ok(out)
    }

    pub async fn create_facility(
        &self,
        caller: &Caller,
        org_id: &str,
        input: FacilityInput,
        idem: Option<Idem>,
    ) -> Result<Outcome<Facility>, AppError> {
        let org = self.organization(caller, org_id).await?;
        let rel = self.org_relation(caller, org_id).await?;
        self.check(
            caller,
            Action::Create,
            ResourceKind::Facility,
            rel,
            &format!("facilities of {}", org.name),
        )?;
        if org.kind != OrgKind::HealthSystem {
            return Err(AppError::invalid(
                "org_id",
                "facilities belong to health systems, not manufacturers",
            ));
        }
        let mut f = Fields::default();
        let name = f.check("name", Name::parse(&input.name));
        let kind = f.check("kind", input.kind.parse::<FacilityKind>());
        let site_ids = self.check_site_ids(&mut f, org_id, &input.site_ids).await?;
        f.finish()?;
        let kind = kind.expect("checked");
        let facility = Facility {
            id: crate::ids::new_id("fac"),
            org_id: org.id.clone(),
            name: name.expect("checked").into_string(),
            kind,
            site_ids,
            version: 1,
            created_at: 0,
            updated_at: 0,
        };
        let event = FacilityCreated {
            id: facility.id.clone(),
            new: FacilityFields {
                org_id: facility.org_id.clone(),
                name: facility.name.clone(),
                kind,
                site_ids: facility.site_ids.clone(),
            },
        };
        self.write(
            caller,
            idem,
            Write::event(org.id.clone(), &event, move |a| Facility {
                created_at: a.recorded_at,
                updated_at: a.recorded_at,
                ..facility.clone()
            })
            .created(),
        )
        .await
    }

    pub async fn facility(&self, caller: &Caller, id: &str) -> Result<Facility, AppError> {
        let what = format!("facility {id}");
        let facility = self
            .store
            .facility(id)
            .await?
            .map(Facility::from)
            .ok_or_else(|| AppError::not_found(&what))?;
        let rel = self
            .owned_relation(caller, &facility.org_id, Some(facility.created_at))
            .await?;
        self.check(caller, Action::Read, ResourceKind::Facility, rel, &what)?;
        Ok(facility)
    }

    pub async fn facilities(
        &self,
        caller: &Caller,
        org_id: &str,
        page: Page,
    ) -> Result<Vec<Facility>, AppError> {
        let rel = self.org_relation(caller, org_id).await?;
        self.check(
            caller,
            Action::Read,
            ResourceKind::Facility,
            rel,
            &format!("organization {org_id}"),
        )?;
        Ok(crate::views::all(match caller.org_id() {
            Some(viewer) => {
                self.store
                    .facilities_of_seen_by(org_id, viewer, page)
                    .await?
            }
            None => self.store.facilities_of(org_id, page).await?,
        }))
    }

    pub async fn facilities_of_site(
        &self,
        caller: &Caller,
        site_id: &str,
    ) -> Result<Vec<Facility>, AppError> {
        let site = self.site(caller, site_id).await?;
        Ok(crate::views::all(match caller.org_id() {
            Some(viewer) => {
                self.store
                    .facilities_of_site_seen_by(&site.id, viewer)
                    .await?
            }
            None => self.store.facilities_of_site(&site.id).await?,
        }))
    }

    pub async fn update_facility(
        &self,
        caller: &Caller,
        id: &str,
        expected_version: i64,
        patch: FacilityPatch,
        idem: Option<Idem>,
    ) -> Result<Outcome<Facility>, AppError> {
        let current = self.facility(caller, id).await?;
        let what = format!("facility {}", current.name);
        let rel = self
            .owned_relation(caller, &current.org_id, Some(current.created_at))
            .await?;
        self.check(caller, Action::Update, ResourceKind::Facility, rel, &what)?;
        let mut f = Fields::default();
        let name = patch
            .name
            .as_deref()
            .and_then(|v| f.check("name", Name::parse(v)));
        let kind = patch
            .kind
            .as_deref()
            .and_then(|v| f.check("kind", v.parse::<FacilityKind>()));
        let site_ids = match &patch.site_ids {
            Some(ids) => Some(self.check_site_ids(&mut f, &current.org_id, ids).await?),
            None => None,
        };
        f.finish()?;
        expect_version(&what, current.version, expected_version)?;
        let current_kind = current.kind;
        let mut diff = Diff::<FacilityChanges>::default();
        diff.field(
            |c| &mut c.name,
            current.name.clone(),
            name.map(Name::into_string),
        );
        diff.field(|c| &mut c.kind, current_kind, kind);
        diff.field(|c| &mut c.site_ids, current.site_ids.clone(), site_ids);
        if diff.is_empty() {
            return Ok(Outcome::Fresh(current));
        }
        let new = diff.new.clone();
        let moves_gate = new.site_ids.is_some();
        let next = Facility {
            name: new.name.unwrap_or(current.name.clone()),
            kind: new.kind.unwrap_or(current_kind),
            site_ids: new.site_ids.unwrap_or(current.site_ids.clone()),
            version: current.version + 1,
            ..current.clone()
        };
        let event = diff.updated(id, next.version);
        // A blocking gap on this facility now holds back other sites: each active partnership
        // of the health system gets its review (a command on its own ledger), enqueued with
        // this change.
        let mut reviews = Vec::new();
        if moves_gate {
            for p in self
                .store
                .partnerships_of(&current.org_id, Page::all())
                .await?
                .into_iter()
                .filter(|p| p.status == PartnershipStatus::Active)
            {
                reviews.push(self.review_gate(&p.id));
            }
        }
        let out = self
            .write(
                caller,
                idem,
                Write::event(current.org_id.clone(), &event, move |a| Facility {
                    updated_at: a.recorded_at,
                    ..next.clone()
                })
                .enqueue_all(reviews),
            )
            .await?;
        Ok(out)
    }
}
