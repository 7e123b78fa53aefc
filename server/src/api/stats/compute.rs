//! The arithmetic of the statistics: each case's facts inside the range are read in sequence
//! order, what happened inside the range is noted per case, and the notes are summed per
//! group as the cases stream past ([`Counter`], [`DailyCounter`]): nothing but the tallies is
//! kept between two cases. The definitions are written out in `docs/statistics.md`; this file and
//! [`crate::store::stat_facts::derive`] (what each event counts for, asked of core's state
//! machine when the event is written) are their one implementation.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use gridline_core::calendar::WorkingCalendar;
use gridline_core::codes::{AreaCode, CategoryCode, GridCode};
use gridline_core::workflow::callback::Satisfaction;
use gridline_core::workflow::{CaseState, Channel};
use serde::Serialize;

use crate::store::hotline_calls::CallCount;
use crate::store::rollups::{RollupSum, centi_hours, figure, hour_of};
use crate::store::stat_facts::marks;
use crate::store::stats::{CallRow, CaseKeys, StatsFactRow};

/// The half-open time range `[from, to)`.
#[derive(Debug, Clone, Copy)]
pub struct Range {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Range {
    fn holds(&self, t: DateTime<Utc>) -> bool {
        self.from <= t && t < self.to
    }
}

/// What cases are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    District,
    Street,
    Community,
    Grid,
    Category,
    Unit,
    /// The way in (core's `Channel`).
    Channel,
}

impl GroupBy {
    pub const ALL: [GroupBy; 7] = [
        GroupBy::District,
        GroupBy::Street,
        GroupBy::Community,
        GroupBy::Grid,
        GroupBy::Category,
        GroupBy::Unit,
        GroupBy::Channel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::District => "district",
            GroupBy::Street => "street",
            GroupBy::Community => "community",
            GroupBy::Grid => "grid",
            GroupBy::Category => "category",
            GroupBy::Unit => "unit",
            GroupBy::Channel => "channel",
        }
    }

    pub fn parse(text: &str) -> Option<GroupBy> {
        GroupBy::ALL.into_iter().find(|g| g.as_str() == text)
    }

    fn key(self, case: &CaseKeys) -> Option<GroupKey> {
        match self {
            GroupBy::District => case.district_code.map(GroupKey::Area),
            GroupBy::Street => case.street_code.map(GroupKey::Area),
            GroupBy::Community => case.community_code.map(GroupKey::Area),
            GroupBy::Grid => case.grid_code.map(GroupKey::Grid),
            GroupBy::Category => Some(GroupKey::Category(case.category_code)),
            GroupBy::Unit => case.handling_unit.clone().map(GroupKey::Unit),
            GroupBy::Channel => Some(GroupKey::Channel(case.channel)),
        }
    }
}

/// A group's key as the facts give it: the codes are copied, not their text (a day's counter
/// looks a group up for every case of the range), and written out once per group at the end.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum GroupKey {
    Area(AreaCode),
    Grid(GridCode),
    Category(CategoryCode),
    /// A unit's code, which core has no type for.
    Unit(String),
    Channel(Channel),
}

impl GroupKey {
    /// The key's text in the answer: the code as the case row stores it.
    fn text(self) -> String {
        match self {
            GroupKey::Area(code) => code.to_string(),
            GroupKey::Grid(code) => code.to_string(),
            GroupKey::Category(code) => code.to_string(),
            GroupKey::Unit(unit) => unit,
            GroupKey::Channel(channel) => channel.as_str().to_owned(),
        }
    }
}

/// What one case did inside the range.
#[derive(Debug, Default)]
struct CaseNotes {
    received: bool,
    registered: bool,
    /// Registered in the range and closed when the range ends.
    registered_closed: bool,
    /// Its last closure in the range: whether a deadline was in force, and whether the
    /// closure came by it.
    closure: Option<Closure>,
    /// Not closed when the range ends, on the deadline clock, with its deadline inside the range.
    due_open: bool,
    verified: bool,
    reworked: bool,
    dispatched: bool,
    extended: bool,
    /// Closed from `handled` by the street office, without the inspector's verification.
    closed_unverified: bool,
    /// Reported in no grid cell.
    triaged: bool,
    relocated: bool,
    ratings: Vec<u8>,
    /// Received in the range, with whether the first response came within the limit; `None`
    /// while the limit had not run out at the range's end and nobody had responded yet.
    response: Option<bool>,
    /// The last call-back in the range: satisfied or not, and "solved?" when it was asked.
    call_back: Option<(bool, Option<bool>)>,
}

