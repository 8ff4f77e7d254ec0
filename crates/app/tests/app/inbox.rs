//! One inbox (issue 12, point 4): each demo role's inbox holds exactly what that role may do
//! and see — every step the journey opens to its role on the cases it may see, and nothing
//! else — with pseudonyms only, never a patient's name, and nothing of another tenant, a
//! proposal or a declined or ended partnership; the navigation's count is the list's length;
//! the step index follows every case command and is written again the same from the events.

use super::support::*;
use cellpath_app::views::inbox::{InboxItem, InboxKind, InboxTarget};
use cellpath_app::{App, Caller};
use cellpath_domain::events::bookings::BookingStatus;
use cellpath_domain::events::cases::AdverseEventOutcome;
use cellpath_store::Page;
use cellpath_store::testing::TestDb;
use std::collections::{BTreeMap, BTreeSet};

/// One collection and one start a day (the bookings stories' capacity).
fn one_a_day() -> cellpath_domain::capacity::Capacity {
    use cellpath_domain::capacity::{Capacity, LeadTimes};
    Capacity {
        apheresis_slots_per_day: 1,
        manufacturing_slots_per_day: 1,
        closed: BTreeSet::new(),
        lead: LeadTimes {
            to_start_min_days: 3,
            to_start_max_days: 5,
            manufacturing_days: 14,
            transit_days: 2,
            transit_days_by_site: BTreeMap::new(),
            arrival_to_infusion_days: 3,
        },
        allocations: Vec::new(),
        offer_hours: 48,
    }
}

const ORGS: &[&str] = &[
    "Helixa Therapeutics",
    "Northbridge Gene Medicines",
    "Lakeshore University Health",
    "Cascade Regional Medical",
    "Piedmont Valley Health",
];

