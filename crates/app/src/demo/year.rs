//! Most of a year of Vantacel cases at LUH-MAIN before the demo's last months (issue 12, point
//! 8: the vein-to-vein figures need history to be worth reading) — [`DAYS`] days, as far back
//! as the demo's fixed days allow (its gate deliverables were done by 15 October 2025), which
//! with the last months' cases puts infusions in each of the twelve months the figures show. On the `demo` command's history path
//! only, between the seeding and the last months' cases: the clock is moved to each action's
//! moment, cases interleaved in time order as `cases::over_time` does, each taken through every
//! step of the map by `drive::next` (the same commands people use). A launch ramp — two weeks
//! quiet, then a new patient every two to four days for five months —, collection → infusion mostly three to
//! six weeks with a tail (a slow manufacturing run, a held shipment), and a few cancelled before
//! collection. Every case is done before the last months begin, so none stands still in them.

use super::drive::{Labels, People, next};
use super::{Launch, find, launch, user};
use crate::cases::{CaseInput, NewCase, NewPatient};
use crate::{App, AppError, ManualClock};
use cellpath_domain::Role;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// How many days these cases cover; the history begins this much earlier.
pub const DAYS: i64 = 260;

const HOUR: i64 = 3_600 * 1_000_000;
const DAY: i64 = 24 * HOUR;

/// The nurse who verifies at the bedside with the day nurse (two people, four eyes).
const BEDSIDE_NURSE: &str = "nurse.weekends@lakeshore.example";

const FIRST: &[&str] = &[
    "Alma", "Bernard", "Carmen", "Desmond", "Elise", "Farid", "Gloria", "Hector", "Ingrid",
    "Jonas", "Keiko", "Lionel", "Marisol", "Nikolai", "Odette", "Pavel", "Quinn", "Rosalind",
    "Samir", "Tamsin", "Ulrich", "Vera", "Wendell", "Xiomara", "Yusuf", "Zora",
];
const LAST: &[&str] = &[
    "Abernathy",
    "Brandvold",
    "Castellanos",
    "Dufresne",
    "Ekwueme",
    "Fairbanks",
    "Grünewald",
    "Halvorsen",
    "Iwasaki",
    "Jablonski",
    "Kettering",
    "Lindqvist",
    "Mbeki",
    "Novak",
    "Oyelaran",
    "Prescott",
    "Quintero",
    "Rasmussen",
    "Sokolova",
    "Thibodeaux",
    "Underhill",
];

/// A small deterministic generator (SplitMix64): the demo's spread is the same on every run.
struct Spread(u64);

impl Spread {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A whole number in `lo..=hi`.
    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }

    /// True with `percent` % chance.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// How long after `step` the case's next action comes (microseconds); the manufacturing run
/// and the shipment carry the spread of collection → infusion.
fn gap_after(step: &str, s: &mut Spread, slow: bool) -> i64 {
    match step {
        "referral" => s.between(1, 4) * DAY,
        "benefits_check" => s.between(2, 6) * DAY,
        "consent" => s.between(1, 3) * DAY,
        "enrollment" => DAY,
        "apheresis_scheduling" => s.between(6, 14) * DAY,
        "collection" => 2 * HOUR,
        "courier_handoff" => s.between(18, 30) * HOUR,
        // Manufacturing and release testing: two to three and a half weeks, a slow run more.
        "manufacturing_receipt" => {
            (s.between(14, 24) + if slow { s.between(8, 20) } else { 0 }) * DAY
        }
        "release_decision" => s.between(4, 30) * HOUR,
        "shipment" => s.between(24, 48) * HOUR,
        "receipt_and_storage" => s.between(1, 4) * DAY,
        "bridging_therapy" => s.between(2, 5) * DAY,
        "lymphodepletion" => s.between(2, 3) * DAY,
        "physician_order" | "pharmacist_verification" => HOUR,
        "thaw_cd4" | "thaw_cd8" | "dual_verification_cd4" | "dual_verification_cd8" => {
            20 * 60 * 1_000_000
        }
        "administer_cd4" => 40 * 60 * 1_000_000,
        "administer_cd8" => 2 * DAY,
        _ => 6 * HOUR,
    }
}

