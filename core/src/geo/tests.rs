//! Reference values for the datum conversions and the distance.

use super::*;

/// WGS-84 → GCJ-02 pairs from the test suite of the open `eviltransform` library
/// (googollee/eviltransform, `transform_test.go`): Shanghai, Shenzhen, Beijing.
const EVILTRANSFORM_PAIRS: [(f64, f64, f64, f64); 3] = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
];

fn p(lat: f64, lon: f64) -> GeoPoint {
    GeoPoint::new(lat, lon).unwrap()
}

#[test]
fn wgs84_to_gcj02_matches_reference_pairs() {
    for (wlat, wlon, glat, glon) in EVILTRANSFORM_PAIRS {
        let got = Crs::Wgs84.convert(p(wlat, wlon), Crs::Gcj02);
        assert!((got.lat() - glat).abs() < 1e-9, "{wlat},{wlon} → {got}");
        assert!((got.lon() - glon).abs() < 1e-9, "{wlat},{wlon} → {got}");
    }
}

#[test]
fn gcj02_to_wgs84_recovers_the_reference_within_half_a_metre() {
    for (wlat, wlon, glat, glon) in EVILTRANSFORM_PAIRS {
        let back = Crs::Gcj02.to_wgs84(p(glat, glon));
        let err = back.distance_m(&p(wlat, wlon));
        assert!(err < 0.5, "error {err} m for {glat},{glon}");
        // The iteration goes much further than the requirement: sub-millimetre.
        assert!(err < 0.001, "error {err} m for {glat},{glon}");
    }
}

/// BD-09 value of the Shanghai GCJ-02 point above, from Baidu's published GCJ-02 → BD-09
/// formula (the one in Baidu's coordinate-conversion documentation and every port of it).
#[test]
fn gcj02_to_bd09_matches_reference() {
    let bd = Crs::Gcj02.convert(p(31.17530398364597, 121.531541859215), Crs::Bd09);
    assert!((bd.lat() - 31.181328606874466).abs() < 1e-9, "{bd}");
    assert!((bd.lon() - 121.53801568643858).abs() < 1e-9, "{bd}");
}

#[test]
fn every_pair_of_datums_round_trips_across_china() {
    // A coarse sweep over the box where the offsets apply.
    let mut lat = 18.0;
    while lat < 53.0 {
        let mut lon = 74.0;
        while lon < 135.0 {
            let start = p(lat, lon);
            for from in Crs::ALL {
                for to in Crs::ALL {
                    let there = from.convert(start, to);
                    let back = to.convert(there, from);
                    let err = back.distance_m(&start);
                    assert!(err < 0.01, "{from}→{to}→{from} at {start}: {err} m");
                }
            }
            lon += 3.7;
        }
        lat += 2.9;
    }
}

#[test]
fn gcj02_equals_wgs84_outside_china() {
    for (lat, lon) in [(35.6895, 139.6917), (48.8566, 2.3522), (-33.8688, 151.2093), (40.7128, -74.006)] {
        let pt = p(lat, lon);
        assert_eq!(Crs::Wgs84.convert(pt, Crs::Gcj02), pt);
        assert_eq!(Crs::Gcj02.to_wgs84(pt), pt);
    }
}

#[test]
fn offsets_inside_china_are_hundreds_of_metres() {
    let w = p(31.2304, 121.4737);
    let g = Crs::Wgs84.convert(w, Crs::Gcj02);
    let d = w.distance_m(&g);
    assert!((100.0..1000.0).contains(&d), "{d}");
}

/// Haversine example from Chris Veness, "Calculate distance, bearing and more between
/// Latitude/Longitude points" (movable-type.co.uk): Land's End to John o' Groats, 968.9 km
/// on a 6,371 km sphere.
#[test]
fn distance_matches_published_haversine_example() {
    let lands_end = p(50.0 + 3.0 / 60.0 + 59.0 / 3600.0, -(5.0 + 42.0 / 60.0 + 53.0 / 3600.0));
    let john_o_groats = p(58.0 + 38.0 / 60.0 + 38.0 / 3600.0, -(3.0 + 4.0 / 60.0 + 12.0 / 3600.0));
    let d = lands_end.distance_m(&john_o_groats) * 6_371_000.0 / EARTH_RADIUS_M;
    assert!((d - 968_900.0).abs() < 100.0, "{d}");
}

#[test]
fn one_degree_of_latitude_is_about_111_km() {
    let d = p(0.0, 0.0).distance_m(&p(1.0, 0.0));
    assert!((d - 111_195.08).abs() < 0.1, "{d}");
    assert_eq!(p(10.0, 20.0).distance_m(&p(10.0, 20.0)), 0.0);
}

#[test]
fn invalid_points_are_refused_with_the_reason() {
    assert!(matches!(GeoPoint::new(f64::NAN, 0.0), Err(GeoError::Latitude(_))));
    assert!(matches!(GeoPoint::new(0.0, f64::INFINITY), Err(GeoError::Longitude(_))));
    assert!(matches!(GeoPoint::new(90.000001, 0.0), Err(GeoError::Latitude(_))));
    assert!(matches!(GeoPoint::new(0.0, -180.5), Err(GeoError::Longitude(_))));
    assert!(GeoPoint::new(-90.0, 180.0).is_ok());
    let msg = GeoPoint::new(91.0, 0.0).unwrap_err().to_string();
    assert!(msg.contains("latitude") && msg.contains("91"), "{msg}");
}

#[test]
fn crs_parses_common_spellings_and_refuses_others() {
    assert_eq!("WGS84".parse::<Crs>().unwrap(), Crs::Wgs84);
    assert_eq!("wgs-84".parse::<Crs>().unwrap(), Crs::Wgs84);
    assert_eq!("gcj02".parse::<Crs>().unwrap(), Crs::Gcj02);
    assert_eq!("GCJ-02".parse::<Crs>().unwrap(), Crs::Gcj02);
    assert_eq!("bd09".parse::<Crs>().unwrap(), Crs::Bd09);
    assert_eq!("bd09ll".parse::<Crs>().unwrap(), Crs::Bd09);
    assert!(matches!("utm".parse::<Crs>(), Err(GeoError::UnknownCrs(s)) if s == "utm"));
}

#[test]
fn geopoint_json_is_validated() {
    let ok: GeoPoint = serde_json::from_str(r#"{"lat":31.2,"lon":121.5}"#).unwrap();
    assert_eq!(ok, p(31.2, 121.5));
    assert!(serde_json::from_str::<GeoPoint>(r#"{"lat":131.2,"lon":121.5}"#).is_err());
    assert_eq!(serde_json::to_string(&ok).unwrap(), r#"{"lat":31.2,"lon":121.5}"#);
}
