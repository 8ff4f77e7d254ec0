//! What every capability's queries share: pagination, JSON columns, and which rows a
//! partnership opens or an organization sees.

/// Offset pagination: `limit` at most 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
    pub const MAX_LIMIT: i64 = 200;
    pub fn first(limit: i64) -> Page {
        Page { limit, offset: 0 }
    }
    pub fn all() -> Page {
        Page {
            limit: i64::MAX / 2,
            offset: 0,
        }
    }
}

pub(crate) fn json_value(text: String) -> Result<serde_json::Value, sqlx::Error> {
    serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

pub(crate) fn json_list(text: String) -> Result<Vec<String>, sqlx::Error> {
    serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// SQL: partnership `p` opens row `r` of its health system's (or manufacturer's) tables — it
/// is active, or it has ended and the row existed when it did (an ended partnership takes no
/// change, so its `updated_at` is when it ended). A proposal opens nothing, nor does one
/// ended or declined before it was ever accepted.
pub(crate) fn opened_by(p: &str, r: &str) -> String {
    format!(
        "({p}.status = 'active' OR ({p}.status = 'ended' AND {p}.accepted_at IS NOT NULL AND {r}.created_at <= {p}.updated_at))"
    )
}

/// SQL: row `r` (with `org_id` and `created_at`) is seen by the organization bound at
/// `viewer`: its own, or opened to it by a partnership between the two ([`opened_by`]).
pub(crate) fn seen_by(r: &str, viewer: &str) -> String {
    format!(
        "({r}.org_id = {viewer} OR EXISTS (SELECT 1 FROM partnerships vp WHERE \
         ((vp.health_system_id = {r}.org_id AND vp.manufacturer_id = {viewer}) \
         OR (vp.manufacturer_id = {r}.org_id AND vp.health_system_id = {viewer})) AND {}))",
        opened_by("vp", r)
    )
}
