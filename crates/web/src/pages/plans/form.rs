//! The planner's forms: the plan as rows a person edits (sites, seed, iterations, capacity,
//! one row per item), what a posted rows form holds, and the help beside the TOML box.

use super::{HELP_EXAMPLE, MAX_ROWS};
use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field, hidden};
use crate::session::Ctx;
use cellpath_app::plans::{PlanForm, PlanRow, row_field};
use maud::{Markup, html};

/// The rows as posted: `rows` of them, numbered from 0.
pub(super) fn posted_rows(form: &FormData) -> PlanForm {
    let count: usize = form.get("rows").trim().parse().unwrap_or(0).min(MAX_ROWS);
    let cell = |i: usize, column: &str| form.get(&row_field(i, column)).to_string();
    PlanForm {
        sites: form.get("sites").to_string(),
        seed: form.get("seed").to_string(),
        iterations: form.get("iterations").to_string(),
        capacity: form.get("capacity").to_string(),
        rows: (0..count)
            .filter(|&i| form.has(&row_field(i, "id")))
            .map(|i| PlanRow {
                id: cell(i, "id"),
                scope: cell(i, "scope"),
                after: cell(i, "after"),
                min: cell(i, "min"),
                likely: cell(i, "likely"),
                max: cell(i, "max"),
            })
            .collect(),
    }
}

/// The messages of the rows form that sit beside no field shown (e.g. "no agreements").
pub(super) fn rows_summary(rows: &PlanForm, errors: &FormErrors) -> Markup {
    let values = FormData::default();
    let view = FormView::new(&values, errors, "rows");
    let mut shown: Vec<String> = ["sites", "seed", "iterations", "capacity"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for i in 0..rows.rows.len() {
        for column in ["id", "scope", "after", "min", "likely", "max"] {
            shown.push(row_field(i, column));
        }
    }
    let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
    view.summary(&shown)
}

pub(super) fn rows_values(rows: &PlanForm) -> FormData {
    let mut pairs: Vec<(String, String)> = vec![
        ("sites".into(), rows.sites.clone()),
        ("seed".into(), rows.seed.clone()),
        ("iterations".into(), rows.iterations.clone()),
        ("capacity".into(), rows.capacity.clone()),
    ];
    for (i, row) in rows.rows.iter().enumerate() {
        for (column, value) in [
            ("id", &row.id),
            ("scope", &row.scope),
            ("after", &row.after),
            ("min", &row.min),
            ("likely", &row.likely),
            ("max", &row.max),
        ] {
            pairs.push((row_field(i, column), value.clone()));
        }
    }
    FormData::from_pairs(pairs)
}

/// One input of a row, with its message under it.
pub(super) fn cell(
    view: &FormView,
    values: &FormData,
    errors: &FormErrors,
    name: &str,
    label: String,
    days: bool,
) -> Markup {
    let invalid = errors.has_field(name);
    let id = format!("rows-{name}");
    html! {
        td.has-error[invalid] {
            input id=(id) name=(name) type="text" value=(values.get(name)) aria-label=(label)
                inputmode=[days.then_some("decimal")]
                aria-invalid=[invalid.then_some("true")]
                aria-describedby=[invalid.then(|| format!("{id}-error"))];
            (view.field_errors(name))
        }
    }
}

pub(super) fn rows_form(ctx: &Ctx, rows: &PlanForm, errors: &FormErrors, toml: &str) -> Markup {
    let values = rows_values(rows);
    let view = FormView::new(&values, errors, "rows");
    html! {
        form #rows-form method="post" action="/plans#results" novalidate {
            (csrf_field(ctx.csrf()))
            (hidden("mode", "rows"))
            (hidden("rows", rows.rows.len()))
            // The TOML box's text rides along, so adding a row does not lose it.
            (hidden("plan", toml))
            // The first submit button is the one Enter presses.
            button.visually-hidden type="submit" name="op" value="plan" tabindex="-1" aria-hidden="true" { "Plan" }
            div.plan-settings {
                (view.input("Sites", "sites", Input::Text, Some("The health system's sites, separated by commas, e.g. north, south.")))
                (view.input("Seed", "seed", Input::Number, Some("The same seed always gives the same numbers.")))
                (view.input("Simulated runs", "iterations", Input::Number, Some("10000 is a good default.")))
                (view.input("Items in negotiation at once", "capacity", Input::Number, Some("0: unlimited; K: one legal team handles at most K.")))
            }
            div.table-scroll { table.list.plan-rows #plan-rows {
                thead {
                    tr {
                        th scope="col" { "Item" }
                        th scope="col" { "Executed" }
                        th scope="col" { "Comes after" }
                        th.num scope="col" { "Min days" }
                        th.num scope="col" { "Most likely" }
                        th.num scope="col" { "Max days" }
                        th scope="col" { span.visually-hidden { "Remove" } }
                    }
                }
                tbody {
                    @for (i, row) in rows.rows.iter().enumerate() {
                        @let item = if row.id.trim().is_empty() { format!("item {}", i + 1) } else { row.id.trim().to_string() };
                        tr data-row=(i) {
                            (cell(&view, &values, errors, &row_field(i, "id"), format!("Item {} id", i + 1), false))
                            @let scope = row_field(i, "scope");
                            td.has-error[errors.has_field(&scope)] {
                                select id={ "rows-" (scope) } name=(scope) aria-label={ "How " (item) " is executed" }
                                    aria-invalid=[errors.has_field(&scope).then_some("true")] {
                                    option value="health_system" selected[row.scope == "health_system"] { "Once for the health system" }
                                    option value="site" selected[row.scope == "site"] { "At each site" }
                                }
                                (view.field_errors(&scope))
                            }
                            (cell(&view, &values, errors, &row_field(i, "after"), format!("What {item} comes after"), false))
                            (cell(&view, &values, errors, &row_field(i, "min"), format!("Minimum days of {item}"), true))
                            (cell(&view, &values, errors, &row_field(i, "likely"), format!("Most likely days of {item}"), true))
                            (cell(&view, &values, errors, &row_field(i, "max"), format!("Maximum days of {item}"), true))
                            td {
                                button.secondary.small type="submit" name="op" value={ "remove-" (i) } aria-label={ "Remove " (item) } { "Remove" }
                            }
                        }
                    }
                }
            } }
            p.hint { "“Comes after” names earlier items by id, separated by commas; at a site, it means the same site's item." }
            div.actions {
                button.primary type="submit" name="op" value="plan" { "Plan both strategies" }
                " "
                button.secondary type="submit" name="op" value="add" { "Add an item" }
                " "
                button.secondary type="submit" name="op" value="toml" { "Copy into the TOML box" }
            }
        }
    }
}

