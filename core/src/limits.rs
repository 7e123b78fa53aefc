//! The limits that the phones, the server and the dashboard must agree on, written once. The
//! server checks them; the phones read them through the bindings and the dashboard through an
//! API answer, so a draft that a phone accepts is a report the server accepts.

/// Longest report description, in characters (after trimming).
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
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
