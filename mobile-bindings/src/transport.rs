//! The HTTP transport across the FFI: [`HttpTransport`], a trait the app may implement with its
//! own HTTP stack (OkHttp on Android, URLSession on iOS) so that proxies, certificate pinning and
//! the system's network policy apply, and its adapter onto core's `device::Transport`. Without
//! one, the client uses core's default Rust transport.

use std::sync::Arc;

use gridline_core::device::{
    HttpHeader as CoreHeader, HttpRequest as CoreRequest, HttpResponse as CoreResponse,
    Transport as CoreTransport, TransportError as CoreTransportError,
};

/// One header line. Names compare case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpHeader {
    /// The header name, e.g. `Content-Type`.
    pub name: String,
    /// The header value.
    pub value: String,
}

/// A request the SDK asks the app's transport to send.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpRequest {
    /// `GET` or `POST`.
    pub method: String,
    /// The absolute URL.
    pub url: String,
    /// Headers to send as given (`Authorization`, `Idempotency-Key`, `Content-Type`, ...).
    pub headers: Vec<HttpHeader>,
    /// The body; empty for a `GET`.
    pub body: Vec<u8>,
}

/// The server's answer, whatever its status: a 4xx or 5xx is a response, not an error.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpResponse {
    /// The HTTP status, e.g. 201.
    pub status: u16,
    /// The response headers (`Retry-After` is read from them).
    pub headers: Vec<HttpHeader>,
    /// The response body.
    pub body: Vec<u8>,
}

/// No response arrived. Every kind is retried later by the SDK; the kinds only help explain
/// the wait. A transport throws this, never an HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum TransportError {
    /// No connection could be made (offline, DNS, refused, TLS handshake).
    #[error("could not reach the server: {detail}")]
    Unreachable {
        /// What the HTTP stack said.
        detail: String,
    },
    /// The connection broke mid-exchange: the server may or may not have acted.
    #[error("the connection broke before the response was complete: {detail}")]
    Interrupted {
        /// What the HTTP stack said.
        detail: String,
    },
    /// No complete response within the time limit.
    #[error("no response within the time limit: {detail}")]
    Timeout {
        /// What the HTTP stack said.
        detail: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for TransportError {
    /// Anything else a foreign transport throws is treated as a broken exchange.
    fn from(err: uniffi::UnexpectedUniFFICallbackError) -> Self {
        TransportError::Interrupted { detail: err.reason }
    }
}

/// Sends one HTTP request and returns the response. Implement it with the platform's HTTP
/// client: it must be callable from several threads, must not follow redirects, and should
/// bound the time a request may take. It is called on the thread that called the SDK (a
/// background thread), so it may block.
#[uniffi::export(with_foreign)]
pub trait HttpTransport: Send + Sync {
    /// Send `request`; return the response whatever its status, or throw [`TransportError`]
    /// when no response arrived.
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

/// The app's transport, seen by core as a `device::Transport`.
pub(crate) struct ForeignTransport(pub(crate) Arc<dyn HttpTransport>);

fn header_to_core(h: HttpHeader) -> CoreHeader {
    CoreHeader { name: h.name, value: h.value }
}

fn header_from_core(h: CoreHeader) -> HttpHeader {
    HttpHeader { name: h.name, value: h.value }
}

impl CoreTransport for ForeignTransport {
    fn send(&self, request: CoreRequest) -> Result<CoreResponse, CoreTransportError> {
        let request = HttpRequest {
            method: request.method,
            url: request.url,
            headers: request.headers.into_iter().map(header_from_core).collect(),
            body: request.body,
        };
        match self.0.send(request) {
            Ok(response) => Ok(CoreResponse {
                status: response.status,
                headers: response.headers.into_iter().map(header_to_core).collect(),
                body: response.body,
            }),
            Err(TransportError::Unreachable { detail }) => {
                Err(CoreTransportError::Unreachable { message: detail })
            }
            Err(TransportError::Interrupted { detail }) => {
                Err(CoreTransportError::Interrupted { message: detail })
            }
            Err(TransportError::Timeout { detail }) => Err(CoreTransportError::Timeout { message: detail }),
        }
    }
}
