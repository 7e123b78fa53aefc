//! The hotline's calls (12345 接诉), for the operator console (`/hotline`):
//!
//! - `POST /api/v1/hotline/calls` (operators only, with an `Idempotency-Key`): one call. The
//!   caller (number, name, anonymity, confidentiality), the call's type and urgency, the place,
//!   the category with its questions' answers and the description become a case through the
//!   case service's intake ([`crate::cases::file_report_with`]) with the channel `hotline` and
//!   the time limit the type and urgency give ([`HotlineLimits`], `GRIDLINE_HOTLINE_LIMITS`)
//!   instead of the category's; the case takes the call's urgency as its own. Then, on the
//!   same call:
//!   - `answer`: a consultation answered on the call, closed at once by the `answer` step with
//!     the answer as its reason (only for `consultation`);
//!   - `transfer`: the call belongs to 110/119/120 or another city's system; the `transfer`
//!     step closes the order here with the reason, and the call records where it went;
//!   - `same_as` (a tracking number or id of an open case): the caller reports a problem already
//!     reported, so no case is made and the call is linked to that case.
//!
//!   A caller who gives a number and is not anonymous is the reporter, through the citizen
//!   account of that number ([`users::find_or_create_citizen`], the number sealed): the
//!   call-back (回访) and the notices then reach them like any reporter. The number and name are
//!   kept with the call, sealed ([`crate::auth::phone_vault`]).
//! - `GET /api/v1/hotline/places?q=`: the gazetteer's entries matching the address typed, for
//!   operators, dispatchers and admins ([`crate::hotline::gazetteer`]);
//!   `POST /api/v1/admin/gazetteer` (admins, CSV or GeoJSON) imports entries.
//! - `GET /api/v1/hotline/form`: a call's types, urgencies and transfer destinations in core's
//!   order and words, which the console's form is filled from ([`HotlineForm`]).
//! - `GET /api/v1/hotline/codes`: the hotline's own codes and the categories they map to
//!   ([`crate::hotline::codes`]); `PUT`/`DELETE /api/v1/admin/hotline-codes/{code}` (admins)
//!   edit the table. A call may name its problem by `hotline_code` instead of `category`.
//! - `GET /api/v1/hotline/calls/{case}`: the calls about a case with their callers, for the
//!   operators whose scope holds the case; dispatchers and admins of that scope see the calls
//!   too, but a confidential caller's number and name only reach the hotline. Anyone else 403.
//!
//! [`HotlineLimits`]: gridline_core::workflow::hotline::HotlineLimits

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use gridline_core::codes::CaseId;
use gridline_core::protocol::{ActionRequest, Position, ReportRequest};
use gridline_core::taxonomy::Answers;
use gridline_core::workflow::hotline::{CallType, TransferTo, Urgency};
use gridline_core::workflow::{Action, CaseState, Channel, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::Principal;
use crate::auth::phone::PhoneNumber;
use crate::auth::users;
use crate::cases::{Filed, Overrides, StepError, StepRequest, Submitter, file_report_with, take_step};
use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::hotline::{codes, gazetteer};
use crate::idempotency::{self, IdempotencyKey};
use crate::sensors::registry::Format;
use crate::store::cases::{CaseRow, FullCase};
use crate::store::hotline_calls::{self, HotlineCallRow};

/// The longest caller name kept.
const MAX_NAME_CHARS: usize = 40;
/// The longest answer or transfer reason.
const MAX_TEXT_CHARS: usize = 2000;

/// Who is calling.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Caller {
    /// The caller's number as shown or told (any common form; kept in E.164, sealed).
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// 匿名: the caller leaves no name and is not the case's reporter (no call-back); only where
    /// the category accepts anonymous reports.
    #[serde(default)]
    pub anonymous: bool,
    /// 保密: the caller's number and name stay within the hotline.
    #[serde(default)]
    pub confidential: bool,
}

