//! The what-if of payment alignment (issue 14, point 5): a cash-flow scenario started from a
//! health system's observed history — its programs under the terms in force, patients a month
//! from its cases of the last year, the not-infused share from the products released to it,
//! the payer mix from its claims (DOMAIN.md's payers while none is on record) — as form
//! fields a person edits, read back through the planning crate's own scenario checks (each
//! message names its field), and run off the async threads with the runs capped.

use crate::{App, AppError, Caller};
use cellpath_domain::finance::{PaymentBasis, PaymentTerms};
use cellpath_domain::policy::{Action, Relation, ResourceKind};
use cellpath_domain::{Date, OrgKind, PartnershipStatus};
pub use cellpath_planning::cashflow::history::default_payers;
use cellpath_planning::cashflow::history::{self, ClaimHistory, History, ProgramHistory};
pub use cellpath_planning::cashflow::{
    AlignedTerms, Basis, ByDay, Payer, Program, ProgramResult, Rebate, Report, Scenario, Spread,
    Terms,
};
use cellpath_store::{FigureScope, Page};
use std::collections::BTreeMap;

/// The most runs the web asks for at once (the CLI takes a file for more).
pub const WEB_MAX_RUNS: u32 = 20_000;
/// How far back the observed history reaches.
pub const HISTORY_DAYS: i64 = 365;
/// The cap the form starts from while none is on record (the example).
pub const DEFAULT_CAP: f64 = 6_000_000.0;
/// Runs and horizon the form starts from: quick on a shared server, two years ahead.
pub const DEFAULT_RUNS: u32 = 2_000;
pub const DEFAULT_HORIZON_DAYS: u32 = 730;
pub const DEFAULT_SEED: u64 = 7;
/// The backstop the form offers for a program whose terms have none (not on basis
/// reimbursement), should the person switch it to reimbursement.
const DEFAULT_BACKSTOP_DAYS: f64 = 180.0;

/// One program as the health system lived it, for the page's "observed" table.
#[derive(Debug, Clone)]
pub struct ObservedProgram {
    /// The scenario's id for it: the program's name (with its manufacturer's when two share one).
    pub name: String,
    pub manufacturer: String,
    /// Cases opened in the window.
    pub cases: u32,
    /// Products released to the site, and of those never infused (cancelled or stopped).
    pub released: u32,
    pub not_infused: u32,
    /// The terms in force today, if the manufacturer proposed any.
    pub terms: Option<PaymentTerms>,
    /// The price the scenario starts from, cents (the terms', else the list price today).
    pub price_cents: Option<i64>,
}

/// What the what-if page starts from.
#[derive(Debug, Clone)]
pub struct WhatIfStart {
    pub health_system: String,
    pub today: Date,
    /// Days the observed history spans (at most [`HISTORY_DAYS`]).
    pub window_days: i64,
    pub programs: Vec<ObservedProgram>,
    /// Claims on record (none: the payers are DOMAIN.md's).
    pub claims: usize,
    /// The scenario the history makes, or none when no active partnership names a program.
    pub scenario: Option<Scenario>,
}

/// A scenario's field values as the form carries them, by the scenario file's names
/// (`cap`, `program[0].terms.net_days`, `payer[1].share`, …).
pub type ScenarioFields = Vec<(String, String)>;

fn basis_of(b: PaymentBasis) -> Basis {
    match b {
        PaymentBasis::Shipment => Basis::Shipment,
        PaymentBasis::Infusion => Basis::Infusion,
        PaymentBasis::Reimbursement => Basis::Reimbursement,
    }
}

