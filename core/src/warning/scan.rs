//! The prospective space-time permutation scan (Kulldorff, Heffernan, Hartman, Assunção and
//! Mostashari, "A space-time permutation scan statistic for disease outbreak detection",
//! PLoS Medicine 2005): finds the place and the last few days where more reports arrived than
//! the places' and the days' own totals predict, and says how rare such a cluster would be by
//! chance, as a recurrence interval.
//!
//! - **Cylinders.** A cylinder is a circle of cells (a centre cell and its nearest cells, up to
//!   [`ScanSettings::max_cells`] of them and within [`ScanSettings::max_radius_m`]) times a
//!   window of the last `w` days of the study period, `w` from 1 to
//!   [`ScanSettings::max_window_days`]. Windows always end on the last day: the scan is
//!   prospective, it looks for clusters still alive.
//! - **Expected count.** With `C` reports in all, `C_z` in cell `z` over the whole period and
//!   `C_d` on day `d` over all cells, a cylinder of cells `Z` and days `W` expects
//!   `μ = (Σ_{z∈Z} C_z)(Σ_{d∈W} C_d) / C`. No population and no baseline are needed: each place
//!   is compared with its own history, so a busy market street is not a cluster for being
//!   busy.
//! - **Statistic.** For a cylinder with `c > μ` reports, the log likelihood ratio
//!   `c·ln(c/μ) + (C − c)·ln((C − c)/(C − μ))` (the Poisson approximation the paper uses); the
//!   most likely cluster has the largest.
//! - **Significance.** The reports' days are shuffled among the reports (each keeps its cell),
//!   which keeps every `C_z` and `C_d`; the largest ratio of each of `R` shuffles is compared
//!   with the observed one. `p = (1 + shuffles at least as large) / (R + 1)`, and with one
//!   analysis every `interval` days the recurrence interval is `interval / p` days: the cluster
//!   is as unusual as one that chance alone would raise once in that many days of analyses.
//! - **Determinism.** The shuffles come from a SplitMix64 generator seeded by
//!   [`ScanSettings::seed`]: one seed, one answer, on every platform.
//!
//! Secondary clusters are the best cylinders of other centres that share no cell with a
//! cluster already listed, judged against the same shuffles (as SaTScan does, which is
//! conservative for them). Nothing here reads a database or a clock.

use rstar::RTree;
use rstar::primitives::GeomWithData;

use crate::geo::GeoPoint;

use super::random::SplitMix64;

/// The longest window a scan looks back, in days.
pub const MAX_WINDOW_DAYS: u32 = 7;
/// The most cells a cylinder may hold.
pub const MAX_CELLS_PER_CYLINDER: usize = 50;
/// The fewest and the most shuffles.
pub const REPLICATIONS: std::ops::RangeInclusive<u32> = 9..=9_999;
/// The most clusters one scan lists (the most likely and the secondary ones).
pub const MAX_CLUSTERS: usize = 20;

/// How a scan is run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScanSettings {
    /// The most cells a cylinder holds (its centre included), 1 to [`MAX_CELLS_PER_CYLINDER`].
    pub max_cells: usize,
    /// The widest circle, in metres from the centre cell; `None`: only `max_cells` bounds it.
    pub max_radius_m: Option<f64>,
    /// The longest window, 1 to [`MAX_WINDOW_DAYS`] days ending on the last day.
    pub max_window_days: u32,
    /// How many shuffles judge significance, within [`REPLICATIONS`].
    pub replications: u32,
    /// The days between two analyses (1 for the daily run): the recurrence interval's unit.
    pub analysis_interval_days: f64,
    /// The shuffles' seed.
    pub seed: u64,
}

impl Default for ScanSettings {
    /// The daily run: up to 10 cells within 1 km, windows of 1 to 7 days, 999 shuffles.
    fn default() -> Self {
        ScanSettings {
            max_cells: 10,
            max_radius_m: Some(1_000.0),
            max_window_days: MAX_WINDOW_DAYS,
            replications: 999,
            analysis_interval_days: 1.0,
            seed: 20_050_101,
        }
    }
}

/// One report as the scan sees it: its cell (an index into the scan's locations) and its day
/// (0 is the first day of the study period, `days − 1` the last).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanCase {
    pub location: u32,
    pub day: u32,
}

