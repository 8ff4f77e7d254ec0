//! The one access policy (DESIGN.md §2). Every read and write of the app goes through
//! [`decide`]; the app's job is only to tell it how the resource relates to the user.
//! What a user may not read is `NotFound` (the API answers 404, so existence does not leak);
//! what it may read but not change is `Forbidden` (403).
//!
//! The expected outcome for every role × relation × resource × action is written out by hand
//! in `policy_matrix.txt`, and a test compares the two, so a change here shows in review.

use crate::org::{OrgKind, PartnershipStatus, Role};
use serde::Serialize;

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub user_id: String,
    pub org_id: String,
    pub org_kind: OrgKind,
    pub role: Role,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    Organization,
    Site,
    Facility,
    User,
    Partnership,
    ApiToken,
    /// A manufacturer's therapy, with its process map versions.
    Program,
    /// A site's refined version of a program's map, and proposals on it (partnership ledger).
    SiteMap,
    /// Site visits, requirements' gaps and their closure (partnership ledger).
    Readiness,
    /// Agreements of a partnership (partnership ledger).
    Contract,
    /// A gate deliverable recorded done at a site for a program, e-signed (partnership
    /// ledger): formulary approval, staff training, the release-exception protocol, …
    Deliverable,
    /// A ledger's events: the audit trail.
    Ledger,
    /// A patient and their case at a site for a program (DESIGN.md §2, §3): the identity on
    /// the health system's ledger, the case under its pseudonym on the partnership's. A
    /// health system's own staff stand to it as `OwnOrg`; the manufacturer through the
    /// partnership the case is under (`Party`). A read answers with what may be seen of the
    /// patient: [`Decision::Shows`] with a [`PatientView`].
    Patient,
    /// An adverse event of a case as it reaches the manufacturer (DESIGN.md §2, §4.4): a
    /// safety report under the case's pseudonym, read by the manufacturer's `safety` role (who
    /// acknowledges it, while the partnership is active) and its `quality` (who reads it beside
    /// deviations and release decisions), through an active or ended partnership; no one else
    /// of the manufacturer, nothing through a proposal. The health system's staff see their
    /// adverse event on the case itself, with whether it was acknowledged, not the report.
    SafetyReport,
    /// Where an organization's notifications are posted (issue 13, point 4): its webhook
    /// endpoints, their secrets and the record of every delivery attempt. Its admins' only;
    /// nobody else, of the organization or outside it, learns they exist.
    WebhookEndpoint,
    /// Money of a partnership (DESIGN.md §4.6; issue 14), on its ledger: the payment terms
    /// the manufacturer proposes per program, the invoice they make per case, and what is paid
    /// and credited against it. Each side's admin, contracts and finance people read it; the
    /// other roles of a party, who treat, make or ship, see no money (403). Its admins and
    /// finance (and the manufacturer's contracts people, who negotiate terms) write it while
    /// the partnership is active; which side writes what is the app's: terms and credits the
    /// manufacturer, payments the health system. A proposal opens none of it.
    Payment,
    /// A health system's own money with its payers (issue 14, points 2 and 3), on its own
    /// ledger: its payer profiles, each case's claim, and its exposure now. Its admins and
    /// finance people read and write them; its other staff get 403 (they see the case, not
    /// what was billed for it). The manufacturer, through any partnership, and another tenant
    /// never learn a claim exists (404): the claims are the health system's.
    Claim,
}

/// What a principal may see of a patient (DESIGN.md §2). Ordered from least to most: a view
/// includes everything of the ones before it. "None" is no view at all: [`Decision::NotFound`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PatientView {
    /// The case pseudonym (e.g. `VAN-LUH-0042`), initials and birth year: everyone else on a
    /// partnership.
    Pseudonym,
    /// What the chain of identity needs — name, date of birth, identifiers — for the
    /// manufacturer's `patient_ops`, under the patient's authorization (a fact of the case the
    /// app checks; the policy says who may ever see it).
    ChainOfIdentity,
    /// Everything: the site's own staff who treat, dispense, bill or report for the patient.
    Full,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Read,
    Create,
    Update,
    /// Record an e-signature on the ledger.
    Sign,
}

