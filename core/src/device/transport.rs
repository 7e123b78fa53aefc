//! How the device core reaches the server: the [`Transport`] trait, which the app may implement
//! with its own HTTP stack (OkHttp, URLSession) so that proxies, certificates and background
//! transfers follow the platform, and [`HttpTransport`], the default in Rust (ureq, rustls,
//! timeouts) for tests and the CLI.
//!
//! The records are deliberately plain (strings, bytes, a status number) so the trait can be a
//! UniFFI foreign trait. A transport only moves bytes: any HTTP status, 500 included, is a
//! [`HttpResponse`]; only "no response at all" is a [`TransportError`].

use std::time::Duration;

/// One header line. Names compare case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpHeader {
    pub name: String,
    pub value: String,
}

/// A request to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Absolute URL.
    pub url: String,
    pub headers: Vec<HttpHeader>,
    pub body: Vec<u8>,
}

/// The server's answer, whatever its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<HttpHeader>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.as_str())
    }
}

/// No response arrived. Every kind is worth retrying later; the kinds only help the app
/// explain the wait.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// No connection could be made (offline, DNS, refused, TLS handshake).
    #[error("could not reach the server: {message}")]
    Unreachable { message: String },
    /// Connected, but the connection dropped or broke mid-exchange: the server may or may not
    /// have acted on the request.
    #[error("the connection broke before the response was complete: {message}")]
    Interrupted { message: String },
    /// No complete response within the time limit.
    #[error("no response within the time limit: {message}")]
    Timeout { message: String },
}

/// Sends one HTTP request and returns the response. Implementations must be callable from
/// several threads; they must not follow redirects to another host with credentials, and should
/// bound the time a request may take.
pub trait Transport: Send + Sync {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

/// Time limits of [`HttpTransport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpTimeouts {
    /// Establishing the TCP and TLS connection.
    pub connect: Duration,
    /// The whole exchange, from connecting to the last byte of the response.
    pub total: Duration,
}

impl Default for HttpTimeouts {
    fn default() -> Self {
        Self { connect: Duration::from_secs(10), total: Duration::from_secs(60) }
    }
}

/// Largest response body read; API answers are small JSON documents.
const MAX_RESPONSE_BYTES: u64 = 8 * 1024 * 1024;

/// The default transport: blocking HTTP/1.1 over rustls (webpki roots), with time limits and
/// no redirects (an API answer is never a redirect; following one could leak the token).
pub struct HttpTransport {
    agent: ureq::Agent,
}

impl HttpTransport {
    pub fn new(timeouts: HttpTimeouts) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(timeouts.connect))
            .timeout_global(Some(timeouts.total))
            .build();
        Self { agent: config.into() }
    }
}

impl Default for HttpTransport {
    fn default() -> Self {
        Self::new(HttpTimeouts::default())
    }
}

impl Transport for HttpTransport {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut builder =
            ureq::http::Request::builder().method(request.method.as_str()).uri(request.url.as_str());
        for header in &request.headers {
            builder = builder.header(header.name.as_str(), header.value.as_str());
        }
        let http_request = builder
            .body(request.body)
            .map_err(|e| TransportError::Unreachable { message: format!("invalid request: {e}") })?;
        let mut response = self.agent.run(http_request).map_err(|e| classify(e, false))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| HttpHeader {
                name: name.as_str().to_owned(),
                value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
            })
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(|e| classify(e, true))?;
        Ok(HttpResponse { status, headers, body })
    }
}

/// Sort a ureq error into the three kinds. Once the status line has arrived (`responded`),
/// any failure is an interrupted exchange.
fn classify(error: ureq::Error, responded: bool) -> TransportError {
    let message = error.to_string();
    match error {
        ureq::Error::Timeout(_) => TransportError::Timeout { message },
        _ if responded => TransportError::Interrupted { message },
        ureq::Error::Io(ref io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::UnexpectedEof
            ) =>
        {
            TransportError::Interrupted { message }
        }
        ureq::Error::Protocol(_) => TransportError::Interrupted { message },
        _ => TransportError::Unreachable { message },
    }
}
