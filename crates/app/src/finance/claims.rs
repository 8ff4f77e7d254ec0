//! Claims per case (issue 14, point 2): the health system submits a case's claim to one of its
//! payers (a payer profile), then records what happened — paid, denied, appealed, finally
//! unpaid — each step a command with its event on the health system's own ledger, refused in
//! words when out of order (the domain's `finance::Claim`). Its admins and finance people do
//! it; its other staff get 403; the manufacturer and other tenants never learn a claim exists.

use crate::{App, AppError, Caller, Idem, Outcome};
use cellpath_domain::Date;
use cellpath_domain::events::finance::{ClaimCreated, ClaimFields, ClaimStepped};
use cellpath_domain::finance::{Claim, ClaimRefusal, ClaimStatus, ClaimStep};
use cellpath_domain::policy::Action;
use cellpath_store::{CaseRow, ClaimRow};
use serde::{Deserialize, Serialize};

/// A claim as a form or an API call submits it.
#[derive(utoipa::ToSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewClaim {
    /// One of the health system's payer profiles.
    pub payer_profile_id: String,
    /// `YYYY-MM-DD`, not after today.
    pub submitted_on: String,
    /// US cents; when left out, what the payer's profile expects for the case (its fixed
    /// amount plus its share of the invoiced price; under expanded access, the reduced
    /// inpatient payment).
    #[serde(default)]
    pub claimed_cents: Option<i64>,
}

/// A later step of a claim as a form or an API call sends it.
#[derive(utoipa::ToSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewClaimStep {
    /// `paid`, `denied`, `appealed` or `unpaid` (the denial stood).
    pub step: String,
    /// `YYYY-MM-DD`: not before the claim's last step, not after today.
    pub on: String,
    /// `paid`: the amount paid, US cents (at most the amount claimed).
    #[serde(default)]
    pub amount_cents: Option<i64>,
    /// `denied`: the payer's reason.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A case's claim as its readers see it.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct ClaimView {
    pub id: String,
    pub case_id: String,
    /// The case's pseudonym.
    pub pseudonym: String,
    pub payer_profile_id: String,
    pub payer_name: String,
    pub submitted_on: Date,
    pub claimed_cents: i64,
    /// The product was infused under expanded access: no invoice, the reduced payment.
    pub expanded_access: bool,
    pub status: ClaimStatus,
    /// Where it stands, in words.
    pub status_words: String,
    pub paid_cents: Option<i64>,
    pub paid_on: Option<Date>,
    pub denied_on: Option<Date>,
    pub denial_reason: Option<String>,
    pub appealed_on: Option<Date>,
    pub unpaid_on: Option<Date>,
    pub version: i64,
}

