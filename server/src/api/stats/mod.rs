//! `GET /api/v1/stats`: case statistics for a time range, grouped by district, street,
//! community, grid, category, handling unit or channel (the way in), as JSON or CSV.
//!
//! - **Query**: `from`, `to` (required; RFC 3339 instants, or dates `YYYY-MM-DD` read on the
//!   working calendar's time zone, `to` as a date meaning the end of that day; the range is
//!   `[from, to)`, at most [`MAX_RANGE_DAYS`] days), `group_by` (default `street`; `day` gives
//!   one group per day of at most [`MAX_DAILY_DAYS`], each day's figures as if it were the
//!   range, keyed by its date: the dashboard's trend lines), optional
//!   `area` (an area code: only cases there), `category` and `channel`, and `format` (`json` or
//!   `csv`).
//! - **Format**: `format=csv` or `format=json` decides; without it, an `Accept` header naming
//!   `text/csv` gets CSV and anything else JSON.
//! - **Scope**: an admin (or the system) counts the whole city, a dispatcher the cases in their
//!   street, a handler the cases dispatched to their unit. Citizens and inspectors are refused
//!   (403 `forbidden`): the figures describe the work of offices and units. An `area` outside a
//!   dispatcher's street is 403 `out_of_scope`.
//! - **Errors**: an unknown or repeated parameter is 400 `invalid_query`, a bad value 422
//!   `invalid_field`; both name the parameter in `field`.
//!
//! The definitions of every figure are in `docs/statistics.md`; the arithmetic in [`compute`].
//! A range of whole city days grouped by a column the roll-ups keep (district, street,
//! category, unit, channel, or by day), in an area no smaller than a street, is summed from the
//! roll-ups ([`crate::store::rollups`]); anything else counts the facts of the range. Both give
//! the same figures (`tests/it/stats_rollups.rs` compares them).

pub mod compute;
pub mod joint;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use gridline_core::calendar::WorkingCalendar;
use gridline_core::codes::{AreaCode, AreaLevel, CategoryCode};
use gridline_core::workflow::scope::Scope;
use gridline_core::workflow::words::RATINGS;
use gridline_core::workflow::{Channel, Role};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};

use crate::app::AppState;
use crate::auth::{CaseFilter, Principal};
use crate::error::{ApiError, ApiResult, ErrorKind, category_code_parameter};
use crate::store::hotline_calls::{self, CallsBy};
use crate::store::rollups::{self, Day, RollupFilter, RollupGroup, Rows};
use crate::store::stats::{self, StatsFilter};
use crate::store::{DbConnection, StoreResult};
use compute::{Figures, GroupBy, Range, Rules};

/// Who reads statistics (cut to their scope): the street office, the district, the city, the
/// units and viewers; also the units' joint figures ([`joint`]).
pub(crate) const READERS: &[Role] =
    &[Role::Admin, Role::DistrictAdmin, Role::System, Role::Dispatcher, Role::Handler, Role::Viewer];

/// The longest range one request may ask for, in days.
pub const MAX_RANGE_DAYS: i64 = 366;
/// The longest range of a daily series (`group_by=day`), in days.
pub const MAX_DAILY_DAYS: i64 = 92;

const PARAMETERS: [&str; 7] = ["from", "to", "group_by", "area", "category", "channel", "format"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

/// The query after its checks.
#[derive(Debug)]
struct Asked {
    range: Range,
    group_by: GroupBy,
    /// `group_by=day`: one group per day instead of per `group_by`.
    daily: bool,
    area: Option<AreaCode>,
    category: Option<CategoryCode>,
    channel: Option<Channel>,
    format: Option<Format>,
}

fn invalid_query(field: &str, detail: String) -> ApiError {
    ApiError::bad_request("invalid_query", detail).with_field(field)
}

/// An instant: RFC 3339, or a calendar date read at local midnight (`end_of_day`: the next one).
fn parse_instant(
    field: &str,
    text: &str,
    end_of_day: bool,
    calendar: &WorkingCalendar,
) -> ApiResult<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let bad = || ApiError::invalid_field(field, "expected an RFC 3339 date and time or a date YYYY-MM-DD");
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| bad())?;
    let date = if end_of_day { date.succ_opt().ok_or_else(bad)? } else { date };
    let zone = calendar.settings().timezone;
    zone.from_local_datetime(&date.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(bad)
}

