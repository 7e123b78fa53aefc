//! `GET /api/v1/cases?format=csv` and `?format=jsonl`: the case list as a file, for any filter
//! the list takes (state, category, unit, overdue, area, from/to, tracking number, text), in
//! the caller's scope, every matching case rather than one page.
//!
//! The answer is streamed: the cases are read a page at a time with the list's keyset cursor
//! and written out before the next page is read, so memory stays the same for ten cases or a
//! million. Each case is the list's own staff view ([`super::render`]): the personal data in it
//! is what the caller's role may see on the case page (the reporter's account only for the
//! street office and the city, never for an anonymous report). JSON Lines carries that view
//! whole, one case per line; CSV carries its flat columns ([`COLUMNS`]).
//!
//! `GET /api/v1/open-data/cases` streams the same way in the open-data projection
//! ([`OpenCaseRecord`]): no description, reporter, photo or point, for the city to publish.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use bytes::Bytes;
use chrono::NaiveDateTime;
use gridline_core::protocol::OpenCaseRecord;
use gridline_core::workflow::Role;
use serde::Deserialize;
use serde_json::Value;

use super::{View, render};
use crate::api::stats::csv_line;
use crate::app::AppState;
use crate::auth::{CaseFilter, Principal};
use crate::error::{ApiError, ApiResult};
use crate::store::case_list::{self, ListFilter};
use crate::store::cases::FullCase;

/// Cases read per trip to the database while streaming.
pub const EXPORT_PAGE: i64 = 200;

/// The CSV columns, in order: fields of the case's staff view (`placement.grid` is a field of
/// `placement`); `reporter_id` and `reporter_role` are empty where the role may not see them.
pub const COLUMNS: [&str; 23] = [
    "id",
    "tracking_number",
    "state",
    "category",
    "description",
    "placement.grid",
    "placement.street",
    "placement.district",
    "placement.outcome",
    "position.lat",
    "position.lon",
    "handling_unit",
    "deadline",
    "overdue",
    "created_at",
    "updated_at",
    "merged_into",
    "rating",
    "anonymous",
    "reporter.id",
    "reporter.role",
    "channel",
    "urgency",
];

/// The two file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
}

impl Format {
    pub fn parse(text: &str) -> ApiResult<Self> {
        match text.trim() {
            "csv" => Ok(Self::Csv),
            "jsonl" => Ok(Self::JsonLines),
            _ => Err(ApiError::invalid_field("format", "expected csv or jsonl")),
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::JsonLines => "application/jsonl; charset=utf-8",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::JsonLines => "jsonl",
        }
    }
}

/// Which shape each case takes in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Projection {
    /// The staff view the case list answers, as the caller's role may see it.
    Staff,
    /// [`OpenCaseRecord`]: nothing that identifies a person.
    OpenData,
}

impl Projection {
    fn file_stem(self) -> &'static str {
        match self {
            Self::Staff => "cases",
            Self::OpenData => "open-cases",
        }
    }
}

/// The open-data line of a case.
pub fn open_record(case: &FullCase) -> OpenCaseRecord {
    let row = &case.row;
    OpenCaseRecord {
        tracking_number: row.tracking_number.clone(),
        channel: row.channel,
        category: row.category_code,
        category_kind: row.category_code.kind().as_str().to_owned(),
        state: row.state,
        grid: row.grid_code.as_ref().map(ToString::to_string),
        community: row.community_code.clone(),
        street: row.street_code.clone(),
        district: row.district_code.clone(),
        handling_unit: row.handling_unit.clone(),
        reported_at: row.created_at.and_utc(),
        deadline: case.workflow.deadline.map(|d| d.and_utc()),
        overdue: case.workflow.overdue,
        last_change_at: row.updated_at.and_utc(),
    }
}

/// `GET /api/v1/open-data/cases`: the filters of the case list that say nothing about a person.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenDataQuery {
    pub state: Option<String>,
    pub category: Option<String>,
    pub channel: Option<String>,
    pub unit: Option<String>,
    pub area: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// `csv` (the default) or `jsonl`.
    pub format: Option<String>,
}

