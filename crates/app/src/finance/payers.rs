//! A health system's payer profiles (issue 14, point 2): how each of its payers pays, lags,
//! denies and settles appeals — the figures its claims are submitted against and a what-if
//! starts from. Its admins and finance people make and edit them (each edit a new version, an
//! event on the health system's ledger); a health system with none may start from DOMAIN.md's
//! defaults (`finance::default_profiles`) with one command. Nobody else sees them.

use crate::{App, AppError, Caller, Fields, Idem, Outcome};
use cellpath_domain::events::finance::{
    PayerProfileCreated, PayerProfileFields, PayerProfileUpdated,
};
use cellpath_domain::finance::{PayerProfile, ProfileInput, default_profiles};
use cellpath_domain::policy::{Action, ResourceKind};
use cellpath_store::PayerProfileRow;
use serde::Serialize;

/// A payer profile as its readers see it: the figures as fractions and days.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct PayerProfileView {
    pub id: String,
    pub name: String,
    /// A fixed amount per claim, US cents.
    pub fixed_cents: i64,
    /// The share of the product's price paid on top, 0 to 1.
    pub price_share: f64,
    pub lag_median_days: i64,
    pub lag_p90_days: i64,
    pub denial_rate: f64,
    pub appeal_success_rate: f64,
    pub appeal_median_days: i64,
    pub appeal_p90_days: i64,
    pub version: i64,
}

/// A health system's payer profiles, with the defaults it may start from.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct PayerProfiles {
    pub profiles: Vec<PayerProfileView>,
    /// DOMAIN.md's profiles (Medicare's MS-DRG 018, commercial plans paying the price), as a
    /// start: not saved until the health system starts from them.
    pub defaults: Vec<ProfileInput>,
}

pub(crate) fn profile_view(id: String, profile: &PayerProfile, version: i64) -> PayerProfileView {
    let i = profile.input();
    PayerProfileView {
        id,
        name: i.name,
        fixed_cents: i.fixed_cents,
        price_share: i.price_share,
        lag_median_days: i.lag_median_days,
        lag_p90_days: i.lag_p90_days,
        denial_rate: i.denial_rate,
        appeal_success_rate: i.appeal_success_rate,
        appeal_median_days: i.appeal_median_days,
        appeal_p90_days: i.appeal_p90_days,
        version,
    }
}

fn row_view(r: &PayerProfileRow) -> PayerProfileView {
    profile_view(r.id.clone(), &r.profile, r.version)
}

/// The checked profile, every problem beside its field.
fn checked(input: &ProfileInput) -> Result<PayerProfile, AppError> {
    input.check().map_err(|problems| {
        let mut f = Fields::default();
        for (field, message) in problems {
            f.fail(field, message);
        }
        f.finish().expect_err("at least one problem")
    })
}

impl App {
    /// The health system whose payers and claims the caller works with: its own, when the
    /// policy's `Claim` lets it `action` them (a manufacturer or another tenant: not found).
    pub(crate) async fn claims_org(
        &self,
        caller: &Caller,
        org_id: &str,
        action: Action,
        what: &str,
    ) -> Result<String, AppError> {
        let rel = self.org_relation(caller, org_id).await?;
        self.check(caller, action, ResourceKind::Claim, rel, what)?;
        Ok(org_id.to_string())
    }

    /// The caller's own health system, for its payers, claims and exposure.
    pub(crate) async fn own_claims_org(
        &self,
        caller: &Caller,
        action: Action,
        what: &str,
    ) -> Result<String, AppError> {
        let Some(org_id) = caller.org_id() else {
            return Err(AppError::Forbidden(format!(
                "{what} are a health system's: sign in as one of its people"
            )));
        };
        self.claims_org(caller, org_id, action, what).await
    }

    /// The caller's health system's payer profiles, by name, with the defaults.
    pub async fn payer_profiles(&self, caller: &Caller) -> Result<PayerProfiles, AppError> {
        let org = self
            .own_claims_org(caller, Action::Read, "payer profiles")
            .await?;
        let rows = self.store.payer_profiles_of(&org).await?;
        Ok(PayerProfiles {
            profiles: rows.iter().map(row_view).collect(),
            defaults: default_profiles().iter().map(PayerProfile::input).collect(),
        })
    }

