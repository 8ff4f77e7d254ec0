//! Builders for the sequences the stories repeat, in the style of crates.io's test builders:
//! a struct with defaults for what a story does not care about, `.with_…()` for what it does,
//! and a `#[track_caller]` method that runs the commands. When a command fails the panic names
//! the story's line, not this file's (the location is taken before the future runs, since
//! `#[track_caller]` does not reach into an `async fn`).
//!
//! - [`AgreementBuilder`]: create an agreement, date it and move it to executed.
//! - [`DeliverableBuilder`]: record a deliverable with the signer's password.
//! - [`SiteMapSigning`]: a site map version signed by both sides.
//! - [`PartnershipBuilder`]: a partnership proposed by a manufacturer to a health system.

use cellpath_app::contracting::{AgreementInput, DeliverableInput};
use cellpath_app::records::partnerships::PartnershipInput;
use cellpath_app::views::Partnership;
use cellpath_app::views::{Agreement, DeliverableRecord};
use cellpath_app::{App, AppError, Caller, Outcome};
use cellpath_domain::contracting::Coverage;
use cellpath_ledger::Meaning;
use std::future::Future;
use std::panic::Location;

/// An agreement on a partnership: by default health-system wide, covering every site,
/// effective 2025-01-01 and never expiring.
pub struct AgreementBuilder<'a> {
    partnership_id: String,
    kind: String,
    scope: String,
    site_id: Option<String>,
    coverage: Option<Coverage>,
    effective_on: String,
    expires_on: String,
    /// Who dates and executes it, when not whoever created it.
    executed_by: Option<&'a Caller>,
}

impl<'a> AgreementBuilder<'a> {
    pub fn new(partnership_id: &str, kind: &str) -> Self {
        AgreementBuilder {
            partnership_id: partnership_id.into(),
            kind: kind.into(),
            scope: "health_system".into(),
            site_id: None,
            coverage: None,
            effective_on: "2025-01-01".into(),
            expires_on: String::new(),
            executed_by: None,
        }
    }

    /// A `site`-scope agreement for this site.
    pub fn with_site(mut self, site_id: &str) -> Self {
        self.scope = "site".into();
        self.site_id = Some(site_id.into());
        self
    }

    pub fn with_coverage(mut self, coverage: Coverage) -> Self {
        self.coverage = Some(coverage);
        self
    }

    pub fn with_effective_on(mut self, day: &str) -> Self {
        self.effective_on = day.into();
        self
    }

    pub fn with_expires_on(mut self, day: &str) -> Self {
        self.expires_on = day.into();
        self
    }

    /// Dated and executed by `by` (e.g. the other side) instead of its creator.
    pub fn with_executed_by(mut self, by: &'a Caller) -> Self {
        self.executed_by = Some(by);
        self
    }

    fn input(&self) -> AgreementInput {
        AgreementInput {
            kind: self.kind.clone(),
            scope: self.scope.clone(),
            site_id: self.site_id.clone(),
            coverage: self.coverage.clone(),
            owner_manufacturer: None,
            owner_health_system: None,
        }
    }

    /// Created as `by` (status `not_started`), or the app's refusal.
    pub async fn try_create(self, app: &App, by: &Caller) -> Result<Outcome<Agreement>, AppError> {
        app.create_agreement(by, &self.partnership_id, self.input(), None)
            .await
    }

    /// Created as `by` (status `not_started`).
    #[track_caller]
    pub fn create(self, app: &'a App, by: &'a Caller) -> impl Future<Output = Agreement> + 'a {
        let at = Location::caller();
        async move { fresh(at, "create the agreement", self.try_create(app, by).await) }
    }

    /// Created as `by`, dated, and moved to `executed` (by `with_executed_by`'s caller if set).
    /// After each step the jobs it enqueued run (the gate's reviews), as a worker keeping up
    /// would run them.
    #[track_caller]
    pub fn executed(self, app: &'a App, by: &'a Caller) -> impl Future<Output = Agreement> + 'a {
        let at = Location::caller();
        async move {
            let executor = self.executed_by.unwrap_or(by);
            let (effective_on, expires_on) = (self.effective_on.clone(), self.expires_on.clone());
            let a = fresh(at, "create the agreement", self.try_create(app, by).await);
            run_jobs(at, app).await;
            let a = fresh(
                at,
                "date the agreement",
                app.set_agreement_dates(
                    executor,
                    &a.id,
                    a.version,
                    &effective_on,
                    &expires_on,
                    None,
                )
                .await,
            );
            run_jobs(at, app).await;
            let a = fresh(
                at,
                "execute the agreement",
                app.move_agreement(executor, &a.id, a.version, "executed", None)
                    .await,
            );
            run_jobs(at, app).await;
            a
        }
    }
}

