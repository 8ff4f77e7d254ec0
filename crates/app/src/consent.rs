//! Consent documents on the partnership's ledger (DESIGN.md §4.3, §4.4): a site's consent
//! versions for a program — added as drafts with the form's document (by SHA-256) and
//! sections, made active (the one before retired in the same command, superseded), retired.
//! Whether a move is allowed is the domain's `consent` rule; the gate reads the active version
//! (`contracting/gate.rs`), so making one active or retiring one enqueues the gate's review in
//! its transaction. The health system writes them (its consent is its own document, as
//! `Deliverable::recorded_by` says); the manufacturer reads them through an active partnership
//! only.

use crate::write::{Write, follow_up_of};
use crate::{App, AppError, Caller, Fields, Idem, Outcome};
use cellpath_domain::consent::{ConsentSection, ConsentStatus, SectionKind};
use cellpath_domain::contracting::Deliverable;
use cellpath_domain::events::consent::ConsentVersionUpdated;
use cellpath_domain::events::consent::{
    ConsentVersionChanges, ConsentVersionCreated, ConsentVersionFields,
};
use cellpath_domain::events::{Diff, Event};
use cellpath_domain::policy::{Action, ResourceKind};
use cellpath_domain::{Date, Name, Notes, OrgKind, PartnershipStatus};
use cellpath_ledger::Meaning;
use cellpath_store::{ConsentVersion, Page, Partnership, Program, Site};
use serde::{Deserialize, Serialize};

/// A section of a consent form as typed.
#[derive(utoipa::ToSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionInput {
    /// `manufacturing_failure`: what the patient is told if the product cannot be made or
    /// released (required to make a version active, at least 40 characters); or `other`.
    #[schema(value_type = cellpath_domain::consent::SectionKind)]
    pub kind: String,
    #[schema(schema_with = crate::views::schema::name)]
    pub heading: String,
    #[schema(schema_with = crate::views::schema::notes)]
    pub text: String,
}

/// A new consent version, as a form or an API call sends it.
#[derive(utoipa::ToSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewConsentVersion {
    pub program_id: String,
    /// The form's file: its SHA-256 (from `POST /api/v1/documents`) and name.
    #[schema(schema_with = crate::views::schema::sha256)]
    pub document_sha256: String,
    #[schema(schema_with = crate::views::schema::name)]
    pub document_name: String,
    #[schema(schema_with = crate::views::schema::day)]
    pub effective_on: String,
    #[schema(min_items = 1)]
    pub sections: Vec<SectionInput>,
}

/// One program's consent versions at a site, in the partnership that names the program.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct ConsentProgram {
    pub partnership_id: String,
    pub partnership_name: String,
    pub program_id: String,
    pub program_name: String,
    /// Newest first.
    pub versions: Vec<crate::views::consent::ConsentVersion>,
}

/// A site's consent documents: each program the caller may see there, with its versions.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct ConsentDocuments {
    pub site_id: String,
    pub site_name: String,
    pub programs: Vec<ConsentProgram>,
    /// Whether the caller may add, activate and retire versions here.
    pub may_change: bool,
}

impl App {
    /// The partnerships of a site's health system that open the site to the caller for its
    /// consent documents: every one to the health system's own staff; to a manufacturer, its
    /// active partnerships only (a proposal shows nothing of a site, an ended partnership no
    /// longer shares the hospital's current forms).
    async fn consent_partnerships(
        &self,
        caller: &Caller,
        site: &Site,
    ) -> Result<Vec<Partnership>, AppError> {
        let principal = caller.principal.as_ref().ok_or(AppError::Unauthenticated)?;
        let mut out = Vec::new();
        for p in self
            .store
            .partnerships_of(&site.org_id, Page::all())
            .await?
        {
            if p.health_system_id != site.org_id {
                continue;
            }
            if principal.org_kind == OrgKind::Manufacturer
                && (p.manufacturer_id != principal.org_id || p.status != PartnershipStatus::Active)
            {
                continue;
            }
            let rel = self.partnership_relation(caller, &p);
            if self
                .check(
                    caller,
                    Action::Read,
                    ResourceKind::Deliverable,
                    rel,
                    "consent documents",
                )
                .is_err()
            {
                continue;
            }
            if self.partnership_site(&p, &site.id).await?.is_some() {
                out.push(p);
            }
        }
        Ok(out)
    }

