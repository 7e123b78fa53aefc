//! The rows behind topics (每月一题, `warning_topics`): the closures, reopenings and reports a
//! month's ranking reads, the adopted topics and the steps taken on them, and the cases a topic
//! tracks. The rules are core's (`gridline_core::warning::topic`); the service is
//! `crate::api::warnings::topics`, and `crate::warnings::signals` for a topic opened from a
//! signal.

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::Bool;

use gridline_core::codes::{CaseId, CategoryCode, GridCode};
use gridline_core::warning::topic::{TopicLevel, TopicState};
use gridline_core::workflow::CaseState;

use super::schema::{case_stat_facts, cases, emergency_cases, warning_topics};
use super::stat_facts::marks;
use super::typed::{NullableText, Parsed};
use super::{DbConnection, StoreResult};

/// The most cases one topic answer lists.
pub const MAX_TRACKED: i64 = 1000;

/// A topic as stored. Its level, category and state are core's types, parsed once when the row
/// is read: a stored value core does not accept fails the read as a database error (500
/// internal to a caller), never a panic or a guess.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = warning_topics)]
#[diesel(treat_none_as_default_value = false)]
pub struct TopicRow {
    pub id: String,
    /// `YYYY-MM`, the month it was found in.
    pub month: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub level: TopicLevel,
    /// The place's code at its level (a cell's, a community's or a street's), which decides who
    /// sees the topic.
    pub place: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub category: CategoryCode,
    pub owner_unit: Option<String>,
    pub note: Option<String>,
    /// A JSON array of the case ids found when it was adopted.
    pub case_ids: String,
    /// The month's recurrences and the closures they came back after, when it was adopted.
    pub recurrences: i32,
    pub closures: i32,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub state: TopicState,
    pub reason: Option<String>,
    pub version: i32,
    pub adopted_by: String,
    pub adopted_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub settled_by: Option<String>,
    pub settled_at: Option<NaiveDateTime>,
    /// The signal it was adopted from; none for a topic adopted from a month's candidates.
    pub signal_id: Option<String>,
}

/// What an adoption found.
#[derive(Debug)]
pub enum Adopted {
    /// The topic was stored.
    New(TopicRow),
    /// A live topic of the same place and category already tracks these cases.
    Existing(TopicRow),
}

/// The live topic of a place and category, if there is one.
pub fn live_of(
    conn: &mut DbConnection,
    level: TopicLevel,
    place: &str,
    category: CategoryCode,
) -> StoreResult<Option<TopicRow>> {
    Ok(warning_topics::table
        .filter(warning_topics::level.eq(level.as_str()))
        .filter(warning_topics::place.eq(place))
        .filter(warning_topics::category.eq(category.to_string()))
        .filter(warning_topics::state.eq(TopicState::Adopted.as_str()))
        .select(TopicRow::as_select())
        .first(conn)
        .optional()?)
}

