//! The protocol's validation by field, the exception's rules, escalation as a function of
//! time, and the SLA figures.

use proptest::prelude::*;

use super::*;
use crate::org::{OrgKind, Role};

fn everyone() -> RolesHeld {
    RolesHeld {
        manufacturer: Role::ALL
            .iter()
            .copied()
            .filter(|r| r.allowed_in(OrgKind::Manufacturer))
            .collect(),
        health_system: Role::ALL
            .iter()
            .copied()
            .filter(|r| r.allowed_in(OrgKind::HealthSystem))
            .collect(),
    }
}

fn fields(p: &Protocol, held: &RolesHeld) -> Vec<String> {
    p.validate(held)
        .err()
        .unwrap_or_default()
        .into_iter()
        .map(|p| p.field)
        .collect()
}

#[test]
fn the_usual_protocol_is_valid_when_every_role_is_held() {
    assert_eq!(Protocol::usual().validate(&everyone()), Ok(()));
}

#[test]
fn a_protocol_without_tiers_is_refused_by_field() {
    let mut p = Protocol::usual();
    p.tiers.clear();
    assert_eq!(fields(&p, &everyone()), ["tiers"]);
}

#[test]
fn a_recipient_role_the_partner_does_not_hold_is_named() {
    let mut held = everyone();
    held.health_system.remove(&Role::CellLab);
    let problems = Protocol::usual().validate(&held).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].field, "tiers[0].recipients[1].role");
    assert!(
        problems[0]
            .message
            .contains("nobody active at the health system holds the role cell_lab"),
        "{}",
        problems[0].message
    );
}

#[test]
fn a_role_of_the_other_kind_of_organization_is_named() {
    let mut p = Protocol::usual();
    p.tiers[1].recipients[0].role = Role::Nurse; // a manufacturer has no nurses
    p.patient_communication.role = Role::PatientOps;
    assert_eq!(
        fields(&p, &everyone()),
        ["tiers[1].recipients[0].role", "patient_communication.role"]
    );
}

#[test]
fn escalation_figures_must_link_the_tiers() {
    let mut p = Protocol::usual();
    p.tiers[0].escalate_after_hours = None;
    p.tiers[2].escalate_after_hours = Some(4);
    assert_eq!(
        fields(&p, &everyone()),
        [
            "tiers[0].escalate_after_hours",
            "tiers[2].escalate_after_hours"
        ]
    );
}

#[test]
fn tier_one_tells_both_sides() {
    let mut p = Protocol::usual();
    p.tiers[0]
        .recipients
        .retain(|r| r.side == OrgKind::HealthSystem);
    assert_eq!(fields(&p, &everyone()), ["tiers[0].recipients"]);
}

#[test]
fn options_missing_a_kind_or_not_fitting_it_are_named() {
    let mut p = Protocol::usual();
    p.options
        .retain(|o| o.kind != ExceptionKind::PostReleaseNotice);
    p.options[1].options.push(DecisionOption::ExpandedAccess); // manufacturing failure
    assert_eq!(
        fields(&p, &everyone()),
        ["options[1].options[4]", "options"]
    );
}

#[test]
fn figures_out_of_range_are_named() {
    let mut p = Protocol::usual();
    p.decision_within_hours = 0;
    p.tiers[0].notify_within_minutes = -5;
    p.patient_communication.within_hours = MAX_HOURS + 1;
    assert_eq!(
        fields(&p, &everyone()),
        [
            "tiers[0].notify_within_minutes",
            "patient_communication.within_hours",
            "decision_within_hours"
        ]
    );
}

const T0: Micros = 1_800_000_000_000_000;

#[test]
fn an_unacknowledged_tier_escalates_after_its_hours_and_not_before() {
    let p = Protocol::usual();
    let mut ex = Exception::opened(ExceptionKind::OutOfSpecification, T0);
    assert_eq!(ex.next_escalation_at(&p), Some((1, T0 + 8 * HOUR)));
    assert_eq!(ex.escalation_due(&p, T0 + 8 * HOUR - 1), None);
    assert_eq!(ex.escalation_due(&p, T0 + 8 * HOUR), Some(1));
    ex.notified.push(Notified {
        tier: 1,
        at: T0 + 8 * HOUR + 5,
    });
    // Told once: the same escalation is not due again; the next one counts from tier 2.
    assert_eq!(ex.escalation_due(&p, T0 + 9 * HOUR), None);
    assert_eq!(ex.next_escalation_at(&p), Some((2, T0 + 24 * HOUR + 5)));
    ex.notified.push(Notified {
        tier: 2,
        at: T0 + 24 * HOUR + 5,
    });
    assert_eq!(
        ex.next_escalation_at(&p),
        None,
        "the last tier escalates nowhere"
    );
}

