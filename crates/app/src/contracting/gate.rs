//! The gate as the app serves it: the stored record loaded into the domain's
//! `gate::Record` once per partnership (`gate_record`), and the views that ask the rule what is
//! missing for a site and program.

use super::*;
use cellpath_store::Site;
use std::collections::HashMap;

/// One thing missing at the gate, with the sentence a person reads.
#[derive(Debug, Clone, Serialize)]
pub struct GateItem {
    #[serde(flatten)]
    pub missing: Missing,
    pub text: String,
}

/// The domain's `Missing` flattened beside the sentence ([`crate::views::contracting::missing_item`]).
impl utoipa::PartialSchema for GateItem {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        crate::views::contracting::missing_item().into()
    }
}

impl utoipa::ToSchema for GateItem {}

/// Whether a site is an authorized treatment center for a program today, and if not, exactly
/// what is missing.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GateView {
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    #[schema(schema_with = crate::views::schema::date)]
    pub today: Date,
    pub authorized: bool,
    pub missing: Vec<GateItem>,
    /// The partnership's agreements the gate looked at.
    #[schema(schema_with = crate::views::contracting::agreements)]
    pub agreements: Vec<crate::views::Agreement>,
    /// The site's deliverables for the program, each with its signatures.
    #[schema(schema_with = crate::views::contracting::deliverables)]
    pub deliverables: Vec<crate::views::contracting::DeliverableRecord>,
    /// The verdict last recorded on the ledger (authorized since a day, or suspended), if the
    /// site was ever authorized; `review_authorizations` brings it up to date.
    #[schema(schema_with = crate::views::contracting::recorded)]
    pub recorded: Option<crate::views::SiteAuthorization>,
    /// What the consent item rests on.
    pub consent: ConsentItem,
}

impl GateView {
    /// The view with each deliverable's signatures.
    pub(crate) fn signed(mut self, signatures: &crate::signatures::RecordSignatures) -> Self {
        for d in &mut self.deliverables {
            d.signatures = signatures.answer(&d.id);
        }
        self
    }
}

/// What the gate's consent item rests on: the site's active consent version for the program
/// (its number, the day it was made active), or a consent recorded by hand before consent
/// documents existed (counted until the site's first version is made active).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ConsentItem {
    pub version_number: Option<i64>,
    #[schema(schema_with = crate::views::schema::maybe_date)]
    pub active_since: Option<Date>,
    #[schema(schema_with = crate::views::schema::maybe_date)]
    pub by_hand_on: Option<Date>,
}

impl App {
    /// The gate (DESIGN.md §2) for a program at a site on `today`: authorized, or each missing
    /// item.
    pub async fn gate(
        &self,
        caller: &Caller,
        partnership_id: &str,
        site_id: &str,
        program_id: &str,
        today: Date,
    ) -> Result<GateView, AppError> {
        let (view, _) = self
            .gate_and_signatures(caller, partnership_id, site_id, program_id, today)
            .await?;
        Ok(view)
    }

