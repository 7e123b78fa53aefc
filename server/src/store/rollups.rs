//! The statistics' roll-ups (`case_rollups`): what each case adds to the figures of any range
//! of whole city days, summed over the cases of one district, street, category, handling unit
//! and channel, so a city's year of figures is a sum over a few rows per group and day instead
//! of a read of every fact of the year.
//!
//! - **Exact, not estimated.** Most figures count a case once in a range ("registered in the
//!   range"), or by its state at the range's end. Neither is a sum of per-day counts. Each case
//!   is written as boxes over the range's first day `D1` and its end `D2` (a row counts when
//!   `start_day <= D1 <= lo` and `hi < D2 <= end_day`), chosen so that exactly the rows of the
//!   figures the case counts in hold for any range: a registration counts with the day of the
//!   case's next registration as its end (only the last one in a range counts), a due case by
//!   the days its state lasted, and so on ([`spans_of`]). Sums of such rows are additive over
//!   cases, so the rows of many cases with the same days fold into one.
//! - **Live**: [`follow`] recomputes the rows of the cases an event touched from their facts
//!   ([`super::stat_facts`]), in the event's transaction, and writes the difference, under
//!   the key the case has now ([`case_rollup_keys`] remembers the old one, so a relocation or a
//!   redispatch moves the case's rows).
//! - **Which rules**: working hours, the response limit and the city days depend on the
//!   working calendar and the response limit, which the store does not hold. The server (and
//!   the CLI) [`register`] theirs; the database records the fingerprint the rows were counted
//!   with ([`adopt`]). A writer with other rules stops keeping the rows (they are marked stale)
//!   and a reader with other rules reads the facts, until `gridline summaries rebuild`.
//! - **Proof**: [`compare`] derives every case's rows again from its facts and lists the
//!   differences; [`rebuild`] writes them. The definitions of the figures are in
//!   `docs/statistics.md`; [`crate::api::stats::compute`] turns the sums into figures with the
//!   same arithmetic as its count of the facts.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock, RwLock};

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};
use gridline_core::calendar::WorkingCalendar;
use gridline_core::codes::{AreaCode, CaseId, CategoryCode};
use gridline_core::workflow::callback::Satisfaction;
use gridline_core::workflow::{CaseState, Channel};

use super::schema::{
    case_rollup_deltas, case_rollup_keys, case_rollup_rules, case_rollups, case_stat_facts, cases,
    emergency_cases,
};
use super::stat_facts::{Fact, marks};
use super::typed::Parsed;
use super::{DbConnection, StoreResult};

/// A city day: the number of days from 0001-01-01 of the local date on the calendar's zone.
pub type Day = i32;
/// An end no day reaches: a mark that never came again.
pub const NEVER: Day = Day::MAX;
/// A start every day passes: no lower bound on the range's first day.
pub const ALWAYS: Day = Day::MIN;

/// The day number of a local date.
pub fn day_number(date: NaiveDate) -> Day {
    date.num_days_from_ce()
}

/// The local date of a day number.
pub fn date_of_day(day: Day) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(day)
}

/// What a row counts (`case_rollups.figure`). Most name the figure of `docs/statistics.md`
/// they add one case to; [`figure::HANDLING`] also carries the handling time (seconds in
/// `amount`, whole hours in `bucket`), [`figure::HANDLING_TIME`] its hundredths of an hour,
/// [`figure::RATING`] the rating in `amount`.
pub mod figure {
    pub const RECEIVED: i32 = 1;
    pub const REGISTERED: i32 = 2;
    pub const DISPATCHED: i32 = 3;
    pub const VERIFIED: i32 = 4;
    pub const REWORKED: i32 = 5;
    pub const CLOSED_UNVERIFIED: i32 = 6;
    pub const TRIAGED: i32 = 7;
    pub const RELOCATED: i32 = 8;
    pub const CLOSED: i32 = 9;
    /// A closure with a deadline in force (it counts in `due`).
    pub const CLOSED_DUE: i32 = 10;
    pub const CLOSED_ON_TIME: i32 = 11;
    pub const HANDLING: i32 = 12;
    pub const EXTENDED: i32 = 13;
    pub const REGISTERED_CLOSED: i32 = 14;
    /// Not closed at the range's end, on the deadline clock, due inside the range.
    pub const DUE_OPEN: i32 = 15;
    pub const RATING: i32 = 16;
    pub const CALLED_BACK: i32 = 17;
    pub const RESOLUTION_ANSWER: i32 = 18;
    pub const RESOLVED: i32 = 19;
    pub const SATISFACTION_ANSWER: i32 = 20;
    pub const SATISFIED: i32 = 21;
    pub const RESPONSE_DUE: i32 = 22;
    pub const RESPONDED_ON_TIME: i32 = 23;
    /// A handling time's hundredths of an hour (in `bucket`, `amount` 0), kept under its hour
    /// ([`super::level::times`]): the p90 is found by the hours of [`HANDLING`], then exactly by
    /// the hundredths of the one hour that holds its rank, so a read of the figures sums a row
    /// per hour instead of one per distinct time.
    pub const HANDLING_TIME: i32 = 24;
}

/// Which columns a row keeps (`case_rollups.level`). Every case is counted at every level: at
/// [`level::CASE`] under its whole key, which any filter can narrow, and again under one column
/// only (the others `'*'`), so the figures of a city by street, category, unit or channel, or of
/// the whole city by day, sum a few rows per group and day instead of one per case.
pub mod level {
    /// District, street, category, unit and channel.
    pub const CASE: i32 = 0;
    /// District and street.
    pub const STREET: i32 = 1;
    pub const CATEGORY: i32 = 2;
    pub const UNIT: i32 = 3;
    pub const CHANNEL: i32 = 4;
    /// The whole city.
    pub const CITY: i32 = 5;

    /// Past the six levels: the rows of [`super::figure::HANDLING_TIME`] are kept at a level of
    /// their own for each level and hour, so the read of one hour's hundredths seeks to them
    /// (the level leads the table's key) and no read of the other figures walks them.
    const TIMES: i32 = 8;
    /// The last hour with a level of its own (the hundredths' bucket is an `i32`, so no
    /// time reaches it); later hours share it.
    const LAST_HOUR: i64 = (i32::MAX / TIMES - 2) as i64;

    /// The level a row of `level` was counted at: itself, or the one its hundredths of an hour
    /// belong to ([`times`]).
    pub fn base(level: i32) -> i32 {
        level % TIMES
    }

    /// The level of the hundredths of `hour` counted at `level`.
    pub fn times(level: i32, hour: i64) -> i32 {
        let hour = i32::try_from(hour.clamp(0, LAST_HOUR)).unwrap_or(0);
        TIMES * (hour + 1) + level
    }
}

/// What a projected row's dropped columns hold.
pub const ALL: &str = "*";

/// The keys a case's rows are counted under, one per [`level`].
fn projections(key: &CaseKey) -> [(i32, RowKey); 6] {
    let key = key.columns();
    let only = |district: &str, street: &str, category: &str, unit: &str, channel: &str| RowKey {
        district_code: district.to_owned(),
        street_code: street.to_owned(),
        category_code: category.to_owned(),
        handling_unit: unit.to_owned(),
        channel: channel.to_owned(),
    };
    [
        (level::CASE, key.clone()),
        (level::STREET, only(&key.district_code, &key.street_code, ALL, ALL, ALL)),
        (level::CATEGORY, only(ALL, ALL, &key.category_code, ALL, ALL)),
        (level::UNIT, only(ALL, ALL, ALL, &key.handling_unit, ALL)),
        (level::CHANNEL, only(ALL, ALL, ALL, ALL, &key.channel)),
        (level::CITY, only(ALL, ALL, ALL, ALL, ALL)),
    ]
}

