//! Patients and cases: the identity projected on the health system's ledger, the case on the
//! partnership's with its state and version, its events loaded in order through the index,
//! a command decided on an old version refused under the lock, and all of it rebuilt by replay.

use super::{appended, org_created};
use cellpath_domain::Date;
use cellpath_domain::events::cases::{
    ActedBy, CaseCancelled, CaseEvent, CaseFields, CaseHeld, CaseOpened, CasePatient, CaseResumed,
    CaseState, RegistryFormSubmitted, RegistryScheduled,
};
use cellpath_domain::events::patients::{PatientFields, PatientRegistered};
use cellpath_domain::journey::{Case, CaseStatus, evolve};
use cellpath_domain::program::IdentifierKind;
use cellpath_store::testing::TestDb;
use cellpath_store::{Append, AppendError, LedgerKind, Operational, Store, StoreError};

fn by() -> ActedBy {
    ActedBy {
        user_id: "user_coord".into(),
        name: "Casey Coordinator".into(),
        role: None,
    }
}

fn patient_registered(now: i64) -> Append {
    let event = PatientRegistered {
        id: "patient_1".into(),
        new: PatientFields {
            site_id: "site_1".into(),
            name: "Jordan Doe".into(),
            date_of_birth: Date::parse("1961-04-02").unwrap(),
            mrn: "MRN-0042".into(),
            salt: "ab".repeat(16),
        },
    };
    Append::new(
        "org_a",
        "user:user_coord",
        "patient.registered",
        serde_json::to_value(event).unwrap(),
        now,
    )
}

fn case_append(event: CaseEvent, now: i64) -> Append {
    Append::new(
        "partnership_1",
        "user:user_coord",
        event.kind(),
        serde_json::to_value(&event).unwrap(),
        now,
    )
}

fn opened(registration: &str) -> CaseEvent {
    CaseOpened {
        id: "case_1".into(),
        new: CaseFields {
            partnership_id: "partnership_1".into(),
            site_id: "site_1".into(),
            program_id: "program_1".into(),
            map_version_id: "smv_1".into(),
            pseudonym: "VAN-LUH-0001".into(),
            patient: CasePatient {
                initials: "JD".into(),
                birth_year: 1961,
                identity_sha256: "c".repeat(64),
                registration: registration.into(),
            },
            identifier_kinds: vec![IdentifierKind::ManufacturerOrderId],
            units: vec![],
            opened_by: by(),
            opened_at: 10,
        },
    }
    .into()
}

fn held(at: i64) -> CaseEvent {
    CaseHeld {
        case_id: "case_1".into(),
        reason: "fever before collection".into(),
        by: by(),
        at,
    }
    .into()
}

async fn folded(store: &Store) -> Case {
    store
        .case_events("case_1")
        .await
        .unwrap()
        .iter()
        .map(|e| CaseEvent::read(&e.kind, &e.payload).unwrap().unwrap())
        .fold(Case::default(), |c, e| evolve(c, &e))
}