/// How the resource stands to the principal. The app derives it from stored rows
/// (`app::access`); the policy never looks at ids itself.
///
/// What a partnership opens depends on its status (DESIGN.md §2): a proposal shows each side
/// only the other's name and the programs proposed, and takes no writes but its acceptance or
/// end; an active partnership opens the partner's sites and facilities and the work at them;
/// an ended one keeps the record readable as it stood, and takes no writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The principal's own user record or API token.
    SelfOwned,
    /// Owned by the principal's organization.
    OwnOrg,
    /// Owned by an organization the principal's organization is in partnership with, through
    /// the most opening of their partnerships (active, then ended — for what existed when it
    /// ended — then proposed).
    PartnerOrg(PartnershipStatus),
    /// A partnership (or its ledger) to which the principal's organization is a party, in the
    /// partnership's status.
    Party(PartnershipStatus),
    /// Anything else: another tenant's data.
    Unrelated,
}

/// The resource, as far as the policy needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    pub kind: ResourceKind,
    pub relation: Relation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allow,
    /// Readable, but this action is not the principal's to take (HTTP 403).
    Forbidden,
    /// Not visible to the principal at all (HTTP 404).
    NotFound,
    /// Readable through a view: what a read of a patient answers (never for other kinds).
    Shows(PatientView),
}

impl Decision {
    /// Whether the action may be taken (a read through a patient view included).
    pub fn allows(self) -> bool {
        matches!(self, Decision::Allow | Decision::Shows(_))
    }

    /// The view of a patient a read allows, if any.
    pub fn patient_view(self) -> Option<PatientView> {
        match self {
            Decision::Shows(view) => Some(view),
            _ => None,
        }
    }

    fn allow_if(cond: bool) -> Decision {
        if cond {
            Decision::Allow
        } else {
            Decision::Forbidden
        }
    }
}

