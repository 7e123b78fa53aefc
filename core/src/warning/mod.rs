//! Early warning (早发现早预警): the statistical rules that say "more reports than usual are
//! arriving here", written once for the server (which feeds them the daily summaries) and for
//! anything else that wants the same verdict.
//!
//! - [`baseline`]: the count a place is expected to get on a day, from its recent history and
//!   the day's effect (weekday, public holiday, a weekend day worked in exchange), the effects
//!   estimated on a larger area's series so that a sparse cell borrows its shape.
//! - [`chart`]: control charts over the daily standardized excess of observed over expected
//!   (EWMA and CUSUM, as in CDC's EARS), and their provisional value for the day under way, so
//!   a spike shows as the reports arrive instead of the next morning.
//! - [`scan`]: the prospective space-time permutation scan, which finds where and over which
//!   last days reports cluster beyond what the places' and days' own totals predict, with a
//!   recurrence interval from shuffles of the reports' days.
//! - [`expectation`]: the expectation-based Poisson scan over the same cylinders, which judges
//!   the last days against each cell's own history before them, for clusters still emerging.
//! - [`evaluate`]: the proof of the methods: clusters injected into a synthetic background,
//!   the detectors run day by day, hit rate, delay and false signals per method and threshold.
//! - [`signal`]: what a method found, kept as an object staff acknowledge, dismiss or open a
//!   case from, and how a later run grows it instead of raising it twice.
//!
//! Everything here is pure arithmetic on numbers and dates (the calendar only tells which day
//! is which); nothing reads a database or a clock.

pub mod baseline;
pub mod chart;
pub mod evaluate;
pub mod expectation;
mod random;
pub mod scan;
pub mod signal;
pub mod topic;

#[cfg(test)]
mod tests;
