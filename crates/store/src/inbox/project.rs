//! The inbox's record table (migration 0026): `open_adverse_events`, projected from the case
//! events — an adverse event is open from its recording until its outcome is final. The case's
//! row (a case's first event opens it) gives the partnership, site, program and pseudonym.

use crate::StoreError;
use crate::project::{Bind, execute};
use cellpath_domain::events::cases::CaseEvent;
use sqlx::{Any, Transaction};

pub(crate) async fn adverse_events(
    tx: &mut Transaction<'static, Any>,
    case_event: &CaseEvent,
) -> Result<(), StoreError> {
    match case_event {
        CaseEvent::AdverseEventRecorded(r) => {
            execute(
                tx,
                "INSERT INTO open_adverse_events (case_id, adverse_event, partnership_id, site_id, program_id, pseudonym, kind, onset_at) SELECT id, $2, partnership_id, site_id, program_id, pseudonym, $3, $4 FROM cases WHERE id = $1",
                vec![
                    Bind::Text(r.case_id.clone()),
                    Bind::Int(i64::from(r.adverse_event)),
                    Bind::Text(r.kind.as_str().into()),
                    Bind::Int(r.onset_at),
                ],
            )
            .await?;
        }
        CaseEvent::AdverseEventOutcome(o) if o.outcome.is_final() => {
            execute(
                tx,
                "DELETE FROM open_adverse_events WHERE case_id = $1 AND adverse_event = $2",
                vec![
                    Bind::Text(o.case_id.clone()),
                    Bind::Int(i64::from(o.adverse_event)),
                ],
            )
            .await?;
        }
        _ => {}
    }
    Ok(())
}
