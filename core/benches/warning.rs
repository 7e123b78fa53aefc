//! Early-warning benchmark: one prospective space-time scan (core's `warning::scan`) over a
//! district-sized synthetic city, the cost that bounds what one request to
//! `GET /api/v1/warnings/scan` may ask for, and the expectation-based scan
//! (`warning::expectation`) over the same city. Prints the cylinder evaluations per second, the
//! figure `MAX_SCAN_WORK` in the server is set from. Also the cost of judging one cell's chart
//! again when a report arrives (the baseline's expected count and the EWMA's provisional step).
//! Run with
//! `cargo bench -p gridline-core --bench warning -- --warm-up-time 1 --measurement-time 10`
//! (see docs/benchmarks.md, "Early warning").

// A bench whose setup fails should stop at once and say why.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use gridline_core::calendar::WorkingCalendar;
use gridline_core::geo::GeoPoint;
use gridline_core::grid::{GeneratorOptions, generate_city};
use gridline_core::warning::baseline::{self, DayEffects};
use gridline_core::warning::chart::Chart;
use gridline_core::warning::expectation::{ExpectationInput, expectation_scan};
use gridline_core::warning::scan::{ScanCase, ScanSettings, scan};

/// A point inside each of `cells` synthetic cells: the mean of its outer ring.
fn cell_points(cells: usize) -> Vec<GeoPoint> {
    generate_city(GeneratorOptions { cells, seed: 3, bbox: None })
        .unwrap_or_default()
        .iter()
        .filter_map(|cell| {
            let ring = &cell.geometry.polygons()[0][0];
            let n = ring.len() as f64;
            let (lon, lat) = ring.iter().fold((0.0, 0.0), |(x, y), [lon, lat]| (x + lon, y + lat));
            GeoPoint::new(lat / n, lon / n).ok()
        })
        .collect()
}

/// `per_day` reports a day over `days` days, in cells drawn uniformly (SplitMix64, fixed seed).
fn reports(cells: usize, days: u32, per_day: usize) -> Vec<ScanCase> {
    let mut state = 0xC1_u64;
    let mut next = move |bound: u64| {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % bound
    };
    (0..days)
        .flat_map(|day| (0..per_day).map(move |_| day))
        .map(|day| ScanCase { location: next(cells as u64) as u32, day })
        .collect()
}

fn scan_benchmark(c: &mut Criterion) {
    // A district of 2,000 cells with 400 reports a day (Shanghai's volume spread over its
    // districts), 28 days, the daily run's settings but 99 shuffles to keep a sample short.
    let points = cell_points(2_000);
    let cases = reports(points.len(), 28, 400);
    let settings = ScanSettings { replications: 99, ..ScanSettings::default() };
    let work = points.len() as u64 * settings.max_cells as u64 * u64::from(settings.max_window_days) * 100;
    let started = Instant::now();
    let outcome = scan(&points, 28, &cases, &settings);
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "scan: {} cells, {} reports, {} cylinder evaluations in {:.3} s: {:.0} million per second ({} clusters)",
        points.len(),
        cases.len(),
        work,
        seconds,
        work as f64 / seconds / 1e6,
        outcome.map(|o| o.clusters.len()).unwrap_or(0),
    );
    c.bench_function("warning/scan_2000_cells_28_days_99_shuffles", |b| {
        b.iter(|| scan(black_box(&points), 28, black_box(&cases), &settings))
    });
}

fn expectation_benchmark(c: &mut Criterion) {
    // The same district: the first 25 days are each cell's history, the last 3 the window.
    let points = cell_points(2_000);
    let cases = reports(points.len(), 28, 400);
    let windows = 3usize;
    let mut history = vec![0u32; points.len()];
    let mut recent = vec![0u32; points.len() * windows];
    for case in &cases {
        let age = 27 - case.day as usize;
        if age < windows {
            recent[case.location as usize * windows + age] += 1;
        } else {
            history[case.location as usize] += 1;
        }
    }
    let input = ExpectationInput {
        locations: &points,
        history: &history,
        history_weight: 25.0,
        window_factors: &[1.0; 3],
        recent: &recent,
    };
    let settings = ScanSettings { replications: 99, max_window_days: 3, ..ScanSettings::default() };
    let work = points.len() as u64 * settings.max_cells as u64 * u64::from(settings.max_window_days) * 100;
    let started = Instant::now();
    let outcome = expectation_scan(&input, &settings);
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "expectation scan: {} cells, {} cylinder evaluations in {:.3} s: {:.0} million per second ({} clusters)",
        points.len(),
        work,
        seconds,
        work as f64 / seconds / 1e6,
        outcome.map(|o| o.clusters.len()).unwrap_or(0),
    );
    c.bench_function("warning/expectation_2000_cells_3_day_windows_99_replications", |b| {
        b.iter(|| expectation_scan(black_box(&input), &settings))
    });
}

fn chart_benchmark(c: &mut Criterion) {
    // One report arrives in a cell: its expected count for today from its 28 days before
    // (the days' factors looked up on China's calendar, as the server does), and the EWMA's
    // provisional point with the report counted. The day effects are estimated once per
    // request, not per report, so they are set up outside the loop.
    let calendar = WorkingCalendar::china().expect("the shipped calendar loads");
    let today = NaiveDate::from_ymd_opt(2025, 10, 9).expect("a date");
    let reference: Vec<(NaiveDate, f64)> =
        baseline::window_before(today, 28).into_iter().map(|d| (d, 400.0)).collect();
    let effects = DayEffects::estimate(&reference, &calendar);
    let window = baseline::window_before(today, 28);
    let chart = Chart::Ewma { lambda: 0.3, sigmas: 3.0 };
    let mut observed = 0.0;
    c.bench_function("warning/ewma_update_per_report", |b| {
        b.iter(|| {
            observed += 1.0;
            let expected = baseline::expected(black_box(9.0), &window, today, &effects, &calendar);
            chart.provisional(black_box(0.4), 29, observed, expected, black_box(0.55))
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(10));
    targets = scan_benchmark, expectation_benchmark, chart_benchmark
}
criterion_main!(benches);
