//! [`AuthError`]: everything identity can refuse or fail with, each with the HTTP status and
//! the stable machine `code` a client branches on. Causes of 5xx errors are logged, never sent.

use actix_web::http::StatusCode;

use super::password::PasswordError;
use super::phone::PhoneError;
use super::scope::ScopeError;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("this request needs an access token: send `Authorization: Bearer <token>`")]
    MissingToken,
    #[error("the access token has expired; get a new one with the refresh token")]
    ExpiredToken,
    #[error("the access token is not valid")]
    InvalidToken,
    #[error(
        "this access token was revoked (signed out, account disabled or changed); refresh or sign in again"
    )]
    RevokedToken,
    #[error("the login or password is wrong")]
    BadCredentials,
    /// The right one-time password of a reset account, without the new password it must be
    /// exchanged for.
    #[error(
        "this is a one-time password from a reset: sign in again with it and a new password of your own in `new_password`"
    )]
    PasswordChangeRequired,
    #[error("the refresh token is unknown, expired or revoked")]
    RefreshInvalid,
    #[error("this refresh token was already used; its whole session has been revoked, sign in again")]
    RefreshReused,
    #[error("the device secret is unknown")]
    UnknownDevice,
    /// A wrong code, an expired or used one, no code at all, or a code whose tries are used up:
    /// one answer for all, so that no one learns whether a code is pending for a number.
    #[error("the code is wrong or no longer valid; request a new one if it keeps failing")]
    OtpInvalid,
    #[error("too many attempts; retry after {retry_after} seconds")]
    RateLimited { retry_after: i64 },
    #[error("your role or scope does not allow this")]
    Forbidden,
    #[error("no user with this id")]
    UserNotFound,
    #[error("the login name is already taken")]
    LoginTaken,
    #[error("{field}: {reason}")]
    InvalidField { field: &'static str, reason: String },
    #[error("phone: {0}")]
    Phone(#[from] PhoneError),
    #[error("password: {0}")]
    WeakPassword(PasswordError),
    #[error("scope: {0}")]
    Scope(#[from] ScopeError),
    #[error("the code could not be delivered; try again later")]
    Delivery(String),
    #[error("database error")]
    Database(#[from] diesel::result::Error),
    #[error("internal error")]
    Internal(String),
}

pub type AuthResult<T> = Result<T, AuthError>;

impl AuthError {
    /// The stable machine code sent as `code` in the problem document.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::MissingToken => "token_missing",
            AuthError::ExpiredToken => "token_expired",
            AuthError::InvalidToken => "token_invalid",
            AuthError::RevokedToken => "token_revoked",
            AuthError::BadCredentials => "invalid_credentials",
            AuthError::PasswordChangeRequired => "password_change_required",
            AuthError::RefreshInvalid => "refresh_invalid",
            AuthError::RefreshReused => "refresh_reused",
            AuthError::UnknownDevice => "device_unknown",
            AuthError::OtpInvalid => "otp_invalid",
            AuthError::RateLimited { .. } => "rate_limited",
            AuthError::Forbidden => "forbidden",
            AuthError::UserNotFound => "user_not_found",
            AuthError::LoginTaken => "login_taken",
            AuthError::InvalidField { .. } => "invalid_field",
            AuthError::Phone(_) => "invalid_phone",
            AuthError::WeakPassword(_) => "weak_password",
            AuthError::Scope(_) => "invalid_scope",
            AuthError::Delivery(_) => "otp_delivery_failed",
            AuthError::Database(_) | AuthError::Internal(_) => "internal",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AuthError::MissingToken
            | AuthError::ExpiredToken
            | AuthError::InvalidToken
            | AuthError::RevokedToken
            | AuthError::BadCredentials
            | AuthError::RefreshInvalid
            | AuthError::RefreshReused
            | AuthError::UnknownDevice
            | AuthError::OtpInvalid => StatusCode::UNAUTHORIZED,
            AuthError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AuthError::Forbidden | AuthError::PasswordChangeRequired => StatusCode::FORBIDDEN,
            AuthError::UserNotFound => StatusCode::NOT_FOUND,
            AuthError::LoginTaken => StatusCode::CONFLICT,
            AuthError::InvalidField { .. }
            | AuthError::Phone(_)
            | AuthError::WeakPassword(_)
            | AuthError::Scope(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AuthError::Delivery(_) => StatusCode::SERVICE_UNAVAILABLE,
            AuthError::Database(_) | AuthError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The request field at fault, where there is one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            AuthError::InvalidField { field, .. } => Some(field),
            AuthError::Phone(_) => Some("phone"),
            AuthError::WeakPassword(_) => Some("password"),
            AuthError::Scope(_) => Some("scope"),
            AuthError::LoginTaken => Some("login"),
            AuthError::OtpInvalid => Some("code"),
            AuthError::PasswordChangeRequired => Some("new_password"),
            _ => None,
        }
    }

    /// Seconds to wait before retrying, for a `Retry-After` header.
    pub fn retry_after(&self) -> Option<i64> {
        match self {
            AuthError::RateLimited { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
}

impl From<PasswordError> for AuthError {
    fn from(e: PasswordError) -> Self {
        match e {
            PasswordError::Hashing(cause) => AuthError::Internal(cause),
            weak => AuthError::WeakPassword(weak),
        }
    }
}

impl From<AuthError> for crate::error::ApiError {
    fn from(e: AuthError) -> Self {
        use crate::error::{ApiError, ErrorKind};
        let kind = match e.status().as_u16() {
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            422 => ErrorKind::Unprocessable,
            429 => ErrorKind::TooManyRequests,
            503 => ErrorKind::Unavailable,
            _ => ErrorKind::Internal,
        };
        let code = e.code();
        let field = e.field();
        let retry_after = e.retry_after();
        let mut api = match e {
            AuthError::Database(cause) => ApiError::from(crate::store::StoreError::from(cause)),
            AuthError::Internal(cause) => ApiError::internal(cause),
            AuthError::Delivery(cause) => {
                ApiError::new(kind, code, AuthError::Delivery(String::new()).to_string()).with_cause(cause)
            }
            other => ApiError::new(kind, code, other.to_string()),
        };
        if let Some(field) = field {
            api = api.with_field(field);
        }
        if let Some(secs) = retry_after {
            api.retry_after_secs = Some(u32::try_from(secs.max(1)).unwrap_or(u32::MAX));
        }
        api
    }
}
