//! The gazetteer (地名地址库) the hotline locates a caller's address with: addresses (points)
//! and road segments (lines, placed at their middle vertex) that the city imports as CSV
//! (`name,lat,lon[,kind]`) or GeoJSON (a FeatureCollection of Points and LineStrings with a
//! `name` property), through `POST /api/v1/admin/gazetteer` or `gridline gazetteer import`.
//! An import is all or nothing, every problem listed; an entry with a name already known
//! replaces it.
//!
//! Matching tolerates partial input: the name is kept with a search key (lower case, no white
//! space or punctuation, full-width digits and letters made half-width), the typed text is cut
//! at white space and punctuation into pieces made the same way, and an entry matches when its
//! key holds every piece (`人民路 12` finds `人民路12号`, `renmin rd` finds `Renmin Road 12`),
//! shortest name first. The pieces are matched with `LIKE` on both backends (a scan of one
//! short key per entry: a city's gazetteer of a few hundred thousand entries is read in tens of
//! milliseconds).

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::sensors::registry::{capped, csv_fields, shorten};
use crate::store::schema::gazetteer;
use crate::store::{DbConnection, StoreResult};

/// Most entries one search answers.
pub const MAX_MATCHES: i64 = 10;
/// The longest name kept.
const MAX_NAME_CHARS: usize = 200;
/// The most entries one import takes.
pub const MAX_ENTRIES: usize = 200_000;

/// One entry of the gazetteer as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = gazetteer)]
pub struct EntryRow {
    pub name: String,
    pub search_key: String,
    /// `address` or `road`.
    pub kind: String,
    pub lat: f64,
    pub lon: f64,
}

/// A place found for the typed text.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaceMatch {
    pub name: String,
    /// `address` or `road`.
    pub kind: String,
    pub lat: f64,
    pub lon: f64,
}

/// `GET /api/v1/hotline/places`'s answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaceMatches {
    pub places: Vec<PlaceMatch>,
}

/// `POST /api/v1/admin/gazetteer`'s answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GazetteerImported {
    /// Entries in the file.
    pub imported: usize,
    /// Entries in the gazetteer now.
    pub total: i64,
}

/// The form a name and a typed piece are compared in.
pub fn search_key(text: &str) -> String {
    text.chars()
        .filter_map(|c| {
            // Full-width ASCII (U+FF01..FF5E) to its half-width form.
            let c = match c as u32 {
                0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                _ => c,
            };
            (c.is_alphanumeric()).then(|| c.to_lowercase().collect::<String>())
        })
        .collect()
}

/// The pieces of the typed text, each as a search key; empty pieces dropped.
pub fn pieces(typed: &str) -> Vec<String> {
    typed
        .split(|c: char| {
            c.is_whitespace() || (!c.is_alphanumeric() && c as u32 <= 0x7F) || "，。、；：（）".contains(c)
        })
        .map(search_key)
        .filter(|p| !p.is_empty())
        .collect()
}

fn entry(
    name: &str,
    kind: &str,
    lat: f64,
    lon: f64,
    at: &str,
    problems: &mut Vec<String>,
) -> Option<EntryRow> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || search_key(name).is_empty() {
        problems.push(format!(
            "{at}: a name of 1 to {MAX_NAME_CHARS} characters with a letter or digit is needed"
        ));
        return None;
    }
    if !(-90.0..=90.0).contains(&lat)
        || !(-180.0..=180.0).contains(&lon)
        || !lat.is_finite()
        || !lon.is_finite()
    {
        problems.push(format!("{at}: lat/lon is not a WGS-84 position"));
        return None;
    }
    Some(EntryRow { name: name.to_owned(), search_key: search_key(name), kind: kind.to_owned(), lat, lon })
}

