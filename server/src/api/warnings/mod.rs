//! `GET /api/v1/warnings/charts`: early warning by control chart (the space-time scan is
//! [`scan`], `GET /api/v1/warnings/scan`). For each place in the caller's scope (grid cell,
//! community or street), the daily reports of the last days against their baseline, run through core's chart ([`gridline_core::warning`]), and the day under way
//! judged as its reports arrive. The places that signal come first.
//!
//! - **Query**: `level` (`grid`, `community` or `street`; default `grid`), `category` (a
//!   category code; default every category), `chart` (`cusum` or `ewma`; default `cusum`),
//!   `days` (whole days charted before today, 1 to [`MAX_DAYS`]; default 14) and `limit` (places
//!   answered, 1 to 500; default 50).
//! - **Baseline**: each day's expected count is the place's reports over the
//!   [`BASELINE_DAYS`] days before it, spread by day effects (weekday, holiday, worked rest day)
//!   estimated on the whole scope's series over the baseline window before the first charted
//!   day. Days are the city's (the working calendar's time zone); the day under way is expected
//!   in proportion to the share of it elapsed.
//! - **Data**: the reports' statistics facts ([`crate::store::stats::for_each_report`]), by the place
//!   each case is in now.
//! - **Scope**: admins and viewers see the city, a dispatcher their street. Others are refused
//!   (403 `forbidden`): a handler's scope is a unit, not a place.
//! - **Errors**: an unknown or repeated parameter is 400 `invalid_query`, a bad value 422
//!   `invalid_field`; both name the parameter.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use gridline_core::warning::baseline::{DayEffects, expected, window_before};
use gridline_core::warning::chart::{Chart, Point};
use serde::Serialize;

use crate::api::cases::actions::{etag, problem};
use crate::app::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, category_code_parameter, category_parameter};
use crate::store::stats::{self, StatsFactRow};
use crate::warnings::{checked_pairs, scope_of};

pub mod scan;
pub mod signals;
pub mod topics;

/// Who watches for warnings (the service's list, which the live stream also reads).
use crate::warnings::WATCHERS;

/// Days of history each day's baseline is computed from.
pub const BASELINE_DAYS: u32 = 28;
/// The most whole days one answer charts.
pub const MAX_DAYS: u32 = 28;
/// The most places one answer charts.
pub const MAX_LIMIT: usize = 500;
const PARAMETERS: [&str; 5] = ["level", "category", "chart", "days", "limit"];

/// One day of a place's chart.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChartDay {
    /// The city's date, `YYYY-MM-DD`.
    pub date: String,
    pub observed: f64,
    pub expected: f64,
    /// The chart's value after the day.
    pub value: f64,
    pub limit: f64,
    pub signal: bool,
}

/// One place's chart.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlaceChart {
    /// The area code of the place (cell, community or street).
    pub place: String,
    /// Whether the day under way signals.
    pub signal: bool,
    /// Whole days that signalled.
    pub days_signalled: u32,
    /// The day under way, judged on the reports so far.
    pub today: ChartDay,
    /// The whole days charted, oldest first.
    pub days: Vec<ChartDay>,
}

/// The answer: the places of the caller's scope that had reports in the baseline window or
/// since, signalling first, then by the chart's value today.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WarningCharts {
    pub level: String,
    pub category: Option<String>,
    /// `cusum` or `ewma`.
    pub chart: String,
    pub baseline_days: u32,
    /// The city's date of the day under way.
    pub today: String,
    /// The share of the day under way elapsed, which its expected count is scaled by.
    pub share_of_day_elapsed: f64,
    /// Places that had any report in the period read, before `limit` was applied.
    pub places_counted: usize,
    pub places: Vec<PlaceChart>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Grid,
    Community,
    Street,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Grid => "grid",
            Level::Community => "community",
            Level::Street => "street",
        }
    }

    fn place(self, row: &StatsFactRow) -> Option<String> {
        match self {
            Level::Grid => row.case.grid_code.map(|code| code.to_string()),
            Level::Community => row.case.community_code.map(|code| code.to_string()),
            Level::Street => row.case.street_code.map(|code| code.to_string()),
        }
    }
}

#[derive(Debug)]
struct Asked {
    level: Level,
    category: Option<String>,
    chart: Chart,
    days: u32,
    limit: usize,
}

fn parse_query(pairs: &[(String, String)]) -> ApiResult<Asked> {
    checked_pairs(pairs, &PARAMETERS)?;
    let value = |name: &str| pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim());
    let level = match value("level") {
        None | Some("grid") => Level::Grid,
        Some("community") => Level::Community,
        Some("street") => Level::Street,
        Some(_) => return Err(ApiError::invalid_field("level", "expected grid, community or street")),
    };
    let category = value("category").map(category_parameter).transpose()?;
    let chart = match value("chart") {
        None | Some("cusum") => Chart::CUSUM,
        Some("ewma") => Chart::EWMA,
        Some(_) => return Err(ApiError::invalid_field("chart", "expected cusum or ewma")),
    };
    let number = |name: &str, default: usize, max: usize| -> ApiResult<usize> {
        match value(name) {
            None => Ok(default),
            Some(text) => text.parse::<usize>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
                ApiError::invalid_field(name, format!("expected a whole number from 1 to {max}"))
            }),
        }
    };
    let days = number("days", 14, MAX_DAYS as usize)? as u32;
    let limit = number("limit", 50, MAX_LIMIT)?;
    Ok(Asked { level, category, chart, days, limit })
}

fn day(date: NaiveDate, point: &Point) -> ChartDay {
    ChartDay {
        date: date.format("%Y-%m-%d").to_string(),
        observed: point.observed,
        expected: round(point.expected),
        value: round(point.value),
        limit: round(point.limit),
        signal: point.signal,
    }
}