#[derive(Debug)]
struct Closure {
    /// `Some(on_time)` when a deadline was in force at the closure.
    on_time: Option<bool>,
    /// Working time from the first dispatch of this handling cycle to the closure, in seconds.
    handling_seconds: Option<i64>,
}

/// What one case's facts (in sequence order, as [`crate::store::stats::facts_for`] returns
/// them) say about the range: the marks of the facts inside it, its last closure, and the state
/// and deadline at its end (after the last fact before the end, or before the first one after
/// it: a day of a daily series is read from facts that reach further).
fn notes_of(facts: &[StatsFactRow], range: Range, rules: &Rules<'_>) -> CaseNotes {
    let calendar = rules.calendar;
    let mut notes = CaseNotes::default();
    let mut state: Option<CaseState> = None;
    let mut deadline = None;
    let (mut received_at, mut responded_at) = (None, None);
    for fact in facts {
        let at = fact.occurred_at.and_utc();
        if at >= range.to {
            state = fact.state_before;
            deadline = fact.deadline_before;
            break;
        }
        state = fact.state_after;
        deadline = fact.deadline_after;
        if !range.holds(at) {
            continue;
        }
        let has = |mark: i32| fact.marks & mark != 0;
        notes.received |= has(marks::RECEIVED);
        notes.registered |= has(marks::REGISTERED);
        notes.dispatched |= has(marks::DISPATCHED);
        notes.verified |= has(marks::VERIFIED);
        notes.reworked |= has(marks::REWORKED);
        notes.extended |= has(marks::EXTENDED);
        notes.closed_unverified |= has(marks::CLOSED_UNVERIFIED);
        notes.triaged |= has(marks::TRIAGED);
        notes.relocated |= has(marks::RELOCATED);
        if has(marks::RECEIVED) {
            received_at = Some(at);
        }
        if has(marks::RESPONDED) && responded_at.is_none() {
            responded_at = Some(at);
        }
        if has(marks::CALLED_BACK) {
            let resolved = has(marks::RESOLUTION_ASKED).then(|| has(marks::RESOLVED));
            notes.call_back = Some((has(marks::CALLBACK_SATISFIED), resolved));
        }
        if has(marks::CLOSED) {
            let handling_seconds = fact
                .cycle_start
                .and_then(|start| calendar.working_time_between(start.and_utc(), at).ok())
                .map(|d| d.num_seconds());
            notes.closure = Some(Closure { on_time: fact.on_time.map(|t| t != 0), handling_seconds });
        }
        if let Some(rating) = fact.rating.and_then(|r| u8::try_from(r).ok()) {
            notes.ratings.push(rating);
        }
    }
    notes.registered_closed = notes.registered && state == Some(CaseState::Closed);
    // An extension counts only for a case dispatched in the range (the rate's cohort).
    notes.extended &= notes.dispatched;
    notes.due_open = state.is_some_and(CaseState::on_the_deadline_clock)
        && deadline.is_some_and(|d| range.holds(d.and_utc()));
    // A time the calendar cannot count (a year without its holiday schedule) is left out.
    notes.response = received_at.and_then(|received| {
        let elapsed = |end| calendar.working_time_between(received, end).ok();
        match responded_at {
            Some(responded) => elapsed(responded).map(|t| t <= rules.response_limit),
            // Not responded to by the range's end: late once the limit ran out before it.
            None => elapsed(range.to).filter(|t| *t > rules.response_limit).map(|_| false),
        }
    });
    notes
}

/// What the figures are counted against, besides the facts.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    /// Working hours are counted on the calendar deadlines are set on.
    pub calendar: &'a WorkingCalendar,
    /// The working time a first response may take to count as on time.
    pub response_limit: Duration,
}

