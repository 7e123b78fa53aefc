//! Signing in, on [`GridlineClient`]: a citizen with a phone number and a one-time code, or
//! anonymously with a device account; staff with a login and password. The tokens are kept
//! in the device's store by core's session, so the app stays signed in across restarts and
//! sync renews them by itself.

use gridline_core::device::Tokens;
use serde_json::{Value, json};

use crate::GridlineError;
use crate::client::GridlineClient;
use crate::remote::text;
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

impl GridlineClient {
    /// Keep a sign-in answer's tokens and read its account.
    fn keep(&self, answer: &Value) -> Result<Account, GridlineError> {
        let tokens = Tokens {
            access_token: text(answer, "access_token")?,
            refresh_token: text(answer, "refresh_token")?,
        };
        let user = answer.get("user").unwrap_or(&Value::Null);
        let account = Account {
            user_id: text(user, "id")?,
            role: Role::parse(&text(user, "role")?)?,
            display_name: text(user, "display_name").unwrap_or_default(),
            anonymous: user.get("anonymous").and_then(Value::as_bool).unwrap_or(false),
            device_secret: answer.get("device_secret").and_then(Value::as_str).map(str::to_owned),
        };
        self.device.session().set(tokens)?;
        Ok(account)
    }
}

#[uniffi::export]
impl GridlineClient {
    /// Ask the server to text a one-time code to `phone` (E.164, or a mainland number without
    /// +86). Fails with `Refused` (e.g. `invalid_phone`), `TooManyAttempts` (`rate_limited`,
    /// with the wait) or `Network`.
    pub fn request_code(&self, phone: String) -> Result<(), GridlineError> {
        self.remote().post_public("/api/v1/auth/otp/request", &json!({ "phone": phone }))?;
        Ok(())
    }

    /// Sign in as the citizen who owns `phone`, with the code texted to it (the account is
    /// created on first sign-in). Fails with `Refused` for a code that is wrong, expired or used
    /// up (one answer, `otp_invalid`, so that no one learns whether a code is pending), and
    /// `TooManyAttempts` once too many codes were wrong (`rate_limited`, with the wait).
    pub fn sign_in_with_code(&self, phone: String, code: String) -> Result<Account, GridlineError> {
        let answer =
            self.remote().post_public("/api/v1/auth/otp/verify", &json!({ "phone": phone, "code": code }))?;
        self.keep(&answer)
    }

    /// Sign in anonymously: without `device_secret` a new anonymous account is created and its
    /// secret returned once in [`Account::device_secret`]; with it, the same account again.
    /// Fails with `Refused` for an unknown secret.
    pub fn sign_in_anonymously(&self, device_secret: Option<String>) -> Result<Account, GridlineError> {
        let body = match device_secret {
            Some(secret) => json!({ "device_secret": secret }),
            None => json!({}),
        };
        let answer = self.remote().post_public("/api/v1/auth/anonymous", &body)?;
        self.keep(&answer)
    }

    /// Sign in as staff (inspector, dispatcher, handler, admin) with a login and password.
    /// Fails with `Refused` (`invalid_credentials`) for a wrong pair, and `TooManyAttempts`
    /// (`rate_limited`, with the wait) while the login is locked after repeated wrong ones.
    pub fn sign_in_staff(&self, login: String, password: String) -> Result<Account, GridlineError> {
        let answer = self
            .remote()
            .post_public("/api/v1/auth/login", &json!({ "login": login, "password": password }))?;
        self.keep(&answer)
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
