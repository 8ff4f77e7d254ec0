//! Site readiness on the partnership's ledger (DESIGN.md §4.2): a program's requirements,
//! site visits with what was observed, gap analysis that opens a gap for every unmet
//! requirement, and closing a gap — only with evidence and an e-signature, in one command.

use crate::records::expect_version;
use crate::views::{Gap, SiteVisit};
use crate::write::Write;
use crate::{App, AppError, Caller, FieldError, Fields, Idem, Outcome};
use cellpath_domain::events::programs::{ProgramChanges, ProgramUpdated};
use cellpath_domain::events::readiness::{
    GapChanges, GapCreated, GapFields, GapStatus, GapUpdated, SiteVisitCreated, SiteVisitFields,
};
use cellpath_domain::policy::{Action, ResourceKind};
use cellpath_domain::readiness::{
    Area, Finding, FindingStatus, Observation, Requirement, Severity, capability,
    check_observation, check_requirements, gap_analysis, readiness_percent,
};
use cellpath_domain::{Date, FacilityKind, Name, Notes, Role};
use cellpath_ledger::Meaning;
use cellpath_store::Program;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

pub use cellpath_domain::readiness::Attachment;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitInput {
    pub site_id: String,
    /// `YYYY-MM-DD`.
    #[schema(schema_with = crate::views::schema::day)]
    pub visited_on: String,
    #[schema(schema_with = crate::views::readiness::names)]
    pub visitors: Vec<String>,
    pub facility_ids: Vec<String>,
    #[serde(default)]
    #[schema(schema_with = crate::views::readiness::observation_inputs)]
    pub observations: Vec<Observation>,
    /// Free-text findings by area.
    #[serde(default)]
    #[schema(schema_with = crate::views::readiness::finding_inputs)]
    pub findings: BTreeMap<String, String>,
    #[serde(default)]
    #[schema(schema_with = crate::views::readiness::attachment_inputs)]
    pub attachments: Vec<Attachment>,
}

/// Readiness of one site for one program.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadinessView {
    pub site_id: String,
    pub program_id: String,
    #[schema(schema_with = crate::views::readiness::findings)]
    pub findings: Vec<Finding>,
    pub percent: u32,
    pub gaps: Vec<crate::views::readiness::Gap>,
    pub open_blocking: usize,
    pub visits: usize,
}

/// Who at the site owns a gap by default.
fn owner_for(kind: FacilityKind) -> Role {
    match kind {
        FacilityKind::Processing => Role::CellLab,
        FacilityKind::Clinical => Role::Pharmacy,
        FacilityKind::Collection => Role::Apheresis,
    }
}

impl App {
    /// Set a program's requirements (replacing them).
    pub async fn set_requirements(
        &self,
        caller: &Caller,
        program_id: &str,
        expected_version: i64,
        requirements: Vec<Requirement>,
        idem: Option<Idem>,
    ) -> Result<Outcome<crate::views::Program>, AppError> {
        let (program, _) = self
            .program_checked(caller, program_id, Action::Read)
            .await?;
        let rel = self.org_relation(caller, &program.org_id).await?;
        self.check(
            caller,
            Action::Update,
            ResourceKind::Program,
            rel,
            &format!("program {}", program.name),
        )?;
        check_requirements(&requirements).map_err(|errors| {
            AppError::Invalid(
                errors
                    .into_iter()
                    .map(|message| FieldError {
                        field: "requirements".into(),
                        message,
                    })
                    .collect(),
            )
        })?;
        expect_version(
            &format!("program {}", program.name),
            program.version,
            expected_version,
        )?;
        let new = serde_json::to_value(&requirements).map_err(internal)?;
        if new == program.requirements {
            return Ok(Outcome::Fresh(program.into()));
        }
        let next = Program {
            requirements: new.clone(),
            version: program.version + 1,
            ..program.clone()
        };
        let old: Vec<Requirement> =
            serde_json::from_value(program.requirements.clone()).map_err(internal)?;
        let event = ProgramUpdated {
            id: program_id.to_string(),
            version: next.version,
            old: ProgramChanges {
                requirements: Some(old),
                ..Default::default()
            },
            new: ProgramChanges {
                requirements: Some(requirements),
                ..Default::default()
            },
        };
        self.write(
            caller,
            idem,
            Write::event(program.org_id.clone(), &event, move |a| Program {
                updated_at: a.recorded_at,
                ..next.clone()
            }),
        )
        .await
        .map(|o| o.map(Into::into))
    }

