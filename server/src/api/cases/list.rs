//! `GET /api/v1/cases`: the staff case list. Only cases the caller's scope holds (a dispatcher's
//! street, an inspector's cells, a handler's unit, a district admin's district, the whole city
//! for an admin), newest first,
//! filtered by:
//!
//! - `state`: one state or a comma list (`reported,registered`);
//! - `category`: a category code; `unit`: a handling unit; `overdue`: `true` or `false`;
//! - `channel`: the way in, one or a comma list (`hotline,app`; core's `Channel` names);
//! - `urgency`: one or a comma list (`urgent,very_urgent`; core's `Urgency` names);
//! - `area`: a district, street, community or grid code (its cells);
//! - `from` / `to`: report time, RFC 3339 (from inclusive, to exclusive);
//! - `tracking_number`: the case with that number (as citizens read it out: any case);
//! - `q`: text (2-100 characters, Chinese or English) in the report's description, answers or
//!   tracking number, or in a step's note or reason; combined with every other filter;
//! - `triage`: `true` for the triage queue only (cases that routed to no cell, listed to the
//!   street office nearest to them; see [`super::triage`]), `false` for cases with a cell;
//! - `flagged_to_district`: `true` for the cases flagged to the district for changing hands
//!   more than twice (a district admin's list of them), `false` for the others;
//! - `format`: `csv` or `jsonl` answers every matching case as a streamed file instead of a
//!   page (see [`super::export`]);
//! - `limit` (1–200, default 50) and `cursor` (the `next_cursor` of the previous page).
//!
//! Citizens have their own list (`/api/v1/reports/mine`) and are refused here. Each case is in
//! the staff view of [`super::render`], so who may see a reporter follows the same rule as the
//! case page.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDateTime};
use gridline_core::codes::{AreaCode, AreaLevel, CategoryCode};
use gridline_core::protocol::{CaseListPage, CaseView};
use gridline_core::workflow::{CaseState, Channel, Role, Urgency};
use serde::Deserialize;

use super::{View, render};
use crate::app::AppState;
use crate::auth::Principal;
use crate::auth::scope::area_grid_range;
use crate::error::{ApiError, ApiResult};
use crate::store::case_list::{self, ListFilter};

/// Cases per page unless `limit` says otherwise, and the most it may say.
pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub state: Option<String>,
    pub category: Option<String>,
    pub unit: Option<String>,
    pub overdue: Option<bool>,
    pub area: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    pub channel: Option<String>,
    /// One urgency or a comma list: only cases of these.
    pub urgency: Option<String>,
    pub tracking_number: Option<String>,
    pub q: Option<String>,
    /// `true`: only the triage queue (cases in no cell); `false`: only cases with a cell.
    pub triage: Option<bool>,
    /// `true`: only cases flagged to the district for bouncing; `false`: only the others.
    pub flagged_to_district: Option<bool>,
    /// `csv` or `jsonl`: every matching case as a file ([`super::export`]).
    pub format: Option<String>,
}

fn time(field: &str, text: &str) -> ApiResult<NaiveDateTime> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.naive_utc())
        .map_err(|_| ApiError::invalid_field(field, "expected an RFC 3339 date and time"))
}

/// A page cursor is `<microseconds since 1970>.<case id>` of the last case of a page.
fn encode_cursor(at: NaiveDateTime, id: &str) -> String {
    format!("{}.{id}", at.and_utc().timestamp_micros())
}

fn decode_cursor(text: &str) -> ApiResult<(NaiveDateTime, String)> {
    let bad = || ApiError::invalid_field("cursor", "expected the next_cursor of an earlier page");
    let (micros, id) = text.split_once('.').ok_or_else(bad)?;
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    let at = DateTime::from_timestamp_micros(micros).ok_or_else(bad)?.naive_utc();
    let id = uuid::Uuid::parse_str(id).map_err(|_| bad())?.to_string();
    Ok((at, id))
}

/// A comma list of core's wire names (states, channels, urgencies) in their stored form; nothing when
/// absent or blank. A name core does not know is refused, naming `field`.
fn wire_names<T>(field: &str, text: Option<&str>) -> ApiResult<Vec<String>>
where
    T: std::str::FromStr<Err = gridline_core::workflow::UnknownName> + std::fmt::Display,
{
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else { return Ok(Vec::new()) };
    text.split(',')
        .map(|name| {
            name.trim()
                .parse::<T>()
                .map(|v| v.to_string())
                .map_err(|e| ApiError::invalid_field(field, e.to_string()))
        })
        .collect()
}