/// The entries of a CSV file: a header naming `name`, `lat`, `lon` and optionally `kind`
/// (`address`, the default, or `road`).
pub fn parse_csv(text: &str) -> Result<Vec<EntryRow>, Vec<String>> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else { return Err(vec!["no header line".to_owned()]) };
    let header =
        csv_fields(header.trim_start_matches('\u{feff}')).map_err(|e| vec![format!("line 1: {e}")])?;
    let column = |name: &str| header.iter().position(|h| h == name);
    let (Some(name_at), Some(lat_at), Some(lon_at)) = (column("name"), column("lat"), column("lon")) else {
        return Err(vec!["header: the columns name, lat and lon are needed (kind is optional)".to_owned()]);
    };
    let kind_at = column("kind");
    if let Some(unknown) = header.iter().find(|h| !["name", "lat", "lon", "kind"].contains(&h.as_str())) {
        return Err(vec![format!(
            "header: unknown column {:?} (expected name, lat, lon, kind)",
            shorten(unknown)
        )]);
    }
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    for (n, line) in lines {
        let at = format!("line {}", n + 1);
        let fields = match csv_fields(line) {
            Ok(f) if f.len() == header.len() => f,
            Ok(f) => {
                problems.push(format!("{at}: {} fields, expected {}", f.len(), header.len()));
                continue;
            }
            Err(e) => {
                problems.push(format!("{at}: {e}"));
                continue;
            }
        };
        let kind = kind_at.map(|i| fields[i].as_str()).filter(|k| !k.is_empty()).unwrap_or("address");
        if !["address", "road"].contains(&kind) {
            problems.push(format!("{at}: kind is address or road"));
            continue;
        }
        let (Ok(lat), Ok(lon)) = (fields[lat_at].parse::<f64>(), fields[lon_at].parse::<f64>()) else {
            problems.push(format!("{at}: lat and lon must be decimal degrees"));
            continue;
        };
        entries.extend(entry(&fields[name_at], kind, lat, lon, &at, &mut problems));
    }
    checked(entries, problems)
}

/// The entries of a GeoJSON FeatureCollection: Points are addresses, LineStrings road
/// segments placed at their middle vertex; each needs a `name` property.
pub fn parse_geojson(text: &str) -> Result<Vec<EntryRow>, Vec<String>> {
    let value: Value = serde_json::from_str(text).map_err(|_| vec!["not valid JSON".to_owned()])?;
    if value.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(vec!["expected a GeoJSON FeatureCollection".to_owned()]);
    }
    let Some(features) = value.get("features").and_then(Value::as_array) else {
        return Err(vec!["features: expected an array".to_owned()]);
    };
    let mut entries = Vec::with_capacity(features.len());
    let mut problems = Vec::new();
    for (i, feature) in features.iter().enumerate() {
        let at = format!("features[{i}]");
        let geometry = feature.get("geometry");
        let kind = geometry.and_then(|g| g.get("type")).and_then(Value::as_str);
        let coordinates = geometry.and_then(|g| g.get("coordinates"));
        let point = match (kind, coordinates) {
            (Some("Point"), Some(c)) => Some(c),
            (Some("LineString"), Some(Value::Array(line))) if !line.is_empty() => line.get(line.len() / 2),
            _ => None,
        };
        let position = point.and_then(Value::as_array).and_then(|c| match c.as_slice() {
            [lon, lat, ..] => Some((lat.as_f64()?, lon.as_f64()?)),
            _ => None,
        });
        let Some((lat, lon)) = position else {
            problems.push(format!("{at}: geometry must be a Point or a LineString of [lon, lat] positions"));
            continue;
        };
        let Some(name) = feature.pointer("/properties/name").and_then(Value::as_str) else {
            problems.push(format!("{at}: a name property (a string) is needed"));
            continue;
        };
        let kind = if kind == Some("Point") { "address" } else { "road" };
        entries.extend(entry(name, kind, lat, lon, &at, &mut problems));
    }
    checked(entries, problems)
}

