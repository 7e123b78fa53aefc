//! [`GridlineClient`]: one per data folder, over core's `device::Device`. Drafts and their
//! photos, submitting, the outbox, syncing and the sync state listener; sign-in (see
//! [`crate::account`]) is a further `impl` block of the same object. The field apps' steps on
//! cases go through the app core's case page (`CasePageModel`), which checks them first.
//!
//! Every method is synchronous. The fast ones (reading drafts) may run anywhere; those that
//! prepare photos or talk to the server belong on a background thread, which the Kotlin and
//! Swift layers choose (`Dispatchers.IO`, a detached `Task`).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use gridline_core::device::{
    BackoffPolicy, Device, DeviceConfig, HttpTransport as DefaultTransport, Subscription,
    SyncListener as CoreListener, SyncState as CoreState, Transport,
};
use gridline_core::photo::{PhotoOptions, prepare};
use gridline_core::taxonomy::Taxonomy;

use crate::GridlineError;
use crate::error::FieldProblem;
use crate::records::{Draft, DraftFields, OutboxItem, Photo, SyncOutcome, SyncState};
use crate::transport::{ForeignTransport, HttpTransport};

/// The Gridline SDK on one phone: a local store in the app's data folder, and the server it
/// sends to. Open one per data folder and keep it for the app's lifetime.
#[derive(uniffi::Object)]
pub struct GridlineClient {
    pub(crate) device: Arc<Device>,
}

/// A category a report can be filed under, for the category picker.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CategoryInfo {
    /// The code, e.g. `C0101`.
    pub code: String,
    /// The Chinese name.
    pub name_zh: String,
    /// The English name.
    pub name_en: String,
    /// Whether a report in this category may be filed anonymously.
    pub anonymous_allowed: bool,
    /// The extra questions a report in this category answers, in the order they are asked.
    pub questions: Vec<QuestionInfo>,
}

/// An extra question of a category (an Open311 attribute).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QuestionInfo {
    /// The answer's key in a draft's `answers`.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Open311's datatype: `string`, `number`, `datetime`, `text`, `singlevaluelist` or
    /// `multivaluelist`.
    pub datatype: String,
    /// A draft without an answer to it cannot be submitted.
    pub required: bool,
    /// The allowed values of a list question.
    pub values: Vec<QuestionOption>,
}

/// One allowed value of a list question.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QuestionOption {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
}

impl From<&gridline_core::taxonomy::Question> for QuestionInfo {
    fn from(q: &gridline_core::taxonomy::Question) -> Self {
        QuestionInfo {
            code: q.code.clone(),
            name_zh: q.names.zh.clone(),
            name_en: q.names.en.clone(),
            datatype: q.datatype.as_str().to_owned(),
            required: q.required,
            values: q
                .values
                .iter()
                .map(|v| QuestionOption {
                    key: v.key.clone(),
                    name_zh: v.names.zh.clone(),
                    name_en: v.names.en.clone(),
                })
                .collect(),
        }
    }
}

/// Keeps a sync state listener subscribed until [`SyncSubscription::cancel`] is called or the
/// object is released.
#[derive(uniffi::Object)]
pub struct SyncSubscription {
    inner: Mutex<Option<Subscription>>,
}

#[uniffi::export]
impl SyncSubscription {
    /// Stop hearing state changes. Calling it again does nothing.
    pub fn cancel(&self) {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
    }
}

/// Hears every sync state change, first the current state at once. Called on the thread that
/// is syncing: return quickly (post to the main thread or a channel).
#[uniffi::export(with_foreign)]
pub trait SyncStateListener: Send + Sync {
    /// The sync state is now `state`.
    fn on_state_changed(&self, state: SyncState);
}

struct ListenerAdapter(Arc<dyn SyncStateListener>);

impl CoreListener for ListenerAdapter {
    fn on_state_changed(&self, state: CoreState) {
        self.0.on_state_changed(state.into());
    }
}

#[uniffi::export]
impl GridlineClient {
    /// Open (creating or upgrading) the store in `data_folder` for the server at `server_url`
    /// (e.g. `https://gridline.example.gov.cn`; the API is under `/api/v1`). HTTP goes through
    /// `transport` when given (the app's OkHttp or URLSession), else through the SDK's own.
    /// Fails with `InvalidInput` (field `server_url`) for a URL that is not http(s), and with
    /// `Storage` when the folder cannot hold the store.
    #[uniffi::constructor]
    pub fn new(
        server_url: String,
        data_folder: String,
        transport: Option<Arc<dyn HttpTransport>>,
    ) -> Result<Arc<Self>, GridlineError> {
        let server_url = server_url.trim().to_owned();
        if !(server_url.starts_with("https://") || server_url.starts_with("http://")) {
            return Err(GridlineError::invalid("server_url", "expected an http:// or https:// URL"));
        }
        let transport: Arc<dyn Transport> = match transport {
            Some(foreign) => Arc::new(ForeignTransport(foreign)),
            None => Arc::new(DefaultTransport::default()),
        };
        let config = DeviceConfig {
            folder: PathBuf::from(data_folder),
            server_url,
            backoff: BackoffPolicy::default(),
        };
        let device = Device::open(config, transport, Taxonomy::default_taxonomy()?)?;
        Ok(Arc::new(Self { device: Arc::new(device) }))
    }