/// Hundredths of an hour, rounded half up: the handling times' histogram bucket and the unit
/// of their figures, so the p90 read from buckets is the p90 of the times, rounded.
pub fn centi_hours(seconds: i64) -> i64 {
    (seconds * 100 + 1800).div_euclid(3600)
}

/// The whole hour a time of `centi` hundredths of an hour lies in: the coarse histogram's
/// bucket ([`figure::HANDLING`]).
pub fn hour_of(centi: i64) -> i64 {
    centi.div_euclid(100)
}

/// The rows' layout, part of the fingerprint: a database whose rows were written in another
/// is stale (its statistics read the facts) until `gridline summaries rebuild` counts them
/// again. 2: handling times by the hour, their hundredths apart.
const LAYOUT: u32 = 2;

/// The rules the figures are counted by, besides the facts.
#[derive(Debug)]
pub struct RollupRules {
    pub calendar: Arc<WorkingCalendar>,
    pub response_limit: Duration,
    fingerprint: String,
}

impl RollupRules {
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    fn day(&self, at: NaiveDateTime) -> Day {
        day_number(self.calendar.date_of(at.and_utc()))
    }
}

/// The rules registered in this process, by fingerprint (a test process runs several cities).
static REGISTERED: LazyLock<RwLock<HashMap<String, Arc<RollupRules>>>> = LazyLock::new(Default::default);

/// Makes `calendar` and `response_limit` known to the writers of this process and returns
/// them with their fingerprint.
pub fn register(calendar: Arc<WorkingCalendar>, response_limit: Duration) -> Arc<RollupRules> {
    let fingerprint = format!("{}-{}-layout{LAYOUT}", calendar.fingerprint(), response_limit.num_seconds());
    let rules = Arc::new(RollupRules { calendar, response_limit, fingerprint: fingerprint.clone() });
    let mut registered = REGISTERED.write().unwrap_or_else(|e| e.into_inner());
    registered.entry(fingerprint).or_insert(rules).clone()
}

fn registered(fingerprint: &str) -> Option<Arc<RollupRules>> {
    REGISTERED.read().unwrap_or_else(|e| e.into_inner()).get(fingerprint).cloned()
}

/// What the database says about its roll-ups.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
struct Recorded {
    fingerprint: String,
    complete: bool,
}

fn recorded(conn: &mut DbConnection) -> QueryResult<Option<Recorded>> {
    case_rollup_rules::table
        .select((case_rollup_rules::fingerprint, case_rollup_rules::complete))
        .first(conn)
        .optional()
}

fn record_rules(conn: &mut DbConnection, fingerprint: &str, complete: bool) -> QueryResult<()> {
    diesel::delete(case_rollup_rules::table).execute(conn)?;
    crate::batch_insert!(
        conn,
        case_rollup_rules::table,
        (
            case_rollup_rules::id.eq(1),
            case_rollup_rules::fingerprint.eq(fingerprint),
            case_rollup_rules::complete.eq(complete),
        )
    )?;
    Ok(())
}

/// What [`adopt`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adoption {
    /// The roll-ups are counted by these rules and complete.
    Current,
    /// An empty database: the roll-ups start here, with these rules.
    Started,
    /// Counted by other rules, or never: the statistics read the facts until `gridline
    /// summaries rebuild` counts the roll-ups again.
    Stale,
}

/// Called at start-up with the rules of this process: starts the roll-ups of a database
/// without events, and says whether those of another are usable.
pub fn adopt(conn: &mut DbConnection, rules: &RollupRules) -> StoreResult<Adoption> {
    super::write_transaction(conn, |conn| {
        super::summaries::hold_event_writers(conn)?;
        match recorded(conn)? {
            Some(r) if r.fingerprint == rules.fingerprint && r.complete => Ok(Adoption::Current),
            Some(_) => Ok(Adoption::Stale),
            None => {
                let any_fact: bool =
                    diesel::select(diesel::dsl::exists(case_stat_facts::table.select(case_stat_facts::seq)))
                        .get_result(conn)?;
                if any_fact {
                    Ok(Adoption::Stale)
                } else {
                    record_rules(conn, &rules.fingerprint, true)?;
                    Ok(Adoption::Started)
                }
            }
        }
    })
}

/// Whether the statistics may read the roll-ups under `rules`.
pub fn usable(conn: &mut DbConnection, rules: &RollupRules) -> QueryResult<bool> {
    Ok(recorded(conn)?.is_some_and(|r| r.complete && r.fingerprint == rules.fingerprint))
}

/// The key a case's rows are counted under: its columns as they are now, parsed once as they
/// are read (`case_rollup_keys` stores `''` for none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseKey {
    pub district_code: Option<AreaCode>,
    pub street_code: Option<AreaCode>,
    pub category_code: CategoryCode,
    /// A unit's code, which core has no type for.
    pub handling_unit: Option<String>,
    pub channel: Channel,
}

/// What a stored key column holds for a code: its text, `''` for none.
fn column_text<T: std::fmt::Display>(code: Option<T>) -> String {
    code.map(|code| code.to_string()).unwrap_or_default()
}

/// A stored key column's code (`''`: none); a text core does not accept fails the read.
fn column_code<T: std::str::FromStr>(text: &str) -> QueryResult<Option<T>>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
}

impl CaseKey {
    /// The key's columns as `case_rollup_keys` and the rows of [`level::CASE`] store them.
    fn columns(&self) -> RowKey {
        RowKey {
            district_code: column_text(self.district_code),
            street_code: column_text(self.street_code),
            category_code: self.category_code.to_string(),
            handling_unit: self.handling_unit.clone().unwrap_or_default(),
            channel: self.channel.as_str().to_owned(),
        }
    }

    /// The key of a case's row as it is inserted (a drill's case counts nowhere: the caller
    /// knows).
    pub fn of_case(case: &super::cases::CaseRow) -> QueryResult<CaseKey> {
        let code = |text: &Option<String>| -> QueryResult<Option<AreaCode>> {
            let invalid = |e: gridline_core::codes::CodeError| {
                diesel::result::Error::SerializationError(format!("case {}: {e}", case.id).into())
            };
            text.as_deref().map(|code| code.parse().map_err(invalid)).transpose()
        };
        Ok(CaseKey {
            district_code: code(&case.district_code)?,
            street_code: code(&case.street_code)?,
            category_code: case.category_code,
            handling_unit: case.handling_unit.clone(),
            channel: case.channel,
        })
    }

    /// The key of its stored columns ([`CaseKey::columns`]).
    fn of_columns(columns: RowKey) -> QueryResult<CaseKey> {
        let (category, channel) = (column_code(&columns.category_code)?, column_code(&columns.channel)?);
        let missing = |column: &str| {
            diesel::result::Error::DeserializationError(
                format!("a stored case key without its {column}").into(),
            )
        };
        Ok(CaseKey {
            district_code: column_code(&columns.district_code)?,
            street_code: column_code(&columns.street_code)?,
            category_code: category.ok_or_else(|| missing("category"))?,
            handling_unit: Some(columns.handling_unit).filter(|unit| !unit.is_empty()),
            channel: channel.ok_or_else(|| missing("channel"))?,
        })
    }
}

/// The key columns of a roll-up row, as stored: a case's key ([`CaseKey::columns`]), or at
/// the levels that drop columns [`ALL`] in their place.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Queryable)]
pub struct RowKey {
    pub district_code: String,
    pub street_code: String,
    pub category_code: String,
    pub handling_unit: String,
    pub channel: String,
}

/// A row's level, days and bucket (see the module's head for what the days mean).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// Which columns the row keeps ([`level`]).
    pub level: i32,
    pub figure: i32,
    pub start: Day,
    pub lo: Day,
    pub hi: Day,
    pub end: Day,
    pub bucket: i32,
}

/// Cases and amount of a row.
pub type Counted = (i64, i64);

/// One case's rows.
pub type Spans = BTreeMap<Span, Counted>;

