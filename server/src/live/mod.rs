//! Live events: how a node learns that the audit trail grew, so `GET /api/v1/events`
//! ([`crate::api::events`]) can read the new events at once instead of polling.
//!
//! The `case_events` table stays the only source of truth; a wake-up carries no event, it only
//! says "read again". Two sources wake a node's subscribers:
//! - the node's own writes: [`crate::store::Db::run`] wakes its [`Bell`] after a closure that
//!   inserted an event has returned, that is after the transaction committed;
//! - on PostgreSQL, every node's writes: the insert sends `NOTIFY` on [`listener::CHANNEL`]
//!   (delivered at commit), and one [`listener`] connection per node relays it to the signal.
//!
//! Early warning's signals ride the same stream as `signal` events, unnumbered ([`signals`]),
//! with a bell of their own ([`crate::store::Db::signals`], and on PostgreSQL the channel
//! [`listener::SIGNALS`]): a case event never makes a stream read the signals, nor a signal
//! the case feed.
//!
//! A subscriber also re-reads on a timer (`GRIDLINE_EVENTS_POLL_SECS`), so a lost wake-up
//! (the listener reconnecting, a writer outside `Db::run`) delays an event, never loses it.

pub mod feed;
pub mod listener;
pub mod signals;

/// The bell and the channel belong to the store, which rings them on every event insert.
pub use crate::store::events::Bell;
