//! Sensor alarms over HTTP ([`crate::sensors`] does the work):
//!
//! - `POST /api/v1/sensors/alarms` (a sending system's key): one alarm, or `{"alarms": [...]}`;
//! - `GET /api/v1/sensors/review`, `POST /api/v1/sensors/alarms/{id}/confirm`,
//!   `GET /api/v1/sensors/overview` (admin and dispatchers within their scope; the two reads
//!   also for viewers): the review queue, a person's confirmation, and the dashboard's view (active alarms per cell, alarm
//!   groups with their counts, faulty devices);
//! - `/api/v1/admin/sensor-systems` (admin): the sending systems and their keys, and
//!   `POST /api/v1/admin/sensor-systems/{id}/devices` (CSV or GeoJSON) for their devices;
//! - `/api/v1/admin/sensor-rules` (admin): the city's rule per alarm kind.

use actix_web::{HttpRequest, HttpResponse, web};
use gridline_core::codes::{CategoryCode, GridCode};
use gridline_core::sensors::{AlarmMessage, AlarmRule, MAX_BATCH, valid_kind};
use gridline_core::taxonomy::AnswerValue;
use gridline_core::workflow::Role;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::auth::{Principal, now};
use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::sensors::writer::AlarmWriter;
use crate::sensors::{intake, registry};
use crate::store::sensors::{self as store, AlarmRow, DeviceRow, GroupRow, SystemRow};

/// Largest alarm batch body, in bytes (a full batch of alarms with long ids and links).
pub const ALARM_BODY_LIMIT_BYTES: usize = MAX_BATCH * 4_096;
/// Rows in each list of the review queue and the overview.
const LIST_LIMIT: i64 = 500;

/// `POST /api/v1/sensors/alarms`.
pub async fn post_alarms(
    state: web::Data<AppState>,
    writer: web::Data<AlarmWriter>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let system = crate::sensors::system_of(&state, &req).await?;
    let value: Value = serde_json::from_slice(&body)
        .map_err(|_| ApiError::bad_request("malformed_json", "the body is not valid JSON"))?;
    let (items, prefix) = match value {
        Value::Object(mut map) if map.contains_key("alarms") => match map.remove("alarms") {
            Some(Value::Array(items)) if map.is_empty() => (items, "alarms"),
            _ => {
                return Err(ApiError::invalid_field(
                    "alarms",
                    "expected {\"alarms\": [...]} and nothing else",
                ));
            }
        },
        single @ Value::Object(_) => (vec![single], "alarms"),
        _ => return Err(ApiError::invalid_field("body", "expected an alarm or {\"alarms\": [...]}")),
    };
    if items.is_empty() || items.len() > MAX_BATCH {
        return Err(ApiError::invalid_field("alarms", format!("expected 1 to {MAX_BATCH} alarms")));
    }
    let mut messages = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let message: AlarmMessage = serde_json::from_value(item)
            .map_err(|e| ApiError::invalid_field(format!("{prefix}[{i}]"), shape_error(&e)))?;
        messages.push(message);
    }
    let checked = intake::check(messages)?;
    let result = intake::receive(&state, &writer, system.id, checked).await?;
    Ok(HttpResponse::Ok().json(result))
}

/// serde's message without the input's text (it may quote the sender's values).
fn shape_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = text.split(" at line ").next().unwrap_or("invalid alarm").to_owned();
    text.chars().take(200).collect()
}

// --- answers: the stored rows as they are sent (never a key's hash or a flapping count); their
// schemas are derived on the rows (`crate::store::sensors`) ---------------------------------

/// An episode in the review queue, with its device.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewItem {
    pub alarm: AlarmRow,
    pub device: Option<DeviceRow>,
}

/// Oldest first (at most 500), within the caller's scope.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewQueue {
    pub alarms: Vec<ReviewItem>,
}

/// Who confirms alarms: an admin, or a district admin or dispatcher for the cells of their area.
fn require_staff(who: &Principal) -> ApiResult<()> {
    who.require_role(&[Role::Admin, Role::DistrictAdmin, Role::Dispatcher])
}

/// Who reads the review queue and the overview: those who confirm, and the read-only viewer of
/// an area's screen.
fn require_reader(who: &Principal) -> ApiResult<()> {
    who.require_role(&[Role::Admin, Role::DistrictAdmin, Role::Dispatcher, Role::Viewer])
}

fn in_scope(who: &Principal, grid: GridCode) -> bool {
    who.can_see_grid(grid)
}

