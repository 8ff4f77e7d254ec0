//! The "Record a visit" form, both ways: the catalogue's capabilities as rows of inputs that
//! fit each value type (a number, yes/no, a daily window, a list), and the posted form back into
//! the app's `VisitInput`. Empty rows are skipped: a visitor records what they saw, not the
//! whole catalogue. The app's messages name observations by their position; here they are
//! renamed after the capability, which is what the person sees.

use super::area_label;
use crate::forms::{FormData, FormErrors, FormView};
use cellpath_app::readiness::VisitInput;
use cellpath_app::views::Facility;
use cellpath_domain::LedgerInt;
use cellpath_domain::readiness::{
    Area, CAPABILITIES, Capability, Observation, Observed, ValueType,
};
use maud::{Markup, html};
use std::collections::BTreeMap;

/// Every field of the form the app may name.
pub const FIELDS: &[&str] = &[
    "site_id",
    "visited_on",
    "visitors",
    "facility_ids",
    "observations",
    "findings",
    "attachments",
];

/// The capabilities a visit to a site can observe: those of the kinds of facility serving it.
/// Grouped by area, in the order a visit walks them.
pub fn capabilities(facilities: &[Facility]) -> Vec<&'static Capability> {
    let mut out: Vec<&'static Capability> = CAPABILITIES
        .iter()
        .filter(|c| facilities.iter().any(|f| f.kind == c.facility))
        .collect();
    out.sort_by_key(|c| Area::ALL.iter().position(|a| *a == c.area));
    out
}

fn value_field(c: &Capability) -> String {
    format!("obs.{}", c.key)
}

fn facility_field(c: &Capability) -> String {
    format!("obs.{}.facility", c.key)
}

