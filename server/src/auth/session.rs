//! Sign-in flows that end in a token pair: staff password login, citizen one-time code,
//! anonymous device, refresh; and logout. Each takes the current time (Unix seconds) so tests
//! can move the clock.

use super::error::{AuthError, AuthResult};
use super::jwt::{ACCESS_TOKEN_SECONDS, AccessTokenKeys};
use super::password::{verify_against_dummy, verify_password};
use super::phone::PhoneNumber;
use super::revocation::{self, RevocationList};
use super::throttle::{self, ANONYMOUS_PER_IP, LOGIN_PER_IP, LOGIN_PER_NAME};
use super::users::{self, UserRow};
use super::{AuthSettings, Conn, otp, refresh};

/// What every successful sign-in or refresh returns (core's [`gridline_core::protocol::SessionAnswer`], the type the
/// phone parses).
pub use gridline_core::protocol::SessionAnswer as TokenPair;

fn pair(keys: &AccessTokenKeys, row: &UserRow, refresh_token: String, now: i64) -> AuthResult<TokenPair> {
    let user = row.to_user()?;
    let access_token =
        keys.issue(&user.id, user.role, &user.scope, now).map_err(|e| AuthError::Internal(e.to_string()))?;
    Ok(TokenPair {
        access_token,
        token_type: "Bearer".to_owned(),
        expires_in: ACCESS_TOKEN_SECONDS,
        refresh_token,
        user,
        device_secret: None,
    })
}

fn start_session(conn: &mut Conn, keys: &AccessTokenKeys, row: &UserRow, now: i64) -> AuthResult<TokenPair> {
    let refresh_token = refresh::start_family(conn, &row.id, now)?;
    pair(keys, row, refresh_token, now)
}

/// Staff login. Unknown names, accounts without a password, wrong passwords and disabled
/// accounts all answer [`AuthError::BadCredentials`] after the same argon2 work. Each try is
/// taken from the login name's and the client IP's allowance before the password is hashed
/// ([`throttle::take_try`]), so tries arriving at once cannot pass the lock; a success gives
/// them back.
pub fn password_login(
    conn: &mut Conn,
    settings: &AuthSettings,
    login: &str,
    password: &str,
    new_password: Option<&str>,
    client_ip: &str,
    now: i64,
) -> AuthResult<TokenPair> {
    let name = login.trim().to_lowercase();
    throttle::take_try(conn, &LOGIN_PER_NAME, &name, now)?;
    if let Err(limited) = throttle::take_try(conn, &LOGIN_PER_IP, client_ip, now) {
        // Refused before any password was checked: the name's try does not count.
        throttle::release(conn, &LOGIN_PER_NAME, &name)?;
        return Err(limited);
    }
    let row = users::find_by_login(conn, &name)?;
    let matches = match row.as_ref().and_then(|r| r.password_hash.as_deref()) {
        Some(hash) => verify_password(password, hash),
        None => verify_against_dummy(password),
    };
    match row {
        Some(row) if matches && !row.disabled => {
            throttle::clear(conn, &LOGIN_PER_NAME, &name)?;
            throttle::release(conn, &LOGIN_PER_IP, client_ip)?;
            if !row.password_must_change {
                return start_session(conn, &settings.access_keys, &row, now);
            }
            // A one-time password from a reset signs in only in exchange for a new one.
            let new_password = new_password.ok_or(AuthError::PasswordChangeRequired)?;
            super::password::check_new_password(new_password)
                .map_err(|e| AuthError::InvalidField { field: "new_password", reason: e.to_string() })?;
            if new_password == password {
                return Err(AuthError::InvalidField {
                    field: "new_password",
                    reason: "choose a password other than the one-time password".into(),
                });
            }
            let patch =
                users::UserPatch { password: Some(new_password.to_owned()), ..users::UserPatch::default() };
            users::update(conn, &settings.revocations, &row.id, patch, now)?;
            let row = users::find_by_id(conn, &row.id)?.ok_or(AuthError::BadCredentials)?;
            start_session(conn, &settings.access_keys, &row, now)
        }
        _ => Err(AuthError::BadCredentials),
    }
}

/// Citizen sign-in with a one-time code; the account is created on first sign-in.
pub fn otp_login(
    conn: &mut Conn,
    settings: &AuthSettings,
    phone: &PhoneNumber,
    code: &str,
    client_ip: &str,
    now: i64,
) -> AuthResult<TokenPair> {
    otp::verify_code(conn, &settings.hash_key, &settings.phones, phone, code, client_ip, now)?;
    let row = users::find_or_create_citizen(conn, &settings.phones, phone, now)?;
    if row.disabled {
        return Err(AuthError::BadCredentials);
    }
    let mut pair = start_session(conn, &settings.access_keys, &row, now)?;
    // The number is stored only sealed; the sign-in that has just proven it shows it back.
    pair.user.phone = Some(phone.as_str().to_owned());
    Ok(pair)
}

/// A token pair whose `device_secret` is set only when the account was just created: the
/// device stores it to sign in again.
pub type AnonymousSession = TokenPair;

/// Anonymous device sign-in: without a secret, create a new account (limited per IP); with
/// one, sign in to the account it belongs to.
pub fn anonymous_login(
    conn: &mut Conn,
    settings: &AuthSettings,
    device_secret: Option<&str>,
    client_ip: &str,
    now: i64,
) -> AuthResult<AnonymousSession> {
    match device_secret {
        Some(secret) => {
            let row = users::find_by_device_secret(conn, secret)?.ok_or(AuthError::UnknownDevice)?;
            if row.disabled {
                return Err(AuthError::UnknownDevice);
            }
            let tokens = start_session(conn, &settings.access_keys, &row, now)?;
            Ok(tokens)
        }
        None => {
            throttle::check(conn, &ANONYMOUS_PER_IP, client_ip, now)?;
            throttle::record(conn, &ANONYMOUS_PER_IP, client_ip, now)?;
            let (row, secret) = users::create_anonymous(conn, now)?;
            let tokens = start_session(conn, &settings.access_keys, &row, now)?;
            Ok(TokenPair { device_secret: Some(secret), ..tokens })
        }
    }
}

/// Rotate a refresh token; the new access token carries the account's current role and scope.
pub fn refresh_session(
    conn: &mut Conn,
    settings: &AuthSettings,
    token: &str,
    now: i64,
) -> AuthResult<TokenPair> {
    let (user_id, next) = refresh::rotate(conn, token, now)?;
    let row = users::find_by_id(conn, &user_id)?.ok_or(AuthError::RefreshInvalid)?;
    if row.disabled {
        refresh::revoke_all_of_user(conn, &row.id, now)?;
        return Err(AuthError::RefreshInvalid);
    }
    pair(&settings.access_keys, &row, next, now)
}

/// Logout: the refresh token's family can no longer be used.
pub fn logout(conn: &mut Conn, revocations: &RevocationList, token: &str, now: i64) -> AuthResult<()> {
    // The access tokens already handed out end too: every one of the account issued until now
    // (another device of the account refreshes once and carries on).
    if let Some(user_id) = refresh::revoke_family_of(conn, token, now)? {
        revocation::revoke(conn, revocations, &user_id, false)?;
    }
    Ok(())
}