/// `GET /api/v1/sensors/review`: alarms waiting for a person's confirmation, oldest first.
pub async fn review(state: web::Data<AppState>, who: Principal) -> ApiResult<HttpResponse> {
    require_reader(&who)?;
    let filter = who.case_filter();
    let (alarms, devices) = state
        .db
        .run(move |conn| {
            let alarms = store::review_queue(conn, &filter, LIST_LIMIT)?;
            let ids: Vec<&str> = alarms.iter().map(|a| a.device_id.as_str()).collect();
            let devices = store::find_devices(conn, &ids)?;
            Ok((alarms, devices))
        })
        .await?;
    let alarms = alarms
        .into_iter()
        .map(|alarm| {
            let device = devices.iter().find(|d| d.id == alarm.device_id).cloned();
            ReviewItem { alarm, device }
        })
        .collect();
    Ok(HttpResponse::Ok().json(ReviewQueue { alarms }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConfirmedAlarm {
    pub alarm: AlarmRow,
}

/// `POST /api/v1/sensors/alarms/{id}/confirm`: a person confirms a pending alarm.
pub async fn confirm(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    require_staff(&who)?;
    let id = id.into_inner();
    let lookup = id.clone();
    let alarm = state
        .db
        .run(move |conn| Ok(store::find_alarm(conn, &lookup)?))
        .await?
        .filter(|a| in_scope(&who, a.grid_code))
        .ok_or_else(|| ApiError::not_found("alarm"))?;
    if !intake::confirm(&state, alarm.id.clone(), who.user_id.clone()).await? {
        return Err(ApiError::conflict("alarm_not_pending", "the alarm is not waiting for confirmation"));
    }
    let alarm = state.db.run(move |conn| Ok(store::find_alarm(conn, &id)?)).await?;
    let alarm = alarm.ok_or_else(|| ApiError::not_found("alarm"))?;
    Ok(HttpResponse::Ok().json(ConfirmedAlarm { alarm }))
}

/// `POST /api/v1/sensors/devices/{id}/repaired`: the owning unit has repaired a device flagged
/// faulty; its alarms open cases again. Answers the device. A device that is not faulty answers
/// 409 `device_not_faulty`, so a second click changes nothing.
pub async fn repaired(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    require_staff(&who)?;
    let id = id.into_inner();
    let now = state.clock.now().timestamp();
    let device = state
        .db
        .run(move |conn| {
            let outcome = crate::store::write_transaction(conn, |conn| {
                let Some(device) = store::find_devices(conn, &[id.as_str()])?.into_iter().next() else {
                    return Ok(None);
                };
                if !in_scope(&who, device.grid_code) {
                    return Ok(None);
                }
                if !device.faulty {
                    return Ok(Some(Err(device)));
                }
                store::mark_repaired(conn, &device.id, now)?;
                Ok::<_, diesel::result::Error>(
                    store::find_devices(conn, &[id.as_str()])?.into_iter().next().map(Ok),
                )
            })?;
            Ok(outcome)
        })
        .await?
        .ok_or_else(|| ApiError::not_found("device"))?;
    match device {
        Ok(device) => Ok(HttpResponse::Ok().json(device)),
        Err(_) => Err(ApiError::conflict("device_not_faulty", "the device is not flagged faulty")),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CellAlarms {
    #[schema(schema_with = gridline_core::codes::grid_code_schema)]
    pub grid_code: GridCode,
    pub kind: String,
    #[schema(minimum = 1)]
    pub active: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SensorOverview {
    /// Active alarms per cell and kind.
    pub cells: Vec<CellAlarms>,
    /// Alarm groups, newest first: a storm is one group with its count of alarms.
    pub groups: Vec<GroupRow>,
    pub faulty_devices: Vec<DeviceRow>,
    /// Every alarm kind of the city's rules with the category its cases are filed under, so a
    /// screen can name a kind in words (the category's names) instead of its code.
    pub kinds: Vec<KindCategory>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KindCategory {
    pub kind: String,
    pub category: String,
}

/// `GET /api/v1/sensors/overview`.
pub async fn overview(state: web::Data<AppState>, who: Principal) -> ApiResult<HttpResponse> {
    require_reader(&who)?;
    let filter = who.case_filter();
    let now = state.clock.now().timestamp();
    let (cells, groups, faulty, rules) = state
        .db
        .run(move |conn| {
            Ok((
                store::active_per_cell(conn)?,
                store::recent_groups(conn, &filter, LIST_LIMIT)?,
                store::faulty_devices(conn, &filter, LIST_LIMIT)?,
                store::rules(conn, now)?,
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(SensorOverview {
        cells: cells
            .into_iter()
            .filter(|(grid, _, _)| in_scope(&who, *grid))
            .map(|(grid_code, kind, active)| CellAlarms { grid_code, kind, active })
            .collect(),
        groups,
        faulty_devices: faulty,
        kinds: rules.into_iter().map(|r| KindCategory { kind: r.kind, category: r.category }).collect(),
    }))
}

// --- admin: systems, devices, rules ----------------------------------------------------------

/// Newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SensorSystems {
    pub sensor_systems: Vec<SystemRow>,
}

/// `GET /api/v1/admin/sensor-systems`.
pub async fn list_systems(state: web::Data<AppState>, who: Principal) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin])?;
    let sensor_systems = state.db.run(store::list_systems).await?;
    Ok(HttpResponse::Ok().json(SensorSystems { sensor_systems }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSystem {
    /// Who the system is, e.g. "Xuhui manhole cover network".
    #[schema(schema_with = super::apikeys::holder_name_schema)]
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedSystem {
    pub sensor_system: SystemRow,
    /// The key itself: shown this once.
    pub key: String,
}

/// `POST /api/v1/admin/sensor-systems`.
pub async fn create_system(
    state: web::Data<AppState>,
    who: Principal,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin])?;
    let body: CreateSystem = crate::error::body_as(body.into_inner())?;
    let name = super::apikeys::holder_name(&body.name)?;
    let (key, row) = store::generate_system(name, who.user_id.clone(), now());
    let stored = row.clone();
    state.db.run(move |conn| store::insert_system(conn, &stored)).await?;
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(CreatedSystem { sensor_system: row, key }))
}

fn system_id(id: &str) -> ApiResult<String> {
    Ok(uuid::Uuid::parse_str(id).map_err(|_| ApiError::not_found("sensor system"))?.to_string())
}

/// `DELETE /api/v1/admin/sensor-systems/{id}`: revokes the system's key.
pub async fn revoke_system(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin])?;
    let id = system_id(&id)?;
    let revoked = state.db.run(move |conn| store::revoke_system(conn, &id, now())).await?;
    let revoked = revoked.ok_or_else(|| ApiError::not_found("sensor system"))?;
    Ok(HttpResponse::Ok().json(revoked))
}

/// `POST /api/v1/admin/sensor-systems/{id}/devices`: imports devices (CSV or GeoJSON).
pub async fn import_devices(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin])?;
    let id = system_id(&id)?;
    let lookup = id.clone();
    state
        .db
        .run(move |conn| store::find_system(conn, &lookup))
        .await?
        .filter(|s| s.revoked_at.is_none())
        .ok_or_else(|| ApiError::not_found("sensor system"))?;
    let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    let format = registry::Format::from_content_type(content_type).ok_or_else(|| {
        ApiError::new(
            ErrorKind::UnsupportedMediaType,
            "unsupported_media_type",
            "expected text/csv or application/geo+json",
        )
    })?;
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::bad_request("malformed_body", "the body is not UTF-8 text"))?;
    let devices = web::block(move || registry::parse(format, &text))
        .await
        .map_err(ApiError::internal)?
        .map_err(|problems| {
            ApiError::new(ErrorKind::Unprocessable, "invalid_devices", "the device file has problems")
                .with_field("body")
                .with_problems(problems)
        })?;
    let imported = registry::import(&state, id, devices).await?;
    Ok(HttpResponse::Ok().json(imported))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SensorRules {
    pub rules: Vec<AlarmRule>,
}

/// `GET /api/v1/admin/sensor-rules`.
pub async fn list_rules(state: web::Data<AppState>, who: Principal) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin])?;
    let rules = state.db.run(|conn| store::rules(conn, now())).await?;
    Ok(HttpResponse::Ok().json(SensorRules { rules }))
}

