//! Push notifications from the server: the platform's push token (FCM on Android, APNs on iOS)
//! registered for the signed-in account (`POST /api/v1/me/push-tokens`), so the server's
//! notification job can tell the citizen when a report moves while the app is closed.
//!
//! - The shell hands over the token whenever the platform gives one (at start and when it
//!   rotates): [`super::AppIntent::RegisterPushToken`]. It is kept in the device store with the
//!   account it was registered for.
//! - Registration happens at once when signed in, else at the first sync after a sign-in (also
//!   in a process started cold); offline it waits for the next sync.
//! - A rotated token replaces the old one on the server; signing out forgets the token on the
//!   server first (`DELETE /api/v1/me/push-tokens/{token}`), so the next account on the phone
//!   never gets the last one's messages.

use serde::{Deserialize, Serialize};

use super::Shared;
use crate::device::Error;
use crate::device::wire::percent_encode_segment;
use crate::protocol::PushTokenRequest;

const PUSH_TOKEN_KEY: &str = "push_token";
const PUSH_TOKENS: &str = "/api/v1/me/push-tokens";
const PUSH_TOKEN: &str = "/api/v1/me/push-tokens/{token}";

/// The push service the token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum PushPlatform {
    /// Firebase Cloud Messaging.
    Android,
    /// Apple Push Notification service.
    Ios,
}

impl PushPlatform {
    /// The server's name of the platform (one of
    /// [`crate::workflow::notice::PUSH_PLATFORMS`]).
    pub fn as_str(self) -> &'static str {
        match self {
            PushPlatform::Android => "android",
            PushPlatform::Ios => "ios",
        }
    }
}

/// The token as kept on the phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct KeptToken {
    token: String,
    platform: PushPlatform,
    /// The account the server has it for; none until registered.
    registered_for: Option<String>,
}

fn kept(shared: &Shared) -> Result<Option<KeptToken>, Error> {
    shared.device.store().setting(PUSH_TOKEN_KEY)
}

/// Network and server-side failures leave the registration for the next sync.
fn later(result: Result<(), Error>) -> Result<(), Error> {
    match result {
        Err(Error::Transport(_) | Error::ServerUnavailable { .. } | Error::SignedOut) => Ok(()),
        other => other,
    }
}

/// Keep `token` (the platform's newest) and register it now if signed in. A different token
/// registered before is forgotten on the server first.
pub(crate) fn set_token(shared: &Shared, token: String, platform: PushPlatform) -> Result<(), Error> {
    if token.trim().is_empty() {
        return Err(Error::Invalid(vec![crate::device::FieldError::new(
            "token",
            crate::device::FieldErrorKind::Missing,
            "the platform gave an empty push token",
        )]));
    }
    let previous = kept(shared)?;
    if let Some(previous) = previous.as_ref().filter(|p| p.token != token && p.registered_for.is_some()) {
        // Best effort: the server also drops tokens the push service reports as gone.
        let _ = forget_on_server(shared, &previous.token);
    }
    let unchanged = previous.as_ref().filter(|p| p.token == token && p.platform == platform);
    let registered_for = unchanged.and_then(|p| p.registered_for.clone());
    shared.device.store().set_setting(PUSH_TOKEN_KEY, &KeptToken { token, platform, registered_for })?;
    register(shared)
}

/// Register the kept token for the signed-in account if the server does not have it yet.
pub(crate) fn register(shared: &Shared) -> Result<(), Error> {
    let Some(mut token) = kept(shared)? else { return Ok(()) };
    let Some(account) = shared.device.account()? else { return Ok(()) };
    if token.registered_for.as_deref() == Some(account.user_id.as_str()) {
        return Ok(());
    }
    let body = PushTokenRequest { token: token.token.clone(), platform: token.platform.as_str().to_owned() };
    let sent = shared.device.remote().post(PUSH_TOKENS, PUSH_TOKENS, &serde_json::to_value(&body)?);
    later(sent.map(|_| {
        token.registered_for = Some(account.user_id);
    }))?;
    shared.device.store().set_setting(PUSH_TOKEN_KEY, &token)
}

/// Before signing out: forget the token on the server (when it can be reached), so it is
/// registered again for whoever signs in next.
pub(crate) fn unregister(shared: &Shared) -> Result<(), Error> {
    let Some(mut token) = kept(shared)? else { return Ok(()) };
    if token.registered_for.is_none() {
        return Ok(());
    }
    match forget_on_server(shared, &token.token) {
        // Not found: the server had already dropped it.
        Ok(()) | Err(Error::Refused { .. }) => {}
        // Unreachable: the token stays registered for the old account until the push service
        // reports it gone; the phone signs out anyway.
        Err(Error::Transport(_) | Error::ServerUnavailable { .. } | Error::SignedOut) => {}
        Err(e) => return Err(e),
    }
    token.registered_for = None;
    shared.device.store().set_setting(PUSH_TOKEN_KEY, &token)
}

fn forget_on_server(shared: &Shared, token: &str) -> Result<(), Error> {
    shared.device.remote().delete(PUSH_TOKEN, &format!("{PUSH_TOKENS}/{}", percent_encode_segment(token)))
}
