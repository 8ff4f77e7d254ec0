//! Personal API tokens as the API answers them (the token's hash never leaves the store).

use super::schema;
use crate::auth;
use cellpath_domain::Date;
use cellpath_store as rows;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub name: String,
    #[schema(schema_with = schema::micros)]
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
    /// The last day (UTC) the token is accepted; null when it does not expire.
    #[schema(schema_with = schema::maybe_date, required = true)]
    pub expires_on: Option<Date>,
    /// The token may only read (GET); any write through it is refused with 403.
    pub read_only: bool,
}

impl From<rows::ApiToken> for ApiToken {
    fn from(r: rows::ApiToken) -> Self {
        ApiToken {
            id: r.id,
            user_id: r.user_id,
            name: r.name,
            created_at: r.created_at,
            revoked_at: r.revoked_at,
            last_used_at: r.last_used_at,
            expires_on: r.expires_on,
            read_only: r.read_only,
        }
    }
}

/// The caller's tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(transparent)]
pub struct ApiTokenList(pub Vec<ApiToken>);

/// A token just made: the token itself is in this answer only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatedToken {
    /// the token itself, shown only in this answer
    pub token: String,
    pub id: String,
    pub user_id: String,
    pub name: String,
    #[schema(schema_with = schema::micros)]
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
    /// The last day (UTC) the token is accepted; null when it does not expire.
    #[schema(schema_with = schema::maybe_date, required = true)]
    pub expires_on: Option<Date>,
    /// The token may only read (GET).
    pub read_only: bool,
}

impl From<auth::CreatedToken> for CreatedToken {
    fn from(c: auth::CreatedToken) -> Self {
        let info = c.info;
        CreatedToken {
            token: c.token,
            id: info.id,
            user_id: info.user_id,
            name: info.name,
            created_at: info.created_at,
            revoked_at: info.revoked_at,
            last_used_at: info.last_used_at,
            expires_on: info.expires_on,
            read_only: info.read_only,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The views serialize byte for byte as the row and the app's answer did (a created token
    /// is replayed from the answer stored with its event).
    #[test]
    fn token_views_serialize_as_before() {
        let row = rows::ApiToken {
            id: "t1".into(),
            user_id: "u1".into(),
            name: "laptop".into(),
            token_hash: "secret".into(),
            created_at: 5,
            revoked_at: None,
            last_used_at: Some(7),
            expires_on: Some(Date::parse("2026-12-31").expect("a day")),
            read_only: true,
        };
        let created = auth::CreatedToken {
            token: "cpt_x".into(),
            info: row.clone().into(),
        };
        assert_eq!(json(&row), json(&ApiToken::from(row.clone())));
        assert_eq!(
            json(&vec![row.clone()]),
            json(&ApiTokenList(vec![row.into()]))
        );
        assert_eq!(json(&created), json(&CreatedToken::from(created.clone())));
    }

    fn json<T: Serialize>(v: &T) -> String {
        serde_json::to_string(v).expect("serializes")
    }
}
