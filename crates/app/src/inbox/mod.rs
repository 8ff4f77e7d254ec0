//! One inbox (DESIGN.md §1.4, §2; issue 12, point 4): every due action of a person across all
//! its organization's active partnerships — every program of every manufacturer for a health
//! system — filtered by the person's role through the policy, most urgent first, each naming
//! where it is done. The inbox is a list of sources ([`Source`]), one function each in a file
//! of its own (`steps`, `adverse_events`, `registry_forms`, `gate`, `agreements`, `bookings`,
//! `safety`, …) beside the reader, the merge and the count kept here: a source
//! is added in one place. Each reads an index kept with the events (the open steps the app
//! writes with every case command, open adverse events, registry forms, bookings, agreements),
//! never a folded case; only the gate's missing deliverables are judged by the gate's rule,
//! for the roles that record them. The navigation's count is one statement over the same
//! indexes ([`App::inbox_count`]).
//!
//! The sources: for a health system the journey steps its role may do now, adverse events to
//! complete, registry forms due, gate deliverables its side records, agreements about to lapse
//! and the chains offered to its waitlisted requests, and for its finance the invoices due
//! and the claims to follow up;
//! for a manufacturer its journey steps, requests to confirm, waitlist decisions and safety
//! reports to acknowledge; on both sides the release exceptions told to a tier naming the
//! reader's role that nobody has acknowledged yet.

mod adverse_events;
mod agreements;
mod bookings;
mod claims;
mod gate;
mod invoices;
mod registry_forms;
mod release_exceptions;
mod safety;
mod steps;

pub(crate) use gate::GateGapsKept;
pub(crate) use steps::case_open_steps;

use crate::views::inbox::{InboxItem, InboxKind, InboxPage, InboxTarget};
use crate::{App, AppError, Caller};
use agreements::expiry_window;
use cellpath_domain::journey::ADVERSE_EVENT_ROLES;
use cellpath_domain::org::OrgKind;
use cellpath_domain::policy::{Action, Principal, Relation, Resource, ResourceKind, decide};
use cellpath_domain::{Date, Role};
use cellpath_store::{Counted, InboxScope, Page, Partnership};
use std::collections::HashMap;

/// One source of due actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    JourneySteps,
    AdverseEvents,
    RegistryForms,
    GateDeliverables,
    AgreementsNearExpiry,
    BookingsToConfirm,
    WaitlistDecisions,
    OffersToAnswer,
    SafetyReports,
    ReleaseExceptions,
    InvoicesDue,
    ClaimsToFollowUp,
}

/// What a health system's people are asked to do.
const HEALTH_SYSTEM: &[Source] = &[
    Source::JourneySteps,
    Source::AdverseEvents,
    Source::RegistryForms,
    Source::GateDeliverables,
    Source::AgreementsNearExpiry,
    Source::OffersToAnswer,
    Source::ReleaseExceptions,
    Source::InvoicesDue,
    Source::ClaimsToFollowUp,
];

/// What a manufacturer's people are asked to do (its cases by stage come beside them).
const MANUFACTURER: &[Source] = &[
    Source::JourneySteps,
    Source::BookingsToConfirm,
    Source::WaitlistDecisions,
    Source::SafetyReports,
    Source::ReleaseExceptions,
];

/// Who reads the inbox and under which partnerships.
struct Reader<'a> {
    principal: &'a Principal,
    today: Date,
    /// The organization's active partnerships (a proposal or an ended partnership asks
    /// nothing of anyone).
    partnerships: Vec<Partnership>,
    /// Those whose patients the reader may see (its cases' work).
    with_patients: Vec<String>,
    /// All of them, by id.
    all: Vec<String>,
}

impl Reader<'_> {
    fn may(&self, action: Action, kind: ResourceKind, relation: Relation) -> bool {
        decide(self.principal, action, Resource { kind, relation }).allows()
    }

    /// How the reader stands to an active partnership's records and to its patients.
    fn relations(&self) -> (Relation, Relation) {
        let party = Relation::Party(cellpath_domain::org::PartnershipStatus::Active);
        let patients = if self.principal.org_kind == OrgKind::HealthSystem {
            Relation::OwnOrg
        } else {
            party
        };
        (party, patients)
    }

    fn scope<'s>(&'s self, partnerships: &'s [String]) -> InboxScope<'s> {
        InboxScope {
            partnerships,
            role: self.principal.role,
            today: &self.today,
        }
    }
}

