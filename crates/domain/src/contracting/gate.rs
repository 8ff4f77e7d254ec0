//! The authorization gate (DESIGN.md §2), the whole judgment: which agreements count for a
//! site, which facility's gaps hold which site back, when each item was satisfied, what is
//! missing, and how the recorded verdict moves — first authorization, suspension with what is
//! missing, reinstatement. Pure functions of the partnership's [`Record`], a day and the
//! verdict recorded before; the app loads the record and writes what this module decides.

use super::template::TrackKind;
use super::{AgreementKind, AgreementStatus, Coverage, Deliverable, Scope};
use crate::consent::ConsentStatus;
use crate::org::PartnershipStatus;
use crate::readiness::Severity;
use crate::values::Date;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// An agreement as the gate sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementFacts {
    pub kind: AgreementKind,
    pub scope: Scope,
    /// For a site-scope agreement, its site.
    pub site_id: Option<String>,
    pub status: AgreementStatus,
    pub effective_on: Option<Date>,
    pub expires_on: Option<Date>,
    pub coverage: Coverage,
}

impl AgreementFacts {
    /// Whether it binds this site: its own site, or a health-system agreement's coverage.
    pub fn covers(&self, site_id: &str) -> bool {
        match self.scope {
            Scope::Site => self.site_id.as_deref() == Some(site_id),
            Scope::HealthSystem => match &self.coverage {
                Coverage::AllSites => true,
                Coverage::Named(ids) => ids.iter().any(|i| i == site_id),
            },
        }
    }

    /// Executed, in effect and not expired on `today` (an agreement lapses on its expiry day).
    pub fn in_force(&self, today: &Date) -> bool {
        self.status == AgreementStatus::Executed
            && self.effective_on.as_ref().is_none_or(|d| d <= today)
            && self.expires_on.as_ref().is_none_or(|d| today < d)
    }
}

/// Everything the gate looks at for one program at one site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateFacts {
    pub today: Date,
    pub site_id: String,
    /// The partnership's status: only an active partnership carries an authorization.
    pub partnership: PartnershipStatus,
    /// Whether the partnership still names the program (a program taken off a partnership
    /// takes its sites' authorizations with it).
    pub program_named: bool,
    pub agreements: Vec<AgreementFacts>,
    pub deliverables_done: BTreeSet<Deliverable>,
    pub open_blocking_gaps: usize,
}

/// One thing that keeps a site from authorization, said so a person can act on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "missing", rename_all = "snake_case")]
pub enum Missing {
    /// The partnership itself does not carry the authorization (proposed, ended, or no longer
    /// for this program).
    Partnership {
        reason: String,
    },
    Agreement {
        kind: AgreementKind,
        reason: String,
    },
    Deliverable {
        deliverable: Deliverable,
    },
    BlockingGaps {
        count: usize,
    },
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Missing::Partnership { reason } => write!(f, "Partnership: {reason}"),
            Missing::Agreement { kind, reason } => write!(f, "{}: {reason}", kind.title()),
            Missing::Deliverable { deliverable } => write!(f, "{}: not done", deliverable.label()),
            Missing::BlockingGaps { count: 1 } => write!(f, "1 open blocking readiness gap"),
            Missing::BlockingGaps { count } => write!(f, "{count} open blocking readiness gaps"),
        }
    }
}

/// The scopes at which an agreement of `kind` counts for the gate: the central kinds at the
/// health system's only; a quality or supply agreement at either — negotiated once centrally
/// for the sites it covers, or at the site itself — so a partnership may mix both, and
/// starting one at a site never takes away what a central one already gives the others.
pub fn counts_at(kind: AgreementKind, scope: Scope) -> bool {
    !kind.is_central() || scope == Scope::HealthSystem
}

