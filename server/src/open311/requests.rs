//! `POST requests`, `GET requests`, `GET requests/{id}` and `GET tokens/{token}`.
//!
//! A submission goes through the same intake as `POST /api/v1/reports` ([`crate::cases::file_report`]):
//! routed to its grid cell, given a tracking number (the `service_request_id`), deduplicated by
//! an optional `Idempotency-Key` header (per API key). It has no reporter account: the case
//! records the role `open311`, and which key brought it in. The token is the case id.
//!
//! Reads are public and show what the public case view shows: no reporter, the position
//! rounded to about 100 m, and a photo only under the rule of [`super::media`].

use std::collections::{BTreeMap, BTreeSet};

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use gridline_core::codes::{CaseId, CategoryCode};
use gridline_core::taxonomy::{AnswerValue, Answers, Category, QuestionType};
use gridline_core::workflow::CaseState;

use super::form::{self, AttributeValue, RequestsQuery, Status};
use super::render::{Fault, Format, Node, respond, split_format};
use super::services::{Locale, base_url, find_category, unit_name};
use crate::app::AppState;
use crate::auth::now;
use crate::cases::{Submitter, file_report};
use crate::clock::rfc3339;
use crate::idempotency;
use crate::store::cases::{self, FullCase};
use crate::store::open311::{self, CaseQuery};
use crate::store::{api_keys, categories};
use gridline_core::protocol::{Position, ReportRequest};

/// The reporter role recorded on cases that came in over Open311.
pub const ROLE: &str = "open311";

/// Open311's status of a case, and the note that says where it stands.
pub fn status_of(state: &str) -> (Status, &'static str) {
    match state.parse::<CaseState>() {
        Ok(CaseState::Reported) => (Status::Open, "Received; waiting for the street office to register it"),
        Ok(CaseState::Registered) => (Status::Open, "Registered as a case; waiting to be dispatched"),
        Ok(CaseState::Dispatched) => (Status::Open, "Dispatched to the responsible agency"),
        Ok(CaseState::InProgress) => (Status::Open, "Being handled by the responsible agency"),
        Ok(CaseState::Handled) => (Status::Open, "Reported fixed; waiting for verification on site"),
        Ok(CaseState::Shelved) => (Status::Open, "Shelved as a long-term problem"),
        Ok(CaseState::Closed) => (Status::Closed, "Closed"),
        Ok(CaseState::Rejected) => (Status::Closed, "Not accepted as a case"),
        Ok(CaseState::Merged) => (Status::Closed, "Merged into another request reporting the same problem"),
        Err(_) => (Status::Open, "In progress"),
    }
}

/// The internal states an Open311 status stands for.
fn states_of(status: Status) -> Vec<String> {
    CaseState::ALL
        .iter()
        .filter(|s| status_of(s.as_str()).0 == status)
        .map(|s| s.as_str().to_owned())
        .collect()
}

/// What every rendered request needs besides its case.
struct Context {
    names: BTreeMap<CategoryCode, String>,
    with_photo: BTreeSet<CaseId>,
    base: String,
    extensions: bool,
    locale: Locale,
}

fn request_node(full: &FullCase, cx: &Context) -> Node {
    let case = &full.row;
    let workflow = &full.workflow;
    let (status, notes) = status_of(case.state.as_str());
    let public = crate::public_view::public_view(case);
    let media_url = (cx.with_photo.contains(&case.id) && public.photo_public)
        .then(|| format!("{}/media/{}.jpg", cx.base, case.id));
    let mut fields = vec![
        ("service_request_id", Node::text(&case.tracking_number)),
        ("status", Node::text(status.as_str())),
        ("status_notes", Node::text(notes)),
        ("service_name", Node::opt_text(cx.names.get(&case.category_code).cloned())),
        ("service_code", Node::text(case.category_code)),
        ("description", Node::opt_text(public.description.map(str::to_owned))),
        (
            "agency_responsible",
            Node::opt_text(case.handling_unit.as_deref().map(|u| unit_name(u, cx.locale))),
        ),
        ("service_notice", Node::Null),
        ("requested_datetime", Node::text(rfc3339(case.created_at))),
        ("updated_datetime", Node::text(rfc3339(case.updated_at))),
        ("expected_datetime", Node::opt_text(workflow.deadline.map(rfc3339))),
        ("address", Node::Null),
        ("address_id", Node::Null),
        ("zipcode", Node::Null),
        ("lat", Node::Number(public.lat)),
        ("long", Node::Number(public.lon)),
        ("media_url", Node::opt_text(media_url)),
    ];
    if cx.extensions {
        fields.push((
            "extended_attributes",
            Node::Object(vec![
                ("state", Node::text(case.state.as_str())),
                ("handling_unit", Node::opt_text(case.handling_unit.clone())),
                ("handling_time_limit", Node::opt_text(case.handling_time_limit.clone())),
                ("deadline", Node::opt_text(workflow.deadline.map(rfc3339))),
                ("overdue", Node::Bool(workflow.overdue)),
                ("rating", workflow.rating.map_or(Node::Null, |r| Node::Int(i64::from(r)))),
                ("grid", Node::opt_text(case.grid_code)),
                ("community", Node::opt_text(case.community_code.clone())),
                ("street", Node::opt_text(case.street_code.clone())),
                ("district", Node::opt_text(case.district_code.clone())),
                ("routing", Node::text(&case.routing_outcome)),
            ]),
        ));
    }
    Node::Object(fields)
}

