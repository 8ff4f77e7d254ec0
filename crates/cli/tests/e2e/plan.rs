//! `cellpath plan contracting` as a program manager uses it: the example file gives each
//! site's day and what dual-track saves, in a table and in JSON; a broken plan is one line on
//! stderr and a non-zero exit. No database involved.

use crate::support::{cellpath, stderr, stdout};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/examples/plan.toml");

#[test]
fn a_program_manager_compares_dual_track_with_sequential_contracting() {
    let out = cellpath(
        &[
            "plan",
            "contracting",
            "--file",
            EXAMPLE,
            "--compare",
            "--json",
            "--threads",
            "2",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["deterministic"]["sites"]["north"], 145);
    assert_eq!(v["deterministic"]["last_site"], 145);
    assert_eq!(
        v["deterministic"]["critical_path"],
        serde_json::json!(["msa", "north:quality", "north:workflows"])
    );
    let mc = &v["monte_carlo"];
    assert!(mc["sites"]["east"]["p50"].as_i64() <= mc["sites"]["east"]["p90"].as_i64());
    assert!(mc["last_site"]["p90"].is_i64());
    assert_eq!(
        v["compare"]["days_saved"]["last_site"]["deterministic"],
        130
    );

    // The same numbers on one thread.
    let one = cellpath(
        &[
            "plan",
            "contracting",
            "--file",
            EXAMPLE,
            "--json",
            "--threads",
            "1",
        ],
        None,
    );
    let w: serde_json::Value = serde_json::from_slice(&one.stdout).expect("JSON on stdout");
    assert_eq!(w["monte_carlo"], v["monte_carlo"]);

    let table = cellpath(
        &["plan", "contracting", "--file", EXAMPLE, "--compare"],
        None,
    );
    let text = stdout(&table);
    assert!(
        text.contains("dual-track authorizes the last site 130 days sooner"),
        "{text}"
    );
}

#[test]
fn a_broken_plan_is_one_line_on_stderr() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("plan.toml");
    std::fs::write(
        &file,
        "strategy = \"dual_track\"\nseed = 1\nsites = [\"north\"]\n\n[[agreement]]\nid = \"msa\"\nscope = \"health_system\"\ndays = [30, 60, 120]\nafter = [\"quality\"]\n\n[[agreement]]\nid = \"quality\"\nscope = \"site\"\ndays = [20, 45, 90]\nafter = [\"msa\"]\n",
    )
    .expect("write the plan");
    let out = cellpath(
        &[
            "plan",
            "contracting",
            "--file",
            file.to_str().expect("utf-8 path"),
        ],
        None,
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("cycle: msa → quality → msa"), "{err}");
}
