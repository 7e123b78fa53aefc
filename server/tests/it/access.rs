//! The authorization matrix: every role × every `/api/v1` operation of the OpenAPI document,
//! over real HTTP on both backends. One table ([`matrix`]) says, for each (method, path
//! template), what each of the twelve callers gets: a status, a case view, a timeline view, or
//! exactly which reports. The table must cover every documented operation, so a new route
//! cannot be documented without deciding who may call it.
//!
//! The city: two streets of district 310104 with cases in each; two inspectors with different
//! cells; two handlers of different units; a phone citizen and an anonymous-device citizen; a
//! read-only viewer of street A, which reads what its street holds and writes nothing; a 12345
//! hotline operator of street A, which takes calls and call-backs and reads its street's cases
//! (never their reporter); a district admin of 310104, which holds both streets, takes the
//! street office's steps there and configures nothing of the city (a case of another district
//! is out of its reach: [`district_admins_keep_to_their_district`]). Every refused request is checked to have changed nothing (accounts,
//! categories, grid revision, cases and photos are fingerprinted before and after).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::time::Duration;

use common::{Backend, TestServer, demo_cells, point_in};
use diesel::prelude::*;
use gridline_core::codes::{AreaCode, CategoryCode, GridCode};
use gridline_core::grid::{GridCell, to_geojson};
use gridline_core::warning::signal::{SignalMethod, SignalState};
use gridline_core::warning::topic::{TopicLevel, TopicState};
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use gridline_server::auth::otp::HashKey;
use gridline_server::store::schema::{cases, otp_challenges, photos, users};
use gridline_server::store::warning_signals::SignalRow;
use gridline_server::store::warning_topics::TopicRow;
use gridline_server::store::{Db, DbConnection};
use reqwest::Method;
use reqwest::blocking::Response;
use serde_json::{Value, json};

const SECRET: &str = "access-matrix-secret-of-at-least-32-bytes";

/// The callers, in the order of the columns of [`matrix`].
const CALLERS: [&str; 12] = [
    "nobody",
    "phone",
    "device",
    "inspector",
    "inspector_b",
    "dispatcher",
    "handler",
    "handler_b",
    "admin",
    "viewer",
    "operator",
    "district_admin",
];

/// What one caller must get from one request.
#[derive(Debug, Clone, Copy)]
enum Want {
    /// This status; when 2xx or 3xx nothing more is checked, when 4xx nothing changed.
    Status(u16),
    /// 200 and the case in this view (`public`, `reporter`, `staff`); `staff_reporter` says
    /// whether the staff view names the reporter.
    Case(&'static str),
    StaffWithReporter,
    /// 200 and exactly these cases, by fixture name.
    Mine(&'static [&'static str]),
    /// 200 and the caller's own account.
    Me,
    /// 200 and the case's timeline: the staff one (with actors) or the public one;
    /// `names_reporter` says whether the reporter's account id may appear in it (only for the
    /// street office and the city, on a named report, as on the case itself).
    Timeline {
        staff: bool,
        names_reporter: bool,
    },
    /// 200 and work-list items only among these cases.
    WorkWithin(&'static [&'static str]),
    /// 200, an event stream, and its whole history (`Last-Event-ID: 0`) about exactly these
    /// cases.
    Events(&'static [&'static str]),
    /// 200 and a case list (`items`) of exactly these cases.
    Listed(&'static [&'static str]),
    /// 200 and dashboard counts for exactly the cells of these (open) cases.
    Counted(&'static [&'static str]),
}

use Want::{Case, Mine, StaffWithReporter, Status};

