//! The phone side of Gridline (feature `device`): reports are captured offline as drafts, kept
//! in a crash-safe local store, and delivered to the server exactly once when a connection
//! returns. This is what `gridline-mobile` wraps for Android and iOS, and what the simulator
//! runs.
//!
//! - [`Device`]: one per data folder; owns the [`Store`], the [`Session`] and the
//!   [`SyncEngine`].
//! - [`store`]: SQLite (WAL, `synchronous=FULL`) with versioned migrations; photo files beside it.
//! - [`drafts`]: create, edit, list, delete; photos from [`crate::photo::prepare`]; validation
//!   against the taxonomy, each problem naming its field.
//! - [`outbox`]: `submit` moves a draft into the queue with a UUIDv7 idempotency key in one
//!   transaction; workflow actions queue the same way, in order per case.
//! - [`sync`]: the engine: photos first, then the report; retry or park by answer.
//! - [`pull`]: the work list and own reports, pulled by cursor after the outbox and cached for
//!   offline reading.
//! - [`track`]: an inspector's patrol track, kept until every sync uploads it.
//! - [`backoff`]: exponential backoff with full jitter, `Retry-After`, answer sorting.
//! - [`transport`]: the [`Transport`] trait an app implements with its own HTTP stack, and the
//!   default [`HttpTransport`] (rustls).
//! - [`session`]: tokens, refreshed once however many calls need it at the same moment, and
//!   sign-out that revokes them on the server.
//! - [`categories`]: the city's categories with their questions, refreshed from the server
//!   and kept for offline checks.
//! - [`grid_package`]: the offline grid package, fetched by conditional GET, kept in the
//!   folder and indexed for routing without a network.
//! - [`state`]: the observable [`SyncState`] and its [`SyncListener`]s.
//! - [`remote`]: the online calls outside the outbox (sign-in, one case, its timeline).
//! - [`server_photos`]: the server's photos a case shows, fetched and kept as files.
//! - [`account`]: signing in, and the [`Account`] kept across restarts with its pull lists.
//! - [`app`]: the app core: one view model per screen and the app object, which the phones
//!   only draw and send intents to.

pub mod account;
pub mod app;
pub mod backoff;
pub mod categories;
pub mod drafts;
mod error;
pub mod grid_package;
pub mod outbox;
pub mod pull;
pub mod remote;
pub mod server_photos;
pub mod session;
pub mod state;
pub mod store;
pub mod sync;
pub mod track;
pub mod transport;
mod wire;

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

pub use account::{Account, SignedIn};
pub use backoff::BackoffPolicy;
pub use drafts::{Draft, DraftFields, FieldError, FieldErrorKind, Position, StoredPhoto, check_report};
pub use error::{Error, Result};
pub use grid_package::{GridPackages, PackageRefresh};
pub use outbox::{CaseAction, ItemKind, ItemStatus, OutboxItem, Problem};
pub use pull::{CachedCase, PullList};
pub use remote::Remote;
pub use server_photos::{PhotoSize, ServerPhotos};
pub use session::{Session, Tokens};
pub use state::{StateHub, Subscription, SyncListener, SyncState};
pub use store::Store;
pub use sync::{SyncEngine, SyncOutcome};
pub use track::TrackUpload;
pub use transport::{
    HttpHeader, HttpRequest, HttpResponse, HttpTimeouts, HttpTransport, Transport, TransportError,
};

use crate::geo::{Crs, GeoPoint};
use crate::grid::{GridIndex, Route};
use crate::photo::PreparedPhoto;
use crate::taxonomy::Taxonomy;
use crate::workflow::{CaseState, Role};

/// Where a [`Device`] keeps its data and which server it talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceConfig {
    /// The app's private folder for the store and photos.
    pub folder: PathBuf,
    /// The server's base URL, e.g. `https://gridline.example.gov.cn` (the API is under `/api/v1`).
    pub server_url: String,
    pub backoff: BackoffPolicy,
}

/// The device core: drafts, the outbox, the session and the sync engine over one data folder.
/// Every method is synchronous and safe to call from several threads; `sync_*` does network
/// work and belongs on a background thread.
pub struct Device {
    store: Arc<Store>,
    session: Arc<Session>,
    state: Arc<StateHub>,
    engine: SyncEngine,
    transport: Arc<dyn Transport>,
    server_url: String,
    grid: GridPackages,
    server_photos: ServerPhotos,
    taxonomy: RwLock<Arc<Taxonomy>>,
}

