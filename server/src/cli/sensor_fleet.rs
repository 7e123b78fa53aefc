//! Sensor fleets for `gridline simulate` (`--sensors N`): a sending system registered through
//! the admin API, N devices of the given kinds placed in the city's cells, and once a second
//! every device's behaviour sent as one batch of alarms (split at the intake's batch limit):
//!
//! - a healthy device raises an alarm now and then and clears it a few seconds later;
//! - a faulty device (`--fault-rate`) raises and never clears, repeating every second;
//! - a flapping device (`--flap-rate`) alternates alarm and all-clear every second, so the
//!   server flags it faulty once it passes its kind's hourly limit;
//! - at `--storm-minute`, `--storm-devices` extra water gauges in one cell (silent until then)
//!   all raise and keep repeating: the server's rules make that one grouped case.
//!
//! A batch whose answer is lost (`--drop-rate` of `simulate`) is sent again with the same ids,
//! so the server counts it once. At the end the fleet's counts are compared with the server's:
//! every alarm id the fleet sent was acknowledged, and the overview shows the groups and the
//! faulty devices the rules made.

use std::time::{Duration, Instant};

use clap::Args;
use gridline_core::device::{HttpHeader, HttpRequest, HttpTimeouts, HttpTransport, Transport};
use gridline_core::grid::GridCell;
use gridline_core::sensors::MAX_BATCH;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// The fleet's part of `gridline simulate`'s arguments.
#[derive(Debug, Clone, Default, Args)]
pub struct FleetArgs {
    /// Simulated sensors (0: no fleet); registering them needs --admin-login and --admin-password.
    #[arg(long, default_value_t = 0)]
    pub sensors: usize,
    /// Their kinds, in turn (comma-separated alarm kinds of the server's rules).
    #[arg(long, default_value = "water_level,manhole_cover,overflowing_bin")]
    pub sensor_kinds: String,
    /// Fraction of the sensors that are stuck alarming.
    #[arg(long, default_value_t = 0.0)]
    pub fault_rate: f64,
    /// Fraction of the sensors that alternate alarm and all-clear every second.
    #[arg(long, default_value_t = 0.0)]
    pub flap_rate: f64,
    /// The minute (from the start) at which a storm starts in one cell; none when unset.
    #[arg(long)]
    pub storm_minute: Option<f64>,
    /// Water gauges in the storm's cell.
    #[arg(long, default_value_t = 200)]
    pub storm_devices: usize,
    /// An admin's login, to register the sensor system and its devices.
    #[arg(long, env = "GRIDLINE_SIM_ADMIN_LOGIN")]
    pub admin_login: Option<String>,
    /// The admin's password.
    #[arg(long, env = "GRIDLINE_SIM_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
}

/// What the fleet did, and what the server made of it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FleetReport {
    /// Alarm messages sent (distinct ids) and acknowledged (in an answer, new or replayed).
    pub sent: u64,
    pub acknowledged: u64,
    /// Batches sent again after a lost answer, and the messages the server answered as replays.
    pub resent_batches: u64,
    pub replayed: u64,
    /// Devices that flapped, and devices the server lists as faulty at the end.
    pub flapping: u64,
    pub flagged_faulty: u64,
    /// Alarm groups (one case each) the server holds at the end, and those in the storm's cell.
    pub groups: u64,
    pub storm_groups: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Healthy,
    Stuck,
    Flapping,
    Storm,
}

struct Sensor {
    id: String,
    kind: String,
    behaviour: Behaviour,
    active: bool,
}

/// The fleet's HTTP: JSON over the device core's default transport, with an optional bearer.
struct Client {
    base: String,
    transport: HttpTransport,
    drop_rate: f64,
    rng: StdRng,
}

