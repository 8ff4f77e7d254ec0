//! API tokens, credentials and sessions: rows and queries.

pub(crate) mod project;

use crate::decode::{maybe_date, word};
use crate::directory::User;
use crate::{Store, StoreError};
use cellpath_domain::{Date, OrgKind};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub name: String,
    #[serde(skip)]
    pub token_hash: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
    /// The last day (UTC) the token is accepted (migration 0017); `None`: it does not expire.
    pub expires_on: Option<Date>,
    /// The token may only read (GET); writes through it are refused.
    pub read_only: bool,
}

impl ApiToken {
    /// Whether the token has expired on `today` (UTC): it is accepted through its last day.
    pub fn expired(&self, today: &Date) -> bool {
        self.expires_on.as_ref().is_some_and(|last| last < today)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user_id: String,
    pub password_hash: String,
    /// Wrong passwords at sign-in since the last success or lock, and the sign-in lock.
    pub failed_attempts: i64,
    pub locked_until: i64,
    /// Wrong passwords re-entered to sign, and the signing lock (migration 0008): a separate
    /// count, so wrong signing passwords never lock anyone out of signing in.
    pub signing_failed_attempts: i64,
    pub signing_locked_until: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id_hash: String,
    pub user_id: String,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

impl FromRow<'_, AnyRow> for ApiToken {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(ApiToken {
            id: r.try_get("id")?,
            user_id: r.try_get("user_id")?,
            name: r.try_get("name")?,
            token_hash: r.try_get("token_hash")?,
            created_at: r.try_get("created_at")?,
            revoked_at: r.try_get("revoked_at")?,
            last_used_at: r.try_get("last_used_at")?,
            expires_on: maybe_date(r, "expires_on")?,
            read_only: r.try_get::<i64, _>("read_only")? == 1,
        })
    }
}

impl Store {
    pub async fn api_tokens_of(&self, user_id: &str) -> Result<Vec<ApiToken>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id",
        )
        .bind(user_id)
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn api_token(&self, id: &str) -> Result<Option<ApiToken>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM api_tokens WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?)
    }

    pub async fn api_token_by_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<ApiToken>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM api_tokens WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    /// A token with its user and the kind of the user's organization, in one query (it runs
    /// on every API request).
    pub async fn token_holder(
        &self,
        token_hash: &str,
    ) -> Result<Option<(ApiToken, User, OrgKind)>, StoreError> {
        let row: Option<AnyRow> = sqlx::query(
            "SELECT t.id AS t_id, t.name AS t_name, t.token_hash, t.created_at AS t_created_at, t.revoked_at, t.last_used_at, \
             t.expires_on, t.read_only, u.*, o.kind AS org_kind FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN organizations o ON o.id = u.org_id \
             WHERE t.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.reader)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let user = User::from_row(&r)?;
        let token = ApiToken {
            id: r.try_get("t_id")?,
            user_id: user.id.clone(),
            name: r.try_get("t_name")?,
            token_hash: r.try_get("token_hash")?,
            created_at: r.try_get("t_created_at")?,
            revoked_at: r.try_get("revoked_at")?,
            last_used_at: r.try_get("last_used_at")?,
            expires_on: maybe_date(&r, "expires_on")?,
            read_only: r.try_get::<i64, _>("read_only")? == 1,
        };
        Ok(Some((token, user, word(&r, "org_kind")?)))
    }
}
