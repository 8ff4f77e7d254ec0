//! Safety reports (DESIGN.md §2, §4.4; issue 12, point 5): each adverse event of a case as it
//! reaches the manufacturer — under the case's pseudonym, with its grade and the observations
//! the grade comes from, onset, treatment and outcome — kept by the store's projection of the
//! case's own adverse-event events (migration 0025), so an update to the event updates the
//! report. The manufacturer's `safety` role acknowledges a report on the partnership's ledger
//! (`safety_report.acknowledged`: who, and the version; the envelope says when); a report
//! changed after its acknowledgement is pending again and needs a new one.
//!
//! Who reads a report is the policy's `SafetyReport`: the manufacturer's `safety` (who
//! acknowledges while the partnership is active) and `quality`, through an active or ended
//! partnership — on top of the policy's view of the case's patient, so a report is never shown
//! where its case is not. Everyone else gets 404. The health system's staff see their adverse
//! event on the case, with how the manufacturer stands to it ([`ReportState`]).
//!
//! [`App::safety_reports_to_acknowledge`] is the inbox's part: a count and the list.

use crate::cases::AdverseEventView;
use crate::write::Write;
use crate::{App, AppError, Caller, Idem, Outcome};
use cellpath_domain::OrgKind;
use cellpath_domain::events::cases::{ActedBy, AdverseEventKind};
use cellpath_domain::events::safety::SafetyReportAcknowledged;
use cellpath_domain::org::PartnershipStatus;
use cellpath_domain::policy::{
    Action, PatientView, Principal, Relation, Resource, ResourceKind, decide,
};
use cellpath_store::{Acknowledged, Page, Partnership, ReportsShown, SafetyReport};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Which of a manufacturer's reports a list shows: `pending` (not acknowledged at their
/// current version), `acknowledged`; absent: all, the pending first.
#[derive(utoipa::ToSchema, Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportsFilter {
    Pending,
    Acknowledged,
}

/// Who acknowledged a report, when, and at which of its versions.
#[derive(utoipa::ToSchema, Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AcknowledgementView {
    pub version: i64,
    pub by: String,
    #[schema(schema_with = crate::views::schema::micros)]
    pub at: i64,
}

/// How the manufacturer's safety role stands to a report: its version, the last
/// acknowledgement, and whether a new one is needed.
#[derive(utoipa::ToSchema, Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportState {
    pub report_id: String,
    /// The report's version: 1 when recorded, one more with each later observation,
    /// treatment or outcome of its adverse event.
    pub version: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<AcknowledgementView>,
    /// Not acknowledged at its current version (never, or updated since).
    pub pending: bool,
    /// Acknowledged at an earlier version, and changed since.
    pub updated_since_acknowledged: bool,
    /// Where it stands, in words.
    pub text: String,
}

impl ReportState {
    fn of(r: &SafetyReport) -> ReportState {
        let acknowledged = r.acknowledged.as_ref().map(ack_view);
        let updated_since = r
            .acknowledged
            .as_ref()
            .is_some_and(|a| a.version < r.version);
        let text = match &r.acknowledged {
            None => "not acknowledged by the manufacturer yet".to_string(),
            Some(a) if a.version < r.version => format!(
                "updated since acknowledged: {} acknowledged version {}, the report is now at version {}",
                a.by_name, a.version, r.version
            ),
            Some(a) => format!("acknowledged by {} (version {})", a.by_name, a.version),
        };
        ReportState {
            report_id: r.id.clone(),
            version: r.version,
            acknowledged,
            pending: r.pending(),
            updated_since_acknowledged: updated_since,
            text,
        }
    }
}

fn ack_view(a: &Acknowledged) -> AcknowledgementView {
    AcknowledgementView {
        version: a.version,
        by: a.by_name.clone(),
        at: a.at,
    }
}

/// Ongoing, "resolved on 29 September 2026", "fatal on …": days in words.
fn outcome_words(ae: &cellpath_domain::journey::AdverseEvent) -> String {
    use cellpath_domain::events::cases::AdverseEventOutcome;
    match ae.outcome.as_ref().map(|o| &o.outcome) {
        None | Some(AdverseEventOutcome::Ongoing) => "ongoing".into(),
        Some(AdverseEventOutcome::Resolved { on }) => format!("resolved on {}", on.words()),
        Some(AdverseEventOutcome::Fatal { on }) => format!("fatal on {}", on.words()),
    }
}

