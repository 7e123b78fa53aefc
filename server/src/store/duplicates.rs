//! Candidate duplicates of a case: cases of the same category, in some states, reported since
//! a given time, inside a box around a point. The box is a coarse index-friendly filter; the
//! caller measures the real distance and keeps those within the radius.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::cases::{CaseRow, CaseWorkflow, FullCase};
use super::schema::cases;
use super::{DbConnection, StoreResult};

/// Metres per degree of latitude (and of longitude at the equator), on the mean sphere.
const METRES_PER_DEGREE: f64 = 111_195.0;

/// Most candidates read from the box before measuring; a box holding more open cases of one
/// category than this is a backlog, not a duplicate search.
const MAX_IN_BOX: i64 = 2_000;

/// What to look for.
#[derive(Debug, Clone)]
pub struct Around<'a> {
    pub exclude_id: &'a str,
    pub category: &'a str,
    pub lat: f64,
    pub lon: f64,
    pub radius_m: f64,
    pub states: &'a [&'a str],
    pub since: NaiveDateTime,
}

/// The cases matching `around` inside the box that holds its circle, unsorted.
pub fn in_box(conn: &mut DbConnection, around: &Around<'_>) -> StoreResult<Vec<FullCase>> {
    let dlat = around.radius_m / METRES_PER_DEGREE;
    // Widened by the cosine of the latitude; clamped so a point near a pole stays finite.
    let dlon = around.radius_m / (METRES_PER_DEGREE * around.lat.to_radians().cos().max(0.01));
    let rows: Vec<(CaseRow, CaseWorkflow)> = cases::table
        .filter(cases::category_code.eq(around.category))
        .filter(cases::id.ne(around.exclude_id))
        .filter(cases::state.eq_any(around.states))
        .filter(cases::created_at.ge(around.since))
        .filter(cases::lat.between(around.lat - dlat, around.lat + dlat))
        .filter(cases::lon.between(around.lon - dlon, around.lon + dlon))
        .order((cases::created_at.desc(), cases::id))
        .limit(MAX_IN_BOX)
        .select((CaseRow::as_select(), CaseWorkflow::as_select()))
        .load(conn)?;
    Ok(rows.into_iter().map(|(row, workflow)| FullCase { row, workflow }).collect())
}