    /// [`App::gate`], and the partnership's deliverable signatures it was signed with (a page
    /// that shows them beside each record, and their revocations, reads them once).
    pub async fn gate_and_signatures(
        &self,
        caller: &Caller,
        partnership_id: &str,
        site_id: &str,
        program_id: &str,
        today: Date,
    ) -> Result<(GateView, crate::signatures::RecordSignatures), AppError> {
        let p = self.gate_partnership(caller, partnership_id).await?;
        self.partnership_site(&p, site_id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("site {site_id}")))?;
        let record = self.gate_record(&p).await?;
        if !record.programs.iter().any(|pr| pr.id == program_id) {
            return Err(AppError::not_found(format!(
                "program {program_id} of this partnership"
            )));
        }
        let signatures = self.deliverable_signatures(caller, &p.id).await?;
        let view = record.gate(site_id, program_id, today).signed(&signatures);
        Ok((view, signatures))
    }

    async fn deliverable_signatures(
        &self,
        caller: &Caller,
        partnership_id: &str,
    ) -> Result<crate::signatures::RecordSignatures, AppError> {
        self.record_signatures(
            caller,
            partnership_id,
            crate::signatures::SignedRecords::Deliverables,
        )
        .await
    }

    /// The gate for every site × every program of a partnership on `today`, from one read of
    /// its record (a partnership page shows them all).
    pub async fn gates(
        &self,
        caller: &Caller,
        partnership_id: &str,
        today: Date,
    ) -> Result<Vec<GateView>, AppError> {
        let p = self.gate_partnership(caller, partnership_id).await?;
        let record = self.gate_record(&p).await?;
        let signatures = self.deliverable_signatures(caller, &p.id).await?;
        // The sites in its onboarding (not a new site it does not cover).
        let sites: Vec<&str> = record.sites.iter().map(|s| s.id.as_str()).collect();
        let mut out = Vec::with_capacity(sites.len() * record.programs.len());
        for site in sites {
            for program in &record.programs {
                out.push(
                    record
                        .gate(site, &program.id, today.clone())
                        .signed(&signatures),
                );
            }
        }
        Ok(out)
    }

    /// The partnership, checked for reading its gate: its contracts and its deliverables.
    pub(crate) async fn gate_partnership(
        &self,
        caller: &Caller,
        partnership_id: &str,
    ) -> Result<Partnership, AppError> {
        let p = self.partnership_row(caller, partnership_id).await?;
        self.check_gate_readable(caller, &p)?;
        Ok(p)
    }

    /// Whether the caller may read the gate of a partnership it already holds: its agreements
    /// and the deliverables recorded (what `gate_partnership` checks after loading it; the
    /// pipeline, which lists the partnerships itself, checks only this).
    pub(crate) fn check_gate_readable(
        &self,
        caller: &Caller,
        p: &Partnership,
    ) -> Result<(), AppError> {
        let rel = self.partnership_relation(caller, p);
        self.check(
            caller,
            Action::Read,
            ResourceKind::Contract,
            rel,
            &format!("the gate of partnership {}", p.id),
        )?;
        // The gate shows the deliverables recorded, too.
        self.check(
            caller,
            Action::Read,
            ResourceKind::Deliverable,
            rel,
            &format!("the deliverables of partnership {}", p.id),
        )
    }

    /// Everything the gate reads of a partnership, loaded once for all its sites × programs
    /// (a fixed number of queries, however many sites and site maps it has). The caller has
    /// been checked for reading the gate ([`App::gate_partnership`]).
    pub(crate) async fn gate_record(&self, p: &Partnership) -> Result<GateRecord, AppError> {
        let mut records = self.gate_records(std::slice::from_ref(p)).await?;
        Ok(records.pop().expect("one record per partnership"))
    }

    /// [`App::gate_record`] of several partnerships, in their order, from the same fixed number
    /// of queries (`WHERE partnership_id IN (…)`): a page of the pipeline costs no more queries
    /// than one partnership. The caller has been checked for reading each one's gate.
    pub(crate) async fn gate_records(
        &self,
        partnerships: &[Partnership],
    ) -> Result<Vec<GateRecord>, AppError> {
        let ids: Vec<String> = partnerships.iter().map(|p| p.id.clone()).collect();
        let mut manufacturers: Vec<String> = partnerships
            .iter()
            .map(|p| p.manufacturer_id.clone())
            .collect();
        manufacturers.sort();
        manufacturers.dedup();
        let store = &self.store;
        let (
            agreements,
            signatures,
            facilities,
            deliverables,
            open_gaps,
            sites,
            recorded,
            programs,
            consent_versions,
            protocols,
        ) = tokio::try_join!(
            store.agreements_of_partnerships(&ids),
            store.site_map_signatures_of_partnerships(&ids),
            store.facilities_of_partnerships(&ids),
            store.deliverable_records_of_partnerships(&ids),
            store.open_gaps_of_partnerships(&ids),
            store.sites_of_partnerships(&ids),
            store.site_authorizations_of_partnerships(&ids),
            store.programs_of_orgs(&manufacturers),
            store.consent_versions_of_partnerships(&ids),
            store.exception_protocols_of_partnerships(&ids),
        )?;
        let mut protocols = by_partnership(protocols, |v| &v.partnership_id);
        let mut consent_versions = by_partnership(consent_versions, |v| &v.partnership_id);
        let mut agreements = by_partnership(agreements, |a| &a.partnership_id);
        let mut signatures = by_partnership(signatures, |s| &s.partnership_id);
        let mut facilities = by_partnership(facilities, |(p, _)| p);
        let mut deliverables = by_partnership(deliverables, |d| &d.partnership_id);
        let mut open_gaps = by_partnership(open_gaps, |g| &g.partnership_id);
        let mut sites = by_partnership(sites, |(p, _)| p);
        let mut recorded = by_partnership(recorded, |r| &r.partnership_id);
        partnerships
            .iter()
            .map(|p| {
                let id = &p.id;
                record_of(
                    p,
                    GateRows {
                        agreements: agreements.remove(id).unwrap_or_default(),
                        signatures: signatures.remove(id).unwrap_or_default(),
                        facilities: facilities.remove(id).unwrap_or_default(),
                        deliverables: deliverables.remove(id).unwrap_or_default(),
                        open_gaps: open_gaps.remove(id).unwrap_or_default(),
                        sites: sites.remove(id).unwrap_or_default(),
                        recorded: recorded.remove(id).unwrap_or_default(),
                        consent_versions: consent_versions.remove(id).unwrap_or_default(),
                        protocols: protocols.remove(id).unwrap_or_default(),
                    },
                    &programs,
                )
            })
            .collect()
    }

    /// What the gate reads of one site and program of a partnership (opening a case judges
    /// that gate alone): the partnership's agreements and programs, and of the site only its
    /// deliverables, consent versions, signed maps, verdict, facilities and the open gaps
    /// that may hold it back — a fixed number of queries whose rows do not grow with the
    /// partnership's other sites. The record judges this site × program exactly as the whole
    /// partnership's would (`rule::Record::missing` reads nothing of another site but a
    /// shared facility's gaps, read here too); it holds nothing of the other sites.
    pub(crate) async fn gate_record_of_site(
        &self,
        p: &Partnership,
        site: &Site,
        program_id: &str,
    ) -> Result<GateRecord, AppError> {
        let store = &self.store;
        let ids = std::slice::from_ref(&p.id);
        let manufacturer = std::slice::from_ref(&p.manufacturer_id);
        let (
            agreements,
            signatures,
            facilities,
            deliverables,
            open_gaps,
            recorded,
            programs,
            consent_versions,
            protocols,
        ) = tokio::try_join!(
            store.agreements_of_partnerships(ids),
            store.site_map_signatures_of_site(&p.id, &site.id, program_id),
            store.facilities_of_site_in_partnership(&p.id, &site.id),
            store.deliverable_records_of(&p.id, &site.id, program_id),
            store.open_gaps_holding_site(&p.id, &site.id, program_id),
            store.site_authorization_of_site(&p.id, &site.id, program_id),
            store.programs_of_orgs(manufacturer),
            store.consent_versions_of(&p.id, &site.id, program_id),
            store.exception_protocols_of_partnerships(ids),
        )?;
        record_of(
            p,
            GateRows {
                agreements,
                signatures,
                facilities: facilities.into_iter().map(|f| (p.id.clone(), f)).collect(),
                deliverables,
                open_gaps,
                sites: vec![(p.id.clone(), site.clone())],
                recorded,
                consent_versions,
                protocols,
            },
            &programs,
        )
    }
}

