use super::*;

fn d(s: &str) -> Date {
    Date::parse(s).unwrap()
}

fn executed(kind: AgreementKind, scope: Scope, site: Option<&str>) -> AgreementFacts {
    AgreementFacts {
        kind,
        scope,
        site_id: site.map(str::to_string),
        status: AgreementStatus::Executed,
        effective_on: Some(d("2026-01-01")),
        expires_on: Some(d("2028-01-01")),
        coverage: Coverage::AllSites,
    }
}

/// What the gate says is missing, in words.
fn said(f: &GateFacts) -> Vec<String> {
    missing_for_authorization(f)
        .iter()
        .map(|m| m.to_string())
        .collect()
}

fn complete(site: &str) -> GateFacts {
    let mut agreements: Vec<AgreementFacts> = [
        AgreementKind::MasterServiceAgreement,
        AgreementKind::TermsAndConditions,
        AgreementKind::DataProtection,
    ]
    .into_iter()
    .map(|k| executed(k, Scope::HealthSystem, None))
    .collect();
    agreements.push(executed(
        AgreementKind::QualityAgreement,
        Scope::Site,
        Some(site),
    ));
    agreements.push(executed(
        AgreementKind::SupplyAgreement,
        Scope::Site,
        Some(site),
    ));
    GateFacts {
        today: d("2026-11-25"),
        site_id: site.into(),
        partnership: PartnershipStatus::Active,
        program_named: true,
        agreements,
        deliverables_done: Deliverable::ALL.iter().copied().collect(),
        open_blocking_gaps: 0,
    }
}

#[test]
fn a_site_with_everything_in_force_is_authorized() {
    assert!(missing_for_authorization(&complete("north")).is_empty());
}

#[test]
fn the_gate_names_exactly_what_is_missing() {
    let mut f = complete("north");
    f.agreements[0].expires_on = Some(d("2026-11-01"));
    f.agreements[2].coverage = Coverage::Named(vec!["south".into()]);
    f.agreements[3].status = AgreementStatus::LegalReview;
    f.agreements
        .retain(|a| a.kind != AgreementKind::SupplyAgreement);
    f.deliverables_done.remove(&Deliverable::MockShipment);
    f.open_blocking_gaps = 2;
    let missing = said(&f);
    assert_eq!(
        missing,
        [
            "Master service agreement: expired on 2026-11-01",
            "Data protection agreement: does not cover this site (add it by joinder)",
            "Quality agreement: not executed (legal review)",
            "Supply agreement: none for this site yet",
            "Mock shipment: not done",
            "2 open blocking readiness gaps",
        ]
    );
}

#[test]
fn the_most_advanced_covering_agreement_explains_what_is_missing() {
    let mut f = complete("north");
    let mut withdrawn = f.agreements[0].clone();
    withdrawn.status = AgreementStatus::Withdrawn;
    f.agreements[0].effective_on = Some(d("2027-01-01"));
    f.agreements.insert(0, withdrawn);
    let missing = said(&f);
    assert_eq!(
        missing,
        ["Master service agreement: not in effect until 2027-01-01"]
    );
}

#[test]
fn a_site_left_out_of_a_new_central_agreement_is_told_to_join_it() {
    let mut f = complete("north");
    // The old MSA (all sites) withdrawn; the new one names south only.
    let mut new = f.agreements[0].clone();
    new.coverage = Coverage::Named(vec!["south".into()]);
    f.agreements[0].status = AgreementStatus::Withdrawn;
    f.agreements.push(new.clone());
    assert_eq!(
        said(&f),
        ["Master service agreement: does not cover this site (add it by joinder)"]
    );
    // With the new one withdrawn too, there is nothing to join.
    f.agreements.last_mut().expect("pushed").status = AgreementStatus::Withdrawn;
    assert_eq!(said(&f), ["Master service agreement: withdrawn"]);
}

#[test]
fn another_sites_local_agreement_does_not_count() {
    let mut f = complete("north");
    f.site_id = "east".into();
    let missing = missing_for_authorization(&f);
    assert_eq!(missing.len(), 2, "{missing:?}");
}