/// The body a request carries, by kind.
#[derive(Debug, Clone, Copy)]
enum Body {
    None,
    /// `{}`: for the sign-in endpoints, which answer the same whoever calls.
    Empty,
    Photo,
    Report,
    NewUser,
    /// An inspector of cell A1 (street A), as a street office creates one.
    StreetUser,
    UserPatch,
    Grid,
    NewCategory,
    CategoryPatch,
    NewApiKey,
    NewUnit,
    UnitPatch,
    /// `register`, with `If-Match` of a case never changed before.
    Register,
    /// The handler's `mark_handled` of `h1` again, with the same key, `If-Match` and body: a
    /// replay answers only the account that made the first request, and only while it still
    /// may act on the case.
    ReplayMarkHandled,
    /// `{"action":"acknowledge"}` on a signal, without `If-Match`.
    AcknowledgeSignal,
    /// Adopt a topic of last month in the cell of this fixture (A1 or B1), which no problem came
    /// back to: a caller who may adopt there is told it is no candidate (422).
    AdoptTopic(&'static str),
    /// `{"action":"resolve"}` on a topic, without `If-Match`.
    ResolveTopic,
}

struct Row {
    method: Method,
    path: &'static str,
    body: Body,
    want: [Want; 12],
}

fn row(method: &str, path: &'static str, body: Body, want: [Want; 12]) -> Row {
    Row { method: Method::from_bytes(method.as_bytes()).unwrap(), path, body, want }
}

const DENIED_TO_NON_ADMINS: fn(u16) -> [Want; 12] = |ok| {
    let denied = Status(403);
    [Status(401), denied, denied, denied, denied, denied, denied, denied, Status(ok), denied, denied, denied]
};

/// The whole matrix. Columns: nobody, phone citizen, device citizen, inspector of cell A1,
/// inspector of cell B1, dispatcher of street A, handler of unit `sanitation`, handler of unit
/// `water`, admin, viewer of street A, hotline operator of street A, district admin of 310104.
/// Case fixtures (all in district 310104):
/// - `a1`: cell A1 (street A), phone citizen, named, photo, dispatched to `sanitation`;
/// - `a2`: cell A2 (street A), device citizen, anonymous, photo, dispatched to `water`;
/// - `b1`: cell B1 (street B), device citizen, named, not dispatched;
/// - `h1`: cell A1, phone citizen, marked handled by `sanitation` with a step photo.
fn matrix() -> Vec<Row> {
    let (s200, s401, s403, s404, s409) = (Status(200), Status(401), Status(403), Status(404), Status(409));
    let all = |w: Want| [w; 12];
    let signed_in = |w: Want| [Status(401), w, w, w, w, w, w, w, w, w, w, w];
    // Every write is refused to the viewer, whatever others may do.
    let signed_in_but_viewer = |w: Want| [Status(401), w, w, w, w, w, w, w, w, s403, w, w];
    let public = Want::Timeline { staff: false, names_reporter: false };
    let staff = Want::Timeline { staff: true, names_reporter: false };
    let named = Want::Timeline { staff: true, names_reporter: true };
    let (pv, rv, sv, sr) = (Case("public"), Case("reporter"), Case("staff"), StaffWithReporter);
    vec![
        // Reads first: the writes below add reports.
        row("GET", "/api/v1/openapi.json", Body::None, all(s200)),
        row("GET", "/api/v1/docs", Body::None, all(s200)),
        row("GET", "/api/v1/categories", Body::None, all(s200)),
        row("GET", "/api/v1/grids/route?lat=31.2&lon=121.4", Body::None, all(s200)),
        // The citizen web page's public answers.
        row("GET", "/api/v1/public/report-form", Body::None, all(s200)),
        row("GET", "/api/v1/public/places", Body::None, all(s200)),
        row("GET", "/api/v1/public/cells?lat=31.2&lon=121.4", Body::None, all(s200)),
        row("GET", "/api/v1/public/nearby?category=E0101&lat=31.2&lon=121.4", Body::None, all(s200)),
        row("GET", "/api/v1/public/track/{missing}", Body::None, all(s404)),
        row("GET", "/api/v1/me", Body::None, signed_in(Want::Me)),
        row(
            "GET",
            "/api/v1/reports/mine",
            Body::None,
            [
                s401,
                Mine(&["a1", "h1"]),
                Mine(&["a2", "b1"]),
                Mine(&[]),
                Mine(&[]),
                Mine(&[]),
                Mine(&[]),
                Mine(&[]),
                Mine(&[]),
                Mine(&[]),
                Mine(&[]),
                Mine(&[]),
            ],
        ),
        row("GET", "/api/v1/cases/{a1}", Body::None, [pv, rv, pv, sv, pv, sr, sv, pv, sr, sv, sv, sr]),
        row("GET", "/api/v1/cases/{a2}", Body::None, [pv, pv, rv, pv, pv, sv, pv, sv, sv, sv, sv, sv]),
        row("GET", "/api/v1/cases/{b1}", Body::None, [pv, pv, rv, pv, sv, pv, pv, pv, sr, pv, pv, sr]),
        row("GET", "/api/v1/cases/{missing}", Body::None, all(s404)),
        row(
            "GET",
            "/api/v1/cases/{a1}/timeline",
            Body::None,
            [public, public, public, staff, public, named, staff, public, named, staff, staff, named],
        ),
        row(
            "GET",
            "/api/v1/cases/{a2}/timeline",
            Body::None,
            [public, public, public, public, public, staff, public, staff, staff, staff, staff, staff],
        ),
        row("GET", "/api/v1/cases/{missing}/timeline", Body::None, all(s404)),
        // Candidate duplicates: the street office holding the case and the case's reporter.
        row(
            "GET",
            "/api/v1/cases/{a1}/duplicates",
            Body::None,
            [s401, s200, s403, s403, s403, s200, s403, s403, s200, s403, s403, s200],
        ),
        row(
            "GET",
            "/api/v1/cases/{b1}/duplicates",
            Body::None,
            [s401, s403, s200, s403, s403, s403, s403, s403, s200, s403, s403, s200],
        ),
        row("GET", "/api/v1/cases/{missing}/duplicates", Body::None, signed_in(s404)),
        // The notification log: the reporter's own, and the street office's and the city's in
        // full; staff who hold the case otherwise are refused, anyone else finds no case.
        row(
            "GET",
            "/api/v1/cases/{a1}/notifications",
            Body::None,
            [s401, s200, s404, s403, s404, s200, s403, s404, s200, s403, s403, s200],
        ),
        row("GET", "/api/v1/cases/{missing}/notifications", Body::None, signed_in(s404)),
        // Joint handling: staff whose scope holds the case (a helper unit through its part, none
        // here); a part step needs If-Match before anything else, and the viewer writes nothing.
        row(
            "GET",
            "/api/v1/cases/{a1}/joint",
            Body::None,
            [s401, s403, s403, s200, s403, s200, s200, s403, s200, s200, s200, s200],
        ),
        row("GET", "/api/v1/cases/{missing}/joint", Body::None, signed_in(s404)),
        // Who a verification may be given to: the street office holding the case, and the city.
        row(
            "GET",
            "/api/v1/cases/{a1}/verifiers",
            Body::None,
            [s401, s403, s403, s403, s403, s200, s403, s403, s200, s403, s403, s200],
        ),
        row(
            "GET",
            "/api/v1/cases/{b1}/verifiers",
            Body::None,
            [s401, s403, s403, s403, s403, s403, s403, s403, s200, s403, s403, s200],
        ),
        row(
            "GET",
            "/api/v1/cases/{missing}/verifiers",
            Body::None,
            [s401, s403, s403, s403, s403, s404, s403, s403, s404, s403, s403, s404],
        ),
        // The printable sheet: the case's staff, as its staff view.
        row(
            "GET",
            "/api/v1/cases/{a1}/sheet",
            Body::None,
            [s401, s403, s403, s200, s403, s200, s200, s403, s200, s200, s200, s200],
        ),
        row("GET", "/api/v1/cases/{missing}/sheet", Body::None, signed_in(s404)),
        row(
            "POST",
            "/api/v1/cases/{missing}/parts/{missing}/actions",
            Body::Empty,
            signed_in_but_viewer(Status(428)),
        ),
        row("GET", "/api/v1/me/notifications", Body::None, signed_in(s200)),
        // Every account keeps its own preferences and devices; an empty body is incomplete.
        row("PUT", "/api/v1/me/notifications", Body::Empty, signed_in_but_viewer(Status(422))),
        row("POST", "/api/v1/me/push-tokens", Body::Empty, signed_in_but_viewer(Status(422))),
        row("DELETE", "/api/v1/me/push-tokens/{missing}", Body::None, signed_in_but_viewer(s404)),
        // Call-backs: the street office, the city and the hotline operators.
        row(
            "GET",
            "/api/v1/callbacks",
            Body::None,
            [s401, s403, s403, s403, s403, s200, s403, s403, s200, s403, s200, s403],
        ),
        // Emergency mode: city and district admins switch; they, dispatchers and viewers read the
        // switches their scope meets (the emergency tests cover the areas). An empty switch-on
        // passes the role and fails on its body.
        row(
            "GET",
            "/api/v1/emergencies",
            Body::None,
            [s401, s403, s403, s403, s403, s200, s403, s403, s200, s200, s403, s200],
        ),
        row(
            "POST",
            "/api/v1/emergencies",
            Body::Empty,
            [s401, s403, s403, s403, s403, s403, s403, s403, Status(422), s403, s403, Status(422)],
        ),
        row(
            "GET",
            "/api/v1/emergencies/{missing}",
            Body::None,
            [s401, s403, s403, s403, s403, s404, s403, s403, s404, s404, s403, s404],
        ),
        row(
            "POST",
            "/api/v1/emergencies/{missing}/actions",
            Body::Empty,
            [s401, s403, s403, s403, s403, s404, s403, s403, s404, s403, s403, s404],
        ),
        row(
            "GET",
            "/api/v1/emergencies/{missing}/incident",
            Body::None,
            [s401, s403, s403, s403, s403, s404, s403, s403, s404, s404, s403, s404],
        ),
        row(
            "GET",
            "/api/v1/emergencies/{missing}/summary",
            Body::None,
            [s401, s403, s403, s403, s403, s404, s403, s403, s404, s404, s403, s404],
        ),
        row(
            "GET",
            "/api/v1/emergencies/{missing}/summary/print",
            Body::None,
            [s401, s403, s403, s403, s403, s404, s403, s403, s404, s404, s403, s404],
        ),
        row(
            "GET",
            "/api/v1/events",
            Body::None,
            [
                s401,
                Want::Events(&["a1", "h1"]),
                Want::Events(&["a2", "b1"]),
                Want::Events(&["a1", "h1"]),
                Want::Events(&["b1"]),
                Want::Events(&["a1", "a2", "h1"]),
                Want::Events(&["a1", "h1"]),
                Want::Events(&["a2"]),
                Want::Events(&["a1", "a2", "b1", "h1"]),
                Want::Events(&["a1", "a2", "h1"]),
                Want::Events(&["a1", "a2", "h1"]),
                Want::Events(&["a1", "a2", "b1", "h1"]),
            ],
        ),
        row(
            "GET",
            "/api/v1/worklist",
            Body::None,
            [
                s401,
                s403,
                s403,
                Want::WorkWithin(&["a1", "h1"]),
                Want::WorkWithin(&["b1"]),
                s403,
                s403,
                s403,
                s403,
                s403,
                s403,
                s403,
            ],
        ),
        // The staff case list and the dashboard's map data, each cut to the caller's scope.
        row(
            "GET",
            "/api/v1/cases",
            Body::None,
            [
                s401,
                s403,
                s403,
                Want::Listed(&["a1", "h1"]),
                Want::Listed(&["b1"]),
                Want::Listed(&["a1", "a2", "h1"]),
                Want::Listed(&["a1", "h1"]),
                Want::Listed(&["a2"]),
                Want::Listed(&["a1", "a2", "b1", "h1"]),
                Want::Listed(&["a1", "a2", "h1"]),
                s403,
                Want::Listed(&["a1", "a2", "b1", "h1"]),
            ],
        ),
        // Open data: the street office and the city, each for its scope (open_data.rs checks
        // the content); nobody else.
        row(
            "GET",
            "/api/v1/open-data/cases",
            Body::None,
            [s401, s403, s403, s403, s403, s200, s403, s403, s200, s403, s403, s200],
        ),
        row("GET", "/api/v1/units", Body::None, all(s200)),
        // A street office's patrol coverage: its own dispatcher only, not even the city.
        row(
            "GET",
            "/api/v1/patrol/coverage?day=2026-12-01",
            Body::None,
            [s401, s403, s403, s403, s403, s200, s403, s403, s403, s403, s403, s403],
        ),
        row("GET", "/api/v1/grids/package", Body::None, all(s200)),
        row(
            "GET",
            "/api/v1/dashboard/cells",
            Body::None,
            [s401, s403, s403, s200, s200, s200, s403, s403, s200, s200, s403, s200],
        ),
        row(
            "GET",
            "/api/v1/dashboard/counts",
            Body::None,
            [
                s401,
                s403,
                s403,
                Want::Counted(&["a1"]),
                Want::Counted(&["b1"]),
                Want::Counted(&["a1", "a2"]),
                s403,
                s403,
                Want::Counted(&["a1", "a2", "b1"]),
                Want::Counted(&["a1", "a2"]),
                s403,
                Want::Counted(&["a1", "a2", "b1"]),
            ],
        ),
        // Statistics: the street office, the units, the city and viewers; citizens and
        // inspectors not. The whole district is more than street A's office and viewer hold.
        row(
            "GET",
            "/api/v1/stats?from=2026-01-01&to=2026-12-31",
            Body::None,
            [s401, s403, s403, s403, s403, s200, s200, s200, s200, s200, s403, s200],
        ),
        row(
            "GET",
            "/api/v1/stats?from=2026-01-01&to=2026-12-31&area=310104",
            Body::None,
            [s401, s403, s403, s403, s403, s403, s200, s200, s200, s403, s403, s200],
        ),
        // Early warning: places, so the street office, the city and viewers; not units.
        row(
            "GET",
            "/api/v1/warnings/charts",
            Body::None,
            [s401, s403, s403, s403, s403, s200, s403, s403, s200, s200, s403, s200],
        ),
        row(
            "GET",
            "/api/v1/warnings/scan?replications=9",
            Body::None,
            [s401, s403, s403, s403, s403, s200, s403, s403, s200, s200, s403, s200],
        ),
        // Early-warning signals: a run and the steps are the street office's and the city's; the
        // signals are read by place, so a viewer of street A reads street A's and not B's.
        row(
            "POST",
            "/api/v1/warnings/scan?replications=9",
            Body::None,
            [s401, s403, s403, s403, s403, s200, s403, s403, s200, s403, s403, s200],
        ),
        row(
            "GET",
            "/api/v1/warnings/signals",
            Body::None,
            [s401, s403, s403, s403, s403, s200, s403, s403, s200, s200, s403, s200],
        ),
        row(
            "GET",
            "/api/v1/warnings/signals/{signal_a}",
            Body::None,
            [s401, s403, s403, s403, s403, s200, s403, s403, s200, s200, s403, s200],
        ),
        row(
            "GET",
            "/api/v1/warnings/signals/{signal_b}",
            Body::None,
            [s401, s403, s403, s403, s403, s404, s403, s403, s200, s404, s403, s200],
        ),
        row(
            "POST",
            "/api/v1/warnings/signals/{signal_a}/actions",
            Body::AcknowledgeSignal,
            [s401, s403, s403, s403, s403, Status(428), s403, s403, Status(428), s403, s403, Status(428)],
        ),
        row(
            "POST",
            "/api/v1/warnings/signals/{signal_b}/actions",
            Body::AcknowledgeSignal,
            [s401, s403, s403, s403, s403, s404, s403, s403, Status(428), s403, s403, Status(428)],
        ),
        // Topics (每月一题): as signals. Adopting is the street office's and the city's, in
        // their own places (another street's place is 404, as its topics are).
        row(
            "GET",
            "/api/v1/warnings/topics",
            Body::None,
            [s401, s403, s403, s403, s403, s200, s403, s403, s200, s200, s403, s200],
        ),
        row(
            "POST",
            "/api/v1/warnings/topics",
            Body::AdoptTopic("cell_a1"),
            [s401, s403, s403, s403, s403, Status(422), s403, s403, Status(422), s403, s403, Status(422)],
        ),
        row(
            "POST",
            "/api/v1/warnings/topics",
            Body::AdoptTopic("cell_b1"),
            [s401, s403, s403, s403, s403, s404, s403, s403, Status(422), s403, s403, Status(422)],
        ),
        row(
            "GET",
            "/api/v1/warnings/topics/{topic_a}",
            Body::None,
            [s401, s403, s403, s403, s403, s200, s403, s403, s200, s200, s403, s200],
        ),
        row(
            "GET",
            "/api/v1/warnings/topics/{topic_b}",
            Body::None,
            [s401, s403, s403, s403, s403, s404, s403, s403, s200, s404, s403, s200],
        ),
        row(
            "POST",
            "/api/v1/warnings/topics/{topic_a}/actions",
            Body::ResolveTopic,
            [s401, s403, s403, s403, s403, Status(428), s403, s403, Status(428), s403, s403, Status(428)],
        ),
        row(
            "POST",
            "/api/v1/warnings/topics/{topic_b}/actions",
            Body::ResolveTopic,
            [s401, s403, s403, s403, s403, s404, s403, s403, Status(428), s403, s403, Status(428)],
        ),
        // The units' figures of joint handling and disputes: as the statistics.
        row(
            "GET",
            "/api/v1/stats/joint",
            Body::None,
            [s401, s403, s403, s403, s403, s200, s200, s200, s200, s200, s403, s200],
        ),
        row(
            "GET",
            "/api/v1/photos/{photo_a1}",
            Body::None,
            [s401, s200, s404, s200, s404, s200, s200, s404, s200, s200, s200, s200],
        ),
        row(
            "GET",
            "/api/v1/photos/{photo_a2}",
            Body::None,
            [s401, s404, s200, s404, s404, s200, s404, s200, s200, s200, s200, s200],
        ),
        // A step photo (the handler's after-photo on a case of cell A1): whoever may read the
        // case's staff view, and its reporter (the phone), whose timeline shows the fix; not
        // another citizen.
        row(
            "GET",
            "/api/v1/photos/{step_photo_a1}",
            Body::None,
            [s401, s200, s404, s200, s404, s200, s200, s404, s200, s200, s200, s200],
        ),
        row("GET", "/api/v1/photos/{missing}", Body::None, signed_in(s404)),
        row("GET", "/api/v1/admin/users", Body::None, DENIED_TO_NON_ADMINS(200)),
        row("GET", "/api/v1/admin/users/{inspector_b}", Body::None, DENIED_TO_NON_ADMINS(200)),
        row("GET", "/api/v1/admin/categories", Body::None, DENIED_TO_NON_ADMINS(200)),
        row("GET", "/api/v1/admin/api-keys", Body::None, DENIED_TO_NON_ADMINS(200)),
        row("GET", "/api/v1/admin/units", Body::None, DENIED_TO_NON_ADMINS(200)),
        // The street office and the city read coverage.
        row(
            "GET",
            "/api/v1/coverage",
            Body::None,
            [s401, s403, s403, s403, s403, s200, s403, s403, s200, s403, s403, s403],
        ),
        // The desk's figures: the street office, the city and a viewer of an area.
        row(
            "GET",
            "/api/v1/desk",
            Body::None,
            [s401, s403, s403, s403, s403, s200, s403, s403, s200, s200, s403, s200],
        ),
        // Writes.
        row("POST", "/api/v1/photos", Body::Photo, signed_in_but_viewer(Status(201))),
        row("POST", "/api/v1/reports", Body::Report, signed_in_but_viewer(Status(201))),
        row("POST", "/api/v1/reports/web", Body::Report, signed_in_but_viewer(Status(201))),
        // Patrol positions: inspectors only (`{}` is then refused as a body without positions).
        row(
            "POST",
            "/api/v1/patrol/positions",
            Body::Empty,
            [s401, s403, s403, Status(422), Status(422), s403, s403, s403, s403, s403, s403, s403],
        ),
        // The street office's step: street B's case is the city's and the district's (street A's
        // dispatcher is refused); the district admin, after the city admin, holds a stale
        // version.
        row(
            "POST",
            "/api/v1/cases/{b1}/actions",
            Body::Register,
            [s401, s403, s403, s403, s403, s403, s403, s403, s200, s403, s403, s409],
        ),
        // A step's replay is checked like a first request: the handler who marked h1 handled
        // gets the first answer again; a caller outside the case's scope gets 403 as for any
        // step; one in scope learns only that the key is another account's (409); the viewer
        // is refused at the door, as for every write. Nothing of the case comes back.
        row(
            "POST",
            "/api/v1/cases/{h1}/actions",
            Body::ReplayMarkHandled,
            [s401, s409, s403, s409, s403, s409, s200, s403, s409, s403, s409, s409],
        ),
        row("POST", "/api/v1/admin/users", Body::NewUser, DENIED_TO_NON_ADMINS(201)),
        // A street office keeps its own street's field staff: not even the city admin here (it
        // has /admin/users), and another street's account is no account.
        row(
            "GET",
            "/api/v1/street/users",
            Body::None,
            [s401, s403, s403, s403, s403, s200, s403, s403, s403, s403, s403, s403],
        ),
        row(
            "POST",
            "/api/v1/street/users",
            Body::StreetUser,
            [s401, s403, s403, s403, s403, Status(201), s403, s403, s403, s403, s403, s403],
        ),
        row(
            "PATCH",
            "/api/v1/street/users/{inspector}",
            Body::UserPatch,
            [s401, s403, s403, s403, s403, s200, s403, s403, s403, s403, s403, s403],
        ),
        row(
            "PATCH",
            "/api/v1/street/users/{inspector_b}",
            Body::UserPatch,
            [s401, s403, s403, s403, s403, s404, s403, s403, s403, s403, s403, s403],
        ),
        row("PATCH", "/api/v1/admin/users/{inspector_b}", Body::UserPatch, DENIED_TO_NON_ADMINS(200)),
        row("POST", "/api/v1/admin/grids?area=310104", Body::Grid, DENIED_TO_NON_ADMINS(200)),
        row("POST", "/api/v1/admin/categories", Body::NewCategory, DENIED_TO_NON_ADMINS(201)),
        row("PATCH", "/api/v1/admin/categories/{category}", Body::CategoryPatch, DENIED_TO_NON_ADMINS(200)),
        row("POST", "/api/v1/admin/api-keys", Body::NewApiKey, DENIED_TO_NON_ADMINS(201)),
        row("DELETE", "/api/v1/admin/api-keys/{api_key}", Body::None, DENIED_TO_NON_ADMINS(200)),
        row("POST", "/api/v1/admin/units", Body::NewUnit, DENIED_TO_NON_ADMINS(201)),
        // Sensors: the review queue and overview for the street office, the city and the viewer;
        // the registry and rules for the admin; alarms only with a sensor system's key (an
        // account's token is no such key); `sensors::*` tests the key's own scope.
        row(
            "GET",
            "/api/v1/sensors/review",
            Body::None,
            [s401, s403, s403, s403, s403, s200, s403, s403, s200, s200, s403, s200],
        ),
        row(
            "GET",
            "/api/v1/sensors/overview",
            Body::None,
            [s401, s403, s403, s403, s403, s200, s403, s403, s200, s200, s403, s200],
        ),
        row(
            "POST",
            "/api/v1/sensors/alarms/{missing}/confirm",
            Body::Empty,
            [s401, s403, s403, s403, s403, s404, s403, s403, s404, s403, s403, s404],
        ),
        row(
            "POST",
            "/api/v1/sensors/devices/{missing}/repaired",
            Body::Empty,
            [s401, s403, s403, s403, s403, s404, s403, s403, s404, s403, s403, s404],
        ),
        row("POST", "/api/v1/sensors/alarms", Body::Empty, signed_in_but_viewer(s401)),
        row("GET", "/api/v1/admin/sensor-systems", Body::None, DENIED_TO_NON_ADMINS(200)),
        row("POST", "/api/v1/admin/sensor-systems", Body::Empty, DENIED_TO_NON_ADMINS(422)),
        row("DELETE", "/api/v1/admin/sensor-systems/{missing}", Body::None, DENIED_TO_NON_ADMINS(404)),
        row("POST", "/api/v1/admin/sensor-systems/{missing}/devices", Body::Empty, DENIED_TO_NON_ADMINS(404)),
        row("GET", "/api/v1/admin/sensor-rules", Body::None, DENIED_TO_NON_ADMINS(200)),
        row("PUT", "/api/v1/admin/sensor-rules/{missing}", Body::Empty, DENIED_TO_NON_ADMINS(422)),
        // An assignment moves a cell between inspectors (and ends their sessions), so the matrix
        // sends an empty body: the body is read before the role (street_desk tests the roles).
        row("POST", "/api/v1/coverage/assign", Body::Empty, signed_in_but_viewer(Status(422))),
        // A password change ends the caller's sessions: the matrix sends an empty body
        // (street_desk tests the change itself).
        row("POST", "/api/v1/me/password", Body::Empty, signed_in_but_viewer(Status(422))),
        // The hotline: calls are the operators' only (`hotline::*` tests them; `{}` is then
        // refused as a call without its fields); the street office, the city and the operators
        // read the calls of their cases and search the gazetteer, which the admin imports. The
        // role is checked before the body is read.
        row(
            "POST",
            "/api/v1/hotline/calls",
            Body::Empty,
            [s401, s403, s403, s403, s403, s403, s403, s403, s403, s403, Status(400), s403],
        ),
        row(
            "GET",
            "/api/v1/hotline/calls/{a1}",
            Body::None,
            [s401, s403, s403, s403, s403, s200, s403, s403, s200, s403, s200, s403],
        ),
        row(
            "GET",
            "/api/v1/hotline/calls/{missing}",
            Body::None,
            [s401, s403, s403, s403, s403, s404, s403, s403, s404, s403, s404, s403],
        ),
        row(
            "GET",
            "/api/v1/hotline/places?q=renmin",
            Body::None,
            [s401, s403, s403, s403, s403, s200, s403, s403, s200, s403, s200, s403],
        ),
        row("POST", "/api/v1/admin/gazetteer", Body::Empty, DENIED_TO_NON_ADMINS(422)),
        row(
            "GET",
            "/api/v1/hotline/form",
            Body::None,
            [s401, s403, s403, s403, s403, s200, s403, s403, s200, s403, s200, s403],
        ),
        row(
            "GET",
            "/api/v1/hotline/codes",
            Body::None,
            [s401, s403, s403, s403, s403, s200, s403, s403, s200, s403, s200, s403],
        ),
        row("PUT", "/api/v1/admin/hotline-codes/{missing}", Body::Empty, DENIED_TO_NON_ADMINS(422)),
        row("DELETE", "/api/v1/admin/hotline-codes/{missing}", Body::None, DENIED_TO_NON_ADMINS(404)),
        row("PATCH", "/api/v1/admin/units/{unit}", Body::UnitPatch, DENIED_TO_NON_ADMINS(200)),
        // A unit is retired, never deleted: even the admin is refused.
        row("DELETE", "/api/v1/admin/units/{unit}", Body::None, DENIED_TO_NON_ADMINS(409)),
        // Sign-in endpoints answer the body, whoever calls: a malformed one, or (anonymous device)
        // an empty one, which creates an account.
        row("POST", "/api/v1/auth/login", Body::Empty, all(Status(422))),
        row("POST", "/api/v1/auth/otp/request", Body::Empty, all(Status(422))),
        row("POST", "/api/v1/auth/otp/verify", Body::Empty, all(Status(422))),
        row("POST", "/api/v1/auth/anonymous", Body::Empty, all(Status(201))),
        row("POST", "/api/v1/auth/refresh", Body::Empty, all(Status(422))),
        row("POST", "/api/v1/auth/logout", Body::Empty, all(Status(422))),
    ]
}

/// `/api/v1/cases/{a1}?x` → `/api/v1/cases/{}`: the shape OpenAPI paths are compared in.
fn shape(path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    let mut out = String::new();
    let mut in_brace = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_brace = true;
                out.push_str("{}");
            }
            '}' => in_brace = false,
            _ if !in_brace => out.push(c),
            _ => {}
        }
    }
    out
}