impl AgreementFacts {
    /// Whether this agreement satisfies the gate's `kind` item for `site_id` on `today`: the
    /// kind, at a scope that counts for it, covering the site, in force. The gate and the
    /// live plan both ask this, so a plan never counts as done what the gate does not.
    pub fn satisfies(&self, kind: AgreementKind, site_id: &str, today: &Date) -> bool {
        self.kind == kind
            && counts_at(kind, self.scope)
            && self.covers(site_id)
            && self.in_force(today)
    }
}

/// How far along an agreement is, to explain the one that covers a site best.
fn progress(status: AgreementStatus) -> u8 {
    match status {
        AgreementStatus::Withdrawn => 0,
        AgreementStatus::NotStarted => 1,
        AgreementStatus::Drafting => 2,
        AgreementStatus::Negotiating => 3,
        AgreementStatus::LegalReview => 4,
        AgreementStatus::Executed => 5,
    }
}

/// The gate (DESIGN.md §2): empty when the site is authorized for the program.
pub fn missing_for_authorization(facts: &GateFacts) -> Vec<Missing> {
    missing(
        &Looked {
            today: &facts.today,
            site_id: &facts.site_id,
            partnership: facts.partnership,
            program_named: facts.program_named,
            deliverables_done: &facts.deliverables_done,
            open_blocking_gaps: facts.open_blocking_gaps,
        },
        facts.agreements.iter(),
    )
}

/// [`GateFacts`] borrowed: a [`Record`] judges every site × program without copying its
/// agreements for each.
struct Looked<'a> {
    today: &'a Date,
    site_id: &'a str,
    partnership: PartnershipStatus,
    program_named: bool,
    deliverables_done: &'a BTreeSet<Deliverable>,
    open_blocking_gaps: usize,
}

fn missing<'a>(
    facts: &Looked<'_>,
    agreements: impl Iterator<Item = &'a AgreementFacts> + Clone,
) -> Vec<Missing> {
    let mut out = Vec::new();
    let standing = match facts.partnership {
        PartnershipStatus::Proposed => Some("proposed, not yet accepted by the health system"),
        PartnershipStatus::Ended => Some("ended"),
        PartnershipStatus::Active if !facts.program_named => Some("no longer for this program"),
        PartnershipStatus::Active => None,
    };
    if let Some(reason) = standing {
        out.push(Missing::Partnership {
            reason: reason.to_string(),
        });
    }
    for kind in AgreementKind::ALL {
        let candidates: Vec<&AgreementFacts> = agreements
            .clone()
            .filter(|a| a.kind == *kind && counts_at(*kind, a.scope))
            .collect();
        if candidates
            .iter()
            .any(|a| a.satisfies(*kind, facts.site_id, facts.today))
        {
            continue;
        }
        // The most advanced one covering the site explains best (a withdrawn one beside an
        // executed one that has lapsed says "expired", not "withdrawn") — unless all that
        // covers it was withdrawn while a live central one leaves it out: then the fix is a
        // joinder.
        let covering = candidates
            .iter()
            .filter(|a| a.covers(facts.site_id))
            .max_by_key(|a| progress(a.status));
        let joinable = candidates.iter().any(|a| {
            a.scope == Scope::HealthSystem
                && a.status != AgreementStatus::Withdrawn
                && !a.covers(facts.site_id)
        });
        let reason = match covering {
            Some(a) if a.status != AgreementStatus::Withdrawn || !joinable => match a.status {
                AgreementStatus::Executed
                    if a.expires_on.as_ref().is_some_and(|d| d <= facts.today) =>
                {
                    format!("expired on {}", a.expires_on.as_ref().expect("checked"))
                }
                AgreementStatus::Executed => format!(
                    "not in effect until {}",
                    a.effective_on.as_ref().map(|d| d.as_str()).unwrap_or("?")
                ),
                AgreementStatus::Withdrawn => "withdrawn".into(),
                other => format!("not executed ({})", other.label()),
            },
            // A site-scope agreement is never extended by joinder; a central one is.
            _ if joinable => "does not cover this site (add it by joinder)".into(),
            _ if kind.is_central() => "none for the health system yet".to_string(),
            _ => "none for this site yet".to_string(),
        };
        out.push(Missing::Agreement {
            kind: *kind,
            reason,
        });
    }
    for d in Deliverable::ALL {
        if !facts.deliverables_done.contains(d) {
            out.push(Missing::Deliverable { deliverable: *d });
        }
    }
    if facts.open_blocking_gaps > 0 {
        out.push(Missing::BlockingGaps {
            count: facts.open_blocking_gaps,
        });
    }
    out
}