pub fn decide(who: &Principal, action: Action, resource: Resource) -> Decision {
    use Action::*;
    use Decision::*;
    use Relation::*;
    use ResourceKind as K;

    use PartnershipStatus::{Active, Ended, Proposed};

    let role = who.role;
    let admin = role == Role::Admin;
    let mfr = who.org_kind == OrgKind::Manufacturer;

    match (resource.kind, resource.relation) {
        (_, Unrelated) => NotFound,

        // A proposal shows the partner's name only: nothing it owns but its organization,
        // nothing of the work of the partnership (there is none: it takes no writes).
        (K::Site | K::Facility | K::User | K::Program, PartnerOrg(Proposed)) => NotFound,
        (K::SiteMap | K::Readiness | K::Contract | K::Deliverable, Party(Proposed)) => NotFound,
        // An ended partnership is the record as it stood: read, never written.
        (
            K::SiteMap | K::Readiness | K::Contract | K::Deliverable | K::Partnership,
            Party(Ended),
        ) => match action {
            Read => Allow,
            _ => Forbidden,
        },
        // Signing on a partnership's ledger writes into it: only while it is active.
        (K::Ledger, Party(Proposed | Ended)) if action == Sign => Forbidden,

        // Organizations are created by the operator (`cellpath org create`), not by a tenant.
        (K::Organization, OwnOrg) => match action {
            Read => Allow,
            Update => Decision::allow_if(admin),
            Create | Sign => Forbidden,
        },
        (K::Organization, PartnerOrg(_)) => match action {
            Read => Allow,
            _ => Forbidden,
        },

        // Sites and facilities belong to a health system; its partners may look (through an
        // ended partnership, at those that existed when it ended: the app derives the relation).
        (K::Site | K::Facility, OwnOrg) => match action {
            Read => Allow,
            Create | Update => Decision::allow_if(admin),
            Sign => Forbidden,
        },
        (K::Site | K::Facility, PartnerOrg(Active | Ended)) => match action {
            Read => Allow,
            _ => Forbidden,
        },

        (K::User, SelfOwned) => match action {
            Read | Update => Allow,
            Create | Sign => Forbidden,
        },
        (K::User, OwnOrg) => match action {
            Read => Allow,
            Create | Update => Decision::allow_if(admin),
            Sign => Forbidden,
        },
        // A partner's people are contacts (owners on the other side of an agreement).
        (K::User, PartnerOrg(Active | Ended)) => match action {
            Read => Allow,
            _ => Forbidden,
        },

        (K::Partnership, Party(Proposed | Active)) => match action {
            Read => Allow,
            Create => Decision::allow_if(
                mfr && matches!(role, Role::Admin | Role::Onboarding | Role::Contracts),
            ),
            Update => Decision::allow_if(if mfr {
                matches!(role, Role::Admin | Role::Onboarding | Role::Contracts)
            } else {
                matches!(role, Role::Admin | Role::Contracts)
            }),
            Sign => Forbidden,
        },

        // A program and its maps are the manufacturer's; partner health systems read them.
        (K::Program, OwnOrg) => match action {
            Read => Allow,
            Create | Update => Decision::allow_if(matches!(
                role,
                Role::Admin | Role::Onboarding | Role::Quality
            )),
            Sign => Forbidden,
        },
        (K::Program, PartnerOrg(Active | Ended)) => match action {
            Read => Allow,
            _ => Forbidden,
        },

        // The work of a partnership at its sites: both sides read it; the people who do it on
        // each side change it. A site map is started by the health system (it refines its own
        // sites' maps); the manufacturer decides on proposals, which is an update.
        (K::SiteMap | K::Readiness, Party(Active)) => {
            let doers = if mfr {
                matches!(role, Role::Admin | Role::Onboarding | Role::Quality)
            } else {
                matches!(
                    role,
                    Role::Admin
                        | Role::Pharmacy
                        | Role::CellLab
                        | Role::Coordinator
                        | Role::Quality
                )
            };
            match action {
                Read => Allow,
                Create if resource.kind == K::SiteMap => Decision::allow_if(!mfr && doers),
                Create | Update => Decision::allow_if(doers),
                Sign => Forbidden,
            }
        }

        // Agreements are negotiated by each side's contracts people (and the manufacturer's
        // onboarding team, who run the site's path to authorization); everyone of a party reads
        // them, since the gate they feed decides whether patients can be treated.
        (K::Contract, Party(Active)) => match action {
            Read => Allow,
            Create | Update => Decision::allow_if(if mfr {
                matches!(role, Role::Admin | Role::Onboarding | Role::Contracts)
            } else {
                matches!(role, Role::Admin | Role::Contracts)
            }),
            Sign => Forbidden,
        },

        // A deliverable is recorded by the people who did the work it attests, on either side:
        // the manufacturer's onboarding, contracts and quality people; the health system's
        // contracts, pharmacy (formulary approval), cell lab, coordinators and quality. The
        // same people revoke one that no longer holds (the update); each is signed.
        (K::Deliverable, Party(Active)) => match action {
            Read => Allow,
            Create | Update => Decision::allow_if(if mfr {
                matches!(
                    role,
                    Role::Admin | Role::Onboarding | Role::Contracts | Role::Quality
                )
            } else {
                matches!(
                    role,
                    Role::Admin
                        | Role::Contracts
                        | Role::Pharmacy
                        | Role::CellLab
                        | Role::Coordinator
                        | Role::Quality
                )
            }),
            Sign => Forbidden,
        },

        // Tokens are private: even an admin sees only that they exist, to revoke them.
        (K::ApiToken, SelfOwned) => match action {
            Read | Create | Update => Allow,
            Sign => Forbidden,
        },
        (K::ApiToken, OwnOrg) => match action {
            Read | Update if admin => Allow,
            _ => NotFound,
        },

        // Webhook endpoints carry a signing secret and say where the organization's
        // notifications go: its admins' to manage, unseen by anyone else.
        (K::WebhookEndpoint, OwnOrg) => match action {
            Read | Create | Update if admin => Allow,
            _ => NotFound,
        },

        // The audit trail is for those who review it; anyone of a party may sign on it.
        (K::Ledger, OwnOrg) => match action {
            Read => Decision::allow_if(matches!(
                role,
                Role::Admin | Role::Quality | Role::DataManager
            )),
            Sign => Allow,
            Create | Update => Forbidden,
        },
        // A partnership's trail holds the records both sides read and sign there (deliverables,
        // gaps, site maps, case steps under pseudonyms, which every role of a party reads): the
        // people who signed and everyone who may read those records open the trail a record
        // points to. A proposal's stays with those who review it; another tenant's is not found.
        (K::Ledger, Party(Active | Ended)) => match action {
            Read | Sign => Allow,
            Create | Update => Forbidden,
        },
        (K::Ledger, Party(Proposed)) => match action {
            Read => Decision::allow_if(matches!(
                role,
                Role::Admin
                    | Role::Quality
                    | Role::Contracts
                    | Role::Onboarding
                    | Role::DataManager
            )),
            Sign => Allow,
            Create | Update => Forbidden,
        },

        // A patient: the health system's own staff see all of what they need to treat,
        // dispense, bill and report (minimum necessary: its admins and contracts people see the
        // pseudonym only); the manufacturer's patient ops the chain of identity; everyone else
        // on an active or ended partnership the pseudonym. A case is opened by the coordinator
        // or the physician; the journey's work is done by the clinical roles at the site (and
        // finance, which verifies benefits) and,
        // on the manufacturer's side, by patient ops and quality (scheduling, release) —
        // which step each may do is the journey's rule, on top of this.
        (K::Patient, OwnOrg) => {
            let clinical = matches!(
                role,
                Role::Pharmacy
                    | Role::CellLab
                    | Role::Apheresis
                    | Role::Coordinator
                    | Role::Physician
                    | Role::Nurse
                    | Role::Quality
                    | Role::DataManager
            );
            match action {
                Read if clinical || role == Role::Finance => Shows(PatientView::Full),
                Read => Shows(PatientView::Pseudonym),
                Create => Decision::allow_if(matches!(role, Role::Coordinator | Role::Physician)),
                // Finance verifies benefits and prior authorization on the case.
                Update => Decision::allow_if(clinical || role == Role::Finance),
                Sign => Forbidden,
            }
        }
        (K::Patient, Party(Proposed)) => NotFound,
        (K::Patient, Party(status @ (Active | Ended))) => match action {
            Read if role == Role::PatientOps => Shows(PatientView::ChainOfIdentity),
            Read => Shows(PatientView::Pseudonym),
            Update if status == Active => {
                Decision::allow_if(matches!(role, Role::PatientOps | Role::Quality))
            }
            _ => Forbidden,
        },

        (K::SafetyReport, Party(status @ (Active | Ended))) if mfr => {
            let reader = matches!(role, Role::Safety | Role::Quality);
            match action {
                Read if reader => Allow,
                Update if reader => Decision::allow_if(status == Active && role == Role::Safety),
                _ if reader => Forbidden,
                _ => NotFound,
            }
        }
        (K::SafetyReport, _) => NotFound,

        (K::Payment, Party(status @ (Active | Ended))) => {
            let money = matches!(role, Role::Admin | Role::Contracts | Role::Finance);
            let writer =
                matches!(role, Role::Admin | Role::Finance) || (mfr && role == Role::Contracts);
            match action {
                Read => Decision::allow_if(money),
                Create | Update => Decision::allow_if(status == Active && writer),
                Sign => Forbidden,
            }
        }
        (K::Payment, _) => NotFound,

        (K::Claim, OwnOrg) if !mfr => match action {
            Read | Create | Update => {
                Decision::allow_if(matches!(role, Role::Admin | Role::Finance))
            }
            Sign => Forbidden,
        },
        (K::Claim, _) => NotFound,

        // Relations that cannot arise for the kind (e.g. a site "owned by itself").
        _ => NotFound,
    }
}