    /// The site and the partnerships it is seen through (404 when none).
    async fn consent_site(
        &self,
        caller: &Caller,
        site_id: &str,
    ) -> Result<(Site, Vec<Partnership>), AppError> {
        let what = format!("consent documents of site {site_id}");
        let site = self
            .store
            .site(site_id)
            .await?
            .ok_or_else(|| AppError::not_found(&what))?;
        let partnerships = self.consent_partnerships(caller, &site).await?;
        if partnerships.is_empty() {
            return Err(AppError::not_found(&what));
        }
        Ok((site, partnerships))
    }

    /// A site's consent documents, per program of each partnership the caller may see them
    /// through (404 for a site the caller sees none of).
    pub async fn consent_documents(
        &self,
        caller: &Caller,
        site_id: &str,
    ) -> Result<ConsentDocuments, AppError> {
        let (site, partnerships) = self.consent_site(caller, site_id).await?;
        let versions = self.store.consent_versions_of_site(site_id).await?;
        let mut programs = Vec::new();
        let mut may_change = false;
        for p in &partnerships {
            may_change |= self.consent_writer(caller, p).is_ok();
            for program in self.programs_in(p).await? {
                programs.push(ConsentProgram {
                    partnership_id: p.id.clone(),
                    partnership_name: p.name.clone(),
                    program_id: program.id.clone(),
                    program_name: program.name.clone(),
                    versions: versions
                        .iter()
                        .filter(|v| v.partnership_id == p.id && v.program_id == program.id)
                        .cloned()
                        .map(Into::into)
                        .collect(),
                });
            }
        }
        Ok(ConsentDocuments {
            site_id: site.id,
            site_name: site.name,
            programs,
            may_change,
        })
    }

    /// The caller may write consent versions in the partnership: the health system's side,
    /// in a role that records the consent deliverable, while the partnership is active.
    fn consent_writer(&self, caller: &Caller, p: &Partnership) -> Result<(), AppError> {
        let principal = caller.principal.as_ref().ok_or(AppError::Unauthenticated)?;
        let by = Deliverable::ConsentWithFailureLanguage.recorded_by();
        if !by.allows(principal.org_kind) {
            return Err(AppError::Forbidden(format!(
                "consent documents are written by {}",
                by.who()
            )));
        }
        let rel = self.partnership_relation(caller, p);
        self.check(
            caller,
            Action::Create,
            ResourceKind::Deliverable,
            rel,
            "consent documents",
        )?;
        crate::sitemaps::refuse_if_ended(p)
    }

