//! Live events: how a node learns that the audit trail grew, so `GET /api/v1/events`
//! ([`crate::api::events`]) can read the new events at once instead of polling.
//!
//! The `case_events` table stays the only source of truth; a wake-up carries no event, it only
//! says "read again". Two sources wake a node's subscribers:
//! - the node's own writes: [`crate::store::Db::run`] wakes its [`Signal`] after a closure that
//!   inserted an event has returned, that is after the transaction committed;
//! - on PostgreSQL, every node's writes: the insert sends `NOTIFY` on [`listener::CHANNEL`]
//!   (delivered at commit), and one [`listener`] connection per node relays it to the signal.
//!
//! A subscriber also re-reads on a timer (`GRIDLINE_EVENTS_POLL_SECS`), so a lost wake-up
//! (the listener reconnecting, a writer outside `Db::run`) delays an event, never loses it.

pub mod feed;
pub mod listener;

use std::sync::Arc;

use tokio::sync::watch;

/// A wake-up bell shared by everything on one node that writes or follows events. Cheap to
/// clone; ringing it with nobody listening costs nothing.
#[derive(Debug, Clone)]
pub struct Signal(Arc<watch::Sender<u64>>);

impl Signal {
    pub fn new() -> Self {
        Self(Arc::new(watch::Sender::new(0)))
    }

    /// Tell every subscriber to read again.
    pub fn wake(&self) {
        self.0.send_modify(|rings| *rings = rings.wrapping_add(1));
    }

    /// A receiver whose `changed()` resolves after the next [`Signal::wake`].
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.0.subscribe()
    }
}

impl Default for Signal {
    fn default() -> Self {
        Self::new()
    }
}