#[test]
fn the_matrix_covers_every_documented_operation() {
    let doc: Value = serde_json::from_str(gridline_server::api::openapi::document_json()).unwrap();
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(path, _)| path.starts_with("/api/v1/"))
        .flat_map(|(path, item)| {
            item.as_object().unwrap().keys().map(|m| (m.to_uppercase(), shape(path))).collect::<Vec<_>>()
        })
        .collect();
    let covered: BTreeSet<(String, String)> =
        matrix().iter().map(|r| (r.method.to_string(), shape(r.path))).collect();
    let missing: Vec<_> = documented.difference(&covered).collect();
    assert!(missing.is_empty(), "documented operations without a row in the access matrix: {missing:?}");
}

/// The fixtures, by the names the matrix uses.
struct City {
    server: TestServer,
    tokens: BTreeMap<&'static str, String>,
    /// Account id of each caller (absent for `nobody`).
    user_ids: BTreeMap<&'static str, String>,
    /// Path placeholders: case, photo and account ids.
    ids: BTreeMap<&'static str, String>,
    /// Which caller reported each case.
    reporters: BTreeMap<&'static str, &'static str>,
    cells: Vec<GridCell>,
    report_point: (f64, f64),
    /// One pool for the fingerprints taken around every refused request: opening a pool runs the
    /// migrations check and starts a writer thread, which cost a second a check on PostgreSQL.
    db: Db,
}

