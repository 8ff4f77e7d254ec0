//! Release exceptions waiting for the reader's acknowledgement: told to a tier of the
//! partnership's protocol that names the reader's role on its side, and acknowledged by
//! nobody yet (the first acknowledgement stops the escalation, and a later one is refused).
//! Whom an exception asks is its protocol's, judged here by the domain's own rule
//! (`Exception::may_acknowledge`); open exceptions are few, so all of the reader's
//! partnerships' are read and the count is the list's length.

use super::{Names, Reader, case_item};
use crate::release_exceptions::exceptions::exception_of;
use crate::views::inbox::{InboxItem, InboxKind, InboxTarget};
use crate::{App, AppError};
use cellpath_domain::Date;
use cellpath_domain::release_exception::Protocol;
use cellpath_store::Page;
use std::collections::HashMap;

impl App {
    /// The open, unacknowledged exceptions the reader is a recipient of, the earliest opened
    /// first; each due by the day it escalates to the next tier.
    pub(super) async fn release_exceptions_to_acknowledge(
        &self,
        r: &Reader<'_>,
        names: &Names,
    ) -> Result<Vec<InboxItem>, AppError> {
        let rows = self
            .store
            .unacknowledged_release_exceptions(&r.with_patients, Page::all())
            .await?;
        let pseudonyms = self
            .store
            .case_pseudonyms(&rows.iter().map(|e| e.case_id.clone()).collect::<Vec<_>>())
            .await?;
        let mut protocols: HashMap<String, Protocol> = HashMap::new();
        let mut items = Vec::new();
        for row in rows {
            if !protocols.contains_key(&row.protocol_id) {
                let protocol = self.protocol_of(&row.protocol_id).await?;
                protocols.insert(row.protocol_id.clone(), protocol);
            }
            let protocol = &protocols[&row.protocol_id];
            let exception = exception_of(&row);
            let Ok(tier) =
                exception.may_acknowledge(protocol, r.principal.org_kind, r.principal.role)
            else {
                continue;
            };
            let escalates = exception.next_escalation_at(protocol);
            let detail = match &escalates {
                Some((next, at)) => format!(
                    "{}; told to tier {} on {}, tier {} is told on {} unless someone acknowledges",
                    row.kind.words(),
                    tier + 1,
                    Date::of_micros(row.tier_notified_at).words(),
                    next + 1,
                    Date::of_micros(*at).words()
                ),
                None => format!(
                    "{}; told to tier {} on {}",
                    row.kind.words(),
                    tier + 1,
                    Date::of_micros(row.tier_notified_at).words()
                ),
            };
            let pseudonym = pseudonyms.get(&row.case_id).cloned().unwrap_or_default();
            let mut item = case_item(
                names,
                InboxKind::ReleaseException,
                (&row.case_id, &pseudonym),
                (&row.partnership_id, &row.site_id, &row.program_id),
                "Acknowledge the release exception".to_string(),
                detail,
            );
            item.since = Some(row.opened_at);
            if let Some((_, at)) = escalates {
                let due = Date::of_micros(at);
                item.overdue = due < r.today;
                item.due_on = Some(due);
            }
            item.target = InboxTarget::ReleaseException {
                exception_id: row.id.clone(),
            };
            items.push(item);
        }
        Ok(items)
    }
}
