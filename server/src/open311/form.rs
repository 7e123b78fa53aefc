//! Parsing what an Open311 client sends: the form of `POST requests` and the query of
//! `GET requests`. Pure functions over bytes and text (no HTTP, no database), so they can be
//! fuzzed on their own; the handlers in [`super::requests`] only call them.

use std::collections::BTreeMap;

use actix_web::web::Query;
use chrono::{DateTime, Duration, Utc};

/// Longest span of request times one `GET requests` may ask for, as the specification says.
pub const MAX_SPAN_DAYS: i64 = 90;
/// Records per page when the client does not say (the specification's default cap).
pub const DEFAULT_PAGE_SIZE: u32 = 1000;
/// Most records per page.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// Most entries in one comma list (`service_request_id`, `service_code`).
pub const MAX_LIST: usize = 200;
/// Most distinct `attribute[...]` fields in one request.
pub const MAX_ATTRIBUTES: usize = 50;

/// Why a form or query cannot be used; `field` names the parameter at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FormError {
    pub field: String,
    pub reason: String,
}

fn fail(field: impl Into<String>, reason: impl Into<String>) -> FormError {
    FormError { field: field.into(), reason: reason.into() }
}

/// An attribute answer: `attribute[code]=v` is one value, `attribute[code][]=v` (repeated) several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeValue {
    One(String),
    Many(Vec<String>),
}

/// The fields of `POST requests` this server uses. `email` is kept (sealed) to tell the
/// requester of public changes; the other contact fields (`first_name`, `last_name`, `phone`,
/// `device_id`, `account_id`) and `media_url` are accepted and dropped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceRequestForm {
    pub api_key: Option<String>,
    pub service_code: Option<String>,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub address_string: Option<String>,
    pub address_id: Option<String>,
    pub description: Option<String>,
    pub email: Option<String>,
    pub attributes: BTreeMap<String, AttributeValue>,
}

/// The `application/x-www-form-urlencoded` pairs of `text`, in order.
fn pairs(text: &str) -> Result<Vec<(String, String)>, FormError> {
    Query::<Vec<(String, String)>>::from_query(text)
        .map(Query::into_inner)
        .map_err(|_| fail("body", "expected application/x-www-form-urlencoded fields"))
}

fn number(field: &str, text: &str) -> Result<f64, FormError> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| fail(field, "expected a decimal number of degrees (WGS-84)"))
}

fn set_once<T>(slot: &mut Option<T>, field: &str, value: T) -> Result<(), FormError> {
    if slot.is_some() {
        return Err(fail(field, "given more than once"));
    }
    *slot = Some(value);
    Ok(())
}

/// `attribute[code]` → (`code`, false); `attribute[code][]` → (`code`, true).
fn attribute_key(key: &str) -> Option<(&str, bool)> {
    let inner = key.strip_prefix("attribute[")?;
    let (code, many) = match inner.strip_suffix("][]") {
        Some(code) => (code, true),
        None => (inner.strip_suffix(']')?, false),
    };
    (!code.is_empty() && !code.contains(['[', ']'])).then_some((code, many))
}

/// Parses the body of `POST requests`. Unknown fields are ignored (clients send the optional
/// fields of the specification this server does not use); a field given twice is refused.
pub fn parse_service_request(body: &[u8]) -> Result<ServiceRequestForm, FormError> {
    let text = std::str::from_utf8(body).map_err(|_| fail("body", "expected UTF-8 text"))?;
    let mut form = ServiceRequestForm::default();
    for (key, value) in pairs(text)? {
        if let Some((code, many)) = attribute_key(&key) {
            let known = form.attributes.len();
            match (form.attributes.get_mut(code), many) {
                (Some(AttributeValue::Many(values)), true) => values.push(value),
                (Some(_), _) => return Err(fail(key, "given more than once")),
                (None, _) if known >= MAX_ATTRIBUTES => {
                    return Err(fail(key, format!("at most {MAX_ATTRIBUTES} attributes")));
                }
                (None, true) => {
                    form.attributes.insert(code.to_owned(), AttributeValue::Many(vec![value]));
                }
                (None, false) => {
                    form.attributes.insert(code.to_owned(), AttributeValue::One(value));
                }
            }
            continue;
        }
        match key.as_str() {
            "api_key" => set_once(&mut form.api_key, &key, value)?,
            "service_code" => set_once(&mut form.service_code, &key, value)?,
            "lat" => set_once(&mut form.lat, &key, number(&key, &value)?)?,
            "long" => set_once(&mut form.long, &key, number(&key, &value)?)?,
            "address_string" => set_once(&mut form.address_string, &key, value)?,
            "address_id" => set_once(&mut form.address_id, &key, value)?,
            "description" => set_once(&mut form.description, &key, value)?,
            "email" => set_once(&mut form.email, &key, value)?,
            _ => {}
        }
    }
    Ok(form)
}

