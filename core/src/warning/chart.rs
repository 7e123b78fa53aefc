//! Control charts over daily counts against their baselines (EWMA and CUSUM, the charts of
//! CDC's EARS).
//!
//! Each day gives a standardized excess `x = (observed − expected) / √max(expected, floor)`,
//! the Poisson residual: under the baseline it has mean 0 and variance about 1. The floor keeps
//! a place that expects almost nothing from signalling on its first report.
//!
//! - **EWMA**: `z_t = λ·x_t + (1 − λ)·z_{t−1}` from `z_0 = 0`; it signals when `z_t` exceeds
//!   `L·√(λ/(2 − λ)·(1 − (1 − λ)^{2t}))`, its standard deviation after `t` days times `L`.
//! - **CUSUM** (upper, one-sided): `S_t = max(0, S_{t−1} + x_t − k)` from `S_0 = 0`; it signals
//!   when `S_t > h`.
//!
//! The day under way is judged as the reports arrive ([`Chart::provisional`]): its expected
//! count so far is the day's expected count times the share of the day's reports that usually
//! have arrived by now, and the chart's value is what it would be if the day ended now. Each
//! report costs one such step, a few arithmetic operations.

/// The smallest expected count a residual is divided by.
pub const EXPECTED_FLOOR: f64 = 1.0;

/// The standardized excess of `observed` over `expected`.
pub fn excess(observed: f64, expected: f64) -> f64 {
    (observed - expected) / expected.max(EXPECTED_FLOOR).sqrt()
}

/// Which chart, with its parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Chart {
    /// Smoothing weight `lambda` in (0, 1], control limit `sigmas` standard deviations.
    Ewma { lambda: f64, sigmas: f64 },
    /// Reference value `k` (the excess tolerated each day) and decision interval `h`.
    Cusum { k: f64, h: f64 },
}

impl Chart {
    /// EARS-like defaults: EWMA λ = 0.3 with a 3σ limit.
    pub const EWMA: Chart = Chart::Ewma { lambda: 0.3, sigmas: 3.0 };
    /// CUSUM with k = 0.5 and h = 4 (a shift of one standard deviation is found within a few
    /// days, with an in-control run length in the hundreds).
    pub const CUSUM: Chart = Chart::Cusum { k: 0.5, h: 4.0 };

    pub fn name(self) -> &'static str {
        match self {
            Chart::Ewma { .. } => "ewma",
            Chart::Cusum { .. } => "cusum",
        }
    }

    /// The chart's value after a day of excess `x`, from `previous` (the value after `day − 1`
    /// days; 0 before the first).
    pub fn step(self, previous: f64, x: f64) -> f64 {
        match self {
            Chart::Ewma { lambda, .. } => lambda * x + (1.0 - lambda) * previous,
            Chart::Cusum { k, .. } => (previous + x - k).max(0.0),
        }
    }

    /// The control limit on the `day`-th day (1 for the first).
    pub fn limit(self, day: u32) -> f64 {
        match self {
            Chart::Ewma { lambda, sigmas } => {
                let decay = (1.0 - lambda).powi(2 * day.min(10_000) as i32);
                sigmas * (lambda / (2.0 - lambda) * (1.0 - decay)).sqrt()
            }
            Chart::Cusum { h, .. } => h,
        }
    }

    /// Runs the chart over days of `(observed, expected)`, oldest first.
    pub fn run(self, days: &[(f64, f64)]) -> Vec<Point> {
        let mut value = 0.0;
        days.iter()
            .zip(1u32..)
            .map(|(&(observed, expected), day)| {
                value = self.step(value, excess(observed, expected));
                let limit = self.limit(day);
                Point { observed, expected, value, limit, signal: value > limit }
            })
            .collect()
    }

    /// The day under way, judged now: `previous` is the chart's value after the last whole day
    /// (`day − 1` days run), `observed` the reports so far, `expected_today` the whole day's
    /// expected count and `share_elapsed` the share of a day's reports usually in by now.
    pub fn provisional(
        self,
        previous: f64,
        day: u32,
        observed: f64,
        expected_today: f64,
        share_elapsed: f64,
    ) -> Point {
        let expected = expected_today * share_elapsed.clamp(0.0, 1.0);
        let value = self.step(previous, excess(observed, expected));
        let limit = self.limit(day);
        Point { observed, expected, value, limit, signal: value > limit }
    }
}

/// One day of a chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub observed: f64,
    pub expected: f64,
    /// The chart's value after this day.
    pub value: f64,
    pub limit: f64,
    /// The value lies above the limit.
    pub signal: bool,
}
