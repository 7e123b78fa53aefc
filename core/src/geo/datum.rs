//! The GCJ-02 and BD-09 offsets. GCJ-02 is a published-by-reverse-engineering polynomial shift
//! of WGS-84 applied only inside mainland China; BD-09 is Baidu's further rotation of GCJ-02.
//! The forward direction is closed-form; GCJ-02 → WGS-84 has no inverse, so it is solved by
//! fixed-point iteration to well under a centimetre.

use std::f64::consts::PI;

/// Krasovsky 1940 ellipsoid, which the GCJ-02 formula is defined on.
const KRASOVSKY_A: f64 = 6_378_245.0;
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943;
const BD_X_PI: f64 = PI * 3000.0 / 180.0;

/// The rough box in which GCJ-02 differs from WGS-84. Outside it, GCJ-02 equals WGS-84.
pub fn is_in_china(lat: f64, lon: f64) -> bool {
    (72.004..=137.8347).contains(&lon) && (0.8293..=55.8271).contains(&lat)
}

fn shift_lat(x: f64, y: f64) -> f64 {
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn shift_lon(x: f64, y: f64) -> f64 {
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// WGS-84 → GCJ-02, as (lat, lon).
pub fn wgs84_to_gcj02(lat: f64, lon: f64) -> (f64, f64) {
    if !is_in_china(lat, lon) {
        return (lat, lon);
    }
    let dlat = shift_lat(lon - 105.0, lat - 35.0);
    let dlon = shift_lon(lon - 105.0, lat - 35.0);
    let rad_lat = lat.to_radians();
    let magic = 1.0 - KRASOVSKY_EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let dlat = (dlat * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    let dlon = (dlon * 180.0) / (KRASOVSKY_A / sqrt_magic * rad_lat.cos() * PI);
    (lat + dlat, lon + dlon)
}

/// GCJ-02 → WGS-84, as (lat, lon): iterate `w ← w − (gcj(w) − g)` until the step is below
/// 1e-10° (about 0.01 mm). The shift is smooth and small, so this converges in a few steps.
pub fn gcj02_to_wgs84(lat: f64, lon: f64) -> (f64, f64) {
    if !is_in_china(lat, lon) {
        return (lat, lon);
    }
    let (mut wlat, mut wlon) = (lat, lon);
    for _ in 0..30 {
        let (glat, glon) = wgs84_to_gcj02(wlat, wlon);
        let (dlat, dlon) = (glat - lat, glon - lon);
        wlat -= dlat;
        wlon -= dlon;
        if dlat.abs() < 1e-10 && dlon.abs() < 1e-10 {
            break;
        }
    }
    (wlat, wlon)
}

/// GCJ-02 → BD-09, as (lat, lon).
pub fn gcj02_to_bd09(lat: f64, lon: f64) -> (f64, f64) {
    let (x, y) = (lon, lat);
    let z = (x * x + y * y).sqrt() + 0.00002 * (y * BD_X_PI).sin();
    let theta = y.atan2(x) + 0.000003 * (x * BD_X_PI).cos();
    (z * theta.sin() + 0.006, z * theta.cos() + 0.0065)
}

/// BD-09 → GCJ-02, as (lat, lon). Baidu's published inverse, exact to about a metre; refined
/// by two fixed-point steps against the forward formula so that round trips agree to < 1 mm.
pub fn bd09_to_gcj02(lat: f64, lon: f64) -> (f64, f64) {
    let (x, y) = (lon - 0.0065, lat - 0.006);
    let z = (x * x + y * y).sqrt() - 0.00002 * (y * BD_X_PI).sin();
    let theta = y.atan2(x) - 0.000003 * (x * BD_X_PI).cos();
    let (mut glat, mut glon) = (z * theta.sin(), z * theta.cos());
    for _ in 0..3 {
        let (blat, blon) = gcj02_to_bd09(glat, glon);
        glat -= blat - lat;
        glon -= blon - lon;
    }
    (glat, glon)
}
