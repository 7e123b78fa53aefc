//! The overdue job: every `GRIDLINE_OVERDUE_SCAN_SECS`, each node looks for `dispatched` and
//! `in_progress` cases whose deadline has passed on the node's [`Clock`](crate::clock::Clock)
//! and are not flagged yet. For each, core's state machine decides (through the case service, [`crate::cases::overdue`]) (`mark_overdue`, then
//! `escalate`, both taken by the `system` role), and one transaction flags the case, bumps its
//! version and records two events:
//!
//! - `mark_overdue` (`actor_role: system`, no actor id; `details.deadline`): the case became
//!   overdue. The state does not change.
//! - `escalate` (same actor; `details.deadline` and `details.to`, `{"role": "dispatcher",
//!   "street": "<street code>"}`, `street` null for a case outside every street): the notice
//!   to the street office that holds the case. Live-event subscribers and statistics read it
//!   from the events table; it is addressed by the case's street, like any event of the case.
//!
//! Two nodes scanning at once cannot escalate a case twice: see [`deadlines::mark_overdue`].
//! A case whose deadline is moved (extend, re-dispatch) gets a new version and a cleared flag,
//! so it can become overdue again at the new deadline, once.

use chrono::{DateTime, Utc};
use gridline_core::calendar::WorkingCalendar;
use gridline_core::workflow::{self, Action, CaseState, Role};

use crate::app::AppState;
use crate::cases::overdue::escalation;
use crate::store::deadlines;
use crate::store::{DbConnection, StoreResult};

/// Cases read per query; a scan goes on while full batches keep yielding work.
const BATCH: i64 = 200;

/// What one scan did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanOutcome {
    /// Cases this scan flagged and escalated.
    pub escalated: usize,
    /// Cases another node (or a concurrent step) changed first: left to them.
    pub lost: usize,
}

/// The states the `system` may mark overdue from, as core says.
fn overdue_states() -> Vec<&'static str> {
    CaseState::ALL
        .iter()
        .filter(|s| workflow::decide(**s, Action::MarkOverdue, Role::System).is_ok())
        .map(|s| s.as_str())
        .collect()
}

/// One pass over the cases past their deadline at `now`.
pub fn scan(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    calendar: &WorkingCalendar,
) -> StoreResult<ScanOutcome> {
    let states = overdue_states();
    let mut outcome = ScanOutcome::default();
    // Helper parts past their deadline and disputes past the arbiter's (joint handling).
    crate::cases::joint::sweep(conn, now, calendar)?;
    loop {
        let due = deadlines::past_deadline(conn, now.naive_utc(), &states, BATCH)?;
        let full = due.len() as i64 == BATCH;
        let before = outcome;
        for case in &due {
            let Some(mut events) = escalation(case, now, calendar)? else { continue };
            if deadlines::mark_overdue(conn, case.row.id, case.row.version, now.naive_utc(), &mut events)? {
                outcome.escalated += 1;
            } else {
                outcome.lost += 1;
            }
        }
        // A full batch where nothing moved would come back identical: stop rather than spin.
        if !full || outcome == before {
            return Ok(outcome);
        }
    }
}

/// Starts the job on the current actix system: a scan every `GRIDLINE_OVERDUE_SCAN_SECS`, the
/// first one right away (a node that was down catches up at start).
pub fn spawn(state: actix_web::web::Data<AppState>) {
    let period = std::time::Duration::from_secs(state.config.settings.overdue_scan_secs);
    actix_web::rt::spawn(async move {
        let mut ticks = actix_web::rt::time::interval(period);
        loop {
            ticks.tick().await;
            let now = state.clock.now();
            let calendar = state.calendar.clone();
            match state.db.run(move |conn| scan(conn, now, &calendar)).await {
                Ok(done) if done.escalated > 0 => {
                    tracing::info!(escalated = done.escalated, lost = done.lost, "overdue cases escalated")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "overdue scan failed; retrying at the next tick"),
            }
        }
    });
}
