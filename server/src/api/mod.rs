//! Every HTTP route, declared in one place ([`configure`]) with nested scopes, so the whole API
//! reads on one screen. Handlers live one resource per folder under `api/`.

pub mod auth;
pub mod health;
pub mod users;

use actix_web::web;

use crate::config::Config;
use crate::error;

/// Registers all routes. Body limits: JSON bodies are capped by `GRIDLINE_JSON_LIMIT_BYTES`
/// everywhere, raw bodies too, except where a scope sets its own larger limit.
pub fn configure(cfg: &mut web::ServiceConfig, config: &Config) {
    let settings = &config.settings;
    error::configure_extractors(cfg, settings.json_limit_bytes, settings.json_limit_bytes);
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics))
        .service(
            web::scope("/api/v1")
                .service(
                    web::scope("/auth")
                        .route("/login", web::post().to(auth::password::login))
                        .route("/otp/request", web::post().to(auth::otp::request))
                        .route("/otp/verify", web::post().to(auth::otp::verify))
                        .route("/anonymous", web::post().to(auth::device::anonymous))
                        .route("/refresh", web::post().to(auth::session::refresh))
                        .route("/logout", web::post().to(auth::session::logout)),
                )
                .route("/me", web::get().to(users::me::me))
                .service(
                    web::scope("/admin/users")
                        .route("", web::get().to(users::admin::list))
                        .route("", web::post().to(users::admin::create))
                        .route("/{id}", web::get().to(users::admin::get))
                        .route("/{id}", web::patch().to(users::admin::patch)),
                ),
        )
        .default_service(web::to(error::no_such_route));
}
