//! The cash-flow model, as issue 14 asks it to be shown correct: closed forms with patients
//! placed by hand, the draws' statistics within Monte Carlo error, aligned terms that never
//! ask for more days when the cap rises, the same numbers on any thread count, and one clear
//! line for every bad file.

use cellpath_planning::cashflow::{Patient, Scenario};
use proptest::prelude::*;

const EXAMPLE: &str = include_str!("../../../../docs/examples/cashflow.toml");

/// One program, one payer; `extra` is appended to the program's table (before its terms).
fn scenario(runs: u32, basis: &str, extra: &str, payer: &str) -> String {
    format!(
        r#"
seed = 11
runs = {runs}
horizon_days = 200
cap = 1000.0
align = "a"

[[program]]
id = "a"
price = 100.0
patients_per_month = 3.0
claim_submit_days = 20
{extra}
[program.terms]
basis = "{basis}"
net_days = 30
ship_lead_days = 7
backstop_days = 90

[[payer]]
name = "only"
share = 1.0
paid_fixed = 50.0
paid_fraction = 0.3
lag_median_days = 30
lag_p90_days = 30
{payer}
"#
    )
}

fn placed(t: f64) -> Patient {
    Patient {
        program: 0,
        t,
        payer: 0,
        not_infused: false,
        lag: 30.0,
        denied: false,
        appeal_succeeded: false,
        appeal_days: 0.0,
        refund: false,
    }
}

#[test]
fn one_patient_by_hand_gives_the_closed_form_on_every_basis() {
    // Infused at 10.5; the claim goes in at 30.5 and is paid 80 (50 + 0.3 × 100) at 60.5.
    for (basis, paid_out_day) in [("shipment", 33), ("infusion", 40), ("reimbursement", 90)] {
        let s = Scenario::from_toml(&scenario(1, basis, "", "")).unwrap();
        let run = s.run_patients(&[placed(10.5)]);
        let e = &run.exposure_by_day;
        assert_eq!(
            e[paid_out_day - 1],
            if paid_out_day > 60 { -80.0 } else { 0.0 },
            "{basis}"
        );
        // Paid out at 3.5 + 30 (shipment), 10.5 + 30 (infusion), min(60.5, 100.5) + 30
        // (reimbursement): counted from the day it falls in.
        assert!(
            e[paid_out_day] == 100.0 || e[paid_out_day] == 20.0,
            "{basis}: {e:?}"
        );
        assert_eq!(e[199], 20.0, "{basis}: out 100, in 80");
        assert_eq!(
            run.peak,
            if paid_out_day > 60 { 20.0 } else { 100.0 },
            "{basis}"
        );
        assert_eq!(run.margin, vec![-20.0], "{basis}");
    }
}

#[test]
fn a_flow_counts_from_the_day_it_falls_in() {
    let s = Scenario::from_toml(&scenario(1, "infusion", "", "")).unwrap();
    // Out at exactly 40.0: not yet on day 39 (time < 40), counted on day 40 (time < 41).
    let e = s.run_patients(&[placed(10.0)]).exposure_by_day;
    assert_eq!((e[39], e[40]), (0.0, 100.0));
    // Flows before day 0 count on day 0; past the horizon, never.
    let e = s.run_patients(&[placed(-31.0)]).exposure_by_day;
    assert_eq!(e[0], 100.0);
    let e = s.run_patients(&[placed(180.0)]).exposure_by_day;
    assert_eq!(e[199], 0.0, "paid out at 210, past the horizon");
}