/// An agreement of the record: what the gate reads of it, and the day it last changed (the
/// day an agreement executed without an effective date counts from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedAgreement {
    pub id: String,
    pub facts: AgreementFacts,
    pub changed_on: Date,
}

/// A deliverable recorded at a site for a program; it counts until it is revoked (and again
/// once it is recorded again, which clears the revocation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedDeliverable {
    pub site_id: String,
    pub program_id: String,
    pub deliverable: Deliverable,
    pub done_on: Date,
    pub revoked_on: Option<Date>,
}

impl RecordedDeliverable {
    /// Whether the gate counts it: recorded and not revoked.
    pub fn counts(&self) -> bool {
        self.revoked_on.is_none()
    }
}

/// A site map version both sides signed, with the day of its last signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedSiteMap {
    pub site_id: String,
    pub program_id: String,
    /// The version's number: the newest signed version is the one that counts.
    pub number: i64,
    pub signed_on: Date,
}

/// A site's consent version for a program as the gate reads it: its status, and the day it was
/// made active (kept once retired: the day it counted from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedConsentVersion {
    pub site_id: String,
    pub program_id: String,
    pub number: i64,
    pub status: ConsentStatus,
    pub activated_on: Option<Date>,
}

/// A release-exception protocol version of a program agreed by both sides (issue 13): the
/// gate's `release_exception_protocol` item for every site of the partnership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreedProtocol {
    pub program_id: String,
    pub number: i64,
    /// The day the second side signed.
    pub agreed_on: Date,
}

/// A readiness gap still open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenGap {
    pub id: String,
    /// The site whose visit found it.
    pub site_id: String,
    pub program_id: String,
    /// The facility it is on; `None` when the site lacks the kind of facility the
    /// requirement needs.
    pub facility_id: Option<String>,
    pub severity: Severity,
    pub due_on: Option<Date>,
}

/// Everything the gate reads of one partnership, for all its sites × programs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Only an active partnership carries an authorization.
    pub partnership: PartnershipStatus,
    /// The programs the partnership names (ids).
    pub programs: Vec<String>,
    /// The health system's sites the partnership opens (ids), in the order they are judged.
    pub sites: Vec<String>,
    pub agreements: Vec<RecordedAgreement>,
    /// Oldest first.
    pub deliverables: Vec<RecordedDeliverable>,
    pub signed_maps: Vec<SignedSiteMap>,
    /// Every consent version of every site and program, drafts and retired ones too.
    pub consent_versions: Vec<RecordedConsentVersion>,
    /// Every protocol version of each program both sides signed (superseded ones too).
    pub agreed_protocols: Vec<AgreedProtocol>,
    /// facility id → the sites it serves now.
    pub facilities: BTreeMap<String, Vec<String>>,
    pub open_gaps: Vec<OpenGap>,
}

vocabulary!(
    /// A recorded verdict: authorized, or suspended after having been authorized.
    AuthorizationStatus, "authorization status" {
        Authorized => "authorized",
        Suspended => "suspended",
    }
);

/// The gate's verdict as recorded for a site and program: never recorded before the site is
/// first authorized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub status: AuthorizationStatus,
    /// The day of the last change of status.
    pub since: Date,
    /// What was missing, in people's words; empty when authorized.
    pub missing: Vec<String>,
}