fn parse_query(pairs: &[(String, String)], calendar: &WorkingCalendar) -> ApiResult<Asked> {
    let mut seen: Vec<&str> = Vec::new();
    for (name, _) in pairs {
        if !PARAMETERS.contains(&name.as_str()) {
            return Err(invalid_query(
                name,
                format!("unknown parameter; expected one of {}", PARAMETERS.join(", ")),
            ));
        }
        if seen.contains(&name.as_str()) {
            return Err(invalid_query(name, "the parameter is given more than once".to_owned()));
        }
        seen.push(name);
    }
    let value = |name: &str| pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim());
    let required = |name: &str| {
        value(name).filter(|v| !v.is_empty()).ok_or_else(|| {
            ApiError::invalid_field(name, "required: an RFC 3339 date and time or a date YYYY-MM-DD")
        })
    };
    let from = parse_instant("from", required("from")?, false, calendar)?;
    let to = parse_instant("to", required("to")?, true, calendar)?;
    if to <= from {
        return Err(ApiError::invalid_field("to", "the end of the range must come after its start"));
    }
    if to - from > Duration::days(MAX_RANGE_DAYS) {
        return Err(ApiError::invalid_field("to", format!("a range spans at most {MAX_RANGE_DAYS} days")));
    }
    let daily = value("group_by") == Some("day");
    if daily && to - from > Duration::days(MAX_DAILY_DAYS) {
        return Err(ApiError::invalid_field(
            "to",
            format!("a daily series spans at most {MAX_DAILY_DAYS} days"),
        ));
    }
    let group_by = match value("group_by") {
        None => GroupBy::Street,
        Some("day") => GroupBy::District,
        Some(text) => GroupBy::parse(text).ok_or_else(|| {
            let names: Vec<&str> = GroupBy::ALL.iter().map(|g| g.as_str()).chain(["day"]).collect();
            ApiError::invalid_field("group_by", format!("expected one of {}", names.join(", ")))
        })?,
    };
    let area = value("area")
        .map(|text| {
            AreaCode::parse(text).map_err(|_| {
                ApiError::invalid_field(
                    "area",
                    "expected an area code of 6 (district), 9 (street), 12 (community) or 15 (grid) digits",
                )
            })
        })
        .transpose()?;
    let category = value("category").map(category_code_parameter).transpose()?;
    let channel = value("channel")
        .map(|text| text.parse::<Channel>().map_err(|e| ApiError::invalid_field("channel", e.to_string())))
        .transpose()?;
    let format = match value("format") {
        None => None,
        Some("json") => Some(Format::Json),
        Some("csv") => Some(Format::Csv),
        Some(_) => return Err(ApiError::invalid_field("format", "expected json or csv")),
    };
    Ok(Asked { range: Range { from, to }, group_by, daily, area, category, channel, format })
}

/// CSV when asked for by `format`, else when `Accept` names `text/csv`.
fn wants_csv(req: &HttpRequest, format: Option<Format>) -> bool {
    match format {
        Some(format) => format == Format::Csv,
        None => req
            .headers()
            .get_all(header::ACCEPT)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|media| media.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("text/csv"))),
    }
}

/// The rows the caller may count: their scope, narrowed by `area` and `category`.
fn filter_for(who: &Principal, asked: &Asked) -> ApiResult<StatsFilter> {
    let mut filter =
        StatsFilter { category: asked.category, channel: asked.channel, ..StatsFilter::default() };
    match who.case_filter() {
        CaseFilter::All => {}
        CaseFilter::GridRange { area, first, last } => {
            filter.grid_range = Some((first, last));
            // The same cases again by the scope's own column (a case's street and district are
            // its cell's, routing's rule), which the read is indexed by with the deadline: the
            // grid range alone leads the read through the city's due cases.
            filter.area = Some(area);
        }
        CaseFilter::HandlingUnit(unit) => filter.handling_unit = Some(unit),
        CaseFilter::GridIn { .. } | CaseFilter::ReportedBy(_) | CaseFilter::Nothing => {
            return Err(ApiError::forbidden(
                "statistics are for the street office, handling units and the city",
            ));
        }
    }
    if let Some(area) = asked.area {
        // A handler counts by unit, wherever the cases are: an area only narrows that.
        if who.role != Role::Handler && !who.can_see_area(area) {
            return Err(ApiError::new(
                ErrorKind::Forbidden,
                "out_of_scope",
                "this area is outside the area your account covers",
            )
            .with_field("area"));
        }
        // Inside the caller's scope (checked above), so it narrows the scope's own area.
        filter.area = Some(area);
    }
    Ok(filter)
}