    /// Add a consent version (a draft) for a program at a site: the form's document by hash,
    /// its effective date and its sections. It is numbered after the site's last version for
    /// the program. A draft does not move the gate; making it active does.
    pub async fn create_consent_version(
        &self,
        caller: &Caller,
        site_id: &str,
        input: NewConsentVersion,
        idem: Option<Idem>,
    ) -> Result<Outcome<ConsentVersion>, AppError> {
        let (_, partnerships) = self.consent_site(caller, site_id).await?;
        let mut f = Fields::default();
        let mut found: Option<(&Partnership, Program)> = None;
        for p in &partnerships {
            if let Some(program) = self
                .programs_in(p)
                .await?
                .into_iter()
                .find(|pr| pr.id == input.program_id)
            {
                found = Some((p, program));
                break;
            }
        }
        if found.is_none() {
            f.fail(
                "program_id",
                "is not a program of a partnership that opens this site",
            );
        }
        if let Some((p, _)) = &found {
            self.consent_writer(caller, p)?;
        }
        if !cellpath_ledger::is_sha256_hex(&input.document_sha256) {
            f.fail(
                "document_sha256",
                "upload the form first: its SHA-256 is 64 lowercase hex digits",
            );
        }
        let document_name = f.check("document_name", Name::parse(&input.document_name));
        let effective_on = f.check("effective_on", Date::parse(&input.effective_on));
        let sections = sections_of(&mut f, &input.sections);
        f.finish()?;
        let (p, program) = found.expect("checked");
        let existing = self
            .store
            .consent_versions_of(&p.id, site_id, &program.id)
            .await?;
        let number = existing.iter().map(|v| v.number).max().unwrap_or(0) + 1;
        let event = ConsentVersionCreated {
            id: crate::ids::new_id("cns"),
            new: ConsentVersionFields {
                partnership_id: p.id.clone(),
                site_id: site_id.to_string(),
                program_id: program.id.clone(),
                number,
                document_name: document_name.expect("checked").into_string(),
                document_sha256: input.document_sha256.clone(),
                effective_on: effective_on.expect("checked"),
                sections,
                status: ConsentStatus::Draft,
                activated_on: None,
                retired_on: None,
                retired_reason: String::new(),
            },
        };
        let row = ConsentVersion {
            id: event.id.clone(),
            partnership_id: event.new.partnership_id.clone(),
            site_id: event.new.site_id.clone(),
            program_id: event.new.program_id.clone(),
            number,
            document_name: event.new.document_name.clone(),
            document_sha256: event.new.document_sha256.clone(),
            effective_on: event.new.effective_on.clone(),
            sections: event.new.sections.clone(),
            status: ConsentStatus::Draft,
            activated_on: None,
            retired_on: None,
            retired_reason: None,
            version: 1,
            created_at: 0,
            updated_at: 0,
        };
        self.write(
            caller,
            idem,
            Write::event(&p.id, &event, move |e| ConsentVersion {
                created_at: e.recorded_at,
                updated_at: e.recorded_at,
                ..row.clone()
            })
            .created(),
        )
        .await
    }

    /// A consent version and its partnership, for a change by the caller (404 when the
    /// caller may not see it).
    async fn consent_version_for_change(
        &self,
        caller: &Caller,
        id: &str,
        expected_version: Option<i64>,
    ) -> Result<(ConsentVersion, Partnership), AppError> {
        let what = format!("consent version {id}");
        let v = self
            .store
            .consent_version(id)
            .await?
            .ok_or_else(|| AppError::not_found(&what))?;
        let site = self
            .store
            .site(&v.site_id)
            .await?
            .ok_or_else(|| AppError::not_found(&what))?;
        let p = self
            .consent_partnerships(caller, &site)
            .await?
            .into_iter()
            .find(|p| p.id == v.partnership_id)
            .ok_or_else(|| AppError::not_found(&what))?;
        self.consent_writer(caller, &p)?;
        if let Some(expected) = expected_version {
            crate::records::expect_version(&what, v.version, expected)?;
        }
        Ok((v, p))
    }

    /// Make a draft consent version active: refused unless it is in effect and states the
    /// manufacturing-failure language. E-signed (21 CFR Part 11, the password re-entered)
    /// with the meaning `approved`: the signer approves the form for use with patients, as a
    /// controlled document is approved before it is in effect. The version active before (if
    /// any) is retired in the same command, superseded; the signature names the activation
    /// event; the gate's review follows in the transaction.
    pub async fn activate_consent_version(
        &self,
        caller: &Caller,
        id: &str,
        expected_version: Option<i64>,
        password: &str,
        idem: Option<Idem>,
    ) -> Result<Outcome<ConsentVersion>, AppError> {
        let (v, p) = self
            .consent_version_for_change(caller, id, expected_version)
            .await?;
        let today = Date::of_micros(self.now());
        v.facts()
            .may_activate(&today)
            .map_err(|e| AppError::invalid("status", e))?;
        let sign = self
            .signature_of(
                caller,
                password,
                Meaning::Approved,
                "making a consent version active",
            )
            .await?;
        let before: Vec<ConsentVersion> = self
            .store
            .consent_versions_of(&p.id, &v.site_id, &v.program_id)
            .await?
            .into_iter()
            .filter(|o| o.status == ConsentStatus::Active)
            .collect();
        let mut retirements = before
            .iter()
            .map(|o| {
                retirement(
                    o,
                    &today,
                    format!("superseded by consent version {}", v.number),
                )
            })
            .collect::<Vec<_>>();
        let mut changes = Diff::<ConsentVersionChanges>::default();
        changes.set(|c| &mut c.status, v.status, ConsentStatus::Active);
        changes.set(|c| &mut c.activated_on, None, Some(today.clone()));
        let next = ConsentVersion {
            status: ConsentStatus::Active,
            activated_on: Some(today),
            version: v.version + 1,
            ..v.clone()
        };
        let activation = changes.updated(&v.id, next.version);
        let answer = move |e: &cellpath_store::Appended| ConsentVersion {
            updated_at: e.recorded_at,
            ..next.clone()
        };
        // The one active before is retired first: one active version at a time.
        let write = if retirements.is_empty() {
            Write::event(&p.id, &activation, answer)
        } else {
            let first = retirements.remove(0);
            let mut then: Vec<_> = retirements
                .into_iter()
                .map(|r| follow_up_of(ConsentVersionUpdated::KIND, r))
                .collect();
            then.push(follow_up_of(ConsentVersionUpdated::KIND, activation));
            Write::event(&p.id, &first, answer).then(then)
        };
        self.write(
            caller,
            idem,
            write.closing(sign).enqueue(self.review_gate(&p.id)),
        )
        .await
    }

