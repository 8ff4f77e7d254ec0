//! The program facts form, both ways: a program's facts as prefilled form values, and posted
//! values back into `ProgramFacts`. Units and prices are a few numbered rows (blank rows are
//! ignored); what the form itself cannot read (a storage temperature "cold", an amount
//! "41o,300") is refused here with a message beside its group, and everything else is left to
//! the domain's check, whose messages come back through the app.

use super::labels::{identifier_kind_label, issuer_label, modality_label};
use crate::forms::{FormData, FormErrors, FormView};
use cellpath_app::views::Program;
use cellpath_domain::LedgerInt;
use cellpath_domain::process_map::ProductUnit;
use cellpath_domain::program::{
    IdentifierKind, IdentifierSpec, Issuer, ListPrice, Modality, ProgramFacts,
};
use maud::{Markup, html};

/// Every field the form shows errors for (the summary names the others).
pub const FIELDS: &[&str] = &[
    "name",
    "modality",
    "units",
    "identifiers",
    "list_prices",
    "requires_dual_verification",
];

/// Rows a new program's form offers at least; an edit offers one blank row more than it holds.
const MIN_ROWS: usize = 3;

pub use cellpath_domain::finance::dollars;

/// An amount in dollars as people type it ("410300", "$410,300.00", "410300.5") → cents.
pub fn parse_dollars(text: &str) -> Option<i64> {
    let t: String = text
        .trim()
        .trim_start_matches('$')
        .chars()
        .filter(|c| *c != ',' && !c.is_whitespace())
        .collect();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (whole, fraction) = match t.split_once('.') {
        Some((whole, fraction)) if digits(fraction) && fraction.len() <= 2 => (whole, fraction),
        Some(_) => return None,
        None => (t.as_str(), ""),
    };
    if !digits(whole) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(fraction)
}

/// Typed integers may use a typographic minus ("−150", as labels print it).
fn parse_int<T: std::str::FromStr>(text: &str) -> Option<T> {
    text.trim().replace('\u{2212}', "-").parse().ok()
}

/// The stored facts as domain values (they were checked when stored).
pub fn program_units(program: &Program) -> Vec<ProductUnit> {
    serde_json::from_value(program.units.clone()).unwrap_or_default()
}

pub fn identifiers_of(program: &Program) -> Vec<IdentifierSpec> {
    serde_json::from_value(program.identifiers.clone()).unwrap_or_default()
}

pub fn prices_of(program: &Program) -> Vec<ListPrice> {
    serde_json::from_value(program.list_prices.clone()).unwrap_or_default()
}

/// A program's facts as the values of its edit form.
pub fn values_of(program: &Program) -> FormData {
    FormData::from_pairs(value_pairs(program))
}

/// A program's facts as the (name, value) pairs its edit form posts unchanged.
pub fn value_pairs(program: &Program) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = vec![
        ("name".into(), program.name.clone()),
        ("modality".into(), program.modality.as_str().to_string()),
    ];
    for (i, u) in program_units(program).iter().enumerate() {
        v.push((format!("unit_{i}_key"), u.key.clone()));
        v.push((format!("unit_{i}_name"), u.name.clone()));
        v.push((
            format!("unit_{i}_storage"),
            u.storage_max_celsius.to_string(),
        ));
        v.push((
            format!("unit_{i}_window"),
            u.thaw_window_minutes.to_string(),
        ));
    }
    for id in identifiers_of(program) {
        v.push(("identifier".into(), id.kind.as_str().into()));
        v.push((format!("issuer_{}", id.kind), id.issuer.as_str().into()));
    }
    for (i, p) in prices_of(program).iter().enumerate() {
        v.push((format!("price_{i}_date"), p.effective_on.clone()));
        // Whole dollars read better in a field; cents appear only when there are some.
        let amount = dollars(p.cents.get()).trim_start_matches('$').to_string();
        let amount = match amount.strip_suffix(".00") {
            Some(whole) => whole.to_string(),
            None => amount,
        };
        v.push((format!("price_{i}_amount"), amount));
    }
    if program.requires_dual_verification {
        v.push(("requires_dual_verification".into(), "on".into()));
    }
    v
}

/// How many numbered rows of a group the posted or prefilled values hold (browsers send every
/// text input, blank or not, so a row is there when its first cell is).
fn rows_in(values: &FormData, first_cell: fn(usize) -> String) -> usize {
    (0..100).take_while(|i| values.has(&first_cell(*i))).count()
}

/// Rows to offer: those holding something, one blank row for a new entry, at least
/// [`MIN_ROWS`].
fn rows_to_offer(values: &FormData, prefix: &str, cells: &[&str]) -> usize {
    let filled = (0..100)
        .filter(|i| {
            cells
                .iter()
                .any(|c| !values.get(&format!("{prefix}_{i}_{c}")).trim().is_empty())
        })
        .map(|i| i + 1)
        .max()
        .unwrap_or(0);
    (filled + 1).max(MIN_ROWS)
}

fn unit_key(i: usize) -> String {
    format!("unit_{i}_key")
}

fn price_date(i: usize) -> String {
    format!("price_{i}_date")
}