    /// The categories reports can be filed under, in the taxonomy's order: the city's as the
    /// last [`GridlineClient::refresh_categories`] brought them, else the built-in ones.
    pub fn categories(&self) -> Vec<CategoryInfo> {
        self.device
            .taxonomy()
            .categories()
            .iter()
            .map(|c| CategoryInfo {
                code: c.code.to_string(),
                name_zh: c.names.zh.clone(),
                name_en: c.names.en.clone(),
                anonymous_allowed: c.anonymous_allowed,
                questions: c.questions.iter().map(QuestionInfo::from).collect(),
            })
            .collect()
    }

    /// Fetch the city's categories from the server and use them from now on (also after a
    /// restart, offline); returns whether they changed. Blocks on the network.
    pub fn refresh_categories(&self) -> Result<bool, GridlineError> {
        Ok(self.device.refresh_categories()?)
    }

    /// Start a new draft with `fields` (which may be incomplete).
    pub fn create_draft(&self, fields: DraftFields) -> Result<Draft, GridlineError> {
        Ok(self.device.store().create_draft(&fields.into())?.into())
    }

    /// Replace a draft's fields; its photos stay. Fails with `NotFound` for an unknown id.
    pub fn update_draft(&self, draft_id: String, fields: DraftFields) -> Result<Draft, GridlineError> {
        Ok(self.device.store().update_draft(&draft_id, &fields.into())?.into())
    }

    /// One draft with its photos. Fails with `NotFound` for an unknown id.
    pub fn draft(&self, draft_id: String) -> Result<Draft, GridlineError> {
        Ok(self.device.store().draft(&draft_id)?.into())
    }

    /// Every draft, oldest first.
    pub fn drafts(&self) -> Result<Vec<Draft>, GridlineError> {
        Ok(self.device.store().drafts()?.into_iter().map(Into::into).collect())
    }

    /// Delete a draft and its photo files. Fails with `NotFound` for an unknown id.
    pub fn delete_draft(&self, draft_id: String) -> Result<(), GridlineError> {
        Ok(self.device.store().delete_draft(&draft_id)?)
    }

    /// Prepare `camera_bytes` (JPEG, PNG or WebP straight from the camera: turned upright,
    /// resized, EXIF removed) and attach it to a draft. Slow for large photos: call it off the
    /// main thread. Fails with `InvalidInput` (field `photo`) for bytes that are not a photo,
    /// and `NotFound` for an unknown draft.
    pub fn add_photo(&self, draft_id: String, camera_bytes: Vec<u8>) -> Result<Photo, GridlineError> {
        let prepared = prepare(&camera_bytes, &PhotoOptions::default())?;
        Ok(self.device.store().add_photo(&draft_id, &prepared)?.into())
    }

    /// Detach a photo from a draft and delete its files. Fails with `NotFound` when the draft
    /// has no such photo.
    pub fn remove_photo(&self, draft_id: String, photo_id: String) -> Result<(), GridlineError> {
        Ok(self.device.store().remove_photo(&draft_id, &photo_id)?)
    }

    /// What is wrong with a draft, field by field; empty when it may be submitted.
    pub fn check_draft(&self, draft_id: String) -> Result<Vec<FieldProblem>, GridlineError> {
        Ok(self.device.check_draft(&draft_id)?.into_iter().map(Into::into).collect())
    }

    /// Move a complete draft into the outbox (the draft is gone afterwards). When this returns,
    /// the report survives a crash or reboot and will reach the server exactly once. Fails with
    /// `NotReady` listing every field that needs attention.
    pub fn submit(&self, draft_id: String) -> Result<OutboxItem, GridlineError> {
        Ok(self.device.submit(&draft_id)?.into())
    }

    /// The outbox in queue order; delivered items too when `include_delivered`.
    pub fn outbox(&self, include_delivered: bool) -> Result<Vec<OutboxItem>, GridlineError> {
        Ok(self.device.store().outbox(include_delivered)?.into_iter().map(Into::into).collect())
    }

    /// Put a failed or conflicting item back in the queue with the same key. Fails with
    /// `WrongState` for an item that is not parked.
    pub fn retry_item(&self, item_id: String) -> Result<OutboxItem, GridlineError> {
        Ok(self.device.store().retry_item(&item_id)?.into())
    }

    /// Remove a failed or conflicting item. Fails with `WrongState` for a pending item (it may
    /// already be on the server).
    pub fn discard_item(&self, item_id: String) -> Result<(), GridlineError> {
        Ok(self.device.store().discard_item(&item_id)?)
    }

    /// Turn a failed report back into a draft (with its photos) so the user can fix what the
    /// server named; returns the draft's id. Fails with `WrongState` for anything else.
    pub fn return_to_drafts(&self, item_id: String) -> Result<String, GridlineError> {
        Ok(self.device.store().return_to_drafts(&item_id)?)
    }

    /// Send what the outbox holds, once through. Never sleeps: on a network failure it returns
    /// `RetryIn` and the app schedules the next call (WorkManager, BGTaskScheduler). Blocks on
    /// the network: call it off the main thread. Fails with `Storage` when the store fails.
    pub fn sync_now(&self) -> Result<SyncOutcome, GridlineError> {
        Ok(self.device.sync().sync_once()?.into())
    }

    /// The sync engine's current state.
    pub fn sync_state(&self) -> SyncState {
        self.device.sync_state().into()
    }

    /// Hear every sync state change (the current state first) until the subscription is
    /// cancelled or released.
    pub fn subscribe(&self, listener: Arc<dyn SyncStateListener>) -> Arc<SyncSubscription> {
        let subscription = self.device.subscribe(Arc::new(ListenerAdapter(listener)));
        Arc::new(SyncSubscription { inner: Mutex::new(Some(subscription)) })
    }
}
