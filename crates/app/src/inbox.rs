//! One inbox (DESIGN.md §1.4, §2; issue 12, point 4): every due action of a person across all
//! its organization's active partnerships — every program of every manufacturer for a health
//! system — filtered by the person's role through the policy, most urgent first, each naming
//! where it is done. The inbox is a list of sources ([`Source`]), one function each: a source
//! is added in one place. Each reads an index kept with the events (the open steps the app
//! writes with every case command, open adverse events, registry forms, bookings, agreements),
//! never a folded case; only the gate's missing deliverables are judged by the gate's rule,
//! for the roles that record them. The navigation's count is one statement over the same
//! indexes ([`App::inbox_count`]).
//!
//! The sources: for a health system the journey steps its role may do now, adverse events to
//! complete, registry forms due, gate deliverables its side records, agreements about to lapse
//! and the chains offered to its waitlisted requests; for a manufacturer its journey steps,
//! requests to confirm, waitlist decisions and safety reports to acknowledge.

use crate::views::inbox::{CasesAtStage, InboxItem, InboxKind, InboxPage, InboxTarget};
use crate::{App, AppError, Caller};
use cellpath_domain::contracting::reminders::REMINDER_DAYS;
use cellpath_domain::contracting::{Deliverable, Missing, RecordedBy};
use cellpath_domain::events::cases::CaseEvent;
use cellpath_domain::events::cases::ScheduledForm;
use cellpath_domain::journey::{ADVERSE_EVENT_ROLES, Case, CaseMap, available, evolve};
use cellpath_domain::org::OrgKind;
use cellpath_domain::policy::{Action, Principal, Relation, Resource, ResourceKind, decide};
use cellpath_domain::process_map::Stage;
/// A form's window in words ("window 3 June 2026 – 3 July 2026"); where it stands is the
/// item's due day and overdue mark.
fn window_words(form: &ScheduledForm) -> String {
    format!(
        "window {} – {}",
        form.opens_on.words(),
        form.closes_on.words()
    )
}
use cellpath_domain::{Date, Role};
use cellpath_store::{Counted, InboxScope, OpenStep, Page, Partnership};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A gate deliverable missing at a site for a program.
#[derive(Debug, Clone)]
pub(crate) struct GateGap {
    partnership_id: String,
    site_id: String,
    program_id: String,
    program_name: String,
    deliverable: Deliverable,
}

/// What the gate was judged from: each ledger's sequence number, and the day.
type GateKey = (Vec<(String, i64)>, Date);

/// An organization's missing gate deliverables, with what they were judged from.
type Kept = (GateKey, Arc<Vec<GateGap>>);

/// The gate deliverables each organization misses, with what they were judged from.
#[derive(Default, Clone)]
pub(crate) struct GateGapsKept(Arc<Mutex<HashMap<String, Kept>>>);

impl GateGapsKept {
    fn get(&self, org_id: &str) -> Option<Kept> {
        self.0
            .lock()
            .expect("the gate gaps are never poisoned: nothing panics holding them")
            .get(org_id)
            .cloned()
    }

    fn keep(&self, org_id: String, key: GateKey, gaps: Arc<Vec<GateGap>>) {
        self.0
            .lock()
            .expect("the gate gaps are never poisoned: nothing panics holding them")
            .insert(org_id, (key, gaps));
    }
}

/// The journey steps open on a case once `events` are folded onto `before`: the rows of the
/// inbox's step index, one per step and role that may act (written by every case command).
pub(crate) fn case_open_steps(map: &CaseMap, before: &Case, events: &[CaseEvent]) -> Vec<OpenStep> {
    let after = events.iter().fold(before.clone(), evolve);
    available(map, &after)
        .into_iter()
        .flat_map(|a| {
            let stage = map
                .map()
                .step(&a.step)
                .map_or_else(String::new, |s| s.stage.as_str().to_string());
            let waiting = a.waiting.join("; ");
            a.roles.into_iter().map(move |role| OpenStep {
                step: a.step.clone(),
                role,
                name: a.name.clone(),
                stage: stage.clone(),
                attempt: i64::from(a.attempt),
                waiting: waiting.clone(),
            })
        })
        .collect()
}

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
}

/// What a health system's people are asked to do.
const HEALTH_SYSTEM: &[Source] = &[
    Source::JourneySteps,
    Source::AdverseEvents,
    Source::RegistryForms,
    Source::GateDeliverables,
    Source::AgreementsNearExpiry,
    Source::OffersToAnswer,
];

