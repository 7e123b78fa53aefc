//! `gridline simulate`: a field simulation against a running server. Each simulated person is a
//! real device core with its own store in a temporary folder: citizens sign in with an
//! anonymous device account and file reports with generated photos at random places inside the
//! city's grid cells; inspectors sign in with staff credentials, patrol (a position of their
//! track recorded where they walk, kept on the device and uploaded with every sync, as the
//! app's patrol screen does), file what they find on patrol and work their list (verifying
//! handled cases on site). `--drop-rate` makes the devices'
//! transport lose that fraction of requests, half before the server sees them and half after
//! it has answered. At the end every device settles its outbox and the numbers are checked
//! against the server's own lists: sent (queued on the device), acknowledged (the server's
//! receipt reached the device) and confirmed (the server lists the report as the reporter's).
//! Each device also pulls its own reports (and an inspector its work list) by cursor after its
//! outbox, as the app does; the final counts say how many receipts the pulled lists hold.
//!
//! Devices keep working past the access token's 15-minute lifetime: every call goes through
//! the device's session, which refreshes the token once when the server answers 401.
//!
//! It doubles as a demo and a load generator; [`simulate`] is the library entry point that
//! tests call against a harness server.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use gridline_core::device::{
    BackoffPolicy, CaseAction, Device, DeviceConfig, DraftFields, HttpHeader, HttpRequest, HttpResponse,
    HttpTimeouts, HttpTransport, ItemKind, ItemStatus, Position, PullList, SyncOutcome, Tokens, Transport,
    TransportError,
};
use gridline_core::geo::{Crs, GeoPoint};
use gridline_core::grid::{GeneratorOptions, GridCell, GridIndex, How, Route, generate_city};
use gridline_core::photo::{PhotoOptions, PreparedPhoto, prepare};
use gridline_core::taxonomy::{Category, Taxonomy};
use gridline_core::workflow::{Action, CaseState, Role};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use super::{CliError, CliResult};

#[derive(Debug, Clone, Args)]
pub struct SimulateArgs {
    /// The server's base URL, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    pub server: String,
    /// Simulated citizens (anonymous device accounts).
    #[arg(long, default_value_t = 3)]
    pub citizens: usize,
    /// Simulated grid inspectors (they need --inspector-login and --inspector-password).
    #[arg(long, default_value_t = 0)]
    pub inspectors: usize,
    /// How long people keep filing, in minutes (fractions allowed: 0.1 is six seconds).
    #[arg(long, default_value_t = 1.0)]
    pub minutes: f64,
    /// Fraction of requests the devices' network loses (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    pub drop_rate: f64,
    /// Seed for places, photos, pauses and losses.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Mean pause between one person's reports, in milliseconds.
    #[arg(long, default_value_t = 1500)]
    pub pause_ms: u64,
    /// The inspectors' staff login (the demo server prints one).
    #[arg(long, env = "GRIDLINE_SIM_INSPECTOR_LOGIN")]
    pub inspector_login: Option<String>,
    /// The inspectors' password.
    #[arg(long, env = "GRIDLINE_SIM_INSPECTOR_PASSWORD", hide_env_values = true)]
    pub inspector_password: Option<String>,
    /// The city's cells are generated like the demo city's: this many cells ...
    #[arg(long, default_value_t = crate::demo::DEMO_CELLS)]
    pub city_cells: usize,
    /// ... from this seed.
    #[arg(long, default_value_t = 2026)]
    pub city_seed: u64,
    /// A sensor fleet sending alarms beside the people (`--sensors N`).
    #[command(flatten)]
    pub fleet: super::sensor_fleet::FleetArgs,
}

