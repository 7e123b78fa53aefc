//! gridline-server: the city's HTTP API (actix-web), its store (diesel over SQLite or
//! PostgreSQL) and the `gridline` command line.
//!
//! Modules:
//! - [`config`]: every setting declared once, validated at start-up.
//! - [`store`]: the diesel `MultiConnection`, pool, migrations and schema.
//! - [`error`]: the one HTTP error type (problem+json).
//! - [`api`]: every route in one `configure()`, one folder per resource.
//! - [`auth`]: identity (password, one-time code, device accounts), tokens, roles and scopes.
//! - [`serve`]: binding and running the server; [`app`]: the shared state.
//! - [`demo`]: the demo city seeded on an empty development database.
//! - [`routing`]: the grid routing index each node rebuilds from the database.
//! - [`live`]: wake-ups for live events, across nodes through PostgreSQL `LISTEN`/`NOTIFY`.
//! - [`open311`]: Open311 GeoReport v2 at `/open311/v2` (XML and JSON); [`public_url`]: the
//!   origin of absolute URLs in answers; [`public_view`]: what anyone may see of a case.
//! - [`metrics`], [`request_log`], [`telemetry`]: Prometheus, request ids, structured logs;
//!   [`request_deadline`]: the time a whole request may take.
//! - [`cli`]: the `gridline` subcommands.
//! - [`dashboard`]: the operations page; [`web`]: the citizen page (`/report`, `/track/…`).
//! - [`clock`]: the time handlers and jobs act on; [`jobs`]: background work of every node.
//! - [`notify`]: notifications to reporters (outbox, senders, the delivery job).

pub mod api;
pub mod app;
pub mod auth;
pub mod calendar;
pub mod cases;
pub mod cli;
pub mod clock;
pub mod config;
pub mod dashboard;
pub mod demo;
pub mod emergency;
pub mod error;
pub mod hotline;
pub mod html;
pub mod idempotency;
pub mod jobs;
pub mod live;
pub mod map_layer;
pub mod metrics;
pub mod notify;
pub mod open311;
pub mod patrol;
pub mod public_url;
pub mod public_view;
pub mod request_deadline;
pub mod request_log;
pub mod routing;
pub mod sensors;
pub mod serve;
pub mod store;
pub mod telemetry;
pub mod warnings;
pub mod web;
