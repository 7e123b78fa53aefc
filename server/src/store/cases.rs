//! Cases: insert a new report (idempotent by the client's key, enforced by the unique
//! constraint on `cases.idempotency_key`, never by check-then-insert), and read them back.

use diesel::prelude::*;

use super::schema::{case_events, case_photos, cases};
use super::{DbConnection, StoreResult, is_unique_violation};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = cases)]
pub struct CaseRow {
    pub id: String,
    pub tracking_number: String,
    pub idempotency_key: String,
    pub request_sha256: String,
    pub reporter_id: Option<String>,
    pub reporter_role: Option<String>,
    pub anonymous: bool,
    pub category_code: String,
    pub description: String,
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
    pub submitted_crs: String,
    pub captured_at: Option<chrono::NaiveDateTime>,
    pub state: String,
    pub grid_code: Option<String>,
    pub community_code: Option<String>,
    pub street_code: Option<String>,
    pub district_code: Option<String>,
    pub routing_outcome: String,
    pub routing_distance_m: Option<f64>,
    pub geotag_verdict: String,
    pub answers: String,
    pub handling_time_limit: Option<String>,
    pub handling_unit: Option<String>,
    pub version: i32,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = case_events)]
pub struct NewEvent {
    pub id: String,
    pub case_id: String,
    pub kind: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    pub note: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub occurred_at: chrono::NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = case_photos)]
struct CasePhotoRow<'a> {
    case_id: &'a str,
    photo_id: &'a str,
    position: i32,
}

/// What happened to an insert.
#[derive(Debug)]
pub enum InsertOutcome {
    Created,
    /// A case with this idempotency key already exists (a retry, or a concurrent duplicate
    /// that lost the race): here it is.
    Existing(Box<CaseRow>),
    /// Another unique value collided (the random tracking number): try again with a new one.
    Collision,
}

/// Inserts the case, its photo links and its first event in one transaction.
pub fn insert_report(
    conn: &mut DbConnection,
    case: &CaseRow,
    photo_ids: &[String],
    event: &NewEvent,
) -> StoreResult<InsertOutcome> {
    let result = conn.transaction(|conn| {
        diesel::insert_into(cases::table).values(case).execute(conn)?;
        let links: Vec<CasePhotoRow<'_>> = photo_ids
            .iter()
            .enumerate()
            .map(|(i, photo_id)| CasePhotoRow { case_id: &case.id, photo_id, position: i as i32 })
            .collect();
        if !links.is_empty() {
            crate::batch_insert!(conn, case_photos::table, &links)?;
        }
        diesel::insert_into(case_events::table).values(event).execute(conn)?;
        Ok::<_, diesel::result::Error>(())
    });
    match result {
        Ok(()) => Ok(InsertOutcome::Created),
        Err(e) if is_unique_violation(&e) => match find_by_idempotency_key(conn, &case.idempotency_key)? {
            Some(existing) => Ok(InsertOutcome::Existing(Box::new(existing))),
            None => Ok(InsertOutcome::Collision),
        },
        Err(e) => Err(e.into()),
    }
}

pub fn find_by_idempotency_key(conn: &mut DbConnection, key: &str) -> StoreResult<Option<CaseRow>> {
    Ok(cases::table
        .filter(cases::idempotency_key.eq(key))
        .select(CaseRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find(conn: &mut DbConnection, id: &str) -> StoreResult<Option<CaseRow>> {
    Ok(cases::table.find(id).select(CaseRow::as_select()).first(conn).optional()?)
}

/// The reporter's own cases, newest first.
pub fn list_by_reporter(conn: &mut DbConnection, reporter_id: &str, limit: i64) -> StoreResult<Vec<CaseRow>> {
    Ok(cases::table
        .filter(cases::reporter_id.eq(reporter_id))
        .order((cases::created_at.desc(), cases::id.desc()))
        .limit(limit)
        .select(CaseRow::as_select())
        .load(conn)?)
}

/// The photo ids of a case, in the order the reporter gave them.
pub fn photo_ids(conn: &mut DbConnection, case_id: &str) -> StoreResult<Vec<String>> {
    Ok(case_photos::table
        .filter(case_photos::case_id.eq(case_id))
        .order(case_photos::position)
        .select(case_photos::photo_id)
        .load(conn)?)
}

/// Whether `photo_id` belongs to a case the given predicate admits; used to authorize photo
/// reads by staff. Returns the cases holding the photo.
pub fn cases_with_photo(conn: &mut DbConnection, photo_id: &str) -> StoreResult<Vec<CaseRow>> {
    Ok(cases::table
        .inner_join(case_photos::table)
        .filter(case_photos::photo_id.eq(photo_id))
        .select(CaseRow::as_select())
        .load(conn)?)
}