/// What one run did, summed over every device.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SimulationReport {
    /// Reports queued on the devices.
    pub sent: u64,
    /// Reports whose receipt reached the device.
    pub acknowledged: u64,
    /// Reports the server lists as the reporter's own (GET /reports/mine), matched by id.
    pub confirmed: u64,
    /// Acknowledged reports that could not be checked: the server lists only the newest
    /// [`MINE_LIMIT`] reports of an account.
    pub beyond_list: u64,
    /// Reports the server placed inside a grid cell (the rest went to triage or nearest).
    pub placed_inside: u64,
    /// Items the server refused or found in conflict (shown to the user on a phone).
    pub parked: u64,
    /// Photos attached to the reports sent.
    pub photos: u64,
    /// Work-list reads after a fresh pull, and on-site verifications acknowledged.
    pub worklist_fetches: u64,
    pub verifications: u64,
    /// Whether the server has the work list (`GET /api/v1/worklist`).
    pub worklist_available: bool,
    /// List pages pulled by cursor (own reports, work lists), summed over the devices.
    pub pulls: u64,
    /// Acknowledged reports that the device's pulled list of its own reports holds at the end.
    pub pulled_confirmed: u64,
    /// Cases in the inspectors' pulled work lists at the end.
    pub worklist_cached: u64,
    /// Patrol positions the inspectors' devices recorded, and those the server answered for
    /// (new to it or already held from a resent batch); positions still waiting at the end are
    /// a mismatch.
    pub track_recorded: u64,
    pub track_acknowledged: u64,
    /// Of the acknowledged positions, the ones the server stored as new.
    pub track_stored: u64,
    /// Requests the simulated network lost before the server, and after it answered.
    pub dropped_before: u64,
    pub dropped_after: u64,
    /// Receipts held by devices that the server's own lists do not show, and the reverse.
    pub mismatches: Vec<String>,
}

pub fn run(args: SimulateArgs) -> CliResult {
    if !(0.0..1.0).contains(&args.drop_rate) {
        return Err(CliError::input(format!("--drop-rate: expected 0 <= P < 1, got {}", args.drop_rate)));
    }
    if !(args.minutes.is_finite() && args.minutes >= 0.0) {
        return Err(CliError::input(format!("--minutes: expected a duration >= 0, got {}", args.minutes)));
    }
    let fleet = (args.fleet.sensors > 0).then(|| {
        let args = args.clone();
        std::thread::spawn(move || {
            let cells =
                generate_city(GeneratorOptions { cells: args.city_cells, seed: args.city_seed, bbox: None })
                    .map_err(|e| e.to_string())?;
            let server = args.server.trim_end_matches('/');
            super::sensor_fleet::run_fleet(
                server,
                &cells,
                &args.fleet,
                args.minutes,
                args.drop_rate,
                args.seed,
            )
        })
    });
    let report = simulate(&args)?;
    if let Some(fleet) = fleet {
        let fleet = fleet
            .join()
            .map_err(|_| CliError::failure("the sensor fleet crashed"))?
            .map_err(|e| CliError::failure(format!("sensor fleet: {e}")))?;
        println!(
            "sensors       {} alarms sent, {} acknowledged ({} replayed after {} lost answers)",
            fleet.sent, fleet.acknowledged, fleet.replayed, fleet.resent_batches
        );
        println!(
            "sensor rules  {} alarm groups (cases), {} in the storm's cell; {} of {} flapping devices flagged faulty",
            fleet.groups, fleet.storm_groups, fleet.flagged_faulty, fleet.flapping
        );
        if fleet.sent != fleet.acknowledged {
            return Err(CliError::failure("the sensor fleet's alarms were not all acknowledged"));
        }
    }
    println!("sent          {}", report.sent);
    println!("acknowledged  {}", report.acknowledged);
    println!("confirmed     {}", report.confirmed);
    if report.beyond_list > 0 {
        println!("not checkable {} (older than the newest {MINE_LIMIT} of an account)", report.beyond_list);
    }
    println!(
        "pulled        {} of the acknowledged in the devices' own lists ({} pages)",
        report.pulled_confirmed, report.pulls
    );
    println!("placed inside {}", report.placed_inside);
    println!("photos        {}", report.photos);
    println!("parked        {}", report.parked);
    if report.worklist_available {
        println!(
            "worklist      {} fetches, {} verifications, {} cases cached at the end",
            report.worklist_fetches, report.verifications, report.worklist_cached
        );
    } else if args.inspectors > 0 {
        println!("worklist      not on this server: inspectors only filed reports");
    }
    if args.inspectors > 0 {
        println!(
            "patrol        {} positions recorded, {} acknowledged by the server ({} new to it)",
            report.track_recorded, report.track_acknowledged, report.track_stored
        );
    }
    println!(
        "network lost  {} before the server, {} after it answered",
        report.dropped_before, report.dropped_after
    );
    for mismatch in &report.mismatches {
        println!("MISMATCH      {mismatch}");
    }
    if report.mismatches.is_empty()
        && report.sent == report.acknowledged
        && report.acknowledged == report.confirmed + report.beyond_list
        && report.track_recorded == report.track_acknowledged
    {
        println!("counts match the server");
        Ok(())
    } else {
        Err(CliError::failure("the device counts do not match the server's"))
    }
}