/// How the recorded verdict moves on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// Nothing to record.
    None,
    /// Authorized for the first time (nothing recorded before).
    FirstAuthorization(Verdict),
    /// Was authorized; the gate no longer holds (what is missing in the verdict).
    Suspension(Verdict),
    /// Was suspended; the gate holds again.
    Reinstatement(Verdict),
    /// Still suspended, for other missing items: it keeps its `since`.
    StillSuspended(Verdict),
}

impl Transition {
    /// The verdict to record, if any.
    pub fn verdict(&self) -> Option<&Verdict> {
        match self {
            Transition::None => None,
            Transition::FirstAuthorization(v)
            | Transition::Suspension(v)
            | Transition::Reinstatement(v)
            | Transition::StillSuspended(v) => Some(v),
        }
    }
}

/// The move from the `previous` verdict given what is `missing` on `today` (in words).
pub fn transition(previous: Option<&Verdict>, missing: Vec<String>, today: &Date) -> Transition {
    use AuthorizationStatus::{Authorized, Suspended};
    let status = if missing.is_empty() {
        Authorized
    } else {
        Suspended
    };
    let since_today = |missing| Verdict {
        status,
        since: today.clone(),
        missing,
    };
    match previous {
        // Never authorized: nothing to suspend yet.
        None if status == Suspended => Transition::None,
        None => Transition::FirstAuthorization(since_today(missing)),
        Some(p) if p.status == status && p.missing == missing => Transition::None,
        Some(p) => match (p.status, status) {
            (Authorized, Suspended) => Transition::Suspension(since_today(missing)),
            (Suspended, Authorized) => Transition::Reinstatement(since_today(missing)),
            (Suspended, Suspended) => Transition::StillSuspended(Verdict {
                status,
                since: p.since.clone(),
                missing,
            }),
            // Authorized with nothing missing both times: only a verdict written by
            // something else than this rule could differ here; there is nothing to move.
            (Authorized, Authorized) => Transition::None,
        },
    }
}

/// A site's gate for a program on a day: what is missing, and how the recorded verdict moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgment {
    pub missing: Vec<Missing>,
    pub transition: Transition,
}

impl Judgment {
    pub fn authorized(&self) -> bool {
        self.missing.is_empty()
    }
}

/// A verdict recorded before, for a site and program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedVerdict {
    pub site_id: String,
    pub program_id: String,
    pub verdict: Verdict,
}

/// A verdict to record ([`Record::review`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub site_id: String,
    pub program_id: String,
    /// Never [`Transition::None`].
    pub transition: Transition,
}

impl Record {
    fn names(&self, program_id: &str) -> bool {
        self.programs.iter().any(|p| p == program_id)
    }

    /// The deliverables done at a site for a program: recorded and not revoked, the signed
    /// site map when a version is signed by both sides, and the consent when a consent
    /// version is active (a consent recorded by hand counts only as [`Record::consent_by_hand`]
    /// says).
    pub fn deliverables_done(&self, site_id: &str, program_id: &str) -> BTreeSet<Deliverable> {
        let mut done: BTreeSet<Deliverable> = self
            .deliverables
            .iter()
            .filter(|r| {
                r.site_id == site_id
                    && r.program_id == program_id
                    && r.counts()
                    && r.deliverable != Deliverable::ConsentWithFailureLanguage
                    && r.deliverable != Deliverable::ReleaseExceptionProtocol
            })
            .map(|r| r.deliverable)
            .collect();
        if self.signed_map(site_id, program_id).is_some() {
            done.insert(Deliverable::SiteMapSigned);
        }
        if self.active_consent(site_id, program_id).is_some()
            || self.consent_by_hand(site_id, program_id).is_some()
        {
            done.insert(Deliverable::ConsentWithFailureLanguage);
        }
        if self.agreed_protocol(program_id).is_some()
            || self.protocol_by_hand(site_id, program_id).is_some()
        {
            done.insert(Deliverable::ReleaseExceptionProtocol);
        }
        done
    }

