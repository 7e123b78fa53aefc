//! The proof of early warning's methods (`gridline warn evaluate`): clusters of a set size,
//! spread and length injected into a synthetic background, the detectors run day by day as the
//! server runs them, and for each method and threshold the hit rate, the detection delay and
//! the false signals per district per month.
//!
//! - **The city**: [`generate_city`]'s synthetic grid, each cell placed at
//!   [`GridIndex::point_in_cell`]. A district is a code's 6-digit prefix.
//! - **The background**: each cell gets a mean daily rate drawn from a lognormal distribution
//!   with mean [`EvaluationSettings::mean_rate`] and log-scale spread [`RATE_LOG_SIGMA`] (1.2):
//!   a long right tail, so a few busy cells (a market street, a transport hub) get several
//!   reports a day while most see one every week or two, which is the shape of a hotline's
//!   per-place counts (a gamma mix gives the same picture; the lognormal's one parameter is
//!   easier to state). A day's count is Poisson with that rate times the day's factor
//!   ([`BACKGROUND_DAY_FACTORS`]: weekdays busier than weekends, public holidays quietest, a
//!   weekend day worked in exchange like a weekday), the day classes from
//!   [`WorkingCalendar::china()`]. The default study starts on 2025-09-01, so that National Day's
//!   Golden Week and its two worked weekend days fall inside it. What the background lacks:
//!   trends, seasons, weather, and the bursts real cities have (a water main, a festival), so
//!   the false-signal figures here are a floor for a real city's.
//! - **Category classes**: the server's daily scan runs once per category class (a cluster is
//!   one kind of problem, judged against the reports of its own kind), so the background is
//!   split into [`EvaluationSettings::classes`], each report falling into a class with that
//!   class's share (Poisson thinning: each class's count is Poisson with the cell's rate times
//!   the share). The default shares are the demo city's ([`demo_class_shares`]); one class of
//!   share 1 is every report in one stream, as the evaluation was run before. Each cluster
//!   falls into one class, drawn with the classes' shares (a kind of problem is as likely to
//!   cluster as it is common), and every detector runs per class; false signals are counted
//!   over all classes, as staff see them.
//! - **The clusters**: each adds [`EvaluationSettings::size`] reports a day, each to one of the
//!   [`EvaluationSettings::spread`] cells nearest a random centre (uniformly), on
//!   [`EvaluationSettings::length`] consecutive days. They come one after the other: the study
//!   is cut into one slot per cluster and each starts on a random day of its slot, so that it
//!   and its grace days end inside it. Each cluster is then a trial of its own, as the goal
//!   ("a cluster ... is found within 2 days") is stated, and no cluster hides behind another
//!   that happens to be stronger on the same day.
//! - **The detectors**, for every day of the study:
//!   - the CUSUM and EWMA charts per cell ([`super::chart`]) against [`super::baseline`]'s
//!     expected count (the cell's 28 days before, the day effects estimated once on the whole
//!     city's 28 days before the study, as the server's charts do), the charts starting from
//!     zero on the study's first day;
//!   - the prospective space-time permutation scan ([`super::scan`]) over the 28 days ending
//!     on the day, with the server's default circles and windows, kept where the recurrence
//!     interval reaches the threshold;
//!   - the expectation-based Poisson scan ([`super::expectation`]) with the same circles,
//!     windows of up to [`EXPECTATION_WINDOW_DAYS`] days and each cell's 28 days before them as
//!     its history, the day effects estimated on those 28 days of every report of the city (as
//!     the server estimates them on its scope's), at the same thresholds. The background starts
//!     that many days earlier.
//! - **Per class**: every detector runs on each class's reports alone; a signal grows or finds
//!   only a signal or a cluster of its own class.
//! - **Counting**: a method signals a set of cells on a day (one cell for a chart, a cluster's
//!   cells for the scan). A signal sharing a cell with one of the same method and threshold the
//!   day before continues it (the server grows a live signal instead of raising it twice); any
//!   other is new. A cluster is hit when a signal touches one of its cells on one of its days
//!   or up to [`EvaluationSettings::grace_days`] after; its delay is the first such day minus
//!   its first day. A new signal that touches no cluster's cells on those days is false.
//!
//! Everything is pure and deterministic for a seed: [`super::random`]'s SplitMix64 draws the background and
//! the clusters, and each day's scan is seeded from the run's seed and the day.

use chrono::NaiveDate;
use serde::Serialize;