/// Loads `query`'s cases with the category names and photo facts to render them.
async fn load(
    state: &AppState,
    req: &HttpRequest,
    query: CaseQuery,
    extensions: bool,
) -> Result<(Vec<FullCase>, Context), Fault> {
    let locale = Locale::of(req);
    let (found, all, with_photo) = state
        .db
        .run(move |conn| {
            let found = open311::list(conn, &query)?;
            let ids: Vec<CaseId> = found.iter().map(|c| c.row.id).collect();
            let with_photo = if ids.is_empty() { Vec::new() } else { open311::with_photo(conn, &ids)? };
            Ok((found, categories::list(conn)?, with_photo))
        })
        .await?;
    let names = all.iter().map(|c: &Category| (c.code, locale.name(&c.names))).collect();
    let cx = Context {
        names,
        with_photo: with_photo.into_iter().collect(),
        base: base_url(req),
        extensions,
        locale,
    };
    Ok((found, cx))
}

fn list_node(found: &[FullCase], cx: &Context) -> Node {
    Node::List("request", found.iter().map(|c| request_node(c, cx)).collect())
}

fn path_format(resource: &str, suffix: &str) -> Result<Format, (Fault, Format)> {
    split_format(&format!("{resource}.{suffix}")).map(|(_, format)| format)
}

/// The document under the `service_requests` root, or the fault, in `format`.
fn answer(format: Format, result: Result<(StatusCode, Node), Fault>) -> HttpResponse {
    match result {
        Ok((status, node)) => respond(status, format, "service_requests", &node),
        Err(fault) => fault.respond(format),
    }
}

pub async fn list(state: web::Data<AppState>, req: HttpRequest, suffix: web::Path<String>) -> HttpResponse {
    let format = match path_format("requests", &suffix) {
        Ok(format) => format,
        Err((fault, format)) => return fault.respond(format),
    };
    answer(format, search(&state, &req).await)
}

async fn search(state: &AppState, req: &HttpRequest) -> Result<(StatusCode, Node), Fault> {
    let query: RequestsQuery = form::parse_requests_query(req.query_string())?;
    let window = query.window(Utc::now())?;
    let states = match query.statuses.as_slice() {
        [one] => states_of(*one),
        _ => Vec::new(),
    };
    let case_query = CaseQuery {
        tracking_numbers: query.service_request_ids.clone(),
        categories: query.service_codes.clone(),
        states,
        from: window.map(|(start, _)| start.naive_utc()),
        to: window.map(|(_, end)| end.naive_utc()),
        offset: i64::from(query.page - 1) * i64::from(query.page_size),
        limit: i64::from(query.page_size),
    };
    let (found, cx) = load(state, req, case_query, query.extensions).await?;
    Ok((StatusCode::OK, list_node(&found, &cx)))
}

pub async fn one(state: web::Data<AppState>, req: HttpRequest, file: web::Path<String>) -> HttpResponse {
    let (id, format) = match split_format(&file) {
        Ok(split) => split,
        Err((fault, format)) => return fault.respond(format),
    };
    let id = id.to_owned();
    let result = async {
        let extensions = form::parse_requests_query(req.query_string())?.extensions;
        let query = CaseQuery { tracking_numbers: vec![id], limit: 1, ..CaseQuery::default() };
        let (found, cx) = load(&state, &req, query, extensions).await?;
        if found.is_empty() {
            return Err(Fault::not_found("service_request_id not found"));
        }
        Ok((StatusCode::OK, list_node(&found, &cx)))
    }
    .await;
    answer(format, result)
}

pub async fn token(state: web::Data<AppState>, file: web::Path<String>) -> HttpResponse {
    let (token, format) = match split_format(&file) {
        Ok(split) => split,
        Err((fault, format)) => return fault.respond(format),
    };
    let result = async {
        let not_found = || Fault::not_found("token not found");
        let id = CaseId::parse(token).map_err(|_| not_found())?;
        let case = state.db.run(move |conn| cases::find(conn, id)).await?.ok_or_else(not_found)?;
        let node = Node::Object(vec![
            ("service_request_id", Node::text(case.tracking_number)),
            ("token", Node::text(case.id)),
        ]);
        Ok((StatusCode::OK, Node::List("request", vec![node])))
    }
    .await;
    answer(format, result)
}

pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    suffix: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let format = match path_format("requests", &suffix) {
        Ok(format) => format,
        Err((fault, format)) => return fault.respond(format),
    };
    answer(format, submit(&state, &req, &body).await)
}