/// An open early-warning signal centred on `cell`, as a scan run would have raised it.
fn insert_signal(server: &TestServer, cell: &str) -> String {
    let now = chrono::Utc::now().naive_utc();
    let row = SignalRow {
        id: uuid::Uuid::new_v4().to_string(),
        method: SignalMethod::Scan,
        category: Some(CategoryCode::parse("E0101").unwrap()),
        class: None,
        centre_grid: GridCode::parse(cell).unwrap(),
        cells: json!([cell]).to_string(),
        window_from: "2026-12-01".into(),
        window_to: "2026-12-03".into(),
        observed: 9,
        expected: 2.5,
        recurrence_days: 250.0,
        p_value: 0.004,
        case_ids: "[]".into(),
        state: SignalState::Open,
        reason: None,
        opened_case_id: None,
        runs: 1,
        version: 1,
        raised_at: now,
        updated_at: now,
        acted_by: None,
        acted_at: None,
        opened_topic_id: None,
    };
    with_conn(server, |conn| gridline_server::store::warning_signals::insert(conn, &row).unwrap());
    row.id
}

fn insert_topic(server: &TestServer, cell: &str) -> String {
    let now = chrono::Utc::now().naive_utc();
    let row = TopicRow {
        id: uuid::Uuid::now_v7().to_string(),
        month: "2026-11".into(),
        level: TopicLevel::Cell,
        place: cell.to_owned(),
        category: CategoryCode::parse("E0101").unwrap(),
        owner_unit: Some("landscaping".into()),
        note: None,
        case_ids: "[]".into(),
        recurrences: 3,
        closures: 2,
        state: TopicState::Adopted,
        reason: None,
        version: 1,
        adopted_by: "matrix".into(),
        adopted_at: now,
        updated_at: now,
        settled_by: None,
        settled_at: None,
        signal_id: None,
    };
    with_conn(server, |conn| {
        let adopted = gridline_server::store::warning_topics::adopt(conn, &row).unwrap();
        assert!(matches!(adopted, gridline_server::store::warning_topics::Adopted::New(_)));
    });
    row.id
}

