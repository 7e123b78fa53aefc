//! The app core: what the phone screens show and decide, in Rust, so Android and iOS only draw
//! and pass on what the user did (after matrix-rust-sdk's `matrix-sdk-ui` and Crux's core/shell
//! split).
//!
//! - One view model per screen: [`SignInModel`], [`NewReportModel`], [`OutboxModel`] (drafts
//!   and the outbox), [`MyReportsModel`] (the list and one report in detail), and for the field
//!   apps [`WorkListModel`] (an inspector's cases) and [`CasePageModel`] (one case with the
//!   steps the account may take), [`PatrolModel`] (on duty and the patrol track); and [`AppCore`] for what outlives screens (account, sync,
//!   language) and which opens the screens.
//! - Each has `state()`, a display-ready record (texts in the user's language, enabled and
//!   visible flags, an error per field); `send(intent)`, what the user did; and
//!   `subscribe(listener)`, which hears the state now and after every change until the
//!   returned [`ListenerHandle`] is cancelled or dropped.
//! - What the platform owns is a trait the shell implements ([`platform`]): location,
//!   notifications, secure storage, background scheduling, and optionally a base map
//!   ([`BaseMapProvider`]); HTTP is the device's [`crate::device::Transport`]. Photos come in
//!   as the camera's or gallery's bytes with the intent, since capture is a platform screen the
//!   user drives (and may cancel): a camera trait would have the core wait on a screen. Location
//!   fixes are pushed in as intents while a screen that shows them is open; push tokens too
//!   (registered for the account, see `push`).
//!
//! `send` does its work on the caller's thread and may block on the network (sign-in,
//! sending, refreshing): shells call it off the main thread. A change made by one screen (a
//! report sent, a sync) refreshes every open screen, so lists never go stale.

mod base_map;
mod case_page;
mod my_reports;
mod nearby;
mod new_report;
pub mod observe;
mod outbox;
mod patrol;
mod photos;
pub mod platform;
mod push;
mod sign_in;
pub mod text;
mod work_list;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Weak};

pub use base_map::{BaseMapProvider, BaseTile};
pub use case_page::{ActionView, CaseEvent, CasePageIntent, CasePageListener, CasePageModel, CasePageState};
pub use my_reports::{
    MyReportsIntent, MyReportsListener, MyReportsModel, MyReportsState, ReportDetail, ReportRow,
    TimelineEntry,
};
pub use nearby::NearbyReport;
pub use new_report::{
    AnswerInput, CategoryChoice, Choice, MapCell, MapPoint, MapView, NewReportIntent, NewReportListener,
    NewReportModel, NewReportState, PhotoTile, QuestionControl, QuestionView,
};
pub use observe::ListenerHandle;
pub use outbox::{DraftRow, OutboxIntent, OutboxListener, OutboxModel, OutboxRow, OutboxState};
pub use patrol::{PatrolIntent, PatrolListener, PatrolModel, PatrolState};
pub use photos::{PhotoView, PhotoViewer};
pub use platform::{
    BackgroundScheduler, LocalNotification, LocationFix, LocationProvider, Notifier, SecureStorage,
};
pub use push::PushPlatform;
pub use sign_in::{SignInIntent, SignInListener, SignInModel, SignInState};
pub use text::Language;
pub use work_list::{
    FilterChoice, TaskKind, WorkFilter, WorkListIntent, WorkListListener, WorkListModel, WorkListState,
    WorkMap, WorkMarker, WorkRow, WorkSort,
};

use self::observe::{Observers, lock};
use super::pull::PullList;
use super::{Device, Error, SyncOutcome, SyncState};

const LANGUAGE_KEY: &str = "language";
/// The states of own reports as last shown, so a sync that changes one notifies once, even in
/// a process started cold by the background scheduler.
const SEEN_STATES_KEY: &str = "seen_report_states";

/// A screen that redraws when something it shows may have changed.
pub(crate) trait Screen: Send + Sync {
    fn refresh(&self);
}

/// What every model shares: the device, the platform, the language, the open screens.
pub(crate) struct Shared {
    pub device: Arc<Device>,
    pub location: Arc<dyn LocationProvider>,
    pub notifier: Arc<dyn Notifier>,
    pub secure_storage: Arc<dyn SecureStorage>,
    pub scheduler: Arc<dyn BackgroundScheduler>,
    /// The platform's base map under the cells, if it plugged one in.
    base_map: Mutex<Option<Arc<dyn BaseMapProvider>>>,
    language: Mutex<Language>,
    screens: Mutex<Vec<Weak<dyn Screen>>>,
}

