//! One step of a map as a form, both ways: a `Step` as prefilled values, posted values back
//! into a `Step`, and the validator's messages placed beside the field they are about. Lists
//! are typed the way people write them ("CIBMTR 4006@100, CIBMTR 4006@182",
//! "physician:approved"); what cannot be read is refused here with an example of the format.

use crate::charts::{kind_label, stage_label};
use crate::forms::{FormData, FormErrors, FormView};
use crate::labels;
use cellpath_app::AppError;
use cellpath_domain::Role;
use cellpath_domain::process_map::{
    FollowUpSpec, FollowUpTrack, ProductUnit, RecordedIn, SignatureMeaning, SignatureSpec, Stage,
    Step, StepKind, StepParams,
};
use maud::{Markup, html};

/// Every field of the step form, for the summary (messages about others are listed there).
pub const FIELDS: &[&str] = &[
    "key",
    "name",
    "stage",
    "kind",
    "role",
    "after",
    "before",
    "controlled",
    "recorded_in",
    "optional",
    "scan",
    "consent",
    "location",
    "unit",
    "window_minutes",
    "monitoring_days",
    "follow_up",
    "visits",
    "track",
    "signatures",
    "hold_until",
    "items",
    "fields",
];

/// A step as the values of its form.
pub fn values_of(step: &Step) -> FormData {
    FormData::from_pairs(value_pairs(step))
}

/// A step as the (name, value) pairs its form posts unchanged.
pub fn value_pairs(step: &Step) -> Vec<(String, String)> {
    let p = &step.params;
    let mut v: Vec<(String, String)> = vec![
        ("key".into(), step.key.clone()),
        ("name".into(), step.name.clone()),
        ("stage".into(), step.stage.as_str().into()),
        ("kind".into(), step.kind.as_str().into()),
        ("role".into(), step.role.as_str().into()),
        ("recorded_in".into(), step.recorded_in.as_str().into()),
        ("location".into(), p.location.clone().unwrap_or_default()),
        ("unit".into(), p.unit.clone().unwrap_or_default()),
        (
            "window_minutes".into(),
            p.window_minutes.map(|m| m.to_string()).unwrap_or_default(),
        ),
        (
            "monitoring_days".into(),
            p.monitoring_days.map(|d| d.to_string()).unwrap_or_default(),
        ),
        (
            "follow_up".into(),
            p.follow_up
                .iter()
                .map(|f| match (f.opens_days, f.closes_days) {
                    (None, None) => format!("{}@{}", f.form, f.due_days),
                    _ => format!("{}@{} ({}-{})", f.form, f.due_days, f.opens(), f.closes()),
                })
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "visits".into(),
            p.visits
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "track".into(),
            p.track.map(|t| t.as_str().to_string()).unwrap_or_default(),
        ),
        (
            "signatures".into(),
            p.signatures
                .iter()
                .map(|s| format!("{}:{}", s.role, s.meaning))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "hold_until".into(),
            p.hold_until.clone().unwrap_or_default(),
        ),
        ("items".into(), p.items.join("\n")),
        ("fields".into(), p.fields.join("\n")),
    ];
    for a in &step.after {
        v.push(("after".into(), a.clone()));
    }
    for (flag, on) in [
        ("controlled", step.controlled),
        ("optional", step.optional),
        ("scan", p.scan),
        ("consent", p.consent),
    ] {
        if on {
            v.push((flag.into(), "on".into()));
        }
    }
    v
}

