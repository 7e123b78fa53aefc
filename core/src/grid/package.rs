//! The offline grid package: a compact, versioned binary form of a set of cells (a street's or
//! a district's) that an inspector's phone downloads and routes with offline.
//!
//! Layout of version 2 (integers are LEB128 varints unless said otherwise):
//!
//! ```text
//! magic      b"GLGRID"                      6 bytes
//! version    u16 little-endian              2 bytes
//! tolerance  the city's routing tolerance in centimetres (version 2 only)
//! cells      count
//! per cell, in ascending code order:
//!   code     delta from the previous cell's code (the first from 0)
//!   name     byte length, then UTF-8 bytes
//!   polygons count; per polygon: rings count; per ring: vertex count (no closing repeat),
//!            then per vertex zig-zag deltas of x and y (1e-7 degree units) from the previous
//!            vertex of the package (the first from 0, 0)
//! checksum   the first 8 bytes of SHA-256 over everything before it
//! ```
//!
//! Coordinates are the router's own fixed-point units, so an index built from a decoded package
//! answers every point exactly like one built from the original cells. The routing tolerance
//! travels with the cells, so a phone sends a point just outside every cell to the nearest
//! cell exactly as far as the city's server does; a version 1 package (no tolerance) still
//! reads, with the default tolerance.

use sha2::{Digest, Sha256};

use crate::codes::GridCode;
use crate::limits::DEFAULT_ROUTING_TOLERANCE_M;

use super::cell::{CellGeometry, GridCell, degree_ring, fixed_ring};
use super::fixed::FixedPoint;

const MAGIC: &[u8; 6] = b"GLGRID";
/// The format version this build writes (it also reads version 1).
pub const PACKAGE_VERSION: u16 = 2;
/// The first version, without a routing tolerance.
const VERSION_WITHOUT_TOLERANCE: u16 = 1;
/// The largest tolerance a package carries, in metres: far beyond any city's setting, and it
/// keeps the field a few bytes.
pub const MAX_PACKAGE_TOLERANCE_M: f64 = 100_000.0;
const CHECKSUM_LEN: usize = 8;
const HEADER_LEN: usize = MAGIC.len() + 2;

/// Why a package could not be written or read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PackageError {
    #[error("not a grid package: expected it to start with {expected:?}, found {found:?}")]
    BadMagic { expected: String, found: String },
    #[error("grid package version {found} is not supported; this build reads version {supported}")]
    UnsupportedVersion { found: u16, supported: u16 },
    #[error("grid package checksum mismatch: the file is corrupt or truncated")]
    Checksum,
    #[error("grid package is truncated: it ends inside {0}")]
    Truncated(&'static str),
    #[error("grid package is malformed: {0}")]
    Malformed(String),
    #[error("cell {code} cannot be packed: a coordinate is not finite or off the globe")]
    Coordinate { code: GridCode },
    #[error(
        "the routing tolerance must be a finite number of metres from 0 to {MAX_PACKAGE_TOLERANCE_M}, found {found}"
    )]
    Tolerance { found: f64 },
}

/// A decoded package: the cells and the routing tolerance of the city that wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct GridPackage {
    pub cells: Vec<GridCell>,
    /// How far outside every cell, in metres, a point still goes to the nearest cell.
    pub routing_tolerance_m: f64,
}

/// Encode cells (any order; the package stores them by code) with the default routing tolerance.
pub fn encode_package(cells: &[GridCell]) -> Result<Vec<u8>, PackageError> {
    encode_package_with_tolerance(cells, DEFAULT_ROUTING_TOLERANCE_M)
}

