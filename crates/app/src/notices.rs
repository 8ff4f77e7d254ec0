//! What each side of a partnership is told (issue 4): expiry reminders recorded on the
//! partnership's ledger before an agreement lapses (`send_expiry_reminders`, the scheduled
//! job's), and the notices an organization reads across all its partnerships — those
//! reminders and the authorizations recorded by `review_authorizations` (authorized,
//! suspended with what is missing, reinstated). Both parties read the same records.

use crate::write::{Recorded, Write};
use crate::{App, AppError, Caller};
use cellpath_domain::contracting::gate::AuthorizationStatus::{self, Authorized, Suspended};
use cellpath_domain::contracting::reminders::{days_left, reminder_due};
use cellpath_domain::contracting::{AgreementKind, AgreementStatus};
use cellpath_domain::events::Event as _;
use cellpath_domain::events::contracting::{
    AuthorizationVerdict, ExpiryReminderCreated, ExpiryReminderFields, SiteAuthorizationCreated,
    SiteAuthorizationUpdated,
};
use cellpath_domain::policy::{Action, ResourceKind};
use cellpath_domain::{Date, PartnershipStatus};
use cellpath_store::{Page, Partnership};
use serde::Serialize;
use std::collections::HashMap;

/// A `site_authorization.*` event read into its type: the record's id, the status it moved
/// from (none when first recorded) and the verdict recorded.
fn recorded_verdict(
    e: &cellpath_store::StoredEventRow,
) -> Result<(String, Option<AuthorizationStatus>, AuthorizationVerdict), AppError> {
    let payload = cellpath_ledger::parse_event(e.body.as_bytes())
        .map_err(internal)?
        .payload;
    if e.kind == SiteAuthorizationCreated::KIND {
        let c: SiteAuthorizationCreated = serde_json::from_value(payload).map_err(internal)?;
        let verdict = AuthorizationVerdict {
            status: c.new.status,
            since: c.new.since,
            missing: c.new.missing,
        };
        return Ok((c.id, None, verdict));
    }
    let u: SiteAuthorizationUpdated = serde_json::from_value(payload).map_err(internal)?;
    Ok((u.id, Some(u.old.status), u.new))
}

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// An executed agreement lapses soon.
    ExpiryReminder,
    /// A site became an authorized treatment center for a program.
    SiteAuthorized,
    /// A site's authorization was suspended (an agreement withdrawn or expired, …).
    SiteSuspended,
    /// A suspended site was authorized again.
    SiteReinstated,
    /// A site added to the health system joined the partnership's onboarding (the
    /// partnership covers all current and future sites).
    SiteJoined,
}

/// One thing an organization is told, with the sentence a person reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    /// The record it comes from: an expiry reminder's id, or for an authorization, suspension
    /// or reinstatement the event that recorded it (`ledger:seq`).
    pub id: String,
    pub kind: NoticeKind,
    /// When it was recorded on the ledger (microseconds since the epoch); notices are listed
    /// newest first by it.
    #[schema(schema_with = crate::views::schema::micros)]
    pub recorded_at: i64,
    /// `YYYY-MM-DD`: the day the reminder was given, or since when the authorization holds.
    #[schema(schema_with = crate::views::schema::date)]
    pub on: String,
    pub partnership_id: String,
    pub partnership_name: String,
    /// The other party of the partnership, from the reader's side.
    pub partner_name: String,
    pub agreement_id: Option<String>,
    #[schema(schema_with = agreement_kind)]
    pub agreement_kind: Option<AgreementKind>,
    #[schema(schema_with = crate::views::schema::maybe_date)]
    pub expires_on: Option<String>,
    pub days_left: Option<i64>,
    pub site_id: Option<String>,
    pub site_name: Option<String>,
    pub program_id: Option<String>,
    pub program_name: Option<String>,
    /// What went missing, for a suspension (the gate's sentences).
    pub missing: Vec<String>,
    pub text: String,
}

/// An agreement's kind, or null.
fn agreement_kind() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .item(crate::views::schema::vocabulary::<AgreementKind>())
        .into()
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

impl App {
    /// The active partnerships of the whole network, each once (for the scheduled jobs).
    pub(crate) async fn active_partnerships(&self) -> Result<Vec<Partnership>, AppError> {
        let mut seen = std::collections::BTreeSet::new();
        let mut out = Vec::new();
        for org in self.store.organizations(Page::all()).await? {
            for p in self.store.partnerships_of(&org.id, Page::all()).await? {
                if p.status == PartnershipStatus::Active && seen.insert(p.id.clone()) {
                    out.push(p);
                }
            }
        }
        Ok(out)
    }