/// A cluster found: a cylinder with its counts and its significance.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// The cells (indices into the locations), the centre first, then by distance.
    pub locations: Vec<u32>,
    /// The distance from the centre to the farthest cell, in metres.
    pub radius_m: f64,
    /// The window's length: the last `window_days` days of the period.
    pub window_days: u32,
    /// Reports inside the cylinder.
    pub observed: u64,
    /// Reports the cylinder expects from its cells' and days' totals.
    pub expected: f64,
    /// The log likelihood ratio.
    pub llr: f64,
    /// The Monte Carlo p-value.
    pub p_value: f64,
    /// `analysis_interval_days / p_value`.
    pub recurrence_interval_days: f64,
}

/// What a scan found.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanOutcome {
    /// The most likely cluster first, then the secondary ones by decreasing ratio; empty when
    /// no cylinder holds more reports than it expects.
    pub clusters: Vec<Cluster>,
    /// Reports scanned.
    pub total_cases: u64,
    /// Shuffles run.
    pub replications: u32,
}

/// Why a scan cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScanError {
    #[error("max_cells must be 1 to {MAX_CELLS_PER_CYLINDER}, got {0}")]
    MaxCells(usize),
    #[error("max_radius_m must be a positive number of metres, got {0}")]
    MaxRadius(f64),
    #[error("max_window_days must be 1 to {MAX_WINDOW_DAYS}, got {0}")]
    MaxWindow(u32),
    #[error("replications must be {first} to {last}, got {0}", first = REPLICATIONS.start(),
        last = REPLICATIONS.end())]
    Replications(u32),
    #[error("analysis_interval_days must be a positive number, got {0}")]
    Interval(f64),
    #[error("the study period must be at least as long as the longest window ({window} days), got {days}")]
    Period { days: u32, window: u32 },
    #[error("report {index} names location {location}, but there are {locations} locations")]
    Location { index: usize, location: u32, locations: usize },
    #[error("report {index} is on day {day}, outside the study period of {days} days")]
    Day { index: usize, day: u32, days: u32 },
    #[error("{what} must hold {expected} numbers, got {got}")]
    Length { what: &'static str, expected: usize, got: usize },
    #[error("{what} must be positive numbers, got {value}")]
    Weight { what: &'static str, value: f64 },
}

impl ScanError {
    /// The stable machine code, for `application/problem+json`.
    pub fn code(&self) -> &'static str {
        match self {
            ScanError::MaxCells(_) => "max_cells",
            ScanError::MaxRadius(_) => "max_radius_m",
            ScanError::MaxWindow(_) => "max_window_days",
            ScanError::Replications(_) => "replications",
            ScanError::Interval(_) => "analysis_interval_days",
            ScanError::Period { .. } => "days",
            ScanError::Location { .. } | ScanError::Day { .. } | ScanError::Length { .. } => "cases",
            ScanError::Weight { .. } => "history",
        }
    }
}

impl ScanSettings {
    pub(super) fn check(&self) -> Result<(), ScanError> {
        if !(1..=MAX_CELLS_PER_CYLINDER).contains(&self.max_cells) {
            return Err(ScanError::MaxCells(self.max_cells));
        }
        if let Some(radius) = self.max_radius_m
            && !(radius.is_finite() && radius > 0.0)
        {
            return Err(ScanError::MaxRadius(radius));
        }
        if !(1..=MAX_WINDOW_DAYS).contains(&self.max_window_days) {
            return Err(ScanError::MaxWindow(self.max_window_days));
        }
        if !REPLICATIONS.contains(&self.replications) {
            return Err(ScanError::Replications(self.replications));
        }
        if !(self.analysis_interval_days.is_finite() && self.analysis_interval_days > 0.0) {
            return Err(ScanError::Interval(self.analysis_interval_days));
        }
        Ok(())
    }

    /// The cylinder evaluations a scan of `cells` cells costs: cells × circle size × windows ×
    /// (shuffles + the data). The unit in which a caller budgets a scan's CPU time.
    pub fn work(&self, cells: usize) -> u64 {
        let circle = self.max_cells.min(cells.max(1)) as u64;
        cells as u64 * circle * u64::from(self.max_window_days) * (u64::from(self.replications) + 1)
    }