#[test]
fn a_central_quality_agreement_keeps_counting_when_a_site_starts_its_own() {
    let mut f = complete("north");
    f.agreements
        .retain(|a| a.kind != AgreementKind::QualityAgreement);
    f.agreements.push(executed(
        AgreementKind::QualityAgreement,
        Scope::HealthSystem,
        None,
    ));
    assert!(missing_for_authorization(&f).is_empty());
    // Another site starts its own quality agreement: north still rests on the central one.
    let mut east = executed(AgreementKind::QualityAgreement, Scope::Site, Some("east"));
    east.status = AgreementStatus::NotStarted;
    f.agreements.push(east);
    assert!(missing_for_authorization(&f).is_empty());
    // A central agreement covering named sites only: the others need a joinder.
    f.agreements
        .iter_mut()
        .filter(|a| a.kind == AgreementKind::QualityAgreement && a.scope == Scope::HealthSystem)
        .for_each(|a| a.coverage = Coverage::Named(vec!["south".into()]));
    let missing = said(&f);
    assert_eq!(
        missing,
        ["Quality agreement: does not cover this site (add it by joinder)"]
    );
    // But a central kind at site scope never counts.
    let mut f = complete("north");
    f.agreements[0].scope = Scope::Site;
    f.agreements[0].site_id = Some("north".into());
    let missing = said(&f);
    assert_eq!(
        missing,
        ["Master service agreement: none for the health system yet"]
    );
}

#[test]
fn only_an_active_partnership_that_names_the_program_carries_an_authorization() {
    let mut f = complete("north");
    f.partnership = PartnershipStatus::Ended;
    assert_eq!(said(&f), ["Partnership: ended"]);
    f.partnership = PartnershipStatus::Proposed;
    assert_eq!(
        said(&f),
        ["Partnership: proposed, not yet accepted by the health system"]
    );
    f.partnership = PartnershipStatus::Active;
    f.program_named = false;
    assert_eq!(said(&f), ["Partnership: no longer for this program"]);
}
// ---- The record: rules moved out of the app ----

const P: &str = "prg_cart";

fn agreement(id: &str, facts: AgreementFacts) -> RecordedAgreement {
    RecordedAgreement {
        id: id.into(),
        facts,
        changed_on: d("2026-02-01"),
    }
}

fn deliverable(site: &str, deliverable: Deliverable, done_on: &str) -> RecordedDeliverable {
    RecordedDeliverable {
        site_id: site.into(),
        program_id: P.into(),
        deliverable,
        done_on: d(done_on),
        revoked_on: None,
    }
}

fn gap(id: &str, site: &str, facility: Option<&str>, severity: Severity) -> OpenGap {
    OpenGap {
        id: id.into(),
        site_id: site.into(),
        program_id: P.into(),
        facility_id: facility.map(str::to_string),
        severity,
        due_on: Some(d("2026-12-01")),
    }
}

/// A partnership whose site north has everything: the central agreements, its own
/// quality and supply agreements, every deliverable, a signed site map.
fn complete_record() -> Record {
    let facts = complete("north");
    Record {
        partnership: PartnershipStatus::Active,
        programs: vec![P.into()],
        sites: vec!["north".into(), "south".into()],
        agreements: facts
            .agreements
            .into_iter()
            .enumerate()
            .map(|(i, f)| agreement(&format!("agr_{i}"), f))
            .collect(),
        deliverables: Deliverable::ALL
            .iter()
            .filter(|d| **d != Deliverable::SiteMapSigned)
            .map(|d| deliverable("north", *d, "2026-03-01"))
            .collect(),
        signed_maps: vec![SignedSiteMap {
            site_id: "north".into(),
            program_id: P.into(),
            number: 1,
            signed_on: d("2026-03-10"),
        }],
        consent_versions: vec![],
        agreed_protocols: vec![],
        facilities: BTreeMap::from([
            ("fac_lab".to_string(), vec!["north".into(), "south".into()]),
            ("fac_ward".to_string(), vec!["south".into()]),
        ]),
        open_gaps: vec![],
    }
}

fn today() -> Date {
    d("2026-11-25")
}

fn words(r: &Record, site: &str) -> Vec<String> {
    r.missing(site, P, &today())
        .iter()
        .map(Missing::to_string)
        .collect()
}

#[test]
fn a_complete_record_authorizes_its_site_and_only_that_one() {
    let r = complete_record();
    assert!(r.missing("north", P, &today()).is_empty());
    // South has the central agreements only.
    assert_eq!(
        words(&r, "south"),
        [
            "Quality agreement: none for this site yet",
            "Supply agreement: none for this site yet",
            "Site map signed by both sides: not done",
            "Informed consent with manufacturing-failure language: not done",
            "Release-exception protocol: not done",
            "Site qualification audit: not done",
            "Staff training: not done",
            "Mock shipment: not done",
            "Pharmacy and therapeutics approval: not done",
        ]
    );
}

