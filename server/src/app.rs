//! The application state shared by every handler: configuration, database pool, photo store,
//! metrics and the grid routing index. Built once per process by [`AppState::build`].

use std::sync::Arc;
use std::time::Duration;

use object_store::ObjectStore;

use crate::config::{Config, PhotoStoreConfig};
use crate::metrics::Metrics;
use crate::routing::GridRouter;
use crate::store::{Db, StoreError, categories};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("photo store: {0}")]
    PhotoStore(String),
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("cannot listen on {bind}: {source}")]
    Bind { bind: String, source: std::io::Error },
    #[error("server stopped with an error: {0}")]
    Server(std::io::Error),
    #[error("demo seeding failed: {0}")]
    Seed(String),
    #[error("identity: {0}")]
    Auth(String),
    #[error("default taxonomy: {0}")]
    Taxonomy(String),
    #[error("working calendar: {0}")]
    Calendar(String),
    #[error("notifications: {0}")]
    Notify(String),
}

/// Shared by all handlers through `web::Data<AppState>`.
#[derive(Debug)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub photos: Arc<dyn ObjectStore>,
    pub metrics: Metrics,
    /// Token keys and the one-time code sender.
    pub auth: Arc<crate::auth::AuthSettings>,
    /// The grid routing index of this node.
    pub router: GridRouter,
    /// Categories in memory for intake (reloaded after an edit, and every few seconds).
    pub categories: categories::CategoryCache,
    /// Now, for deadlines and the overdue job (settable in tests).
    pub clock: crate::clock::Clock,
    /// The city's working calendar (`GRIDLINE_CALENDAR_FILE`), for deadlines and statistics.
    pub calendar: Arc<gridline_core::calendar::WorkingCalendar>,
    /// The calendar and response limit the statistics' roll-ups are counted by
    /// ([`crate::store::rollups`]).
    pub rollup_rules: Arc<crate::store::rollups::RollupRules>,
    /// The dashboard map's cell outlines, built once per grid revision.
    pub map_layer: crate::map_layer::MapLayerCache,
    /// The senders and rules of notifications to reporters ([`crate::notify`]).
    pub notifier: Arc<crate::notify::Notifier>,
}

impl AppState {
    /// Connects the database (running migrations), seeds the default taxonomy into an empty
    /// category table, opens the photo store and loads the grid index. Blocking.
    pub fn build(config: Config) -> Result<Self, StartError> {
        let settings = &config.settings;
        let db = Db::connect(
            config.database_url.expose(),
            settings.db_pool_size,
            Duration::from_secs(settings.db_timeout_secs),
        )?;
        let photos = open_photo_store(&config.photo_store)?;
        let mut auth = crate::auth::AuthSettings::for_environment(
            config.jwt_secret.expose().as_bytes(),
            config.phone_key.expose().as_bytes(),
            config.is_production(),
        )
        .map_err(|e| StartError::Auth(e.to_string()))?;
        let notifier = crate::notify::Notifier::from_settings(settings, config.is_production())
            .map_err(StartError::Notify)?;
        // One SMS gateway for codes and notices alike, when one is configured.
        if settings.sms_webhook_url.is_some()
            && let Some(sms) = &notifier.sms
        {
            auth.sender = Arc::new(crate::notify::senders::SmsCodes(sms.clone()));
        }
        let taxonomy = gridline_core::taxonomy::Taxonomy::default_taxonomy()
            .map_err(|e| StartError::Taxonomy(e.to_string()))?;
        let mut conn = db.get()?;
        categories::seed_if_empty(&mut conn, &taxonomy)?;
        crate::store::units::seed_if_empty(&mut conn, &taxonomy, chrono::Utc::now().naive_utc())?;
        // Numbers an older version stored as text are sealed once, before anything serves.
        let sealed = crate::auth::phone_vault::seal_plain_numbers(&mut conn, &auth.phones)
            .map_err(|e| StartError::Auth(e.to_string()))?;
        if sealed > 0 {
            tracing::info!(sealed, "phone numbers stored as text are now sealed");
        }
        auth.revocations.reload(&mut conn).map_err(StoreError::from)?;
        drop(conn);
        let calendar = crate::calendar::city_calendar(settings.calendar_file.as_deref())
            .map_err(StartError::Calendar)?;
        let calendar = Arc::new(calendar);
        let response_limit = settings.response_limit.working_duration(calendar.settings().day_length());
        let rollup_rules = crate::store::rollups::register(calendar.clone(), response_limit);
        let adoption = crate::store::rollups::adopt(&mut *db.get()?, &rollup_rules)?;
        if adoption == crate::store::rollups::Adoption::Stale {
            tracing::warn!(
                "the statistics' roll-ups were counted by another calendar, response limit or \
                 layout (or never): the statistics read the facts until `gridline summaries \
                 rebuild` runs"
            );
        }
        if !crate::store::summaries::adopt(&mut *db.get()?, calendar.settings().timezone)? {
            tracing::warn!(
                "the per-day summaries count the days of another time zone than the calendar's: \
                 early warning reads the events until `gridline summaries rebuild` runs"
            );
        }
        let router = GridRouter::new(settings.routing_tolerance());
        router.refresh_blocking(&db)?;
        Ok(Self {
            config: Arc::new(config),
            db,
            photos,
            metrics: Metrics::new()?,
            auth: Arc::new(auth),
            router,
            categories: categories::CategoryCache::default(),
            clock: crate::clock::Clock::system(),
            calendar,
            rollup_rules,
            map_layer: Default::default(),
            notifier: Arc::new(notifier),
        })
    }
}

fn open_photo_store(config: &PhotoStoreConfig) -> Result<Arc<dyn ObjectStore>, StartError> {
    match config {
        PhotoStoreConfig::Local { dir } => {
            crate::store::create_private_dir(dir)
                .map_err(|e| StartError::PhotoStore(format!("cannot create {}: {e}", dir.display())))?;
            let store = object_store::local::LocalFileSystem::new_with_prefix(dir)
                .map_err(|e| StartError::PhotoStore(e.to_string()))?;
            Ok(Arc::new(store))
        }
        PhotoStoreConfig::S3 { bucket, region, endpoint, access_key_id, secret_access_key } => {
            let mut builder =
                object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket).with_region(region);
            if let Some(endpoint) = endpoint {
                builder = builder.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://"));
            }
            if let Some(key) = access_key_id {
                builder = builder.with_access_key_id(key);
            }
            if let Some(secret) = secret_access_key {
                builder = builder.with_secret_access_key(secret.expose());
            }
            let store = builder.build().map_err(|e| StartError::PhotoStore(e.to_string()))?;
            Ok(Arc::new(store))
        }
    }
}