    /// The most shuffles, at most [`Self::replications`], that a scan of `cells` cells may
    /// have within `budget` evaluations (0 when not even the data fits).
    pub fn replications_within(&self, cells: usize, budget: u64) -> u32 {
        let once = ScanSettings { replications: 0, ..*self }.work(cells).max(1);
        let fit = (budget / once).saturating_sub(1);
        u32::try_from(fit).unwrap_or(u32::MAX).min(self.replications)
    }

    /// The fewest shuffles with which a cluster can reach a recurrence interval of
    /// `recurrence_days`: the smallest p-value is `1 / (R + 1)`, so `R + 1` analyses' worth.
    pub fn replications_to_reach(&self, recurrence_days: f64) -> u32 {
        let needed = (recurrence_days / self.analysis_interval_days).ceil() - 1.0;
        if needed.is_finite() && needed > 0.0 { needed.min(f64::from(u32::MAX)) as u32 } else { 0 }
    }
}

/// The log likelihood ratio of `observed` reports in a cylinder expecting `expected`, out of
/// `total`; zero unless the cylinder holds more than it expects.
pub fn log_likelihood_ratio(observed: f64, expected: f64, total: f64) -> f64 {
    if observed <= expected || expected <= 0.0 {
        return 0.0;
    }
    let inside = observed * (observed / expected).ln();
    let rest = total - observed;
    let outside = if rest > 0.0 { rest * (rest / (total - expected)).ln() } else { 0.0 };
    inside + outside
}

/// A cylinder's circle: a centre and how many of its nearest cells it takes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Best {
    pub(super) llr: f64,
    pub(super) centre: usize,
    pub(super) cells: usize,
    pub(super) window: u32,
    pub(super) observed: u64,
    pub(super) expected: f64,
}

/// The circles of a scan: for each centre, its cells nearest first (the centre itself first),
/// with their distances.
pub(super) struct Circles {
    width: usize,
    members: Vec<u32>,
    distances: Vec<f64>,
    lengths: Vec<usize>,
}

impl Circles {
    pub(super) fn build(locations: &[GeoPoint], settings: &ScanSettings) -> Circles {
        let width = settings.max_cells.min(locations.len().max(1));
        // A local plane around the first cell: at a city's size (tens of kilometres) the
        // flattening error is far below a cell's size.
        let origin = locations.first().copied();
        let project = |p: &GeoPoint| -> [f64; 2] {
            let Some(o) = origin else { return [0.0, 0.0] };
            let metres_per_degree = 111_195.0;
            [
                (p.lon() - o.lon()) * metres_per_degree * o.lat().to_radians().cos(),
                (p.lat() - o.lat()) * metres_per_degree,
            ]
        };
        let tree = RTree::bulk_load(
            locations.iter().enumerate().map(|(i, p)| GeomWithData::new(project(p), i as u32)).collect(),
        );
        let mut members = Vec::with_capacity(locations.len() * width);
        let mut distances = Vec::with_capacity(locations.len() * width);
        let mut lengths = Vec::with_capacity(locations.len());
        for (i, point) in locations.iter().enumerate() {
            let start = members.len();
            members.push(i as u32);
            distances.push(0.0);
            let mut near: Vec<(f64, u32)> = tree
                .nearest_neighbor_iter_with_distance_2(&project(point))
                .filter(|(cell, _)| cell.data != i as u32)
                .take(width.saturating_sub(1) * 2 + 1)
                .map(|(cell, d2)| (d2.sqrt(), cell.data))
                .collect();
            // Distances equal to the millimetre (a regular grid has many) are broken by index,
            // so a circle depends neither on the tree's order nor on rounding in the projection.
            near.sort_by_key(|&(distance, cell)| ((distance * 1_000.0).round() as u64, cell));
            for (distance, cell) in near.into_iter().take(width - 1) {
                if settings.max_radius_m.is_some_and(|r| distance > r) {
                    break;
                }
                members.push(cell);
                distances.push(distance);
            }
            lengths.push(members.len() - start);
            members.resize(start + width, u32::MAX);
            distances.resize(start + width, f64::INFINITY);
        }
        Circles { width, members, distances, lengths }
    }

    /// How many circles there are: one per cell.
    pub(super) fn centres(&self) -> usize {
        self.lengths.len()
    }