    pub async fn record_visit(
        &self,
        caller: &Caller,
        partnership_id: &str,
        input: VisitInput,
        idem: Option<Idem>,
    ) -> Result<Outcome<SiteVisit>, AppError> {
        let p = self
            .readiness_partnership(caller, partnership_id, Action::Create)
            .await?;
        let mut f = Fields::default();
        let site = self.partnership_site(&p, &input.site_id).await?;
        if site.is_none() {
            f.fail(
                "site_id",
                "is not a site of this partnership's health system",
            );
        }
        let date = f.check("visited_on", Date::parse(&input.visited_on));
        if input.visitors.is_empty() {
            f.fail("visitors", "name at least one visitor");
        }
        let visitors: Vec<String> = input
            .visitors
            .iter()
            .filter_map(|v| f.check("visitors", Name::parse(v)))
            .map(Name::into_string)
            .collect();
        let serving = self
            .store
            .facilities_of_site_in_partnership(&p.id, &input.site_id)
            .await?;
        for fid in &input.facility_ids {
            if !serving.iter().any(|x| x.id == *fid) {
                f.fail(
                    "facility_ids",
                    format!(
                        "{} does not serve this site",
                        fid.chars().take(40).collect::<String>()
                    ),
                );
            }
        }
        for (i, o) in input.observations.iter().enumerate() {
            if let Err(e) = check_observation(o) {
                f.fail("observations", format!("observation {}: {e}", i + 1));
            }
            if !input.facility_ids.contains(&o.facility_id) {
                f.fail(
                    "observations",
                    format!(
                        "observation {}: the facility was not among those seen",
                        i + 1
                    ),
                );
            } else if let (Some(c), Some(fac)) = (
                capability(&o.capability),
                serving.iter().find(|x| x.id == o.facility_id),
            ) && c.facility != fac.kind
            {
                f.fail(
                    "observations",
                    format!(
                        "observation {}: {} is observed at a {} facility, not {}",
                        i + 1,
                        c.key,
                        c.facility,
                        fac.kind
                    ),
                );
            }
        }
        let mut findings: BTreeMap<Area, String> = BTreeMap::new();
        for (area, text) in &input.findings {
            match area.parse::<Area>() {
                Err(e) => f.fail("findings", e),
                Ok(area) => {
                    if let Some(t) = f.check("findings", Notes::parse(text)) {
                        findings.insert(area, t.into_string());
                    }
                }
            }
        }
        for a in &input.attachments {
            if !cellpath_ledger::is_sha256_hex(&a.sha256)
                || a.bytes.get() < 0
                || a.name.trim().is_empty()
            {
                f.fail(
                    "attachments",
                    format!(
                        "{}: give a name, a size and the file's SHA-256 (64 lowercase hex digits)",
                        a.name.chars().take(60).collect::<String>()
                    ),
                );
            }
        }
        f.finish()?;
        let new = SiteVisitFields {
            partnership_id: p.id.clone(),
            site_id: input.site_id.clone(),
            visited_on: date.expect("checked"),
            visitors,
            facility_ids: input.facility_ids.clone(),
            observations: input.observations.clone(),
            findings,
            attachments: input.attachments.clone(),
        };
        let visit = SiteVisit {
            id: crate::ids::new_id("visit"),
            partnership_id: new.partnership_id.clone(),
            site_id: new.site_id.clone(),
            visited_on: new.visited_on.clone(),
            visitors: serde_json::to_value(&new.visitors).map_err(internal)?,
            facility_ids: serde_json::to_value(&new.facility_ids).map_err(internal)?,
            observations: serde_json::to_value(&new.observations).map_err(internal)?,
            findings: serde_json::to_value(&new.findings).map_err(internal)?,
            attachments: serde_json::to_value(&new.attachments).map_err(internal)?,
            version: 1,
            created_at: 0,
            updated_at: 0,
        };
        let event = SiteVisitCreated {
            id: visit.id.clone(),
            new,
        };
        self.write(
            caller,
            idem,
            Write::event(p.id.clone(), &event, move |a| SiteVisit {
                created_at: a.recorded_at,
                updated_at: a.recorded_at,
                ..visit.clone()
            })
            .created(),
        )
        .await
    }

    pub async fn site_visits(
        &self,
        caller: &Caller,
        partnership_id: &str,
        site_id: &str,
    ) -> Result<Vec<SiteVisit>, AppError> {
        let p = self
            .readiness_partnership(caller, partnership_id, Action::Read)
            .await?;
        Ok(self
            .store
            .site_visits_of(site_id)
            .await?
            .into_iter()
            .filter(|v| v.partnership_id == p.id)
            .map(SiteVisit::from)
            .collect())
    }

    /// The partnership, checked for `action` on its readiness records (visits, gaps).
    async fn readiness_partnership(
        &self,
        caller: &Caller,
        partnership_id: &str,
        action: Action,
    ) -> Result<cellpath_store::Partnership, AppError> {
        self.party_partnership(
            caller,
            partnership_id,
            action,
            ResourceKind::Readiness,
            &format!("the readiness work of partnership {partnership_id}"),
        )
        .await
    }

