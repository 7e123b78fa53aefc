//! The expectation-based scan against a baseline, a statistic and a cluster worked by hand, and
//! its behaviour on simulated cities: a cluster on its first day found where it was put, and a
//! flat background signalling no more often than its significance level allows.

use super::*;
use crate::warning::random::SplitMix64;

fn close(got: f64, want: f64, tolerance: f64) {
    assert!((got - want).abs() < tolerance, "got {got}, want {want} ± {tolerance}");
}

/// A `side` × `side` square of cells `spacing_m` apart, row by row, in Shanghai.
fn square(side: usize, spacing_m: f64) -> Vec<GeoPoint> {
    let degree_lon = 111_195.0 * 31.2f64.to_radians().cos();
    (0..side * side)
        .map(|i| {
            let (r, c) = (i / side, i % side);
            GeoPoint::new(31.2 + r as f64 * spacing_m / 111_195.0, 121.4 + c as f64 * spacing_m / degree_lon)
                .unwrap()
        })
        .collect()
}

fn settings(max_cells: usize, max_window_days: u32, replications: u32) -> ScanSettings {
    ScanSettings {
        max_cells,
        max_radius_m: None,
        max_window_days,
        replications,
        analysis_interval_days: 1.0,
        seed: 7,
    }
}

#[test]
fn the_statistic_matches_the_formula_worked_by_hand() {
    // 3 reports where 0.5 are expected: 3·ln 6 + 0.5 − 3 = 5.375278 − 2.5 = 2.875278.
    close(poisson_ratio(3.0, 0.5), 2.875278, 1e-6);
    assert_eq!(poisson_ratio(0.5, 0.5), 0.0);
    assert_eq!(poisson_ratio(1.0, 0.0), 0.0);
}

/// Three cells 5 km apart (each circle is its own cell), a history of 28 equal days with 28, 0
/// and 14 reports, and today 1, 3 and 0. The scope's average cell has 42 / 3 = 14 reports:
/// - cell 0: prior mean (28 + 14) / (28·2) = 0.75 a day; posterior shape 29, rate
///   28 + 1/0.75 = 29.3333; 0.988636 expected today;
/// - cell 1: prior mean (0 + 14) / 56 = 0.25; shape 1, rate 28 + 4 = 32; 0.03125 expected;
/// - cell 2: prior mean 28 / 56 = 0.5; shape 15, rate 30; 0.5 expected.
///
/// Cell 1 holds the cluster: 3·ln(3 / 0.03125) + 0.03125 − 3 = 13.693045 − 2.96875 = 10.724295.
/// Cell 0 barely exceeds (1 against 0.988636: 0.000065); cell 2 not at all.
#[test]
fn the_cluster_and_its_baseline_are_the_ones_worked_by_hand() {
    let cells = square(2, 5_000.0)[..3].to_vec();
    let input = ExpectationInput {
        locations: &cells,
        history: &[28, 0, 14],
        history_weight: 28.0,
        window_factors: &[1.0],
        recent: &[1, 3, 0],
    };
    let outcome = expectation_scan(&input, &settings(1, 1, 99)).unwrap();
    assert_eq!(outcome.total_cases, 4);
    let cluster = &outcome.clusters[0];
    assert_eq!(cluster.locations, vec![1]);
    assert_eq!(cluster.observed, 3);
    close(cluster.expected, 0.03125, 1e-12);
    close(cluster.llr, 10.724295, 1e-6);
    // Three reports in a cell that expects one every 32 days: no replication comes near.
    close(cluster.p_value, 0.01, 1e-12);
    close(cluster.recurrence_interval_days, 100.0, 1e-9);
    let second = &outcome.clusters[1];
    assert_eq!(second.locations, vec![0]);
    close(second.expected, 29.0 / (28.0 + 4.0 / 3.0), 1e-12);
    close(second.llr, (1.0f64 / second.expected).ln() + second.expected - 1.0, 1e-12);
    assert!(second.p_value > 0.5, "{second:?}");
    assert_eq!(outcome.clusters.len(), 2);
    // Same seed, same answer.
    assert_eq!(expectation_scan(&input, &settings(1, 1, 99)).unwrap(), outcome);
}

