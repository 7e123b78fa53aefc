//! The early-warning job: from `GRIDLINE_WARNING_SCAN_AT` (city time, default 06:00) on, the
//! day's space-time scan of every category class, run once a day for the whole city by exactly
//! one node, through the same code as `POST /api/v1/warnings/scan`
//! ([`crate::warnings::signals::raise_and_grow`]): each cluster rare enough raises a
//! signal, or grows the live signal it shares a cell with.
//!
//! - **Who runs it**: every node checks every [`CHECK_PERIOD`] (and right at start, so a node
//!   that was down catches up the same day). The run of one (city day, class) is claimed by
//!   inserting its row into `warning_scan_claims`, whose primary key lets one insert win
//!   ([`crate::store::warning_scan_claims`]); the other nodes see the claim and move on.
//! - **A node that dies mid-run**: its claim carries a lease (`GRIDLINE_WARNING_SCAN_LEASE_SECS`,
//!   default 15 minutes, far longer than a run); once the lease has passed with no finish,
//!   another node's next check takes the run over. Signals the dead node had already raised are
//!   grown by the new run, not raised twice: runs of one class take turns in the database
//!   ([`crate::store::warning_signals::lock_subject`]), even a late one overtaken by its lease.
//!   A run that fails gives its claim back at once, so the next check retries it.
//! - **Scope**: the scan runs district by district (the `system` role scoped to each district
//!   of the grid), since a request's budget of cylinder evaluations
//!   ([`crate::warnings::scan::MAX_SCAN_WORK`]) holds a district, not a megacity; a
//!   district's shuffles are the default 999 or as many as that budget allows.
//! - **Parameters**: the scan's defaults (28 days, circles of up to 10 cells within 1 km,
//!   windows of 1 to 7 days, the day's date as seed) and signals from a recurrence interval of
//!   100 days; the same as a person pressing "Run the scan" without parameters.
//!
//! `GRIDLINE_WARNING_SCAN_AT=off` turns the schedule off (tests run with it off unless they test
//! it).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{NaiveDateTime, TimeZone};
use gridline_core::codes::{AreaCode, AreaLevel};
use gridline_core::warning::scan::ScanSettings;
use gridline_core::workflow::Role;

use crate::app::AppState;
use crate::auth::{Principal, Scope};
use crate::config::DailyAt;
use crate::store::warning_scan_claims::{self, Claim};
use crate::store::{StoreError, categories};
use crate::warnings::scan::MAX_SCAN_WORK;
use crate::warnings::signals::raise_and_grow;

/// How often a node checks whether a day's scan is due and unclaimed.
pub const CHECK_PERIOD: Duration = Duration::from_secs(60);

/// The shuffles of a scheduled scan where the budget allows them: the scan's default.
const REPLICATIONS: u64 = 999;
/// The fewest shuffles worth a run: core's minimum.
const MIN_REPLICATIONS: u64 = 9;

/// What this node did for one class on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassRun {
    pub class: String,
    /// Whether the run was taken over from a claim whose lease had passed.
    pub taken_over: bool,
    pub raised: usize,
    pub grown: usize,
}

/// Why a check could not start.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The city's date and whether the day's scan is due at the state's clock.
fn due(state: &AppState) -> Option<(String, NaiveDateTime)> {
    let DailyAt::At(at) = state.config.settings.warning_scan_at else { return None };
    let zone = state.calendar.settings().timezone;
    let now = state.clock.now();
    let local = now.with_timezone(&zone);
    let from = zone.from_local_datetime(&local.date_naive().and_time(at)).earliest()?;
    (now >= from).then(|| (local.date_naive().format("%Y-%m-%d").to_string(), now.naive_utc()))
}

/// The classes of the city's taxonomy (a category code without its minor number, `E05`).
async fn classes(state: &AppState) -> Result<BTreeSet<String>, StoreError> {
    let all = state.db.run(categories::list).await?;
    Ok(all.iter().map(|category| category.code.to_string()[..3].to_owned()).collect())
}

/// The districts of the grid and their cell counts.
fn districts(state: &AppState) -> BTreeMap<AreaCode, u64> {
    let mut out = BTreeMap::new();
    if let Some(index) = state.router.snapshot().index.as_ref() {
        for code in index.codes() {
            *out.entry(code.area(AreaLevel::District)).or_default() += 1;
        }
    }
    out
}