#[test]
fn an_acknowledgement_stops_escalation() {
    let p = Protocol::usual();
    let mut ex = Exception::opened(ExceptionKind::ManufacturingFailure, T0);
    let tier = ex
        .may_acknowledge(&p, OrgKind::HealthSystem, Role::CellLab)
        .unwrap();
    assert_eq!(tier, 0);
    ex.acknowledged.push(Acknowledged {
        tier,
        side: OrgKind::HealthSystem,
        role: Role::CellLab,
        at: T0 + HOUR,
    });
    assert_eq!(ex.escalation_due(&p, T0 + 100 * HOUR), None);
    assert_eq!(
        ex.may_acknowledge(&p, OrgKind::HealthSystem, Role::CellLab),
        Err(ExceptionRefusal::AlreadyAcknowledged { tier: 0 })
    );
}

#[test]
fn only_recipients_of_a_tier_told_acknowledge() {
    let p = Protocol::usual();
    let ex = Exception::opened(ExceptionKind::OutOfSpecification, T0);
    // The physician is in tier 2, not told yet.
    assert_eq!(
        ex.may_acknowledge(&p, OrgKind::HealthSystem, Role::Physician),
        Err(ExceptionRefusal::NotRecipient {
            side: OrgKind::HealthSystem,
            role: Role::Physician
        })
    );
}

#[test]
fn a_decision_not_offered_for_the_kind_is_refused_saying_what_is() {
    let mut p = Protocol::usual();
    p.options[0]
        .options
        .retain(|o| *o != DecisionOption::Remanufacture);
    let ex = Exception::opened(ExceptionKind::OutOfSpecification, T0);
    let refusal = ex
        .may_decide(
            &p,
            DecisionOption::Remanufacture,
            OrgKind::HealthSystem,
            Role::Physician,
        )
        .unwrap_err();
    assert!(
        refusal.to_string().contains(
            "does not offer \"remanufacture from retained cells\" for out of specification"
        ),
        "{refusal}"
    );
    assert_eq!(
        ex.may_decide(
            &p,
            DecisionOption::Cancel,
            OrgKind::HealthSystem,
            Role::Nurse
        ),
        Err(ExceptionRefusal::NotDecider)
    );
    assert_eq!(
        ex.may_decide(
            &p,
            DecisionOption::Cancel,
            OrgKind::HealthSystem,
            Role::Physician
        ),
        Ok(())
    );
}

#[test]
fn the_close_needs_a_decision_the_patient_told_and_one_signature_per_side() {
    let p = Protocol::usual();
    let mut ex = Exception::opened(ExceptionKind::ManufacturingFailure, T0);
    assert_eq!(
        ex.may_sign_close(OrgKind::Manufacturer, Role::Quality),
        Err(ExceptionRefusal::NotDecided)
    );
    ex.decided = Some((DecisionOption::Remanufacture, T0 + HOUR));
    assert_eq!(
        ex.may_sign_close(OrgKind::Manufacturer, Role::Quality),
        Err(ExceptionRefusal::PatientNotTold)
    );
    ex.may_tell_patient(&p, OrgKind::HealthSystem, Role::Coordinator)
        .unwrap();
    ex.patient_told_at = Some(T0 + 2 * HOUR);
    // Each side signs by the role that decides for it; another role of the side may not.
    for (side, role) in [
        (OrgKind::HealthSystem, Role::Coordinator),
        (OrgKind::HealthSystem, Role::Nurse),
        (OrgKind::HealthSystem, Role::Admin),
        (OrgKind::Manufacturer, Role::PatientOps),
        (OrgKind::Manufacturer, Role::Admin),
    ] {
        assert_eq!(
            ex.may_sign_close(side, role),
            Err(ExceptionRefusal::NotSigner),
            "{side:?} {role:?}"
        );
    }
    assert_eq!(
        ex.may_sign_close(OrgKind::HealthSystem, Role::Physician),
        Ok(())
    );
    assert_eq!(
        ex.may_sign_close(OrgKind::Manufacturer, Role::Quality),
        Ok(())
    );
    ex.signed.push((OrgKind::Manufacturer, T0 + 3 * HOUR));
    assert_eq!(
        ex.may_sign_close(OrgKind::Manufacturer, Role::Quality),
        Err(ExceptionRefusal::AlreadySigned {
            side: OrgKind::Manufacturer
        })
    );
    assert!(!ex.is_closed());
    ex.signed.push((OrgKind::HealthSystem, T0 + 4 * HOUR));
    assert!(ex.is_closed());
    assert_eq!(ex.stage(), Stage::Closed);
}

