//! Two process maps side by side (two programs, or two versions of one), step by step and
//! grouped by stage, so a site sees how manufacturers differ and a reviewer what a version
//! changed. The matching and order are `process_map::compare`'s; this file only draws them.

use super::{field_label, kind_label, recorded_label, stage_label};
use crate::labels;
use cellpath_domain::process_map::{
    FieldChange, RecordedIn, Stage, Step, StepDiff, StepKind, ValidMap, compare,
};
use maud::{Markup, html};

/// A table with a header row per stage and a row per step: A's step, B's step, and what differs
/// (`same`, `changed` with each field old → new, `only-a`, `only-b`), under a one-line summary.
pub fn comparison(a_title: &str, a: &ValidMap, b_title: &str, b: &ValidMap) -> Markup {
    let diffs = compare(a, b);
    let tally = |f: fn(&StepDiff) -> bool| diffs.iter().filter(|d| f(d)).count();
    let same = tally(|d| matches!(d, StepDiff::Same { .. }));
    let changed = tally(|d| matches!(d, StepDiff::Changed { .. }));
    let only_a = tally(|d| matches!(d, StepDiff::OnlyInA { .. }));
    let only_b = tally(|d| matches!(d, StepDiff::OnlyInB { .. }));

    // `compare` sorts by stage, so each stage's rows are one run.
    let mut groups: Vec<(Stage, Vec<&StepDiff>)> = Vec::new();
    for d in &diffs {
        match groups.last_mut() {
            Some((stage, rows)) if *stage == d.stage() => rows.push(d),
            _ => groups.push((d.stage(), vec![d])),
        }
    }
    html! {
        div.comparison {
            p.comparison-summary {
                span.count.count-same data-count=(same) { strong { (same) } " same" }
                span.count.count-changed data-count=(changed) { strong { (changed) } " changed" }
                span.count.count-only-a data-count=(only_a) { strong { (only_a) } " only in " (a_title) }
                span.count.count-only-b data-count=(only_b) { strong { (only_b) } " only in " (b_title) }
            }
            div.table-scroll {
                table.list.comparison-table {
                    caption.visually-hidden { "Steps of " (a_title) " and " (b_title) ", by stage" }
                    thead {
                        tr {
                            th scope="col" { (a_title) }
                            th scope="col" { (b_title) }
                            th scope="col" { "What differs" }
                        }
                    }
                    @for (stage, rows) in &groups {
                        tbody data-stage=(stage.as_str()) {
                            tr.stage-row {
                                th colspan="3" scope="colgroup" { (stage_label(*stage)) }
                            }
                            @for d in rows {
                                (row(d, a_title, a, b_title, b))
                            }
                        }
                    }
                }
            }
        }
    }
}

fn row(d: &StepDiff, a_title: &str, a: &ValidMap, b_title: &str, b: &ValidMap) -> Markup {
    let key = d.key();
    match d {
        StepDiff::Same { a: sa, b: sb } => html! {
            tr.same data-step=(key) {
                td.side-a { (cell(sa, &[])) }
                td.side-b { (cell(sb, &[])) }
                td.what-differs { span.muted { "Same" } }
            }
        },
        StepDiff::Changed {
            a: sa,
            b: sb,
            fields,
        } => {
            let names: Vec<&str> = fields.iter().map(|f| f.field).collect();
            html! {
                tr.changed data-step=(key) {
                    td.side-a { (cell(sa, &names)) }
                    td.side-b { (cell(sb, &names)) }
                    td.what-differs {
                        ul.field-changes {
                            @for f in fields {
                                li data-field=(f.field) {
                                    span.field { (field_label(f.field)) ": " }
                                    span.old { (long_text(value(f, &f.old, a))) }
                                    span.arrow aria-label="changed to" { " → " }
                                    span.new { (long_text(value(f, &f.new, b))) }
                                }
                            }
                        }
                    }
                }
            }
        }
        StepDiff::OnlyInA { a: sa } => html! {
            tr.only-a data-step=(key) {
                td.side-a { (cell(sa, &[])) }
                td.side-b.absent { "Not in " (b_title) }
                td.what-differs { "Only in " (a_title) }
            }
        },
        StepDiff::OnlyInB { b: sb } => html! {
            tr.only-b data-step=(key) {
                td.side-a.absent { "Not in " (a_title) }
                td.side-b { (cell(sb, &[])) }
                td.what-differs { "Only in " (b_title) }
            }
        },
    }
}