async fn inbox(app: &App, caller: &Caller) -> Vec<InboxItem> {
    let page = app
        .inbox(
            caller,
            Page {
                limit: 100_000,
                offset: 0,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        page.total,
        page.items.len() as i64,
        "the total counts them all"
    );
    assert_eq!(
        app.inbox_count(caller).await.unwrap(),
        page.total,
        "the navigation's count is the list's length"
    );
    page.items
}

/// Every demo person, with the caller for them.
async fn everyone(app: &App) -> Vec<(cellpath_store::User, Caller)> {
    let mut out = Vec::new();
    for name in ORGS {
        let org = org_id(app, name).await;
        for u in app.store().users_of(&org, Page::all()).await.unwrap() {
            let caller = as_user(app, &u.email).await;
            out.push((u, caller));
        }
    }
    out
}

/// What the inbox says of a case step, as (case, step).
fn steps_of(items: &[InboxItem]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .filter(|i| i.kind == InboxKind::JourneyStep)
        .map(|i| (i.case_id.clone().unwrap(), i.title.clone()))
        .collect()
}

#[tokio::test]
async fn each_demo_role_sees_exactly_what_its_role_may_do_and_see() {
    for db in TestDb::all().await {
        // The demo as `cellpath demo` seeds it: a year of cases, adverse events, registry
        // forms due.
        let (app, _clock, _) = history_app(&db).await;
        let ids = gate_ids(&app).await;
        let operator = Caller::system("test");
        // Every case of Lakeshore's partnerships (Vantacel with Helixa, Corvigen with
        // Northbridge).
        let mut cases = Vec::new();
        for p in app
            .store()
            .partnerships_of(
                &org_id(&app, "Lakeshore University Health").await,
                Page::all(),
            )
            .await
            .unwrap()
        {
            cases.extend(
                app.cases_of_partnership(&operator, &p.id, Page::all())
                    .await
                    .unwrap(),
            );
        }
        let _ = &ids;
        assert!(!cases.is_empty(), "{}: the demo has cases", db.label);
        let patient_names: Vec<String> = {
            let lakeshore = org_id(&app, "Lakeshore University Health").await;
            let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
            let mut names = Vec::new();
            for c in &cases {
                if let Some(p) = app.case(&coordinator, &c.id).await.unwrap().patient {
                    names.push(p.name);
                }
            }
            assert!(!names.is_empty(), "{} of {lakeshore}", db.label);
            names
        };
        let mut kinds_seen = BTreeSet::new();
        for (user, caller) in everyone(&app).await {
            let who = format!("{} {} ({})", db.label, user.email, user.role);
            let items = inbox(&app, &caller).await;
            let active: BTreeSet<String> = app
                .store()
                .partnerships_of_in(&user.org_id, &["active"])
                .await
                .unwrap()
                .into_iter()
                .map(|p| p.id)
                .collect();
            // What the journey opens to this role on each case it may see: all of it, and only
            // it, is in the inbox.
            let mut expected = BTreeSet::new();
            for c in &cases {
                let Ok(view) = app.case(&caller, &c.id).await else {
                    continue;
                };
                if !app_may_act(&user) {
                    continue;
                }
                for a in &view.available {
                    if a.roles.contains(&user.role) {
                        let title = if a.attempt > 1 {
                            format!("{} (attempt {})", a.name, a.attempt)
                        } else {
                            a.name.clone()
                        };
                        expected.insert((c.id.clone(), title));
                    }
                }
            }
            assert_eq!(
                steps_of(&items),
                expected,
                "{who}: the steps its role may do now"
            );
            for item in &items {
                kinds_seen.insert(item.kind);
                assert!(
                    active.contains(&item.partnership_id),
                    "{who}: {item:?} is of its own active partnerships"
                );
                for name in &patient_names {
                    assert!(
                        !item.title.contains(name) && !item.detail.contains(name),
                        "{who}: no patient's name in the inbox"
                    );
                }
                match (&item.kind, &item.target) {
                    (
                        InboxKind::JourneyStep
                        | InboxKind::AdverseEvent
                        | InboxKind::RegistryForm
                        | InboxKind::BookingToConfirm
                        | InboxKind::WaitlistDecision
                        | InboxKind::OfferToAnswer
                        | InboxKind::ClaimToFollowUp,
                        InboxTarget::Case { case_id },
                    ) => {
                        let view = app.case(&caller, case_id).await.unwrap_or_else(|e| {
                            panic!("{who}: sees the case it is asked about: {e}")
                        });
                        assert_eq!(item.pseudonym.as_deref(), Some(view.pseudonym.as_str()));
                        if item.kind == InboxKind::AdverseEvent {
                            assert!(matches!(user.role, Role::Nurse | Role::Physician), "{who}");
                            let open = view.adverse_events.iter().any(|ae| {
                                item.title == format!("{} #{}", ae.label, ae.number)
                                    && matches!(
                                        ae.outcome,
                                        None | Some(AdverseEventOutcome::Ongoing)
                                    )
                            });
                            assert!(open, "{who}: {} is open on its case", item.title);
                        }
                        if item.kind == InboxKind::RegistryForm {
                            assert_eq!(user.role, Role::DataManager, "{who}");
                        }
                        if item.kind == InboxKind::ClaimToFollowUp {
                            assert_eq!(user.role, Role::Finance, "{who}");
                            let claims = app.claims_of_case(&caller, case_id).await.unwrap();
                            assert!(
                                claims.iter().any(|c| !c.status.is_closed()),
                                "{who}: the case's claim is open"
                            );
                        }
                        if matches!(
                            item.kind,
                            InboxKind::BookingToConfirm | InboxKind::WaitlistDecision
                        ) {
                            assert_eq!(user.role, Role::PatientOps, "{who}");
                        }
                        if item.kind == InboxKind::OfferToAnswer {
                            assert!(
                                matches!(user.role, Role::Coordinator | Role::Physician),
                                "{who}"
                            );
                            let bookings = app.case_bookings(&caller, case_id).await.unwrap();
                            assert!(
                                bookings.iter().any(|b| b.status == BookingStatus::Offered),
                                "{who}: the case holds an offer"
                            );
                        }
                    }
                    (InboxKind::SafetyReport, InboxTarget::SafetyReport { report_id }) => {
                        assert_eq!(user.role, Role::Safety, "{who}");
                        let report = app.safety_report(&caller, report_id).await.unwrap();
                        assert!(
                            report.item.state.pending,
                            "{who}: {report_id} waits for an acknowledgement"
                        );
                        assert_eq!(
                            item.pseudonym.as_deref(),
                            Some(report.item.pseudonym.as_str())
                        );
                    }
                    (
                        InboxKind::GateDeliverable,
                        InboxTarget::Gate {
                            partnership_id,
                            site_id,
                            program_id,
                        },
                    ) => {
                        let gate = app
                            .gate(&caller, partnership_id, site_id, program_id, today(&app))
                            .await
                            .unwrap();
                        assert!(
                            texts(&gate)
                                .iter()
                                .any(|t| t.to_lowercase().contains(&item.title.to_lowercase())),
                            "{who}: {} is missing at the gate: {:?}",
                            item.title,
                            texts(&gate)
                        );
                        assert!(
                            !user.email.ends_with("helixa.example")
                                && !user.email.ends_with("northbridge.example"),
                            "{who}: the manufacturer's inbox lists no gate deliverables"
                        );
                    }
                    (InboxKind::AgreementExpiry, InboxTarget::Agreement { agreement_id }) => {
                        let soon = app
                            .expiring_agreements(&caller, &item.partnership_id, today(&app), 90)
                            .await
                            .unwrap();
                        assert!(
                            soon.iter().any(|r| r.agreement.id == *agreement_id),
                            "{who}: the agreement lapses within 90 days"
                        );
                        assert!(
                            matches!(user.role, Role::Admin | Role::Contracts | Role::Onboarding),
                            "{who}"
                        );
                    }
                    // The demo's invoices not yet paid: its finance people pay them.
                    (
                        InboxKind::InvoiceDue,
                        InboxTarget::Invoice {
                            partnership_id,
                            invoice_id,
                        },
                    ) => {
                        assert_eq!(user.role, Role::Finance, "{who}");
                        let open = app
                            .invoices(&caller, partnership_id)
                            .await
                            .unwrap()
                            .into_iter()
                            .any(|i| &i.id == invoice_id && i.open_cents > 0);
                        assert!(open, "{who}: {invoice_id} has money open");
                    }
                    // The demo's open manufacturing failure, told to tier 2: each recipient
                    // of a tier told may acknowledge it.
                    (
                        InboxKind::ReleaseException,
                        InboxTarget::ReleaseException { exception_id },
                    ) => {
                        let view = app
                            .release_exception_view(&caller, exception_id)
                            .await
                            .unwrap();
                        assert!(
                            view.may_acknowledge && view.acknowledged_at.is_none(),
                            "{who}"
                        );
                        assert!(
                            view.tiers
                                .iter()
                                .filter(|t| t.told)
                                .any(|t| t.recipients.iter().any(|r| r.role == user.role)),
                            "{who}: a recipient of a tier told"
                        );
                        assert_eq!(
                            item.pseudonym.as_deref(),
                            Some(view.case_pseudonym.as_str())
                        );
                    }
                    other => panic!("{who}: an item kind at the wrong place: {other:?}"),
                }
            }
            // Most urgent first.
            let order: Vec<_> = items.iter().map(InboxItem::urgency).collect();
            let mut sorted = order.clone();
            sorted.sort();
            assert_eq!(order, sorted, "{who}: most urgent first");
        }
        for kind in [
            InboxKind::JourneyStep,
            InboxKind::AdverseEvent,
            InboxKind::RegistryForm,
            InboxKind::GateDeliverable,
            InboxKind::AgreementExpiry,
            InboxKind::SafetyReport,
            InboxKind::ReleaseException,
            InboxKind::InvoiceDue,
            InboxKind::ClaimToFollowUp,
        ] {
            assert!(
                kinds_seen.contains(&kind),
                "{}: the demo shows {kind:?}",
                db.label
            );
        }
    }
}

/// Whether the person's role may act on a case at all (the policy's patient update).
fn app_may_act(user: &cellpath_store::User) -> bool {
    use cellpath_domain::policy::{Action, Principal, Relation, Resource, ResourceKind, decide};
    let principal = Principal {
        user_id: user.id.clone(),
        org_id: user.org_id.clone(),
        org_kind: if user.email.ends_with("helixa.example")
            || user.email.ends_with("northbridge.example")
        {
            OrgKind::Manufacturer
        } else {
            OrgKind::HealthSystem
        },
        role: user.role,
    };
    let relation = if principal.org_kind == OrgKind::HealthSystem {
        Relation::OwnOrg
    } else {
        Relation::Party(PartnershipStatus::Active)
    };
    decide(
        &principal,
        Action::Update,
        Resource {
            kind: ResourceKind::Patient,
            relation,
        },
    )
    .allows()
}

#[tokio::test]
async fn nothing_of_another_tenant_a_proposal_or_a_declined_or_ended_partnership() {
    for db in TestDb::all().await {
        let (app, _clock) = demo_app(&db).await;
        let helixa = org_id(&app, "Helixa Therapeutics").await;
        let cascade = org_id(&app, "Cascade Regional Medical").await;
        let piedmont = org_id(&app, "Piedmont Valley Health").await;
        let partnerships = app
            .store()
            .partnerships_of(&helixa, Page::all())
            .await
            .unwrap();
        let proposal = partnerships
            .iter()
            .find(|p| p.health_system_id == cascade)
            .unwrap()
            .clone();
        assert_eq!(proposal.status, PartnershipStatus::Proposed);

        // A proposal asks nothing of either side, and shows nothing of the other.
        for email in [
            "coordinator@cascade.example",
            "contracts@cascade.example",
            "admin@cascade.example",
        ] {
            let caller = as_user(&app, email).await;
            assert!(
                inbox(&app, &caller).await.is_empty(),
                "{} {email}",
                db.label
            );
        }
        for email in ["patient.ops@helixa.example", "contracts@helixa.example"] {
            let caller = as_user(&app, email).await;
            assert!(
                inbox(&app, &caller)
                    .await
                    .iter()
                    .all(|i| i.partnership_id != proposal.id),
                "{} {email}",
                db.label
            );
        }

        // Declined: still nothing.
        let contracts = as_user(&app, "contracts@cascade.example").await;
        app.decline_partnership(
            &contracts,
            &proposal.id,
            proposal.version,
            Default::default(),
            None,
        )
        .await
        .unwrap();
        assert!(inbox(&app, &contracts).await.is_empty(), "{}", db.label);

        // Piedmont's contracts lead is asked for its gate deliverables while its partnership
        // is active; once it has ended, nothing of it is asked any more.
        let northbridge = org_id(&app, "Northbridge Gene Medicines").await;
        let piedmont_contracts = as_user(&app, "contracts@piedmont.example").await;
        let before = inbox(&app, &piedmont_contracts).await;
        assert!(
            before.iter().any(|i| i.kind == InboxKind::GateDeliverable),
            "{}: Piedmont's sites wait for their deliverables",
            db.label
        );
        let np = app
            .store()
            .partnerships_of(&northbridge, Page::all())
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.health_system_id == piedmont)
            .unwrap();
        set_status(&app, &piedmont_contracts, &np.id, "ended").await;
        assert!(
            inbox(&app, &piedmont_contracts).await.is_empty(),
            "{}",
            db.label
        );

        // Another tenant's inbox never names Lakeshore's partnerships.
        let lakeshore_partnerships: BTreeSet<String> = app
            .store()
            .partnerships_of(
                &org_id(&app, "Lakeshore University Health").await,
                Page::all(),
            )
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.id)
            .collect();
        for email in ["coordinator@piedmont.example", "contracts@cascade.example"] {
            let caller = as_user(&app, email).await;
            assert!(
                inbox(&app, &caller)
                    .await
                    .iter()
                    .all(|i| !lakeshore_partnerships.contains(&i.partnership_id)),
                "{} {email}",
                db.label
            );
        }
    }
}