fn with_conn<T>(server: &TestServer, work: impl FnOnce(&mut DbConnection) -> T) -> T {
    let db = Db::connect(&server.database_url, 1, Duration::from_secs(10)).unwrap();
    let mut conn = db.get().unwrap();
    work(&mut conn)
}

fn jpeg() -> Vec<u8> {
    let image = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 3) as u8, (y * 5) as u8, 90]));
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image).write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn upload(server: &TestServer, token: &str) -> String {
    let part = reqwest::blocking::multipart::Part::bytes(jpeg())
        .file_name("photo.jpg")
        .mime_str("image/jpeg")
        .unwrap();
    let form = reqwest::blocking::multipart::Form::new().part("photo", part);
    let response =
        server.client.post(server.url("/api/v1/photos")).bearer_auth(token).multipart(form).send().unwrap();
    assert_eq!(response.status(), 201);
    response.json::<Value>().unwrap()["id"].as_str().unwrap().to_owned()
}

fn report_body(point: (f64, f64), anonymous: bool, photo_ids: &[&str]) -> Value {
    json!({
        "category": "E0101",
        "description": "Rubbish left beside the bus stop",
        "position": { "lat": point.0, "lon": point.1, "crs": "wgs84", "accuracy_m": 6.0 },
        "photo_ids": photo_ids,
        "anonymous": anonymous,
    })
}

fn report(server: &TestServer, token: &str, body: &Value) -> String {
    let response = server
        .client
        .post(server.url("/api/v1/reports"))
        .bearer_auth(token)
        .header("idempotency-key", uuid::Uuid::now_v7().to_string())
        .json(body)
        .send()
        .unwrap();
    assert_eq!(response.status(), 201, "report");
    response.json::<Value>().unwrap()["id"].as_str().unwrap().to_owned()
}

