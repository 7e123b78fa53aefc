//! `gridline seed --cases N --days D --grids FILE`: realistic cases written straight into the
//! store for scale work (benchmarks of the statistics, the dashboard, the case lists and intake
//! on a city's year), on the database the configuration names, either backend.
//!
//! ```text
//! gridline grid generate --cells 40625 > city.geojson
//! gridline seed --cases 10000000 --days 365 --grids city.geojson --import
//! ```
//!
//! What a case looks like is decided here, from a seeded random generator (`--seed`), so two
//! runs with the same arguments write the same city:
//! - **Space**: cells are unequally busy (a log-normal weight per cell: a market street gets
//!   many times a quiet lane's reports), and a third of a cell's reports follow one shortly
//!   before them (a burst around one problem).
//! - **Time**: over the last `D` days, weekends quieter, one day in twenty-five a storm day with
//!   three times the reports, mostly in the day's waking hours (Beijing time).
//! - **What**: categories of the shipped taxonomy, the common ones far more often; channels in
//!   the shares of a city where the hotline and the app carry most reports.
//! - **History**: every step is asked of core's state machine, by the role that takes it:
//!   reject or register, dispatch with the category's deadline on the working calendar (a
//!   send-back and a re-dispatch now and then), accept, an extension now and then, handling
//!   (mostly in time, else the overdue job's mark and escalation at the deadline), on-site
//!   verification (a failed one sends it back for rework), and a rating from some app and web
//!   reporters. A step that would fall after now is not taken: recent cases are still open.
//!
//! The cases are written in the order they were reported, a batch at a time
//! (`--cases-per-batch`, by default [`CASES_PER_BATCH`]), each batch one transaction with its
//! cases, events, per-day summaries, statistics' facts and its cases' own roll-up rows
//! ([`crate::store::seed`]). In that order, as in a city that lived its year, each batch's
//! rows land beside the last batch's in every index keyed by time (the ids, the tracking
//! numbers, the roll-ups' days), so a batch touches the recent pages of each index instead of
//! pages all over it: what keeps a seed of ten million cases from waiting on the disk. The
//! roll-up rows of streets, categories, units, channels and the city are summed in memory
//! (`--rows-held`) and written when that many are held and at the end; until then the
//! roll-ups are recorded incomplete and the statistics read the facts. A seed stopped before
//! its end leaves them so: `gridline summaries rebuild` counts them again.
//!
//! Into a database without cases, the seed drops the secondary indexes and foreign keys of the
//! tables it fills and builds them at its end, once, over all the rows
//! ([`crate::store::deferred_indexes`]; `--keep-indexes` keeps them, for a database a server is
//! serving meanwhile). A seed stopped early leaves them recorded; opening the store builds them.

use std::time::Instant;

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};
use clap::Args;
use gridline_core::calendar::WorkingCalendar;
use gridline_core::codes::CaseId;
use gridline_core::grid::{GridCell, parse_geojson};
use gridline_core::taxonomy::{Category, Taxonomy};
use gridline_core::workflow::{self, Action, CaseState, Channel, Role};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{CliError, CliResult};
use crate::cases::events;
use crate::clock::rfc3339;
use crate::store::cases::CaseRow;
use crate::store::events::EventRow;
use crate::store::rollups::SeedRollups;
use crate::store::seed::{PreparedBatch, SeededCase, prepare_batch, write_batch};
use crate::store::{DbConnection, StoreError};

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// How many cases to write.
    #[arg(long)]
    cases: u64,
    /// Over how many days before now they were reported.
    #[arg(long, default_value_t = 365)]
    days: u32,
    /// The grid cells (GeoJSON, as `gridline grid generate` writes) the cases are spread over.
    #[arg(long)]
    grids: String,
    /// Also import the cells, replacing the one street or district they form.
    #[arg(long)]
    import: bool,
    /// The random generator's seed: the same seed writes the same city.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Cases written per transaction.
    #[arg(long, default_value_t = CASES_PER_BATCH)]
    cases_per_batch: usize,
    /// The statistics' roll-up rows of streets, categories, units, channels and the whole city
    /// summed in memory (about 300 bytes each) before they are written.
    #[arg(long, default_value_t = 1_000_000)]
    rows_held: usize,
    /// Keep every index while writing, even into a database without cases (by default the
    /// secondary ones are built once at the end: faster, but a server serving the database
    /// meanwhile reads without them).
    #[arg(long)]
    keep_indexes: bool,
}

