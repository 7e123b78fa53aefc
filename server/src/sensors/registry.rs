//! The device registry: a sending system's devices imported in bulk, as CSV or GeoJSON, through
//! the admin API and the CLI (both call [`import`]).
//!
//! - CSV: a header line naming the columns `id`, `kind`, `lat`, `lon`, `owning_unit` (in any
//!   order; other columns are refused), then one device per line. Fields may be double-quoted
//!   (RFC 4180), so an id may hold a comma.
//! - GeoJSON: a `FeatureCollection` of `Point` features (`[lon, lat]`, WGS-84) whose properties
//!   are `id`, `kind` and `owning_unit`.
//!
//! Every position is routed to its grid cell with the node's grid index; a device outside every
//! cell (beyond the tolerance) is refused, as is a device id that another system owns. An import
//! is all or nothing: every problem is listed at once and nothing is stored. A device imported
//! again is updated (kind, position, cell, owner); its fault flag stays.

use std::collections::{HashMap, HashSet};

use gridline_core::geo::GeoPoint;
use gridline_core::sensors::{MAX_ID_CHARS, valid_kind};
use serde::Serialize;
use serde_json::Value;

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::routing::GridRouter;
use crate::store::sensors::{self as store, DeviceRow};
use crate::store::{DbConnection, StoreResult};

/// Most devices in one import.
pub const MAX_DEVICES: usize = 200_000;
/// Problems listed in one refusal, at most.
const MAX_PROBLEMS: usize = 50;

/// One device as the import file gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceInput {
    pub id: String,
    pub kind: String,
    pub lat: f64,
    pub lon: f64,
    pub owning_unit: String,
}

/// What an import did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = SensorDevicesImported)]
pub struct Imported {
    pub created: usize,
    pub updated: usize,
}

/// The format of an import body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    GeoJson,
}

impl Format {
    /// The format a content type names (`text/csv`, `application/geo+json`, `application/json`).
    pub fn from_content_type(content_type: &str) -> Option<Format> {
        let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match essence.as_str() {
            "text/csv" => Some(Format::Csv),
            "application/geo+json" | "application/json" => Some(Format::GeoJson),
            _ => None,
        }
    }

    /// The format a file name's extension names.
    pub fn from_file_name(name: &str) -> Option<Format> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            Some(Format::Csv)
        } else if lower.ends_with(".geojson") || lower.ends_with(".json") {
            Some(Format::GeoJson)
        } else {
            None
        }
    }
}

/// Parses an import body; every problem at once.
pub fn parse(format: Format, text: &str) -> Result<Vec<DeviceInput>, Vec<String>> {
    let devices = match format {
        Format::Csv => parse_csv(text)?,
        Format::GeoJson => parse_geojson(text)?,
    };
    let mut problems = Vec::new();
    if devices.is_empty() {
        problems.push("no devices".to_owned());
    }
    if devices.len() > MAX_DEVICES {
        problems.push(format!("{} devices: at most {MAX_DEVICES} in one import", devices.len()));
    }
    let mut seen = HashSet::new();
    for (i, d) in devices.iter().enumerate() {
        let at = format!("device {} ({})", i + 1, shorten(&d.id));
        if d.id.trim().is_empty() || d.id.chars().count() > MAX_ID_CHARS {
            problems.push(format!("{at}: id must be 1 to {MAX_ID_CHARS} characters"));
        }
        if !seen.insert(d.id.as_str()) {
            problems.push(format!("{at}: id given twice"));
        }
        if !valid_kind(&d.kind) {
            problems.push(format!("{at}: kind must be lower-case letters, digits and _"));
        }
        if d.owning_unit.trim().is_empty() || d.owning_unit.chars().count() > MAX_ID_CHARS {
            problems.push(format!("{at}: owning_unit must be 1 to {MAX_ID_CHARS} characters"));
        }
        if GeoPoint::new(d.lat, d.lon).is_err() {
            problems.push(format!("{at}: lat/lon is not a WGS-84 position"));
        }
    }
    if problems.is_empty() { Ok(devices) } else { Err(capped(problems)) }
}