    /// Record the expiry reminders due on `today` in every active partnership (the hourly
    /// tick's `SendExpiryReminders` job): for each executed agreement with an expiry date, the
    /// threshold `reminder_due` names, once per (agreement, expiry date, threshold). Returns
    /// how many were recorded.
    pub async fn send_expiry_reminders(&self, today: Date) -> Result<usize, AppError> {
        let op = Caller::system("expiry-reminders");
        let mut recorded = 0;
        for p in self.active_partnerships().await? {
            match self.send_reminders_of(&op, &p, &today).await {
                Ok(n) => recorded += n,
                // Another run recorded the same reminder first (the unique index refused ours,
                // and the whole command with it): it was given, once; the next run catches up.
                Err(AppError::Duplicate { .. }) => {}
                // One partnership's trouble must not keep the others' reminders from going out.
                Err(e) => {
                    tracing::warn!(partnership_id = %p.id, error = %e, "expiry reminders of a partnership failed; the next run tries again");
                }
            }
        }
        Ok(recorded)
    }

    /// One partnership's due reminders, as one command on its ledger.
    async fn send_reminders_of(
        &self,
        caller: &Caller,
        p: &Partnership,
        today: &Date,
    ) -> Result<usize, AppError> {
        let sent = self.store.expiry_reminders_of(&p.id).await?;
        let mut events: Vec<Recorded> = Vec::new();
        let mut told = Vec::new();
        for a in self.store.agreements_of(&p.id).await? {
            if a.status != AgreementStatus::Executed {
                continue;
            }
            let Some(expires) = a.expires_on.clone() else {
                continue;
            };
            let before: Vec<i64> = sent
                .iter()
                .filter(|r| r.agreement_id == a.id && r.expires_on == expires)
                .map(|r| r.days_before)
                .collect();
            let Some(threshold) = reminder_due(today, &expires, &before) else {
                continue;
            };
            let reminder = ExpiryReminderCreated {
                id: crate::ids::new_id("rem"),
                new: ExpiryReminderFields {
                    partnership_id: p.id.clone(),
                    agreement_id: a.id.clone(),
                    agreement_kind: a.kind,
                    days_left: days_left(today, &expires),
                    expires_on: expires,
                    days_before: threshold,
                    sent_on: today.clone(),
                },
            };
            told.extend(crate::outbox::notices::expiry_reminder(
                p,
                &reminder.id,
                a.kind.label(),
                &reminder.new.expires_on,
                reminder.new.days_left,
            ));
            events.push(Recorded::of(&reminder));
        }
        let recorded = events.len();
        let Some(write) = Write::events(&p.id, events, |_| ()) else {
            return Ok(0);
        };
        let write = self.notify(write, &told).await?;
        self.write(caller, None, write.created()).await?.fresh()?;
        Ok(recorded)
    }

