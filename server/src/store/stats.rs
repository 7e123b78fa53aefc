//! The read behind the statistics: every event before the end of a range, of the cases a caller
//! may count, with the case facts a group is keyed by. The arithmetic is in
//! [`crate::api::stats`]; this module only selects rows.
//!
//! The cases of drills (emergency mode's exercises) are left out.
//!
//! Events from before the range are read too, because the deadline in force and the start of
//! handling at a moment inside the range were set by earlier events.

use diesel::prelude::*;

use super::schema::{case_events, cases, emergency_cases};
use super::{DbConnection, StoreResult};

/// Which cases are counted, in the columns of the case row.
#[derive(Debug, Clone, Default)]
pub struct StatsFilter {
    /// Only cases whose grid code lies from `.0` to `.1` inclusive (a dispatcher's street).
    pub grid_range: Option<(String, String)>,
    /// Only cases dispatched to this unit (a handler).
    pub handling_unit: Option<String>,
    /// Only cases in this area, by the case column of its level.
    pub area: Option<AreaColumn>,
    /// Only cases of this category.
    pub category: Option<String>,
    /// Only cases that came in by this channel.
    pub channel: Option<String>,
}

/// An area code and the level of the case column that holds codes like it.
#[derive(Debug, Clone)]
pub enum AreaColumn {
    District(String),
    Street(String),
    Community(String),
    Grid(String),
}

/// One event with the facts of its case, as read for the statistics.
#[derive(Debug, Clone, Queryable)]
pub struct StatsEventRow {
    pub case_id: String,
    pub district_code: Option<String>,
    pub street_code: Option<String>,
    pub community_code: Option<String>,
    pub grid_code: Option<String>,
    pub category_code: String,
    pub handling_unit: Option<String>,
    pub kind: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub actor_role: Option<String>,
    pub occurred_at: chrono::NaiveDateTime,
    pub details: String,
    pub channel: String,
}

/// The events before `to` of the cases `filter` admits that can count in `[from, to)`, by case
/// and then in sequence order.
///
/// A case can count only if it has an event at or after `from`, or if it falls due in the range
/// without one: then nothing has changed it since, so its deadline column is still the one in
/// force at `to`. Cases finished before the range are not read at all.
pub fn events_before(
    conn: &mut DbConnection,
    filter: &StatsFilter,
    from: chrono::NaiveDateTime,
    to: chrono::NaiveDateTime,
) -> StoreResult<Vec<StatsEventRow>> {
    let later = diesel::alias!(case_events as later_events);
    let active_since_from = later
        .filter(later.field(case_events::occurred_at).ge(from))
        .select(later.field(case_events::case_id));
    let mut query = case_events::table
        .inner_join(cases::table)
        .filter(case_events::occurred_at.lt(to))
        // A drill's cases (emergency mode's exercises) never count.
        .filter(cases::id.ne_all(
            emergency_cases::table.filter(emergency_cases::drill.eq(true)).select(emergency_cases::case_id),
        ))
        .filter(
            cases::id
                .eq_any(active_since_from)
                .or(cases::deadline.ge(from).and(cases::deadline.lt(to)).assume_not_null()),
        )
        .select((
            cases::id,
            cases::district_code,
            cases::street_code,
            cases::community_code,
            cases::grid_code,
            cases::category_code,
            cases::handling_unit,
            case_events::kind,
            case_events::from_state,
            case_events::to_state,
            case_events::actor_role,
            case_events::occurred_at,
            case_events::details,
            cases::channel,
        ))
        .order((cases::id.asc(), case_events::seq.asc()))
        .into_boxed();
    if let Some((first, last)) = &filter.grid_range {
        query = query.filter(cases::grid_code.between(first.clone(), last.clone()));
    }
    if let Some(unit) = &filter.handling_unit {
        query = query.filter(cases::handling_unit.eq(unit.clone()));
    }
    if let Some(category) = &filter.category {
        query = query.filter(cases::category_code.eq(category.clone()));
    }
    if let Some(channel) = &filter.channel {
        query = query.filter(cases::channel.eq(channel.clone()));
    }
    query = match filter.area.clone() {
        None => query,
        Some(AreaColumn::District(code)) => query.filter(cases::district_code.eq(code)),
        Some(AreaColumn::Street(code)) => query.filter(cases::street_code.eq(code)),
        Some(AreaColumn::Community(code)) => query.filter(cases::community_code.eq(code)),
        Some(AreaColumn::Grid(code)) => query.filter(cases::grid_code.eq(code)),
    };
    Ok(query.load(conn)?)
}