/// The figures of one group (or of everything the caller may count).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    pub received: u64,
    pub registered: u64,
    pub closed: u64,
    pub registered_closed: u64,
    pub closure_rate: Option<f64>,
    pub due: u64,
    pub closed_on_time: u64,
    pub on_time_closure_rate: Option<f64>,
    pub verified: u64,
    pub reworked: u64,
    pub rework_rate: Option<f64>,
    pub dispatched: u64,
    pub extended: u64,
    pub extension_rate: Option<f64>,
    pub handling_timed: u64,
    pub handling_hours_mean: Option<f64>,
    pub handling_hours_p90: Option<f64>,
    pub rated: u64,
    pub rating_mean: Option<f64>,
    pub closed_unverified: u64,
    pub triaged: u64,
    pub relocated: u64,
    pub response_due: u64,
    pub responded_on_time: u64,
    pub response_rate: Option<f64>,
    pub called_back: u64,
    pub resolution_answers: u64,
    pub resolved: u64,
    pub resolution_rate: Option<f64>,
    pub satisfaction_answers: u64,
    pub satisfied: u64,
    pub satisfaction_rate: Option<f64>,
    pub hotline_calls: u64,
}

impl Figures {
    /// The column names of the CSV form, in the order of [`Figures::cells`].
    pub const COLUMNS: [&'static str; 33] = [
        "received",
        "registered",
        "closed",
        "registered_closed",
        "closure_rate",
        "due",
        "closed_on_time",
        "on_time_closure_rate",
        "verified",
        "reworked",
        "rework_rate",
        "dispatched",
        "extended",
        "extension_rate",
        "handling_timed",
        "handling_hours_mean",
        "handling_hours_p90",
        "rated",
        "rating_mean",
        "closed_unverified",
        "triaged",
        "relocated",
        "response_due",
        "responded_on_time",
        "response_rate",
        "called_back",
        "resolution_answers",
        "resolved",
        "resolution_rate",
        "satisfaction_answers",
        "satisfied",
        "satisfaction_rate",
        "hotline_calls",
    ];

    /// The values in [`Figures::COLUMNS`] order; an undefined rate or mean is an empty cell.
    pub fn cells(&self) -> Vec<String> {
        let n = |v: u64| v.to_string();
        let f = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        vec![
            n(self.received),
            n(self.registered),
            n(self.closed),
            n(self.registered_closed),
            f(self.closure_rate),
            n(self.due),
            n(self.closed_on_time),
            f(self.on_time_closure_rate),
            n(self.verified),
            n(self.reworked),
            f(self.rework_rate),
            n(self.dispatched),
            n(self.extended),
            f(self.extension_rate),
            n(self.handling_timed),
            f(self.handling_hours_mean),
            f(self.handling_hours_p90),
            n(self.rated),
            f(self.rating_mean),
            n(self.closed_unverified),
            n(self.triaged),
            n(self.relocated),
            n(self.response_due),
            n(self.responded_on_time),
            f(self.response_rate),
            n(self.called_back),
            n(self.resolution_answers),
            n(self.resolved),
            f(self.resolution_rate),
            n(self.satisfaction_answers),
            n(self.satisfied),
            f(self.satisfaction_rate),
            n(self.hotline_calls),
        ]
    }
}

fn round(value: f64, decimals: i32) -> f64 {
    let factor = 10f64.powi(decimals);
    (value * factor).round() / factor
}

/// `part / whole` to 4 decimals; `None` when nothing is in the denominator.
fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| round(part as f64 / whole as f64, 4))
}

/// `sum / (n * unit)` to 2 decimals, rounded half up in integers: the counts of the facts and
/// the sums of the roll-ups give the same figure to the last digit.
fn mean_to_hundredths(sum: i64, n: u64, unit: i64) -> Option<f64> {
    let whole = i64::try_from(n).ok().filter(|n| *n > 0)? * unit;
    Some((2 * sum * 100 + whole).div_euclid(2 * whole) as f64 / 100.0)
}

/// The nearest-rank 90th percentile of a histogram: the smallest value with at least 90% of
/// values at or below it (rank `ceil(0.9 n)`).
fn p90(histogram: &BTreeMap<i64, u64>) -> Option<i64> {
    let rank = p90_rank(histogram.values().sum());
    let mut seen = 0;
    histogram.iter().find_map(|(value, count)| {
        seen += count;
        (seen >= rank && rank > 0).then_some(*value)
    })
}

