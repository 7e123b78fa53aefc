//! Capture metadata read from a photo's EXIF block before the block is thrown away: GPS
//! position and altitude, capture time with its UTC offset, orientation, camera make and model.
//!
//! EXIF is untrusted input. A missing, damaged or absurd block yields `None` fields, never an
//! error: the photo itself is still evidence, only its geotag is missing.

use std::io::Cursor;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use exif::{Exif, In, Rational, Tag, Value};
use serde::{Deserialize, Serialize};

use crate::geo::GeoPoint;

/// Longest make or model string kept; real ones are a few dozen characters.
const MAX_CAMERA_NAME_CHARS: usize = 64;

/// What a photo's EXIF said about where, when and with what it was taken.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaptureMetadata {
    /// GPS position (WGS-84, as GPS receivers report it). `None` without a GPS fix, and for
    /// the exact (0, 0) that some cameras write when they have none.
    pub position: Option<GeoPoint>,
    /// Metres above (positive) or below (negative) sea level.
    pub altitude_m: Option<f64>,
    /// `DateTimeOriginal`, with `OffsetTimeOriginal` when present.
    pub captured_at: Option<CaptureTime>,
    /// The EXIF orientation tag, 1..=8, as found; `None` when absent or out of range. The
    /// prepared photo has already been turned upright.
    pub orientation: Option<u8>,
    pub make: Option<String>,
    pub model: Option<String>,
}

/// The moment a photo was taken, as the camera's clock said: local wall time, and the UTC
/// offset when the camera recorded one (EXIF 2.31 `OffsetTimeOriginal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureTime {
    pub local: NaiveDateTime,
    /// `"+08:00"` in JSON.
    #[serde(with = "offset_text")]
    pub utc_offset: Option<FixedOffset>,
}

impl CaptureTime {
    /// The capture instant, reading the local time in `assumed_offset` when the photo did not
    /// record its own offset. `None` only for a local time that does not exist in that offset.
    pub fn instant(&self, assumed_offset: FixedOffset) -> Option<DateTime<FixedOffset>> {
        let offset = self.utc_offset.unwrap_or(assumed_offset);
        offset.from_local_datetime(&self.local).single()
    }
}

/// Everything [`CaptureMetadata`] holds that `bytes` (JPEG, PNG or WebP) carries in EXIF.
pub(super) fn read(bytes: &[u8]) -> CaptureMetadata {
    match exif::Reader::new().read_from_container(&mut Cursor::new(bytes)) {
        Ok(exif) => from_exif(&exif),
        Err(_) => CaptureMetadata::default(),
    }
}

fn from_exif(exif: &Exif) -> CaptureMetadata {
    CaptureMetadata {
        position: position(exif),
        altitude_m: altitude(exif),
        captured_at: captured_at(exif),
        orientation: orientation(exif),
        make: camera_name(exif, Tag::Make),
        model: camera_name(exif, Tag::Model),
    }
}

fn field(exif: &Exif, tag: Tag) -> Option<&Value> {
    exif.get_field(tag, In::PRIMARY).map(|f| &f.value)
}

fn ascii(exif: &Exif, tag: Tag) -> Option<&[u8]> {
    match field(exif, tag)? {
        Value::Ascii(parts) => parts.first().map(Vec::as_slice),
        _ => None,
    }
}

fn rational_to_f64(r: &Rational) -> Option<f64> {
    (r.denom != 0).then(|| f64::from(r.num) / f64::from(r.denom))
}

/// Degrees from a GPS `[degrees, minutes, seconds]` triple and its `N`/`S` or `E`/`W` reference.
fn degrees(exif: &Exif, value_tag: Tag, ref_tag: Tag, negative_ref: u8) -> Option<f64> {
    let Value::Rational(parts) = field(exif, value_tag)? else { return None };
    let mut total = 0.0;
    for (part, scale) in parts.iter().take(3).zip([1.0, 60.0, 3600.0]) {
        total += rational_to_f64(part)? / scale;
    }
    let sign = match ascii(exif, ref_tag).and_then(|r| r.first()) {
        Some(r) if r.eq_ignore_ascii_case(&negative_ref) => -1.0,
        _ => 1.0,
    };
    Some(sign * total)
}

fn position(exif: &Exif) -> Option<GeoPoint> {
    let lat = degrees(exif, Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S')?;
    let lon = degrees(exif, Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W')?;
    if lat == 0.0 && lon == 0.0 {
        return None;
    }
    GeoPoint::new(lat, lon).ok()
}

fn altitude(exif: &Exif) -> Option<f64> {
    let Value::Rational(parts) = field(exif, Tag::GPSAltitude)? else { return None };
    let metres = rational_to_f64(parts.first()?)?;
    let below_sea_level = field(exif, Tag::GPSAltitudeRef).and_then(|v| v.get_uint(0)) == Some(1);
    Some(if below_sea_level { -metres } else { metres })
}

fn captured_at(exif: &Exif) -> Option<CaptureTime> {
    let mut stamp = exif::DateTime::from_ascii(ascii(exif, Tag::DateTimeOriginal)?).ok()?;
    if let Some(subsec) = ascii(exif, Tag::SubSecTimeOriginal) {
        // A bad sub-second field does not spoil the seconds we already have.
        let _ = stamp.parse_subsec(subsec);
    }
    if let Some(offset) = ascii(exif, Tag::OffsetTimeOriginal) {
        let _ = stamp.parse_offset(offset);
    }
    let date = NaiveDate::from_ymd_opt(i32::from(stamp.year), stamp.month.into(), stamp.day.into())?;
    let local = date.and_hms_nano_opt(
        stamp.hour.into(),
        stamp.minute.into(),
        stamp.second.into(),
        stamp.nanosecond.unwrap_or(0).min(999_999_999),
    )?;
    let utc_offset = stamp.offset.and_then(|minutes| FixedOffset::east_opt(i32::from(minutes) * 60));
    Some(CaptureTime { local, utc_offset })
}

fn orientation(exif: &Exif) -> Option<u8> {
    let value = field(exif, Tag::Orientation)?.get_uint(0)?;
    u8::try_from(value).ok().filter(|v| (1..=8).contains(v))
}

fn camera_name(exif: &Exif, tag: Tag) -> Option<String> {
    let raw = ascii(exif, tag)?;
    let text: String = String::from_utf8_lossy(raw)
        .trim_matches(|c: char| c == '\0' || c.is_whitespace())
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_CAMERA_NAME_CHARS)
        .collect();
    (!text.is_empty()).then_some(text)
}

/// `Option<FixedOffset>` as `"+08:00"` text, since chrono gives offsets no serde form.
mod offset_text {
    use chrono::FixedOffset;
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub fn serialize<S: Serializer>(offset: &Option<FixedOffset>, s: S) -> Result<S::Ok, S::Error> {
        match offset {
            Some(offset) => s.serialize_some(&offset.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<FixedOffset>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| text.parse::<FixedOffset>().map_err(D::Error::custom))
            .transpose()
    }
}