/// The model's terms and refund for a program's terms in force; net 30 at infusion (DOMAIN.md's
/// usual) when none are on record.
fn model_terms(t: Option<&PaymentTerms>) -> (Terms, f64, Option<Rebate>) {
    match t {
        None => (
            history::terms(Basis::Infusion, 30, DEFAULT_BACKSTOP_DAYS, 0.0),
            0.0,
            None,
        ),
        Some(t) => (
            history::terms(
                basis_of(t.basis),
                u32::try_from(t.net_days).unwrap_or(30),
                t.backstop_days.map_or(DEFAULT_BACKSTOP_DAYS, |d| d as f64),
                t.denial_protection_percent as f64 / 100.0,
            ),
            t.not_infused_credit_percent as f64 / 100.0,
            t.refund.as_ref().map(|r| Rebate {
                // No outcomes are on record: the person says how many will not respond.
                nonresponse_rate: 0.0,
                rebate_fraction: r.percent as f64 / 100.0,
                rebate_window_days: r.window_days as f64,
            }),
        ),
    }
}

impl App {
    /// Who may use the what-if: a health system's money roles (the policy's `Payment` through
    /// an active partnership); a health system's other roles get 403, a manufacturer 404 (the
    /// model is a health system's exposure).
    fn what_if_reader(&self, caller: &Caller) -> Result<(String, String), AppError> {
        let what = "the what-if of payment terms";
        let Some(p) = &caller.principal else {
            return Err(AppError::not_found(what));
        };
        if p.org_kind != OrgKind::HealthSystem {
            return Err(AppError::not_found(what));
        }
        self.check(
            caller,
            Action::Read,
            ResourceKind::Payment,
            Relation::Party(PartnershipStatus::Active),
            what,
        )?;
        Ok((p.org_id.clone(), caller.name.clone()))
    }

    /// The health system's observed history and the scenario it makes.
    pub async fn what_if_start(&self, caller: &Caller) -> Result<WhatIfStart, AppError> {
        let (org_id, _) = self.what_if_reader(caller)?;
        let org = self
            .store
            .organization(&org_id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("organization {org_id}")))?;
        let now = self.now();
        let today = Date::of_micros(now);
        let since = now - HISTORY_DAYS * 86_400_000_000;

        // The programs of its active partnerships, with the terms in force today.
        struct Named {
            partnership: String,
            program_id: String,
            name: String,
            manufacturer: String,
            terms: Option<PaymentTerms>,
            list_price: Option<i64>,
        }
        let mut named: Vec<Named> = Vec::new();
        let mut partnerships = Vec::new();
        for p in self.store.partnerships_of(&org_id, Page::all()).await? {
            if p.status != PartnershipStatus::Active {
                continue;
            }
            partnerships.push(p.id.clone());
            let maker = self
                .store
                .organization(&p.manufacturer_id)
                .await?
                .map_or_else(|| p.manufacturer_id.clone(), |o| o.name);
            let terms = self.store.payment_terms_of(&p.id).await?;
            for program in self.programs_in(&p).await? {
                let same: Vec<PaymentTerms> = terms
                    .iter()
                    .filter(|t| t.program_id == program.id)
                    .map(|t| t.terms.clone())
                    .collect();
                let list: Vec<cellpath_domain::program::ListPrice> =
                    serde_json::from_value(program.list_prices.clone()).unwrap_or_default();
                let list_price = list
                    .iter()
                    .filter(|l| l.effective_on.as_str() <= today.to_string().as_str())
                    .max_by(|a, b| a.effective_on.cmp(&b.effective_on))
                    .map(|l| l.cents.get());
                named.push(Named {
                    partnership: p.id.clone(),
                    program_id: program.id.clone(),
                    name: program.name.clone(),
                    manufacturer: maker.clone(),
                    terms: PaymentTerms::in_force(&same, &today).cloned(),
                    list_price,
                });
            }
        }
        // Two manufacturers' programs of one name are told apart by the maker.
        let names: Vec<String> = named
            .iter()
            .map(|n| {
                if named.iter().filter(|o| o.name == n.name).count() > 1 {
                    format!("{} ({})", n.name, n.manufacturer)
                } else {
                    n.name.clone()
                }
            })
            .collect();

        let rows = self
            .store
            .case_figures(
                &FigureScope {
                    partnerships: &partnerships,
                    site: None,
                    program: None,
                },
                since,
            )
            .await?;
        let earliest = rows
            .iter()
            .filter(|r| r.opened_at >= since)
            .map(|r| r.opened_at)
            .min();
        let window_days = earliest
            .map_or(HISTORY_DAYS, |e| (now - e) / 86_400_000_000 + 1)
            .clamp(30, HISTORY_DAYS);