/// Where a transferred call goes, and why.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    pub to: TransferTo,
    pub reason: String,
}

/// `POST /api/v1/hotline/calls`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallRequest {
    #[serde(default)]
    pub caller: Caller,
    pub call_type: CallType,
    pub urgency: Urgency,
    /// A category code of the taxonomy; or give `hotline_code`, which the city's table maps to
    /// one (both: they must agree).
    #[serde(default)]
    pub category: Option<String>,
    /// The hotline's own code (GB/T 39666 style), see `GET /api/v1/hotline/codes`.
    #[serde(default)]
    pub hotline_code: Option<String>,
    pub description: String,
    pub position: Position,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub answers: Answers,
    /// A consultation's answer, given on the call: the order closes at once.
    #[serde(default)]
    pub answer: Option<String>,
    #[serde(default)]
    pub transfer: Option<Transfer>,
    /// An open case (tracking number or id) reporting the same problem: no new case.
    #[serde(default)]
    pub same_as: Option<String>,
}

/// The call as recorded.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallReceipt {
    pub call_id: String,
    pub case_id: String,
    pub tracking_number: String,
    pub state: CaseState,
    /// The call was linked to an existing case (`same_as`) instead of making one.
    pub linked: bool,
    pub call_type: String,
    pub urgency: String,
    /// The order's handling time limit (`2h`, `5d`), from the type and urgency.
    pub handling_time_limit: Option<String>,
    pub transferred_to: Option<String>,
}

/// One call about a case, as the asker may see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallView {
    pub call_id: String,
    pub linked: bool,
    pub call_type: String,
    pub urgency: String,
    pub anonymous: bool,
    pub confidential: bool,
    /// E.164; absent when not given, or when confidential and the asker is not the hotline.
    pub caller_phone: Option<String>,
    pub caller_name: Option<String>,
    pub transferred_to: Option<String>,
    pub hotline_code: Option<String>,
    /// RFC 3339.
    pub taken_at: String,
}

/// `GET /api/v1/hotline/calls/{case}`'s answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallList {
    pub case_id: String,
    pub calls: Vec<CallView>,
}

