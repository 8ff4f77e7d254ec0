//! One run of the cash-flow model, and the runs together (issue 14's meaning, to the letter):
//! patients Poisson per program, infusion uniform over the horizon, the payer by share; the
//! product paid out per the terms; claims paid after a log-normal lag, denied and appealed;
//! credits and refunds. Exposure on day d counts every flow at a time before d + 1.
//!
//! The search for aligned terms uses that `net_days` only moves the aligned program's payments
//! out by whole days: each run keeps its exposure without them and their running total by
//! day (before `net_days`), so any candidate's exposure is the sum of the two, shifted, with
//! the same draws. Exposure falls (never rises) as `net_days` grows, so the smallest
//! `net_days` that brings the P95 peak under the cap is found by bisection.

use super::draw::{LogNormal, poisson, unit};
use super::scenario::{Basis, Scenario};
use crate::stream::iteration_stream;

/// What one run leaves for the summaries.
pub(super) struct Run {
    /// Exposure by day without the aligned program's payments to the manufacturer (all flows
    /// when nothing is aligned).
    pub fixed: Vec<f64>,
    /// The aligned program's payments out, as a running total by the day they fall on before
    /// `net_days`, from day `-offset`.
    pub aligned: Vec<f64>,
    pub offset: usize,
    /// Per program: (sum over its patients of inflows − price, patients).
    pub margins: Vec<(f64, u64)>,
}

/// Days before day 0 an aligned payment can fall (before `net_days`): shipment precedes
/// infusion by `ship_lead_days`.
fn aligned_offset(s: &Scenario) -> usize {
    s.align
        .map(|i| s.programs[i].terms.ship_lead_days.ceil() as usize + 1)
        .unwrap_or(0)
}

/// The day a flow at time `t` is first counted on, or `None` past the horizon.
fn day_of(t: f64, horizon: usize) -> Option<usize> {
    if t < 0.0 {
        Some(0)
    } else {
        let d = t.floor();
        (d < horizon as f64).then_some(d as usize)
    }
}

/// One simulated patient: when, with which payer, and what the draws decided. A test can
/// place patients by hand (`Scenario::run_patients`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Patient {
    /// Index into the scenario's programs.
    pub program: usize,
    /// Infusion time (fractional days from day 0).
    pub t: f64,
    /// Index into the scenario's payers.
    pub payer: usize,
    /// Shipped, never infused.
    pub not_infused: bool,
    /// Claim submission → payer's answer, in days.
    pub lag: f64,
    pub denied: bool,
    pub appeal_succeeded: bool,
    /// Denial → appeal settled, in days.
    pub appeal_days: f64,
    /// The outcomes-based refund is due (the patient did not respond).
    pub refund: bool,
}

impl Scenario {
    /// The patients of run `index`, drawn from its own stream in a fixed order: per program,
    /// the count, then per patient time, payer, not infused, and — for those infused — lag,
    /// denial, appeal and refund as the model needs them.
    pub fn patients(&self, index: u64) -> Vec<Patient> {
        let mut rng = iteration_stream(self.seed, index);
        let lags: Vec<(LogNormal, LogNormal)> = self
            .payers
            .iter()
            .map(|p| (LogNormal::new(p.lag), LogNormal::new(p.appeal)))
            .collect();
        let mut out = Vec::new();
        for (pi, p) in self.programs.iter().enumerate() {
            let n = poisson(
                &mut rng,
                p.patients_per_month * f64::from(self.horizon_days) / 30.0,
            );
            for _ in 0..n {
                let t = unit(&mut rng) * f64::from(self.horizon_days);
                let u = unit(&mut rng);
                let mut payer = self.payers.len() - 1;
                let mut below = 0.0;
                for (i, q) in self.payers.iter().enumerate() {
                    below += q.share;
                    if u < below {
                        payer = i;
                        break;
                    }
                }
                let q = &self.payers[payer];
                let mut patient = Patient {
                    program: pi,
                    t,
                    payer,
                    not_infused: unit(&mut rng) < p.not_infused_rate,
                    lag: 0.0,
                    denied: false,
                    appeal_succeeded: false,
                    appeal_days: 0.0,
                    refund: false,
                };
                if !patient.not_infused {
                    patient.lag = lags[payer].0.draw(&mut rng);
                    patient.denied = unit(&mut rng) < q.denial_rate;
                    if patient.denied {
                        patient.appeal_days = lags[payer].1.draw(&mut rng);
                        patient.appeal_succeeded = unit(&mut rng) < q.appeal_success_rate;
                    }
                    patient.refund = p
                        .rebate
                        .as_ref()
                        .is_some_and(|r| unit(&mut rng) < r.nonresponse_rate);
                }
                out.push(patient);
            }
        }
        out
    }
}

