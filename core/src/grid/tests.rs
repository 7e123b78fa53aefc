//! Unit tests of the grid module: routing rules on hand-made cells, GeoJSON, validation,
//! the offline package and the generator.

use super::*;
use crate::codes::GridCode;
use crate::geo::{Crs, GeoPoint};

fn code(n: u16) -> GridCode {
    GridCode::from_parts(310104, 1, 1, n).unwrap()
}

/// A closed counter-clockwise square ring with corners in 1e-4 degree steps from (121, 31).
fn square(x0: i32, y0: i32, x1: i32, y1: i32) -> Ring {
    let p = |x: i32, y: i32| [121.0 + f64::from(x) * 1e-4, 31.0 + f64::from(y) * 1e-4];
    vec![p(x0, y0), p(x1, y0), p(x1, y1), p(x0, y1), p(x0, y0)]
}

fn cell(n: u16, rings: Vec<Ring>) -> GridCell {
    GridCell { code: code(n), name: format!("cell {n}"), geometry: CellGeometry::Polygon(rings) }
}

fn point(x: f64, y: f64) -> GeoPoint {
    GeoPoint::new(31.0 + y * 1e-4, 121.0 + x * 1e-4).unwrap()
}

/// Cells 2 and 1 side by side sharing the edge x = 10; cell 3 is a ring around a hole at
/// (30..40, 0..10) which cell 4 fills; cells 5 and 6 overlap on x in 60..65.
fn sample() -> Vec<GridCell> {
    let mut outer = square(20, -10, 50, 20);
    outer.reverse();
    vec![
        cell(2, vec![square(0, 0, 10, 10)]),
        cell(1, vec![square(10, 0, 20, 10)]),
        cell(
            3,
            vec![square(20, -10, 50, 20), {
                let mut hole = square(30, 0, 40, 10);
                hole.reverse();
                hole
            }],
        ),
        cell(4, vec![square(30, 0, 40, 10)]),
        cell(6, vec![square(55, 0, 65, 10)]),
        cell(5, vec![square(60, 0, 70, 10)]),
    ]
    .into_iter()
    .map(|c| {
        if c.code == code(3) {
            GridCell {
                geometry: CellGeometry::Polygon(vec![
                    outer.clone(),
                    square(30, 0, 40, 10).into_iter().rev().collect(),
                ]),
                ..c
            }
        } else {
            c
        }
    })
    .collect()
}

fn route(index: &GridIndex, x: f64, y: f64) -> Route {
    index.route(point(x, y))
}

#[test]
fn inside_boundary_vertex_hole_and_overlap_follow_the_rules() {
    let index = GridIndex::build(&sample()).unwrap();
    assert_eq!(route(&index, 5.0, 5.0), Route::Cell { code: code(2), how: How::Inside });
    assert_eq!(route(&index, 15.0, 5.0), Route::Cell { code: code(1), how: How::Inside });
    // On the shared edge and on a shared vertex: the smaller code wins.
    assert_eq!(route(&index, 10.0, 5.0), Route::Cell { code: code(1), how: How::Boundary });
    assert_eq!(route(&index, 10.0, 10.0), Route::Cell { code: code(1), how: How::Boundary });
    // Cell 2's outer edge is not shared but still its boundary.
    assert_eq!(route(&index, 0.0, 5.0), Route::Cell { code: code(2), how: How::Boundary });
    // The hole belongs to cell 4, not to the ring around it; the hole's edge touches both.
    assert_eq!(route(&index, 35.0, 5.0), Route::Cell { code: code(4), how: How::Inside });
    assert_eq!(route(&index, 25.0, 5.0), Route::Cell { code: code(3), how: How::Inside });
    assert_eq!(route(&index, 30.0, 5.0), Route::Cell { code: code(3), how: How::Boundary });
    // Strictly inside two overlapping cells: the smaller code, marked as an overlap.
    assert_eq!(route(&index, 62.0, 5.0), Route::Cell { code: code(5), how: How::Overlap });
    assert_eq!(route(&index, 57.0, 5.0), Route::Cell { code: code(6), how: How::Inside });
}

