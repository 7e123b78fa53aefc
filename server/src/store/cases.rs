//! Cases: insert a new report (idempotent by the client's key, enforced by the unique
//! constraint on `cases.idempotency_key`, on PostgreSQL on `case_keys` whose row the case's
//! insert writes first, never by check-then-insert), read them back, and
//! record a workflow step (the case update, guarded by its version in the UPDATE's WHERE
//! clause, and its event, in one transaction).

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use gridline_core::codes::CaseId;

use super::events::{self, EventRow};
use super::schema::{case_photos, cases};
use super::{DbConnection, StoreResult, is_unique_violation};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = cases)]
// `None` is written as NULL (no column has another default), which keeps the INSERT's text the
// same for every report, so PostgreSQL gets it as one prepared statement instead of parsing and
// planning it on each intake.
#[diesel(treat_none_as_default_value = false)]
pub struct CaseRow {
    /// Parsed once, when the row is read: a stored id that is not a UUID fails the read.
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub id: CaseId,
    pub tracking_number: String,
    pub idempotency_key: String,
    pub request_sha256: String,
    pub reporter_id: Option<String>,
    pub reporter_role: Option<String>,
    pub anonymous: bool,
    /// Parsed once, when the row is read, like the state and the grid code.
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub category_code: gridline_core::codes::CategoryCode,
    pub description: String,
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
    pub submitted_crs: String,
    pub captured_at: Option<chrono::NaiveDateTime>,
    /// Parsed once, when the row is read: a stored state core does not know fails the read.
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub state: gridline_core::workflow::CaseState,
    #[diesel(deserialize_as = super::typed::NullableText, serialize_as = super::typed::NullableText)]
    pub grid_code: Option<gridline_core::codes::GridCode>,
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
    /// The way the case came in, set by the server at intake.
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub channel: gridline_core::workflow::Channel,
    /// The inspector the street office gave the verification to (指派核查), who may then see
    /// and verify the case as its cell's inspectors may; `None` at intake.
    pub verifier_id: Option<String>,
    /// How soon the case must be handled, set by the server at intake from the way in (core's
    /// [`gridline_core::workflow::Urgency`]).
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub urgency: gridline_core::workflow::Urgency,
}

/// The workflow columns of a case, beside [`CaseRow`] (which intake writes).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = cases)]
pub struct CaseWorkflow {
    pub deadline: Option<chrono::NaiveDateTime>,
    pub overdue: bool,
    #[diesel(deserialize_as = super::typed::NullableText)]
    pub merged_into: Option<CaseId>,
    pub rating: Option<i32>,
    /// When the street office asked the inspectors to confirm the report, while unanswered.
    pub confirm_requested_at: Option<chrono::NaiveDateTime>,
    /// When the reporter was called back about the case's last closure (回访), if since.
    pub called_back_at: Option<chrono::NaiveDateTime>,
}

/// A case with its workflow columns.
#[derive(Debug, Clone)]
pub struct FullCase {
    pub row: CaseRow,
    pub workflow: CaseWorkflow,
}

/// What a workflow step changes on the case row. `None` leaves a column alone; `Some(None)`
/// clears a nullable one.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = cases)]
pub struct CaseChange {
    pub state: Option<String>,
    pub handling_unit: Option<Option<String>>,
    pub deadline: Option<Option<chrono::NaiveDateTime>>,
    pub overdue: Option<bool>,
    pub merged_into: Option<Option<String>>,
    pub rating: Option<Option<i32>>,
    pub confirm_requested_at: Option<Option<chrono::NaiveDateTime>>,
    pub called_back_at: Option<Option<chrono::NaiveDateTime>>,
    pub verifier_id: Option<Option<String>>,
}

/// A case's new place after a `relocate`: the position and where it routed (never triage: a
/// relocate that finds no cell is refused before it is written).
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = cases, treat_none_as_null = true)]
pub struct PlaceChange {
    pub lat: f64,
    pub lon: f64,
    pub grid_code: Option<String>,
    pub community_code: Option<String>,
    pub street_code: Option<String>,
    pub district_code: Option<String>,
    pub routing_outcome: String,
    pub routing_distance_m: Option<f64>,
}

