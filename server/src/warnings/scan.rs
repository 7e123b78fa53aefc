//! The space-time scan as a service: early warning by the prospective space-time permutation
//! scan ([`gridline_core::warning::scan`]), as `GET /api/v1/warnings/scan`
//! ([`crate::api::warnings::scan`]) answers it and as `POST /api/v1/warnings/scan` and the daily
//! job ([`crate::jobs::warnings`]) run it before keeping signals. Over the caller's cells and the last `days` days (today,
//! the day under way, is the last), it finds the circles of cells and the last few days where
//! more reports arrived than those cells' and days' own totals predict, each with its
//! recurrence interval and the cases inside.
//!
//! - **Query**: `category` (a category code) or `class` (a major class, kind letter and two
//!   digits, `E05`), neither for every report; `days` (the study period, [`MIN_DAYS`] to
//!   [`MAX_DAYS`], default 28); `max_cells` (cells per circle, default 10); `radius_m` (the
//!   widest circle, default 1,000 m); `max_window_days` (1 to 7, default 7); `replications`
//!   (shuffles, 9 to 999, default 999); `seed` (default: today's date as `YYYYMMDD`, so the
//!   day's runs agree).
//! - **Cells**: the grid cells of the caller's scope, each placed at a point inside it
//!   ([`gridline_core::grid::GridIndex::point_in_cell`]); reports by the cell each case is in
//!   now ([`crate::store::stats::for_each_report`]), on the city's days.
//! - **Scope**: as the charts: admins and viewers the city or their area, a dispatcher their
//!   street; others 403. The scan never sees a report outside the scope, so a cluster never
//!   names one.
//! - **Errors**: an unknown or repeated parameter is 400 `invalid_query`, a bad value 422
//!   `invalid_field`; both name the parameter.
//!
//! The shuffles are CPU work (cells × circle size × windows × replications,
//! [`ScanSettings::work`]); they run on the blocking pool, not on the server's event loop, and
//! one request may cost at most [`MAX_SCAN_WORK`] cylinder evaluations (422 naming
//! `replications` beyond). The daily job is no request: it runs with its own budget and may
//! judge a past day it missed ([`ScanTerms`]).

use std::collections::HashMap;

use actix_web::web;
use chrono::{NaiveDate, TimeZone, Utc};
use gridline_core::codes::{CategoryCode, GridCode};
use gridline_core::geo::GeoPoint;
use gridline_core::warning::scan::{
    self, MAX_CELLS_PER_CYLINDER, MAX_WINDOW_DAYS, REPLICATIONS, ScanCase, ScanSettings,
};
use serde::Serialize;

use crate::app::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, category_code_parameter, category_parameter};
use crate::store::stats;

use super::{checked_pairs, scope_of};

/// The shortest study period: the longest window and three weeks of history to compare with.
pub const MIN_DAYS: u32 = 14;
/// The longest study period.
pub const MAX_DAYS: u32 = 91;
const DEFAULT_DAYS: u32 = 28;
/// The widest circle a caller may ask for, in metres.
pub const MAX_RADIUS_M: f64 = 10_000.0;
/// The most shuffles one request may ask for (core allows more, for offline evaluation).
pub const MAX_REPLICATIONS: u32 = 999;
/// The most cylinder evaluations (cells × circle size × windows × (shuffles + 1)) one request
/// may cost: about 2 s of one core in a release build (40 to 53 million a second,
/// docs/benchmarks.md "Early warning"). A district of 2,000 cells fits with up to 700 shuffles;
/// a megacity's whole city (30,000 cells) has to be scanned by district. The daily job is no
/// request and has a budget of its own (`crate::jobs::warnings::SCHEDULED_SCAN_WORK`).
pub const MAX_SCAN_WORK: u64 = 100_000_000;
/// How a scan is run beyond its query: what it may cost and which day it judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanTerms {
    /// The most cylinder evaluations the scan may cost.
    pub max_work: u64,
    /// The day judged (the study period's last day), when not today: a past day's scan sees the
    /// reports up to that day's end, as a run on that day would have, and is seeded by its date.
    pub day: Option<NaiveDate>,
}

impl ScanTerms {
    /// A request's scan: today, within [`MAX_SCAN_WORK`].
    pub const REQUEST: ScanTerms = ScanTerms { max_work: MAX_SCAN_WORK, day: None };
}

/// The seed a scan of `day` takes unless given one: the date as `YYYYMMDD`, so the day's runs
/// agree, and a day judged later gets the answer it would have had on the day.
pub fn day_seed(day: NaiveDate) -> u64 {
    day.format("%Y%m%d").to_string().parse().unwrap_or(0)
}

/// The most case ids a cluster lists.
const MAX_CASES_LISTED: usize = 500;
const PARAMETERS: [&str; 8] =
    ["category", "class", "days", "max_cells", "radius_m", "max_window_days", "replications", "seed"];