#[test]
fn near_points_go_to_the_nearest_cell_and_far_ones_are_unroutable() {
    let index = GridIndex::build(&sample()).unwrap();
    // 1e-4 degree of latitude is about 11.1 m: 2e-4 below cell 2 is about 22 m away.
    match route(&index, 5.0, -2.0) {
        Route::Cell { code: c, how: How::Nearest { distance_m } } => {
            assert_eq!(c, code(2));
            assert!((distance_m - 22.24).abs() < 0.05, "{distance_m}");
        }
        other => panic!("expected nearest, got {other:?}"),
    }
    assert_eq!(route(&index, 5.0, -6.0), Route::Unroutable);
    assert_eq!(route(&index, 500.0, 500.0), Route::Unroutable);
    // Equidistant from cells 2 and 1 (below their shared vertex): the smaller code.
    assert_eq!(route(&index, 10.0, -2.0).code(), Some(code(1)));
    let strict = GridIndex::build(&sample()).unwrap().with_tolerance_m(0.0).unwrap();
    assert_eq!(route(&strict, 5.0, -2.0), Route::Unroutable);
    let wide = GridIndex::build(&sample()).unwrap().with_tolerance_m(100.0).unwrap();
    assert_eq!(route(&wide, 5.0, -6.0).code(), Some(code(2)));
    assert!(GridIndex::build(&sample()).unwrap().with_tolerance_m(f64::NAN).is_err());
    assert!(GridIndex::build(&sample()).unwrap().with_tolerance_m(-1.0).is_err());
}

#[test]
fn the_nearest_cell_is_found_at_any_distance_and_agrees_with_each_cells_distance() {
    let cells = generate_city(GeneratorOptions { cells: 60, seed: 7, bbox: None }).unwrap();
    let index = GridIndex::build(&cells).unwrap();
    let brute_force = |p: GeoPoint| {
        index
            .codes()
            .map(|c| (index.distance_to_cell_m(c, p).unwrap(), c))
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
            .unwrap()
    };
    let [lon, lat] = cells[0].geometry.polygons()[0][0][0];
    // Far beyond the routing tolerance in every direction (kilometres away), and inside.
    for (dlon, dlat) in [(0.0, 0.0), (0.3, 0.0), (-0.2, 0.05), (0.0, -0.4), (0.05, 0.25), (1.5, 1.5)] {
        let p = GeoPoint::new(lat + dlat, lon + dlon).unwrap();
        let (code, distance_m) = index.nearest_cell(p).unwrap();
        let (expected_m, expected) = brute_force(p);
        assert_eq!(code, expected, "{dlon} {dlat}");
        assert!((distance_m - expected_m).abs() < 0.01, "{distance_m} vs {expected_m}");
        if dlon != 0.0 || dlat != 0.0 {
            assert_eq!(index.route(p), Route::Unroutable, "far away: triage");
        }
    }
}

#[test]
fn distance_to_a_cell_is_zero_inside_and_on_its_edge_and_says_how_far_outside() {
    let index = GridIndex::build(&sample()).unwrap();
    // 1e-4 degree of longitude at 31 degrees north is about 9.54 m, of latitude 11.13 m.
    let metres_x = 1e-4 * 111_320.0 * 31f64.to_radians().cos();
    assert_eq!(index.distance_to_cell_m(code(2), point(5.0, 5.0)), Some(0.0));
    assert_eq!(index.distance_to_cell_m(code(2), point(10.0, 5.0)), Some(0.0), "on the shared edge");
    let beside = index.distance_to_cell_m(code(2), point(15.0, 5.0)).unwrap();
    assert!((beside - 5.0 * metres_x).abs() < 0.5, "{beside}");
    // Inside cell 3's hole is outside cell 3: the distance is to the hole's edge.
    let in_hole = index.distance_to_cell_m(code(3), point(35.0, 5.0)).unwrap();
    assert!((in_hole - 5.0 * metres_x).abs() < 0.5, "{in_hole}");
    assert_eq!(index.distance_to_cell_m(code(99), point(5.0, 5.0)), None, "not in the index");

    assert_eq!(OnSite::check(&index, code(2), point(5.0, 5.0)), Some(OnSite::Inside));
    let near = OnSite::check(&index, code(2), point(14.0, 5.0)).unwrap();
    assert!(matches!(near, OnSite::WithinTolerance { .. }) && near.allowed());
    let far = OnSite::check(&index, code(2), point(45.0, 5.0)).unwrap();
    let OnSite::TooFar { distance_m, tolerance_m } = far else { panic!("{far:?}") };
    assert!((distance_m - 35.0 * metres_x).abs() < 1.0 && tolerance_m == DEFAULT_TOLERANCE_M);
    assert!(!far.allowed());
}