/// Stores `row` unless its place and category already have a live topic, which is answered
/// instead (also when a concurrent adoption wins the unique index).
pub fn adopt(conn: &mut DbConnection, row: &TopicRow) -> StoreResult<Adopted> {
    if let Some(existing) = live_of(conn, row.level, &row.place, row.category)? {
        return Ok(Adopted::Existing(existing));
    }
    match diesel::insert_into(warning_topics::table).values(row.clone()).execute(conn) {
        Ok(_) => Ok(Adopted::New(row.clone())),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            match live_of(conn, row.level, &row.place, row.category)? {
                Some(existing) => Ok(Adopted::Existing(existing)),
                None => Err(DieselError::RollbackTransaction.into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

pub fn find(conn: &mut DbConnection, id: &str) -> StoreResult<Option<TopicRow>> {
    Ok(warning_topics::table.find(id).select(TopicRow::as_select()).first(conn).optional()?)
}

/// The live topics at `level`.
pub fn live_at(conn: &mut DbConnection, level: TopicLevel) -> StoreResult<Vec<TopicRow>> {
    Ok(warning_topics::table
        .filter(warning_topics::level.eq(level.as_str()))
        .filter(warning_topics::state.eq(TopicState::Adopted.as_str()))
        .select(TopicRow::as_select())
        .load(conn)?)
}

/// The topics found in `month`, the earliest adopted first.
pub fn of_month(conn: &mut DbConnection, month: &str) -> StoreResult<Vec<TopicRow>> {
    Ok(warning_topics::table
        .filter(warning_topics::month.eq(month))
        .order((warning_topics::adopted_at.asc(), warning_topics::id.asc()))
        .select(TopicRow::as_select())
        .load(conn)?)
}

/// A step on a topic: its new state and who took it.
#[derive(Debug, Clone)]
pub struct TopicStep {
    pub state: TopicState,
    pub reason: Option<String>,
    pub actor: String,
    pub at: NaiveDateTime,
}

/// Takes `step` if the topic is still at `expected_version`. `Ok(false)`: stale.
pub fn act(conn: &mut DbConnection, id: &str, expected_version: i32, step: &TopicStep) -> StoreResult<bool> {
    let updated = diesel::update(
        warning_topics::table
            .filter(warning_topics::id.eq(id))
            .filter(warning_topics::version.eq(expected_version)),
    )
    .set((
        warning_topics::state.eq(step.state.as_str()),
        warning_topics::reason.eq(&step.reason),
        warning_topics::version.eq(expected_version + 1),
        warning_topics::updated_at.eq(step.at),
        warning_topics::settled_by.eq(Some(&step.actor)),
        warning_topics::settled_at.eq(Some(step.at)),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// One report, closure or reopening of a case, with the case's place and category now.
#[derive(Debug, Clone, Queryable)]
pub struct HistoryRow {
    #[diesel(deserialize_as = String)]
    pub case_id: CaseId,
    pub tracking_number: String,
    #[diesel(deserialize_as = NullableText)]
    pub grid_code: Option<GridCode>,
    pub community_code: Option<String>,
    pub street_code: Option<String>,
    #[diesel(deserialize_as = String)]
    pub category_code: CategoryCode,
    pub occurred_at: NaiveDateTime,
    pub marks: i32,
    #[diesel(deserialize_as = NullableText)]
    pub state_before: Option<CaseState>,
    #[diesel(deserialize_as = NullableText)]
    pub state_after: Option<CaseState>,
}

impl HistoryRow {
    pub fn is_report(&self) -> bool {
        self.marks & marks::RECEIVED != 0
    }

    pub fn is_closure(&self) -> bool {
        self.marks & marks::CLOSED != 0
    }

    /// A step that takes a closed case out of `closed`.
    pub fn is_reopening(&self) -> bool {
        self.state_before == Some(CaseState::Closed) && self.state_after != Some(CaseState::Closed)
    }
}

/// The reports, closures and reopenings in `[from, to)` of the cases whose cell lies in
/// `grid_range` (inclusive; every case when none) and of `category` when one is given, from
/// the statistics' facts. The cases of drills are left out, as from the statistics.
pub fn history(
    conn: &mut DbConnection,
    grid_range: Option<(String, String)>,
    category: Option<String>,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> StoreResult<Vec<HistoryRow>> {
    let mut query = case_stat_facts::table
        .inner_join(cases::table.on(cases::id.eq(case_stat_facts::case_id)))
        .select((
            cases::id,
            cases::tracking_number,
            cases::grid_code,
            cases::community_code,
            cases::street_code,
            cases::category_code,
            case_stat_facts::occurred_at,
            case_stat_facts::marks,
            case_stat_facts::state_before,
            case_stat_facts::state_after,
        ))
        .filter(case_stat_facts::occurred_at.ge(from))
        .filter(case_stat_facts::occurred_at.lt(to))
        .filter(
            sql::<Bool>(&format!("(case_stat_facts.marks & {}) <> 0", marks::RECEIVED | marks::CLOSED))
                .or(case_stat_facts::state_before.eq("closed").and(case_stat_facts::state_after.ne("closed")))
                .assume_not_null(),
        )
        .filter(cases::id.ne_all(
            emergency_cases::table.filter(emergency_cases::drill.eq(true)).select(emergency_cases::case_id),
        ))
        .into_boxed();
    if let Some((first, last)) = grid_range {
        query = query.filter(cases::grid_code.between(first, last));
    }
    if let Some(category) = category {
        query = query.filter(cases::category_code.eq(category));
    }
    Ok(query.order((case_stat_facts::occurred_at.asc(), case_stat_facts::case_id.asc())).load(conn)?)
}

/// A case a topic tracks, as it is now.
#[derive(Debug, Clone, Queryable)]
pub struct TrackedRow {
    #[diesel(deserialize_as = String)]
    pub id: CaseId,
    pub tracking_number: String,
    #[diesel(deserialize_as = Parsed<CaseState>)]
    pub state: CaseState,
    pub deadline: Option<NaiveDateTime>,
    pub overdue: bool,
    pub created_at: NaiveDateTime,
}

/// The cases a topic tracks: `found` (when it was adopted), and the reports of `category` in
/// `place` (a code at `level`: `cell`, `community` or `street`) filed from `since` until
/// `until` (still open-ended while the topic is live). The oldest report first.
pub fn tracked(
    conn: &mut DbConnection,
    found: &[String],
    level: TopicLevel,
    place: &str,
    category: CategoryCode,
    since: NaiveDateTime,
    until: Option<NaiveDateTime>,
) -> StoreResult<Vec<TrackedRow>> {
    let columns =
        (cases::id, cases::tracking_number, cases::state, cases::deadline, cases::overdue, cases::created_at);
    let mut joined = cases::table
        .select(columns)
        .filter(cases::category_code.eq(category.to_string()))
        .filter(cases::created_at.ge(since))
        .into_boxed();
    joined = match level {
        TopicLevel::Community => joined.filter(cases::community_code.eq(place.to_owned())),
        TopicLevel::Street => joined.filter(cases::street_code.eq(place.to_owned())),
        TopicLevel::Cell => joined.filter(cases::grid_code.eq(place.to_owned())),
    };
    if let Some(until) = until {
        joined = joined.filter(cases::created_at.lt(until));
    }
    let mut rows: Vec<TrackedRow> = joined.limit(MAX_TRACKED).load(conn)?;
    let earlier: Vec<TrackedRow> =
        cases::table.select(columns).filter(cases::id.eq_any(found)).limit(MAX_TRACKED).load(conn)?;
    for row in earlier {
        if !rows.iter().any(|r| r.id == row.id) {
            rows.push(row);
        }
    }
    rows.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(rows)
}

/// Those of `ids` whose case is of `category` now: a signal of a class takes on, as a topic of
/// one category, only its cases of that category.
pub fn of_category(conn: &mut DbConnection, ids: &[String], category: &str) -> StoreResult<Vec<String>> {
    Ok(cases::table
        .filter(cases::id.eq_any(ids))
        .filter(cases::category_code.eq(category))
        .order(cases::id.asc())
        .select(cases::id)
        .load(conn)?)
}
