//! The duplicate step before sending: the open reports of the same category around the pin,
//! asked of the server (`GET /api/v1/public/nearby`) when the citizen sends, and the reports
//! the citizen chose to follow instead of sending another ("this is mine too").
//!
//! - The step is online only: offline, on a network error or on any refusal it is skipped and
//!   the report goes to the outbox as before, so a report is never held back by it.
//! - The server shows only what anyone may learn of a case (tracking number, state, a coarse
//!   distance band, dates, the reviewed words); no case id, so a followed report is kept on
//!   this device by its tracking number.
//! - Following is kept on the device, per account, and shown in "my reports": every sync
//!   refreshes each followed report from its public tracking page
//!   (`GET /api/v1/public/track/{number}`), keeps that answer for the detail (offline too), and
//!   a state change brings one local notification. Unfollowing forgets it. The server keeps no
//!   list of followers: the tracking page is public, so a follow needs no account on the
//!   server, and nothing about who follows what leaves the phone.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Shared;
use super::my_reports::detail_key;
use super::platform::LocalNotification;
use super::text::{self, Language};
use crate::device::{DraftFields, Error};
use crate::geo::GeoPoint;
use crate::protocol::TrackedCase;

const NEARBY: &str = "/api/v1/public/nearby";
const TRACK: &str = "/api/v1/public/track/{number}";

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
    /// The state's name as last seen: when followed, then at each refresh.
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

/// Stop following `tracking_number` (the signed-in account's list; its kept answer goes too).
pub(crate) fn unfollow(shared: &Shared, tracking_number: &str) -> Result<(), Error> {
    let Some(account) = account_id(shared) else { return Err(Error::SignedOut) };
    let mut list = followed(shared);
    list.retain(|r| r.tracking_number != tracking_number);
    let store = shared.device.store();
    store.set_setting(&followed_key(&account), &list)?;
    store.remove_setting(&detail_key(tracking_number))
}

/// A tracking number as a path segment: letters, digits and dashes only.
fn number_segment(number: &str) -> Option<&str> {
    (!number.is_empty() && number.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')).then_some(number)
}

/// Fetch one followed report's tracking page and keep it for the detail (as "my reports" keeps
/// the detail of an own report, under the tracking number); `None` without a
/// connection (the kept copy stays). A report the server no longer knows is an error.
pub(crate) fn fetch_tracked(shared: &Shared, tracking_number: &str) -> Result<Option<TrackedCase>, Error> {
    let Some(segment) = number_segment(tracking_number) else {
        return Err(Error::NotFound { what: "followed report", id: tracking_number.to_owned() });
    };
    let path = format!("/api/v1/public/track/{segment}");
    match shared.device.remote().get_public_as(TRACK, &path, TrackedCase::parse) {
        Ok(tracked) => {
            let timeline: Vec<Value> =
                tracked.timeline.iter().filter_map(|e| serde_json::to_value(e).ok()).collect();
            let kept = serde_json::json!({ "case": tracked.case, "timeline": { "events": timeline } });
            shared.device.store().set_setting(&detail_key(tracking_number), &kept)?;
            Ok(Some(tracked))
        }
        Err(Error::Transport(_) | Error::ServerUnavailable { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Refresh every report the signed-in account follows from its tracking page; one local
/// notification for each whose state changed since it was last seen. Offline, or for a report
/// the server refuses to show, the last copy stays; only the phone's own failures are errors.
pub(crate) fn refresh_followed(shared: &Shared) -> Result<(), Error> {
    let Some(account) = account_id(shared) else { return Ok(()) };
    let mut list = followed(shared);
    let lang = shared.language();
    let mut changed = false;
    for report in &mut list {
        let tracked = match fetch_tracked(shared, &report.tracking_number) {
            Ok(Some(tracked)) => tracked,
            Ok(None) => return Ok(()),
            Err(Error::Refused { .. } | Error::Protocol { .. } | Error::NotFound { .. }) => continue,
            Err(e) => return Err(e),
        };
        let state = tracked.case.state.as_str().to_owned();
        if state == report.state {
            continue;
        }
        shared.notifier.notify(LocalNotification {
            case_id: report.tracking_number.clone(),
            title: lang.pick(
                &format!("您关注的上报 {} 有新进展", report.tracking_number),
                &format!("The report {} you follow moved on", report.tracking_number),
            ),
            body: text::state_name_words(&state, lang),
        });
        report.state = state;
        if let Some(description) = tracked.case.description {
            report.description = description;
        }
        changed = true;
    }
    if changed {
        shared.device.store().set_setting(&followed_key(&account), &list)?;
    }
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