/// The cases a batch holds by default. Every batch's commit writes again the pages it touched
/// in the big indexes, so fewer, larger batches write less. 60,000 cases in 40,625 cells
/// (SQLite, debug build, batches of cells then): 25 cells a batch wrote 39 GB in 577 s, 500
/// cells (about 740 cases) 11.7 GB in 142 s.
const CASES_PER_BATCH: usize = 10_000;

/// Shares of the ways in: the app and the hotline carry most reports.
const CHANNEL_SHARES: [(Channel, f64); 6] = [
    (Channel::App, 0.40),
    (Channel::Hotline, 0.30),
    (Channel::Inspector, 0.15),
    (Channel::Web, 0.07),
    (Channel::Sensor, 0.05),
    (Channel::Open311, 0.03),
];

/// The unit a category without a default one is dispatched to.
const FALLBACK_UNIT: &str = "city-services";

pub fn run(args: SeedArgs) -> CliResult {
    if args.cases == 0 || args.days == 0 || args.cases_per_batch == 0 || args.rows_held == 0 {
        return Err(CliError::input("--cases, --days, --cases-per-batch and --rows-held must be at least 1"));
    }
    let text =
        std::fs::read_to_string(&args.grids).map_err(|e| CliError::input(format!("{}: {e}", args.grids)))?;
    let cells = parse_geojson(&text).map_err(|e| CliError::input(format!("{}: {e}", args.grids)))?;
    if cells.is_empty() {
        return Err(CliError::input(format!("{}: no cells", args.grids)));
    }
    let taxonomy = Taxonomy::default_taxonomy().map_err(|e| CliError::failure(e.to_string()))?;
    let calendar = WorkingCalendar::china().map_err(|e| CliError::failure(e.to_string()))?;
    // The server's log settings: `GRIDLINE_LOG=gridline_server::store::seed=debug` times each
    // batch's phases.
    if let Ok(config) = crate::config::Config::load() {
        crate::telemetry::init(&config.settings);
    }
    let db = super::user::open_database()?;
    let mut conn = db.get().map_err(super::user::database)?;
    crate::store::seed::prepare_connection(&mut conn).map_err(super::user::database)?;
    // The statistics' roll-ups start with an empty database and are kept as the batches go.
    let rules = super::user::rollup_rules()?;
    crate::store::rollups::adopt(&mut conn, &rules).map_err(super::user::database)?;
    let rollups = SeedRollups::start(&mut conn, args.rows_held).map_err(super::user::database)?;
    // So do the per-day summaries' city days.
    crate::store::summaries::adopt(&mut conn, rules.calendar.settings().timezone)
        .map_err(super::user::database)?;
    if args.import {
        let area = super::grid::enclosing_area(&cells)?;
        crate::store::grids::replace_area(&mut conn, area, &cells).map_err(super::user::database)?;
        println!("imported {} cells into area {area}", cells.len());
    }

    let now = Utc::now();
    // The months the cases and their histories fall in have their partitions before any row.
    let oldest = now - Duration::days(i64::from(args.days) + 1);
    crate::store::partitions::ensure_ahead(&mut conn, now)
        .and_then(|_| crate::store::partitions::ensure_months(&mut conn, oldest, now))
        .map_err(super::user::database)?;
    // Into an empty database, the summaries are the batches' reports added up, and the indexes
    // wait for the end.
    let fresh = crate::store::cases::none_stored(&mut conn).map_err(super::user::database)?;
    let deferred = if fresh && !args.keep_indexes {
        crate::store::deferred_indexes::defer(&mut conn).map_err(super::user::database)?
    } else {
        Vec::new()
    };
    if !deferred.is_empty() {
        let keys = deferred.iter().filter(|d| d.kind == crate::store::deferred_indexes::FOREIGN_KEY).count();
        let indexes = deferred.len() - keys;
        let what = match keys {
            0 => format!("{indexes} indexes"),
            1 => format!("{indexes} indexes and a foreign key"),
            _ => format!("{indexes} indexes and {keys} foreign keys"),
        };
        println!("{what} are built after the cases");
    }
    let mut city = City::new(&args, &cells, taxonomy.categories(), calendar, now);
    let counts = city.cases_per_cell(args.cases);
    let reports = city.report_times(&counts);
    let started = Instant::now();
    let (written, events_written, rollups) = match write_batches(
        &mut conn,
        city,
        &cells,
        &reports,
        args.cases_per_batch,
        rollups,
    ) {
        Ok(written) => written,
        Err(e) => {
            // The cases written stay; the indexes are built now if the database still
            // answers, else by whatever opens the store next.
            if !deferred.is_empty()
                && let Err(restore) = crate::store::deferred_indexes::restore(&mut conn)
            {
                eprintln!(
                    "gridline: the indexes dropped for the load are built when the store is next opened ({restore})"
                );
            }
            return Err(e);
        }
    };
    if let Some(rollups) = rollups {
        rollups.finish(&mut conn).map_err(super::user::database)?;
    }
    let indexed = Instant::now();
    let built = crate::store::deferred_indexes::restore(&mut conn).map_err(super::user::database)?;
    if !built.is_empty() {
        println!("built them in {:.1} s", indexed.elapsed().as_secs_f64());
    }
    let seeded = started.elapsed().as_secs_f64();
    let settled = Instant::now();
    crate::store::seed::settle(&mut conn).map_err(super::user::database)?;
    println!(
        "seeded {written} cases with {events_written} events over {} days in {} cells in {seeded:.1} s \
         (and {:.1} s to vacuum and analyze)",
        args.days,
        cells.len(),
        settled.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Generates and prepares the batches on one thread and writes them on this one, so that the
/// database stores a batch while the next is generated and counted (a 100,000-case seed spent
/// about a third of its time generating and counting, the database idle meanwhile). Returns the
/// cases and events written and the roll-ups' counter, its coarse rows still held.
fn write_batches(
    conn: &mut DbConnection,
    city: City<'_>,
    cells: &[GridCell],
    reports: &[Report],
    cases_per_batch: usize,
    rollups: Option<SeedRollups>,
) -> Result<(u64, u64, Option<SeedRollups>), CliError> {
    let started = Instant::now();
    let centres: Vec<(f64, f64)> = cells.iter().map(centre).collect();
    // One batch waits while one is written and the next is made: three in memory at most.
    let (sender, receiver) = std::sync::mpsc::sync_channel::<PreparedBatch>(1);
    std::thread::scope(|scope| {
        let generator = scope.spawn(move || {
            let (mut city, mut rollups) = (city, rollups);
            for chunk in reports.chunks(cases_per_batch) {
                let mut cases = Vec::with_capacity(chunk.len());
                let mut events = Vec::new();
                for report in chunk {
                    let cell = report.cell as usize;
                    let (case, history) = city.case(&cells[cell], centres[cell], report.at);
                    cases.push(case);
                    events.extend(history);
                }
                let batch = prepare_batch(rollups.as_mut(), cases, events)?;
                if sender.send(batch).is_err() {
                    // The writer stopped on an error, which it reports.
                    break;
                }
            }
            Ok::<_, StoreError>(rollups)
        });
        let (mut written, mut events_written) = (0u64, 0u64);
        let mut failed = None;
        for batch in receiver.iter() {
            let (cases, events) = (batch.cases() as u64, batch.events() as u64);
            if let Err(e) = write_batch(conn, batch) {
                failed = Some(e);
                break;
            }
            written += cases;
            events_written += events;
            let seconds = started.elapsed().as_secs_f64();
            eprint!(
                "\r{written} cases, {events_written} events, {:.0} cases/s   ",
                written as f64 / seconds.max(0.001)
            );
        }
        drop(receiver);
        eprintln!();
        let rollups = generator
            .join()
            .map_err(|_| CliError::failure("the case generator stopped unexpectedly"))?
            .map_err(super::user::database)?;
        match failed {
            Some(e) => Err(super::user::database(e)),
            None => Ok((written, events_written, rollups)),
        }
    })
}

/// The generator: the city's shape and its random source.
struct City<'a> {
    rng: StdRng,
    now: DateTime<Utc>,
    days: u32,
    /// Cumulative weights of the days, oldest first.
    day_weights: Vec<f64>,
    categories: &'a [Category],
    /// Cumulative weights of the categories (Zipf: the k-th is 1/k as common as the first).
    category_weights: Vec<f64>,
    calendar: WorkingCalendar,
    cell_count: usize,
    tracking_salt: u64,
    tracking_counter: u64,
}

fn cumulative(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    weights
        .scan(0.0, |sum, w| {
            *sum += w;
            Some(*sum)
        })
        .collect()
}

/// The index a uniform draw falls on in cumulative weights.
fn pick(rng: &mut StdRng, cumulative: &[f64]) -> usize {
    let total = cumulative.last().copied().unwrap_or(0.0);
    let x = rng.random::<f64>() * total;
    cumulative.partition_point(|c| *c <= x).min(cumulative.len().saturating_sub(1))
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut StdRng) -> f64 {
    let (u, v): (f64, f64) = (rng.random::<f64>().max(f64::MIN_POSITIVE), rng.random());
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

fn minutes(rng: &mut StdRng, low: i64, high: i64) -> Duration {
    Duration::minutes(rng.random_range(low..high))
}

impl<'a> City<'a> {
    fn new(
        args: &SeedArgs,
        cells: &[GridCell],
        categories: &'a [Category],
        calendar: WorkingCalendar,
        now: DateTime<Utc>,
    ) -> Self {
        let mut rng = StdRng::seed_from_u64(args.seed);
        let first_day = (now - Duration::days(i64::from(args.days))).date_naive();
        let day_weights = cumulative((0..args.days).map(|d| {
            let date = first_day + Duration::days(i64::from(d));
            let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
            let storm = rng.random::<f64>() < 0.04;
            (if weekend { 0.7 } else { 1.0 }) * (if storm { 3.0 } else { 1.0 })
        }));
        let category_weights = cumulative((1..=categories.len()).map(|k| 1.0 / k as f64));
        let tracking_salt = rng.random::<u64>();
        City {
            rng,
            now,
            days: args.days,
            day_weights,
            categories,
            category_weights,
            calendar,
            cell_count: cells.len(),
            tracking_salt,
            tracking_counter: 0,
        }
    }

    /// How many cases each cell gets: log-normal weights, rounded so they add up to `total`.
    fn cases_per_cell(&mut self, total: u64) -> Vec<u64> {
        let weights: Vec<f64> = (0..self.cell_count).map(|_| (1.1 * normal(&mut self.rng)).exp()).collect();
        let sum: f64 = weights.iter().sum();
        let exact: Vec<f64> = weights.iter().map(|w| w / sum * total as f64).collect();
        let mut counts: Vec<u64> = exact.iter().map(|e| e.floor() as u64).collect();
        let mut by_remainder: Vec<usize> = (0..counts.len()).collect();
        by_remainder
            .sort_by(|a, b| (exact[*b] - exact[*b].floor()).total_cmp(&(exact[*a] - exact[*a].floor())));
        let short = total.saturating_sub(counts.iter().sum());
        for i in by_remainder.into_iter().cycle().take(short as usize) {
            counts[i] += 1;
        }
        counts
    }

    /// A report time: a day by its weight, an hour mostly of the waking day in Beijing.
    fn report_time(&mut self) -> DateTime<Utc> {
        let day = pick(&mut self.rng, &self.day_weights) as i64;
        let date = (self.now - Duration::days(i64::from(self.days) - day)).date_naive();
        let hour = if self.rng.random::<f64>() < 0.85 {
            self.rng.random_range(7..22)
        } else {
            self.rng.random_range(0..24)
        };
        let local = date.and_time(NaiveTime::MIN) + Duration::hours(hour) + minutes(&mut self.rng, 0, 60);
        let at = chrono::FixedOffset::east_opt(8 * 3600)
            .and_then(|beijing| beijing.from_local_datetime(&local).earliest())
            .map_or(self.now, |t| t.with_timezone(&Utc));
        at.min(self.now - Duration::minutes(1))
    }

    /// A tracking number unique within this run: the counter through a bijection of the
    /// suffix's 2^30 values, so numbers look random and never repeat.
    fn tracking_number(&mut self, at: DateTime<Utc>) -> String {
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        let mixed = (self.tracking_counter.wrapping_mul(0x9E37_79B1).wrapping_add(self.tracking_salt))
            & ((1 << 30) - 1);
        self.tracking_counter += 1;
        let suffix: String =
            (0..6).map(|i| ALPHABET[((mixed >> (25 - 5 * i)) & 31) as usize] as char).collect();
        format!("GL-{}-{suffix}", at.format("%y%m%d"))
    }

    /// When each case of each cell (`counts`, by cell) is reported, in the order they were:
    /// a third of a cell's reports follow the one before them by minutes to hours, the rest
    /// fall on a day by its weight. Ties keep the cells' order, so a seed writes the same city.
    fn report_times(&mut self, counts: &[u64]) -> Vec<Report> {
        let total = usize::try_from(counts.iter().sum::<u64>()).unwrap_or(usize::MAX);
        let mut reports = Vec::with_capacity(total);
        for (cell, count) in (0u32..).zip(counts) {
            let mut previous: Option<DateTime<Utc>> = None;
            for _ in 0..*count {
                let at = match previous {
                    Some(before) if self.rng.random::<f64>() < 0.35 => {
                        (before + minutes(&mut self.rng, 1, 360)).min(self.now - Duration::minutes(1))
                    }
                    _ => self.report_time(),
                };
                previous = Some(at);
                reports.push(Report { at, cell });
            }
        }
        reports.sort_by_key(|report| report.at);
        reports
    }

    fn case(
        &mut self,
        cell: &GridCell,
        (lat, lon): (f64, f64),
        at: DateTime<Utc>,
    ) -> (SeededCase, Vec<EventRow>) {
        let categories = self.categories;
        let category = &categories[pick(&mut self.rng, &self.category_weights)];
        let channel =
            CHANNEL_SHARES[pick(&mut self.rng, &cumulative(CHANNEL_SHARES.iter().map(|(_, s)| *s)))].0;
        let reporter_role = match channel {
            Channel::App | Channel::Web => Some(Role::Citizen.as_str().to_owned()),
            Channel::Inspector => Some(Role::Inspector.as_str().to_owned()),
            Channel::Open311 => Some(crate::open311::requests::ROLE.to_owned()),
            Channel::Hotline | Channel::Sensor => None,
        };
        let code = cell.code.to_string();
        let jitter = |rng: &mut StdRng| (rng.random::<f64>() - 0.5) * 0.0004;
        let row = CaseRow {
            // Minted at its report time, as a live city's would be: the year spreads over the
            // months (PostgreSQL's monthly partitions) as it would have been filed.
            id: CaseId::minted_at(at),
            tracking_number: self.tracking_number(at),
            idempotency_key: Uuid::new_v4().to_string(),
            request_sha256: "seeded".to_owned(),
            reporter_id: None,
            reporter_role,
            anonymous: false,
            category_code: category.code,
            // Both languages, as the city's reports come: the search benchmark looks for either.
            description: format!("{}：{} (seeded report)", category.names.zh, category.names.en),
            lat: lat + jitter(&mut self.rng),
            lon: lon + jitter(&mut self.rng),
            accuracy_m: Some(8.0),
            submitted_crs: "wgs84".to_owned(),
            captured_at: None,
            state: CaseState::Reported,
            grid_code: Some(cell.code),
            community_code: Some(code[..12].to_owned()),
            street_code: Some(code[..9].to_owned()),
            district_code: Some(code[..6].to_owned()),
            routing_outcome: "inside".to_owned(),
            routing_distance_m: Some(0.0),
            geotag_verdict: "no_photo".to_owned(),
            answers: "{}".to_owned(),
            handling_time_limit: Some(category.time_limit.to_string()),
            handling_unit: None,
            version: 1,
            created_at: at.naive_utc(),
            updated_at: at.naive_utc(),
            channel,
            verifier_id: None,
            urgency: gridline_core::workflow::Urgency::Normal,
        };
        let mut history = History::new(&row, at, self.now);
        history.live(&mut self.rng, category, channel, &self.calendar);
        let mut row = row;
        row.state = history.state;
        row.handling_unit = history.unit.clone();
        row.version = history.events.len() as i32;
        row.updated_at = history.at.naive_utc();
        let case = SeededCase {
            row,
            deadline: history.deadline.map(|d| d.naive_utc()),
            overdue: history.overdue,
            merged_into: None,
            rating: history.rating,
        };
        (case, history.events)
    }
}

/// A case to write: when it was reported and in which cell (an index into the seed's cells).
struct Report {
    at: DateTime<Utc>,
    cell: u32,
}

/// A cell's centre (latitude, longitude): the mean of its outer ring's corners, where its
/// cases are reported (with a few metres of jitter).
fn centre(cell: &GridCell) -> (f64, f64) {
    let ring = cell.geometry.polygons().first().and_then(|p| p.first()).cloned().unwrap_or_default();
    let n = ring.len().max(1) as f64;
    let (lon, lat) = ring.iter().fold((0.0, 0.0), |(x, y), [lon, lat]| (x + lon / n, y + lat / n));
    (lat, lon)
}

/// A case's history as it is generated, and what it leaves on the case row.
struct History {
    case_id: CaseId,
    street: Option<String>,
    now: DateTime<Utc>,
    events: Vec<EventRow>,
    state: CaseState,
    at: DateTime<Utc>,
    unit: Option<String>,
    deadline: Option<DateTime<Utc>>,
    overdue: bool,
    rating: Option<i32>,
}

impl History {
    fn new(case: &CaseRow, at: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        History {
            case_id: case.id,
            street: case.street_code.clone(),
            now,
            events: vec![events::reported(case, at)],
            state: CaseState::Reported,
            at,
            unit: None,
            deadline: None,
            overdue: false,
            rating: None,
        }
    }

    /// Takes `action` as `role` at `at` if that is before now and core allows it from the
    /// current state; whether it was taken.
    fn take(&mut self, action: Action, role: Role, at: DateTime<Utc>, details: Value) -> bool {
        let at = at.max(self.at);
        if at >= self.now {
            return false;
        }
        let Ok(transition) = workflow::decide(self.state, action, role) else { return false };
        self.events.push(events::seeded(
            self.case_id,
            action.as_str(),
            (Some(self.state), transition.to),
            role,
            details,
            at,
        ));
        self.state = transition.to;
        self.at = at;
        true
    }

    fn deadline_text(&self) -> Value {
        self.deadline.map(|d| json!(rfc3339(d.naive_utc()))).unwrap_or(Value::Null)
    }

    /// The case's life from `reported` on, as far as now.
    fn live(&mut self, rng: &mut StdRng, category: &Category, channel: Channel, calendar: &WorkingCalendar) {
        let start = self.at;
        if rng.random::<f64>() < 0.07 {
            self.take(Action::Reject, Role::Dispatcher, start + minutes(rng, 5, 240), json!({}));
            return;
        }
        if !self.take(Action::Register, Role::Dispatcher, start + minutes(rng, 5, 240), json!({})) {
            return;
        }
        let unit = category.default_unit.clone().unwrap_or_else(|| FALLBACK_UNIT.to_owned());
        for cycle in 0..2 {
            let at = self.at + minutes(rng, 10, 180);
            let deadline = calendar.deadline(at, category.time_limit).ok();
            let before = (self.unit.clone(), self.deadline);
            self.unit = Some(unit.clone());
            self.deadline = deadline;
            let details = json!({ "handling_unit": unit, "deadline": self.deadline_text() });
            if !self.take(Action::Dispatch, Role::Dispatcher, at, details) {
                (self.unit, self.deadline) = before;
                return;
            }
            if cycle == 0 && rng.random::<f64>() < 0.04 {
                let back = self.at + minutes(rng, 10, 240);
                if !self.take(Action::SendBack, Role::Handler, back, json!({ "handling_unit": unit })) {
                    return;
                }
                (self.unit, self.deadline) = (None, None);
                continue;
            }
            break;
        }
        for rework in 0..2 {
            if !self.take(Action::Accept, Role::Handler, self.at + minutes(rng, 10, 300), json!({})) {
                return;
            }
            if rework == 0 && rng.random::<f64>() < 0.05 {
                let later = self.deadline.unwrap_or(self.at) + Duration::days(2);
                let extended = self.deadline.replace(later);
                let details = json!({ "deadline": self.deadline_text(), "extension": 1 });
                if self.take(Action::Extend, Role::Dispatcher, self.at + minutes(rng, 30, 600), details) {
                    self.overdue = false;
                } else {
                    self.deadline = extended;
                }
            }
            let handled_at = match self.deadline {
                Some(due) if rng.random::<f64>() < 0.85 => {
                    let span = (due - self.at).num_minutes().max(20);
                    self.at + Duration::minutes(rng.random_range(span / 10..span))
                }
                Some(due) => due + minutes(rng, 60, 4320),
                None => self.at + minutes(rng, 60, 2880),
            };
            if let Some(due) = self.deadline.filter(|due| *due < handled_at && !self.overdue) {
                let marked = due + Duration::minutes(1);
                let deadline = self.deadline_text();
                if self.take(Action::MarkOverdue, Role::System, marked, json!({ "deadline": deadline })) {
                    self.overdue = true;
                    let to = json!({ "role": Role::Dispatcher.as_str(), "street": self.street });
                    self.take(
                        Action::Escalate,
                        Role::System,
                        marked,
                        json!({ "deadline": deadline, "to": to }),
                    );
                }
            }
            if !self.take(Action::MarkHandled, Role::Handler, handled_at, json!({})) {
                return;
            }
            let verify_at = self.at + minutes(rng, 30, 1440);
            if rng.random::<f64>() < 0.9 || rework == 1 {
                if !self.take(Action::VerifyPass, Role::Inspector, verify_at, json!({})) {
                    return;
                }
                break;
            }
            if !self.take(Action::VerifyFail, Role::Inspector, verify_at, json!({})) {
                return;
            }
        }
        let rated = matches!(channel, Channel::App | Channel::Web) && rng.random::<f64>() < 0.3;
        if self.state == CaseState::Closed && rated {
            let rating = rng.random_range(1..=5);
            if self.take(
                Action::Rate,
                Role::Citizen,
                self.at + minutes(rng, 60, 4320),
                json!({ "rating": rating }),
            ) {
                self.rating = Some(rating);
            }
        }
    }
}