#[test]
fn a_blocking_gap_holds_back_the_sites_its_facility_serves_and_only_those() {
    let mut r = complete_record();
    r.open_gaps = vec![gap("gap_lab", "south", Some("fac_lab"), Severity::Blocking)];
    // Found at south's visit, on the lab north uses too.
    assert_eq!(words(&r, "north"), ["1 open blocking readiness gap"]);
    r.open_gaps = vec![gap(
        "gap_ward",
        "north",
        Some("fac_ward"),
        Severity::Blocking,
    )];
    // The ward serves south only: north is not held back, whoever found the gap.
    assert!(words(&r, "north").is_empty());
    assert_eq!(r.blocking_gaps("south", P).len(), 1);
    // A facility no longer known serves nobody.
    r.open_gaps = vec![gap(
        "gap_old",
        "north",
        Some("fac_gone"),
        Severity::Blocking,
    )];
    assert!(words(&r, "north").is_empty());
}

#[test]
fn a_gap_without_a_facility_holds_back_its_own_site() {
    let mut r = complete_record();
    r.open_gaps = vec![
        gap("gap_1", "north", None, Severity::Blocking),
        gap("gap_2", "south", None, Severity::Blocking),
    ];
    assert_eq!(words(&r, "north"), ["1 open blocking readiness gap"]);
    assert_eq!(r.blocking_gaps("south", P)[0].id, "gap_2");
}

#[test]
fn only_blocking_gaps_of_the_program_count() {
    let mut r = complete_record();
    let mut other = gap("gap_other", "north", None, Severity::Blocking);
    other.program_id = "prg_other".into();
    r.open_gaps = vec![
        gap("gap_major", "north", Some("fac_lab"), Severity::Major),
        gap("gap_minor", "north", None, Severity::Minor),
        other,
    ];
    assert!(words(&r, "north").is_empty());
}

#[test]
fn a_revoked_deliverable_stops_counting() {
    let mut r = complete_record();
    let audit = r
        .deliverables
        .iter_mut()
        .find(|x| x.deliverable == Deliverable::SiteQualificationAudit)
        .expect("recorded");
    audit.revoked_on = Some(d("2026-11-20"));
    assert_eq!(words(&r, "north"), ["Site qualification audit: not done"]);
    let item = TrackKind::Deliverable(Deliverable::SiteQualificationAudit);
    assert_eq!(r.satisfied_on(item, "north", P, &today()), None);
}

#[test]
fn a_deliverable_of_another_site_or_program_does_not_count() {
    let mut r = complete_record();
    for x in &mut r.deliverables {
        if x.deliverable == Deliverable::MockShipment {
            x.site_id = "south".into();
        }
        if x.deliverable == Deliverable::StaffTraining {
            x.program_id = "prg_other".into();
        }
    }
    assert_eq!(
        words(&r, "north"),
        ["Staff training: not done", "Mock shipment: not done"]
    );
}

#[test]
fn the_newest_signed_site_map_counts_at_its_last_signature() {
    let mut r = complete_record();
    r.signed_maps.push(SignedSiteMap {
        site_id: "north".into(),
        program_id: P.into(),
        number: 3,
        signed_on: d("2026-06-30"),
    });
    let item = TrackKind::Deliverable(Deliverable::SiteMapSigned);
    assert_eq!(
        r.satisfied_on(item, "north", P, &today()),
        Some(d("2026-06-30"))
    );
    // South's map is not north's.
    r.signed_maps.retain(|m| m.number == 1);
    r.signed_maps[0].site_id = "south".into();
    assert_eq!(
        words(&r, "north"),
        ["Site map signed by both sides: not done"]
    );
    assert_eq!(r.satisfied_on(item, "north", P, &today()), None);
}

#[test]
fn an_agreement_item_is_satisfied_by_the_earliest_agreement_in_force() {
    let mut r = complete_record();
    let msa = TrackKind::Agreement(AgreementKind::MasterServiceAgreement);
    assert_eq!(
        r.satisfied_on(msa, "north", P, &today()),
        Some(d("2026-01-01"))
    );
    // A second MSA effective earlier: the earliest counts.
    let mut earlier = r.agreements[0].clone();
    earlier.facts.effective_on = Some(d("2025-06-01"));
    r.agreements.push(earlier);
    assert_eq!(
        r.satisfied_on(msa, "north", P, &today()),
        Some(d("2025-06-01"))
    );
    // Without an effective date, the day it last changed (its execution).
    for a in &mut r.agreements {
        a.facts.effective_on = None;
    }
    assert_eq!(
        r.satisfied_on(msa, "north", P, &today()),
        Some(d("2026-02-01"))
    );
    // Not yet in force on the day asked about: not satisfied.
    assert_eq!(r.satisfied_on(msa, "north", P, &d("2029-01-01")), None);
}