impl Client {
    fn send(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<Value, String> {
        let mut headers = vec![
            HttpHeader { name: "Accept".into(), value: "application/json".into() },
            HttpHeader { name: "Content-Type".into(), value: content_type.into() },
        ];
        if let Some(token) = token {
            headers.push(HttpHeader { name: "Authorization".into(), value: format!("Bearer {token}") });
        }
        let request =
            HttpRequest { method: method.into(), url: format!("{}{path}", self.base), headers, body };
        let response = self.transport.send(request).map_err(|e| format!("{method} {path}: {e}"))?;
        if !(200..300).contains(&response.status) {
            return Err(format!(
                "{method} {path}: {} {}",
                response.status,
                String::from_utf8_lossy(&response.body)
            ));
        }
        serde_json::from_slice(&response.body).map_err(|e| format!("{method} {path}: expected JSON: {e}"))
    }

    fn json(&mut self, method: &str, path: &str, token: Option<&str>, body: &Value) -> Result<Value, String> {
        let bytes = if body.is_null() { Vec::new() } else { body.to_string().into_bytes() };
        self.send(method, path, token, bytes, "application/json")
    }

    /// Sends a batch until an answer arrives; a lost answer (simulated) sends it again.
    fn alarms(&mut self, key: &str, batch: &[Value], report: &mut FleetReport) -> Result<(), String> {
        let body = json!({ "alarms": batch });
        for attempt in 0..20u32 {
            let answer = self.json("POST", "/api/v1/sensors/alarms", Some(key), &body)?;
            if self.rng.random::<f64>() < self.drop_rate {
                report.resent_batches += 1;
                std::thread::sleep(Duration::from_millis(10 * u64::from(attempt + 1)));
                continue;
            }
            let results = answer["results"].as_array().map_or(0, Vec::len) as u64;
            report.acknowledged += results;
            report.replayed += answer["replayed"].as_u64().unwrap_or(0);
            return Ok(());
        }
        Err("a batch of alarms was never answered".into())
    }
}

/// The mean of a cell's outer ring: inside the generated cells, which are convex.
fn centre(cell: &GridCell) -> (f64, f64) {
    let ring = cell.geometry.polygons().first().and_then(|p| p.first()).cloned().unwrap_or_default();
    let n = ring.len().max(1) as f64;
    let (lon, lat) = ring.iter().fold((0.0, 0.0), |(x, y), [lon, lat]| (x + lon, y + lat));
    (lat / n, lon / n)
}

/// Runs the fleet against `server` for `minutes`; `cells` are the city's.
pub fn run_fleet(
    server: &str,
    cells: &[GridCell],
    args: &FleetArgs,
    minutes: f64,
    drop_rate: f64,
    seed: u64,
) -> Result<FleetReport, String> {
    let (Some(login), Some(password)) = (&args.admin_login, &args.admin_password) else {
        return Err("--sensors needs --admin-login and --admin-password".into());
    };
    if cells.is_empty() {
        return Err("the city has no cells".into());
    }
    let timeouts = HttpTimeouts { connect: Duration::from_secs(5), total: Duration::from_secs(60) };
    let mut client = Client {
        base: server.to_owned(),
        transport: HttpTransport::new(timeouts),
        drop_rate,
        rng: StdRng::seed_from_u64(seed),
    };
    let admin =
        client.json("POST", "/api/v1/auth/login", None, &json!({ "login": login, "password": password }))?;
    let admin = admin["access_token"].as_str().ok_or("no access token for the admin")?.to_owned();
    let created = client.json(
        "POST",
        "/api/v1/admin/sensor-systems",
        Some(&admin),
        &json!({ "name": format!("simulated fleet {seed}") }),
    )?;
    let key = created["key"].as_str().ok_or("no key for the sensor system")?.to_owned();
    let system = created["sensor_system"]["id"].as_str().ok_or("no sensor system id")?.to_owned();

    let kinds: Vec<String> =
        args.sensor_kinds.split(',').map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()).collect();
    if kinds.is_empty() {
        return Err("--sensor-kinds: no kind given".into());
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let mut sensors = Vec::new();
    let mut csv = String::from("id,kind,lat,lon,owning_unit\n");
    for n in 0..args.sensors {
        let roll: f64 = rng.random();
        let behaviour = if roll < args.fault_rate {
            Behaviour::Stuck
        } else if roll < args.fault_rate + args.flap_rate {
            Behaviour::Flapping
        } else {
            Behaviour::Healthy
        };
        let kind = kinds[n % kinds.len()].clone();
        let (lat, lon) = centre(&cells[rng.random_range(0..cells.len())]);
        let id = format!("sim{seed}-{n}");
        csv.push_str(&format!("{id},{kind},{lat},{lon},street\n"));
        sensors.push(Sensor { id, kind, behaviour, active: false });
    }
    let storm_cell = &cells[rng.random_range(0..cells.len())];
    if args.storm_minute.is_some() {
        let (lat, lon) = centre(storm_cell);
        for n in 0..args.storm_devices {
            let id = format!("sim{seed}-storm-{n}");
            csv.push_str(&format!("{id},water_level,{lat},{lon},water\n"));
            sensors.push(Sensor {
                id,
                kind: "water_level".into(),
                behaviour: Behaviour::Storm,
                active: false,
            });
        }
    }
    if sensors.is_empty() {
        return Ok(FleetReport::default());
    }
    client.send(
        "POST",
        &format!("/api/v1/admin/sensor-systems/{system}/devices"),
        Some(&admin),
        csv.into_bytes(),
        "text/csv",
    )?;

    let mut report = FleetReport {
        flapping: sensors.iter().filter(|s| s.behaviour == Behaviour::Flapping).count() as u64,
        ..FleetReport::default()
    };
    let started = Instant::now();
    let run_for = Duration::from_secs_f64(minutes * 60.0);
    let storm_from = args.storm_minute.map(|m| Duration::from_secs_f64(m * 60.0));
    let mut tick = 0u64;
    while started.elapsed() < run_for {
        tick += 1;
        let storming = storm_from.is_some_and(|from| started.elapsed() >= from);
        let mut messages = Vec::new();
        for sensor in &mut sensors {
            let raise = match sensor.behaviour {
                Behaviour::Stuck => Some(true),
                Behaviour::Flapping => Some(!sensor.active),
                Behaviour::Storm => storming.then_some(true),
                Behaviour::Healthy if sensor.active => rng.random_bool(0.3).then_some(false),
                Behaviour::Healthy => rng.random_bool(0.02).then_some(true),
            };
            let Some(raise) = raise else { continue };
            sensor.active = raise;
            let mut message = json!({
                "id": format!("{}-{tick}", sensor.id),
                "alertSource": sensor.id,
                "category": sensor.kind,
                "severity": "medium",
                "dateIssued": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            });
            if !raise {
                message["status"] = json!("cleared");
            }
            messages.push(message);
        }
        for batch in messages.chunks(MAX_BATCH) {
            report.sent += batch.len() as u64;
            client.alarms(&key, batch, &mut report)?;
        }
        // Once a second: the next tick is due `tick` seconds after the start.
        std::thread::sleep(Duration::from_secs(tick).saturating_sub(started.elapsed()));
    }
    let overview = client.json("GET", "/api/v1/sensors/overview", Some(&admin), &Value::Null)?;
    let ours = |id: &str| id.starts_with(&format!("sim{seed}-"));
    report.flagged_faulty = overview["faulty_devices"]
        .as_array()
        .map_or(0, |d| d.iter().filter(|d| d["id"].as_str().is_some_and(ours)).count() as u64);
    let groups = overview["groups"].as_array().cloned().unwrap_or_default();
    report.groups = groups.iter().filter(|g| g["purpose"] == "alarms").count() as u64;
    let storm_code = storm_cell.code.to_string();
    report.storm_groups = groups
        .iter()
        .filter(|g| {
            g["purpose"] == "alarms" && g["kind"] == "water_level" && g["grid_code"] == storm_code.as_str()
        })
        .count() as u64;
    Ok(report)
}
