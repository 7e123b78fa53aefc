//! The expectation-based Poisson scan (Neill, Moore, Sabhnani and Daniel, "Detection of
//! emerging space-time clusters", KDD 2005): the same cylinders as the permutation scan
//! ([`super::scan`]), judged against each cell's own history before the window instead of the
//! period's totals. It finds an emerging cluster sooner: the permutation scan counts a burst
//! into its cells' totals, so a cluster's first day raises its own expectation, while here the
//! history ends before the longest window and a burst is measured against quiet days.
//!
//! - **Baseline.** Each cell's rate is estimated from its reports over the history days (the
//!   days before the longest window, weighted by their day factors, [`super::baseline`]). A
//!   cell with a handful of reports a month cannot be trusted on its own, so the rate is the
//!   mean of a gamma posterior (empirical Bayes): the prior's mean is the rate of the cell's
//!   circle (its nearest cells, itself, and the scope's average cell counted once, so it is
//!   never zero), with a weight of [`PRIOR_REPORTS`] report. A quiet cell in a busy quarter
//!   borrows some of its quarter's rate; a busy cell keeps its own.
//! - **Expected count.** A cylinder of cells `Z` and window days `W` expects
//!   `B = Σ_Z rate_z · Σ_W factor_d`.
//! - **Statistic.** For `C > B`, `C·ln(C/B) + B − C` (the Poisson likelihood ratio of a raised
//!   rate inside against the baseline everywhere); the most likely cluster has the largest.
//! - **Significance.** Each replication draws, per cell, a rate from its gamma posterior and
//!   then each window day's count as Poisson of that rate times the day's factor: the
//!   posterior predictive, so the uncertainty of a sparse cell's rate is in the null, and a
//!   quiet cell's two reports are not a cluster only because its history was short. `p` and
//!   the recurrence interval as in the permutation scan, secondary clusters likewise.
//!
//! Deterministic for a seed ([`super::random`]); nothing reads a database or a clock.

use super::random::SplitMix64;
use super::scan::{Best, Circles, ScanError, ScanOutcome, ScanSettings, pick_clusters};
use crate::geo::GeoPoint;

/// The prior's weight, in reports: how much a cell's rate leans on its circle's.
pub const PRIOR_REPORTS: f64 = 1.0;

/// What the expectation-based scan reads.
#[derive(Debug, Clone, Copy)]
pub struct ExpectationInput<'a> {
    /// Where each cell is (the circles are built as the permutation scan's).
    pub locations: &'a [GeoPoint],
    /// Per cell, its reports over the history days (the days before the longest window).
    pub history: &'a [u32],
    /// The sum of the history days' factors (their number when every day weighs 1).
    pub history_weight: f64,
    /// The window days' factors, today first: `max_window_days` of them.
    pub window_factors: &'a [f64],
    /// Per cell, its reports on each window day, today first: a row of `max_window_days`.
    pub recent: &'a [u32],
}

/// Why the input cannot be scanned, beyond what [`ScanSettings`] checks.
fn check(input: &ExpectationInput, settings: &ScanSettings) -> Result<(), ScanError> {
    settings.check()?;
    let cells = input.locations.len();
    let windows = settings.max_window_days as usize;
    let lengths = [
        ("window_factors", windows, input.window_factors.len()),
        ("history", cells, input.history.len()),
        ("recent", cells * windows, input.recent.len()),
    ];
    if let Some(&(what, expected, got)) = lengths.iter().find(|(_, expected, got)| expected != got) {
        return Err(ScanError::Length { what, expected, got });
    }
    if !(input.history_weight.is_finite() && input.history_weight > 0.0) {
        return Err(ScanError::Weight { what: "history_weight", value: input.history_weight });
    }
    if let Some(&bad) = input.window_factors.iter().find(|f| !(f.is_finite() && **f > 0.0)) {
        return Err(ScanError::Weight { what: "window_factors", value: bad });
    }
    Ok(())
}

/// Each cell's posterior: the gamma's shape and rate (its mean is the cell's daily rate).
fn posteriors(input: &ExpectationInput, circles: &Circles) -> Vec<(f64, f64)> {
    let cells = input.locations.len();
    let total: u64 = input.history.iter().map(|&n| u64::from(n)).sum();
    // The scope's average cell, never nothing: with no history at all, one report spread over
    // the scope, so that a first burst is large but finite.
    let average = total.max(1) as f64 / cells as f64;
    (0..cells)
        .map(|cell| {
            let circle = circles.of(cell);
            let around: u64 = circle.iter().map(|&c| u64::from(input.history[c as usize])).sum();
            let prior_mean = (around as f64 + average) / (input.history_weight * (circle.len() as f64 + 1.0));
            let shape = f64::from(input.history[cell]) + PRIOR_REPORTS;
            let rate = input.history_weight + PRIOR_REPORTS / prior_mean;
            (shape, rate)
        })
        .collect()
}

