//! The app core on [`GridlineClient`]: the screens' view models, their records and the platform
//! traits are `gridline_core::device::app`'s own types, exported by derive (Kotlin package
//! `org.gridline.sdk.core`, Swift module `GridlineCore`); this only opens the app object over
//! the client's device.

use std::sync::Arc;

use gridline_core::device::app::{
    AppCore, BackgroundScheduler, Language, LocationProvider, Notifier, SecureStorage,
};

use crate::GridlineError;
use crate::client::GridlineClient;

#[uniffi::export]
impl GridlineClient {
    /// The app core over this client's store: account, sync and language, and the screens'
    /// view models (`signInScreen`, `newReportScreen`, `outboxScreen`, `myReportsScreen`).
    /// `language` is used until the user chooses one. Open one per process and keep it. Fails
    /// with `Storage` when the store cannot be read.
    pub fn app_core(
        &self,
        location: Arc<dyn LocationProvider>,
        notifier: Arc<dyn Notifier>,
        secure_storage: Arc<dyn SecureStorage>,
        scheduler: Arc<dyn BackgroundScheduler>,
        language: Language,
    ) -> Result<Arc<AppCore>, GridlineError> {
        Ok(AppCore::open(self.device.clone(), location, notifier, secure_storage, scheduler, language)?)
    }
}