impl Shared {
    pub fn language(&self) -> Language {
        *lock(&self.language)
    }

    pub fn base_map(&self) -> Option<Arc<dyn BaseMapProvider>> {
        lock(&self.base_map).clone()
    }

    /// Pull the lists of the signed-in account's role in every sync (none signed out), from the
    /// account kept in the store: at start, so a cold process refreshes them, and after a
    /// sign-in or sign-out.
    pub fn set_pull_lists(&self) {
        let account = self.device.account().ok().flatten();
        let lists = account.map(|a| super::account::pull_lists_for(a.role)).unwrap_or_default();
        self.device.sync().set_pull_lists(&lists);
    }

    pub fn register(&self, screen: Weak<dyn Screen>) {
        let mut screens = lock(&self.screens);
        screens.retain(|s| s.strong_count() > 0);
        screens.push(screen);
    }

    /// Redraw every open screen (outside the lock: a screen's refresh reads the store).
    pub fn changed(&self) {
        let screens: Vec<Arc<dyn Screen>> = lock(&self.screens).iter().filter_map(Weak::upgrade).collect();
        for screen in screens {
            screen.refresh();
        }
    }

    /// One sync pass (the outbox, then the lists), a notification for every own report whose
    /// state changed since it was last seen, the next pass scheduled when one is due, and every
    /// screen redrawn.
    pub fn sync(&self) -> Result<SyncOutcome, Error> {
        let outcome = self.device.sync().sync_once();
        // A unit's list is not a pulled list (no cursor on the server): fetched whole, after the
        // outbox so the unit's own steps show.
        let assigned = work_list::refresh_assigned(self);
        let track = patrol::upload_track(self);
        let notified = self.notify_state_changes();
        let followed = nearby::refresh_followed(self);
        let push = push::register(self);
        match &outcome {
            Ok(SyncOutcome::RetryIn(wait)) => self.scheduler.schedule_sync(wait.as_secs().max(1)),
            Ok(SyncOutcome::Idle) if self.device.store().outbox(false)?.iter().any(is_waiting) => {
                self.scheduler.schedule_sync(1);
            }
            _ => {}
        }
        self.changed();
        notified?;
        followed?;
        push?;
        assigned?;
        track?;
        outcome
    }

    /// A full sync as the background scheduler or a pull-to-refresh runs it: the offline grid
    /// package (a conditional GET, so an unchanged package costs one small answer; offline
    /// the stored one stays) and the city's categories first, then [`Shared::sync`].
    pub fn sync_with_package(&self) -> Result<SyncOutcome, Error> {
        keep_stored_when_unreachable(self.device.refresh_grid_package().map(|_| ()))?;
        keep_stored_when_unreachable(self.device.refresh_categories().map(|_| ()))?;
        self.sync()
    }

    fn notify_state_changes(&self) -> Result<(), Error> {
        let store = self.device.store();
        let seen: Option<BTreeMap<String, String>> = store.setting(SEEN_STATES_KEY)?;
        let cached = store.cached_cases(PullList::MyReports)?;
        let now: BTreeMap<String, String> = cached.iter().map(|c| (c.id.clone(), c.state.clone())).collect();
        if let Some(seen) = seen {
            let lang = self.language();
            for case in &cached {
                let Some(before) = seen.get(&case.id) else { continue };
                if *before == case.state {
                    continue;
                }
                let doc: serde_json::Value = serde_json::from_str(&case.json).unwrap_or_default();
                let number = doc.get("tracking_number").and_then(|v| v.as_str()).unwrap_or_default();
                self.notifier.notify(LocalNotification {
                    case_id: case.id.clone(),
                    title: lang.pick(
                        &format!("您的上报 {number} 有新进展"),
                        &format!("Your report {number} moved on"),
                    ),
                    body: text::state_name_words(&case.state, lang),
                });
            }
        }
        store.set_setting(SEEN_STATES_KEY, &now)
    }
}

/// A refresh of reference data (grid package, categories) that failed on the network or the
/// server's side leaves the stored copy in use: the report can still be written and placed, and
/// the outbox must not wait for it. Only the phone's own failures (storage) are errors.
fn keep_stored_when_unreachable(refreshed: Result<(), Error>) -> Result<(), Error> {
    match refreshed {
        Ok(())
        | Err(
            Error::Transport(_)
            | Error::ServerUnavailable { .. }
            | Error::Refused { .. }
            | Error::Protocol { .. },
        ) => Ok(()),
        Err(e) => Err(e),
    }
}

