//! gridline-core: every rule that the phone and the server must agree on.
//!
//! The server (`gridline-server`) and the phones (through `gridline-mobile`) both link this
//! crate, so a grid code, a category, a workflow step or a deadline means the same thing on
//! both sides. Nothing here knows about HTTP servers or server-side databases.
//!
//! Modules:
//! - [`geo`]: validated WGS-84 points, the Chinese map datums (GCJ-02, BD-09), distances.
//! - [`codes`]: grid codes (GB/T 2260 district + street + community + grid) and category codes.
//! - [`grid`]: route a point to its unit grid; GeoJSON import/validation, offline packages.
//! - [`taxonomy`]: the categories of components (部件) and events (事件) with their limits.
//! - [`workflow`]: the case state machine of GB/T 30428 and who may take which step.
//! - [`calendar`]: working time, so deadlines skip nights, weekends and holidays.
//! - [`warning`]: early warning: expected daily counts (baselines) and control charts.
//! - [`photo`]: evidence photos: orient, resize, strip metadata, hash; geotag consistency.
//! - [`protocol`]: the JSON bodies between phones and the server (requests and answers), one
//!   type for both sides.
//! - `device` (feature `device`): the phone's local store, drafts, outbox and sync client, and
//!   the app core (view models) that the phone screens draw.
//!
//! With the feature `uniffi`, the app core's view models, their records and the platform
//! traits are exported by derive to the Kotlin and Swift bindings that `gridline-mobile`
//! generates (namespace `gridline_core`).

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();

pub mod calendar;
pub mod codes;
#[cfg(feature = "device")]
pub mod device;
pub mod emergency;
pub mod geo;
pub mod grid;
pub mod limits;
pub mod photo;
pub mod protocol;
pub mod sensors;
pub mod taxonomy;
pub mod warning;
pub mod workflow;
