//! The online calls a phone makes directly, outside the outbox: sign-in, one case, its
//! timeline, the work list. Builds the request, sends it through the device's transport (with
//! the session's token through [`SyncEngine::send_authorized`], which renews it once on a 401),
//! and sorts the answer into one of core's answer types ([`crate::protocol`], read by that
//! type's one parser), a JSON body, or an [`Error`]. Request and answer shapes are the server's
//! `/api/v1`.
//!
//! Refusals keep the server's `code`, `field` and `attempts_left`; a 429 with the server's
//! problem is [`Error::Throttled`] with the wait from `Retry-After`, so the sign-in screen can
//! say how long to wait instead of letting the user hammer the button.

use std::time::SystemTime;

use serde_json::Value;

use crate::protocol::{AnswerError, CaseView, WorklistPage};

use super::backoff::parse_retry_after;
use super::error::{Error, Result};
use super::pull::WORKLIST_PATH;
use super::sync::SyncEngine;
use super::transport::{HttpHeader, HttpRequest, Transport};
use super::wire;

/// What the online calls need: where the server is and how to reach it.
pub struct Remote<'a> {
    pub server_url: &'a str,
    pub transport: &'a dyn Transport,
    pub engine: &'a SyncEngine,
}

fn header(name: &str, value: &str) -> HttpHeader {
    HttpHeader { name: name.to_owned(), value: value.to_owned() }
}

/// A case id as a path segment: the server's ids are UUIDs, so anything but letters, digits and
/// dashes is refused before it can change the URL.
pub fn case_segment(case_id: &str) -> Result<&str> {
    id_segment("case_id", case_id)
}

/// A server id (a case's, a photo's) as a path segment or file name, named `field` when
/// refused: letters, digits and dashes only.
pub fn id_segment<'a>(field: &str, id: &'a str) -> Result<&'a str> {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        Ok(id)
    } else {
        Err(Error::Invalid(vec![super::FieldError::new(
            field,
            super::FieldErrorKind::Invalid,
            "an id is letters, digits and dashes",
        )]))
    }
}

impl Remote<'_> {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server_url.trim_end_matches('/'))
    }

    fn get_request(&self, path: &str) -> HttpRequest {
        HttpRequest {
            method: "GET".into(),
            url: self.url(path),
            headers: vec![header("Accept", "application/json")],
            body: Vec::new(),
        }
    }

    fn post_request(&self, path: &str, body: &impl serde::Serialize) -> Result<HttpRequest> {
        Ok(HttpRequest {
            method: "POST".into(),
            url: self.url(path),
            headers: vec![header("Content-Type", "application/json"), header("Accept", "application/json")],
            body: serde_json::to_vec(body)?,
        })
    }

    /// `POST` a JSON body without a token (sign-in) to `path`, named `endpoint` in errors.
    pub fn post_public(&self, endpoint: &'static str, path: &str, body: &Value) -> Result<Value> {
        json_of(endpoint, &self.post_public_raw(endpoint, path, body)?)
    }

    /// `POST` a JSON body without a token to `path`, the answer read by `parse` (one of core's
    /// answer parsers, such as [`SessionAnswer::parse`](crate::protocol::SessionAnswer::parse)).
    pub fn post_public_as<T>(
        &self,
        endpoint: &'static str,
        path: &str,
        body: &impl serde::Serialize,
        parse: fn(&[u8]) -> std::result::Result<T, AnswerError>,
    ) -> Result<T> {
        typed(endpoint, &self.post_public_raw(endpoint, path, body)?, parse)
    }

    fn post_public_raw(
        &self,
        endpoint: &'static str,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<Vec<u8>> {
        let response = self.transport.send(self.post_request(path, body)?)?;
        answer(endpoint, response.status, response.body, retry_after(&response.headers))
    }

    /// `POST` a JSON body to `path` with the session's token, renewing it once on a 401.
    pub fn post(&self, endpoint: &'static str, path: &str, body: &Value) -> Result<Value> {
        let response = self.engine.send_authorized(self.post_request(path, body)?)?;
        json_of(endpoint, &answer(endpoint, response.status, response.body, retry_after(&response.headers))?)
    }

    /// `DELETE` `path` with the session's token, renewing it once on a 401; the answer's body
    /// is not read.
    pub fn delete(&self, endpoint: &'static str, path: &str) -> Result<()> {
        let request = HttpRequest {
            method: "DELETE".into(),
            url: self.url(path),
            headers: vec![header("Accept", "application/json")],
            body: Vec::new(),
        };
        let response = self.engine.send_authorized(request)?;
        answer(endpoint, response.status, response.body, retry_after(&response.headers)).map(|_| ())
    }

    /// `GET` `path` with the session's token, renewing it once on a 401.
    pub fn get(&self, endpoint: &'static str, path: &str) -> Result<Value> {
        json_of(endpoint, &self.get_raw(path, endpoint)?)
    }

    /// `GET` `path` with the session's token, the answer read by `parse`.
    pub fn get_as<T>(
        &self,
        endpoint: &'static str,
        path: &str,
        parse: fn(&[u8]) -> std::result::Result<T, AnswerError>,
    ) -> Result<T> {
        typed(endpoint, &self.get_raw(path, endpoint)?, parse)
    }

    fn get_raw(&self, path: &str, endpoint: &'static str) -> Result<Vec<u8>> {
        let response = self.engine.send_authorized(self.get_request(path))?;
        answer(endpoint, response.status, response.body, retry_after(&response.headers))
    }

    /// `GET` `path` with the session's token, accepting `media_type`: the answer's bytes.
    pub fn get_bytes(&self, endpoint: &'static str, path: &str, media_type: &str) -> Result<Vec<u8>> {
        let mut request = self.get_request(path);
        request.headers = vec![header("Accept", media_type)];
        let response = self.engine.send_authorized(request)?;
        answer(endpoint, response.status, response.body, retry_after(&response.headers))
    }

    /// `GET` a public resource `path`: with the session's token when signed in, else without.
    pub fn get_public(&self, endpoint: &'static str, path: &str) -> Result<Value> {
        let response = self.engine.send_with_session(self.get_request(path))?;
        json_of(endpoint, &answer(endpoint, response.status, response.body, retry_after(&response.headers))?)
    }

    /// `GET` a public resource `path` (with the session's token when signed in), the answer
    /// read by `parse`.
    pub fn get_public_as<T>(
        &self,
        endpoint: &'static str,
        path: &str,
        parse: fn(&[u8]) -> std::result::Result<T, AnswerError>,
    ) -> Result<T> {
        let response = self.engine.send_with_session(self.get_request(path))?;
        typed(
            endpoint,
            &answer(endpoint, response.status, response.body, retry_after(&response.headers))?,
            parse,
        )
    }

    /// The inspector's work list from `cursor` (0: the whole list), one page.
    pub fn worklist_page(&self, cursor: i64) -> Result<WorklistPage> {
        self.get_as(WORKLIST_ENDPOINT, &format!("{WORKLIST_PATH}?cursor={cursor}"), WorklistPage::parse)
    }

    /// One case, in the view the signed-in account may have.
    pub fn case(&self, case_id: &str) -> Result<CaseView> {
        self.get_as(CASE_ENDPOINT, &format!("/api/v1/cases/{}", case_segment(case_id)?), CaseView::parse)
    }
}

