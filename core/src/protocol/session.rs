//! The answers of `/api/v1/auth/*` and `GET /api/v1/me`: the token pair every sign-in and
//! refresh answers, with the account it belongs to. The device core keeps the tokens and the
//! account from [`SessionAnswer::parse`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::AnswerError;
use crate::workflow::Role;
use crate::workflow::scope::Scope;

/// An account as the API shows it: no password hash, no device secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    pub id: String,
    pub role: Role,
    pub scope: Scope,
    pub display_name: String,
    /// Staff only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    /// Citizens who signed in with a phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// A citizen known only by a device secret.
    pub anonymous: bool,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What every successful sign-in or refresh answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionAnswer {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub refresh_token: String,
    pub user: UserView,
    /// Only when an anonymous account was just made: the secret that signs in to it again
    /// (shown once; the device keeps it in the platform's secure storage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_secret: Option<String>,
}

impl SessionAnswer {
    /// Read a sign-in or refresh answer.
    pub fn parse(body: &[u8]) -> Result<Self, AnswerError> {
        super::parse_answer(body)
    }
}

/// `POST /api/v1/auth/otp/request`: the code is on its way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeSent {
    pub sent: bool,
    /// Seconds the code stays valid.
    pub expires_in: i64,
}
