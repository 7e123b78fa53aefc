//! gridline-mobile: the UniFFI façade that the Android and iOS apps call.
//!
//! A thin layer: each exported function converts its arguments into `gridline-core` types,
//! calls core, and converts the result back. No rule lives here, so the phone and the server
//! always decide the same way. Every exported item carries a doc comment because it becomes
//! the Kotlin and Swift API documentation.
//!
//! Modules:
//! - [`error`]: [`GridlineError`], the one error type apps see, and its single mapping from
//!   core's errors.
//! - [`geo`]: coordinate systems, conversion between them and distances.
//! - [`codes`]: validation and normalization of grid and category codes.
//!
//! Bindings are generated from the built library by `scripts/gen-bindings`: Kotlin into the
//! package `org.gridline.sdk.ffi`, Swift into the module `GridlineFFI` (see `uniffi.toml`).

uniffi::setup_scaffolding!();

pub mod codes;
pub mod error;
pub mod geo;

pub use codes::{CategoryCodeInfo, CategoryKind, GridCodeInfo, parse_category_code, parse_grid_code};
pub use error::GridlineError;
pub use geo::{Crs, GeoPoint, convert_point, distance_m};