/// Every mark of one kind in a case's facts, one per day (the day's last, which is the one a
/// range counts), each with the day of the next one ([`NEVER`] for the last).
fn occurrences<'f>(
    facts: &'f [Fact],
    has: impl Fn(&Fact) -> bool,
    rules: &RollupRules,
) -> Vec<(Day, Day, &'f Fact)> {
    let mut days: Vec<(Day, &Fact)> = Vec::new();
    for fact in facts.iter().filter(|f| has(f)) {
        let day = rules.day(fact.occurred_at);
        match days.last_mut() {
            Some((last, kept)) if *last == day => *kept = fact,
            _ => days.push((day, fact)),
        }
    }
    let nexts: Vec<Day> = days.iter().skip(1).map(|(d, _)| *d).chain([NEVER]).collect();
    days.into_iter().zip(nexts).map(|((day, fact), next)| (day, next, fact)).collect()
}

/// The days a case's state lasted in the sense of the range's end: each run of days `[from,
/// until)` whose `class` (of the state after the last fact of a day) is the same, where the
/// state at midnight `D2` is that after the last fact before it (`from < D2 <= until`).
fn state_runs<T: PartialEq + Copy>(
    facts: &[Fact],
    class: impl Fn(&Fact) -> T,
    rules: &RollupRules,
) -> Vec<(Day, Day, T)> {
    // The class each day with facts ends in (a later fact of the same day decides).
    let mut days: Vec<(Day, T)> = Vec::new();
    for fact in facts {
        let (day, now) = (rules.day(fact.occurred_at), class(fact));
        match days.last_mut() {
            Some((last, kept)) if *last == day => *kept = now,
            _ => days.push((day, now)),
        }
    }
    let mut runs: Vec<(Day, Day, T)> = Vec::new();
    for (day, now) in days {
        match runs.last_mut() {
            Some((_, _, same)) if *same == now => {}
            Some((_, until, _)) => {
                *until = day;
                runs.push((day, NEVER, now));
            }
            None => runs.push((day, NEVER, now)),
        }
    }
    runs
}

/// The rows of one case, from its facts in sequence order.
pub fn spans_of(facts: &[Fact], rules: &RollupRules) -> Spans {
    let mut spans = Spans::new();
    let mut add = |figure: i32, (start, lo, hi, end): (Day, Day, Day, Day), bucket: i32, amount: i64| {
        if start <= lo && hi < end {
            let span = Span { level: level::CASE, figure, start, lo, hi, end, bucket };
            let counted = spans.entry(span).or_insert((0, 0));
            counted.0 += 1;
            counted.1 += amount;
        }
    };
    let once = |d: Day, n: Day| (ALWAYS, d, d, n);
    let marked = |mark: i32| move |f: &Fact| f.marks & mark != 0;
    for (mark, fig) in [
        (marks::RECEIVED, figure::RECEIVED),
        (marks::REGISTERED, figure::REGISTERED),
        (marks::DISPATCHED, figure::DISPATCHED),
        (marks::VERIFIED, figure::VERIFIED),
        (marks::REWORKED, figure::REWORKED),
        (marks::CLOSED_UNVERIFIED, figure::CLOSED_UNVERIFIED),
        (marks::TRIAGED, figure::TRIAGED),
        (marks::RELOCATED, figure::RELOCATED),
    ] {
        for (d, n, _) in occurrences(facts, marked(mark), rules) {
            add(fig, once(d, n), 0, 0);
        }
    }
    let calendar = &rules.calendar;
    for (d, n, fact) in occurrences(facts, marked(marks::CLOSED), rules) {
        add(figure::CLOSED, once(d, n), 0, 0);
        if let Some(on_time) = fact.on_time {
            add(figure::CLOSED_DUE, once(d, n), 0, 0);
            if on_time != 0 {
                add(figure::CLOSED_ON_TIME, once(d, n), 0, 0);
            }
        }
        let handling = fact.cycle_start.and_then(|start| {
            calendar.working_time_between(start.and_utc(), fact.occurred_at.and_utc()).ok()
        });
        if let Some(seconds) = handling.map(|t| t.num_seconds()) {
            let centi = i32::try_from(centi_hours(seconds)).unwrap_or(i32::MAX);
            let hour = i32::try_from(hour_of(i64::from(centi))).unwrap_or(i32::MAX);
            add(figure::HANDLING, once(d, n), hour, seconds);
            add(figure::HANDLING_TIME, once(d, n), centi, 0);
        }
    }
    let call_backs = occurrences(facts, marked(marks::CALLED_BACK), rules);
    for &(d, n, fact) in &call_backs {
        add(figure::CALLED_BACK, once(d, n), 0, 0);
        if fact.marks & marks::RESOLUTION_ASKED != 0 {
            add(figure::RESOLUTION_ANSWER, once(d, n), 0, 0);
            if fact.marks & marks::RESOLVED != 0 {
                add(figure::RESOLVED, once(d, n), 0, 0);
            }
        }
        add(figure::SATISFACTION_ANSWER, once(d, n), 0, 0);
        if fact.marks & marks::CALLBACK_SATISFIED != 0 {
            add(figure::SATISFIED, once(d, n), 0, 0);
        }
    }
    let rating = |f: &Fact| f.rating.and_then(|r| u8::try_from(r).ok());
    for fact in facts {
        if let Some(r) = rating(fact) {
            add(figure::RATING, once(rules.day(fact.occurred_at), NEVER), 0, i64::from(r));
        }
    }
    // The last rating in a range speaks for the case only without a call-back in the range:
    // the nearest call-back days around it bound the range's start and end.
    for (d, n, fact) in occurrences(facts, |f| rating(f).is_some(), rules) {
        let Some(satisfied) =
            rating(fact).and_then(Satisfaction::of_rating).map(Satisfaction::counts_as_satisfied)
        else {
            continue;
        };
        let before = call_backs.iter().map(|c| c.0).filter(|c| *c <= d).max();
        if before == Some(d) {
            continue;
        }
        let after = call_backs.iter().map(|c| c.0).find(|c| *c > d).unwrap_or(NEVER);
        let bounds = (before.map_or(ALWAYS, |b| b + 1), d, d, n.min(after));
        add(figure::SATISFACTION_ANSWER, bounds, 0, 0);
        if satisfied {
            add(figure::SATISFIED, bounds, 0, 0);
        }
    }
    // An extension counts for a case dispatched in the same range: the last of each in it.
    let dispatches = occurrences(facts, marked(marks::DISPATCHED), rules);
    for (e, en, _) in occurrences(facts, marked(marks::EXTENDED), rules) {
        for &(p, pn, _) in &dispatches {
            add(figure::EXTENDED, (ALWAYS, e.min(p), e.max(p), en.min(pn)), 0, 0);
        }
    }
    let closed = |f: &Fact| f.state_after == Some(CaseState::Closed);
    let closed_runs = state_runs(facts, closed, rules);
    for (d, n, _) in occurrences(facts, marked(marks::REGISTERED), rules) {
        for &(from, until, is_closed) in &closed_runs {
            if is_closed {
                add(figure::REGISTERED_CLOSED, (ALWAYS, d, d.max(from), n.min(until)), 0, 0);
            }
        }
    }
    let due_day = |f: &Fact| {
        let on_the_clock = f.state_after.is_some_and(CaseState::on_the_deadline_clock);
        f.deadline_after.filter(|_| on_the_clock).map(|deadline| rules.day(deadline))
    };
    for (from, until, due) in state_runs(facts, due_day, rules) {
        if let Some(due) = due {
            add(figure::DUE_OPEN, (ALWAYS, due, due.max(from), until), 0, 0);
        }
    }
    add_response(facts, rules, &mut add);
    spans
}

