//! A case's labels are scannable: the label page rendered in headless Chromium at 288 dpi
//! (device scale factor 3, near a 300 dpi label printer), each label photographed on its own
//! and decoded by a standard decoder (zxing-cpp, `labels/decode.py`), which must read back
//! exactly the identifiers — the Data Matrix on every label, the Code 128 on a DIN's. Printed,
//! the page is one 100 × 50 mm page per label. The decoder is found through
//! `CELLPATH_ZXING` (a Python with zxing-cpp and Pillow; `.ci/run` installs them in
//! /opt/cellpath-ci-venv); skipped only where it or Chromium is missing and `CI` is not set.

use crate::browser::{ONE_BROWSER, screenshot_dir, sign_in, start_browser_with};
use crate::support::spawn_demo;
use fantoccini::Locator;
use fantoccini::wd::{PrintConfiguration, PrintMargins, PrintSize};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// A Python that can `import zxingcpp` and `PIL`: `CELLPATH_ZXING`, else the CI venv's.
fn decoder() -> Option<PathBuf> {
    let python = std::env::var_os("CELLPATH_ZXING")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/cellpath-ci-venv/bin/python"));
    let works = std::process::Command::new(&python)
        .args(["-c", "import zxingcpp, PIL"])
        .output()
        .is_ok_and(|o| o.status.success());
    works.then_some(python)
}

/// A chain of identity identifier (Data Structure 040), as the manufacturer issues it.
const COI: &str = "&/CHW123426A1B2C3";

