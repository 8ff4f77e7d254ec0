//! A case's claim to its payer (issue 14, point 2), pure: submitted with an amount; then paid,
//! or denied with a reason; a denial appealed; an appeal paid or the claim finally unpaid (a
//! denial may also be left unappealed). `Claim::apply` takes one step or refuses it in words:
//! steps out of order (paid before submitted, an appeal without a denial, anything after the
//! claim closed), a day before the step it follows or after today, an amount over the claim.

use crate::Date;
use serde::{Deserialize, Serialize};
use std::fmt;

vocabulary!(
    /// Where a claim stands.
    ClaimStatus, "claim status" {
        /// Sent to the payer, no answer yet.
        Submitted => "submitted",
        /// Paid, at first or on appeal: closed.
        Paid => "paid",
        /// Denied, not (yet) appealed.
        Denied => "denied",
        /// Denied and appealed, the appeal's outcome not yet known.
        Appealed => "appealed",
        /// Finally unpaid: the denial stood. Closed.
        Unpaid => "unpaid",
    }
);

impl ClaimStatus {
    /// People's words for it.
    pub fn words(self) -> &'static str {
        match self {
            ClaimStatus::Submitted => "submitted, waiting for the payer",
            ClaimStatus::Paid => "paid",
            ClaimStatus::Denied => "denied",
            ClaimStatus::Appealed => "appealed, waiting for the outcome",
            ClaimStatus::Unpaid => "finally unpaid",
        }
    }

    /// Paid or finally unpaid: no further step.
    pub fn is_closed(self) -> bool {
        matches!(self, ClaimStatus::Paid | ClaimStatus::Unpaid)
    }

    /// The steps that may follow, by the word a form or an API call names them with
    /// ([`ClaimStep::key`]): a payment or a denial after the submission, an appeal or the
    /// final word after a denial, a payment or the final word after an appeal.
    pub fn next_steps(self) -> &'static [&'static str] {
        match self {
            ClaimStatus::Submitted => &["paid", "denied"],
            ClaimStatus::Denied => &["appealed", "unpaid"],
            ClaimStatus::Appealed => &["paid", "unpaid"],
            ClaimStatus::Paid | ClaimStatus::Unpaid => &[],
        }
    }
}

/// One step of a claim after its submission, as its event records it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClaimStep {
    /// The payer paid (at first, or after an appeal won).
    Paid { amount_cents: i64, on: Date },
    /// The payer denied the claim.
    Denied { on: Date, reason: String },
    /// The health system appealed the denial.
    Appealed { on: Date },
    /// The denial stood (the appeal lost, or none will be filed): nothing will be paid.
    Unpaid { on: Date },
}

impl ClaimStep {
    /// The word it is named by (its serde tag).
    pub fn key(&self) -> &'static str {
        match self {
            ClaimStep::Paid { .. } => "paid",
            ClaimStep::Denied { .. } => "denied",
            ClaimStep::Appealed { .. } => "appealed",
            ClaimStep::Unpaid { .. } => "unpaid",
        }
    }

    pub fn on(&self) -> &Date {
        match self {
            ClaimStep::Paid { on, .. }
            | ClaimStep::Denied { on, .. }
            | ClaimStep::Appealed { on }
            | ClaimStep::Unpaid { on } => on,
        }
    }

    fn words(&self) -> &'static str {
        match self {
            ClaimStep::Paid { .. } => "a payment",
            ClaimStep::Denied { .. } => "a denial",
            ClaimStep::Appealed { .. } => "an appeal",
            ClaimStep::Unpaid { .. } => "a final non-payment",
        }
    }
}

/// A claim as its events leave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub submitted_on: Date,
    pub claimed_cents: i64,
    pub status: ClaimStatus,
    /// The day of the latest step (the submission at first).
    pub last_on: Date,
    pub paid: Option<(i64, Date)>,
    pub denied: Option<(Date, String)>,
    pub appealed_on: Option<Date>,
    pub unpaid_on: Option<Date>,
}

/// Why a claim's submission or step is refused, in words; `field` says which input is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimRefusal {
    /// The step does not follow from where the claim stands.
    OutOfOrder {
        step: &'static str,
        status: ClaimStatus,
    },
    /// The claim is paid or finally unpaid.
    Closed { status: ClaimStatus, on: Date },
    /// A day before the step it follows.
    BeforeLast { on: Date, last: Date },
    /// A day after today.
    Future { on: Date },
    /// An amount not above 0, or a payment above the amount claimed.
    Amount { amount: i64, claimed: Option<i64> },
    /// A denial without its reason (or one too long).
    Reason,
}

impl ClaimRefusal {
    /// The input field the refusal is about; none for a step out of order.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ClaimRefusal::OutOfOrder { .. } | ClaimRefusal::Closed { .. } => None,
            ClaimRefusal::BeforeLast { .. } | ClaimRefusal::Future { .. } => Some("on"),
            ClaimRefusal::Amount { .. } => Some("amount_cents"),
            ClaimRefusal::Reason => Some("reason"),
        }
    }
}

