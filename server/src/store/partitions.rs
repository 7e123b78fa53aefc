//! The monthly partitions of `cases` and `case_events` on PostgreSQL (SQLite keeps one table of
//! each). Both tables are partitioned by range of their UUIDv7 `id`, whose text sorts by the time
//! it was minted, one partition per UTC month, with a DEFAULT partition for anything outside the
//! months created; the migration `2026-12-13-100000_monthly_partitions` says why and how the
//! exactly-once keys live in `case_keys` and `step_keys` instead.
//!
//! A month's partitions must exist before its rows arrive, or those rows go to the default
//! partition and the month can then not be created over them. So the server creates this month
//! and the next [`MONTHS_AHEAD`] at start and every day ([`crate::jobs::partitions`]), and the
//! seed the months it writes. The SQL function does the work under an advisory lock, so nodes
//! calling it at once take turns and the second finds the first's tables.

use chrono::{DateTime, Datelike, Months, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Timestamp};

use super::{DbConnection, StoreResult};

/// How many months past the current one always have their partitions.
pub const MONTHS_AHEAD: u32 = 3;

/// How long creating a partition waits for the tables' lock before giving up (it asks for an
/// exclusive lock on the parent table for a moment; a long statistics read holding it would
/// otherwise queue every write behind the wait). The next run tries again.
const LOCK_TIMEOUT: &str = "5s";

#[derive(QueryableByName)]
struct Created {
    #[diesel(sql_type = Integer)]
    created: i32,
}

/// Creates the partitions of every month from `first`'s through `last`'s (UTC) that do not exist
/// yet, and answers how many tables it created (two a month). A month whose rows already sit in
/// the default partition is left out (PostgreSQL would refuse it); its rows stay found there.
/// Nothing to do on SQLite.
pub fn ensure_months(conn: &mut DbConnection, first: DateTime<Utc>, last: DateTime<Utc>) -> StoreResult<i32> {
    let months = month_number(last) - month_number(first) + 1;
    if months <= 0 || !matches!(conn, DbConnection::Pg(_)) {
        return Ok(0);
    }
    let created = super::write_transaction(conn, |conn| {
        let DbConnection::Pg(pg) = conn else { return Ok::<_, diesel::result::Error>(0) };
        diesel::sql_query(format!("SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")).execute(pg)?;
        let created: Created = diesel::sql_query("SELECT gridline_month_partitions($1, $2) AS created")
            .bind::<Timestamp, _>(first.naive_utc())
            .bind::<Integer, _>(months)
            .get_result(pg)?;
        Ok(created.created)
    })?;
    Ok(created)
}

/// The partitions of `now`'s month and the next [`MONTHS_AHEAD`].
pub fn ensure_ahead(conn: &mut DbConnection, now: DateTime<Utc>) -> StoreResult<i32> {
    let last = now.checked_add_months(Months::new(MONTHS_AHEAD)).unwrap_or(now);
    ensure_months(conn, now, last)
}

/// Months since year 0, to count the months between two instants.
fn month_number(at: DateTime<Utc>) -> i32 {
    at.year() * 12 + at.month0() as i32
}

#[derive(QueryableByName)]
struct KeyRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

/// The id of the case a report's idempotency key names, from `case_keys`: one probe of its
/// primary key, where `cases` would ask every month's index.
pub fn case_of_key(pg: &mut diesel::PgConnection, key: &str) -> QueryResult<Option<String>> {
    key_lookup(pg, "SELECT case_id AS value FROM case_keys WHERE idempotency_key = $1", key)
}

/// The id of the case a tracking number names, from `case_keys` (its unique index).
pub fn case_of_tracking_number(pg: &mut diesel::PgConnection, number: &str) -> QueryResult<Option<String>> {
    key_lookup(pg, "SELECT case_id AS value FROM case_keys WHERE tracking_number = $1", number)
}

/// Which of `keys` are already some report's idempotency key.
pub fn stored_keys(pg: &mut diesel::PgConnection, keys: &[&str]) -> QueryResult<Vec<String>> {
    use diesel::sql_types::{Array, Text};
    let rows: Vec<KeyRow> =
        diesel::sql_query("SELECT idempotency_key AS value FROM case_keys WHERE idempotency_key = ANY($1)")
            .bind::<Array<Text>, _>(keys)
            .load(pg)?;
    Ok(rows.into_iter().map(|row| row.value).collect())
}

fn key_lookup(pg: &mut diesel::PgConnection, query: &str, value: &str) -> QueryResult<Option<String>> {
    let row: Option<KeyRow> =
        diesel::sql_query(query).bind::<diesel::sql_types::Text, _>(value).get_result(pg).optional()?;
    Ok(row.map(|row| row.value))
}