/// The policy allows `action` on a safety report in `relation`.
fn allows(p: &Principal, action: Action, relation: Relation) -> bool {
    decide(
        p,
        action,
        Resource {
            kind: ResourceKind::SafetyReport,
            relation,
        },
    )
    .allows()
}

/// "CRS grade 3".
pub fn grade_words(kind: AdverseEventKind, grade: u8) -> String {
    format!("{} grade {grade}", kind.label())
}

/// A safety report in a list: the case's pseudonym, where, the grade in words and why, onset,
/// outcome, and where its acknowledgement stands.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct SafetyReportItem {
    pub id: String,
    pub case_id: String,
    pub pseudonym: String,
    pub site_id: String,
    pub site_name: String,
    pub program_id: String,
    pub program_name: String,
    pub adverse_event: u32,
    pub kind: AdverseEventKind,
    /// An ASTCT grade: 0 (none by these observations) to 5 (death).
    #[schema(maximum = 5)]
    pub grade: u8,
    /// "CRS grade 3".
    pub grade_text: String,
    /// Why, from the observation that set the grade.
    pub because: Vec<String>,
    #[schema(schema_with = crate::views::schema::micros)]
    pub onset_at: i64,
    /// Ongoing, resolved on …, fatal on ….
    pub outcome_text: String,
    pub state: ReportState,
    #[schema(schema_with = crate::views::schema::micros)]
    pub updated_at: i64,
}

/// One safety report: the list's part, and the adverse event whole — each observation with
/// the findings its grade comes from, the treatments (their dose and route in words only from
/// the chain-of-identity view up, as on the case), the outcome.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
#[schema(as = SafetyReport)]
pub struct SafetyReportView {
    #[serde(flatten)]
    pub item: SafetyReportItem,
    pub partnership_id: String,
    pub adverse_event_detail: AdverseEventView,
    /// The caller may acknowledge it now (the manufacturer's safety role, the partnership
    /// active, not acknowledged at this version).
    pub may_acknowledge: bool,
}

/// A manufacturer's reports waiting for its safety role, for the inbox.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct ReportsToAcknowledge {
    /// How many wait in all.
    pub count: i64,
    /// The first of them, latest change first.
    pub reports: Vec<SafetyReportItem>,
}

/// How many of the waiting reports the inbox lists.
pub const INBOX_REPORTS: i64 = 20;

impl App {
    /// How the caller stands to a report's case (404 without a view of its patient), and the
    /// policy's word on the report itself.
    async fn report_checked(
        &self,
        caller: &Caller,
        id: &str,
        action: Action,
    ) -> Result<(SafetyReport, Partnership, Relation, PatientView), AppError> {
        let what = format!("safety report {id}");
        let report = self
            .store
            .safety_report(id)
            .await?
            .ok_or_else(|| AppError::not_found(&what))?;
        let (_, partnership, relation, view) = self
            .case_row_seen(caller, &report.case_id)
            .await
            .map_err(|e| e.not_found_as(&what))?;
        // Reading first: who may not read it does not learn it exists (404, not 403).
        self.check(
            caller,
            Action::Read,
            ResourceKind::SafetyReport,
            relation,
            &what,
        )?;
        if action != Action::Read {
            self.check(caller, action, ResourceKind::SafetyReport, relation, &what)?;
        }
        Ok((report, partnership, relation, view))
    }

    /// The names of the sites and programs of these reports: one query per kind.
    async fn report_names(
        &self,
        reports: &[SafetyReport],
    ) -> Result<HashMap<String, String>, AppError> {
        let mut ids: Vec<String> = reports
            .iter()
            .flat_map(|r| [r.site_id.clone(), r.program_id.clone()])
            .collect();
        ids.sort();
        ids.dedup();
        Ok(self.store.names_of(&ids).await?.names)
    }

    fn report_item(r: &SafetyReport, names: &HashMap<String, String>) -> SafetyReportItem {
        let graded = crate::cases::graded_of(&r.body);
        let name = |id: &String| names.get(id).cloned().unwrap_or_else(|| id.clone());
        SafetyReportItem {
            id: r.id.clone(),
            case_id: r.case_id.clone(),
            pseudonym: r.pseudonym.clone(),
            site_id: r.site_id.clone(),
            site_name: name(&r.site_id),
            program_id: r.program_id.clone(),
            program_name: name(&r.program_id),
            adverse_event: r.adverse_event,
            kind: r.kind,
            grade: r.grade,
            grade_text: grade_words(r.kind, r.grade),
            because: graded.because,
            onset_at: r.onset_at,
            outcome_text: outcome_words(&r.body),
            state: ReportState::of(r),
            updated_at: r.updated_at,
        }
    }