/// A transport that loses a fraction of requests: half before they leave the device, half
/// after the server has answered (the answer is thrown away), like a flaky mobile network.
struct LossyTransport {
    inner: HttpTransport,
    drop_rate: f64,
    rng: Mutex<StdRng>,
    dropped_before: AtomicU64,
    dropped_after: AtomicU64,
}

impl LossyTransport {
    fn new(drop_rate: f64, seed: u64) -> Self {
        let timeouts = HttpTimeouts { connect: Duration::from_secs(5), total: Duration::from_secs(30) };
        Self {
            inner: HttpTransport::new(timeouts),
            drop_rate,
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            dropped_before: AtomicU64::new(0),
            dropped_after: AtomicU64::new(0),
        }
    }
}

impl Transport for LossyTransport {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let roll: f64 = self.rng.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).random();
        if roll < self.drop_rate / 2.0 {
            self.dropped_before.fetch_add(1, Ordering::Relaxed);
            return Err(TransportError::Unreachable { message: "simulated loss before sending".into() });
        }
        // A refresh whose answer is lost leaves the device with a rotated refresh token, which
        // the server treats as stolen when it comes back (the whole family is revoked). A real
        // phone then signs in again; simulated devices keep one account for the counts, so
        // they only lose refreshes before the server sees them.
        let is_refresh = request.url.ends_with(REFRESH_PATH);
        let response = self.inner.send(request)?;
        if roll < self.drop_rate && !is_refresh {
            self.dropped_after.fetch_add(1, Ordering::Relaxed);
            return Err(TransportError::Interrupted { message: "simulated loss of the answer".into() });
        }
        Ok(response)
    }
}

const REFRESH_PATH: &str = "/api/v1/auth/refresh";

/// Most reports `GET /api/v1/reports/mine` answers at once.
const MINE_LIMIT: usize = 200;

/// Who a simulated device is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Person {
    Citizen,
    Inspector,
}

/// What every device shares: the server, the city, the categories, the settings.
struct World {
    server: String,
    cells: Vec<GridCell>,
    index: GridIndex,
    categories: Vec<String>,
    deadline: Instant,
    args: SimulateArgs,
    worklist_available: Mutex<Option<bool>>,
}

/// Runs the simulation described by `args` and checks the devices' counts against the server.
pub fn simulate(args: &SimulateArgs) -> Result<SimulationReport, CliError> {
    let server = args.server.trim_end_matches('/').to_owned();
    let cells = generate_city(GeneratorOptions { cells: args.city_cells, seed: args.city_seed, bbox: None })
        .map_err(|e| CliError::input(format!("--city-cells/--city-seed: {e}")))?;
    let index = GridIndex::build(&cells).map_err(|e| CliError::failure(format!("grid index: {e}")))?;
    let probe = LossyTransport::new(0.0, 0);
    let categories = reportable_categories(&probe, &server)?;
    if args.inspectors > 0 && (args.inspector_login.is_none() || args.inspector_password.is_none()) {
        return Err(CliError::input("--inspectors needs --inspector-login and --inspector-password"));
    }
    let run_for = Duration::from_secs_f64(args.minutes * 60.0);
    let world = Arc::new(World {
        server,
        cells,
        index,
        categories,
        deadline: Instant::now() + run_for,
        args: args.clone(),
        worklist_available: Mutex::new(None),
    });
    let people = std::iter::repeat_n(Person::Citizen, args.citizens)
        .chain(std::iter::repeat_n(Person::Inspector, args.inspectors))
        .enumerate();
    let handles: Vec<_> = people
        .map(|(n, person)| {
            let world = world.clone();
            std::thread::spawn(move || run_person(&world, person, n as u64))
        })
        .collect();
    let mut total = SimulationReport::default();
    for handle in handles {
        let one = handle.join().map_err(|_| CliError::failure("a simulated device crashed"))??;
        total.sent += one.sent;
        total.acknowledged += one.acknowledged;
        total.confirmed += one.confirmed;
        total.beyond_list += one.beyond_list;
        total.placed_inside += one.placed_inside;
        total.parked += one.parked;
        total.photos += one.photos;
        total.worklist_fetches += one.worklist_fetches;
        total.pulls += one.pulls;
        total.pulled_confirmed += one.pulled_confirmed;
        total.worklist_cached += one.worklist_cached;
        total.verifications += one.verifications;
        total.track_recorded += one.track_recorded;
        total.track_acknowledged += one.track_acknowledged;
        total.track_stored += one.track_stored;
        total.dropped_before += one.dropped_before;
        total.dropped_after += one.dropped_after;
        total.mismatches.extend(one.mismatches);
    }
    total.worklist_available =
        world.worklist_available.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).unwrap_or(false);
    Ok(total)
}

