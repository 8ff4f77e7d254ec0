//! Pictures of process maps, drawn on the server as inline SVG and HTML (no JavaScript): the
//! swimlane a pharmacy director reads at a glance, and two maps side by side. Each takes a
//! `ValidMap` and returns markup; pages decide where it goes.
//!
//! **API Boundary:** [`swimlane::swimlane`] (with its [`swimlane::SiteOverlay`]),
//! [`swimlane::scan_burden_badge`] and [`comparison::comparison`]. Their classes are styled in
//! the "charts" section at the end of `static/app.css`.

pub mod cashflow;
pub mod comparison;
pub mod figures;
pub mod gantt;
mod route;
pub mod swimlane;
mod text;

use cellpath_domain::process_map::{RecordedIn, Stage, StepKind};

/// Stage names as people read them (the lane labels and the comparison's group headers).
pub fn stage_label(stage: Stage) -> &'static str {
    match stage {
        Stage::Procurement => "Procurement",
        Stage::Storage => "Storage",
        Stage::Prescribing => "Prescribing",
        Stage::Verification => "Verification",
        Stage::Preparation => "Preparation",
        Stage::Administration => "Administration",
        Stage::Monitoring => "Monitoring",
        Stage::Evaluation => "Evaluation",
    }
}

pub fn kind_label(kind: StepKind) -> &'static str {
    match kind {
        StepKind::Record => "Record",
        StepKind::CustodyHandoff => "Custody handoff",
        StepKind::ReleaseDecision => "Release decision",
        StepKind::Schedule => "Schedule",
        StepKind::Signature => "Signature",
        StepKind::DualVerification => "Dual verification",
        StepKind::HoldPoint => "Hold point",
        StepKind::Thaw => "Thaw",
        StepKind::Administer => "Administer",
        StepKind::Monitor => "Monitor",
        StepKind::FollowUp => "Follow-up",
        StepKind::Checklist => "Checklist",
    }
}

/// Short, for a box or a badge: "cellpath" or "EHR".
pub fn recorded_label(recorded: RecordedIn) -> &'static str {
    match recorded {
        RecordedIn::Cellpath => "cellpath",
        RecordedIn::Ehr => "EHR",
    }
}

/// Long, for a tooltip or a legend.
pub fn recorded_sentence(recorded: RecordedIn) -> &'static str {
    match recorded {
        RecordedIn::Cellpath => "Recorded in cellpath",
        RecordedIn::Ehr => "Charted in the EHR; cellpath takes an attestation with its reference",
    }
}

/// A compared field's name (`params.window_minutes`) as people read it ("Window (minutes)").
pub fn field_label(field: &str) -> &str {
    match field {
        "name" => "Name",
        "stage" => "Stage",
        "kind" => "Kind",
        "role" => "Role",
        "after" => "Comes after",
        "controlled" => "Controlled",
        "recorded_in" => "Recorded in",
        "optional" => "Optional",
        "params.fields" => "Fields",
        "params.signatures" => "Signatures",
        "params.unit" => "Product unit",
        "params.window_minutes" => "Window (minutes)",
        "params.monitoring_days" => "Monitoring (days)",
        "params.follow_up" => "Follow-up forms",
        "params.visits" => "Follow-up visits",
        "params.track" => "Registry track",
        "params.scan" => "Scan checkpoint",
        "params.hold_until" => "Held until",
        "params.items" => "Checklist items",
        "params.location" => "Location",
        other => other,
    }
}

/// To look at the charts in a browser: writes `/tmp/swimlane.html` (the page width people get),
/// `/tmp/swimlane-app.html` (the same inside the app's top bar and sidebar, which leave the
/// diagram less room) and `/tmp/swimlane-full.html` (unbounded), with the stylesheet inlined.
/// `cargo test -p cellpath-web charts::preview -- --ignored`, then e.g.
/// `chromium --headless --no-sandbox --disable-gpu --screenshot=/tmp/swimlane.png
/// --window-size=1280,900 file:///tmp/swimlane.html`.
#[cfg(test)]
mod preview {
    use super::comparison::{comparison, tests::site_version};
    use super::swimlane::{SiteOverlay, scan_burden_badge, swimlane, tests::demo_overlay};
    use cellpath_domain::process_map::{ValidMap, scan_burden, seeds, validate};
    use maud::{DOCTYPE, Markup, PreEscaped, html};

    fn valid(
        (map, ctx): (
            cellpath_domain::process_map::ProcessMap,
            cellpath_domain::process_map::MapContext,
        ),
    ) -> ValidMap {
        validate(&map, &ctx).expect("seed is valid")
    }

    #[derive(Clone, Copy, PartialEq)]
    enum Frame {
        /// The content column alone.
        Column,
        /// Inside the app's top bar and sidebar.
        App,
        /// No width limit.
        Full,
    }

    fn page(frame: Frame) -> Markup {
        let car_t = valid(seeds::autologous_car_t());
        let in_vivo = valid(seeds::in_vivo_gene_therapy());
        let overlay = demo_overlay();
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    title { "charts preview" }
                    // The project's own stylesheet, trusted text from the repository.
                    style { (PreEscaped(include_str!("../../static/app.css"))) }
                    @if frame == Frame::Full { style { "body.app main#main { max-width: none; }" } }
                }
                body.app {
                    @if frame == Frame::App {
                        header.topbar { a.brand href="#" { span.brand-mark { "◆" } " cellpath" } }
                        div.shell {
                            nav.sidebar { ul { li { a.current href="#" { "Programs" } } li { a href="#" { "Sites" } } } }
                            main #main { (content(&car_t, &in_vivo, &overlay)) }
                        }
                    } @else {
                        main #main { (content(&car_t, &in_vivo, &overlay)) }
                    }
                }
            }
        }
    }

    fn content(car_t: &ValidMap, in_vivo: &ValidMap, overlay: &SiteOverlay) -> Markup {
        let burden = |m: &ValidMap| scan_burden(m.as_map(), &m.context().units);
        html! {
            h1 { "Autologous CAR-T " (scan_burden_badge(&burden(car_t))) }
            section.panel { (swimlane(car_t, None)) }
            h2 { "As refined at Riverside Medical Center (v2)" }
            section.panel { (swimlane(car_t, Some(overlay))) }
            h1 { "In vivo gene therapy " (scan_burden_badge(&burden(in_vivo))) }
            section.panel { (swimlane(in_vivo, None)) }
            h2 { "CAR-T beside the in vivo gene therapy" }
            section.panel { (comparison("Autologous CAR-T", car_t, "In vivo gene therapy", in_vivo)) }
            h2 { "Manufacturer map beside Riverside v2" }
            section.panel { (comparison("Manufacturer map", car_t, "Riverside v2", &site_version())) }
        }
    }

    #[test]
    #[ignore = "writes /tmp/swimlane.html to look at in a browser"]
    fn write_preview() {
        for (path, frame) in [
            ("/tmp/swimlane.html", Frame::Column),
            ("/tmp/swimlane-app.html", Frame::App),
            ("/tmp/swimlane-full.html", Frame::Full),
        ] {
            std::fs::write(path, page(frame).into_string()).expect("write preview");
        }
    }
}
