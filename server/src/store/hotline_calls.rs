//! The hotline's calls (`hotline_calls`): one row per call an operator took, naming the case it
//! made or was linked to ("same problem"), with the caller sealed. Written after the case, in
//! its own statement; a retried call (same operator, same `Idempotency-Key`) finds its first
//! row instead of writing a second. The statistics of whole days count them here ([`count`]).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use gridline_core::codes::CaseId;

use super::rollups::{RollupFilter, RollupGroup};
use super::schema::hotline_calls;
use super::{DbConnection, StoreResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = hotline_calls)]
#[diesel(treat_none_as_default_value = false)]
pub struct HotlineCallRow {
    pub id: String,
    /// Parsed once, when the row is read.
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub case_id: CaseId,
    pub linked: bool,
    pub operator_id: String,
    pub idempotency_key: String,
    pub call_type: String,
    pub urgency: String,
    pub anonymous: bool,
    pub confidential: bool,
    pub caller_phone_hash: Option<String>,
    pub caller_phone_sealed: Option<String>,
    pub caller_name_sealed: Option<String>,
    pub created_at: i64,
    pub transferred_to: Option<String>,
    /// The hotline's own code the operator chose, when they chose by code.
    pub hotline_code: Option<String>,
}

fn by_key(conn: &mut DbConnection, operator_id: &str, key: &str) -> StoreResult<Option<HotlineCallRow>> {
    Ok(hotline_calls::table
        .filter(hotline_calls::operator_id.eq(operator_id))
        .filter(hotline_calls::idempotency_key.eq(key))
        .select(HotlineCallRow::as_select())
        .first(conn)
        .optional()?)
}

/// The call of `operator_id` under `key`: the one recorded before, or `row`, now recorded.
pub fn record(conn: &mut DbConnection, row: HotlineCallRow) -> StoreResult<HotlineCallRow> {
    if let Some(first) = by_key(conn, &row.operator_id, &row.idempotency_key)? {
        return Ok(first);
    }
    match diesel::insert_into(hotline_calls::table).values(row.clone()).execute(conn) {
        Ok(_) => Ok(row),
        // the same call sent twice at once: the other request recorded it
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            by_key(conn, &row.operator_id, &row.idempotency_key)?
                .ok_or_else(|| diesel::result::Error::NotFound.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// Marks where a transferred call went.
pub fn set_transferred(conn: &mut DbConnection, id: &str, to: &str) -> StoreResult<()> {
    diesel::update(hotline_calls::table.find(id))
        .set(hotline_calls::transferred_to.eq(Some(to)))
        .execute(conn)?;
    Ok(())
}

/// The calls about `case_id`, oldest first.
pub fn for_case(conn: &mut DbConnection, case_id: CaseId) -> StoreResult<Vec<HotlineCallRow>> {
    let case_id = case_id.to_string();
    Ok(hotline_calls::table
        .filter(hotline_calls::case_id.eq(&case_id))
        .order((hotline_calls::created_at.asc(), hotline_calls::id.asc()))
        .select(HotlineCallRow::as_select())
        .load(conn)?)
}

/// Whether any call about `case_id` asked to keep the caller confidential.
pub fn confidential(conn: &mut DbConnection, case_id: CaseId) -> StoreResult<bool> {
    let case_id = case_id.to_string();
    let count: i64 = hotline_calls::table
        .filter(hotline_calls::case_id.eq(&case_id))
        .filter(hotline_calls::confidential.eq(true))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

/// How [`count`] groups the calls.
#[derive(Debug, Clone, Copy)]
pub enum CallsBy {
    /// By a column of the call's case (`None` for a case without one).
    Case(RollupGroup),
    /// By the 24-hour day from the range's start the call came in (its number, from 0, as text).
    Day,
}

/// A count of calls of one group.
#[derive(Debug, Clone, QueryableByName)]
pub struct CallCount {
    #[diesel(sql_type = Nullable<Text>)]
    pub group: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub calls: i64,
}

/// The calls the hotline took in `[from, to)` (Unix seconds) about the cases `filter` admits
/// (a drill's never count), counted by `by`: the statistics' `hotline_calls` of whole days,
/// with the roll-ups. Driven from the range's calls (`hotline_calls_created_case` holds the
/// time and the case, so the calls' rows are not read) and each one's case by its key: a
/// street's month costs the city's calls of the month, never a walk of the street's cases.
pub fn count(
    conn: &mut DbConnection,
    filter: &RollupFilter,
    (from, to): (i64, i64),
    by: CallsBy,
) -> StoreResult<Vec<CallCount>> {
    let group = match by {
        CallsBy::Case(column) => format!("cases.{}", column.column()),
        CallsBy::Day => "CAST((hotline_calls.created_at - ?) / 86400 AS TEXT)".to_owned(),
    };
    let mut narrowed = String::new();
    let mut values = Vec::new();
    for (column, value) in filter.columns() {
        if let Some(value) = value {
            narrowed.push_str(&format!(" AND cases.{column} = ?"));
            values.push(value);
        }
    }
    // CROSS JOIN keeps SQLite's join order (the calls first); PostgreSQL plans it as any join.
    let sql = format!(
        "SELECT {group} AS \"group\", CAST(COUNT(*) AS BIGINT) AS calls \
         FROM hotline_calls CROSS JOIN cases \
         WHERE cases.id = hotline_calls.case_id \
           AND hotline_calls.created_at >= ? AND hotline_calls.created_at < ? \
           AND cases.id NOT IN (SELECT case_id FROM emergency_cases WHERE drill = ?){narrowed} \
         GROUP BY 1"
    );
    let pg = matches!(conn, DbConnection::Pg(_));
    let sql = if pg { super::summaries::numbered_placeholders(&sql) } else { sql };
    let mut query = diesel::sql_query(sql).into_boxed();
    if let CallsBy::Day = by {
        query = query.bind::<BigInt, _>(from);
    }
    query = query.bind::<BigInt, _>(from).bind::<BigInt, _>(to).bind::<Bool, _>(true);
    for value in values {
        query = query.bind::<Text, _>(value);
    }
    Ok(query.load(conn)?)
}
