//! Executed agreements about to lapse.

use super::*;

/// An executed agreement that lapses soon: renew or amend it before the gate loses it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpiryReminder {
    #[schema(schema_with = crate::views::contracting::agreement)]
    pub agreement: crate::views::Agreement,
    #[schema(schema_with = crate::views::schema::date)]
    pub expires_on: Date,
    pub days_left: i64,
}

impl App {
    /// Executed agreements of a partnership that expire within `within_days` of `today`,
    /// soonest first (what is about to lapse; `send_expiry_reminders` records the reminders
    /// both sides are told of).
    pub async fn expiring_agreements(
        &self,
        caller: &Caller,
        partnership_id: &str,
        today: Date,
        within_days: i64,
    ) -> Result<Vec<ExpiryReminder>, AppError> {
        if !(0..=3650).contains(&within_days) {
            return Err(AppError::invalid(
                "within",
                "give a number of days from 0 to 3650",
            ));
        }
        let mut out = Vec::new();
        for a in self.agreements(caller, partnership_id).await? {
            if a.status != AgreementStatus::Executed {
                continue;
            }
            let Some(expires) = a.expires_on.clone() else {
                continue;
            };
            let days_left = cellpath_domain::contracting::reminders::days_left(&today, &expires);
            // On its expiry day an agreement is no longer in force (the gate's rule), so the
            // last reminder is the day before.
            if (1..=within_days).contains(&days_left) {
                out.push(ExpiryReminder {
                    expires_on: expires,
                    agreement: a,
                    days_left,
                });
            }
        }
        out.sort_by_key(|r| r.days_left);
        Ok(out)
    }
}
