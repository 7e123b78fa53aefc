//! The partition job (PostgreSQL only): at start and then once a day, each node makes sure this
//! month's and the next [`MONTHS_AHEAD`](crate::store::partitions::MONTHS_AHEAD) months'
//! partitions of `cases` and `case_events` exist ([`crate::store::partitions`]), so a month's
//! rows never arrive before its partition. Months already there are skipped, and two nodes doing
//! it at once take turns on the database's advisory lock, so every node simply runs it. A run
//! that fails (a lock not granted in time) changes nothing; the months ahead leave weeks of room
//! before the next run must succeed.

use crate::app::AppState;
use crate::store::{Backend, partitions};

/// How often the job runs after the first run at start.
const PERIOD: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// Starts the job on the current actix system (nothing on SQLite).
pub fn spawn(state: actix_web::web::Data<AppState>) {
    if *state.db.backend() != Backend::Postgres {
        return;
    }
    actix_web::rt::spawn(async move {
        let mut ticks = actix_web::rt::time::interval(PERIOD);
        loop {
            ticks.tick().await;
            let now = state.clock.now();
            match state.db.run(move |conn| partitions::ensure_ahead(conn, now)).await {
                Ok(created) if created > 0 => tracing::info!(created, "monthly partitions created"),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "creating the monthly partitions failed; retrying tomorrow")
                }
            }
        }
    });
}
