//! Identity and authorization: who is calling, and what part of the city they may see.
//!
//! Sign-in (handlers under `api::auth`):
//! - staff: login name + password ([`password`]: argon2id, 19 MiB, t=2, p=1), failures limited
//!   per login name and per IP with exponential lockout ([`throttle`]); unknown names cost the
//!   same argon2 work, so timing and lockout reveal nothing about which accounts exist;
//! - citizens: phone number ([`phone`], E.164, +86 by default) + one-time code ([`otp`]: six
//!   digits, 5 minutes, 5 tries, HMAC-stored, delivered by a pluggable [`OtpSender`]);
//! - anonymous devices: a citizen account bound to a random device secret ([`users`]).
//!
//! Every sign-in returns a [`session::TokenPair`]: a 15-minute HS256 JWT access token
//! ([`jwt`], one algorithm, fixed issuer and audience, `exp`/`nbf` checked) and a refresh token
//! ([`refresh`], random, stored as SHA-256, rotated on every use, replay revokes its family).
//!
//! # Authorization, for handlers
//!
//! Take a [`Principal`] argument; the request is refused with 401 problem+json
//! (`token_missing`, `token_expired`, `token_invalid`) before the handler runs when there is no
//! valid access token. [`MaybePrincipal`] is the variant for public endpoints. Then:
//!
//! ```text
//! async fn list_cases(db: web::Data<Db>, who: Principal) -> ApiResult<...> {
//!     who.require_role(&[Role::Dispatcher, Role::Admin])?;        // else 403 `forbidden`
//!     let filter = who.case_filter();                              // CaseFilter, see scope.rs
//!     ...
//! }
//! if !who.can_see_grid(case_grid) { return Err(ApiError::not_found("case")) }
//! if !who.can_see_case(&CaseVisibility { grid, handling_unit, reporter, triage_street }) { ... }
//! if !who.can_see_area(street) { ... }                             // statistics, grid import
//! ```
//!
//! Scopes by role ([`Scope`]): `admin` and `system` the city; `dispatcher` one street (9-digit
//! area code); `inspector` a set of unit grid cells; `handler` one handling unit (its code,
//! matched against the unit a case is dispatched to); `citizen` only the cases it reported;
//! `viewer` (read-only operations screens) an area: the city, a district or a street. A viewer
//! reads what a dispatcher of that area reads, without the reporter's identity, and writes
//! nothing ([`read_only`] refuses every write at the door of `/api/v1`).
//! A case in the triage queue (no grid) is seen by the city scope, and by the street and
//! district scopes holding the street nearest to its position (its `street_code`).
//!
//! [`AuthSettings`] (keys from `GRIDLINE_JWT_SECRET` and the [`OtpSender`]) live in
//! `AppState::auth`; [`Principal`] reads them from the app's `web::Data<AppState>`.

pub mod error;
pub mod jwt;
pub mod otp;
pub mod password;
pub mod phone;
pub mod phone_vault;
pub mod principal;
pub mod read_only;
pub mod refresh;
pub mod revocation;
pub mod scope;
pub mod session;
pub mod throttle;
pub mod users;

#[cfg(test)]
pub(crate) mod test_db;

use std::sync::Arc;

pub use error::{AuthError, AuthResult};
pub use otp::{LogSender, OtpSender};
pub use principal::{MaybePrincipal, Principal};
pub use scope::{CaseFilter, CaseVisibility, Scope};

/// The connection every identity function works on.
pub(crate) type Conn = crate::store::DbConnection;

/// Keys and the code sender, built once at start-up (see [`AuthSettings::for_environment`]).
#[derive(Clone)]
pub struct AuthSettings {
    pub access_keys: jwt::AccessTokenKeys,
    pub hash_key: otp::HashKey,
    /// Seals and hashes phone numbers (`GRIDLINE_PHONE_KEY`).
    pub phones: phone_vault::PhoneVault,
    pub sender: Arc<dyn OtpSender>,
    /// Access tokens to refuse although they verify (signed out, disabled, changed).
    pub revocations: revocation::RevocationList,
}

impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSettings").finish_non_exhaustive()
    }
}

impl AuthSettings {
    /// From the server secret (`GRIDLINE_JWT_SECRET`, at least 32 bytes): the JWT key is the
    /// secret itself; the code hashing key is derived from it under its own label. Phone numbers
    /// are sealed and hashed under keys derived from `phone_key` (`GRIDLINE_PHONE_KEY`).
    pub fn new(server_secret: &[u8], phone_key: &[u8], sender: Arc<dyn OtpSender>) -> AuthResult<Self> {
        let access_keys = jwt::AccessTokenKeys::from_secret(server_secret)
            .map_err(|e| AuthError::InvalidField { field: "GRIDLINE_JWT_SECRET", reason: e.to_string() })?;
        Ok(Self {
            access_keys,
            hash_key: otp::HashKey::derive(server_secret)?,
            phones: phone_vault::PhoneVault::from_key(phone_key)?,
            sender,
            revocations: Default::default(),
        })
    }
}

/// Production sender until an SMS gateway is configured: refuses, so a code request answers
/// 503 `otp_delivery_failed` rather than pretending a code was sent.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoGatewaySender;

impl OtpSender for NoGatewaySender {
    fn send(&self, _phone: &phone::PhoneNumber, _code: &str) -> Result<(), String> {
        Err("no SMS gateway is configured for one-time codes".to_owned())
    }
}

impl AuthSettings {
    /// The settings the server starts with: development logs one-time codes ([`LogSender`]);
    /// production refuses to send them ([`NoGatewaySender`]) until a gateway sender exists.
    pub fn for_environment(server_secret: &[u8], phone_key: &[u8], production: bool) -> AuthResult<Self> {
        let sender: Arc<dyn OtpSender> =
            if production { Arc::new(NoGatewaySender) } else { Arc::new(LogSender) };
        Self::new(server_secret, phone_key, sender)
    }
}

/// The current time in Unix seconds, the unit of every identity timestamp.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
