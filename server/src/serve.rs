//! `gridline serve`: build the state, seed the demo city if asked, and run the HTTP server
//! until SIGINT/SIGTERM, then let in-flight requests finish (`GRIDLINE_SHUTDOWN_TIMEOUT_SECS`).

use std::net::SocketAddr;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, middleware, web};

use crate::api;
use crate::app::{AppState, StartError};
use crate::config::Config;
use crate::request_log;

/// A bound, not yet awaited server and the addresses it listens on (port 0 resolved).
pub struct BoundServer {
    pub server: Server,
    pub addrs: Vec<SocketAddr>,
    pub state: web::Data<AppState>,
}

/// Builds the state (database, migrations, photo store) and binds the listener. Must be called
/// inside an actix system; blocking work runs on the blocking pool.
pub async fn bind(config: Config) -> Result<BoundServer, StartError> {
    let state = web::block(move || AppState::build(config))
        .await
        .map_err(|e| StartError::Seed(format!("start-up task failed: {e}")))??;
    let state = web::Data::new(state);
    let config = state.config.clone();
    let settings = &config.settings;
    let app_state = state.clone();
    let app_config = config.clone();
    let mut http = HttpServer::new(move || {
        let config = app_config.clone();
        App::new()
            .app_data(app_state.clone())
            .wrap(middleware::from_fn(request_log::middleware))
            .configure(|cfg| api::configure(cfg, &config))
    })
    .shutdown_timeout(settings.shutdown_timeout_secs);
    if settings.workers > 0 {
        http = http.workers(settings.workers);
    }
    let http = http
        .bind(settings.bind)
        .map_err(|source| StartError::Bind { bind: settings.bind.to_string(), source })?;
    let addrs = http.addrs();
    Ok(BoundServer { server: http.run(), addrs, state })
}

/// Runs until a shutdown signal. Used by the CLI.
pub async fn run(config: Config) -> Result<(), StartError> {
    crate::telemetry::init(&config.settings);
    let bound = bind(config).await?;
    for addr in &bound.addrs {
        tracing::info!(%addr, database = bound.state.db.backend().name(), "gridline listening");
    }
    bound.server.await.map_err(StartError::Server)?;
    tracing::info!("gridline stopped");
    Ok(())
}