pub(crate) fn shorten(id: &str) -> String {
    id.chars().take(40).collect()
}

pub(crate) fn capped(mut problems: Vec<String>) -> Vec<String> {
    if problems.len() > MAX_PROBLEMS {
        let more = problems.len() - MAX_PROBLEMS;
        problems.truncate(MAX_PROBLEMS);
        problems.push(format!("... and {more} more"));
    }
    problems
}

/// The fields of one CSV record (RFC 4180: quoted fields, doubled quotes inside them).
pub(crate) fn csv_fields(line: &str) -> Result<Vec<String>, &'static str> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.trim().is_empty() && !was_quoted => {
                field.clear();
                quoted = true;
                was_quoted = true;
            }
            (false, ',') => {
                fields.push(if was_quoted { std::mem::take(&mut field) } else { field.trim().to_owned() });
                field.clear();
                was_quoted = false;
            }
            (false, '"') => return Err("a quote inside an unquoted field"),
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err("an unclosed quote");
    }
    fields.push(if was_quoted { field } else { field.trim().to_owned() });
    Ok(fields)
}

fn parse_csv(text: &str) -> Result<Vec<DeviceInput>, Vec<String>> {
    const COLUMNS: [&str; 5] = ["id", "kind", "lat", "lon", "owning_unit"];
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else { return Err(vec!["no header line".to_owned()]) };
    let header =
        csv_fields(header.trim_start_matches('\u{feff}')).map_err(|e| vec![format!("line 1: {e}")])?;
    let mut problems = Vec::new();
    let position: HashMap<&str, usize> = header.iter().enumerate().map(|(i, h)| (h.as_str(), i)).collect();
    for h in &header {
        if !COLUMNS.contains(&h.as_str()) {
            problems.push(format!(
                "header: unknown column {:?} (expected {})",
                shorten(h),
                COLUMNS.join(", ")
            ));
        }
    }
    for c in COLUMNS {
        if !position.contains_key(c) {
            problems.push(format!("header: missing column {c}"));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut devices = Vec::new();
    for (n, line) in lines {
        let number = n + 1;
        let fields = match csv_fields(line) {
            Ok(f) if f.len() == header.len() => f,
            Ok(f) => {
                problems.push(format!("line {number}: {} fields, expected {}", f.len(), header.len()));
                continue;
            }
            Err(e) => {
                problems.push(format!("line {number}: {e}"));
                continue;
            }
        };
        let get = |c: &str| position.get(c).and_then(|&i| fields.get(i)).cloned().unwrap_or_default();
        let (lat, lon) = (get("lat").parse::<f64>(), get("lon").parse::<f64>());
        let (Ok(lat), Ok(lon)) = (lat, lon) else {
            problems.push(format!("line {number}: lat and lon must be decimal degrees"));
            continue;
        };
        devices.push(DeviceInput {
            id: get("id"),
            kind: get("kind"),
            lat,
            lon,
            owning_unit: get("owning_unit"),
        });
    }
    if problems.is_empty() { Ok(devices) } else { Err(capped(problems)) }
}

fn parse_geojson(text: &str) -> Result<Vec<DeviceInput>, Vec<String>> {
    let value: Value = serde_json::from_str(text).map_err(|_| vec!["not valid JSON".to_owned()])?;
    if value.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(vec!["expected a GeoJSON FeatureCollection".to_owned()]);
    }
    let Some(features) = value.get("features").and_then(Value::as_array) else {
        return Err(vec!["features: expected an array".to_owned()]);
    };
    let mut devices = Vec::with_capacity(features.len());
    let mut problems = Vec::new();
    for (i, feature) in features.iter().enumerate() {
        let at = format!("features[{i}]");
        let geometry = feature.get("geometry");
        let coordinates = geometry
            .filter(|g| g.get("type").and_then(Value::as_str) == Some("Point"))
            .and_then(|g| g.get("coordinates"))
            .and_then(Value::as_array)
            .filter(|c| c.len() == 2);
        let Some([lon, lat]) = coordinates.map(|c| [c[0].as_f64(), c[1].as_f64()]) else {
            problems.push(format!("{at}: geometry must be a Point [lon, lat]"));
            continue;
        };
        let (Some(lon), Some(lat)) = (lon, lat) else {
            problems.push(format!("{at}: coordinates must be numbers"));
            continue;
        };
        let text = |name: &str| feature.pointer(&format!("/properties/{name}")).and_then(Value::as_str);
        let (Some(id), Some(kind), Some(unit)) = (text("id"), text("kind"), text("owning_unit")) else {
            problems.push(format!("{at}: properties id, kind and owning_unit (strings) are required"));
            continue;
        };
        devices.push(DeviceInput {
            id: id.to_owned(),
            kind: kind.to_owned(),
            lat,
            lon,
            owning_unit: unit.to_owned(),
        });
    }
    if problems.is_empty() { Ok(devices) } else { Err(capped(problems)) }
}

/// Routes and stores the devices of `system_id` (all or nothing).
pub async fn import(state: &AppState, system_id: String, devices: Vec<DeviceInput>) -> ApiResult<Imported> {
    let now = state.clock.now().timestamp();
    let rows = placed(&state.router, &system_id, devices, now).map_err(refused)?;
    let stored = state
        .db
        .run(move |conn| {
            let stored = store_devices(conn, rows);
            return_freed_memory();
            stored
        })
        .await?;
    stored.map_err(refused)
}

/// An import of 200,000 devices frees tens of MiB of small blocks (ids, kinds, cells), which
/// glibc's malloc keeps in its per-thread arenas: a server that imported a million devices
/// stayed 70-100 MiB above its size before (docs/benchmarks.md, sensor alarm intake). Giving
/// the free pages back once per import (on the blocking thread that stored it) costs a walk
/// over the arenas.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn return_freed_memory() {
    // SAFETY: malloc_trim only returns free memory of the allocator's own arenas to the system;
    // it takes each arena's lock, so other threads allocating meanwhile are safe.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_freed_memory() {}

/// The devices as rows, each in the grid cell its position routes to; every device outside all
/// cells is a problem.
pub fn placed(
    router: &GridRouter,
    system_id: &str,
    devices: Vec<DeviceInput>,
    now: i64,
) -> Result<Vec<DeviceRow>, Vec<String>> {
    let mut rows = Vec::with_capacity(devices.len());
    let mut problems = Vec::new();
    for d in devices {
        let placement = GeoPoint::new(d.lat, d.lon).ok().map(|p| router.place(p));
        let Some(grid) = placement.and_then(|p| p.grid) else {
            problems.push(format!("device {}: the position is outside every grid cell", shorten(&d.id)));
            continue;
        };
        rows.push(DeviceRow {
            id: d.id,
            system_id: system_id.to_owned(),
            kind: d.kind,
            lat: d.lat,
            lon: d.lon,
            grid_code: grid,
            owning_unit: d.owning_unit.trim().to_owned(),
            faulty: false,
            flap_window_started_at: None,
            flap_count: 0,
            created_at: now,
            updated_at: now,
        });
    }
    if problems.is_empty() { Ok(rows) } else { Err(capped(problems)) }
}

/// Stores placed devices in one transaction: new ones inserted, known ones of the same system
/// updated. The inner `Err` lists the ids another system owns, or the devices whose owning unit
/// is not an active handling unit (nothing is stored then).
pub fn store_devices(
    conn: &mut DbConnection,
    rows: Vec<DeviceRow>,
) -> StoreResult<Result<Imported, Vec<String>>> {
    let outcome = crate::store::write_transaction(conn, |conn| {
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        let stored: HashMap<String, DeviceRow> =
            store::find_devices(conn, &ids)?.into_iter().map(|d| (d.id.clone(), d)).collect();
        let taken: Vec<String> = rows
            .iter()
            .filter(|r| stored.get(&r.id).is_some_and(|s| s.system_id != r.system_id))
            .map(|r| format!("device {}: the id belongs to another system", shorten(&r.id)))
            .collect();
        if !taken.is_empty() {
            return Ok(Err(capped(taken)));
        }
        // A device's faults go to its owning unit: it must be a unit cases can be dispatched to.
        let mut owners: Vec<&str> = rows.iter().map(|r| r.owning_unit.as_str()).collect();
        owners.sort_unstable();
        owners.dedup();
        let mut unknown = Vec::new();
        for owner in owners {
            if crate::store::units::find(conn, owner)?.is_none_or(|unit| unit.retired_at.is_some()) {
                unknown.push(owner);
            }
        }
        if !unknown.is_empty() {
            let problems = rows
                .iter()
                .filter(|r| unknown.contains(&r.owning_unit.as_str()))
                .map(|r| {
                    format!(
                        "device {}: owning_unit {:?} is not an active handling unit (GET /api/v1/units lists them)",
                        shorten(&r.id),
                        shorten(&r.owning_unit)
                    )
                })
                .collect();
            return Ok(Err(capped(problems)));
        }
        let (changed, new): (Vec<DeviceRow>, Vec<DeviceRow>) =
            rows.into_iter().partition(|r| stored.contains_key(&r.id));
        store::save_imported_devices(conn, &new, &changed)?;
        Ok::<_, crate::store::StoreError>(Ok(Imported { created: new.len(), updated: changed.len() }))
    })?;
    Ok(outcome)
}

fn refused(problems: Vec<String>) -> ApiError {
    ApiError::new(crate::error::ErrorKind::Unprocessable, "invalid_devices", "the device import was refused")
        .with_problems(capped(problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_reads_quoted_fields_and_any_column_order() {
        let text = "kind,id,lat,lon,owning_unit\nsmoke,\"a,1\",31.2,121.4,\"fire \"\"brigade\"\"\"\n";
        let devices = parse(Format::Csv, text).unwrap();
        assert_eq!(devices[0].id, "a,1");
        assert_eq!(devices[0].owning_unit, "fire \"brigade\"");
        assert_eq!(devices[0].kind, "smoke");
    }

    #[test]
    fn csv_problems_are_listed_together() {
        let text = "id,kind,lat,lon,owning_unit\nd1,Smoke,31.2,121.4,water\nd1,smoke,north,121.4,water\n";
        let problems = parse(Format::Csv, text).unwrap_err();
        assert_eq!(problems, vec!["line 3: lat and lon must be decimal degrees".to_owned()]);
        let problems =
            parse(Format::Csv, "id,kind,lat,lon,owning_unit\nd1,Smoke,31.2,121.4,water\n").unwrap_err();
        assert_eq!(problems, vec!["device 1 (d1): kind must be lower-case letters, digits and _".to_owned()]);
        let problems = parse(Format::Csv, "id,kind,lat,lon\n").unwrap_err();
        assert_eq!(problems, vec!["header: missing column owning_unit".to_owned()]);
    }

    #[test]
    fn geojson_points_become_devices() {
        let text = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","geometry":{"type":"Point","coordinates":[121.4,31.2]},
             "properties":{"id":"m1","kind":"manhole_cover","owning_unit":"water"}}]}"#;
        let devices = parse(Format::GeoJson, text).unwrap();
        assert_eq!(
            devices[0],
            DeviceInput {
                id: "m1".into(),
                kind: "manhole_cover".into(),
                lat: 31.2,
                lon: 121.4,
                owning_unit: "water".into()
            }
        );
    }
}