fn trimmed(text: &Option<String>) -> Option<&str> {
    text.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

fn check_text(field: &str, text: &str, max: usize) -> ApiResult<()> {
    if text.chars().count() > max {
        return Err(ApiError::invalid_field(field, format!("at most {max} characters")));
    }
    Ok(())
}

/// The checks of a call that need no database: what goes with what, and the caller's number.
fn check_call(call: &CallRequest) -> ApiResult<Option<PhoneNumber>> {
    let phone = match trimmed(&call.caller.phone) {
        Some(text) => Some(
            PhoneNumber::parse(text).map_err(|e| ApiError::invalid_field("caller.phone", e.to_string()))?,
        ),
        None => None,
    };
    if let Some(name) = trimmed(&call.caller.name) {
        check_text("caller.name", name, MAX_NAME_CHARS)?;
        if call.caller.anonymous {
            return Err(ApiError::invalid_field("caller.name", "an anonymous caller leaves no name"));
        }
    }
    let outcomes = [call.answer.is_some(), call.transfer.is_some(), call.same_as.is_some()];
    if outcomes.iter().filter(|given| **given).count() > 1 {
        return Err(ApiError::invalid_field(
            "answer",
            "a call is answered, transferred or linked to a case: at most one of answer, transfer and same_as",
        ));
    }
    if let Some(answer) = &call.answer {
        if call.call_type != CallType::Consultation {
            return Err(ApiError::invalid_field("answer", "only a consultation is answered on the call"));
        }
        if answer.trim().is_empty() {
            return Err(ApiError::invalid_field("answer", "the answer given to the caller is needed"));
        }
        check_text("answer", answer, MAX_TEXT_CHARS)?;
    }
    if let Some(transfer) = &call.transfer {
        if transfer.reason.trim().is_empty() {
            return Err(ApiError::invalid_field("transfer.reason", "a transfer needs its reason"));
        }
        check_text("transfer.reason", &transfer.reason, MAX_TEXT_CHARS)?;
    }
    Ok(phone)
}

pub async fn take_call(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Operator])?;
    let IdempotencyKey(key) = idempotency::require(req.headers())?;
    let call: CallRequest = crate::error::body_as(body.into_inner())?;
    let phone = check_call(&call)?;
    let sealed = seal_caller(&state, &call.caller, phone.as_ref())?;
    let category = category_of(&state, &call).await?;
    if let Some(same_as) = call.same_as.clone() {
        return link_to_case(&state, &who, key, &call, sealed, &same_as).await;
    }
    let reporter = match (&phone, call.caller.anonymous) {
        (Some(phone), false) => {
            let (phones, phone, now) =
                (state.auth.phones.clone(), phone.clone(), state.clock.now().timestamp());
            let citizen = state
                .db
                .run(move |conn| Ok(users::find_or_create_citizen(conn, &phones, &phone, now)))
                .await??;
            Some(citizen.id)
        }
        _ => None,
    };
    let submitter = Submitter {
        reporter_role: if reporter.is_some() { Role::Citizen } else { Role::Operator }.as_str().to_owned(),
        reporter_id: reporter,
        channel: Channel::Hotline,
    };
    let day_hours = u32::try_from(state.calendar.day_length().num_hours()).unwrap_or(8);
    let limit = state.config.settings.hotline_limits.limit(call.call_type, call.urgency, day_hours);
    let report = ReportRequest {
        category,
        description: call.description.clone(),
        position: call.position.clone(),
        captured_at: None,
        photo_ids: Vec::new(),
        answers: call.answers.clone(),
        anonymous: call.caller.anonymous,
        // A call is a real caller's: drills take marked reports from staff, not the hotline.
        drill: false,
    };
    let overrides = Overrides { time_limit: Some(limit), urgency: call.urgency };
    let Filed { case, replayed } =
        file_report_with(&state, submitter, key.clone(), report, overrides).await?;
    let row = call_row(&who, key.clone(), &call, sealed, case.id, false, state.clock.now().timestamp());
    let recorded = state.db.run(move |conn| hotline_calls::record(conn, row)).await?;
    let mut outcome = None;
    if let Some(answer) = &call.answer {
        outcome = Some((Action::Answer, answer.clone(), None));
    }
    if let Some(transfer) = &call.transfer {
        let reason = format!("{}: {}", transfer.to, transfer.reason.trim());
        outcome = Some((Action::Transfer, reason, Some(transfer.to)));
    }
    let mut current: CaseRow = *case;
    let mut transferred_to = recorded.transferred_to.clone();
    if let Some((action, reason, destination)) = outcome {
        current = close_on_the_call(&state, &who, current.id, &key, action, reason).await?.row;
        if let Some(to) = destination {
            let (id, to) = (recorded.id.clone(), to.as_str().to_owned());
            transferred_to = Some(to.clone());
            state.db.run(move |conn| hotline_calls::set_transferred(conn, &id, &to)).await?;
        }
    }
    let receipt = CallReceipt {
        call_id: recorded.id,
        case_id: current.id.to_string(),
        tracking_number: current.tracking_number.clone(),
        state: current.state,
        linked: false,
        call_type: call.call_type.as_str().to_owned(),
        urgency: call.urgency.as_str().to_owned(),
        handling_time_limit: current.handling_time_limit.clone(),
        transferred_to,
    };
    let status = if replayed { StatusCode::OK } else { StatusCode::CREATED };
    Ok(HttpResponse::build(status)
        .insert_header(("location", format!("/api/v1/cases/{}", receipt.case_id)))
        .json(receipt))
}

/// The caller's number (sealed, and its look-up hash) and name (sealed), as the call keeps them.
struct SealedCaller {
    phone_hash: Option<String>,
    phone: Option<String>,
    name: Option<String>,
}