    /// The first protocol version of the program both sides signed: the item has been done
    /// since then (a newer agreed version supersedes it, never undoes it).
    pub fn agreed_protocol(&self, program_id: &str) -> Option<&AgreedProtocol> {
        self.agreed_protocols
            .iter()
            .filter(|v| v.program_id == program_id)
            .min_by_key(|v| v.number)
    }

    /// A protocol deliverable recorded by hand before protocols were signed in cellpath,
    /// still counting while no version of the program has been agreed — as
    /// [`Record::consent_by_hand`]. Recording it by hand is refused now.
    pub fn protocol_by_hand(
        &self,
        site_id: &str,
        program_id: &str,
    ) -> Option<&RecordedDeliverable> {
        if self.agreed_protocol(program_id).is_some() {
            return None;
        }
        self.deliverables.iter().find(|r| {
            r.site_id == site_id
                && r.program_id == program_id
                && r.deliverable == Deliverable::ReleaseExceptionProtocol
                && r.counts()
        })
    }

    /// The site's active consent version for the program (one at a time; the newest should
    /// two ever be).
    pub fn active_consent(
        &self,
        site_id: &str,
        program_id: &str,
    ) -> Option<&RecordedConsentVersion> {
        self.consent_versions
            .iter()
            .filter(|v| {
                v.site_id == site_id
                    && v.program_id == program_id
                    && v.status == ConsentStatus::Active
            })
            .max_by_key(|v| v.number)
    }

    /// A consent deliverable recorded by hand before consent documents existed, still
    /// counting: only while the site has never had a consent version made active for the
    /// program. From the first active version on, only versions count — retiring the last
    /// one suspends the site, whatever was recorded by hand before. (Recording it by hand is
    /// refused now; the old records stay readable and replay as they were.)
    pub fn consent_by_hand(&self, site_id: &str, program_id: &str) -> Option<&RecordedDeliverable> {
        let ever_active = self.consent_versions.iter().any(|v| {
            v.site_id == site_id && v.program_id == program_id && v.activated_on.is_some()
        });
        if ever_active {
            return None;
        }
        self.deliverables.iter().find(|r| {
            r.site_id == site_id
                && r.program_id == program_id
                && r.deliverable == Deliverable::ConsentWithFailureLanguage
                && r.counts()
        })
    }

    /// The newest site map version of the site and program that both sides signed.
    pub fn signed_map(&self, site_id: &str, program_id: &str) -> Option<&SignedSiteMap> {
        self.signed_maps
            .iter()
            .filter(|m| m.site_id == site_id && m.program_id == program_id)
            .max_by_key(|m| m.number)
    }

    /// The open blocking gaps that hold a site back for a program: those on the facilities
    /// the site uses now (whichever site's visit found them: a shared cell lab holds back
    /// every site it serves, and only those), and the site's own gaps that name no facility
    /// (it lacks the kind of facility the requirement needs).
    pub fn blocking_gaps(&self, site_id: &str, program_id: &str) -> Vec<&OpenGap> {
        self.open_gaps
            .iter()
            .filter(|g| {
                g.program_id == program_id
                    && g.severity == Severity::Blocking
                    && match &g.facility_id {
                        None => g.site_id == site_id,
                        Some(facility) => self
                            .facilities
                            .get(facility)
                            .is_some_and(|sites| sites.iter().any(|s| s == site_id)),
                    }
            })
            .collect()
    }

    /// Exactly what keeps the site from authorization for the program on `today`: empty
    /// when it is authorized.
    pub fn missing(&self, site_id: &str, program_id: &str, today: &Date) -> Vec<Missing> {
        let done = self.deliverables_done(site_id, program_id);
        missing(
            &Looked {
                today,
                site_id,
                partnership: self.partnership,
                program_named: self.names(program_id),
                deliverables_done: &done,
                open_blocking_gaps: self.blocking_gaps(site_id, program_id).len(),
            },
            self.agreements.iter().map(|a| &a.facts),
        )
    }

