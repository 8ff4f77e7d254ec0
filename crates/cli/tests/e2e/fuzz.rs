//! The OpenAPI document against the API itself: `schemathesis` (PyPI, pinned and installed by
//! `.ci/run` in /opt/cellpath-ci-venv) generates requests from the document for every
//! operation and checks that the server never fails, answers only documented statuses with
//! bodies that match their schemas, and accepts every request the document says is valid.
//! Skipped only where schemathesis is not installed and `CI` is not set.

use crate::support::spawn_demo;

/// schemathesis: `CELLPATH_SCHEMATHESIS`, the CI venv, or `schemathesis` on the PATH.
fn schemathesis() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("CELLPATH_SCHEMATHESIS") {
        return Some(p.into());
    }
    let venv = std::path::PathBuf::from("/opt/cellpath-ci-venv/bin/schemathesis");
    if venv.is_file() {
        return Some(venv);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("schemathesis"))
            .find(|p| p.is_file())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_holds_under_schemathesis() {
    let Some(bin) = schemathesis() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but schemathesis is not installed: .ci/run installs it in /opt/cellpath-ci-venv"
        );
        eprintln!("skipped: schemathesis is not installed (pip install schemathesis)");
        return;
    };
    // A fresh database with the demo in it: the fuzzer writes.
    let s = spawn_demo().await;
    let token = s.token("admin@lakeshore.example").await;
    let report = tempfile::tempdir().unwrap();
    let here = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/schemathesis");
    let out = tokio::process::Command::new(&bin)
        .arg("--config-file")
        .arg(format!("{here}/schemathesis.toml"))
        .arg("run")
        .arg(s.url("/api/openapi.json"))
        .args(["--url", &s.base])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,response_schema_conformance,positive_data_acceptance",
        ])
        .args(["--max-examples", "20", "--seed", "1", "--workers", "2"])
        .args(["--generation-database", "none", "--request-timeout", "20"])
        .args(["--no-color", "--output-truncate", "false"])
        .arg("--report-dir")
        .arg(report.path())
        .env("SCHEMATHESIS_HOOKS", "cellpath_hooks")
        .env("PYTHONPATH", here)
        // Its caches go to the temporary directory, not the source tree.
        .current_dir(report.path())
        .kill_on_drop(true)
        .output()
        .await
        .expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{stdout}\n{stderr}"
    );
    s.shutdown().await;
}