/// Encode cells with the city's routing tolerance, in metres (kept to the centimetre).
pub fn encode_package_with_tolerance(cells: &[GridCell], tolerance_m: f64) -> Result<Vec<u8>, PackageError> {
    if !(tolerance_m.is_finite() && (0.0..=MAX_PACKAGE_TOLERANCE_M).contains(&tolerance_m)) {
        return Err(PackageError::Tolerance { found: tolerance_m });
    }
    let mut sorted: Vec<&GridCell> = cells.iter().collect();
    sorted.sort_by_key(|c| c.code);
    let mut out = Vec::with_capacity(64 + cells.len() * 48);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&PACKAGE_VERSION.to_le_bytes());
    put_varint(&mut out, (tolerance_m * 100.0).round() as u64);
    put_varint(&mut out, sorted.len() as u64);
    let (mut previous_code, mut previous_point) = (0u64, FixedPoint { x: 0, y: 0 });
    for cell in sorted {
        put_varint(&mut out, cell.code.as_u64() - previous_code);
        previous_code = cell.code.as_u64();
        put_varint(&mut out, cell.name.len() as u64);
        out.extend_from_slice(cell.name.as_bytes());
        let polygons = cell.geometry.polygons();
        put_varint(&mut out, polygons.len() as u64);
        for polygon in polygons {
            put_varint(&mut out, polygon.len() as u64);
            for ring in polygon {
                let points = fixed_ring(ring).ok_or(PackageError::Coordinate { code: cell.code })?;
                put_varint(&mut out, points.len() as u64);
                for p in points {
                    put_varint(&mut out, zigzag(i64::from(p.x) - i64::from(previous_point.x)));
                    put_varint(&mut out, zigzag(i64::from(p.y) - i64::from(previous_point.y)));
                    previous_point = p;
                }
            }
        }
    }
    let checksum = Sha256::digest(&out);
    out.extend_from_slice(&checksum[..CHECKSUM_LEN]);
    Ok(out)
}

/// Decode a package into cells (ascending by code; a single polygon comes back as `Polygon`).
pub fn decode_package(bytes: &[u8]) -> Result<Vec<GridCell>, PackageError> {
    decode_grid_package(bytes).map(|package| package.cells)
}