/// A 10 × 10 square of cells 300 m apart: per cell, 28 history days and 7 window days (today
/// first) of a flat background of `mean` reports a day.
fn background(seed: u64, mean: f64) -> (Vec<GeoPoint>, Vec<u32>, Vec<u32>) {
    let cells = square(10, 300.0);
    let mut rng = SplitMix64::new(seed);
    let history = (0..cells.len()).map(|_| (0..28).map(|_| rng.poisson(mean)).sum()).collect();
    let recent = (0..cells.len() * 7).map(|_| rng.poisson(mean)).collect();
    (cells, history, recent)
}

#[test]
fn a_cluster_on_its_first_day_is_found_where_it_was_put() {
    let (cells, history, mut recent) = background(11, 0.3);
    // Cells 44, 45 and 54 (three neighbours in the middle): 3 extra reports each today, 9
    // where about 0.9 were expected.
    for cell in [44usize, 45, 54] {
        recent[cell * 7] += 3;
    }
    let input = ExpectationInput {
        locations: &cells,
        history: &history,
        history_weight: 28.0,
        window_factors: &[1.0; 7],
        recent: &recent,
    };
    let settings = ScanSettings { replications: 199, ..ScanSettings::default() };
    let outcome = expectation_scan(&input, &settings).unwrap();
    let cluster = &outcome.clusters[0];
    assert!(cluster.p_value <= 0.01, "{cluster:?}");
    assert_eq!(cluster.window_days, 1, "{cluster:?}");
    let injected = [44u32, 45, 54];
    let found = cluster.locations.iter().filter(|c| injected.contains(c)).count();
    assert!(found >= 2, "the cluster {:?} misses the injected cells", cluster.locations);
    assert!(cluster.locations.len() <= 6, "the cluster {:?} spreads too far", cluster.locations);
}

#[test]
fn a_flat_background_signals_at_about_the_significance_level() {
    // 40 cities with no cluster at all; at p ≤ 0.05 about 2 of them signal by chance. More
    // than 6 (a binomial tail below 1 %) would mean the scan invents clusters.
    let settings = ScanSettings { replications: 99, ..ScanSettings::default() };
    let mut signals = 0;
    for seed in 0..40 {
        let (cells, history, recent) = background(1_000 + seed, 0.3);
        let input = ExpectationInput {
            locations: &cells,
            history: &history,
            history_weight: 28.0,
            window_factors: &[1.0; 7],
            recent: &recent,
        };
        let outcome = expectation_scan(&input, &ScanSettings { seed, ..settings }).unwrap();
        if outcome.clusters.first().is_some_and(|c| c.p_value <= 0.05) {
            signals += 1;
        }
    }
    assert!(signals <= 6, "{signals} of 40 flat cities signalled at p ≤ 0.05");
}

#[test]
fn bad_input_is_refused_by_name() {
    let cells = square(2, 300.0);
    let good = ExpectationInput {
        locations: &cells,
        history: &[1, 2, 3, 4],
        history_weight: 28.0,
        window_factors: &[1.0],
        recent: &[0, 1, 0, 1],
    };
    let run = |input: &ExpectationInput| {
        expectation_scan(input, &settings(4, 1, 9)).map(|_| ()).map_err(|e| e.code())
    };
    assert_eq!(run(&good), Ok(()));
    assert_eq!(run(&ExpectationInput { history: &[1, 2, 3], ..good }), Err("cases"));
    assert_eq!(run(&ExpectationInput { recent: &[0, 1], ..good }), Err("cases"));
    assert_eq!(run(&ExpectationInput { window_factors: &[1.0, 1.0], ..good }), Err("cases"));
    assert_eq!(run(&ExpectationInput { history_weight: 0.0, ..good }), Err("history"));
    assert_eq!(run(&ExpectationInput { window_factors: &[f64::NAN], ..good }), Err("history"));
    let too_few = expectation_scan(&good, &settings(4, 1, 1)).unwrap_err();
    assert_eq!(too_few.code(), "replications");
    // Nothing reported in the window: nothing to find, and no replication run.
    let quiet = ExpectationInput { recent: &[0, 0, 0, 0], ..good };
    let outcome = expectation_scan(&quiet, &settings(4, 1, 99)).unwrap();
    assert!(outcome.clusters.is_empty());
    assert_eq!(outcome.replications, 0);
}
