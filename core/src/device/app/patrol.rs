//! The patrol screen of a grid inspector (巡查): going on and off duty, and the track recorded
//! while on duty, in the foreground and in the background. Two ways in, one rule:
//!
//! - with the screen up, the shell's timer sends `Record` every [`PATROL_INTERVAL_SECS`]; the
//!   core reads the live fix;
//! - in the background (Android's foreground location service, iOS's background location
//!   updates) the platform hands each location update in with `Moved`, as often as it likes;
//!   the core keeps one at most every [`PATROL_INTERVAL_SECS`] by the fix's own time, so the
//!   shells hold no interval of their own and a platform that delivers every second does not
//!   flood the queue.
//!
//! Each kept position goes to the device's track queue ([`crate::device::track`]), so a day
//! without signal loses nothing; every sync uploads what is waiting and forgets it once the
//! server has it. On duty survives a restart (it is kept in the store), so a process started by
//! the platform keeps recording; `background_title` and `status_text` are the words of the
//! ongoing notification a platform shows while it records in the background.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

use super::observe::{ListenerHandle, Observers, lock};
use super::platform::LocationFix;
use super::text::{self, Language};
use super::{Screen, Shared};
use crate::device::Error;
use crate::geo::GeoPoint;
use crate::limits::PATROL_INTERVAL_SECS;
use crate::workflow::Role;

const ON_DUTY_KEY: &str = "patrol_on_duty";
const RECORDED_KEY: &str = "patrol_recorded";
/// When the last position was kept (RFC 3339), so background updates keep the interval.
const LAST_KEPT_KEY: &str = "patrol_last_kept";
/// How far ahead of the phone's clock a fix's own time is believed (clocks drift); a fix
/// stamped later is kept at the phone's time.
const FIX_CLOCK_SKEW_SECS: i64 = 60;

/// What the patrol screen shows.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PatrolState {
    pub title: String,
    /// Only grid inspectors patrol.
    pub available: bool,
    pub on_duty: bool,
    /// "Start patrol" or "End patrol".
    pub toggle_label: String,
    /// Seconds between two recorded positions: the shell's timer while on duty.
    pub interval_secs: u64,
    /// Positions recorded on this phone since it was installed.
    pub recorded: u32,
    /// Positions waiting for a connection.
    pub waiting: u32,
    pub status_text: String,
    /// The title of the ongoing notification while the platform records in the background.
    pub background_title: String,
    pub message: Option<String>,
}

/// What the user (or the shell's timer) did.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum PatrolIntent {
    StartDuty,
    EndDuty,
    /// The timer fired: record where the phone is now (only on duty).
    Record,
    /// The platform delivered a location update (a background location service): kept when on
    /// duty and at least the interval after the last kept position, by the fix's own time
    /// (milliseconds since 1970, UTC: Android's `Location.time`, iOS's `timestamp`).
    Moved {
        fix: LocationFix,
        at_unix_ms: i64,
    },
}

/// Hears every [`PatrolState`].
#[cfg_attr(feature = "uniffi", uniffi::export(with_foreign))]
pub trait PatrolListener: Send + Sync {
    fn on_state(&self, state: PatrolState);
}

/// The patrol screen's model.
#[cfg_attr(feature = "uniffi", derive(uniffi::Object))]
pub struct PatrolModel {
    shared: Arc<Shared>,
    message: Mutex<Option<String>>,
    observers: Arc<Observers<PatrolState>>,
}

/// Upload what is waiting (see [`crate::device::track`]); part of every sync pass.
pub(crate) fn upload_track(shared: &Shared) -> Result<(), Error> {
    shared.device.upload_track().map(|_| ())
}

impl PatrolModel {
    pub(crate) fn open(shared: Arc<Shared>) -> Arc<Self> {
        let model = Arc::new(Self { shared, message: Mutex::default(), observers: Arc::default() });
        model.shared.register(Arc::downgrade(&(model.clone() as Arc<dyn Screen>)));
        model
    }

    fn inspector(&self) -> bool {
        self.shared.device.account().ok().flatten().is_some_and(|a| a.role == Role::Inspector)
    }

    fn on_duty(&self) -> bool {
        self.shared.device.store().setting(ON_DUTY_KEY).ok().flatten().unwrap_or(false)
    }

