//! Fuzz target: the Open311 parsers (`open311::form`): the body of `POST requests`, the query
//! of `GET requests` and its time window, on arbitrary bytes, must return a value or an error,
//! never panic. What parses keeps the parser's own limits.
#![no_main]

use chrono::{TimeZone, Utc};
use gridline_server::open311::form::{MAX_ATTRIBUTES, MAX_LIST, parse_requests_query, parse_service_request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(form) = parse_service_request(data) {
        assert!(form.attributes.len() <= MAX_ATTRIBUTES);
        assert!(form.lat.is_none_or(f64::is_finite) && form.long.is_none_or(f64::is_finite));
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(query) = parse_requests_query(text) {
        assert!(query.service_request_ids.len() <= MAX_LIST && query.service_codes.len() <= MAX_LIST);
        let now = Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).single().expect("a valid time");
        if let Ok(Some((start, end))) = query.window(now) {
            assert!(start <= end);
        }
    }
});
