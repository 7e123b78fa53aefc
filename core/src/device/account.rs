//! Signing in from a phone and remembering who is signed in: a citizen with a phone number and
//! a one-time code, or anonymously with a device account; staff with a login and password.
//! The tokens go to the [`super::Session`] and the [`Account`] (role, name) to the store's
//! settings, so a process started cold (after a reboot, or by the background scheduler) knows
//! the account; the app core sets the lists sync pulls for its role from it
//! ([`pull_lists_for`]), so that process refreshes them without a screen.
//!
//! The answers are the server's `/api/v1/auth/*`, read as core's
//! [`SessionAnswer`](crate::protocol::SessionAnswer); refusals come back as [`Error::Refused`]
//! (with the server's `attempts_left` for a wrong code) or [`Error::Throttled`] (with the wait).

use rusqlite::{OptionalExtension, params};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Device;
use super::error::Result;
use super::pull::PullList;
use super::session::Tokens;
use super::store::Store;
use crate::protocol::SessionAnswer;
use crate::workflow::Role;

/// Who is signed in on this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The account's id on the server.
    pub user_id: String,
    pub role: Role,
    /// The name to show (staff), or a generic one (citizens).
    pub display_name: String,
    /// A citizen known only by a device secret.
    pub anonymous: bool,
}

/// The answer of a sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub account: Account,
    /// Only when an anonymous account was just created: the secret that signs in to it again.
    /// Keep it in the platform's secure storage; the server shows it once.
    pub device_secret: Option<String>,
}

const ACCOUNT_KEY: &str = "account";

/// The lists a role's phone pulls after the outbox.
pub fn pull_lists_for(role: Role) -> Vec<PullList> {
    match role {
        Role::Inspector => vec![PullList::Worklist, PullList::MyReports],
        _ => vec![PullList::MyReports],
    }
}

impl Store {
    /// A setting kept as JSON under `key`, `None` when never set.
    pub fn setting<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        let value: Option<String> = self
            .conn()
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |row| row.get(0))
            .optional()?;
        Ok(value.map(|v| serde_json::from_str(&v)).transpose()?)
    }

    /// Keep `value` under `key`, replacing what was there.
    pub fn set_setting<T: Serialize>(&self, key: &str, value: &T) -> Result<()> {
        self.conn().execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, serde_json::to_string(value)?],
        )?;
        Ok(())
    }

    /// Forget the setting under `key`.
    pub fn remove_setting(&self, key: &str) -> Result<()> {
        self.conn().execute("DELETE FROM settings WHERE key = ?1", [key])?;
        Ok(())
    }
}

const AUTH: &str = "/api/v1/auth";

impl Device {
    /// The account signed in on this device, as kept across restarts.
    pub fn account(&self) -> Result<Option<Account>> {
        if self.session().access_token().is_none() {
            return Ok(None);
        }
        self.store().setting(ACCOUNT_KEY)
    }

    /// Ask the server to text a one-time code to `phone`. Blocks on the network.
    pub fn request_code(&self, phone: &str) -> Result<()> {
        self.remote().post_public(AUTH, "/api/v1/auth/otp/request", &json!({ "phone": phone }))?;
        Ok(())
    }

    /// Sign in as the citizen who owns `phone`, with the code texted to it.
    pub fn sign_in_with_code(&self, phone: &str, code: &str) -> Result<SignedIn> {
        self.sign_in("/api/v1/auth/otp/verify", &json!({ "phone": phone, "code": code }))
    }

    /// Sign in anonymously: without `device_secret` a new account is made and its secret
    /// returned once; with it, the same account again.
    pub fn sign_in_anonymously(&self, device_secret: Option<&str>) -> Result<SignedIn> {
        let body = match device_secret {
            Some(secret) => json!({ "device_secret": secret }),
            None => json!({}),
        };
        self.sign_in("/api/v1/auth/anonymous", &body)
    }

    /// Sign in as staff with a login and password.
    pub fn sign_in_staff(&self, login: &str, password: &str) -> Result<SignedIn> {
        self.sign_in("/api/v1/auth/login", &json!({ "login": login, "password": password }))
    }

    /// Sign in as staff with a one-time password from a reset, exchanged for `new_password`,
    /// which is the account's password from then on.
    pub fn sign_in_staff_with_new_password(
        &self,
        login: &str,
        one_time_password: &str,
        new_password: &str,
    ) -> Result<SignedIn> {
        let body = json!({ "login": login, "password": one_time_password, "new_password": new_password });
        self.sign_in("/api/v1/auth/login", &body)
    }

    fn sign_in(&self, path: &str, body: &Value) -> Result<SignedIn> {
        let answer = self.remote().post_public_as(AUTH, path, body, SessionAnswer::parse)?;
        self.keep(answer)
    }

    /// Keep a sign-in answer: tokens in the session, the account in the settings. A different
    /// account than before starts with empty pulled lists.
    fn keep(&self, answer: SessionAnswer) -> Result<SignedIn> {
        let tokens = Tokens { access_token: answer.access_token, refresh_token: answer.refresh_token };
        let user = answer.user;
        let account = Account {
            user_id: user.id,
            role: user.role,
            display_name: user.display_name,
            anonymous: user.anonymous,
        };
        let before: Option<Account> = self.store().setting(ACCOUNT_KEY)?;
        if before.is_some_and(|b| b.user_id != account.user_id) {
            self.store().clear_pulled()?;
            self.server_photos.clear()?;
        }
        self.session().set(tokens)?;
        self.store().set_setting(ACCOUNT_KEY, &account)?;
        Ok(SignedIn { account, device_secret: answer.device_secret })
    }

    /// Forget the account kept in the settings (part of signing out).
    pub(crate) fn forget_account(&self) -> Result<()> {
        self.store().remove_setting(ACCOUNT_KEY)
    }
}