/// Streams the calls and the cases of `range` that `filter` admits through `counter`.
fn count<C: compute::Count>(
    conn: &mut DbConnection,
    filter: &StatsFilter,
    range: Range,
    mut counter: C,
) -> StoreResult<compute::Statistics> {
    stats::for_each_call(conn, filter, range.from, range.to, &mut |call| counter.add_call(call))?;
    let (from, to) = (range.from.naive_utc(), range.to.naive_utc());
    stats::for_each_case(conn, filter, from, to, &mut |facts| counter.add_case(facts))?;
    Ok(counter.finish())
}

/// A range the roll-ups can answer: whole days, a column they keep, an area no smaller than a
/// street.
#[derive(Debug, Clone)]
struct RollupPlan {
    filter: RollupFilter,
    from: Day,
    to: Day,
    /// `None`: by day.
    group: Option<RollupGroup>,
}

fn rollup_plan(
    filter: &StatsFilter,
    range: Range,
    group_by: GroupBy,
    daily: bool,
    calendar: &WorkingCalendar,
) -> Option<RollupPlan> {
    let whole_day = |at: DateTime<Utc>| {
        let date = calendar.date_of(at);
        (calendar.start_of(date) == Some(at)).then(|| rollups::day_number(date))
    };
    let (from, to) = (whole_day(range.from)?, whole_day(range.to)?);
    let group = match (daily, group_by) {
        (true, _) => None,
        (false, GroupBy::District) => Some(RollupGroup::District),
        (false, GroupBy::Street) => Some(RollupGroup::Street),
        (false, GroupBy::Category) => Some(RollupGroup::Category),
        (false, GroupBy::Unit) => Some(RollupGroup::Unit),
        (false, GroupBy::Channel) => Some(RollupGroup::Channel),
        (false, GroupBy::Community | GroupBy::Grid) => return None,
    };
    let mut narrowed = RollupFilter {
        category: filter.category,
        unit: filter.handling_unit.clone(),
        channel: filter.channel,
        ..RollupFilter::default()
    };
    // A dispatcher's cells are their street's (routing's rule), which the area names.
    match filter.area.map(|area| (area.level(), area)) {
        None if filter.grid_range.is_some() => return None,
        None => {}
        Some((AreaLevel::District, area)) => narrowed.district = Some(area),
        Some((AreaLevel::Street, area)) => narrowed.street = Some(area),
        Some((AreaLevel::Community | AreaLevel::Grid, _)) => return None,
    }
    Some(RollupPlan { filter: narrowed, from, to, group })
}

