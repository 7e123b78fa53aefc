//! The duplicate step before sending: the open reports of the same category around the pin,
//! asked of the server (`GET /api/v1/public/nearby`) when the citizen sends, and the reports
//! the citizen chose to follow instead of sending another ("this is mine too").
//!
//! - The step is online only: offline, on a network error or on any refusal it is skipped and
//!   the report goes to the outbox as before, so a report is never held back by it.
//! - The server shows only what anyone may learn of a case (tracking number, state, a coarse
//!   distance band, dates, the reviewed words); no case id, so a followed report is kept on
//!   this device by its tracking number.
//! - The server has no endpoint to register a follow: following is kept on the device only,
//!   per account, and shown in "my reports"; the office does not learn of it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Shared;
use super::text::{self, Language};
use crate::device::{DraftFields, Error};
use crate::geo::GeoPoint;

const NEARBY: &str = "/api/v1/public/nearby";

/// An open report of the same category near the pin, ready to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NearbyReport {
    pub tracking_number: String,
    /// The state in words.
    pub state_text: String,
    /// How far, as the server's coarse band, e.g. `100 米以内`.
    pub distance_text: String,
    /// When it was reported (the date, UTC).
    pub time_text: String,
    /// The reviewed description; empty until the office has reviewed it.
    pub description: String,
}

/// A report the citizen follows, kept on the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FollowedReport {
    pub tracking_number: String,
    pub category: String,
    /// The state's name when it was followed.
    pub state: String,
    pub description: String,
}

fn followed_key(account: &str) -> String {
    format!("followed_reports.{account}")
}

fn account_id(shared: &Shared) -> Option<String> {
    shared.device.account().ok().flatten().map(|a| a.user_id)
}

/// The reports the signed-in account follows, oldest first.
pub(crate) fn followed(shared: &Shared) -> Vec<FollowedReport> {
    let Some(account) = account_id(shared) else { return Vec::new() };
    shared.device.store().setting(&followed_key(&account)).ok().flatten().unwrap_or_default()
}

/// Keep `report` among the followed reports of the signed-in account (once).
pub(crate) fn follow(shared: &Shared, report: FollowedReport) -> Result<(), Error> {
    let Some(account) = account_id(shared) else { return Err(Error::SignedOut) };
    let mut list = followed(shared);
    list.retain(|r| r.tracking_number != report.tracking_number);
    list.push(report);
    shared.device.store().set_setting(&followed_key(&account), &list)?;
    Ok(())
}

fn string(doc: &Value, key: &str) -> String {
    doc.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// The open reports near the draft's place of its category, as the server lists them; empty
/// when the draft has no place or category, or the server cannot be asked or refuses.
pub(crate) fn ask(shared: &Shared, fields: &DraftFields) -> Vec<(NearbyReport, FollowedReport)> {
    let (Some(category), Some(position)) = (fields.category.as_deref(), fields.position) else {
        return Vec::new();
    };
    let Ok(point) = GeoPoint::new(position.lat, position.lon) else { return Vec::new() };
    let point = position.crs.to_wgs84(point);
    if !category.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Vec::new();
    }
    let path = format!("{NEARBY}?category={category}&lat={}&lon={}", point.lat(), point.lon());
    let Ok(answer) = shared.device.remote().get_public(NEARBY, &path) else { return Vec::new() };
    let lang = shared.language();
    answer
        .get("reports")
        .and_then(Value::as_array)
        .map(|reports| reports.iter().filter_map(|r| shown(r, category, lang)).collect())
        .unwrap_or_default()
}

fn shown(report: &Value, category: &str, lang: Language) -> Option<(NearbyReport, FollowedReport)> {
    let tracking_number = string(report, "tracking_number");
    if tracking_number.is_empty() {
        return None;
    }
    let state = string(report, "state");
    let band = report.get("distance_band_m").and_then(Value::as_f64).unwrap_or_default().round();
    let created = string(report, "created_at");
    let description = string(report, "description");
    let view = NearbyReport {
        tracking_number: tracking_number.clone(),
        state_text: text::state_name_words(&state, lang),
        distance_text: lang.pick(&format!("{band} 米以内"), &format!("within {band} m")),
        time_text: created.get(..10).unwrap_or(&created).to_owned(),
        description: description.clone(),
    };
    Some((view, FollowedReport { tracking_number, category: category.to_owned(), state, description }))
}
