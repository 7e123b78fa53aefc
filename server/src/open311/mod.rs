//! Open311 GeoReport v2 at `/open311/v2`, so existing 311 clients and city systems can list
//! services, submit requests and follow them without custom work. Every resource answers in XML
//! or JSON by its suffix (`services.xml`, `requests/GL-261129-7KQ2MX.json`), errors included.
//!
//! - [`services`]: `discovery`, `services`, `services/{code}` (categories and their questions);
//! - [`requests`]: `POST requests` (with an admin-issued `api_key`, through report intake),
//!   `GET requests` with the standard filters, `GET requests/{id}`, `GET tokens/{token}`;
//! - [`media`]: the public photo a request's `media_url` points at;
//! - [`form`]: the pure parsing of what clients send; [`render`]: the two wire formats.

pub mod form;
pub mod media;
pub mod render;
pub mod requests;
pub mod services;

use actix_web::{HttpResponse, web};

use render::{Fault, Format};

/// The Open311 scope, mounted beside `/api/v1`.
pub fn scope() -> actix_web::Scope {
    web::scope("/open311/v2")
        .route("/discovery.{format}", web::get().to(services::discovery))
        .route("/services.{format}", web::get().to(services::services))
        .route("/services/{file}", web::get().to(services::service_definition))
        .route("/requests.{format}", web::get().to(requests::list))
        .route("/requests.{format}", web::post().to(requests::create))
        .route("/requests/{file}", web::get().to(requests::one))
        .route("/tokens/{file}", web::get().to(requests::token))
        .route("/media/{id}.jpg", web::get().to(media::photo))
        .default_service(web::to(no_such_resource))
}

/// Open311's 404 for a path it does not route.
pub async fn no_such_resource() -> HttpResponse {
    Fault::not_found("no such resource").respond(Format::Xml)
}