/// `PUT /api/v1/admin/sensor-rules/{kind}`: creates or replaces the rule of one kind. Its
/// category must exist and its answers must satisfy the category's questions.
pub async fn put_rule(
    state: web::Data<AppState>,
    who: Principal,
    kind: web::Path<String>,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin])?;
    let rule: AlarmRule = crate::error::body_as(body.into_inner())?;
    if !valid_kind(&kind) {
        return Err(ApiError::invalid_field("kind", "expected lower-case letters, digits and _"));
    }
    if rule.kind != *kind {
        return Err(ApiError::invalid_field("kind", "the body's kind differs from the path's"));
    }
    let mut rule = rule;
    let code = CategoryCode::parse(&rule.category)
        .map_err(|_| ApiError::invalid_field("category", "expected a category code such as E0504"))?;
    // Stored and answered in the canonical form, which the rule's cases are filed and compared in.
    rule.category = code.to_string();
    let cache = state.categories.clone();
    let category = state
        .db
        .run(move |conn| cache.find(conn, code))
        .await?
        .ok_or_else(|| ApiError::invalid_field("category", "no such category"))?;
    let answers = rule.answers.iter().map(|(k, v)| (k.clone(), AnswerValue::One(v.clone()))).collect();
    if let Err(e) = category.check_answers(&answers) {
        return Err(ApiError::invalid_field(format!("answers.{}", e.question), e.reason));
    }
    let stored = rule.clone();
    state.db.run(move |conn| store::save_rule(conn, &stored, now())).await?;
    Ok(HttpResponse::Ok().json(rule))
}