#[test]
fn a_deliverable_is_satisfied_on_its_day_never_after_today() {
    let mut r = complete_record();
    let consent = TrackKind::Deliverable(Deliverable::ConsentWithFailureLanguage);
    assert_eq!(
        r.satisfied_on(consent, "north", P, &today()),
        Some(d("2026-03-01"))
    );
    assert_eq!(r.satisfied_on(consent, "north", P, &d("2026-02-28")), None);
    r.deliverables[0].done_on = d("2026-12-01");
    assert_eq!(r.satisfied_on(consent, "north", P, &today()), None);
}

fn consent_version(number: i64, status: ConsentStatus, on: &str) -> RecordedConsentVersion {
    RecordedConsentVersion {
        site_id: "north".into(),
        program_id: P.into(),
        number,
        status,
        activated_on: (status != ConsentStatus::Draft).then(|| d(on)),
    }
}

const CONSENT_MISSING: &str = "Informed consent with manufacturing-failure language: not done";

#[test]
fn the_consent_item_follows_the_consent_versions() {
    use ConsentStatus::*;
    let consent = TrackKind::Deliverable(Deliverable::ConsentWithFailureLanguage);
    // (versions, missing?, satisfied on) — north's hand-recorded consent of 2026-03-01
    // stands behind every row.
    let rows: Vec<(Vec<RecordedConsentVersion>, bool, Option<&str>)> = vec![
        // No version yet: the consent recorded by hand before consent documents counts.
        (vec![], false, Some("2026-03-01")),
        // A draft changes nothing.
        (
            vec![consent_version(1, Draft, "")],
            false,
            Some("2026-03-01"),
        ),
        // Made active: the version counts, from the day it was made active.
        (
            vec![consent_version(1, Active, "2026-05-02")],
            false,
            Some("2026-05-02"),
        ),
        // The newer active version counts.
        (
            vec![
                consent_version(1, Retired, "2026-05-02"),
                consent_version(2, Active, "2026-09-09"),
            ],
            false,
            Some("2026-09-09"),
        ),
        // The last active version retired: missing, the hand record no longer counts.
        (vec![consent_version(1, Retired, "2026-05-02")], true, None),
        (
            vec![
                consent_version(1, Retired, "2026-05-02"),
                consent_version(2, Draft, ""),
            ],
            true,
            None,
        ),
        // Made active after the day asked about: counted, but not yet satisfied then.
        (vec![consent_version(1, Active, "2026-12-01")], false, None),
    ];
    for (i, (versions, missing, on)) in rows.into_iter().enumerate() {
        let mut r = complete_record();
        r.consent_versions = versions;
        assert_eq!(
            words(&r, "north").contains(&CONSENT_MISSING.to_string()),
            missing,
            "row {i}"
        );
        assert_eq!(
            r.satisfied_on(consent, "north", P, &today()),
            on.map(d),
            "row {i}"
        );
    }
}

#[test]
fn without_a_hand_record_only_an_active_version_satisfies_the_consent() {
    let mut r = complete_record();
    r.deliverables
        .retain(|x| x.deliverable != Deliverable::ConsentWithFailureLanguage);
    assert_eq!(words(&r, "north"), [CONSENT_MISSING]);
    r.consent_versions = vec![consent_version(1, ConsentStatus::Draft, "")];
    assert_eq!(words(&r, "north"), [CONSENT_MISSING]);
    r.consent_versions = vec![consent_version(1, ConsentStatus::Active, "2026-04-01")];
    assert!(words(&r, "north").is_empty());
    // Another site's or program's active version is not north's.
    r.consent_versions[0].site_id = "south".into();
    assert_eq!(words(&r, "north"), [CONSENT_MISSING]);
    r.consent_versions[0].site_id = "north".into();
    r.consent_versions[0].program_id = "prg_other".into();
    assert_eq!(words(&r, "north"), [CONSENT_MISSING]);
}

#[test]
fn retiring_the_last_active_version_suspends_and_a_new_one_reinstates() {
    let mut r = complete_record();
    r.consent_versions = vec![consent_version(1, ConsentStatus::Active, "2026-04-01")];
    let first = after(&r, &d("2026-04-02"), None).expect("authorized");
    assert_eq!(first.status, AuthorizationStatus::Authorized);
    r.consent_versions[0].status = ConsentStatus::Retired;
    let suspended = r.judge("north", P, &today(), Some(&first)).transition;
    assert_eq!(
        suspended,
        Transition::Suspension(Verdict {
            status: AuthorizationStatus::Suspended,
            since: today(),
            missing: vec![CONSENT_MISSING.into()],
        })
    );
    r.consent_versions
        .push(consent_version(2, ConsentStatus::Active, "2026-11-26"));
    let next = d("2026-11-26");
    let again = r.judge("north", P, &next, suspended.verdict()).transition;
    assert!(
        matches!(&again, Transition::Reinstatement(v) if v.since == next),
        "{again:?}"
    );
}