#[tokio::test]
async fn a_patient_and_a_case_are_projected_and_the_case_folds_from_its_index() {
    for db in TestDb::all().await {
        let store = db.store().await;
        store
            .append(org_created("org_a", "Lakeshore", 1))
            .await
            .unwrap();
        let reg = appended(store.append(patient_registered(2)).await.unwrap());
        let patient = store
            .patient_by_mrn("org_a", "MRN-0042")
            .await
            .unwrap()
            .expect("patient projected");
        assert_eq!(
            (
                patient.name.as_str(),
                patient.date_of_birth.as_str(),
                patient.registration.as_str()
            ),
            ("Jordan Doe", "1961-04-02", reg.hash.as_str()),
            "{}",
            db.label
        );
        store
            .append(case_append(opened(&reg.hash), 10).opening(LedgerKind::Partnership))
            .await
            .unwrap();
        store.append(case_append(held(20), 20)).await.unwrap();
        let row = store.case("case_1").await.unwrap().expect("case projected");
        assert_eq!(
            (
                row.status,
                row.version,
                row.birth_year,
                row.initials.as_str()
            ),
            (CaseState::OnHold, 2, 1961, "JD"),
            "{}",
            db.label
        );
        assert_eq!(
            store
                .patient_by_registration(&row.patient_registration)
                .await
                .unwrap(),
            Some(patient)
        );
        store
            .append(case_append(
                CaseResumed {
                    case_id: "case_1".into(),
                    note: "fever resolved".into(),
                    by: by(),
                    at: 30,
                    expanded_access: None,
                }
                .into(),
                30,
            ))
            .await
            .unwrap();
        let case = folded(&store).await;
        assert_eq!(
            (case.pseudonym.as_str(), &case.status),
            ("VAN-LUH-0001", &CaseStatus::Active)
        );
        assert_eq!(
            store.case("case_1").await.unwrap().unwrap().status,
            CaseState::Active
        );
        assert_eq!(
            store.cases_named_like("site_1", "VAN-LUH-").await.unwrap(),
            1
        );
        assert_eq!(store.cases_named_like("site_1", "VANX-").await.unwrap(), 0);
        assert_eq!(
            store.cases_named_like("site_2", "VAN-LUH-").await.unwrap(),
            0
        );
        let all = cellpath_store::Page::all();
        let listed = store
            .cases_of_site("site_1", &["partnership_1".to_string()], all)
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].last_step, None, "no step is done yet");
        // Only the partnerships named: another's, or none, list nothing.
        assert!(
            store
                .cases_of_site("site_1", &["partnership_2".to_string()], all)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            store
                .cases_of_site("site_1", &[], all)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn a_command_decided_on_an_older_version_of_the_case_is_refused_whole() {
    for db in TestDb::all().await {
        let store = db.store().await;
        store
            .append(case_append(opened(&"d".repeat(64)), 10).opening(LedgerKind::Partnership))
            .await
            .unwrap();
        let decided = || Operational::CaseDecidedOn {
            case_id: "case_1".into(),
            decided_on: 1,
            events: 1,
        };
        // Two people decide on version 1; the first is written, the second refused.
        store
            .append(case_append(held(20), 20).with_operational(decided()))
            .await
            .unwrap();
        let second = CaseCancelled {
            case_id: "case_1".into(),
            care_transition_note: "back to the referring oncologist".into(),
            by: by(),
            at: 21,
        };
        let err = store
            .append(case_append(second.into(), 21).with_operational(decided()))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                AppendError::Store(StoreError::Conflict { current: 2, .. })
            ),
            "{}: {err:?}",
            db.label
        );
        let row = store.case("case_1").await.unwrap().unwrap();
        assert_eq!(
            (row.status, row.version),
            (CaseState::OnHold, 2),
            "{}",
            db.label
        );
        assert_eq!(store.case_events("case_1").await.unwrap().len(), 2);
    }
}

#[tokio::test]
async fn patients_and_cases_are_rebuilt_by_replay() {
    for db in TestDb::all().await {
        let store = db.store().await;
        store
            .append(org_created("org_a", "Lakeshore", 1))
            .await
            .unwrap();
        let reg = appended(store.append(patient_registered(2)).await.unwrap());
        store
            .append(case_append(opened(&reg.hash), 10).opening(LedgerKind::Partnership))
            .await
            .unwrap();
        store.append(case_append(held(20), 20)).await.unwrap();
        let fresh = TestDb::sqlite().await;
        let target = fresh.store().await;
        store.replay_into(&target).await.unwrap();
        let live = store.record_state().await.unwrap();
        assert_eq!(live, target.record_state().await.unwrap(), "{}", db.label);
        assert_eq!(live["case_events"].len(), 2, "{}", db.label);
        assert_eq!(live["patients"].len(), 1, "{}", db.label);
    }
}

fn scheduled_forms(infused_on: &str) -> CaseEvent {
    use cellpath_domain::process_map::{FollowUpTrack, StepParams};
    let params = StepParams {
        follow_up: cellpath_domain::registry::track_forms(FollowUpTrack::Standard),
        ..StepParams::default()
    };
    let infused_on = Date::parse(infused_on).unwrap();
    let (forms, visits) = cellpath_domain::registry::schedule(&infused_on, &params);
    RegistryScheduled {
        case_id: "case_1".into(),
        step: "follow_up".into(),
        infused_on,
        track: Some(FollowUpTrack::Standard),
        forms,
        visits,
        at: 40,
    }
    .into()
}