/// A step in one column: its name, then kind, role, who governs it and where it is recorded,
/// with the parts that differ marked.
fn cell(s: &Step, changed: &[&str]) -> Markup {
    let mark = |field: &str| changed.contains(&field).then_some("differs");
    html! {
        div.cmp-name class=[mark("name")] { (s.name) }
        div.cmp-meta {
            span class=[mark("kind")] { (kind_label(s.kind)) }
            " · "
            span class=[mark("role")] { (labels::role(s.role.as_str())) }
            " · "
            @if s.controlled {
                span.cmp-controlled class=[mark("controlled")] {
                    svg.cmp-lock width="12" height="14" viewBox="0 0 12 14" aria-hidden="true" {
                        (super::swimlane::lock(0, 0))
                    }
                    "Controlled"
                }
            } @else {
                span class=[mark("controlled")] { "Site-owned" }
            }
            " · "
            span class=[mark("recorded_in")] { (recorded_label(s.recorded_in)) }
            @if s.optional {
                " · " span class=[mark("optional")] { "optional" }
            }
        }
    }
}

/// Long values (seventeen registry forms) would push the table apart: their start, and the
/// rest a click away.
fn long_text(text: String) -> Markup {
    const SHOWN: usize = 90;
    if text.chars().count() <= SHOWN + 20 {
        return html! { (text) };
    }
    let head: String = text.chars().take(SHOWN).collect();
    html! {
        details.long-value {
            summary { (head.trim_end()) "…" }
            (text)
        }
    }
}