/// The rank of the nearest-rank 90th percentile among `n` values (0 for none).
fn p90_rank(n: u64) -> u64 {
    (n * 9).div_ceil(10)
}

/// The hour holding the p90's rank in a histogram of whole hours, with the count of the times
/// in the hours below it.
fn p90_hour(by_hour: &BTreeMap<i64, u64>) -> Option<(i64, u64)> {
    let rank = p90_rank(by_hour.values().sum());
    let mut below = 0;
    for (hour, count) in by_hour {
        if below + count >= rank && rank > 0 {
            return Some((*hour, below));
        }
        below += count;
    }
    None
}

/// The p90 in hundredths from the whole hours' histogram and the hundredths of the hour that
/// holds its rank: the value [`p90`] gives over all the hundredths, since every time below
/// that hour is smaller than all within it.
fn p90_by_hours(by_hour: &BTreeMap<i64, u64>, within: &BTreeMap<i64, u64>) -> Option<i64> {
    let rank = p90_rank(by_hour.values().sum());
    let (hour, mut seen) = p90_hour(by_hour)?;
    within.iter().filter(|(centi, _)| hour_of(**centi) == hour).find_map(|(centi, count)| {
        seen += count;
        (seen >= rank).then_some(*centi)
    })
}

/// Sums the notes of the cases of one group.
#[derive(Debug, Default)]
struct Tally {
    figures: Figures,
    /// Handling times in hundredths of an hour (the unit of their figures), with their count.
    hours: BTreeMap<i64, u64>,
    /// From the roll-ups: handling times by whole hour, and the hundredths of the hour that
    /// holds the p90's rank ([`figure::HANDLING_TIME`]), in place of `hours`.
    by_hour: BTreeMap<i64, u64>,
    within_hour: BTreeMap<i64, u64>,
    handling_seconds: i64,
    rating_sum: i64,
}

impl Tally {
    fn add(&mut self, notes: &CaseNotes) {
        let f = &mut self.figures;
        f.received += u64::from(notes.received);
        f.registered += u64::from(notes.registered);
        f.registered_closed += u64::from(notes.registered_closed);
        f.verified += u64::from(notes.verified);
        f.reworked += u64::from(notes.reworked);
        f.dispatched += u64::from(notes.dispatched);
        f.extended += u64::from(notes.extended);
        f.closed_unverified += u64::from(notes.closed_unverified);
        f.triaged += u64::from(notes.triaged);
        f.relocated += u64::from(notes.relocated);
        f.due += u64::from(notes.due_open);
        if let Some(closure) = &notes.closure {
            f.closed += 1;
            if let Some(on_time) = closure.on_time {
                f.due += 1;
                f.closed_on_time += u64::from(on_time);
            }
        }
        f.rated += notes.ratings.len() as u64;
        self.rating_sum += notes.ratings.iter().map(|r| i64::from(*r)).sum::<i64>();
        if let Some(on_time) = notes.response {
            f.response_due += 1;
            f.responded_on_time += u64::from(on_time);
        }
        if let Some((_, resolved)) = notes.call_back {
            f.called_back += 1;
            if let Some(resolved) = resolved {
                f.resolution_answers += 1;
                f.resolved += u64::from(resolved);
            }
        }
        // A case's call-back speaks for it; without one, its last rating in the range does.
        let satisfied = match notes.call_back {
            Some((satisfied, _)) => Some(satisfied),
            None => notes
                .ratings
                .last()
                .and_then(|r| Satisfaction::of_rating(*r))
                .map(Satisfaction::counts_as_satisfied),
        };
        if let Some(satisfied) = satisfied {
            f.satisfaction_answers += 1;
            f.satisfied += u64::from(satisfied);
        }
        if let Some(seconds) = notes.closure.as_ref().and_then(|c| c.handling_seconds) {
            self.add_handling(centi_hours(seconds), 1, seconds);
        }
    }

    fn add_handling(&mut self, centi: i64, cases: u64, seconds: i64) {
        *self.hours.entry(centi).or_default() += cases;
        self.figures.handling_timed += cases;
        self.handling_seconds += seconds;
    }

    /// The hour whose hundredths this tally's p90 needs, once its sums by the hour are in.
    fn p90_hour(&self) -> Option<i64> {
        p90_hour(&self.by_hour).map(|(hour, _)| hour)
    }

