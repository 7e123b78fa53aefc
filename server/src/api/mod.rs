//! Every HTTP route, declared in one place ([`configure`]) with nested scopes, so the whole API
//! reads on one screen. Handlers live one resource per folder under `api/`.

pub mod apikeys;
pub mod auth;
pub mod callbacks;
pub mod cases;
pub mod categories;
pub mod coverage;
pub mod dashboard;
pub mod emergencies;
pub mod events;
pub mod grids;
pub mod health;
pub mod hotline;
pub mod notifications;
/// The `Idempotency-Key` header is read the same way by Open311: it lives outside `api/`.
pub use crate::idempotency;
pub mod openapi;
pub mod patrol;
pub mod photos;
pub mod public;
pub mod reports;
pub mod sensors;
pub mod stats;
pub mod units;
pub mod users;
pub mod warnings;

use actix_web::web;

use crate::config::Config;
use crate::error;

/// Registers all routes. Body limits: JSON and raw bodies are capped by
/// `GRIDLINE_JSON_LIMIT_BYTES` everywhere, except the photo upload (`GRIDLINE_PHOTO_LIMIT_BYTES`,
/// enforced while reading the multipart stream) and the grid import
/// (`GRIDLINE_GRID_IMPORT_LIMIT_BYTES`).
pub fn configure(cfg: &mut web::ServiceConfig, config: &Config) {
    let settings = &config.settings;
    error::configure_extractors(cfg, settings.json_limit_bytes, settings.json_limit_bytes);
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics))
        // A routed path asked with another method is 405 with `Allow`, from the OpenAPI document.
        .service(crate::open311::scope().default_service(web::to(openapi::unrouted_open311)))
        .service(
            web::scope("/api/v1")
                .wrap(actix_web::middleware::from_fn(|req, next| {
                    crate::auth::read_only::refuse_viewer_writes(req, next, openapi::undeclared_method)
                }))
                .route("/openapi.json", web::get().to(openapi::document))
                .route("/docs", web::get().to(openapi::docs))
                .service(
                    web::scope("/auth")
                        .route("/login", web::post().to(auth::password::login))
                        .route("/otp/request", web::post().to(auth::otp::request))
                        .route("/otp/verify", web::post().to(auth::otp::verify))
                        .route("/anonymous", web::post().to(auth::device::anonymous))
                        .route("/refresh", web::post().to(auth::session::refresh))
                        .route("/logout", web::post().to(auth::session::logout)),
                )
                .service(
                    web::scope("/public")
                        .route("/report-form", web::get().to(public::report_form))
                        .route("/places", web::get().to(public::places::places))
                        .route("/cells", web::get().to(public::places::cells))
                        .route("/nearby", web::get().to(public::nearby::nearby))
                        .route("/track/{number}", web::get().to(public::track::track)),
                )
                .route("/me", web::get().to(users::me::me))
                .route("/me/password", web::post().to(users::password::change))
                .service(
                    web::resource("/street/users")
                        .route(web::get().to(users::street::list))
                        .route(web::post().to(users::street::create)),
                )
                .route("/street/users/{id}", web::patch().to(users::street::patch))
                .service(
                    web::resource("/me/notifications")
                        .route(web::get().to(notifications::get_preferences))
                        .route(web::put().to(notifications::put_preferences)),
                )
                .route("/me/push-tokens", web::post().to(notifications::register_token))
                .route("/me/push-tokens/{token}", web::delete().to(notifications::unregister_token))
                // Compressed: the citizen page's first screen reads the whole list.
                .service(
                    web::resource("/categories")
                        .wrap(actix_web::middleware::Compress::default())
                        .route(web::get().to(categories::list)),
                )
                .route("/grids/route", web::get().to(grids::route))
                .route("/grids/package", web::get().to(grids::package::package))
                .service(
                    web::scope("/photos")
                        .route("", web::post().to(photos::upload))
                        .route("/{id}", web::get().to(photos::get)),
                )
                .service(
                    web::scope("/reports")
                        .route("", web::post().to(reports::intake::post))
                        .route("/web", web::post().to(reports::intake::post_from_web_page))
                        .route("/mine", web::get().to(reports::mine::mine)),
                )
                .service(
                    web::scope("/cases/{id}")
                        .route("", web::get().to(cases::get))
                        .route("/actions", web::post().to(cases::actions::post))
                        .route("/timeline", web::get().to(cases::timeline::timeline))
                        .route("/sheet", web::get().to(cases::sheet::sheet))
                        .route("/duplicates", web::get().to(cases::duplicates::duplicates))
                        .route("/notifications", web::get().to(notifications::case_log))
                        .route("/joint", web::get().to(cases::joint::get))
                        .route("/verifiers", web::get().to(cases::verifiers::list))
                        .route("/parts/{part}/actions", web::post().to(cases::joint::post_part_action)),
                )
                .route("/cases", web::get().to(cases::list::list))
                .route("/open-data/cases", web::get().to(cases::export::open_data))
                .route("/desk", web::get().to(cases::desk::figures))
                .route("/units", web::get().to(units::list))
                .route("/dashboard/cells", web::get().to(dashboard::cells))
                .route("/dashboard/counts", web::get().to(dashboard::counts))
                .route("/worklist", web::get().to(cases::worklist::worklist))
                .route("/coverage", web::get().to(coverage::coverage))
                .route("/coverage/assign", web::post().to(coverage::assign))
                .route("/callbacks", web::get().to(callbacks::list))
                .route("/hotline/calls", web::post().to(hotline::take_call))
                .route("/hotline/calls/{case}", web::get().to(hotline::calls_of_case))
                .route("/hotline/places", web::get().to(hotline::places))
                .route("/hotline/form", web::get().to(hotline::form))
                .route("/hotline/codes", web::get().to(hotline::list_codes))
                .service(
                    web::scope("/patrol")
                        .route("/positions", web::post().to(patrol::upload))
                        .route("/coverage", web::get().to(patrol::coverage)),
                )
                .service(
                    web::resource("/emergencies")
                        .route(web::get().to(emergencies::list))
                        .route(web::post().to(emergencies::switch_on)),
                )
                .service(
                    web::scope("/emergencies/{id}")
                        .route("", web::get().to(emergencies::get))
                        .route("/actions", web::post().to(emergencies::act))
                        .route("/incident", web::get().to(emergencies::incident))
                        .route("/summary", web::get().to(emergencies::summary))
                        .route("/summary/print", web::get().to(emergencies::summary_print)),
                )
                .route("/events", web::get().to(events::events))
                .route("/stats", web::get().to(stats::stats))
                .route("/warnings/charts", web::get().to(warnings::charts_of_places))
                .service(
                    web::resource("/warnings/scan")
                        .route(web::get().to(warnings::scan::scan_places))
                        .route(web::post().to(warnings::signals::run)),
                )
                .route("/warnings/signals", web::get().to(warnings::signals::list))
                .service(
                    web::scope("/warnings/signals/{id}")
                        .route("", web::get().to(warnings::signals::get))
                        .route("/actions", web::post().to(warnings::signals::act)),
                )
                .service(
                    web::resource("/warnings/topics")
                        .route(web::get().to(warnings::topics::list))
                        .route(web::post().to(warnings::topics::adopt)),
                )
                .service(
                    web::scope("/warnings/topics/{id}")
                        .route("", web::get().to(warnings::topics::get))
                        .route("/actions", web::post().to(warnings::topics::act)),
                )
                .route("/stats/joint", web::get().to(stats::joint::joint))
                .service(
                    web::scope("/sensors")
                        .service(
                            web::resource("/alarms")
                                .app_data(web::PayloadConfig::new(sensors::ALARM_BODY_LIMIT_BYTES))
                                .route(web::post().to(sensors::post_alarms)),
                        )
                        .route("/alarms/{id}/confirm", web::post().to(sensors::confirm))
                        .route("/devices/{id}/repaired", web::post().to(sensors::repaired))
                        .route("/review", web::get().to(sensors::review))
                        .route("/overview", web::get().to(sensors::overview)),
                )
                .service(
                    web::scope("/admin")
                        .service(
                            web::resource("/grids")
                                .app_data(web::PayloadConfig::new(settings.grid_import_limit_bytes))
                                .route(web::post().to(grids::import::import)),
                        )
                        .service(
                            web::resource("/categories")
                                .route(web::get().to(categories::admin::list))
                                .route(web::post().to(categories::admin::create)),
                        )
                        .route("/categories/{code}", web::patch().to(categories::admin::patch))
                        .service(
                            web::resource("/users")
                                .route(web::get().to(users::admin::list))
                                .route(web::post().to(users::admin::create)),
                        )
                        .service(
                            web::resource("/api-keys")
                                .route(web::get().to(apikeys::list))
                                .route(web::post().to(apikeys::create)),
                        )
                        .route("/api-keys/{id}", web::delete().to(apikeys::revoke))
                        .service(
                            web::resource("/units")
                                .route(web::get().to(units::admin_list))
                                .route(web::post().to(units::create)),
                        )
                        .service(
                            web::resource("/units/{code}")
                                .route(web::patch().to(units::patch))
                                .route(web::delete().to(units::delete)),
                        )
                        .service(
                            web::resource("/sensor-systems")
                                .route(web::get().to(sensors::list_systems))
                                .route(web::post().to(sensors::create_system)),
                        )
                        .route("/sensor-systems/{id}", web::delete().to(sensors::revoke_system))
                        .service(
                            web::resource("/sensor-systems/{id}/devices")
                                .app_data(web::PayloadConfig::new(settings.grid_import_limit_bytes))
                                .route(web::post().to(sensors::import_devices)),
                        )
                        .service(
                            web::resource("/gazetteer")
                                .app_data(web::PayloadConfig::new(settings.grid_import_limit_bytes))
                                .route(web::post().to(hotline::import_gazetteer)),
                        )
                        .service(
                            web::resource("/hotline-codes/{code}")
                                .route(web::put().to(hotline::put_code))
                                .route(web::delete().to(hotline::delete_code)),
                        )
                        .route("/sensor-rules", web::get().to(sensors::list_rules))
                        .route("/sensor-rules/{kind}", web::put().to(sensors::put_rule))
                        .service(
                            web::resource("/users/{id}")
                                .route(web::get().to(users::admin::get))
                                .route(web::patch().to(users::admin::patch)),
                        ),
                ),
        )
        .route("/dashboard", web::get().to(crate::dashboard::page))
        .route("/dashboard/{file}", web::get().to(crate::dashboard::file))
        .route("/hotline", web::get().to(crate::hotline::page))
        .route("/hotline/{file}", web::get().to(crate::hotline::file))
        .configure(crate::web::routes)
        .default_service(web::to(openapi::unrouted));
}

/// `304 Not Modified` (with the tag) when the request's `If-None-Match` names `etag` or `*`:
/// the one conditional-GET check of the photos, the dashboard's cells and the grid package.
pub fn not_modified(req: &actix_web::HttpRequest, etag: &str) -> Option<actix_web::HttpResponse> {
    let matches = req
        .headers()
        .get(actix_web::http::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*"));
    matches.then(|| {
        actix_web::HttpResponse::NotModified().insert_header((actix_web::http::header::ETAG, etag)).finish()
    })
}