fn is_waiting(item: &super::OutboxItem) -> bool {
    item.status == super::ItemStatus::Pending
}

/// What outlives screens, as the app's frame shows it (account, sync, language).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AppState {
    pub language: Language,
    pub signed_in: bool,
    /// The account's name, or a generic one for citizens.
    pub account_name: String,
    /// The account's role in words.
    pub role_text: String,
    /// The role's code (`citizen`, `inspector`...), to choose which tabs exist.
    pub role: Option<String>,
    pub anonymous: bool,
    /// What sync is doing, in words.
    pub sync_text: String,
    pub syncing: bool,
    /// Reports and steps not yet on the server (waiting, sending or failed).
    pub unsent_count: u32,
    /// Items the server refused, which need the user.
    pub failed_count: u32,
    pub sign_out_enabled: bool,
    /// The last thing that went wrong, in words.
    pub error: Option<String>,
}

/// What the user did outside any one screen.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum AppIntent {
    SetLanguage {
        language: Language,
    },
    /// Pull to refresh, or the network came back.
    SyncNow,
    SignOut,
    /// The platform gave a push token (at start, or a rotated one): registered for the account
    /// now, or after the next sign-in.
    RegisterPushToken {
        token: String,
        platform: PushPlatform,
    },
}

/// Hears every [`AppState`].
#[cfg_attr(feature = "uniffi", uniffi::export(with_foreign))]
pub trait AppListener: Send + Sync {
    fn on_state(&self, state: AppState);
}

/// The app object: account, sync and language, and the screens opened from it.
#[cfg_attr(feature = "uniffi", derive(uniffi::Object))]
pub struct AppCore {
    shared: Arc<Shared>,
    observers: Arc<Observers<AppState>>,
    error: Mutex<Option<String>>,
}

impl AppCore {
    /// The app core over `device`, with the platform's capabilities. `language` is used until
    /// the user chooses one (which is kept across restarts).
    pub fn open(
        device: Arc<Device>,
        location: Arc<dyn LocationProvider>,
        notifier: Arc<dyn Notifier>,
        secure_storage: Arc<dyn SecureStorage>,
        scheduler: Arc<dyn BackgroundScheduler>,
        language: Language,
    ) -> Result<Arc<Self>, Error> {
        let language = device.store().setting(LANGUAGE_KEY)?.unwrap_or(language);
        let shared = Arc::new(Shared {
            device,
            location,
            notifier,
            secure_storage,
            scheduler,
            base_map: Mutex::new(None),
            language: Mutex::new(language),
            screens: Mutex::new(Vec::new()),
        });
        shared.set_pull_lists();
        let app = Arc::new(Self { shared, observers: Arc::default(), error: Mutex::new(None) });
        let weak: Weak<dyn Screen> = Arc::downgrade(&(app.clone() as Arc<dyn Screen>));
        app.shared.register(weak);
        Ok(app)
    }

    /// The device under the app core (for the calls not yet behind a screen).
    pub fn device(&self) -> &Arc<Device> {
        &self.shared.device
    }

    fn render(&self) -> AppState {
        let lang = self.shared.language();
        let device = &self.shared.device;
        let account = device.account().ok().flatten();
        let outbox = device.store().outbox(false).unwrap_or_default();
        let failed = outbox.iter().filter(|i| !is_waiting(i)).count();
        let (sync_text, syncing) = match device.sync_state() {
            SyncState::Idle if outbox.iter().any(is_waiting) => {
                (lang.pick("有待发送的内容", "Waiting to send"), false)
            }
            SyncState::Idle => (lang.pick("已同步", "Up to date"), false),
            SyncState::Syncing { done, total } => {
                (lang.pick(&format!("正在同步 {done}/{total}"), &format!("Syncing {done} of {total}")), true)
            }
            SyncState::WaitingForNetwork { retry_in, .. } => {
                let secs = retry_in.as_secs();
                (
                    lang.pick(
                        &format!("无网络，{secs} 秒后重试"),
                        &format!("Offline; trying again in {secs} s"),
                    ),
                    false,
                )
            }
            SyncState::Error { .. } => (lang.pick("同步需要处理", "Sync needs attention"), false),
        };
        AppState {
            language: lang,
            signed_in: account.is_some(),
            account_name: account.as_ref().map_or_else(String::new, |a| {
                if a.display_name.is_empty() || a.anonymous {
                    lang.pick("市民", "Citizen")
                } else {
                    a.display_name.clone()
                }
            }),
            role_text: account.as_ref().map(|a| text::role_words(a.role, lang)).unwrap_or_default(),
            role: account.as_ref().map(|a| a.role.as_str().to_owned()),
            anonymous: account.as_ref().is_some_and(|a| a.anonymous),
            sync_text,
            syncing,
            unsent_count: u32::try_from(outbox.len()).unwrap_or(u32::MAX),
            failed_count: u32::try_from(failed).unwrap_or(u32::MAX),
            sign_out_enabled: account.is_some(),
            error: lock(&self.error).clone(),
        }
    }
}

