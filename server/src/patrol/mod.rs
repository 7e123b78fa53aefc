//! Patrol tracks (巡查轨迹): the positions grid inspectors' phones record while on duty, and
//! what a street office reads from them — per inspector per day, which of their cells were
//! visited and for how long, and the street's coverage (cells visited of the cells assigned).
//!
//! Positions are personal data. They are stored with the cell they route to (so coverage never
//! re-routes history after a grid change), answered to nobody as raw positions, summarised only
//! for the inspector's own street office, and deleted after `GRIDLINE_PATROL_RETENTION_DAYS`
//! (default 90) by [`spawn_retention`].
//!
//! Time in a cell: each position counts the time until the next one in the same day, credited
//! to its own cell, unless the gap is longer than [`MAX_GAP_MS`] (the phone was off or the
//! inspector off duty: a pause, not time on patrol).

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;

use crate::app::AppState;
use crate::store::schema::patrol_positions;
use crate::store::{DbConnection, StoreResult, is_unique_violation};

/// The longest gap between two positions that still counts as time on patrol: five times the
/// phones' recording interval ([`gridline_core::limits::PATROL_INTERVAL_SECS`]).
pub const MAX_GAP_MS: i64 = 5 * gridline_core::limits::PATROL_INTERVAL_SECS as i64 * 1000;

/// One inspector's positions in time order: the moment (Unix milliseconds) and the cell.
pub type Track = Vec<(i64, Option<String>)>;

/// One position to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPosition {
    pub recorded_at_ms: i64,
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
    /// The cell it routes to; `None` outside every cell.
    pub grid_code: Option<String>,
}

/// Store `positions` of `inspector_id`; returns how many were new (a position already stored
/// for the same moment, from a batch sent again, is skipped). Each row stands alone (no
/// transaction around the batch: on PostgreSQL a skipped duplicate would abort it); a batch cut
/// short is simply sent again.
pub fn record(conn: &mut DbConnection, inspector_id: &str, positions: &[NewPosition]) -> StoreResult<usize> {
    let mut stored = 0;
    for p in positions {
        let inserted = diesel::insert_into(patrol_positions::table)
            .values((
                patrol_positions::inspector_id.eq(inspector_id),
                patrol_positions::recorded_at_ms.eq(p.recorded_at_ms),
                patrol_positions::lat.eq(p.lat),
                patrol_positions::lon.eq(p.lon),
                patrol_positions::accuracy_m.eq(p.accuracy_m),
                patrol_positions::grid_code.eq(&p.grid_code),
            ))
            .execute(conn);
        match inserted {
            Ok(_) => stored += 1,
            Err(e) if is_unique_violation(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(stored)
}

/// The cell (or none) of every position of `inspector_ids` in `[from_ms, to_ms)`, per inspector
/// in time order.
pub fn cells_between(
    conn: &mut DbConnection,
    inspector_ids: &[String],
    from_ms: i64,
    to_ms: i64,
) -> StoreResult<BTreeMap<String, Track>> {
    let rows: Vec<(String, i64, Option<String>)> = patrol_positions::table
        .filter(patrol_positions::inspector_id.eq_any(inspector_ids))
        .filter(patrol_positions::recorded_at_ms.ge(from_ms))
        .filter(patrol_positions::recorded_at_ms.lt(to_ms))
        .order((patrol_positions::inspector_id, patrol_positions::recorded_at_ms))
        .select((
            patrol_positions::inspector_id,
            patrol_positions::recorded_at_ms,
            patrol_positions::grid_code,
        ))
        .load(conn)?;
    let mut by_inspector: BTreeMap<String, Track> = BTreeMap::new();
    for (inspector, at, cell) in rows {
        by_inspector.entry(inspector).or_default().push((at, cell));
    }
    Ok(by_inspector)
}

/// Delete every position recorded before `cutoff_ms`; how many went.
pub fn purge_before(conn: &mut DbConnection, cutoff_ms: i64) -> StoreResult<usize> {
    Ok(diesel::delete(patrol_positions::table.filter(patrol_positions::recorded_at_ms.lt(cutoff_ms)))
        .execute(conn)?)
}

/// Seconds spent in each cell visited, from one inspector's positions of a day in time order
/// (see the module's doc). A cell with a single last position counts as visited, for 0 s.
pub fn time_in_cells(positions: &[(i64, Option<String>)]) -> BTreeMap<String, i64> {
    let mut seconds: BTreeMap<String, i64> = BTreeMap::new();
    for (i, (at, cell)) in positions.iter().enumerate() {
        let Some(cell) = cell else { continue };
        let gap = positions.get(i + 1).map_or(0, |(next, _)| next - at);
        let counted = if (0..=MAX_GAP_MS).contains(&gap) { gap / 1000 } else { 0 };
        *seconds.entry(cell.clone()).or_default() += counted;
    }
    seconds
}

/// Cells of `assigned` visited according to `time`.
pub fn visited(assigned: &BTreeSet<String>, time: &BTreeMap<String, i64>) -> usize {
    assigned.iter().filter(|c| time.contains_key(*c)).count()
}

/// Starts the retention job: every hour (and at start) positions older than the retention
/// are deleted. Safe on several nodes at once: a delete of rows already gone deletes nothing.
pub fn spawn_retention(state: actix_web::web::Data<AppState>) {
    let days = i64::from(state.config.settings.patrol_retention_days);
    actix_web::rt::spawn(async move {
        let mut ticks = actix_web::rt::time::interval(std::time::Duration::from_secs(3600));
        loop {
            ticks.tick().await;
            let cutoff = (state.clock.now() - chrono::Duration::days(days)).timestamp_millis();
            match state.db.run(move |conn| purge_before(conn, cutoff)).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "patrol positions past their retention deleted"),
                Err(e) => tracing::warn!(error = %e, "patrol retention failed; retrying at the next tick"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(c: &str) -> Option<String> {
        Some(c.to_owned())
    }

    #[test]
    fn each_position_counts_until_the_next_unless_the_gap_is_a_pause() {
        let minute = 60_000;
        let day = [
            (0, cell("A")),
            (minute, cell("A")),
            (2 * minute, cell("B")),
            // Outside every cell: counts for no cell.
            (3 * minute, None),
            (4 * minute, cell("B")),
            // An hour off: a pause, not time in B.
            (64 * minute, cell("C")),
        ];
        let time = time_in_cells(&day);
        assert_eq!(time, BTreeMap::from([("A".into(), 120), ("B".into(), 60), ("C".into(), 0)]));
        let assigned: BTreeSet<String> = ["A", "B", "D"].map(String::from).into();
        assert_eq!(visited(&assigned, &time), 2);
        assert!(time_in_cells(&[]).is_empty());
    }
}
