//! Background work every server node runs beside the HTTP workers, on the server's actix
//! system (so it stops with it). Each job is safe to run on several nodes at once: the
//! database decides which node's write counts, never a node-local lock.
//!
//! - [`overdue`]: flags cases at their deadline and escalates them to the street office.
//! - [`notifications`]: sends the reporters' notices waiting in the outbox.
//! - [`sensors`]: confirms sensor alarms that lasted long enough and files their cases.
//! - [`warnings`]: the day's early-warning scan of every category class, run by one node.
//! - [`partitions`]: on PostgreSQL, the monthly partitions of the cases and events ahead of time.
//! - [`rollup_folds`]: adds the statistics' roll-up deltas to the roll-ups every few seconds.

pub mod notifications;
pub mod overdue;
pub mod partitions;
pub mod rollup_folds;
pub mod sensors;
pub mod warnings;