const WORKLIST_ENDPOINT: &str = WORKLIST_PATH;
const CASE_ENDPOINT: &str = "/api/v1/cases/{id}";

/// A 2xx body read by one of core's answer parsers, or a protocol error naming the endpoint.
fn typed<T>(
    endpoint: &'static str,
    body: &[u8],
    parse: fn(&[u8]) -> std::result::Result<T, AnswerError>,
) -> Result<T> {
    parse(body).map_err(|e| Error::Protocol { endpoint, reason: e.reason })
}

fn json_of(endpoint: &'static str, body: &[u8]) -> Result<Value> {
    serde_json::from_slice(body)
        .map_err(|_| Error::Protocol { endpoint, reason: "answered without JSON".into() })
}

/// The server's `Retry-After`, in whole seconds (a date is read against the clock now).
fn retry_after(headers: &[HttpHeader]) -> Option<u32> {
    let value = headers.iter().find(|h| h.name.eq_ignore_ascii_case("retry-after"))?;
    let wait = parse_retry_after(&value.value, SystemTime::now())?;
    Some(u32::try_from(wait.as_secs()).unwrap_or(u32::MAX))
}

/// Sort an answer: 2xx is its body; a 429 with the server's problem document is `Throttled`
/// (the user must wait or request a new code); 408, 425, other 429s and 5xx mean "later"; any
/// other status is the server's refusal with its problem.
fn answer(
    endpoint: &'static str,
    status: u16,
    body: Vec<u8>,
    retry_after_secs: Option<u32>,
) -> Result<Vec<u8>> {
    if (200..=299).contains(&status) {
        return Ok(body);
    }
    let has_code = serde_json::from_slice::<Value>(&body).ok().is_some_and(|doc| doc.get("code").is_some());
    match status {
        429 if has_code => {
            Err(Error::Throttled { code: wire::problem(status, &body).code, retry_after_secs })
        }
        408 | 425 | 429 | 500..=599 => Err(Error::ServerUnavailable { status }),
        _ => Err(Error::Refused { endpoint, problem: wire::problem(status, &body) }),
    }
}

/// A string member of a server answer, or a protocol error naming it.
pub fn text(endpoint: &'static str, doc: &Value, key: &str) -> Result<String> {
    doc.get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| Error::Protocol { endpoint, reason: format!("expected a string `{key}`") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_keep_the_code_field_and_attempts_left() {
        let body = br#"{"status":422,"code":"otp_wrong","field":"code","attempts_left":2,"detail":"wrong"}"#;
        let Err(Error::Refused { problem, .. }) = answer("x", 422, body.to_vec(), None) else { panic!() };
        assert_eq!(
            (problem.code.as_str(), problem.field.as_deref(), problem.attempts_left),
            ("otp_wrong", Some("code"), Some(2))
        );
        assert!(matches!(answer("x", 503, Vec::new(), None), Err(Error::ServerUnavailable { status: 503 })));
        assert!(matches!(json_of("x", b"<html>"), Err(Error::Protocol { .. })));
        assert!(matches!(typed("x", b"{}", WorklistPage::parse), Err(Error::Protocol { .. })));
    }

    #[test]
    fn a_429_with_a_problem_is_throttled_with_the_wait() {
        let body = br#"{"status":429,"code":"rate_limited","detail":"retry after 30 seconds"}"#;
        let headers = [header("Retry-After", "30")];
        let err = answer("x", 429, body.to_vec(), retry_after(&headers)).unwrap_err();
        assert!(
            matches!(err, Error::Throttled { ref code, retry_after_secs: Some(30) } if code == "rate_limited")
        );
        // A 429 from something in between (no problem document) is only "later".
        assert!(matches!(answer("x", 429, b"busy".to_vec(), Some(5)), Err(Error::ServerUnavailable { .. })));
        assert_eq!(retry_after(&[header("retry-after", "soon")]), None);
    }

    #[test]
    fn ids_cannot_leave_their_path_segment() {
        assert_eq!(case_segment("0193-ab").unwrap(), "0193-ab");
        assert!(case_segment("a/../b?c").is_err());
        assert!(case_segment("").is_err());
    }
}