fn submitted(key: &str, on: &str, at: i64) -> CaseEvent {
    RegistryFormSubmitted {
        case_id: "case_1".into(),
        key: key.into(),
        form: "CIBMTR 4006".into(),
        submitted_on: Date::parse(on).unwrap(),
        reference: format!("FN-{at}"),
        by: by(),
        at,
    }
    .into()
}

#[tokio::test]
async fn registry_forms_are_scheduled_submitted_listed_by_where_they_stand_and_replayed() {
    use cellpath_store::{FormsAt, Page};
    for db in TestDb::all().await {
        let store = db.store().await;
        store
            .append(case_append(opened(&"d".repeat(64)), 10).opening(LedgerKind::Partnership))
            .await
            .unwrap();
        // infused on 2026-03-10; today 2026-06-20: 4006, 4003 and 4000 overdue (closed
        // 2026-04-09), the day-100 form due (2026-06-03 to 2026-07-03), the rest upcoming
        store
            .append(case_append(scheduled_forms("2026-03-10"), 40))
            .await
            .unwrap();
        let today = Date::parse("2026-06-20").unwrap();
        let keys = |rows: Vec<cellpath_store::RegistryFormRow>| -> Vec<String> {
            rows.into_iter().map(|r| r.form_key).collect()
        };
        let at =
            |which| store.registry_forms_of_site("site_1", which, &today, None, Page::first(50));
        assert_eq!(
            keys(at(FormsAt::Overdue).await.unwrap()),
            [
                "cibmtr-4000-day-30",
                "cibmtr-4003-day-0",
                "cibmtr-4006-day-0"
            ],
            "{}",
            db.label
        );
        assert_eq!(
            keys(at(FormsAt::Due).await.unwrap()),
            ["cibmtr-4100-day-100"]
        );
        assert_eq!(keys(at(FormsAt::Open).await.unwrap()).len(), 4);
        // cut to partnerships: this one's, another's
        let only = |ids: &'static [&'static str]| {
            let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
            let store = &store;
            let today = &today;
            async move {
                store
                    .registry_forms_of_site(
                        "site_1",
                        FormsAt::Open,
                        today,
                        Some(&ids),
                        Page::first(50),
                    )
                    .await
                    .unwrap()
                    .len()
            }
        };
        assert_eq!(only(&["partnership_1", "partnership_9"]).await, 4);
        assert_eq!(only(&["partnership_9"]).await, 0);
        assert_eq!(only(&[]).await, 0);
        assert!(at(FormsAt::Submitted).await.unwrap().is_empty());

        store
            .append(case_append(
                submitted("cibmtr-4006-day-0", "2026-06-19", 50),
                50,
            ))
            .await
            .unwrap();
        let done = at(FormsAt::Submitted).await.unwrap();
        assert_eq!(
            (
                done[0].form_key.as_str(),
                done[0].submitted_on.as_ref().map(Date::as_str),
                done[0].reference.as_deref(),
                done[0].pseudonym.as_str(),
                done[0].program_id.as_str()
            ),
            (
                "cibmtr-4006-day-0",
                Some("2026-06-19"),
                Some("FN-50"),
                "VAN-LUH-0001",
                "program_1"
            ),
            "{}",
            db.label
        );
        assert_eq!(at(FormsAt::Overdue).await.unwrap().len(), 2);
        let of_case = store.registry_forms_of_case("case_1").await.unwrap();
        assert_eq!(of_case.len(), 15);
        assert_eq!(of_case[3].due_when, "day 100");
        // another site sees none of them
        assert!(
            store
                .registry_forms_of_site("site_2", FormsAt::Open, &today, None, Page::first(50))
                .await
                .unwrap()
                .is_empty()
        );

        // replay rebuilds the forms as they stand
        let fresh = TestDb::sqlite().await;
        let target = fresh.store().await;
        store.replay_into(&target).await.unwrap();
        let live = store.record_state().await.unwrap();
        assert_eq!(live, target.record_state().await.unwrap(), "{}", db.label);
        assert_eq!(live["registry_forms"].len(), 15);

        // cancelling the case withdraws the open forms, keeps the submitted one
        store
            .append(case_append(
                CaseCancelled {
                    case_id: "case_1".into(),
                    care_transition_note: "moved to another state".into(),
                    by: by(),
                    at: 60,
                }
                .into(),
                60,
            ))
            .await
            .unwrap();
        assert!(at(FormsAt::Open).await.unwrap().is_empty(), "{}", db.label);
        assert_eq!(
            store.registry_forms_of_case("case_1").await.unwrap().len(),
            1
        );
    }
}