        let mut observed = Vec::new();
        let mut histories = Vec::new();
        for (n, name) in named.iter().zip(&names) {
            let own = rows
                .iter()
                .filter(|r| r.partnership_id == n.partnership && r.program_id == n.program_id);
            let cases = own.clone().filter(|r| r.opened_at >= since).count() as u32;
            // A released product is shipped to the site; one whose case ended without an
            // infusion was shipped and never infused.
            let released = own.clone().filter(|r| r.released_at.is_some()).count() as u32;
            let not_infused = own
                .filter(|r| {
                    r.released_at.is_some()
                        && r.infused_at.is_none()
                        && matches!(
                            r.status,
                            cellpath_domain::events::cases::CaseState::Cancelled
                                | cellpath_domain::events::cases::CaseState::Stopped
                        )
                })
                .count() as u32;
            let price_cents = n.terms.as_ref().map(|t| t.price_cents).or(n.list_price);
            let (terms, credit, rebate) = model_terms(n.terms.as_ref());
            histories.push(ProgramHistory {
                id: name.clone(),
                price: price_cents.unwrap_or(0) as f64 / 100.0,
                cases,
                not_infused,
                shipped: released,
                terms,
                not_infused_credit_fraction: credit,
                rebate,
            });
            observed.push(ObservedProgram {
                name: name.clone(),
                manufacturer: n.manufacturer.clone(),
                cases,
                released,
                not_infused,
                terms: n.terms.clone(),
                price_cents,
            });
        }
        // The payers its claims of the window show (DOMAIN.md's defaults while none is on
        // record).
        let claims: Vec<ClaimHistory> = self
            .store
            .claims_of_org_since(&org_id, &Date::of_micros(since))
            .await?
            .iter()
            .filter(|c| !c.expanded_access)
            .map(claim_history)
            .collect();
        let scenario = (!histories.is_empty()).then(|| {
            History {
                window_days: window_days as f64,
                programs: histories,
                claims: claims.clone(),
                cap: DEFAULT_CAP,
                seed: DEFAULT_SEED,
                runs: DEFAULT_RUNS,
                horizon_days: DEFAULT_HORIZON_DAYS,
                align: Some(0),
            }
            .scenario()
        });
        Ok(WhatIfStart {
            health_system: org.name,
            today,
            window_days,
            programs: observed,
            claims: claims.len(),
            scenario,
        })
    }

    /// Run a scenario for the what-if page (its readers only): at most [`WEB_MAX_RUNS`] runs,
    /// on a blocking thread so the server's other requests go on.
    pub async fn run_what_if(
        &self,
        caller: &Caller,
        scenario: Scenario,
    ) -> Result<Report, AppError> {
        self.what_if_reader(caller)?;
        if scenario.runs > WEB_MAX_RUNS {
            return Err(AppError::invalid(
                "runs",
                format!(
                    "the web runs at most {WEB_MAX_RUNS} runs at once, not {}: for more, run `cellpath simulate cashflow --file` on a scenario file",
                    scenario.runs
                ),
            ));
        }
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        tokio::task::spawn_blocking(move || scenario.simulate(threads, &|_| {}))
            .await
            .map_err(|e| AppError::Internal(format!("the simulation stopped: {e}")))?
            .map_err(|e| AppError::invalid(&e.field, e.message))
    }
}

/// A number as the form shows it: whole numbers without a point, others to four places.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        // A rate from history (6.986301369863014 patients a month) reads to four places.
        let short = format!("{v:.4}");
        short
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

fn basis_word(b: Basis) -> &'static str {
    match b {
        Basis::Shipment => "shipment",
        Basis::Infusion => "infusion",
        Basis::Reimbursement => "reimbursement",
    }
}