/// A blank list item is no item (a trailing comma, an empty line).
fn list(text: &str, separators: &[char]) -> Vec<String> {
    text.split(separators)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

fn lines(text: &str) -> Vec<String> {
    list(text, &['\n', '\r'])
}

fn optional_text(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

/// `form@days`, or `form@days (opens-closes)` with its window in days after administration.
fn parse_follow_up(text: &str, errors: &mut FormErrors) -> Vec<FollowUpSpec> {
    let mut out = Vec::new();
    for item in list(text, &[',', '\n', '\r']) {
        let parsed = item.rsplit_once('@').and_then(|(form, rest)| {
            let (days, window) = match rest.split_once('(') {
                Some((days, window)) => (days, Some(window.trim().strip_suffix(')')?)),
                None => (rest, None),
            };
            let days: u32 = days.trim().trim_start_matches("day").trim().parse().ok()?;
            let (opens, closes) = match window {
                None => (None, None),
                Some(w) => {
                    let (o, c) = w.split_once(['-', '–'])?;
                    (Some(o.trim().parse().ok()?), Some(c.trim().parse().ok()?))
                }
            };
            Some(FollowUpSpec {
                form: form.trim().to_string(),
                due_days: days,
                opens_days: opens,
                closes_days: closes,
            })
        });
        match parsed {
            Some(f) => out.push(f),
            None => errors.field(
                "follow_up",
                format!(
                    "{item:?} is not a form and a day: write each as form@days after administration, e.g. CIBMTR 4006@100, or with its window in days CIBMTR 4100@100 (85-115)"
                ),
            ),
        }
    }
    out
}

fn parse_visits(text: &str, errors: &mut FormErrors) -> Vec<u32> {
    let mut out = Vec::new();
    for item in list(text, &[',', '\n', '\r', ' ']) {
        match item.parse() {
            Ok(d) => out.push(d),
            Err(_) => errors.field(
                "visits",
                format!("{item:?} is not a number of days after administration (e.g. 30, 90)"),
            ),
        }
    }
    out
}

fn parse_signatures(text: &str, errors: &mut FormErrors) -> Vec<SignatureSpec> {
    let mut out = Vec::new();
    for item in list(text, &[',', '\n', '\r']) {
        let Some((role, meaning)) = item.split_once(':') else {
            errors.field(
                "signatures",
                format!("{item:?} needs a role and a meaning: write role:meaning, e.g. physician:approved"),
            );
            continue;
        };
        let role = role.trim().parse::<Role>();
        let meaning = meaning.trim().parse::<SignatureMeaning>();
        match (role, meaning) {
            (Ok(role), Ok(meaning)) => out.push(SignatureSpec { role, meaning }),
            (Err(e), _) | (_, Err(e)) => errors.field("signatures", format!("{item:?}: {e}")),
        }
    }
    out
}

fn parse_number(
    form: &FormData,
    field: &str,
    unit: &str,
    example: &str,
    errors: &mut FormErrors,
) -> Option<u32> {
    let text = form.get(field).trim();
    if text.is_empty() {
        return None;
    }
    match text.parse() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.field(
                field,
                format!("{text:?} is not a whole number of {unit} (e.g. {example}); leave it empty for none"),
            );
            None
        }
    }
}

fn parse_word<T: std::str::FromStr<Err = E>, E: std::fmt::Display>(
    form: &FormData,
    field: &str,
    errors: &mut FormErrors,
) -> Option<T> {
    form.get(field)
        .parse()
        .map_err(|e: E| errors.field(field, e.to_string()))
        .ok()
}

/// The posted step form as a step (its key is `key`, never a posted one), or the messages for
/// what the form could not read.
pub fn read(form: &FormData, key: &str) -> Result<Step, FormErrors> {
    let mut errors = FormErrors::default();
    let stage = parse_word::<Stage, _>(form, "stage", &mut errors);
    let kind = parse_word::<StepKind, _>(form, "kind", &mut errors);
    let role = parse_word::<Role, _>(form, "role", &mut errors);
    let recorded_in = match form.get("recorded_in") {
        "" => Some(RecordedIn::Cellpath),
        _ => parse_word::<RecordedIn, _>(form, "recorded_in", &mut errors),
    };
    let params = StepParams {
        fields: lines(form.get("fields")),
        signatures: parse_signatures(form.get("signatures"), &mut errors),
        unit: optional_text(form.get("unit")),
        window_minutes: parse_number(form, "window_minutes", "minutes", "90", &mut errors),
        monitoring_days: parse_number(form, "monitoring_days", "days", "14", &mut errors),
        follow_up: parse_follow_up(form.get("follow_up"), &mut errors),
        visits: parse_visits(form.get("visits"), &mut errors),
        track: match form.get("track") {
            "" => None,
            _ => parse_word::<FollowUpTrack, _>(form, "track", &mut errors),
        },
        scan: form.has("scan"),
        hold_until: optional_text(form.get("hold_until")),
        items: lines(form.get("items")),
        location: optional_text(form.get("location")),
        consent: form.has("consent"),
    };
    match (stage, kind, role, recorded_in) {
        (Some(stage), Some(kind), Some(role), Some(recorded_in)) if errors.is_empty() => Ok(Step {
            key: key.to_string(),
            name: form.get("name").trim().to_string(),
            stage,
            kind,
            role,
            after: form.all("after"),
            controlled: form.has("controlled"),
            recorded_in,
            optional: form.has("optional"),
            params,
        }),
        _ => Err(errors),
    }
}

