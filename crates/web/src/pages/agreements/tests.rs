//! Agreements driven through the router as a browser without JavaScript would: a contracts
//! lead starts a site's supply agreement from the partnership page and takes it through
//! negotiation, a redline round and execution with its dates, a document and an amendment;
//! refusals (a file of another kind or none, a move the status path does not allow, executing without an
//! effective date, a site-scope agreement without its site) come back beside their fields with
//! nothing stored; withdrawing an agreement suspends the site on the record at once; people
//! who may not change agreements see no forms and get 403 when they post anyway.

use crate::testing::{Browser, Demo, seeded};
use axum::http::StatusCode;
use cellpath_app::views::{Agreement, Partnership};
use cellpath_domain::contracting::AgreementKind;
use cellpath_domain::contracting::AgreementStatus;
use cellpath_domain::contracting::gate::AuthorizationStatus;

/// A small PDF, as the agreement form uploads it.
const PDF: &[u8] = b"%PDF-1.7\n% LUH-NORTH supply agreement, signed\n%%EOF\n";

async fn stored(demo: &Demo, id: &str) -> Agreement {
    demo.app
        .store()
        .agreement(id)
        .await
        .expect("query")
        .expect("stored")
        .into()
}

async fn agreements(demo: &Demo, p: &Partnership) -> Vec<Agreement> {
    let rows = demo.app.store().agreements_of(&p.id).await.expect("query");
    rows.into_iter().map(Agreement::from).collect()
}

async fn user_id(demo: &Demo, email: &str) -> String {
    demo.app
        .store()
        .user_by_email(email)
        .await
        .expect("query")
        .expect("a demo user")
        .id
}

