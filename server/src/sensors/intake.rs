//! Alarm intake: a system's batch checked field by field, applied by the rules engine in one
//! transaction, shared with the other batches waiting at that moment ([`super::writer`]), then
//! the groups it opened filed as cases and the groups it cleared marked on their cases
//! ([`crate::cases::sensor`]). The same follow-up runs after a person's confirmation and after
//! the sweep job ([`sweep`]).
//!
//! The batch is the unit of acknowledgement: once it is answered, every message in it is stored
//! (a group whose case could not be filed yet is filed by the next sweep, under the same
//! Idempotency-Key, so it becomes one case however often it is tried).

use chrono::DateTime;
use gridline_core::calendar::TimeLimit;
use gridline_core::codes::{CaseId, CategoryCode};
use gridline_core::sensors::{
    AlarmMessage, MAINTENANCE_CATEGORY, MAX_BATCH, MAX_ID_CHARS, MAX_UNIT_CHARS, MAX_URL_CHARS, Severity,
    valid_kind,
};
use gridline_core::taxonomy::AnswerValue;
use gridline_core::workflow::Urgency;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::engine::{self, Applied, Checked, Outcome, Refusal};
use super::writer::AlarmWriter;
use crate::app::AppState;
use crate::cases::sensor::{SensorCase, file_sensor_case, mark_cleared_by_sensor};
use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::store::sensors::{self as store, GroupRow};

/// Groups filed per sweep, at most.
const SWEEP_FILINGS: i64 = 100;

/// The answer for one message of a batch, in the order sent.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = SensorMessageResult)]
pub struct MessageResult {
    pub id: String,
    pub outcome: Outcome,
    /// The alarm episode the message raised, repeated or cleared.
    pub alarm_id: Option<String>,
}

/// The answer to a batch.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = SensorBatchResult)]
pub struct BatchResult {
    /// Messages stored by this request (replays not counted).
    pub accepted: usize,
    pub replayed: usize,
    pub results: Vec<MessageResult>,
}

/// Checks every message; the first fault is the answer, naming `alarms[i].field`.
pub fn check(messages: Vec<AlarmMessage>) -> ApiResult<Vec<Checked>> {
    if messages.is_empty() || messages.len() > MAX_BATCH {
        return Err(ApiError::invalid_field("alarms", format!("expected 1 to {MAX_BATCH} alarms")));
    }
    let mut checked = Vec::with_capacity(messages.len());
    for (i, m) in messages.into_iter().enumerate() {
        let field = |name: &str| format!("alarms[{i}].{name}");
        let id_like = |v: &str| !v.trim().is_empty() && v.chars().count() <= MAX_ID_CHARS;
        if !id_like(&m.id) {
            return Err(ApiError::invalid_field(
                field("id"),
                format!("expected 1 to {MAX_ID_CHARS} characters"),
            ));
        }
        if !id_like(&m.alert_source) {
            return Err(ApiError::invalid_field(
                field("alertSource"),
                format!("expected 1 to {MAX_ID_CHARS} characters"),
            ));
        }
        if !valid_kind(&m.category) {
            return Err(ApiError::invalid_field(
                field("category"),
                "expected an alarm kind such as manhole_cover",
            ));
        }
        if m.sub_category.as_deref().is_some_and(|s| s.chars().count() > MAX_ID_CHARS) {
            return Err(ApiError::invalid_field(
                field("subCategory"),
                format!("at most {MAX_ID_CHARS} characters"),
            ));
        }
        for (name, value) in [
            ("dateIssued", Some(&m.date_issued)),
            ("validFrom", m.valid_from.as_ref()),
            ("validTo", m.valid_to.as_ref()),
        ] {
            if value.is_some_and(|v| DateTime::parse_from_rfc3339(v).is_err()) {
                return Err(ApiError::invalid_field(field(name), "expected an RFC 3339 time"));
            }
        }
        if m.value.is_some_and(|v| !v.is_finite()) {
            return Err(ApiError::invalid_field(field("value"), "expected a finite number"));
        }
        if m.unit.as_deref().is_some_and(|u| u.chars().count() > MAX_UNIT_CHARS) {
            return Err(ApiError::invalid_field(
                field("unit"),
                format!("at most {MAX_UNIT_CHARS} characters"),
            ));
        }
        if let Some(url) = &m.media_url
            && (url.chars().count() > MAX_URL_CHARS || !url.starts_with("https://"))
        {
            return Err(ApiError::invalid_field(
                field("mediaUrl"),
                format!("expected an https URL of at most {MAX_URL_CHARS} characters"),
            ));
        }
        let body = serde_json::to_vec(&m).map_err(|e| ApiError::internal(e.to_string()))?;
        checked.push(Checked { sha256: hex::encode(Sha256::digest(&body)), message: m });
    }
    Ok(checked)
}