/// The figures of `plan` from the roll-ups, with the hotline's calls of the range.
fn sum(
    conn: &mut DbConnection,
    range: Range,
    plan: &RollupPlan,
    calendar: &WorkingCalendar,
) -> StoreResult<compute::Statistics> {
    let mut counter = match plan.group {
        Some(_) => compute::SumCounter::grouped(range, calendar),
        None => compute::SumCounter::daily(range, calendar),
    };
    let (days, narrowed) = ((plan.from, plan.to), &plan.filter);
    let by = plan.group.map_or(CallsBy::Day, CallsBy::Case);
    let seconds = (range.from.timestamp(), range.to.timestamp());
    counter.add_calls(&hotline_calls::count(conn, narrowed, seconds, by)?);
    // Handling times are summed by the hour; then only the hundredths of the hours that hold
    // a p90's rank are read.
    match plan.group {
        Some(group) => {
            counter.add(&rollups::sum(conn, narrowed, days, Some(group), Rows::Figures)?);
            let hours = counter.p90_hours();
            counter.add_times(&rollups::sum(conn, narrowed, days, Some(group), Rows::TimesWithin(&hours))?);
        }
        None => {
            counter.add(&rollups::sum_daily(conn, narrowed, days, Rows::Figures)?);
            counter.add_total(&rollups::sum(conn, narrowed, days, None, Rows::Figures)?);
            let hours = counter.p90_hours();
            counter.add_times(&rollups::sum_daily(conn, narrowed, days, Rows::TimesWithin(&hours))?);
            let total: Vec<i64> = counter.total_p90_hour().into_iter().collect();
            counter.add_total_times(&rollups::sum(conn, narrowed, days, None, Rows::TimesWithin(&total))?);
        }
    }
    Ok(counter.finish())
}

/// The JSON answer: the figures per group and in total, with what was asked.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Statistics)]
pub struct StatisticsAnswer {
    /// The range's start (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub from: String,
    /// The range's end, excluded (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub to: String,
    /// What the groups are: a [`GroupBy`] or `day`.
    #[schema(schema_with = group_by_schema)]
    pub group_by: &'static str,
    /// The caller's scope, which the figures are cut to.
    #[schema(schema_with = reader_scope_schema)]
    pub scope: &'static str,
    pub area: Option<String>,
    pub category: Option<String>,
    pub channel: Option<Channel>,
    pub groups: Vec<Group>,
    pub total: Figures,
}

/// The figures of one group.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = StatisticsGroup)]
pub struct Group {
    /// The group's code; null for cases without one (e.g. never dispatched, by unit).
    pub key: Option<String>,
    #[serde(flatten)]
    pub figures: Figures,
}

fn group_by_schema() -> utoipa::openapi::Object {
    let names = GroupBy::ALL.iter().map(|g| g.as_str()).chain(["day"]);
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(names)).build()
}

/// The scope kinds of the roles that read statistics.
fn reader_scope_schema() -> utoipa::openapi::Object {
    let mut kinds: Vec<&str> = READERS.iter().flat_map(|&role| Scope::kinds_for(role)).copied().collect();
    kinds.sort_unstable();
    kinds.dedup();
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(kinds)).build()
}

/// The schema of [`Figures`], read off the type's own serialized form so that it cannot drift
/// from it: a count is a whole number from 0 up, a rate a share from 0 to 1, the mean rating
/// within [`RATINGS`], and a mean or a rate with nothing in its denominator is null.
impl utoipa::PartialSchema for Figures {
    fn schema() -> RefOr<Schema> {
        let fields = match serde_json::to_value(Figures::default()) {
            Ok(serde_json::Value::Object(fields)) => fields,
            _ => serde_json::Map::new(),
        };
        let mut object = ObjectBuilder::new()
            .description(Some("Counts are of cases; a rate or mean with nothing in its denominator is null"));
        for (name, zero) in fields {
            let field = if zero.is_null() {
                let number =
                    ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::Number, Type::Null]));
                if name.ends_with("_rate") {
                    number.minimum(Some(0)).maximum(Some(1))
                } else if name == "rating_mean" {
                    number.minimum(Some(*RATINGS.start())).maximum(Some(*RATINGS.end()))
                } else {
                    number
                }
            } else {
                ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0))
            };
            object = object.property(name.clone(), field).required(name);
        }
        object.into()
    }
}

impl ToSchema for Figures {
    fn name() -> std::borrow::Cow<'static, str> {
        "StatisticsFigures".into()
    }
}

/// One CSV field, quoted when it holds a separator, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

