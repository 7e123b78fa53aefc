//! Offline grid packages across the FFI: [`GridPackage`] decodes a package (core's
//! `grid::package` format, made by `gridline grid pack` or served at `/api/v1/grids/package`)
//! and routes a point to its unit grid on the phone, with the same index and answers as the
//! server. On [`GridlineClient`], the package is fetched from the server and kept in the data
//! folder by core's device (`refresh_grid_package`), and routed with offline after a restart.

use std::sync::Arc;

use gridline_core::device::PackageRefresh;
use gridline_core::geo::GeoPoint as CoreGeoPoint;
use gridline_core::grid::{GridIndex, How, Route, decode_package};

use crate::GridlineError;
use crate::client::GridlineClient;
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

/// What [`GridlineClient::refresh_grid_package`] found.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GridPackageRefresh {
    /// A newer package was downloaded and is now the one routed with; `false` when the stored
    /// one is current (the server answered 304, no package was sent).
    pub changed: bool,
    /// The server's grid revision of the stored package, when it said.
    pub revision: Option<String>,
    /// How many unit grids the stored package holds.
    pub cell_count: u64,
}

impl From<PackageRefresh> for GridPackageRefresh {
    fn from(refresh: PackageRefresh) -> Self {
        Self { changed: refresh.changed, revision: refresh.revision, cell_count: refresh.cells as u64 }
    }
}

/// An offline grid package, decoded and indexed for routing without a network.
#[derive(uniffi::Object)]
pub struct GridPackage {
    index: Arc<GridIndex>,
}

/// Route `point` with `index`, as the server does.
fn route_with(index: &GridIndex, point: GeoPoint, crs: Crs) -> Result<Option<GridRoute>, GridlineError> {
    let point = CoreGeoPoint::try_from(point)?;
    Ok(match index.route_in(point, crs.into()) {
        Route::Unroutable => None,
        Route::Cell { code, how } => Some(GridRoute {
            code: code.to_string(),
            name: index.name(code).map(str::to_owned),
            how: how.as_str().to_owned(),
            distance_m: match how {
                How::Nearest { distance_m } => Some(distance_m),
                _ => None,
            },
        }),
    })
}

#[uniffi::export]
impl GridPackage {
    /// Decode and index a package's bytes (checksum verified). Fails with `InvalidInput`
    /// (field `grid_package`) for corrupt, truncated or unsupported data.
    #[uniffi::constructor]
    pub fn new(bytes: Vec<u8>) -> Result<Arc<Self>, GridlineError> {
        let cells = decode_package(&bytes)?;
        Ok(Arc::new(Self { index: Arc::new(GridIndex::build(&cells)?) }))
    }

    /// How many unit grids the package holds.
    pub fn cell_count(&self) -> u64 {
        self.index.len() as u64
    }

    /// The unit grid of `point` (given in `crs`), or `None` when it lies farther than 50 m from
    /// every grid. Fails with `InvalidInput` (field `lat` or `lon`) for an invalid point.
    pub fn route(&self, point: GeoPoint, crs: Crs) -> Result<Option<GridRoute>, GridlineError> {
        route_with(&self.index, point, crs)
    }
}

#[uniffi::export]
impl GridlineClient {
    /// Ask the server for the city's grid package and keep it in the data folder when it is
    /// newer than the stored one (a conditional GET: an unchanged grid costs a 304 and no
    /// download). Signed in, the request carries the session, renewed once if it expired.
    /// Blocks on the network: call it off the main thread. Fails with `Network` (the stored
    /// package stays), `Refused` (e.g. the server holds no grid yet), `Protocol` for an answer
    /// that is not a readable package, and `Storage` when the folder cannot be written.
    pub fn refresh_grid_package(&self) -> Result<GridPackageRefresh, GridlineError> {
        Ok(self.device.refresh_grid_package()?.into())
    }

    /// The stored grid package, for routing offline (also after a restart without a
    /// network); `None` before the first [`GridlineClient::refresh_grid_package`]. Fails with
    /// `Storage` when the stored file is damaged (refreshing downloads it again).
    pub fn grid_package(&self) -> Result<Option<Arc<GridPackage>>, GridlineError> {
        Ok(self.device.grid_index()?.map(|index| Arc::new(GridPackage { index })))
    }

    /// Route `point` (given in `crs`) with the stored grid package, offline: `None` when no
    /// package is stored yet or the point lies farther than 50 m from every grid. Fails with
    /// `InvalidInput` (field `lat` or `lon`) for an invalid point and `Storage` for a damaged
    /// stored package.
    pub fn route_offline(&self, point: GeoPoint, crs: Crs) -> Result<Option<GridRoute>, GridlineError> {
        match self.device.grid_index()? {
            Some(index) => route_with(&index, point, crs),
            None => Ok(None),
        }
    }
}