    pub(super) fn of(&self, centre: usize) -> &[u32] {
        &self.members[centre * self.width..centre * self.width + self.lengths[centre]]
    }
}

/// The counts a scan holds fixed across shuffles: per cell over the period, per window over
/// all cells.
struct Margins {
    per_location: Vec<u64>,
    per_window: Vec<u64>,
    total: u64,
}

/// Per cell, the reports of the last `w` days for `w` = 1 ..= `windows` (a row per cell).
fn recent_counts(
    locations: usize,
    windows: u32,
    days: u32,
    cases: impl Iterator<Item = (u32, u32)>,
) -> Vec<u64> {
    let w = windows as usize;
    let mut counts = vec![0u64; locations * w];
    for (location, day) in cases {
        let age = (days - 1 - day) as usize;
        if age < w {
            let row = &mut counts[location as usize * w..(location as usize + 1) * w];
            for slot in &mut row[age..] {
                *slot += 1;
            }
        }
    }
    counts
}

/// Natural logarithms of the whole numbers 0 ..= `total` (the first is unused), so the bound
/// below costs table reads instead of calls.
fn log_table(total: u64) -> Vec<f64> {
    (0..=total).map(|n| (n as f64).ln()).collect()
}

/// Walks every cylinder and reports, through `keep`, each one whose ratio beats `floor(centre)`
/// (which `keep` may raise). The ratio's first term, `c·ln(c/μ)`, bounds it from above (the
/// second is never positive) and is read from [`log_table`]: most cylinders of a shuffle fall
/// below the best so far on that bound alone, and only the rest pay for two logarithms.
fn each_better_cylinder(
    circles: &Circles,
    margins: &Margins,
    recent: &[u64],
    windows: u32,
    logs: &[f64],
    mut floor: impl FnMut(usize) -> f64,
    mut keep: impl FnMut(Best),
) {
    let w = windows as usize;
    let total = margins.total as f64;
    let window_logs: Vec<f64> = margins.per_window.iter().map(|&n| (n as f64 / total).ln()).collect();
    let mut inside = vec![0u64; w];
    for centre in 0..circles.lengths.len() {
        inside.iter_mut().for_each(|c| *c = 0);
        let mut cell_total = 0u64;
        for (k, &cell) in circles.of(centre).iter().enumerate() {
            cell_total += margins.per_location[cell as usize];
            let row = &recent[cell as usize * w..(cell as usize + 1) * w];
            for (window, (sum, add)) in inside.iter_mut().zip(row).enumerate() {
                *sum += add;
                let observed = *sum;
                if observed == 0 {
                    continue;
                }
                let expected = cell_total as f64 * margins.per_window[window] as f64 / total;
                if observed as f64 <= expected {
                    continue;
                }
                let bound = observed as f64
                    * (logs[observed as usize] - logs[cell_total as usize] - window_logs[window]);
                let best = floor(centre);
                if bound <= best {
                    continue;
                }
                let llr = log_likelihood_ratio(observed as f64, expected, total);
                if llr > best {
                    keep(Best { llr, centre, cells: k + 1, window: window as u32 + 1, observed, expected });
                }
            }
        }
    }
}

/// The best cylinder of each centre (`None` where no cylinder holds an excess).
fn best_per_centre(
    circles: &Circles,
    margins: &Margins,
    recent: &[u64],
    windows: u32,
    logs: &[f64],
) -> Vec<Option<Best>> {
    let best = std::cell::RefCell::new(vec![None::<Best>; circles.lengths.len()]);
    each_better_cylinder(
        circles,
        margins,
        recent,
        windows,
        logs,
        |centre| best.borrow()[centre].map_or(0.0, |b| b.llr),
        |found| best.borrow_mut()[found.centre] = Some(found),
    );
    best.into_inner()
}

/// The largest ratio of any cylinder (0 when none holds an excess): all a shuffle needs.
fn largest_ratio(circles: &Circles, margins: &Margins, recent: &[u64], windows: u32, logs: &[f64]) -> f64 {
    let largest = std::cell::Cell::new(0.0f64);
    each_better_cylinder(
        circles,
        margins,
        recent,
        windows,
        logs,
        |_| largest.get(),
        |found| largest.set(found.llr),
    );
    largest.get()
}