/// 10,000 cases over 200 sites, 15 forms each (150,000 rows, written behind the app's back):
/// a site's due and overdue forms are one query on the partial index, answered in a few
/// milliseconds on both databases (printed; the assertion is on what it answers).
#[tokio::test]
async fn a_sites_open_forms_among_ten_thousand_cases_are_one_indexed_query() {
    use cellpath_store::{FormsAt, Page};
    const CASES: i64 = 10_000;
    const FORMS: i64 = 15;
    const SITES: i64 = 200;
    for db in TestDb::all().await {
        let store = db.store().await;
        // opens and closes cycle through three windows; every fifth form submitted
        db.execute_behind_the_apps_back(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {last}) \
             INSERT INTO registry_forms (case_id, form_key, partnership_id, site_id, program_id, pseudonym, form, occurrence, due_when, opens_on, due_on, closes_on, submitted_on, reference) \
             SELECT 'case_' || (i / {FORMS}), 'form_' || (i % {FORMS}), 'partnership_1', 'site_' || ((i / {FORMS}) % {SITES}), 'program_1', 'P-' || (i / {FORMS}), 'CIBMTR 4100', i % {FORMS} + 1, 'day 100', \
             CASE i % 3 WHEN 0 THEN '2026-01-01' WHEN 1 THEN '2026-05-20' ELSE '2027-01-01' END, \
             CASE i % 3 WHEN 0 THEN '2026-01-15' WHEN 1 THEN '2026-06-05' ELSE '2027-01-15' END, \
             CASE i % 3 WHEN 0 THEN '2026-02-01' WHEN 1 THEN '2026-06-20' ELSE '2027-02-01' END, \
             CASE WHEN i % 5 = 0 THEN '2026-01-10' ELSE '' END, \
             CASE WHEN i % 5 = 0 THEN 'FN-' || i ELSE '' END \
             FROM n",
            last = CASES * FORMS - 1
        ))
        .await;
        if db.label.contains("postgres") {
            db.execute_behind_the_apps_back("ANALYZE registry_forms")
                .await;
        }
        let today = Date::parse("2026-06-01").unwrap();
        // what site_7 holds: its cases' forms not submitted whose window opened
        let (mut overdue, mut due) = (0, 0);
        for i in 0..CASES * FORMS {
            if (i / FORMS) % SITES != 7 || i % 5 == 0 {
                continue;
            }
            match i % 3 {
                0 => overdue += 1,
                1 => due += 1,
                _ => {}
            }
        }
        let started = std::time::Instant::now();
        let first = store
            .registry_forms_of_site("site_7", FormsAt::Open, &today, None, Page::first(50))
            .await
            .unwrap();
        let took = started.elapsed();
        assert_eq!(first.len(), 50, "{}", db.label);
        assert!(
            first.windows(2).all(|w| w[0].closes_on <= w[1].closes_on),
            "most urgent first"
        );
        assert_eq!(first[0].closes_on.as_str(), "2026-02-01");
        let all = store
            .registry_forms_of_site("site_7", FormsAt::Open, &today, None, Page::first(1000))
            .await
            .unwrap();
        assert_eq!(all.len(), overdue + due, "{}", db.label);
        let started = std::time::Instant::now();
        let only_due = store
            .registry_forms_of_site("site_7", FormsAt::Due, &today, None, Page::first(1000))
            .await
            .unwrap();
        let took_due = started.elapsed();
        assert_eq!(only_due.len(), due, "{}", db.label);
        eprintln!(
            "{}: {} rows; site_7's first 50 open forms in {:?}, its {} due forms in {:?}",
            db.label,
            CASES * FORMS,
            took,
            due,
            took_due
        );
    }
}