/// Applies a checked batch of `system_id`'s, then files and marks what it opened and cleared.
pub async fn receive(
    state: &AppState,
    writer: &AlarmWriter,
    system_id: String,
    batch: Vec<Checked>,
) -> ApiResult<BatchResult> {
    let now = state.clock.now().timestamp();
    let ids: Vec<String> = batch.iter().map(|c| c.message.id.clone()).collect();
    let applied = writer.apply(system_id, batch, now).await?.map_err(refusal)?;
    let results: Vec<MessageResult> = ids
        .into_iter()
        .zip(&applied.outcomes)
        .map(|(id, (outcome, alarm_id))| MessageResult { id, outcome: *outcome, alarm_id: alarm_id.clone() })
        .collect();
    let replayed = results.iter().filter(|r| r.outcome == Outcome::Replayed).count();
    follow_up(state, applied).await;
    Ok(BatchResult { accepted: results.len() - replayed, replayed, results })
}

fn refusal(refused: Refusal) -> ApiError {
    match refused {
        Refusal::UnknownDevice { index } => ApiError::new(
            ErrorKind::Forbidden,
            "device_out_of_scope",
            "the device is not one of this system's registered devices",
        )
        .with_field(format!("alarms[{index}].alertSource")),
        Refusal::UnknownKind { index } => {
            ApiError::invalid_field(format!("alarms[{index}].category"), "no rule for this alarm kind")
        }
        Refusal::KindMismatch { index, device_kind } => ApiError::invalid_field(
            format!("alarms[{index}].category"),
            format!("the device is registered as a {device_kind} sensor and sends only {device_kind} alarms"),
        ),
        Refusal::IdReused { index } => {
            ApiError::conflict("alarm_id_reused", "this alarm id was already used for a different alarm")
                .with_field(format!("alarms[{index}].id"))
        }
    }
}

/// A person confirms a pending alarm from the review queue; `false` when it is not pending.
pub async fn confirm(state: &AppState, alarm_id: String, user_id: String) -> ApiResult<bool> {
    let now = state.clock.now().timestamp();
    let applied = state.db.run(move |conn| engine::confirm_by_person(conn, &alarm_id, &user_id, now)).await?;
    let Some(applied) = applied else { return Ok(false) };
    follow_up(state, applied).await;
    Ok(true)
}

/// The sweep job's pass: confirms alarms that lasted their minimum time, then files every group
/// still without a case.
pub async fn sweep(state: &AppState) -> ApiResult<usize> {
    let now = state.clock.now().timestamp();
    let applied = state.db.run(move |conn| engine::confirm_due(conn, now)).await?;
    follow_up(state, applied).await;
    let unfiled = state.db.run(|conn| store::unfiled_groups(conn, SWEEP_FILINGS)).await?;
    let mut filed = 0;
    for group in unfiled {
        let cleared = group.cleared_at.is_some();
        match file_group(state, &group).await {
            Ok(case_id) => {
                filed += 1;
                if cleared {
                    mark_cleared(state, &group, case_id).await;
                }
            }
            Err(e) => tracing::warn!(error = %e, group = %group.id, "a sensor group's case was not filed"),
        }
    }
    Ok(filed)
}

/// Files the new groups and marks the cleared ones. A failure is logged, not answered: the
/// alarms are stored, and the sweep files what is left.
async fn follow_up(state: &AppState, applied: Applied) {
    let mut filed = std::collections::HashMap::new();
    for group in &applied.new_groups {
        match file_group(state, group).await {
            Ok(case_id) => {
                filed.insert(group.id.clone(), case_id);
            }
            Err(e) => {
                tracing::warn!(error = %e, group = %group.id, "a sensor group's case was not filed yet")
            }
        }
    }
    for group in &applied.cleared_groups {
        if let Some(case_id) = group.case_id.or_else(|| filed.get(&group.id).copied()) {
            mark_cleared(state, group, case_id).await;
        }
    }
}

