//! Gate deliverables missing at a site that the reader's side records: the gate's rule over
//! each active partnership's record, kept per organization while the records of the ledgers
//! it is judged from and the day stand still (a case's step moves its partnership's ledger,
//! not its records: `records_seq`, migration 0038).

use super::{Names, Reader};
use crate::views::inbox::{InboxItem, InboxKind, InboxTarget};
use crate::{App, AppError};
use cellpath_domain::Date;
use cellpath_domain::contracting::{Deliverable, Missing, RecordedBy};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A gate deliverable missing at a site for a program.
#[derive(Debug, Clone)]
pub(crate) struct GateGap {
    partnership_id: String,
    site_id: String,
    program_id: String,
    program_name: String,
    deliverable: Deliverable,
}

/// What the gate was judged from: each ledger's records' sequence number, and the day.
type GateKey = (Vec<(String, i64)>, Date);

/// An organization's missing gate deliverables, with what they were judged from.
type Kept = (GateKey, Arc<Vec<GateGap>>);

/// The gate deliverables each organization misses, with what they were judged from.
#[derive(Default, Clone)]
pub(crate) struct GateGapsKept(Arc<Mutex<HashMap<String, Kept>>>);

impl GateGapsKept {
    fn get(&self, org_id: &str) -> Option<Kept> {
        self.0
            .lock()
            .expect("the gate gaps are never poisoned: nothing panics holding them")
            .get(org_id)
            .cloned()
    }

    fn keep(&self, org_id: String, key: GateKey, gaps: Arc<Vec<GateGap>>) {
        self.0
            .lock()
            .expect("the gate gaps are never poisoned: nothing panics holding them")
            .insert(org_id, (key, gaps));
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

impl App {
    /// Gate deliverables missing at a site that the reader's side records (the gate's rule
    /// over each active partnership's record), judged again only when one of the ledgers it
    /// is judged from has moved or the day has changed.
    pub(super) async fn gate_deliverables(
        &self,
        r: &Reader<'_>,
        names: &Names,
    ) -> Result<Vec<InboxItem>, AppError> {
        if r.partnerships.is_empty() {
            return Ok(Vec::new());
        }
        let gaps = self.gate_gaps_of(r).await?;
        Ok(gaps
            .iter()
            .map(|g| InboxItem {
                kind: InboxKind::GateDeliverable,
                title: capitalized(g.deliverable.label()),
                detail: match (g.deliverable, g.deliverable.recorded_by()) {
                    // Not recorded: agreed by a protocol version both sides sign.
                    (Deliverable::ReleaseExceptionProtocol, _) => {
                        "missing at the gate: both sides sign a protocol version".into()
                    }
                    (_, RecordedBy::EitherSide) => {
                        "missing at the gate: either side records it".into()
                    }
                    _ => "missing at the gate: your side records it".into(),
                },
                case_id: None,
                pseudonym: None,
                partnership_id: g.partnership_id.clone(),
                partnership_name: names.partnership(&g.partnership_id),
                site_id: Some(g.site_id.clone()),
                site_name: names.site(&g.site_id),
                program_id: Some(g.program_id.clone()),
                program_name: Some(g.program_name.clone()),
                due_on: None,
                overdue: false,
                since: None,
                target: InboxTarget::Gate {
                    partnership_id: g.partnership_id.clone(),
                    site_id: g.site_id.clone(),
                    program_id: g.program_id.clone(),
                },
            })
            .collect())
    }

    /// The organization's missing gate deliverables that its side records, kept by the
    /// records' sequence numbers of the ledgers the gate reads (the partnerships', the organization's
    /// own — sites, facilities — and the manufacturers' — programs) and today.
    pub(super) async fn gate_gaps_of(&self, r: &Reader<'_>) -> Result<Arc<Vec<GateGap>>, AppError> {
        let mut ledgers = r.all.clone();
        ledgers.push(r.principal.org_id.clone());
        ledgers.extend(r.partnerships.iter().map(|p| p.manufacturer_id.clone()));
        ledgers.sort();
        ledgers.dedup();
        let seqs = self.store.ledger_records_seqs(&ledgers).await?;
        let key = (seqs, r.today.clone());
        if let Some((kept_key, gaps)) = self.gate_gaps.get(&r.principal.org_id)
            && kept_key == key
        {
            return Ok(gaps);
        }
        let records = self.gate_records(&r.partnerships).await?;
        let mut gaps = Vec::new();
        for record in &records {
            for site in &record.rule.sites {
                for program in &record.programs {
                    for m in record.rule.missing(site, &program.id, &r.today) {
                        let Missing::Deliverable { deliverable } = m else {
                            continue;
                        };
                        // A signed site map is signed on the map itself, not recorded.
                        if deliverable == Deliverable::SiteMapSigned
                            || !deliverable.recorded_by().allows(r.principal.org_kind)
                        {
                            continue;
                        }
                        gaps.push(GateGap {
                            partnership_id: record.partnership_id.clone(),
                            site_id: site.clone(),
                            program_id: program.id.clone(),
                            program_name: program.name.clone(),
                            deliverable,
                        });
                    }
                }
            }
        }
        let gaps = Arc::new(gaps);
        self.gate_gaps
            .keep(r.principal.org_id.clone(), key, gaps.clone());
        Ok(gaps)
    }
}