use crate::calendar::WorkingCalendar;
use crate::geo::GeoPoint;
use crate::grid::{GeneratorOptions, GridIndex, generate_city};
use crate::taxonomy::Taxonomy;

use super::baseline::{self, DayClass, DayEffects};
use super::chart::Chart;
use super::expectation::{ExpectationInput, expectation_scan};
use super::random::SplitMix64;
use super::scan::{self, ScanCase, ScanSettings};

/// The history a baseline and a scan look back over, in days (the server's default).
pub const HISTORY_DAYS: u32 = 28;
/// The expectation-based scan's longest window: it is run for clusters that are emerging.
pub const EXPECTATION_WINDOW_DAYS: u32 = 3;
/// The log-scale standard deviation of the cells' rates.
pub const RATE_LOG_SIGMA: f64 = 1.2;
/// The background's true day factors, by [`DayClass`]: Monday to Sunday, a public holiday, a
/// weekend day worked in exchange.
pub const BACKGROUND_DAY_FACTORS: [f64; 9] = [1.12, 1.06, 1.04, 1.02, 1.0, 0.86, 0.8, 0.6, 1.02];
/// A month, for the false-signal rate, in days.
pub const MONTH_DAYS: f64 = 30.44;
/// The CUSUM's reference value (the server's).
pub const CUSUM_K: f64 = 0.5;
/// The EWMA's smoothing weight (the server's).
pub const EWMA_LAMBDA: f64 = 0.3;

/// A category class of the background and its share of the reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassShare {
    /// The class, as `E05`; `all` for every report in one stream.
    pub class: String,
    pub share: f64,
}

/// Every report in one stream, as one class.
pub fn one_stream() -> Vec<ClassShare> {
    vec![ClassShare { class: "all".to_owned(), share: 1.0 }]
}

/// The demo city's shares of the category classes: `gridline seed` picks the shipped
/// taxonomy's categories with Zipf weights in file order (the k-th is 1/k as common as the
/// first), and a class's share is the sum of its categories' weights. Street furniture (`C01`)
/// gets about 60 % of the reports, the smallest class (`E06`) under 0.4 %. No published 12345
/// breakdown by these classes is in the repository; this is the one the demo city shows.
pub fn demo_class_shares() -> Result<Vec<ClassShare>, EvaluationError> {
    let taxonomy = Taxonomy::default_taxonomy().map_err(|e| EvaluationError::Taxonomy(e.to_string()))?;
    let mut shares: Vec<ClassShare> = Vec::new();
    for (rank, category) in taxonomy.categories().iter().enumerate() {
        let class = category.code.to_string()[..3].to_owned();
        let weight = 1.0 / (rank + 1) as f64;
        match shares.iter_mut().find(|share| share.class == class) {
            Some(share) => share.share += weight,
            None => shares.push(ClassShare { class, share: weight }),
        }
    }
    let total: f64 = shares.iter().map(|share| share.share).sum();
    shares.iter_mut().for_each(|share| share.share /= total);
    Ok(shares)
}

/// What to evaluate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvaluationSettings {
    /// Cells of the synthetic city.
    pub cells: usize,
    /// Days of the study, each judged by every method (the history before it comes on top).
    pub days: u32,
    /// The study's first day.
    pub first_day: NaiveDate,
    /// The background's mean reports per cell per day.
    pub mean_rate: f64,
    /// Clusters injected.
    pub clusters: usize,
    /// Extra reports a day of each cluster.
    pub size: u32,
    /// Cells a cluster's reports spread over: its centre and the nearest others.
    pub spread: usize,
    /// Days a cluster lasts.
    pub length: u32,
    /// Days after a cluster's last day on which a signal still counts as finding it.
    pub grace_days: u32,
    /// The CUSUM's decision intervals tried.
    pub cusum_h: Vec<f64>,
    /// The EWMA's control limits tried, in standard deviations.
    pub ewma_sigmas: Vec<f64>,
    /// The scan's recurrence intervals tried, in days.
    pub scan_recurrence_days: Vec<f64>,
    /// Whether the permutation scan runs (`scan`).
    pub permutation_scan: bool,
    /// Whether the expectation-based scan runs (`ebp`).
    pub expectation_scan: bool,
    /// The scan's shuffles each day (few: a scan runs every day of the study).
    pub replications: u32,
    /// The category classes the background is split into; each is scanned on its own.
    pub classes: Vec<ClassShare>,
    pub seed: u64,
}

