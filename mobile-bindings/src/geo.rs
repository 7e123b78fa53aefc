//! Coordinates across the FFI: the [`GeoPoint`] record, the [`Crs`] an app's map SDK speaks,
//! conversion between datums and great-circle distance, all delegated to `gridline_core::geo`.

use gridline_core::geo::{Crs as CoreCrs, GeoPoint as CoreGeoPoint};

use crate::GridlineError;

/// A point in degrees, latitude first. Latitude must lie in [-90, 90] and longitude in
/// [-180, 180]; functions that take a point refuse anything else with `InvalidInput`.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct GeoPoint {
    /// Latitude in degrees, north positive.
    pub lat: f64,
    /// Longitude in degrees, east positive.
    pub lon: f64,
}

/// The coordinate system a point is given in. Gridline stores WGS-84; map SDKs in China hand
/// out GCJ-02 (AMap, Tencent, Apple Maps in China) or BD-09 (Baidu).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Crs {
    /// GPS coordinates, and what Gridline stores and sends to the server.
    Wgs84,
    /// China's offset datum (国测局坐标) used by AMap, Tencent and Apple Maps in China.
    Gcj02,
    /// Baidu's datum, a further offset of GCJ-02.
    Bd09,
}

impl From<Crs> for CoreCrs {
    fn from(crs: Crs) -> Self {
        match crs {
            Crs::Wgs84 => CoreCrs::Wgs84,
            Crs::Gcj02 => CoreCrs::Gcj02,
            Crs::Bd09 => CoreCrs::Bd09,
        }
    }
}

impl From<CoreCrs> for Crs {
    fn from(crs: CoreCrs) -> Self {
        match crs {
            CoreCrs::Wgs84 => Crs::Wgs84,
            CoreCrs::Gcj02 => Crs::Gcj02,
            CoreCrs::Bd09 => Crs::Bd09,
        }
    }
}

impl TryFrom<GeoPoint> for CoreGeoPoint {
    type Error = GridlineError;
    fn try_from(point: GeoPoint) -> Result<Self, GridlineError> {
        Ok(CoreGeoPoint::new(point.lat, point.lon)?)
    }
}

impl From<CoreGeoPoint> for GeoPoint {
    fn from(point: CoreGeoPoint) -> Self {
        GeoPoint { lat: point.lat(), lon: point.lon() }
    }
}

/// Convert `point`, given in the `from` system, to the `to` system. Outside mainland China
/// GCJ-02 equals WGS-84, so only the BD-09 offset applies there. Fails with `InvalidInput`
/// (field `lat` or `lon`) when the point is not a valid coordinate.
#[uniffi::export]
pub fn convert_point(point: GeoPoint, from: Crs, to: Crs) -> Result<GeoPoint, GridlineError> {
    let point = CoreGeoPoint::try_from(point)?;
    Ok(CoreCrs::from(from).convert(point, to.into()).into())
}

/// Great-circle distance in metres between two points given in the same coordinate system
/// (within 0.5 % of the ellipsoidal distance, far below GPS error). Fails with `InvalidInput`
/// (field `lat` or `lon`) when either point is not a valid coordinate.
#[uniffi::export]
pub fn distance_m(a: GeoPoint, b: GeoPoint) -> Result<f64, GridlineError> {
    let a = CoreGeoPoint::try_from(a)?;
    let b = CoreGeoPoint::try_from(b)?;
    Ok(a.distance_m(&b))
}