#[test]
fn denials_credits_and_refunds_by_hand() {
    let extra = "not_infused_rate = 0.1\nnot_infused_credit_fraction = 0.5\n[program.rebate]\nnonresponse_rate = 0.5\nrebate_fraction = 0.8\nrebate_window_days = 100\n";
    let s = Scenario::from_toml(
        &scenario(
        1,
        "reimbursement",
        extra,
        "denial_rate = 0.5\nappeal_success_rate = 0.5\nappeal_median_days = 40\nappeal_p90_days = 40",
    )
        .replace("backstop_days = 90", "backstop_days = 90\ndenial_protection_fraction = 0.25"),
    )
    .unwrap();
    // Not infused at 5: paid out at 5 + 90 (backstop) + 30, credit 50 at 5.
    let run = s.run_patients(&[Patient {
        not_infused: true,
        ..placed(5.0)
    }]);
    assert_eq!(run.exposure_by_day[5], -50.0);
    assert_eq!(run.exposure_by_day[125], 50.0);
    assert_eq!(run.margin, vec![-50.0]);
    // Denied, appeal lost: never paid; protection credit 25 at 10 + 20 + 30 + 40 = 100; paid
    // out at the backstop, 100 + 30; refund 80 at 110.
    let run = s.run_patients(&[Patient {
        denied: true,
        appeal_days: 40.0,
        refund: true,
        ..placed(10.0)
    }]);
    let e = &run.exposure_by_day;
    assert_eq!((e[99], e[100], e[110], e[130]), (0.0, -25.0, -105.0, -5.0));
    assert_eq!(run.margin, vec![25.0 + 80.0 - 100.0]);
    // Denied, appeal won: paid 80 at 100, the manufacturer paid at min(100, 100) + 30.
    let run = s.run_patients(&[Patient {
        denied: true,
        appeal_succeeded: true,
        appeal_days: 40.0,
        ..placed(10.0)
    }]);
    assert_eq!(run.exposure_by_day[100], -80.0);
    assert_eq!(run.exposure_by_day[130], 20.0);
}

#[test]
fn the_draws_have_the_statistics_the_file_asks_for() {
    let s = Scenario::from_toml(&scenario(
        1,
        "infusion",
        "not_infused_rate = 0.2",
        "denial_rate = 0.15\nappeal_success_rate = 0.5\nappeal_median_days = 60\nappeal_p90_days = 90",
    ).replace("lag_p90_days = 30", "lag_p90_days = 75"))
    .unwrap();
    let runs = 4000u64;
    let patients: Vec<Patient> = (0..runs).flat_map(|r| s.patients(r)).collect();
    // 3 a month over 200 days: a mean of 20 a run, Poisson (variance 20).
    let mean = patients.len() as f64 / runs as f64;
    assert!(
        (mean - 20.0).abs() < 5.0 * (20.0 / runs as f64).sqrt(),
        "{mean}"
    );
    let n = patients.len() as f64;
    let share = |k: usize, of: f64, p: f64| {
        let got = k as f64 / of;
        assert!(
            (got - p).abs() < 5.0 * (p * (1.0 - p) / of).sqrt(),
            "{got} vs {p}"
        );
    };
    share(patients.iter().filter(|p| p.not_infused).count(), n, 0.2);
    let infused: Vec<&Patient> = patients.iter().filter(|p| !p.not_infused).collect();
    share(
        infused.iter().filter(|p| p.denied).count(),
        infused.len() as f64,
        0.15,
    );
    let mut lags: Vec<f64> = infused.iter().map(|p| p.lag).collect();
    lags.sort_by(f64::total_cmp);
    let at = |q: f64| lags[(q * lags.len() as f64) as usize];
    assert!((at(0.5) / 30.0 - 1.0).abs() < 0.03, "median {}", at(0.5));
    assert!((at(0.9) / 75.0 - 1.0).abs() < 0.04, "p90 {}", at(0.9));
    assert!(patients.iter().all(|p| (0.0..200.0).contains(&p.t)));
}

