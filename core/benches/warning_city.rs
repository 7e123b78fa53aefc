//! The daily scan at a megacity's size, the goal of issue 23: Shanghai's 40,625 grid cells,
//! 30 days of one category class's reports, the daily run's circles and windows and 999
//! shuffles, on one core. A single scan takes tens of seconds, too long for criterion's ten
//! samples, so this times three scans with different seeds and prints each and the median.
//! Run with `cargo bench -p gridline-core --bench warning_city` (see docs/benchmarks.md,
//! "Early warning").

// A bench whose setup fails should stop at once and say why.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use gridline_core::geo::GeoPoint;
use gridline_core::grid::{GeneratorOptions, generate_city};
use gridline_core::warning::scan::{ScanCase, ScanSettings, scan};

/// Shanghai's grid cells.
const CELLS: usize = 40_625;
/// Days of the study period.
const DAYS: u32 = 30;
/// One category class's share of the city's reports: Shanghai's 12345 hotline took 9.0 million
/// requests in 2023, about 25,000 a day; a class is about a third of them.
const REPORTS_A_DAY: usize = 8_000;

fn main() {
    let started = Instant::now();
    let points: Vec<GeoPoint> = generate_city(GeneratorOptions { cells: CELLS, seed: 3, bbox: None })
        .expect("the synthetic city")
        .iter()
        .map(|cell| {
            let ring = &cell.geometry.polygons()[0][0];
            let n = ring.len() as f64;
            let (lon, lat) = ring.iter().fold((0.0, 0.0), |(x, y), [lon, lat]| (x + lon, y + lat));
            GeoPoint::new(lat / n, lon / n).expect("a point on the globe")
        })
        .collect();
    // Cells' rates are lognormal-like: a cell's weight is the cube of a uniform draw, so a few
    // cells get most reports, as a city's market streets and stations do.
    let mut state = 0x5EED_u64;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let unit = |z: u64| (z >> 11) as f64 / (1u64 << 53) as f64;
    let mut cumulative = Vec::with_capacity(points.len());
    let mut total = 0.0;
    for _ in 0..points.len() {
        total += unit(next()).powi(3);
        cumulative.push(total);
    }
    let cases: Vec<ScanCase> = (0..DAYS)
        .flat_map(|day| std::iter::repeat_n(day, REPORTS_A_DAY))
        .map(|day| {
            let at = unit(next()) * total;
            let location = cumulative.partition_point(|&c| c < at).min(points.len() - 1) as u32;
            ScanCase { location, day }
        })
        .collect();
    eprintln!(
        "{} cells, {} reports over {DAYS} days, set up in {:.1} s",
        points.len(),
        cases.len(),
        started.elapsed().as_secs_f64()
    );

    let mut seconds = Vec::new();
    for seed in 1..=3 {
        let settings = ScanSettings { seed, ..ScanSettings::default() };
        let started = Instant::now();
        let outcome = scan(&points, DAYS, &cases, &settings).expect("the scan runs");
        let took = started.elapsed().as_secs_f64();
        let first = outcome.clusters.first();
        eprintln!(
            "scan {seed}: {took:.1} s, {} shuffles, {} clusters, the first {:?} cells over {:?} days at p {:?}",
            outcome.replications,
            outcome.clusters.len(),
            first.map(|c| c.locations.len()),
            first.map(|c| c.window_days),
            first.map(|c| c.p_value),
        );
        seconds.push(took);
    }
    seconds.sort_by(f64::total_cmp);
    println!("warning_city: median of 3 scans {:.1} s (goal: at most 60 s)", seconds[1]);
}