/// The statistic of `observed` reports against `expected`; zero unless more than expected.
pub fn poisson_ratio(observed: f64, expected: f64) -> f64 {
    if observed <= expected || expected <= 0.0 {
        return 0.0;
    }
    observed * (observed / expected).ln() + expected - observed
}

/// Per cell and window `w` (1 ..= windows), the sum over the last `w` days of `per_day`.
fn cumulative<T: Copy + Into<f64>>(per_day: &[T], windows: usize) -> Vec<f64> {
    let mut out = vec![0.0; per_day.len()];
    for (row_in, row_out) in per_day.chunks(windows).zip(out.chunks_mut(windows)) {
        let mut sum = 0.0;
        for (value, slot) in row_in.iter().zip(row_out) {
            sum += (*value).into();
            *slot = sum;
        }
    }
    out
}

/// Walks every cylinder and hands `keep` each whose statistic beats `floor(centre)`. The bound
/// `(C − B)² / B` (from `ln x ≤ x − 1`) is at least the statistic and costs no logarithm, so
/// most cylinders of a replication are passed over on it.
fn each_better_cylinder(
    circles: &Circles,
    observed: &[f64],
    expected: &[f64],
    windows: usize,
    mut floor: impl FnMut(usize) -> f64,
    mut keep: impl FnMut(Best),
) {
    let mut inside = vec![(0.0f64, 0.0f64); windows];
    for centre in 0..circles.centres() {
        inside.iter_mut().for_each(|sums| *sums = (0.0, 0.0));
        for (k, &cell) in circles.of(centre).iter().enumerate() {
            let at = cell as usize * windows;
            let rows = observed[at..at + windows].iter().zip(&expected[at..at + windows]);
            for (window, (sums, (c, b))) in inside.iter_mut().zip(rows).enumerate() {
                sums.0 += c;
                sums.1 += b;
                let (c, b) = *sums;
                if c <= b || b <= 0.0 {
                    continue;
                }
                let best = floor(centre);
                if (c - b) * (c - b) / b <= best {
                    continue;
                }
                let ratio = poisson_ratio(c, b);
                if ratio > best {
                    keep(Best {
                        llr: ratio,
                        centre,
                        cells: k + 1,
                        window: window as u32 + 1,
                        observed: c as u64,
                        expected: b,
                    });
                }
            }
        }
    }
}

/// Run the expectation-based scan.
pub fn expectation_scan(input: &ExpectationInput, settings: &ScanSettings) -> Result<ScanOutcome, ScanError> {
    check(input, settings)?;
    let cells = input.locations.len();
    let windows = settings.max_window_days as usize;
    let total_cases: u64 = input.recent.iter().map(|&n| u64::from(n)).sum();
    if cells == 0 || total_cases == 0 {
        return Ok(ScanOutcome { clusters: Vec::new(), total_cases, replications: 0 });
    }
    let circles = Circles::build(input.locations, settings);
    let posteriors = posteriors(input, &circles);
    let mut expected_per_day = Vec::with_capacity(cells * windows);
    for &(shape, rate) in &posteriors {
        expected_per_day.extend(input.window_factors.iter().map(|f| shape / rate * f));
    }
    let expected = cumulative(&expected_per_day, windows);
    let observed = cumulative(input.recent, windows);

    let mut best = vec![None::<Best>; cells];
    {
        let best = std::cell::RefCell::new(&mut best);
        each_better_cylinder(
            &circles,
            &observed,
            &expected,
            windows,
            |centre| best.borrow()[centre].map_or(0.0, |b| b.llr),
            |found| best.borrow_mut()[found.centre] = Some(found),
        );
    }

    let mut rng = SplitMix64::new(settings.seed);
    let mut drawn = vec![0u32; cells * windows];
    let mut maxima = Vec::with_capacity(settings.replications as usize);
    for _ in 0..settings.replications {
        for (&(shape, rate), row) in posteriors.iter().zip(drawn.chunks_mut(windows)) {
            let daily = rng.gamma(shape) / rate;
            for (slot, factor) in row.iter_mut().zip(input.window_factors) {
                *slot = rng.poisson(daily * factor);
            }
        }
        let replicate = cumulative(&drawn, windows);
        let largest = std::cell::Cell::new(0.0f64);
        each_better_cylinder(
            &circles,
            &replicate,
            &expected,
            windows,
            |_| largest.get(),
            |found| largest.set(found.llr),
        );
        maxima.push(largest.get());
    }
    maxima.sort_by(f64::total_cmp);

    let candidates = best.into_iter().flatten().collect();
    let clusters = pick_clusters(candidates, &circles, &maxima, settings, cells);
    Ok(ScanOutcome { clusters, total_cases, replications: settings.replications })
}

#[cfg(test)]
#[path = "expectation_tests.rs"]
mod tests;