impl Default for EvaluationSettings {
    /// 400 cells over 182 days at 0.3 reports per cell a day; 20 clusters of 5 reports a day
    /// over 3 cells for 5 days (the goal); CUSUM h 3, 4, 5; EWMA 2.5, 3, 3.5 σ; scan
    /// recurrence 20, 50, 100 days with 99 shuffles (100 days is the rarest 99 shuffles can
    /// say).
    fn default() -> Self {
        EvaluationSettings {
            cells: 400,
            days: 182,
            first_day: NaiveDate::from_ymd_opt(2025, 9, 1).unwrap_or_default(),
            mean_rate: 0.3,
            clusters: 20,
            size: 5,
            spread: 3,
            length: 5,
            grace_days: 2,
            cusum_h: vec![3.0, 4.0, 5.0],
            ewma_sigmas: vec![2.5, 3.0, 3.5],
            scan_recurrence_days: vec![20.0, 50.0, 100.0],
            permutation_scan: true,
            expectation_scan: true,
            replications: 99,
            classes: one_stream(),
            seed: 23,
        }
    }
}

/// Why an evaluation cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvaluationError {
    #[error("cells must be at least 10, got {0}")]
    Cells(usize),
    #[error("days must be at least 1, got {0}")]
    Days(u32),
    #[error("the mean rate must be a positive number of reports a day, got {0}")]
    Rate(f64),
    #[error("spread must be 1 to the number of cells ({cells}), got {spread}")]
    Spread { spread: usize, cells: usize },
    #[error("length must be 1 to the number of days ({days}), got {length}")]
    Length { length: u32, days: u32 },
    #[error(
        "{clusters} clusters one after the other, each with its grace days, need {needed} days; \
         the study has {days}"
    )]
    Crowded { clusters: usize, days: u32, needed: u64 },
    #[error("a threshold must be a positive number, got {0}")]
    Threshold(f64),
    #[error("replications must be {first} to {last}, got {0}", first = scan::REPLICATIONS.start(),
        last = scan::REPLICATIONS.end())]
    Replications(u32),
    #[error("the study's dates run off the calendar")]
    Dates,
    #[error("the scan: {0}")]
    Scan(String),
    #[error("the synthetic city: {0}")]
    City(String),
    #[error("the working calendar: {0}")]
    Calendar(String),
    #[error("the taxonomy: {0}")]
    Taxonomy(String),
    #[error("the classes' shares must be positive and add up to 1, got {0:?}")]
    Shares(Vec<f64>),
}

/// One method at one threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodReport {
    /// `cusum`, `ewma` or `scan`.
    pub method: &'static str,
    /// The threshold, as `h=4`, `L=3` or `RI>=100`.
    pub threshold: String,
    pub clusters: usize,
    /// Clusters signalled in time.
    pub hits: usize,
    pub hit_rate: f64,
    /// Over the clusters hit; `None` when none was.
    pub median_delay_days: Option<f64>,
    pub mean_delay_days: Option<f64>,
    /// Clusters hit on their first or second day.
    pub hits_within_2_days: usize,
    /// New signals touching no cluster.
    pub false_signals: usize,
    pub false_per_district_month: f64,
}

/// What an evaluation found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvaluationReport {
    pub settings: EvaluationSettings,
    pub last_day: NaiveDate,
    /// Days of background before the study: the baselines' history.
    pub history_days: u32,
    pub districts: usize,
    /// Background reports a day over the study, on average (the clusters not counted).
    pub mean_daily_reports: f64,
    /// The smallest p-value and the largest recurrence interval the scan's shuffles can give.
    pub scan_smallest_p: f64,
    pub scan_largest_recurrence_days: f64,
    /// Each cluster: its cells and its first day (an index into the study).
    pub injected: Vec<InjectedCluster>,
    pub methods: Vec<MethodReport>,
}

/// A cluster put into the background.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InjectedCluster {
    /// The category class it falls into (an index into the settings' classes).
    pub class: usize,
    /// Indices into the city's cells, the centre first.
    pub cells: Vec<u32>,
    /// The study's day it starts on (0 is the first).
    pub start: u32,
    pub length: u32,
}

fn class_index(class: DayClass) -> usize {
    match class {
        DayClass::Ordinary(weekday) => weekday.num_days_from_monday() as usize,
        DayClass::Holiday => 7,
        DayClass::WorkedRestDay => 8,
    }
}