#[test]
fn a_point_named_by_its_cell_lies_inside_the_cell_and_routes_to_it() {
    let index = GridIndex::build(&sample()).unwrap();
    for n in 1..=6 {
        let p = index.point_in_cell(code(n)).unwrap();
        assert_eq!(index.route(p), Route::Cell { code: code(n), how: How::Inside }, "cell {n}");
    }
    // Cell 3 is a ring around a hole: its point is in the ring, not in the hole (cell 4).
    let ring = index.point_in_cell(code(3)).unwrap();
    assert_ne!(index.route(ring).code(), Some(code(4)));
    // Cell 6 is half overlapped by cell 5, which wins the overlap: its point is in the other half.
    let half = index.point_in_cell(code(6)).unwrap();
    assert!(half.lon() < 121.0 + 60.0 * 1e-4, "{half:?}");
    assert_eq!(index.point_in_cell(code(99)), None, "not in the index");

    let cells = generate_city(GeneratorOptions { cells: 200, seed: 11, bbox: None }).unwrap();
    let city = GridIndex::build(&cells).unwrap();
    for cell in &cells {
        let p = city.point_in_cell(cell.code).unwrap();
        assert_eq!(city.route(p).code(), Some(cell.code));
    }
}

#[test]
fn answers_do_not_depend_on_input_order() {
    let cells = sample();
    let mut reversed = cells.clone();
    reversed.reverse();
    let (a, b) = (GridIndex::build(&cells).unwrap(), GridIndex::build(&reversed).unwrap());
    for x in -5..75 {
        for y in -15..25 {
            let (x, y) = (f64::from(x), f64::from(y));
            assert_eq!(route(&a, x, y), route(&b, x, y), "at {x},{y}");
        }
    }
}

#[test]
fn points_in_other_datums_are_converted_first() {
    let index = GridIndex::build(&sample()).unwrap();
    let wgs = point(5.0, 5.0);
    let gcj = Crs::Wgs84.convert(wgs, Crs::Gcj02);
    assert_eq!(index.route_in(gcj, Crs::Gcj02).code(), Some(code(2)));
    assert_eq!(index.route_in(wgs, Crs::Wgs84), index.route(wgs));
}

#[test]
fn build_refuses_bad_coordinates_duplicates_and_empty_cells() {
    let mut cells = sample();
    cells[1].geometry = CellGeometry::Polygon(vec![vec![[f64::NAN, 31.0], [121.0, 31.0], [121.0, 31.1]]]);
    assert!(matches!(GridIndex::build(&cells), Err(GridError::Coordinate { index: 1, .. })));
    let mut cells = sample();
    cells[3].code = cells[0].code;
    assert!(matches!(
        GridIndex::build(&cells),
        Err(GridError::DuplicateCode { index: 3, first_index: 0, .. })
    ));
    let mut cells = sample();
    cells[2].geometry = CellGeometry::MultiPolygon(Vec::new());
    assert!(matches!(GridIndex::build(&cells), Err(GridError::EmptyGeometry { index: 2, .. })));
}

#[test]
fn names_and_memory_are_reported() {
    let index = GridIndex::build(&sample()).unwrap();
    assert_eq!(index.len(), 6);
    assert_eq!(index.name(code(4)), Some("cell 4"));
    assert_eq!(index.name(code(9)), None);
    assert!(index.codes().collect::<Vec<_>>().windows(2).all(|w| w[0] < w[1]));
    assert!(index.memory().coordinate_bytes >= 8 * 4 * 6);
}

#[test]
fn geojson_round_trips_exactly() {
    let mut cells = generate_city(GeneratorOptions { cells: 60, seed: 7, bbox: None }).unwrap();
    cells[0].geometry = CellGeometry::Polygon(vec![vec![
        [121.1234567890123, 31.1],
        [121.2, 31.000000000000004],
        [121.3, 31.3],
        [121.1234567890123, 31.1],
    ]]);
    let text = to_geojson(&cells);
    assert_eq!(parse_geojson(&text).unwrap(), cells);
}