/// A case's money on its page (`App::case_money`).
#[derive(Debug, Clone, Serialize)]
pub struct CaseMoney {
    pub invoice: Option<super::invoices::InvoiceView>,
    pub claim: Option<ClaimView>,
    /// The health system's payer profiles, for a claim's payer.
    pub payers: Vec<PayerChoice>,
    /// Infused (or to be) under expanded access: no invoice, the reduced payment.
    pub expanded_access: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PayerChoice {
    pub id: String,
    pub name: String,
}

fn view(r: &ClaimRow, pseudonym: &str) -> ClaimView {
    ClaimView {
        id: r.id.clone(),
        case_id: r.case_id.clone(),
        pseudonym: pseudonym.to_string(),
        payer_profile_id: r.payer_profile_id.clone(),
        payer_name: r.payer_name.clone(),
        submitted_on: r.submitted_on.clone(),
        claimed_cents: r.claimed_cents,
        expanded_access: r.expanded_access,
        status: r.status,
        status_words: r.status.words().to_string(),
        paid_cents: r.paid_cents,
        paid_on: r.paid_on.clone(),
        denied_on: r.denied_on.clone(),
        denial_reason: r.denial_reason.clone(),
        appealed_on: r.appealed_on.clone(),
        unpaid_on: r.unpaid_on.clone(),
        version: r.version,
    }
}

/// The claim its row holds, as the domain folds it.
fn domain_claim(r: &ClaimRow) -> Claim {
    Claim {
        submitted_on: r.submitted_on.clone(),
        claimed_cents: r.claimed_cents,
        status: r.status,
        last_on: r.last_on.clone(),
        paid: r.paid_cents.zip(r.paid_on.clone()),
        denied: r
            .denied_on
            .clone()
            .map(|d| (d, r.denial_reason.clone().unwrap_or_default())),
        appealed_on: r.appealed_on.clone(),
        unpaid_on: r.unpaid_on.clone(),
    }
}

/// The row after a step (the answer of the command, as the projector will leave it).
fn stepped(mut r: ClaimRow, c: &Claim) -> ClaimRow {
    r.status = c.status;
    r.last_on = c.last_on.clone();
    r.paid_cents = c.paid.as_ref().map(|p| p.0);
    r.paid_on = c.paid.as_ref().map(|p| p.1.clone());
    r.denied_on = c.denied.as_ref().map(|d| d.0.clone());
    r.denial_reason = c.denied.as_ref().map(|d| d.1.clone());
    r.appealed_on = c.appealed_on.clone();
    r.unpaid_on = c.unpaid_on.clone();
    r.version += 1;
    r
}

fn refused(r: ClaimRefusal) -> AppError {
    match r.field() {
        Some(field) => AppError::invalid(field, r),
        None => AppError::State(r.to_string()),
    }
}

impl App {
    /// Whether the case's product was infused under expanded access (an out-of-specification
    /// product, infused on the physician's request under an expanded-access protocol): then
    /// the manufacturer sends no invoice and the claim is the reduced inpatient payment.
    /// Read from the case's release exceptions: one decided as infusion under expanded access
    /// (the infusion it allows follows the four prerequisites; a case never infused has no
    /// basis event to invoice at, so the decision alone is the answer).
    pub async fn case_is_expanded_access(&self, case_id: &str) -> Result<bool, AppError> {
        Ok(self
            .store
            .release_exceptions_of_case(case_id)
            .await?
            .iter()
            .any(|r| {
                r.decision
                    == Some(cellpath_domain::release_exception::DecisionOption::ExpandedAccess)
            }))
    }

    /// The case, if the caller may `action` its claims: the case's health system's admins and
    /// finance people (others of it: 403); anyone else: not found.
    async fn claims_case(
        &self,
        caller: &Caller,
        case_id: &str,
        action: Action,
    ) -> Result<(CaseRow, String), AppError> {
        let what = format!("case {case_id}");
        let case = self
            .store
            .case(case_id)
            .await?
            .ok_or_else(|| AppError::not_found(&what))?;
        let p = self
            .store
            .partnership(&case.partnership_id)
            .await?
            .ok_or_else(|| AppError::not_found(&what))?;
        let org = self
            .claims_org(
                caller,
                &p.health_system_id,
                action,
                &format!("{what}'s claims"),
            )
            .await
            .map_err(|e| e.not_found_as(&what))?;
        Ok((case, org))
    }

    /// A case's claims (none or its one claim).
    pub async fn claims_of_case(
        &self,
        caller: &Caller,
        case_id: &str,
    ) -> Result<Vec<ClaimView>, AppError> {
        let (case, _) = self.claims_case(caller, case_id, Action::Read).await?;
        let claim = self.store.claim_of_case(&case.id).await?;
        Ok(claim.iter().map(|r| view(r, &case.pseudonym)).collect())
    }

