//! Early warning as a service: the work the HTTP handlers (`crate::api::warnings`) and the
//! daily job (`crate::jobs::warnings`) share, so a job never goes through a handler, as the
//! case service (`crate::cases`) is for cases. The rules are core's
//! (`gridline_core::warning`); this module reads and writes the store.
//!
//! - [`scan`]: the space-time scan over a caller's scope.
//! - [`signals`]: a scan run that keeps what it found as signals, and the cases and topics
//!   opened from a signal.
//! - Here: the query checks and the scope every warning answer uses, a refusal of core's
//!   rules as an error, and the owner unit a topic names. The HTTP answers of a stale or
//!   missing `If-Match` are the handlers' (`crate::api::warnings`).

use gridline_core::workflow::Role;

use crate::app::AppState;
use crate::auth::{CaseFilter, Principal};
use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::store::stats::StatsFilter;
use crate::store::units;

pub mod scan;
pub mod signals;

/// Who watches for warnings: the places' offices (street, district, city) and the read-only
/// screens. A handler's scope is a unit, not a place.
pub const WATCHERS: &[Role] =
    &[Role::Admin, Role::DistrictAdmin, Role::System, Role::Dispatcher, Role::Viewer];

/// Refuse (400 `invalid_query`, naming it) a parameter not in `known` or given twice.
pub fn checked_pairs(pairs: &[(String, String)], known: &[&str]) -> ApiResult<()> {
    let mut seen: Vec<&str> = Vec::new();
    for (name, _) in pairs {
        if !known.contains(&name.as_str()) {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("unknown parameter; expected one of {}", known.join(", ")),
            )
            .with_field(name));
        }
        if seen.contains(&name.as_str()) {
            return Err(ApiError::bad_request("invalid_query", "the parameter is given more than once")
                .with_field(name));
        }
        seen.push(name);
    }
    Ok(())
}

/// The cases the caller may watch, by place.
pub fn scope_of(who: &Principal) -> ApiResult<StatsFilter> {
    match who.case_filter() {
        CaseFilter::All => Ok(StatsFilter::default()),
        CaseFilter::GridRange { first, last, .. } => {
            Ok(StatsFilter { grid_range: Some((first, last)), ..StatsFilter::default() })
        }
        _ => Err(ApiError::forbidden("early warning is for the street office and the city")),
    }
}

/// A refusal of core's rules for a step (its HTTP status, stable code, message and the request
/// field at fault) as the error answered.
pub fn refusal(status: u16, code: &'static str, message: String, field: Option<&'static str>) -> ApiError {
    let kind = match status {
        403 => ErrorKind::Forbidden,
        409 => ErrorKind::Conflict,
        _ => ErrorKind::Unprocessable,
    };
    let error = ApiError::new(kind, code, message);
    match field {
        Some(field) => error.with_field(field),
        None => error,
    }
}

/// Refuses (422 `unknown_unit`, naming `owner_unit`) a topic's owner unit that is no active
/// handling unit, whether the topic is adopted from a month's candidates or from a signal.
pub async fn active_owner(state: &AppState, owner_unit: Option<&str>) -> ApiResult<()> {
    let Some(code) = owner_unit.map(str::to_owned) else { return Ok(()) };
    let unit = state.db.run(move |conn| units::find(conn, &code)).await?;
    if unit.is_some_and(|u| u.is_active()) {
        return Ok(());
    }
    Err(ApiError::new(ErrorKind::Unprocessable, "unknown_unit", "no active handling unit has this code")
        .with_field("owner_unit"))
}