pub(super) fn run(s: &Scenario, index: u64) -> Run {
    run_patients(s, &s.patients(index))
}

/// The flows of these patients, as exposure without the aligned payments and the aligned
/// payments' running total.
pub(super) fn run_patients(s: &Scenario, patients: &[Patient]) -> Run {
    let horizon = s.horizon_days as usize;
    // Drawn patients are infused from day 0 on; placed ones may come earlier.
    let earliest = patients.iter().map(|p| p.t).fold(0.0f64, f64::min);
    let offset = aligned_offset(s) + (-earliest).ceil() as usize;
    let mut fixed = vec![0.0; horizon];
    let mut aligned = vec![
        0.0;
        if s.align.is_some() {
            offset + horizon
        } else {
            0
        }
    ];
    let mut margins = vec![(0.0, 0u64); s.programs.len()];
    for patient in patients {
        let p = &s.programs[patient.program];
        let q = &s.payers[patient.payer];
        let terms = &p.terms;
        let t = patient.t;
        let mut inflow = |t: f64, amount: f64| {
            if let Some(d) = day_of(t, horizon) {
                fixed[d] -= amount;
            }
            amount
        };
        let mut received = 0.0;
        // When the payer paid (never for a product not infused, or a claim finally denied).
        let payer_paid_at = if patient.not_infused {
            received += inflow(t, p.not_infused_credit_fraction * p.price);
            None
        } else {
            let answered = t + p.claim_submit_days + patient.lag;
            let paid_at = if !patient.denied {
                Some(answered)
            } else if patient.appeal_succeeded {
                Some(answered + patient.appeal_days)
            } else {
                received += inflow(
                    answered + patient.appeal_days,
                    terms.denial_protection_fraction * p.price,
                );
                None
            };
            if let Some(at) = paid_at {
                received += inflow(at, q.paid_fixed + q.paid_fraction * p.price);
            }
            if patient.refund
                && let Some(r) = &p.rebate
            {
                received += inflow(t + r.rebate_window_days, r.rebate_fraction * p.price);
            }
            paid_at
        };
        // The day net_days run from: shipment, infusion, or the payer's payment capped by the
        // backstop (a product never infused is paid as if infused at t).
        let base = match terms.basis {
            Basis::Shipment => t - terms.ship_lead_days,
            Basis::Infusion => t,
            Basis::Reimbursement => {
                let backstop = t + terms.backstop_days;
                payer_paid_at.map_or(backstop, |at: f64| at.min(backstop))
            }
        };
        // The payment out for the product, at `base + net_days`.
        if s.align == Some(patient.program) {
            let k = base.floor();
            if k < horizon as f64 {
                aligned[(k as i64 + offset as i64) as usize] += p.price;
            }
        } else if let Some(d) = day_of(base + f64::from(terms.net_days), horizon) {
            fixed[d] += p.price;
        }
        let m = &mut margins[patient.program];
        m.0 += received - p.price;
        m.1 += 1;
    }
    running_total(&mut fixed);
    running_total(&mut aligned);
    Run {
        fixed,
        aligned,
        offset,
        margins,
    }
}

fn running_total(v: &mut [f64]) {
    let mut sum = 0.0;
    for x in v {
        sum += *x;
        *x = sum;
    }
}

/// Exposure on day `d` with the aligned program at `net_days`: the fixed flows plus the
/// aligned payments whose day before `net_days` is at most `d − net_days`.
fn exposure_on(run: &Run, net_days: u32, d: usize) -> f64 {
    let k = d as i64 - i64::from(net_days) + run.offset as i64;
    let aligned = if run.aligned.is_empty() || k < 0 {
        0.0
    } else {
        run.aligned[(k as usize).min(run.aligned.len() - 1)]
    };
    run.fixed[d] + aligned
}

/// Exposure on each day with the aligned program at `net_days` (the fixed flows alone when
/// nothing is aligned), written into `out`; returns the peak (0 if it never rises above 0).
pub(super) fn exposure(run: &Run, net_days: u32, out: &mut [f64]) -> f64 {
    for (d, slot) in out.iter_mut().enumerate() {
        *slot = exposure_on(run, net_days, d);
    }
    out.iter().copied().fold(0.0, f64::max)
}

/// The peak alone, for the search.
pub(super) fn peak(run: &Run, net_days: u32) -> f64 {
    (0..run.fixed.len())
        .map(|d| exposure_on(run, net_days, d))
        .fold(0.0, f64::max)
}
