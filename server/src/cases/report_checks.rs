//! The checks of a report: its fields before any database read (category code, description,
//! position, capture time, photo ids), the verdict on its photos' geotags, its tracking number
//! and the hourly limit of a citizen account.

use chrono::{DateTime, FixedOffset, Utc};
use gridline_core::codes::CategoryCode;
use gridline_core::limits::{MAX_DESCRIPTION_CHARS, MAX_REPORT_PHOTOS, is_visible};
use gridline_core::photo::{CaptureMetadata, DeviceFix, GeoTagPolicy, GeoTagVerdict, check_geotag};
use gridline_core::protocol::ReportRequest;
use gridline_core::workflow::{Channel, Role};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::report::Submitter;
use crate::auth::throttle::ThrottleRule;
use crate::error::{ApiError, ApiResult};
use crate::routing::wgs84_point;
use crate::store::photos::PhotoRow;

/// The request after the checks that need no database.
pub(super) struct Checked {
    pub key: String,
    pub request_sha256: String,
    pub category: CategoryCode,
    pub point: gridline_core::geo::GeoPoint,
    pub captured_at: Option<DateTime<FixedOffset>>,
    pub photo_ids: Vec<String>,
}

/// The checks that need no database, once the idempotency key is known.
pub(super) fn check_body(key: String, body: &ReportRequest) -> ApiResult<Checked> {
    let category = CategoryCode::parse(body.category.trim())
        .map_err(|e| ApiError::invalid_field("category", format!("expected a category code: {e}")))?;
    let description_chars = body.description.trim().chars().count();
    if description_chars == 0 || description_chars > MAX_DESCRIPTION_CHARS {
        return Err(ApiError::invalid_field(
            "description",
            format!("expected 1 to {MAX_DESCRIPTION_CHARS} characters, found {description_chars}"),
        ));
    }
    if !body.description.chars().any(is_visible) {
        return Err(ApiError::invalid_field("description", "expected at least one visible character"));
    }
    if body.description.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(ApiError::invalid_field("description", "control characters are not allowed"));
    }
    let point = wgs84_point(body.position.lat, body.position.lon, body.position.crs.as_deref(), "position.")?;
    if let Some(accuracy) = body.position.accuracy_m
        && !(accuracy.is_finite() && accuracy >= 0.0)
    {
        return Err(ApiError::invalid_field(
            "position.accuracy_m",
            "expected a finite number of metres >= 0",
        ));
    }
    let captured_at = body
        .captured_at
        .as_deref()
        .map(|text| {
            DateTime::parse_from_rfc3339(text)
                .map_err(|_| ApiError::invalid_field("captured_at", "expected an RFC 3339 time"))
        })
        .transpose()?;
    if body.photo_ids.len() > MAX_REPORT_PHOTOS {
        return Err(ApiError::invalid_field(
            "photo_ids",
            format!("expected at most {MAX_REPORT_PHOTOS} photos"),
        ));
    }
    let mut photo_ids = Vec::with_capacity(body.photo_ids.len());
    for (i, id) in body.photo_ids.iter().enumerate() {
        let parsed = Uuid::parse_str(id).map_err(|_| {
            ApiError::invalid_field(format!("photo_ids[{i}]"), "expected a photo id from POST /photos")
        })?;
        let id = parsed.to_string();
        if photo_ids.contains(&id) {
            return Err(ApiError::invalid_field(format!("photo_ids[{i}]"), "the same photo is listed twice"));
        }
        photo_ids.push(id);
    }
    let canonical = serde_json::to_vec(body).map_err(ApiError::internal)?;
    Ok(Checked {
        key,
        request_sha256: hex::encode(Sha256::digest(&canonical)),
        category,
        point,
        captured_at,
        photo_ids,
    })
}

/// The per-account intake limit as a throttle rule: at most `per_hour` reports in an hour's
/// window (taken with [`crate::auth::throttle::reserve`]). `None` when the setting is 0.
pub(super) fn intake_rule(per_hour: u32) -> Option<ThrottleRule> {
    (per_hour > 0).then(|| ThrottleRule {
        name: "intake-account",
        max_hits: i32::try_from(per_hour).unwrap_or(i32::MAX),
        window_seconds: 3600,
        base_lock_seconds: 600,
        max_lock_seconds: 3600,
    })
}

/// The strongest signal among the photos: too far, then too old, then consistent.
pub(super) fn geotag_verdict(photos: &[PhotoRow], device: &DeviceFix) -> String {
    if photos.is_empty() {
        return "no_photo".to_owned();
    }
    let policy = GeoTagPolicy::default();
    let rank = |v: &GeoTagVerdict| match v {
        GeoTagVerdict::TooFar { .. } => 3,
        GeoTagVerdict::TooOld { .. } => 2,
        GeoTagVerdict::Consistent => 1,
        GeoTagVerdict::NoGeotag => 0,
    };
    let worst = photos
        .iter()
        .map(|p| {
            let metadata: CaptureMetadata = serde_json::from_str(&p.capture_metadata).unwrap_or_default();
            check_geotag(&metadata, device, &policy)
        })
        .max_by_key(rank)
        .unwrap_or(GeoTagVerdict::NoGeotag);
    match worst {
        GeoTagVerdict::TooFar { .. } => "too_far",
        GeoTagVerdict::TooOld { .. } => "too_old",
        GeoTagVerdict::Consistent => "consistent",
        GeoTagVerdict::NoGeotag => "no_geotag",
    }
    .to_owned()
}

/// A human tracking number: date and six random Crockford base-32 characters (no I, L, O, U),
/// e.g. `GL-261129-7KQ2MX`.
pub(super) fn tracking_number(now: DateTime<Utc>) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let suffix: String = (0..6).map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char).collect();
    format!("GL-{}-{suffix}", now.format("%y%m%d"))
}

/// The citizen account a report counts against, when the hourly limit applies to it.
pub(super) fn limited_reporter(who: &Submitter) -> Option<&str> {
    // A hotline call is filed by the operator for the caller: the caller's hourly count is not
    // theirs to spend.
    who.reporter_id
        .as_deref()
        .filter(|_| who.reporter_role == Role::Citizen.as_str() && who.channel != Channel::Hotline)
}

#[cfg(test)]
mod tests {
    use gridline_core::limits::DESCRIPTION_PATTERN;

    use super::*;

    /// The document's description pattern, character by character, against the intake's check.
    #[test]
    fn the_description_pattern_is_what_the_intake_accepts() {
        let pattern = regex::Regex::new(DESCRIPTION_PATTERN).unwrap();
        let accepts = |description: &str| {
            let body: ReportRequest = serde_json::from_value(serde_json::json!({
                "category": "E0101",
                "description": description,
                "position": {"lat": 39.9, "lon": 116.4},
            }))
            .unwrap();
            check_body("key".into(), &body).is_ok()
        };
        let chars = (0..=0x3100u32).chain(0xfdf0..=0xffff).chain([0x1f600, 0xe0001]);
        for c in chars.filter_map(char::from_u32) {
            for text in [c.to_string(), format!("a{c}"), format!("{c} {c}")] {
                assert_eq!(pattern.is_match(&text), accepts(&text), "{text:?}");
            }
        }
    }
}
