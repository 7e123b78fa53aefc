//! The space-time permutation scan against cylinders and a p-value worked out by hand, and its
//! behaviour on simulated cities: an injected cluster is found where it was put, and a flat
//! background signals no more often than its significance level allows.

use super::*;

fn close(got: f64, want: f64, tolerance: f64) {
    assert!((got - want).abs() < tolerance, "got {got}, want {want} ± {tolerance}");
}

/// `n` cells in a row, `spacing_m` apart, in Shanghai.
fn row(n: usize, spacing_m: f64) -> Vec<GeoPoint> {
    (0..n)
        .map(|i| {
            GeoPoint::new(31.2, 121.4 + i as f64 * spacing_m / (111_195.0 * 31.2f64.to_radians().cos()))
                .unwrap()
        })
        .collect()
}

/// A `side` × `side` square of cells `spacing_m` apart, row by row.
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

fn cases(list: &[(u32, u32, usize)]) -> Vec<ScanCase> {
    list.iter().flat_map(|&(location, day, n)| std::iter::repeat_n(ScanCase { location, day }, n)).collect()
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
fn the_ratio_matches_the_formula_worked_by_hand() {
    // 10 reports where 3 are expected, out of 100:
    // 10·ln(10/3) + 90·ln(90/97) = 12.039728 − 6.741118 = 5.298610.
    close(log_likelihood_ratio(10.0, 3.0, 100.0), 5.298610, 1e-5);
    // No excess, no ratio; every report inside: the outside term vanishes (4·ln(4/2) = 2.772589).
    assert_eq!(log_likelihood_ratio(3.0, 3.0, 100.0), 0.0);
    assert_eq!(log_likelihood_ratio(1.0, 3.0, 100.0), 0.0);
    close(log_likelihood_ratio(4.0, 2.0, 4.0), 2.772589, 1e-5);
}

/// Three cells A, B, C in a row 100 m apart, three days, 8 reports:
///
/// | cell | day 0 | day 1 | day 2 (last) | C_z |
/// |------|-------|-------|--------------|-----|
/// | A    | 1     |       | 3            | 4   |
/// | B    | 1     | 1     |              | 2   |
/// | C    | 2     |       |              | 2   |
///
/// Days: C_0 = 4, C_1 = 1, C_2 = 3, so the last day's window holds 3 and the last two days' 4.
/// With circles of at most two cells (B's second cell is A: equal distances go to the lower
/// index) and windows of one or two days:
///
/// | cylinder     | c | μ             | ratio                          |
/// |--------------|---|---------------|--------------------------------|
/// | {A} × 1 day  | 3 | 4·3/8 = 1.5   | 3·ln 2 + 5·ln(5/6.5) = 0.767620 |
/// | {A} × 2 days | 3 | 4·4/8 = 2     | 0.304788                       |
/// | {A,B} × 1    | 3 | 6·3/8 = 2.25  | 0.164237                       |
/// | {A,B} × 2    | 4 | 6·4/8 = 3     | 0.258154                       |
/// | {B}, {C}, {C,B} | c ≤ μ          | 0                              |
///
/// The most likely cluster is A on the last day; no other centre has a cylinder free of A
/// with an excess, so it is the only cluster.
#[test]
fn the_most_likely_cylinder_is_the_one_worked_by_hand() {
    let cells = row(3, 100.0);
    let reports = cases(&[(0, 0, 1), (0, 2, 3), (1, 0, 1), (1, 1, 1), (2, 0, 2)]);
    let outcome = scan(&cells, 3, &reports, &settings(2, 2, 99)).unwrap();
    assert_eq!(outcome.total_cases, 8);
    assert_eq!(outcome.clusters.len(), 1, "{:?}", outcome.clusters);
    let cluster = &outcome.clusters[0];
    assert_eq!(cluster.locations, vec![0]);
    assert_eq!(cluster.window_days, 1);
    assert_eq!(cluster.observed, 3);
    close(cluster.expected, 1.5, 1e-12);
    close(cluster.llr, 0.767620, 1e-6);
    close(cluster.radius_m, 0.0, 1e-9);
    assert!(cluster.p_value > 0.0 && cluster.p_value <= 1.0);
    close(cluster.recurrence_interval_days, 1.0 / cluster.p_value, 1e-9);
}

/// Two cells far apart, two days, circles of one cell, windows of one day. A had 2 reports on
/// the last day, B 2 on the first: {A} × last day expects 2·2/4 = 1 and holds 2, ratio
/// 2·ln 2 + 2·ln(2/3) = 2·ln(4/3) = 0.575364.
///
/// Shuffling the four days {0, 0, 1, 1} among the four reports gives 6 equally likely
/// assignments: A gets both last days in 1 (ratio 0.575364), B gets both in 1 (B's cylinder,
/// the same ratio), and in the other 4 each cell gets one (no excess anywhere). So the exact
/// p-value is 2/6 = 1/3 and the recurrence interval 3 days. With 9,999 shuffles the estimate's
/// standard error is 0.0047.
#[test]
fn the_p_value_converges_on_the_one_counted_by_hand() {
    let cells = row(2, 5_000.0);
    let reports = cases(&[(0, 1, 2), (1, 0, 2)]);
    let outcome = scan(&cells, 2, &reports, &settings(1, 1, 9_999)).unwrap();
    let cluster = &outcome.clusters[0];
    assert_eq!(cluster.locations, vec![0]);
    close(cluster.llr, 2.0 * (4.0f64 / 3.0).ln(), 1e-12);
    close(cluster.p_value, 1.0 / 3.0, 0.02);
    close(cluster.recurrence_interval_days, 3.0, 0.2);
    assert_eq!(outcome.clusters.len(), 1);
}

/// A Poisson draw with mean `mean` (Knuth's method; the means here are small).
fn poisson(rng: &mut SplitMix64, mean: f64) -> usize {
    let limit = (-mean).exp();
    let mut product = 1.0;
    let mut count = 0;
    loop {
        product *= (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
        if product <= limit {
            return count;
        }
        count += 1;
    }
}

/// A 10 × 10 square of cells 300 m apart, 28 days of a flat background of `mean` reports per
/// cell and day.
fn background(seed: u64, mean: f64) -> (Vec<GeoPoint>, Vec<ScanCase>) {
    let cells = square(10, 300.0);
    let mut rng = SplitMix64::new(seed);
    let mut reports = Vec::new();
    for location in 0..cells.len() as u32 {
        for day in 0..28 {
            reports.extend(std::iter::repeat_n(ScanCase { location, day }, poisson(&mut rng, mean)));
        }
    }
    (cells, reports)
}

#[test]
fn an_injected_cluster_is_found_where_it_was_put() {
    let (cells, mut reports) = background(11, 0.3);
    // Cells 44, 45 and 54 (three neighbours in the middle): 3 extra reports each on each of
    // the last 3 days, 27 where about 2.7 were expected.
    for location in [44, 45, 54] {
        for day in 25..28 {
            reports.extend(std::iter::repeat_n(ScanCase { location, day }, 3));
        }
    }
    let settings = ScanSettings { max_radius_m: Some(1_000.0), replications: 199, ..ScanSettings::default() };
    let outcome = scan(&cells, 28, &reports, &settings).unwrap();
    let cluster = &outcome.clusters[0];
    assert_eq!(cluster.p_value, 1.0 / 200.0, "{cluster:?}");
    close(cluster.recurrence_interval_days, 200.0, 1e-9);
    assert!((2..=4).contains(&cluster.window_days), "{cluster:?}");
    let injected = [44u32, 45, 54];
    let found = cluster.locations.iter().filter(|c| injected.contains(c)).count();
    assert!(found >= 2, "the cluster {:?} misses the injected cells", cluster.locations);
    assert!(cluster.locations.len() <= 6, "the cluster {:?} spreads too far", cluster.locations);
    // Same seed, same answer.
    assert_eq!(scan(&cells, 28, &reports, &settings).unwrap(), outcome);
}

#[test]
fn a_flat_background_signals_at_about_the_significance_level() {
    // 40 cities with no cluster at all; at p ≤ 0.05 about 2 of them signal by chance. More
    // than 6 (a binomial tail below 1 %) would mean the scan invents clusters.
    let settings = ScanSettings { replications: 99, ..ScanSettings::default() };
    let mut signals = 0;
    for seed in 0..40 {
        let (cells, reports) = background(1_000 + seed, 0.3);
        let outcome = scan(&cells, 28, &reports, &ScanSettings { seed, ..settings }).unwrap();
        if outcome.clusters.first().is_some_and(|c| c.p_value <= 0.05) {
            signals += 1;
        }
    }
    assert!(signals <= 6, "{signals} of 40 flat cities signalled at p ≤ 0.05");
}

#[test]
fn bad_settings_and_reports_are_refused_by_name() {
    let cells = row(2, 100.0);
    let ok = settings(2, 2, 9);
    let code = |s: ScanSettings, days: u32, reports: &[ScanCase]| {
        scan(&cells, days, reports, &s).unwrap_err().code()
    };
    assert_eq!(code(ScanSettings { max_cells: 0, ..ok }, 3, &[]), "max_cells");
    assert_eq!(code(ScanSettings { max_cells: 51, ..ok }, 3, &[]), "max_cells");
    assert_eq!(code(ScanSettings { max_radius_m: Some(-1.0), ..ok }, 3, &[]), "max_radius_m");
    assert_eq!(code(ScanSettings { max_radius_m: Some(f64::NAN), ..ok }, 3, &[]), "max_radius_m");
    assert_eq!(code(ScanSettings { max_window_days: 8, ..ok }, 9, &[]), "max_window_days");
    assert_eq!(code(ScanSettings { replications: 8, ..ok }, 3, &[]), "replications");
    assert_eq!(code(ScanSettings { analysis_interval_days: 0.0, ..ok }, 3, &[]), "analysis_interval_days");
    assert_eq!(code(ok, 1, &[]), "days");
    assert_eq!(code(ok, 3, &[ScanCase { location: 2, day: 0 }]), "cases");
    assert_eq!(code(ok, 3, &[ScanCase { location: 0, day: 3 }]), "cases");
    // No reports: nothing to find, and no shuffles needed.
    let empty = scan(&cells, 3, &[], &ok).unwrap();
    assert!(empty.clusters.is_empty());
}

#[test]
fn a_circle_stops_at_its_radius() {
    // Cells 100 m apart; a 150 m radius takes the centre and its next neighbour on each side,
    // whatever max_cells allows.
    let cells = row(5, 100.0);
    let s = ScanSettings { max_cells: 5, max_radius_m: Some(150.0), ..settings(5, 1, 9) };
    let circles = Circles::build(&cells, &s);
    assert_eq!(circles.of(0), &[0, 1]);
    assert_eq!(circles.of(2), &[2, 1, 3]);
    let s = ScanSettings { max_radius_m: None, ..s };
    let circles = Circles::build(&cells, &s);
    assert_eq!(circles.of(2), &[2, 1, 3, 0, 4]);
}

#[test]
fn the_work_of_a_scan_and_the_shuffles_a_budget_allows() {
    let daily = ScanSettings::default();
    // Shanghai's 40,625 cells at the daily settings: 10 cells per circle, 7 windows, 1,000 scans.
    assert_eq!(daily.work(40_625), 40_625 * 10 * 7 * 1_000);
    // A circle never holds more cells than the area has.
    assert_eq!(settings(10, 7, 9).work(4), 4 * 4 * 7 * 10);
    // 100 M evaluations hold 4,700 cells with 302 shuffles (329,000 per scan of the data).
    assert_eq!(daily.replications_within(4_700, 100_000_000), 302);
    assert_eq!(daily.replications_within(2_000, 100_000_000), 713);
    assert_eq!(daily.replications_within(100, 100_000_000), 999);
    assert_eq!(daily.replications_within(20_000, 100_000_000), 70);
    assert_eq!(daily.replications_within(200_000, 100_000_000), 6);
    assert_eq!(daily.replications_within(2_000_000, 100_000_000), 0);
    // The smallest p-value is 1 / (R + 1): a recurrence interval of 200 days needs 199 shuffles.
    assert_eq!(daily.replications_to_reach(200.0), 199);
    assert_eq!(daily.replications_to_reach(100.5), 100);
    assert_eq!(daily.replications_to_reach(1.0), 0);
    let weekly = ScanSettings { analysis_interval_days: 7.0, ..daily };
    assert_eq!(weekly.replications_to_reach(700.0), 99);
}