fn verdict(status: AuthorizationStatus, since: &str, missing: &[&str]) -> Verdict {
    Verdict {
        status,
        since: d(since),
        missing: missing.iter().map(|m| m.to_string()).collect(),
    }
}

#[test]
fn the_verdict_moves_authorized_suspended_reinstated() {
    use AuthorizationStatus::{Authorized, Suspended};
    let day = d("2026-11-25");
    let gone = || vec!["Mock shipment: not done".to_string()];
    // Never authorized and still not: nothing recorded.
    assert_eq!(transition(None, gone(), &day), Transition::None);
    assert_eq!(
        transition(None, vec![], &day),
        Transition::FirstAuthorization(verdict(Authorized, "2026-11-25", &[]))
    );
    let authorized = verdict(Authorized, "2026-01-10", &[]);
    assert_eq!(
        transition(Some(&authorized), vec![], &day),
        Transition::None
    );
    assert_eq!(
        transition(Some(&authorized), gone(), &day),
        Transition::Suspension(verdict(
            Suspended,
            "2026-11-25",
            &["Mock shipment: not done"]
        ))
    );
    let suspended = verdict(Suspended, "2026-10-01", &["Mock shipment: not done"]);
    assert_eq!(transition(Some(&suspended), gone(), &day), Transition::None);
    assert_eq!(
        transition(
            Some(&suspended),
            vec!["Staff training: not done".into()],
            &day
        ),
        Transition::StillSuspended(verdict(
            Suspended,
            "2026-10-01",
            &["Staff training: not done"]
        ))
    );
    assert_eq!(
        transition(Some(&suspended), vec![], &day),
        Transition::Reinstatement(verdict(Authorized, "2026-11-25", &[]))
    );
}

#[test]
fn a_review_covers_every_site_and_the_programs_taken_off_the_partnership() {
    use AuthorizationStatus::{Authorized, Suspended};
    let mut r = complete_record();
    let recorded = vec![RecordedVerdict {
        site_id: "north".into(),
        program_id: "prg_old".into(),
        verdict: verdict(Authorized, "2026-05-01", &[]),
    }];
    let changes = r.review(&today(), &recorded);
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(
        (&changes[0].site_id[..], &changes[0].program_id[..]),
        ("north", P)
    );
    assert_eq!(
        changes[0].transition,
        Transition::FirstAuthorization(verdict(Authorized, "2026-11-25", &[]))
    );
    // The program taken off: suspended, first of all for that.
    assert_eq!(changes[1].program_id, "prg_old");
    let Transition::Suspension(v) = &changes[1].transition else {
        panic!("suspended: {:?}", changes[1]);
    };
    assert_eq!(
        (v.status, v.since.as_str(), v.missing[0].as_str()),
        (
            Suspended,
            "2026-11-25",
            "Partnership: no longer for this program"
        )
    );
    // Ending the partnership suspends what it authorized.
    r.partnership = PartnershipStatus::Ended;
    let recorded = vec![RecordedVerdict {
        site_id: "north".into(),
        program_id: P.into(),
        verdict: verdict(Authorized, "2026-05-01", &[]),
    }];
    let changes = r.review(&today(), &recorded);
    assert_eq!(changes.len(), 1);
    assert_eq!(
        changes[0].transition.verdict().map(|v| v.missing.clone()),
        Some(vec!["Partnership: ended".to_string()])
    );
}

// ---- Properties ----

use proptest::prelude::*;

const DAY0: i64 = 20_000; // 2024-10-04

fn day(n: i64) -> Date {
    Date::from_days_since_epoch(DAY0 + n)
}

fn status() -> impl Strategy<Value = AgreementStatus> {
    prop::sample::select(AgreementStatus::ALL.to_vec())
}

fn an_agreement() -> impl Strategy<Value = AgreementFacts> {
    (
        prop::sample::select(AgreementKind::ALL.to_vec()),
        any::<bool>(),
        prop::sample::select(vec!["north", "south"]),
        prop_oneof![Just(AgreementStatus::Executed), status()],
        prop::option::weighted(0.9, 0i64..400),
        prop::option::weighted(0.6, 1i64..400),
        prop_oneof![
            Just(Coverage::AllSites),
            Just(Coverage::Named(vec!["north".into()])),
            Just(Coverage::Named(vec!["south".into()])),
        ],
    )
        .prop_map(|(kind, central, site, status, eff, len, coverage)| {
            let scope = if central || kind.is_central() {
                Scope::HealthSystem
            } else {
                Scope::Site
            };
            AgreementFacts {
                kind,
                scope,
                site_id: (scope == Scope::Site).then(|| site.to_string()),
                status,
                effective_on: eff.map(day),
                expires_on: eff.zip(len).map(|(e, l)| day(e + l)),
                coverage: if scope == Scope::Site {
                    Coverage::Named(vec![site.into()])
                } else {
                    coverage
                },
            }
        })
}

