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
//! - **Missed days**: when no node ran a day's scan (every server was down), the next check
//!   runs each day missed since the class's latest claimed day, at most [`CATCH_UP_DAYS`] back,
//!   oldest first: each judged as its own day (its reports up to that day's end, its date as
//!   the seed), so the answer is the one the day would have had, and a cluster that went on
//!   grows its signal day by day. A city with no claim yet starts today.
//! - **Scope and budget**: the scan runs district by district (the `system` role scoped to each
//!   district of the grid). A run is no request: its budget is [`SCHEDULED_SCAN_WORK`], not
//!   the per-request [`crate::warnings::scan::MAX_SCAN_WORK`], so every district up to
//!   [`largest_full_district`] cells gets the full 999 shuffles. A larger one gets as many as
//!   the budget allows if they can still reach the signal threshold, and is skipped, with a
//!   warning naming its size, if they cannot.
//! - **Parameters**: the scan's defaults (28 days, circles of up to 10 cells within 1 km,
//!   windows of 1 to 7 days, 999 shuffles, the day's date as seed) and signals from core's
//!   recurrence interval of 200 days ([`DEFAULT_MIN_RECURRENCE_DAYS`]), the threshold at which
//!   `gridline warn evaluate` meets the goal (docs/early-warning.md); the same as a
//!   person pressing "Run the scan" without parameters.
//!
//! `GRIDLINE_WARNING_SCAN_AT=off` turns the schedule off (tests run with it off unless they test
//! it).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{NaiveDate, TimeZone};
use gridline_core::codes::{AreaCode, AreaLevel};
use gridline_core::warning::scan::{REPLICATIONS, ScanSettings};
use gridline_core::warning::signal::DEFAULT_MIN_RECURRENCE_DAYS;
use gridline_core::workflow::Role;

use crate::app::AppState;
use crate::auth::{Principal, Scope};
use crate::config::DailyAt;
use crate::store::warning_scan_claims::{self, Claim};
use crate::store::{StoreError, categories};
use crate::warnings::scan::ScanTerms;
use crate::warnings::signals::raise_and_grow;

/// How often a node checks whether a day's scan is due and unclaimed.
pub const CHECK_PERIOD: Duration = Duration::from_secs(60);

/// The cylinder evaluations one district's scheduled scan may cost. The scan walks about 148
/// million a second on one core (docs/benchmarks.md, "Early warning: one space-time scan"),
/// and Shanghai's whole grid at the daily settings (40,625 cells × 10 × 7 × 1,000 = 2.84
/// billion) took 25 s ("Early warning at a megacity's size", goal: at most 60 s): three
/// billion is 20 to 27 s of one core at those paces, well within the lease.
pub const SCHEDULED_SCAN_WORK: u64 = 3_000_000_000;

/// The most cells a district may have for its scheduled scan to run with the daily settings'
/// full 999 shuffles within [`SCHEDULED_SCAN_WORK`] (10 cells per circle, 7 windows): 42,857.
pub fn largest_full_district() -> u64 {
    let daily = ScanSettings::default();
    let per_cell = daily.work(daily.max_cells) / daily.max_cells as u64;
    SCHEDULED_SCAN_WORK / per_cell.max(1)
}

/// How many days before today a check catches up on, when no node ran their scans.
pub const CATCH_UP_DAYS: u64 = 7;

/// What this node did for one class on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassRun {
    /// The city day judged, `YYYY-MM-DD`.
    pub day: String,
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

/// The city's date at the state's clock and whether today's scan is due; `None` when the
/// schedule is off.
fn today(state: &AppState) -> Option<(NaiveDate, bool)> {
    let DailyAt::At(at) = state.config.settings.warning_scan_at else { return None };
    let zone = state.calendar.settings().timezone;
    let now = state.clock.now();
    let today = now.with_timezone(&zone).date_naive();
    let from = zone.from_local_datetime(&today.and_time(at)).earliest();
    Some((today, from.is_some_and(|from| now >= from)))
}