/// The rows of one partnership the gate reads (all its sites, or one).
struct GateRows {
    agreements: Vec<cellpath_store::Agreement>,
    signatures: Vec<cellpath_store::SiteMapSignature>,
    facilities: Vec<(String, cellpath_store::Facility)>,
    deliverables: Vec<DeliverableRecord>,
    open_gaps: Vec<cellpath_store::Gap>,
    sites: Vec<(String, Site)>,
    recorded: Vec<cellpath_store::SiteAuthorization>,
    consent_versions: Vec<cellpath_store::ConsentVersion>,
    protocols: Vec<cellpath_store::ExceptionProtocolRow>,
}

/// A partnership's gate record from its rows and its manufacturer's programs.
fn record_of(
    p: &Partnership,
    rows: GateRows,
    programs: &[Program],
) -> Result<GateRecord, AppError> {
    let recorded_agreements = rows
        .agreements
        .iter()
        .map(|a| {
            Ok(RecordedAgreement {
                id: a.id.clone(),
                facts: facts_of(a)?,
                changed_on: Date::of_micros(a.updated_at),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let signed_maps = signed_site_maps(p, &rows.signatures);
    // Which sites use each facility of the health system.
    let facilities: BTreeMap<String, Vec<String>> = rows
        .facilities
        .into_iter()
        .map(|(_, f)| (f.id, f.site_ids))
        .collect();
    let all_sites: Vec<String> = rows.sites.iter().map(|(_, s)| s.id.clone()).collect();
    // A site added since the partnership was accepted that it does not cover has not joined
    // its onboarding: no gate, plan or pipeline row for it (the rule still judges it).
    let central = crate::records::partnerships::centrals_of(&rows.agreements)?;
    let sites: Vec<Site> = rows
        .sites
        .into_iter()
        .map(|(_, s)| s)
        .filter(|s| {
            !matches!(
                crate::records::partnerships::joining_of(p, s, &central),
                cellpath_domain::contracting::joining::Joining::NotCovered(_)
            )
        })
        .collect();
    let programs = named_programs(p, programs);
    let rule = rule::Record {
        partnership: p.status,
        programs: programs.iter().map(|pr| pr.id.clone()).collect(),
        sites: all_sites,
        agreements: recorded_agreements,
        deliverables: rows.deliverables.iter().map(deliverable_of).collect(),
        signed_maps,
        consent_versions: rows.consent_versions.iter().map(consent_of).collect(),
        agreed_protocols: rows
            .protocols
            .iter()
            .filter_map(|v| {
                Some(rule::AgreedProtocol {
                    program_id: v.program_id.clone(),
                    number: v.number,
                    agreed_on: v.agreed_on.clone()?,
                })
            })
            .collect(),
        facilities,
        open_gaps: rows.open_gaps.iter().map(gap_of).collect(),
    };
    Ok(GateRecord {
        rule,
        programs,
        sites,
        agreements: rows.agreements,
        deliverables: rows.deliverables,
        gaps: rows
            .open_gaps
            .into_iter()
            .map(|g| (g.id.clone(), g))
            .collect(),
        recorded: rows.recorded,
        partnership_id: p.id.clone(),
    })
}

/// Rows of several partnerships by the partnership each belongs to, in their order.
fn by_partnership<T>(rows: Vec<T>, of: impl Fn(&T) -> &String) -> HashMap<String, Vec<T>> {
    let mut out: HashMap<String, Vec<T>> = HashMap::new();
    for row in rows {
        out.entry(of(&row).clone()).or_default().push(row);
    }
    out
}

/// The programs a partnership names (by id or exact name) among its manufacturer's, by name.
pub(crate) fn named_programs(p: &Partnership, programs: &[Program]) -> Vec<Program> {
    programs
        .iter()
        .filter(|pr| pr.org_id == p.manufacturer_id)
        .filter(|pr| p.programs.iter().any(|g| *g == pr.id || *g == pr.name))
        .cloned()
        .collect()
}

/// The site map versions both sides signed, each at its last signature, from the signatures
/// the store projects with their events (`site_map_signatures`, each with its version's site,
/// program and number). A version is signed when someone of each side signed the same
/// content; a version signed by both never changes again (the site maps refuse every change
/// to it), so that content is its content — the status `site_map` derives from the current
/// content hash, without rebuilding each map.
pub(super) fn signed_site_maps(
    p: &Partnership,
    signatures: &[cellpath_store::SiteMapSignature],
) -> Vec<SignedSiteMap> {
    // (version, content) → (health system signed, manufacturer signed, last signature)
    let mut by_content: BTreeMap<(&str, &str), (bool, bool, i64)> = BTreeMap::new();
    // version → (site, program, number), for the versions still stored
    let mut versions: BTreeMap<&str, (&str, &str, i64)> = BTreeMap::new();
    for s in signatures {
        let Some(number) = s.number else { continue };
        versions.insert(&s.site_map_version_id, (&s.site_id, &s.program_id, number));
        let e = by_content
            .entry((&s.site_map_version_id, &s.content_hash))
            .or_insert((false, false, 0));
        e.0 |= s.signer_org_id == p.health_system_id;
        e.1 |= s.signer_org_id == p.manufacturer_id;
        e.2 = e.2.max(s.signed_at);
    }
    versions
        .into_iter()
        .filter_map(|(id, (site_id, program_id, number))| {
            let last = by_content
                .range((id, "")..)
                .take_while(|((v, _), _)| *v == id)
                .filter(|(_, (hs, m, _))| *hs && *m)
                .map(|(_, (_, _, at))| *at)
                .max()?;
            Some(SignedSiteMap {
                site_id: site_id.to_string(),
                program_id: program_id.to_string(),
                number,
                signed_on: Date::of_micros(last),
            })
        })
        .collect()
}

pub(super) fn deliverable_of(r: &DeliverableRecord) -> RecordedDeliverable {
    RecordedDeliverable {
        site_id: r.site_id.clone(),
        program_id: r.program_id.clone(),
        deliverable: r.deliverable,
        done_on: r.done_on.clone(),
        revoked_on: r.revoked_on.clone(),
    }
}

pub(super) fn consent_of(v: &cellpath_store::ConsentVersion) -> RecordedConsentVersion {
    RecordedConsentVersion {
        site_id: v.site_id.clone(),
        program_id: v.program_id.clone(),
        number: v.number,
        status: v.status,
        activated_on: v.activated_on.clone(),
    }
}

pub(super) fn gap_of(g: &cellpath_store::Gap) -> OpenGap {
    OpenGap {
        id: g.id.clone(),
        site_id: g.site_id.clone(),
        program_id: g.program_id.clone(),
        facility_id: g.facility_id.clone(),
        severity: g.severity,
        due_on: Some(g.due_on.clone()),
    }
}

/// A verdict as recorded on the ledger.
pub(super) fn verdict_of(r: &SiteAuthorization) -> Result<RecordedVerdict, AppError> {
    Ok(RecordedVerdict {
        site_id: r.site_id.clone(),
        program_id: r.program_id.clone(),
        verdict: Verdict {
            status: r.status,
            since: r.since.clone(),
            missing: serde_json::from_value(r.missing.clone()).map_err(internal)?,
        },
    })
}

/// What the gate reads of one partnership ([`App::gate_record`]): the domain's record the
/// rule judges, and the stored rows a page shows beside it. A page, the review and the
/// onboarding pipeline judge every site × program from one load.
pub(crate) struct GateRecord {
    pub(crate) partnership_id: String,
    pub(crate) rule: rule::Record,
    pub(crate) agreements: Vec<Agreement>,
    /// The programs the partnership names.
    pub(crate) programs: Vec<Program>,
    /// The sites in the partnership's onboarding, by name (inactive ones too; not a site added
    /// since it was accepted that it does not cover).
    pub(crate) sites: Vec<Site>,
    /// Every site's and program's, oldest deliverable first within each.
    deliverables: Vec<DeliverableRecord>,
    /// The open gaps by id.
    gaps: BTreeMap<String, cellpath_store::Gap>,
    /// The verdicts last recorded, per site and program.
    pub(crate) recorded: Vec<SiteAuthorization>,
}

impl GateRecord {
    /// The open blocking gaps that hold a site back for a program (the rule's
    /// `blocking_gaps`), as stored.
    pub(crate) fn open_blocking_gaps(
        &self,
        site_id: &str,
        program_id: &str,
    ) -> Vec<&cellpath_store::Gap> {
        self.rule
            .blocking_gaps(site_id, program_id)
            .into_iter()
            .filter_map(|g| self.gaps.get(&g.id))
            .collect()
    }

    /// The gate for a program at a site on `today`; its deliverables' signatures are filled
    /// by [`GateView::signed`] where the view is answered.
    pub(crate) fn gate(&self, site_id: &str, program_id: &str, today: Date) -> GateView {
        let deliverables: Vec<crate::views::contracting::DeliverableRecord> = self
            .deliverables
            .iter()
            .filter(|r| r.site_id == site_id && r.program_id == program_id)
            .cloned()
            .map(crate::views::contracting::DeliverableRecord::unsigned)
            .collect();
        let missing = self.rule.missing(site_id, program_id, &today);
        GateView {
            recorded: self
                .recorded
                .iter()
                .find(|r| r.site_id == site_id && r.program_id == program_id)
                .cloned()
                .map(crate::views::SiteAuthorization::from),
            partnership_id: self.partnership_id.clone(),
            site_id: site_id.to_string(),
            program_id: program_id.to_string(),
            today: today.clone(),
            authorized: missing.is_empty(),
            missing: missing
                .into_iter()
                .map(|m| GateItem {
                    text: m.to_string(),
                    missing: m,
                })
                .collect(),
            agreements: crate::views::all(self.agreements.clone()),
            deliverables,
            consent: match self.rule.active_consent(site_id, program_id) {
                Some(v) => ConsentItem {
                    version_number: Some(v.number),
                    active_since: v.activated_on.clone(),
                    by_hand_on: None,
                },
                None => ConsentItem {
                    by_hand_on: self
                        .rule
                        .consent_by_hand(site_id, program_id)
                        .map(|r| r.done_on.clone()),
                    ..ConsentItem::default()
                },
            },
        }
    }
}