impl Source {
    /// Whether the reader's side and role are asked this at all (the policy decides).
    fn applies(self, r: &Reader<'_>) -> bool {
        let (party, patients) = r.relations();
        let role = r.principal.role;
        match self {
            Source::JourneySteps => r.may(Action::Update, ResourceKind::Patient, patients),
            Source::AdverseEvents => {
                ADVERSE_EVENT_ROLES.contains(&role)
                    && r.may(Action::Update, ResourceKind::Patient, patients)
            }
            // The follow-up step's role on the seeded maps (see `registry_forms`).
            Source::RegistryForms => {
                role == Role::DataManager && r.may(Action::Update, ResourceKind::Patient, patients)
            }
            Source::GateDeliverables => r.may(Action::Create, ResourceKind::Deliverable, party),
            Source::AgreementsNearExpiry => r.may(Action::Update, ResourceKind::Contract, party),
            // Patient operations schedule: they confirm requests and order the waitlist (its
            // scores are theirs alone); quality may step in on a case but is not asked.
            Source::BookingsToConfirm | Source::WaitlistDecisions => {
                r.principal.org_kind == OrgKind::Manufacturer
                    && role == Role::PatientOps
                    && r.may(Action::Update, ResourceKind::Patient, patients)
            }
            // Those who ask the manufacturer for an apheresis day answer its offers.
            Source::OffersToAnswer => {
                r.principal.org_kind == OrgKind::HealthSystem
                    && matches!(role, Role::Coordinator | Role::Physician)
                    && r.may(Action::Update, ResourceKind::Patient, patients)
            }
            Source::SafetyReports => r.may(Action::Update, ResourceKind::SafetyReport, party),
            // Any role a tier of the protocol names, on either side, among those who see the
            // case (which tier asks whom is the exception's protocol's, judged per item).
            Source::ReleaseExceptions => r.may(Action::Read, ResourceKind::Patient, patients),
            // The health system pays; its finance people are asked (the admin may record a
            // payment too, but is not asked, as for the other money work).
            Source::InvoicesDue => {
                r.principal.org_kind == OrgKind::HealthSystem
                    && role == Role::Finance
                    && r.may(Action::Create, ResourceKind::Payment, party)
            }
            // Its claims are the health system's own records; its finance people record
            // the payers' answers (the admin may too, but is not asked).
            Source::ClaimsToFollowUp => {
                r.principal.org_kind == OrgKind::HealthSystem
                    && role == Role::Finance
                    && r.may(Action::Update, ResourceKind::Claim, Relation::OwnOrg)
            }
        }
    }

    /// About the partnerships' cases (read under the partnerships whose patients the reader
    /// sees), rather than their contracting (read under all).
    fn about_cases(self) -> bool {
        !matches!(
            self,
            Source::GateDeliverables
                | Source::AgreementsNearExpiry
                | Source::InvoicesDue
                | Source::ClaimsToFollowUp
        )
    }

    /// Judged item by item by a rule the count's statement cannot hold (the gate's, an
    /// exception protocol's tiers): counted as the items found.
    fn counted_apart(self) -> bool {
        matches!(self, Source::GateDeliverables | Source::ReleaseExceptions)
    }

    /// The part of the navigation's count this source adds to the one statement.
    fn counted(self, c: &mut Counted) {
        match self {
            Source::JourneySteps => c.steps = true,
            Source::AdverseEvents => c.adverse_events = true,
            Source::RegistryForms => c.registry_forms = true,
            Source::AgreementsNearExpiry => c.agreements_within = Some(expiry_window()),
            Source::BookingsToConfirm => c.bookings.push("requested"),
            Source::WaitlistDecisions => c.bookings.push("waitlisted"),
            Source::OffersToAnswer => c.bookings.push("offered"),
            Source::SafetyReports => {}
            Source::InvoicesDue | Source::ClaimsToFollowUp => {}
            // Judged by the gate's rule or the protocols', counted apart.
            Source::GateDeliverables | Source::ReleaseExceptions => {}
        }
    }
}

/// Names of what the items refer to, read once per page.
#[derive(Default)]
struct Names {
    partnerships: HashMap<String, String>,
    sites: HashMap<String, String>,
    programs: HashMap<String, String>,
}

impl Names {
    fn partnership(&self, id: &str) -> String {
        self.partnerships.get(id).cloned().unwrap_or_default()
    }
    fn site(&self, id: &str) -> Option<String> {
        self.sites.get(id).cloned()
    }
    fn program(&self, id: &str) -> Option<String> {
        self.programs.get(id).cloned()
    }
}