/// The response rate's rows: a report answered (on time or not) by its first response, or
/// counted late at every range end after its limit ran out with no response yet.
fn add_response(
    facts: &[Fact],
    rules: &RollupRules,
    add: &mut impl FnMut(i32, (Day, Day, Day, Day), i32, i64),
) {
    let Some(received) = facts.iter().find(|f| f.marks & marks::RECEIVED != 0) else { return };
    let responded = facts.iter().find(|f| {
        f.seq > received.seq && f.marks & marks::RESPONDED != 0 && f.occurred_at >= received.occurred_at
    });
    let calendar = &rules.calendar;
    let elapsed = |until: chrono::DateTime<chrono::Utc>| {
        calendar.working_time_between(received.occurred_at.and_utc(), until).ok()
    };
    let r = rules.day(received.occurred_at);
    if let Some(response) = responded {
        let t = rules.day(response.occurred_at);
        if let Some(on_time) = elapsed(response.occurred_at.and_utc()).map(|e| e <= rules.response_limit) {
            add(figure::RESPONSE_DUE, (ALWAYS, r, t, NEVER), 0, 0);
            if on_time {
                add(figure::RESPONDED_ON_TIME, (ALWAYS, r, t, NEVER), 0, 0);
            }
        }
    }
    // Unanswered at midnight `D2` (no response before it): late once the limit ran out by then.
    let last = responded.map_or(NEVER, |f| rules.day(f.occurred_at));
    let midnight = |day: Day| date_of_day(day).and_then(|date| calendar.start_of(date));
    // The limit is a few working days: a year of days bounds the search.
    let mut day = r + 1;
    let first_late = loop {
        if day > last || day > r + 366 {
            return;
        }
        match midnight(day).and_then(elapsed) {
            Some(e) if e > rules.response_limit => break day,
            Some(_) => day += 1,
            None => return,
        }
    };
    // A range ending where the calendar cannot count (a year without its schedule) leaves the
    // report out, as the count of the facts does.
    let mut end = last;
    let first_year = date_of_day(first_late).map_or(i32::MAX, |d| d.year());
    for year in first_year + 1..=first_year + 2 {
        let Some(new_year) = NaiveDate::from_ymd_opt(year, 1, 1) else { break };
        if day_number(new_year) > end {
            break;
        }
        if calendar.is_working_day(new_year).is_err() {
            end = end.min(day_number(new_year) - 1);
            break;
        }
    }
    add(figure::RESPONSE_DUE, (ALWAYS, r, first_late - 1, end), 0, 0);
}

/// A case's id and the columns its rows are keyed by, each parsed as it is read.
type KeyColumns = (
    Parsed<CaseId>,
    Parsed<Option<AreaCode>>,
    Parsed<Option<AreaCode>>,
    Parsed<CategoryCode>,
    Option<String>,
    Parsed<Channel>,
);

/// The columns of a case that key its rows; a drill's case (never counted) has none.
fn keys_now(conn: &mut DbConnection, case_ids: &[String]) -> QueryResult<HashMap<CaseId, CaseKey>> {
    let drills =
        emergency_cases::table.filter(emergency_cases::drill.eq(true)).select(emergency_cases::case_id);
    let rows: Vec<KeyColumns> = cases::table
        .filter(cases::id.eq_any(case_ids))
        .filter(cases::id.ne_all(drills))
        .select((
            cases::id,
            cases::district_code,
            cases::street_code,
            cases::category_code,
            cases::handling_unit,
            cases::channel,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, district, street, category, unit, channel)| {
            let key = CaseKey {
                district_code: district.into(),
                street_code: street.into(),
                category_code: category.into(),
                handling_unit: unit,
                channel: channel.into(),
            };
            (id.into(), key)
        })
        .collect())
}

/// The keys the cases' rows were counted under, as `case_rollup_keys` remembers them.
fn keys_kept(conn: &mut DbConnection, case_ids: &[String]) -> QueryResult<HashMap<CaseId, CaseKey>> {
    let rows: Vec<(Parsed<CaseId>, RowKey)> = case_rollup_keys::table
        .filter(case_rollup_keys::case_id.eq_any(case_ids))
        .select((
            case_rollup_keys::case_id,
            (
                case_rollup_keys::district_code,
                case_rollup_keys::street_code,
                case_rollup_keys::category_code,
                case_rollup_keys::handling_unit,
                case_rollup_keys::channel,
            ),
        ))
        .load(conn)?;
    rows.into_iter().map(|(id, columns)| Ok((id.into(), CaseKey::of_columns(columns)?))).collect()
}

fn facts_of(conn: &mut DbConnection, case_ids: &[String]) -> QueryResult<Vec<Fact>> {
    case_stat_facts::table
        .filter(case_stat_facts::case_id.eq_any(case_ids))
        .order((case_stat_facts::case_id, case_stat_facts::seq))
        .select(Fact::as_select())
        .load(conn)
}

/// Rows of many cases: key and span → cases and amount.
pub type Rollup = BTreeMap<(RowKey, Span), Counted>;

/// Adds `(cases, amount)` to the row `row` of `into`.
fn add_to(into: &mut Rollup, row: (RowKey, Span), (cases, amount): Counted) {
    let counted = into.entry(row).or_insert((0, 0));
    counted.0 += cases;
    counted.1 += amount;
}

/// The level a span's row is kept at when counted at `level`.
fn row_level(level: i32, span: &Span) -> i32 {
    if span.figure == figure::HANDLING_TIME {
        level::times(level, hour_of(i64::from(span.bucket)))
    } else {
        level
    }
}

fn fold(into: &mut Rollup, key: &CaseKey, spans: Spans, sign: i64) {
    for (level, projected) in projections(key) {
        for (span, (cases, amount)) in &spans {
            let row = Span { level: row_level(level, span), ..*span };
            add_to(into, (projected.clone(), row), (sign * cases, sign * amount));
        }
    }
}

/// Brings the rows of the cases in `touched` up to date after new facts were recorded for
/// them: each case's first new fact's sequence number, by case. Call inside the transaction
/// that inserted the events, after their facts: it holds the event writers' lock, under which
/// the deltas are written and folded.
pub fn follow(conn: &mut DbConnection, touched: &HashMap<CaseId, i64>) -> QueryResult<()> {
    let Some(recorded) = recorded(conn)? else { return Ok(()) };
    let Some(rules) = registered(&recorded.fingerprint) else {
        // Written by rules this process does not know: the rows can no longer be kept exact.
        return record_rules(conn, &recorded.fingerprint, false);
    };
    let ids: Vec<String> = touched.keys().map(CaseId::to_string).collect();
    let mut delta = Rollup::new();
    let mut kept_now = Vec::new();
    let mut forgotten = Vec::new();
    for ids in ids.chunks(500) {
        let facts = facts_of(conn, ids)?;
        let kept = keys_kept(conn, ids)?;
        let now = keys_now(conn, ids)?;
        for case in facts.chunk_by(|a, b| a.case_id == b.case_id) {
            let id = case[0].case_id;
            let first_new = touched.get(&id).copied().unwrap_or(i64::MAX);
            if let Some(key) = kept.get(&id) {
                let before: Vec<Fact> = case.iter().filter(|f| f.seq < first_new).cloned().collect();
                fold(&mut delta, key, spans_of(&before, &rules), -1);
            }
            match now.get(&id) {
                Some(key) => {
                    fold(&mut delta, key, spans_of(case, &rules), 1);
                    if kept.get(&id) != Some(key) {
                        kept_now.push((id, key.clone()));
                    }
                }
                None if kept.contains_key(&id) => forgotten.push(id),
                None => {}
            }
        }
    }
    delta.retain(|_, counted| *counted != (0, 0));
    apply(conn, Target::Deltas, &delta)?;
    save_keys(conn, &kept_now, &forgotten)
}

