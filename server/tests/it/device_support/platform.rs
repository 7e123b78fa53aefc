//! The phone's platform for the app core's journey tests, scripted (location, notifications,
//! secure storage, background scheduling: what each is asked is recorded), every state a
//! screen's listener heard, and a phone (an app core over a device with a recording transport)
//! on a folder, so a test can drop it and open the same folder again as a restarted process.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gridline_core::device::app::{
    AppCore, AppIntent, BackgroundScheduler, Language, LocalNotification, LocationFix, LocationProvider,
    Notifier, SecureStorage, SignInIntent,
};
use gridline_core::device::{BackoffPolicy, Device, DeviceConfig};
use gridline_core::taxonomy::Taxonomy;
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;

use super::Recording;
use crate::common::TestServer;

/// The phone's side of the platform, scripted: what it is asked is recorded.
#[derive(Default)]
pub struct ScriptedPlatform {
    pub fix: Mutex<Option<LocationFix>>,
    pub notifications: Mutex<Vec<LocalNotification>>,
    pub secrets: Mutex<HashMap<String, String>>,
    pub scheduled: Mutex<Vec<u64>>,
}

impl LocationProvider for ScriptedPlatform {
    fn current_fix(&self) -> Option<LocationFix> {
        *self.fix.lock().unwrap()
    }
}

impl Notifier for ScriptedPlatform {
    fn notify(&self, notification: LocalNotification) {
        self.notifications.lock().unwrap().push(notification);
    }
}

impl SecureStorage for ScriptedPlatform {
    fn read(&self, key: String) -> Option<String> {
        self.secrets.lock().unwrap().get(&key).cloned()
    }
    fn write(&self, key: String, value: String) {
        self.secrets.lock().unwrap().insert(key, value);
    }
    fn delete(&self, key: String) {
        self.secrets.lock().unwrap().remove(&key);
    }
}

impl BackgroundScheduler for ScriptedPlatform {
    fn schedule_sync(&self, after_secs: u64) {
        self.scheduled.lock().unwrap().push(after_secs);
    }
}

/// Every state a screen's listener heard.
pub struct Heard<S>(pub Mutex<Vec<S>>);

impl<S: Clone> Heard<S> {
    pub fn new() -> Arc<Self> {
        Arc::new(Self(Mutex::new(Vec::new())))
    }
    pub fn all(&self) -> Vec<S> {
        self.0.lock().unwrap().clone()
    }
    pub fn last(&self) -> S {
        self.0.lock().unwrap().last().cloned().unwrap()
    }
}

pub struct Phone {
    pub net: Arc<Recording>,
    pub platform: Arc<ScriptedPlatform>,
    pub app: Arc<AppCore>,
}

pub fn open_phone(
    folder: &Path,
    server: &TestServer,
    taxonomy: &Taxonomy,
    platform: Arc<ScriptedPlatform>,
) -> Phone {
    let net = Arc::new(Recording::default());
    let config = DeviceConfig {
        folder: folder.to_owned(),
        server_url: format!("http://{}", server.addr),
        backoff: BackoffPolicy { base: Duration::from_millis(5), max: Duration::from_millis(50) },
    };
    let device = Arc::new(Device::open(config, net.clone(), taxonomy.clone()).unwrap());
    let app = AppCore::open(
        device,
        platform.clone(),
        platform.clone(),
        platform.clone(),
        platform.clone(),
        Language::Zh,
    )
    .unwrap();
    Phone { net, platform, app }
}

/// A phone signed in through the sign-in screen as a new staff account of `role` and `scope`
/// (login and password), synced once as the app does after signing in.
pub fn staff_phone(folder: &Path, server: &TestServer, role: Role, scope: Scope) -> Phone {
    let login = super::staff(server, role, scope);
    let phone = open_phone(
        folder,
        server,
        &Taxonomy::default_taxonomy().unwrap(),
        Arc::new(ScriptedPlatform::default()),
    );
    let sign_in = phone.app.sign_in_screen();
    sign_in.send(SignInIntent::SetStaffMode { staff: true });
    sign_in.send(SignInIntent::SetLogin { login });
    sign_in.send(SignInIntent::SetPassword { password: super::PASSWORD.into() });
    sign_in.send(SignInIntent::SignInStaff);
    assert!(sign_in.state().signed_in, "{:?}", sign_in.state());
    phone.app.send(AppIntent::SyncNow);
    phone
}
