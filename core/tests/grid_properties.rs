//! Property tests of grid routing against a brute-force reference that tests every cell with
//! its own exact predicates (winding number, explicit on-segment test), on generated cities:
//! random points, points exactly on vertices and edges, points a hair off edges, and shuffled
//! input orders.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gridline_core::codes::GridCode;
use gridline_core::geo::GeoPoint;
use gridline_core::grid::{GeneratorOptions, GridCell, GridIndex, How, Route, generate_city};
use proptest::prelude::*;

const UNITS: f64 = 1e7;

type P = (i64, i64);

/// A cell in fixed units: polygons of rings without the closing repeat.
struct RefCell {
    code: GridCode,
    polygons: Vec<Vec<Vec<P>>>,
}

fn to_ref(cell: &GridCell) -> RefCell {
    let polygons = cell
        .geometry
        .polygons()
        .iter()
        .map(|rings| {
            rings
                .iter()
                .map(|ring| {
                    let mut r: Vec<P> = ring
                        .iter()
                        .map(|&[lon, lat]| ((lon * UNITS).round() as i64, (lat * UNITS).round() as i64))
                        .collect();
                    if r.len() > 1 && r.first() == r.last() {
                        r.pop();
                    }
                    r
                })
                .collect()
        })
        .collect();
    RefCell { code: cell.code, polygons }
}

fn cross(a: P, b: P, p: P) -> i128 {
    i128::from(b.0 - a.0) * i128::from(p.1 - a.1) - i128::from(b.1 - a.1) * i128::from(p.0 - a.0)
}

fn on_segment(a: P, b: P, p: P) -> bool {
    cross(a, b, p) == 0
        && p.0 >= a.0.min(b.0)
        && p.0 <= a.0.max(b.0)
        && p.1 >= a.1.min(b.1)
        && p.1 <= a.1.max(b.1)
}

fn edges(ring: &[P]) -> impl Iterator<Item = (P, P)> + '_ {
    (0..ring.len()).map(move |i| (ring[i], ring[(i + 1) % ring.len()]))
}

/// Winding number of a ring around `p` (p not on the ring).
fn winding(ring: &[P], p: P) -> i32 {
    let mut w = 0;
    for (a, b) in edges(ring) {
        if a.1 <= p.1 {
            if b.1 > p.1 && cross(a, b, p) > 0 {
                w += 1;
            }
        } else if b.1 <= p.1 && cross(a, b, p) < 0 {
            w -= 1;
        }
    }
    w
}

#[derive(Debug, PartialEq)]
enum Loc {
    Out,
    On,
    In,
}

fn locate(cell: &RefCell, p: P) -> Loc {
    if cell.polygons.iter().flatten().any(|ring| edges(ring).any(|(a, b)| on_segment(a, b, p))) {
        return Loc::On;
    }
    let inside = cell.polygons.iter().any(|rings| {
        let (exterior, holes) = rings.split_first().unwrap();
        winding(exterior, p) != 0 && holes.iter().all(|h| winding(h, p) == 0)
    });
    if inside { Loc::In } else { Loc::Out }
}

/// The same canonical-direction distance as the router (IEEE basic operations only).
fn distance_sq(cell: &RefCell, p: P, kx: f64, ky: f64) -> f64 {
    let mut best = f64::INFINITY;
    for ring in cell.polygons.iter().flatten() {
        for (a, b) in edges(ring) {
            let (a, b) = if (a.0 as i32, a.1 as i32) <= (b.0 as i32, b.1 as i32) { (a, b) } else { (b, a) };
            let (ax, ay) = ((a.0 - p.0) as f64 * kx, (a.1 - p.1) as f64 * ky);
            let (bx, by) = ((b.0 - p.0) as f64 * kx, (b.1 - p.1) as f64 * ky);
            let (dx, dy) = (bx - ax, by - ay);
            let len = dx * dx + dy * dy;
            let t = if len > 0.0 { -(ax * dx + ay * dy) / len } else { 0.0 };
            let (cx, cy) = if t <= 0.0 {
                (ax, ay)
            } else if t >= 1.0 {
                (bx, by)
            } else {
                (ax + t * dx, ay + t * dy)
            };
            best = best.min(cx * cx + cy * cy);
        }
    }
    best
}