/// A compared value as people read it: vocabulary words as labels, step keys as step names.
fn value(change: &FieldChange, text: &str, map: &ValidMap) -> String {
    let step_name = |k: &str| {
        map.step(k)
            .map_or_else(|| k.to_string(), |s| s.name.clone())
    };
    match change.field {
        "role" => labels::role(text).to_string(),
        "stage" => text
            .parse::<Stage>()
            .map_or_else(|_| text.to_string(), |s| stage_label(s).to_string()),
        "kind" => text
            .parse::<StepKind>()
            .map_or_else(|_| text.to_string(), |k| kind_label(k).to_string()),
        "recorded_in" => text
            .parse::<RecordedIn>()
            .map_or_else(|_| text.to_string(), |r| recorded_label(r).to_string()),
        "after" if text != "—" => text
            .split(", ")
            .map(step_name)
            .collect::<Vec<_>>()
            .join("; "),
        "params.hold_until" if text != "—" => step_name(text),
        _ => text.to_string(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use cellpath_domain::Role;
    use cellpath_domain::process_map::{seeds, validate};

    fn car_t() -> ValidMap {
        let (map, ctx) = seeds::autologous_car_t();
        validate(&map, &ctx).expect("the CAR-T seed is valid")
    }

    fn count(haystack: &str, needle: &str) -> usize {
        haystack.matches(needle).count()
    }

    /// A site version of the CAR-T map: bridging therapy replaced by bridging radiotherapy, and
    /// lymphodepletion (which now follows it) handed to the nurse.
    pub(crate) fn site_version() -> ValidMap {
        let (mut map, ctx) = seeds::autologous_car_t();
        let bridging = map
            .steps
            .iter()
            .position(|s| s.key == "bridging_therapy")
            .expect("the seed has bridging therapy");
        let mut radiation = map.steps.remove(bridging);
        radiation.key = "bridging_radiotherapy".into();
        radiation.name = "Bridging radiotherapy".into();
        map.steps.push(radiation);
        let lympho = map
            .steps
            .iter_mut()
            .find(|s| s.key == "lymphodepletion")
            .expect("the seed has lymphodepletion");
        lympho.after = vec!["bridging_radiotherapy".into()];
        lympho.role = Role::Nurse;
        validate(&map, &ctx).expect("the site version is valid")
    }

    #[test]
    fn a_map_beside_itself_is_the_same_everywhere() {
        let a = car_t();
        let html = comparison("v1", &a, "v1 again", &a).into_string();
        assert_eq!(count(&html, "<tr class=\"same\""), a.steps().len());
        for class in ["changed", "only-a", "only-b"] {
            assert_eq!(
                count(&html, &format!("<tr class=\"{class}\"")),
                0,
                "{class}"
            );
        }
        assert!(html.contains(&format!(
            "data-count=\"{}\"><strong>{}</strong> same",
            a.steps().len(),
            a.steps().len()
        )));
        // one header row per stage, in process order
        let stages: Vec<Stage> = Stage::ALL
            .iter()
            .copied()
            .filter(|st| a.steps().any(|s| s.stage == *st))
            .collect();
        assert_eq!(count(&html, "<tr class=\"stage-row\""), stages.len());
        let positions: Vec<usize> = stages
            .iter()
            .map(|st| {
                html.find(&format!("<tbody data-stage=\"{st}\""))
                    .expect("stage group")
            })
            .collect();
        assert!(positions.is_sorted());
    }

    #[test]
    fn a_site_version_shows_exactly_its_removed_added_and_changed_steps() {
        let a = car_t();
        let b = site_version();
        let html = comparison("Manufacturer map", &a, "Riverside v2", &b).into_string();

        let rows = |class: &str| -> Vec<String> {
            let open = format!("<tr class=\"{class}\" data-step=\"");
            html.match_indices(&open)
                .map(|(i, _)| {
                    let rest = &html[i + open.len()..];
                    rest[..rest.find('"').expect("key closes")].to_string()
                })
                .collect()
        };
        assert_eq!(rows("changed"), ["lymphodepletion"]);
        assert_eq!(rows("only-a"), ["bridging_therapy"]);
        assert_eq!(rows("only-b"), ["bridging_radiotherapy"]);
        assert_eq!(rows("same").len(), a.steps().len() - 2);

        // the role change reads old → new in people's words, and so does the new predecessor
        assert!(html.contains(
            "<li data-field=\"role\"><span class=\"field\">Role: </span><span class=\"old\">Physician</span>"
        ));
        assert!(html.contains("<span class=\"new\">Nurse</span>"));
        assert!(html.contains("<span class=\"old\">Bridging therapy</span>"));
        assert!(html.contains("<span class=\"new\">Bridging radiotherapy</span>"));
        assert!(html.contains("Not in Riverside v2"));
        assert!(html.contains("Only in Manufacturer map"));
        assert!(html.contains("<strong>1</strong> changed"));
        assert!(html.contains("<strong>1</strong> only in Manufacturer map"));
        assert!(html.contains("<strong>1</strong> only in Riverside v2"));
    }

    #[test]
    fn titles_and_step_names_are_escaped() {
        let (mut map, ctx) = seeds::in_vivo_gene_therapy();
        map.steps[0].name = "<script>alert(1)</script>".into();
        let b = validate(&map, &ctx).expect("still valid");
        let (map, ctx) = seeds::in_vivo_gene_therapy();
        let a = validate(&map, &ctx).expect("valid");
        let html = comparison("<i>A</i>", &a, "B & co", &b).into_string();
        assert!(
            !html.contains("<script>") && !html.contains("<i>"),
            "{html}"
        );
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("B &amp; co"));
    }
}