/// Takes a case out of the roll-ups (a drill's, when its command takes it over), inside the
/// caller's transaction.
pub fn forget_case(conn: &mut DbConnection, case_id: CaseId) -> QueryResult<()> {
    let Some(recorded) = recorded(conn)? else { return Ok(()) };
    let Some(rules) = registered(&recorded.fingerprint) else {
        return record_rules(conn, &recorded.fingerprint, false);
    };
    let ids = [case_id.to_string()];
    let Some(key) = keys_kept(conn, &ids)?.remove(&case_id) else { return Ok(()) };
    // Deltas are written under the event writers' lock, which the fold takes too (so neither
    // waits on a row the other holds): an event's writer holds it already, a drill's removal
    // comes before its event.
    super::summaries::hold_event_writers(conn)?;
    let mut delta = Rollup::new();
    fold(&mut delta, &key, spans_of(&facts_of(conn, &ids)?, &rules), -1);
    apply(conn, Target::Deltas, &delta)?;
    save_keys(conn, &[], &[case_id])
}

fn save_keys(conn: &mut DbConnection, kept: &[(CaseId, CaseKey)], forgotten: &[CaseId]) -> QueryResult<()> {
    let ids: Vec<String> = kept.iter().map(|(id, _)| id).chain(forgotten).map(CaseId::to_string).collect();
    for chunk in ids.chunks(1000) {
        diesel::delete(case_rollup_keys::table.filter(case_rollup_keys::case_id.eq_any(chunk)))
            .execute(conn)?;
    }
    insert_keys(conn, kept)
}

/// Records the keys of cases `case_rollup_keys` holds none for.
fn insert_keys(conn: &mut DbConnection, kept: &[(CaseId, CaseKey)]) -> QueryResult<()> {
    let rows: Vec<_> = kept
        .iter()
        .map(|(id, key)| {
            let key = key.columns();
            (
                case_rollup_keys::case_id.eq(id.to_string()),
                case_rollup_keys::district_code.eq(key.district_code),
                case_rollup_keys::street_code.eq(key.street_code),
                case_rollup_keys::category_code.eq(key.category_code),
                case_rollup_keys::handling_unit.eq(key.handling_unit),
                case_rollup_keys::channel.eq(key.channel),
            )
        })
        .collect();
    for chunk in rows.chunks(1000) {
        crate::batch_insert!(conn, case_rollup_keys::table, chunk.to_vec())?;
    }
    Ok(())
}

const ROLLUP_COLUMNS: &str = "level, street_code, lo, figure, hi, end_day, start_day, bucket, \
                              district_code, category_code, handling_unit, channel";

/// Where rows are added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// `case_rollups`, what the statistics read and the folds add to: the writes of a rebuild
    /// and of the seed, which add to each row once.
    Rollups,
    /// `case_rollup_deltas`, what the events add to until the next [`fold_deltas`]. The
    /// statistics read both.
    Deltas,
}

impl Target {
    fn table(self) -> &'static str {
        match self {
            Target::Rollups => "case_rollups",
            Target::Deltas => "case_rollup_deltas",
        }
    }
}

/// The upsert of rows from `source` (a VALUES list or a SELECT) that adds them to the stored
/// ones of `target`, on either backend.
fn add_rows_sql(target: Target, source: &str) -> String {
    let table = target.table();
    format!(
        "INSERT INTO {table} ({ROLLUP_COLUMNS}, cases, amount) {source} \
         ON CONFLICT ({ROLLUP_COLUMNS}) DO UPDATE SET cases = {table}.cases + excluded.cases, \
         amount = {table}.amount + excluded.amount"
    )
}

/// Adds `delta` to the rows of `target`, creating the missing ones. Rows of `case_rollups`
/// left at nothing are dropped; deltas left at nothing wait for the fold, which drops them.
fn apply(conn: &mut DbConnection, target: Target, delta: &Rollup) -> QueryResult<()> {
    let rows: Vec<_> = delta.iter().collect();
    if let DbConnection::Pg(pg) = conn {
        for chunk in rows.chunks(PG_ROWS_PER_UPSERT) {
            upsert_pg(pg, target, chunk)?;
        }
    } else {
        // Fourteen parameters a row: under SQLite's 32,766 per statement.
        for chunk in rows.chunks(2000) {
            let values = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ");
            let mut query = diesel::sql_query(add_rows_sql(target, &format!("VALUES {values}"))).into_boxed();
            for ((key, span), (cases, amount)) in chunk {
                query = bind_row(query, key, span).bind::<BigInt, _>(*cases).bind::<BigInt, _>(*amount);
            }
            query.execute(conn)?;
        }
    }
    if target == Target::Rollups {
        let shrunk: Vec<_> = rows.iter().filter(|(_, (cases, _))| *cases < 0).map(|(row, _)| *row).collect();
        drop_empty_rows(conn, &shrunk)?;
    }
    Ok(())
}

/// Deletes the rows of `case_rollups` among `rows` that count nothing.
fn drop_empty_rows(conn: &mut DbConnection, rows: &[&(RowKey, Span)]) -> QueryResult<()> {
    let pg = matches!(conn, DbConnection::Pg(_));
    for chunk in rows.chunks(1000) {
        let one = format!(
            "({})",
            ROLLUP_COLUMNS.split(", ").map(|c| format!("{c} = ?")).collect::<Vec<_>>().join(" AND ")
        );
        let sql = format!(
            "DELETE FROM case_rollups WHERE cases = 0 AND amount = 0 AND ({})",
            vec![one; chunk.len()].join(" OR ")
        );
        let sql = if pg { super::summaries::numbered_placeholders(&sql) } else { sql };
        let mut query = diesel::sql_query(sql).into_boxed();
        for (key, span) in chunk {
            query = bind_row(query, key, span);
        }
        query.execute(conn)?;
    }
    Ok(())
}

/// Adds the deltas to `case_rollups` and deletes them, in one transaction under the lock that
/// orders event writers (so no writer adds to a delta while it is moved, and two nodes' folds
/// take turns); returns how many rows of `case_rollups` it added to (deltas at nothing are only
/// deleted). The statistics read both tables in one snapshot ([`super::read_transaction`]), so
/// a fold never changes a figure.
pub fn fold_deltas(conn: &mut DbConnection) -> QueryResult<usize> {
    super::write_transaction(conn, |conn| {
        super::summaries::hold_event_writers(conn)?;
        // In key order, as every other writer of `case_rollups` adds its rows.
        let nonzero = |table: &str| {
            format!(
                "SELECT {ROLLUP_COLUMNS}, cases, amount FROM {table} WHERE cases <> 0 OR amount <> 0 \
                 ORDER BY {ROLLUP_COLUMNS}"
            )
        };
        let returning = format!(" RETURNING {ROLLUP_COLUMNS}, cases, amount");
        let added: Vec<StoredRow> = if matches!(conn, DbConnection::Pg(_)) {
            let sql = format!(
                "WITH moved AS (DELETE FROM case_rollup_deltas RETURNING {ROLLUP_COLUMNS}, cases, amount) {}{returning}",
                add_rows_sql(Target::Rollups, &nonzero("moved"))
            );
            diesel::sql_query(sql).load(conn)?
        } else {
            let sql = format!("{}{returning}", add_rows_sql(Target::Rollups, &nonzero("case_rollup_deltas")));
            let added = diesel::sql_query(sql).load(conn)?;
            diesel::delete(case_rollup_deltas::table).execute(conn)?;
            added
        };
        let folded = added.len();
        let emptied: Vec<(RowKey, Span)> =
            added.into_iter().filter(|r| (r.cases, r.amount) == (0, 0)).map(|r| r.into_row().0).collect();
        drop_empty_rows(conn, &emptied.iter().collect::<Vec<_>>())?;
        Ok(folded)
    })
}

/// Rows per PostgreSQL upsert: one statement of fourteen arrays, where a multi-row VALUES list
/// bound fourteen parameters a row that PostgreSQL parsed and planned again at every statement
/// (a seeding batch upserts about 170,000 rows).
const PG_ROWS_PER_UPSERT: usize = 20_000;