fn seal_caller(state: &AppState, caller: &Caller, phone: Option<&PhoneNumber>) -> ApiResult<SealedCaller> {
    let vault = &state.auth.phones;
    let name = match trimmed(&caller.name) {
        Some(name) if !caller.anonymous => Some(vault.seal_caller_name(name)?),
        _ => None,
    };
    Ok(SealedCaller {
        phone_hash: phone.map(|p| vault.lookup_hash(p)),
        phone: phone.map(|p| vault.seal(p)).transpose()?,
        name,
    })
}

#[allow(clippy::too_many_arguments)]
fn call_row(
    who: &Principal,
    key: String,
    call: &CallRequest,
    sealed: SealedCaller,
    case_id: CaseId,
    linked: bool,
    now: i64,
) -> HotlineCallRow {
    HotlineCallRow {
        id: Uuid::now_v7().to_string(),
        case_id,
        linked,
        operator_id: who.user_id.clone(),
        idempotency_key: key,
        call_type: call.call_type.as_str().to_owned(),
        urgency: call.urgency.as_str().to_owned(),
        anonymous: call.caller.anonymous,
        confidential: call.caller.confidential,
        caller_phone_hash: sealed.phone_hash,
        caller_phone_sealed: sealed.phone,
        caller_name_sealed: sealed.name,
        created_at: now,
        transferred_to: None,
        hotline_code: call.hotline_code.clone(),
    }
}

/// The category a call is filed under: the one named, or the one its hotline code maps to.
async fn category_of(state: &AppState, call: &CallRequest) -> ApiResult<String> {
    let named = trimmed(&call.category).map(str::to_owned);
    let Some(code) = trimmed(&call.hotline_code).map(str::to_owned) else {
        return named
            .ok_or_else(|| ApiError::invalid_field("category", "a category or a hotline code is needed"));
    };
    let mapped = state
        .db
        .run(move |conn| codes::find(conn, &code))
        .await?
        .ok_or_else(|| ApiError::invalid_field("hotline_code", "no such hotline code"))?;
    match named {
        Some(category) if category != mapped.category_code => Err(ApiError::invalid_field(
            "category",
            format!("the hotline code {} maps to {}", mapped.code, mapped.category_code),
        )),
        _ => Ok(mapped.category_code),
    }
}

/// One choice of the console's form: the wire name a call sends, and its words.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FormChoice {
    pub value: String,
    pub zh: String,
    pub en: String,
}

impl FormChoice {
    fn of(value: &str, (zh, en): (&str, &str)) -> Self {
        Self { value: value.to_owned(), zh: zh.to_owned(), en: en.to_owned() }
    }
}

/// `GET /api/v1/hotline/form`'s answer: the choices of a call, in core's order and words, and
/// the one the console starts on, so the console copies none of them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HotlineForm {
    pub call_types: Vec<FormChoice>,
    /// The call type a new call starts as: complaints are most of the hotline's calls.
    pub default_call_type: String,
    /// Least urgent first.
    pub urgencies: Vec<FormChoice>,
    pub default_urgency: String,
    /// Where a call that is not the city's may be transferred.
    pub transfers: Vec<FormChoice>,
}

impl HotlineForm {
    pub fn from_core() -> Self {
        Self {
            call_types: CallType::ALL.iter().map(|t| FormChoice::of(t.as_str(), t.words())).collect(),
            default_call_type: CallType::Complaint.as_str().to_owned(),
            urgencies: Urgency::ALL.iter().map(|u| FormChoice::of(u.as_str(), u.words())).collect(),
            default_urgency: Urgency::Normal.as_str().to_owned(),
            transfers: TransferTo::ALL.iter().map(|t| FormChoice::of(t.as_str(), t.words())).collect(),
        }
    }
}