#[test]
fn geojson_errors_name_the_feature() {
    assert!(matches!(
        parse_geojson("{\"type\": \"FeatureCollection\", \"features\": ["),
        Err(GridError::Json(_))
    ));
    assert!(matches!(parse_geojson("[1, 2]"), Err(GridError::NotFeatureCollection(_))));
    let feature = |code: &str, geometry: &str| {
        format!(r#"{{"type":"Feature","properties":{{"code":{code},"name":"x"}},"geometry":{geometry}}}"#)
    };
    let polygon = r#"{"type":"Polygon","coordinates":[[[121,31],[121.001,31],[121.001,31.001],[121,31]]]}"#;
    let good = feature("\"310104001001001\"", polygon);
    let text = |second: String| format!(r#"{{"type":"FeatureCollection","features":[{good},{second}]}}"#);
    let widened = parse_geojson(&text(feature("\"31010400100102\"", polygon))).unwrap();
    assert_eq!(widened[1].code.to_string(), "310104001001002");
    match parse_geojson(&text(feature("\"12345\"", polygon))) {
        Err(GridError::Feature { index: 1, code, .. }) => assert_eq!(code, "12345"),
        other => panic!("expected a feature error, got {other:?}"),
    }
    let point = r#"{"type":"Point","coordinates":[121,31]}"#;
    assert!(matches!(
        parse_geojson(&text(feature("\"310104001001002\"", point))),
        Err(GridError::Feature { index: 1, .. })
    ));
    let strings = r#"{"type":"Polygon","coordinates":[[["a",31],[121.001,31],[121.001,31.001],[121,31]]]}"#;
    assert!(matches!(
        parse_geojson(&text(feature("\"310104001001002\"", strings))),
        Err(GridError::Feature { index: 1, .. })
    ));
}

#[test]
fn validation_reports_each_kind_of_problem() {
    let mut cells = vec![
        cell(1, vec![square(0, 0, 10, 10)]),
        cell(2, vec![square(5, 0, 15, 10)]),
        cell(
            3,
            vec![{
                let mut r = square(20, 0, 30, 10);
                r.pop();
                r
            }],
        ),
        cell(4, vec![vec![[121.004, 31.0], [121.005, 31.0], [121.004, 31.0]]]),
        cell(
            5,
            vec![{
                let p = |x: f64, y: f64| [121.0 + x * 1e-4, 31.0 + y * 1e-4];
                vec![p(40.0, 0.0), p(50.0, 10.0), p(50.0, 0.0), p(40.0, 10.0), p(40.0, 0.0)]
            }],
        ),
        cell(6, vec![vec![[121.0, 31.0], [f64::NAN, 31.0], [121.0, 95.0], [121.0, 31.0]]]),
        cell(1, vec![square(100, 0, 110, 10)]),
    ];
    cells[6].name = "dup".to_owned();
    let report = validate(&cells, ValidationOptions::default());
    let kinds: Vec<(usize, &ProblemKind)> = report.problems.iter().map(|p| (p.index, &p.kind)).collect();
    assert!(kinds.iter().any(|(i, k)| *i == 1 && matches!(k, ProblemKind::Overlap { other_index: 0, area_m2, .. } if (*area_m2 - 5.3e5 / 100.0).abs() < 500.0)), "{kinds:?}");
    assert!(kinds.iter().any(|(i, k)| *i == 2 && matches!(k, ProblemKind::UnclosedRing { .. })));
    assert!(kinds.iter().any(|(i, k)| *i == 3 && matches!(k, ProblemKind::TooFewPoints { distinct: 2, .. })));
    assert!(kinds.iter().any(|(i, k)| *i == 4 && matches!(k, ProblemKind::SelfIntersection { .. })));
    assert!(
        kinds.iter().any(|(i, k)| *i == 5 && matches!(k, ProblemKind::BadCoordinate { position: 1, .. }))
    );
    assert!(kinds.iter().any(|(i, k)| *i == 6 && matches!(k, ProblemKind::DuplicateCode { first_index: 0 })));
    assert!(!kinds.iter().any(|(i, _)| *i == 0), "cell 0 is fine: {kinds:?}");
    // 1e-3 degree square at 31°N: about 111.2 m × 95.3 m.
    let area = report.areas_m2[0];
    assert!((area - 10_598.0).abs() < 20.0, "{area}");
    assert!(report.problems[0].to_string().starts_with("feature 1 (310104001001002): overlaps feature 0"));
}

#[test]
fn validation_passes_shared_edges_and_tiny_overlaps() {
    let mut cells = sample();
    cells.truncate(4);
    let report = validate(&cells, ValidationOptions::default());
    assert!(report.is_valid(), "{:?}", report.problems);
    let sliver = vec![cell(1, vec![square(0, 0, 10, 10)]), cell(2, vec![square(10, 0, 20, 10)])];
    let mut overlapping = sliver.clone();
    overlapping[1].geometry = CellGeometry::Polygon(vec![vec![
        [121.000999, 31.0],
        [121.002, 31.0],
        [121.002, 31.001],
        [121.000999, 31.001],
        [121.000999, 31.0],
    ]]);
    // 1e-6 degree × 1e-3 degree is about 10 m²: above 1 m², below 20 m².
    assert!(!validate(&overlapping, ValidationOptions::default()).is_valid());
    assert!(validate(&overlapping, ValidationOptions { overlap_threshold_m2: 20.0 }).is_valid());
}

#[test]
fn package_round_trip_routes_identically() {
    let cells = generate_city(GeneratorOptions { cells: 400, seed: 3, bbox: None }).unwrap();
    let bytes = encode_package(&cells).unwrap();
    let decoded = decode_package(&bytes).unwrap();
    assert_eq!(decoded.len(), cells.len());
    let (a, b) = (GridIndex::build(&cells).unwrap(), GridIndex::build(&decoded).unwrap());
    let mut state = 11u64;
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for _ in 0..20_000 {
        let p = GeoPoint::new(31.14 + next() * 0.06, 121.39 + next() * 0.06).unwrap();
        assert_eq!(a.route(p), b.route(p));
    }
    // Compact: names aside, a few bytes per vertex.
    let vertices: usize = cells.iter().flat_map(|c| c.geometry.polygons()).flatten().map(Vec::len).sum();
    let names: usize = cells.iter().map(|c| c.name.len() + 1).sum();
    assert!(bytes.len() - names < vertices * 5, "{} bytes for {vertices} vertices", bytes.len() - names);
}

#[test]
fn damaged_packages_are_refused_clearly() {
    let cells = generate_city(GeneratorOptions { cells: 20, seed: 3, bbox: None }).unwrap();
    let bytes = encode_package(&cells).unwrap();
    let mut flipped = bytes.clone();
    flipped[40] ^= 0x10;
    assert_eq!(decode_package(&flipped), Err(PackageError::Checksum));
    assert!(decode_package(&bytes[..bytes.len() - 3]).is_err());
    assert!(decode_package(&bytes[..7]).is_err());
    assert!(matches!(decode_package(b"PK\x03\x04 not a grid"), Err(PackageError::BadMagic { .. })));
    let mut future = bytes.clone();
    future[6] = 3;
    assert_eq!(
        decode_package(&future),
        Err(PackageError::UnsupportedVersion { found: 3, supported: PACKAGE_VERSION })
    );
    assert!(decode_package(&[]).is_err());
}

#[test]
fn generator_is_deterministic_valid_and_varied() {
    let options = GeneratorOptions { cells: 300, seed: 42, bbox: None };
    let cells = generate_city(options).unwrap();
    assert_eq!(cells, generate_city(options).unwrap());
    assert_ne!(cells, generate_city(GeneratorOptions { seed: 43, ..options }).unwrap());
    assert_eq!(cells.len(), 300);
    let report = validate(&cells, ValidationOptions::default());
    assert!(report.is_valid(), "{:?}", &report.problems[..report.problems.len().min(5)]);
    assert!(cells.iter().all(|c| c.code.district() == 310104));
    let multi = cells.iter().filter(|c| matches!(c.geometry, CellGeometry::MultiPolygon(_))).count();
    let holed = cells.iter().filter(|c| c.geometry.polygons()[0].len() > 1).count();
    assert!(multi > 0 && holed > 0, "{multi} multipolygons, {holed} with holes");
    let mean = report.areas_m2.iter().sum::<f64>() / cells.len() as f64;
    assert!((10_000.0..=40_000.0).contains(&mean), "mean area {mean}");
    let mut vertex_counts: Vec<usize> = cells.iter().map(|c| c.geometry.polygons()[0][0].len()).collect();
    vertex_counts.sort_unstable();
    vertex_counts.dedup();
    assert!(vertex_counts.len() >= 3, "shapes vary: {vertex_counts:?}");
}

#[test]
fn generator_fills_a_given_box_and_refuses_a_bad_one() {
    let bbox = [121.0, 31.0, 121.05, 31.03];
    let cells = generate_city(GeneratorOptions { cells: 100, seed: 1, bbox: Some(bbox) }).unwrap();
    assert_eq!(cells.len(), 100);
    for c in &cells {
        for &[lon, lat] in c.geometry.polygons().iter().flatten().flatten() {
            assert!((bbox[0]..=bbox[2]).contains(&lon) && (bbox[1]..=bbox[3]).contains(&lat));
        }
    }
    assert!(
        generate_city(GeneratorOptions { cells: 10, seed: 1, bbox: Some([121.0, 31.0, 120.0, 31.1]) })
            .is_err()
    );
    assert!(
        generate_city(GeneratorOptions { cells: 10, seed: 1, bbox: Some([f64::NAN, 31.0, 120.0, 31.1]) })
            .is_err()
    );
    assert!(generate_city(GeneratorOptions { cells: 0, seed: 1, bbox: None }).unwrap().is_empty());
}

/// Random points over a box, `[min_lon, min_lat, max_lon, max_lat]`, from a fixed seed.
fn points_in_box(bbox: [f64; 4], count: usize, seed: u64) -> Vec<GeoPoint> {
    let mut state = seed;
    let mut unit = move || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..count)
        .map(|_| {
            let (lon, lat) = (bbox[0] + unit() * (bbox[2] - bbox[0]), bbox[1] + unit() * (bbox[3] - bbox[1]));
            GeoPoint::new(lat, lon).unwrap()
        })
        .collect()
}

#[test]
fn generated_city_covers_its_whole_box() {
    let bbox = [121.40, 31.15, 121.46, 31.20];
    for cells in [997, 1000, 1003] {
        let city = generate_city(GeneratorOptions { cells, seed: 5, bbox: Some(bbox) }).unwrap();
        assert_eq!(city.len(), cells);
        let index = GridIndex::build(&city).unwrap().with_tolerance_m(0.0).unwrap();
        let points = points_in_box(bbox, 20_000, 11);
        let unroutable = points.iter().filter(|&&p| index.route(p) == Route::Unroutable).count();
        // The outline runs along the box and every block is used, so no point may miss.
        assert_eq!(unroutable, 0, "{cells} cells: of {} points", points.len());
    }
}

#[test]
fn two_distant_cities_route_like_each_city_alone_and_stay_small() {
    // Shanghai and Urumqi, about 3,300 km apart: one index over both.
    let boxes = [[121.40, 31.15, 121.50, 31.23], [87.55, 43.78, 87.65, 43.86]];
    let cities: Vec<Vec<GridCell>> = boxes
        .iter()
        .enumerate()
        .map(|(k, &bbox)| {
            let mut city =
                generate_city(GeneratorOptions { cells: 1500, seed: 20 + k as u64, bbox: Some(bbox) })
                    .unwrap();
            // Another district for the second city, so the codes stay distinct.
            for cell in &mut city {
                let c = cell.code;
                cell.code = GridCode::from_parts(
                    c.district() + k as u32,
                    c.street_number(),
                    c.community_number(),
                    c.grid_number(),
                )
                .unwrap();
            }
            city
        })
        .collect();
    let both = GridIndex::build(&cities.concat()).unwrap();
    let memory = both.memory();
    assert!(memory.other_bytes <= 200 * both.len(), "{} bytes beyond coordinates", memory.other_bytes);
    for (city, &bbox) in cities.iter().zip(&boxes) {
        let alone = GridIndex::build(city).unwrap();
        for p in points_in_box(bbox, 5_000, 3) {
            assert_eq!(both.route(p), alone.route(p));
        }
    }
    // Between the cities nothing is routable.
    assert_eq!(both.route(GeoPoint::new(37.5, 104.5).unwrap()), Route::Unroutable);
}
