//! Cases that sensor alarms bring in: a group of confirmed alarms (or a faulty device's
//! maintenance) filed through the same intake as every other report ([`super::file_report`]'s
//! code, with the alarms' highest severity setting the time limit and the urgency), and the mark a case gets when every
//! alarm it carries has had its all-clear.
//!
//! The case's Idempotency-Key is derived from the group's id, so filing a group again (after a
//! node stopped between committing the group and filing it) finds the first case.

use chrono::{DateTime, Utc};
use gridline_core::calendar::TimeLimit;
use gridline_core::codes::CaseId;
use gridline_core::protocol::{Position, ReportRequest};
use gridline_core::taxonomy::Answers;
use gridline_core::workflow::Urgency;
use serde_json::Value;

use super::events;
use super::report::{Filed, Overrides, Submitter, file_report_with};
use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::store::{cases, sensors};

/// The reporter role stored on a sensor's case: a sending system has no account, so the case
/// names the kind of sender, as Open311's cases name `open311`.
pub const SENSOR_CHANNEL: &str = "sensor";

/// What a group of alarms (or a faulty device) files as its case.
#[derive(Debug, Clone)]
pub struct SensorCase {
    /// The alarm group the case is for.
    pub group_id: String,
    pub category: String,
    pub answers: Answers,
    pub description: String,
    pub lat: f64,
    pub lon: f64,
    /// The severity's limit, when it is shorter than the category's.
    pub time_limit: Option<TimeLimit>,
    /// The urgency the group's highest severity gives ([`gridline_core::sensors::Severity::urgency`]).
    pub urgency: Urgency,
}

/// Who files a sensor case: the sending systems have no account, like an Open311 client.
fn sensor_submitter() -> Submitter {
    Submitter {
        reporter_id: None,
        reporter_role: SENSOR_CHANNEL.to_owned(),
        channel: gridline_core::workflow::Channel::Sensor,
    }
}

/// Files the case of an alarm group (or finds it again) and records it on the group.
pub async fn file_sensor_case(state: &AppState, case: SensorCase) -> ApiResult<Filed> {
    let report = ReportRequest {
        category: case.category,
        description: case.description,
        position: Position { lat: case.lat, lon: case.lon, crs: None, accuracy_m: None },
        captured_at: None,
        photo_ids: Vec::new(),
        answers: case.answers,
        anonymous: false,
        drill: false,
    };
    let overrides = Overrides { time_limit: case.time_limit, urgency: case.urgency };
    let key = format!("sensor-group:{}", case.group_id);
    let filed = file_report_with(state, sensor_submitter(), key, report, overrides).await?;
    let (group, case_id) = (case.group_id, filed.case.id);
    state.db.run(move |conn| sensors::set_group_case(conn, &group, case_id)).await?;
    Ok(filed)
}

/// Marks the case of `group_id` cleared by sensor: one `cleared_by_sensor` event, the state
/// unchanged. When the alarm kind's rule `closes` such a case, the `system` then closes it
/// (`sensor_close`, as core decides it: a case already closed, rejected or merged stays so).
pub async fn mark_cleared_by_sensor(
    state: &AppState,
    group_id: String,
    case_id: CaseId,
    details: Value,
    at: DateTime<Utc>,
    closes: bool,
) -> ApiResult<()> {
    let calendar = state.calendar.clone();
    state
        .db
        .run(move |conn| {
            let Some(case) = cases::find(conn, case_id)? else {
                return Ok(Err(ApiError::not_found("case")));
            };
            let mut event = events::cleared_by_sensor(case.id, case.state, details.clone(), at);
            sensors::record_group_event(conn, &group_id, &mut event)?;
            if closes {
                close_cleared(conn, case_id, details, at, &calendar)?;
            }
            Ok(Ok(()))
        })
        .await?
}

/// The `sensor_close` step of a case whose alarms all cleared, under the version guard; nothing
/// when core refuses it (the case is no longer open) or the case changed meanwhile.
fn close_cleared(
    conn: &mut crate::store::DbConnection,
    case_id: CaseId,
    details: Value,
    at: DateTime<Utc>,
    calendar: &gridline_core::calendar::WorkingCalendar,
) -> crate::store::StoreResult<()> {
    use gridline_core::workflow::{self, Action, Provided, Role};
    let Some(case) = cases::find_full(conn, case_id)? else { return Ok(()) };
    let mut facts = super::facts::facts_for(&case, None, at, 0)?;
    facts.cleared_by_sensor = true;
    let taken = workflow::take(
        case.row.state,
        Action::SensorClose,
        Role::System,
        &Provided::default(),
        &facts,
        calendar,
    );
    let Ok(step) = taken else { return Ok(()) };
    let mut event = events::system_transition(&case, &step, details, at);
    let change = super::step::change_of(&step, event.occurred_at);
    cases::record_step(conn, case_id, case.row.version, &change, &mut event)?;
    Ok(())
}
