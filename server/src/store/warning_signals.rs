//! The rows of early warning's signals (`warning_signals`): what a run of a warning method
//! found, and the steps staff took on it. The rules are core's
//! (`gridline_core::warning::signal`); the service is `crate::warnings::signals`.
//!
//! Runs that may raise or grow signals of one method and category or class are serialized by
//! [`lock_subject`], first thing in their transaction, so two runs at once (two nodes' schedules,
//! or a schedule and a person pressing "Run") cannot both raise a signal for one cluster: the
//! second reads the first's signal and grows it.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Text;

use gridline_core::codes::{CaseId, CategoryCode, GridCode};
use gridline_core::warning::signal::{SignalMethod, SignalState};

use super::case_list::CaseFilter;
use super::schema::warning_signals;
use super::typed::NullableText;
use super::{DbConnection, StoreResult};

/// The states a run may grow (core's [`SignalState::is_live`]), as stored.
fn live_states() -> Vec<&'static str> {
    SignalState::ALL.iter().filter(|state| state.is_live()).map(|state| state.as_str()).collect()
}

/// Most signals one list answer holds, newest first, after the scope's filter.
pub const MAX_LISTED: i64 = 500;

/// The first key of PostgreSQL's two-key advisory locks taken for signal runs (the second is a
/// hash of the run's subject); that key space does not overlap the one-key locks of sensors.
const SIGNAL_RUN_LOCK: i32 = 0x5753;

/// A signal as stored. Its codes, case id, method and state are core's types, parsed once when
/// the row is read: a stored value core does not accept fails the read as a database error
/// (500 internal to a caller), never a panic or a guess.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = warning_signals)]
#[diesel(treat_none_as_default_value = false)]
pub struct SignalRow {
    pub id: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub method: SignalMethod,
    #[diesel(deserialize_as = NullableText, serialize_as = NullableText)]
    pub category: Option<CategoryCode>,
    /// A category class (`E05`), which no core type holds.
    pub class: Option<String>,
    /// The centre cell, which decides who sees the signal.
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub centre_grid: GridCode,
    /// A JSON array of cell codes, the centre first.
    pub cells: String,
    pub window_from: String,
    pub window_to: String,
    pub observed: i32,
    pub expected: f64,
    pub recurrence_days: f64,
    pub p_value: f64,
    /// A JSON array of case ids.
    pub case_ids: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub state: SignalState,
    pub reason: Option<String>,
    #[diesel(deserialize_as = NullableText, serialize_as = NullableText)]
    pub opened_case_id: Option<CaseId>,
    /// How many runs found it (1 when raised, one more each time a run grows it).
    pub runs: i32,
    pub version: i32,
    pub raised_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub acted_by: Option<String>,
    pub acted_at: Option<NaiveDateTime>,
    /// The topic opened from it.
    pub opened_topic_id: Option<String>,
}