fn upsert_pg(
    conn: &mut diesel::PgConnection,
    target: Target,
    rows: &[(&(RowKey, Span), &Counted)],
) -> QueryResult<()> {
    use diesel::sql_types::Array;
    let span = |pick: fn(&Span) -> i32| rows.iter().map(|((_, s), _)| pick(s)).collect::<Vec<i32>>();
    let key = |pick: fn(&RowKey) -> &str| rows.iter().map(|((k, _), _)| pick(k)).collect::<Vec<&str>>();
    diesel::sql_query(add_rows_sql(
        target,
        "SELECT * FROM unnest($1::integer[], $2::text[], $3::integer[], $4::integer[], $5::integer[], \
         $6::integer[], $7::integer[], $8::integer[], $9::text[], $10::text[], $11::text[], $12::text[], \
         $13::bigint[], $14::bigint[])",
    ))
    .bind::<Array<Integer>, _>(span(|s| s.level))
    .bind::<Array<Text>, _>(key(|k| &k.street_code))
    .bind::<Array<Integer>, _>(span(|s| s.lo))
    .bind::<Array<Integer>, _>(span(|s| s.figure))
    .bind::<Array<Integer>, _>(span(|s| s.hi))
    .bind::<Array<Integer>, _>(span(|s| s.end))
    .bind::<Array<Integer>, _>(span(|s| s.start))
    .bind::<Array<Integer>, _>(span(|s| s.bucket))
    .bind::<Array<Text>, _>(key(|k| &k.district_code))
    .bind::<Array<Text>, _>(key(|k| &k.category_code))
    .bind::<Array<Text>, _>(key(|k| &k.handling_unit))
    .bind::<Array<Text>, _>(key(|k| &k.channel))
    .bind::<Array<BigInt>, _>(rows.iter().map(|(_, (cases, _))| *cases).collect::<Vec<i64>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|(_, (_, amount))| *amount).collect::<Vec<i64>>())
    .execute(conn)?;
    Ok(())
}

type Boxed<'a> = diesel::query_builder::BoxedSqlQuery<
    'a,
    <DbConnection as diesel::Connection>::Backend,
    diesel::query_builder::SqlQuery,
>;

/// Binds a row's key columns in [`ROLLUP_COLUMNS`] order.
fn bind_row<'a>(query: Boxed<'a>, key: &RowKey, span: &Span) -> Boxed<'a> {
    query
        .bind::<Integer, _>(span.level)
        .bind::<Text, _>(key.street_code.clone())
        .bind::<Integer, _>(span.lo)
        .bind::<Integer, _>(span.figure)
        .bind::<Integer, _>(span.hi)
        .bind::<Integer, _>(span.end)
        .bind::<Integer, _>(span.start)
        .bind::<Integer, _>(span.bucket)
        .bind::<Text, _>(key.district_code.clone())
        .bind::<Text, _>(key.category_code.clone())
        .bind::<Text, _>(key.handling_unit.clone())
        .bind::<Text, _>(key.channel.clone())
}

/// The rows of `cases` as their facts and present keys give them.
fn derive_rows(
    conn: &mut DbConnection,
    case_ids: &[String],
    rules: &RollupRules,
) -> QueryResult<(Rollup, Vec<(CaseId, CaseKey)>)> {
    let mut rollup = Rollup::new();
    let mut keys = Vec::new();
    for ids in case_ids.chunks(500) {
        let facts = facts_of(conn, ids)?;
        let now = keys_now(conn, ids)?;
        for case in facts.chunk_by(|a, b| a.case_id == b.case_id) {
            if let Some(key) = now.get(&case[0].case_id) {
                fold(&mut rollup, key, spans_of(case, rules), 1);
                keys.push((case[0].case_id, key.clone()));
            }
        }
    }
    Ok((rollup, keys))
}

/// The roll-up rows one seeding batch writes ([`SeedRollups::count`]).
#[derive(Debug)]
pub struct SeedBatchRows {
    /// The rows at [`level::CASE`] of the batch's cases.
    own: Rollup,
    /// The keys the cases were counted under (`case_rollup_keys`).
    kept: Vec<(CaseId, CaseKey)>,
    /// The coarse rows held over batches, when this batch brought them to the most held.
    coarse: Option<Rollup>,
    /// How many coarse rows are held after this batch.
    pub held: usize,
}

/// The roll-ups of the new cases of `gridline seed`, counted batch by batch from the facts and
/// keys the seed derived (what [`follow`] would read back from the tables a batch has just
/// written, handed over).
///
/// A case's rows at [`level::CASE`] are its own (a whole key, seldom shared), so they are written
/// with its batch. The rows of the other levels sum many cases each: a batch of 8,500 cases
/// upserted 240,000 of them, two thirds into rows earlier batches had written (each a new row
/// version and index entry, since the counts are part of the key's index). They are summed here
/// over many batches and written when as many are held as the seed allows (about 300 bytes of
/// memory each) and at [`SeedRollups::finish`]. Until then the roll-ups are recorded as
/// incomplete, so the statistics read the facts; a seed stopped before its end leaves them so,
/// until `gridline summaries rebuild`. Writers go on adding their differences meanwhile
/// ([`follow`] keeps incomplete rows of known rules), and sums commute, so the rows are exact
/// once the held ones are written.
pub struct SeedRollups {
    rules: Arc<RollupRules>,
    held: Rollup,
    most_held: usize,
    /// Whether the roll-ups were complete before the seed: only then does it record them
    /// complete again.
    were_complete: bool,
}

impl SeedRollups {
    /// Starts counting a seed's cases, holding at most `most_held` coarse rows before writing
    /// them; `None` while the roll-ups are off or were counted by rules this process does not
    /// know (they stay stale).
    pub fn start(conn: &mut DbConnection, most_held: usize) -> super::StoreResult<Option<SeedRollups>> {
        super::write_transaction(conn, |conn| {
            super::summaries::hold_event_writers(conn)?;
            let Some(recorded) = recorded(conn)? else { return Ok(None) };
            record_rules(conn, &recorded.fingerprint, false)?;
            let Some(rules) = registered(&recorded.fingerprint) else { return Ok(None) };
            Ok(Some(SeedRollups { rules, held: Rollup::new(), most_held, were_complete: recorded.complete }))
        })
    }

    /// Counts cases no row counts yet, from their `facts` (by case) and `keys`, without the
    /// database: the seed counts a batch while the one before is written, then writes what this
    /// returns with [`SeedRollups::write`]. A case without a key (a drill's) or without facts
    /// counts nowhere.
    pub fn count(&mut self, keys: &HashMap<CaseId, CaseKey>, facts: &[Fact]) -> SeedBatchRows {
        let mut delta = Rollup::new();
        let mut kept = Vec::new();
        for case in facts.chunk_by(|a, b| a.case_id == b.case_id) {
            let id = case[0].case_id;
            if let Some(key) = keys.get(&id) {
                fold(&mut delta, key, spans_of(case, &self.rules), 1);
                kept.push((id, key.clone()));
            }
        }
        let mut own = Rollup::new();
        for (row, counted) in delta {
            if level::base(row.1.level) == level::CASE {
                own.insert(row, counted);
            } else {
                add_to(&mut self.held, row, counted);
            }
        }
        own.retain(|_, counted| *counted != (0, 0));
        let coarse = (self.held.len() >= self.most_held).then(|| self.take_held());
        SeedBatchRows { own, kept, coarse, held: self.held.len() }
    }

    /// Writes a batch's rows ([`SeedRollups::count`]) inside the caller's transaction.
    pub fn write(conn: &mut DbConnection, rows: &SeedBatchRows) -> QueryResult<()> {
        apply(conn, Target::Rollups, &rows.own)?;
        insert_keys(conn, &rows.kept)?;
        if let Some(coarse) = &rows.coarse {
            apply(conn, Target::Rollups, coarse)?;
        }
        Ok(())
    }

