//! Who is calling, and how a resource relates to them. The decision itself is
//! `cellpath_domain::policy::decide`; this module only looks up the facts it needs.

use crate::{App, AppError};
use cellpath_domain::policy::{
    Action, Decision, Principal, Relation, Resource, ResourceKind, decide,
};
use cellpath_store::{ApiToken, Partnership};

/// How the caller proved who they are. Signing needs a password re-entered at the moment, on
/// every channel: an API token never signs alone (DESIGN.md §3); each signature records the
/// channel it came through ([`Via::channel`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Session,
    /// One of the caller's API tokens, by id and name.
    Token {
        id: String,
        name: String,
    },
    /// The operator at the command line (`cellpath org create`…), or the demo seeder.
    System,
}

impl Via {
    /// The channel a signature made by this caller came through, as the ledger records it.
    pub fn channel(&self) -> cellpath_ledger::Channel {
        match self {
            Via::Session => cellpath_ledger::Channel::WebSession,
            Via::Token { id, name } => cellpath_ledger::Channel::ApiToken {
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
    pub fn org_id(&self) -> Option<&str> {
        self.principal.as_ref().map(|p| p.org_id.as_str())
    }
}

fn verdict(decision: Decision, what: &str, action: Action) -> Result<(), AppError> {
    match decision {
        Decision::Allow => Ok(()),
        Decision::NotFound => Err(AppError::not_found(what)),
        Decision::Forbidden => Err(AppError::Forbidden(format!(
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
        verdict(decide(p, action, Resource { kind, relation }), what, action)
    }

    /// How an organization (or what it owns) relates to the caller.
    pub async fn org_relation(&self, caller: &Caller, org_id: &str) -> Result<Relation, AppError> {
        let Some(p) = &caller.principal else {
            return Ok(Relation::OwnOrg);
        };
        Ok(if p.org_id == org_id {
            Relation::OwnOrg
        } else if self.store.are_partners(&p.org_id, org_id).await? {
            Relation::PartnerOrg
        } else {
            Relation::Unrelated
        })
    }

    pub fn partnership_relation(&self, caller: &Caller, partnership: &Partnership) -> Relation {
        match &caller.principal {
            None => Relation::Party,
            Some(p)
                if p.org_id == partnership.manufacturer_id
                    || p.org_id == partnership.health_system_id =>
            {
                Relation::Party
            }
            Some(_) => Relation::Unrelated,
        }
    }

    pub async fn user_relation(
        &self,
        caller: &Caller,
        user_id: &str,
        org_id: &str,
    ) -> Result<Relation, AppError> {
        match &caller.principal {
            Some(p) if p.user_id == user_id => Ok(Relation::SelfOwned),
            _ => self.org_relation(caller, org_id).await,
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
