//! Payment terms per partnership and program (issue 14, point 1): proposed by the
//! manufacturer's finance, contracts or admin people while the partnership is active, read by
//! each side's money roles. Each proposal is a new dated set of terms; the latest effective on
//! a day is in force. The terms are checked by the domain (`finance::TermsInput::check`), every
//! problem beside its field; nothing is written when one is wrong.

use crate::{App, AppError, Caller, Fields, Idem, Outcome};
use cellpath_domain::events::finance::{PaymentTermsCreated, PaymentTermsFields};
use cellpath_domain::finance::{PaymentTerms, TermsInput};
use cellpath_domain::policy::{Action, ResourceKind};
use cellpath_domain::{Date, OrgKind};
use serde::{Deserialize, Serialize};

/// New terms for a program, as a form or an API call sends them.
#[derive(utoipa::ToSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTerms {
    pub program_id: String,
    pub terms: TermsInput,
}

/// A program's dated terms in a partnership.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct TermsView {
    pub id: String,
    pub partnership_id: String,
    pub program_id: String,
    pub program_name: String,
    pub terms: PaymentTerms,
    /// Whether these are the terms in force today.
    pub in_force: bool,
}

/// A partnership's payment terms, every program's, oldest first.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct PartnershipTerms {
    pub partnership_id: String,
    pub partnership_name: String,
    pub terms: Vec<TermsView>,
    /// Whether the caller may propose new terms here.
    pub may_propose: bool,
}

impl App {
    /// A partnership's payment terms, for its parties' money roles (404 through a proposal or
    /// to another tenant, 403 to a party's other roles).
    pub async fn payment_terms(
        &self,
        caller: &Caller,
        partnership_id: &str,
    ) -> Result<PartnershipTerms, AppError> {
        let p = self
            .party_partnership(
                caller,
                partnership_id,
                Action::Read,
                ResourceKind::Payment,
                "payment terms",
            )
            .await?;
        let programs = self.programs_in(&p).await?;
        let rows = self.store.payment_terms_of(&p.id).await?;
        let today = Date::of_micros(self.now());
        let mut terms = Vec::new();
        for row in &rows {
            let same: Vec<PaymentTerms> = rows
                .iter()
                .filter(|r| r.program_id == row.program_id)
                .map(|r| r.terms.clone())
                .collect();
            let in_force = PaymentTerms::in_force(&same, &today) == Some(&row.terms);
            terms.push(TermsView {
                id: row.id.clone(),
                partnership_id: p.id.clone(),
                program_id: row.program_id.clone(),
                program_name: programs
                    .iter()
                    .find(|pr| pr.id == row.program_id)
                    .map(|pr| pr.name.clone())
                    .unwrap_or_else(|| row.program_id.clone()),
                terms: row.terms.clone(),
                in_force,
            });
        }
        Ok(PartnershipTerms {
            partnership_id: p.id.clone(),
            partnership_name: p.name.clone(),
            terms,
            may_propose: self
                .money_writer(caller, &p, OrgKind::Manufacturer, "payment terms")
                .is_ok(),
        })
    }

    /// Propose a program's terms from a day on (the manufacturer's money roles, while the
    /// partnership is active). A program the partnership does not name, or terms that do not
    /// check, are refused by field and nothing is written.
    pub async fn propose_payment_terms(
        &self,
        caller: &Caller,
        partnership_id: &str,
        input: NewTerms,
        idem: Option<Idem>,
    ) -> Result<Outcome<TermsView>, AppError> {
        let p = self
            .party_partnership(
                caller,
                partnership_id,
                Action::Read,
                ResourceKind::Payment,
                "payment terms",
            )
            .await?;
        self.money_writer(caller, &p, OrgKind::Manufacturer, "payment terms")?;
        let mut f = Fields::default();
        let program = self
            .programs_in(&p)
            .await?
            .into_iter()
            .find(|pr| pr.id == input.program_id);
        if program.is_none() {
            f.fail("program_id", "is not a program of this partnership");
        }
        let terms = match input.terms.check() {
            Ok(t) => Some(t),
            Err(problems) => {
                for (field, message) in problems {
                    f.fail(&format!("terms.{field}"), message);
                }
                None
            }
        };
        f.finish()?;
        let (program, terms) = (program.expect("checked"), terms.expect("checked"));
        let event = PaymentTermsCreated {
            id: crate::ids::new_id("trm"),
            new: PaymentTermsFields {
                partnership_id: p.id.clone(),
                program_id: program.id.clone(),
                terms: terms.clone(),
            },
        };
        let today = Date::of_micros(self.now());
        let mut same: Vec<PaymentTerms> = self
            .store
            .payment_terms_of(&p.id)
            .await?
            .into_iter()
            .filter(|r| r.program_id == program.id)
            .map(|r| r.terms)
            .collect();
        same.push(terms.clone());
        let view = TermsView {
            id: event.id.clone(),
            partnership_id: p.id.clone(),
            program_id: program.id.clone(),
            program_name: program.name.clone(),
            in_force: PaymentTerms::in_force(&same, &today) == Some(&terms),
            terms,
        };
        self.write(
            caller,
            idem,
            crate::write::Write::event(&p.id, &event, move |_| view.clone()).created(),
        )
        .await
    }
}