/// The form's fields for a scenario (what the page pre-fills).
pub fn scenario_fields(s: &Scenario) -> ScenarioFields {
    let mut f: ScenarioFields = Vec::new();
    let mut put = |k: String, v: String| f.push((k, v));
    put("seed".into(), s.seed.to_string());
    put("runs".into(), s.runs.to_string());
    put("horizon_days".into(), s.horizon_days.to_string());
    put("cap".into(), number(s.cap));
    put(
        "align".into(),
        s.align
            .and_then(|i| s.programs.get(i))
            .map(|p| p.id.clone())
            .unwrap_or_default(),
    );
    for (i, p) in s.programs.iter().enumerate() {
        let k = |n: &str| format!("program[{i}].{n}");
        put(k("id"), p.id.clone());
        put(k("price"), number(p.price));
        put(k("patients_per_month"), number(p.patients_per_month));
        put(k("not_infused_rate"), number(p.not_infused_rate));
        put(
            k("not_infused_credit_fraction"),
            number(p.not_infused_credit_fraction),
        );
        put(k("claim_submit_days"), number(p.claim_submit_days));
        put(k("terms.basis"), basis_word(p.terms.basis).into());
        put(k("terms.net_days"), p.terms.net_days.to_string());
        put(k("terms.ship_lead_days"), number(p.terms.ship_lead_days));
        put(k("terms.backstop_days"), number(p.terms.backstop_days));
        put(
            k("terms.denial_protection_fraction"),
            number(p.terms.denial_protection_fraction),
        );
        if let Some(r) = &p.rebate {
            put(k("rebate.nonresponse_rate"), number(r.nonresponse_rate));
            put(k("rebate.rebate_fraction"), number(r.rebate_fraction));
            put(k("rebate.rebate_window_days"), number(r.rebate_window_days));
        }
    }
    for (i, p) in s.payers.iter().enumerate() {
        let k = |n: &str| format!("payer[{i}].{n}");
        put(k("name"), p.name.clone());
        put(k("share"), number(p.share));
        put(k("paid_fixed"), number(p.paid_fixed));
        put(k("paid_fraction"), number(p.paid_fraction));
        put(k("lag_median_days"), number(p.lag.median_days));
        put(k("lag_p90_days"), number(p.lag.p90_days));
        put(k("denial_rate"), number(p.denial_rate));
        put(k("appeal_success_rate"), number(p.appeal_success_rate));
        put(k("appeal_median_days"), number(p.appeal.median_days));
        put(k("appeal_p90_days"), number(p.appeal.p90_days));
    }
    f
}

/// The program fields the form carries, and whether each is whole (`i`), a number (`n`) or
/// words (`s`); blank ones are left out of the file (its defaults apply).
const PROGRAM_KEYS: &[(&str, char)] = &[
    ("id", 's'),
    ("price", 'n'),
    ("patients_per_month", 'n'),
    ("not_infused_rate", 'n'),
    ("not_infused_credit_fraction", 'n'),
    ("claim_submit_days", 'n'),
];
const TERMS_KEYS: &[(&str, char)] = &[
    ("basis", 's'),
    ("net_days", 'i'),
    ("ship_lead_days", 'n'),
    ("backstop_days", 'n'),
    ("denial_protection_fraction", 'n'),
];
const REBATE_KEYS: &[(&str, char)] = &[
    ("nonresponse_rate", 'n'),
    ("rebate_fraction", 'n'),
    ("rebate_window_days", 'n'),
];
const PAYER_KEYS: &[(&str, char)] = &[
    ("name", 's'),
    ("share", 'n'),
    ("paid_fixed", 'n'),
    ("paid_fraction", 'n'),
    ("lag_median_days", 'n'),
    ("lag_p90_days", 'n'),
    ("denial_rate", 'n'),
    ("appeal_success_rate", 'n'),
    ("appeal_median_days", 'n'),
    ("appeal_p90_days", 'n'),
];