fn phone_citizen_token(server: &TestServer) -> String {
    let phone = "+8613800138000";
    assert_eq!(server.post_json("/api/v1/auth/otp/request", &json!({ "phone": phone })).status(), 202);
    let key = HashKey::derive(SECRET.as_bytes()).unwrap();
    with_conn(server, |conn| {
        let id: String = otp_challenges::table
            .order(otp_challenges::created_at.desc())
            .select(otp_challenges::id)
            .first(conn)
            .unwrap();
        diesel::update(otp_challenges::table.find(&id))
            .set(otp_challenges::code_hash.eq(key.code_hash(&id, "424242")))
            .execute(conn)
            .unwrap();
    });
    let verified = server.post_json("/api/v1/auth/otp/verify", &json!({ "phone": phone, "code": "424242" }));
    assert_eq!(verified.status(), 200);
    verified.json::<Value>().unwrap()["access_token"].as_str().unwrap().to_owned()
}

fn street_of(cell: &GridCell) -> String {
    cell.code.to_string()[..9].to_owned()
}

fn build_city(backend: Backend) -> City {
    // A short keep-alive: event streams notice their dropped clients at once, so the server
    // stops without waiting for them.
    let server = TestServer::start_with(
        backend,
        &[("GRIDLINE_JWT_SECRET", SECRET), ("GRIDLINE_EVENTS_HEARTBEAT_SECS", "1")],
    );
    let admin = server.admin_token();
    // The generator puts a small city in one street: the second half moves to a second street.
    let mut cells = demo_cells(60);
    for cell in &mut cells[30..] {
        let code = cell.code.to_string();
        let street = code[6..9].parse::<u16>().unwrap() + 1;
        cell.code = GridCode::parse(&format!("{}{street:03}{}", &code[..6], &code[9..])).unwrap();
    }
    server.import_grid(&admin, "310104", &cells);

    // Two cells of street A, one of street B.
    let street_a = street_of(&cells[0]);
    let a: Vec<&GridCell> = cells.iter().filter(|c| street_of(c) == street_a).collect();
    let b1 = cells.iter().find(|c| street_of(c) != street_a).expect("a second street");
    let (a1, a2) = (a[0], a[1]);
    let grids =
        |cell: &GridCell| Scope::Grids { grids: [cell.code].into_iter().collect::<BTreeSet<GridCode>>() };

    let mut tokens = BTreeMap::new();
    tokens.insert("phone", phone_citizen_token(&server));
    tokens.insert("device", server.citizen_token());
    tokens.insert("inspector", server.staff_token(Role::Inspector, grids(a1)));
    tokens.insert(
        "dispatcher",
        server.staff_token(Role::Dispatcher, Scope::Street { street: AreaCode::parse(&street_a).unwrap() }),
    );
    tokens.insert("handler", server.staff_token(Role::Handler, Scope::Unit { unit: "sanitation".into() }));
    tokens.insert("admin", admin);
    // The second inspector and handler hold what the first ones must not see.
    tokens.insert("inspector_b", server.staff_token(Role::Inspector, grids(b1)));
    tokens.insert("handler_b", server.staff_token(Role::Handler, Scope::Unit { unit: "water".into() }));
    tokens.insert(
        "viewer",
        server.staff_token(Role::Viewer, Scope::Street { street: AreaCode::parse(&street_a).unwrap() }),
    );
    tokens.insert(
        "operator",
        server.staff_token(Role::Operator, Scope::Street { street: AreaCode::parse(&street_a).unwrap() }),
    );
    tokens.insert(
        "district_admin",
        server.staff_token(
            Role::DistrictAdmin,
            Scope::District { district: AreaCode::parse("310104").unwrap() },
        ),
    );

    let mut user_ids = BTreeMap::new();
    for (name, token) in &tokens {
        let me: Value = server.get_as(token, "/api/v1/me").json().unwrap();
        user_ids.insert(*name, me["id"].as_str().unwrap().to_owned());
    }

    let mut ids = BTreeMap::new();
    let photo_a1 = upload(&server, &tokens["phone"]);
    let photo_a2 = upload(&server, &tokens["device"]);
    let case_a1 = report(&server, &tokens["phone"], &report_body(point_in(a1), false, &[&photo_a1]));
    let case_a2 = report(&server, &tokens["device"], &report_body(point_in(a2), true, &[&photo_a2]));
    let case_b1 = report(&server, &tokens["device"], &report_body(point_in(b1), false, &[]));
    with_conn(&server, |conn| {
        for (case, unit) in [(&case_a1, "sanitation"), (&case_a2, "water")] {
            let changed = diesel::update(cases::table.find(case))
                .set((cases::handling_unit.eq(unit), cases::state.eq("dispatched")))
                .execute(conn)
                .unwrap();
            assert_eq!(changed, 1);
        }
    });
    // A case of cell A1 the sanitation handler has marked handled with an after-photo.
    let handled_a1 = report(&server, &tokens["phone"], &report_body(point_in(a1), false, &[]));
    with_conn(&server, |conn| {
        diesel::update(cases::table.find(&handled_a1))
            .set((cases::handling_unit.eq("sanitation"), cases::state.eq("dispatched")))
            .execute(conn)
            .unwrap();
    });
    server.step(&tokens["handler"], &handled_a1, &json!({ "action": "accept" }));
    let step_photo_a1 = server.upload_photo(&tokens["handler"]);
    // Marked handled under an idempotency key, so that the matrix can replay the very request.
    let handled_version = server.get_as(&tokens["handler"], &format!("/api/v1/cases/{handled_a1}"));
    let handled_version = handled_version.json::<Value>().unwrap()["version"].to_string();
    let handled_key = uuid::Uuid::now_v7().to_string();
    let marked = server
        .client
        .post(server.url(&format!("/api/v1/cases/{handled_a1}/actions")))
        .bearer_auth(&tokens["handler"])
        .header("if-match", format!("\"{handled_version}\""))
        .header("idempotency-key", &handled_key)
        .json(&json!({ "action": "mark_handled", "photo_ids": [step_photo_a1] }))
        .send()
        .unwrap();
    assert_eq!(marked.status(), 200);
    ids.insert("h1_key", handled_key);
    ids.insert("h1_version", handled_version);
    ids.insert("step_photo_a1", step_photo_a1);
    ids.insert("h1", handled_a1);
    ids.insert("a1", case_a1);
    ids.insert("a2", case_a2);
    ids.insert("b1", case_b1);
    ids.insert("photo_a1", photo_a1);
    ids.insert("photo_a2", photo_a2);
    ids.insert("missing", uuid::Uuid::now_v7().to_string());
    for (name, cell) in [("signal_a", a1), ("signal_b", b1)] {
        ids.insert(name, insert_signal(&server, &cell.code.to_string()));
    }
    for (name, cell) in [("topic_a", a1), ("topic_b", b1)] {
        ids.insert(name, insert_topic(&server, &cell.code.to_string()));
    }
    ids.insert("cell_a1", a1.code.to_string());
    ids.insert("cell_b1", b1.code.to_string());
    ids.insert("inspector_b", user_ids["inspector_b"].clone());
    ids.insert("inspector", user_ids["inspector"].clone());
    ids.insert("category", "E0101".to_owned());
    ids.insert("unit", "landscaping".to_owned());
    let api_key = server
        .client
        .post(server.url("/api/v1/admin/api-keys"))
        .bearer_auth(&tokens["admin"])
        .json(&json!({ "name": "Matrix 311 client" }))
        .send()
        .unwrap();
    assert_eq!(api_key.status(), 201);
    ids.insert("api_key", api_key.json::<Value>().unwrap()["api_key"]["id"].as_str().unwrap().to_owned());
    let reporters = [("a1", "phone"), ("a2", "device"), ("b1", "device")].into_iter().collect();
    let report_point = point_in(b1);
    let db = Db::connect(&server.database_url, 1, Duration::from_secs(10)).unwrap();
    City { server, tokens, user_ids, ids, reporters, cells, report_point, db }
}