/// The filter a query asks for, every value checked; each refusal names its parameter.
pub fn filter_of(query: &ListQuery) -> ApiResult<ListFilter> {
    let mut filter = ListFilter {
        states: wire_names::<CaseState>("state", query.state.as_deref())?,
        channels: wire_names::<Channel>("channel", query.channel.as_deref())?,
        urgencies: wire_names::<Urgency>("urgency", query.urgency.as_deref())?,
        ..ListFilter::default()
    };
    if let Some(category) = query.category.as_deref() {
        let code = CategoryCode::parse(category.trim())
            .map_err(|e| ApiError::invalid_field("category", e.to_string()))?;
        filter.category = Some(code.to_string());
    }
    if let Some(unit) = query.unit.as_deref() {
        let unit = unit.trim();
        // A control character can be no unit's code, and PostgreSQL refuses a NUL in any text.
        if unit.is_empty()
            || unit.len() > crate::auth::scope::MAX_UNIT_CODE_CHARS
            || unit.chars().any(char::is_control)
        {
            return Err(ApiError::invalid_field("unit", "expected a handling unit code"));
        }
        filter.handling_unit = Some(unit.to_owned());
    }
    filter.overdue = query.overdue;
    filter.triage = query.triage;
    filter.flagged_to_district = query.flagged_to_district;
    if let Some(area) = query.area.as_deref() {
        let area =
            AreaCode::parse(area.trim()).map_err(|e| ApiError::invalid_field("area", e.to_string()))?;
        let (first, last) = area_grid_range(area)
            .ok_or_else(|| ApiError::invalid_field("area", "this area can hold no grid cell"))?;
        filter.grid_range = Some((first.to_string(), last.to_string()));
        // A district's or a street's cases in no cell are its own too (the scopes say the same).
        filter.triage_streets = match area.level() {
            AreaLevel::District => Some((format!("{area}001"), format!("{area}999"))),
            AreaLevel::Street => Some((area.to_string(), area.to_string())),
            AreaLevel::Community | AreaLevel::Grid => None,
        };
    }
    filter.from = query.from.as_deref().map(|t| time("from", t)).transpose()?;
    filter.to = query.to.as_deref().map(|t| time("to", t)).transpose()?;
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && to <= from
    {
        return Err(ApiError::invalid_field("to", "the end of the range must come after its start"));
    }
    filter.after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    if let Some(number) = query.tracking_number.as_deref() {
        let number = crate::store::tracking::normalized(number).ok_or_else(|| {
            ApiError::invalid_field("tracking_number", "expected a tracking number such as GL-261203-4Y061X")
        })?;
        filter.tracking_number = Some(number);
    }
    if let Some(text) = query.q.as_deref() {
        let text = text.trim();
        let chars = text.chars().count();
        if !(case_list::MIN_SEARCH_CHARS..=case_list::MAX_SEARCH_CHARS).contains(&chars) {
            return Err(ApiError::invalid_field(
                "q",
                format!(
                    "expected {} to {} characters to search for",
                    case_list::MIN_SEARCH_CHARS,
                    case_list::MAX_SEARCH_CHARS
                ),
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(ApiError::invalid_field("q", "a search holds no control character"));
        }
        // A whole tracking number typed into the search box is that case, found by its key (a
        // unique index) rather than by scanning the text index for its pieces.
        match crate::store::tracking::whole_number(text) {
            Some(number) if filter.tracking_number.as_ref().is_none_or(|given| *given == number) => {
                filter.tracking_number = Some(number);
            }
            _ => filter.text = Some(text.to_owned()),
        }
    }
    Ok(filter)
}

pub async fn list(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[
        Role::Admin,
        Role::DistrictAdmin,
        Role::Dispatcher,
        Role::Inspector,
        Role::Handler,
        Role::Viewer,
    ])?;
    if let Some(format) = query.format.as_deref() {
        let format = super::export::Format::parse(format)?;
        if query.limit.is_some() || query.cursor.is_some() {
            let field = if query.limit.is_some() { "limit" } else { "cursor" };
            return Err(ApiError::invalid_field(
                field,
                "an export holds every matching case: no limit or cursor",
            ));
        }
        let filter = filter_of(&query)?;
        let scope = who.case_filter();
        return Ok(super::export::stream(
            state,
            who,
            scope,
            filter,
            format,
            super::export::Projection::Staff,
        ));
    }
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid_field("limit", format!("expected 1 to {MAX_LIMIT}")));
    }
    let filter = filter_of(&query)?;
    let scope = who.case_filter();
    // One page and the report photos of its cases, in one blocking call.
    let (page, more, mut photos) = state
        .db
        .run(move |conn| {
            let mut page = case_list::list(conn, &scope, &filter, limit + 1)?;
            let more = page.len() as i64 > limit;
            page.truncate(limit as usize);
            let photos = crate::store::cases::photo_ids_of(conn, &page)?;
            Ok((page, more, photos))
        })
        .await?;
    let next_cursor =
        if more { page.last().map(|c| encode_cursor(c.row.created_at, &c.row.id.to_string())) } else { None };
    let now = state.clock.now();
    let items: Vec<CaseView> = page
        .iter()
        .map(|case| {
            render(case, View::Staff, Some(&who), photos.remove(&case.row.id).unwrap_or_default(), now)
        })
        .collect();
    Ok(HttpResponse::Ok().json(CaseListPage { items, next_cursor }))
}