fn round(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}

/// The charts of every place in `reports` (each report's place and city date).
fn charts(
    reports: &[(String, NaiveDate)],
    asked: &Asked,
    today: NaiveDate,
    share_elapsed: f64,
    calendar: &gridline_core::calendar::WorkingCalendar,
) -> Vec<PlaceChart> {
    let first = today - chrono::Days::new(u64::from(asked.days));
    let mut by_place: BTreeMap<&str, BTreeMap<NaiveDate, f64>> = BTreeMap::new();
    let mut scope_series: BTreeMap<NaiveDate, f64> = BTreeMap::new();
    for (place, date) in reports {
        *by_place.entry(place).or_default().entry(*date).or_default() += 1.0;
        *scope_series.entry(*date).or_default() += 1.0;
    }
    // The day effects of the whole scope, over the baseline window before the first charted day.
    let reference: Vec<(NaiveDate, f64)> = window_before(first, BASELINE_DAYS)
        .into_iter()
        .map(|d| (d, scope_series.get(&d).copied().unwrap_or(0.0)))
        .collect();
    let effects = DayEffects::estimate(&reference, calendar);
    let charted: Vec<NaiveDate> = (0..asked.days).map(|i| first + chrono::Days::new(u64::from(i))).collect();
    let mut out: Vec<PlaceChart> = by_place
        .into_iter()
        .map(|(place, counts)| {
            let count = |d: &NaiveDate| counts.get(d).copied().unwrap_or(0.0);
            let expect = |d: NaiveDate| {
                let window = window_before(d, BASELINE_DAYS);
                expected(window.iter().map(count).sum(), &window, d, &effects, calendar)
            };
            let series: Vec<(f64, f64)> = charted.iter().map(|d| (count(d), expect(*d))).collect();
            let points = asked.chart.run(&series);
            let previous = points.last().map_or(0.0, |p| p.value);
            let now = asked.chart.provisional(
                previous,
                asked.days + 1,
                count(&today),
                expect(today),
                share_elapsed,
            );
            PlaceChart {
                place: place.to_owned(),
                signal: now.signal,
                days_signalled: points.iter().filter(|p| p.signal).count() as u32,
                today: day(today, &now),
                days: charted.iter().zip(&points).map(|(d, p)| day(*d, p)).collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.signal.cmp(&a.signal).then(b.today.value.total_cmp(&a.today.value)).then(a.place.cmp(&b.place))
    });
    out
}

pub async fn charts_of_places(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<Vec<(String, String)>>,
) -> ApiResult<HttpResponse> {
    who.require_role(WATCHERS)?;
    let asked = parse_query(&query)?;
    let mut filter = scope_of(&who)?;
    filter.category = asked.category.as_deref().map(category_code_parameter).transpose()?;
    let calendar = state.calendar.clone();
    let zone = calendar.settings().timezone;
    let now = state.clock.now();
    let today = now.with_timezone(&zone).date_naive();
    let midnight = |date: NaiveDate| -> DateTime<Utc> {
        zone.from_local_datetime(&date.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map_or(now, |t| t.with_timezone(&Utc))
    };
    let share_elapsed = (now - midnight(today)).num_seconds() as f64 / 86_400.0;
    let first_read = today - chrono::Days::new(u64::from(asked.days + BASELINE_DAYS));
    let (from, to) = (midnight(first_read).naive_utc(), now.naive_utc() + chrono::Duration::seconds(1));
    let level = asked.level;
    let reports: Vec<(String, NaiveDate)> = state
        .db
        .run(move |conn| {
            let mut reports = Vec::new();
            stats::for_each_report(conn, &filter, from, to, &mut |row| {
                let date = row.occurred_at.and_utc().with_timezone(&zone).date_naive();
                if let Some(place) = level.place(&row) {
                    reports.push((place, date));
                }
            })?;
            Ok(reports)
        })
        .await?;
    let mut places = charts(&reports, &asked, today, share_elapsed, &calendar);
    let places_counted = places.len();
    places.truncate(asked.limit);
    Ok(HttpResponse::Ok().json(WarningCharts {
        level: asked.level.as_str().to_owned(),
        category: asked.category,
        chart: asked.chart.name().to_owned(),
        baseline_days: BASELINE_DAYS,
        today: today.format("%Y-%m-%d").to_string(),
        share_of_day_elapsed: round(share_elapsed),
        places_counted,
        places,
    }))
}

/// 409 `version_mismatch` for a step whose `If-Match` names an older version of the `what`
/// (`signal`, `topic`), with the current version's `ETag` to retry with.
pub(crate) fn stale(what: &str, current_version: i32) -> HttpResponse {
    let mut response = problem(
        StatusCode::CONFLICT,
        "version_mismatch",
        &format!("the {what} has changed since the version in If-Match; read it again and retry"),
        None,
    );
    if let Ok(value) = HeaderValue::from_str(&etag(current_version)) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// 428 `precondition_required` for a step sent without `If-Match`; `read_at` is where the
/// `what`'s `ETag` is read.
pub(crate) fn precondition_required(what: &str, read_at: &str) -> HttpResponse {
    problem(
        StatusCode::PRECONDITION_REQUIRED,
        "precondition_required",
        &format!("send If-Match with the {what}'s ETag (its version), as returned by GET {read_at}"),
        None,
    )
}

/// Words in both languages, from core's `(zh, en)` pair.
pub(crate) fn names((zh, en): (&str, &str)) -> gridline_core::taxonomy::Names {
    gridline_core::taxonomy::Names { zh: zh.to_owned(), en: en.to_owned() }
}
