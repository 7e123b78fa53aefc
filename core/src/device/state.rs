//! The sync engine's observable state and its listeners: the app subscribes a [`SyncListener`]
//! (a UniFFI callback interface on the phone), gets the current state at once and every change
//! after, and stops by dropping the [`Subscription`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime};

/// What the sync engine is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncState {
    /// Nothing to send, or everything sendable has been sent.
    Idle,
    /// Sending: `done` of `total` items finished (delivered or parked) in this pass.
    Syncing { done: u32, total: u32 },
    /// The network or the server is unavailable; the engine will try again after `retry_in`
    /// (`retry_at` is the same moment on the wall clock, for display only).
    WaitingForNetwork { retry_at: SystemTime, retry_in: Duration },
    /// Sync cannot go on without the user (signed out) or the device (storage failure).
    Error { message: String },
}

/// Receives every state change. Called on the syncing thread: return quickly.
pub trait SyncListener: Send + Sync {
    fn on_state_changed(&self, state: SyncState);
}

type Listeners = Vec<(u64, Arc<dyn SyncListener>)>;

/// The current state and who wants to hear about it.
pub struct StateHub {
    current: Mutex<SyncState>,
    listeners: Mutex<Listeners>,
    next_id: AtomicU64,
}

impl Default for StateHub {
    fn default() -> Self {
        Self {
            current: Mutex::new(SyncState::Idle),
            listeners: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(0),
        }
    }
}

/// Keeps a listener subscribed; dropping it unsubscribes.
pub struct Subscription {
    hub: Weak<StateHub>,
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.upgrade() {
            lock(&hub.listeners).retain(|(id, _)| *id != self.id);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Listener lists and a state value stay consistent whatever panicked while holding them.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl StateHub {
    pub fn current(&self) -> SyncState {
        lock(&self.current).clone()
    }

    /// Subscribe `listener`; it hears the current state immediately.
    pub fn subscribe(self: &Arc<Self>, listener: Arc<dyn SyncListener>) -> Subscription {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        lock(&self.listeners).push((id, listener.clone()));
        listener.on_state_changed(self.current());
        Subscription { hub: Arc::downgrade(self), id }
    }

    /// Set the state and tell every listener (outside the locks, so a listener may call back).
    pub(crate) fn publish(&self, state: SyncState) {
        *lock(&self.current) = state.clone();
        let listeners: Vec<_> = lock(&self.listeners).iter().map(|(_, l)| l.clone()).collect();
        for listener in listeners {
            listener.on_state_changed(state.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<SyncState>>);

    impl SyncListener for Recorder {
        fn on_state_changed(&self, state: SyncState) {
            self.0.lock().unwrap().push(state);
        }
    }

    #[test]
    fn listeners_hear_the_current_state_then_changes_until_unsubscribed() {
        let hub = Arc::new(StateHub::default());
        hub.publish(SyncState::Syncing { done: 0, total: 2 });
        let recorder = Arc::new(Recorder::default());
        let subscription = hub.subscribe(recorder.clone());
        hub.publish(SyncState::Syncing { done: 1, total: 2 });
        drop(subscription);
        hub.publish(SyncState::Idle);
        assert_eq!(
            *recorder.0.lock().unwrap(),
            [SyncState::Syncing { done: 0, total: 2 }, SyncState::Syncing { done: 1, total: 2 }]
        );
        assert_eq!(hub.current(), SyncState::Idle);
    }
}