impl Screen for AppCore {
    fn refresh(&self) {
        self.observers.publish(&self.render());
    }
}

#[cfg_attr(feature = "uniffi", uniffi::export)]
impl AppCore {
    /// What the app frame shows now.
    pub fn state(&self) -> AppState {
        self.render()
    }

    /// Do what the user asked. Blocks on the network for `SyncNow` and `SignOut`.
    pub fn send(&self, intent: AppIntent) {
        let result = match intent {
            AppIntent::SetLanguage { language } => {
                *lock(&self.shared.language) = language;
                self.shared.device.store().set_setting(LANGUAGE_KEY, &language)
            }
            AppIntent::SyncNow => self.shared.sync_with_package().map(|_| ()),
            AppIntent::RegisterPushToken { token, platform } => {
                push::set_token(&self.shared, token, platform)
            }
            AppIntent::SignOut => {
                let signed_out =
                    push::unregister(&self.shared).and_then(|()| self.shared.device.sign_out().map(|_| ()));
                self.shared.set_pull_lists();
                signed_out
            }
        };
        *lock(&self.error) = result.err().map(|e| text::error_words(&e, self.shared.language()));
        self.shared.changed();
    }

    /// Hear the app state now and after every change.
    pub fn subscribe(&self, listener: Arc<dyn AppListener>) -> Arc<ListenerHandle> {
        Arc::new(self.observers.subscribe(self.render(), Arc::new(move |s| listener.on_state(s))))
    }

    /// What the background scheduler runs (WorkManager, BGTaskScheduler), also in a process
    /// started cold: one sync pass with notifications; true when it ended with nothing left to
    /// send now (the next pass is scheduled through the platform when one is due).
    pub fn background_sync(&self) -> bool {
        let result = self.shared.sync_with_package();
        *lock(&self.error) = result.as_ref().err().map(|e| text::error_words(e, self.shared.language()));
        matches!(result, Ok(SyncOutcome::Idle))
    }

    /// Draw `provider`'s tiles under the grid cells of the maps (none: the cells alone, from the
    /// offline grid package). Open maps redraw.
    pub fn set_base_map(&self, provider: Option<Arc<dyn BaseMapProvider>>) {
        *lock(&self.shared.base_map) = provider;
        self.shared.changed();
    }

    /// The sign-in screen.
    pub fn sign_in_screen(&self) -> Arc<SignInModel> {
        SignInModel::open(self.shared.clone())
    }

    /// The new-report screen: on `draft_id`'s draft (resume), or on a new one.
    pub fn new_report_screen(&self, draft_id: Option<String>) -> Arc<NewReportModel> {
        NewReportModel::open(self.shared.clone(), draft_id)
    }

    /// The drafts and outbox screen.
    pub fn outbox_screen(&self) -> Arc<OutboxModel> {
        OutboxModel::open(self.shared.clone())
    }

    /// The "my reports" screen.
    pub fn my_reports_screen(&self) -> Arc<MyReportsModel> {
        MyReportsModel::open(self.shared.clone())
    }

    /// The inspector's work list.
    pub fn work_list_screen(&self) -> Arc<WorkListModel> {
        WorkListModel::open(self.shared.clone())
    }

    /// The inspector's patrol (on duty, the track recorded and uploaded).
    pub fn patrol_screen(&self) -> Arc<PatrolModel> {
        PatrolModel::open(self.shared.clone())
    }

    /// One case as the signed-in staff member sees it, with the steps they may take. Opening it
    /// does not fetch: send `Refresh` (off the main thread) to bring it up to date.
    pub fn case_screen(&self, case_id: String) -> Arc<CasePageModel> {
        CasePageModel::open(self.shared.clone(), case_id)
    }
}