/// Moves a case recorded a moment ago (its last step a `relocate`, in the caller's
/// transaction) to `place`: its summary rows go from its old cell to the new one
/// ([`super::summaries::move_case`]), then its place columns change.
pub fn move_to(conn: &mut DbConnection, case_id: CaseId, place: &PlaceChange) -> StoreResult<()> {
    // The summaries still name cases by their text.
    let case_text = case_id.to_string();
    super::write_transaction(conn, |conn| {
        super::summaries::move_case(conn, &case_text, place.grid_code.as_deref().unwrap_or_default())?;
        diesel::update(cases::table.filter(cases::id.eq(&case_text))).set(place).execute(conn)?;
        // The statistics' roll-ups follow the case to its new street.
        super::rollups::follow(conn, &std::iter::once((case_id, i64::MAX)).collect())?;
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(())
}

/// What happened to a workflow step.
#[derive(Debug)]
pub enum StepOutcome {
    /// Recorded; the case is now at `version`.
    Recorded { version: i32 },
    /// The case was no longer at the expected version: nothing was written.
    Stale,
}

#[derive(Insertable)]
#[diesel(table_name = case_photos)]
struct CasePhotoRow<'a> {
    case_id: String,
    photo_id: &'a str,
    position: i32,
}

/// The links of a new case to its photos, in the order the reporter gave them.
fn photo_links<'a>(case: &'a CaseRow, photo_ids: &'a [String]) -> impl Iterator<Item = CasePhotoRow<'a>> {
    photo_ids.iter().enumerate().map(|(i, photo_id)| CasePhotoRow {
        case_id: case.id.to_string(),
        photo_id,
        position: i as i32,
    })
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
    event: &EventRow,
) -> StoreResult<InsertOutcome> {
    let result = super::write_transaction(conn, |conn| {
        diesel::insert_into(cases::table).values(case.clone()).execute(conn)?;
        let links: Vec<CasePhotoRow<'_>> = photo_links(case, photo_ids).collect();
        if !links.is_empty() {
            crate::batch_insert!(conn, case_photos::table, &links)?;
        }
        events::insert(conn, &mut event.clone())?;
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

/// Inserts several reports in one transaction (the intake writer's batch): for each, `true` when
/// it was inserted, `false` when its idempotency key was already stored or came earlier in the
/// same batch (the caller answers those with the stored case after the commit). Any error rolls
/// the whole batch back; the caller then stores the reports one by one.
pub fn insert_reports(
    conn: &mut DbConnection,
    reports: &[(&CaseRow, &[String], &EventRow)],
) -> QueryResult<Vec<bool>> {
    super::write_transaction(conn, |conn| {
        let keys: Vec<&str> = reports.iter().map(|(case, _, _)| case.idempotency_key.as_str()).collect();
        let stored: HashSet<String> = if let DbConnection::Pg(pg) = conn {
            super::partitions::stored_keys(pg, &keys)?.into_iter().collect()
        } else {
            cases::table
                .filter(cases::idempotency_key.eq_any(&keys))
                .select(cases::idempotency_key)
                .load(conn)?
                .into_iter()
                .collect()
        };
        let mut seen = HashSet::new();
        let fresh: Vec<bool> = keys.iter().map(|key| !stored.contains(*key) && seen.insert(*key)).collect();
        let new: Vec<&(&CaseRow, &[String], &EventRow)> =
            reports.iter().zip(&fresh).filter(|(_, fresh)| **fresh).map(|(report, _)| report).collect();
        if new.is_empty() {
            return Ok(fresh);
        }
        let new_cases: Vec<CaseRow> = new.iter().map(|(case, _, _)| (*case).clone()).collect();
        crate::batch_insert!(conn, cases::table, new_cases)?;
        let links: Vec<CasePhotoRow<'_>> =
            new.iter().flat_map(|(case, photo_ids, _)| photo_links(case, photo_ids)).collect();
        if !links.is_empty() {
            crate::batch_insert!(conn, case_photos::table, &links)?;
        }
        let mut new_events: Vec<EventRow> = new.iter().map(|(_, _, event)| (*event).clone()).collect();
        events::insert_many(conn, &mut new_events)?;
        Ok(fresh)
    })
}

/// The case a report's idempotency key names. On PostgreSQL the key table says which case (the
/// monthly partitions of `cases` have no unique index on the key), then its partition is read.
pub fn find_by_idempotency_key(conn: &mut DbConnection, key: &str) -> StoreResult<Option<CaseRow>> {
    if let DbConnection::Pg(pg) = conn {
        let Some(id) = super::partitions::case_of_key(pg, key)? else { return Ok(None) };
        return Ok(cases::table.find(id).select(CaseRow::as_select()).first(conn).optional()?);
    }
    Ok(cases::table
        .filter(cases::idempotency_key.eq(key))
        .select(CaseRow::as_select())
        .first(conn)
        .optional()?)
}

/// Whether the store holds no case at all (a bulk load may then build its indexes at the end).
pub fn none_stored(conn: &mut DbConnection) -> StoreResult<bool> {
    Ok(!diesel::select(diesel::dsl::exists(cases::table.select(cases::id))).get_result::<bool>(conn)?)
}

pub fn find(conn: &mut DbConnection, id: CaseId) -> StoreResult<Option<CaseRow>> {
    Ok(cases::table.find(id.to_string()).select(CaseRow::as_select()).first(conn).optional()?)
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
pub fn photo_ids(conn: &mut DbConnection, case_id: CaseId) -> StoreResult<Vec<String>> {
    Ok(case_photos::table
        .filter(case_photos::case_id.eq(case_id.to_string()))
        .order(case_photos::position)
        .select(case_photos::photo_id)
        .load(conn)?)
}

/// A case's link to one of its photos, as read back.
#[derive(Queryable, Selectable)]
#[diesel(table_name = case_photos)]
struct PhotoLink {
    #[diesel(deserialize_as = String)]
    case_id: CaseId,
    photo_id: String,
}

/// The report photos of each of `cases` (in their order), in one query for a whole list.
/// Cases without photos are absent from the map.
pub fn photo_ids_of(
    conn: &mut DbConnection,
    cases: &[FullCase],
) -> StoreResult<HashMap<CaseId, Vec<String>>> {
    let mut by_case: HashMap<CaseId, Vec<String>> = HashMap::new();
    if cases.is_empty() {
        return Ok(by_case);
    }
    let case_ids: Vec<String> = cases.iter().map(|case| case.row.id.to_string()).collect();
    let links: Vec<PhotoLink> = case_photos::table
        .filter(case_photos::case_id.eq_any(&case_ids))
        .order((case_photos::case_id, case_photos::position))
        .select(PhotoLink::as_select())
        .load(conn)?;
    for link in links {
        by_case.entry(link.case_id).or_default().push(link.photo_id);
    }
    Ok(by_case)
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

pub fn find_full(conn: &mut DbConnection, id: CaseId) -> StoreResult<Option<FullCase>> {
    let found = cases::table
        .find(id.to_string())
        .select((CaseRow::as_select(), CaseWorkflow::as_select()))
        .first(conn)
        .optional()?;
    Ok(found.map(|(row, workflow)| FullCase { row, workflow }))
}

/// Applies `change` to the case if it is still at `expected_version` (checked by the UPDATE
/// itself, so two concurrent steps on one version cannot both succeed), bumps the version and
/// inserts `event`, all in one transaction.
pub fn record_step(
    conn: &mut DbConnection,
    case_id: CaseId,
    expected_version: i32,
    change: &CaseChange,
    event: &mut EventRow,
) -> StoreResult<StepOutcome> {
    let outcome = super::write_transaction(conn, |conn| {
        let updated = diesel::update(
            cases::table
                .filter(cases::id.eq(case_id.to_string()))
                .filter(cases::version.eq(expected_version)),
        )
        .set((change, cases::version.eq(expected_version + 1), cases::updated_at.eq(event.occurred_at)))
        .execute(conn)?;
        if updated == 0 {
            return Ok(StepOutcome::Stale);
        }
        events::insert(conn, event)?;
        Ok::<_, diesel::result::Error>(StepOutcome::Recorded { version: expected_version + 1 })
    })?;
    Ok(outcome)
}

/// The cases in `grids`, or whose verification was given to the inspector `verifier`, whose
/// state is one of `states`, oldest first; at most `limit`.
pub fn in_grids_with_states(
    conn: &mut DbConnection,
    grids: &[String],
    verifier: &str,
    states: &[&str],
    limit: i64,
) -> StoreResult<Vec<FullCase>> {
    let rows: Vec<(CaseRow, CaseWorkflow)> = cases::table
        .filter(cases::grid_code.eq_any(grids).or(cases::verifier_id.eq(verifier)))
        .filter(cases::state.eq_any(states))
        .order((cases::created_at, cases::id))
        .limit(limit)
        .select((CaseRow::as_select(), CaseWorkflow::as_select()))
        .load(conn)?;
    Ok(rows.into_iter().map(|(row, workflow)| FullCase { row, workflow }).collect())
}

/// The cases with these ids, in no particular order.
pub fn find_many_full(conn: &mut DbConnection, ids: &[CaseId]) -> StoreResult<Vec<FullCase>> {
    let ids: Vec<String> = ids.iter().map(CaseId::to_string).collect();
    let rows: Vec<(CaseRow, CaseWorkflow)> = cases::table
        .filter(cases::id.eq_any(&ids))
        .select((CaseRow::as_select(), CaseWorkflow::as_select()))
        .load(conn)?;
    Ok(rows.into_iter().map(|(row, workflow)| FullCase { row, workflow }).collect())
}