    /// The money of one case as its health system's admins and finance people see it on the
    /// case's page: the manufacturer's invoice (none before its basis event, none under
    /// expanded access), the claim, and the payers a claim may go to. Others of the health
    /// system: 403; anyone else: not found.
    pub async fn case_money(&self, caller: &Caller, case_id: &str) -> Result<CaseMoney, AppError> {
        let (case, org) = self.claims_case(caller, case_id, Action::Read).await?;
        let (invoice, claim, profiles, expanded_access) = tokio::try_join!(
            async { Ok::<_, AppError>(self.store.invoice_of_case(&case.id).await?) },
            async { Ok::<_, AppError>(self.store.claim_of_case(&case.id).await?) },
            async { Ok::<_, AppError>(self.store.payer_profiles_of(&org).await?) },
            self.case_is_expanded_access(&case.id),
        )?;
        let invoice = match invoice {
            Some(row) => self.invoice_views(vec![row]).await?.pop(),
            None => None,
        };
        Ok(CaseMoney {
            invoice,
            claim: claim.as_ref().map(|r| view(r, &case.pseudonym)),
            payers: profiles
                .into_iter()
                .map(|p| PayerChoice {
                    id: p.id,
                    name: p.profile.name,
                })
                .collect(),
            expanded_access,
        })
    }

    /// One claim (its health system's admins and finance people).
    pub async fn claim(&self, caller: &Caller, claim_id: &str) -> Result<ClaimView, AppError> {
        let (row, case) = self.claim_row(caller, claim_id, Action::Read).await?;
        Ok(view(&row, &case.pseudonym))
    }

    async fn claim_row(
        &self,
        caller: &Caller,
        claim_id: &str,
        action: Action,
    ) -> Result<(ClaimRow, CaseRow), AppError> {
        let what = format!("claim {claim_id}");
        let row = self
            .store
            .claim(claim_id)
            .await?
            .ok_or_else(|| AppError::not_found(&what))?;
        let (case, _) = self
            .claims_case(caller, &row.case_id, action)
            .await
            .map_err(|e| e.not_found_as(&what))?;
        Ok((row, case))
    }

    /// Submit a case's claim to one of the health system's payers: one claim per case, on a day
    /// not after today, for an amount above 0 (the profile's expectation when none is given).
    pub async fn submit_claim(
        &self,
        caller: &Caller,
        case_id: &str,
        input: NewClaim,
        idem: Option<Idem>,
    ) -> Result<Outcome<ClaimView>, AppError> {
        let (case, org) = self.claims_case(caller, case_id, Action::Create).await?;
        let mut f = crate::Fields::default();
        let profile = match self.store.payer_profile(&input.payer_profile_id).await? {
            Some(p) if p.org_id == org => Some(p),
            _ => {
                f.fail(
                    "payer_profile_id",
                    "is not one of this health system's payer profiles",
                );
                None
            }
        };
        let submitted_on = f.check("submitted_on", Date::parse(&input.submitted_on));
        f.finish()?;
        let (profile, submitted_on) = (profile.expect("checked"), submitted_on.expect("checked"));
        if let Some(existing) = self.store.claim_of_case(&case.id).await? {
            return Err(AppError::State(format!(
                "case {} already has its claim to {} (submitted on {}, {}): record its steps there",
                case.pseudonym,
                existing.payer_name,
                existing.submitted_on,
                existing.status.words()
            )));
        }
        let expanded_access = self.case_is_expanded_access(&case.id).await?;
        let claimed = match input.claimed_cents {
            Some(c) => c,
            None => {
                let price = self
                    .store
                    .invoice_of_case(&case.id)
                    .await?
                    .map_or(0, |i| i.price_cents);
                let expected = profile.profile.expected_cents(price, expanded_access);
                if expected <= 0 {
                    return Err(AppError::invalid(
                        "claimed_cents",
                        format!(
                            "give the amount claimed: {} pays a share of the price, and this case has no invoice to take the price from",
                            profile.profile.name
                        ),
                    ));
                }
                expected
            }
        };
        let today = Date::of_micros(self.now());
        Claim::submit(submitted_on.clone(), claimed, &today).map_err(|r| match r {
            ClaimRefusal::Future { .. } => AppError::invalid("submitted_on", r),
            ClaimRefusal::Amount { .. } => AppError::invalid("claimed_cents", r),
            other => refused(other),
        })?;
        let event = ClaimCreated {
            id: crate::ids::new_id("clm"),
            new: ClaimFields {
                org_id: org.clone(),
                case_id: case.id.clone(),
                site_id: case.site_id.clone(),
                partnership_id: case.partnership_id.clone(),
                program_id: case.program_id.clone(),
                payer_profile_id: profile.id.clone(),
                payer_name: profile.profile.name.clone(),
                submitted_on: submitted_on.clone(),
                claimed_cents: claimed,
                expanded_access,
                by: super::acted_by(caller),
            },
        };
        let row = ClaimRow {
            id: event.id.clone(),
            org_id: org.clone(),
            case_id: case.id.clone(),
            site_id: case.site_id.clone(),
            partnership_id: case.partnership_id.clone(),
            program_id: case.program_id.clone(),
            payer_profile_id: profile.id.clone(),
            payer_name: profile.profile.name.clone(),
            submitted_on: submitted_on.clone(),
            claimed_cents: claimed,
            expanded_access,
            status: ClaimStatus::Submitted,
            paid_cents: None,
            paid_on: None,
            denied_on: None,
            denial_reason: None,
            appealed_on: None,
            unpaid_on: None,
            last_on: submitted_on,
            version: 1,
        };
        let answer = view(&row, &case.pseudonym);
        self.write(
            caller,
            idem,
            crate::write::Write::event(&org, &event, move |_| answer.clone()).created(),
        )
        .await
    }

