//! A partnership with no release-exception protocol: Helixa × Cascade for Vantacel, the demo's
//! one proposal, accepted here (the demo agrees a protocol on each partnership active when it
//! is seeded, and a protocol cannot be un-agreed). For the stories of what holds before a
//! protocol is agreed — and of a protocol recorded by hand before the gate derived the item
//! from the signed versions, as partnerships of an earlier release still carry.

use super::{AgreementBuilder, DeliverableBuilder, SiteMapSigning, as_user, set_status, today};
use cellpath_app::App;
use cellpath_app::cases::{NewCase, NewPatient};
use cellpath_app::consent::{NewConsentVersion, SectionInput};
use cellpath_domain::contracting::Deliverable;
use cellpath_domain::events::Event;
use cellpath_domain::events::contracting::{DeliverableRecordCreated, DeliverableRecordFields};
use std::future::Future;
use std::panic::Location;

const PW: &str = cellpath_app::demo::DEMO_PASSWORD;

/// The ids of Helixa × Cascade, its site CRM-PDX and Vantacel.
pub struct Cascade {
    pub partnership: String,
    /// CRM-PDX, Cascade Medical Center.
    pub site: String,
    pub vantacel: String,
}

/// Helixa × Cascade accepted by Cascade's contracts lead; `onboarded` and
/// `with_protocol_by_hand` take CRM-PDX further.
pub struct CascadeBuilder {
    onboarded: bool,
    protocol_by_hand: bool,
}

impl CascadeBuilder {
    pub fn accepted() -> Self {
        CascadeBuilder {
            onboarded: false,
            protocol_by_hand: false,
        }
    }

    /// CRM-PDX through every item of the gate but the protocol, through the commands: the
    /// five agreements executed for every site, its consent version made active, its site map
    /// signed by both sides, the four deliverables recorded, the gate's review run. Only the
    /// release-exception protocol is missing.
    pub fn onboarded(mut self) -> Self {
        self.onboarded = true;
        self
    }

    /// The protocol deliverable at CRM-PDX as an earlier release recorded it by hand, done on
    /// 2025-11-20 by Cascade's contracts lead: appended to the partnership's ledger as it was
    /// then (the command refuses it now), and the gate reviewed — with `onboarded`, CRM-PDX is
    /// authorized on it.
    pub fn with_protocol_by_hand(mut self) -> Self {
        self.protocol_by_hand = true;
        self
    }

    #[track_caller]
    pub fn build(self, app: &App) -> impl Future<Output = Cascade> + '_ {
        let at = Location::caller();
        async move {
            let helixa = super::org_id(app, "Helixa Therapeutics").await;
            let cascade = super::org_id(app, "Cascade Regional Medical").await;
            let partnership = super::partnership_between(app, &helixa, &cascade).await;
            let site = super::site_coded(app, &cascade, "CRM-PDX").await;
            let vantacel = super::program_named(app, &helixa, "Vantacel").await;
            let contracts = as_user(app, "contracts@cascade.example").await;
            set_status(app, &contracts, &partnership, "active").await;
            let c = Cascade {
                partnership,
                site,
                vantacel,
            };
            if self.onboarded {
                c.onboard(app, at).await;
            }
            if self.protocol_by_hand {
                c.protocol_by_hand(app, at).await;
            }
            c
        }
    }
}