impl Device {
    /// Open (creating or migrating) the store in `config.folder`.
    pub fn open(config: DeviceConfig, transport: Arc<dyn Transport>, taxonomy: Taxonomy) -> Result<Self> {
        let store = Arc::new(Store::open(&config.folder)?);
        let session = Arc::new(Session::load(store.clone())?);
        let state = Arc::new(StateHub::default());
        let grid = GridPackages::new(&config.folder, &config.server_url);
        let server_photos = ServerPhotos::open(&config.folder)?;
        let engine = SyncEngine::new(
            store.clone(),
            transport.clone(),
            session.clone(),
            config.server_url.clone(),
            config.backoff,
            state.clone(),
        );
        let device = Self {
            store,
            session,
            state,
            engine,
            transport,
            server_url: config.server_url,
            grid,
            server_photos,
            taxonomy: RwLock::new(Arc::new(taxonomy)),
        };
        device.load_kept_categories()?;
        Ok(device)
    }

    /// Drafts and the outbox (create, edit, list, delete, retry, discard).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The online calls outside the outbox, through this device's transport and session.
    pub fn remote(&self) -> Remote<'_> {
        Remote { server_url: &self.server_url, transport: self.transport.as_ref(), engine: &self.engine }
    }

    /// The kept file of a server photo (`GET /api/v1/photos/{id}`), `None` when not kept;
    /// never the network.
    pub fn kept_photo(&self, photo_id: &str, size: PhotoSize) -> Option<PathBuf> {
        self.server_photos.kept(photo_id, size)
    }

    /// The file of a server photo: the kept one, else downloaded with the session's token
    /// (see [`ServerPhotos::fetch`]). Blocks on the network when not kept.
    pub fn fetch_photo(&self, photo_id: &str, size: PhotoSize) -> Result<PathBuf> {
        self.server_photos.fetch(&self.remote(), photo_id, size)
    }

    /// The server's base URL.
    pub fn server_url(&self) -> &str {
        &self.server_url
    }

    /// The signed-in session.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Sign out (see [`Session::sign_out`]: revoked on the server when it can be reached,
    /// forgotten here in any case) and forget the pulled lists and the server's photos, which
    /// belong to the account. Queued items stay and are sent after the next sign-in. Returns
    /// whether the server confirmed the revocation.
    pub fn sign_out(&self) -> Result<bool> {
        let revoked = self.session.sign_out(self.transport.as_ref(), &self.server_url)?;
        self.store.clear_pulled()?;
        self.server_photos.clear()?;
        self.forget_account()?;
        Ok(revoked)
    }

    /// Fetch the offline grid package if the server has a newer one than the stored one (see
    /// [`GridPackages::refresh`]). Blocks on the network.
    pub fn refresh_grid_package(&self) -> Result<PackageRefresh> {
        self.grid.refresh(&self.engine)
    }

    /// The index of the stored grid package, `None` before the first download; offline.
    pub fn grid_index(&self) -> Result<Option<Arc<GridIndex>>> {
        self.grid.index()
    }

    /// The stored grid package's cells with their shapes, `None` before the first download.
    pub fn grid_cells(&self) -> Result<Option<Arc<Vec<crate::grid::GridCell>>>> {
        self.grid.cells()
    }

    /// Route `point` (given in `crs`) with the stored grid package, offline: `None` before the
    /// first download, else the same answer the server gives for the same grid revision.
    pub fn route_offline(&self, point: GeoPoint, crs: Crs) -> Result<Option<Route>> {
        Ok(self.grid.index()?.map(|index| index.route_in(point, crs)))
    }

    /// The taxonomy drafts are checked against.
    pub fn taxonomy(&self) -> Arc<Taxonomy> {
        self.taxonomy.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Replace the taxonomy (after the city changed it).
    pub fn set_taxonomy(&self, taxonomy: Taxonomy) {
        *self.taxonomy.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(taxonomy);
    }

    /// What is wrong with a draft, field by field; empty when it may be submitted.
    pub fn check_draft(&self, draft_id: &str) -> Result<Vec<FieldError>> {
        let draft = self.store.draft(draft_id)?;
        Ok(check_report(&draft.fields, draft.photos.len(), &self.taxonomy()))
    }

    /// Queue a draft for sending (see [`Store::submit`]).
    pub fn submit(&self, draft_id: &str) -> Result<OutboxItem> {
        self.store.submit(draft_id, &self.taxonomy())
    }

    /// Queue a workflow step (see [`Store::queue_action`]).
    pub fn queue_action(
        &self,
        action: &CaseAction,
        known_state: CaseState,
        role: Role,
        photos: &[PreparedPhoto],
    ) -> Result<OutboxItem> {
        self.store.queue_action(action, known_state, role, photos)
    }

    /// The sync engine.
    pub fn sync(&self) -> &SyncEngine {
        &self.engine
    }

    /// The current sync state.
    pub fn sync_state(&self) -> SyncState {
        self.state.current()
    }

    /// Hear every sync state change until the returned [`Subscription`] is dropped.
    pub fn subscribe(&self, listener: Arc<dyn SyncListener>) -> Subscription {
        self.state.subscribe(listener)
    }
}