    /// Adds a sum of the hundredths of a handling time ([`figure::HANDLING_TIME`]) when it lies
    /// in the hour that holds this tally's p90 (a read for several groups brings others').
    fn add_time(&mut self, sum: &RollupSum, p90_hour: Option<i64>) {
        let centi = i64::from(sum.bucket);
        if sum.figure == figure::HANDLING_TIME && p90_hour == Some(hour_of(centi)) {
            *self.within_hour.entry(centi).or_default() += u64::try_from(sum.cases).unwrap_or(0);
        }
    }

    /// Adds a sum of roll-up rows ([`crate::store::rollups`]) of one figure and bucket.
    fn add_sum(&mut self, sum: &RollupSum) {
        let n = u64::try_from(sum.cases).unwrap_or(0);
        let f = &mut self.figures;
        match sum.figure {
            figure::RECEIVED => f.received += n,
            figure::REGISTERED => f.registered += n,
            figure::DISPATCHED => f.dispatched += n,
            figure::VERIFIED => f.verified += n,
            figure::REWORKED => f.reworked += n,
            figure::CLOSED_UNVERIFIED => f.closed_unverified += n,
            figure::TRIAGED => f.triaged += n,
            figure::RELOCATED => f.relocated += n,
            figure::CLOSED => f.closed += n,
            figure::CLOSED_DUE | figure::DUE_OPEN => f.due += n,
            figure::CLOSED_ON_TIME => f.closed_on_time += n,
            figure::EXTENDED => f.extended += n,
            figure::REGISTERED_CLOSED => f.registered_closed += n,
            figure::CALLED_BACK => f.called_back += n,
            figure::RESOLUTION_ANSWER => f.resolution_answers += n,
            figure::RESOLVED => f.resolved += n,
            figure::SATISFACTION_ANSWER => f.satisfaction_answers += n,
            figure::SATISFIED => f.satisfied += n,
            figure::RESPONSE_DUE => f.response_due += n,
            figure::RESPONDED_ON_TIME => f.responded_on_time += n,
            figure::RATING => {
                f.rated += n;
                self.rating_sum += sum.amount;
            }
            figure::HANDLING => {
                *self.by_hour.entry(i64::from(sum.bucket)).or_default() += n;
                f.handling_timed += n;
                self.handling_seconds += sum.amount;
            }
            _ => {}
        }
    }

    fn finish(mut self) -> Figures {
        let f = &mut self.figures;
        f.closure_rate = rate(f.registered_closed, f.registered);
        f.on_time_closure_rate = rate(f.closed_on_time, f.due);
        f.rework_rate = rate(f.reworked, f.verified);
        f.extension_rate = rate(f.extended, f.dispatched);
        f.handling_hours_mean = mean_to_hundredths(self.handling_seconds, f.handling_timed, 3600);
        let p90 = if self.by_hour.is_empty() {
            p90(&self.hours)
        } else {
            p90_by_hours(&self.by_hour, &self.within_hour)
        };
        f.handling_hours_p90 = p90.map(|centi| centi as f64 / 100.0);
        f.rating_mean = mean_to_hundredths(self.rating_sum, f.rated, 1);
        f.response_rate = rate(f.responded_on_time, f.response_due);
        f.resolution_rate = rate(f.resolved, f.resolution_answers);
        f.satisfaction_rate = rate(f.satisfied, f.satisfaction_answers);
        self.figures
    }
}

/// The figures of each group (by key; `None` for cases without one, such as an undispatched
/// case by unit) and of all the rows together.
#[derive(Debug)]
pub struct Statistics {
    pub groups: BTreeMap<Option<String>, Figures>,
    pub total: Figures,
}

/// What counts a range's figures from the cases and calls streaming past.
pub trait Count {
    /// Counts a call the hotline took, in its case's group, when it came in the range.
    fn add_call(&mut self, call: &CallRow);
    /// Counts one case from its facts, in sequence order (as
    /// [`crate::store::stats::for_each_case`] hands them over).
    fn add_case(&mut self, facts: &[StatsFactRow]);
    fn finish(self) -> Statistics;
}