/// Run the due jobs, failing at the builder's caller if one fails.
async fn run_jobs(at: &Location<'_>, app: &App) {
    match app.run_due_jobs().await {
        Ok(run) if run.failed == 0 => {}
        other => panic!("{at}: running the jobs: {other:?}"),
    }
}

/// A deliverable of a site for a program on a partnership: by default done on 2025-11-20
/// (before the demo's today) and signed with the demo's password.
pub struct DeliverableBuilder {
    partnership_id: String,
    input: DeliverableInput,
    password: String,
}

impl DeliverableBuilder {
    pub fn new(partnership_id: &str, site_id: &str, program_id: &str, deliverable: &str) -> Self {
        DeliverableBuilder {
            partnership_id: partnership_id.into(),
            input: DeliverableInput {
                site_id: site_id.into(),
                program_id: program_id.into(),
                deliverable: deliverable.into(),
                done_on: "2025-11-20".into(),
                evidence: "Done.".into(),
            },
            password: cellpath_app::demo::DEMO_PASSWORD.into(),
        }
    }

    pub fn with_done_on(mut self, day: &str) -> Self {
        self.input.done_on = day.into();
        self
    }

    pub fn with_evidence(mut self, evidence: &str) -> Self {
        self.input.evidence = evidence.into();
        self
    }

    pub fn with_password(mut self, password: &str) -> Self {
        self.password = password.into();
        self
    }

    /// Recorded as `by`, or the app's refusal.
    pub async fn try_record(
        self,
        app: &App,
        by: &Caller,
    ) -> Result<Outcome<DeliverableRecord>, AppError> {
        app.record_deliverable(by, &self.partnership_id, self.input, &self.password, None)
            .await
    }

    /// Recorded as `by`.
    #[track_caller]
    pub fn record<'a>(
        self,
        app: &'a App,
        by: &'a Caller,
    ) -> impl Future<Output = DeliverableRecord> + 'a {
        let at = Location::caller();
        async move { fresh(at, "record the deliverable", self.try_record(app, by).await) }
    }
}

/// A site map version signed (approved, with the demo's password) by the site's signer and
/// then the manufacturer's, the two signatures that settle it.
pub struct SiteMapSigning<'a> {
    site_map_id: String,
    signers: [&'a Caller; 2],
    password: String,
}

impl<'a> SiteMapSigning<'a> {
    pub fn by_both(site_map_id: &str, site_side: &'a Caller, manufacturer: &'a Caller) -> Self {
        SiteMapSigning {
            site_map_id: site_map_id.into(),
            signers: [site_side, manufacturer],
            password: cellpath_app::demo::DEMO_PASSWORD.into(),
        }
    }

    #[track_caller]
    pub fn execute(self, app: &'a App) -> impl Future<Output = ()> + 'a {
        let at = Location::caller();
        async move {
            for signer in self.signers {
                if let Err(e) = app
                    .sign_site_map(
                        signer,
                        &self.site_map_id,
                        Meaning::Approved,
                        &self.password,
                        None,
                    )
                    .await
                {
                    panic!("{at}: sign the site map as {}: {e:?}", signer.name);
                }
            }
        }
    }
}

/// A partnership proposed to a health system, by default for no program and by the
/// proposer's own organization.
pub struct PartnershipBuilder {
    input: PartnershipInput,
}

impl PartnershipBuilder {
    pub fn new(health_system_id: &str, name: &str) -> Self {
        PartnershipBuilder {
            input: PartnershipInput {
                health_system_id: health_system_id.into(),
                name: name.into(),
                programs: vec![],
                manufacturer_id: None,
            },
        }
    }

    /// Programs by name or id.
    pub fn with_programs(mut self, programs: &[&str]) -> Self {
        self.input.programs = programs.iter().map(|p| p.to_string()).collect();
        self
    }

    /// The manufacturer named in the proposal (only one's own is allowed).
    pub fn with_manufacturer(mut self, manufacturer_id: &str) -> Self {
        self.input.manufacturer_id = Some(manufacturer_id.into());
        self
    }

    /// Proposed as `by`, or the app's refusal.
    pub async fn try_create(
        self,
        app: &App,
        by: &Caller,
    ) -> Result<Outcome<Partnership>, AppError> {
        app.create_partnership(by, self.input, None).await
    }

    /// Proposed as `by` (status `proposed`).
    #[track_caller]
    pub fn create<'a>(
        self,
        app: &'a App,
        by: &'a Caller,
    ) -> impl Future<Output = Partnership> + 'a {
        let at = Location::caller();
        async move {
            fresh(
                at,
                "propose the partnership",
                self.try_create(app, by).await,
            )
        }
    }
}

/// The fresh value of a command that must succeed, or a panic naming the story's line.
fn fresh<T>(at: &Location<'_>, what: &str, result: Result<Outcome<T>, AppError>) -> T {
    match result.and_then(Outcome::fresh) {
        Ok(value) => value,
        Err(e) => panic!("{at}: {what}: {e:?}"),
    }
}