fn is_form(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
}

/// Open311 attributes as intake's answers: a single value sent for a multi-value question is a
/// list of one (clients differ in how they send one choice).
fn answers_for(category: &Category, attributes: BTreeMap<String, AttributeValue>) -> Answers {
    attributes
        .into_iter()
        .map(|(code, value)| {
            let multi = category
                .questions
                .iter()
                .any(|q| q.code == code && q.datatype == QuestionType::Multivaluelist);
            let answer = match value {
                AttributeValue::One(v) if multi => AnswerValue::Many(vec![v]),
                AttributeValue::One(v) => AnswerValue::One(v),
                AttributeValue::Many(vs) => AnswerValue::Many(vs),
            };
            (code, answer)
        })
        .collect()
}

async fn submit(state: &AppState, req: &HttpRequest, body: &[u8]) -> Result<(StatusCode, Node), Fault> {
    if !is_form(req) {
        return Err(Fault::bad_request("expected a body of type application/x-www-form-urlencoded"));
    }
    let form = form::parse_service_request(body)?;
    let presented = form.api_key.clone().ok_or_else(|| Fault::forbidden("api_key is required to submit"))?;
    let key = state
        .db
        .run(move |conn| api_keys::find_active(conn, &presented))
        .await?
        .ok_or_else(|| Fault::forbidden("api_key is not valid"))?;
    let code = form.service_code.as_deref().ok_or_else(|| Fault::bad_request("service_code: required"))?;
    let category =
        find_category(state, code).await?.ok_or_else(|| Fault::not_found("service_code not found"))?;
    let (lat, lon) = match (form.lat, form.long) {
        (Some(lat), Some(lon)) => (lat, lon),
        (None, None) if form.address_string.is_some() || form.address_id.is_some() => {
            return Err(Fault::bad_request(
                "lat and long: required. Requests are routed to their grid cell by position, so an \
                 address alone cannot be accepted; send the WGS-84 position with it",
            ));
        }
        _ => return Err(Fault::bad_request("lat and long: both required (WGS-84 decimal degrees)")),
    };
    let email_sealed = match checked_email(form.email.as_deref())? {
        Some(address) => Some(
            state
                .auth
                .phones
                .seal_open311_email(&address)
                .map_err(|e| Fault::from(crate::error::ApiError::internal(e)))?,
        ),
        None => None,
    };
    let report = ReportRequest {
        category: category.code.to_string(),
        description: form.description.clone().unwrap_or_default(),
        position: Position { lat, lon, crs: None, accuracy_m: None },
        captured_at: None,
        photo_ids: Vec::new(),
        answers: answers_for(&category, form.attributes),
        anonymous: false,
        drill: false,
    };
    // Keys are namespaced by API key, so two clients can never replay each other's requests.
    let client_key = idempotency::parse(req.headers())?.unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let submitter = Submitter {
        reporter_id: None,
        reporter_role: ROLE.to_owned(),
        channel: gridline_core::workflow::Channel::Open311,
    };
    let submitted = file_report(state, submitter, format!("open311:{}:{client_key}", key.id), report).await?;
    let case = submitted.case;
    let (case_id, key_id) = (case.id, key.id.clone());
    // The case is in; failing here would invite a retry that makes a second one.
    let recorded = state
        .db
        .run(move |conn| api_keys::record_origin(conn, case_id, &key_id, email_sealed.as_deref(), now()))
        .await;
    if let Err(e) = recorded {
        tracing::error!(error = %e, "could not record the Open311 origin of a case");
    }
    let node = Node::Object(vec![
        ("service_request_id", Node::text(&case.tracking_number)),
        ("token", Node::text(case.id.to_string())),
        ("service_notice", Node::Null),
        ("account_id", Node::Null),
    ]);
    let status = if submitted.replayed { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Node::List("request", vec![node])))
}

/// The requester's address, trimmed (none when empty), if an SMTP server will take it.
fn checked_email(address: Option<&str>) -> Result<Option<String>, Fault> {
    let Some(address) = address.map(str::trim).filter(|a| !a.is_empty()) else { return Ok(None) };
    let limit = gridline_core::workflow::notice::MAX_EMAIL_CHARS;
    if address.chars().count() > limit {
        return Err(Fault::bad_request(format!("email: at most {limit} characters")));
    }
    if address.parse::<lettre::Address>().is_err() {
        return Err(Fault::bad_request("email: not an e-mail address"));
    }
    Ok(Some(address.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_maps_to_open_or_closed_with_a_note() {
        let mut closed = states_of(Status::Closed);
        closed.sort();
        assert_eq!(closed, ["closed", "merged", "rejected"]);
        assert_eq!(states_of(Status::Open).len() + closed.len(), CaseState::ALL.len());
        for state in CaseState::ALL {
            assert!(!status_of(state.as_str()).1.is_empty());
        }
    }
}
