//! Sites: the treatment locations of a health system, on its ledger.

use super::expect_version;
use crate::views::{Page, Site};
use crate::write::Write;
use crate::{App, AppError, Caller, Fields, Idem, Outcome};
use cellpath_domain::events::Diff;
use cellpath_domain::events::directory::{SiteChanges, SiteCreated, SiteFields};
use cellpath_domain::policy::{Action, ResourceKind};
use cellpath_domain::{Code, Name, OrgKind};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteInput {
    #[schema(schema_with = crate::views::schema::name)]
    pub name: String,
    #[schema(schema_with = crate::views::schema::code)]
    pub code: String,
    #[schema(schema_with = crate::views::schema::name)]
    pub city: String,
    #[schema(schema_with = crate::views::schema::name)]
    pub region: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SitePatch {
    #[schema(schema_with = crate::views::schema::name)]
    pub name: Option<String>,
    #[schema(schema_with = crate::views::schema::code)]
    pub code: Option<String>,
    #[schema(schema_with = crate::views::schema::name)]
    pub city: Option<String>,
    #[schema(schema_with = crate::views::schema::name)]
    pub region: Option<String>,
    pub active: Option<bool>,
}

impl App {
    /// Create a site in the caller's own health system (or, for the operator, in `org_id`).
    pub async fn create_site(
        &self,
        caller: &Caller,
        org_id: &str,
        input: SiteInput,
        idem: Option<Idem>,
    ) -> Result<Outcome<Site>, AppError> {
        let org = self.organization(caller, org_id).await?;
        let rel = self.org_relation(caller, org_id).await?;
        self.check(
            caller,
            Action::Create,
            ResourceKind::Site,
            rel,
            &format!("sites of {}", org.name),
        )?;
        if org.kind != OrgKind::HealthSystem {
            return Err(AppError::invalid(
                "org_id",
                "sites belong to health systems, not manufacturers",
            ));
        }
        let mut f = Fields::default();
        let name = f.check("name", Name::parse(&input.name));
        let code = f.check("code", Code::parse(&input.code));
        let city = f.check("city", Name::parse(&input.city));
        let region = f.check("region", Name::parse(&input.region));
        f.finish()?;
        let site = Site {
            id: crate::ids::new_id("site"),
            org_id: org.id.clone(),
            name: name.expect("checked").into_string(),
            code: code.expect("checked").into_string(),
            city: city.expect("checked").into_string(),
            region: region.expect("checked").into_string(),
            active: true,
            version: 1,
            created_at: 0,
            updated_at: 0,
        };
        let code = site.code.clone();
        let event = SiteCreated {
            id: site.id.clone(),
            new: SiteFields {
                org_id: site.org_id.clone(),
                name: site.name.clone(),
                code: site.code.clone(),
                city: site.city.clone(),
                region: site.region.clone(),
                active: true,
            },
        };
        self.write(
            caller,
            idem,
            Write::event(org.id.clone(), &event, move |a| Site {
                created_at: a.recorded_at,
                updated_at: a.recorded_at,
                ..site.clone()
            })
            .created(),
        )
        .await
        .map_err(|e| code_taken(e, &code))
    }

    pub async fn site(&self, caller: &Caller, id: &str) -> Result<Site, AppError> {
        let what = format!("site {id}");
        let site = self
            .store
            .site(id)
            .await?
            .map(Site::from)
            .ok_or_else(|| AppError::not_found(&what))?;
        let rel = self
            .owned_relation(caller, &site.org_id, Some(site.created_at))
            .await?;
        self.check(caller, Action::Read, ResourceKind::Site, rel, &what)?;
        Ok(site)
    }

    pub async fn sites(
        &self,
        caller: &Caller,
        org_id: &str,
        page: Page,
    ) -> Result<Vec<Site>, AppError> {
        let rel = self.org_relation(caller, org_id).await?;
        self.check(
            caller,
            Action::Read,
            ResourceKind::Site,
            rel,
            &format!("organization {org_id}"),
        )?;
        Ok(crate::views::all(match caller.org_id() {
            Some(viewer) => self.store.sites_of_seen_by(org_id, viewer, page).await?,
            None => self.store.sites_of(org_id, page).await?,
        }))
    }

    pub async fn update_site(
        &self,
        caller: &Caller,
        id: &str,
        expected_version: i64,
        patch: SitePatch,
        idem: Option<Idem>,
    ) -> Result<Outcome<Site>, AppError> {
        let current = self.site(caller, id).await?;
        let what = format!("site {}", current.name);
        let rel = self
            .owned_relation(caller, &current.org_id, Some(current.created_at))
            .await?;
        self.check(caller, Action::Update, ResourceKind::Site, rel, &what)?;
        let mut f = Fields::default();
        let name = patch
            .name
            .as_deref()
            .and_then(|v| f.check("name", Name::parse(v)));
        let code = patch
            .code
            .as_deref()
            .and_then(|v| f.check("code", Code::parse(v)));
        let city = patch
            .city
            .as_deref()
            .and_then(|v| f.check("city", Name::parse(v)));
        let region = patch
            .region
            .as_deref()
            .and_then(|v| f.check("region", Name::parse(v)));
        f.finish()?;
        expect_version(&what, current.version, expected_version)?;
        let mut diff = Diff::<SiteChanges>::default();
        diff.field(
            |c| &mut c.name,
            current.name.clone(),
            name.map(Name::into_string),
        );
        diff.field(
            |c| &mut c.code,
            current.code.clone(),
            code.map(Code::into_string),
        );
        diff.field(
            |c| &mut c.city,
            current.city.clone(),
            city.map(Name::into_string),
        );
        diff.field(
            |c| &mut c.region,
            current.region.clone(),
            region.map(Name::into_string),
        );
        diff.field(|c| &mut c.active, current.active, patch.active);
        if diff.is_empty() {
            return Ok(Outcome::Fresh(current));
        }
        let new = diff.new.clone();
        let next = Site {
            name: new.name.unwrap_or(current.name.clone()),
            code: new.code.unwrap_or(current.code.clone()),
            city: new.city.unwrap_or(current.city.clone()),
            region: new.region.unwrap_or(current.region.clone()),
            active: new.active.unwrap_or(current.active),
            version: current.version + 1,
            ..current.clone()
        };
        let code = next.code.clone();
        let event = diff.updated(id, next.version);
        self.write(
            caller,
            idem,
            Write::event(current.org_id.clone(), &event, move |a| Site {
                updated_at: a.recorded_at,
                ..next.clone()
            }),
        )
        .await
        .map_err(|e| code_taken(e, &code))
    }

    /// Relation helper for callers that list what they may create.
    pub async fn can_create_site(&self, caller: &Caller, org_id: &str) -> bool {
        match self.org_relation(caller, org_id).await {
            Ok(rel) => self
                .check(caller, Action::Create, ResourceKind::Site, rel, "")
                .is_ok(),
            Err(_) => false,
        }
    }
}

/// A code another site of the health system already has, said with the code.
fn code_taken(e: AppError, code: &str) -> AppError {
    match e {
        AppError::Duplicate { field, .. } if field == "code" => AppError::Duplicate {
            field,
            message: format!("a site with code {code} already exists"),
        },
        other => other,
    }
}