fn a_record() -> impl Strategy<Value = Record> {
    (
        prop_oneof![
            8 => Just(PartnershipStatus::Active),
            1 => Just(PartnershipStatus::Proposed),
            1 => Just(PartnershipStatus::Ended),
        ],
        prop::collection::vec(an_agreement(), 0..12),
        prop::collection::vec(
            (
                prop::sample::select(Deliverable::ALL.to_vec()),
                prop::sample::select(vec!["north", "south"]),
                0i64..400,
                prop::option::weighted(0.2, 0i64..400),
            ),
            0..14,
        ),
        prop::option::of(0i64..400),
        prop::collection::vec(
            (
                prop::option::of(prop::sample::select(vec!["fac_lab", "fac_ward"])),
                prop::sample::select(Severity::ALL.to_vec()),
            ),
            0..3,
        ),
        prop::collection::vec(
            (
                prop::sample::select(vec!["north", "south"]),
                prop::sample::select(ConsentStatus::ALL.to_vec()),
                0i64..400,
            ),
            0..3,
        ),
    )
        .prop_map(
            |(partnership, agreements, deliverables, map, gaps, consent)| Record {
                partnership,
                programs: vec![P.into()],
                sites: vec!["north".into(), "south".into()],
                agreements: agreements
                    .into_iter()
                    .enumerate()
                    .map(|(i, f)| agreement(&format!("agr_{i}"), f))
                    .collect(),
                deliverables: deliverables
                    .into_iter()
                    .map(|(x, site, on, revoked)| RecordedDeliverable {
                        revoked_on: revoked.map(day),
                        ..deliverable(site, x, day(on).as_str())
                    })
                    .collect(),
                signed_maps: map
                    .map(|on| SignedSiteMap {
                        site_id: "north".into(),
                        program_id: P.into(),
                        number: 1,
                        signed_on: day(on),
                    })
                    .into_iter()
                    .collect(),
                agreed_protocols: vec![],
                consent_versions: consent
                    .into_iter()
                    .enumerate()
                    .map(|(i, (site, status, on))| RecordedConsentVersion {
                        site_id: site.into(),
                        program_id: P.into(),
                        number: i as i64 + 1,
                        status,
                        activated_on: (status != ConsentStatus::Draft).then(|| day(on)),
                    })
                    .collect(),
                facilities: BTreeMap::from([
                    ("fac_lab".to_string(), vec!["north".into(), "south".into()]),
                    ("fac_ward".to_string(), vec!["south".into()]),
                ]),
                open_gaps: gaps
                    .into_iter()
                    .enumerate()
                    .map(|(i, (facility, severity))| {
                        gap(&format!("gap_{i}"), "north", facility, severity)
                    })
                    .collect(),
            },
        )
}

/// A record whose north site has everything, with some of it taken away at random.
fn a_nearly_complete_record() -> impl Strategy<Value = Record> {
    (
        prop::collection::vec(any::<bool>(), 5),
        prop::collection::vec(any::<bool>(), 6),
        0i64..600,
    )
        .prop_map(|(keep_agreement, keep_deliverable, expiry)| {
            let mut r = complete_record();
            let mut i = 0;
            r.agreements.retain(|_| {
                i += 1;
                keep_agreement[i - 1] || i % 2 == 0
            });
            let mut i = 0;
            r.deliverables.retain(|_| {
                i += 1;
                keep_deliverable[i - 1] || i % 3 == 0
            });
            for a in &mut r.agreements {
                a.facts.effective_on = Some(day(0));
                a.facts.expires_on = Some(day(1 + expiry));
            }
            r
        })
}

/// The verdict recorded after a review on `on` that began from `previous`.
fn after(r: &Record, on: &Date, previous: Option<&Verdict>) -> Option<Verdict> {
    match r.judge("north", P, on, previous).transition {
        Transition::None => previous.cloned(),
        t => t.verdict().cloned(),
    }
}

