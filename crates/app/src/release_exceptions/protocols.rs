//! Protocol versions: drafted by either side of an active partnership for one of its
//! programs, checked against the roles each side's active people hold (a tier that names a
//! role nobody holds would notify nobody), then signed by each side (21 CFR Part 11: the
//! password re-entered, meaning `approved`). The second signature agrees the version and
//! supersedes the one agreed before, in the same command, which also enqueues the gate's
//! review: the gate reads the agreed versions (`contracting/gate.rs`).

use crate::views::audit::Signature;
use crate::write::{Write, follow_up};
use crate::{App, AppError, Caller, FieldError, Idem, Outcome};
use cellpath_domain::events::Diff;
use cellpath_domain::events::release_exceptions::{
    ExceptionProtocolChanges, ExceptionProtocolCreated, ExceptionProtocolFields,
    ExceptionProtocolUpdated, ProtocolStatus,
};
use cellpath_domain::policy::{Action, ResourceKind};
use cellpath_domain::release_exception::{Protocol, RolesHeld};
use cellpath_domain::{Date, OrgKind};
use cellpath_ledger::{Meaning, Signed};
use cellpath_store::{ExceptionProtocolRow, Page, Partnership};
use serde::Deserialize;

/// What a protocol's signature names as its record kind.
pub const PROTOCOL_RECORD: &str = "exception_protocol";

/// A new protocol version, as a form or an API call sends it.
#[derive(utoipa::ToSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewExceptionProtocol {
    pub program_id: String,
    pub protocol: Protocol,
}

impl App {
    /// The roles held by someone active at each side of the partnership.
    async fn roles_held(&self, p: &Partnership) -> Result<RolesHeld, AppError> {
        let (m, h) = tokio::try_join!(
            self.store.users_of(&p.manufacturer_id, Page::all()),
            self.store.users_of(&p.health_system_id, Page::all()),
        )?;
        Ok(RolesHeld {
            manufacturer: m.iter().filter(|u| u.active).map(|u| u.role).collect(),
            health_system: h.iter().filter(|u| u.active).map(|u| u.role).collect(),
        })
    }

    /// A partnership's protocol versions, every program, oldest first.
    pub async fn exception_protocols(
        &self,
        caller: &Caller,
        partnership_id: &str,
    ) -> Result<Vec<ExceptionProtocolRow>, AppError> {
        let p = self
            .party_partnership(
                caller,
                partnership_id,
                Action::Read,
                ResourceKind::Deliverable,
                "release-exception protocols",
            )
            .await?;
        Ok(self
            .store
            .exception_protocols_of_partnerships(std::slice::from_ref(&p.id))
            .await?)
    }