async fn mark_cleared(state: &AppState, group: &GroupRow, case_id: CaseId) {
    let details = serde_json::json!({ "sensor_group": group.id, "alarms": group.episode_count });
    let at = state.clock.now();
    // A maintenance case (a faulty device) is for its owner to close, whatever the kind's rule.
    let kind = (group.purpose == "alarms").then(|| group.kind.clone());
    let closes = match kind {
        Some(kind) => {
            let now = at.timestamp();
            let rules = state.db.run(move |conn| store::rules(conn, now)).await;
            rules.is_ok_and(|rules| rules.iter().any(|r| r.kind == kind && r.closes_on_all_clear))
        }
        None => false,
    };
    if let Err(e) = mark_cleared_by_sensor(state, group.id.clone(), case_id, details, at, closes).await {
        tracing::warn!(error = %e, group = %group.id, "a sensor case was not marked cleared");
    }
}

/// Files the case of one group: its rule's category and answers, at its first device's
/// position, with the time limit and the urgency its severity (the highest of its alarms so
/// far) gives; a maintenance group as the taxonomy's "other problem" naming the device and its
/// owning unit, normal and in the category's limit. Answers the case id.
async fn file_group(state: &AppState, group: &GroupRow) -> ApiResult<CaseId> {
    let (group_id, now) = (group.id.clone(), state.clock.now().timestamp());
    let found = state
        .db
        .run(move |conn| {
            let rules = engine::rules_by_kind(conn, now)?;
            let group = store::find_group(conn, &group_id)?;
            let first = store::alarms_of_group(conn, &group_id, 1)?.into_iter().next();
            let device_id = group.as_ref().and_then(|g| g.device_id.clone()).or(first.map(|a| a.device_id));
            let ids: Vec<&str> = device_id.iter().map(String::as_str).collect();
            let device = store::find_devices(conn, &ids)?.into_iter().next();
            Ok((rules, group, device))
        })
        .await?;
    let (rules, Some(group), Some(device)) = found else {
        return Err(ApiError::internal("a sensor group without its device"));
    };
    if let Some(case_id) = group.case_id {
        return Ok(case_id);
    }
    let severity = Severity::parse(&group.severity).unwrap_or(Severity::Medium);
    let case = if group.purpose == "maintenance" {
        SensorCase {
            group_id: group.id.clone(),
            category: MAINTENANCE_CATEGORY.to_owned(),
            answers: Default::default(),
            description: format!(
                "Sensor {} ({}) is faulty: its alarm and all-clear alternated too often within an hour. \
                 Its alarms open no case until it is repaired. Owning unit: {}.",
                device.id, device.kind, device.owning_unit
            ),
            lat: device.lat,
            lon: device.lon,
            time_limit: None,
            urgency: Urgency::Normal,
        }
    } else {
        let Some(rule) = rules.get(&group.kind) else {
            return Err(ApiError::internal("a sensor group of a kind with no rule"));
        };
        let category = CategoryCode::parse(&rule.category).map_err(|e| ApiError::internal(e.to_string()))?;
        let limit = {
            let cache = state.categories.clone();
            state.db.run(move |conn| cache.find(conn, category)).await?.map(|c| c.time_limit)
        };
        SensorCase {
            group_id: group.id.clone(),
            category: rule.category.clone(),
            answers: rule.answers.iter().map(|(k, v)| (k.clone(), AnswerValue::One(v.clone()))).collect(),
            description: format!(
                "Sensor alarm {} ({}) in grid cell {}, first from device {}. The alarms it carries are listed \
                 under its sensor group {}.",
                group.kind,
                severity.as_str(),
                group.grid_code,
                device.id,
                group.id
            ),
            lat: device.lat,
            lon: device.lon,
            time_limit: limit.map(|own: TimeLimit| severity.time_limit(own)),
            urgency: severity.urgency(),
        }
    };
    let filed = file_sensor_case(state, case).await?;
    Ok(filed.case.id)
}