    fn take_held(&mut self) -> Rollup {
        let mut held = std::mem::take(&mut self.held);
        held.retain(|_, counted| *counted != (0, 0));
        held
    }

    /// Writes the held rows and records the roll-ups complete again if they were before the
    /// seed, in one transaction under the event writers' lock.
    pub fn finish(mut self, conn: &mut DbConnection) -> super::StoreResult<()> {
        let held = self.take_held();
        super::write_transaction(conn, |conn| {
            super::summaries::hold_event_writers(conn)?;
            apply(conn, Target::Rollups, &held)?;
            record_rules(conn, &self.rules.fingerprint, self.were_complete)?;
            Ok(())
        })
    }
}

/// A stored row that differs from the one derived from the facts.
#[derive(Debug, Clone, PartialEq)]
pub struct RowDifference {
    pub key: RowKey,
    pub span: Span,
    pub stored: Counted,
    pub from_facts: Counted,
}

/// What a comparison of the roll-ups saw.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RollupComparison {
    pub cases: usize,
    pub rows: usize,
    pub differences: Vec<RowDifference>,
    /// Whether the database's roll-ups were counted by these rules and complete.
    pub current: bool,
}

#[derive(QueryableByName)]
struct StoredRow {
    #[diesel(sql_type = Integer)]
    level: i32,
    #[diesel(sql_type = Integer)]
    lo: i32,
    #[diesel(sql_type = Integer)]
    figure: i32,
    #[diesel(sql_type = Integer)]
    hi: i32,
    #[diesel(sql_type = Integer)]
    end_day: i32,
    #[diesel(sql_type = Integer)]
    start_day: i32,
    #[diesel(sql_type = Integer)]
    bucket: i32,
    #[diesel(sql_type = Text)]
    district_code: String,
    #[diesel(sql_type = Text)]
    street_code: String,
    #[diesel(sql_type = Text)]
    category_code: String,
    #[diesel(sql_type = Text)]
    handling_unit: String,
    #[diesel(sql_type = Text)]
    channel: String,
    #[diesel(sql_type = BigInt)]
    cases: i64,
    #[diesel(sql_type = BigInt)]
    amount: i64,
}

impl StoredRow {
    fn into_row(self) -> ((RowKey, Span), Counted) {
        let key = RowKey {
            district_code: self.district_code,
            street_code: self.street_code,
            category_code: self.category_code,
            handling_unit: self.handling_unit,
            channel: self.channel,
        };
        let span = Span {
            level: self.level,
            figure: self.figure,
            start: self.start_day,
            lo: self.lo,
            hi: self.hi,
            end: self.end_day,
            bucket: self.bucket,
        };
        ((key, span), (self.cases, self.amount))
    }
}

/// A street's rows with the deltas not yet folded into them (call under the event writers'
/// lock, which the fold takes too).
fn stored_rows(conn: &mut DbConnection, street: &str) -> QueryResult<Rollup> {
    let mut stored = Rollup::new();
    for target in [Target::Rollups, Target::Deltas] {
        let sql =
            format!("SELECT {ROLLUP_COLUMNS}, cases, amount FROM {} WHERE street_code = ?", target.table());
        let sql = if matches!(conn, DbConnection::Pg(_)) {
            super::summaries::numbered_placeholders(&sql)
        } else {
            sql
        };
        let rows: Vec<StoredRow> = diesel::sql_query(sql).bind::<Text, _>(street).load(conn)?;
        for (row, counted) in rows.into_iter().map(StoredRow::into_row) {
            add_to(&mut stored, row, counted);
        }
    }
    Ok(stored)
}

fn streets(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    let mut streets: Vec<String> =
        cases::table.select(diesel::dsl::sql::<Text>("DISTINCT COALESCE(street_code, '')")).load(conn)?;
    let stored: Vec<String> = case_rollups::table.select(case_rollups::street_code).distinct().load(conn)?;
    streets.extend(stored);
    let deltas: Vec<String> =
        case_rollup_deltas::table.select(case_rollup_deltas::street_code).distinct().load(conn)?;
    streets.extend(deltas);
    streets.retain(|s| s != ALL);
    streets.sort();
    streets.dedup();
    Ok(streets)
}

fn cases_of_street(conn: &mut DbConnection, street: &str) -> QueryResult<Vec<String>> {
    if street.is_empty() {
        cases::table
            .filter(cases::street_code.is_null().or(cases::street_code.eq("")))
            .select(cases::id)
            .load(conn)
    } else {
        cases::table.filter(cases::street_code.eq(street)).select(cases::id).load(conn)
    }
}

fn differences(stored: Rollup, fresh: &Rollup) -> Vec<RowDifference> {
    let mut stored = stored;
    let mut out = Vec::new();
    for ((key, span), counted) in fresh {
        let was = stored.remove(&(key.clone(), *span)).unwrap_or((0, 0));
        if was != *counted {
            out.push(RowDifference { key: key.clone(), span: *span, stored: was, from_facts: *counted });
        }
    }
    out.extend(stored.into_iter().filter(|(_, c)| *c != (0, 0)).map(|((key, span), stored)| RowDifference {
        key,
        span,
        stored,
        from_facts: (0, 0),
    }));
    out
}

/// Compares the stored rows with those derived from the facts, a street at a time (each under
/// the lock that orders event writers); writes nothing.
///
/// The rows of a street's cases at [`level::CASE`] and [`level::STREET`] are compared with that
/// street's; the rows of the other levels (street `'*'`), which sum every street, are
/// gathered on the way and compared at the end (a server writing meanwhile can show there as a
/// difference that is not one: run the check again).
pub fn compare(conn: &mut DbConnection, rules: &RollupRules) -> StoreResult<RollupComparison> {
    let mut comparison = RollupComparison::default();
    let mut whole_city = Rollup::new();
    for street in streets(conn)? {
        super::check_cancelled()?;
        let (cases, fresh, stored) = super::write_transaction(conn, |conn| {
            super::summaries::hold_event_writers(conn)?;
            let ids = cases_of_street(conn, &street)?;
            let (fresh, _) = derive_rows(conn, &ids, rules)?;
            QueryResult::Ok((ids.len(), fresh, stored_rows(conn, &street)?))
        })?;
        let (city_rows, fresh): (Rollup, Rollup) =
            fresh.into_iter().partition(|((key, _), _)| key.street_code == ALL);
        for (row, counted) in city_rows {
            add_to(&mut whole_city, row, counted);
        }
        comparison.cases += cases;
        comparison.rows += fresh.len();
        comparison.differences.extend(differences(stored, &fresh));
    }
    comparison.rows += whole_city.len();
    comparison.differences.extend(differences(stored_rows(conn, ALL)?, &whole_city));
    comparison.current = usable(conn, rules)?;
    Ok(comparison)
}

/// Counts every row again from the facts under `rules` and records them as complete, holding
/// the lock that orders event writers throughout (writes wait until it is done). Nothing is
/// compared: [`compare`] says what was stored before.
pub fn rebuild(conn: &mut DbConnection, rules: &RollupRules) -> StoreResult<RollupComparison> {
    let mut comparison = RollupComparison::default();
    super::write_transaction(conn, |conn| {
        super::summaries::hold_event_writers(conn)?;
        if matches!(conn, DbConnection::Sqlite(_)) {
            // Take SQLite's writer lock before reading, so nothing is written in between.
            diesel::sql_query("DELETE FROM case_rollup_rules WHERE 1 = 0").execute(conn)?;
        }
        diesel::delete(case_rollup_deltas::table).execute(conn)?;
        diesel::delete(case_rollups::table).execute(conn)?;
        diesel::delete(case_rollup_keys::table).execute(conn)?;
        for street in streets(conn)? {
            let ids = cases_of_street(conn, &street)?;
            let (rows, keys) = derive_rows(conn, &ids, rules)?;
            apply(conn, Target::Rollups, &rows)?;
            save_keys(conn, &keys, &[])?;
            comparison.cases += ids.len();
        }
        comparison.rows = usize::try_from(case_rollups::table.count().get_result::<i64>(conn)?).unwrap_or(0);
        record_rules(conn, &rules.fingerprint, true)
    })?;
    comparison.current = true;
    Ok(comparison)
}