impl City {
    fn fill(&self, template: &str) -> String {
        let mut path = template.to_owned();
        for (name, id) in &self.ids {
            path = path.replace(&format!("{{{name}}}"), id);
        }
        assert!(!path.contains('{'), "unfilled placeholder in {template}");
        path
    }

    fn send(&self, method: &Method, path: &str, body: Body, caller: &str) -> Response {
        let server = &self.server;
        let mut request = server.client.request(method.clone(), server.url(path));
        if let Some(token) = self.tokens.get(caller) {
            request = request.bearer_auth(token);
        }
        request = match body {
            Body::None => request,
            Body::Empty => request.json(&json!({})),
            Body::Photo => {
                let part = reqwest::blocking::multipart::Part::bytes(jpeg())
                    .file_name("photo.jpg")
                    .mime_str("image/jpeg")
                    .unwrap();
                request.multipart(reqwest::blocking::multipart::Form::new().part("photo", part))
            }
            Body::Report => request
                .header("idempotency-key", uuid::Uuid::now_v7().to_string())
                .json(&report_body(self.report_point, false, &[])),
            Body::NewUser => request.json(&json!({
                "login": format!("made-by-{caller}"),
                "display_name": "Matrix account",
                "role": "inspector",
            })),
            Body::StreetUser => request.json(&json!({
                "login": format!("street-made-by-{caller}"),
                "display_name": "Matrix street account",
                "role": "inspector",
                "scope": { "kind": "grids", "grids": [self.cells[0].code.to_string()] },
            })),
            Body::UserPatch => request.json(&json!({ "display_name": format!("renamed by {caller}") })),
            Body::Grid => {
                request.header("content-type", "application/geo+json").body(to_geojson(&self.cells))
            }
            Body::NewCategory => request.json(&json!({
                "code": "E0199",
                "names": { "zh": "其他市容事件", "en": format!("Other appearance ({caller})") },
                "time_limit": "2d",
                "anonymous_allowed": true,
                "duplicate_radius_m": 100,
                "default_unit": "sanitation",
                "questions": [],
            })),
            Body::CategoryPatch => request.json(&json!({ "time_limit": "8h" })),
            Body::NewApiKey => request.json(&json!({ "name": format!("Made by {caller}") })),
            Body::NewUnit => request
                .json(&json!({ "code": "matrix-unit", "zh": "矩阵", "en": format!("Made by {caller}") })),
            Body::UnitPatch => request.json(&json!({ "contact": format!("Set by {caller}") })),
            Body::Register => request.header("if-match", "\"1\"").json(&json!({ "action": "register" })),
            Body::AcknowledgeSignal => request.json(&json!({ "action": "acknowledge" })),
            Body::AdoptTopic(cell) => {
                let last_month =
                    (chrono::Utc::now() - chrono::Duration::days(31)).format("%Y-%m").to_string();
                request.json(&json!({
                    "month": last_month,
                    "place": self.ids[cell],
                    "category": "E0101",
                    "owner_unit": "landscaping",
                }))
            }
            Body::ResolveTopic => request.json(&json!({ "action": "resolve" })),
            Body::ReplayMarkHandled => request
                .header("if-match", format!("\"{}\"", self.ids["h1_version"]))
                .header("idempotency-key", &self.ids["h1_key"])
                .json(&json!({ "action": "mark_handled", "photo_ids": [self.ids["step_photo_a1"]] })),
        };
        request.send().unwrap()
    }

    /// Everything a refused request must leave as it was.
    fn fingerprint(&self) -> Value {
        let admin = &self.tokens["admin"];
        let users: Value = self.server.get_as(admin, "/api/v1/admin/users?limit=200").json().unwrap();
        let categories: Value = self.server.get_as(admin, "/api/v1/admin/categories").json().unwrap();
        let api_keys: Value = self.server.get_as(admin, "/api/v1/admin/api-keys").json().unwrap();
        let route: Value = self.server.get("/api/v1/grids/route?lat=31.2&lon=121.4").json().unwrap();
        let (case_rows, photo_count, user_count) = {
            let conn = &mut self.db.get().unwrap();
            let case_rows: Vec<(String, String, Option<String>, i32)> = cases::table
                .select((cases::id, cases::state, cases::handling_unit, cases::version))
                .order(cases::id)
                .load(conn)
                .unwrap();
            let photo_count: i64 = photos::table.count().get_result(conn).unwrap();
            let user_count: i64 = users::table.count().get_result(conn).unwrap();
            (case_rows, photo_count, user_count)
        };
        json!({
            "users": users, "categories": categories, "grid_revision": route["grid_revision"],
            "cases": format!("{case_rows:?}"), "photos": photo_count, "accounts": user_count,
            "api_keys": api_keys,
        })
    }

