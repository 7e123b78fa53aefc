//! The revocation list: access tokens that verify but must no longer be accepted, because their
//! account signed out, was disabled, or had its role, scope or password changed.
//!
//! An access token lives 15 minutes and carries no session the server looks up, so revoking it
//! needs a list the authorization check consults. The list is a row per account in
//! `token_revocations` (`revoked_before_ms`: tokens issued before that moment are dead; a
//! disabled account's is the end of time). Every node keeps the rows of the last token lifetime
//! in memory ([`RevocationList`]), so a request costs a map look-up and no database round trip.
//! A node that writes a revocation applies it to its own list at once; on PostgreSQL the write
//! also sends `NOTIFY` on [`CHANNEL`], and every node's live listener
//! ([`crate::live::listener`]) reloads its list when it hears it, within the listener's 100 ms
//! check. A token's issue moment is the time stamp of its `jti`, a UUIDv7, in milliseconds.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use diesel::prelude::*;

use super::Conn;
use super::error::AuthResult;
use super::jwt::ACCESS_TOKEN_SECONDS;
use crate::store::DbConnection;
use crate::store::schema::token_revocations;

/// The PostgreSQL notification channel a revocation is announced on.
pub const CHANNEL: &str = "gridline_revocations";

/// `revoked_before_ms` of a disabled account: no token it holds is ever accepted again.
const FOREVER: i64 = i64::MAX;

/// The current time in Unix milliseconds (the unit of token issue moments).
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Every node's in-memory copy of the recent revocations; cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct RevocationList(Arc<RwLock<HashMap<String, i64>>>);

impl RevocationList {
    /// Whether a token of `user_id` whose `jti` is `token_id` has been revoked. A `jti` that
    /// is not a UUIDv7 has no issue moment and counts as issued at the start of time.
    pub fn is_revoked(&self, user_id: &str, token_id: &str) -> bool {
        let Ok(map) = self.0.read() else { return true };
        let Some(before) = map.get(user_id) else { return false };
        let issued_ms =
            uuid::Uuid::parse_str(token_id).ok().and_then(|id| id.get_timestamp()).map_or(0, |ts| {
                let (secs, nanos) = ts.to_unix();
                i64::try_from(secs).unwrap_or(i64::MAX).saturating_mul(1000) + i64::from(nanos / 1_000_000)
            });
        issued_ms <= *before
    }

    fn apply(&self, user_id: &str, before_ms: i64) {
        if let Ok(mut map) = self.0.write() {
            let entry = map.entry(user_id.to_owned()).or_insert(before_ms);
            *entry = (*entry).max(before_ms);
        }
    }

    /// Replaces the list with what the database holds now (the rows of the last access
    /// token lifetime, and disabled accounts).
    pub fn reload(&self, conn: &mut DbConnection) -> QueryResult<()> {
        let rows = token_revocations::table
            .filter(token_revocations::revoked_before_ms.gt(recent_since()))
            .select((token_revocations::user_id, token_revocations::revoked_before_ms))
            .load(conn)?;
        self.replace(rows);
        Ok(())
    }

    fn replace(&self, rows: Vec<(String, i64)>) {
        if let Ok(mut map) = self.0.write() {
            *map = rows.into_iter().collect();
        }
    }
}

/// Revocations older than this moment concern only tokens that have expired anyway.
fn recent_since() -> i64 {
    now_ms() - ACCESS_TOKEN_SECONDS * 1000
}

/// Revokes every access token of `user_id` issued until now (`disabled`: every token, also
/// those issued later, until the account is enabled again), records it for the other nodes
/// and applies it to `list`.
pub fn revoke(conn: &mut Conn, list: &RevocationList, user_id: &str, disabled: bool) -> AuthResult<()> {
    let before_ms = if disabled { FOREVER } else { now_ms() };
    record(conn, user_id, before_ms)?;
    list.apply(user_id, before_ms);
    Ok(())
}

/// Lets an enabled account's new tokens through again: the row keeps only tokens issued before
/// now revoked.
pub fn enable(conn: &mut Conn, list: &RevocationList, user_id: &str) -> AuthResult<()> {
    let before_ms = now_ms();
    diesel::update(token_revocations::table.find(user_id))
        .set(token_revocations::revoked_before_ms.eq(before_ms))
        .execute(conn)?;
    notify(conn)?;
    if let Ok(mut map) = list.0.write()
        && map.contains_key(user_id)
    {
        map.insert(user_id.to_owned(), before_ms);
    }
    Ok(())
}

fn record(conn: &mut Conn, user_id: &str, before_ms: i64) -> AuthResult<()> {
    let raised = diesel::update(
        token_revocations::table.find(user_id).filter(token_revocations::revoked_before_ms.lt(before_ms)),
    )
    .set(token_revocations::revoked_before_ms.eq(before_ms))
    .execute(conn)?;
    if raised == 0 {
        let inserted = diesel::insert_into(token_revocations::table)
            .values((
                token_revocations::user_id.eq(user_id),
                token_revocations::revoked_before_ms.eq(before_ms),
            ))
            .execute(conn);
        match inserted {
            Ok(_) => {}
            // The row exists (with a later moment already, or written at the same instant).
            Err(e) if crate::store::is_unique_violation(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    notify(conn)
}

/// Tells every node (PostgreSQL) to reload its list; SQLite serves one node, which applied it.
fn notify(conn: &mut Conn) -> AuthResult<()> {
    if let DbConnection::Pg(pg) = conn {
        diesel::sql_query(format!("NOTIFY {CHANNEL}")).execute(pg)?;
    }
    Ok(())
}
