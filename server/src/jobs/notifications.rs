//! The notification delivery job's loop: a pass of [`crate::notify::deliver::run_pass`] right
//! after any step this node records (the event signal) and every `GRIDLINE_NOTIFY_SCAN_SECS`
//! otherwise, repeated while a pass finds a full batch. It lives with the other jobs so that
//! `notify` needs nothing from the app state it is part of.

use crate::app::AppState;
use crate::notify::deliver::run_pass;

/// Starts the job on the current actix system.
pub fn spawn(state: actix_web::web::Data<AppState>) {
    actix_web::rt::spawn(async move {
        let mut ticks = actix_web::rt::time::interval(state.notifier.scan_period);
        let mut steps = state.db.events().subscribe();
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = steps.changed() => {}
            }
            loop {
                let node = state.clone();
                let now = state.clock.now();
                let done = state
                    .db
                    .run(move |conn| {
                        let tz = node.calendar.settings().timezone;
                        run_pass(conn, &node.notifier, &node.auth.phones, &tz, now)
                    })
                    .await;
                match done {
                    Ok(pass) if pass.full() => continue,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "notification pass failed; retrying at the next tick");
                        break;
                    }
                }
            }
        }
    });
}
