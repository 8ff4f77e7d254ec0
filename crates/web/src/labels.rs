//! Domain words as people read them on a page, and the badges that show statuses, roles and
//! kinds. The wire names (`patient_ops`, `health_system`) stay in forms and URLs; people see
//! "Patient operations" and "Health system". An unknown word is shown as it is, never dropped.

use cellpath_domain::contracting::{AgreementKind, AgreementStatus, Deliverable};
use cellpath_domain::{Date, FacilityKind, OrgKind, PartnershipStatus};
use maud::{Markup, html};

pub fn role(role: &str) -> &str {
    match role {
        "admin" => "Admin",
        "onboarding" => "Onboarding",
        "contracts" => "Contracts",
        "patient_ops" => "Patient operations",
        "quality" => "Quality",
        "safety" => "Safety",
        "finance" => "Finance",
        "pharmacy" => "Pharmacy",
        "cell_lab" => "Cell lab",
        "apheresis" => "Apheresis",
        "coordinator" => "Coordinator",
        "physician" => "Physician",
        "nurse" => "Nurse",
        "data_manager" => "Data manager",
        other => other,
    }
}

pub fn org_kind(kind: OrgKind) -> &'static str {
    match kind {
        OrgKind::Manufacturer => "Manufacturer",
        OrgKind::HealthSystem => "Health system",
    }
}

pub fn facility_kind(kind: FacilityKind) -> &'static str {
    match kind {
        FacilityKind::Clinical => "Clinical (infusion, inpatient)",
        FacilityKind::Collection => "Collection (apheresis)",
        FacilityKind::Processing => "Processing (cell lab)",
    }
}

pub fn partnership_status(status: PartnershipStatus) -> &'static str {
    match status {
        PartnershipStatus::Proposed => "Proposed",
        PartnershipStatus::Active => "Active",
        PartnershipStatus::Ended => "Ended",
    }
}

/// An agreement's status in words: `legal_review` → "Legal review".
pub fn agreement_status(status: AgreementStatus) -> &'static str {
    match status {
        AgreementStatus::NotStarted => "Not started",
        AgreementStatus::Drafting => "Drafting",
        AgreementStatus::Negotiating => "Negotiating",
        AgreementStatus::LegalReview => "Legal review",
        AgreementStatus::Executed => "Executed",
        AgreementStatus::Withdrawn => "Withdrawn",
    }
}

pub fn agreement_status_badge(status: AgreementStatus) -> Markup {
    let tone = match status {
        AgreementStatus::Executed => Tone::Good,
        AgreementStatus::Drafting | AgreementStatus::Negotiating | AgreementStatus::LegalReview => {
            Tone::Waiting
        }
        AgreementStatus::NotStarted | AgreementStatus::Withdrawn => Tone::Quiet,
    };
    html! {
        span class={ "badge agreement-status " (tone.class()) } data-status=(status) { (agreement_status(status)) }
    }
}

/// An agreement kind as a heading: `quality_agreement` → "Quality agreement".
pub fn agreement_kind(kind: AgreementKind) -> String {
    kind.title()
}

/// A gate deliverable (DESIGN.md §2) in words: the domain's label.
pub fn deliverable(d: Deliverable) -> &'static str {
    d.label()
}

/// `site.created` → "Site created"; `api_token.revoked` → "API token revoked".
pub fn event_kind(kind: &str) -> String {
    let words = kind.replace(['.', '_'], " ");
    let words = words.replace("api token", "API token");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The app's messages start in lower case so they read well beside a field label; alone on a
/// page they start a sentence.
pub fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Through what a signature came, as shown beside it: "via web session", "via API token
/// "Ward 4 pump" (tok_…)", or "channel not recorded" for signatures made before it was.
pub fn signature_channel(channel: Option<&cellpath_ledger::Channel>) -> String {
    match channel {
        Some(c) => format!("via {c}"),
        None => "channel not recorded".into(),
    }
}

/// A field name of an event payload as a heading: `site_ids` → "site ids".
pub fn field_name(name: &str) -> String {
    name.replace('_', " ")
}

/// The colour families of badges, named for what they mean, not how they look.
#[derive(Clone, Copy)]
pub enum Tone {
    Good,
    Waiting,
    Quiet,
    Info,
    /// Something that no longer holds (revoked, blocking).
    Bad,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Tone::Good => "badge-good",
            Tone::Waiting => "badge-waiting",
            Tone::Quiet => "badge-quiet",
            Tone::Info => "badge-info",
            Tone::Bad => "badge-bad",
        }
    }
}

pub fn badge(text: &str, tone: Tone) -> Markup {
    html! { span class={ "badge " (tone.class()) } { (text) } }
}

pub fn role_badge(r: &str) -> Markup {
    html! { span.badge.badge-role data-role=(r) { (role(r)) } }
}

pub fn org_kind_badge(kind: OrgKind) -> Markup {
    html! { span.badge.badge-kind data-kind=(kind) { (org_kind(kind)) } }
}

pub fn facility_kind_badge(kind: FacilityKind) -> Markup {
    html! { span.badge.badge-kind data-kind=(kind) { (facility_kind(kind)) } }
}

pub fn partnership_status_badge(status: PartnershipStatus) -> Markup {
    let tone = match status {
        PartnershipStatus::Active => Tone::Good,
        PartnershipStatus::Proposed => Tone::Waiting,
        PartnershipStatus::Ended => Tone::Quiet,
    };
    html! {
        span class={ "badge status " (tone.class()) } data-status=(status) { (partnership_status(status)) }
    }
}

/// A partnership's status badge, saying "Declined" for a proposal the health system declined
/// (its status is then `ended`).
pub fn partnership_badge(p: &cellpath_app::views::Partnership) -> Markup {
    if p.declined() {
        return html! {
            span class={ "badge status " (Tone::Quiet.class()) } data-status="declined" { "Declined" }
        };
    }
    partnership_status_badge(p.status)
}

/// A due date, and for what is still open past it, "Overdue" with the days.
pub fn due(due_on: &Date, open: bool, today: &Date) -> Markup {
    let late = if open {
        -cellpath_domain::contracting::reminders::days_left(today, due_on)
    } else {
        0
    };
    html! {
        time datetime=(due_on) { (due_on) }
        @if late > 0 {
            br;
            span.overdue data-days-overdue=(late) {
                (badge("Overdue", Tone::Waiting)) " " (cellpath_app::onboarding::days_text(late))
            }
        }
    }
}

pub fn active_badge(active: bool) -> Markup {
    if active {
        badge("Active", Tone::Good)
    } else {
        badge("Inactive", Tone::Quiet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_read_as_words() {
        assert_eq!(event_kind("site.created"), "Site created");
        assert_eq!(event_kind("api_token.revoked"), "API token revoked");
        assert_eq!(event_kind("user.password_changed"), "User password changed");
        assert_eq!(event_kind(""), "");
    }

    #[test]
    fn every_deliverable_and_agreement_status_has_a_label() {
        use cellpath_domain::contracting::{AgreementStatus, Deliverable};
        for d in Deliverable::ALL {
            assert_ne!(deliverable(*d), d.as_str(), "{d} has no label");
        }
        for s in AgreementStatus::ALL {
            assert_ne!(agreement_status(*s), s.as_str(), "{s} has no label");
        }
    }

    #[test]
    fn every_role_has_a_label() {
        for r in cellpath_domain::Role::ALL {
            assert_ne!(role(r.as_str()), r.as_str(), "{r} has no label");
        }
    }
}