/// The columns a roll-up read may group by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollupGroup {
    District,
    Street,
    Category,
    Unit,
    Channel,
}

impl RollupGroup {
    /// The column of `case_rollups` (and of `cases`) it groups by.
    pub fn column(self) -> &'static str {
        match self {
            RollupGroup::District => "district_code",
            RollupGroup::Street => "street_code",
            RollupGroup::Category => "category_code",
            RollupGroup::Unit => "handling_unit",
            RollupGroup::Channel => "channel",
        }
    }
}

/// Which rows a roll-up read sums: each `Some` narrows to one value of its column.
#[derive(Debug, Clone, Default)]
pub struct RollupFilter {
    pub district: Option<AreaCode>,
    pub street: Option<AreaCode>,
    pub category: Option<CategoryCode>,
    pub unit: Option<String>,
    pub channel: Option<Channel>,
}

/// A sum of rows: by group (or by day), figure and bucket.
#[derive(Debug, Clone, QueryableByName)]
pub struct RollupSum {
    #[diesel(sql_type = Text)]
    pub group: String,
    #[diesel(sql_type = Integer)]
    pub figure: i32,
    #[diesel(sql_type = Integer)]
    pub bucket: i32,
    #[diesel(sql_type = BigInt)]
    pub cases: i64,
    #[diesel(sql_type = BigInt)]
    pub amount: i64,
}

/// The level whose rows keep the columns a read groups or narrows by, and no more.
fn level_for(filter: &RollupFilter, group: Option<RollupGroup>) -> i32 {
    let by = |g: RollupGroup| group == Some(g);
    let place = filter.district.is_some()
        || filter.street.is_some()
        || by(RollupGroup::District)
        || by(RollupGroup::Street);
    let category = filter.category.is_some() || by(RollupGroup::Category);
    let unit = filter.unit.is_some() || by(RollupGroup::Unit);
    let channel = filter.channel.is_some() || by(RollupGroup::Channel);
    match (place, category, unit, channel) {
        (true, false, false, false) => level::STREET,
        (false, true, false, false) => level::CATEGORY,
        (false, false, true, false) => level::UNIT,
        (false, false, false, true) => level::CHANNEL,
        (false, false, false, false) => level::CITY,
        _ => level::CASE,
    }
}

/// Which rows a read sums.
#[derive(Debug, Clone, Copy)]
pub enum Rows<'a> {
    /// Every figure's, with handling times by the hour.
    Figures,
    /// Only the hundredths of the handling times within these hours ([`figure::HANDLING_TIME`]).
    TimesWithin(&'a [i64]),
}

impl RollupFilter {
    /// Each column (of `case_rollups`, and of `cases`) with the text it is narrowed to.
    pub fn columns(&self) -> [(&'static str, Option<String>); 5] {
        [
            ("district_code", self.district.map(|code| code.to_string())),
            ("street_code", self.street.map(|code| code.to_string())),
            ("category_code", self.category.map(|code| code.to_string())),
            ("handling_unit", self.unit.clone()),
            ("channel", self.channel.map(|c| c.as_str().to_owned())),
        ]
    }
}

/// The narrowing clause of `filter` at the level of `group` (for `rows`), and the values it
/// binds; `None` when the rows asked for are none.
fn filtered(filter: &RollupFilter, group: Option<RollupGroup>, rows: Rows) -> Option<(String, Vec<String>)> {
    let level = level_for(filter, group);
    let mut clause = match rows {
        Rows::Figures => format!(" AND level = {level}"),
        Rows::TimesWithin([]) => return None,
        Rows::TimesWithin(hours) => {
            // Integers of ours, written into the statement: nothing of the request's.
            let levels: Vec<String> = hours.iter().map(|h| level::times(level, *h).to_string()).collect();
            format!(" AND level IN ({})", levels.join(", "))
        }
    };
    let mut values = Vec::new();
    for (column, value) in filter.columns() {
        if let Some(value) = value {
            clause.push_str(&format!(" AND {column} = ?"));
            values.push(value);
        }
    }
    Some((clause, values))
}

/// The sums of the `rows` counting in the days `[from, to)`, by `group` (one sum per group,
/// figure and bucket; `None` sums everything under the group `''`). Reads the deltas too: call
/// it inside [`super::read_transaction`] (a fold between the two reads would count the
/// moved rows twice or not at all).
pub fn sum(
    conn: &mut DbConnection,
    filter: &RollupFilter,
    (from, to): (Day, Day),
    group: Option<RollupGroup>,
    rows: Rows,
) -> QueryResult<Vec<RollupSum>> {
    let column = group.map_or("CAST('' AS TEXT)", RollupGroup::column);
    let Some((narrowed, values)) = filtered(filter, group, rows) else { return Ok(Vec::new()) };
    let sql = format!(
        "SELECT {column} AS \"group\", figure, bucket, CAST(SUM(cases) AS BIGINT) AS cases, \
           CAST(SUM(amount) AS BIGINT) AS amount \
         FROM {{table}} WHERE lo >= ? AND lo < ? AND hi < ? AND end_day >= ? AND start_day <= ?{narrowed} \
         GROUP BY 1, figure, bucket"
    );
    run_sum(conn, sql, &[from, to, to, to, from], &values)
}

/// The sums of the `rows` counting in each single day of `[from, to)`, keyed by the day's
/// number as text: a day `D` is the range `[D, D + 1)`, whose rows have `lo = hi = D`. Reads
/// the deltas too: call it inside [`super::read_transaction`].
pub fn sum_daily(
    conn: &mut DbConnection,
    filter: &RollupFilter,
    (from, to): (Day, Day),
    rows: Rows,
) -> QueryResult<Vec<RollupSum>> {
    let Some((narrowed, values)) = filtered(filter, None, rows) else { return Ok(Vec::new()) };
    let sql = format!(
        "SELECT CAST(lo AS TEXT) AS \"group\", figure, bucket, CAST(SUM(cases) AS BIGINT) AS cases, \
           CAST(SUM(amount) AS BIGINT) AS amount \
         FROM {{table}} WHERE lo >= ? AND lo < ? AND hi = lo AND end_day > lo AND start_day <= lo{narrowed} \
         GROUP BY lo, figure, bucket"
    );
    run_sum(conn, sql, &[from, to], &values)
}

/// Runs `sql` (its table `{table}`) on `case_rollups` and on the deltas, and adds the sums.
fn run_sum(
    conn: &mut DbConnection,
    sql: String,
    days: &[Day],
    values: &[String],
) -> QueryResult<Vec<RollupSum>> {
    let sql =
        if matches!(conn, DbConnection::Pg(_)) { super::summaries::numbered_placeholders(&sql) } else { sql };
    let mut sums: BTreeMap<(String, i32, i32), RollupSum> = BTreeMap::new();
    for target in [Target::Rollups, Target::Deltas] {
        let mut query = diesel::sql_query(sql.replace("{table}", target.table())).into_boxed();
        for day in days {
            query = query.bind::<Integer, _>(*day);
        }
        for value in values {
            query = query.bind::<Text, _>(value.clone());
        }
        for one in query.load::<RollupSum>(conn)? {
            let (cases, amount) = (one.cases, one.amount);
            sums.entry((one.group.clone(), one.figure, one.bucket))
                .and_modify(|sum| {
                    sum.cases += cases;
                    sum.amount += amount;
                })
                .or_insert(one);
        }
    }
    Ok(sums.into_values().collect())
}