#[tokio::test]
async fn a_contracts_lead_starts_an_agreement_and_takes_it_to_executed_with_a_document_and_an_amendment()
 {
    let demo = seeded().await;
    let pship = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let north = demo.site("LUH-NORTH").await;
    let mut contracts = Browser::signed_in(&demo, "contracts@lakeshore.example").await;
    let theirs = user_id(&demo, "contracts@helixa.example").await;
    let ours = user_id(&demo, "contracts@lakeshore.example").await;
    let before = agreements(&demo, &pship).await.len();

    let page = contracts
        .get_saved(
            &format!("/partnerships/{}", pship.id),
            Some("agreements-partnership"),
        )
        .await;
    assert!(
        page.body.contains(r#"id="agreement-form""#),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(r#"<a href="/agreements/"#),
        "each agreement links to its page"
    );
    let csrf = page.field("csrf");
    let started = contracts
        .post(
            &format!("/partnerships/{}/agreements", pship.id),
            &[
                ("csrf", &csrf),
                ("kind", "supply_agreement"),
                ("scope", "site"),
                ("site_id", &north.id),
                ("covers", "all_sites"),
                ("owner_manufacturer", &theirs),
                ("owner_health_system", &ours),
            ],
        )
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let path = started.target();
    let id = path.trim_start_matches("/agreements/").to_string();
    assert_eq!(agreements(&demo, &pship).await.len(), before + 1);
    let a = stored(&demo, &id).await;
    assert_eq!(
        (
            a.kind.as_str(),
            a.scope.as_str(),
            a.site_id.as_deref().unwrap_or("")
        ),
        ("supply_agreement", "site", north.id.as_str())
    );
    assert_eq!(
        (a.owner_manufacturer, a.owner_health_system),
        (Some(theirs), Some(ours))
    );

    let shown = contracts
        .get(&format!("{path}?notice=agreement_started"))
        .await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert!(shown.body.contains("Supply agreement"));
    assert!(shown.body.contains(&format!("Site: {}", north.name)));
    assert!(shown.body.contains(r#"data-status="not_started""#));
    assert!(shown.body.contains("is tracked from here"));

    // Along the status path, with one redline round (legal review sends it back).
    for to in [
        "drafting",
        "negotiating",
        "legal_review",
        "negotiating",
        "legal_review",
    ] {
        let moved = contracts
            .submit(
                &path,
                "move-form",
                &format!("{path}/status"),
                &[("status", to)],
                None,
            )
            .await;
        assert_eq!(moved.status, StatusCode::SEE_OTHER, "{to}: {}", moved.body);
        assert_eq!(stored(&demo, &id).await.status.as_str(), to);
    }
    assert_eq!(stored(&demo, &id).await.redline_rounds, 1);

    let dated = contracts
        .submit(
            &path,
            "dates-form",
            &format!("{path}/dates"),
            &[("effective_on", "2025-11-01"), ("expires_on", "2028-10-31")],
            None,
        )
        .await;
    assert_eq!(dated.status, StatusCode::SEE_OTHER, "{}", dated.body);
    let executed = contracts
        .submit(
            &path,
            "move-form",
            &format!("{path}/status"),
            &[("status", "executed")],
            None,
        )
        .await;
    assert_eq!(executed.status, StatusCode::SEE_OTHER, "{}", executed.body);

    let doc = contracts
        .submit_files(
            &path,
            "document-form",
            &format!("{path}/documents"),
            &[],
            &[("file", "LUH-NORTH supply agreement, signed.pdf", PDF)],
            None,
        )
        .await;
    assert_eq!(doc.status, StatusCode::SEE_OTHER, "{}", doc.body);
    let sha = cellpath_ledger::hash_bytes(PDF);
    let amended = contracts
        .submit(
            &path,
            "amendment-form",
            &format!("{path}/amendments"),
            &[
                ("title", "Amendment 1: courier windows on weekends"),
                ("effective_on", "2026-01-01"),
            ],
            None,
        )
        .await;
    assert_eq!(amended.status, StatusCode::SEE_OTHER, "{}", amended.body);

    let a = stored(&demo, &id).await;
    assert_eq!(
        (
            a.status.as_str(),
            a.effective_on.as_ref().map_or("", |d| d.as_str()),
            a.expires_on.as_ref().map_or("", |d| d.as_str())
        ),
        ("executed", "2025-11-01", "2028-10-31")
    );
    assert_eq!(a.documents[0]["sha256"], sha.as_str());
    assert_eq!(a.documents[0]["bytes"], PDF.len());
    assert_eq!(a.amendments[0]["effective_on"], "2026-01-01");
    let done = contracts.get_saved(&path, Some("agreement-executed")).await;
    assert!(done.body.contains(r#"data-status="executed""#));
    assert!(done.body.contains(&sha));
    // The file links to its download, which both parties get and no one else.
    assert!(
        done.body.contains(&format!(
            r#"href="/documents/{sha}" download="LUH-NORTH supply agreement, signed.pdf""#
        )),
        "{}",
        done.body
    );
    for (email, expected) in [
        ("contracts@helixa.example", StatusCode::OK),
        ("contracts@lakeshore.example", StatusCode::OK),
        ("contracts@northbridge.example", StatusCode::NOT_FOUND),
    ] {
        let mut b = Browser::signed_in(&demo, email).await;
        let (status, media, bytes) = b.download(&format!("/documents/{sha}")).await;
        assert_eq!(status, expected, "{email}");
        if expected == StatusCode::OK {
            assert_eq!((media.as_str(), bytes.as_slice()), ("application/pdf", PDF));
        }
    }
    assert!(
        done.body
            .contains("Amendment 1: courier windows on weekends")
    );
    assert!(done.body.contains(r#"data-redlines="1""#));
    assert!(done.body.contains(r#"<time datetime="2028-10-31">"#));
    // An executed agreement moves only to withdrawn.
    let at = done.body.find(r#"id="move-form""#).expect("a move form");
    let form = &done.body[at..at + done.body[at..].find("</form>").expect("ends")];
    assert!(form.contains(r#"value="withdrawn""#), "{form}");
    assert_eq!(form.matches("<option").count(), 1, "{form}");
    // On the gate page, LUH-NORTH's supply agreement is no longer missing.
    let vantacel = demo.program("Helixa Therapeutics", "Vantacel").await;
    let gate = contracts
        .get(&format!(
            "/partnerships/{}/sites/{}/gate?program={}",
            pship.id, north.id, vantacel.id
        ))
        .await;
    assert!(
        !gate
            .body
            .contains(r#"data-missing="agreement" data-kind="supply_agreement""#),
        "{}",
        gate.body
    );
}

#[tokio::test]
async fn refused_changes_come_back_beside_their_fields_and_nothing_is_stored() {
    let demo = seeded().await;
    let pship = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let north = demo.site("LUH-NORTH").await;
    let quality = agreements(&demo, &pship)
        .await
        .into_iter()
        .find(|a| a.site_id.as_ref() == Some(&north.id))
        .expect("LUH-NORTH's quality agreement, negotiating");
    assert_eq!(quality.status, AgreementStatus::Negotiating);
    let path = format!("/agreements/{}", quality.id);
    let mut contracts = Browser::signed_in(&demo, "contracts@helixa.example").await;

    // Only the moves the status path allows are offered.
    let page = contracts.get(&path).await;
    let at = page.body.find(r#"id="move-form""#).expect("a move form");
    let form = &page.body[at..at + page.body[at..].find("</form>").expect("ends")];
    for offered in ["legal_review", "executed", "withdrawn"] {
        assert!(form.contains(&format!(r#"value="{offered}""#)), "{form}");
    }
    assert!(!form.contains(r#"value="drafting""#), "{form}");

    // A file of another kind, and no file at all, are refused beside the file input.
    let wrong = contracts
        .submit_files(
            &path,
            "document-form",
            &format!("{path}/documents"),
            &[],
            &[("file", "setup.exe", b"MZ\x90\x00\x03\x00\x00\x00")],
            None,
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.body
    );
    let message = wrong.error_beside("file").expect("beside the file");
    assert!(
        message.contains("setup.exe: this kind of file is not kept"),
        "{message}"
    );
    assert!(message.contains("upload a PDF"), "{message}");
    let none = contracts
        .submit_files(
            &path,
            "document-form",
            &format!("{path}/documents"),
            &[],
            &[],
            None,
        )
        .await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        none.error_beside("file")
            .expect("beside the file")
            .contains("choose the file")
    );
    assert_eq!(
        stored(&demo, &quality.id).await.documents,
        quality.documents
    );

    let backwards = contracts
        .submit(
            &path,
            "move-form",
            &format!("{path}/status"),
            &[("status", "drafting")],
            None,
        )
        .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = backwards.error_beside("status").expect("beside the status");
    assert!(
        message.contains("cannot move to drafting") && message.contains("legal review"),
        "{message}"
    );

    let undated = contracts
        .submit(
            &path,
            "move-form",
            &format!("{path}/status"),
            &[("status", "executed")],
            None,
        )
        .await;
    assert_eq!(undated.status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = undated.error_beside("status").expect("beside the status");
    assert!(message.contains("effective date"), "{message}");

    let bad_dates = contracts
        .submit(
            &path,
            "dates-form",
            &format!("{path}/dates"),
            &[("effective_on", "2026-03-01"), ("expires_on", "2026-01-01")],
            None,
        )
        .await;
    assert_eq!(bad_dates.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad_dates
            .error_beside("expires_on")
            .expect("beside the expiry")
            .contains("after the effective date")
    );

    let unchanged = stored(&demo, &quality.id).await;
    assert_eq!(unchanged, quality, "nothing stored");

    // A site-scope agreement names its site.
    let before = agreements(&demo, &pship).await.len();
    let csrf = contracts
        .get(&format!("/partnerships/{}", pship.id))
        .await
        .field("csrf");
    let siteless = contracts
        .post_saved(
            &format!("/partnerships/{}/agreements", pship.id),
            &[
                ("csrf", &csrf),
                ("kind", "quality_agreement"),
                ("scope", "site"),
                ("site_id", ""),
                ("covers", "all_sites"),
            ],
            Some("agreement-start-refused"),
        )
        .await;
    assert_eq!(siteless.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        siteless
            .error_beside("site_id")
            .expect("beside the site")
            .contains("names its site")
    );
    assert!(
        siteless
            .body
            .contains(r#"<details class="start-agreement" open>"#),
        "the form is open again"
    );
    assert_eq!(agreements(&demo, &pship).await.len(), before);
}

#[tokio::test]
async fn withdrawing_an_agreement_suspends_the_site_on_the_record_at_once() {
    let demo = seeded().await;
    let pship = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let main = demo.site("LUH-MAIN").await;
    let supply = agreements(&demo, &pship)
        .await
        .into_iter()
        .find(|a| a.site_id.as_ref() == Some(&main.id) && a.kind == AgreementKind::SupplyAgreement)
        .expect("LUH-MAIN's supply agreement");
    let recorded = |demo: &Demo| {
        let (app, pid, site) = (demo.app.clone(), pship.id.clone(), main.id.clone());
        async move {
            app.store()
                .site_authorizations_of(&pid)
                .await
                .expect("query")
                .into_iter()
                .find(|r| r.site_id == site)
                .expect("LUH-MAIN's authorization is recorded")
                .status
        }
    };
    assert_eq!(recorded(&demo).await, AuthorizationStatus::Authorized);
    let mut contracts = Browser::signed_in(&demo, "contracts@helixa.example").await;
    let path = format!("/agreements/{}", supply.id);
    let unconfirmed = contracts
        .submit(
            &path,
            "move-form",
            &format!("{path}/status"),
            &[("status", "withdrawn")],
            None,
        )
        .await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unconfirmed
            .error_beside("confirm")
            .expect("beside the box")
            .contains("tick this box")
    );
    assert_eq!(
        recorded(&demo).await,
        AuthorizationStatus::Authorized,
        "nothing changed"
    );
    let withdrawn = contracts
        .submit(
            &path,
            "move-form",
            &format!("{path}/status"),
            &[("status", "withdrawn"), ("confirm", "on")],
            None,
        )
        .await;
    assert_eq!(
        withdrawn.status,
        StatusCode::SEE_OTHER,
        "{}",
        withdrawn.body
    );
    // The withdrawal enqueued the gate's review in its own transaction; once the worker runs
    // it, the suspension is on the record.
    assert_eq!(
        recorded(&demo).await,
        AuthorizationStatus::Authorized,
        "not before the job runs"
    );
    demo.app.run_due_jobs().await.expect("the review runs");
    assert_eq!(recorded(&demo).await, AuthorizationStatus::Suspended);
    let page = contracts.get(&path).await;
    assert!(
        !page.body.contains(r#"id="move-form""#),
        "a withdrawn agreement takes no more changes"
    );
}

#[tokio::test]
async fn people_who_may_not_change_agreements_see_no_forms_and_get_403() {
    let demo = seeded().await;
    let pship = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let quality = agreements(&demo, &pship)
        .await
        .into_iter()
        .find(|a| a.status == AgreementStatus::Negotiating)
        .expect("a negotiating agreement");
    let path = format!("/agreements/{}", quality.id);
    for email in ["pharmacy@lakeshore.example", "patient.ops@helixa.example"] {
        let mut b = Browser::signed_in(&demo, email).await;
        let partnership = b.get(&format!("/partnerships/{}", pship.id)).await;
        assert_eq!(partnership.status, StatusCode::OK);
        assert!(
            !partnership.body.contains(r#"id="agreement-form""#),
            "{email}"
        );
        let page = b.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{email} reads it");
        assert!(page.body.contains("Quality agreement"));
        for form in ["move-form", "dates-form", "document-form", "amendment-form"] {
            assert!(
                !page.body.contains(&format!(r#"id="{form}""#)),
                "{email} {form}"
            );
        }
        let csrf = page.field("csrf");
        let v = quality.version.to_string();
        let moved = b
            .post(
                &format!("{path}/status"),
                &[("csrf", &csrf), ("version", &v), ("status", "legal_review")],
            )
            .await;
        assert_eq!(
            moved.status,
            StatusCode::FORBIDDEN,
            "{email}: {}",
            moved.body
        );
        let started = b
            .post(
                &format!("/partnerships/{}/agreements", pship.id),
                &[
                    ("csrf", &csrf),
                    ("kind", "supply_agreement"),
                    ("scope", "health_system"),
                    ("covers", "all_sites"),
                ],
            )
            .await;
        assert_eq!(started.status, StatusCode::FORBIDDEN, "{email}");
    }
    assert_eq!(stored(&demo, &quality.id).await, quality, "nothing stored");
}

#[tokio::test]
async fn a_health_system_agreement_for_named_sites_is_extended_by_joinder() {
    let demo = seeded().await;
    let pship = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let (main, north) = (demo.site("LUH-MAIN").await, demo.site("LUH-NORTH").await);
    let mut contracts = Browser::signed_in(&demo, "contracts@helixa.example").await;
    let csrf = contracts
        .get(&format!("/partnerships/{}", pship.id))
        .await
        .field("csrf");
    let started = contracts
        .post(
            &format!("/partnerships/{}/agreements", pship.id),
            &[
                ("csrf", &csrf),
                ("kind", "supply_agreement"),
                ("scope", "health_system"),
                ("covers", "named"),
                ("coverage", &main.id),
            ],
        )
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let path = started.target();
    let id = path.trim_start_matches("/agreements/").to_string();
    assert_eq!(
        stored(&demo, &id).await.coverage,
        serde_json::json!({ "covers": "named", "site_ids": [main.id] })
    );

    // Only the sites not yet covered are offered.
    let page = contracts.get(&path).await;
    let at = page.body.find(r#"id="join-form""#).expect("a joinder form");
    let form = &page.body[at..at + page.body[at..].find("</form>").expect("ends")];
    assert!(form.contains(&north.id), "{form}");
    assert!(!form.contains(&main.id), "{form}");

    let nothing = contracts
        .submit(&path, "join-form", &format!("{path}/joinders"), &[], None)
        .await;
    assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        nothing
            .error_beside("site_ids")
            .expect("beside the sites")
            .contains("at least one site")
    );
    let joined = contracts
        .submit(
            &path,
            "join-form",
            &format!("{path}/joinders"),
            &[("site_ids", &north.id)],
            None,
        )
        .await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER, "{}", joined.body);
    assert_eq!(
        stored(&demo, &id).await.coverage,
        serde_json::json!({ "covers": "named", "site_ids": [main.id, north.id] })
    );
    let page = contracts.get(&path).await;
    assert!(
        page.body
            .contains(&format!("covers {}, {}", main.name, north.name)),
        "{}",
        page.body
    );
}
