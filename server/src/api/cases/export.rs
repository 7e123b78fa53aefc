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

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use bytes::Bytes;
use chrono::NaiveDateTime;
use serde_json::Value;

use super::{View, render};
use crate::api::stats::csv_line;
use crate::app::AppState;
use crate::auth::{CaseFilter, Principal};
use crate::error::{ApiError, ApiResult};
use crate::store::case_list::{self, ListFilter};

/// Cases read per trip to the database while streaming.
pub const EXPORT_PAGE: i64 = 200;

/// The CSV columns, in order: fields of the case's staff view (`placement.grid` is a field of
/// `placement`); `reporter_id` and `reporter_role` are empty where the role may not see them.
pub const COLUMNS: [&str; 21] = [
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

    fn file_name(self) -> &'static str {
        match self {
            Self::Csv => "cases.csv",
            Self::JsonLines => "cases.jsonl",
        }
    }
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
                    let photos = crate::store::cases::photo_ids_of(conn, &page)?;
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
                out.push_str(&csv_line(COLUMNS.iter().map(|c| (*c).to_owned())));
            }
            for case in &page {
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
            let next = page
                .last()
                .filter(|_| full_page)
                .map(|last| Cursor { after: Some((last.row.created_at, last.row.id.clone())), first: false });
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
            format!("attachment; filename=\"{}\"", format.file_name()),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(pages)
}