/// A TOML basic string: quotes, backslashes and control characters escaped.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The row numbers a form holds for `program[N].…` or `payer[N].…`, in order.
fn rows(fields: &BTreeMap<&str, &str>, table: &str) -> Vec<usize> {
    let prefix = format!("{table}[");
    let mut out: Vec<usize> = fields
        .keys()
        .filter_map(|k| k.strip_prefix(&prefix))
        .filter_map(|rest| rest.split(']').next()?.parse().ok())
        .filter(|n: &usize| *n < 100)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The scenario a posted form describes, checked by the scenario's own rules: a field that is
/// not a number is named here (all of them at once), the rest by `Scenario::from_toml` (the
/// first problem, by the same field names). Rows left wholly blank are dropped.
pub fn scenario_from_fields(fields: &[(String, String)]) -> Result<Scenario, AppError> {
    let map: BTreeMap<&str, &str> = fields.iter().map(|(k, v)| (k.as_str(), v.trim())).collect();
    let mut errors = crate::Fields::default();
    let mut text = String::new();
    // One `key = value` line, or a message beside the field.
    let mut line = |text: &mut String, field: String, key: &str, kind: char| {
        let value = map.get(field.as_str()).copied().unwrap_or("");
        if value.is_empty() {
            return;
        }
        let v = match kind {
            's' => toml_string(value),
            'i' => match value.parse::<i64>() {
                Ok(n) => n.to_string(),
                Err(_) => {
                    errors.fail(&field, format!("must be a whole number, not '{value}'"));
                    return;
                }
            },
            _ => match value.replace(',', "").parse::<f64>() {
                Ok(n) if n.is_finite() => format!("{n:?}"),
                _ => {
                    errors.fail(&field, format!("must be a number, not '{value}'"));
                    return;
                }
            },
        };
        text.push_str(&format!("{key} = {v}\n"));
    };
    for (key, kind) in [
        ("seed", 'i'),
        ("runs", 'i'),
        ("horizon_days", 'i'),
        ("cap", 'n'),
        ("align", 's'),
    ] {
        line(&mut text, key.to_string(), key, kind);
    }
    // Each table needs its required keys present for the file to parse: a blank required
    // field is named here rather than as a line of a file the person never saw.
    let require = |field: String| {
        if map.get(field.as_str()).is_none_or(|v| v.is_empty()) {
            Some(field)
        } else {
            None
        }
    };
    let mut missing: Vec<String> = ["seed", "runs", "horizon_days", "cap"]
        .into_iter()
        .filter_map(|k| require(k.to_string()))
        .collect();
    let blank_row = |prefix: &str, keys: &[&str]| {
        keys.iter().all(|k| {
            map.get(format!("{prefix}{k}").as_str())
                .is_none_or(|v| v.is_empty())
        })
    };
    for i in rows(&map, "program") {
        let p = format!("program[{i}].");
        if blank_row(&p, &["id", "price", "patients_per_month"]) {
            continue;
        }
        for k in [
            "id",
            "price",
            "patients_per_month",
            "terms.basis",
            "terms.net_days",
        ] {
            missing.extend(require(format!("{p}{k}")));
        }
        text.push_str("[[program]]\n");
        for (k, kind) in PROGRAM_KEYS {
            line(&mut text, format!("{p}{k}"), k, *kind);
        }
        text.push_str("[program.terms]\n");
        for (k, kind) in TERMS_KEYS {
            line(&mut text, format!("{p}terms.{k}"), k, *kind);
        }
        let rebate: Vec<&str> = REBATE_KEYS.iter().map(|(k, _)| *k).collect();
        if !blank_row(&format!("{p}rebate."), &rebate) {
            for k in &rebate {
                missing.extend(require(format!("{p}rebate.{k}")));
            }
            text.push_str("[program.rebate]\n");
            for (k, kind) in REBATE_KEYS {
                line(&mut text, format!("{p}rebate.{k}"), k, *kind);
            }
        }
    }
    for i in rows(&map, "payer") {
        let p = format!("payer[{i}].");
        if blank_row(&p, &["name", "share"]) {
            continue;
        }
        for k in ["name", "share", "lag_median_days", "lag_p90_days"] {
            missing.extend(require(format!("{p}{k}")));
        }
        text.push_str("[[payer]]\n");
        for (k, kind) in PAYER_KEYS {
            line(&mut text, format!("{p}{k}"), k, *kind);
        }
    }
    for field in missing {
        errors.fail(&field, "is needed");
    }
    errors.finish()?;
    Scenario::from_toml(&text).map_err(|e| AppError::invalid(&e.field, e.message))
}

/// A claim as the scenario model reads it: the first answer (a payment or a denial) in days
/// from submission; after a denial, the appeal's outcome once known and its days from the
/// denial.
fn claim_history(c: &cellpath_store::ClaimRow) -> ClaimHistory {
    use cellpath_domain::finance::ClaimStatus;
    let days = |from: &Date, to: &Date| (to.days_since_epoch() - from.days_since_epoch()) as f64;
    let paid_amount = c.paid_cents.map(|p| p as f64 / 100.0);
    match &c.denied_on {
        None => ClaimHistory {
            payer: c.payer_name.clone(),
            paid_amount,
            answer_days: c.paid_on.as_ref().map(|p| days(&c.submitted_on, p)),
            denied: false,
            appeal_won: None,
            appeal_days: None,
        },
        Some(denied) => {
            let (won, ended) = match c.status {
                ClaimStatus::Paid => (Some(true), c.paid_on.as_ref()),
                ClaimStatus::Unpaid => (Some(false), c.unpaid_on.as_ref()),
                _ => (None, None),
            };
            ClaimHistory {
                payer: c.payer_name.clone(),
                paid_amount,
                answer_days: Some(days(&c.submitted_on, denied)),
                denied: true,
                appeal_won: won,
                appeal_days: ended.map(|e| days(denied, e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../../../docs/examples/cashflow.toml");

    fn field_of(e: AppError) -> Vec<String> {
        match e {
            AppError::Invalid(f) => f.into_iter().map(|f| f.field).collect(),
            other => panic!("not a field error: {other}"),
        }
    }

    fn with(fields: &ScenarioFields, key: &str, value: &str) -> ScenarioFields {
        let mut f = fields.clone();
        f.retain(|(k, _)| k != key);
        f.push((key.into(), value.into()));
        f
    }

    #[test]
    fn a_scenario_goes_to_the_form_and_back_unchanged() {
        let s = Scenario::from_toml(EXAMPLE).unwrap();
        let back = scenario_from_fields(&scenario_fields(&s)).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn bad_values_are_named_by_the_scenario_fields() {
        let f = scenario_fields(&Scenario::from_toml(EXAMPLE).unwrap());
        let bad = |k: &str, v: &str| field_of(scenario_from_fields(&with(&f, k, v)).unwrap_err());
        assert_eq!(bad("program[0].price", "-5"), ["program[0].price"]);
        assert_eq!(bad("program[0].price", "lots"), ["program[0].price"]);
        assert_eq!(bad("payer[0].share", "0.9"), ["payer.share"]);
        assert_eq!(bad("payer[0].lag_p90_days", "1"), ["payer[0].lag_p90_days"]);
        assert_eq!(
            bad("program[0].terms.basis", "delivery"),
            ["program[0].terms.basis"]
        );
        assert_eq!(
            bad("program[0].terms.net_days", "30.5"),
            ["program[0].terms.net_days"]
        );
        assert_eq!(bad("align", "nothing"), ["align"]);
        assert_eq!(bad("cap", ""), ["cap"]);
        // A name with quotes stays a name, not TOML.
        let quoted = with(&f, "payer[0].name", "Acme \"Health\"\n= 1");
        let s = scenario_from_fields(&quoted).unwrap();
        assert_eq!(s.payers[0].name, "Acme \"Health\"\n= 1");
    }

    #[test]
    fn a_blank_payer_row_is_dropped() {
        let s = Scenario::from_toml(EXAMPLE).unwrap();
        let mut f = scenario_fields(&s);
        f.push(("payer[9].name".into(), String::new()));
        f.push(("payer[9].share".into(), String::new()));
        assert_eq!(scenario_from_fields(&f).unwrap(), s);
    }
}