/// `open` or `closed`, as Open311 reports a request's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Open,
    Closed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Closed => "closed",
        }
    }
}

/// The filters of `GET requests`, as sent (the time window is settled by [`RequestsQuery::window`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestsQuery {
    pub service_request_ids: Vec<String>,
    pub service_codes: Vec<String>,
    pub start_date: Option<DateTime<Utc>>,
    pub end_date: Option<DateTime<Utc>>,
    pub statuses: Vec<Status>,
    /// 1-based.
    pub page: u32,
    pub page_size: u32,
    pub extensions: bool,
}

fn comma_list(field: &str, value: &str) -> Result<Vec<String>, FormError> {
    let items: Vec<String> =
        value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
    if items.len() > MAX_LIST {
        return Err(fail(field, format!("at most {MAX_LIST} values")));
    }
    Ok(items)
}

fn date(field: &str, value: &str) -> Result<DateTime<Utc>, FormError> {
    DateTime::parse_from_rfc3339(value.trim()).map(|t| t.with_timezone(&Utc)).map_err(|_| {
        fail(field, "expected an ISO 8601 date and time with its offset, e.g. 2026-11-29T08:00:00Z")
    })
}

fn positive(field: &str, value: &str, max: u32) -> Result<u32, FormError> {
    value
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| fail(field, format!("expected a whole number from 1 to {max}")))
}

/// Parses the query string of `GET requests`. Several `status` or list parameters add up.
pub fn parse_requests_query(query: &str) -> Result<RequestsQuery, FormError> {
    let mut out = RequestsQuery {
        service_request_ids: Vec::new(),
        service_codes: Vec::new(),
        start_date: None,
        end_date: None,
        statuses: Vec::new(),
        page: 1,
        page_size: DEFAULT_PAGE_SIZE,
        extensions: false,
    };
    for (key, value) in pairs(query)? {
        match key.as_str() {
            "service_request_id" => out.service_request_ids.extend(comma_list(&key, &value)?),
            "service_code" => out.service_codes.extend(comma_list(&key, &value)?),
            "start_date" => set_once(&mut out.start_date, &key, date(&key, &value)?)?,
            "end_date" => set_once(&mut out.end_date, &key, date(&key, &value)?)?,
            "status" => {
                for item in comma_list(&key, &value)? {
                    let status = match item.as_str() {
                        "open" => Status::Open,
                        "closed" => Status::Closed,
                        _ => return Err(fail(&key, "expected open or closed")),
                    };
                    if !out.statuses.contains(&status) {
                        out.statuses.push(status);
                    }
                }
            }
            "page" => out.page = positive(&key, &value, u32::MAX)?,
            "page_size" => out.page_size = positive(&key, &value, MAX_PAGE_SIZE)?,
            "extensions" => {
                out.extensions = match value.trim() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(fail(&key, "expected true or false")),
                }
            }
            _ => {}
        }
        if out.service_request_ids.len() > MAX_LIST || out.service_codes.len() > MAX_LIST {
            return Err(fail(key, format!("at most {MAX_LIST} values")));
        }
    }
    Ok(out)
}

/// A span of request times, both ends included.
pub type Window = (DateTime<Utc>, DateTime<Utc>);