/// `GET /api/v1/hotline/form`: the call types, urgencies and transfer destinations, for the
/// operators' console (and the dispatchers and admins who may open it).
pub async fn form(who: Principal) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Operator, Role::Dispatcher, Role::Admin])?;
    Ok(HttpResponse::Ok().json(HotlineForm::from_core()))
}

pub async fn list_codes(state: web::Data<AppState>, who: Principal) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Operator, Role::Dispatcher, Role::Admin])?;
    let codes = state.db.run(codes::list).await?;
    Ok(HttpResponse::Ok().json(codes::HotlineCodes { codes }))
}

pub async fn put_code(
    state: web::Data<AppState>,
    who: Principal,
    code: web::Path<String>,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin])?;
    let code = code.into_inner();
    codes::check_code(&code).map_err(|reason| ApiError::invalid_field("code", reason))?;
    let edit: codes::HotlineCodeEdit = crate::error::body_as(body.into_inner())?;
    codes::check_names(&edit).map_err(|(field, reason)| ApiError::invalid_field(field, reason))?;
    let category = gridline_core::codes::CategoryCode::parse(edit.category_code.trim())
        .map_err(|e| ApiError::invalid_field("category_code", e.to_string()))?;
    let row = codes::HotlineCode {
        code,
        name_zh: edit.name_zh.trim().to_owned(),
        name_en: edit.name_en.trim().to_owned(),
        category_code: category.to_string(),
        updated_at: state.clock.now().timestamp(),
    };
    let (cache, stored) = (state.categories.clone(), row.clone());
    let created = state
        .db
        .run(move |conn| match cache.find(conn, category)? {
            None => Ok(None),
            Some(_) => codes::put(conn, &stored).map(Some),
        })
        .await?
        .ok_or_else(|| ApiError::invalid_field("category_code", "no such category"))?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok(HttpResponse::build(status).json(row))
}

pub async fn delete_code(
    state: web::Data<AppState>,
    who: Principal,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin])?;
    let code = code.into_inner();
    if state.db.run(move |conn| codes::delete(conn, &code)).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("hotline code"))
    }
}

