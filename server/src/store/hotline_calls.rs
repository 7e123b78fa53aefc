//! The hotline's calls (`hotline_calls`): one row per call an operator took, naming the case it
//! made or was linked to ("same problem"), with the caller sealed. Written after the case, in
//! its own statement; a retried call (same operator, same `Idempotency-Key`) finds its first
//! row instead of writing a second.

use diesel::prelude::*;
use gridline_core::codes::CaseId;

use super::schema::hotline_calls;
use super::{DbConnection, StoreResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = hotline_calls)]
#[diesel(treat_none_as_default_value = false)]
pub struct HotlineCallRow {
    pub id: String,
    pub case_id: String,
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
    match diesel::insert_into(hotline_calls::table).values(&row).execute(conn) {
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