impl RequestsQuery {
    /// The request-time window to search: both ends when given (at most [`MAX_SPAN_DAYS`] apart),
    /// otherwise [`MAX_SPAN_DAYS`] from the end given, to the start given, or back from `now`.
    /// `None` when the client asked for requests by id, which are found whatever their age.
    pub fn window(&self, now: DateTime<Utc>) -> Result<Option<Window>, FormError> {
        let span = Duration::days(MAX_SPAN_DAYS);
        let (start, end) = match (self.start_date, self.end_date) {
            (None, None) if !self.service_request_ids.is_empty() => return Ok(None),
            (Some(start), Some(end)) => (start, end),
            (Some(start), None) => (start, start + span),
            (None, Some(end)) => (end - span, end),
            (None, None) => (now - span, now),
        };
        if start > end {
            return Err(fail("start_date", "must not be after end_date"));
        }
        if end - start > span {
            return Err(fail("end_date", format!("the dates may span at most {MAX_SPAN_DAYS} days")));
        }
        Ok(Some((start, end)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_full_form_parses_with_single_and_multi_value_attributes() {
        let form = parse_service_request(
            b"api_key=k&service_code=C0101&lat=31.2&long=121.4&description=Cover+gone&\
              attribute%5Bcover_state%5D=missing&attribute[kinds][]=a&attribute[kinds][]=b&email=x%40y.z",
        )
        .unwrap();
        assert_eq!(form.api_key.as_deref(), Some("k"));
        assert_eq!(form.service_code.as_deref(), Some("C0101"));
        assert_eq!((form.lat, form.long), (Some(31.2), Some(121.4)));
        assert_eq!(form.description.as_deref(), Some("Cover gone"));
        assert_eq!(form.attributes["cover_state"], AttributeValue::One("missing".into()));
        assert_eq!(form.attributes["kinds"], AttributeValue::Many(vec!["a".into(), "b".into()]));
    }

    #[test]
    fn bad_forms_name_the_field() {
        assert_eq!(parse_service_request(b"lat=north").unwrap_err().field, "lat");
        assert_eq!(parse_service_request(b"long=inf").unwrap_err().field, "long");
        assert_eq!(parse_service_request(b"lat=1&lat=2").unwrap_err().field, "lat");
        assert_eq!(
            parse_service_request(b"attribute[a]=1&attribute[a][]=2").unwrap_err().field,
            "attribute[a][]"
        );
        assert_eq!(parse_service_request(&[0xff, 0xfe]).unwrap_err().field, "body");
        // Not an attribute: ignored like any unknown field.
        assert!(parse_service_request(b"attribute[]=1&attribute[a=2").unwrap().attributes.is_empty());
    }

    #[test]
    fn the_window_defaults_to_ninety_days_and_refuses_more() {
        let now = DateTime::parse_from_rfc3339("2026-11-29T12:00:00Z").unwrap().with_timezone(&Utc);
        let q = parse_requests_query("").unwrap();
        let (start, end) = q.window(now).unwrap().unwrap();
        assert_eq!((end, end - start), (now, Duration::days(90)));
        let q =
            parse_requests_query("start_date=2026-01-01T00:00:00Z&end_date=2026-04-01T00:00:01Z").unwrap();
        assert_eq!(q.window(now).unwrap_err().field, "end_date");
        let q =
            parse_requests_query("start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z").unwrap();
        assert_eq!(q.window(now).unwrap_err().field, "start_date");
        let q = parse_requests_query("service_request_id=A,B").unwrap();
        assert_eq!(q.window(now).unwrap(), None);
        assert_eq!(q.service_request_ids, ["A", "B"]);
    }

    #[test]
    fn query_values_are_checked() {
        let q = parse_requests_query("status=open,closed&status=open&page=2&page_size=10&extensions=true")
            .unwrap();
        assert_eq!((q.statuses.len(), q.page, q.page_size, q.extensions), (2, 2, 10, true));
        for bad in ["status=pending", "page=0", "page_size=1001", "start_date=yesterday", "extensions=yes"] {
            assert!(parse_requests_query(bad).is_err(), "{bad}");
        }
    }
}