    /// Retire the active consent version, with the reason, e-signed with the meaning
    /// `reviewed` (the password re-entered): as a recorded deliverable is revoked, the signer
    /// attests that they reviewed the version and found it no longer holds. The gate's
    /// review follows in the transaction: a site resting on its last active version is
    /// suspended.
    pub async fn retire_consent_version(
        &self,
        caller: &Caller,
        id: &str,
        expected_version: Option<i64>,
        reason: &str,
        password: &str,
        idem: Option<Idem>,
    ) -> Result<Outcome<ConsentVersion>, AppError> {
        let (v, p) = self
            .consent_version_for_change(caller, id, expected_version)
            .await?;
        let mut f = Fields::default();
        let reason = f.check("reason", Notes::parse(reason));
        f.finish()?;
        v.facts()
            .may_retire()
            .map_err(|e| AppError::invalid("status", e))?;
        let sign = self
            .signature_of(
                caller,
                password,
                Meaning::Reviewed,
                "retiring a consent version",
            )
            .await?;
        let today = Date::of_micros(self.now());
        let reason = reason.expect("checked").into_string();
        let event = retirement(&v, &today, reason.clone());
        let next = ConsentVersion {
            status: ConsentStatus::Retired,
            retired_on: Some(today),
            retired_reason: Some(reason),
            version: v.version + 1,
            ..v
        };
        self.write(
            caller,
            idem,
            Write::event(&p.id, &event, move |e| ConsentVersion {
                updated_at: e.recorded_at,
                ..next.clone()
            })
            .then(vec![sign])
            .enqueue(self.review_gate(&p.id)),
        )
        .await
    }
}

/// The event retiring `v` today, with the reason.
fn retirement(v: &ConsentVersion, today: &Date, reason: String) -> ConsentVersionUpdated {
    let mut changes = Diff::<ConsentVersionChanges>::default();
    changes.set(|c| &mut c.status, v.status, ConsentStatus::Retired);
    changes.set(|c| &mut c.retired_on, None, Some(today.clone()));
    changes.set(|c| &mut c.retired_reason, String::new(), reason);
    changes.updated(&v.id, v.version + 1)
}

/// The sections as typed, each checked beside its field (`sections[0].text`); at least one.
fn sections_of(f: &mut Fields, input: &[SectionInput]) -> Vec<ConsentSection> {
    if input.is_empty() {
        f.fail(
            "sections",
            "add the form's sections, among them the one on manufacturing failure",
        );
    }
    let mut out = Vec::new();
    for (i, s) in input.iter().enumerate() {
        let kind = f.check(
            &format!("sections[{i}].kind"),
            s.kind.parse::<SectionKind>(),
        );
        let heading = f.check(&format!("sections[{i}].heading"), Name::parse(&s.heading));
        let text = f.check(&format!("sections[{i}].text"), Notes::parse(&s.text));
        if let (Some(kind), Some(heading), Some(text)) = (kind, heading, text) {
            out.push(ConsentSection {
                kind,
                heading: heading.into_string(),
                text: text.into_string(),
            });
        }
    }
    out
}
