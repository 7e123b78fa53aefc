//! [`GridCell`]: one unit grid as imported (code, name, WGS-84 polygon or multipolygon with
//! holes). Coordinates are kept exactly as given, so GeoJSON export is lossless; routing works
//! on their fixed-point quantisation (see [`super::fixed`]).

use crate::codes::GridCode;

use super::fixed::FixedPoint;

/// A linear ring of `[lon, lat]` positions in degrees, closed as in GeoJSON (the last position
/// repeats the first).
pub type Ring = Vec<[f64; 2]>;

/// A polygon: the exterior ring first (counter-clockwise by RFC 7946), then holes.
pub type Polygon = Vec<Ring>;

/// A cell's area: GeoJSON `Polygon` or `MultiPolygon` (kept apart so export writes back what
/// was read).
#[derive(Debug, Clone, PartialEq)]
pub enum CellGeometry {
    Polygon(Polygon),
    MultiPolygon(Vec<Polygon>),
}

impl CellGeometry {
    /// The polygons of this geometry (one for a `Polygon`).
    pub fn polygons(&self) -> &[Polygon] {
        match self {
            CellGeometry::Polygon(polygon) => std::slice::from_ref(polygon),
            CellGeometry::MultiPolygon(polygons) => polygons,
        }
    }

    /// The GeoJSON type name.
    pub fn type_name(&self) -> &'static str {
        match self {
            CellGeometry::Polygon(_) => "Polygon",
            CellGeometry::MultiPolygon(_) => "MultiPolygon",
        }
    }
}

/// One unit grid (单元网格).
#[derive(Debug, Clone, PartialEq)]
pub struct GridCell {
    pub code: GridCode,
    pub name: String,
    pub geometry: CellGeometry,
}

/// A ring in fixed units without the closing repeat, the form the router and the package use.
/// `None` if any position is not finite or off the globe.
pub(crate) fn fixed_ring(ring: &[[f64; 2]]) -> Option<Vec<FixedPoint>> {
    let mut points =
        ring.iter().map(|&[lon, lat]| FixedPoint::from_degrees(lon, lat)).collect::<Option<Vec<_>>>()?;
    if points.len() > 1 && points.first() == points.last() {
        points.pop();
    }
    Some(points)
}

/// A fixed-unit ring back to a closed GeoJSON ring in degrees.
pub(crate) fn degree_ring(ring: &[FixedPoint]) -> Ring {
    let mut out: Ring = ring.iter().map(|p| p.to_degrees()).collect();
    if let Some(&first) = out.first() {
        out.push(first);
    }
    out
}