pub(super) fn explanation() -> Markup {
    html! {
        aside.plan-help aria-label="The plan file's fields" {
            h3 { "What the file says" }
            p { "Exactly these keys; any other is refused." }
            dl {
                dt { code { "strategy" } " (required)" } dd { code { "\"dual_track\"" } " or " code { "\"sequential\"" } ". This page plans both and shows them side by side." }
                dt { code { "seed" } " (required)" } dd { "A whole number ≥ 0 for the Monte Carlo: the same seed always gives the same numbers." }
                dt { code { "iterations" } } dd { "Simulated runs, 1 to 1,000,000; 10000 when left out." }
                dt { code { "capacity" } } dd { code { "0" } " (when left out): unlimited; " code { "K" } ": at most K items in negotiation at once (one legal team)." }
                dt { code { "sites" } " (required)" } dd { "The health system's sites, at least one, e.g. " code { "[\"north\", \"south\"]" } "." }
                dt { code { "[[agreement]]" } } dd { "One agreement or gate deliverable, at least one; the file order must be a valid order. Each has:" }
                dt { code { "id" } } dd { "Its short name, unique: letters, digits, " code { "_" } " and " code { "-" } "." }
                dt { code { "scope" } } dd { code { "\"health_system\"" } ": executed once for every site (the central track); " code { "\"site\"" } ": one per site." }
                dt { code { "days" } } dd { "Three-point estimate " code { "[min, most likely, max]" } " in days, from 0 to 3650, min ≤ most likely ≤ max." }
                dt { code { "after" } } dd { "Ids of earlier entries it waits for (none when left out); a site entry naming a site entry means the same site's; a health-system entry waits only for health-system entries." }
            }
            p.hint { "Days count from day 0, the start of contracting, and are shown rounded up to whole days." }
            h3 { "A small file" }
            pre.plan-example #plan-example { code { (HELP_EXAMPLE) } }
        }
    }
}