/// The posted form as facts, or the messages for what the form could not read.
pub fn read(form: &FormData) -> (ProgramFacts, FormErrors) {
    let mut errors = FormErrors::default();
    let mut units = Vec::new();
    for i in 0..rows_in(form, unit_key) {
        let cell = |c: &str| form.get(&format!("unit_{i}_{c}")).trim().to_string();
        let (key, name, storage, window) =
            (cell("key"), cell("name"), cell("storage"), cell("window"));
        if [&key, &name, &storage, &window]
            .iter()
            .all(|c| c.is_empty())
        {
            continue;
        }
        let row = i + 1;
        let storage_max_celsius = match parse_int::<i32>(&storage) {
            Some(t) => t,
            None => {
                errors.field(
                    "units",
                    format!(
                        "unit row {row}: storage max °C must be a whole number of degrees, e.g. -150 (got {storage:?})"
                    ),
                );
                continue;
            }
        };
        let thaw_window_minutes = match parse_int::<u32>(&window) {
            Some(m) => m,
            None => {
                errors.field(
                    "units",
                    format!(
                        "unit row {row}: the thaw window must be a whole number of minutes, e.g. 90 (got {window:?})"
                    ),
                );
                continue;
            }
        };
        units.push(ProductUnit {
            key,
            name,
            storage_max_celsius,
            thaw_window_minutes,
        });
    }
    let mut identifiers = Vec::new();
    for kind in form.all("identifier") {
        let Ok(kind) = kind.parse::<IdentifierKind>() else {
            errors.field("identifiers", format!("unknown identifier kind {kind:?}"));
            continue;
        };
        match form.get(&format!("issuer_{kind}")).parse::<Issuer>() {
            Ok(issuer) => identifiers.push(IdentifierSpec { kind, issuer }),
            Err(e) => errors.field(
                "identifiers",
                format!("{}: {e}", identifier_kind_label(kind.as_str())),
            ),
        }
    }
    let mut list_prices = Vec::new();
    for i in 0..rows_in(form, price_date) {
        let date = form.get(&format!("price_{i}_date")).trim().to_string();
        let amount = form.get(&format!("price_{i}_amount")).trim().to_string();
        let row = i + 1;
        match (date.is_empty(), amount.is_empty()) {
            (true, true) => continue,
            (true, false) => errors.field(
                "list_prices",
                format!("price row {row}: enter the date the price takes effect (YYYY-MM-DD)"),
            ),
            (false, true) => errors.field(
                "list_prices",
                format!("price row {row}: enter the amount in dollars, e.g. 410,300.00"),
            ),
            (false, false) => match parse_dollars(&amount).and_then(|c| LedgerInt::new(c).ok()) {
                Some(cents) => list_prices.push(ListPrice {
                    effective_on: date,
                    cents,
                }),
                None => errors.field(
                    "list_prices",
                    format!(
                        "price row {row}: {amount:?} is not an amount in dollars; write digits with at most two decimals, e.g. 410,300.00"
                    ),
                ),
            },
        }
    }
    let facts = ProgramFacts {
        name: form.get("name").to_string(),
        modality: form.get("modality").to_string(),
        units,
        requires_dual_verification: form.has("requires_dual_verification"),
        identifiers,
        list_prices,
    };
    (facts, errors)
}

/// Messages the form could not read, together with the domain's own check of the rest, so a
/// person sees every problem at once. A group the form already refused keeps only the form's
/// messages (a dropped row would otherwise also read as "no units").
pub fn with_domain_check(facts: &ProgramFacts, mut errors: FormErrors) -> FormErrors {
    if let Err(domain) = facts.check() {
        for (field, message) in domain {
            if !errors.has_field(&field) {
                errors.field(&field, message);
            }
        }
    }
    errors
}

fn options<T: Copy>(
    all: &[T],
    value: fn(T) -> &'static str,
    label: fn(&str) -> &str,
) -> Vec<(String, String)> {
    all.iter()
        .map(|t| (value(*t).to_string(), label(value(*t)).to_string()))
        .collect()
}