/// The days whose scan of a class is due, oldest first: from the class's latest claimed day
/// (`latest`, whose run may still be unfinished) or [`CATCH_UP_DAYS`] before today, whichever
/// is later, to today once its scan time has passed. With no claim yet, today alone.
pub fn days_due(today: NaiveDate, today_due: bool, latest: Option<NaiveDate>) -> Vec<NaiveDate> {
    let last = if today_due { Some(today) } else { today.pred_opt() };
    let earliest = today - chrono::Days::new(CATCH_UP_DAYS);
    let first = match latest {
        Some(latest) => latest.max(earliest),
        None => today,
    };
    let Some(last) = last else { return Vec::new() };
    first.iter_days().take_while(|day| *day <= last).collect()
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

/// The shuffles a district of `cells` cells has within [`SCHEDULED_SCAN_WORK`]: the daily
/// settings' 999 up to [`largest_full_district`] cells, then fewer; `Err` with the shuffles
/// that would fit when they are too few to reach the signal threshold (or core's minimum).
pub fn replications_for(cells: u64) -> Result<u32, u32> {
    let daily = ScanSettings::default();
    let cells = usize::try_from(cells).unwrap_or(usize::MAX);
    let fit = daily.replications_within(cells, SCHEDULED_SCAN_WORK);
    let needed = daily.replications_to_reach(DEFAULT_MIN_RECURRENCE_DAYS).max(*REPLICATIONS.start());
    if fit >= needed { Ok(fit) } else { Err(fit) }
}

/// One class's scan of `day` over every district; the raised and grown counts.
async fn run_class(
    state: &AppState,
    class: &str,
    day: NaiveDate,
) -> Result<(usize, usize), crate::error::ApiError> {
    let (mut raised, mut grown) = (0, 0);
    for (district, cells) in districts(state) {
        let replications = match replications_for(cells) {
            Ok(replications) => {
                if replications < ScanSettings::default().replications {
                    tracing::warn!(
                        %district, cells, replications, largest = largest_full_district(),
                        "district larger than the daily scan's budget holds at 999 shuffles; scanned with fewer"
                    );
                }
                replications
            }
            Err(fit) => {
                tracing::warn!(
                    %district, cells, fit, largest = largest_full_district(), threshold = DEFAULT_MIN_RECURRENCE_DAYS,
                    "district too large for the daily scan's budget to reach the signal threshold; skipped"
                );
                continue;
            }
        };
        let system = Principal {
            user_id: "system:warning-scan".to_owned(),
            role: Role::System,
            scope: Scope::District { district },
        };
        let pairs =
            [("class".to_owned(), class.to_owned()), ("replications".to_owned(), replications.to_string())];
        let run = ScanTerms { max_work: SCHEDULED_SCAN_WORK, day: Some(day) };
        let run = raise_and_grow(state, &system, &pairs, run).await?;
        raised += run.raised.len();
        grown += run.grown.len();
    }
    Ok((raised, grown))
}

/// One check: claims and runs the scan of each class on each day due ([`days_due`]) that no
/// node has claimed (or whose claim's lease has passed). `node` names this node in the claims.
/// Returns what this node ran; a run that failed is logged, given back and left out.
pub async fn check(state: &AppState, node: &str) -> Result<Vec<ClassRun>, CheckError> {
    let Some((today, today_due)) = today(state) else { return Ok(Vec::new()) };
    let latest: BTreeMap<String, String> =
        state.db.run(warning_scan_claims::latest_days).await?.into_iter().collect();
    let mut done = Vec::new();
    for class in classes(state).await? {
        let resume = latest.get(&class).and_then(|day| NaiveDate::parse_from_str(day, DAY).ok());
        for day in days_due(today, today_due, resume) {
            if let Some(run) = claim_and_run(state, node, &class, day).await? {
                done.push(run);
            }
        }
    }
    Ok(done)
}

/// The city day's format in the claims.
const DAY: &str = "%Y-%m-%d";

/// Claims the run of `class` on `day` and, when won, runs it and records its finish.
async fn claim_and_run(
    state: &AppState,
    node: &str,
    class: &str,
    day: NaiveDate,
) -> Result<Option<ClassRun>, CheckError> {
    let lease = chrono::Duration::seconds(
        i64::try_from(state.config.settings.warning_scan_lease_secs).unwrap_or(i64::MAX / 1000),
    );
    let day_text = day.format(DAY).to_string();
    let now = state.clock.now().naive_utc();
    let claim = {
        let (day, class, node) = (day_text.clone(), class.to_owned(), node.to_owned());
        state
            .db
            .run(move |conn| warning_scan_claims::claim(conn, &day, &class, &node, now, now + lease))
            .await?
    };
    let Claim::Won { taken_over } = claim else { return Ok(None) };
    let outcome = run_class(state, class, day).await;
    let (day_key, class_key, node_key) = (day_text.clone(), class.to_owned(), node.to_owned());
    let at = state.clock.now().naive_utc();
    match outcome {
        Ok((raised, grown)) => {
            let counts =
                (i32::try_from(raised).unwrap_or(i32::MAX), i32::try_from(grown).unwrap_or(i32::MAX));
            let kept = state
                .db
                .run(move |conn| {
                    warning_scan_claims::finish(conn, &day_key, &class_key, &node_key, at, counts.0, counts.1)
                })
                .await?;
            if !kept {
                tracing::warn!(
                    class,
                    day = day_text,
                    "the scan ran past its lease and was taken over by another node"
                );
            }
            Ok(Some(ClassRun { day: day_text, class: class.to_owned(), taken_over, raised, grown }))
        }
        Err(e) => {
            tracing::warn!(class, day = day_text, error = %e, "scheduled warning scan failed; retried at the next check");
            state
                .db
                .run(move |conn| warning_scan_claims::release(conn, &day_key, &class_key, &node_key, at))
                .await?;
            Ok(None)
        }
    }
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
                            day = run.day,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, DAY).unwrap()
    }

    #[test]
    fn every_district_up_to_the_stated_size_gets_999_shuffles() {
        let largest = largest_full_district();
        assert_eq!(largest, 42_857);
        // Shanghai's whole grid as one district, and the largest the budget holds in full.
        assert_eq!(replications_for(40_625), Ok(999));
        assert_eq!(replications_for(largest), Ok(999));
        assert_eq!(replications_for(1), Ok(999));
        // Beyond, fewer, as long as they can reach a recurrence interval of 200 days ...
        assert_eq!(replications_for(largest + 1), Ok(998));
        assert_eq!(replications_for(214_285), Ok(199));
        // ... and none when they cannot.
        assert_eq!(replications_for(214_286), Err(198));
        assert_eq!(replications_for(10_000_000), Err(3));
    }

    #[test]
    fn the_days_due_resume_after_the_latest_claim_at_most_a_week_back() {
        let today = date("2026-12-05");
        // A city with no claim starts today, once the scan's time has passed.
        assert_eq!(days_due(today, true, None), [today]);
        assert!(days_due(today, false, None).is_empty());
        // The latest claim today: only today again (the claim says whether it is done).
        assert_eq!(days_due(today, true, Some(today)), [today]);
        // Down for two days: the latest claimed day (maybe unfinished), the two missed, today.
        let three_back = date("2026-12-02");
        assert_eq!(
            days_due(today, true, Some(three_back)),
            [three_back, date("2026-12-03"), date("2026-12-04"), today]
        );
        // Before today's scan time, the missed days run and today waits.
        assert_eq!(
            days_due(today, false, Some(three_back)),
            [three_back, date("2026-12-03"), date("2026-12-04")]
        );
        // Down for a month: the last seven days and today.
        let due = days_due(today, true, Some(date("2026-11-01")));
        assert_eq!(due.len(), 8);
        assert_eq!((due[0], due[7]), (date("2026-11-28"), today));
    }
}
