//! The case service: the two flows that matter most, each behind one door that every way in
//! uses (the HTTP handlers, Open311, the overdue job, the CLI):
//!
//! - [`file_report`]: a report becomes a case in state `reported` (checks, routing, photos,
//!   hourly limit, idempotency, the first event);
//! - [`take_step`]: one workflow step on a case. Core's [`workflow::take`] decides the whole
//!   transition (next state, deadline and its source, handling unit, merge link, overdue flag,
//!   rating); this service gathers the facts it needs, applies what core returned and records
//!   it. It never re-decides by looking at the action's name.
//!
//! The service owns the facts of a case ([`facts`]), the event constructors ([`events`]), the
//! server's clock (every "now" comes from [`crate::clock::Clock`] through the app state) and the
//! city's working calendar ([`crate::calendar`], read from the configuration). Callers only translate:
//! HTTP status codes, Open311's shapes, log lines.
//!
//! [`workflow::take`]: gridline_core::workflow::take

pub mod command;
pub mod events;
pub mod facts;
pub mod joint;
pub mod overdue;
mod report;
mod report_checks;
pub mod sensor;
mod step;
mod step_checks;
pub mod verifiers;

pub use report::{Filed, Overrides, Submitter, file_report, file_report_with};
pub use step::{StepError, StepRequest, Stepped, take_step};
