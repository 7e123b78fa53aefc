//! The roll-ups' fold: every few seconds each node adds the deltas the events wrote
//! (`case_rollup_deltas`) to the statistics' roll-ups (`case_rollups`) and deletes them
//! ([`crate::store::rollups::fold_deltas`]). The statistics read both tables, so the figures
//! are exact whether a fold ran or not; the fold only keeps the deltas few (each read sums
//! them again) and the roll-ups' rows updated once a fold instead of once an event. Two nodes
//! folding at once take turns on the event writers' lock; a fold that fails leaves the deltas
//! where they are for the next one.

use std::time::Duration;

use crate::app::AppState;

/// How often a node folds. A fold holds the event writers' lock while it runs (milliseconds for
/// the deltas of ten seconds at saturation), so a shorter period costs intake more turns.
const PERIOD: Duration = Duration::from_secs(10);

/// Starts the job on the current actix system.
pub fn spawn(state: actix_web::web::Data<AppState>) {
    actix_web::rt::spawn(async move {
        let mut ticks = actix_web::rt::time::interval(PERIOD);
        loop {
            ticks.tick().await;
            match state.db.run(|conn| Ok(crate::store::rollups::fold_deltas(conn)?)).await {
                Ok(rows) => tracing::debug!(rows, "roll-up deltas folded"),
                Err(e) => {
                    tracing::warn!(error = %e, "folding the roll-up deltas failed; retrying in ten seconds")
                }
            }
        }
    });
}
