//! Grid routing: which unit grid (单元网格) a point belongs to, and the grid data around it.
//!
//! - [`GridIndex`] routes a point to a cell, deterministically on every platform (exact
//!   fixed-point predicates; the rules are in [`index`]'s documentation).
//! - [`parse_geojson`] / [`to_geojson`] read and write a GeoJSON FeatureCollection of cells;
//!   [`validate`] reports broken geometry, duplicate codes, overlaps and areas.
//! - [`encode_package_with_tolerance`] / [`decode_grid_package`]: the compact offline grid
//!   package for phones, with the city's routing tolerance.
//! - [`generate_city`]: a deterministic synthetic city for tests, benchmarks and the demo.

mod cell;
mod fixed;
mod generator;
mod geojson;
pub mod index;
mod package;
mod validate;

pub use cell::{CellGeometry, GridCell, Polygon, Ring};
pub use generator::{GeneratorOptions, generate_city};
pub use geojson::{parse_geojson, to_geojson};
pub use index::{DEFAULT_TOLERANCE_M, GridIndex, How, IndexMemory, OnSite, Route};
pub use package::{
    GridPackage, MAX_PACKAGE_TOLERANCE_M, PACKAGE_VERSION, PackageError, decode_grid_package, decode_package,
    encode_package, encode_package_with_tolerance,
};
pub use validate::{Problem, ProblemKind, ValidationOptions, ValidationReport, validate};

use crate::codes::GridCode;

/// Why grid data was refused. Each message names the feature (its position in the input and,
/// once known, its code) and says what was expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GridError {
    #[error("not valid JSON: {0}")]
    Json(String),
    #[error("expected a GeoJSON FeatureCollection, found {0}")]
    NotFeatureCollection(String),
    #[error("feature {index} ({code}): {reason}")]
    Feature { index: usize, code: String, reason: String },
    #[error("feature {index} ({code}): a coordinate is not finite or outside lon [-180, 180], lat [-90, 90]")]
    Coordinate { index: usize, code: GridCode },
    #[error("feature {index} ({code}): the geometry has no vertex")]
    EmptyGeometry { index: usize, code: GridCode },
    #[error("feature {index} ({code}): the same code as feature {first_index}")]
    DuplicateCode { index: usize, first_index: usize, code: GridCode },
    #[error("feature {index} ({code}): the grid is too large for one index (over 4 billion vertices)")]
    TooLarge { index: usize, code: GridCode },
    #[error("cannot generate the city: {0}")]
    Generator(String),
    #[error("tolerance must be a finite number of metres >= 0, got {0}")]
    Tolerance(f64),
}

#[cfg(test)]
mod tests;