    fn may_acknowledge(&self, caller: &Caller, r: &SafetyReport, relation: Relation) -> bool {
        caller
            .principal
            .as_ref()
            .is_some_and(|p| allows(p, Action::Update, relation))
            && r.pending()
    }

    /// One safety report, for the manufacturer's safety and quality (404 for everyone else).
    pub async fn safety_report(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<SafetyReportView, AppError> {
        let (report, partnership, relation, view) =
            self.report_checked(caller, id, Action::Read).await?;
        let names = self.report_names(std::slice::from_ref(&report)).await?;
        Ok(SafetyReportView {
            item: Self::report_item(&report, &names),
            partnership_id: partnership.id.clone(),
            adverse_event_detail: crate::cases::adverse_event_view_of(
                &report.body,
                view >= PatientView::ChainOfIdentity,
            ),
            may_acknowledge: self.may_acknowledge(caller, &report, relation),
        })
    }

    /// The partnerships of a manufacturer through which the caller may read its reports
    /// (active and ended; never a proposal); for the operator, all of them.
    async fn report_partnerships(
        &self,
        caller: &Caller,
        manufacturer_id: &str,
    ) -> Result<Vec<String>, AppError> {
        let all = self
            .store
            .partnerships_of(manufacturer_id, Page::all())
            .await?;
        Ok(all
            .into_iter()
            .filter(|p| p.manufacturer_id == manufacturer_id)
            .filter(|p| {
                let relation = self.case_relation(caller, p);
                self.patient_view(caller, relation, "").is_ok()
                    && self
                        .check(
                            caller,
                            Action::Read,
                            ResourceKind::SafetyReport,
                            relation,
                            "",
                        )
                        .is_ok()
            })
            .map(|p| p.id)
            .collect())
    }

    /// The manufacturer whose reports the caller asks for: its own organization (a health
    /// system's staff and the manufacturer's other roles read none: 403), or for the operator
    /// the one named.
    async fn reports_owner(
        &self,
        caller: &Caller,
        org_id: Option<&str>,
    ) -> Result<String, AppError> {
        match (&caller.principal, org_id) {
            (Some(p), named) => {
                if named.is_some_and(|o| o != p.org_id) {
                    return Err(AppError::not_found(format!(
                        "the safety reports of organization {}",
                        named.unwrap_or_default()
                    )));
                }
                let reader = p.org_kind == OrgKind::Manufacturer
                    && allows(p, Action::Read, Relation::Party(PartnershipStatus::Active));
                if !reader {
                    return Err(AppError::Forbidden(
                        "safety reports are read by the manufacturer's safety and quality roles"
                            .into(),
                    ));
                }
                Ok(p.org_id.clone())
            }
            (None, Some(org)) => {
                let o = self
                    .store
                    .organization(org)
                    .await?
                    .ok_or_else(|| AppError::not_found(format!("organization {org}")))?;
                if o.kind != OrgKind::Manufacturer {
                    return Err(AppError::invalid(
                        "org",
                        format!(
                            "{} is a health system: safety reports are a manufacturer's",
                            o.name
                        ),
                    ));
                }
                Ok(o.id)
            }
            (None, None) => Err(AppError::invalid(
                "org",
                "name the manufacturer whose safety reports to list",
            )),
        }
    }

    /// A manufacturer's safety reports — the pending first, then the latest change — a page
    /// at a time, with how many there are in all.
    pub async fn safety_reports(
        &self,
        caller: &Caller,
        org_id: Option<&str>,
        filter: Option<ReportsFilter>,
        page: Page,
    ) -> Result<(Vec<SafetyReportItem>, i64), AppError> {
        let manufacturer = self.reports_owner(caller, org_id).await?;
        let partnerships = self.report_partnerships(caller, &manufacturer).await?;
        let shown = match filter {
            None => ReportsShown::All,
            Some(ReportsFilter::Pending) => ReportsShown::Pending,
            Some(ReportsFilter::Acknowledged) => ReportsShown::Acknowledged,
        };
        let (rows, total) = self
            .store
            .safety_reports_of_manufacturer(&manufacturer, &partnerships, shown, page)
            .await?;
        let names = self.report_names(&rows).await?;
        Ok((
            rows.iter().map(|r| Self::report_item(r, &names)).collect(),
            total,
        ))
    }

    /// The safety reports waiting for the caller's acknowledgement, for the inbox: a count
    /// and the latest [`INBOX_REPORTS`]. Only the manufacturer's safety role acknowledges, and
    /// only through active partnerships; for anyone else, none (never an error).
    pub async fn safety_reports_to_acknowledge(
        &self,
        caller: &Caller,
    ) -> Result<ReportsToAcknowledge, AppError> {
        let none = ReportsToAcknowledge {
            count: 0,
            reports: Vec::new(),
        };
        let Some(p) = &caller.principal else {
            return Ok(none);
        };
        if p.org_kind != OrgKind::Manufacturer {
            return Ok(none);
        }
        let partnerships: Vec<String> = self
            .store
            .partnerships_of(&p.org_id, Page::all())
            .await?
            .into_iter()
            .filter(|pship| allows(p, Action::Update, self.case_relation(caller, pship)))
            .map(|pship| pship.id)
            .collect();
        let (rows, count) = self
            .store
            .safety_reports_of_manufacturer(
                &p.org_id,
                &partnerships,
                ReportsShown::Pending,
                Page::first(INBOX_REPORTS),
            )
            .await?;
        let names = self.report_names(&rows).await?;
        Ok(ReportsToAcknowledge {
            count,
            reports: rows.iter().map(|r| Self::report_item(r, &names)).collect(),
        })
    }

    /// The manufacturer's safety role acknowledges a report at its current version (If-Match:
    /// that version), on the partnership's ledger. Acknowledged already at this version: 409.
    pub async fn acknowledge_safety_report(
        &self,
        caller: &Caller,
        id: &str,
        expected_version: Option<i64>,
        idem: Option<Idem>,
    ) -> Result<Outcome<SafetyReportView>, AppError> {
        let (report, partnership, _, view) =
            self.report_checked(caller, id, Action::Update).await?;
        let what = format!("safety report {id}");
        if let Some(expected) = expected_version {
            crate::records::expect_version(&what, report.version, expected)?;
        }
        if !report.pending() {
            return Err(AppError::State(format!(
                "{what} is already acknowledged at version {}: nothing changed since",
                report.version
            )));
        }
        let p = caller
            .principal
            .as_ref()
            .ok_or_else(|| AppError::Forbidden("a report is acknowledged by a person".into()))?;
        let event = SafetyReportAcknowledged {
            id: report.id.clone(),
            case_id: report.case_id.clone(),
            adverse_event: report.adverse_event,
            version: report.version,
            by: ActedBy {
                user_id: p.user_id.clone(),
                name: caller.name.clone(),
                role: Some(p.role),
            },
        };
        let names = self.report_names(std::slice::from_ref(&report)).await?;
        let detail =
            crate::cases::adverse_event_view_of(&report.body, view >= PatientView::ChainOfIdentity);
        let (user_id, name) = (p.user_id.clone(), caller.name.clone());
        let partnership_id = partnership.id.clone();
        self.write(
            caller,
            idem,
            Write::event(&partnership.id, &event, move |e| {
                let after = SafetyReport {
                    acknowledged: Some(Acknowledged {
                        version: report.version,
                        by_user_id: user_id.clone(),
                        by_name: name.clone(),
                        at: e.recorded_at,
                    }),
                    ..report.clone()
                };
                SafetyReportView {
                    item: Self::report_item(&after, &names),
                    partnership_id: partnership_id.clone(),
                    adverse_event_detail: detail.clone(),
                    may_acknowledge: false,
                }
            }),
        )
        .await
    }

    /// How the manufacturer stands to each adverse event of a case, by its number (for the
    /// case's own view: the caller already sees the case).
    pub(crate) async fn report_states_of_case(
        &self,
        case_id: &str,
    ) -> Result<HashMap<u32, ReportState>, AppError> {
        Ok(self
            .store
            .safety_reports_of_case(case_id)
            .await?
            .iter()
            .map(|r| (r.adverse_event, ReportState::of(r)))
            .collect())
    }
}