#[cfg(test)]
mod matrix {
    //! Compares `decide` with the hand-written table in `policy_matrix.txt`.
    use super::*;

    fn parse_kind(s: &str) -> ResourceKind {
        match s {
            "organization" => ResourceKind::Organization,
            "site" => ResourceKind::Site,
            "facility" => ResourceKind::Facility,
            "user" => ResourceKind::User,
            "partnership" => ResourceKind::Partnership,
            "api_token" => ResourceKind::ApiToken,
            "ledger" => ResourceKind::Ledger,
            "program" => ResourceKind::Program,
            "site_map" => ResourceKind::SiteMap,
            "readiness" => ResourceKind::Readiness,
            "contract" => ResourceKind::Contract,
            "deliverable" => ResourceKind::Deliverable,
            "patient" => ResourceKind::Patient,
            "safety_report" => ResourceKind::SafetyReport,
            "webhook_endpoint" => ResourceKind::WebhookEndpoint,
            "payment" => ResourceKind::Payment,
            "claim" => ResourceKind::Claim,
            other => panic!("unknown resource kind {other} in the matrix"),
        }
    }
    fn parse_relation(s: &str) -> Relation {
        match s {
            "self" => Relation::SelfOwned,
            "own" => Relation::OwnOrg,
            "partner.proposed" => Relation::PartnerOrg(PartnershipStatus::Proposed),
            "partner.active" => Relation::PartnerOrg(PartnershipStatus::Active),
            "partner.ended" => Relation::PartnerOrg(PartnershipStatus::Ended),
            "party.proposed" => Relation::Party(PartnershipStatus::Proposed),
            "party.active" => Relation::Party(PartnershipStatus::Active),
            "party.ended" => Relation::Party(PartnershipStatus::Ended),
            "none" => Relation::Unrelated,
            other => panic!("unknown relation {other} in the matrix"),
        }
    }
    fn parse_action(s: &str) -> Action {
        match s {
            "read" => Action::Read,
            "create" => Action::Create,
            "update" => Action::Update,
            "sign" => Action::Sign,
            other => panic!("unknown action {other} in the matrix"),
        }
    }

