//! Signing in, on [`GridlineClient`]: a citizen with a phone number and a one-time code, or
//! anonymously with a device account; staff with a login and password. Core's device makes
//! the calls and keeps the tokens and the account across restarts (see
//! `gridline_core::device::account`); this only converts.

use gridline_core::device::SignedIn;

use crate::GridlineError;
use crate::client::GridlineClient;
use crate::workflow::Role;

/// Who is signed in.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Account {
    /// The account's id on the server.
    pub user_id: String,
    /// What the account may do.
    pub role: Role,
    /// The name to show (staff) or a generic one (citizens).
    pub display_name: String,
    /// A citizen known only by a device secret.
    pub anonymous: bool,
    /// Only when an anonymous account was just created: the secret that signs in to it again
    /// (after reinstalling, or on a new session). Keep it in the Keychain or the Keystore; it
    /// is shown once.
    pub device_secret: Option<String>,
}

impl From<SignedIn> for Account {
    fn from(signed_in: SignedIn) -> Self {
        let account = signed_in.account;
        Account {
            user_id: account.user_id,
            role: account.role.into(),
            display_name: account.display_name,
            anonymous: account.anonymous,
            device_secret: signed_in.device_secret,
        }
    }
}

#[uniffi::export]
impl GridlineClient {
    /// Ask the server to text a one-time code to `phone` (E.164, or a mainland number without
    /// +86). Fails with `Refused` (e.g. `invalid_phone`), `TooManyAttempts` (`rate_limited`,
    /// with the wait) or `Network`.
    pub fn request_code(&self, phone: String) -> Result<(), GridlineError> {
        Ok(self.device.request_code(&phone)?)
    }

    /// Sign in as the citizen who owns `phone`, with the code texted to it (the account is
    /// created on first sign-in). Fails with `Refused` for a code that is wrong, expired or used
    /// up (one answer, `otp_invalid`, so that no one learns whether a code is pending), and
    /// `TooManyAttempts` once too many codes were wrong (`rate_limited`, with the wait).
    pub fn sign_in_with_code(&self, phone: String, code: String) -> Result<Account, GridlineError> {
        Ok(self.device.sign_in_with_code(&phone, &code)?.into())
    }

    /// Sign in anonymously: without `device_secret` a new anonymous account is created and its
    /// secret returned once in [`Account::device_secret`]; with it, the same account again.
    /// Fails with `Refused` for an unknown secret.
    pub fn sign_in_anonymously(&self, device_secret: Option<String>) -> Result<Account, GridlineError> {
        Ok(self.device.sign_in_anonymously(device_secret.as_deref())?.into())
    }

    /// Sign in as staff (inspector, dispatcher, handler, admin) with a login and password.
    /// Fails with `Refused` (`invalid_credentials`) for a wrong pair, and `TooManyAttempts`
    /// (`rate_limited`, with the wait) while the login is locked after repeated wrong ones.
    pub fn sign_in_staff(&self, login: String, password: String) -> Result<Account, GridlineError> {
        Ok(self.device.sign_in_staff(&login, &password)?.into())
    }

    /// Whether a session is kept on this device.
    pub fn is_signed_in(&self) -> bool {
        self.device.session().access_token().is_some()
    }

    /// Sign out: forget the session and the pulled lists on this device, and ask the server to
    /// revoke the refresh token so no copy of it can renew the session. Best effort: offline,
    /// or with the server unavailable, the session is still forgotten here but not revoked
    /// there. Returns whether the server confirmed the revocation. Queued items stay and are
    /// sent after the next sign-in. Blocks on the network: call it off the main thread. Fails
    /// only with `Storage`, when the device cannot forget the session.
    pub fn sign_out(&self) -> Result<bool, GridlineError> {
        Ok(self.device.sign_out()?)
    }
}