impl fmt::Display for ClaimRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClaimRefusal::OutOfOrder { step, status } => {
                let needs = match *step {
                    "an appeal" => "an appeal needs a denial first",
                    "a final non-payment" => "a claim is finally unpaid only after a denial",
                    "a denial" => {
                        "only a submitted claim waiting for its first answer can be denied"
                    }
                    _ => "a payment needs a submitted claim or an appeal waiting for its outcome",
                };
                write!(f, "{needs}: this claim is {}", status.words())
            }
            ClaimRefusal::Closed { status, on } => write!(
                f,
                "this claim is {} since {on}: it takes no further step",
                status.words()
            ),
            ClaimRefusal::BeforeLast { on, last } => write!(
                f,
                "{on} is before the claim's last step on {last}: steps are recorded in the order they happened"
            ),
            ClaimRefusal::Future { on } => {
                write!(f, "{on} is after today: record a step once it happened")
            }
            ClaimRefusal::Amount {
                amount,
                claimed: Some(claimed),
            } => write!(
                f,
                "must be more than 0 and at most the {claimed} cents claimed, not {amount}"
            ),
            ClaimRefusal::Amount { amount, .. } => {
                write!(f, "must be more than 0 cents, not {amount}")
            }
            ClaimRefusal::Reason => {
                f.write_str("say why the payer denied it (1 to 500 characters)")
            }
        }
    }
}

const MAX_CENTS: i64 = (1 << 53) - 1;

impl Claim {
    /// A claim submitted on `on` for `claimed_cents`, refused when the amount is not above 0 or
    /// the day is after today.
    pub fn submit(on: Date, claimed_cents: i64, today: &Date) -> Result<Claim, ClaimRefusal> {
        if !(1..=MAX_CENTS).contains(&claimed_cents) {
            return Err(ClaimRefusal::Amount {
                amount: claimed_cents,
                claimed: None,
            });
        }
        if &on > today {
            return Err(ClaimRefusal::Future { on });
        }
        Ok(Claim {
            last_on: on.clone(),
            submitted_on: on,
            claimed_cents,
            status: ClaimStatus::Submitted,
            paid: None,
            denied: None,
            appealed_on: None,
            unpaid_on: None,
        })
    }

    /// The claim after `step`, or why the step cannot be taken now.
    pub fn apply(&self, step: &ClaimStep, today: &Date) -> Result<Claim, ClaimRefusal> {
        use ClaimStatus as S;
        if self.status.is_closed() {
            return Err(ClaimRefusal::Closed {
                status: self.status,
                on: self.last_on.clone(),
            });
        }
        if !self.status.next_steps().contains(&step.key()) {
            return Err(ClaimRefusal::OutOfOrder {
                step: step.words(),
                status: self.status,
            });
        }
        let on = step.on().clone();
        if on < self.last_on {
            return Err(ClaimRefusal::BeforeLast {
                on,
                last: self.last_on.clone(),
            });
        }
        if &on > today {
            return Err(ClaimRefusal::Future { on });
        }
        let mut next = self.clone();
        next.last_on = on.clone();
        match step {
            ClaimStep::Paid { amount_cents, .. } => {
                if !(1..=self.claimed_cents).contains(amount_cents) {
                    return Err(ClaimRefusal::Amount {
                        amount: *amount_cents,
                        claimed: Some(self.claimed_cents),
                    });
                }
                next.status = S::Paid;
                next.paid = Some((*amount_cents, on));
            }
            ClaimStep::Denied { reason, .. } => {
                let n = reason.trim().chars().count();
                if n == 0 || n > 500 {
                    return Err(ClaimRefusal::Reason);
                }
                next.status = S::Denied;
                next.denied = Some((on, reason.trim().to_string()));
            }
            ClaimStep::Appealed { .. } => {
                next.status = S::Appealed;
                next.appealed_on = Some(on);
            }
            ClaimStep::Unpaid { .. } => {
                next.status = S::Unpaid;
                next.unpaid_on = Some(on);
            }
        }
        Ok(next)
    }