/// Categories the server offers that the device's taxonomy knows and that ask no required
/// question (the simulator does not make up answers).
fn reportable_categories(transport: &dyn Transport, server: &str) -> Result<Vec<String>, CliError> {
    let answer = call(transport, "GET", &format!("{server}/api/v1/categories"), None)
        .map_err(|e| CliError::failure(format!("GET /api/v1/categories: {e}")))?;
    let offered: Vec<Category> = serde_json::from_value(answer["categories"].clone())
        .map_err(|e| CliError::failure(format!("GET /api/v1/categories: expected a category list: {e}")))?;
    let known = Taxonomy::default_taxonomy().map_err(|e| CliError::failure(e.to_string()))?;
    let usable: Vec<String> = offered
        .iter()
        .filter(|c| known.get(c.code).is_some() && c.questions.iter().all(|q| !q.required))
        .map(|c| c.code.to_string())
        .collect();
    if usable.is_empty() {
        return Err(CliError::failure("the server offers no category without required questions"));
    }
    Ok(usable)
}

/// One JSON exchange before there is a session (categories, sign-in), retried through
/// simulated losses.
fn call(transport: &dyn Transport, method: &str, url: &str, body: Option<&Value>) -> Result<Value, String> {
    let mut headers = vec![HttpHeader { name: "Accept".into(), value: "application/json".into() }];
    if body.is_some() {
        headers.push(HttpHeader { name: "Content-Type".into(), value: "application/json".into() });
    }
    let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    let request = HttpRequest { method: method.into(), url: url.into(), headers, body };
    let mut last = String::new();
    for attempt in 0..20u32 {
        match transport.send(request.clone()) {
            Ok(response) if (200..300).contains(&response.status) => {
                return serde_json::from_slice(&response.body).map_err(|e| format!("expected JSON: {e}"));
            }
            Ok(response) => return Err(format!("the server answered {}", response.status)),
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(Duration::from_millis(20 * u64::from(attempt + 1)));
    }
    Err(last)
}

/// One JSON exchange with the device's session (refreshed once on 401), retried through
/// simulated losses.
fn call_authorized(device: &Device, url: &str) -> Result<Value, String> {
    let headers = vec![HttpHeader { name: "Accept".into(), value: "application/json".into() }];
    let request = HttpRequest { method: "GET".into(), url: url.into(), headers, body: Vec::new() };
    let mut last = String::new();
    for attempt in 0..20u32 {
        match device.sync().send_authorized(request.clone()) {
            Ok(response) if (200..300).contains(&response.status) => {
                return serde_json::from_slice(&response.body).map_err(|e| format!("expected JSON: {e}"));
            }
            Ok(response) => return Err(format!("the server answered {}", response.status)),
            Err(e @ gridline_core::device::Error::SignedOut) => return Err(e.to_string()),
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(Duration::from_millis(20 * u64::from(attempt + 1)));
    }
    Err(last)
}

fn tokens_of(answer: &Value) -> Result<Tokens, String> {
    let text = |k: &str| {
        answer[k].as_str().map(str::to_owned).ok_or_else(|| format!("expected `{k}` in the answer"))
    };
    Ok(Tokens { access_token: text("access_token")?, refresh_token: text("refresh_token")? })
}

/// A random point strictly inside a random cell (rejection sampling in the cell's bounds,
/// checked with the same routing the server uses).
fn place_in_city(world: &World, rng: &mut StdRng) -> Position {
    loop {
        let cell = &world.cells[rng.random_range(0..world.cells.len())];
        let ring = cell.geometry.polygons().first().and_then(|p| p.first()).cloned().unwrap_or_default();
        let (mut min_lon, mut min_lat, mut max_lon, mut max_lat) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for [lon, lat] in &ring {
            (min_lon, max_lon, min_lat, max_lat) =
                (min_lon.min(*lon), max_lon.max(*lon), min_lat.min(*lat), max_lat.max(*lat));
        }
        if ring.is_empty() {
            continue;
        }
        for _ in 0..20 {
            let lat = rng.random_range(min_lat..=max_lat);
            let lon = rng.random_range(min_lon..=max_lon);
            let Ok(point) = GeoPoint::new(lat, lon) else { continue };
            if let Route::Cell { code, how: How::Inside } = world.index.route(point)
                && code == cell.code
            {
                return Position { lat, lon, crs: Crs::Wgs84, accuracy_m: Some(rng.random_range(3.0..15.0)) };
            }
        }
    }
}

/// A small generated photo, different every time, prepared as the app prepares camera photos.
fn photo(rng: &mut StdRng) -> Result<PreparedPhoto, CliError> {
    let (r, g, b) = (rng.random::<u8>(), rng.random::<u8>(), rng.random::<u8>());
    let image = image::RgbImage::from_fn(96, 72, |x, y| {
        image::Rgb([r.wrapping_add(x as u8), g.wrapping_add(y as u8), b ^ ((x * y) as u8)])
    });
    let mut jpeg = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
        .map_err(|e| CliError::failure(format!("encoding a generated photo: {e}")))?;
    prepare(&jpeg, &PhotoOptions::default()).map_err(|e| CliError::failure(format!("preparing a photo: {e}")))
}

fn device_failure(what: &str, e: impl std::fmt::Display) -> CliError {
    CliError::failure(format!("{what}: {e}"))
}

fn run_person(world: &World, person: Person, n: u64) -> Result<SimulationReport, CliError> {
    let args = &world.args;
    let seed = args.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(n);
    let mut rng = StdRng::seed_from_u64(seed);
    let transport = Arc::new(LossyTransport::new(args.drop_rate, seed ^ 0xD20F));
    let folder = tempfile::tempdir().map_err(|e| device_failure("a temporary folder", e))?;
    let config = DeviceConfig {
        folder: folder.path().to_owned(),
        server_url: world.server.clone(),
        backoff: BackoffPolicy { base: Duration::from_millis(50), max: Duration::from_secs(2) },
    };
    let taxonomy = Taxonomy::default_taxonomy().map_err(|e| device_failure("taxonomy", e))?;
    let device =
        Device::open(config, transport.clone(), taxonomy).map_err(|e| device_failure("device store", e))?;

    let sign_in = match person {
        Person::Citizen => {
            call(transport.as_ref(), "POST", &format!("{}/api/v1/auth/anonymous", world.server), None)
        }
        Person::Inspector => {
            let body =
                serde_json::json!({ "login": args.inspector_login, "password": args.inspector_password });
            call(transport.as_ref(), "POST", &format!("{}/api/v1/auth/login", world.server), Some(&body))
        }
    };
    let tokens = sign_in.and_then(|a| tokens_of(&a)).map_err(|e| device_failure("sign-in", e))?;
    device.session().set(tokens).map_err(|e| device_failure("session", e))?;
    let lists = match person {
        Person::Inspector if worklist_on_server(world, &device)? => {
            vec![PullList::Worklist, PullList::MyReports]
        }
        _ => vec![PullList::MyReports],
    };
    device.sync().set_pull_lists(&lists);

    let mut report = SimulationReport::default();
    let mut pulls_seen = 0u64;
    let mut verified: HashSet<String> = HashSet::new();
    let mut number = 0u32;
    while Instant::now() < world.deadline {
        let category = world.categories[rng.random_range(0..world.categories.len())].clone();
        let fields = DraftFields {
            category: Some(category),
            description: format!("simulated report {number} from device {n}"),
            position: Some(place_in_city(world, &mut rng)),
            ..DraftFields::default()
        };
        number += 1;
        if person == Person::Inspector {
            // Walking to the place of the report: a position of the patrol track.
            let here = fields.position.unwrap_or_else(|| place_in_city(world, &mut rng));
            device
                .record_track_point(chrono::Utc::now(), here.lat, here.lon, here.accuracy_m)
                .map_err(|e| device_failure("patrol track", e))?;
            report.track_recorded += 1;
        }
        let draft = device.store().create_draft(&fields).map_err(|e| device_failure("draft", e))?;
        for _ in 0..rng.random_range(1..=2) {
            device.store().add_photo(&draft.id, &photo(&mut rng)?).map_err(|e| device_failure("photo", e))?;
            report.photos += 1;
        }
        device.submit(&draft.id).map_err(|e| device_failure("submit", e))?;
        report.sent += 1;
        if lists.contains(&PullList::Worklist) {
            pulls_seen = work_the_list(world, &device, pulls_seen, &mut verified, &mut rng, &mut report)?;
        }
        // A failed pass is retried at the next report or when settling.
        let _ = device.sync().sync_once();
        upload_track(&device, &mut report)?;
        let pause = rng.random_range(0..=2 * args.pause_ms);
        std::thread::sleep(
            Duration::from_millis(pause).min(world.deadline.saturating_duration_since(Instant::now())),
        );
    }
    let mut outcome =
        device.sync().sync_until_settled(Duration::from_secs(120)).map_err(|e| device_failure("sync", e))?;
    // However short the run or slow the machine, an inspector reads the list its last pull
    // brought before the shift ends, and the verifications that queues are sent too.
    if lists.contains(&PullList::Worklist) {
        let before = pulls_seen;
        pulls_seen = work_the_list(world, &device, pulls_seen, &mut verified, &mut rng, &mut report)?;
        if pulls_seen != before {
            outcome = device
                .sync()
                .sync_until_settled(Duration::from_secs(120))
                .map_err(|e| device_failure("sync", e))?;
        }
    }
    if outcome != SyncOutcome::Idle {
        report.mismatches.push(format!("device {n}: the outbox did not settle ({outcome:?})"));
    }
    // The track settles like the outbox: sent again until the server has answered for all.
    let settle_by = Instant::now() + Duration::from_secs(120);
    while device.track_waiting().map_err(|e| device_failure("patrol track", e))? > 0
        && Instant::now() < settle_by
    {
        upload_track(&device, &mut report)?;
        std::thread::sleep(Duration::from_millis(50));
    }
    let waiting = device.track_waiting().map_err(|e| device_failure("patrol track", e))?;
    if waiting > 0 {
        report.mismatches.push(format!("device {n}: {waiting} patrol positions never reached the server"));
    }
    confirm(world, &device, (person, n), &mut report)?;
    report.pulls = device.sync().pulls_completed();
    if lists.contains(&PullList::Worklist) {
        let cached =
            device.store().cached_cases(PullList::Worklist).map_err(|e| device_failure("cache", e))?;
        report.worklist_cached = cached.len() as u64;
    }
    report.dropped_before = transport.dropped_before.load(Ordering::Relaxed);
    report.dropped_after = transport.dropped_after.load(Ordering::Relaxed);
    Ok(report)
}

/// Uploads the device's waiting patrol positions (a lost request leaves them waiting).
fn upload_track(device: &Device, report: &mut SimulationReport) -> Result<(), CliError> {
    let done = device.upload_track().map_err(|e| device_failure("POST /api/v1/patrol/positions", e))?;
    report.track_acknowledged += done.acknowledged as u64;
    report.track_stored += done.stored as u64;
    Ok(())
}

/// Whether the server has the work list (`GET /api/v1/worklist`), asked once for all
/// inspectors.
fn worklist_on_server(world: &World, device: &Device) -> Result<bool, CliError> {
    let mut available = world.worklist_available.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(known) = *available {
        return Ok(known);
    }
    let known = match call_authorized(device, &format!("{}/api/v1/worklist?cursor=0", world.server)) {
        Ok(_) => true,
        Err(e) if e.contains("answered 404") => false,
        Err(e) => return Err(device_failure("GET /api/v1/worklist", e)),
    };
    *available = Some(known);
    Ok(known)
}

/// Reads the inspector's pulled work list (the device pulls it after its outbox) and queues an
/// on-site verification (with a photo, from where the case is) for every handled case; returns
/// the number of pulls seen so far.
fn work_the_list(
    world: &World,
    device: &Device,
    pulls_seen: u64,
    verified: &mut HashSet<String>,
    rng: &mut StdRng,
    report: &mut SimulationReport,
) -> Result<u64, CliError> {
    let pulls = device.sync().pulls_completed();
    if pulls == pulls_seen {
        return Ok(pulls);
    }
    report.worklist_fetches += 1;
    let cases = device.store().cached_cases(PullList::Worklist).map_err(|e| device_failure("cache", e))?;
    for cached in cases {
        if cached.state != CaseState::Handled.as_str() || !verified.insert(cached.id.clone()) {
            continue;
        }
        let case: Value = serde_json::from_str(&cached.json).unwrap_or(Value::Null);
        let position = match (case["position"]["lat"].as_f64(), case["position"]["lon"].as_f64()) {
            (Some(lat), Some(lon)) => Position { lat, lon, crs: Crs::Wgs84, accuracy_m: Some(5.0) },
            _ => place_in_city(world, rng),
        };
        let action = CaseAction {
            case_id: cached.id.clone(),
            action: Action::VerifyPass,
            reason: None,
            position: Some(position),
            rating: None,
            comment: None,
        };
        device
            .queue_action(&action, CaseState::Handled, Role::Inspector, &[photo(rng)?])
            .map_err(|e| device_failure("queue a verification", e))?;
    }
    Ok(pulls)
}

/// Counts what the device holds and compares it with the server's list of the device's own
/// reports: every receipt must be listed and, for a citizen (one account per device), nothing
/// else may be listed, or the server holds a report twice.
fn confirm(
    world: &World,
    device: &Device,
    (person, n): (Person, u64),
    report: &mut SimulationReport,
) -> Result<(), CliError> {
    let items = device.store().outbox(true).map_err(|e| device_failure("outbox", e))?;
    let mut receipts = HashSet::new();
    for item in &items {
        match (item.kind, item.status) {
            (ItemKind::Report, ItemStatus::Delivered) => {
                let receipt: Value = serde_json::from_str(item.server_result.as_deref().unwrap_or("null"))
                    .unwrap_or(Value::Null);
                if receipt["placement"]["outcome"] == "inside" {
                    report.placed_inside += 1;
                }
                match receipt["id"].as_str() {
                    Some(id) => {
                        receipts.insert(id.to_owned());
                    }
                    None => report.mismatches.push(format!("device {n}: a receipt without a case id")),
                }
            }
            (ItemKind::CaseAction, ItemStatus::Delivered) => report.verifications += 1,
            (_, ItemStatus::Failed | ItemStatus::Conflict) => report.parked += 1,
            _ => {}
        }
    }
    report.acknowledged = receipts.len() as u64;
    let url = format!("{}/api/v1/reports/mine?limit={MINE_LIMIT}", world.server);
    let mine = call_authorized(device, &url).map_err(|e| device_failure("GET /api/v1/reports/mine", e))?;
    let listed: HashSet<String> = mine["reports"]
        .as_array()
        .map(|reports| reports.iter().filter_map(|r| r["id"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    report.confirmed = receipts.intersection(&listed).count() as u64;
    // The final settle pulled the device's own list after its outbox: what the server lists
    // must be in it (the pull is incremental, so it may hold even more than the newest 200).
    let pulled: HashSet<String> = device
        .store()
        .cached_cases(PullList::MyReports)
        .map_err(|e| device_failure("cache", e))?
        .into_iter()
        .map(|c| c.id)
        .collect();
    report.pulled_confirmed = receipts.intersection(&pulled).count() as u64;
    // Inspectors share one staff account, so the others may file after this device's last pull.
    if person == Person::Citizen {
        for missing in listed.difference(&pulled) {
            report.mismatches.push(format!(
                "device {n}: case {missing} is listed by the server but not in the pulled list"
            ));
        }
    }
    // The list shows at most MINE_LIMIT reports, newest first: when full, older receipts
    // cannot be checked.
    if listed.len() >= MINE_LIMIT {
        report.beyond_list = receipts.difference(&listed).count() as u64;
    } else {
        for missing in receipts.difference(&listed) {
            report
                .mismatches
                .push(format!("device {n}: case {missing} acknowledged but not listed by the server"));
        }
        // Inspectors share one staff account, so their list also holds the others' reports.
        if person == Person::Citizen {
            for extra in listed.difference(&receipts) {
                report.mismatches.push(format!(
                    "device {n}: the server lists case {extra} that the device never acknowledged"
                ));
            }
        }
    }
    Ok(())
}
