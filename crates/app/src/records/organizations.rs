//! Organizations: manufacturers and health systems. Each one opens its own ledger.
//! Tenants do not create organizations; the operator does (`cellpath org create`).

use super::expect_version;
use crate::views::{Organization, Page};
use crate::write::Write;
use crate::zone::Zone;
use crate::{App, AppError, Caller, Fields, Idem, Outcome};
use cellpath_domain::events::Diff;
use cellpath_domain::events::directory::{
    OrganizationChanges, OrganizationCreated, OrganizationFields,
};
use cellpath_domain::policy::{Action, ResourceKind};
use cellpath_domain::{Name, OrgKind};
use cellpath_store::LedgerKind;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationInput {
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationPatch {
    #[schema(schema_with = crate::views::schema::name)]
    pub name: Option<String>,
    /// Its time zone: an IANA name of the tz database, e.g. `America/Chicago` or `UTC`. Pages
    /// show its people times on that zone's clock; the API keeps UTC.
    #[schema(schema_with = crate::views::schema::time_zone)]
    pub time_zone: Option<String>,
}

impl App {
    pub async fn create_organization(
        &self,
        caller: &Caller,
        input: OrganizationInput,
        idem: Option<Idem>,
    ) -> Result<Outcome<Organization>, AppError> {
        if caller.principal.is_some() {
            return Err(AppError::Forbidden(
                "organizations are created by the operator of this cellpath installation".into(),
            ));
        }
        let mut f = Fields::default();
        let kind = f.check("kind", input.kind.parse::<OrgKind>());
        let name = f.check("name", Name::parse(&input.name));
        f.finish()?;
        let (kind, name) = (kind.expect("checked"), name.expect("checked"));
        let id = crate::ids::new_id("org");
        let ledger_kind = match kind {
            OrgKind::Manufacturer => LedgerKind::Manufacturer,
            OrgKind::HealthSystem => LedgerKind::HealthSystem,
        };
        let event = OrganizationCreated {
            id: id.clone(),
            new: OrganizationFields {
                kind,
                name: name.as_str().to_string(),
            },
        };
        let org = Organization {
            id: id.clone(),
            kind,
            name: name.into_string(),
            time_zone: None,
            version: 1,
            created_at: 0,
            updated_at: 0,
        };
        self.write(
            caller,
            idem,
            Write::event(id, &event, move |a| Organization {
                created_at: a.recorded_at,
                updated_at: a.recorded_at,
                ..org.clone()
            })
            .opening(ledger_kind)
            .created(),
        )
        .await
    }

    pub async fn organization(&self, caller: &Caller, id: &str) -> Result<Organization, AppError> {
        let what = format!("organization {id}");
        let org = self
            .store
            .organization(id)
            .await?
            .map(Organization::from)
            .ok_or_else(|| AppError::not_found(&what))?;
        let rel = self.org_relation(caller, &org.id).await?;
        self.check(caller, Action::Read, ResourceKind::Organization, rel, &what)?;
        Ok(org)
    }

    /// The organizations a caller can see: its own and its partners'. The operator sees all.
    pub async fn organizations(
        &self,
        caller: &Caller,
        page: Page,
    ) -> Result<Vec<Organization>, AppError> {
        Ok(crate::views::all(match caller.org_id() {
            Some(org) => self.store.organizations_visible_to(org, page).await?,
            None => self.store.organizations(page).await?,
        }))
    }

    /// The directory of health systems a manufacturer may propose a partnership to: their
    /// names are not secret to a manufacturer (nor to the operator); a health system is not
    /// shown its peers.
    pub async fn health_system_directory(
        &self,
        caller: &Caller,
    ) -> Result<Vec<Organization>, AppError> {
        if caller
            .principal
            .as_ref()
            .is_some_and(|p| p.org_kind != OrgKind::Manufacturer)
        {
            return Err(AppError::Forbidden(
                "only a manufacturer sees the directory of health systems".into(),
            ));
        }
        Ok(self
            .store
            .organizations(Page::all())
            .await?
            .into_iter()
            .filter(|o| o.kind == OrgKind::HealthSystem)
            .map(Organization::from)
            .collect())
    }

    pub async fn update_organization(
        &self,
        caller: &Caller,
        id: &str,
        expected_version: i64,
        patch: OrganizationPatch,
        idem: Option<Idem>,
    ) -> Result<Outcome<Organization>, AppError> {
        let current = self.organization(caller, id).await?;
        let what = format!("organization {id}");
        let rel = self.org_relation(caller, id).await?;
        self.check(
            caller,
            Action::Update,
            ResourceKind::Organization,
            rel,
            &what,
        )?;
        let mut f = Fields::default();
        let name = patch
            .name
            .as_deref()
            .map(|n| f.check("name", Name::parse(n)))
            .unwrap_or(None);
        let zone = patch
            .time_zone
            .as_deref()
            .and_then(|z| f.check("time_zone", Zone::parse(z)));
        f.finish()?;
        expect_version(&what, current.version, expected_version)?;
        let mut diff = Diff::<OrganizationChanges>::default();
        diff.field(
            |c| &mut c.name,
            current.name.clone(),
            name.map(Name::into_string),
        );
        diff.field(
            |c| &mut c.time_zone,
            // Never set reads as UTC: saving UTC over it changes nothing.
            Zone::of(current.time_zone.as_deref()).name().to_string(),
            zone.map(|z| z.name().to_string()),
        );
        if diff.is_empty() {
            return Ok(Outcome::Fresh(current));
        }
        let next = Organization {
            name: diff.new.name.clone().unwrap_or(current.name.clone()),
            time_zone: diff.new.time_zone.clone().or(current.time_zone.clone()),
            version: current.version + 1,
            ..current
        };
        let event = diff.updated(id, next.version);
        self.write(
            caller,
            idem,
            Write::event(id, &event, move |a| Organization {
                updated_at: a.recorded_at,
                ..next.clone()
            }),
        )
        .await
    }
}
