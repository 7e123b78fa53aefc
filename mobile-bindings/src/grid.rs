//! Offline grid packages across the FFI: [`GridPackage`] decodes a package (core's
//! `grid::package` format, made by `gridline grid pack`) and routes a point to its unit grid on
//! the phone, with the same index and answers as the server.

use gridline_core::geo::GeoPoint as CoreGeoPoint;
use gridline_core::grid::{GridIndex, How, Route, decode_package};

use crate::GridlineError;
use crate::geo::{Crs, GeoPoint};

/// Where a point was routed.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct GridRoute {
    /// The 15-digit unit-grid code.
    pub code: String,
    /// The grid's name, when the package has one.
    pub name: Option<String>,
    /// `inside`, `boundary`, `overlap` or `nearest`.
    pub how: String,
    /// For `nearest`: how far outside the cell the point lies, in metres.
    pub distance_m: Option<f64>,
}

/// An offline grid package, decoded and indexed for routing without a network.
#[derive(uniffi::Object)]
pub struct GridPackage {
    index: GridIndex,
}

#[uniffi::export]
impl GridPackage {
    /// Decode and index a package's bytes (checksum verified). Fails with `InvalidInput`
    /// (field `grid_package`) for corrupt, truncated or unsupported data.
    #[uniffi::constructor]
    pub fn new(bytes: Vec<u8>) -> Result<std::sync::Arc<Self>, GridlineError> {
        let cells = decode_package(&bytes)?;
        Ok(std::sync::Arc::new(Self { index: GridIndex::build(&cells)? }))
    }

    /// How many unit grids the package holds.
    pub fn cell_count(&self) -> u64 {
        self.index.len() as u64
    }

    /// The unit grid of `point` (given in `crs`), or `None` when it lies farther than 50 m from
    /// every grid. Fails with `InvalidInput` (field `lat` or `lon`) for an invalid point.
    pub fn route(&self, point: GeoPoint, crs: Crs) -> Result<Option<GridRoute>, GridlineError> {
        let point = CoreGeoPoint::try_from(point)?;
        Ok(match self.index.route_in(point, crs.into()) {
            Route::Unroutable => None,
            Route::Cell { code, how } => Some(GridRoute {
                code: code.to_string(),
                name: self.index.name(code).map(str::to_owned),
                how: how.as_str().to_owned(),
                distance_m: match how {
                    How::Nearest { distance_m } => Some(distance_m),
                    _ => None,
                },
            }),
        })
    }
}
