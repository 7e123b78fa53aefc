//! The limits that the phones, the server and the dashboard must agree on, written once. The
//! server checks them; the phones read them through the bindings and the dashboard through an
//! API answer, so a draft that a phone accepts is a report the server accepts.

/// Longest report description, in characters (after trimming).
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
/// What a report's description may hold, as an ECMA-262 pattern (the OpenAPI document's): no
/// control character but tab, line feed and carriage return, and at least one character that
/// [`is_visible`]. Its length in characters is checked apart ([`MAX_DESCRIPTION_CHARS`]).
pub const DESCRIPTION_PATTERN: &str = concat!(
    r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*",
    r"[^\x00-\x20\x7F-\xA0\xAD\u034F\u061C\u1680\u180E\u2000-\u200F\u2028-\u202F\u205F-\u206F",
    r"\u3000\uFE00-\uFE0F\uFEFF]",
    r"[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$",
);

/// Whether a description's character shows: not white space, not a control character and not
/// one that takes no room (soft hyphen, joiners, direction marks, variation selectors, the byte
/// order mark). A description needs at least one.
pub fn is_visible(c: char) -> bool {
    !(c.is_whitespace()
        || c.is_control()
        || matches!(c, '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'))
}

/// A report's description as the OpenAPI document shows it.
#[cfg(feature = "openapi")]
pub fn description_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .min_length(Some(1))
        .max_length(Some(MAX_DESCRIPTION_CHARS))
        .pattern(Some(DESCRIPTION_PATTERN))
        .description(Some("What is wrong, in the reporter's words (counted after trimming)."))
        .build()
}

/// Most photos on one report.
pub const MAX_REPORT_PHOTOS: usize = 9;
/// Most photos one workflow step may carry (an after-photo, on-site verification).
pub const MAX_STEP_PHOTOS: usize = 9;
/// Longest reason, note or rating comment of a workflow step, in characters.
pub const MAX_STEP_TEXT_CHARS: usize = 2_000;
/// How far outside every grid cell, in metres, a point still goes to the nearest cell when a
/// city sets nothing else; beyond it a report goes to the city's triage queue. The city's own
/// value travels in the grid package, so a phone routes offline exactly as the server does.
pub const DEFAULT_ROUTING_TOLERANCE_M: f64 = crate::grid::DEFAULT_TOLERANCE_M;
/// Seconds between the positions an inspector's phone records while on patrol: often enough to
/// tell which cells were walked, rare enough to spare the battery.
pub const PATROL_INTERVAL_SECS: u64 = 60;
/// Most patrol positions one upload carries (a day offline at the interval fits in three).
pub const MAX_PATROL_BATCH: usize = 500;