#[tokio::test]
async fn the_step_index_follows_every_case_command_and_is_written_again_the_same() {
    for db in TestDb::all().await {
        let (app, _clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        let physician = as_user(&app, "physician@lakeshore.example").await;
        // An active Vantacel case the demo booked nothing for.
        let mut case = None;
        for c in app
            .cases_of_site(&coordinator, &ids.main, Page::all())
            .await
            .unwrap()
        {
            if c.status == cellpath_domain::events::cases::CaseState::Active
                && c.program_id == ids.vantacel
                && app
                    .case_bookings(&coordinator, &c.id)
                    .await
                    .unwrap()
                    .is_empty()
            {
                case = Some(c);
                break;
            }
        }
        let case = case.expect("an active demo case without a booking");
        let open_before = steps_of(&inbox(&app, &coordinator).await)
            .into_iter()
            .chain(steps_of(&inbox(&app, &physician).await))
            .filter(|(c, _)| *c == case.id)
            .count();
        let view = app.case(&coordinator, &case.id).await.unwrap();
        assert_eq!(
            open_before,
            view.available
                .iter()
                .map(|a| a
                    .roles
                    .iter()
                    .filter(|r| matches!(r, Role::Coordinator | Role::Physician))
                    .count())
                .sum::<usize>(),
            "{}",
            db.label
        );

        // A request for an apheresis day waits for the manufacturer's patient operations —
        // due by the day asked for —, then on its waitlist; confirmed, it asks nothing more.
        let onboarding = as_user(&app, "onboarding@helixa.example").await;
        let ops = as_user(&app, "patient.ops@helixa.example").await;
        app.set_program_capacity(&onboarding, &ids.vantacel, one_a_day(), None, None)
            .await
            .unwrap();
        let asked = today(&app).plus_days(10);
        let booking = app
            .request_booking(&coordinator, &case.id, asked.as_str(), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let of_booking = |items: Vec<InboxItem>| -> Vec<(InboxKind, Option<String>)> {
            items
                .into_iter()
                .filter(|i| i.case_id.as_deref() == Some(&case.id))
                .filter(|i| {
                    matches!(
                        i.kind,
                        InboxKind::BookingToConfirm | InboxKind::WaitlistDecision
                    )
                })
                .map(|i| (i.kind, i.due_on.map(|d| d.as_str().to_string())))
                .collect()
        };
        assert_eq!(
            of_booking(inbox(&app, &ops).await),
            vec![(
                InboxKind::BookingToConfirm,
                Some(asked.as_str().to_string())
            )],
            "{}",
            db.label
        );
        for email in [
            "contracts@helixa.example",
            "coordinator@lakeshore.example",
            "patient.ops@northbridge.example",
        ] {
            let other = as_user(&app, email).await;
            assert!(
                of_booking(inbox(&app, &other).await).is_empty(),
                "{} {email}",
                db.label
            );
        }
        app.waitlist_booking(&ops, &booking.id, "Slots full this month", None, None)
            .await
            .unwrap();
        assert_eq!(
            of_booking(inbox(&app, &ops).await),
            vec![(InboxKind::WaitlistDecision, None)],
            "{}",
            db.label
        );
        app.confirm_booking(&ops, &booking.id, None, None)
            .await
            .unwrap();
        assert!(
            of_booking(inbox(&app, &ops).await).is_empty(),
            "{}",
            db.label
        );

        // Cancelled: nothing of it is asked of anyone any more.
        app.act_on_case(
            &coordinator,
            &case.id,
            cellpath_app::cases::CaseInput::Cancel {
                care_transition_note: "Referred back to the treating oncologist".into(),
            },
            "",
            None,
            None,
        )
        .await
        .unwrap();
        for (_, caller) in everyone(&app).await {
            assert!(
                inbox(&app, &caller)
                    .await
                    .iter()
                    .all(|i| i.kind != InboxKind::JourneyStep
                        || i.case_id.as_deref() != Some(&case.id)),
                "{}",
                db.label
            );
        }

        // Written again from the events, the index is the same.
        let before = index_rows(&app).await;
        assert!(!before.is_empty(), "{}", db.label);
        app.reindex_open_steps().await.unwrap();
        assert_eq!(index_rows(&app).await, before, "{}", db.label);
        assert_replays(&app, db.label).await;
    }
}

/// The step index without its times (a reindex keeps when each step opened only where the
/// row was kept).
async fn index_rows(app: &App) -> Vec<(String, String, String, i64)> {
    let mut out = Vec::new();
    for id in app.store().case_ids().await.unwrap() {
        for s in app.store().open_steps_of_case(&id).await.unwrap() {
            out.push((s.case_id, s.step, s.role.as_str().to_string(), s.attempt));
        }
    }
    out.sort();
    out
}

/// Each demo person's items of `kind`, by e-mail (only those who have any).
async fn who_is_asked(app: &App, kind: InboxKind) -> BTreeMap<String, Vec<InboxItem>> {
    let mut out = BTreeMap::new();
    for (user, caller) in everyone(app).await {
        let items: Vec<InboxItem> = inbox(app, &caller)
            .await
            .into_iter()
            .filter(|i| i.kind == kind)
            .collect();
        if !items.is_empty() {
            out.insert(user.email, items);
        }
    }
    out
}

/// The demo people of Helixa (the manufacturer) and Lakeshore (the health system) whose role
/// is one of these on each side.
async fn people_in(app: &App, helixa: &[Role], lakeshore: &[Role]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (org, roles) in [
        ("Helixa Therapeutics", helixa),
        ("Lakeshore University Health", lakeshore),
    ] {
        let id = org_id(app, org).await;
        for u in app.store().users_of(&id, Page::all()).await.unwrap() {
            if roles.contains(&u.role) {
                out.insert(u.email);
            }
        }
    }
    out
}

#[tokio::test]
async fn a_release_exception_asks_the_roles_of_each_tier_told_on_both_sides_until_someone_acknowledges()
 {
    use crate::exception_protocols::agree_protocol;
    use cellpath_app::release_exceptions::OpenReleaseException;
    use cellpath_domain::release_exception::{ExceptionKind, HOUR};
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let case = stored_case(&app, &ids).await;
        agree_protocol(&app, &ids).await;
        app.run_due_jobs().await.unwrap();
        assert!(
            who_is_asked(&app, InboxKind::ReleaseException)
                .await
                .is_empty(),
            "{}: no exception, nobody asked",
            db.label
        );
        let quality = as_user(&app, "quality@helixa.example").await;
        let opened = app
            .open_release_exception(
                &quality,
                &case,
                OpenReleaseException {
                    kind: ExceptionKind::OutOfSpecification,
                    certificate_reference: "QA-2026-0203 viability 71 %".into(),
                    certificate_sha256: "cd".repeat(32),
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();

        // Tier 1 (the usual protocol): the manufacturer's quality, the site's cell lab and
        // coordinator — and nobody of another tenant, of the other manufacturer or of a
        // proposal (Cascade), nor the roles of the tiers not yet told.
        let asked = who_is_asked(&app, InboxKind::ReleaseException).await;
        assert_eq!(
            asked.keys().cloned().collect::<BTreeSet<_>>(),
            people_in(&app, &[Role::Quality], &[Role::CellLab, Role::Coordinator]).await,
            "{}",
            db.label
        );
        let pseudonym = app.store().case(&case).await.unwrap().unwrap().pseudonym;
        for (email, items) in &asked {
            assert_eq!(items.len(), 1, "{} {email}", db.label);
            let item = &items[0];
            assert_eq!(
                item.target,
                InboxTarget::ReleaseException {
                    exception_id: opened.id.clone()
                }
            );
            assert_eq!(item.partnership_id, ids.partnership);
            assert_eq!(item.pseudonym.as_deref(), Some(pseudonym.as_str()));
            assert!(
                item.detail
                    .starts_with("out of specification; told to tier 1"),
                "{}: {}",
                db.label,
                item.detail
            );
            // due by its escalation, 8 hours after tier 1 was told
            assert_eq!(
                item.due_on,
                Some(cellpath_domain::Date::of_micros(
                    opened.tier_notified_at + 8 * HOUR
                ))
            );
            assert!(!item.overdue);
        }

        // Nobody acknowledged in 8 hours: tier 2 is told, and its roles are asked too.
        clock.advance_secs(8 * HOUR / 1_000_000);
        app.run_due_jobs().await.unwrap();
        let asked = who_is_asked(&app, InboxKind::ReleaseException).await;
        assert_eq!(
            asked.keys().cloned().collect::<BTreeSet<_>>(),
            people_in(
                &app,
                &[Role::Quality, Role::PatientOps],
                &[Role::CellLab, Role::Coordinator, Role::Physician]
            )
            .await,
            "{}",
            db.label
        );
        let physician_item = &asked["physician@lakeshore.example"][0];
        assert!(
            physician_item.detail.contains("told to tier 2"),
            "{}",
            physician_item.detail
        );

        // The physician acknowledges: it asks nobody any more.
        let physician = as_user(&app, "physician@lakeshore.example").await;
        app.acknowledge_release_exception(&physician, &opened.id, None)
            .await
            .unwrap();
        assert!(
            who_is_asked(&app, InboxKind::ReleaseException)
                .await
                .is_empty(),
            "{}: acknowledged",
            db.label
        );
    }
}

#[tokio::test]
async fn a_release_exception_of_an_ended_partnership_asks_nobody() {
    use crate::exception_protocols::agree_protocol;
    use cellpath_app::release_exceptions::OpenReleaseException;
    use cellpath_domain::release_exception::ExceptionKind;
    for db in TestDb::all().await {
        let (app, _clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let case = stored_case(&app, &ids).await;
        agree_protocol(&app, &ids).await;
        let quality = as_user(&app, "quality@helixa.example").await;
        app.open_release_exception(
            &quality,
            &case,
            OpenReleaseException {
                kind: ExceptionKind::PostReleaseNotice,
                certificate_reference: "QA-2026-0117 late sterility result".into(),
                certificate_sha256: "ab".repeat(32),
            },
            None,
        )
        .await
        .unwrap();
        assert!(
            !who_is_asked(&app, InboxKind::ReleaseException)
                .await
                .is_empty()
        );
        let contracts = as_user(&app, "contracts@lakeshore.example").await;
        set_status(&app, &contracts, &ids.partnership, "ended").await;
        assert!(
            who_is_asked(&app, InboxKind::ReleaseException)
                .await
                .is_empty(),
            "{}: an ended partnership asks nothing",
            db.label
        );
    }
}

#[tokio::test]
async fn an_invoice_asks_the_health_systems_finance_from_two_weeks_before_it_is_due_until_paid() {
    use cellpath_app::finance::invoices::NewSettlement;
    use cellpath_app::finance::terms::NewTerms;
    use cellpath_app::testing::infuse_stored_demo_case;
    use cellpath_domain::finance::TermsInput;
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let helixa_finance = as_user(&app, "finance@helixa.example").await;
        app.propose_payment_terms(
            &helixa_finance,
            &ids.partnership,
            NewTerms {
                program_id: ids.vantacel.clone(),
                terms: TermsInput {
                    effective_on: "2020-01-01".into(),
                    price_cents: 47_500_000,
                    basis: "infusion".into(),
                    backstop_days: None,
                    net_days: 30,
                    denial_protection_percent: 50,
                    not_infused_credit_percent: 100,
                    refund: None,
                },
            },
            None,
        )
        .await
        .unwrap();
        let case = stored_case(&app, &ids).await;
        infuse_stored_demo_case(&app, &case).await.unwrap();
        app.run_due_jobs().await.unwrap();
        let invoice = app.store().invoice_of_case(&case).await.unwrap().unwrap();
        // Net 30: not yet asked.
        assert!(
            who_is_asked(&app, InboxKind::InvoiceDue).await.is_empty(),
            "{}: due in 30 days, not yet in the inbox",
            db.label
        );
        // 17 days on, due within two weeks: Lakeshore's finance is asked, nobody else —
        // not the manufacturer's finance (it credits), not Lakeshore's clinical roles, not
        // Piedmont's finance (another tenant).
        clock.advance_secs(17 * 24 * 3600);
        let asked = who_is_asked(&app, InboxKind::InvoiceDue).await;
        assert_eq!(
            asked.keys().cloned().collect::<BTreeSet<_>>(),
            people_in(&app, &[], &[Role::Finance]).await,
            "{}",
            db.label
        );
        let item = &asked["finance@lakeshore.example"][0];
        assert_eq!(
            item.target,
            InboxTarget::Invoice {
                partnership_id: ids.partnership.clone(),
                invoice_id: invoice.id.clone()
            }
        );
        assert_eq!(item.due_on, Some(invoice.due_on.clone()));
        assert!(!item.overdue);
        assert_eq!(item.title, "Pay the invoice");
        assert!(
            item.detail.starts_with("$475,000.00 open of $475,000.00"),
            "{}",
            item.detail
        );
        // Past its due day: overdue, first in the inbox.
        clock.advance_secs(14 * 24 * 3600);
        let finance = as_user(&app, "finance@lakeshore.example").await;
        let items = inbox(&app, &finance).await;
        assert_eq!(items[0].kind, InboxKind::InvoiceDue, "{}", db.label);
        assert!(items[0].overdue);
        // Paid in part: still asked, for what is open.
        let today = today(&app).to_string();
        app.settle_invoice(
            &finance,
            &invoice.id,
            NewSettlement {
                kind: "payment".into(),
                amount_cents: 40_000_000,
                on: today.clone(),
            },
            None,
        )
        .await
        .unwrap();
        let items = inbox(&app, &finance).await;
        assert!(
            items[0].detail.starts_with("$75,000.00 open"),
            "{}",
            items[0].detail
        );
        app.settle_invoice(
            &finance,
            &invoice.id,
            NewSettlement {
                kind: "payment".into(),
                amount_cents: 7_500_000,
                on: today,
            },
            None,
        )
        .await
        .unwrap();
        assert!(
            who_is_asked(&app, InboxKind::InvoiceDue).await.is_empty(),
            "{}: paid",
            db.label
        );
    }
}

#[tokio::test]
async fn an_invoice_of_an_ended_partnership_asks_nobody() {
    use cellpath_app::finance::terms::NewTerms;
    use cellpath_app::testing::infuse_stored_demo_case;
    use cellpath_domain::finance::TermsInput;
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let helixa_finance = as_user(&app, "finance@helixa.example").await;
        app.propose_payment_terms(
            &helixa_finance,
            &ids.partnership,
            NewTerms {
                program_id: ids.vantacel.clone(),
                terms: TermsInput {
                    effective_on: "2020-01-01".into(),
                    price_cents: 47_500_000,
                    basis: "infusion".into(),
                    backstop_days: None,
                    net_days: 10,
                    denial_protection_percent: 50,
                    not_infused_credit_percent: 100,
                    refund: None,
                },
            },
            None,
        )
        .await
        .unwrap();
        let case = stored_case(&app, &ids).await;
        infuse_stored_demo_case(&app, &case).await.unwrap();
        app.run_due_jobs().await.unwrap();
        clock.advance_secs(24 * 3600);
        assert_eq!(
            who_is_asked(&app, InboxKind::InvoiceDue).await.len(),
            1,
            "{}: net 10, in the inbox at once",
            db.label
        );
        let contracts = as_user(&app, "contracts@lakeshore.example").await;
        set_status(&app, &contracts, &ids.partnership, "ended").await;
        assert!(
            who_is_asked(&app, InboxKind::InvoiceDue).await.is_empty(),
            "{}: an ended partnership asks nothing",
            db.label
        );
    }
}

#[tokio::test]
async fn a_claim_asks_the_health_systems_finance_when_denied_and_when_the_payer_is_silent_too_long()
{
    use cellpath_app::finance::claims::{NewClaim, NewClaimStep};
    use cellpath_app::testing::infuse_stored_demo_case;
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let case = stored_case(&app, &ids).await;
        infuse_stored_demo_case(&app, &case).await.unwrap();
        let finance = as_user(&app, "finance@lakeshore.example").await;
        let profiles = app
            .start_payer_profiles_from_defaults(&finance, None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let medicare = profiles.iter().find(|p| p.name == "Medicare").unwrap();
        let day = |app: &App| today(app).to_string();
        let claim = app
            .submit_claim(
                &finance,
                &case,
                NewClaim {
                    payer_profile_id: medicare.id.clone(),
                    submitted_on: day(&app),
                    claimed_cents: None,
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert!(
            who_is_asked(&app, InboxKind::ClaimToFollowUp)
                .await
                .is_empty(),
            "{}: just submitted, nothing to follow up",
            db.label
        );
        let step = |step: &str, on: String, reason: Option<&str>| NewClaimStep {
            step: step.into(),
            on,
            amount_cents: None,
            reason: reason.map(str::to_string),
        };
        // Denied: Lakeshore's finance is asked to appeal or close it, nobody else — not its
        // clinical roles or admin, not Helixa, not Piedmont (another tenant).
        clock.advance_secs(20 * 24 * 3600);
        let denied = app
            .record_claim_step(
                &finance,
                &claim.id,
                Some(claim.version),
                step("denied", day(&app), Some("no prior authorization on file")),
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let asked = who_is_asked(&app, InboxKind::ClaimToFollowUp).await;
        assert_eq!(
            asked.keys().cloned().collect::<BTreeSet<_>>(),
            people_in(&app, &[], &[Role::Finance]).await,
            "{}",
            db.label
        );
        let item = &asked["finance@lakeshore.example"][0];
        assert_eq!(item.title, "Appeal the denied claim, or close it");
        assert!(
            item.detail.starts_with("Medicare denied $314,231.00 on")
                && item.detail.ends_with(": no prior authorization on file"),
            "{}",
            item.detail
        );
        assert_eq!(
            item.target,
            InboxTarget::Case {
                case_id: case.clone()
            }
        );
        // Appealed: off the list until the payer has been silent for 60 days.
        let appealed = app
            .record_claim_step(
                &finance,
                &claim.id,
                Some(denied.version),
                step("appealed", day(&app), None),
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert!(
            who_is_asked(&app, InboxKind::ClaimToFollowUp)
                .await
                .is_empty(),
            "{}",
            db.label
        );
        clock.advance_secs(59 * 24 * 3600);
        assert!(
            who_is_asked(&app, InboxKind::ClaimToFollowUp)
                .await
                .is_empty(),
            "{}: 59 days is not yet too long",
            db.label
        );
        clock.advance_secs(24 * 3600);
        let asked = who_is_asked(&app, InboxKind::ClaimToFollowUp).await;
        assert_eq!(
            asked["finance@lakeshore.example"][0].title, "Follow up the appeal with the payer",
            "{}",
            db.label
        );
        // Paid on appeal: nothing more to follow up.
        let mut paid = step("paid", day(&app), None);
        paid.amount_cents = Some(31_423_100);
        app.record_claim_step(&finance, &claim.id, Some(appealed.version), paid, None)
            .await
            .unwrap();
        assert!(
            who_is_asked(&app, InboxKind::ClaimToFollowUp)
                .await
                .is_empty(),
            "{}: paid",
            db.label
        );
    }
}

/// The gate's missing deliverables in the inbox are kept by the partnership's records, not by
/// every event of its ledger: a case's request moves the ledger and leaves the records (and
/// what was judged from them) where they were; a deliverable recorded moves the records and
/// the inbox stops asking for it at once.
#[tokio::test]
async fn a_cases_request_leaves_the_gate_as_judged_and_a_deliverable_recorded_judges_it_again() {
    for db in TestDb::all().await {
        let (app, _clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        let contracts = as_user(&app, "contracts@lakeshore.example").await;
        let onboarding = as_user(&app, "onboarding@helixa.example").await;
        app.set_program_capacity(&onboarding, &ids.vantacel, one_a_day(), None, None)
            .await
            .unwrap();
        let asked_at_north = |items: Vec<InboxItem>| -> BTreeSet<String> {
            items
                .into_iter()
                .filter(|i| {
                    i.kind == InboxKind::GateDeliverable
                        && i.site_id.as_deref() == Some(ids.north.as_str())
                        && i.program_id.as_deref() == Some(ids.vantacel.as_str())
                })
                .map(|i| i.title)
                .collect()
        };
        let heads = || async {
            let seq = app
                .store()
                .ledger_head(&ids.partnership)
                .await
                .unwrap()
                .unwrap()
                .seq;
            let records = app
                .store()
                .ledger_records_seqs(std::slice::from_ref(&ids.partnership))
                .await
                .unwrap();
            (seq, records[0].1)
        };
        let before = asked_at_north(inbox(&app, &contracts).await);
        assert!(
            before.contains("Staff training"),
            "{}: {before:?}",
            db.label
        );
        let (seq, records) = heads().await;

        // A case's request for an apheresis day: an event of the partnership's ledger about
        // a patient's path.
        let mut requested = None;
        for c in app
            .cases_of_site(&coordinator, &ids.main, Page::all())
            .await
            .unwrap()
        {
            if c.status != cellpath_domain::events::cases::CaseState::Active
                || c.program_id != ids.vantacel
            {
                continue;
            }
            let asked = today(&app).plus_days(12);
            if app
                .request_booking(&coordinator, &c.id, asked.as_str(), None)
                .await
                .is_ok()
            {
                requested = Some(c.id);
                break;
            }
        }
        requested.expect("a Vantacel case at LUH-MAIN may ask for a day");
        let (seq_after, records_after) = heads().await;
        assert!(seq_after > seq, "{}: the ledger moved", db.label);
        assert_eq!(records_after, records, "{}: its records did not", db.label);
        assert_eq!(
            asked_at_north(inbox(&app, &contracts).await),
            before,
            "{}",
            db.label
        );

        // Staff training recorded at LUH-NORTH: the records move and the inbox, judged again,
        // no longer asks for it.
        DeliverableBuilder::new(
            &ids.partnership,
            &ids.north,
            &ids.vantacel,
            "staff_training",
        )
        .with_done_on(today(&app).plus_days(-2).as_str())
        .record(&app, &contracts)
        .await;
        let (seq_recorded, records_recorded) = heads().await;
        assert!(seq_recorded > seq_after, "{}", db.label);
        assert!(
            records_recorded > records_after,
            "{}: a deliverable is a record",
            db.label
        );
        let after = asked_at_north(inbox(&app, &contracts).await);
        let mut expected = before.clone();
        expected.remove("Staff training");
        assert_eq!(after, expected, "{}", db.label);
    }
}