/// What the form read: the input for the app, and which capability each observation is, in
/// order (to rename the app's "observation 3" after it).
pub struct Read {
    pub input: VisitInput,
    pub observed: Vec<&'static Capability>,
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// The posted form as a visit, or the messages for what it could not read.
pub fn read(form: &FormData, site_id: &str, facilities: &[Facility]) -> Result<Read, FormErrors> {
    let mut errors = FormErrors::default();
    let mut observations = Vec::new();
    let mut observed = Vec::new();
    for c in capabilities(facilities) {
        let text = form.get(&value_field(c)).trim();
        if text.is_empty() {
            continue;
        }
        let of_kind: Vec<&Facility> = facilities.iter().filter(|f| f.kind == c.facility).collect();
        let facility = match form.get(&facility_field(c)) {
            "" if of_kind.len() == 1 => of_kind[0].id.clone(),
            "" => {
                errors.field(
                    "observations",
                    format!("{}: choose the facility where it was seen", c.name),
                );
                continue;
            }
            f => f.to_string(),
        };
        let value = match c.value {
            ValueType::Number => match ledger_int(&text.replace('\u{2212}', "-")) {
                Some(n) => Observed::Number(n),
                None => {
                    errors.field(
                        "observations",
                        format!(
                            "{}: {text:?} is not a whole number{}",
                            c.name,
                            if c.unit.is_empty() {
                                String::new()
                            } else {
                                format!(" of {}", c.unit)
                            }
                        ),
                    );
                    continue;
                }
            },
            ValueType::YesNo => match text {
                "yes" => Observed::YesNo(true),
                "no" => Observed::YesNo(false),
                other => {
                    errors.field(
                        "observations",
                        format!("{}: {other:?} is neither yes nor no", c.name),
                    );
                    continue;
                }
            },
            ValueType::Window => Observed::Text(text.to_string()),
            ValueType::List => Observed::List(
                text.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_string)
                    .collect(),
            ),
        };
        observations.push(Observation {
            facility_id: facility,
            capability: c.key.to_string(),
            value,
            note: String::new(),
        });
        observed.push(c);
    }
    let mut findings = BTreeMap::new();
    for area in Area::ALL {
        let text = form.get(&format!("finding.{}", area.as_str())).trim();
        if !text.is_empty() {
            findings.insert(area.as_str().to_string(), text.to_string());
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Read {
        input: VisitInput {
            site_id: site_id.to_string(),
            visited_on: form.get("visited_on").trim().to_string(),
            visitors: lines(form.get("visitors")),
            facility_ids: form.all("facility_ids"),
            observations,
            findings,
            // The files come apart from the fields (`attachments`, kept by the handler).
            attachments: Vec::new(),
        },
        observed,
    })
}

/// "observation 2: the facility was not among those seen" → "Apheresis machines: …".
pub fn rename(message: &str, observed: &[&Capability]) -> String {
    let named = message
        .strip_prefix("observation ")
        .and_then(|rest| rest.split_once(": "))
        .and_then(|(n, rest)| {
            let c = observed.get(n.parse::<usize>().ok()?.checked_sub(1)?)?;
            Some(format!("{}: {rest}", c.name))
        });
    named.unwrap_or_else(|| message.to_string())
}

/// The values the form starts with: the signed-in visitor, every facility ticked (the date
/// is left for the visitor to give: the visit is a fact, not today by default).
pub fn defaults(visitor: &str, facilities: &[Facility]) -> FormData {
    let mut pairs = vec![("visitors".to_string(), visitor.to_string())];
    pairs.extend(
        facilities
            .iter()
            .map(|f| ("facility_ids".to_string(), f.id.clone())),
    );
    FormData::from_pairs(pairs)
}

fn value_input(view: &FormView, c: &Capability) -> Markup {
    let name = value_field(c);
    let id = format!("{}-{}", view.prefix, c.key.replace('_', "-"));
    let value = view.values.get(&name);
    let label = format!("{} observed", c.name);
    html! {
        @match c.value {
            ValueType::YesNo => {
                select id=(id) name=(name) aria-label=(label) {
                    option value="" selected[value.is_empty()] { "Not observed" }
                    option value="yes" selected[value == "yes"] { "Yes" }
                    option value="no" selected[value == "no"] { "No" }
                }
            }
            ValueType::Number => {
                span.with-unit {
                    input id=(id) name=(name) type="text" inputmode="numeric" value=(value) aria-label=(label) placeholder="—";
                    @if !c.unit.is_empty() { span.unit { (c.unit) } }
                }
            }
            ValueType::Window => {
                input id=(id) name=(name) type="text" value=(value) aria-label=(label) placeholder="e.g. 07:00-19:00";
            }
            ValueType::List => {
                input id=(id) name=(name) type="text" value=(value) aria-label=(label) placeholder="e.g. pharmacist, nurse";
            }
        }
    }
}

/// Every field of the form but the hidden ones.
pub fn fields(view: &FormView, facilities: &[Facility]) -> Markup {
    let facility_options: Vec<(String, String)> = facilities
        .iter()
        .map(|f| {
            (
                f.id.clone(),
                format!("{} · {}", f.name, crate::labels::facility_kind(f.kind)),
            )
        })
        .collect();
    let rows = capabilities(facilities);
    html! {
        div.field-grid {
            (view.input("Date of the visit", "visited_on", crate::forms::Input::Date, None))
            (view.textarea("Visitors", "visitors", Some("One per line, with their organization and role."), 2))
        }
        (view.checkboxes("Facilities seen", "facility_ids", &facility_options, "No facility serves this site yet."))
        fieldset.field.observations.group-invalid[view.errors.has_field("observations")] {
            legend { "What was observed" }
            (view.field_errors("observations"))
            p.hint { "Fill in what you saw; leave the rest empty. Each value is judged against the program's requirements by the gap analysis." }
            div.table-scroll {
                table.rows.observation-rows {
                    thead { tr { th { "Area" } th { "Capability" } th { "Observed" } th { "At facility" } } }
                    tbody {
                        @for (i, c) in rows.iter().enumerate() {
                            @let first_of_area = i == 0 || rows[i - 1].area != c.area;
                            @let of_kind: Vec<&Facility> = facilities.iter().filter(|f| f.kind == c.facility).collect();
                            @let fname = facility_field(c);
                            @let chosen = view.values.get(&fname);
                            tr data-capability=(c.key) class=[first_of_area.then_some("area-start")] {
                                td.area { @if first_of_area { (area_label(c.area)) } }
                                td { label for={ (view.prefix) "-" (c.key.replace('_', "-")) } { (c.name) } }
                                td { (value_input(view, c)) }
                                td {
                                    @if let [only] = of_kind.as_slice() {
                                        (crate::forms::hidden(&fname, &only.id))
                                        span.only-facility { (only.name) }
                                    } @else {
                                        select name=(fname) aria-label={ "Facility where " (c.name) " was seen" } {
                                            @for f in &of_kind {
                                                option value=(f.id) selected[chosen == f.id] { (f.name) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        fieldset.field.findings.group-invalid[view.errors.has_field("findings")] {
            legend { "Findings by area" }
            (view.field_errors("findings"))
            div.field-grid {
                @for area in Area::ALL {
                    @let name = format!("finding.{}", area.as_str());
                    div.field {
                        label for={ (view.prefix) "-finding-" (area.as_str()) } { (area_label(*area)) }
                        textarea id={ (view.prefix) "-finding-" (area.as_str()) } name=(name) rows="2" { (view.values.get(&name)) }
                    }
                }
            }
        }
        fieldset.field.attachments.group-invalid[view.errors.has_field("attachments")] {
            legend { "Files shown during the visit" }
            (view.field_errors("attachments"))
            p.hint { "PDF, Word (.docx), PNG, JPEG or plain text, at most 10 MiB each (choose several at once). Each is kept by its SHA-256 and recorded with the visit; both parties can download it." }
            input #visit-attachments type="file" name="attachments" multiple
                accept=".pdf,.png,.jpg,.jpeg,.txt,.docx,application/pdf,image/png,image/jpeg,text/plain,application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                aria-label="Files shown during the visit"
                aria-invalid=[view.errors.has_field("attachments").then_some("true")];
        }
    }
}

/// A whole number as typed, within the range the ledger records.
fn ledger_int(text: &str) -> Option<LedgerInt> {
    text.parse::<i64>()
        .ok()
        .and_then(|n| LedgerInt::new(n).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facility(id: &str, kind: &str) -> Facility {
        Facility {
            id: id.into(),
            org_id: "org".into(),
            name: id.into(),
            kind: kind.parse().expect("a facility kind"),
            site_ids: vec![],
            version: 1,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn rows_follow_the_kinds_of_facility_and_empty_rows_are_skipped() {
        let facilities = [facility("lab", "processing"), facility("unit", "clinical")];
        assert!(
            capabilities(&facilities)
                .iter()
                .all(|c| c.key != "apheresis_machines"),
            "no collection facility serves the site"
        );
        let form = FormData::from_pairs([
            ("visited_on", "2026-10-20"),
            ("visitors", "Marcus Kowalski\n\n Samuel Adeyemi "),
            ("facility_ids", "lab"),
            ("facility_ids", "unit"),
            ("obs.ln2_vapor_storage_max_celsius", "\u{2212}175"),
            ("obs.validated_thaw_device", "no"),
            ("obs.receiving_hours", "07:00-19:00"),
            ("obs.required_signatures", "pharmacist, nurse,"),
            ("obs.tocilizumab_doses_on_hand", ""),
            ("finding.storage", "Two freezers"),
        ]);
        let read = read(&form, "site", &facilities).expect("readable");
        let v = &read.input;
        let seen = |key: &str| {
            v.observations
                .iter()
                .find(|o| o.capability == key)
                .unwrap_or_else(|| panic!("{key} observed"))
        };
        assert_eq!(v.visitors, ["Marcus Kowalski", "Samuel Adeyemi"]);
        assert_eq!(v.observations.len(), 4);
        let ln2 = seen("ln2_vapor_storage_max_celsius");
        assert_eq!(ln2.value, Observed::Number(LedgerInt::from(-175)));
        assert_eq!(ln2.facility_id, "lab", "the only lab");
        assert_eq!(seen("validated_thaw_device").value, Observed::YesNo(false));
        assert_eq!(
            seen("required_signatures").value,
            Observed::List(vec!["pharmacist".into(), "nurse".into()])
        );
        assert_eq!(v.findings["storage"], "Two freezers");
        // Rows go by area: equipment (the thaw device) comes first here.
        assert_eq!(
            rename("observation 1: x is wrong", &read.observed),
            "Validated thaw device: x is wrong"
        );
        assert_eq!(
            rename("observation 9: x", &read.observed),
            "observation 9: x"
        );
    }

    #[test]
    fn unreadable_values_say_which_capability() {
        let facilities = [facility("lab", "processing")];
        let form = FormData::from_pairs([("obs.ln2_storage_positions", "six")]);
        let errors = read(&form, "site", &facilities).err().expect("refused");
        assert!(errors.has_field("observations"));
    }
}