    /// Record a claim's next step at the version the caller read (`expected_version`; none
    /// from a form that does not carry it): paid, denied, appealed, finally unpaid — refused
    /// in words when it does not follow from where the claim stands.
    pub async fn record_claim_step(
        &self,
        caller: &Caller,
        claim_id: &str,
        expected_version: Option<i64>,
        input: NewClaimStep,
        idem: Option<Idem>,
    ) -> Result<Outcome<ClaimView>, AppError> {
        let (row, case) = self.claim_row(caller, claim_id, Action::Update).await?;
        if let Some(v) = expected_version
            && v != row.version
        {
            return Err(AppError::Conflict {
                what: format!("claim {claim_id}"),
                current: row.version,
            });
        }
        let mut f = crate::Fields::default();
        let on = f.check("on", Date::parse(&input.on));
        let kind = input.step.trim();
        if !["paid", "denied", "appealed", "unpaid"].contains(&kind) {
            f.fail(
                "step",
                format!(
                    "'{}' is not a step: paid, denied, appealed or unpaid",
                    kind.chars().take(30).collect::<String>()
                ),
            );
        }
        if kind == "paid" && input.amount_cents.is_none() {
            f.fail("amount_cents", "say how much the payer paid, in cents");
        }
        if kind == "denied" && input.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            f.fail("reason", "say why the payer denied it");
        }
        f.finish()?;
        let on = on.expect("checked");
        let step = match kind {
            "paid" => ClaimStep::Paid {
                amount_cents: input.amount_cents.expect("checked"),
                on,
            },
            "denied" => ClaimStep::Denied {
                on,
                reason: input.reason.unwrap_or_default().trim().to_string(),
            },
            "appealed" => ClaimStep::Appealed { on },
            _ => ClaimStep::Unpaid { on },
        };
        let today = Date::of_micros(self.now());
        let next = domain_claim(&row).apply(&step, &today).map_err(refused)?;
        let event = ClaimStepped {
            claim_id: row.id.clone(),
            version: row.version + 1,
            step,
            by: super::acted_by(caller),
        };
        let org = row.org_id.clone();
        let answer = view(&stepped(row, &next), &case.pseudonym);
        self.write(
            caller,
            idem,
            crate::write::Write::event(&org, &event, move |_| answer.clone()),
        )
        .await
    }
}