/// The demo's case back from the manufacturer holds the bag's DIN and the lot; a coordinator
/// adds the manufacturer's order id for one unit and the therapy's chain of identity
/// identifier. Each label's codes read back as its identifier, and the chain of identity
/// identifier read off its label is the one the bedside verification's scan accepts.
#[tokio::test]
async fn every_label_decodes_to_its_identifier_with_a_standard_decoder() {
    let Some(python) = decoder() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but no Python with zxing-cpp: .ci/run installs it in /opt/cellpath-ci-venv (or set CELLPATH_ZXING)"
        );
        eprintln!("skipped: no Python with zxing-cpp and Pillow (set CELLPATH_ZXING)");
        return;
    };
    let _one = ONE_BROWSER.lock().await;
    let Some(driver) =
        start_browser_with(&["--window-size=1280,1100", "--force-device-scale-factor=3"]).await
    else {
        return;
    };
    let s = spawn_demo().await;
    let token = s.token("coordinator@lakeshore.example").await;
    let site = crate::support::site_id(&s.app, "Lakeshore University Health", "LUH-MAIN").await;
    let cases = s
        .get_json(&format!("/api/v1/sites/{site}/cases"), &token)
        .await;
    let case = cases["items"]
        .as_array()
        .expect("a page of cases")
        .iter()
        .find(|c| c["pseudonym"] == "VAN-LUH-MAIN-0007")
        .expect("the demo's case back from the manufacturer")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let shown = s.get_json(&format!("/api/v1/cases/{case}"), &token).await;
    let unit = shown["units"][0]["key"]
        .as_str()
        .expect("a unit")
        .to_string();
    let added = s
        .http
        .post(s.url(&format!("/api/v1/cases/{case}/actions")))
        .bearer_auth(&token)
        .json(
            &json!({ "action": { "command": "add_identifier", "kind": "manufacturer_order_id",
            "text": "HLX-ORD-40117", "unit": unit } }),
        )
        .send()
        .await
        .unwrap();
    assert!(
        added.status().is_success(),
        "{}",
        added.text().await.unwrap()
    );
    // The chain of identity identifier the manufacturer made for the therapy (Vantacel's
    // scheme carries one): the whole case's, no unit.
    let added = s
        .http
        .post(s.url(&format!("/api/v1/cases/{case}/actions")))
        .bearer_auth(&token)
        .json(
            &json!({ "action": { "command": "add_identifier", "kind": "isbt128_coi",
            "text": COI } }),
        )
        .send()
        .await
        .unwrap();
    assert!(
        added.status().is_success(),
        "{}",
        added.text().await.unwrap()
    );

    let c = &driver.client;
    sign_in(c, &s, "coordinator@lakeshore.example").await;
    c.goto(&s.url(&format!("/cases/{case}/labels")))
        .await
        .unwrap();
    let dir = screenshot_dir();
    std::fs::write(dir.join("labels.png"), c.screenshot().await.unwrap()).unwrap();
    let labels = c
        .find_all(Locator::Css("article.case-label"))
        .await
        .unwrap();
    let mut expected = Vec::new();
    let mut images = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        let data = label.attr("data-barcode").await.unwrap().expect("its data");
        let din = label.attr("data-kind").await.unwrap().as_deref() == Some("isbt128_din");
        let path = dir.join(format!("label-{i}.png"));
        std::fs::write(&path, label.screenshot().await.unwrap()).unwrap();
        let mut codes = BTreeSet::from([("DataMatrix".to_string(), data.clone())]);
        if din {
            codes.insert(("Code128".to_string(), data.clone()));
        }
        expected.push((data, codes));
        images.push(path);
    }
    // The identifiers themselves, as their barcodes carry them (a DIN's flags `00`).
    assert_eq!(
        expected.iter().map(|(d, _)| d.as_str()).collect::<Vec<_>>(),
        ["=W12342600010700", "LOT-HX-24017", "HLX-ORD-40117", COI]
    );

    let out = std::process::Command::new(&python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/e2e/labels/decode.py"
        ))
        .args(&images)
        .output()
        .expect("run the decoder");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decoded: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(decoded.len(), images.len());
    for ((data, codes), got) in expected.iter().zip(&decoded) {
        let read: BTreeSet<(String, String)> = got["codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["format"].as_str().unwrap().to_string(),
                    c["text"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(&read, codes, "the label of {data}: {got}");
    }
    // The chain of identity identifier as the decoder read it off its label, scanned at the
    // bedside verification: it is this case's; another therapy's is refused, in words, and
    // written on the record as a scan mismatch.
    let coi_read = decoded[3]["codes"][0]["text"]
        .as_str()
        .expect("the COI label read back")
        .to_string();
    assert_eq!(coi_read, COI);
    s.app
        .forward_until(&case, "dual_verification_cd4")
        .await
        .unwrap();
    let nurse = s
        .app
        .store()
        .user_by_email("nurse@lakeshore.example")
        .await
        .unwrap()
        .expect("the demo's nurse");
    let nurse = s
        .app
        .caller_for_user(&nurse.id, cellpath_app::access::Via::Session)
        .await
        .unwrap();
    let verify = |text: &str| cellpath_app::cases::CaseInput::Verify {
        step: "dual_verification_cd4".into(),
        scan: Some(cellpath_app::cases::ScanInput {
            expected: cellpath_domain::program::IdentifierKind::Isbt128Coi,
            text: text.into(),
        }),
        fields: Default::default(),
        attestation: None,
    };
    let deviations = |v: &Value| v["deviations"].as_u64().expect("a count of deviations");
    let before = deviations(&s.get_json(&format!("/api/v1/cases/{case}"), &token).await);
    let wrong = s
        .app
        .act_on_case(&nurse, &case, verify("&/CHW123426Z9Y8X7"), "", None, None)
        .await
        .unwrap_err();
    assert!(
        wrong
            .to_string()
            .contains("does not belong to case VAN-LUH-MAIN-0007"),
        "{wrong}"
    );
    s.app
        .act_on_case(&nurse, &case, verify(&coi_read), "", None, None)
        .await
        .unwrap();
    let after = deviations(&s.get_json(&format!("/api/v1/cases/{case}"), &token).await);
    assert_eq!(after, before + 1, "the wrong scan on record as a deviation");

    // A scanned DIN reads back as the case's: its 13 characters and check character.
    assert!(matches!(
        cellpath_domain::identifiers::read(&expected[0].0),
        Ok(cellpath_domain::identifiers::Identifier::Isbt128Din(d)) if d.to_string() == "W1234 26 000107 3"
    ));

    // Printed on 100 × 50 mm labels: one page each, nothing else.
    let pdf = c
        .print(
            PrintConfiguration::builder()
                .size(PrintSize {
                    width: 10.0,
                    height: 5.0,
                })
                .margins(PrintMargins {
                    top: 0.0,
                    bottom: 0.0,
                    left: 0.0,
                    right: 0.0,
                })
                .shrink_to_fit(false)
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    std::fs::write(dir.join("labels.pdf"), &pdf).unwrap();
    // The page tree's `/Count` (Chromium writes it in the clear).
    let text = String::from_utf8_lossy(&pdf);
    let count = text
        .split("/Count")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse::<usize>().ok());
    assert_eq!(count, Some(labels.len()), "one page per label");
    drop(driver);
    s.shutdown().await;
}
