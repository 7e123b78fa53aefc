//! The online calls the app makes directly (sign-in, the work list, one case): building the
//! request, sending it through the client's transport (with the session's token through core's
//! `send_authorized`, which renews it once on a 401), and sorting the answer into a body or a
//! [`GridlineError`]. Request and answer shapes are the server's `/api/v1`.

use std::time::SystemTime;

use gridline_core::device::backoff::parse_retry_after;
use gridline_core::device::{HttpHeader, HttpRequest, SyncEngine, Transport};
use serde_json::Value;

use crate::GridlineError;

/// What the online calls need: where the server is and how to reach it.
pub(crate) struct Remote<'a> {
    pub server_url: &'a str,
    pub transport: &'a dyn Transport,
    pub engine: &'a SyncEngine,
}

fn header(name: &str, value: &str) -> HttpHeader {
    HttpHeader { name: name.to_owned(), value: value.to_owned() }
}

/// A case id as a path segment: the server's ids are UUIDs, so anything but letters, digits and
/// dashes is refused before it can change the URL.
pub(crate) fn case_segment(case_id: &str) -> Result<&str, GridlineError> {
    if !case_id.is_empty() && case_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        Ok(case_id)
    } else {
        Err(GridlineError::invalid("case_id", "a case id is letters, digits and dashes"))
    }
}

impl Remote<'_> {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server_url.trim_end_matches('/'))
    }

    /// `POST` a JSON body without a token (sign-in).
    pub fn post_public(&self, path: &str, body: &Value) -> Result<Value, GridlineError> {
        let request = HttpRequest {
            method: "POST".into(),
            url: self.url(path),
            headers: vec![header("Content-Type", "application/json"), header("Accept", "application/json")],
            body: serde_json::to_vec(body).map_err(|e| GridlineError::Protocol { reason: e.to_string() })?,
        };
        let response = self.transport.send(request).map_err(network)?;
        answer(path, response.status, &response.body, retry_after(&response.headers))
    }

    /// `GET` with the session's token, renewing it once on a 401.
    pub fn get(&self, path: &str) -> Result<Value, GridlineError> {
        let request = HttpRequest {
            method: "GET".into(),
            url: self.url(path),
            headers: vec![header("Accept", "application/json")],
            body: Vec::new(),
        };
        let response = self.engine.send_authorized(request)?;
        answer(path, response.status, &response.body, retry_after(&response.headers))
    }
}

fn network(err: gridline_core::device::TransportError) -> GridlineError {
    GridlineError::Network { reason: err.to_string() }
}

/// The server's `Retry-After`, in whole seconds (a date is read against the clock now).
fn retry_after(headers: &[HttpHeader]) -> Option<u32> {
    let value = headers.iter().find(|h| h.name.eq_ignore_ascii_case("retry-after"))?;
    let wait = parse_retry_after(&value.value, SystemTime::now())?;
    Some(u32::try_from(wait.as_secs()).unwrap_or(u32::MAX))
}

/// Sort an answer: 2xx is its JSON body; a 429 with the server's problem document is
/// `TooManyAttempts` (the user must wait or request a new code); 408, 425, other 429s and 5xx
/// mean "later"; any other status is the server's refusal, with its `code` and `field` (never its
/// free text, which may quote what was sent).
fn answer(
    path: &str,
    status: u16,
    body: &[u8],
    retry_after_secs: Option<u32>,
) -> Result<Value, GridlineError> {
    if (200..=299).contains(&status) {
        return serde_json::from_slice(body).map_err(|_| GridlineError::Protocol {
            reason: format!("{path} answered {status} without JSON"),
        });
    }
    let problem = serde_json::from_slice::<Value>(body).ok();
    let member =
        |key: &str| problem.as_ref().and_then(|p| p.get(key)).and_then(Value::as_str).map(str::to_owned);
    Err(match (status, member("code")) {
        (429, Some(code)) => GridlineError::TooManyAttempts { code, retry_after_secs },
        (408 | 425 | 429 | 500..=599, _) => {
            GridlineError::Network { reason: format!("the server is unavailable (HTTP {status})") }
        }
        (_, code) => GridlineError::Refused {
            status,
            code: code.unwrap_or_else(|| format!("http_{status}")),
            field: member("field"),
        },
    })
}

/// A string member of a server answer, or a protocol error naming it.
pub(crate) fn text(doc: &Value, key: &str) -> Result<String, GridlineError> {
    doc.get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| GridlineError::Protocol { reason: format!("expected a string `{key}`") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_keep_the_code_and_field_but_not_the_servers_text() {
        let body = br#"{"status":422,"code":"invalid_phone","field":"phone","detail":"+8613800138000 is not valid"}"#;
        let err = answer("/x", 422, body, None).unwrap_err();
        assert_eq!(
            err,
            GridlineError::Refused { status: 422, code: "invalid_phone".into(), field: Some("phone".into()) }
        );
        assert!(!err.to_string().contains("138"), "{err}");
        assert!(matches!(answer("/x", 503, b"", None), Err(GridlineError::Network { .. })));
        assert!(matches!(answer("/x", 200, b"<html>", None), Err(GridlineError::Protocol { .. })));
    }

    #[test]
    fn a_429_with_a_problem_is_too_many_attempts_with_the_wait() {
        let body =
            br#"{"status":429,"code":"rate_limited","detail":"too many attempts; retry after 30 seconds"}"#;
        let headers = [header("Retry-After", "30")];
        assert_eq!(
            answer("/x", 429, body, retry_after(&headers)).unwrap_err(),
            GridlineError::TooManyAttempts { code: "rate_limited".into(), retry_after_secs: Some(30) }
        );
        // A 429 from something in between (no problem document) is only "later".
        assert!(matches!(answer("/x", 429, b"busy", Some(5)), Err(GridlineError::Network { .. })));
        assert_eq!(retry_after(&[header("retry-after", "soon")]), None);
    }

    #[test]
    fn ids_cannot_leave_their_path_segment() {
        assert_eq!(case_segment("0193-ab").unwrap(), "0193-ab");
        assert!(case_segment("a/../b?c").is_err());
        assert!(case_segment("").is_err());
    }
}
