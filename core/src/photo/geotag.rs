//! Does a photo's own geotag agree with the device that submits it? Compares the EXIF position
//! and capture time with the device's position and clock at submission. A mismatch is flagged on
//! the case for a dispatcher to look at; it never rejects the report, since GPS drifts and
//! people photograph first and report later.

use chrono::{DateTime, FixedOffset, TimeDelta};

use super::metadata::CaptureMetadata;
use crate::geo::GeoPoint;

/// Default tolerance between the photo's and the device's position, in metres.
pub const DEFAULT_MAX_DISTANCE_M: f64 = 200.0;
/// Default tolerance between capture time and submission time, in minutes.
pub const DEFAULT_MAX_AGE_MINUTES: i64 = 30;

/// Where and when the device was when the report was made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeviceFix {
    pub position: GeoPoint,
    /// The device clock, with its UTC offset. A capture time recorded without an offset is
    /// read in this offset, as cameras keep local time.
    pub time: DateTime<FixedOffset>,
}

/// How far apart the photo and the device may be before the report is flagged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoTagPolicy {
    pub max_distance_m: f64,
    /// The largest difference between capture and submission time, in either direction.
    pub max_age: TimeDelta,
}

impl Default for GeoTagPolicy {
    fn default() -> Self {
        Self { max_distance_m: DEFAULT_MAX_DISTANCE_M, max_age: TimeDelta::minutes(DEFAULT_MAX_AGE_MINUTES) }
    }
}

/// The outcome of [`check_geotag`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GeoTagVerdict {
    /// Within both tolerances (or within the distance, when the photo has no capture time).
    Consistent,
    /// The photo was taken `distance_m` metres from where the device is.
    TooFar { distance_m: f64 },
    /// The photo was taken `age` before the device's time (negative: after it, i.e. the
    /// camera clock is ahead).
    TooOld { age: TimeDelta },
    /// The photo carries no GPS position, so nothing can be compared.
    NoGeotag,
}

/// Compare the photo's geotag with the device fix. Distance is judged first: a photo from the
/// wrong place is the stronger signal. A photo with a position but no capture time is judged
/// on distance alone.
pub fn check_geotag(metadata: &CaptureMetadata, device: &DeviceFix, policy: &GeoTagPolicy) -> GeoTagVerdict {
    let Some(position) = metadata.position else { return GeoTagVerdict::NoGeotag };
    let distance_m = position.distance_m(&device.position);
    if distance_m > policy.max_distance_m {
        return GeoTagVerdict::TooFar { distance_m };
    }
    let captured = metadata.captured_at.and_then(|t| t.instant(*device.time.offset()));
    if let Some(captured) = captured {
        let age = device.time.signed_duration_since(captured);
        if age.abs() > policy.max_age {
            return GeoTagVerdict::TooOld { age };
        }
    }
    GeoTagVerdict::Consistent
}
