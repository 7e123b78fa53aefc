//! `gridline serve`: build the state, seed the demo city if asked, start the background jobs
//! ([`crate::jobs`]) and run the HTTP server until SIGINT/SIGTERM, then let in-flight requests
//! finish (`GRIDLINE_SHUTDOWN_TIMEOUT_SECS`).

use std::net::SocketAddr;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, middleware, web};

use crate::api;
use crate::app::{AppState, StartError};
use crate::config::Config;
use crate::{request_deadline, request_log};

/// A bound, not yet awaited server and the addresses it listens on (port 0 resolved).
pub struct BoundServer {
    pub server: Server,
    pub addrs: Vec<SocketAddr>,
    pub state: web::Data<AppState>,
    /// The demo city, when this start seeded one.
    pub demo: Option<crate::demo::DemoCity>,
}

/// Builds the state (database, migrations, photo store) and binds the listener. Must be called
/// inside an actix system; blocking work runs on the blocking pool.
pub async fn bind(config: Config) -> Result<BoundServer, StartError> {
    keep_new_files_private();
    let (state, demo) = web::block(move || {
        let state = AppState::build(config)?;
        let demo = crate::demo::seed_if_empty(&state)?;
        Ok::<_, StartError>((state, demo))
    })
    .await
    .map_err(|e| StartError::Seed(format!("start-up task failed: {e}")))??;
    let state = web::Data::new(state);
    // The node's one alarm writer, handed to the intake as app data (the state it needs is
    // the store's; the sensors room keeps its own types out of the app's state).
    let alarm_writer = web::Data::new(crate::sensors::writer::AlarmWriter::start(state.db.clone())?);
    let config = state.config.clone();
    let settings = &config.settings;
    let app_state = state.clone();
    let app_config = config.clone();
    let mut http = HttpServer::new(move || {
        let config = app_config.clone();
        App::new()
            .app_data(app_state.clone())
            .app_data(alarm_writer.clone())
            // The token keys and revocations on their own, for the Principal extractor.
            .app_data(web::Data::from(app_state.auth.clone()))
            // The last wrapped runs first: the log sees (and counts) a 408 from the deadline.
            .wrap(middleware::from_fn(request_deadline::middleware))
            .wrap(middleware::from_fn(request_log::middleware))
            .wrap(no_sniffing())
            .configure(|cfg| api::configure(cfg, &config))
    })
    .shutdown_timeout(settings.shutdown_timeout_secs)
    .client_request_timeout(std::time::Duration::from_millis(settings.client_request_timeout_ms))
    .keep_alive(std::time::Duration::from_secs(settings.keep_alive_secs));
    if settings.workers > 0 {
        http = http.workers(settings.workers);
    }
    let http = http
        .bind(settings.bind)
        .map_err(|source| StartError::Bind { bind: settings.bind.to_string(), source })?;
    let addrs = http.addrs();
    if let Some(metrics_addr) = settings.metrics_bind {
        let metrics = api::health::metrics_listener(state.clone(), metrics_addr)
            .map_err(|source| StartError::Bind { bind: metrics_addr.to_string(), source })?;
        actix_web::rt::spawn(metrics);
    }
    spawn_grid_refresher(state.clone());
    if *state.db.backend() == crate::store::Backend::Postgres {
        crate::live::listener::spawn(
            config.database_url.expose().to_owned(),
            crate::live::listener::Bells {
                events: state.db.events().clone(),
                signals: state.db.signals().clone(),
                node: state.db.node().clone(),
            },
            state.auth.revocations.clone(),
            state.metrics.clone(),
        );
    }
    crate::jobs::overdue::spawn(state.clone());
    crate::jobs::notifications::spawn(state.clone());
    crate::patrol::spawn_retention(state.clone());
    crate::jobs::sensors::spawn(state.clone());
    crate::jobs::warnings::spawn(state.clone());
    crate::jobs::partitions::spawn(state.clone());
    crate::jobs::rollup_folds::spawn(state.clone());
    Ok(BoundServer { server: http.run(), addrs, state, demo })
}

/// `X-Content-Type-Options: nosniff` on every answer: a browser must take a photo, a problem or
/// an Open311 document as the type it is sent with, never guess HTML or script from its bytes.
pub fn no_sniffing() -> middleware::DefaultHeaders {
    middleware::DefaultHeaders::new().add((actix_web::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
}

/// Polls the grid revision and rebuilds the routing index when another node changed the grid.
/// Runs on the server's actix system, so it stops with it.
fn spawn_grid_refresher(state: web::Data<AppState>) {
    let period = std::time::Duration::from_secs(state.config.settings.grid_refresh_secs);
    actix_web::rt::spawn(async move {
        let mut ticks = actix_web::rt::time::interval(period);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let node = state.clone();
            match web::block(move || node.router.refresh_blocking(&node.db)).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "grid refresh failed; keeping the loaded index"),
                Err(e) => tracing::warn!(error = %e, "grid refresh task failed"),
            }
        }
    });
}

/// Runs until a shutdown signal. Used by the CLI.
pub async fn run(config: Config) -> Result<(), StartError> {
    crate::telemetry::init(&config.settings);
    let bound = bind(config).await?;
    for addr in &bound.addrs {
        tracing::info!(%addr, database = bound.state.db.backend().name(), "gridline listening");
    }
    if let (Some(city), Some(addr)) = (&bound.demo, bound.addrs.first()) {
        // On the console, not in the logs: the passwords must not end up in log storage.
        println!("{}", crate::demo::welcome(city, *addr));
    }
    bound.server.await.map_err(StartError::Server)?;
    tracing::info!("gridline stopped");
    Ok(())
}

/// Everything the server writes (photos, thumbnails, the SQLite files, keys) holds a citizen's
/// data or a secret, and the photo store's library creates files and folders with the default
/// mode. A umask of 077 makes every new file 0600 and every new folder 0700, whoever starts the
/// server (the Debian unit also sets `UMask=0077`).
#[cfg(unix)]
#[allow(unsafe_code)]
fn keep_new_files_private() {
    // SAFETY: umask only replaces the process's file-creation mask (one atomic system call that
    // cannot fail); files other threads create meanwhile get one mask or the other.
    unsafe {
        libc::umask(0o077);
    }
}

#[cfg(not(unix))]
fn keep_new_files_private() {}