/// An item about a case, with its names.
fn case_item(
    names: &Names,
    kind: InboxKind,
    (case_id, pseudonym): (&str, &str),
    (partnership_id, site_id, program_id): (&str, &str, &str),
    title: String,
    detail: String,
) -> InboxItem {
    InboxItem {
        kind,
        title,
        detail,
        case_id: Some(case_id.to_string()),
        pseudonym: Some(pseudonym.to_string()),
        partnership_id: partnership_id.to_string(),
        partnership_name: names.partnership(partnership_id),
        site_id: Some(site_id.to_string()),
        site_name: names.site(site_id),
        program_id: Some(program_id.to_string()),
        program_name: names.program(program_id),
        due_on: None,
        overdue: false,
        since: None,
        target: InboxTarget::Case {
            case_id: case_id.to_string(),
        },
    }
}

impl App {
    /// The reader and its active partnerships; `None` for the operator (no inbox).
    async fn inbox_reader<'c>(&self, caller: &'c Caller) -> Result<Reader<'c>, AppError> {
        let principal = caller
            .principal
            .as_ref()
            .ok_or_else(|| AppError::Forbidden("the inbox is a person's".into()))?;
        let (partnerships, org) = tokio::try_join!(
            self.store
                .partnerships_of_in(&principal.org_id, &["active"]),
            self.store.organization(&principal.org_id),
        )?;
        // "Today" is the organization's day, on its clock: what is due or overdue changes at
        // its midnight, not at UTC's.
        let zone = crate::zone::Zone::of(org.and_then(|o| o.time_zone).as_deref());
        let mut reader = Reader {
            principal,
            today: zone.day_of(self.now()),
            all: partnerships.iter().map(|p| p.id.clone()).collect(),
            with_patients: Vec::new(),
            partnerships,
        };
        let (_, patients) = reader.relations();
        if decide(
            principal,
            Action::Read,
            Resource {
                kind: ResourceKind::Patient,
                relation: patients,
            },
        )
        .patient_view()
        .is_some()
        {
            reader.with_patients = reader.all.clone();
        }
        Ok(reader)
    }

    /// The caller's inbox, a page at a time: the items of every source that applies to the
    /// caller's role, most urgent first.
    pub async fn inbox(&self, caller: &Caller, page: Page) -> Result<InboxPage, AppError> {
        let reader = self.inbox_reader(caller).await?;
        let sources = sources_of(&reader);
        // Each source answers its first `offset + limit` items in the inbox's order; the page
        // is cut from them merged.
        let upto = Page::first(page.offset.saturating_add(page.limit));
        let names = self.inbox_names(&reader).await?;
        // The sources and the count are read at once, each on a connection of its own: the
        // inbox waits for the slowest read, not for their sum.
        let (found, counted) = tokio::try_join!(
            futures_util::future::try_join_all(
                sources
                    .iter()
                    .map(|s| self.source_items(*s, &reader, &names, upto)),
            ),
            self.counted(&reader, &sources),
        )?;
        let mut items = Vec::new();
        let mut apart = 0;
        for (source, found) in sources.iter().zip(found) {
            if source.counted_apart() {
                apart += found.len() as i64;
            }
            items.extend(found);
        }
        items.sort_by(|a, b| a.urgency().cmp(&b.urgency()));
        let total = counted + apart;
        let items: Vec<InboxItem> = items
            .into_iter()
            .skip(usize::try_from(page.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(page.limit).unwrap_or(0))
            .collect();
        let next_offset = (page.offset + (items.len() as i64) < total)
            .then(|| page.offset + items.len() as i64)
            .filter(|_| !items.is_empty());
        let cases_by_stage = if reader.principal.org_kind == OrgKind::Manufacturer {
            self.cases_by_stage(&reader, &names).await?
        } else {
            Vec::new()
        };
        Ok(InboxPage {
            items,
            limit: page.limit,
            offset: page.offset,
            next_offset,
            total,
            cases_by_stage,
            today: reader.today,
        })
    }

    /// A person's inbox as they see it, read by the operator (`cellpath inbox --user`): the
    /// person's own role and organization decide, exactly as on the page.
    pub async fn inbox_of_user(&self, email: &str, page: Page) -> Result<InboxPage, AppError> {
        let user = self
            .store
            .user_by_email(email.trim())
            .await?
            .ok_or_else(|| AppError::not_found(format!("user with e-mail {}", email.trim())))?;
        let caller = self
            .caller_for_user(&user.id, crate::access::Via::System)
            .await?;
        self.inbox(&caller, page).await
    }

    /// How many items the caller's inbox holds (the navigation's number): one statement over
    /// the indexes, and — for the roles that record gate deliverables — the gate's rule over
    /// the partnerships' records.
    pub async fn inbox_count(&self, caller: &Caller) -> Result<i64, AppError> {
        if caller.principal.is_none() {
            return Ok(0);
        }
        let reader = self.inbox_reader(caller).await?;
        let sources = sources_of(&reader);
        let names = Names::default();
        let (counted, apart) = tokio::try_join!(
            self.counted(&reader, &sources),
            futures_util::future::try_join_all(
                sources
                    .iter()
                    .filter(|s| s.counted_apart())
                    .map(|s| self.source_items(*s, &reader, &names, Page::all())),
            ),
        )?;
        Ok(counted + apart.iter().map(|found| found.len() as i64).sum::<i64>())
    }

    async fn counted(&self, r: &Reader<'_>, sources: &[Source]) -> Result<i64, AppError> {
        // The sources about cases count under the partnerships whose patients the reader
        // sees, the contracting ones under all: the same statement, two scopes.
        let mut cases = Counted::default();
        let mut contracting = Counted::default();
        for s in sources {
            s.counted(if s.about_cases() {
                &mut cases
            } else {
                &mut contracting
            });
        }
        if sources.contains(&Source::SafetyReports) {
            cases.safety_reports_of = Some(r.principal.org_id.clone());
        }
        if sources.contains(&Source::InvoicesDue) {
            contracting.invoices_due_by = Some(r.today.plus_days(invoices::INVOICE_DAYS));
        }
        if sources.contains(&Source::ClaimsToFollowUp) {
            contracting.claims_stale_by = Some(r.today.plus_days(-claims::FOLLOW_UP_DAYS));
        }
        let (of_cases, of_all) = (r.scope(&r.with_patients), r.scope(&r.all));
        let (a, b) = tokio::try_join!(
            self.store.inbox_count(&of_cases, cases),
            self.store.inbox_count(&of_all, contracting),
        )?;
        Ok(a + b)
    }

    async fn inbox_names(&self, r: &Reader<'_>) -> Result<Names, AppError> {
        let mut manufacturers: Vec<String> = r
            .partnerships
            .iter()
            .map(|p| p.manufacturer_id.clone())
            .collect();
        manufacturers.sort();
        manufacturers.dedup();
        let (sites, programs) = tokio::try_join!(
            self.store.sites_of_partnerships(&r.all),
            self.store.programs_of_orgs(&manufacturers),
        )?;
        Ok(Names {
            partnerships: r
                .partnerships
                .iter()
                .map(|p| (p.id.clone(), p.name.clone()))
                .collect(),
            sites: sites.into_iter().map(|(_, s)| (s.id, s.name)).collect(),
            programs: programs.into_iter().map(|p| (p.id, p.name)).collect(),
        })
    }

    /// One source's first items, in the inbox's order.
    async fn source_items(
        &self,
        source: Source,
        r: &Reader<'_>,
        names: &Names,
        upto: Page,
    ) -> Result<Vec<InboxItem>, AppError> {
        match source {
            Source::JourneySteps => self.journey_steps(r, names, upto).await,
            Source::AdverseEvents => self.adverse_events(r, names, upto).await,
            Source::RegistryForms => self.registry_forms(r, names, upto).await,
            Source::GateDeliverables => self.gate_deliverables(r, names).await,
            Source::AgreementsNearExpiry => self.agreements_near_expiry(r, names, upto).await,
            Source::BookingsToConfirm => {
                self.bookings_in(r, names, upto, InboxKind::BookingToConfirm)
                    .await
            }
            Source::WaitlistDecisions => {
                self.bookings_in(r, names, upto, InboxKind::WaitlistDecision)
                    .await
            }
            Source::OffersToAnswer => {
                self.bookings_in(r, names, upto, InboxKind::OfferToAnswer)
                    .await
            }
            Source::SafetyReports => self.safety_reports_in(r, names, upto).await,
            Source::ReleaseExceptions => self.release_exceptions_to_acknowledge(r, names).await,
            Source::InvoicesDue => self.invoices_due(r, names, upto).await,
            Source::ClaimsToFollowUp => self.claims_to_follow_up(r, names, upto).await,
        }
    }
}

/// The sources that apply to the reader.
fn sources_of(r: &Reader<'_>) -> Vec<Source> {
    let all = match r.principal.org_kind {
        OrgKind::HealthSystem => HEALTH_SYSTEM,
        OrgKind::Manufacturer => MANUFACTURER,
    };
    all.iter().copied().filter(|s| s.applies(r)).collect()
}