/// Run the scan over `cases` among `locations` in a study period of `days` days.
pub fn scan(
    locations: &[GeoPoint],
    days: u32,
    cases: &[ScanCase],
    settings: &ScanSettings,
) -> Result<ScanOutcome, ScanError> {
    settings.check()?;
    let windows = settings.max_window_days;
    if days < windows {
        return Err(ScanError::Period { days, window: windows });
    }
    for (index, case) in cases.iter().enumerate() {
        if case.location as usize >= locations.len() {
            return Err(ScanError::Location { index, location: case.location, locations: locations.len() });
        }
        if case.day >= days {
            return Err(ScanError::Day { index, day: case.day, days });
        }
    }
    let total = cases.len() as u64;
    if total == 0 {
        return Ok(ScanOutcome { clusters: Vec::new(), total_cases: 0, replications: 0 });
    }

    let mut per_location = vec![0u64; locations.len()];
    for case in cases {
        per_location[case.location as usize] += 1;
    }
    let mut per_window = vec![0u64; windows as usize];
    for case in cases {
        let age = days - 1 - case.day;
        for slot in per_window.iter_mut().skip(age as usize) {
            *slot += 1;
        }
    }
    let margins = Margins { per_location, per_window, total };
    let circles = Circles::build(locations, settings);

    let recent = recent_counts(locations.len(), windows, days, cases.iter().map(|c| (c.location, c.day)));
    let logs = log_table(total);
    let observed = best_per_centre(&circles, &margins, &recent, windows, &logs);

    // The shuffles: only the largest ratio of each matters.
    let mut rng = SplitMix64::new(settings.seed);
    let mut shuffled: Vec<u32> = cases.iter().map(|c| c.day).collect();
    let mut maxima = Vec::with_capacity(settings.replications as usize);
    for _ in 0..settings.replications {
        for i in (1..shuffled.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            shuffled.swap(i, j);
        }
        let recent = recent_counts(
            locations.len(),
            windows,
            days,
            cases.iter().zip(&shuffled).map(|(c, &day)| (c.location, day)),
        );
        maxima.push(largest_ratio(&circles, &margins, &recent, windows, &logs));
    }
    maxima.sort_by(f64::total_cmp);

    let candidates = observed.into_iter().flatten().collect();
    let clusters = pick_clusters(candidates, &circles, &maxima, settings, locations.len());
    Ok(ScanOutcome { clusters, total_cases: total, replications: settings.replications })
}

/// The clusters to list from each centre's best cylinder: by decreasing ratio, each sharing no
/// cell with one already listed, at most [`MAX_CLUSTERS`], each judged against the sorted
/// largest ratios of the replications.
pub(super) fn pick_clusters(
    mut candidates: Vec<Best>,
    circles: &Circles,
    maxima: &[f64],
    settings: &ScanSettings,
    locations: usize,
) -> Vec<Cluster> {
    // Among equal ratios the smaller circle wins: cells without reports add nothing to a
    // cylinder, and a cluster should not name them.
    candidates
        .sort_by(|a, b| b.llr.total_cmp(&a.llr).then(a.cells.cmp(&b.cells)).then(a.centre.cmp(&b.centre)));
    let mut taken = vec![false; locations];
    let mut clusters = Vec::new();
    for best in candidates {
        if clusters.len() == MAX_CLUSTERS {
            break;
        }
        let cells = &circles.of(best.centre)[..best.cells];
        if cells.iter().any(|&c| taken[c as usize]) {
            continue;
        }
        cells.iter().for_each(|&c| taken[c as usize] = true);
        // Equal ratios computed along different sums may differ in the last bits.
        let tie = best.llr * (1.0 - 1e-12);
        let at_least = maxima.len() - maxima.partition_point(|&m| m < tie);
        let p_value = (1 + at_least) as f64 / (settings.replications as f64 + 1.0);
        clusters.push(Cluster {
            locations: cells.to_vec(),
            radius_m: circles.distances[best.centre * circles.width + best.cells - 1],
            window_days: best.window,
            observed: best.observed,
            expected: best.expected,
            llr: best.llr,
            p_value,
            recurrence_interval_days: settings.analysis_interval_days / p_value,
        });
    }
    clusters
}

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
