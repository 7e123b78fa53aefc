//! What the platform owns, as traits the shell implements (Kotlin and Swift through UniFFI,
//! a scripted platform in tests): the core asks, the shell answers. HTTP is the device's
//! [`crate::device::Transport`]; camera and gallery bytes arrive with the user's intent.

/// A location fix, WGS-84 as phone GPS reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct LocationFix {
    pub lat: f64,
    pub lon: f64,
    /// The radius of 68% confidence, in metres, when the platform knows it.
    pub accuracy_m: Option<f64>,
}

/// The phone's position.
#[cfg_attr(feature = "uniffi", uniffi::export(with_foreign))]
pub trait LocationProvider: Send + Sync {
    /// The newest fix, or `None` without permission or a fix yet. Must not block for long:
    /// the shell keeps its own location updates running while the screen is open.
    fn current_fix(&self) -> Option<LocationFix>;
}

/// A notification to show on the phone.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct LocalNotification {
    /// The case it is about; opening the notification opens this report.
    pub case_id: String,
    pub title: String,
    pub body: String,
}

/// Local notifications.
#[cfg_attr(feature = "uniffi", uniffi::export(with_foreign))]
pub trait Notifier: Send + Sync {
    fn notify(&self, notification: LocalNotification);
}

/// Secrets kept by the platform (Android Keystore, iOS Keychain), such as the anonymous
/// account's device secret.
#[cfg_attr(feature = "uniffi", uniffi::export(with_foreign))]
pub trait SecureStorage: Send + Sync {
    fn read(&self, key: String) -> Option<String>;
    fn write(&self, key: String, value: String);
    fn delete(&self, key: String);
}

/// Running sync later, even with the app closed (WorkManager, BGTaskScheduler).
#[cfg_attr(feature = "uniffi", uniffi::export(with_foreign))]
pub trait BackgroundScheduler: Send + Sync {
    /// Run [`super::AppCore::background_sync`] in about `after_secs` seconds, with a network.
    fn schedule_sync(&self, after_secs: u64);
}