impl EvaluationSettings {
    fn check(&self) -> Result<(), EvaluationError> {
        if self.cells < 10 {
            return Err(EvaluationError::Cells(self.cells));
        }
        if self.days == 0 {
            return Err(EvaluationError::Days(self.days));
        }
        if !(self.mean_rate.is_finite() && self.mean_rate > 0.0) {
            return Err(EvaluationError::Rate(self.mean_rate));
        }
        if self.spread == 0 || self.spread > self.cells {
            return Err(EvaluationError::Spread { spread: self.spread, cells: self.cells });
        }
        if self.length == 0 || self.length > self.days {
            return Err(EvaluationError::Length { length: self.length, days: self.days });
        }
        let needed = self.clusters as u64 * u64::from(self.length + self.grace_days);
        if needed > u64::from(self.days) {
            return Err(EvaluationError::Crowded { clusters: self.clusters, days: self.days, needed });
        }
        let mut thresholds = self.cusum_h.iter().chain(&self.ewma_sigmas).chain(&self.scan_recurrence_days);
        if let Some(&bad) = thresholds.find(|t| !(t.is_finite() && **t > 0.0)) {
            return Err(EvaluationError::Threshold(bad));
        }
        if !scan::REPLICATIONS.contains(&self.replications) {
            return Err(EvaluationError::Replications(self.replications));
        }
        let shares: Vec<f64> = self.classes.iter().map(|class| class.share).collect();
        let total: f64 = shares.iter().sum();
        if shares.is_empty()
            || shares.iter().any(|s| !(s.is_finite() && *s > 0.0))
            || (total - 1.0).abs() > 1e-9
        {
            return Err(EvaluationError::Shares(shares));
        }
        Ok(())
    }
}

/// A method at a threshold while the days run: what it signalled yesterday in each class, and
/// its tally over all classes.
struct Tally {
    method: &'static str,
    threshold: String,
    cells: usize,
    /// Per class and cell, whether a signal touched it yesterday.
    yesterday: Vec<bool>,
    today: Vec<bool>,
    /// Per cluster, the first day a signal touched it.
    found: Vec<Option<u32>>,
    false_signals: usize,
}

impl Tally {
    fn new(method: &'static str, threshold: String, cells: usize, classes: usize, clusters: usize) -> Tally {
        Tally {
            method,
            threshold,
            cells,
            yesterday: vec![false; cells * classes],
            today: vec![false; cells * classes],
            found: vec![None; clusters],
            false_signals: 0,
        }
    }

    /// A signal of class `class` over `cells` on study day `day`: it continues one of its own
    /// class only (the server grows a live signal of the same class), and finds a cluster of
    /// its class only.
    fn signal(&mut self, class: usize, cells: &[u32], day: u32, clusters: &[InjectedCluster], grace: u32) {
        let offset = class * self.cells;
        let continued = cells.iter().any(|&c| self.yesterday[offset + c as usize]);
        cells.iter().for_each(|&c| self.today[offset + c as usize] = true);
        let mut touched = false;
        for (cluster, found) in clusters.iter().zip(&mut self.found) {
            let live = day >= cluster.start && day < cluster.start + cluster.length + grace;
            if live && cluster.class == class && cells.iter().any(|c| cluster.cells.contains(c)) {
                touched = true;
                found.get_or_insert(day);
            }
        }
        if !touched && !continued {
            self.false_signals += 1;
        }
    }

    fn end_of_day(&mut self) {
        std::mem::swap(&mut self.yesterday, &mut self.today);
        self.today.iter_mut().for_each(|s| *s = false);
    }

    fn report(self, clusters: &[InjectedCluster], districts: usize, days: u32) -> MethodReport {
        let mut delays: Vec<f64> = clusters
            .iter()
            .zip(&self.found)
            .filter_map(|(cluster, found)| found.map(|day| f64::from(day - cluster.start)))
            .collect();
        delays.sort_by(f64::total_cmp);
        let hits = delays.len();
        let median = (!delays.is_empty()).then(|| {
            let mid = hits / 2;
            if hits % 2 == 1 { delays[mid] } else { (delays[mid - 1] + delays[mid]) / 2.0 }
        });
        let mean = (!delays.is_empty()).then(|| delays.iter().sum::<f64>() / hits as f64);
        let months = f64::from(days) / MONTH_DAYS;
        MethodReport {
            method: self.method,
            threshold: self.threshold,
            clusters: clusters.len(),
            hits,
            hit_rate: if clusters.is_empty() { 0.0 } else { hits as f64 / clusters.len() as f64 },
            median_delay_days: median,
            mean_delay_days: mean,
            hits_within_2_days: delays.iter().filter(|&&d| d < 2.0).count(),
            false_signals: self.false_signals,
            false_per_district_month: self.false_signals as f64 / districts.max(1) as f64 / months,
        }
    }
}

