//! Safety reports in the demo (issue 12, point 8): the manufacturers' safety officers have
//! acknowledged the reports of the first case with adverse events; the ICANS of that case,
//! still on steroids, was observed again afterwards, so its report shows "updated since
//! acknowledged" and waits for a new acknowledgement; the other case's reports wait for their
//! first. Run after the adverse events are recorded.

use super::user;
use crate::cases::ObservationInput;
use crate::safety::ReportsFilter;
use crate::{App, AppError};
use cellpath_domain::events::cases::AdverseEventKind;
use cellpath_domain::journey::clock;
use cellpath_domain::toxicity::{Consciousness, IcansObservations};
use cellpath_domain::{OrgKind, Role};
use cellpath_store::Page;

pub(super) async fn safety_reports(app: &App) -> Result<(), AppError> {
    for org in app.store.organizations(Page::all()).await? {
        if org.kind != OrgKind::Manufacturer {
            continue;
        }
        let domain = org
            .name
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_lowercase();
        let safety = user(app, &format!("safety@{domain}.example")).await?;
        let (mut reports, _) = app
            .safety_reports(&safety, None, Some(ReportsFilter::Pending), Page::all())
            .await?;
        // The oldest case first: its reports are the ones acknowledged.
        reports.sort_by_key(|r| (r.onset_at, r.adverse_event));
        let Some(first) = reports.first().map(|r| r.case_id.clone()) else {
            continue;
        };
        for r in reports.iter().filter(|r| r.case_id == first) {
            app.acknowledge_safety_report(&safety, &r.id, Some(r.state.version), None)
                .await?
                .fresh()?;
        }
        // The ICANS, still ongoing, observed again by the site's nurse: better (ICE 8, awake),
        // but a change the safety officer has not seen yet.
        let Some(icans) = reports
            .iter()
            .find(|r| r.case_id == first && r.kind == AdverseEventKind::Icans)
        else {
            continue;
        };
        let [nurse] =
            super::adverse_events::staff_of_case(app, &icans.case_id, [Role::Nurse]).await?;
        let minute = app.now().div_euclid(60_000_000) * 60_000_000;
        app.observe_adverse_event(
            &nurse,
            &icans.case_id,
            icans.adverse_event,
            ObservationInput {
                at: clock(minute).replace(' ', "T")[..16].to_string(),
                crs: None,
                icans: Some(IcansObservations {
                    ice_score: Some(8),
                    consciousness: Consciousness::Alert,
                    ..Default::default()
                }),
            },
            None,
            None,
        )
        .await?
        .fresh()?;
    }
    Ok(())
}
