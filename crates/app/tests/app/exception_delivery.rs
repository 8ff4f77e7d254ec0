//! A release exception's tiers reach the outbox (issue 13, point 4 joined to points 2-3):
//! the tier told at the opening goes to each side's webhook endpoints that want
//! `release_exception`, in the same command, and an escalation to a tier told only by phone
//! sends nothing; no patient detail leaves in the message.

use crate::exception_protocols::agree_protocol;
use crate::support::*;
use crate::webhooks::receiver;
use cellpath_app::release_exceptions::OpenReleaseException;
use cellpath_domain::release_exception::{ExceptionKind, HOUR};
use cellpath_store::testing::TestDb;

#[tokio::test]
async fn the_first_tier_reaches_each_sides_webhook_and_a_phone_tier_sends_nothing() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let case = stored_case(&app, &ids).await;
        agree_protocol(&app, &ids).await;
        app.run_due_jobs().await.unwrap();
        let (hs_url, hs_got) = receiver(|_| 200).await;
        let (mfr_url, mfr_got) = receiver(|_| 200).await;
        let (other_url, other_got) = receiver(|_| 200).await;
        for (admin, url, kinds) in [
            (
                "admin@lakeshore.example",
                &hs_url,
                vec!["release_exception"],
            ),
            ("admin@helixa.example", &mfr_url, vec![]),
            // Wants only reminders: not told of the exception.
            (
                "admin@lakeshore.example",
                &other_url,
                vec!["expiry_reminder"],
            ),
        ] {
            let admin = as_user(&app, admin).await;
            let kinds: Vec<String> = kinds.into_iter().map(String::from).collect();
            app.create_webhook_endpoint(&admin, url, &kinds, None)
                .await
                .unwrap();
        }
        let quality = as_user(&app, "quality@helixa.example").await;
        let opened = app
            .open_release_exception(
                &quality,
                &case,
                OpenReleaseException {
                    kind: ExceptionKind::OutOfSpecification,
                    certificate_reference: "QA-2026-0201 viability 61 %".into(),
                    certificate_sha256: "cd".repeat(32),
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        app.run_due_jobs().await.unwrap();
        for got in [&hs_got, &mfr_got] {
            let all = got.all();
            assert_eq!(all.len(), 1, "one message to each side");
            let body: serde_json::Value = serde_json::from_slice(&all[0].3).unwrap();
            let text = body.to_string();
            assert!(text.contains("out of specification"), "{text}");
            assert!(text.contains(&format!("/cases/{case}")), "{text}");
            assert!(
                text.contains(&opened.id),
                "the source names the exception: {text}"
            );
        }
        assert!(other_got.all().is_empty());
        // No patient detail leaves: the case's patient is named on the health system's
        // ledger only; the message carries the case id and the link.
        let hs_text = String::from_utf8(hs_got.all()[0].3.clone()).unwrap();
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        let seen = app.case(&coordinator, &case).await.unwrap();
        let name = seen
            .patient
            .expect("the site's coordinator sees the patient")
            .name;
        assert!(!hs_text.contains(&name), "{hs_text}");
        // Tier 2 is told by phone (the usual protocol): the escalation records it and sends
        // nothing more.
        clock.advance_secs(9 * HOUR / 1_000_000);
        app.run_due_jobs().await.unwrap();
        let row = app
            .store()
            .release_exceptions_of_case(&case)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(row.tier_reached, 1, "escalated");
        assert_eq!(hs_got.all().len(), 1);
        assert_eq!(mfr_got.all().len(), 1);
    }
}