    /// What is still awaited from the payer: the amount claimed while the claim is open.
    pub fn open_cents(&self) -> i64 {
        if self.status.is_closed() {
            0
        } else {
            self.claimed_cents
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn today() -> Date {
        d("2026-12-01")
    }

    fn submitted() -> Claim {
        Claim::submit(d("2026-03-01"), 31_423_100, &today()).unwrap()
    }

    fn paid(amount: i64, on: &str) -> ClaimStep {
        ClaimStep::Paid {
            amount_cents: amount,
            on: d(on),
        }
    }

    #[test]
    fn a_claim_paid_at_first() {
        let c = submitted()
            .apply(&paid(31_423_100, "2026-04-02"), &today())
            .unwrap();
        assert_eq!(c.status, ClaimStatus::Paid);
        assert_eq!(c.paid, Some((31_423_100, d("2026-04-02"))));
        assert_eq!(c.open_cents(), 0);
        let again = c.apply(&paid(1, "2026-04-03"), &today()).unwrap_err();
        assert_eq!(
            again.to_string(),
            "this claim is paid since 2026-04-02: it takes no further step"
        );
    }

    #[test]
    fn a_denial_appealed_and_won() {
        let c = submitted()
            .apply(
                &ClaimStep::Denied {
                    on: d("2026-04-01"),
                    reason: " medical necessity ".into(),
                },
                &today(),
            )
            .unwrap();
        assert_eq!(
            c.denied,
            Some((d("2026-04-01"), "medical necessity".into()))
        );
        let c = c
            .apply(
                &ClaimStep::Appealed {
                    on: d("2026-04-10"),
                },
                &today(),
            )
            .unwrap();
        assert_eq!(c.open_cents(), 31_423_100);
        let c = c.apply(&paid(30_000_000, "2026-08-01"), &today()).unwrap();
        assert_eq!(c.status, ClaimStatus::Paid);
    }

    #[test]
    fn out_of_order_steps_are_refused_in_words() {
        let appeal = submitted()
            .apply(
                &ClaimStep::Appealed {
                    on: d("2026-04-10"),
                },
                &today(),
            )
            .unwrap_err();
        assert_eq!(
            appeal.to_string(),
            "an appeal needs a denial first: this claim is submitted, waiting for the payer"
        );
        assert_eq!(appeal.field(), None);
        let early = submitted()
            .apply(&paid(1, "2026-02-01"), &today())
            .unwrap_err();
        assert_eq!(
            early.to_string(),
            "2026-02-01 is before the claim's last step on 2026-03-01: steps are recorded in the order they happened"
        );
        assert_eq!(early.field(), Some("on"));
        let over = submitted()
            .apply(&paid(31_423_101, "2026-04-01"), &today())
            .unwrap_err();
        assert_eq!(over.field(), Some("amount_cents"));
        let future = submitted()
            .apply(
                &ClaimStep::Unpaid {
                    on: d("2027-01-01"),
                },
                &today(),
            )
            .unwrap_err();
        assert!(
            matches!(future, ClaimRefusal::OutOfOrder { .. }),
            "{future}"
        );
        assert!(Claim::submit(d("2027-01-01"), 1, &today()).is_err());
        assert_eq!(
            Claim::submit(d("2026-01-01"), 0, &today())
                .unwrap_err()
                .field(),
            Some("amount_cents")
        );
    }

    fn step() -> impl Strategy<Value = ClaimStep> {
        (0..4u8, 0..400i64, 0..40_000_000i64).prop_map(|(k, day, amount)| {
            let on = d("2026-01-01").plus_days(day);
            match k {
                0 => ClaimStep::Paid {
                    amount_cents: amount,
                    on,
                },
                1 => ClaimStep::Denied {
                    on,
                    reason: "coding".into(),
                },
                2 => ClaimStep::Appealed { on },
                _ => ClaimStep::Unpaid { on },
            }
        })
    }

    proptest! {
        /// Whatever steps are tried, in whatever order, the steps taken follow the claim's
        /// path: days never go back, never pass today, a payment never exceeds the claim, an
        /// appeal only follows a denial, and nothing follows a closed claim.
        #[test]
        fn taken_steps_always_follow_the_path(steps in proptest::collection::vec(step(), 0..12)) {
            let today = d("2026-10-01");
            let mut claim = Claim::submit(d("2026-01-15"), 30_000_000, &today).unwrap();
            for s in &steps {
                let before = claim.clone();
                if let Ok(next) = claim.apply(s, &today) {
                    prop_assert!(!before.status.is_closed());
                    prop_assert!(next.last_on >= before.last_on && next.last_on <= today);
                    match s {
                        ClaimStep::Appealed { .. } => prop_assert_eq!(before.status, ClaimStatus::Denied),
                        ClaimStep::Paid { amount_cents, .. } => {
                            prop_assert!(*amount_cents > 0 && *amount_cents <= 30_000_000);
                            prop_assert!(matches!(before.status, ClaimStatus::Submitted | ClaimStatus::Appealed));
                        }
                        ClaimStep::Denied { .. } => prop_assert_eq!(before.status, ClaimStatus::Submitted),
                        ClaimStep::Unpaid { .. } => prop_assert!(before.denied.is_some()),
                    }
                    claim = next;
                }
            }
            if claim.appealed_on.is_some() {
                prop_assert!(claim.denied.is_some());
            }
            prop_assert_eq!(claim.open_cents() == 0, claim.status.is_closed());
        }
    }
}
