//! The layers of ARCHITECTURE.md, read from the crate graph (`cargo metadata`): a crate that
//! starts to depend on one it must not fails here, before review.

use std::collections::{BTreeMap, BTreeSet};

/// What each workspace crate may depend on (normal dependencies; dev-dependencies are the
/// tests' business). The pure crates also name every outside crate they may use, so IO, async
/// or a clock cannot creep in through a dependency.
/// (crate, the workspace crates it may use, the outside crates it may use: any when `None`)
type Rule = (
    &'static str,
    &'static [&'static str],
    Option<&'static [&'static str]>,
);

const RULES: &[Rule] = &[
    // utoipa only behind the optional `openapi` feature, for its derives
    // (`a_pure_crate_takes_utoipa_only_as_an_option`).
    (
        "cellpath-domain",
        &[],
        Some(&["serde", "thiserror", "utoipa"]),
    ),
    (
        "cellpath-ledger",
        &[],
        // What a partner needs to build a verifier from this crate alone.
        Some(&["hex", "serde", "serde_json", "sha2", "thiserror"]),
    ),
    (
        "cellpath-planning",
        &[],
        Some(&["rand_core", "rand_pcg", "serde", "thiserror", "toml"]),
    ),
    (
        "cellpath-store",
        &["cellpath-domain", "cellpath-ledger"],
        None,
    ),
    (
        "cellpath-app",
        &[
            "cellpath-domain",
            "cellpath-ledger",
            "cellpath-planning",
            "cellpath-store",
        ],
        None,
    ),
    // The store is sealed: web, server and cli reach the database only through `app`'s
    // commands, queries and view types, not even as a dev-dependency (their tests use
    // `cellpath_app::testing`, see `the_store_is_sealed`).
    (
        "cellpath-web",
        &["cellpath-app", "cellpath-domain", "cellpath-ledger"],
        None,
    ),
    (
        "cellpath-server",
        &[
            "cellpath-app",
            "cellpath-domain",
            "cellpath-ledger",
            "cellpath-web",
        ],
        None,
    ),
    (
        "cellpath-cli",
        &[
            "cellpath-app",
            "cellpath-domain",
            "cellpath-ledger",
            "cellpath-planning",
            "cellpath-server",
        ],
        None,
    ),
];

/// One dependency as `cargo metadata` lists it.
struct Dep {
    name: String,
    /// `None` for a normal dependency, else "dev" or "build".
    kind: Option<String>,
    features: Vec<String>,
    optional: bool,
}

/// Each workspace crate's dependencies of every kind, from `cargo metadata`.
fn all_dependencies() -> BTreeMap<String, Vec<Dep>> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root)
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| Dep {
                    name: d["name"].as_str().unwrap().to_string(),
                    kind: d["kind"].as_str().map(str::to_string),
                    features: d["features"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|f| f.as_str().unwrap().to_string())
                        .collect(),
                    optional: d["optional"].as_bool().unwrap_or(false),
                })
                .collect();
            (p["name"].as_str().unwrap().to_string(), deps)
        })
        .collect()
}

/// Each workspace crate's normal dependencies (dev-dependencies are the tests' business).
fn crate_graph() -> BTreeMap<String, BTreeSet<String>> {
    all_dependencies()
        .into_iter()
        .map(|(name, deps)| {
            let normal = deps
                .into_iter()
                .filter(|d| d.kind.is_none())
                .map(|d| d.name)
                .collect();
            (name, normal)
        })
        .collect()
}

/// The domain builds and stays pure without utoipa: the API's schema derives come only with
/// its optional `openapi` feature, which `app` and `server` enable.
#[test]
fn a_pure_crate_takes_utoipa_only_as_an_option() {
    let deps = all_dependencies();
    for name in ["cellpath-domain", "cellpath-ledger", "cellpath-planning"] {
        for d in deps[name].iter().filter(|d| d.name == "utoipa") {
            assert!(d.optional, "{name} takes utoipa, but not as an option");
        }
    }
}

/// Above `app` nothing reaches the store: not as a dependency of any kind, and not through
/// the app's `testing` feature (the store lent to tests) in anything that ships.
#[test]
fn the_store_is_sealed() {
    let mut wrong = Vec::new();
    for (name, deps) in all_dependencies() {
        for d in &deps {
            let kind = d.kind.as_deref().unwrap_or("normal");
            if ["cellpath-web", "cellpath-server", "cellpath-cli"].contains(&name.as_str())
                && d.name == "cellpath-store"
            {
                wrong.push(format!("{name} depends on cellpath-store ({kind})"));
            }
            if d.name == "cellpath-app"
                && d.kind.as_deref() != Some("dev")
                && d.features.iter().any(|f| f == "testing")
            {
                wrong.push(format!(
                    "{name} enables cellpath-app's testing feature outside its dev-dependencies"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the store is not sealed:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_crate_depends_only_on_the_layers_below_it() {
    let graph = crate_graph();
    let ruled: BTreeSet<&str> = RULES.iter().map(|(name, _, _)| *name).collect();
    let unruled: Vec<&String> = graph
        .keys()
        .filter(|k| !ruled.contains(k.as_str()))
        .collect();
    assert!(
        unruled.is_empty(),
        "crates with no rule here (add one, and to ARCHITECTURE.md): {unruled:?}"
    );
    let mut wrong = Vec::new();
    for (name, workspace, outside) in RULES {
        let deps = graph
            .get(*name)
            .unwrap_or_else(|| panic!("{name} is not in the workspace"));
        for dep in deps {
            let allowed = if dep.starts_with("cellpath-") {
                workspace.contains(&dep.as_str())
            } else {
                outside.is_none_or(|list| list.contains(&dep.as_str()))
            };
            if !allowed {
                wrong.push(format!("{name} depends on {dep}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "dependencies that break the layers of ARCHITECTURE.md:\n{}",
        wrong.join("\n")
    );
}
