//! The site's refinement changed one piece at a time, as the forms of the site map pages ask:
//! one step's local details, one site-owned step edited, one checklist step added or removed.
//! The app takes the whole refinement and checks it against the map; these functions only
//! build it, so they are pure and tested here. Also: what a proposal or a site edit changes,
//! field by field, for people to read.

use cellpath_domain::Role;
use cellpath_domain::process_map::{RecordedIn, Step};
use cellpath_domain::refinement::{LocalDetail, LocalStep, SiteRefinement};
use serde_json::Value;
use std::collections::BTreeMap;

/// How a step of the site's version differs from the manufacturer's published map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A site-owned step the site edited.
    SiteEdit,
    /// A controlled step changed by a proposal the manufacturer accepted.
    Accepted,
    /// A checklist step the site added.
    Added,
}

impl Change {
    pub fn label(self) -> &'static str {
        match self {
            Change::SiteEdit => "Changed by the site",
            Change::Accepted => "Change accepted by the manufacturer",
            Change::Added => "Added by the site",
        }
    }
    pub fn css(self) -> &'static str {
        match self {
            Change::SiteEdit => "site-edit",
            Change::Accepted => "accepted",
            Change::Added => "added",
        }
    }
}

/// Every changed step of a site version, by key. `accepted` are the keys of accepted
/// proposals.
pub fn changes<'a>(
    r: &SiteRefinement,
    accepted: impl Iterator<Item = &'a str>,
) -> BTreeMap<String, Change> {
    let mut out = BTreeMap::new();
    for key in r.overrides.keys() {
        out.insert(key.clone(), Change::SiteEdit);
    }
    for key in accepted {
        out.insert(key.to_string(), Change::Accepted);
    }
    for l in &r.local_steps {
        out.insert(l.step.key.clone(), Change::Added);
    }
    out
}

/// The refinement with `key`'s local details replaced; details with nothing in them are
/// dropped, so a cleared form leaves no empty entry behind.
pub fn with_detail(r: &SiteRefinement, key: &str, detail: LocalDetail) -> SiteRefinement {
    let mut next = r.clone();
    if detail == LocalDetail::default() {
        next.details.remove(key);
    } else {
        next.details.insert(key.to_string(), detail);
    }
    next
}

/// The refinement with a site-owned step changed; a change back to the published step
/// removes the override.
pub fn with_override(r: &SiteRefinement, published: &Step, changed: Step) -> SiteRefinement {
    let mut next = r.clone();
    if changed == *published {
        next.overrides.remove(&published.key);
    } else {
        next.overrides.insert(published.key.clone(), changed);
    }
    next
}

pub fn with_local_step(r: &SiteRefinement, local: LocalStep) -> SiteRefinement {
    let mut next = r.clone();
    next.local_steps.push(local);
    next
}

/// The refinement without the checklist step `key`: its details go too, and a local step that
/// came after it comes after what it came after, so the map stays connected.
pub fn without_local_step(r: &SiteRefinement, key: &str) -> SiteRefinement {
    let mut next = r.clone();
    let Some(i) = next.local_steps.iter().position(|l| l.step.key == key) else {
        return next;
    };
    let removed = next.local_steps.remove(i);
    next.details.remove(key);
    for l in &mut next.local_steps {
        l.before.retain(|b| b != key);
        if let Some(at) = l.step.after.iter().position(|a| a == key) {
            l.step.after.remove(at);
            for a in &removed.step.after {
                if !l.step.after.contains(a) {
                    l.step.after.push(a.clone());
                }
            }
        }
    }
    next
}

/// The fields a site edits on one of its own steps, and proposes on a controlled one. Not the
/// location: where a step happens at the site is a local detail, which the effective map lays
/// over the step's own location, so a second "location" here would only be overridden.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepEdit {
    pub name: String,
    pub role: Role,
    pub recorded_in: RecordedIn,
    pub scan: bool,
}

impl StepEdit {
    pub fn apply(&self, step: &Step) -> Step {
        let mut s = step.clone();
        s.name = self.name.clone();
        s.role = self.role;
        s.recorded_in = self.recorded_in;
        s.params.scan = self.scan;
        s
    }
}

/// One field that differs between two versions of a step, as people read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// The field as written in a map (`name`, `params.location`).
    pub field: String,
    pub old: String,
    pub new: String,
}

/// What differs between two versions of a step, field by field, in the order of the step's
/// own fields. Generic over the step's JSON form, so a field added to `Step` later shows up
/// here without a change.
pub fn field_changes(old: &Step, new: &Step) -> Vec<FieldChange> {
    let flat = |s: &Step| {
        let mut out = BTreeMap::new();
        flatten(
            "",
            &serde_json::to_value(s).unwrap_or(Value::Null),
            &mut out,
        );
        out
    };
    let (a, b) = (flat(old), flat(new));
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort_by_key(|k| (k.starts_with("params."), field_order(k)));
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| FieldChange {
            field: k.clone(),
            old: a.get(k).cloned().unwrap_or_else(|| "—".into()),
            new: b.get(k).cloned().unwrap_or_else(|| "—".into()),
        })
        .collect()
}