    /// Draft a protocol version for a program of the partnership (either side). Every
    /// problem is named by its field (`protocol.tiers[0].recipients[1].role`); nothing is
    /// written unless it is valid.
    pub async fn draft_exception_protocol(
        &self,
        caller: &Caller,
        partnership_id: &str,
        input: NewExceptionProtocol,
        idem: Option<Idem>,
    ) -> Result<Outcome<ExceptionProtocolRow>, AppError> {
        let p = self
            .party_partnership(
                caller,
                partnership_id,
                Action::Create,
                ResourceKind::Deliverable,
                "release-exception protocols",
            )
            .await?;
        let mut problems = Vec::new();
        if !self
            .programs_in(&p)
            .await?
            .iter()
            .any(|pr| pr.id == input.program_id)
        {
            problems.push(FieldError {
                field: "program_id".into(),
                message: "is not a program of this partnership".into(),
            });
        }
        if let Err(found) = input.protocol.validate(&self.roles_held(&p).await?) {
            problems.extend(found.into_iter().map(|pr| FieldError {
                field: format!("protocol.{}", pr.field),
                message: pr.message,
            }));
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let content =
            serde_json::to_value(&input.protocol).map_err(|e| AppError::Internal(e.to_string()))?;
        let content_sha256 = cellpath_ledger::content_hash(&content)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let number = self
            .store
            .exception_protocols_of_partnerships(std::slice::from_ref(&p.id))
            .await?
            .iter()
            .filter(|v| v.program_id == input.program_id)
            .map(|v| v.number)
            .max()
            .unwrap_or(0)
            + 1;
        let event = ExceptionProtocolCreated {
            id: crate::ids::new_id("exp"),
            new: ExceptionProtocolFields {
                partnership_id: p.id.clone(),
                program_id: input.program_id.clone(),
                number,
                protocol: input.protocol.clone(),
                content_sha256: content_sha256.clone(),
                status: ProtocolStatus::Draft,
                manufacturer_signer: String::new(),
                health_system_signer: String::new(),
                agreed_on: None,
            },
        };
        let row = ExceptionProtocolRow {
            id: event.id.clone(),
            partnership_id: p.id.clone(),
            program_id: input.program_id,
            number,
            protocol: input.protocol,
            content_sha256,
            status: ProtocolStatus::Draft,
            manufacturer_signer: None,
            health_system_signer: None,
            agreed_on: None,
            version: 1,
            created_at: 0,
            updated_at: 0,
        };
        self.write(
            caller,
            idem,
            Write::event(&p.id, &event, move |e| ExceptionProtocolRow {
                created_at: e.recorded_at,
                updated_at: e.recorded_at,
                ..row.clone()
            })
            .created(),
        )
        .await
    }

    /// Sign a draft version for the caller's side. With the other side's signature already
    /// on it, the version is agreed today and the one agreed before is superseded.
    pub async fn sign_exception_protocol(
        &self,
        caller: &Caller,
        id: &str,
        password: &str,
        idem: Option<Idem>,
    ) -> Result<Outcome<Signature>, AppError> {
        let what = format!("release-exception protocol {id}");
        let v = self
            .store
            .exception_protocol(id)
            .await?
            .ok_or_else(|| AppError::not_found(&what))?;
        let p = self
            .party_partnership(
                caller,
                &v.partnership_id,
                Action::Update,
                ResourceKind::Deliverable,
                &what,
            )
            .await?;
        let principal = caller
            .principal
            .as_ref()
            .ok_or_else(|| AppError::Forbidden("only a person signs".into()))?;
        if v.status != ProtocolStatus::Draft {
            return Err(AppError::invalid(
                "status",
                format!(
                    "version {} is {}; only a draft is signed",
                    v.number, v.status
                ),
            ));
        }
        let side = principal.org_kind;
        let (mine, theirs) = match side {
            OrgKind::Manufacturer => (&v.manufacturer_signer, &v.health_system_signer),
            OrgKind::HealthSystem => (&v.health_system_signer, &v.manufacturer_signer),
        };
        if mine.is_some() {
            return Err(AppError::invalid(
                "status",
                "your side has already signed this version",
            ));
        }
        // The protocol is checked again: someone may have left since it was drafted.
        if let Err(found) = v.protocol.validate(&self.roles_held(&p).await?) {
            return Err(AppError::Invalid(
                found
                    .into_iter()
                    .map(|pr| FieldError {
                        field: format!("protocol.{}", pr.field),
                        message: pr.message,
                    })
                    .collect(),
            ));
        }
        let agrees = theirs.is_some();
        let today = Date::of_micros(self.now());
        let mut diff: Diff<ExceptionProtocolChanges> = Diff::default();
        let signer = principal.user_id.clone();
        match side {
            OrgKind::Manufacturer => {
                diff.set(|c| &mut c.manufacturer_signer, String::new(), signer)
            }
            OrgKind::HealthSystem => {
                diff.set(|c| &mut c.health_system_signer, String::new(), signer)
            }
        }
        let mut follow_ups = Vec::new();
        if agrees {
            diff.set(
                |c| &mut c.status,
                ProtocolStatus::Draft,
                ProtocolStatus::Agreed,
            );
            diff.set(|c| &mut c.agreed_on, None, Some(today));
            if let Some(before) = self
                .store
                .agreed_exception_protocol(&p.id, &v.program_id)
                .await?
            {
                // First, so the one-agreed index never sees two.
                let superseded = ExceptionProtocolUpdated {
                    id: before.id.clone(),
                    version: before.version + 1,
                    old: ExceptionProtocolChanges {
                        status: Some(ProtocolStatus::Agreed),
                        ..Default::default()
                    },
                    new: ExceptionProtocolChanges {
                        status: Some(ProtocolStatus::Superseded),
                        ..Default::default()
                    },
                };
                follow_ups.push(follow_up(move |_| superseded));
            }
        }
        let update = diff.updated(v.id.clone(), v.version + 1);
        follow_ups.push(follow_up(move |_| update));
        let enqueue = if agrees {
            vec![self.review_gate(&p.id)]
        } else {
            vec![]
        };
        self.sign_with(
            caller,
            &p.id,
            Signed::Record {
                record_kind: PROTOCOL_RECORD.into(),
                record_id: v.id.clone(),
                content_hash: v.content_sha256.clone(),
            },
            Meaning::Approved,
            password,
            idem,
            follow_ups,
            enqueue,
        )
        .await
        .map(|o| o.map(Into::into))
    }
}