/// Decode a package into its cells and routing tolerance (the default for a version 1 package).
pub fn decode_grid_package(bytes: &[u8]) -> Result<GridPackage, PackageError> {
    let magic = bytes.get(..MAGIC.len()).unwrap_or(bytes);
    if magic != MAGIC {
        return Err(PackageError::BadMagic {
            expected: String::from_utf8_lossy(MAGIC).into_owned(),
            found: String::from_utf8_lossy(magic).into_owned(),
        });
    }
    let version = match bytes.get(MAGIC.len()..HEADER_LEN) {
        Some(&[lo, hi]) => u16::from_le_bytes([lo, hi]),
        _ => return Err(PackageError::Truncated("the header")),
    };
    if version != PACKAGE_VERSION && version != VERSION_WITHOUT_TOLERANCE {
        return Err(PackageError::UnsupportedVersion { found: version, supported: PACKAGE_VERSION });
    }
    if bytes.len() < HEADER_LEN + CHECKSUM_LEN {
        return Err(PackageError::Truncated("the header"));
    }
    let (body, checksum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
    if Sha256::digest(body)[..CHECKSUM_LEN] != *checksum {
        return Err(PackageError::Checksum);
    }
    let mut reader = Reader { bytes: body, at: HEADER_LEN };
    let routing_tolerance_m = if version == VERSION_WITHOUT_TOLERANCE {
        DEFAULT_ROUTING_TOLERANCE_M
    } else {
        let centimetres = reader.varint("the routing tolerance")?;
        let metres = centimetres as f64 / 100.0;
        if metres > MAX_PACKAGE_TOLERANCE_M {
            return Err(PackageError::Tolerance { found: metres });
        }
        metres
    };
    // Every element takes at least one byte, so no count may exceed what is left: this keeps a
    // hostile count from reserving huge memory.
    let cell_count = reader.count("the cell count")?;
    let mut cells = Vec::with_capacity(cell_count);
    let (mut previous_code, mut previous_point) = (0u64, FixedPoint { x: 0, y: 0 });
    for _ in 0..cell_count {
        let code_value = previous_code
            .checked_add(reader.varint("a cell code")?)
            .ok_or_else(|| PackageError::Malformed("a cell code overflows".to_owned()))?;
        let code =
            GridCode::from_u64(code_value).map_err(|e| PackageError::Malformed(format!("cell code: {e}")))?;
        if code_value == previous_code && !cells.is_empty() {
            return Err(PackageError::Malformed(format!("cell {code} appears twice")));
        }
        previous_code = code_value;
        let name_len = reader.count("a cell name")?;
        let name_bytes = reader.take(name_len, "a cell name")?;
        let name = String::from_utf8(name_bytes.to_vec())
            .map_err(|_| PackageError::Malformed(format!("the name of cell {code} is not UTF-8")))?;
        let polygon_count = reader.count("a polygon count")?;
        let mut polygons = Vec::with_capacity(polygon_count);
        for _ in 0..polygon_count {
            let ring_count = reader.count("a ring count")?;
            let mut rings = Vec::with_capacity(ring_count);
            for _ in 0..ring_count {
                let vertex_count = reader.count("a vertex count")?;
                let mut ring = Vec::with_capacity(vertex_count);
                for _ in 0..vertex_count {
                    let x = i64::from(previous_point.x) + unzigzag(reader.varint("a coordinate")?);
                    let y = i64::from(previous_point.y) + unzigzag(reader.varint("a coordinate")?);
                    let point = match (i32::try_from(x), i32::try_from(y)) {
                        (Ok(x), Ok(y))
                            if x.unsigned_abs() <= 1_800_000_000 && y.unsigned_abs() <= 900_000_000 =>
                        {
                            FixedPoint { x, y }
                        }
                        _ => {
                            return Err(PackageError::Malformed(format!(
                                "cell {code} has a coordinate off the globe"
                            )));
                        }
                    };
                    ring.push(point);
                    previous_point = point;
                }
                rings.push(degree_ring(&ring));
            }
            polygons.push(rings);
        }
        let geometry = if polygons.len() == 1 {
            CellGeometry::Polygon(polygons.remove(0))
        } else {
            CellGeometry::MultiPolygon(polygons)
        };
        cells.push(GridCell { code, name, geometry });
    }
    if reader.at != body.len() {
        return Err(PackageError::Malformed(format!(
            "{} unexpected bytes after the last cell",
            body.len() - reader.at
        )));
    }
    Ok(GridPackage { cells, routing_tolerance_m })
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn varint(&mut self, what: &'static str) -> Result<u64, PackageError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let &byte = self.bytes.get(self.at).ok_or(PackageError::Truncated(what))?;
            self.at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(PackageError::Malformed(format!("{what} is not a valid varint")))
    }

    fn count(&mut self, what: &'static str) -> Result<usize, PackageError> {
        let value = self.varint(what)?;
        let left = (self.bytes.len() - self.at) as u64;
        if value > left {
            return Err(PackageError::Malformed(format!("{what} of {value} exceeds the {left} bytes left")));
        }
        Ok(value as usize)
    }

    fn take(&mut self, len: usize, what: &'static str) -> Result<&[u8], PackageError> {
        let slice = self.bytes.get(self.at..self.at + len).ok_or(PackageError::Truncated(what))?;
        self.at += len;
        Ok(slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::{GeneratorOptions, generate_city};

    fn cells() -> Vec<GridCell> {
        generate_city(GeneratorOptions { cells: 12, seed: 5, bbox: None }).unwrap()
    }

    #[test]
    fn the_tolerance_travels_with_the_cells() {
        let bytes = encode_package_with_tolerance(&cells(), 35.5).unwrap();
        let package = decode_grid_package(&bytes).unwrap();
        assert_eq!(package.routing_tolerance_m, 35.5);
        assert_eq!(package.cells, decode_package(&bytes).unwrap());
        assert_eq!(
            decode_grid_package(&encode_package(&cells()).unwrap()).unwrap().routing_tolerance_m,
            50.0
        );
        for bad in [-1.0, f64::NAN, MAX_PACKAGE_TOLERANCE_M + 1.0] {
            assert!(matches!(
                encode_package_with_tolerance(&cells(), bad),
                Err(PackageError::Tolerance { .. })
            ));
        }
    }

    #[test]
    fn a_version_1_package_still_reads_with_the_default_tolerance() {
        // Version 1 is version 2 without the tolerance field: rebuild one from a version 2 package
        // with a one-byte tolerance (0 cm), and sign it again.
        let v2 = encode_package_with_tolerance(&cells(), 0.0).unwrap();
        let mut v1 = v2[..MAGIC.len()].to_vec();
        v1.extend_from_slice(&1u16.to_le_bytes());
        v1.extend_from_slice(&v2[HEADER_LEN + 1..v2.len() - CHECKSUM_LEN]);
        let checksum = Sha256::digest(&v1);
        v1.extend_from_slice(&checksum[..CHECKSUM_LEN]);
        let package = decode_grid_package(&v1).unwrap();
        assert_eq!(package.routing_tolerance_m, DEFAULT_ROUTING_TOLERANCE_M);
        assert_eq!(package.cells, decode_package(&v2).unwrap());
    }
}