/// One cluster found.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScanCluster {
    /// The centre cell, as core's code (the first of `cells`), for the signal it may become.
    #[serde(skip)]
    #[schema(ignore)]
    pub centre: GridCode,
    /// The cells of the circle, its centre first, then by distance.
    pub cells: Vec<String>,
    /// The distance from the centre cell to the farthest cell, in metres.
    pub radius_m: f64,
    /// The window: its first and last city dates (the last is today), `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
    pub window_days: u32,
    /// Reports inside the circle and window.
    pub observed: u64,
    /// Reports the circle and window expect from their cells' and days' totals.
    pub expected: f64,
    /// The log likelihood ratio.
    pub llr: f64,
    pub p_value: f64,
    /// How many days of daily analyses chance would take to raise a cluster this unusual.
    pub recurrence_interval_days: f64,
    /// The cases whose reports are inside (at most 500), by id.
    pub cases: Vec<String>,
}

/// The answer: how the scan ran and the clusters it found, the most likely first, then the
/// secondary ones (sharing no cell with an earlier one) by decreasing ratio.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WarningScan {
    pub category: Option<String>,
    pub class: Option<String>,
    /// The study period's first and last city dates; the last is today.
    pub first_day: String,
    pub last_day: String,
    pub days: u32,
    pub max_cells: usize,
    pub radius_m: f64,
    pub max_window_days: u32,
    pub replications: u32,
    pub seed: u64,
    /// Cells of the scope the scan placed.
    pub cells_scanned: usize,
    /// Reports in the period in those cells.
    pub reports: u64,
    pub clusters: Vec<ScanCluster>,
}

#[derive(Debug)]
struct Asked {
    category: Option<String>,
    class: Option<String>,
    days: u32,
    settings: ScanSettings,
    seed_given: bool,
}

fn parse_query(pairs: &[(String, String)]) -> ApiResult<Asked> {
    checked_pairs(pairs, &PARAMETERS)?;
    let value = |name: &str| pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim());
    let category = value("category").map(category_parameter).transpose()?;
    // A class is a category code without its minor number: core's parser checks the kind and
    // the major number when given a minor one.
    let class = match value("class") {
        None => None,
        Some(text) => Some(
            CategoryCode::parse(&format!("{text}01"))
                .ok()
                .filter(|_| text.len() == 3)
                .map(|code| code.to_string()[..3].to_owned())
                .ok_or_else(|| {
                    ApiError::invalid_field(
                        "class",
                        "expected a kind letter and a major class number, as E05",
                    )
                })?,
        ),
    };
    if category.is_some() && class.is_some() {
        return Err(ApiError::invalid_field("class", "give a category or a class, not both"));
    }
    let whole = |name: &str, default: u64, range: std::ops::RangeInclusive<u64>| -> ApiResult<u64> {
        match value(name) {
            None => Ok(default),
            Some(text) => text.parse::<u64>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                ApiError::invalid_field(
                    name,
                    format!("expected a whole number from {} to {}", range.start(), range.end()),
                )
            }),
        }
    };
    let days = whole("days", u64::from(DEFAULT_DAYS), u64::from(MIN_DAYS)..=u64::from(MAX_DAYS))? as u32;
    let defaults = ScanSettings::default();
    let max_cells =
        whole("max_cells", defaults.max_cells as u64, 1..=MAX_CELLS_PER_CYLINDER as u64)? as usize;
    let max_window_days =
        whole("max_window_days", u64::from(defaults.max_window_days), 1..=u64::from(MAX_WINDOW_DAYS))? as u32;
    let replications = whole(
        "replications",
        u64::from(defaults.replications),
        u64::from(*REPLICATIONS.start())..=u64::from(MAX_REPLICATIONS),
    )? as u32;
    let radius_m = match value("radius_m") {
        None => defaults.max_radius_m.unwrap_or(MAX_RADIUS_M),
        Some(text) => {
            text.parse::<f64>().ok().filter(|r| r.is_finite() && *r > 0.0 && *r <= MAX_RADIUS_M).ok_or_else(
                || {
                    ApiError::invalid_field(
                        "radius_m",
                        format!("expected metres, more than 0 and at most {MAX_RADIUS_M}"),
                    )
                },
            )?
        }
    };
    let seed = whole("seed", 0, 0..=u64::MAX)?;
    Ok(Asked {
        category,
        class,
        days,
        settings: ScanSettings {
            max_cells,
            max_radius_m: Some(radius_m),
            max_window_days,
            replications,
            analysis_interval_days: 1.0,
            seed,
        },
        seed_given: value("seed").is_some(),
    })
}

