//! Who is calling, and how a resource relates to them. The decision itself is
//! `cellpath_domain::policy::decide`; this module only looks up the facts it needs.

use crate::{App, AppError};
use cellpath_domain::PartnershipStatus;
use cellpath_domain::policy::{
    Action, Decision, PatientView, Principal, Relation, Resource, ResourceKind, decide,
};
use cellpath_store::{ApiToken, Partnership};

/// How the caller proved who they are. Signing needs a password re-entered at the moment, on
/// every channel: an API token never signs alone (DESIGN.md §3); each signature records the
/// channel it came through ([`Via::channel`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Session,
    /// One of the caller's API tokens, by id and name; a read-only one may change nothing.
    Token {
        id: String,
        name: String,
        read_only: bool,
    },
    /// The operator at the command line (`cellpath org create`…), or the demo seeder.
    System,
}

impl Via {
    /// The channel a signature made by this caller came through, as the ledger records it.
    pub fn channel(&self) -> cellpath_ledger::Channel {
        match self {
            Via::Session => cellpath_ledger::Channel::WebSession,
            Via::Token { id, name, .. } => cellpath_ledger::Channel::ApiToken {
                token_id: id.clone(),
                token_name: name.clone(),
            },
            Via::System => cellpath_ledger::Channel::System,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Caller {
    /// `None` for the system.
    pub principal: Option<Principal>,
    pub name: String,
    pub via: Via,
}

impl Caller {
    pub fn user(principal: Principal, name: String, via: Via) -> Caller {
        Caller {
            principal: Some(principal),
            name,
            via,
        }
    }
    pub fn system(what: &str) -> Caller {
        Caller {
            principal: None,
            name: what.to_string(),
            via: Via::System,
        }
    }
    /// The `actor` of events this caller appends.
    pub fn actor(&self) -> String {
        match &self.principal {
            Some(p) => format!("user:{}", p.user_id),
            None => format!("system:{}", self.name),
        }
    }
    /// Whether the caller came through a read-only API token: every write is refused.
    pub fn read_only(&self) -> bool {
        matches!(
            self.via,
            Via::Token {
                read_only: true,
                ..
            }
        )
    }
    pub fn org_id(&self) -> Option<&str> {
        self.principal.as_ref().map(|p| p.org_id.as_str())
    }
    /// For what an organization is told about itself across its partnerships: only its own
    /// people ask (others: not found); the operator names any organization.
    pub fn refuse_other_org(&self, org_id: &str, what: &str) -> Result<(), AppError> {
        match self.org_id() {
            Some(own) if own != org_id => Err(AppError::not_found(format!("{what} of {org_id}"))),
            _ => Ok(()),
        }
    }
}

fn verdict(
    decision: Decision,
    what: &str,
    action: Action,
    relation: Relation,
) -> Result<(), AppError> {
    match (decision, relation) {
        (Decision::Allow | Decision::Shows(_), _) => Ok(()),
        (Decision::NotFound, _) => Err(AppError::not_found(what)),
        // Nobody writes into an ended partnership, or signs on a proposal: say so.
        (Decision::Forbidden, Relation::Party(PartnershipStatus::Ended))
            if action != Action::Read =>
        {
            Err(AppError::Forbidden(format!(
                "{what}: the partnership has ended; its record stays readable as it stood, but nothing in it changes any more"
            )))
        }
        (Decision::Forbidden, Relation::Party(PartnershipStatus::Proposed))
            if action == Action::Sign =>
        {
            Err(AppError::Forbidden(
                "the partnership is only proposed: nothing is signed on it until the health system accepts it".into(),
            ))
        }
        (Decision::Forbidden, _) => Err(AppError::Forbidden(format!(
            "your role may not {} {what}",
            match action {
                Action::Read => "read",
                Action::Create => "create",
                Action::Update => "change",
                Action::Sign => "sign on",
            }
        ))),
    }
}

impl App {
    /// Check `action` on a resource that stands in `relation` to the caller.
    pub fn check(
        &self,
        caller: &Caller,
        action: Action,
        kind: ResourceKind,
        relation: Relation,
        what: &str,
    ) -> Result<(), AppError> {
        let Some(p) = &caller.principal else {
            return Ok(());
        };
        verdict(
            decide(p, action, Resource { kind, relation }),
            what,
            action,
            relation,
        )
    }

    /// What the caller may see of a patient who stands in `relation` to them (the site's own
    /// staff: `OwnOrg`; the manufacturer: `Party` in the partnership's status): the view every
    /// answer about the patient is cut to, or not found. The operator (no principal) sees the
    /// pseudonym only: it runs the system, it does not treat anyone.
    pub fn patient_view(
        &self,
        caller: &Caller,
        relation: Relation,
        what: &str,
    ) -> Result<PatientView, AppError> {
        let Some(p) = &caller.principal else {
            return Ok(PatientView::Pseudonym);
        };
        let decision = decide(
            p,
            Action::Read,
            Resource {
                kind: ResourceKind::Patient,
                relation,
            },
        );
        verdict(decision, what, Action::Read, relation)?;
        decision
            .patient_view()
            .ok_or_else(|| AppError::Internal(format!("the policy gives no view of {what}")))
    }

    /// How an organization relates to the caller: its own, or its partner through the most
    /// opening of their partnerships (active, ended, proposed). For a record the organization
    /// owns, ask [`App::owned_relation`]: an ended partnership opens only what existed then.
    pub async fn org_relation(&self, caller: &Caller, org_id: &str) -> Result<Relation, AppError> {
        self.owned_relation(caller, org_id, None).await
    }

    /// How a record of `org_id` created at `created_at` relates to the caller: through an
    /// ended partnership only if it existed when the partnership ended (an ended partnership
    /// takes no change, so its `updated_at` is when it ended). `None`: the organization itself
    /// or all it owns (a list the store filters the same way).
    pub async fn owned_relation(
        &self,
        caller: &Caller,
        org_id: &str,
        created_at: Option<i64>,
    ) -> Result<Relation, AppError> {
        let Some(p) = &caller.principal else {
            return Ok(Relation::OwnOrg);
        };
        if p.org_id == org_id {
            return Ok(Relation::OwnOrg);
        }
        let between = self.store.partnerships_between(&p.org_id, org_id).await?;
        Ok(most_opening(&between, created_at).map_or(Relation::Unrelated, Relation::PartnerOrg))
    }

    /// The partnership, checked for `action` on its `kind` of record (site maps, readiness,
    /// agreements, deliverables) in the partnership's status: a proposal shows none of them,
    /// an ended partnership only reads them. Nobody at all changes an ended one.
    pub(crate) async fn party_partnership(
        &self,
        caller: &Caller,
        partnership_id: &str,
        action: Action,
        kind: ResourceKind,
        what: &str,
    ) -> Result<Partnership, AppError> {
        let p = self.partnership_row(caller, partnership_id).await?;
        let rel = self.partnership_relation(caller, &p);
        self.check(caller, action, kind, rel, what)?;
        if action != Action::Read {
            crate::sitemaps::refuse_if_ended(&p)?;
        }
        Ok(p)
    }

    /// A site of the partnership's health system, if the partnership opens it: any while it
    /// is active, one that existed when it ended once it has ended, none of a proposal.
    pub(crate) async fn partnership_site(
        &self,
        p: &Partnership,
        site_id: &str,
    ) -> Result<Option<cellpath_store::Site>, AppError> {
        Ok(self.store.site_of_partnership(&p.id, site_id).await?)
    }

    /// A partnership as the caller stands to it: a party, in the partnership's status.
    pub fn partnership_relation(&self, caller: &Caller, partnership: &impl Parties) -> Relation {
        let party = Relation::Party(partnership.standing());
        match &caller.principal {
            None => party,
            Some(p)
                if p.org_id == partnership.manufacturer_id()
                    || p.org_id == partnership.health_system_id() =>
            {
                party
            }
            Some(_) => Relation::Unrelated,
        }
    }

    pub async fn user_relation(
        &self,
        caller: &Caller,
        user: &crate::views::User,
    ) -> Result<Relation, AppError> {
        match &caller.principal {
            Some(p) if p.user_id == user.id => Ok(Relation::SelfOwned),
            _ => {
                self.owned_relation(caller, &user.org_id, Some(user.created_at))
                    .await
            }
        }
    }

    pub async fn token_relation(
        &self,
        caller: &Caller,
        token: &ApiToken,
    ) -> Result<Relation, AppError> {
        let Some(p) = &caller.principal else {
            return Ok(Relation::OwnOrg);
        };
        if p.user_id == token.user_id {
            return Ok(Relation::SelfOwned);
        }
        let owner = self.store.user(&token.user_id).await?;
        Ok(match owner {
            Some(u) if u.org_id == p.org_id => Relation::OwnOrg,
            _ => Relation::Unrelated,
        })
    }

    /// How a ledger relates to the caller: its owner organization, or a party to its partnership.
    pub async fn ledger_relation(
        &self,
        caller: &Caller,
        ledger_id: &str,
    ) -> Result<Relation, AppError> {
        let Some(p) = &caller.principal else {
            return Ok(Relation::OwnOrg);
        };
        if ledger_id == p.org_id {
            return Ok(Relation::OwnOrg);
        }
        if let Some(partnership) = self.store.partnership(ledger_id).await? {
            return Ok(self.partnership_relation(caller, &partnership));
        }
        Ok(Relation::Unrelated)
    }
}

/// A partnership's status as the policy reads it: a proposal ended or declined before it was
/// ever accepted stays a proposal to the policy (it shows each side the other's name and the
/// programs proposed, and opens nothing); the app refuses every change of an ended one.
pub(crate) fn status_of(p: &Partnership) -> PartnershipStatus {
    standing(p.status, p.accepted_at)
}

/// A partnership's status as the policy reads it: one ended before it was ever accepted (a
/// proposal declined or withdrawn) stays a proposal.
fn standing(status: PartnershipStatus, accepted_at: Option<i64>) -> PartnershipStatus {
    match status {
        PartnershipStatus::Ended if accepted_at.is_none() => PartnershipStatus::Proposed,
        s => s,
    }
}

/// What the policy reads of a partnership — its two parties and where it stands — from the
/// store's row (the app's own commands) or the app's view (the web's pages).
pub trait Parties {
    fn manufacturer_id(&self) -> &str;
    fn health_system_id(&self) -> &str;
    fn standing(&self) -> PartnershipStatus;
}

impl Parties for Partnership {
    fn manufacturer_id(&self) -> &str {
        &self.manufacturer_id
    }
    fn health_system_id(&self) -> &str {
        &self.health_system_id
    }
    fn standing(&self) -> PartnershipStatus {
        status_of(self)
    }
}

impl Parties for crate::views::Partnership {
    fn manufacturer_id(&self) -> &str {
        &self.manufacturer_id
    }
    fn health_system_id(&self) -> &str {
        &self.health_system_id
    }
    fn standing(&self) -> PartnershipStatus {
        standing(self.status, self.accepted_at)
    }
}

/// The most opening of the partnerships between two organizations, for a record created at
/// `created_at` (`None`: the organization itself): active; else ended, if the record existed
/// when it ended; else proposed. `None` when none relates them.
fn most_opening(between: &[Partnership], created_at: Option<i64>) -> Option<PartnershipStatus> {
    let statuses: Vec<PartnershipStatus> = between
        .iter()
        .filter_map(|p| match status_of(p) {
            PartnershipStatus::Ended if created_at.is_some_and(|c| c > p.updated_at) => None,
            s => Some(s),
        })
        .collect();
    [
        PartnershipStatus::Active,
        PartnershipStatus::Ended,
        PartnershipStatus::Proposed,
    ]
    .into_iter()
    .find(|s| statuses.contains(s))
}