/// The `spread` cells nearest `centre` (itself first), ties by index.
fn nearest(points: &[GeoPoint], centre: usize, spread: usize) -> Vec<u32> {
    let origin = points[centre];
    let mut by_distance: Vec<(f64, u32)> =
        points.iter().enumerate().map(|(i, p)| (origin.distance_m(p), i as u32)).collect();
    by_distance.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    by_distance.into_iter().take(spread).map(|(_, i)| i).collect()
}

/// A class drawn with the classes' shares.
fn pick_class(rng: &mut SplitMix64, classes: &[ClassShare]) -> usize {
    // A uniform draw in [0, 1) from the generator's top 53 bits.
    let draw = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
    let mut cumulative = 0.0;
    for (index, class) in classes.iter().enumerate() {
        cumulative += class.share;
        if draw < cumulative {
            return index;
        }
    }
    classes.len() - 1
}

/// Run an evaluation.
pub fn evaluate(settings: &EvaluationSettings) -> Result<EvaluationReport, EvaluationError> {
    settings.check()?;
    let calendar = WorkingCalendar::china().map_err(|e| EvaluationError::Calendar(e.to_string()))?;
    let city = generate_city(GeneratorOptions { cells: settings.cells, seed: settings.seed, bbox: None })
        .map_err(|e| EvaluationError::City(e.to_string()))?;
    let index = GridIndex::build(&city).map_err(|e| EvaluationError::City(e.to_string()))?;
    let points: Vec<GeoPoint> = city
        .iter()
        .map(|cell| {
            index
                .point_in_cell(cell.code)
                .ok_or_else(|| EvaluationError::City(format!("no point inside cell {}", cell.code)))
        })
        .collect::<Result<_, _>>()?;
    let mut districts: Vec<u32> = city.iter().map(|cell| cell.code.district()).collect();
    districts.sort_unstable();
    districts.dedup();

    let cells = city.len();
    let classes = settings.classes.len();
    // The expectation-based scan's history ends before its longest window, so the background
    // starts that much earlier than the charts' and the permutation scan's 28 days need.
    let history = HISTORY_DAYS + EXPECTATION_WINDOW_DAYS;
    let chart_history_start = EXPECTATION_WINDOW_DAYS as usize;
    let span = history + settings.days;
    let start = settings
        .first_day
        .checked_sub_days(chrono::Days::new(u64::from(history)))
        .ok_or(EvaluationError::Dates)?;
    let dates: Vec<NaiveDate> = (0..span)
        .map(|d| start.checked_add_days(chrono::Days::new(u64::from(d))))
        .collect::<Option<_>>()
        .ok_or(EvaluationError::Dates)?;
    let last_day = *dates.last().ok_or(EvaluationError::Dates)?;

    // The background, drawn day by day, cell by cell and class by class from one generator
    // (with one class, the same draws as every report in one stream).
    let mut rng = SplitMix64::new(settings.seed ^ 0x6576_616C_7561_7465);
    let mu = settings.mean_rate.ln() - RATE_LOG_SIGMA * RATE_LOG_SIGMA / 2.0;
    let rates: Vec<f64> = (0..cells).map(|_| (mu + RATE_LOG_SIGMA * rng.normal()).exp()).collect();
    let factors: Vec<f64> =
        dates.iter().map(|d| BACKGROUND_DAY_FACTORS[class_index(DayClass::of(*d, &calendar))]).collect();
    // Per class, a day's row of cells after another.
    let mut counts = vec![vec![0u32; span as usize * cells]; classes];
    for (day, factor) in factors.iter().enumerate() {
        for (cell, rate) in rates.iter().enumerate() {
            for (class, share) in settings.classes.iter().enumerate() {
                counts[class][day * cells + cell] = rng.poisson(rate * factor * share.share);
            }
        }
    }
    let background: u64 =
        counts.iter().flat_map(|class| &class[history as usize * cells..]).map(|&c| u64::from(c)).sum();

    // The clusters, on top.
    // One cluster at a time: the study is cut into equal slots, one per cluster, and each
    // cluster and its grace days fall inside its slot, so every cluster is its own trial.
    let slot = settings.days / settings.clusters.max(1) as u32;
    let lasts = settings.length + settings.grace_days;
    let injected: Vec<InjectedCluster> = (0..settings.clusters as u32)
        .map(|trial| {
            let centre = rng.below(cells as u64) as usize;
            let first = trial * slot + rng.below(u64::from(slot - lasts + 1)) as u32;
            // With one class there is nothing to draw, so the one-stream runs keep their draws.
            let class = if classes > 1 { pick_class(&mut rng, &settings.classes) } else { 0 };
            InjectedCluster {
                class,
                cells: nearest(&points, centre, settings.spread),
                start: first,
                length: settings.length,
            }
        })
        .collect();
    for cluster in &injected {
        for day in cluster.start..cluster.start + cluster.length {
            for _ in 0..settings.size {
                let cell = cluster.cells[rng.below(cluster.cells.len() as u64) as usize];
                counts[cluster.class][(history + day) as usize * cells + cell as usize] += 1;
            }
        }
    }

    // The day effects as the server estimates them: on the whole city's days before the study,
    // every report of every class (a class's own series is too thin to give a weekday's shape).
    let reference: Vec<(NaiveDate, f64)> = (chart_history_start..history as usize)
        .map(|d| {
            let day: u32 = counts.iter().flat_map(|class| &class[d * cells..(d + 1) * cells]).sum();
            (dates[d], f64::from(day))
        })
        .collect();
    let effects = DayEffects::estimate(&reference, &calendar);
    // Every report of a day, over all classes: the expectation-based scan's day effects are
    // estimated on its history days of this series, as the server estimates them on the
    // scope's reports before the window.
    let daily_totals: Vec<f64> = (0..span as usize)
        .map(|d| f64::from(counts.iter().flat_map(|class| &class[d * cells..(d + 1) * cells]).sum::<u32>()))
        .collect();

    let charts: Vec<(Chart, String)> = settings
        .cusum_h
        .iter()
        .map(|&h| (Chart::Cusum { k: CUSUM_K, h }, format!("h={h}")))
        .chain(
            settings
                .ewma_sigmas
                .iter()
                .map(|&sigmas| (Chart::Ewma { lambda: EWMA_LAMBDA, sigmas }, format!("L={sigmas}"))),
        )
        .collect();
    let tallies = |method: &'static str, run: bool| -> Vec<Tally> {
        let thresholds = if run { settings.scan_recurrence_days.as_slice() } else { &[] };
        thresholds
            .iter()
            .map(|ri| Tally::new(method, format!("RI>={ri}"), cells, classes, injected.len()))
            .collect()
    };
    let mut chart_tallies: Vec<Tally> = charts
        .iter()
        .map(|(chart, label)| Tally::new(chart.name(), label.clone(), cells, classes, injected.len()))
        .collect();
    let mut scan_tallies = tallies("scan", settings.permutation_scan);
    let mut expectation_tallies = tallies("ebp", settings.expectation_scan);
    let mut values = vec![vec![vec![0.0f64; cells]; charts.len()]; classes];
    let mut past = vec![vec![0u32; cells]; classes];
    for (class, sums) in past.iter_mut().enumerate() {
        for d in chart_history_start..history as usize {
            for (cell, sum) in sums.iter_mut().enumerate() {
                *sum += counts[class][d * cells + cell];
            }
        }
    }

    for day in 0..settings.days {
        let at = (history + day) as usize;
        let window = baseline::window_before(dates[at], HISTORY_DAYS);
        let weight: f64 = window.iter().map(|d| effects.factor(*d, &calendar)).sum();
        let today_factor = effects.factor(dates[at], &calendar);
        let day_seed = settings.seed.wrapping_mul(0x0001_0000_0001).wrapping_add(u64::from(day));
        let windows = EXPECTATION_WINDOW_DAYS as usize;
        let baseline_days = at + 1 - history as usize..at + 1 - windows;
        let history_series: Vec<(NaiveDate, f64)> =
            baseline_days.clone().map(|d| (dates[d], daily_totals[d])).collect();
        let ebp_effects = DayEffects::estimate(&history_series, &calendar);
        for class in 0..classes {
            let counts = &counts[class];
            for cell in 0..cells {
                let observed = f64::from(counts[at * cells + cell]);
                let expected =
                    if weight > 0.0 { f64::from(past[class][cell]) / weight * today_factor } else { 0.0 };
                let x = super::chart::excess(observed, expected);
                for ((chart, _), (value, tally)) in
                    charts.iter().zip(values[class].iter_mut().zip(&mut chart_tallies))
                {
                    value[cell] = chart.step(value[cell], x);
                    if value[cell] > chart.limit(day + 1) {
                        tally.signal(class, &[cell as u32], day, &injected, settings.grace_days);
                    }
                }
            }
            // Each class's scans get a seed of their own, so that the classes' replications are
            // not the same draws.
            let class_seed = day_seed.wrapping_add((class as u64) << 40);
            let scan_settings = ScanSettings {
                replications: settings.replications,
                seed: class_seed,
                ..ScanSettings::default()
            };

            if settings.permutation_scan {
                let period = at + 1 - HISTORY_DAYS as usize..=at;
                let mut cases = Vec::new();
                for (age, d) in period.enumerate() {
                    for cell in 0..cells {
                        let case = ScanCase { location: cell as u32, day: age as u32 };
                        cases.extend(std::iter::repeat_n(case, counts[d * cells + cell] as usize));
                    }
                }
                let outcome = scan::scan(&points, HISTORY_DAYS, &cases, &scan_settings)
                    .map_err(|e| EvaluationError::Scan(e.to_string()))?;
                for cluster in &outcome.clusters {
                    for (tally, &threshold) in scan_tallies.iter_mut().zip(&settings.scan_recurrence_days) {
                        if cluster.recurrence_interval_days >= threshold {
                            tally.signal(class, &cluster.locations, day, &injected, settings.grace_days);
                        }
                    }
                }
            }

            // The expectation-based scan: each cell's 28 days before the longest window against
            // the window's days, today first.
            if settings.expectation_scan {
                let history_counts: Vec<u32> = (0..cells)
                    .map(|cell| baseline_days.clone().map(|d| counts[d * cells + cell]).sum())
                    .collect();
                let history_weight: f64 =
                    baseline_days.clone().map(|d| ebp_effects.factor(dates[d], &calendar)).sum();
                let window_factors: Vec<f64> =
                    (0..windows).map(|age| ebp_effects.factor(dates[at - age], &calendar)).collect();
                let recent: Vec<u32> = (0..cells)
                    .flat_map(|cell| (0..windows).map(move |age| (cell, age)))
                    .map(|(cell, age)| counts[(at - age) * cells + cell])
                    .collect();
                let input = ExpectationInput {
                    locations: &points,
                    history: &history_counts,
                    history_weight,
                    window_factors: &window_factors,
                    recent: &recent,
                };
                let expectation_settings =
                    ScanSettings { max_window_days: EXPECTATION_WINDOW_DAYS, ..scan_settings };
                let outcome = expectation_scan(&input, &expectation_settings)
                    .map_err(|e| EvaluationError::Scan(e.to_string()))?;
                for cluster in &outcome.clusters {
                    for (tally, &threshold) in
                        expectation_tallies.iter_mut().zip(&settings.scan_recurrence_days)
                    {
                        if cluster.recurrence_interval_days >= threshold {
                            tally.signal(class, &cluster.locations, day, &injected, settings.grace_days);
                        }
                    }
                }
            }
            for (cell, sum) in past[class].iter_mut().enumerate() {
                *sum += counts[at * cells + cell];
                *sum -= counts[(at - HISTORY_DAYS as usize) * cells + cell];
            }
        }

        chart_tallies
            .iter_mut()
            .chain(&mut scan_tallies)
            .chain(&mut expectation_tallies)
            .for_each(Tally::end_of_day);
    }

    let methods = chart_tallies
        .into_iter()
        .chain(scan_tallies)
        .chain(expectation_tallies)
        .map(|tally| tally.report(&injected, districts.len(), settings.days))
        .collect();
    let replications = f64::from(settings.replications);
    Ok(EvaluationReport {
        settings: settings.clone(),
        last_day,
        history_days: history,
        districts: districts.len(),
        mean_daily_reports: background as f64 / f64::from(settings.days),
        scan_smallest_p: 1.0 / (replications + 1.0),
        scan_largest_recurrence_days: replications + 1.0,
        injected,
        methods,
    })
}

#[cfg(test)]
#[path = "evaluate_tests.rs"]
mod tests;