/// The days on which some agreement of the record starts or stops counting.
fn edges(r: &Record) -> Vec<i64> {
    r.agreements
        .iter()
        .flat_map(|a| [&a.facts.effective_on, &a.facts.expires_on])
        .flatten()
        .map(|d| d.days_since_epoch() - DAY0)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn authorized_iff_nothing_is_missing(r in a_record(), on in 0i64..800, was in prop::option::of(any::<bool>())) {
        let on = day(on);
        let previous = was.map(|ok| if ok {
            verdict(AuthorizationStatus::Authorized, "2024-10-04", &[])
        } else {
            verdict(AuthorizationStatus::Suspended, "2024-10-04", &["Mock shipment: not done"])
        });
        let j = r.judge("north", P, &on, previous.as_ref());
        prop_assert_eq!(j.authorized(), j.missing.is_empty());
        if let Some(v) = after(&r, &on, previous.as_ref()) {
            prop_assert_eq!(v.status == AuthorizationStatus::Authorized, j.missing.is_empty());
            prop_assert_eq!(v.missing.is_empty(), j.missing.is_empty());
        } else {
            // Nothing is recorded before the first authorization.
            prop_assert!(!j.authorized() && previous.is_none());
        }
    }

    #[test]
    fn a_verdict_never_changes_without_a_change_in_its_inputs(
        r in a_record(), from in 0i64..800, later in 0i64..200, was in any::<bool>()
    ) {
        let first = day(from);
        let previous = was.then(|| verdict(AuthorizationStatus::Authorized, "2024-10-04", &[]));
        let recorded = after(&r, &first, previous.as_ref());
        // Judged again the same day from what was recorded: nothing moves.
        prop_assert_eq!(r.judge("north", P, &first, recorded.as_ref()).transition, Transition::None);
        // A later day with no agreement starting or ending in between: nothing moves.
        let to = from + later;
        if !edges(&r).iter().any(|e| from < *e && *e <= to) {
            prop_assert_eq!(
                r.judge("north", P, &day(to), recorded.as_ref()).transition,
                Transition::None
            );
        }
    }

    #[test]
    fn revoking_then_recording_a_deliverable_again_returns_to_the_same_verdict(
        r in a_nearly_complete_record(), which in 0usize..6, on in 0i64..300
    ) {
        let on = day(on);
        let mut r = r;
        prop_assume!(!r.deliverables.is_empty());
        let which = which % r.deliverables.len();
        let before = r.missing("north", P, &on);
        let v0 = after(&r, &on, None);
        r.deliverables[which].revoked_on = Some(on.clone());
        let v1 = after(&r, &on, v0.as_ref());
        r.deliverables[which].revoked_on = None;
        let v2 = after(&r, &on, v1.as_ref());
        prop_assert_eq!(r.missing("north", P, &on), before);
        prop_assert_eq!(v0.as_ref().map(|v| (v.status, &v.missing)), v2.as_ref().map(|v| (v.status, &v.missing)));
        // A suspended site stays suspended since the same day through it all.
        if v0.as_ref().is_some_and(|v| v.status == AuthorizationStatus::Suspended) {
            prop_assert_eq!(v0, v2);
        }
    }

    #[test]
    fn the_consent_is_done_exactly_when_a_version_is_active_or_none_ever_was(
        r in a_record(), site in prop::sample::select(vec!["north", "south"])
    ) {
        let done = r
            .deliverables_done(site, P)
            .contains(&Deliverable::ConsentWithFailureLanguage);
        let active = r.consent_versions.iter().any(|v| {
            v.site_id == site && v.status == ConsentStatus::Active
        });
        let ever_active = r.consent_versions.iter().any(|v| {
            v.site_id == site && v.status != ConsentStatus::Draft
        });
        let by_hand = r.deliverables.iter().any(|x| {
            x.site_id == site
                && x.deliverable == Deliverable::ConsentWithFailureLanguage
                && x.counts()
        });
        prop_assert_eq!(done, active || (!ever_active && by_hand));
    }

    #[test]
    fn retiring_the_active_consent_then_activating_another_returns_to_the_same_verdict(
        r in a_nearly_complete_record(), on in 0i64..300
    ) {
        let on = day(on);
        let mut r = r;
        r.consent_versions = vec![RecordedConsentVersion {
            site_id: "north".into(),
            program_id: P.into(),
            number: 1,
            status: ConsentStatus::Active,
            activated_on: Some(on.clone()),
        }];
        let v0 = after(&r, &on, None);
        r.consent_versions[0].status = ConsentStatus::Retired;
        let v1 = after(&r, &on, v0.as_ref());
        // Nothing else stands in for the retired version: its item is missing.
        let consent_missing = Missing::Deliverable {
            deliverable: Deliverable::ConsentWithFailureLanguage,
        };
        prop_assert!(r.missing("north", P, &on).contains(&consent_missing));
        if v0.as_ref().is_some_and(|v| v.status == AuthorizationStatus::Authorized) {
            prop_assert_eq!(v1.as_ref().map(|v| v.status), Some(AuthorizationStatus::Suspended));
        }
        r.consent_versions.push(RecordedConsentVersion {
            number: 2,
            status: ConsentStatus::Active,
            ..r.consent_versions[0].clone()
        });
        let v2 = after(&r, &on, v1.as_ref());
        prop_assert_eq!(v0.as_ref().map(|v| (v.status, &v.missing)), v2.as_ref().map(|v| (v.status, &v.missing)));
    }

    #[test]
    fn a_suspended_verdict_whose_missing_items_change_keeps_its_since(
        r in a_record(), on in 0i64..800, since in 0i64..800
    ) {
        let on = day(on);
        let previous = verdict(AuthorizationStatus::Suspended, day(since).as_str(), &["Something else: not done"]);
        let j = r.judge("north", P, &on, Some(&previous));
        if j.authorized() {
            prop_assert_eq!(j.transition, Transition::Reinstatement(verdict(AuthorizationStatus::Authorized, on.as_str(), &[])));
        } else {
            let Transition::StillSuspended(v) = j.transition else {
                return Err(TestCaseError::fail("a changed suspension is still a suspension"));
            };
            prop_assert_eq!(v.since, previous.since);
            prop_assert_eq!(v.missing, j.missing.iter().map(Missing::to_string).collect::<Vec<_>>());
        }
    }

    #[test]
    fn expiry_moves_the_verdict_on_the_expiry_date_and_not_before(
        r in a_nearly_complete_record()
    ) {
        // Every agreement runs from day 0 to its expiry date, the first day it no longer
        // binds (its last day in force is the day before).
        let expires = r.agreements.iter().filter_map(|a| a.facts.expires_on.clone()).min();
        let Some(expires) = expires else { return Ok(()) };
        let last_day = expires.plus_days(-1);
        let v = after(&r, &last_day, None);
        prop_assert_eq!(r.judge("north", P, &last_day, v.as_ref()).transition, Transition::None);
        let on_expiry = r.judge("north", P, &expires, v.as_ref());
        let lapsed = on_expiry.missing.iter().any(|m| matches!(m, Missing::Agreement { reason, .. } if reason.starts_with("expired on")));
        prop_assert!(lapsed, "{:?}", on_expiry.missing);
        match v {
            // Authorized the day before: suspended on the expiry date, since that day.
            Some(v) if v.status == AuthorizationStatus::Authorized => {
                let Transition::Suspension(s) = on_expiry.transition else {
                    return Err(TestCaseError::fail("expiry suspends an authorized site"));
                };
                prop_assert_eq!(s.since, expires);
            }
            // Never authorized: still nothing to record.
            None => prop_assert_eq!(on_expiry.transition, Transition::None),
            Some(_) => unreachable!("nothing was recorded before"),
        }
    }
}