    fn check(&self, row: &Row, caller: &'static str, want: Want) {
        let path = self.fill(row.path);
        let label = format!("{} {} as {caller}", row.method, row.path);
        let before = matches!(want, Status(s) if s >= 400).then(|| self.fingerprint());
        let response = self.send(&row.method, &path, row.body, caller);
        let status = response.status().as_u16();
        match want {
            Status(expected) => {
                assert_eq!(status, expected, "{label}");
                if let Some(before) = before {
                    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
                    assert_eq!(content_type, "application/problem+json", "{label}");
                    assert_eq!(self.fingerprint(), before, "{label} was refused but changed something");
                }
            }
            Want::Me => {
                assert_eq!(status, 200, "{label}");
                let me: Value = response.json().unwrap();
                assert_eq!(me["id"], self.user_ids[caller].as_str(), "{label}");
            }
            Mine(expected) => {
                assert_eq!(status, 200, "{label}");
                let body: Value = response.json().unwrap();
                let got: BTreeSet<String> = body["reports"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["id"].as_str().unwrap().to_owned())
                    .collect();
                let expected: BTreeSet<String> = expected.iter().map(|name| self.ids[name].clone()).collect();
                assert_eq!(got, expected, "{label}");
            }
            Want::Timeline { staff, names_reporter } => {
                assert_eq!(status, 200, "{label}");
                let text = response.text().unwrap();
                assert_eq!(text.contains("\"actor\""), staff, "{label}: staff timeline expected: {staff}");
                let name = row.path.split('{').nth(1).unwrap().split('}').next().unwrap();
                let reporter_id = &self.user_ids[self.reporters[name]];
                assert_eq!(
                    text.contains(reporter_id.as_str()),
                    names_reporter,
                    "{label}: the timeline names the reporter: expected {names_reporter}"
                );
            }
            Want::WorkWithin(allowed) => {
                assert_eq!(status, 200, "{label}");
                let body: Value = response.json().unwrap();
                let allowed: BTreeSet<&str> = allowed.iter().map(|name| self.ids[name].as_str()).collect();
                for item in body["items"].as_array().unwrap() {
                    let id = item["case"]["id"].as_str().or(item["id"].as_str()).unwrap();
                    assert!(allowed.contains(id), "{label}: a case outside the inspector's cells");
                }
            }
            Want::Listed(expected) => {
                assert_eq!(status, 200, "{label}");
                let body: Value = response.json().unwrap();
                let got: BTreeSet<String> = body["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["id"].as_str().unwrap().to_owned())
                    .collect();
                let expected: BTreeSet<String> = expected.iter().map(|name| self.ids[name].clone()).collect();
                assert_eq!(got, expected, "{label}");
            }
            Want::Counted(expected) => {
                assert_eq!(status, 200, "{label}");
                let body: Value = response.json().unwrap();
                let got: BTreeSet<String> = body["cells"].as_object().unwrap().keys().cloned().collect();
                let admin = &self.tokens["admin"];
                let expected: BTreeSet<String> = expected
                    .iter()
                    .map(|name| {
                        let case: Value = self
                            .server
                            .get_as(admin, &format!("/api/v1/cases/{}", self.ids[name]))
                            .json()
                            .unwrap();
                        case["placement"]["grid"].as_str().unwrap().to_owned()
                    })
                    .collect();
                assert_eq!(got, expected, "{label}");
            }
            Want::Events(expected) => {
                assert_eq!(status, 200, "{label}");
                drop(response);
                let mut history =
                    common::EventStream::open(&self.server.url(""), &self.tokens[caller], Some(0));
                let got: BTreeSet<String> = history
                    .backlog()
                    .iter()
                    .map(|event| event.data["case_id"].as_str().unwrap().to_owned())
                    .collect();
                let expected: BTreeSet<String> = expected.iter().map(|name| self.ids[name].clone()).collect();
                assert_eq!(got, expected, "{label}");
            }
            Case(_) | StaffWithReporter => {
                assert_eq!(status, 200, "{label}");
                let text = response.text().unwrap();
                let case: Value = serde_json::from_str(&text).unwrap();
                let name = row.path.rsplit('{').next().unwrap().trim_end_matches('}');
                assert_eq!(case["id"], self.ids[name].as_str(), "{label}");
                let view = if let Case(view) = want { view } else { "staff" };
                assert_eq!(case["view"], view, "{label}");
                let reporter_id = &self.user_ids[self.reporters[name]];
                let names_reporter = text.contains(reporter_id.as_str());
                match want {
                    StaffWithReporter => assert_eq!(case["reporter"]["id"], reporter_id.as_str(), "{label}"),
                    Case("reporter") => assert!(caller == self.reporters[name], "{label}"),
                    _ => assert!(
                        !names_reporter && case.get("reporter").is_none(),
                        "{label}: the {view} view names the reporter"
                    ),
                }
                if view == "public" {
                    for hidden in ["photo_ids", "anonymous", "answers", "captured_at"] {
                        assert!(case.get(hidden).is_none(), "{label}: the public view shows {hidden}");
                    }
                }
            }
        }
    }
}

fn every_role_gets_exactly_its_scope(backend: Backend) {
    let city = build_city(backend);
    for row in matrix() {
        for (caller, want) in CALLERS.into_iter().zip(row.want) {
            city.check(&row, caller, want);
        }
    }
    // The allowed writes did land: the edited category and the renamed account.
    let admin = &city.tokens["admin"];
    let categories: Value = city.server.get("/api/v1/categories").json().unwrap();
    let edited = categories["categories"].as_array().unwrap().iter().find(|c| c["code"] == "E0101").unwrap();
    assert_eq!(edited["time_limit"], "8h");
    let renamed: Value = city
        .server
        .get_as(admin, &format!("/api/v1/admin/users/{}", city.ids["inspector_b"]))
        .json()
        .unwrap();
    assert_eq!(renamed["display_name"], "renamed by admin");
}

/// An admin makes viewers of the city, a district or a street, and nothing else: a viewer's
/// scope of the wrong kind or level is refused naming `scope`. A district viewer signed in
/// through the login reads both streets of its district and writes nothing.
fn viewer_accounts_take_an_area_scope(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let cells = common::two_street_cells(8);
    server.import_grid(&admin, "310104", &cells);
    let create = |login: &str, scope: Option<Value>| {
        let mut body = json!({ "login": login, "display_name": "Wall screen", "role": "viewer" });
        if let Some(scope) = scope {
            body["scope"] = scope;
        }
        server.client.post(server.url("/api/v1/admin/users")).bearer_auth(&admin).json(&body).send().unwrap()
    };
    for (login, scope) in [
        ("wall-city", json!({ "kind": "city" })),
        ("wall-district", json!({ "kind": "district", "district": "310104" })),
        ("wall-street", json!({ "kind": "street", "street": street_of(&cells[0]) })),
    ] {
        let made = create(login, Some(scope.clone()));
        assert_eq!(made.status(), 201, "{login}");
        let made: Value = made.json().unwrap();
        assert_eq!((&made["user"]["role"], &made["user"]["scope"]), (&json!("viewer"), &scope), "{login}");
    }
    for (login, scope) in [
        ("no-scope", None),
        ("cells", Some(json!({ "kind": "grids", "grids": [cells[0].code.to_string()] }))),
        ("unit", Some(json!({ "kind": "unit", "unit": "sanitation" }))),
        ("own", Some(json!({ "kind": "own" }))),
        ("community", Some(json!({ "kind": "street", "street": &cells[0].code.to_string()[..12] }))),
        ("street-as-district", Some(json!({ "kind": "district", "district": street_of(&cells[0]) }))),
    ] {
        let refused = common::problem(create(login, scope), 422);
        assert_eq!(refused["field"], "scope", "{login}: {refused}");
    }
    // A district is a viewer's scope only.
    let dispatcher = server
        .client
        .post(server.url("/api/v1/admin/users"))
        .bearer_auth(&admin)
        .json(&json!({
            "login": "district-dispatcher", "display_name": "No", "role": "dispatcher",
            "scope": { "kind": "district", "district": "310104" },
        }))
        .send()
        .unwrap();
    assert_eq!(common::problem(dispatcher, 422)["field"], "scope");

    let citizen = server.citizen_token();
    let street_b = cells.iter().find(|c| street_of(c) != street_of(&cells[0])).unwrap();
    let in_a = report(&server, &citizen, &report_body(point_in(&cells[0]), false, &[]));
    let in_b = report(&server, &citizen, &report_body(point_in(street_b), false, &[]));
    let viewer =
        server.staff_token(Role::Viewer, Scope::District { district: AreaCode::parse("310104").unwrap() });
    let listed: Value = server.get_as(&viewer, "/api/v1/cases").json().unwrap();
    let ids: BTreeSet<&str> =
        listed["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [in_a.as_str(), in_b.as_str()].into_iter().collect());
    let case: Value = server.get_as(&viewer, &format!("/api/v1/cases/{in_b}")).json().unwrap();
    assert_eq!(case["view"], "staff");
    assert!(case.get("reporter").is_none(), "a viewer never learns who reported");
    let act = server
        .client
        .post(server.url(&format!("/api/v1/cases/{in_a}/actions")))
        .bearer_auth(&viewer)
        .header("if-match", "\"1\"")
        .json(&json!({ "action": "register" }))
        .send()
        .unwrap();
    assert_eq!(common::problem(act, 403)["code"], "forbidden");
    let case: Value = server.get_as(&admin, &format!("/api/v1/cases/{in_a}")).json().unwrap();
    assert_eq!(case["state"], "reported");
    // A method no route takes is 405 with `Allow` for a viewer as for anyone (the document says
    // as much); a write route, or a path with no route, stays 403.
    let put = |path: &str| server.client.put(server.url(path)).bearer_auth(&viewer).send().unwrap();
    let undeclared = put(&format!("/api/v1/cases/{in_a}"));
    assert_eq!(undeclared.headers()["allow"], "GET");
    assert_eq!(common::problem(undeclared, 405)["code"], "method_not_allowed");
    assert_eq!(common::problem(put("/api/v1/me/notifications"), 403)["code"], "forbidden");
    assert_eq!(common::problem(put("/api/v1/no/such/path"), 403)["code"], "forbidden");
}

both_backends!(every_role_gets_exactly_its_scope, viewer_accounts_take_an_area_scope);