    /// The site's gate for the program on `today`, and how the `previous` verdict moves.
    pub fn judge(
        &self,
        site_id: &str,
        program_id: &str,
        today: &Date,
        previous: Option<&Verdict>,
    ) -> Judgment {
        let missing = self.missing(site_id, program_id, today);
        let words = missing.iter().map(Missing::to_string).collect();
        Judgment {
            transition: transition(previous, words, today),
            missing,
        }
    }

    /// Every verdict to record on `today`, given those recorded before: each site × each
    /// program the partnership names, then each program it authorized a site for before it
    /// was taken off the partnership (those authorizations are suspended), in that order.
    pub fn review(&self, today: &Date, recorded: &[RecordedVerdict]) -> Vec<Change> {
        let mut programs: Vec<&str> = self.programs.iter().map(String::as_str).collect();
        for r in recorded {
            if !programs.contains(&r.program_id.as_str()) {
                programs.push(&r.program_id);
            }
        }
        let mut out = Vec::new();
        for site in &self.sites {
            for program in &programs {
                let previous = recorded
                    .iter()
                    .find(|r| r.site_id == *site && r.program_id == *program)
                    .map(|r| &r.verdict);
                let transition = self.judge(site, program, today, previous).transition;
                if transition != Transition::None {
                    out.push(Change {
                        site_id: site.clone(),
                        program_id: program.to_string(),
                        transition,
                    });
                }
            }
        }
        out
    }

    /// The day the site's gate `item` for the program was satisfied, if it is on `today` —
    /// exactly when the gate stops listing it (the live plan fixes done items at these
    /// days): an agreement kind by the earliest agreement that satisfies the gate (at its
    /// effective date, else the day it last changed — executing it is a change), a
    /// deliverable at its recorded day (never after today), the signed site map at the last
    /// signature of the newest version both sides signed, the consent on the day the active
    /// consent version was made active.
    pub fn satisfied_on(
        &self,
        item: TrackKind,
        site_id: &str,
        program_id: &str,
        today: &Date,
    ) -> Option<Date> {
        match item {
            TrackKind::Agreement(kind) => self
                .agreements
                .iter()
                .filter(|a| a.facts.satisfies(kind, site_id, today))
                .map(|a| {
                    a.facts
                        .effective_on
                        .clone()
                        .unwrap_or_else(|| a.changed_on.clone())
                })
                .min(),
            TrackKind::Deliverable(Deliverable::SiteMapSigned) => self
                .signed_map(site_id, program_id)
                .map(|m| m.signed_on.clone()),
            TrackKind::Deliverable(Deliverable::ConsentWithFailureLanguage) => {
                match self.active_consent(site_id, program_id) {
                    Some(v) => v.activated_on.clone(),
                    None => self
                        .consent_by_hand(site_id, program_id)
                        .map(|r| r.done_on.clone()),
                }
                .filter(|on| on <= today)
            }
            TrackKind::Deliverable(Deliverable::ReleaseExceptionProtocol) => {
                match self.agreed_protocol(program_id) {
                    Some(v) => Some(v.agreed_on.clone()),
                    None => self
                        .protocol_by_hand(site_id, program_id)
                        .map(|r| r.done_on.clone()),
                }
                .filter(|on| on <= today)
            }
            TrackKind::Deliverable(d) => self
                .deliverables
                .iter()
                .find(|r| {
                    r.site_id == site_id
                        && r.program_id == program_id
                        && r.deliverable == d
                        && r.counts()
                })
                .map(|r| r.done_on.clone())
                .filter(|on| on <= today),
        }
    }
}

#[cfg(test)]
mod tests;