fn checked(entries: Vec<EntryRow>, problems: Vec<String>) -> Result<Vec<EntryRow>, Vec<String>> {
    if !problems.is_empty() {
        return Err(capped(problems));
    }
    if entries.is_empty() {
        return Err(vec!["the file holds no entries".to_owned()]);
    }
    if entries.len() > MAX_ENTRIES {
        return Err(vec![format!("at most {MAX_ENTRIES} entries in one import")]);
    }
    Ok(entries)
}

/// Stores `entries` in one transaction, each replacing an entry of the same name (a name twice
/// in one file: the last one stands); the number of entries now.
pub fn import(conn: &mut DbConnection, entries: Vec<EntryRow>) -> StoreResult<i64> {
    let mut latest: HashMap<String, EntryRow> = HashMap::with_capacity(entries.len());
    for entry in entries {
        latest.insert(entry.name.clone(), entry);
    }
    let rows: Vec<EntryRow> = latest.into_values().collect();
    crate::store::write_transaction(conn, |conn| {
        for chunk in rows.chunks(500) {
            let names: Vec<&str> = chunk.iter().map(|e| e.name.as_str()).collect();
            diesel::delete(gazetteer::table.filter(gazetteer::name.eq_any(names))).execute(conn)?;
            for row in chunk {
                diesel::insert_into(gazetteer::table).values(row).execute(conn)?;
            }
        }
        Ok(gazetteer::table.count().get_result(conn)?)
    })
}

/// The entries whose key holds every piece of `typed`, shortest name first.
pub fn search(conn: &mut DbConnection, typed: &str) -> StoreResult<Vec<PlaceMatch>> {
    let pieces = pieces(typed);
    if pieces.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = gazetteer::table.select(EntryRow::as_select()).into_boxed();
    for piece in &pieces {
        let escaped = piece.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        query = query.filter(gazetteer::search_key.like(format!("%{escaped}%")).escape('\\'));
    }
    let rows: Vec<EntryRow> = query
        .order((diesel::dsl::sql::<diesel::sql_types::Integer>("length(name)"), gazetteer::name.asc()))
        .limit(MAX_MATCHES)
        .load(conn)?;
    Ok(rows.into_iter().map(|r| PlaceMatch { name: r.name, kind: r.kind, lat: r.lat, lon: r.lon }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_space_punctuation_and_full_width_forms() {
        assert_eq!(search_key("Renmin Road, No. 12"), "renminroadno12");
        assert_eq!(search_key("人民路１２号"), "人民路12号");
        assert_eq!(pieces("  人民路 12, "), ["人民路", "12"]);
        assert_eq!(pieces("renmin-rd"), ["renmin", "rd"]);
        assert!(pieces(" ,;").is_empty());
    }

    #[test]
    fn csv_and_geojson_entries_with_every_problem_named() {
        let csv =
            "name,lat,lon,kind\n人民路12号,31.2,121.4,address\n\"Renmin Road, east\",31.21,121.41,road\n";
        let entries = parse_csv(csv).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].kind, "road");
        let bad = parse_csv("name,lat,lon\n,31,121\nX,abc,121\nY,91,121\n").unwrap_err();
        assert_eq!(bad.len(), 3, "{bad:?}");
        assert!(parse_csv("name,lat\nX,1\n").is_err());
        let geojson = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","geometry":{"type":"Point","coordinates":[121.4,31.2]},"properties":{"name":"人民路12号"}},
            {"type":"Feature","geometry":{"type":"LineString","coordinates":[[121.0,31.0],[121.1,31.1],[121.2,31.2]]},"properties":{"name":"人民路"}}]}"#;
        let entries = parse_geojson(geojson).unwrap();
        assert_eq!((entries[1].kind.as_str(), entries[1].lat, entries[1].lon), ("road", 31.1, 121.1));
        let bad = r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[]},"properties":{}}]}"#;
        assert!(parse_geojson(bad).is_err());
    }
}