    /// The notices of an organization (the caller's own; the operator names one), across
    /// every partnership it is party to, newest first: expiry reminders and the recorded
    /// authorizations of sites. Both parties of a partnership see the same notices.
    pub async fn notices(
        &self,
        caller: &Caller,
        org_id: &str,
        page: Page,
    ) -> Result<Vec<Notice>, AppError> {
        caller.refuse_other_org(org_id, "notices")?;
        let mut names: HashMap<String, String> = HashMap::new();
        let mut out = Vec::new();
        // A proposal has nothing to tell (it takes no writes); an ended partnership keeps
        // what it told.
        let told = [
            PartnershipStatus::Active.as_str(),
            PartnershipStatus::Ended.as_str(),
        ];
        for p in self.store.partnerships_of_in(org_id, &told).await? {
            let rel = self.partnership_relation(caller, &p);
            if self
                .check(caller, Action::Read, ResourceKind::Contract, rel, "")
                .is_err()
            {
                continue;
            }
            let partner_id = if p.manufacturer_id == org_id {
                &p.health_system_id
            } else {
                &p.manufacturer_id
            };
            if !names.contains_key(partner_id) {
                let name = self
                    .store
                    .organization(partner_id)
                    .await?
                    .map_or_else(|| partner_id.clone(), |o| o.name);
                names.insert(partner_id.clone(), name);
            }
            let partner = names[partner_id].clone();
            let base = Notice {
                id: String::new(),
                kind: NoticeKind::ExpiryReminder,
                recorded_at: 0,
                on: String::new(),
                partnership_id: p.id.clone(),
                partnership_name: p.name.clone(),
                partner_name: partner.clone(),
                agreement_id: None,
                agreement_kind: None,
                expires_on: None,
                days_left: None,
                site_id: None,
                site_name: None,
                program_id: None,
                program_name: None,
                missing: vec![],
                text: String::new(),
            };
            // A site added since the partnership was accepted that joined its onboarding.
            for j in self.joins_of(&p).await?.into_iter().filter(|j| j.joined()) {
                out.push(Notice {
                    id: format!("{}:joined:{}", p.id, j.site.id),
                    kind: NoticeKind::SiteJoined,
                    recorded_at: j.site.created_at,
                    on: Date::of_micros(j.site.created_at).into(),
                    text: format!(
                        "{} joined the onboarding of {}: the partnership covers all current and future sites",
                        j.site.name, p.name
                    ),
                    site_id: Some(j.site.id.clone()),
                    site_name: Some(j.site.name.clone()),
                    ..base.clone()
                });
            }
            let reminders = self.store.expiry_reminders_of(&p.id).await?;
            let authorizations = self.store.site_authorizations_of(&p.id).await?;
            if reminders.is_empty() && authorizations.is_empty() {
                continue;
            }
            let sites = self.store.sites_of_partnership(&p.id).await?;
            let site_name = |id: &str| {
                sites
                    .iter()
                    .find(|s| s.id == id)
                    .map_or(id.to_string(), |s| s.name.clone())
            };
            let agreements = if reminders.is_empty() {
                vec![]
            } else {
                self.store.agreements_of(&p.id).await?
            };
            for r in reminders {
                // A site-scope agreement names its site.
                let site_id = agreements
                    .iter()
                    .find(|a| a.id == r.agreement_id)
                    .and_then(|a| a.site_id.clone());
                let site = site_id.as_deref().map(site_name);
                out.push(Notice {
                    text: format!(
                        "{}{} with {partner} expires on {} — {} left",
                        r.agreement_kind.title(),
                        site.as_ref().map_or(String::new(), |s| format!(" for {s}")),
                        r.expires_on,
                        days(r.days_left)
                    ),
                    id: r.id,
                    recorded_at: r.created_at,
                    on: r.sent_on.into(),
                    agreement_id: Some(r.agreement_id),
                    agreement_kind: Some(r.agreement_kind),
                    expires_on: Some(r.expires_on.into()),
                    days_left: Some(r.days_left),
                    site_id,
                    site_name: site,
                    ..base.clone()
                });
            }
            let programs = self
                .store
                .programs_of(&p.manufacturer_id, Page::all())
                .await?;
            // Every verdict the ledger recorded, not only the current one: a suspension later
            // reinstated is still something both sides were told.
            let rows: HashMap<&str, &cellpath_store::SiteAuthorization> =
                authorizations.iter().map(|a| (a.id.as_str(), a)).collect();
            for e in self
                .store
                .events_of_type(&p.id, "site_authorization.")
                .await?
            {
                let (id, old_status, verdict) = recorded_verdict(&e)?;
                let Some(row) = rows.get(id.as_str()) else {
                    continue;
                };
                let since = verdict.since.as_str().to_string();
                let site = site_name(&row.site_id);
                let program = programs
                    .iter()
                    .find(|pr| pr.id == row.program_id)
                    .map_or(row.program_id.clone(), |pr| pr.name.clone());
                let missing = verdict.missing;
                let (kind, text) = match (old_status, verdict.status) {
                    (None, Authorized) => (
                        NoticeKind::SiteAuthorized,
                        format!(
                            "{site} is an authorized treatment center for {program} since {since}"
                        ),
                    ),
                    (Some(Suspended), Authorized) => (
                        NoticeKind::SiteReinstated,
                        format!("{site} is reinstated for {program} since {since}"),
                    ),
                    (Some(Authorized), Suspended) => (
                        NoticeKind::SiteSuspended,
                        format!(
                            "{site} is suspended for {program} since {since}. Missing: {}",
                            missing.join("; ")
                        ),
                    ),
                    // Still suspended with other items missing: the gate page shows the list;
                    // nobody needs telling again.
                    _ => continue,
                };
                out.push(Notice {
                    id: format!("{}:{}", e.ledger_id, e.seq),
                    kind,
                    recorded_at: e.recorded_at,
                    on: since,
                    site_id: Some(row.site_id.clone()),
                    site_name: Some(site),
                    program_id: Some(row.program_id.clone()),
                    program_name: Some(program),
                    missing,
                    text,
                    ..base.clone()
                });
            }
        }
        out.sort_by(|a, b| {
            b.recorded_at
                .cmp(&a.recorded_at)
                .then_with(|| b.id.cmp(&a.id))
        });
        let offset = usize::try_from(page.offset).unwrap_or(0);
        let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
        Ok(out.into_iter().skip(offset).take(limit).collect())
    }
}
