//! Refresh tokens: 32 random bytes (base64url) handed to the client once, stored only as their
//! SHA-256. Each sign-in starts a family; every refresh rotates the token (the old one is
//! marked rotated, a new one joins the family). Presenting a rotated token again means it was
//! copied, so the whole family is revoked and both holders must sign in again. Logout revokes
//! the family of the token presented; disabling an account revokes all its families.
//!
//! A client that loses the answer to a refresh (network drop) and retries with the old token is
//! treated as a replay and signed out; this is the price of detecting stolen tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::Conn;
use super::error::{AuthError, AuthResult};
use crate::store::schema::refresh_tokens;

/// Refresh token lifetime: 30 days from its issue (each rotation starts a new 30 days).
pub const REFRESH_TOKEN_SECONDS: i64 = 30 * 24 * 3600;
/// Longest text accepted as a refresh token (43 characters are issued).
const MAX_TOKEN_CHARS: usize = 128;

/// The stored form of a refresh token: hex SHA-256.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn insert(conn: &mut Conn, family_id: &str, user_id: &str, now: i64) -> AuthResult<String> {
    let token = new_token();
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::token_hash.eq(token_hash(&token)),
            refresh_tokens::family_id.eq(family_id),
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::issued_at.eq(now),
            refresh_tokens::expires_at.eq(now + REFRESH_TOKEN_SECONDS),
        ))
        .execute(conn)?;
    Ok(token)
}

/// Start a new family for a fresh sign-in; returns the refresh token to hand out.
pub fn start_family(conn: &mut Conn, user_id: &str, now: i64) -> AuthResult<String> {
    insert(conn, &Uuid::now_v7().to_string(), user_id, now)
}

/// Exchange `token` for the next one of its family. Returns the user id and the new token.
/// A replayed (already rotated) token revokes its family and fails with
/// [`AuthError::RefreshReused`]; an unknown, expired or revoked one with
/// [`AuthError::RefreshInvalid`].
///
/// The claim on the token is one conditional `UPDATE`, so of two concurrent uses exactly one
/// wins and the other counts as a replay; no read-then-write transaction is held (SQLite would
/// refuse to upgrade it under concurrent writers).
pub fn rotate(conn: &mut Conn, token: &str, now: i64) -> AuthResult<(String, String)> {
    if token.len() > MAX_TOKEN_CHARS {
        return Err(AuthError::RefreshInvalid);
    }
    let hash = token_hash(token);
    let won = diesel::update(
        refresh_tokens::table
            .find(&hash)
            .filter(refresh_tokens::rotated_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null())
            .filter(refresh_tokens::expires_at.gt(now)),
    )
    .set(refresh_tokens::rotated_at.eq(now))
    .execute(conn)?;
    let row: Option<(String, String, Option<i64>, Option<i64>)> = refresh_tokens::table
        .find(&hash)
        .select((
            refresh_tokens::family_id,
            refresh_tokens::user_id,
            refresh_tokens::rotated_at,
            refresh_tokens::revoked_at,
        ))
        .first(conn)
        .optional()?;
    let Some((family_id, user_id, rotated_at, revoked_at)) = row else {
        return Err(AuthError::RefreshInvalid);
    };
    if won == 1 {
        let next = insert(conn, &family_id, &user_id, now)?;
        return Ok((user_id, next));
    }
    if revoked_at.is_none() && rotated_at.is_some() {
        revoke_family(conn, &family_id, now)?;
        return Err(AuthError::RefreshReused);
    }
    Err(AuthError::RefreshInvalid)
}

fn revoke_family(conn: &mut Conn, family_id: &str, now: i64) -> AuthResult<usize> {
    Ok(diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)?)
}

/// Logout: revoke the family of `token`; the account it belonged to. Unknown tokens are
/// ignored, so logout is idempotent.
pub fn revoke_family_of(conn: &mut Conn, token: &str, now: i64) -> AuthResult<Option<String>> {
    if token.len() > MAX_TOKEN_CHARS {
        return Ok(None);
    }
    let family: Option<(String, String)> = refresh_tokens::table
        .find(token_hash(token))
        .select((refresh_tokens::family_id, refresh_tokens::user_id))
        .first(conn)
        .optional()?;
    let Some((family_id, user_id)) = family else { return Ok(None) };
    revoke_family(conn, &family_id, now)?;
    Ok(Some(user_id))
}

/// Revoke every refresh token of a user (account disabled, role or scope changed).
pub fn revoke_all_of_user(conn: &mut Conn, user_id: &str, now: i64) -> AuthResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::test_db;

    #[test]
    fn tokens_are_32_random_bytes_and_stored_hashed() {
        let mut conn = test_db::sqlite_with_user("u1");
        let token = start_family(&mut conn, "u1", 0).unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), 32);
        let stored: Vec<String> =
            refresh_tokens::table.select(refresh_tokens::token_hash).load(&mut *conn).unwrap();
        assert_eq!(stored, vec![token_hash(&token)]);
        assert!(!stored[0].contains(&token));
    }

    #[test]
    fn rotation_hands_out_a_new_token_and_retires_the_old() {
        let mut conn = test_db::sqlite_with_user("u1");
        let first = start_family(&mut conn, "u1", 0).unwrap();
        let (user, second) = rotate(&mut conn, &first, 10).unwrap();
        assert_eq!(user, "u1");
        assert_ne!(first, second);
        let (_, third) = rotate(&mut conn, &second, 20).unwrap();
        assert_ne!(second, third);
    }

    #[test]
    fn replaying_a_rotated_token_revokes_the_whole_family_only() {
        let mut conn = test_db::sqlite_with_user("u1");
        let first = start_family(&mut conn, "u1", 0).unwrap();
        let other_device = start_family(&mut conn, "u1", 0).unwrap();
        let (_, second) = rotate(&mut conn, &first, 10).unwrap();
        assert!(matches!(rotate(&mut conn, &first, 20), Err(AuthError::RefreshReused)));
        assert!(
            matches!(rotate(&mut conn, &second, 30), Err(AuthError::RefreshInvalid)),
            "the thief's copy died too"
        );
        assert!(rotate(&mut conn, &other_device, 30).is_ok(), "another sign-in is a different family");
    }

    #[test]
    fn expired_unknown_and_logged_out_tokens_fail() {
        let mut conn = test_db::sqlite_with_user("u1");
        let token = start_family(&mut conn, "u1", 0).unwrap();
        assert!(matches!(rotate(&mut conn, &token, REFRESH_TOKEN_SECONDS), Err(AuthError::RefreshInvalid)));
        assert!(matches!(rotate(&mut conn, "nonsense", 0), Err(AuthError::RefreshInvalid)));
        assert!(matches!(rotate(&mut conn, &"x".repeat(10_000), 0), Err(AuthError::RefreshInvalid)));
        let token = start_family(&mut conn, "u1", 0).unwrap();
        revoke_family_of(&mut conn, &token, 5).unwrap();
        revoke_family_of(&mut conn, &token, 6).unwrap();
        assert!(matches!(rotate(&mut conn, &token, 10), Err(AuthError::RefreshInvalid)));
    }

    #[test]
    fn revoking_a_user_ends_all_families() {
        let mut conn = test_db::sqlite_with_user("u1");
        let a = start_family(&mut conn, "u1", 0).unwrap();
        let b = start_family(&mut conn, "u1", 0).unwrap();
        revoke_all_of_user(&mut conn, "u1", 1).unwrap();
        assert!(rotate(&mut conn, &a, 2).is_err());
        assert!(rotate(&mut conn, &b, 2).is_err());
    }
}