#[test]
fn the_example_is_the_same_on_one_thread_and_on_four() {
    let s = Scenario::from_toml(EXAMPLE).unwrap().with_runs(300);
    let one = s.simulate(1, &|_| {}).unwrap();
    let four = s.simulate(4, &|_| {}).unwrap();
    assert_eq!(one.peaks, four.peaks);
    assert_eq!(one.exposure_by_day, four.exposure_by_day);
    assert_eq!(one.aligned_terms, four.aligned_terms);
    assert_eq!(one.programs, four.programs);
    assert_eq!(one.exposure_by_day.p50.len(), 730);
    let p = &one.peak_exposure;
    assert!(p.p5 <= p.p50 && p.p50 <= p.p95, "{p:?}");
    assert!(
        one.exposure_by_day
            .p5
            .iter()
            .zip(&one.exposure_by_day.p95)
            .all(|(lo, hi)| lo <= hi)
    );
}

#[test]
fn the_aligned_terms_bring_the_p95_peak_under_the_cap_and_one_day_less_does_not() {
    let s = Scenario::from_toml(EXAMPLE).unwrap().with_runs(400);
    let report = s.simulate(2, &|_| {}).unwrap();
    let net = report
        .aligned_terms
        .net_days
        .expect("some terms fit a $6M cap");
    assert!(report.aligned_terms.peak_p95.unwrap() <= s.cap);
    if net > 0 {
        let tighter = s.with_net_days(0, net - 1).simulate(2, &|_| {}).unwrap();
        assert!(tighter.peak_exposure.p95 > s.cap, "{net} is the smallest");
    }
    let at = s.with_net_days(0, net).simulate(2, &|_| {}).unwrap();
    assert_eq!(Some(at.peak_exposure.p95), report.aligned_terms.peak_p95);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    #[test]
    fn a_higher_cap_never_asks_for_more_days(cap in 0.0f64..8e6, more in 0.0f64..4e6, seed in 0u64..1000) {
        let s = Scenario::from_toml(EXAMPLE).unwrap().with_runs(60).with_seed(seed);
        let low = s.with_cap(cap).simulate(2, &|_| {}).unwrap().aligned_terms.net_days;
        let high = s.with_cap(cap + more).simulate(2, &|_| {}).unwrap().aligned_terms.net_days;
        match (low, high) {
            (Some(l), Some(h)) => prop_assert!(h <= l, "cap {cap}: {l}, cap {}: {h}", cap + more),
            (Some(_), None) => prop_assert!(false, "a higher cap found no terms"),
            _ => {}
        }
        let again = s.with_cap(cap).simulate(1, &|_| {}).unwrap().aligned_terms.net_days;
        prop_assert_eq!(low, again, "stable for a seed");
    }
}

#[test]
fn every_bad_file_gets_one_line_naming_the_field() {
    let good = scenario(10, "infusion", "", "");
    let cases = [
        (
            good.replace("share = 1.0", "share = 0.9"),
            "payer.share",
            "sum to 0.9",
        ),
        (
            good.replace("lag_p90_days = 30", "lag_p90_days = 20"),
            "payer[0].lag_p90_days",
            "below the median",
        ),
        (
            good.replace("price = 100.0", "price = -100.0"),
            "program[0].price",
            "≥ 0",
        ),
        (
            good.replace("basis = \"infusion\"", "basis = \"delivery\""),
            "program[0].terms.basis",
            "\"delivery\"",
        ),
        (
            good.replace("align = \"a\"", "align = \"b\""),
            "align",
            "names no program",
        ),
        (good.replace("runs = 10", "runs = 0"), "runs", "1 to"),
        (
            good.replace("net_days = 30", "net_days = 400"),
            "program[0].terms.net_days",
            "0 to 365",
        ),
        (
            good.replace("seed = 11", "sead = 11"),
            "line 2",
            "unknown field",
        ),
    ];
    for (text, field, says) in cases {
        let e = Scenario::from_toml(&text).unwrap_err();
        assert_eq!(e.field, field, "{e}");
        let line = e.to_string();
        assert!(line.contains(says) && !line.contains('\n'), "{line}");
    }
    let reimbursement = scenario(10, "reimbursement", "", "").replace("backstop_days = 90", "");
    assert_eq!(
        Scenario::from_toml(&reimbursement).unwrap_err().field,
        "program[0].terms.backstop_days"
    );
}