/// The `answer` or `transfer` step on the call's new case, as the operator; a retried call
/// replays it (its key is derived from the call's).
async fn close_on_the_call(
    state: &AppState,
    who: &Principal,
    case_id: CaseId,
    call_key: &str,
    action: Action,
    reason: String,
) -> ApiResult<FullCase> {
    let body = ActionRequest {
        action: action.as_str().to_owned(),
        reason: Some(reason),
        ..ActionRequest::default()
    };
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("hotline:{call_key}:{action}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    let step_key = uuid::Builder::from_random_bytes(bytes).into_uuid();
    let request = StepRequest {
        case_id: case_id.to_string(),
        expected_version: None,
        idempotency_key: Some(step_key.to_string()),
        body,
    };
    match take_step(state, who, request).await {
        Ok(stepped) => Ok(*stepped.case),
        Err(StepError::Problem(error)) => Err(error),
        Err(StepError::Stale { detail, .. }) => Err(ApiError::conflict("version_mismatch", detail)),
        Err(StepError::Refused { refusal, .. }) => {
            Err(ApiError::new(ErrorKind::Conflict, refusal.code(), refusal.to_string()))
        }
    }
}

/// "Same problem": the call is linked to an open case the operator's scope holds.
async fn link_to_case(
    state: &AppState,
    who: &Principal,
    key: String,
    call: &CallRequest,
    sealed: SealedCaller,
    same_as: &str,
) -> ApiResult<HttpResponse> {
    let (case, ()) = crate::api::cases::load_case(state, same_as, |_, _| Ok(())).await?;
    if !crate::cases::facts::in_scope(who, &case) {
        return Err(ApiError::not_found("case"));
    }
    if !case.row.state.counts_as_open() || case.row.state == CaseState::Closed {
        return Err(ApiError::new(
            ErrorKind::Conflict,
            "case_not_open",
            format!("the case is {}; a caller is linked only to an open case", case.row.state),
        ));
    }
    let row = call_row(who, key, call, sealed, case.row.id, true, state.clock.now().timestamp());
    let recorded = state.db.run(move |conn| hotline_calls::record(conn, row)).await?;
    let receipt = CallReceipt {
        call_id: recorded.id,
        case_id: case.row.id.to_string(),
        tracking_number: case.row.tracking_number.clone(),
        state: case.row.state,
        linked: true,
        call_type: recorded.call_type,
        urgency: recorded.urgency,
        handling_time_limit: case.row.handling_time_limit.clone(),
        transferred_to: None,
    };
    Ok(HttpResponse::Ok().json(receipt))
}

pub async fn calls_of_case(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Operator, Role::Dispatcher, Role::Admin])?;
    let (case, calls) = crate::api::cases::load_case(&state, &id, hotline_calls::for_case).await?;
    if !crate::cases::facts::in_scope(&who, &case) {
        return Err(ApiError::not_found("case"));
    }
    let hotline = who.role == Role::Operator;
    let vault = &state.auth.phones;
    let mut views = Vec::with_capacity(calls.len());
    for call in calls {
        let shown = hotline || !call.confidential;
        let caller_phone = match (&call.caller_phone_sealed, shown) {
            (Some(sealed), true) => Some(vault.open(sealed)?.as_str().to_owned()),
            _ => None,
        };
        let caller_name = match (&call.caller_name_sealed, shown) {
            (Some(sealed), true) => Some(vault.open_caller_name(sealed)?),
            _ => None,
        };
        views.push(CallView {
            call_id: call.id,
            linked: call.linked,
            call_type: call.call_type,
            urgency: call.urgency,
            anonymous: call.anonymous,
            confidential: call.confidential,
            caller_phone,
            caller_name,
            transferred_to: call.transferred_to,
            hotline_code: call.hotline_code,
            taken_at: crate::clock::rfc3339(
                chrono::DateTime::from_timestamp(call.created_at, 0).unwrap_or_default().naive_utc(),
            ),
        });
    }
    Ok(HttpResponse::Ok().json(CallList { case_id: case.row.id.to_string(), calls: views }))
}

/// Whether a call-back list may show the reporter's number of `case_id` to `role`: a
/// confidential caller's number stays within the hotline.
pub(crate) fn may_show_caller(role: Role, confidential: bool) -> bool {
    role == Role::Operator || !confidential
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlacesQuery {
    q: String,
}

/// The longest address text searched.
const MAX_QUERY_CHARS: usize = 200;

pub async fn places(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<PlacesQuery>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Operator, Role::Dispatcher, Role::Admin])?;
    let typed = query.into_inner().q;
    check_text("q", &typed, MAX_QUERY_CHARS)?;
    let places = state.db.run(move |conn| gazetteer::search(conn, &typed)).await?;
    Ok(HttpResponse::Ok().json(gazetteer::PlaceMatches { places }))
}

pub async fn import_gazetteer(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin])?;
    let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    let format = Format::from_content_type(content_type).ok_or_else(|| {
        ApiError::new(
            ErrorKind::UnsupportedMediaType,
            "unsupported_media_type",
            "expected text/csv or application/geo+json",
        )
    })?;
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::bad_request("malformed_body", "the body is not UTF-8 text"))?;
    let entries = web::block(move || match format {
        Format::Csv => gazetteer::parse_csv(&text),
        Format::GeoJson => gazetteer::parse_geojson(&text),
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|problems| {
        ApiError::new(ErrorKind::Unprocessable, "invalid_gazetteer", "the gazetteer file has problems")
            .with_field("body")
            .with_problems(problems)
    })?;
    let imported = entries.len();
    let total = state.db.run(move |conn| gazetteer::import(conn, entries)).await?;
    Ok(HttpResponse::Ok().json(gazetteer::GazetteerImported { imported, total }))
}