/// The documented rules, applied by testing every cell.
fn reference_route(cells: &[RefCell], p: P, tolerance_m: f64) -> (Option<GridCode>, &'static str, f64) {
    let mut containing: Vec<(GridCode, Loc)> =
        cells.iter().map(|c| (c.code, locate(c, p))).filter(|(_, l)| *l != Loc::Out).collect();
    containing.sort_by_key(|(code, _)| *code);
    if let Some((code, _)) = containing.first() {
        let how = if containing.iter().any(|(_, l)| *l == Loc::On) {
            "boundary"
        } else if containing.len() > 1 {
            "overlap"
        } else {
            "inside"
        };
        return (Some(*code), how, 0.0);
    }
    // Metres per unit, computed from the router's own cosine (checked against f64::cos below).
    let ky = 6_371_008.8 * std::f64::consts::PI / 180.0 / UNITS;
    let lat = p.1 as f64 / UNITS;
    let kx = ky * (lat.to_radians().cos());
    let mut best: Option<(f64, GridCode)> = None;
    for c in cells {
        let d = distance_sq(c, p, kx, ky);
        if best.is_none_or(|(bd, bc)| d < bd || (d == bd && c.code < bc)) {
            best = Some((d, c.code));
        }
    }
    match best {
        Some((d, code)) if d <= tolerance_m * tolerance_m => (Some(code), "nearest", d.sqrt()),
        _ => (None, "unroutable", 0.0),
    }
}

fn geo(p: P) -> GeoPoint {
    GeoPoint::new(p.1 as f64 / UNITS, p.0 as f64 / UNITS).unwrap()
}

