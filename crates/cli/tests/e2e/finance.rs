//! `cellpath finance` on every configured database: a partnership's payment terms in words
//! (`terms`), its invoices with where each stands (`invoices [--status]`: the binary's clock
//! is today, so the demo's invoice from November 2025 is overdue), and a payment recorded by
//! the health system's finance (`settle --by`) — refused with one line and exit 2 for an
//! amount that is no amount, more than is open, or the wrong side's kind of money.

use crate::support::{
    as_user, cellpath_on, helixa_lakeshore, spawn_each, stderr, stdout, vantacel,
};
use cellpath_app::finance::terms::NewTerms;
use cellpath_domain::finance::TermsInput;
use serde_json::Value;

#[tokio::test]
async fn the_operator_reads_terms_and_invoices_and_a_payment_is_recorded_by_its_person() {
    for s in spawn_each().await {
        let partnership = helixa_lakeshore(&s.app).await;
        let program = vantacel(&s.app).await;
        let maker = as_user(&s.app, "finance@helixa.example").await;
        s.app
            .propose_payment_terms(
                &maker,
                &partnership,
                NewTerms {
                    program_id: program,
                    terms: TermsInput {
                        effective_on: "2020-01-01".into(),
                        price_cents: 47_500_000,
                        basis: "infusion".into(),
                        net_days: 30,
                        not_infused_credit_percent: 100,
                        ..TermsInput::default()
                    },
                },
                None,
            )
            .await
            .unwrap();
        let run = |args: &[&str]| cellpath_on(&s.db.url, args, None);

        let out = run(&["finance", "terms", "--partnership", &partnership]);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out);
        for words in [
            "Vantacel",
            "$475,000.00",
            "at infusion",
            "in force",
            "100 %",
        ] {
            assert!(text.contains(words), "{words}: {text}");
        }
        let out = run(&["finance", "terms", "--partnership", &partnership, "--json"]);
        let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(
            json["terms"][0]["terms"]["price_cents"], 47_500_000,
            "{json}"
        );

        let case = s.infused_case().await;
        crate::support::invoice_made(&s.app, &case).await;
        let out = run(&["finance", "invoices", "--partnership", &partnership]);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out);
        assert!(
            text.contains("VAN-LUH-MAIN-0007") && text.contains("overdue"),
            "{text}"
        );
        let out = run(&[
            "finance",
            "invoices",
            "--partnership",
            &partnership,
            "--json",
        ]);
        let invoices: Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(invoices[0]["case_id"], case.as_str());
        let invoice = invoices[0]["id"].as_str().unwrap().to_string();
        let basis_on = invoices[0]["basis_on"].as_str().unwrap().to_string();
        let out = run(&[
            "finance",
            "invoices",
            "--partnership",
            &partnership,
            "--status",
            "settled",
        ]);
        assert!(stdout(&out).contains("no invoices stand this way"));

        let settle = |amount: &str, kind: &str, by: &str| {
            run(&[
                "finance", "settle", &invoice, "--kind", kind, "--amount", amount, "--on",
                &basis_on, "--by", by,
            ])
        };
        for (out, says) in [
            (
                settle("lots", "payment", "finance@lakeshore.example"),
                "--amount",
            ),
            (
                settle("475000.01", "payment", "finance@lakeshore.example"),
                "amount_cents",
            ),
            (
                settle("100", "payment", "finance@helixa.example"),
                "recorded by the health system",
            ),
            (settle("100", "payment", "nurse@lakeshore.example"), ""),
        ] {
            assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
            let err = stderr(&out);
            assert_eq!(err.trim().lines().count(), 1, "{err}");
            assert!(err.contains(says), "{says}: {err}");
        }
        let out = settle("475,000", "payment", "finance@lakeshore.example");
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stdout(&out).contains("$0.00 still open"),
            "{}",
            stdout(&out)
        );
        let out = run(&[
            "finance",
            "invoices",
            "--partnership",
            &partnership,
            "--status",
            "settled",
        ]);
        assert!(
            stdout(&out).contains("VAN-LUH-MAIN-0007"),
            "{}",
            stdout(&out)
        );
        s.shutdown().await;
    }
}