pub fn insert(conn: &mut DbConnection, row: &SignalRow) -> StoreResult<()> {
    diesel::insert_into(warning_signals::table).values(row.clone()).execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> StoreResult<Option<SignalRow>> {
    Ok(warning_signals::table.find(id).select(SignalRow::as_select()).first(conn).optional()?)
}

/// The live signals (open or acknowledged) of one method and category or class, which a run
/// may grow.
pub fn live_of(
    conn: &mut DbConnection,
    method: SignalMethod,
    category: Option<&str>,
    class: Option<&str>,
) -> StoreResult<Vec<SignalRow>> {
    let mut query = warning_signals::table
        .filter(warning_signals::state.eq_any(live_states()))
        .filter(warning_signals::method.eq(method.as_str()))
        .into_boxed();
    query = match category {
        Some(code) => query.filter(warning_signals::category.eq(code)),
        None => query.filter(warning_signals::category.is_null()),
    };
    query = match class {
        Some(code) => query.filter(warning_signals::class.eq(code)),
        None => query.filter(warning_signals::class.is_null()),
    };
    Ok(query.order(warning_signals::raised_at.asc()).select(SignalRow::as_select()).load(conn)?)
}

/// Takes the lock that serializes the runs of one method and category or class (its subject),
/// first thing in a write transaction ([`super::write_transaction`]): an advisory lock on
/// PostgreSQL, held to the commit; on SQLite the transaction's immediate write lock already
/// serializes every writer, and a write statement here makes sure it is taken.
pub fn lock_subject(
    conn: &mut DbConnection,
    method: SignalMethod,
    category: Option<&str>,
    class: Option<&str>,
) -> StoreResult<()> {
    let subject = format!("{}:{}:{}", method.as_str(), category.unwrap_or("-"), class.unwrap_or("-"));
    match conn {
        DbConnection::Pg(pg) => {
            diesel::sql_query(format!("SELECT pg_advisory_xact_lock({SIGNAL_RUN_LOCK}, hashtext($1))"))
                .bind::<Text, _>(subject)
                .execute(pg)?;
        }
        DbConnection::Sqlite(lite) => {
            diesel::sql_query("UPDATE warning_signals SET runs = runs WHERE 1 = 0").execute(lite)?;
        }
    }
    Ok(())
}

/// The newest signals first whose centre cell `scope` holds, optionally in one state. The scope
/// is part of the query, so a street's list is never crowded out by other streets' signals.
/// Scopes that hold no place (a unit's, a citizen's) hold no signal.
pub fn newest(
    conn: &mut DbConnection,
    scope: &CaseFilter,
    state: Option<SignalState>,
) -> StoreResult<Vec<SignalRow>> {
    let Some(mut query) = scoped(scope) else { return Ok(Vec::new()) };
    if let Some(state) = state {
        query = query.filter(warning_signals::state.eq(state.as_str()));
    }
    Ok(query
        .order((warning_signals::raised_at.desc(), warning_signals::id.desc()))
        .limit(MAX_LISTED)
        .select(SignalRow::as_select())
        .load(conn)?)
}

/// The signals whose centre cell `scope` holds; `None` for a scope that holds no place.
fn scoped<'a>(scope: &CaseFilter) -> Option<warning_signals::BoxedQuery<'a, super::MultiBackend>> {
    let query = warning_signals::table.into_boxed();
    Some(match scope {
        CaseFilter::All => query,
        CaseFilter::GridRange { first, last, .. } => {
            query.filter(warning_signals::centre_grid.between(first.to_string(), last.to_string()))
        }
        CaseFilter::GridIn { grids, .. } => query.filter(
            warning_signals::centre_grid.eq_any(grids.iter().map(ToString::to_string).collect::<Vec<_>>()),
        ),
        CaseFilter::HandlingUnit(_) | CaseFilter::ReportedBy(_) | CaseFilter::Nothing => return None,
    })
}

/// The id and version of each live signal (open or acknowledged) whose centre cell `scope`
/// holds, the newest [`MAX_LISTED`]: what a live stream compares with what it has announced.
pub fn live_versions(conn: &mut DbConnection, scope: &CaseFilter) -> StoreResult<Vec<(String, i32)>> {
    let Some(query) = scoped(scope) else { return Ok(Vec::new()) };
    Ok(query
        .filter(warning_signals::state.eq_any(live_states()))
        .order((warning_signals::raised_at.desc(), warning_signals::id.desc()))
        .limit(MAX_LISTED)
        .select((warning_signals::id, warning_signals::version))
        .load(conn)?)
}

/// Replaces a live signal's findings with a later run's, if it is still at
/// `expected_version` and live. `Ok(false)`: it changed or was settled meanwhile.
pub fn grow(conn: &mut DbConnection, found: &SignalRow, expected_version: i32) -> StoreResult<bool> {
    let updated = diesel::update(
        warning_signals::table
            .filter(warning_signals::id.eq(&found.id))
            .filter(warning_signals::version.eq(expected_version))
            .filter(warning_signals::state.eq_any(live_states())),
    )
    .set((
        warning_signals::centre_grid.eq(found.centre_grid.to_string()),
        warning_signals::cells.eq(&found.cells),
        warning_signals::window_from.eq(&found.window_from),
        warning_signals::window_to.eq(&found.window_to),
        warning_signals::observed.eq(found.observed),
        warning_signals::expected.eq(found.expected),
        warning_signals::recurrence_days.eq(found.recurrence_days),
        warning_signals::p_value.eq(found.p_value),
        warning_signals::case_ids.eq(&found.case_ids),
        warning_signals::runs.eq(found.runs),
        warning_signals::version.eq(expected_version + 1),
        warning_signals::updated_at.eq(found.updated_at),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// A staff step on a signal.
#[derive(Debug, Clone)]
pub struct SignalStep {
    pub state: SignalState,
    pub reason: Option<String>,
    pub opened_case_id: Option<CaseId>,
    pub opened_topic_id: Option<String>,
    pub actor: String,
    pub at: NaiveDateTime,
}

/// Takes `step` if the signal is still at `expected_version`. `Ok(false)`: stale.
pub fn act(conn: &mut DbConnection, id: &str, expected_version: i32, step: &SignalStep) -> StoreResult<bool> {
    let updated = diesel::update(
        warning_signals::table
            .filter(warning_signals::id.eq(id))
            .filter(warning_signals::version.eq(expected_version)),
    )
    .set((
        warning_signals::state.eq(step.state.as_str()),
        warning_signals::reason.eq(&step.reason),
        warning_signals::opened_case_id.eq(step.opened_case_id.map(|id| id.to_string())),
        warning_signals::opened_topic_id.eq(&step.opened_topic_id),
        warning_signals::version.eq(expected_version + 1),
        warning_signals::updated_at.eq(step.at),
        warning_signals::acted_by.eq(Some(&step.actor)),
        warning_signals::acted_at.eq(Some(step.at)),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// The ids of the signals turned into the topic `topic_id`, the earliest raised first.
pub fn of_topic(conn: &mut DbConnection, topic_id: &str) -> StoreResult<Vec<String>> {
    Ok(warning_signals::table
        .filter(warning_signals::opened_topic_id.eq(topic_id))
        .order((warning_signals::raised_at.asc(), warning_signals::id.asc()))
        .select(warning_signals::id)
        .load(conn)?)
}

/// The PostgreSQL notification channel a change of the signals is announced on: a channel of
/// its own, so a signal never makes a node's streams read the case feed, nor a case event the
/// signals.
pub const CHANNEL: &str = "gridline_signals";

/// Tells every node's live streams that signals changed ([`crate::live::signals`]): on
/// PostgreSQL a `NOTIFY` on [`CHANNEL`], delivered to every node's listener at commit, so it
/// runs inside the transaction that wrote them. This node's own streams are woken by the caller
/// once that transaction is done ([`super::Db::signals`]).
pub fn announce(conn: &mut DbConnection) -> StoreResult<()> {
    if let DbConnection::Pg(pg) = conn {
        diesel::sql_query(format!("SELECT pg_notify($1, {})", super::events::NOTIFIER))
            .bind::<Text, _>(CHANNEL)
            .execute(pg)?;
    }
    Ok(())
}