    #[test]
    fn every_role_of_every_organization_kind_gets_the_expected_outcome() {
        let table = include_str!("policy_matrix.txt");
        let columns: Vec<(OrgKind, Role)> = Role::MANUFACTURER
            .iter()
            .map(|r| (OrgKind::Manufacturer, *r))
            .chain(
                Role::HEALTH_SYSTEM
                    .iter()
                    .map(|r| (OrgKind::HealthSystem, *r)),
            )
            .collect();
        let mut checked = 0;
        let mut mismatches = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (lineno, line) in table.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (head, cells) = line.split_once('|').expect("row has a '|'");
            let head: Vec<&str> = head.split_whitespace().collect();
            let [kind, relation, action] = head[..] else {
                panic!("line {}: expected 'resource relation action |'", lineno + 1)
            };
            let cells: Vec<&str> = cells.split_whitespace().filter(|c| *c != "|").collect();
            assert_eq!(
                cells.len(),
                columns.len(),
                "line {}: wrong number of cells",
                lineno + 1
            );
            let (kind, relation, action) = (
                parse_kind(kind),
                parse_relation(relation),
                parse_action(action),
            );
            assert!(
                seen.insert((kind, relation, action)),
                "line {}: duplicate row",
                lineno + 1
            );
            for ((org_kind, role), cell) in columns.iter().zip(cells) {
                let who = Principal {
                    user_id: "usr_test".into(),
                    org_id: "org_test".into(),
                    org_kind: *org_kind,
                    role: *role,
                };
                let expected = match cell {
                    "A" => Decision::Allow,
                    "F" => Decision::Forbidden,
                    "N" => Decision::NotFound,
                    "f" => Decision::Shows(PatientView::Full),
                    "c" => Decision::Shows(PatientView::ChainOfIdentity),
                    "p" => Decision::Shows(PatientView::Pseudonym),
                    "." => continue, // cannot arise for this kind of organization
                    other => panic!("line {}: unknown cell {other}", lineno + 1),
                };
                let got = decide(&who, action, Resource { kind, relation });
                checked += 1;
                if got != expected {
                    mismatches.push(format!(
                        "line {}: {org_kind} {role} {action:?} {kind:?} ({relation:?}): expected {expected:?}, policy says {got:?}",
                        lineno + 1
                    ));
                }
            }
        }
        assert!(
            mismatches.is_empty(),
            "policy differs from the table:\n{}",
            mismatches.join("\n")
        );
        assert!(checked > 500, "only {checked} cells checked");
    }
}
