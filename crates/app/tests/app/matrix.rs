//! The role × relation matrix: every demo user tries everything on rows in every relation.

use crate::support::*;
use cellpath_app::access::Via;
use cellpath_app::records::sites::{SiteInput, SitePatch};
use cellpath_app::{App, AppError, Caller};
use cellpath_ledger::{Meaning, Signed};
use cellpath_store::Page;
use cellpath_store::testing::TestDb;

/// A new API token of the user's, for the matrix rows on tokens.
/// A webhook endpoint of `org`, made by its admin.
async fn endpoint_of(app: &App, org: &str) -> String {
    let admin = app
        .store()
        .users_of(org, Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.role == Role::Admin)
        .unwrap();
    let caller = app.caller_for_user(&admin.id, Via::Session).await.unwrap();
    app.create_webhook_endpoint(&caller, "http://127.0.0.1:9/matrix", &[], None)
        .await
        .unwrap()
        .fresh()
        .unwrap()
        .endpoint
        .id
}

async fn token_of(app: &App, user_id: &str) -> String {
    let caller = app.caller_for_user(user_id, Via::Session).await.unwrap();
    app.create_api_token(&caller, "matrix", None)
        .await
        .unwrap()
        .fresh()
        .unwrap()
        .info
        .id
}

/// Every demo user (every role of both kinds of organization) tries every resource kind and
/// action on real rows standing in each relation to them; the outcome must match the
/// hand-written table `crates/domain/src/policy_matrix.txt`. This checks the relations the app
/// derives from stored rows, not just the policy function. Partners and parties are tried
/// through a partnership in each status: active first (with the rows of every other relation),
/// then proposed (Helixa's demo proposal to Cascade; Orchid's proposal to Lakeshore), then
/// ended (Helixa × Lakeshore ended, its record as it stood).
#[tokio::test]
async fn every_role_of_every_organization_gets_what_the_matrix_says() {
    use cellpath_app::records::facilities::{FacilityInput, FacilityPatch};
    use cellpath_app::records::organizations::OrganizationPatch;
    use cellpath_app::records::partnerships::{PartnershipInput, PartnershipPatch};
    use cellpath_app::records::users::{UserInput, UserPatch};
    use cellpath_domain::{OrgKind, Role};

    let db = TestDb::sqlite().await;
    let (app, _) = demo_app(&db).await;
    let pw = cellpath_app::demo::DEMO_PASSWORD;
    let name = |n: &str| n.to_string();
    let helixa = org_id(&app, "Helixa Therapeutics").await;
    let northbridge = org_id(&app, "Northbridge Gene Medicines").await;
    let lakeshore = org_id(&app, "Lakeshore University Health").await;
    let piedmont = org_id(&app, "Piedmont Valley Health").await;
    let cascade = org_id(&app, "Cascade Regional Medical").await;
    let pships = app
        .store()
        .partnerships_of(&helixa, Page::all())
        .await
        .unwrap();
    let helixa_lakeshore = pships
        .iter()
        .find(|p| p.health_system_id == lakeshore)
        .unwrap()
        .id
        .clone();
    let np = app
        .store()
        .partnerships_of(&northbridge, Page::all())
        .await
        .unwrap();
    let northbridge_piedmont = np
        .iter()
        .find(|p| p.health_system_id == piedmont)
        .unwrap()
        .id
        .clone();

    // A manufacturer in partnership with nobody, for the "none" rows of programs.
    let op = Caller::system("test");
    let orchid = app
        .create_organization(
            &op,
            cellpath_app::records::organizations::OrganizationInput {
                kind: "manufacturer".into(),
                name: "Orchid Biologics".into(),
            },
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap()
        .id;
    // Orchid's one person, for the partner rows of users through its proposal.
    app.create_user(
        &op,
        &orchid,
        UserInput {
            email: "admin@orchid.example".into(),
            name: "Orchid Admin".into(),
            role: name("admin"),
            password: name("matrix-password-1"),
        },
        None,
    )
    .await
    .unwrap();
    let helixa_cascade = pships
        .iter()
        .find(|p| p.health_system_id == cascade)
        .unwrap();
    assert_eq!(
        helixa_cascade.status,
        PartnershipStatus::Proposed,
        "the demo's open proposal"
    );
    let helixa_cascade = helixa_cascade.id.clone();
    let cascade_site = app
        .store()
        .sites_of(&cascade, Page::all())
        .await
        .unwrap()
        .remove(0)
        .id;
    let vantacel = app
        .store()
        .programs_of(&helixa, Page::all())
        .await
        .unwrap()
        .remove(0);
    let (_, ctx) = cellpath_domain::process_map::seeds::in_vivo_gene_therapy();
    let facts = |name: &str| cellpath_domain::program::ProgramFacts {
        name: name.into(),
        modality: "in_vivo_gene_therapy".into(),
        units: ctx.units.clone(),
        requires_dual_verification: true,
        identifiers: vec![],
        list_prices: vec![],
    };
    let orchid_program = app
        .create_program(&op, &orchid, facts("Orchidase"), None)
        .await
        .unwrap()
        .fresh()
        .unwrap();

    // Site work in a partnership that is "party" for Helixa and Lakeshore, and one that is not.
    let lakeshore_sites = app.store().sites_of(&lakeshore, Page::all()).await.unwrap();
    let main_site = lakeshore_sites
        .iter()
        .find(|x| x.code == "LUH-MAIN")
        .unwrap()
        .id
        .clone();
    let north_site = lakeshore_sites
        .iter()
        .find(|x| x.code == "LUH-NORTH")
        .unwrap()
        .id
        .clone();
    let cancer_site = lakeshore_sites
        .iter()
        .find(|x| x.code == "LUH-CANCER")
        .unwrap()
        .id
        .clone();
    let cancer_draft = app
        .store()
        .site_map_versions(&cancer_site, &vantacel.id)
        .await
        .unwrap()
        .remove(0);
    let pending = app
        .store()
        .map_proposals_of(&cancer_draft.id)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.status == ProposalStatus::Pending)
        .unwrap();
    let north_gap = app
        .store()
        .gaps_of_site(&north_site)
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.status == GapStatus::Open)
        .unwrap();
    let corvigen = app
        .store()
        .programs_of(&northbridge, Page::all())
        .await
        .unwrap()
        .remove(0);
    let piedmont_main = app
        .store()
        .sites_of(&piedmont, Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.code == "PVH-MAIN")
        .unwrap()
        .id;
    let north_quality = app
        .store()
        .agreements_of(&helixa_lakeshore)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.site_id.as_ref() == Some(&north_site))
        .expect("the demo negotiates LUH-NORTH's quality agreement")
        .id;
    let piedmont_dpa = app
        .store()
        .agreements_of(&northbridge_piedmont)
        .await
        .unwrap()
        .remove(0)
        .id;
    let piedmont_map = app
        .start_site_map(
            &op,
            &northbridge_piedmont,
            &piedmont_main,
            &corvigen.id,
            None,
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
    let piedmont_gap = app
        .store()
        .gaps_of_site(&piedmont_main)
        .await
        .unwrap()
        .remove(0);
    // A deliverable recorded in each partnership, for the `update` (revoke) rows.
    let main_training = app
        .store()
        .deliverable_records_of(&helixa_lakeshore, &main_site, &vantacel.id)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.deliverable == Deliverable::StaffTraining)
        .expect("the demo records LUH-MAIN's training");
    let piedmont_contracts = as_user(&app, "contracts@piedmont.example").await;
    let piedmont_training = DeliverableBuilder::new(
        &northbridge_piedmont,
        &piedmont_main,
        &corvigen.id,
        "staff_training",
    )
    .with_done_on("2025-11-01")
    .with_evidence("Staff trained.")
    .record(&app, &piedmont_contracts)
    .await;

    // The health system's money with its payers: Lakeshore's profiles and a claim of its
    // stored case (Helixa stands to them as a party of the case's partnership), Piedmont's
    // profile (another tenant's).
    let lakeshore_finance = as_user(&app, "finance@lakeshore.example").await;
    let lakeshore_profile = app
        .start_payer_profiles_from_defaults(&lakeshore_finance, None)
        .await
        .unwrap()
        .fresh()
        .unwrap()
        .remove(0);
    let claimed_case = app
        .cases_of_site(
            &as_user(&app, "coordinator@lakeshore.example").await,
            &main_site,
            Page::all(),
        )
        .await
        .unwrap()
        .remove(0)
        .id;
    let lakeshore_claim = app
        .submit_claim(
            &lakeshore_finance,
            &claimed_case,
            cellpath_app::finance::claims::NewClaim {
                payer_profile_id: lakeshore_profile.id.clone(),
                submitted_on: cellpath_domain::Date::of_micros(app.now()).to_string(),
                claimed_cents: Some(100),
            },
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap()
        .id;
    let piedmont_admin = app
        .store()
        .users_of(&piedmont, Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.role == Role::Admin)
        .unwrap();
    let piedmont_profile = app
        .create_payer_profile(
            &app.caller_for_user(&piedmont_admin.id, Via::Session)
                .await
                .unwrap(),
            cellpath_domain::finance::default_profiles()[0].input(),
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap()
        .id;
    let profile_input = cellpath_domain::finance::default_profiles()[0].input();

    let table = include_str!("../../../domain/src/policy_matrix.txt");
    let mut counter = 0;
    let mut mismatches = Vec::new();
    let mut checked = 0;
    let mut orchid_lakeshore = String::new();
    for phase in ["active", "proposed", "ended"] {
        match phase {
            // Orchid proposes to Lakeshore: a partner of Lakeshore's through a proposal only.
            "proposed" => {
                orchid_lakeshore = app
                    .create_partnership(
                        &op,
                        PartnershipInput {
                            health_system_id: lakeshore.clone(),
                            name: "Orchid × Lakeshore".into(),
                            programs: vec![orchid_program.id.clone()],
                            manufacturer_id: Some(orchid.clone()),
                        },
                        None,
                    )
                    .await
                    .unwrap()
                    .fresh()
                    .unwrap()
                    .id;
            }
            // Helixa × Lakeshore ends: its record stays, as it stood.
            "ended" => set_status(&app, &op, &helixa_lakeshore, "ended").await,
            _ => {}
        }
        // Rows of the partnership in this phase's status ("party") and of its partner ("partner");
        // for a proposal, the site and program it would be about (it has no rows of its own).
        let (mfr_partner, mfr_party, hs_partner, hs_party) = match phase {
            "proposed" => (
                cascade.clone(),
                helixa_cascade.clone(),
                orchid.clone(),
                orchid_lakeshore.clone(),
            ),
            _ => (
                lakeshore.clone(),
                helixa_lakeshore.clone(),
                helixa.clone(),
                helixa_lakeshore.clone(),
            ),
        };
        for (kind, roles, own, partner, unrelated, party_pship, (prop_site, prop_program)) in [
            (
                OrgKind::Manufacturer,
                Role::MANUFACTURER,
                helixa.clone(),
                mfr_partner,
                piedmont.clone(),
                mfr_party,
                (cascade_site.clone(), vantacel.id.clone()),
            ),
            (
                OrgKind::HealthSystem,
                Role::HEALTH_SYSTEM,
                lakeshore.clone(),
                hs_partner,
                piedmont.clone(),
                hs_party,
                (main_site.clone(), orchid_program.id.clone()),
            ),
        ] {
            let domain = if kind == OrgKind::Manufacturer {
                "helixa.example"
            } else {
                "lakeshore.example"
            };
            let column_offset = if kind == OrgKind::Manufacturer {
                0
            } else {
                Role::MANUFACTURER.len()
            };
            for (ri, role) in roles.iter().enumerate() {
                let email = format!("{}@{domain}", role.as_str().replace('_', "."));
                let me = as_user(&app, &email).await;
                let my_id = me.principal.as_ref().unwrap().user_id.clone();
                // A colleague, and that colleague's token, for the `own` rows.
                let colleague = app
                    .store()
                    .users_of(&own, Page::all())
                    .await
                    .unwrap()
                    .into_iter()
                    .find(|u| u.id != my_id)
                    .unwrap();
                let colleague_token = token_of(&app, &colleague.id).await;
                let stranger = app
                    .store()
                    .users_of(&unrelated, Page::all())
                    .await
                    .unwrap()
                    .remove(0);
                let stranger_token = token_of(&app, &stranger.id).await;
                let own_endpoint = endpoint_of(&app, &own).await;
                let stranger_endpoint = endpoint_of(&app, &unrelated).await;

                for line in table
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                {
                    let (head, cells) = line.split_once('|').unwrap();
                    let head: Vec<&str> = head.split_whitespace().collect();
                    let cells: Vec<&str> = cells.split_whitespace().filter(|c| *c != "|").collect();
                    let expected = cells[column_offset + ri];
                    // Each phase tries the relations of its status; the active one all the others.
                    let in_phase = match head[1].split_once('.') {
                        Some((_, status)) => status == phase,
                        None => phase == "active",
                    };
                    if expected == "." || !in_phase {
                        continue;
                    }
                    // "party" through an active or ended partnership (its rows as they stood),
                    // "proposal" through a proposed one, which has no rows: what is asked of it is
                    // about its health system's site and the program proposed.
                    let rel_kind = match head[1] {
                        "party.proposed" => "proposal",
                        r if r.starts_with("party.") => "party",
                        r if r.starts_with("partner.") => "partner",
                        r => r,
                    };
                    counter += 1;
                    let unique = format!("M{counter}");
                    // The organization whose rows stand in this relation to `me`.
                    let target_org = match rel_kind {
                        "own" | "self" => own.clone(),
                        "partner" => partner.clone(),
                        "party" | "proposal" => own.clone(),
                        _ => unrelated.clone(),
                    };
                    let pship = if matches!(rel_kind, "party" | "proposal") {
                        party_pship.clone()
                    } else {
                        northbridge_piedmont.clone()
                    };
                    // Where the work of a partnership is asked about: a site and program of the
                    // partnership in this phase, of the proposal, or of a partnership not ours.
                    let (pid, work_site, work_program) = match rel_kind {
                        "party" => (&helixa_lakeshore, &north_site, &vantacel.id),
                        "proposal" => (&pship, &prop_site, &prop_program),
                        _ => (&northbridge_piedmont, &piedmont_main, &corvigen.id),
                    };
                    let site_of = |org: String| {
                        let app = app.clone();
                        async move {
                            app.store()
                                .sites_of(&org, Page::all())
                                .await
                                .unwrap()
                                .remove(0)
                        }
                    };
                    let r: Result<(), AppError> = match (head[0], rel_kind, head[2]) {
                        ("organization", _, "read") => {
                            app.organization(&me, &target_org).await.map(drop)
                        }
                        ("organization", _, "create") => app
                            .create_organization(
                                &me,
                                cellpath_app::records::organizations::OrganizationInput {
                                    kind: "health_system".into(),
                                    name: unique.clone(),
                                },
                                None,
                            )
                            .await
                            .map(drop),
                        ("organization", _, "update") => {
                            let o = app
                                .store()
                                .organization(&target_org)
                                .await
                                .unwrap()
                                .unwrap();
                            app.update_organization(
                                &me,
                                &o.id,
                                o.version,
                                OrganizationPatch {
                                    name: Some(o.name.clone()),
                                    ..OrganizationPatch::default()
                                },
                                None,
                            )
                            .await
                            .map(drop)
                        }
                        ("site", _, "read") => app
                            .site(&me, &site_of(target_org.clone()).await.id)
                            .await
                            .map(drop),
                        ("site", _, "create") => app
                            .create_site(
                                &me,
                                &target_org,
                                SiteInput {
                                    name: unique.clone(),
                                    code: unique.clone(),
                                    city: name("Chicago"),
                                    region: name("IL"),
                                },
                                None,
                            )
                            .await
                            .map(drop),
                        ("site", _, "update") => {
                            let site = site_of(target_org.clone()).await;
                            app.update_site(&me, &site.id, site.version, SitePatch::default(), None)
                                .await
                                .map(drop)
                        }
                        ("facility", _, "read") => {
                            let f = app
                                .store()
                                .facilities_of(&target_org, Page::all())
                                .await
                                .unwrap()
                                .remove(0);
                            app.facility(&me, &f.id).await.map(drop)
                        }
                        ("facility", _, "create") => app
                            .create_facility(
                                &me,
                                &target_org,
                                FacilityInput {
                                    name: unique.clone(),
                                    kind: name("clinical"),
                                    site_ids: vec![],
                                },
                                None,
                            )
                            .await
                            .map(drop),
                        ("facility", _, "update") => {
                            let f = app
                                .store()
                                .facilities_of(&target_org, Page::all())
                                .await
                                .unwrap()
                                .remove(0);
                            app.update_facility(
                                &me,
                                &f.id,
                                f.version,
                                FacilityPatch::default(),
                                None,
                            )
                            .await
                            .map(drop)
                        }
                        ("user", "self", "read") => app.user(&me, &my_id).await.map(drop),
                        ("user", "self", "update") => {
                            let u = app.store().user(&my_id).await.unwrap().unwrap();
                            app.update_user(&me, &u.id, u.version, UserPatch::default(), None)
                                .await
                                .map(drop)
                        }
                        ("user", _, "read") => {
                            let u = if head[1] == "own" {
                                colleague.clone()
                            } else {
                                app.store()
                                    .users_of(&target_org, Page::all())
                                    .await
                                    .unwrap()
                                    .remove(0)
                            };
                            app.user(&me, &u.id).await.map(drop)
                        }
                        ("user", _, "create") => app
                            .create_user(
                                &me,
                                &target_org,
                                UserInput {
                                    email: format!("{}@matrix.example", unique.to_lowercase()),
                                    name: unique.clone(),
                                    role: name("admin"),
                                    password: name("matrix-password-1"),
                                },
                                None,
                            )
                            .await
                            .map(drop),
                        ("user", _, "update") => {
                            let u = if head[1] == "own" {
                                app.store().user(&colleague.id).await.unwrap().unwrap()
                            } else {
                                app.store()
                                    .users_of(&target_org, Page::all())
                                    .await
                                    .unwrap()
                                    .remove(0)
                            };
                            app.update_user(&me, &u.id, u.version, UserPatch::default(), None)
                                .await
                                .map(drop)
                        }
                        ("partnership", _, "read") => app.partnership(&me, &pship).await.map(drop),
                        ("partnership", _, "create") => app
                            // With Cascade, already Helixa's partner: a new partnership must not
                            // change who is "unrelated" for the rows that follow.
                            .create_partnership(
                                &me,
                                PartnershipInput {
                                    health_system_id: cascade.clone(),
                                    name: unique.clone(),
                                    programs: vec![],
                                    manufacturer_id: None,
                                },
                                None,
                            )
                            .await
                            .map(drop),
                        ("partnership", _, "update") => {
                            let p = app.store().partnership(&pship).await.unwrap().unwrap();
                            app.update_partnership(
                                &me,
                                &p.id,
                                p.version,
                                PartnershipPatch::default(),
                                None,
                            )
                            .await
                            .map(drop)
                        }
                        ("program", rel, action) => {
                            let program = match rel {
                                "own" => app.store().program(&vantacel.id).await.unwrap().unwrap(),
                                // The program proposed, or the one the partnership is for.
                                "partner" if phase == "proposed" => {
                                    app.store().program(&prop_program).await.unwrap().unwrap()
                                }
                                "partner" => {
                                    app.store().program(&vantacel.id).await.unwrap().unwrap()
                                }
                                _ => app
                                    .store()
                                    .program(&orchid_program.id)
                                    .await
                                    .unwrap()
                                    .unwrap(),
                            };
                            match action {
                                "read" => app.program(&me, &program.id).await.map(drop),
                                "create" => app
                                    .create_program(&me, &target_org, facts(&unique), None)
                                    .await
                                    .map(drop),
                                _ => {
                                    let same = cellpath_domain::program::ProgramFacts {
                                        name: program.name.clone(),
                                        modality: program.modality.as_str().to_string(),
                                        units: serde_json::from_value(program.units.clone())
                                            .unwrap(),
                                        requires_dual_verification: program
                                            .requires_dual_verification,
                                        identifiers: serde_json::from_value(
                                            program.identifiers.clone(),
                                        )
                                        .unwrap(),
                                        list_prices: serde_json::from_value(
                                            program.list_prices.clone(),
                                        )
                                        .unwrap(),
                                    };
                                    app.update_program(
                                        &me,
                                        &program.id,
                                        program.version,
                                        same,
                                        None,
                                    )
                                    .await
                                    .map(drop)
                                }
                            }
                        }
                        // A proposal has no site map, gap, agreement or deliverable to change.
                        (
                            "site_map" | "readiness" | "contract" | "deliverable",
                            "proposal",
                            "update",
                        ) => continue,
                        ("site_map", rel, action) => match (rel, action) {
                            ("proposal", "read") => app.site_maps(&me, pid).await.map(drop),
                            ("party", "read") => {
                                app.site_map(&me, &cancer_draft.id).await.map(drop)
                            }
                            (_, "read") => app.site_map(&me, &piedmont_map.id).await.map(drop),
                            (_, "create") => app
                                .start_site_map(&me, pid, work_site, work_program, None, None)
                                .await
                                .map(drop),
                            // A stale version: past the policy, a permitted caller meets a conflict.
                            ("party", _) if kind == OrgKind::HealthSystem => app
                                .refine_site_map(&me, &cancer_draft.id, 0, Default::default(), None)
                                .await
                                .map(drop),
                            ("party", _) => app
                                .decide_proposal(&me, &pending.id, 0, false, "matrix", None)
                                .await
                                .map(drop),
                            _ => app
                                .refine_site_map(&me, &piedmont_map.id, 0, Default::default(), None)
                                .await
                                .map(drop),
                        },
                        ("readiness", rel, action) => match action {
                            "read" => app
                                .readiness(&me, pid, work_site, work_program)
                                .await
                                .map(drop),
                            "create" => app
                                .analyze_gaps(&me, pid, work_site, work_program)
                                .await
                                .map(drop),
                            _ => {
                                let gap = if rel == "party" {
                                    &north_gap
                                } else {
                                    &piedmont_gap
                                };
                                app.close_gap(&me, &gap.id, 0, "matrix", pw, None)
                                    .await
                                    .map(drop)
                            }
                        },
                        // Money is read through the policy alone; which side writes what
                        // (terms and credits the manufacturer's, payments the health
                        // system's) is the app's rule on top, walked by
                        // `finance::money_is_for_the_money_roles_of_the_parties_and_a_proposal_opens_none`.
                        ("payment", _, "read") => app.payment_terms(&me, pid).await.map(drop),
                        ("payment", _, _) => continue,
                        // A proposal has no case to claim for.
                        ("claim", "proposal", _) => continue,
                        ("claim", "own", "read") => app.payer_profiles(&me).await.map(drop),
                        ("claim", "own", "create") => {
                            let mut input = profile_input.clone();
                            input.name = unique.clone();
                            app.create_payer_profile(&me, input, None).await.map(drop)
                        }
                        ("claim", "own" | "none", "update") => {
                            let id = if rel_kind == "own" {
                                &lakeshore_profile.id
                            } else {
                                &piedmont_profile
                            };
                            let row = app.store().payer_profile(id).await.unwrap().unwrap();
                            app.update_payer_profile(
                                &me,
                                id,
                                row.version,
                                row.profile.input(),
                                None,
                            )
                            .await
                            .map(drop)
                        }
                        ("claim", "none", "read") => {
                            app.payer_profile(&me, &piedmont_profile).await.map(drop)
                        }
                        ("claim", "party", "read") => {
                            app.claims_of_case(&me, &claimed_case).await.map(drop)
                        }
                        ("claim", "party", "create") => app
                            .submit_claim(
                                &me,
                                &claimed_case,
                                cellpath_app::finance::claims::NewClaim {
                                    payer_profile_id: lakeshore_profile.id.clone(),
                                    submitted_on: "2020-01-01".into(),
                                    claimed_cents: Some(1),
                                },
                                None,
                            )
                            .await
                            .map(drop),
                        ("claim", "party", "update") => app
                            .record_claim_step(
                                &me,
                                &lakeshore_claim,
                                None,
                                cellpath_app::finance::claims::NewClaimStep {
                                    step: "appealed".into(),
                                    on: "2020-01-01".into(),
                                    amount_cents: None,
                                    reason: None,
                                },
                                None,
                            )
                            .await
                            .map(drop),
                        ("contract", rel, action) => match action {
                            "read" => app.agreements(&me, pid).await.map(drop),
                            "create" => app
                                .create_agreement(
                                    &me,
                                    pid,
                                    cellpath_app::contracting::AgreementInput {
                                        kind: "supply_agreement".into(),
                                        scope: "site".into(),
                                        site_id: Some(work_site.clone()),
                                        coverage: None,
                                        owner_manufacturer: None,
                                        owner_health_system: None,
                                    },
                                    None,
                                )
                                .await
                                .map(drop),
                            // A stale version: past the policy, a permitted caller meets a conflict.
                            _ if rel == "party" => app
                                .move_agreement(&me, &north_quality, 0, "legal_review", None)
                                .await
                                .map(drop),
                            _ => app
                                .move_agreement(&me, &piedmont_dpa, 0, "negotiating", None)
                                .await
                                .map(drop),
                        },
                        ("deliverable", rel, action) => {
                            let (pid, site, program) = (pid, work_site, work_program);
                            let today = cellpath_domain::Date::of_micros(app.now());
                            match action {
                                "read" => app.gate(&me, pid, site, program, today).await.map(drop),
                                "create" => app
                                    .record_deliverable(
                                        &me,
                                        pid,
                                        cellpath_app::contracting::DeliverableInput {
                                            site_id: site.clone(),
                                            program_id: program.clone(),
                                            // Either side's work, so the policy alone decides.
                                            deliverable: "staff_training".into(),
                                            done_on: "not a date".into(),
                                            evidence: "matrix".into(),
                                        },
                                        pw,
                                        None,
                                    )
                                    .await
                                    .map(drop)
                                    // A bad date is checked after the policy: the caller was
                                    // allowed, and nothing is recorded for the next role.
                                    .or_else(|e| match e {
                                        AppError::Invalid(f) if f[0].field == "done_on" => Ok(()),
                                        e => Err(e),
                                    }),
                                // Revoking one: an empty reason is checked after the policy,
                                // so an allowed caller revokes nothing for the next role.
                                _ => {
                                    let (id, version) = if rel == "party" {
                                        (&main_training.id, main_training.version)
                                    } else {
                                        (&piedmont_training.id, piedmont_training.version)
                                    };
                                    app.revoke_deliverable(&me, id, version, "", pw, None)
                                        .await
                                        .map(drop)
                                        .or_else(|e| match e {
                                            AppError::Invalid(f) if f[0].field == "reason" => {
                                                Ok(())
                                            }
                                            e => Err(e),
                                        })
                                }
                            }
                        }
                        ("api_token", "self", "read") => {
                            app.api_tokens(&me, &my_id).await.map(drop)
                        }
                        ("api_token", "self", "create") => {
                            app.create_api_token(&me, &unique, None).await.map(drop)
                        }
                        ("api_token", "self", "update") => {
                            let t = app
                                .create_api_token(&me, &unique, None)
                                .await
                                .unwrap()
                                .fresh()
                                .unwrap();
                            app.revoke_api_token(&me, &t.info.id).await.map(drop)
                        }
                        ("api_token", "own", "read") => {
                            app.api_tokens(&me, &colleague.id).await.map(drop)
                        }
                        ("api_token", "own", "update") => {
                            app.revoke_api_token(&me, &colleague_token).await.map(drop)
                        }
                        ("api_token", "none", "read") => {
                            app.api_tokens(&me, &stranger.id).await.map(drop)
                        }
                        ("api_token", "none", "update") => {
                            app.revoke_api_token(&me, &stranger_token).await.map(drop)
                        }
                        ("webhook_endpoint", "own", "read") => {
                            app.webhook_endpoint(&me, &own_endpoint).await.map(drop)
                        }
                        ("webhook_endpoint", "own", "create") => app
                            .create_webhook_endpoint(&me, "http://127.0.0.1:9/m", &[], None)
                            .await
                            .map(drop),
                        ("webhook_endpoint", "own", "update") => app
                            .rotate_webhook_secret(&me, &own_endpoint, None)
                            .await
                            .map(drop),
                        // Nothing about an endpoint is signed: there is nothing to call.
                        ("webhook_endpoint", "own", "sign") => continue,
                        ("webhook_endpoint", "none", "read") => app
                            .webhook_endpoint(&me, &stranger_endpoint)
                            .await
                            .map(drop),
                        ("webhook_endpoint", "none", "update") => app
                            .disable_webhook_endpoint(&me, &stranger_endpoint)
                            .await
                            .map(drop),
                        ("ledger", rel, action) => {
                            let ledger = match rel {
                                "own" => own.clone(),
                                "party" | "proposal" => pship.clone(),
                                _ => northbridge_piedmont.clone(),
                            };
                            match action {
                                "read" => app.verify_ledger(&me, &ledger).await.map(drop),
                                "sign" => {
                                    let head =
                                        app.store().ledger_head(&ledger).await.unwrap().unwrap();
                                    app.sign(
                                        &me,
                                        &ledger,
                                        Signed::Event {
                                            event_hash: head.head_hash,
                                        },
                                        Meaning::Reviewed,
                                        pw,
                                        None,
                                    )
                                    .await
                                    .map(drop)
                                }
                                // No command changes a ledger's events: there is nothing to call.
                                _ => continue,
                            }
                        }
                        // No patient exists yet, so there is nothing to call: the patient rows
                        // are checked by `every_role_sees_a_patient_through_its_view_and_no_further`,
                        // and the safety reports of a patient's adverse events by
                        // `safety::a_report_is_read_by_the_manufacturers_safety_and_quality_…`.
                        ("patient" | "safety_report", _, _) => continue,
                        other => panic!("no call for matrix row {other:?}"),
                    };
                    let got = match r {
                        Ok(()) => "A",
                        // A stale version is checked after the policy: the caller was allowed.
                        Err(AppError::Conflict { .. }) => "A",
                        Err(AppError::Forbidden(_)) => "F",
                        Err(AppError::NotFound(_)) => "N",
                        Err(e) => panic!("{email} {line}: unexpected error {e}"),
                    };
                    checked += 1;
                    if got != expected {
                        mismatches.push(format!(
                            "{email} ({phase}): {} {} {}: expected {expected}, got {got}",
                            head[0], head[1], head[2]
                        ));
                    }
                }
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(checked > 500, "only {checked} checks ran");
}

/// What every demo role sees of a patient (no case exists yet: the relation is given as the
/// app will derive it from a case — the site's own staff `OwnOrg`, the manufacturer through the
/// partnership the case is under), as the matrix's patient rows say: the health system's
/// clinical, quality, data and finance staff everything, its admins and contracts people the
/// pseudonym; the manufacturer's patient ops the chain of identity, its other roles the
/// pseudonym; nobody anything through a proposal or from another tenant.
#[tokio::test]
async fn every_role_sees_a_patient_through_its_view_and_no_further() {
    use cellpath_domain::policy::{PatientView, Relation};
    use cellpath_domain::{OrgKind, PartnershipStatus, Role};

    let db = TestDb::sqlite().await;
    let (app, _) = demo_app(&db).await;
    let full = [
        Role::Pharmacy,
        Role::CellLab,
        Role::Apheresis,
        Role::Coordinator,
        Role::Physician,
        Role::Nurse,
        Role::Quality,
        Role::DataManager,
        Role::Finance,
    ];
    let mut checked = 0;
    for (kind, domain) in [
        (OrgKind::HealthSystem, "lakeshore.example"),
        (OrgKind::Manufacturer, "helixa.example"),
    ] {
        for role in Role::for_kind(kind) {
            let email = format!("{}@{domain}", role.as_str().replace('_', "."));
            let caller = as_user(&app, &email).await;
            let cases: Vec<(Relation, Option<PatientView>)> = match kind {
                OrgKind::HealthSystem => vec![
                    (
                        Relation::OwnOrg,
                        Some(if full.contains(role) {
                            PatientView::Full
                        } else {
                            PatientView::Pseudonym
                        }),
                    ),
                    (Relation::Unrelated, None),
                ],
                OrgKind::Manufacturer => {
                    let view = if *role == Role::PatientOps {
                        PatientView::ChainOfIdentity
                    } else {
                        PatientView::Pseudonym
                    };
                    vec![
                        (Relation::Party(PartnershipStatus::Active), Some(view)),
                        (Relation::Party(PartnershipStatus::Ended), Some(view)),
                        (Relation::Party(PartnershipStatus::Proposed), None),
                        (Relation::Unrelated, None),
                    ]
                }
            };
            for (relation, expected) in cases {
                let got = app.patient_view(&caller, relation, "the patient");
                match expected {
                    Some(view) => assert_eq!(got.unwrap(), view, "{email} {relation:?}"),
                    None => assert!(
                        matches!(got, Err(AppError::NotFound(_))),
                        "{email} {relation:?}: {got:?}"
                    ),
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 11 * 2 + 7 * 4);
    // The operator runs the system; it treats nobody.
    assert_eq!(
        app.patient_view(
            &Caller::system("test"),
            Relation::Party(PartnershipStatus::Active),
            "the patient"
        )
        .unwrap(),
        PatientView::Pseudonym
    );
}
