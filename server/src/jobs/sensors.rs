//! The sensor sweep: every `GRIDLINE_SENSOR_SWEEP_SECS`, each node confirms the pending alarms
//! that have lasted their rule's minimum time without an all-clear (a device that raised an
//! alarm once and fell silent is confirmed too, not only one that keeps repeating it), and files
//! the case of any alarm group still without one. Alarm processing is serialized in the
//! database ([`crate::store::sensors::lock_for_alarms`]), so nodes sweeping at once do not
//! confirm an alarm twice; a group's case is filed under a key derived from the group.

use std::time::Duration;

use actix_web::web;

use crate::app::AppState;

/// Starts the sweep on the current actix system.
pub fn spawn(state: web::Data<AppState>) {
    let period = Duration::from_secs(state.config.settings.sensor_sweep_secs.max(1));
    actix_web::rt::spawn(async move {
        let mut ticks = actix_web::rt::time::interval(period);
        loop {
            ticks.tick().await;
            if let Err(e) = crate::sensors::intake::sweep(&state).await {
                tracing::warn!(error = %e, "sensor sweep failed");
            }
        }
    });
}