/// The fields of the new-program and edit-facts forms.
pub fn fields(view: &FormView) -> Markup {
    let mut modalities = vec![(String::new(), "Choose a modality…".to_string())];
    modalities.extend(options(Modality::ALL, Modality::as_str, modality_label));
    let unit_rows = rows_to_offer(view.values, "unit", &["key", "name", "storage", "window"]);
    let price_rows = rows_to_offer(view.values, "price", &["date", "amount"]);
    let ticked = view.values.all("identifier");
    let id = |name: &str| format!("{}-{name}", view.prefix);
    html! {
        div.field-grid {
            (view.text("Name", "name"))
            (view.select("Modality", "modality", &modalities))
        }
        fieldset.field.rows.has-error[view.errors.has_field("units")] #(id("units")) {
            legend { "Product units" }
            p.hint { "Each physical unit the program ships (a component, or one dose of a split dose). Rows left blank are ignored." }
            table.rows {
                thead { tr {
                    th scope="col" { "Key" }
                    th scope="col" { "Name" }
                    th scope="col" { "Storage max °C" }
                    th scope="col" { "Thaw window (minutes)" }
                } }
                tbody {
                    @for i in 0..unit_rows {
                        tr {
                            @for (cell, label, placeholder) in [
                                ("key", "Key", "cd4"),
                                ("name", "Name", "CD4+ component"),
                                ("storage", "Storage max °C", "-150"),
                                ("window", "Thaw window (minutes)", "90"),
                            ] {
                                @let name = format!("unit_{i}_{cell}");
                                td { input type="text" name=(name) value=(view.values.get(&name))
                                    class=(cell)
                                    aria-label={ (label) ", unit row " (i + 1) }
                                    placeholder=[(i == 0).then_some(placeholder)]; }
                            }
                        }
                    }
                }
            }
            p.hint { "Key: a-z, 0-9 and _ (steps name the unit by it). Storage: the warmest temperature the label allows." }
            (view.field_errors("units"))
        }
        (view.checkbox("Every administration needs a dual verification of the unit against the patient", "requires_dual_verification"))
        fieldset.field.has-error[view.errors.has_field("identifiers")] #(id("identifiers")) {
            legend { "Identifiers on the labels" }
            table.rows {
                thead { tr { th scope="col" { "Identifier" } th scope="col" { "Issued by" } } }
                tbody {
                    @for kind in IdentifierKind::ALL {
                        @let issuer_name = format!("issuer_{kind}");
                        @let current = view.values.get(&issuer_name);
                        tr {
                            td { label.check {
                                input type="checkbox" name="identifier" value=(kind.as_str())
                                    checked[ticked.iter().any(|t| t == kind.as_str())];
                                " " (identifier_kind_label(kind.as_str()))
                            } }
                            td { select name=(issuer_name) aria-label={ "Issuer of " (identifier_kind_label(kind.as_str())) } {
                                @for issuer in Issuer::ALL {
                                    option value=(issuer.as_str()) selected[issuer.as_str() == current] { (issuer_label(issuer.as_str())) }
                                }
                            } }
                        }
                    }
                }
            }
            (view.field_errors("identifiers"))
        }
        fieldset.field.rows.has-error[view.errors.has_field("list_prices")] #(id("list-prices")) {
            legend { "List prices" }
            p.hint { "A price applies from its date until the next one. Rows left blank are ignored." }
            table.rows {
                thead { tr { th scope="col" { "Effective from" } th scope="col" { "Amount (US dollars)" } } }
                tbody {
                    @for i in 0..price_rows {
                        @let date = format!("price_{i}_date");
                        @let amount = format!("price_{i}_amount");
                        tr {
                            td { input type="date" name=(date) value=(view.values.get(&date))
                                aria-label={ "Effective date, price row " (i + 1) }; }
                            td { input type="text" name=(amount) value=(view.values.get(&amount))
                                aria-label={ "Amount in dollars, price row " (i + 1) }
                                placeholder=[(i == 0).then_some("410,300.00")]; }
                        }
                    }
                }
            }
            (view.field_errors("list_prices"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_read_both_ways() {
        assert_eq!(dollars(41_030_000), "$410,300.00");
        assert_eq!(dollars(5), "$0.05");
        assert_eq!(dollars(100_000), "$1,000.00");
        for (typed, cents) in [
            ("410300", 41_030_000),
            ("$410,300.00", 41_030_000),
            (" 410 300.5 ", 41_030_050),
            ("0.07", 7),
        ] {
            assert_eq!(parse_dollars(typed), Some(cents), "{typed}");
        }
        for bad in [
            "",
            "41o,300",
            "-5",
            "1.234",
            "1.",
            ".5",
            "$",
            "99999999999999999999",
        ] {
            assert_eq!(parse_dollars(bad), None, "{bad:?} accepted");
        }
    }

    #[test]
    fn blank_rows_are_ignored_and_unreadable_ones_are_named() {
        let form = FormData::from_pairs([
            ("name", "Vantacel"),
            ("modality", "autologous_cell"),
            ("unit_0_key", "cd4"),
            ("unit_0_name", "CD4"),
            ("unit_0_storage", "−150"),
            ("unit_0_window", "90"),
            ("unit_1_key", ""),
            ("unit_1_name", ""),
            ("unit_1_storage", ""),
            ("unit_1_window", ""),
            ("unit_2_key", "cd8"),
            ("unit_2_name", "CD8"),
            ("unit_2_storage", "cold"),
            ("unit_2_window", "90"),
            ("identifier", "lot_number"),
            ("issuer_lot_number", "manufacturer"),
            ("price_0_date", "2026-01-01"),
            ("price_0_amount", "41o,300"),
            ("price_1_date", ""),
            ("price_1_amount", ""),
        ]);
        let (facts, errors) = read(&form);
        assert_eq!(facts.units.len(), 1);
        assert_eq!(facts.units[0].storage_max_celsius, -150);
        assert_eq!(facts.identifiers.len(), 1);
        assert!(errors.has_field("units") && errors.has_field("list_prices"));
        let all = with_domain_check(&facts, errors);
        assert!(!all.has_field("name"));
    }
}
