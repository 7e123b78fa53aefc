//! Sensor alarms (城市神经元): the systems that send them, their device registry, the alarm
//! intake and the rules that turn alarms into cases without drowning the street office.
//!
//! - [`registry`]: devices imported in bulk (CSV or GeoJSON), each routed to its grid cell;
//! - [`intake`]: a system's batch of alarms checked, applied in one transaction, and the cases
//!   it opens filed through the case service ([`crate::cases::sensor`]);
//! - [`writer`]: the node's one alarm writer, applying the batches that wait together in one
//!   transaction (group commit);
//! - [`engine`]: the rules themselves (de-duplication, confirmation, grouping, flapping,
//!   all-clear), per alarm kind from the city's table (core's [`gridline_core::sensors`]).
//!
//! A sending system authenticates with its own key (`Authorization: Bearer glsen_...`), which
//! is good for its own devices' alarms and nothing else.

pub mod engine;
pub mod intake;
pub mod registry;
pub mod writer;

use actix_web::HttpRequest;
use actix_web::http::header::AUTHORIZATION;

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::store::sensors::{self as store, KEY_PREFIX, SystemRow};

/// The live sending system whose key `req` presents (`Authorization: Bearer glsen_...`).
pub async fn system_of(state: &AppState, req: &HttpRequest) -> ApiResult<SystemRow> {
    let presented = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|k| k.starts_with(KEY_PREFIX))
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::unauthorized("a sensor system key is required (Authorization: Bearer glsen_...)")
        })?;
    state
        .db
        .run(move |conn| store::find_system_by_key(conn, &presented))
        .await?
        .ok_or_else(|| ApiError::unauthorized("the sensor system key is not valid"))
}