    fn render(&self) -> PatrolState {
        let lang = self.shared.language();
        let on_duty = self.on_duty();
        let waiting = u32::try_from(self.shared.device.track_waiting().unwrap_or(0)).unwrap_or(u32::MAX);
        let recorded: u32 = self.shared.device.store().setting(RECORDED_KEY).ok().flatten().unwrap_or(0);
        PatrolState {
            title: lang.pick("巡查", "Patrol"),
            available: self.inspector(),
            on_duty,
            toggle_label: if on_duty {
                lang.pick("结束巡查", "End patrol")
            } else {
                lang.pick("开始巡查", "Start patrol")
            },
            interval_secs: PATROL_INTERVAL_SECS,
            recorded,
            waiting,
            status_text: match (on_duty, waiting) {
                (false, _) => lang.pick("未在巡查", "Not on patrol"),
                (true, 0) => lang.pick("巡查中，轨迹已同步", "On patrol; track up to date"),
                (true, n) => lang.pick(
                    &format!("巡查中，{n} 个位置等待上传"),
                    &format!("On patrol; {n} positions waiting to upload"),
                ),
            },
            background_title: lang.pick("正在记录巡查轨迹", "Recording your patrol track"),
            message: lock(&self.message).clone(),
        }
    }

    fn apply(&self, intent: PatrolIntent, lang: Language) -> Result<(), Error> {
        let store = self.shared.device.store();
        match intent {
            PatrolIntent::StartDuty if self.inspector() => {
                store.set_setting(ON_DUTY_KEY, &true)?;
                self.record(lang)?;
            }
            PatrolIntent::StartDuty => {
                *lock(&self.message) = Some(lang.pick("只有网格员可以巡查", "Only grid inspectors patrol"));
            }
            PatrolIntent::EndDuty => {
                store.set_setting(ON_DUTY_KEY, &false)?;
                self.shared.sync()?;
            }
            PatrolIntent::Record if self.on_duty() && self.inspector() => {
                self.record(lang)?;
                self.shared.sync()?;
            }
            PatrolIntent::Record => {}
            PatrolIntent::Moved { fix, at_unix_ms } if self.on_duty() && self.inspector() => {
                let now = Utc::now();
                let at = DateTime::from_timestamp_millis(at_unix_ms)
                    .filter(|at| *at <= now + Duration::seconds(FIX_CLOCK_SKEW_SECS))
                    .unwrap_or(now);
                let last: Option<DateTime<Utc>> = store.setting(LAST_KEPT_KEY)?;
                let interval = Duration::seconds(i64::try_from(PATROL_INTERVAL_SECS).unwrap_or(i64::MAX));
                if last.is_none_or(|last| at - last >= interval) && self.keep(at, fix, lang)? {
                    self.shared.sync()?;
                }
            }
            PatrolIntent::Moved { .. } => {}
        }
        Ok(())
    }

    /// Keep the live fix in the device's track queue.
    fn record(&self, lang: Language) -> Result<(), Error> {
        let Some(fix) = self.shared.location.current_fix() else {
            *lock(&self.message) =
                Some(lang.pick("没有定位，这一次未记录", "No position: nothing recorded this time"));
            return Ok(());
        };
        self.keep(Utc::now(), fix, lang).map(|_| ())
    }

    /// Keep `fix`, taken at `at`, in the device's track queue; `false` (and a message) for a fix
    /// that is no place on Earth.
    fn keep(&self, at: DateTime<Utc>, fix: LocationFix, lang: Language) -> Result<bool, Error> {
        if GeoPoint::new(fix.lat, fix.lon).is_err() {
            *lock(&self.message) =
                Some(lang.pick("定位无效，这一次未记录", "The position was not valid: nothing recorded"));
            return Ok(false);
        }
        self.shared.device.record_track_point(at, fix.lat, fix.lon, fix.accuracy_m)?;
        let store = self.shared.device.store();
        store.set_setting(LAST_KEPT_KEY, &at)?;
        let recorded: u32 = store.setting(RECORDED_KEY)?.unwrap_or(0);
        store.set_setting(RECORDED_KEY, &recorded.saturating_add(1))?;
        Ok(true)
    }
}

impl Screen for PatrolModel {
    fn refresh(&self) {
        self.observers.publish(&self.render());
    }
}

#[cfg_attr(feature = "uniffi", uniffi::export)]
impl PatrolModel {
    /// What the screen shows now.
    pub fn state(&self) -> PatrolState {
        self.render()
    }

    /// Do what the user or the timer asked; may block on the network (the upload).
    pub fn send(&self, intent: PatrolIntent) {
        let lang = self.shared.language();
        *lock(&self.message) = None;
        if let Err(e) = self.apply(intent, lang) {
            *lock(&self.message) = Some(text::error_words(&e, lang));
        }
        self.shared.changed();
    }

    /// Hear the state now and after every change.
    pub fn subscribe(&self, listener: Arc<dyn PatrolListener>) -> Arc<ListenerHandle> {
        Arc::new(self.observers.subscribe(self.render(), Arc::new(move |s| listener.on_state(s))))
    }
}