fn date_text(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// The scan of `pairs` (the query's parameters) over `who`'s scope, as `run` says; the caller
/// checked the role.
pub async fn run_scan(
    state: &AppState,
    who: &Principal,
    pairs: &[(String, String)],
    run: ScanTerms,
) -> ApiResult<WarningScan> {
    let mut asked = parse_query(pairs)?;
    let mut filter = scope_of(who)?;
    filter.category = asked.category.as_deref().map(category_code_parameter).transpose()?;

    let zone = state.calendar.settings().timezone;
    let now = state.clock.now();
    let today = run.day.unwrap_or_else(|| now.with_timezone(&zone).date_naive());
    let first_day = today - chrono::Days::new(u64::from(asked.days - 1));
    if !asked.seed_given {
        asked.settings.seed = day_seed(today);
    }
    let start_of = |day: NaiveDate| {
        zone.from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map_or(now, |t| t.with_timezone(&Utc))
            .naive_utc()
    };
    let from = start_of(first_day);
    // A past day ends at the next midnight; today, at this moment (reports are never later).
    let to = (now.naive_utc() + chrono::Duration::seconds(1)).min(start_of(today + chrono::Days::new(1)));

    // The scope's cells, each at a point inside it; a cell the index cannot place is left out,
    // and so are its reports.
    let grid = state.router.snapshot();
    let mut codes: Vec<GridCode> = Vec::new();
    let mut points: Vec<GeoPoint> = Vec::new();
    if let Some(index) = grid.index.as_ref() {
        for code in index.codes().filter(|code| who.can_see_grid(*code)) {
            if let Some(point) = index.point_in_cell(code) {
                codes.push(code);
                points.push(point);
            }
        }
    }
    let work = asked.settings.work(codes.len());
    if work > run.max_work {
        return Err(ApiError::invalid_field(
            "replications",
            format!(
                "this scan would weigh {work} cylinders ({} cells × up to {} per circle × {} windows × {} shuffles \
                 and the data), more than the {} one request may: ask for fewer replications or \
                 max_cells, or scan a smaller area",
                codes.len(),
                asked.settings.max_cells,
                asked.settings.max_window_days,
                asked.settings.replications,
                run.max_work,
            ),
        ));
    }
    let position: HashMap<GridCode, u32> =
        codes.iter().enumerate().map(|(i, code)| (*code, i as u32)).collect();
    // The reports stream past and only each one's cell and day (and its case, for the links)
    // are kept.
    // The class as the kind and major number of core's code (checked when the query was read).
    let class = asked.class.as_deref().map(|class| CategoryCode::parse(&format!("{class}01"))).transpose();
    let class = class.map_err(|e| ApiError::internal(e.to_string()))?.map(|c| (c.kind(), c.major()));
    let scan_days = asked.days;
    let (cases, case_ids) = state
        .db
        .run(move |conn| {
            let (mut cases, mut case_ids) = (Vec::new(), Vec::new());
            stats::for_each_report(conn, &filter, from, to, &mut |row| {
                let category = row.case.category_code;
                if class.is_some_and(|class| class != (category.kind(), category.major())) {
                    return;
                }
                let Some(&location) = row.case.grid_code.and_then(|code| position.get(&code)) else {
                    return;
                };
                let date = row.occurred_at.and_utc().with_timezone(&zone).date_naive();
                let Ok(day) = u32::try_from((date - first_day).num_days()) else { return };
                if day >= scan_days {
                    return;
                }
                cases.push(ScanCase { location, day });
                case_ids.push(row.case_id);
            })?;
            Ok((cases, case_ids))
        })
        .await?;

    let (days, settings) = (asked.days, asked.settings);
    let outcome = web::block(move || {
        let outcome = scan::scan(&points, days, &cases, &settings);
        (outcome, cases)
    })
    .await
    .map_err(ApiError::internal)?;
    let (outcome, cases) = outcome;
    // Every input was checked above; a refusal here is a bug, not the caller's fault.
    let outcome = outcome.map_err(|e| ApiError::internal(e.to_string()))?;

    let clusters = outcome
        .clusters
        .iter()
        .map(|cluster| {
            let first_inside = days - cluster.window_days;
            let mut inside: Vec<String> = cases
                .iter()
                .zip(&case_ids)
                .filter(|(case, _)| case.day >= first_inside && cluster.locations.contains(&case.location))
                .map(|(_, id)| id.to_string())
                .collect();
            inside.sort();
            inside.dedup();
            inside.truncate(MAX_CASES_LISTED);
            ScanCluster {
                // A cluster holds its centre at least.
                centre: codes[cluster.locations[0] as usize],
                cells: cluster.locations.iter().map(|&i| codes[i as usize].to_string()).collect(),
                radius_m: cluster.radius_m.round(),
                from: date_text(today - chrono::Days::new(u64::from(cluster.window_days - 1))),
                to: date_text(today),
                window_days: cluster.window_days,
                observed: cluster.observed,
                expected: round(cluster.expected),
                llr: round(cluster.llr),
                p_value: cluster.p_value,
                recurrence_interval_days: round(cluster.recurrence_interval_days),
                cases: inside,
            }
        })
        .collect();
    Ok(WarningScan {
        category: asked.category,
        class: asked.class,
        first_day: date_text(first_day),
        last_day: date_text(today),
        days,
        max_cells: settings.max_cells,
        radius_m: settings.max_radius_m.unwrap_or(MAX_RADIUS_M),
        max_window_days: settings.max_window_days,
        replications: settings.replications,
        seed: settings.seed,
        cells_scanned: codes.len(),
        reports: outcome.total_cases,
        clusters,
    })
}

fn round(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}
