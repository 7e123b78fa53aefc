//! GeoJSON (RFC 7946) import and export of grid cells: a FeatureCollection whose features carry
//! `properties.code` (15 digits, or the 14-digit CJ/T 213 form, as a string or a number),
//! `properties.name` and a Polygon or MultiPolygon geometry in WGS-84 `[lon, lat]`.
//!
//! Export writes every coordinate in the shortest form that parses back to the same `f64`, so
//! `parse_geojson(&to_geojson(&cells)) == cells`. A 14-digit code comes back in its 15-digit
//! form, and an altitude (third position value) is dropped on import.

use serde_json::{Map, Value, json};

use crate::codes::GridCode;

use super::GridError;
use super::cell::{CellGeometry, GridCell, Polygon, Ring};

/// Parse a FeatureCollection of cells. Stops at the first feature that is not a well-formed
/// cell, naming its index and code; geometry quality is checked by [`super::validate`].
pub fn parse_geojson(text: &str) -> Result<Vec<GridCell>, GridError> {
    let value: Value = serde_json::from_str(text).map_err(|e| GridError::Json(e.to_string()))?;
    let Some(object) = value.as_object() else {
        return Err(GridError::NotFeatureCollection(json_kind(&value).to_owned()));
    };
    match object.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => {}
        Some(other) => return Err(GridError::NotFeatureCollection(format!("type {other:?}"))),
        None => return Err(GridError::NotFeatureCollection("an object without \"type\"".to_owned())),
    }
    let Some(features) = object.get("features").and_then(Value::as_array) else {
        return Err(GridError::NotFeatureCollection("no \"features\" array".to_owned()));
    };
    features.iter().enumerate().map(|(index, feature)| parse_feature(index, feature)).collect()
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn parse_feature(index: usize, feature: &Value) -> Result<GridCell, GridError> {
    let fail = |code: &str, reason: String| GridError::Feature { index, code: code.to_owned(), reason };
    let no_code = "no code";
    let properties = feature
        .get("properties")
        .and_then(Value::as_object)
        .ok_or_else(|| fail(no_code, "expected a \"properties\" object".to_owned()))?;
    let code_text = match properties.get("code") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) if n.is_u64() => n.to_string(),
        Some(other) => {
            return Err(fail(
                no_code,
                format!("properties.code must be a 15-digit string, found {}", json_kind(other)),
            ));
        }
        None => return Err(fail(no_code, "properties.code is missing".to_owned())),
    };
    let code = GridCode::parse(&code_text).map_err(|e| fail(&code_text, e.to_string()))?;
    let name = match properties.get("name") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(fail(
                &code_text,
                format!("properties.name must be a string, found {}", json_kind(other)),
            ));
        }
        None => return Err(fail(&code_text, "properties.name is missing".to_owned())),
    };
    let geometry = feature
        .get("geometry")
        .and_then(Value::as_object)
        .ok_or_else(|| fail(&code_text, "expected a \"geometry\" object".to_owned()))?;
    let coordinates = geometry
        .get("coordinates")
        .ok_or_else(|| fail(&code_text, "geometry.coordinates is missing".to_owned()))?;
    let geometry = match geometry.get("type").and_then(Value::as_str) {
        Some("Polygon") => {
            CellGeometry::Polygon(parse_polygon(coordinates).map_err(|r| fail(&code_text, r))?)
        }
        Some("MultiPolygon") => {
            let parts = coordinates.as_array().ok_or_else(|| {
                fail(&code_text, "MultiPolygon coordinates must be an array of polygons".to_owned())
            })?;
            let polygons = parts
                .iter()
                .enumerate()
                .map(|(k, p)| parse_polygon(p).map_err(|r| fail(&code_text, format!("polygon {k}: {r}"))))
                .collect::<Result<Vec<_>, _>>()?;
            CellGeometry::MultiPolygon(polygons)
        }
        Some(other) => {
            return Err(fail(
                &code_text,
                format!("geometry must be a Polygon or MultiPolygon, found {other:?}"),
            ));
        }
        None => return Err(fail(&code_text, "geometry.type is missing".to_owned())),
    };
    Ok(GridCell { code, name, geometry })
}

fn parse_polygon(value: &Value) -> Result<Polygon, String> {
    let rings = value.as_array().ok_or("polygon coordinates must be an array of rings")?;
    if rings.is_empty() {
        return Err("a polygon needs at least its exterior ring".to_owned());
    }
    rings.iter().enumerate().map(|(r, ring)| parse_ring(ring).map_err(|e| format!("ring {r}: {e}"))).collect()
}

fn parse_ring(value: &Value) -> Result<Ring, String> {
    let positions = value.as_array().ok_or("a ring must be an array of positions")?;
    positions
        .iter()
        .enumerate()
        .map(|(i, position)| {
            let numbers = position.as_array().filter(|a| a.len() >= 2);
            match numbers.map(|a| (a[0].as_f64(), a[1].as_f64())) {
                Some((Some(lon), Some(lat))) => Ok([lon, lat]),
                _ => Err(format!("position {i} must be [lon, lat] numbers")),
            }
        })
        .collect()
}

/// Write cells as a FeatureCollection (compact JSON).
pub fn to_geojson(cells: &[GridCell]) -> String {
    let features: Vec<Value> = cells.iter().map(feature_json).collect();
    json!({ "type": "FeatureCollection", "features": features }).to_string()
}

fn polygon_json(polygon: &Polygon) -> Value {
    Value::Array(
        polygon
            .iter()
            .map(|ring| Value::Array(ring.iter().map(|&[lon, lat]| json!([lon, lat])).collect()))
            .collect(),
    )
}

fn feature_json(cell: &GridCell) -> Value {
    let coordinates = match &cell.geometry {
        CellGeometry::Polygon(polygon) => polygon_json(polygon),
        CellGeometry::MultiPolygon(polygons) => Value::Array(polygons.iter().map(polygon_json).collect()),
    };
    let mut properties = Map::new();
    properties.insert("code".to_owned(), Value::String(cell.code.to_string()));
    properties.insert("name".to_owned(), Value::String(cell.name.clone()));
    json!({
        "type": "Feature",
        "properties": properties,
        "geometry": { "type": cell.geometry.type_name(), "coordinates": coordinates },
    })
}
