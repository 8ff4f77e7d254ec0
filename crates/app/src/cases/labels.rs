//! A case's labels (DESIGN.md §4.4): one per identifier the case holds, with what a label
//! printer needs — the identifier as people read it (a DIN's check character apart, for its
//! box), the data its barcodes carry, the case's pseudonym and program, and the product unit
//! it belongs to. Labels carry the chain of identity, so only a caller whose view of the
//! patient includes it may have them; the identifiers come from the case view's own cut.

use crate::{App, AppError, Caller};
use cellpath_domain::identifiers::{self, Identifier};
use cellpath_domain::journey::noun;
use cellpath_domain::policy::PatientView;
use cellpath_domain::program::IdentifierKind;
use serde::Serialize;

/// The labels of one case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseLabels {
    pub case_id: String,
    pub pseudonym: String,
    pub program_name: String,
    pub site_name: String,
    pub labels: Vec<Label>,
}

/// One label: one identifier.
#[derive(Debug, Clone, Serialize)]
pub struct Label {
    pub kind: IdentifierKind,
    /// What the identifier is called ("donation identification number").
    pub noun: &'static str,
    /// As people read it, without a DIN's check character (`W1234 25 000012`).
    pub text: String,
    /// A DIN's check character, printed in a box beside the number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<char>,
    /// What its barcodes carry (`=W12342500001200`, `&/CHW123426A1B2C3`, a lot as kept).
    pub data: String,
    /// The product unit whose label it is, by name; none for the whole case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

impl Label {
    /// A DIN is also printed as Code 128 (what ISBT 128 scanners at the bedside read).
    pub fn linear(&self) -> bool {
        self.kind == IdentifierKind::Isbt128Din
    }
}

impl App {
    /// The labels of a case: not found without a view of its patient, refused (and why) with
    /// the pseudonym's view only.
    pub async fn case_labels(
        &self,
        caller: &Caller,
        case_id: &str,
    ) -> Result<CaseLabels, AppError> {
        let case = self.case(caller, case_id).await?;
        if case.view < PatientView::ChainOfIdentity {
            return Err(AppError::Forbidden(format!(
                "labels carry the patient's chain of identity, and your role sees case {} by its pseudonym only: the site's clinical staff or the manufacturer's patient operations print them",
                case.pseudonym
            )));
        }
        let labels = case
            .identifiers
            .iter()
            .map(|i| {
                let (text, check) = match identifiers::read(&i.value) {
                    Ok(Identifier::Isbt128Din(d)) if i.kind == IdentifierKind::Isbt128Din => (
                        format!("{} {} {}", d.facility, d.year, d.sequence),
                        Some(d.check),
                    ),
                    _ => (i.printed(), None),
                };
                Label {
                    kind: i.kind,
                    noun: noun(i.kind),
                    text,
                    check,
                    data: i.barcode(),
                    unit: i.unit.as_ref().map(|key| {
                        case.units
                            .iter()
                            .find(|u| &u.key == key)
                            .map_or_else(|| key.clone(), |u| u.name.clone())
                    }),
                }
            })
            .collect();
        Ok(CaseLabels {
            case_id: case.id,
            pseudonym: case.pseudonym,
            program_name: case.program_name,
            site_name: case.site_name,
            labels,
        })
    }
}