#[test]
fn the_protocol_item_follows_the_versions_both_sides_signed() {
    let mut r = complete_record();
    let today = d("2026-06-01");
    // Recorded by hand (before protocols were signed here) it counts while none is agreed.
    assert!(
        r.deliverables_done("north", P)
            .contains(&Deliverable::ReleaseExceptionProtocol)
    );
    r.agreed_protocols = vec![AgreedProtocol {
        program_id: "prg_other".into(),
        number: 1,
        agreed_on: d("2026-05-01"),
    }];
    assert!(
        r.deliverables_done("north", P)
            .contains(&Deliverable::ReleaseExceptionProtocol)
    );
    r.agreed_protocols.push(AgreedProtocol {
        program_id: P.into(),
        number: 1,
        agreed_on: d("2026-04-02"),
    });
    assert!(
        r.deliverables_done("north", P)
            .contains(&Deliverable::ReleaseExceptionProtocol)
    );
    assert_eq!(
        r.satisfied_on(
            TrackKind::Deliverable(Deliverable::ReleaseExceptionProtocol),
            "south",
            P,
            &today
        ),
        Some(d("2026-04-02")),
        "an agreed protocol counts for every site of the partnership, from the day it was agreed"
    );
    // Where one was recorded by hand (2026-03-01), the agreed version takes its place: the
    // item is done once, from the day it was agreed.
    assert_eq!(r.protocol_by_hand("north", P), None);
    assert_eq!(
        r.satisfied_on(
            TrackKind::Deliverable(Deliverable::ReleaseExceptionProtocol),
            "north",
            P,
            &today
        ),
        Some(d("2026-04-02"))
    );
    r.deliverables
        .retain(|x| x.deliverable != Deliverable::ReleaseExceptionProtocol);
    assert!(
        r.deliverables_done("north", P)
            .contains(&Deliverable::ReleaseExceptionProtocol)
    );
    r.agreed_protocols.clear();
    assert!(
        !r.deliverables_done("north", P)
            .contains(&Deliverable::ReleaseExceptionProtocol)
    );
}