/// `GET /api/v1/open-data/cases`: every case of the caller's scope (a dispatcher's street, a
/// district admin's district, the whole city for an admin) matching the filters, as open data.
pub async fn open_data(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<OpenDataQuery>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin, Role::DistrictAdmin, Role::Dispatcher])?;
    let query = query.into_inner();
    let format = Format::parse(query.format.as_deref().unwrap_or("csv"))?;
    let filter = super::list::filter_of(&super::list::ListQuery {
        state: query.state,
        category: query.category,
        channel: query.channel,
        unit: query.unit,
        area: query.area,
        from: query.from,
        to: query.to,
        ..Default::default()
    })?;
    let scope = who.case_filter();
    Ok(stream(state, who, scope, filter, format, Projection::OpenData))
}

/// One cell of a CSV row: text as it is, `null` as empty, anything else as JSON.
fn cell(view: &Value, column: &str) -> String {
    let value = column.split('.').fold(view, |v, key| &v[key]);
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The next page to read: where the last one ended, and whether the CSV header is still due.
struct Cursor {
    after: Option<(NaiveDateTime, String)>,
    first: bool,
}

/// Streams every case of `scope` matching `filter` as `format`.
pub fn stream(
    state: web::Data<AppState>,
    who: Principal,
    scope: CaseFilter,
    filter: ListFilter,
    format: Format,
    projection: Projection,
) -> HttpResponse {
    let start = Cursor { after: filter.after.clone(), first: true };
    let pages = futures_util::stream::unfold(Some(start), move |cursor| {
        let (state, who, scope, mut filter) = (state.clone(), who.clone(), scope.clone(), filter.clone());
        async move {
            let cursor = cursor?;
            filter.after = cursor.after;
            let read = state
                .db
                .run(move |conn| {
                    let page = case_list::list(conn, &scope, &filter, EXPORT_PAGE)?;
                    // Open data carries no photo: nothing to read for it.
                    let photos = match projection {
                        Projection::Staff => crate::store::cases::photo_ids_of(conn, &page)?,
                        Projection::OpenData => Default::default(),
                    };
                    Ok((page, photos))
                })
                .await;
            let (page, mut photos) = match read {
                Ok(read) => read,
                // The status line is sent: the stream ends short, and the log says why.
                Err(e) => {
                    tracing::warn!(error = %e, "case export stopped");
                    return Some((Err(actix_web::Error::from(ApiError::from(e))), None));
                }
            };
            let now = state.clock.now();
            let mut out = String::new();
            if cursor.first && format == Format::Csv {
                match projection {
                    Projection::Staff => out.push_str(&csv_line(COLUMNS.iter().map(|c| (*c).to_owned()))),
                    Projection::OpenData => {
                        out.push_str(&csv_line(OpenCaseRecord::CSV_COLUMNS.iter().map(|c| (*c).to_owned())))
                    }
                }
            }
            for case in &page {
                if projection == Projection::OpenData {
                    let record = open_record(case);
                    match format {
                        Format::Csv => out.push_str(&csv_line(record.csv_cells())),
                        Format::JsonLines => {
                            out.push_str(&serde_json::to_string(&record).unwrap_or_default());
                            out.push('\n');
                        }
                    }
                    continue;
                }
                let photo_ids = photos.remove(&case.row.id).unwrap_or_default();
                // The flat columns read the staff view as JSON, by the names the API answers.
                let view = serde_json::to_value(render(case, View::Staff, Some(&who), photo_ids, now))
                    .unwrap_or(serde_json::Value::Null);
                match format {
                    Format::Csv => out.push_str(&csv_line(COLUMNS.iter().map(|c| cell(&view, c)))),
                    Format::JsonLines => {
                        out.push_str(&view.to_string());
                        out.push('\n');
                    }
                }
            }
            let full_page = page.len() as i64 == EXPORT_PAGE;
            let next = page.last().filter(|_| full_page).map(|last| Cursor {
                after: Some((last.row.created_at, last.row.id.to_string())),
                first: false,
            });
            if out.is_empty() {
                return None;
            }
            Some((Ok::<_, actix_web::Error>(Bytes::from(out)), next))
        }
    });
    HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}.{}\"", projection.file_stem(), format.extension()),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(pages)
}