impl Cascade {
    async fn onboard(&self, app: &App, at: &Location<'_>) {
        let helixa_contracts = as_user(app, "contracts@helixa.example").await;
        let onboarding = as_user(app, "onboarding@helixa.example").await;
        let quality = as_user(app, "quality@helixa.example").await;
        let contracts = as_user(app, "contracts@cascade.example").await;
        let pharmacy = as_user(app, "pharmacy@cascade.example").await;
        for kind in [
            "master_service_agreement",
            "terms_and_conditions",
            "data_protection",
            "quality_agreement",
            "supply_agreement",
        ] {
            AgreementBuilder::new(&self.partnership, kind)
                .executed(app, &helixa_contracts)
                .await;
        }
        let draft = app
            .create_consent_version(
                &contracts,
                &self.site,
                NewConsentVersion {
                    program_id: self.vantacel.clone(),
                    document_sha256: "c1".repeat(32),
                    document_name: "CRM-PDX Vantacel consent.pdf".into(),
                    effective_on: "2025-11-01".into(),
                    sections: vec![SectionInput {
                        kind: "manufacturing_failure".into(),
                        heading: "If your cells cannot be made into Vantacel".into(),
                        text: "If your cells cannot be made into the product, or it fails its release testing, your team will tell you and discuss a second collection or other treatment.".into(),
                    }],
                },
                None,
            )
            .await
            .and_then(|o| o.fresh())
            .unwrap_or_else(|e| panic!("{at}: add CRM-PDX's consent version: {e:?}"));
        app.activate_consent_version(&contracts, &draft.id, Some(draft.version), PW, None)
            .await
            .unwrap_or_else(|e| panic!("{at}: make CRM-PDX's consent version active: {e:?}"));
        let map = app
            .start_site_map(
                &pharmacy,
                &self.partnership,
                &self.site,
                &self.vantacel,
                None,
                None,
            )
            .await
            .and_then(|o| o.fresh())
            .unwrap_or_else(|e| panic!("{at}: start CRM-PDX's site map: {e:?}"));
        SiteMapSigning::by_both(&map.id, &pharmacy, &quality)
            .execute(app)
            .await;
        for (by, deliverable) in [
            (&onboarding, "site_qualification_audit"),
            (&onboarding, "staff_training"),
            (&onboarding, "mock_shipment"),
            (&pharmacy, "pharmacy_and_therapeutics"),
        ] {
            DeliverableBuilder::new(&self.partnership, &self.site, &self.vantacel, deliverable)
                .try_record(app, by)
                .await
                .and_then(|o| o.fresh())
                .unwrap_or_else(|e| panic!("{at}: record {deliverable}: {e:?}"));
        }
        let run = app.run_due_jobs().await;
        assert!(
            matches!(&run, Ok(r) if r.failed == 0),
            "{at}: the gate's review: {run:?}"
        );
    }

    async fn protocol_by_hand(&self, app: &App, at: &Location<'_>) {
        let contracts = as_user(app, "contracts@cascade.example").await;
        let event = DeliverableRecordCreated {
            id: "dlv_protocol_by_hand".into(),
            new: DeliverableRecordFields {
                partnership_id: self.partnership.clone(),
                site_id: self.site.clone(),
                program_id: self.vantacel.clone(),
                deliverable: Deliverable::ReleaseExceptionProtocol,
                done_on: cellpath_domain::Date::parse("2025-11-20").expect("a day"),
                evidence: "Out-of-specification release protocol agreed with Helixa quality."
                    .into(),
                revoked_on: None,
                revoked_reason: String::new(),
            },
        };
        app.store()
            .append(cellpath_store::Append::new(
                self.partnership.clone(),
                contracts.actor(),
                DeliverableRecordCreated::KIND,
                serde_json::to_value(&event).expect("an event serializes"),
                app.now(),
            ))
            .await
            .unwrap_or_else(|e| panic!("{at}: append the protocol recorded by hand: {e:?}"));
        let helixa = as_user(app, "contracts@helixa.example").await;
        app.review_authorizations(&helixa, &self.partnership, today(app))
            .await
            .unwrap_or_else(|e| panic!("{at}: review the gate: {e:?}"));
    }

    /// The protocol recorded by hand before (`with_protocol_by_hand`) revoked by Cascade's
    /// contracts lead, e-signed, and the gate's review run.
    pub async fn revoke_protocol_by_hand(&self, app: &App) {
        let contracts = as_user(app, "contracts@cascade.example").await;
        let by_hand = app
            .store()
            .deliverable_records_of(&self.partnership, &self.site, &self.vantacel)
            .await
            .unwrap()
            .into_iter()
            .find(|d| d.deliverable == Deliverable::ReleaseExceptionProtocol)
            .expect("the protocol recorded by hand");
        app.revoke_deliverable(
            &contracts,
            &by_hand.id,
            by_hand.version,
            "superseded by the signed protocol",
            PW,
            None,
        )
        .await
        .unwrap();
        app.run_due_jobs().await.unwrap();
    }

    /// A patient registered at CRM-PDX and a Vantacel case opened for them by Cascade's
    /// coordinator (the site must be authorized).
    pub async fn open_case(&self, app: &App) -> String {
        let coordinator = as_user(app, "coordinator@cascade.example").await;
        let patient = app
            .register_patient(
                &coordinator,
                NewPatient {
                    site_id: self.site.clone(),
                    name: "Odile Marchetti".into(),
                    date_of_birth: "1961-07-09".into(),
                    mrn: "CRM-40417733".into(),
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        app.open_case(
            &coordinator,
            NewCase {
                partnership_id: self.partnership.clone(),
                site_id: self.site.clone(),
                program_id: self.vantacel.clone(),
                patient_id: patient.patient_id,
            },
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap()
        .id
    }

    /// CRM-PDX's recorded verdict for Vantacel and what the gate finds missing today.
    pub async fn verdict(&self, app: &App) -> (String, Vec<String>) {
        super::verdict_of(app, &self.partnership, &self.site, &self.vantacel).await
    }
}
