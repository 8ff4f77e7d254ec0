//! Claims to follow up: a health system's claims denied and not yet appealed or closed, and
//! those waiting for the payer with no step for [`FOLLOW_UP_DAYS`] (the usual payers' 90th
//! percentile of days to an answer, DOMAIN.md), for its finance people, who record the
//! payer's answers. An item leads to the case's page, where the claim's form is.

use super::{Names, Reader, case_item};
use crate::views::inbox::{InboxItem, InboxKind};
use crate::{App, AppError};
use cellpath_domain::finance::ClaimStatus;
use cellpath_store::Page;

/// A claim waiting for its payer is in the inbox once its latest step is this many days old.
pub(super) const FOLLOW_UP_DAYS: i64 = 60;

impl App {
    /// Claims denied, or waiting past [`FOLLOW_UP_DAYS`], the longest waiting first.
    pub(super) async fn claims_to_follow_up(
        &self,
        r: &Reader<'_>,
        names: &Names,
        upto: Page,
    ) -> Result<Vec<InboxItem>, AppError> {
        let stale_by = r.today.plus_days(-FOLLOW_UP_DAYS);
        let rows = self
            .store
            .claims_to_follow_up(&r.all, &stale_by, upto)
            .await?;
        let pseudonyms = self
            .store
            .case_pseudonyms(&rows.iter().map(|c| c.case_id.clone()).collect::<Vec<_>>())
            .await?;
        Ok(rows
            .into_iter()
            .map(|claim| {
                let pseudonym = pseudonyms.get(&claim.case_id).cloned().unwrap_or_default();
                let amount = cellpath_domain::finance::dollars(claim.claimed_cents);
                let (title, detail) = match claim.status {
                    ClaimStatus::Denied => (
                        "Appeal the denied claim, or close it".to_string(),
                        format!(
                            "{} denied {amount} on {}{}",
                            claim.payer_name,
                            claim.last_on.words(),
                            claim
                                .denial_reason
                                .as_deref()
                                .map(|r| format!(": {r}"))
                                .unwrap_or_default()
                        ),
                    ),
                    ClaimStatus::Appealed => (
                        "Follow up the appeal with the payer".to_string(),
                        format!(
                            "{amount} appealed to {} on {}, no answer since",
                            claim.payer_name,
                            claim.last_on.words()
                        ),
                    ),
                    _ => (
                        "Follow up the claim with the payer".to_string(),
                        format!(
                            "{amount} submitted to {} on {}, no answer since",
                            claim.payer_name,
                            claim.last_on.words()
                        ),
                    ),
                };
                let mut item = case_item(
                    names,
                    InboxKind::ClaimToFollowUp,
                    (&claim.case_id, &pseudonym),
                    (&claim.partnership_id, &claim.site_id, &claim.program_id),
                    title,
                    detail,
                );
                item.since = Some(claim.last_on.days_since_epoch() * 86_400 * 1_000_000);
                item
            })
            .collect())
    }
}
