//! Access's recorded events: API tokens created and revoked, on the owner's organization's
//! ledger. (E-signatures are the ledger crate's own `SignaturePayload`, which partners verify
//! without this crate.)

use super::events;
use serde::{Deserialize, Serialize};

/// A token was given to a user: only its SHA-256 is recorded, never the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiTokenCreated {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub token_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiTokenRevoked {
    pub id: String,
}

events! {
    ApiTokenCreated => "api_token.created",
    ApiTokenRevoked => "api_token.revoked",
}