/// What a manufacturer's people are asked to do (its cases by stage come beside them).
const MANUFACTURER: &[Source] = &[
    Source::JourneySteps,
    Source::BookingsToConfirm,
    Source::WaitlistDecisions,
    Source::SafetyReports,
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
        }
    }

    /// About the partnerships' cases (read under the partnerships whose patients the reader
    /// sees), rather than their contracting (read under all).
    fn about_cases(self) -> bool {
        !matches!(
            self,
            Source::GateDeliverables | Source::AgreementsNearExpiry
        )
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
            // Judged by the gate's rule, counted apart.
            Source::GateDeliverables => {}
        }
    }
}

/// An agreement is in the inbox from its first reminder threshold (90 days) before it lapses.
fn expiry_window() -> i64 {
    REMINDER_DAYS.iter().copied().max().unwrap_or(90)
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

fn role_words(role: Role) -> String {
    role.as_str().replace('_', " ")
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
        let mut items = Vec::new();
        let mut gate_items = 0;
        for source in &sources {
            let found = self.source_items(*source, &reader, &names, upto).await?;
            if *source == Source::GateDeliverables {
                gate_items = found.len() as i64;
            }
            items.extend(found);
        }
        items.sort_by(|a, b| a.urgency().cmp(&b.urgency()));
        let total = self.counted(&reader, &sources).await? + gate_items;
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
        let mut n = self.counted(&reader, &sources).await?;
        if sources.contains(&Source::GateDeliverables) {
            n += self
                .gate_deliverables(&reader, &Names::default())
                .await?
                .len() as i64;
        }
        Ok(n)
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
        let a = self
            .store
            .inbox_count(&r.scope(&r.with_patients), cases)
            .await?;
        let b = self
            .store
            .inbox_count(&r.scope(&r.all), contracting)
            .await?;
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
        }
    }

    /// Journey steps the reader's role may do now (the journey's `available`, indexed per
    /// case by every case command), longest waiting first.
    async fn journey_steps(
        &self,
        r: &Reader<'_>,
        names: &Names,
        upto: Page,
    ) -> Result<Vec<InboxItem>, AppError> {
        let rows = self
            .store
            .open_steps_for_role(&r.scope(&r.with_patients), upto)
            .await?;
        Ok(rows
            .into_iter()
            .map(|s| {
                let detail = if s.waiting.is_empty() {
                    format!("open to the {}", role_words(s.role))
                } else {
                    format!("waiting for {}", s.waiting)
                };
                let title = if s.attempt > 1 {
                    format!("{} (attempt {})", s.name, s.attempt)
                } else {
                    s.name.clone()
                };
                let mut item = case_item(
                    names,
                    InboxKind::JourneyStep,
                    (&s.case_id, &s.pseudonym),
                    (&s.partnership_id, &s.site_id, &s.program_id),
                    title,
                    detail,
                );
                item.since = Some(s.since);
                item
            })
            .collect())
    }

    /// Adverse events without a final outcome, for the site's nurses and physicians, the
    /// earliest onset first.
    async fn adverse_events(
        &self,
        r: &Reader<'_>,
        names: &Names,
        upto: Page,
    ) -> Result<Vec<InboxItem>, AppError> {
        let rows = self
            .store
            .open_adverse_events(&r.with_patients, upto)
            .await?;
        Ok(rows
            .into_iter()
            .map(|a| {
                let mut item = case_item(
                    names,
                    InboxKind::AdverseEvent,
                    (&a.case_id, &a.pseudonym),
                    (&a.partnership_id, &a.site_id, &a.program_id),
                    format!("{} #{}", a.kind.label(), a.adverse_event),
                    format!(
                        "ongoing since {}: observe, treat, record its outcome",
                        Date::of_micros(a.onset_at).words()
                    ),
                );
                item.since = Some(a.onset_at);
                item
            })
            .collect())
    }

    /// Registry forms due or overdue, for the data manager (the follow-up step's role on the
    /// seeded maps; a site that gives its follow-up step to another role still finds its
    /// forms on the site's "Registry forms" page), the window closing first first.
    async fn registry_forms(
        &self,
        r: &Reader<'_>,
        names: &Names,
        upto: Page,
    ) -> Result<Vec<InboxItem>, AppError> {
        let rows = self
            .store
            .open_registry_forms(&r.with_patients, &r.today, upto)
            .await?;
        Ok(rows
            .into_iter()
            .map(|f| {
                let scheduled = ScheduledForm {
                    key: f.form_key.clone(),
                    form: f.form.clone(),
                    occurrence: u32::try_from(f.occurrence).unwrap_or(u32::MAX),
                    when: f.due_when.clone(),
                    opens_on: f.opens_on.clone(),
                    due_on: f.due_on.clone(),
                    closes_on: f.closes_on.clone(),
                };
                let mut item = case_item(
                    names,
                    InboxKind::RegistryForm,
                    (&f.case_id, &f.pseudonym),
                    (&f.partnership_id, &f.site_id, &f.program_id),
                    format!("{} ({})", f.form, f.due_when),
                    window_words(&scheduled),
                );
                item.overdue = f.closes_on < r.today;
                item.due_on = Some(f.closes_on);
                item
            })
            .collect())
    }

    /// Gate deliverables missing at a site that the reader's side records (the gate's rule
    /// over each active partnership's record), judged again only when one of the ledgers it
    /// is judged from has moved or the day has changed.
    async fn gate_deliverables(
        &self,
        r: &Reader<'_>,
        names: &Names,
    ) -> Result<Vec<InboxItem>, AppError> {
        if r.partnerships.is_empty() {
            return Ok(Vec::new());
        }
        let gaps = self.gate_gaps_of(r).await?;
        Ok(gaps
            .iter()
            .map(|g| InboxItem {
                kind: InboxKind::GateDeliverable,
                title: capitalized(g.deliverable.label()),
                detail: match g.deliverable.recorded_by() {
                    RecordedBy::EitherSide => "missing at the gate: either side records it".into(),
                    _ => "missing at the gate: your side records it".into(),
                },
                case_id: None,
                pseudonym: None,
                partnership_id: g.partnership_id.clone(),
                partnership_name: names.partnership(&g.partnership_id),
                site_id: Some(g.site_id.clone()),
                site_name: names.site(&g.site_id),
                program_id: Some(g.program_id.clone()),
                program_name: Some(g.program_name.clone()),
                due_on: None,
                overdue: false,
                since: None,
                target: InboxTarget::Gate {
                    partnership_id: g.partnership_id.clone(),
                    site_id: g.site_id.clone(),
                    program_id: g.program_id.clone(),
                },
            })
            .collect())
    }

    /// The organization's missing gate deliverables that its side records, kept by the
    /// sequence numbers of the ledgers the gate reads (the partnerships', the organization's
    /// own — sites, facilities — and the manufacturers' — programs) and today.
    async fn gate_gaps_of(&self, r: &Reader<'_>) -> Result<Arc<Vec<GateGap>>, AppError> {
        let mut ledgers = r.all.clone();
        ledgers.push(r.principal.org_id.clone());
        ledgers.extend(r.partnerships.iter().map(|p| p.manufacturer_id.clone()));
        ledgers.sort();
        ledgers.dedup();
        let seqs = self.store.ledger_seqs(&ledgers).await?;
        let key = (seqs, r.today.clone());
        if let Some((kept_key, gaps)) = self.gate_gaps.get(&r.principal.org_id)
            && kept_key == key
        {
            return Ok(gaps);
        }
        let records = self.gate_records(&r.partnerships).await?;
        let mut gaps = Vec::new();
        for record in &records {
            for site in &record.rule.sites {
                for program in &record.programs {
                    for m in record.rule.missing(site, &program.id, &r.today) {
                        let Missing::Deliverable { deliverable } = m else {
                            continue;
                        };
                        // A signed site map is signed on the map itself, not recorded.
                        if deliverable == Deliverable::SiteMapSigned
                            || !deliverable.recorded_by().allows(r.principal.org_kind)
                        {
                            continue;
                        }
                        gaps.push(GateGap {
                            partnership_id: record.partnership_id.clone(),
                            site_id: site.clone(),
                            program_id: program.id.clone(),
                            program_name: program.name.clone(),
                            deliverable,
                        });
                    }
                }
            }
        }
        let gaps = Arc::new(gaps);
        self.gate_gaps
            .keep(r.principal.org_id.clone(), key, gaps.clone());
        Ok(gaps)
    }

    /// Executed agreements lapsing within the first reminder threshold, soonest first; due
    /// the day before their expiry (on that day they are no longer in force).
    async fn agreements_near_expiry(
        &self,
        r: &Reader<'_>,
        names: &Names,
        upto: Page,
    ) -> Result<Vec<InboxItem>, AppError> {
        let rows = self
            .store
            .agreements_expiring(&r.all, &r.today, expiry_window(), upto)
            .await?;
        Ok(rows
            .into_iter()
            .map(|a| {
                let kind = a
                    .kind
                    .parse::<cellpath_domain::contracting::AgreementKind>()
                    .map_or_else(|_| a.kind.replace('_', " "), |k| k.title());
                let days_left =
                    cellpath_domain::contracting::reminders::days_left(&r.today, &a.expires_on);
                InboxItem {
                    kind: InboxKind::AgreementExpiry,
                    title: format!("Renew the {}", kind.to_lowercase()),
                    detail: format!(
                        "lapses on {} ({} day{} left)",
                        a.expires_on.words(),
                        days_left,
                        if days_left == 1 { "" } else { "s" }
                    ),
                    case_id: None,
                    pseudonym: None,
                    partnership_name: names.partnership(&a.partnership_id),
                    partnership_id: a.partnership_id,
                    site_name: a.site_id.as_deref().and_then(|s| names.site(s)),
                    site_id: a.site_id,
                    program_id: None,
                    program_name: None,
                    due_on: Some(a.expires_on.plus_days(-1)),
                    overdue: false,
                    since: None,
                    target: InboxTarget::Agreement { agreement_id: a.id },
                }
            })
            .collect())
    }

    /// A manufacturer's bookings to decide: requests to confirm (due by the apheresis day
    /// asked for) or waitlisted requests, oldest first.
    async fn bookings_in(
        &self,
        r: &Reader<'_>,
        names: &Names,
        upto: Page,
        kind: InboxKind,
    ) -> Result<Vec<InboxItem>, AppError> {
        let status = match kind {
            InboxKind::BookingToConfirm => "requested",
            InboxKind::OfferToAnswer => "offered",
            _ => "waitlisted",
        };
        let rows = self
            .store
            .bookings_in_status(&r.with_patients, status, upto)
            .await?;
        let pseudonyms = self
            .store
            .case_pseudonyms(&rows.iter().map(|b| b.case_id.clone()).collect::<Vec<_>>())
            .await?;
        Ok(rows
            .into_iter()
            .map(|b| {
                let pseudonym = pseudonyms.get(&b.case_id).cloned().unwrap_or_default();
                let (title, detail) = match kind {
                    InboxKind::BookingToConfirm => (
                        "Confirm or waitlist an apheresis request".to_string(),
                        format!("apheresis asked for {}", b.asked_on.words()),
                    ),
                    InboxKind::OfferToAnswer => (
                        "Accept or decline the manufacturing slot offered".to_string(),
                        match &b.chain {
                            Some(chain) => format!(
                                "apheresis {} offered (asked for {})",
                                chain.apheresis_on.words(),
                                b.asked_on.words()
                            ),
                            None => format!("apheresis asked for {}", b.asked_on.words()),
                        },
                    ),
                    _ => (
                        "Decide on a waitlisted request".to_string(),
                        format!(
                            "apheresis asked for {}; waitlisted: {}",
                            b.asked_on.words(),
                            b.reason.clone().unwrap_or_default()
                        ),
                    ),
                };
                let mut item = case_item(
                    names,
                    kind,
                    (&b.case_id, &pseudonym),
                    (&b.partnership_id, &b.site_id, &b.program_id),
                    title,
                    detail,
                );
                item.since = Some(b.created_at);
                if kind == InboxKind::BookingToConfirm {
                    item.overdue = b.asked_on < r.today;
                    item.due_on = Some(b.asked_on);
                }
                if kind == InboxKind::OfferToAnswer {
                    // Due by the offer's deadline: the day it lapses on.
                    item.due_on = b.offer_expires_at.map(Date::of_micros);
                }
                item
            })
            .collect())
    }

    /// A manufacturer's safety reports not acknowledged at their current version (never, or
    /// updated since), under the partnerships whose patients the reader sees, latest change
    /// first.
    async fn safety_reports_in(
        &self,
        r: &Reader<'_>,
        names: &Names,
        upto: Page,
    ) -> Result<Vec<InboxItem>, AppError> {
        let (rows, _) = self
            .store
            .safety_reports_of_manufacturer(
                &r.principal.org_id,
                &r.with_patients,
                cellpath_store::ReportsShown::Pending,
                upto,
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|report| {
                let detail = format!(
                    "{}{}",
                    crate::safety::grade_words(report.kind, report.grade),
                    if report.acknowledged.is_some() {
                        ", updated since it was acknowledged"
                    } else {
                        ""
                    }
                );
                let mut item = case_item(
                    names,
                    InboxKind::SafetyReport,
                    (&report.case_id, &report.pseudonym),
                    (&report.partnership_id, &report.site_id, &report.program_id),
                    "Acknowledge the safety report".to_string(),
                    detail,
                );
                item.since = Some(report.updated_at);
                item.target = InboxTarget::SafetyReport {
                    report_id: report.id,
                };
                item
            })
            .collect())
    }

    /// A manufacturer's active cases by the stage of the steps open on them.
    async fn cases_by_stage(
        &self,
        r: &Reader<'_>,
        names: &Names,
    ) -> Result<Vec<CasesAtStage>, AppError> {
        let mut out: Vec<CasesAtStage> = self
            .store
            .cases_by_stage(&r.with_patients)
            .await?
            .into_iter()
            .filter_map(|c| {
                Some(CasesAtStage {
                    partnership_name: names.partnership(&c.partnership_id),
                    stage: c.stage.parse::<Stage>().ok()?,
                    partnership_id: c.partnership_id,
                    cases: c.cases,
                })
            })
            .collect();
        out.sort_by(|a, b| (&a.partnership_name, a.stage).cmp(&(&b.partnership_name, b.stage)));
        Ok(out)
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

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}