fn answer(route: Route) -> (Option<GridCode>, &'static str, f64) {
    match route {
        Route::Cell { code, how: How::Nearest { distance_m } } => (Some(code), "nearest", distance_m),
        Route::Cell { code, how } => (Some(code), how.as_str(), 0.0),
        Route::Unroutable => (None, "unroutable", 0.0),
    }
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Test points: uniform over the city's box grown by about 100 m, exact vertices, exact
/// integer points on edges, and edge points rounded a hair off the edge.
fn sample_points(cells: &[RefCell], rng: &mut Rng, count: usize) -> Vec<P> {
    let all: Vec<P> = cells.iter().flat_map(|c| c.polygons.iter().flatten().flatten().copied()).collect();
    let (min_x, max_x) =
        (all.iter().map(|p| p.0).min().unwrap() - 12_000, all.iter().map(|p| p.0).max().unwrap() + 12_000);
    let (min_y, max_y) =
        (all.iter().map(|p| p.1).min().unwrap() - 9_000, all.iter().map(|p| p.1).max().unwrap() + 9_000);
    let rings: Vec<&Vec<P>> = cells.iter().flat_map(|c| c.polygons.iter().flatten()).collect();
    (0..count)
        .map(|_| match rng.below(4) {
            0 | 1 => (
                min_x + rng.below((max_x - min_x) as u64) as i64,
                min_y + rng.below((max_y - min_y) as u64) as i64,
            ),
            2 => all[rng.below(all.len() as u64) as usize],
            _ => {
                let ring = rings[rng.below(rings.len() as u64) as usize];
                let i = rng.below(ring.len() as u64) as usize;
                let (a, b) = (ring[i], ring[(i + 1) % ring.len()]);
                let (dx, dy) = (b.0 - a.0, b.1 - a.1);
                let g = gcd(dx.abs(), dy.abs()).max(1);
                if g > 1 {
                    let k = rng.below(g as u64 + 1) as i64;
                    (a.0 + dx / g * k, a.1 + dy / g * k)
                } else {
                    let t = rng.below(1000) as i64;
                    (a.0 + dx * t / 1000, a.1 + dy * t / 1000)
                }
            }
        })
        .collect()
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn check_against_reference(seed: u64, cell_count: usize, points: usize, tolerance_m: f64) {
    let cells = generate_city(GeneratorOptions { cells: cell_count, seed, bbox: None }).unwrap();
    let index = GridIndex::build(&cells).unwrap().with_tolerance_m(tolerance_m).unwrap();
    let reference: Vec<RefCell> = cells.iter().map(to_ref).collect();
    let mut rng = Rng(seed ^ 0xABCD);
    let mut boundary = 0;
    for p in sample_points(&reference, &mut rng, points) {
        let got = answer(index.route(geo(p)));
        let want = reference_route(&reference, p, tolerance_m);
        assert_eq!((got.0, got.1), (want.0, want.1), "seed {seed}, point {p:?}");
        // The router's cosine is a series, the reference's is libm: equal to far below a mm.
        assert!((got.2 - want.2).abs() < 1e-6, "seed {seed}, point {p:?}: {} vs {}", got.2, want.2);
        boundary += usize::from(got.1 == "boundary");
    }
    assert!(boundary > points / 10, "edge and vertex points are exercised: {boundary}");
}

#[test]
fn matches_the_brute_force_reference_on_100k_points() {
    for seed in 0..4 {
        check_against_reference(seed, 250, 25_000, 50.0);
    }
}

#[test]
fn matches_the_reference_with_other_tolerances() {
    check_against_reference(9, 120, 5_000, 0.0);
    check_against_reference(10, 120, 5_000, 500.0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// A point strictly inside a generated cell routes to it, as Inside.
    #[test]
    fn strictly_inside_points_route_to_their_cell(seed in 0u64..1000, pick in 0usize..1000, fx in 0.0f64..1.0, fy in 0.0f64..1.0) {
        let cells = generate_city(GeneratorOptions { cells: 80, seed, bbox: None }).unwrap();
        let reference: Vec<RefCell> = cells.iter().map(to_ref).collect();
        let index = GridIndex::build(&cells).unwrap();
        let cell = &reference[pick % reference.len()];
        let ring = &cell.polygons[0][0];
        let (min_x, max_x) = (ring.iter().map(|p| p.0).min().unwrap(), ring.iter().map(|p| p.0).max().unwrap());
        let (min_y, max_y) = (ring.iter().map(|p| p.1).min().unwrap(), ring.iter().map(|p| p.1).max().unwrap());
        let p = (min_x + ((max_x - min_x) as f64 * fx) as i64, min_y + ((max_y - min_y) as f64 * fy) as i64);
        prop_assume!(locate(cell, p) == Loc::In);
        prop_assert_eq!(index.route(geo(p)), Route::Cell { code: cell.code, how: How::Inside });
    }

    /// Every point of the city's box routes to exactly one cell that contains it or lies
    /// within the tolerance, or is Unroutable; never anything else.
    #[test]
    fn every_point_in_the_box_has_one_answer(seed in 0u64..1000, fx in 0.0f64..1.0, fy in 0.0f64..1.0) {
        let cells = generate_city(GeneratorOptions { cells: 60, seed, bbox: None }).unwrap();
        let reference: Vec<RefCell> = cells.iter().map(to_ref).collect();
        let index = GridIndex::build(&cells).unwrap();
        let all: Vec<P> = reference.iter().flat_map(|c| c.polygons.iter().flatten().flatten().copied()).collect();
        let (min_x, max_x) = (all.iter().map(|p| p.0).min().unwrap(), all.iter().map(|p| p.0).max().unwrap());
        let (min_y, max_y) = (all.iter().map(|p| p.1).min().unwrap(), all.iter().map(|p| p.1).max().unwrap());
        let p = (min_x + ((max_x - min_x) as f64 * fx) as i64, min_y + ((max_y - min_y) as f64 * fy) as i64);
        match index.route(geo(p)) {
            Route::Cell { code, how } => {
                let cell = reference.iter().find(|c| c.code == code).unwrap();
                match how {
                    How::Nearest { distance_m } => prop_assert!(distance_m <= 50.0 && locate(cell, p) == Loc::Out),
                    _ => prop_assert!(locate(cell, p) != Loc::Out),
                }
                if how == How::Inside {
                    let holders = reference.iter().filter(|c| locate(c, p) != Loc::Out).count();
                    prop_assert_eq!(holders, 1);
                }
            }
            Route::Unroutable => prop_assert!(reference.iter().all(|c| locate(c, p) == Loc::Out)),
        }
    }

    /// Boundary answers (and all others) do not change when the cells come in another order.
    #[test]
    fn shuffled_input_gives_the_same_answers(seed in 0u64..1000, shuffle_seed in any::<u64>()) {
        let cells = generate_city(GeneratorOptions { cells: 60, seed, bbox: None }).unwrap();
        let mut shuffled = cells.clone();
        let mut rng = Rng(shuffle_seed);
        for i in (1..shuffled.len()).rev() {
            shuffled.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let (a, b) = (GridIndex::build(&cells).unwrap(), GridIndex::build(&shuffled).unwrap());
        let reference: Vec<RefCell> = cells.iter().map(to_ref).collect();
        let mut boundary = 0;
        for p in sample_points(&reference, &mut rng, 400) {
            let route = a.route(geo(p));
            prop_assert_eq!(route, b.route(geo(p)));
            boundary += usize::from(matches!(route, Route::Cell { how: How::Boundary, .. }));
        }
        prop_assert!(boundary > 0);
    }
}