/// Counts one range's figures as cases and calls stream past, one case at a time: what is kept
/// is a tally per group, never the facts, so a year of a city is counted in the memory of its
/// groups.
pub struct Counter<'a> {
    range: Range,
    /// `None`: the total only (a day of [`DailyCounter`]).
    group_by: Option<GroupBy>,
    rules: Rules<'a>,
    groups: BTreeMap<Option<GroupKey>, Tally>,
    total: Tally,
}

impl<'a> Counter<'a> {
    pub fn new(range: Range, group_by: GroupBy, rules: Rules<'a>) -> Counter<'a> {
        Counter { range, group_by: Some(group_by), rules, groups: BTreeMap::new(), total: Tally::default() }
    }

    fn total_only(range: Range, rules: Rules<'a>) -> Counter<'a> {
        Counter { range, group_by: None, rules, groups: BTreeMap::new(), total: Tally::default() }
    }
}

impl Count for Counter<'_> {
    fn add_call(&mut self, call: &CallRow) {
        if !self.range.holds(call.at) {
            return;
        }
        self.total.figures.hotline_calls += 1;
        if let Some(by) = self.group_by {
            self.groups.entry(by.key(&call.case)).or_default().figures.hotline_calls += 1;
        }
    }

    fn add_case(&mut self, facts: &[StatsFactRow]) {
        let Some(first) = facts.first() else { return };
        let notes = notes_of(facts, self.range, &self.rules);
        let touched = notes.received
            || notes.registered
            || notes.closure.is_some()
            || notes.due_open
            || notes.verified
            || notes.dispatched
            || notes.relocated
            || notes.response.is_some()
            || notes.call_back.is_some()
            || !notes.ratings.is_empty();
        if !touched {
            return;
        }
        self.total.add(&notes);
        if let Some(by) = self.group_by {
            self.groups.entry(by.key(&first.case)).or_default().add(&notes);
        }
    }

    fn finish(self) -> Statistics {
        Statistics {
            groups: self
                .groups
                .into_iter()
                .map(|(key, tally)| (key.map(GroupKey::text), tally.finish()))
                .collect(),
            total: self.total.finish(),
        }
    }
}

/// Each day of a range (from its start, in steps of 24 hours: the calendar's zone keeps no
/// daylight saving time) counted as its own range, keyed by its local date, and the whole range
/// as the total: the dashboard's trend lines.
pub struct DailyCounter<'a> {
    days: Vec<(String, Counter<'a>)>,
    total: Counter<'a>,
}

/// The days of `range` (from its start, in steps of 24 hours), each keyed by its local date.
fn days_of(range: Range, calendar: &WorkingCalendar) -> Vec<(String, Range)> {
    let mut days = Vec::new();
    let mut from = range.from;
    while from < range.to {
        let to = (from + Duration::days(1)).min(range.to);
        days.push((calendar.date_of(from).format("%Y-%m-%d").to_string(), Range { from, to }));
        from = to;
    }
    days
}

impl<'a> DailyCounter<'a> {
    pub fn new(range: Range, rules: Rules<'a>) -> DailyCounter<'a> {
        let days = days_of(range, rules.calendar)
            .into_iter()
            .map(|(key, day)| (key, Counter::total_only(day, rules)))
            .collect();
        DailyCounter { days, total: Counter::total_only(range, rules) }
    }
}

impl Count for DailyCounter<'_> {
    fn add_call(&mut self, call: &CallRow) {
        self.days.iter_mut().for_each(|(_, day)| day.add_call(call));
        self.total.add_call(call);
    }

    fn add_case(&mut self, facts: &[StatsFactRow]) {
        self.days.iter_mut().for_each(|(_, day)| day.add_case(facts));
        self.total.add_case(facts);
    }

    fn finish(self) -> Statistics {
        let groups = self.days.into_iter().map(|(key, day)| (Some(key), day.finish().total)).collect();
        Statistics { groups, total: self.total.finish().total }
    }
}

/// How the roll-ups' sums are keyed: by the column the read grouped by (as its sums and
/// calls come keyed), or by day.
#[derive(Debug, Clone, Copy)]
enum SumKey {
    Group,
    Day,
}

/// Counts a range of whole days from the roll-ups' sums ([`crate::store::rollups::sum`]) and
/// the hotline's calls, with the arithmetic of [`Counter`] and [`DailyCounter`]: the same
/// figures, without a read of the cases.
pub struct SumCounter<'a> {
    range: Range,
    key: SumKey,
    calendar: &'a WorkingCalendar,
    groups: BTreeMap<Option<String>, Tally>,
    total: Tally,
}