pub(crate) fn csv_line(cells: impl IntoIterator<Item = String>) -> String {
    let mut line = cells.into_iter().map(|c| csv_field(&c)).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

fn to_csv(statistics: &compute::Statistics) -> String {
    let header = ["row", "key"].into_iter().chain(Figures::COLUMNS).map(str::to_owned);
    let mut out = csv_line(header);
    for (key, figures) in &statistics.groups {
        let lead = ["group".to_owned(), key.clone().unwrap_or_default()];
        out.push_str(&csv_line(lead.into_iter().chain(figures.cells())));
    }
    let lead = ["total".to_owned(), String::new()];
    out.push_str(&csv_line(lead.into_iter().chain(statistics.total.cells())));
    out
}

pub async fn stats(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    query: web::Query<Vec<(String, String)>>,
) -> ApiResult<HttpResponse> {
    who.require_role(READERS)?;
    // Working hours are counted on the calendar deadlines are set on: the city's.
    let calendar = &*state.calendar;
    let asked = parse_query(&query, calendar)?;
    let filter = filter_for(&who, &asked)?;
    let range = asked.range;
    let (group_by, daily) = (asked.group_by, asked.daily);
    let plan = rollup_plan(&filter, range, group_by, daily, calendar);
    // The city's calendar and response limit, as the roll-ups were counted by them: both reads
    // count by the same rules.
    let city = state.rollup_rules.clone();
    // Counted where the rows are read: each case's facts are tallied as they stream past and
    // dropped, so the memory is that of the groups, not of the range's facts.
    let statistics = state
        .db
        .run(move |conn| {
            if let Some(plan) = &plan
                && rollups::usable(conn, &city)?
            {
                return crate::store::read_transaction(conn, |conn| sum(conn, range, plan, &city.calendar));
            }
            let rules = Rules { calendar: &city.calendar, response_limit: city.response_limit };
            if daily {
                count(conn, &filter, range, compute::DailyCounter::new(range, rules))
            } else {
                count(conn, &filter, range, compute::Counter::new(range, group_by, rules))
            }
        })
        .await?;

    if wants_csv(&req, asked.format) {
        return Ok(HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
            .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"gridline-stats.csv\""))
            .body(to_csv(&statistics)));
    }
    let groups = statistics.groups.into_iter().map(|(key, figures)| Group { key, figures }).collect();
    Ok(HttpResponse::Ok().json(StatisticsAnswer {
        from: asked.range.from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        to: asked.range.to.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        group_by: if asked.daily { "day" } else { asked.group_by.as_str() },
        scope: who.scope.kind(),
        area: asked.area.map(|a| a.to_string()),
        category: asked.category.map(String::from),
        channel: asked.channel,
        groups,
        total: statistics.total,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &str) -> Vec<(String, String)> {
        query
            .split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn dates_are_read_on_the_calendar_time_zone_and_to_includes_its_day() {
        let calendar = WorkingCalendar::china().unwrap();
        let asked = parse_query(&pairs("from=2026-11-02&to=2026-11-06"), &calendar).unwrap();
        assert_eq!(asked.range.from.to_rfc3339(), "2026-11-01T16:00:00+00:00");
        assert_eq!(asked.range.to.to_rfc3339(), "2026-11-06T16:00:00+00:00");
        assert_eq!(asked.group_by, GroupBy::Street);
    }

    #[test]
    fn each_bad_parameter_is_named() {
        let calendar = WorkingCalendar::china().unwrap();
        let field = |q: &str| parse_query(&pairs(q), &calendar).unwrap_err().field.unwrap();
        assert_eq!(field("to=2026-11-06"), "from");
        assert_eq!(field("from=2026-11-02"), "to");
        assert_eq!(field("from=yesterday&to=2026-11-06"), "from");
        assert_eq!(field("from=2026-11-06&to=2026-11-02"), "to");
        assert_eq!(field("from=2025-01-01&to=2026-11-02"), "to");
        assert_eq!(field("from=2026-11-02&to=2026-11-06&group_by=planet"), "group_by");
        assert_eq!(field("from=2026-11-02&to=2026-11-06&area=12"), "area");
        assert_eq!(field("from=2026-11-02&to=2026-11-06&format=xls"), "format");
        assert_eq!(field("from=2026-11-02&to=2026-11-06&channel=fax"), "channel");
        assert_eq!(field("from=2026-11-02&to=2026-11-06&colour=red"), "colour");
        assert_eq!(field("from=2026-11-02&to=2026-11-06&from=2026-11-03"), "from");
    }

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("310104001"), "310104001");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
