//! API keys of the systems that submit service requests over Open311: issued by an admin, shown
//! once, kept only as a SHA-256 (a key is 24 random bytes, so a fast hash is enough: there is
//! nothing to guess), revoked rather than deleted so the cases they brought in keep their origin.

use diesel::prelude::*;
use gridline_core::codes::CaseId;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::schema::{api_keys, open311_requests};
use super::{DbConnection, StoreResult};

/// Every key starts with this, so a leaked one is recognisable in logs and secret scanners.
pub const KEY_PREFIX: &str = "gl311_";

/// A key as the admin API answers it (`ApiKey` in the OpenAPI document): never the key, nor its
/// hash.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = api_keys)]
#[schema(as = ApiKey)]
pub struct ApiKeyRow {
    #[schema(format = "uuid")]
    pub id: String,
    /// Who the key was issued to
    pub name: String,
    #[serde(skip)]
    pub key_hash: String,
    /// The key's first characters, to tell keys apart
    pub key_prefix: String,
    /// The admin account that issued it
    pub created_by: String,
    // Unix seconds in the database; RFC 3339 on the wire, like every other time of the API.
    #[serde(serialize_with = "rfc3339_seconds")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
    #[serde(serialize_with = "rfc3339_seconds_or_null")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<i64>,
}

/// Unix seconds as an RFC 3339 UTC time (`2026-12-03T10:15:31Z`).
fn rfc3339_text(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn rfc3339_seconds<S: serde::Serializer>(seconds: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339_text(*seconds))
}

fn rfc3339_seconds_or_null<S: serde::Serializer>(seconds: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match seconds {
        Some(seconds) => s.serialize_str(&rfc3339_text(*seconds)),
        None => s.serialize_none(),
    }
}

/// SHA-256 (hex) of a key as the client sends it.
pub fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A fresh random key starting with `prefix`, with what is stored of it: its hash and its first
/// characters (the prefix and 6 more), shown to tell keys apart.
pub struct FreshKey {
    pub key: String,
    pub hash: String,
    pub shown: String,
}

/// A new key of 24 random bytes after `prefix` (Open311 keys, sensor system keys).
pub fn fresh_key(prefix: &str) -> FreshKey {
    let key = format!("{prefix}{}", hex::encode(rand::random::<[u8; 24]>()));
    FreshKey { hash: key_hash(&key), shown: key[..prefix.len() + 6].to_owned(), key }
}

/// A fresh key and the row that stores it (hashed).
pub fn generate(name: String, created_by: String, now: i64) -> (String, ApiKeyRow) {
    let FreshKey { key, hash, shown } = fresh_key(KEY_PREFIX);
    let row = ApiKeyRow {
        id: uuid::Uuid::now_v7().to_string(),
        name,
        key_hash: hash,
        key_prefix: shown,
        created_by,
        created_at: now,
        revoked_at: None,
    };
    (key, row)
}

pub fn insert(conn: &mut DbConnection, row: &ApiKeyRow) -> StoreResult<()> {
    diesel::insert_into(api_keys::table).values(row).execute(conn)?;
    Ok(())
}

/// Every key, newest first, revoked ones included.
pub fn list(conn: &mut DbConnection) -> StoreResult<Vec<ApiKeyRow>> {
    Ok(api_keys::table
        .order((api_keys::created_at.desc(), api_keys::id.desc()))
        .select(ApiKeyRow::as_select())
        .load(conn)?)
}

/// Revokes a key (a second revocation keeps the first time). `None` when no key has that id.
pub fn revoke(conn: &mut DbConnection, id: &str, now: i64) -> StoreResult<Option<ApiKeyRow>> {
    diesel::update(api_keys::table.find(id).filter(api_keys::revoked_at.is_null()))
        .set(api_keys::revoked_at.eq(now))
        .execute(conn)?;
    Ok(api_keys::table.find(id).select(ApiKeyRow::as_select()).first(conn).optional()?)
}

/// The live (not revoked) key a client presented, if any.
pub fn find_active(conn: &mut DbConnection, key: &str) -> StoreResult<Option<ApiKeyRow>> {
    Ok(api_keys::table
        .filter(api_keys::key_hash.eq(key_hash(key)))
        .filter(api_keys::revoked_at.is_null())
        .select(ApiKeyRow::as_select())
        .first(conn)
        .optional()?)
}

/// Records which key brought a case in. A replayed submission finds the row already there.
/// The sealed e-mail address the Open311 request of `case_id` came with, if any.
pub fn open311_email(conn: &mut DbConnection, case_id: CaseId) -> StoreResult<Option<String>> {
    let case_id = case_id.to_string();
    Ok(open311_requests::table
        .find(&case_id)
        .select(open311_requests::email_sealed)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

pub fn record_origin(
    conn: &mut DbConnection,
    case_id: CaseId,
    api_key_id: &str,
    email_sealed: Option<&str>,
    now: i64,
) -> StoreResult<()> {
    let case_id = case_id.to_string();
    let inserted = diesel::insert_into(open311_requests::table)
        .values((
            open311_requests::case_id.eq(&case_id),
            open311_requests::api_key_id.eq(api_key_id),
            open311_requests::created_at.eq(now),
            open311_requests::email_sealed.eq(email_sealed),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(()),
        Err(e) if super::is_unique_violation(&e) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