impl<'a> SumCounter<'a> {
    pub fn grouped(range: Range, calendar: &'a WorkingCalendar) -> SumCounter<'a> {
        SumCounter { range, key: SumKey::Group, calendar, groups: BTreeMap::new(), total: Tally::default() }
    }

    /// One group per day of the range, every day present, as [`DailyCounter`] gives them.
    pub fn daily(range: Range, calendar: &'a WorkingCalendar) -> SumCounter<'a> {
        let groups =
            days_of(range, calendar).into_iter().map(|(key, _)| (Some(key), Tally::default())).collect();
        SumCounter { range, key: SumKey::Day, calendar, groups, total: Tally::default() }
    }

    fn day_key(calendar: &WorkingCalendar, at: DateTime<Utc>) -> String {
        calendar.date_of(at).format("%Y-%m-%d").to_string()
    }

    /// The group of a sum: its key (`''`: none), or its day number when counting by day.
    fn group_of(&self, sum: &RollupSum) -> Option<String> {
        match self.key {
            SumKey::Group => Some(sum.group.clone()).filter(|g| !g.is_empty()),
            SumKey::Day => sum
                .group
                .parse()
                .ok()
                .and_then(crate::store::rollups::date_of_day)
                .map(|date| date.format("%Y-%m-%d").to_string()),
        }
    }

    /// Adds sums keyed by group, or by day number when counting by day; these also make the
    /// total unless it is summed on its own ([`SumCounter::add_total`]).
    pub fn add(&mut self, sums: &[RollupSum]) {
        for sum in sums {
            let key = self.group_of(sum);
            self.groups.entry(key).or_default().add_sum(sum);
            if let SumKey::Group = self.key {
                self.total.add_sum(sum);
            }
        }
    }

    /// Adds the sums of the whole range, when counting by day.
    pub fn add_total(&mut self, sums: &[RollupSum]) {
        sums.iter().for_each(|sum| self.total.add_sum(sum));
    }

    /// The hours whose hundredths the groups' p90s need (with the total's, unless it is summed
    /// on its own), once the sums are in: a second read sums only those
    /// ([`crate::store::rollups::Rows::TimesWithin`]).
    pub fn p90_hours(&self) -> Vec<i64> {
        let total = match self.key {
            SumKey::Group => self.total.p90_hour(),
            SumKey::Day => None,
        };
        let mut hours: Vec<i64> = self.groups.values().filter_map(Tally::p90_hour).chain(total).collect();
        hours.sort_unstable();
        hours.dedup();
        hours
    }

    /// The hour whose hundredths the total's p90 needs, when it is summed on its own.
    pub fn total_p90_hour(&self) -> Option<i64> {
        self.total.p90_hour()
    }

    /// Adds the hundredths read for [`SumCounter::p90_hours`], keyed as the sums of
    /// [`SumCounter::add`].
    pub fn add_times(&mut self, sums: &[RollupSum]) {
        let total_hour = self.total.p90_hour();
        let mut hours: BTreeMap<Option<String>, Option<i64>> = BTreeMap::new();
        for sum in sums {
            let key = self.group_of(sum);
            let tally = self.groups.entry(key.clone()).or_default();
            let hour = *hours.entry(key).or_insert_with(|| tally.p90_hour());
            tally.add_time(sum, hour);
            if let SumKey::Group = self.key {
                self.total.add_time(sum, total_hour);
            }
        }
    }

    /// Adds the hundredths of the whole range for [`SumCounter::total_p90_hour`], when
    /// counting by day.
    pub fn add_total_times(&mut self, sums: &[RollupSum]) {
        let hour = self.total.p90_hour();
        sums.iter().for_each(|sum| self.total.add_time(sum, hour));
    }

    /// Adds the hotline's calls of the range, counted by the grouped column or by the day
    /// from the range's start ([`crate::store::hotline_calls::count`]).
    pub fn add_calls(&mut self, counts: &[CallCount]) {
        for count in counts {
            let key = match self.key {
                SumKey::Group => count.group.clone(),
                SumKey::Day => {
                    let Some(day) = count.group.as_deref().and_then(|d| d.parse::<i64>().ok()) else {
                        continue;
                    };
                    Some(Self::day_key(self.calendar, self.range.from + Duration::days(day)))
                }
            };
            let calls = u64::try_from(count.calls).unwrap_or(0);
            self.total.figures.hotline_calls += calls;
            self.groups.entry(key).or_default().figures.hotline_calls += calls;
        }
    }

    pub fn finish(self) -> Statistics {
        Statistics {
            groups: self.groups.into_iter().map(|(key, tally)| (key, tally.finish())).collect(),
            total: self.total.finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn histogram(values: &[i64]) -> BTreeMap<i64, u64> {
        let mut histogram = BTreeMap::new();
        for v in values {
            *histogram.entry(*v).or_default() += 1;
        }
        histogram
    }

    #[test]
    fn p90_is_the_nearest_rank() {
        assert_eq!(p90(&histogram(&[])), None);
        assert_eq!(p90(&histogram(&[3])), Some(3));
        // n = 10: rank 9.
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(p90(&histogram(&ten)), Some(9));
        // n = 11: rank ceil(9.9) = 10.
        let eleven: Vec<i64> = (1..=11).rev().collect();
        assert_eq!(p90(&histogram(&eleven)), Some(10));
        // n = 4: rank ceil(3.6) = 4.
        assert_eq!(p90(&histogram(&[1, 4, 2, 3])), Some(4));
        // Repeated values: n = 10, rank 9 falls in the run of 5s.
        assert_eq!(p90(&histogram(&[1, 1, 5, 5, 5, 5, 5, 5, 5, 9])), Some(5));
    }

    #[test]
    fn the_p90_by_the_hour_is_the_p90_of_the_hundredths() {
        let cases: [&[i64]; 5] = [
            &[250],
            &[0, 99, 100, 101, 199, 250, 251, 299, 300, 1234],
            &[5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 870],
            &[150, 120, 180, 110, 199, 100, 130, 160, 140, 170, 5, 2000],
            &[i64::from(i32::MAX), 7, 7_000, 7_001, 7_099],
        ];
        for values in cases {
            let all = histogram(values);
            let by_hour = histogram(&values.iter().map(|v| hour_of(*v)).collect::<Vec<_>>());
            // The hundredths of every hour: only those of the p90's hour may count.
            assert_eq!(p90_by_hours(&by_hour, &all), p90(&all), "{values:?}");
            let (hour, below) = p90_hour(&by_hour).unwrap();
            let within: BTreeMap<i64, u64> =
                all.iter().filter(|(c, _)| hour_of(**c) == hour).map(|(c, n)| (*c, *n)).collect();
            assert_eq!(p90_by_hours(&by_hour, &within), p90(&all), "{values:?}");
            assert_eq!(below, values.iter().filter(|v| hour_of(**v) < hour).count() as u64);
        }
        assert_eq!(p90_by_hours(&BTreeMap::new(), &BTreeMap::new()), None);
    }

    #[test]
    fn means_round_half_up_in_hundredths() {
        assert_eq!(mean_to_hundredths(0, 0, 1), None);
        // Ratings 4 and 5: 4.5.
        assert_eq!(mean_to_hundredths(9, 2, 1), Some(4.5));
        // Ratings 1, 1, 2: 1.333... -> 1.33; 2, 2, 1: 1.666... -> 1.67.
        assert_eq!(mean_to_hundredths(4, 3, 1), Some(1.33));
        assert_eq!(mean_to_hundredths(5, 3, 1), Some(1.67));
        // 2.5 working hours and 1.5: 2 hours; 18 s is 0.005 h, which rounds up to 0.01.
        assert_eq!(mean_to_hundredths(9000 + 5400, 2, 3600), Some(2.0));
        assert_eq!(mean_to_hundredths(18, 1, 3600), Some(0.01));
        assert_eq!(centi_hours(18), 1);
        assert_eq!(centi_hours(17), 0);
    }

    #[test]
    fn an_empty_denominator_is_no_rate() {
        assert_eq!(rate(0, 0), None);
        assert_eq!(rate(2, 3), Some(0.6667));
        assert_eq!(rate(0, 5), Some(0.0));
    }
}