/// Top-level step fields in the order a person reads a step.
fn field_order(field: &str) -> (usize, String) {
    const ORDER: &[&str] = &[
        "name",
        "stage",
        "kind",
        "role",
        "after",
        "controlled",
        "recorded_in",
        "optional",
    ];
    (
        ORDER
            .iter()
            .position(|f| *f == field)
            .unwrap_or(ORDER.len()),
        field.to_string(),
    )
}

fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(map) if prefix.is_empty() || prefix == "params" => {
            for (k, inner) in map {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&name, inner, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), text(other));
        }
    }
}

/// A JSON value as a person reads it: yes/no, lists joined by commas, a signature as
/// "physician approved", a registry form as "CIBMTR 4006 day 100".
fn text(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "—".into(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        Value::Object(map) => match (
            map.get("role"),
            map.get("meaning"),
            map.get("form"),
            map.get("due_days"),
        ) {
            // The two shapes steps hold, in the words the map editor uses.
            (Some(role), Some(meaning), _, _) => format!("{} {}", text(role), text(meaning)),
            (_, _, Some(form), Some(days)) => format!("{} day {}", text(form), text(days)),
            _ => map.values().map(text).collect::<Vec<_>>().join(" "),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cellpath_domain::process_map::{StepKind, seeds};

    fn car_t_step(key: &str) -> Step {
        seeds::autologous_car_t()
            .0
            .steps
            .into_iter()
            .find(|s| s.key == key)
            .expect("a seeded step")
    }

    fn checklist(key: &str, after: &str, before: &str) -> LocalStep {
        let mut step = car_t_step("referral");
        step.key = key.into();
        step.kind = StepKind::Checklist;
        step.after = vec![after.into()];
        LocalStep {
            step,
            before: vec![before.into()],
        }
    }

    #[test]
    fn a_cleared_detail_leaves_nothing_behind() {
        let detail = LocalDetail {
            location: Some("Infusion Center 4B".into()),
            ..Default::default()
        };
        let r = with_detail(&SiteRefinement::default(), "thaw_cd4", detail.clone());
        assert_eq!(r.details.get("thaw_cd4"), Some(&detail));
        let cleared = with_detail(&r, "thaw_cd4", LocalDetail::default());
        assert!(cleared.details.is_empty());
    }

    #[test]
    fn an_edit_back_to_the_map_removes_the_override() {
        let base = car_t_step("referral");
        let edit = StepEdit {
            name: "Referral received in the Epic queue".into(),
            role: base.role,
            recorded_in: RecordedIn::Ehr,
            scan: false,
        };
        let r = with_override(&SiteRefinement::default(), &base, edit.apply(&base));
        assert_eq!(r.overrides["referral"].recorded_in, RecordedIn::Ehr);
        let back = with_override(&r, &base, base.clone());
        assert!(back.overrides.is_empty());
    }

    #[test]
    fn removing_a_checklist_reconnects_the_one_after_it() {
        let mut second = checklist("second", "first", "thaw_cd4");
        second.before.push("first".into());
        let r = with_local_step(
            &with_local_step(
                &with_detail(
                    &SiteRefinement::default(),
                    "first",
                    LocalDetail {
                        notes: Some("x".into()),
                        ..Default::default()
                    },
                ),
                checklist("first", "pharmacist_verification", "thaw_cd4"),
            ),
            second,
        );
        let next = without_local_step(&r, "first");
        assert_eq!(next.local_steps.len(), 1);
        assert_eq!(next.local_steps[0].step.after, ["pharmacist_verification"]);
        assert_eq!(next.local_steps[0].before, ["thaw_cd4"]);
        assert!(next.details.is_empty());
        assert_eq!(without_local_step(&next, "nowhere"), next);
    }

    #[test]
    fn field_changes_name_what_differs_in_reading_order() {
        let old = car_t_step("thaw_cd4");
        let mut new = old.clone();
        new.params.location = Some("Cancer Pavilion satellite pharmacy".into());
        new.name = "Thaw CD4 in the satellite pharmacy".into();
        new.params.scan = true;
        let changes = field_changes(&old, &new);
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["name", "params.location", "params.scan"]);
        assert_eq!(changes[1].old, "cell lab");
        assert_eq!(changes[2].old, "—", "an absent flag reads as nothing");
        assert_eq!(changes[2].new, "yes");
        assert!(field_changes(&old, &old).is_empty());
    }

    #[test]
    fn signatures_and_lists_read_as_words() {
        let old = car_t_step("physician_order");
        let mut new = old.clone();
        new.params.fields = vec!["dose".into(), "weight".into()];
        let changes = field_changes(&old, &new);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].new, "dose, weight");
        let sig = text(&serde_json::to_value(&old.params.signatures).unwrap());
        assert_eq!(sig, "physician approved");
    }

    #[test]
    fn changes_are_told_apart() {
        let mut r = with_local_step(
            &SiteRefinement::default(),
            checklist("bed", "pharmacist_verification", "thaw_cd4"),
        );
        r.overrides
            .insert("referral".into(), car_t_step("referral"));
        let c = changes(&r, ["monitoring"].into_iter());
        assert_eq!(c["bed"], Change::Added);
        assert_eq!(c["referral"], Change::SiteEdit);
        assert_eq!(c["monitoring"], Change::Accepted);
    }
}