/// The shuffles a district of `cells` cells may have within a request's budget, at most
/// [`REPLICATIONS`]; `None` when even core's minimum does not fit.
fn replications_for(cells: u64) -> Option<u64> {
    let defaults = ScanSettings::default();
    let per_shuffle = cells * (defaults.max_cells as u64).min(cells) * u64::from(defaults.max_window_days);
    let fit = (MAX_SCAN_WORK / per_shuffle.max(1)).saturating_sub(1);
    let replications = fit.min(REPLICATIONS);
    (replications >= MIN_REPLICATIONS).then_some(replications)
}

/// One class's scan over every district; the raised and grown counts.
async fn run_class(state: &AppState, class: &str) -> Result<(usize, usize), crate::error::ApiError> {
    let (mut raised, mut grown) = (0, 0);
    for (district, cells) in districts(state) {
        let Some(replications) = replications_for(cells) else {
            tracing::warn!(%district, cells, "district too large for one scan; skipped");
            continue;
        };
        let system = Principal {
            user_id: "system:warning-scan".to_owned(),
            role: Role::System,
            scope: Scope::District { district },
        };
        let pairs =
            [("class".to_owned(), class.to_owned()), ("replications".to_owned(), replications.to_string())];
        let run = raise_and_grow(state, &system, &pairs).await?;
        raised += run.raised.len();
        grown += run.grown.len();
    }
    Ok((raised, grown))
}

/// One check: when the day's scan is due, claims and runs each class no node has claimed (or
/// whose claim's lease has passed). `node` names this node in the claims. Returns what this
/// node ran; a class whose run failed is logged, given back and left out.
pub async fn check(state: &AppState, node: &str) -> Result<Vec<ClassRun>, CheckError> {
    let Some((day, _)) = due(state) else { return Ok(Vec::new()) };
    let lease = chrono::Duration::seconds(
        i64::try_from(state.config.settings.warning_scan_lease_secs).unwrap_or(i64::MAX / 1000),
    );
    let mut done = Vec::new();
    for class in classes(state).await? {
        let now = state.clock.now().naive_utc();
        let claim = {
            let (day, class, node) = (day.clone(), class.clone(), node.to_owned());
            state
                .db
                .run(move |conn| warning_scan_claims::claim(conn, &day, &class, &node, now, now + lease))
                .await?
        };
        let Claim::Won { taken_over } = claim else { continue };
        let outcome = run_class(state, &class).await;
        let (day, class_key, node_key) = (day.clone(), class.clone(), node.to_owned());
        let at = state.clock.now().naive_utc();
        match outcome {
            Ok((raised, grown)) => {
                let counts =
                    (i32::try_from(raised).unwrap_or(i32::MAX), i32::try_from(grown).unwrap_or(i32::MAX));
                let kept = state
                    .db
                    .run(move |conn| {
                        warning_scan_claims::finish(conn, &day, &class_key, &node_key, at, counts.0, counts.1)
                    })
                    .await?;
                if !kept {
                    tracing::warn!(class, "the scan ran past its lease and was taken over by another node");
                }
                done.push(ClassRun { class, taken_over, raised, grown });
            }
            Err(e) => {
                tracing::warn!(class, error = %e, "scheduled warning scan failed; retried at the next check");
                state
                    .db
                    .run(move |conn| warning_scan_claims::release(conn, &day, &class_key, &node_key, at))
                    .await?;
            }
        }
    }
    Ok(done)
}

/// Starts the job on the current actix system, unless `GRIDLINE_WARNING_SCAN_AT=off`.
pub fn spawn(state: actix_web::web::Data<AppState>) {
    if state.config.settings.warning_scan_at == DailyAt::Off {
        return;
    }
    // Names this process in the claims, so a finish only counts for the claim it won.
    let node = format!("node-{}", uuid::Uuid::now_v7());
    actix_web::rt::spawn(async move {
        let mut ticks = actix_web::rt::time::interval(CHECK_PERIOD);
        loop {
            ticks.tick().await;
            match check(&state, &node).await {
                Ok(runs) => {
                    for run in runs {
                        tracing::info!(
                            class = run.class,
                            raised = run.raised,
                            grown = run.grown,
                            taken_over = run.taken_over,
                            "scheduled warning scan done"
                        );
                    }
                }
                Err(e) => tracing::warn!(error = %e, "warning scan check failed; retrying at the next check"),
            }
        }
    });
}