/// The form field a validator message about step `key` belongs beside, read from the
/// message's own words (the messages name the parameter they are about); `None` = about the
/// step as a whole.
pub fn field_for(message: &str, key: &str) -> Option<&'static str> {
    const PARAMS: &[&str] = &[
        "window_minutes",
        "monitoring_days",
        "hold_until",
        "follow_up",
        "visits",
        "items",
    ];
    if let Some(rest) = message.strip_prefix(&format!("{key}: ")) {
        for p in PARAMS {
            if rest.starts_with(&format!("{p} ")) {
                return Some(p);
            }
        }
    }
    let rules: &[(&str, &str)] = &[
        ("window_minutes", "window_minutes"),
        ("monitoring_days", "monitoring_days"),
        ("held until", "hold_until"),
        ("names no hold_until", "hold_until"),
        ("schedules no follow-up", "follow_up"),
        ("follow-up form", "follow_up"),
        ("is on the standard track", "follow_up"),
        ("is on the fifteen_year track", "follow_up"),
        ("opens on day", "follow_up"),
        ("lists no signatures", "signatures"),
        ("checklist with no items", "items"),
        ("names unknown unit", "unit"),
        ("but names none: set unit", "unit"),
        ("thaws unit", "unit"),
        ("is not preceded by a dual_verification", "after"),
        ("comes after unknown step", "after"),
        ("twice in after", "after"),
        ("cannot be reached from the start", "after"),
        ("cycle:", "after"),
        (": name ", "name"),
        ("step key", "key"),
        ("duplicate step key", "key"),
    ];
    rules
        .iter()
        .find(|(words, _)| message.contains(words))
        .map(|(_, field)| *field)
}

/// An app error about a step form: messages about step `key` beside its fields (or above the
/// form), and those about other steps or the whole map, for the top of the page.
pub fn split_errors(
    e: AppError,
    key: &str,
) -> Result<(FormErrors, Vec<String>), crate::errors::WebError> {
    let own = format!("steps.{key}");
    match e {
        AppError::Invalid(list) => {
            let mut errors = FormErrors::default();
            let mut others = Vec::new();
            for f in list {
                if f.field == own {
                    match field_for(&f.message, key) {
                        Some(field) => errors.field(field, f.message),
                        None => errors.form(f.message),
                    }
                } else if f.field == "map" || f.field.starts_with("steps.") {
                    others.push(f.message);
                } else {
                    errors.form(f.message);
                }
            }
            Ok((errors, others))
        }
        other => Ok((FormErrors::from_app(other)?, Vec::new())),
    }
}

pub fn stage_options() -> Vec<(String, String)> {
    Stage::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), stage_label(*s).to_string()))
        .collect()
}

pub fn kind_options() -> Vec<(String, String)> {
    StepKind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), kind_label(*k).to_string()))
        .collect()
}

pub fn role_options() -> Vec<(String, String)> {
    Role::ALL
        .iter()
        .map(|r| (r.as_str().to_string(), labels::role(r.as_str()).to_string()))
        .collect()
}

/// Checkbox options naming other steps: "Receipt and storage (receipt_and_storage)".
pub fn step_options<'s>(
    steps: impl Iterator<Item = &'s Step>,
    except: &str,
) -> Vec<(String, String)> {
    steps
        .filter(|s| s.key != except)
        .map(|s| (s.key.clone(), format!("{} ({})", s.name, s.key)))
        .collect()
}