/// The case's people: the demo's staff with a second nurse for the bedside.
async fn people(app: &App, lakeshore: &str) -> Result<People, AppError> {
    use Role::*;
    let operator = crate::Caller::system("demo");
    app.create_user(
        &operator,
        lakeshore,
        crate::records::users::UserInput {
            email: BEDSIDE_NURSE.into(),
            name: "Imani Castellanos".into(),
            role: "nurse".into(),
            password: super::DEMO_PASSWORD.into(),
        },
        None,
    )
    .await?
    .fresh()?;
    let mut staff: BTreeMap<Role, Vec<crate::Caller>> = BTreeMap::new();
    for role in [
        Coordinator,
        Physician,
        Nurse,
        CellLab,
        Apheresis,
        Pharmacy,
        DataManager,
        Finance,
    ] {
        let email = format!("{}@lakeshore.example", role.as_str().replace('_', "."));
        staff
            .entry(role)
            .or_default()
            .push(user(app, &email).await?);
    }
    staff
        .entry(Nurse)
        .or_default()
        .push(user(app, BEDSIDE_NURSE).await?);
    let mut helixa = BTreeMap::new();
    for role in [PatientOps, Quality] {
        let email = format!("{}@helixa.example", role.as_str().replace('_', "."));
        helixa.insert(role, user(app, &email).await?);
    }
    People::new(staff, helixa, super::DEMO_PASSWORD)
}

/// The cases, from the clock's now over [`DAYS`] days; the clock ends [`DAYS`] later.
pub(super) async fn year(app: &App, clock: &ManualClock) -> Result<(), AppError> {
    let Launch {
        lakeshore,
        pship,
        vantacel,
        sites,
    } = launch(app).await?;
    let site = find(sites, "LUH-MAIN", |s| s.code == "LUH-MAIN").await?;
    let people = people(app, &lakeshore.id).await?;
    let start = app.now();
    let end = start + DAYS * DAY;
    let mut spread = Spread(0x5EED_2026);
    // When each case opens: from day 15, two to four days apart, none after day 170 (each is
    // done, in ninety days at the most, before the months that follow).
    let mut opens = Vec::new();
    let mut day = 15;
    while day <= 170 {
        opens.push(start + day * DAY + spread.between(8, 16) * HOUR);
        day += spread.between(2, 4);
    }
    struct Running {
        id: String,
        labels: Labels,
        slow: bool,
        /// Cancelled before this step, with the note.
        cancel: Option<&'static str>,
    }
    let mut cases: Vec<Running> = Vec::new();
    let mut queue: BinaryHeap<Reverse<(i64, usize)>> = BinaryHeap::new();
    let advance = |at: i64| {
        let now = app.now();
        if at > now {
            clock.advance_secs((at - now) / 1_000_000);
        }
    };
    // Take forward every case whose next action comes before `until`, in time order.
    for (n, open_at) in opens.iter().copied().chain([end]).enumerate() {
        while let Some(Reverse((t, i))) = queue.peek().copied() {
            if t > open_at {
                break;
            }
            queue.pop();
            advance(t);
            let c = &cases[i];
            let step = next(
                app,
                &people,
                &c.id,
                &c.labels,
                &[],
                c.cancel.map(|_| "collection"),
            )
            .await?;
            match (step, c.cancel) {
                (Some(done), _) => {
                    let gap = gap_after(&done, &mut spread, c.slow);
                    queue.push(Reverse((t + gap, i)));
                }
                (None, Some(note)) => {
                    app.act_on_case(
                        &people.coordinator,
                        &c.id,
                        CaseInput::Cancel {
                            care_transition_note: note.into(),
                        },
                        "",
                        None,
                        None,
                    )
                    .await?
                    .fresh()?;
                }
                (None, None) => {}
            }
        }
        if open_at >= end {
            break;
        }
        advance(open_at);
        let name = format!(
            "{} {}",
            FIRST[(n * 7) % FIRST.len()],
            LAST[(n * 5 + n / LAST.len()) % LAST.len()]
        );
        let dob = format!(
            "{}-{:02}-{:02}",
            spread.between(1946, 1988),
            spread.between(1, 12),
            spread.between(1, 28)
        );
        let patient = app
            .register_patient(
                &people.coordinator,
                NewPatient {
                    site_id: site.id.clone(),
                    name,
                    date_of_birth: dob,
                    mrn: format!("LUH-1{:07}", 52_000 + n * 11),
                },
                None,
            )
            .await?
            .fresh()?;
        let case = app
            .open_case(
                &people.coordinator,
                NewCase {
                    partnership_id: pship.id.clone(),
                    site_id: site.id.clone(),
                    program_id: vantacel.id.clone(),
                    patient_id: patient.patient_id,
                },
                None,
            )
            .await?
            .fresh()?;
        let cancel = (n % 17 == 5).then_some(
            "Disease progressed quickly before apheresis; referred back to Dr. Osei's lymphoma clinic for palliative radiotherapy.",
        );
        cases.push(Running {
            id: case.id,
            labels: Labels::numbered(300 + n),
            slow: spread.chance(12),
            cancel,
        });
        queue.push(Reverse((open_at + HOUR, cases.len() - 1)));
    }
    advance(end);
    Ok(())
}