    /// Judge a program's requirements at a site from its latest observations.
    pub async fn readiness(
        &self,
        caller: &Caller,
        partnership_id: &str,
        site_id: &str,
        program_id: &str,
    ) -> Result<ReadinessView, AppError> {
        let p = self
            .readiness_partnership(caller, partnership_id, Action::Read)
            .await?;
        let program = self
            .store
            .program(program_id)
            .await?
            .filter(|pr| pr.org_id == p.manufacturer_id)
            .ok_or_else(|| AppError::not_found(format!("program {program_id}")))?;
        let site = self
            .partnership_site(&p, site_id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("site {site_id}")))?;
        let requirements: Vec<Requirement> =
            serde_json::from_value(program.requirements.clone()).map_err(internal)?;
        let facilities: Vec<(String, FacilityKind)> = self
            .store
            .facilities_of_site_in_partnership(&p.id, &site.id)
            .await?
            .into_iter()
            .map(|f| (f.id, f.kind))
            .collect();
        let visits = self.site_visits(caller, partnership_id, site_id).await?;
        let mut observations: Vec<Observation> = Vec::new();
        for v in &visits {
            let obs: Vec<Observation> =
                serde_json::from_value(v.observations.clone()).map_err(internal)?;
            observations.extend(obs);
        }
        let findings = gap_analysis(&requirements, &facilities, &observations);
        let gaps: Vec<Gap> = self
            .store
            .gaps_of_site(site_id)
            .await?
            .into_iter()
            .filter(|g| g.program_id == program_id && g.partnership_id == p.id)
            .map(Gap::from)
            .collect();
        let open_blocking = gaps
            .iter()
            .filter(|g| g.status == GapStatus::Open && g.severity == Severity::Blocking)
            .count();
        let signatures = self
            .record_signatures(caller, &p.id, crate::signatures::SignedRecords::Gaps)
            .await?;
        Ok(ReadinessView {
            site_id: site.id,
            program_id: program.id,
            percent: readiness_percent(&findings),
            findings,
            open_blocking,
            gaps: gaps
                .into_iter()
                .map(|mut g| {
                    g.signatures = signatures.answer(&g.id);
                    g
                })
                .collect(),
            visits: visits.len(),
        })
    }

    /// Open a gap for every unmet (or unobserved) requirement that has no open gap yet — all
    /// in one command. Returns the gaps opened. A blocking gap suspends an authorized site:
    /// the gate's review is enqueued with the gaps.
    pub async fn analyze_gaps(
        &self,
        caller: &Caller,
        partnership_id: &str,
        site_id: &str,
        program_id: &str,
    ) -> Result<Vec<Gap>, AppError> {
        let p = self
            .readiness_partnership(caller, partnership_id, Action::Create)
            .await?;
        let view = self
            .readiness(caller, partnership_id, site_id, program_id)
            .await?;
        let last_visit = self
            .site_visits(caller, partnership_id, site_id)
            .await?
            .first()
            .map(|v| v.visited_on.clone());
        let from = last_visit.unwrap_or_else(|| Date::of_micros(self.now()));
        let kinds: BTreeMap<String, FacilityKind> = self
            .store
            .facilities_of_site_in_partnership(&p.id, site_id)
            .await?
            .into_iter()
            .map(|f| (f.id, f.kind))
            .collect();
        let mut new_gaps: Vec<Gap> = Vec::new();
        let mut events: Vec<GapCreated> = Vec::new();
        for finding in &view.findings {
            if finding.is_met() {
                continue;
            }
            let facility = finding.facility_id.clone().unwrap_or_default();
            let open_for = |status: GapStatus, key: &str, facility_id: &Option<String>| {
                status == GapStatus::Open
                    && key == finding.requirement
                    && facility_id.as_deref().unwrap_or("") == facility
            };
            let open = view
                .gaps
                .iter()
                .any(|g| open_for(g.status, &g.requirement_key, &g.facility_id))
                || new_gaps
                    .iter()
                    .any(|g| open_for(g.status, &g.requirement_key, &g.facility_id));
            if open {
                continue;
            }
            let observed = match &finding.status {
                FindingStatus::Unmet { observed } => observed.to_string(),
                FindingStatus::NotObserved => "not observed".into(),
                FindingStatus::NoFacility => "no facility of this kind serves the site".into(),
                FindingStatus::Met { .. } => unreachable!("met findings are skipped"),
            };
            let owner = kinds
                .get(&facility)
                .map(|k| owner_for(*k))
                .unwrap_or(Role::Admin);
            let fields = GapFields {
                partnership_id: p.id.clone(),
                site_id: site_id.to_string(),
                program_id: program_id.to_string(),
                facility_id: facility.clone(),
                requirement_key: finding.requirement.clone(),
                severity: finding.severity,
                expected: finding.expected.clone(),
                observed: observed.clone(),
                owner_role: owner,
                due_on: from.plus_days(finding.severity.due_days()),
                status: GapStatus::Open,
                evidence: String::new(),
            };
            let id = crate::ids::new_id("gap");
            events.push(GapCreated {
                id: id.clone(),
                new: fields,
            });
            new_gaps.push(Gap {
                id,
                partnership_id: p.id.clone(),
                site_id: site_id.to_string(),
                program_id: program_id.to_string(),
                facility_id: Some(facility).filter(|f| !f.is_empty()),
                requirement_key: finding.requirement.clone(),
                severity: finding.severity,
                expected: finding.expected.clone(),
                observed,
                owner_role: owner,
                due_on: from.plus_days(finding.severity.due_days()),
                status: GapStatus::Open,
                evidence: None,
                version: 1,
                created_at: 0,
                updated_at: 0,
                signatures: Vec::new(),
            });
        }
        let mut events = events.into_iter();
        let Some(first) = events.next() else {
            return Ok(vec![]);
        };
        let then = events
            .map(|e| crate::write::follow_up(move |_| e))
            .collect();
        self.write(
            caller,
            None,
            Write::event(p.id.clone(), &first, |_| ())
                .then(then)
                .created()
                .enqueue(self.review_gate(&p.id)),
        )
        .await?
        .fresh()?;
        let mut out = Vec::new();
        for g in new_gaps {
            out.push(
                self.store
                    .gap(&g.id)
                    .await?
                    .map(Gap::from)
                    .ok_or_else(|| AppError::Internal("gap not stored".into()))?,
            );
        }
        Ok(out)
    }

    /// Close a gap: the evidence and the closer's e-signature on it, in one command. The last
    /// blocking gap closed may authorize a site: the gate's review is enqueued with it.
    pub async fn close_gap(
        &self,
        caller: &Caller,
        gap_id: &str,
        expected_version: i64,
        evidence: &str,
        password: &str,
        idem: Option<Idem>,
    ) -> Result<Outcome<Gap>, AppError> {
        let what = format!("gap {gap_id}");
        let gap = self
            .store
            .gap(gap_id)
            .await?
            .map(Gap::from)
            .ok_or_else(|| AppError::not_found(&what))?;
        let p = self
            .partnership_row(caller, &gap.partnership_id)
            .await
            .map_err(|_| AppError::not_found(&what))?;
        let rel = self.partnership_relation(caller, &p);
        self.check(caller, Action::Update, ResourceKind::Readiness, rel, &what)?;
        crate::sitemaps::refuse_if_ended(&p)?;
        caller.principal.as_ref().ok_or_else(|| {
            AppError::Forbidden("only a person closes a gap: it needs a signature".into())
        })?;
        if gap.status != GapStatus::Open {
            return Err(AppError::invalid("status", "this gap is already closed"));
        }
        expect_version(&what, gap.version, expected_version)?;
        let mut f = Fields::default();
        let evidence = f.check("evidence", Notes::parse(evidence));
        f.finish()?;
        let sign = self
            .signature_of(caller, password, Meaning::Verified, "closing a gap")
            .await?;
        let evidence = evidence.expect("checked").into_string();
        let next = Gap {
            status: GapStatus::Closed,
            evidence: Some(evidence.clone()),
            version: gap.version + 1,
            ..gap.clone()
        };
        let event = GapUpdated {
            id: gap_id.to_string(),
            version: next.version,
            old: GapChanges {
                status: Some(GapStatus::Open),
                evidence: Some(String::new()),
            },
            new: GapChanges {
                status: Some(GapStatus::Closed),
                evidence: Some(evidence),
            },
        };
        self.write(
            caller,
            idem,
            Write::event(p.id.clone(), &event, move |a| Gap {
                updated_at: a.recorded_at,
                ..next.clone()
            })
            .then(vec![sign])
            .enqueue(self.review_gate(&p.id)),
        )
        .await
    }

    /// Gaps of a partnership's sites (all programs), open first.
    pub async fn gaps_of_site(
        &self,
        caller: &Caller,
        partnership_id: &str,
        site_id: &str,
    ) -> Result<Vec<Gap>, AppError> {
        let p = self
            .readiness_partnership(caller, partnership_id, Action::Read)
            .await?;
        let signatures = self
            .record_signatures(caller, &p.id, crate::signatures::SignedRecords::Gaps)
            .await?;
        Ok(self
            .store
            .gaps_of_site(site_id)
            .await?
            .into_iter()
            .filter(|g| g.partnership_id == p.id)
            .map(|g| crate::views::readiness::Gap::signed(g, &signatures))
            .collect())
    }
}