    /// One payer profile (its health system's admins and finance people).
    pub async fn payer_profile(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<PayerProfileView, AppError> {
        let what = format!("payer profile {id}");
        let row = self
            .store
            .payer_profile(id)
            .await?
            .ok_or_else(|| AppError::not_found(&what))?;
        self.claims_org(caller, &row.org_id, Action::Read, &what)
            .await?;
        Ok(row_view(&row))
    }

    /// A new payer profile of the caller's health system (its admins and finance people),
    /// checked field by field; a name it already has is refused.
    pub async fn create_payer_profile(
        &self,
        caller: &Caller,
        input: ProfileInput,
        idem: Option<Idem>,
    ) -> Result<Outcome<PayerProfileView>, AppError> {
        let org = self
            .own_claims_org(caller, Action::Create, "payer profiles")
            .await?;
        let profile = checked(&input)?;
        let event = PayerProfileCreated {
            id: crate::ids::new_id("pyr"),
            new: PayerProfileFields {
                org_id: org.clone(),
                profile: profile.clone(),
            },
        };
        let answer = profile_view(event.id.clone(), &profile, 1);
        self.write(
            caller,
            idem,
            crate::write::Write::event(&org, &event, move |_| answer.clone()).created(),
        )
        .await
    }

    /// Start from DOMAIN.md's profiles: each default whose name the health system does not
    /// have yet is saved (none again once they are there).
    pub async fn start_payer_profiles_from_defaults(
        &self,
        caller: &Caller,
        idem: Option<Idem>,
    ) -> Result<Outcome<Vec<PayerProfileView>>, AppError> {
        let org = self
            .own_claims_org(caller, Action::Create, "payer profiles")
            .await?;
        let have: Vec<String> = self
            .store
            .payer_profiles_of(&org)
            .await?
            .into_iter()
            .map(|r| r.profile.name.to_lowercase())
            .collect();
        let events: Vec<PayerProfileCreated> = default_profiles()
            .into_iter()
            .filter(|p| !have.contains(&p.name.to_lowercase()))
            .map(|profile| PayerProfileCreated {
                id: crate::ids::new_id("pyr"),
                new: PayerProfileFields {
                    org_id: org.clone(),
                    profile,
                },
            })
            .collect();
        let answer: Vec<PayerProfileView> = events
            .iter()
            .map(|e| profile_view(e.id.clone(), &e.new.profile, 1))
            .collect();
        let recorded = events
            .iter()
            .map(crate::write::Recorded::of)
            .collect::<Vec<_>>();
        match crate::write::Write::events(&org, recorded, move |_| answer.clone()) {
            Some(write) => self.write(caller, idem, write.created()).await,
            None => Err(AppError::State(
                "this health system already has every default payer profile; edit them instead"
                    .into(),
            )),
        }
    }

    /// Edit a payer profile (its health system's admins and finance people) at the version
    /// the caller read: a new version, the whole profile as it now stands.
    pub async fn update_payer_profile(
        &self,
        caller: &Caller,
        id: &str,
        expected_version: i64,
        input: ProfileInput,
        idem: Option<Idem>,
    ) -> Result<Outcome<PayerProfileView>, AppError> {
        let what = format!("payer profile {id}");
        let row = self
            .store
            .payer_profile(id)
            .await?
            .ok_or_else(|| AppError::not_found(&what))?;
        self.claims_org(caller, &row.org_id, Action::Update, &what)
            .await?;
        if row.version != expected_version {
            return Err(AppError::Conflict {
                what,
                current: row.version,
            });
        }
        let profile = checked(&input)?;
        let event = PayerProfileUpdated {
            id: row.id.clone(),
            version: row.version + 1,
            profile: profile.clone(),
            by: super::acted_by(caller),
        };
        let answer = profile_view(row.id.clone(), &profile, row.version + 1);
        self.write(
            caller,
            idem,
            crate::write::Write::event(&row.org_id, &event, move |_| answer.clone()),
        )
        .await
    }
}