#[test]
fn sla_figures_count_what_was_late_and_what_is_overdue() {
    let p = Protocol::usual();
    let mut ex = Exception::opened(ExceptionKind::OutOfSpecification, T0);
    ex.acknowledged.push(Acknowledged {
        tier: 0,
        side: OrgKind::Manufacturer,
        role: Role::Quality,
        at: T0 + 9 * HOUR,
    });
    let s = sla(&ex, &p, T0 + 30 * HOUR);
    assert_eq!(s.notify.took, Some(0));
    assert!(!s.notify.breached);
    assert_eq!(s.acknowledge.took, Some(9 * HOUR));
    assert!(s.acknowledge.breached, "8 hours allowed");
    assert!(s.tell_patient.breached, "not told after 30 of 24 hours");
    assert!(!s.decide.breached, "72 hours allowed, 30 passed");
    assert_eq!(s.breaches(), 2);
    let sum = summary(&[
        s,
        sla(
            &Exception::opened(ExceptionKind::OutOfSpecification, T0),
            &p,
            T0,
        ),
    ]);
    assert_eq!(sum.exceptions, 2);
    assert_eq!(sum.acknowledge.done, 1);
    assert_eq!(sum.acknowledge.median, Some(9 * HOUR));
    assert_eq!(sum.acknowledge.breached, 1);
}

proptest! {
    /// Whatever the tiers' hours and however the escalation job is run (early, late, twice),
    /// each tier is told at most once, in order, never before it is due, never after an
    /// acknowledgement.
    #[test]
    fn escalation_tells_each_tier_once_in_order(
        hours in proptest::collection::vec(1i64..48, 1..4),
        runs in proptest::collection::vec(0i64..200 * 60, 1..40),
        ack_at in proptest::option::of(0i64..200 * 60),
    ) {
        let mut p = Protocol::usual();
        p.tiers.truncate(1);
        for (i, h) in hours.iter().enumerate() {
            p.tiers[i].escalate_after_hours = Some(*h);
            p.tiers.push(Tier { escalate_after_hours: None, ..p.tiers[0].clone() });
        }
        let mut runs = runs;
        runs.sort_unstable();
        let mut ex = Exception::opened(ExceptionKind::ManufacturingFailure, T0);
        for minute in runs {
            let now = T0 + minute * MINUTE;
            if let Some(a) = ack_at
                && a <= minute
                && ex.acknowledged.is_empty()
            {
                ex.acknowledged.push(Acknowledged {
                    tier: 0,
                    side: OrgKind::Manufacturer,
                    role: Role::Quality,
                    at: T0 + a * MINUTE,
                });
            }
            // Run the job twice at the same moment: the second finds nothing due.
            for _ in 0..2 {
                if let Some(tier) = ex.escalation_due(&p, now) {
                    let (due_tier, due_at) = ex.next_escalation_at(&p).expect("due means scheduled");
                    prop_assert_eq!(tier, due_tier);
                    prop_assert!(now >= due_at);
                    ex.notified.push(Notified { tier, at: now });
                }
            }
        }
        let tiers: Vec<usize> = ex.notified.iter().map(|n| n.tier).collect();
        let expected: Vec<usize> = (0..tiers.len()).collect();
        prop_assert_eq!(&tiers, &expected);
        prop_assert!(tiers.len() <= p.tiers.len());
        if let Some(a) = &ex.acknowledged.first() {
            prop_assert!(ex.notified.iter().all(|n| n.at <= a.at || n.tier == 0));
        }
    }
}
