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
//! - [`client`]: [`GridlineClient`], over core's device: drafts, photos, submit, the outbox,
//!   sync and its state listener; [`account`] (sign-in) adds to it, over core's online calls
//!   (`gridline_core::device::remote`). The field apps' work list, case page and workflow
//!   steps are the app core's view models (`WorkListModel`, `CasePageModel`, `PatrolModel`).
//! - [`app`]: the app core (one view model per screen), opened over the client's device; its
//!   types are core's own, exported by derive into their own namespace.
//! - [`transport`]: [`HttpTransport`], the foreign trait through which the app's own HTTP
//!   stack (OkHttp, URLSession) carries the SDK's requests.
//! - [`pull`]: the lists sync pulls after the outbox (work list, own reports), cached offline.
//! - [`records`]: drafts, photos, outbox items and sync state as FFI records.
//! - [`workflow`]: case states, actions and roles, and which actions a role may take.
//! - [`grid`]: [`GridPackage`], offline routing of a point to its unit grid, and the
//!   package fetched from the server and kept on the device.
//!
//! Bindings are generated from the built library by `scripts/gen-bindings`: Kotlin into the
//! package `org.gridline.sdk.ffi`, Swift into the module `GridlineFFI` (see `uniffi.toml`).

uniffi::setup_scaffolding!();

pub mod account;
pub mod app;
pub mod client;
pub mod codes;
pub mod error;
pub mod geo;
pub mod grid;
pub mod pull;
pub mod records;
pub mod transport;
pub mod workflow;

pub use account::Account;
pub use client::{
    CategoryInfo, GridlineClient, QuestionInfo, QuestionOption, SyncStateListener, SyncSubscription,
};
pub use codes::{CategoryCodeInfo, CategoryKind, GridCodeInfo, parse_category_code, parse_grid_code};
pub use error::{FieldProblem, GridlineError};
pub use geo::{Crs, GeoPoint, convert_point, distance_m};
pub use grid::{GridPackage, GridPackageRefresh, GridRoute};
pub use pull::{CachedCase, PullList};
pub use records::{
    AnswerValue, Draft, DraftFields, ItemKind, ItemStatus, OutboxItem, Photo, Position, ServerProblem,
    SyncOutcome, SyncState,
};
pub use transport::{HttpHeader, HttpRequest, HttpResponse, HttpTransport, TransportError};
pub use workflow::{CaseState, Role, WorkflowAction, available_actions};
