//! The notifications of the notices that exist (`notices.rs`): an expiry reminder and a site's
//! authorization, suspension or reinstatement, told to both sides of the partnership — by
//! webhook to the endpoints that want the kind, by e-mail to the people whose work it touches.

use super::Notification;
use cellpath_domain::Role;
use cellpath_domain::contracting::gate::Transition;
use cellpath_store::Partnership;

/// Who reads an agreement's reminder: those who negotiate agreements, and the admins.
const CONTRACT_ROLES: &[Role] = &[Role::Admin, Role::Contracts];

/// Who is told a site's authorization changed: whoever works the onboarding or treats under
/// it (a suspended site may not start a case).
const AUTHORIZATION_ROLES: &[Role] = &[
    Role::Admin,
    Role::Contracts,
    Role::Onboarding,
    Role::Quality,
    Role::Coordinator,
];

/// The same notification to each side of `p`.
fn to_both_sides(
    p: &Partnership,
    roles: &[Role],
    kind: &str,
    subject: String,
    body: String,
    source_event: &str,
) -> Vec<Notification> {
    [&p.manufacturer_id, &p.health_system_id]
        .into_iter()
        .map(|org_id| Notification {
            org_id: org_id.clone(),
            roles: roles.to_vec(),
            kind: kind.into(),
            subject: subject.clone(),
            body: body.clone(),
            link: format!("/partnerships/{}", p.id),
            source_event: source_event.into(),
        })
        .collect()
}

/// An executed agreement lapses soon (`reminder_id` the reminder recorded).
pub(crate) fn expiry_reminder(
    p: &Partnership,
    reminder_id: &str,
    agreement: &str,
    expires_on: &cellpath_domain::Date,
    days_left: i64,
) -> Vec<Notification> {
    let left = if days_left == 1 {
        "1 day".to_string()
    } else {
        format!("{days_left} days")
    };
    to_both_sides(
        p,
        CONTRACT_ROLES,
        "expiry_reminder",
        format!("{}: the {agreement} expires in {left}", p.name),
        format!(
            "The {agreement} of the partnership {} expires on {} ({left} left). Renew it before then, or the sites that rest on it are suspended.",
            p.name,
            expires_on.words()
        ),
        reminder_id,
    )
}

/// A site's authorization for a program moved (`authorization_id` the record).
pub(crate) fn authorization(
    p: &Partnership,
    authorization_id: &str,
    transition: &Transition,
    site: &str,
    program: &str,
) -> Vec<Notification> {
    let (kind, subject, body) = match transition {
        Transition::FirstAuthorization(v) => (
            "site_authorized",
            format!("{site} is authorized to treat with {program}"),
            format!(
                "{site} became an authorized treatment center for {program} under {} on {}.",
                p.name,
                v.since.words()
            ),
        ),
        Transition::Suspension(v) => (
            "site_suspended",
            format!("{site} is suspended for {program}"),
            format!(
                "The authorization of {site} for {program} under {} is suspended since {}. Missing: {}.",
                p.name,
                v.since.words(),
                v.missing.join("; ")
            ),
        ),
        Transition::Reinstatement(v) => (
            "site_reinstated",
            format!("{site} is authorized again for {program}"),
            format!(
                "{site} is an authorized treatment center for {program} under {} again since {}.",
                p.name,
                v.since.words()
            ),
        ),
        Transition::StillSuspended(_) | Transition::None => return vec![],
    };
    to_both_sides(
        p,
        AUTHORIZATION_ROLES,
        kind,
        subject,
        body,
        authorization_id,
    )
}

/// A release exception's tier told (`release_exception.notified`): to each side the tier
/// names, its recipients' roles, by e-mail and webhook when the protocol's channels for the
/// tier include them (in-app it is on the exception and the inbox already; a phone call is the
/// people's). No patient detail leaves: the case is named by its id, the page holds the rest.
pub(crate) fn release_exception_tier(
    p: &Partnership,
    case_id: &str,
    exception_id: &str,
    kind: &str,
    tier: &cellpath_domain::release_exception::Tier,
    tier_number: usize,
    escalated: bool,
) -> Vec<Notification> {
    use cellpath_domain::OrgKind;
    use cellpath_domain::release_exception::Channel;
    if !tier
        .channels
        .iter()
        .any(|c| matches!(c, Channel::Email | Channel::Webhook))
    {
        return Vec::new();
    }
    let subject = if escalated {
        format!(
            "Release exception escalated to tier {}: {kind}",
            tier_number + 1
        )
    } else {
        format!("Release exception opened: {kind}")
    };
    let body = format!(
        "A release exception ({kind}) on case {case_id} needs acknowledging within {} minutes (tier {}). Open the case to acknowledge it and see the protocol's next steps.",
        tier.notify_within_minutes,
        tier_number + 1
    );
    [
        (OrgKind::Manufacturer, &p.manufacturer_id),
        (OrgKind::HealthSystem, &p.health_system_id),
    ]
    .into_iter()
    .filter_map(|(side, org_id)| {
        let roles: Vec<Role> = tier
            .recipients
            .iter()
            .filter(|r| r.side == side)
            .map(|r| r.role)
            .collect();
        (!roles.is_empty()).then(|| Notification {
            org_id: org_id.clone(),
            roles,
            kind: "release_exception".into(),
            subject: subject.clone(),
            body: body.clone(),
            link: format!("/cases/{case_id}"),
            source_event: exception_id.into(),
        })
    })
    .collect()
}