/// Parameters that matter for a kind of step; the others are tucked away (a person may still
/// set them, and the validator says which belong to which kind).
fn needs(kind: Option<StepKind>, param: &str) -> bool {
    use StepKind::*;
    matches!(
        (param, kind),
        ("unit", Some(Thaw | Administer | DualVerification))
            | ("window_minutes", Some(Thaw))
            | ("monitoring_days", Some(Monitor))
            | ("follow_up" | "visits" | "track", Some(FollowUp))
            | ("hold_until", Some(HoldPoint))
            | ("items", Some(Checklist))
    )
}

/// The fields of the step editor. `steps` are the map's steps in order (for "comes after"
/// and "held until"); `units` the program's product units.
pub fn fields(view: &FormView, key: &str, steps: &[&Step], units: &[ProductUnit]) -> Markup {
    let kind = view.values.get("kind").parse::<StepKind>().ok();
    let others = step_options(steps.iter().copied(), key);
    let mut unit_options = vec![(String::new(), "No unit".to_string())];
    unit_options.extend(
        units
            .iter()
            .map(|u| (u.key.clone(), format!("{} ({})", u.name, u.key))),
    );
    let mut hold_options = vec![(String::new(), "Not held".to_string())];
    hold_options.extend(others.iter().cloned());
    let recorded = [
        ("cellpath".to_string(), "cellpath".to_string()),
        (
            "ehr".to_string(),
            "EHR (cellpath takes an attestation with the EHR reference)".to_string(),
        ),
    ];
    let param = |name: &str| -> Markup {
        match name {
            "unit" => view.select("Product unit", "unit", &unit_options),
            "window_minutes" => view.input(
                "Administration window (minutes)",
                "window_minutes",
                crate::forms::Input::Text,
                Some("Empty: the unit's labelled thaw window applies. A site may shorten it, never lengthen it."),
            ),
            "monitoring_days" => view.input(
                "Monitoring period (days)",
                "monitoring_days",
                crate::forms::Input::Text,
                Some("e.g. 14"),
            ),
            "follow_up" => view.input(
                "Registry forms due",
                "follow_up",
                crate::forms::Input::Text,
                Some("form@days after administration with its window in days, separated by commas, e.g. CIBMTR 4006@0 (0-30), CIBMTR 4100@100 (85-115)"),
            ),
            "track" => view.select(
                "Registry follow-up track",
                "track",
                &[
                    (String::new(), "No registry track (the forms as listed)".to_string()),
                    ("standard".to_string(), "CIBMTR standard track (yearly to 6 years, then 8, 10, 12, 14)".to_string()),
                    ("fifteen_year".to_string(), "CIBMTR 15-year track (genetically modified products)".to_string()),
                ],
            ),
            "visits" => view.input(
                "Follow-up visits (days after administration)",
                "visits",
                crate::forms::Input::Text,
                Some("e.g. 30, 90, 365"),
            ),
            "hold_until" => view.select("Held until this step is done", "hold_until", &hold_options),
            "items" => view.textarea("Checklist items", "items", Some("One item per line."), 4),
            _ => html! {},
        }
    };
    let specific = [
        "unit",
        "window_minutes",
        "monitoring_days",
        "follow_up",
        "track",
        "visits",
        "hold_until",
        "items",
    ];
    let (shown, tucked): (Vec<&str>, Vec<&str>) = specific.iter().partition(|p| needs(kind, p));
    let open_tucked = tucked
        .iter()
        .any(|p| view.errors.has_field(p) || !view.values.get(p).trim().is_empty());
    html! {
        div.field-grid {
            (view.text("Name", "name"))
            (view.select("Stage", "stage", &stage_options()))
            (view.select("Kind", "kind", &kind_options()))
            (view.select("Responsible role", "role", &role_options()))
            (view.select("Recorded in", "recorded_in", &recorded))
            (view.input("Location", "location", crate::forms::Input::Text, Some("Where the step happens at the site, e.g. cell lab")))
        }
        @if !shown.is_empty() {
            fieldset.kind-params {
                legend { "What a " (kind.map(kind_label).unwrap_or("")) " step needs" }
                @for p in &shown { (param(p)) }
            }
        }
        div.check-row {
            (view.checkbox("Controlled (the label or quality agreement governs it; a site proposes changes)", "controlled"))
            (view.checkbox("Optional (may be skipped for a case)", "optional"))
            (view.checkbox("Scan checkpoint (someone scans an identifier here)", "scan"))
            (view.checkbox("Rests on the patient's consent (not done before the consent is recorded against the active version)", "consent"))
        }
        div.after-checks {
            (view.checkboxes("Comes after (the steps that must be done first; only the start step has none)", "after", &others, "No other steps yet."))
        }
        (view.input("Signatures", "signatures", crate::forms::Input::Text,
            Some("role:meaning, separated by commas, e.g. physician:approved, pharmacy:verified. Meanings: authored, reviewed, approved, verified, performed.")))
        (view.textarea("Fields recorded", "fields", Some("One field per line, e.g. bag temperature on receipt."), 3))
        details.other-params open[open_tucked] {
            summary { "Parameters of other kinds of steps" }
            p.hint { "These apply only to the kinds named beside them; the map refuses them on other steps." }
            @for p in &tucked { (param(p)) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cellpath_domain::process_map::seeds;

    #[test]
    fn every_seeded_step_survives_the_form() {
        let (map, _) = seeds::autologous_car_t();
        let (other, _) = seeds::in_vivo_gene_therapy();
        for step in map.steps.iter().chain(&other.steps) {
            let back = read(&values_of(step), &step.key).expect("the form reads its own values");
            assert_eq!(&back, step);
        }
    }

    #[test]
    fn lists_are_typed_as_people_write_them_and_bad_ones_say_how() {
        let form = FormData::from_pairs([
            ("name", "Follow-up"),
            ("stage", "evaluation"),
            ("kind", "follow_up"),
            ("role", "data_manager"),
            ("follow_up", "CIBMTR 4006@100, CIBMTR 4006 @ day 182,"),
            ("signatures", "physician:approved, pharmacy : verified"),
            ("items", "one\n\n two \r\n"),
        ]);
        let step = read(&form, "fu").expect("readable");
        assert_eq!(step.params.follow_up[1].due_days, 182);
        assert_eq!(step.params.follow_up[1].form, "CIBMTR 4006");
        assert_eq!(step.params.signatures.len(), 2);
        let mut windowed = form.clone();
        windowed.set(
            "follow_up",
            "CIBMTR 4100@100 (85-115), CIBMTR 4100 @ 365 (365–425)",
        );
        windowed.set("track", "fifteen_year");
        let step = read(&windowed, "fu").expect("readable");
        assert_eq!(
            (
                step.params.follow_up[0].opens(),
                step.params.follow_up[0].closes()
            ),
            (85, 115)
        );
        assert_eq!(step.params.follow_up[1].closes_days, Some(425));
        assert_eq!(
            step.params.track,
            Some(cellpath_domain::process_map::FollowUpTrack::FifteenYear)
        );
        windowed.set("follow_up", "CIBMTR 4100@100 (85 to 115)");
        windowed.set("track", "yearly");
        let errors = read(&windowed, "fu").unwrap_err();
        assert!(errors.has_field("follow_up") && errors.has_field("track"));
        let step = read(&form, "fu").expect("readable");
        assert_eq!(step.params.items, ["one", "two"]);

        let mut bad = form.clone();
        bad.set("follow_up", "CIBMTR 4006 100");
        bad.set("signatures", "surgeon:approved");
        bad.set("window_minutes", "ninety");
        let errors = read(&bad, "fu").unwrap_err();
        for field in ["follow_up", "signatures", "window_minutes"] {
            assert!(errors.has_field(field), "{field}: {errors:?}");
        }
    }

    #[test]
    fn validator_messages_find_their_field() {
        for (message, key, field) in [
            (
                "step thaw_cd4 thaws a product unit but names none: set unit (cd4 or cd8)",
                "thaw_cd4",
                Some("unit"),
            ),
            (
                "x: window_minutes applies only to a thaw step (this is a monitor step)",
                "x",
                Some("window_minutes"),
            ),
            (
                "x: items applies only to a checklist step (this is a record step)",
                "x",
                Some("items"),
            ),
            (
                "step x is a checklist with no items: add the items to tick",
                "x",
                Some("items"),
            ),
            ("step x comes after unknown step y", "x", Some("after")),
            (
                "two ends: a and x (every path must finish at one end step)",
                "x",
                None,
            ),
        ] {
            assert_eq!(field_for(message, key), field, "{message}");
        }
    }
}
