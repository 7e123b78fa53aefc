//! The HTTP requests the device sends and how it reads the answers: the multipart photo
//! upload, the report and case-action JSON bodies (with their `Idempotency-Key`), the token
//! refresh and sign-out, and `application/problem+json` errors.

use serde::Deserialize;
use serde_json::Value;

use super::drafts::{DraftFields, Position};
use super::outbox::{CaseAction, Problem};
use super::transport::{HttpHeader, HttpRequest};
use crate::protocol;

pub(crate) const PHOTOS_PATH: &str = "/api/v1/photos";
pub(crate) const REPORTS_PATH: &str = "/api/v1/reports";
pub(crate) const REFRESH_PATH: &str = "/api/v1/auth/refresh";
pub(crate) const LOGOUT_PATH: &str = "/api/v1/auth/logout";
/// The media type of the offline grid package (`GET /api/v1/grids/package`).
pub(crate) const PACKAGE_TYPE: &str = "application/vnd.gridline.grid-package";

/// `POST /api/v1/auth/refresh` answer.
#[derive(Debug, Deserialize)]
pub(crate) struct TokenAnswer {
    pub access_token: String,
    pub refresh_token: String,
}

fn url(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

fn header(name: &str, value: &str) -> HttpHeader {
    HttpHeader { name: name.to_owned(), value: value.to_owned() }
}

fn json_post(url: String, key: Option<&str>, body: Vec<u8>) -> HttpRequest {
    let mut headers = vec![header("Content-Type", "application/json"), header("Accept", "application/json")];
    if let Some(key) = key {
        headers.push(header("Idempotency-Key", key));
    }
    HttpRequest { method: "POST".into(), url, headers, body }
}

/// The multipart upload of one prepared JPEG, under the part name `photo`.
pub(crate) fn photo_upload(base: &str, upload_key: &str, jpeg: &[u8]) -> HttpRequest {
    let boundary = format!("gridline-{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::with_capacity(jpeg.len() + 256);
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"photo.jpg\"\r\n\
             Content-Type: image/jpeg\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(jpeg);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    HttpRequest {
        method: "POST".into(),
        url: url(base, PHOTOS_PATH),
        headers: vec![
            header("Content-Type", &format!("multipart/form-data; boundary={boundary}")),
            header("Accept", "application/json"),
            header("Idempotency-Key", upload_key),
        ],
        body,
    }
}

pub(crate) fn report(
    base: &str,
    key: &str,
    fields: &DraftFields,
    photo_ids: &[String],
) -> serde_json::Result<HttpRequest> {
    // A queued draft has passed validation, so category and position are there; were one
    // missing, the server would refuse the report naming the field.
    let Some(position) = fields.position.as_ref() else {
        return Err(serde::ser::Error::custom("a report needs a position"));
    };
    let body = protocol::ReportRequest {
        category: fields.category.clone().unwrap_or_default(),
        description: fields.description.clone(),
        position: wire_position(position),
        captured_at: fields.captured_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        photo_ids: photo_ids.to_vec(),
        answers: fields.answers.clone(),
        anonymous: fields.anonymous,
        drill: false,
    };
    Ok(json_post(url(base, REPORTS_PATH), Some(key), serde_json::to_vec(&body)?))
}

pub(crate) fn case_action(
    base: &str,
    key: &str,
    action: &CaseAction,
    photo_ids: &[String],
) -> serde_json::Result<HttpRequest> {
    let body = protocol::ActionRequest {
        action: action.action.as_str().to_owned(),
        reason: action.reason.clone(),
        position: action.position.as_ref().map(wire_position),
        rating: action.rating,
        comment: action.comment.clone(),
        photo_ids: photo_ids.to_vec(),
        ..protocol::ActionRequest::default()
    };
    let path = format!("/api/v1/cases/{}/actions", percent_encode_segment(&action.case_id));
    Ok(json_post(url(base, &path), Some(key), serde_json::to_vec(&body)?))
}

pub(crate) fn refresh(base: &str, refresh_token: &str) -> serde_json::Result<HttpRequest> {
    let body = serde_json::to_vec(&serde_json::json!({ "refresh_token": refresh_token }))?;
    Ok(json_post(url(base, REFRESH_PATH), None, body))
}

/// `POST /api/v1/auth/logout`: the server revokes the refresh token's whole family.
pub(crate) fn logout(base: &str, refresh_token: &str) -> serde_json::Result<HttpRequest> {
    let body = serde_json::to_vec(&serde_json::json!({ "refresh_token": refresh_token }))?;
    Ok(json_post(url(base, LOGOUT_PATH), None, body))
}

/// The device's position (a typed datum) as the protocol carries it.
fn wire_position(position: &Position) -> protocol::Position {
    protocol::Position {
        lat: position.lat,
        lon: position.lon,
        crs: Some(position.crs.as_str().to_owned()),
        accuracy_m: position.accuracy_m,
    }
}

/// Case ids and list cursors are the server's; encode anything that is not unreserved so one
/// can never change the path or the query.
pub(crate) fn percent_encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The `id` of a created resource (a string, or a number read as its decimal text).
pub(crate) fn created_id(body: &[u8]) -> Option<String> {
    match serde_json::from_slice::<Value>(body).ok()?.get("id")? {
        Value::String(id) if !id.is_empty() => Some(id.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Read an error answer. A problem+json body gives its `code`, `field` and `detail` (or
/// `title`); anything else still yields a problem naming the status, so nothing is dropped.
pub(crate) fn problem(status: u16, body: &[u8]) -> Problem {
    let doc = serde_json::from_slice::<Value>(body).ok();
    let text = |key: &str| doc.as_ref().and_then(|d| d.get(key)).and_then(Value::as_str).map(str::to_owned);
    Problem {
        status,
        code: text("code").unwrap_or_else(|| format!("http_{status}")),
        field: text("field"),
        message: text("detail")
            .or_else(|| text("title"))
            .unwrap_or_else(|| format!("the server answered {status}")),
        attempts_left: doc
            .as_ref()
            .and_then(|d| d.get("attempts_left"))
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok()),
    }
}

/// The case's current state in a 409 answer (`current_state`, or `state`).
pub(crate) fn conflict_state(body: &[u8]) -> Option<String> {
    let doc = serde_json::from_slice::<Value>(body).ok()?;
    let state = doc.get("current_state").or_else(|| doc.get("state"))?;
    Some(state.as_str().map_or_else(|| state.to_string(), str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_keep_the_servers_code_field_and_message() {
        let body = br#"{"type":"about:blank","title":"Invalid","status":422,"code":"invalid_field","field":"description","detail":"too long"}"#;
        let p = problem(422, body);
        assert_eq!(
            p,
            Problem {
                status: 422,
                code: "invalid_field".into(),
                field: Some("description".into()),
                message: "too long".into(),
                attempts_left: None,
            }
        );
        let p = problem(403, b"<html>forbidden</html>");
        assert_eq!(
            (p.code.as_str(), p.field, p.message.as_str()),
            ("http_403", None, "the server answered 403")
        );
    }

    #[test]
    fn conflicts_carry_the_current_state() {
        assert_eq!(
            conflict_state(br#"{"code":"not_from_state","current_state":"closed"}"#).as_deref(),
            Some("closed")
        );
        assert_eq!(
            conflict_state(br#"{"state":{"name":"handled"}}"#).as_deref(),
            Some(r#"{"name":"handled"}"#)
        );
        assert_eq!(conflict_state(b"nope"), None);
    }

    #[test]
    fn case_ids_cannot_escape_their_path_segment() {
        assert_eq!(percent_encode_segment("C-2024.001"), "C-2024.001");
        assert_eq!(percent_encode_segment("../x?y"), "..%2Fx%3Fy");
    }

    #[test]
    fn the_photo_upload_is_one_multipart_part_with_the_key() {
        let request = photo_upload("http://h/", "k1", b"\xff\xd8jpeg");
        assert_eq!(request.url, "http://h/api/v1/photos");
        let content_type = &request.headers[0].value;
        let boundary = content_type.strip_prefix("multipart/form-data; boundary=").unwrap();
        let body = String::from_utf8_lossy(&request.body);
        assert!(body.starts_with(&format!("--{boundary}\r\n")));
        assert!(body.ends_with(&format!("\r\n--{boundary}--\r\n")));
        assert!(request.headers.iter().any(|h| h.name == "Idempotency-Key" && h.value == "k1"));
    }
}
