//! Points on the earth: a validated WGS-84 [`GeoPoint`], the datums that Chinese map SDKs hand
//! out ([`Crs::Gcj02`] from AMap/Tencent/Apple-in-China, [`Crs::Bd09`] from Baidu), conversion
//! between them, and great-circle distance.
//!
//! Gridline stores and routes WGS-84 only. Anything tagged GCJ-02 or BD-09 is converted at the
//! edge with [`Crs::to_wgs84`], so every stored coordinate means the same thing.

mod datum;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use datum::{bd09_to_gcj02, gcj02_to_bd09, gcj02_to_wgs84, is_in_china, wgs84_to_gcj02};

/// Mean earth radius (IUGG), in metres; used by the haversine distance.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Why a coordinate was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeoError {
    #[error("latitude must be a finite number of degrees in [-90, 90], got {0}")]
    Latitude(f64),
    #[error("longitude must be a finite number of degrees in [-180, 180], got {0}")]
    Longitude(f64),
    #[error("unknown coordinate system {0:?}: expected wgs84, gcj02 or bd09")]
    UnknownCrs(String),
}

/// A point in degrees, latitude first. Construction validates, so a `GeoPoint` is never NaN,
/// infinite or off the globe.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawPoint", into = "RawPoint")]
pub struct GeoPoint {
    lat: f64,
    lon: f64,
}

#[derive(Serialize, Deserialize)]
struct RawPoint {
    lat: f64,
    lon: f64,
}

/// Equality is total: a `GeoPoint` is never NaN (so a step that carries one is `Eq` too).
impl Eq for GeoPoint {}

impl TryFrom<RawPoint> for GeoPoint {
    type Error = GeoError;
    fn try_from(raw: RawPoint) -> Result<Self, GeoError> {
        GeoPoint::new(raw.lat, raw.lon)
    }
}

impl From<GeoPoint> for RawPoint {
    fn from(p: GeoPoint) -> Self {
        RawPoint { lat: p.lat, lon: p.lon }
    }
}

impl GeoPoint {
    /// A point from latitude and longitude in degrees.
    pub fn new(lat: f64, lon: f64) -> Result<Self, GeoError> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(GeoError::Latitude(lat));
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(GeoError::Longitude(lon));
        }
        Ok(Self { lat, lon })
    }

    pub fn lat(&self) -> f64 {
        self.lat
    }

    pub fn lon(&self) -> f64 {
        self.lon
    }

    /// Great-circle (haversine) distance in metres on a sphere of [`EARTH_RADIUS_M`]. Within
    /// 0.5 % of the ellipsoidal distance, which is far below GPS error at city scale.
    pub fn distance_m(&self, other: &GeoPoint) -> f64 {
        let (lat1, lat2) = (self.lat.to_radians(), other.lat.to_radians());
        let dlat = lat2 - lat1;
        let dlon = (other.lon - self.lon).to_radians();
        let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
    }

    /// Clamp into range after arithmetic that may step a hair past a pole or the antimeridian.
    fn clamped(lat: f64, lon: f64) -> Self {
        Self { lat: lat.clamp(-90.0, 90.0), lon: lon.clamp(-180.0, 180.0) }
    }
}

impl fmt::Display for GeoPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.7},{:.7}", self.lat, self.lon)
    }
}

/// A coordinate reference system a client may tag its input with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Crs {
    /// GPS, and what Gridline stores.
    #[default]
    Wgs84,
    /// China's obfuscated datum (国测局坐标), used by AMap, Tencent and Apple Maps in China.
    Gcj02,
    /// Baidu's datum, a further offset of GCJ-02.
    Bd09,
}

impl Crs {
    pub const ALL: [Crs; 3] = [Crs::Wgs84, Crs::Gcj02, Crs::Bd09];

    pub fn as_str(self) -> &'static str {
        match self {
            Crs::Wgs84 => "wgs84",
            Crs::Gcj02 => "gcj02",
            Crs::Bd09 => "bd09",
        }
    }

    /// An optional `crs` field as the OpenAPI document shows it: null or one of the wire names.
    /// The parser also takes other spellings of them (any case, with `-` or `_`, `bd09ll`);
    /// the document names only these.
    #[cfg(feature = "openapi")]
    pub fn optional_schema() -> utoipa::openapi::Object {
        let names = Crs::ALL.map(|crs| serde_json::Value::from(crs.as_str()));
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                utoipa::openapi::Type::String,
                utoipa::openapi::Type::Null,
            ]))
            .enum_values(Some(names.into_iter().chain([serde_json::Value::Null])))
            .build()
    }

    /// Convert `point`, given in `self`, to WGS-84.
    pub fn to_wgs84(self, point: GeoPoint) -> GeoPoint {
        self.convert(point, Crs::Wgs84)
    }

    /// Convert `point`, given in `self`, to `target`.
    pub fn convert(self, point: GeoPoint, target: Crs) -> GeoPoint {
        if self == target {
            return point;
        }
        let (lat, lon) = (point.lat, point.lon);
        let (lat, lon) = match self {
            Crs::Wgs84 => wgs84_to_gcj02(lat, lon),
            Crs::Gcj02 => (lat, lon),
            Crs::Bd09 => bd09_to_gcj02(lat, lon),
        };
        let (lat, lon) = match target {
            Crs::Wgs84 => gcj02_to_wgs84(lat, lon),
            Crs::Gcj02 => (lat, lon),
            Crs::Bd09 => gcj02_to_bd09(lat, lon),
        };
        GeoPoint::clamped(lat, lon)
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Crs {
    type Err = GeoError;
    fn from_str(s: &str) -> Result<Self, GeoError> {
        match s.trim().to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "wgs84" => Ok(Crs::Wgs84),
            "gcj02" => Ok(Crs::Gcj02),
            "bd09" | "bd09ll" => Ok(Crs::Bd09),
            _ => Err(GeoError::UnknownCrs(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests;
