//! How a view model's state reaches the screen: [`Observers`] keeps the listeners of one model
//! and tells each of them every new state, and [`ListenerHandle`] keeps one listener subscribed
//! until it is cancelled or dropped (a screen that goes away stops listening by releasing it).
//!
//! Listeners are called on the thread that changed the state (an intent's thread, or the
//! background sync); a shell posts to its main thread. They are called outside every lock, so
//! a listener may read the model's state or send an intent again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// A listener as the model keeps it: a closure over the shell's typed listener.
pub(crate) type Notify<S> = Arc<dyn Fn(S) + Send + Sync>;

/// The listeners of one model.
pub(crate) struct Observers<S> {
    listeners: Mutex<Vec<(u64, Notify<S>)>>,
    next_id: AtomicU64,
}

impl<S> Default for Observers<S> {
    fn default() -> Self {
        Self { listeners: Mutex::new(Vec::new()), next_id: AtomicU64::new(0) }
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A model's fields stay usable whatever panicked while holding them: every write replaces
    // a whole value.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<S: Clone + Send + 'static> Observers<S> {
    /// Subscribe `notify`; it hears `current` at once, then every [`Observers::publish`].
    pub fn subscribe(self: &Arc<Self>, current: S, notify: Notify<S>) -> ListenerHandle {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        lock(&self.listeners).push((id, notify.clone()));
        notify(current);
        let observers: Weak<Self> = Arc::downgrade(self);
        ListenerHandle::new(move || {
            if let Some(observers) = observers.upgrade() {
                lock(&observers.listeners).retain(|(listener, _)| *listener != id);
            }
        })
    }

    /// Tell every listener the new state.
    pub fn publish(&self, state: &S) {
        let listeners: Vec<Notify<S>> = lock(&self.listeners).iter().map(|(_, n)| n.clone()).collect();
        for notify in listeners {
            notify(state.clone());
        }
    }

    /// How many listeners are subscribed.
    #[cfg(test)]
    pub fn count(&self) -> usize {
        lock(&self.listeners).len()
    }
}

type Cancel = Box<dyn FnOnce() + Send>;

/// Keeps one listener subscribed until [`ListenerHandle::cancel`] is called or the handle is
/// dropped (released by Kotlin's `close()` or Swift's deinit).
#[cfg_attr(feature = "uniffi", derive(uniffi::Object))]
pub struct ListenerHandle {
    cancel: Mutex<Option<Cancel>>,
}

impl ListenerHandle {
    pub(crate) fn new(cancel: impl FnOnce() + Send + 'static) -> Self {
        Self { cancel: Mutex::new(Some(Box::new(cancel))) }
    }
}

#[cfg_attr(feature = "uniffi", uniffi::export)]
impl ListenerHandle {
    /// Stop hearing state changes. Calling it again does nothing.
    pub fn cancel(&self) {
        let cancel = lock(&self.cancel).take();
        if let Some(cancel) = cancel {
            cancel();
        }
    }
}

impl Drop for ListenerHandle {
    fn drop(&mut self) {
        self.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listener_hears_the_current_state_then_changes_until_its_handle_goes() {
        let observers = Arc::new(Observers::<u32>::default());
        let heard = Arc::new(Mutex::new(Vec::new()));
        let sink = heard.clone();
        let handle = observers.subscribe(1, Arc::new(move |s| sink.lock().unwrap().push(s)));
        observers.publish(&2);
        assert_eq!(observers.count(), 1);
        drop(handle);
        observers.publish(&3);
        assert_eq!(*heard.lock().unwrap(), [1, 2]);
        assert_eq!(observers.count(), 0);

        let sink = heard.clone();
        let handle = observers.subscribe(4, Arc::new(move |s| sink.lock().unwrap().push(s)));
        handle.cancel();
        handle.cancel();
        observers.publish(&5);
        assert_eq!(*heard.lock().unwrap(), [1, 2, 4]);
    }
}
