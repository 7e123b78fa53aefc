//! Every operation of the HTTP API, Open311 and the pages included, in one list: the OpenAPI
//! document (`GET /api/v1/openapi.json`) is built from it, and `tests/it/openapi_routes.rs`
//! fails when the server routes a method and path that is not listed here.
//!
//! Adding a route is adding its [`Op`] here: method, path (as in `api::configure`), tag,
//! summary, its parameters with the server's rules, the request body's Rust type, each answer's
//! status and Rust type (deriving utoipa's `ToSchema`), and the statuses it refuses with (each an
//! RFC 9457 problem). `Body::Untyped` is left for bodies that are not JSON of a Rust type: text,
//! HTML, CSV, JSON Lines, images, the grid package, and this document itself.

use gridline_core::codes::{
    AREA_CODE_PATTERN, CATEGORY_CLASS_PATTERN, CATEGORY_CODE_PATTERN, DISTRICT_OR_STREET_PATTERN,
    GRID_CODE_PATTERN,
};
use gridline_core::emergency::{
    AfterActionSummary, EmergencyList, EmergencyView, IncidentView, SwitchOnRequest, SwitchRequest,
};
use gridline_core::protocol::joint::{JointStats, JointView, PartActionRequest};
use gridline_core::protocol::{
    ActionRequest, CaseListPage, CaseView, CategoryList, CodeSent, Liveness, MyReportsPage,
    NotificationPreferences, OpenCaseRecord, PushTokenRequest, Readiness, ReportReceipt, ReportRequest,
    SessionAnswer, TrackedCase, UserView, WorklistPage,
};
use gridline_core::sensors::{AlarmMessage, AlarmRule, MAX_BATCH};
use gridline_core::taxonomy::Category;
use gridline_core::warning::scan::{MAX_CELLS_PER_CYLINDER, MAX_WINDOW_DAYS, REPLICATIONS};
use gridline_core::workflow::Role;
use gridline_core::workflow::notice::MAX_EMAIL_CHARS;
use serde_json::json;

use crate::api::apikeys::{ApiKeyIssued, ApiKeyList, CreateKey};
use crate::api::auth::device::DeviceSignIn;
use crate::api::auth::otp::{CodeRequest, CodeVerification};
use crate::api::auth::password::LoginRequest;
use crate::api::auth::session::RefreshRequest;
use crate::api::callbacks::{CallbackList, MAX_LIMIT as CALLBACKS_LISTED};
use crate::api::cases::actions::{CaseProblem, ENTITY_TAG_PATTERN};
use crate::api::cases::duplicates::DuplicateList;
use crate::api::cases::timeline::Timeline;
use crate::api::categories::admin::{CategoryPatch, category_rules};
use crate::api::coverage::{Assignment, Coverage, InspectorCells};
use crate::api::notifications::{NotificationLog, NotificationSettings, RegisteredToken};
use crate::api::patrol::{PositionsBody, PositionsStored, StreetCoverage};
use crate::api::photos::PhotoReceipt;
use crate::api::public::nearby::NearbyReports;
use crate::api::sensors::{
    ConfirmedAlarm, CreateSystem, CreatedSystem, ReviewQueue, SensorOverview, SensorRules, SensorSystems,
};
use crate::api::stats::StatisticsAnswer;
use crate::api::units::{NewUnit, Unit, UnitList, UnitPatch};
use crate::api::users::admin::{AccountList, CreateUser, Created, PatchUser, Patched};
use crate::api::users::fields::scope_fits_role;
use crate::api::users::password::{PasswordChange, PasswordChanged};
use crate::api::users::street::{CreateStreetUser, PatchStreetUser, STREET_ROLES, StreetUsers};
use crate::api::warnings::scan::WarningScan;
use crate::api::warnings::signals::{ScanRun, SignalList, SignalStepRequest, SignalView};
use crate::api::warnings::topics::{AdoptTopicRequest, TopicStepRequest, TopicView, TopicsOfMonth};
use crate::api::warnings::{MAX_DAYS as CHARTED_DAYS, MAX_LIMIT as CHARTED_PLACES, WarningCharts};
use crate::sensors::intake::BatchResult;
use crate::sensors::registry::Imported;
use crate::store::api_keys::ApiKeyRow;
use crate::store::sensors::{DeviceRow, SystemRow};
use crate::warnings::scan::{
    MAX_DAYS as SCAN_MAX_DAYS, MAX_RADIUS_M, MAX_REPLICATIONS, MIN_DAYS as SCAN_MIN_DAYS,
};

use super::build::{Body, In, Method, Op, Schemas, typed};
use super::{NOT_BLANK_PATTERN, text_schema};
use crate::api::dashboard::{MapCells, MapCounts};
use crate::api::grids::RouteAnswer;
use crate::api::grids::import::GridImported;
use crate::api::hotline::{CallList, CallReceipt, CallRequest, HotlineForm};
use crate::api::public::places::Places;
use crate::hotline::codes::{
    HotlineCode, HotlineCodeEdit, HotlineCodes, MAX_CODE_CHARS as HOTLINE_CODE_DIGITS,
    MAX_NAME_CHARS as HOTLINE_NAME_CHARS,
};
use crate::hotline::gazetteer::{GazetteerImported, PlaceMatches};

/// The operations of `/healthz`, `/readyz`, `/metrics` and `/api/v1`.
pub fn api() -> Vec<Op> {
    vec![
        Op::new(Method::Get, "/healthz", "operations", "Liveness: the process answers")
            .answer(200, "Alive", Body::Json(typed::<Liveness>)),
        Op::new(Method::Get, "/readyz", "operations", "Readiness: the database answers")
            .answer(200, "Ready", Body::Json(typed::<Readiness>))
            .problems(&[503]),
        Op::new(Method::Get, "/metrics", "operations", "Prometheus metrics (text exposition format)")
            .describe("Needs the bearer token set in GRIDLINE_METRICS_TOKEN; not served on this address when no token is set. GRIDLINE_METRICS_BIND serves it without a token on an address of its own.")
            .metrics_token()
            .answer(200, "Metrics", Body::Untyped("text/plain", json!({"type": "string"})))
            .problems(&[401, 404]),
        Op::new(Method::Get, "/api/v1/openapi.json", "operations", "This document")
            .answer(200, "OpenAPI 3.1 document", Body::Untyped("application/json", json!({"type": "object"}))),
        Op::new(Method::Get, "/api/v1/docs", "operations", "Browsable API docs (works offline)")
            .answer(200, "HTML page", Body::Untyped("text/html", json!({"type": "string"}))),
        Op::new(Method::Post, "/api/v1/auth/login", "identity", "Staff sign-in with login name and password")
            .describe("A one-time password from a reset signs in only together with `new_password`, the account's new password: without it, 403 `password_change_required` (field `new_password`); a weak one is 422 on `new_password`.")
            .body("application/json", true, typed::<LoginRequest>)
            .answer(200, "Token pair", Body::Json(typed::<SessionAnswer>))
            .problems(&[401, 403, 422, 429]),
        Op::new(Method::Post, "/api/v1/auth/otp/request", "identity", "Send a one-time code to a phone number")
            .body("application/json", true, typed::<CodeRequest>)
            .answer(202, "Code sent", Body::Json(typed::<CodeSent>))
            .problems(&[422, 429, 503]),
        Op::new(Method::Post, "/api/v1/auth/otp/verify", "identity", "Sign in with phone number and one-time code")
            .body("application/json", true, typed::<CodeVerification>)
            .answer(200, "Token pair", Body::Json(typed::<SessionAnswer>))
            .problems(&[401, 422, 429]),
        Op::new(Method::Post, "/api/v1/auth/anonymous", "identity", "Create or sign in to an anonymous device account")
            .body("application/json", false, typed::<DeviceSignIn>)
            .answer(201, "New account: token pair and device_secret", Body::Json(typed::<SessionAnswer>))
            .answer(200, "Token pair", Body::Json(typed::<SessionAnswer>))
            .problems(&[401, 429]),
        Op::new(Method::Post, "/api/v1/auth/refresh", "identity", "Rotate a refresh token")
            .body("application/json", true, typed::<RefreshRequest>)
            .answer(200, "Token pair", Body::Json(typed::<SessionAnswer>))
            .problems(&[401]),
        Op::new(Method::Post, "/api/v1/auth/logout", "identity", "Revoke a refresh token's family")
            .body("application/json", true, typed::<RefreshRequest>)
            .answer(204, "Revoked", Body::Empty),
        Op::new(Method::Get, "/api/v1/me", "identity", "The caller's account")
            .bearer()
            .answer(200, "Account", Body::Json(typed::<UserView>))
            .problems(&[401]),
        Op::new(Method::Get, "/api/v1/categories", "reports", "Every category with limits, anonymity rule and questions")
            .answer(200, "Categories", Body::Json(typed::<CategoryList>)),
        Op::new(Method::Get, "/api/v1/grids/route", "grids", "Which grid cell a point belongs to")
            .param(In::Query, "lat", true, json!({"type": "number"}), None)
            .param(In::Query, "lon", true, json!({"type": "number"}), None)
            .param(In::Query, "crs", false, json!({"type": "string", "enum": ["wgs84", "gcj02", "bd09"]}), None)
            .answer(200, "Placement", Body::Json(typed::<RouteAnswer>))
            .problems(&[400, 422]),
        Op::new(Method::Post, "/api/v1/photos", "reports", "Upload a photo (re-prepared on the server: upright, resized, no metadata)")
            .describe("With an Idempotency-Key (per account), a retry with the same key and the same bytes answers 200 with the first receipt (same photo id, header Idempotent-Replayed: true) and stores nothing; of concurrent duplicates one photo is stored. The same key with different bytes is refused with 409 idempotency_key_reused. Without the header every upload is stored.")
            .bearer()
            .param(In::Header, "Idempotency-Key", false, json!({"type": "string", "format": "uuid"}), "Client-generated UUID, per account. A retry with the same key and bytes returns the first result; other bytes under a used key: 409 idempotency_key_reused. Not a UUID: 400 invalid_idempotency_key.")
            .body_schema("multipart/form-data", true, json!({"type": "object", "required": ["photo"], "properties": {"photo": {"type": "string", "contentMediaType": "image/jpeg"}}}))
            .answer(201, "Stored photo", Body::Json(typed::<PhotoReceipt>))
            .answer(200, "A retry under a used Idempotency-Key: the first answer, replayed (header Idempotent-Replayed: true)", Body::Json(typed::<PhotoReceipt>))
            .problems(&[400, 401, 409, 413, 415, 422]),
        Op::new(Method::Get, "/api/v1/photos/{id}", "reports", "A photo (uploader, or staff holding one of its cases); ETag and If-None-Match")
            .bearer()
            .param(In::Path, "id", true, json!({"type": "string", "format": "uuid"}), None)
            .param(In::Query, "size", false, json!({"type": "string", "enum": ["full", "thumbnail"]}), None)
            .param(In::Header, "If-None-Match", false, json!({"type": "string"}), None)
            .answer(200, "JPEG bytes", Body::Untyped("image/jpeg", json!({"type": "string", "contentMediaType": "image/jpeg"})))
            .answer(304, "Not modified", Body::Empty)
            .problems(&[400, 401, 404, 422]),
        Op::new(Method::Post, "/api/v1/reports", "reports", "Report a problem; idempotent by Idempotency-Key")
            .bearer()
            .param(In::Header, "Idempotency-Key", true, json!({"type": "string", "format": "uuid"}), "Client-generated UUID (v7 recommended). The same key returns the first result.")
            .body("application/json", true, typed::<ReportRequest>)
            .answer(201, "Case created", Body::Json(typed::<ReportReceipt>))
            .answer(200, "Replay of an earlier submission with this key (header Idempotent-Replayed: true)", Body::Json(typed::<ReportReceipt>))
            .problems(&[400, 401, 409, 413, 415, 422, 503]),
        Op::new(Method::Post, "/api/v1/reports/web", "reports", "Report a problem from the server's citizen web page (/report); counted under the channel `web`")
            .describe("The same intake as POST /api/v1/reports. The route is the way in: the server sets the case's channel from it (`web`; an inspector's report stays `inspector`), never from the body.")
            .bearer()
            .param(In::Header, "Idempotency-Key", true, json!({"type": "string", "format": "uuid"}), "Client-generated UUID (v7 recommended). The same key returns the first result.")
            .body("application/json", true, typed::<ReportRequest>)
            .answer(201, "Case created", Body::Json(typed::<ReportReceipt>))
            .answer(200, "Replay of an earlier submission with this key (header Idempotent-Replayed: true)", Body::Json(typed::<ReportReceipt>))
            .problems(&[400, 401, 409, 413, 415, 422, 503]),
        Op::new(Method::Get, "/api/v1/reports/mine", "reports", "The caller's own reports, newest first; with cursor, only the reports changed since")
            .bearer()
            .param(In::Query, "limit", false, json!({"type": "integer", "minimum": 1, "maximum": 200}), None)
            .param(In::Query, "cursor", false, json!({"type": "integer", "minimum": 0}), "next_cursor of an earlier answer (an event sequence number); absent or 0 for the newest `limit` reports")
            .answer(200, "Reports", Body::Json(typed::<MyReportsPage>))
            .problems(&[400, 401, 422]),
        Op::new(Method::Get, "/api/v1/cases/{id}", "cases", "A case in the caller's view: reporter, staff (scope holds it) or public (never the reporter)")
            .param(In::Path, "id", true, json!({"type": "string"}), "The case's id or its tracking number (GL-YYMMDD-XXXXXX, any case)")
            .answer(200, "Case", Body::Json(typed::<CaseView>))
            .problems(&[401, 404]),
        Op::new(Method::Post, "/api/v1/cases/{id}/actions", "cases", "Take a workflow step (register, reject, dispatch, accept, send_back, mark_handled, verify_pass, verify_fail, confirm, deny, call_back, extend, shelve, unshelve, merge, close, reopen, rate); core's state machine decides")
            .describe("Optimistic concurrency: If-Match carries the case's ETag. A stale version answers 409 `version_mismatch` with `current_state` and `current_version`. Without If-Match: 428 `precondition_required`, unless the request carries an Idempotency-Key (the phone outbox): then the from-state check guards and a retry with the same key and the same body, by the same account, replays the answer (`Idempotent-Replayed: true`); a reused key with another body or from another account is 409 `idempotency_key_reused`, and a replay outside the caller's scope is 403 `out_of_scope` like a first request. Refusals keep core's stable codes: 403 `not_allowed_for_role`, `not_the_reporter`, `out_of_scope`; 409 `not_from_state`, `already_rated`, `deadline_not_passed`, `already_overdue`, `not_overdue`; 422 `reason_required`, `photo_required`, `position_required`, `handling_unit_required`, `deadline_required`, `deadline_not_later`, `deadline_not_accepted`, `no_working_calendar`, `merge_target_required`, `rating_out_of_range`. Dispatch computes the deadline from the case's handling time limit on the city's working calendar and refuses a `new_deadline` (422 `deadline_not_accepted`); a `handling_unit` that is not one of `GET /api/v1/units` is 422 `unknown_unit` (field `handling_unit`); only `extend` takes one, later than the current one, with a reason.")
            .param(In::Path, "id", true, json!({"type": "string"}), "The case's id or its tracking number (GL-YYMMDD-XXXXXX, any case)")
            .param(In::Header, "If-Match", false, json!({"type": "string", "minLength": 2, "pattern": ENTITY_TAG_PATTERN}), "\"<version>\" from the case's ETag; needed unless the request carries an Idempotency-Key")
            .param(In::Header, "Idempotency-Key", false, json!({"type": "string", "format": "uuid"}), None)
            .body("application/json", true, typed::<ActionRequest>)
            .answer(200, "The case after the step", Body::Json(typed::<CaseView>))
            .answer(409, "Not recorded: a stale version or a refusal by the case's facts", Body::Problem(typed::<CaseProblem>))
            .problems(&[400, 401, 403, 404, 422, 428]),
        Op::new(Method::Get, "/api/v1/cases/{id}/timeline", "cases", "The case's audit trail, oldest first: full for staff whose scope holds the case, public (no staff identity, positions, notes or photos) for everyone else")
            .param(In::Path, "id", true, json!({"type": "string"}), "The case's id or its tracking number (GL-YYMMDD-XXXXXX, any case)")
            .answer(200, "Timeline", Body::Json(typed::<Timeline>))
            .problems(&[404]),
        Op::new(Method::Get, "/api/v1/cases/{id}/sheet", "cases", "The case sheet (案件登记表) as a printable HTML page: the case's facts, its photos inlined, the staff timeline with names, and lines for the signatures of who registered, handled and verified it")
            .describe("Staff whose scope holds the case (as for the staff view); anyone else 403 `out_of_scope`. The page runs no script and loads nothing (`Content-Security-Policy: default-src 'none'`); at most 12 photos are inlined as thumbnails, the rest named.")
            .bearer()
            .param(In::Path, "id", true, json!({"type": "string"}), "The case's id or its tracking number (GL-YYMMDD-XXXXXX, any case)")
            .answer(200, "HTML page", Body::Untyped("text/html", json!({"type": "string"})))
            .problems(&[401, 403, 404]),
        Op::new(Method::Get, "/api/v1/cases/{id}/duplicates", "cases", "Open cases that may report the same problem: same category, within the category's duplicate radius, reported in the last window_days; nearest first, with the distance")
            .describe("For the street office triaging a case before `register` or `merge` (this is the duplicate check at intake: every new report starts `reported` and is triaged with this list), and for the case's reporter. Dispatchers, district admins and admins whose scope holds the case get the candidates their scope holds too, with position, description, handling unit, version and the distance to 0.1 m; the reporter gets the public facts of every candidate with the distance rounded to 10 m. Open means not `closed`, `rejected` or `merged`. Anyone else: 403 `out_of_scope`. To merge, send the `merge` action with `merge_into` set to a candidate's id; the merged report's reporter then follows the surviving case (`follows` in `GET /api/v1/reports/mine`, `merged_into` on the case).")
            .bearer()
            .param(In::Path, "id", true, json!({"type": "string"}), "The case's id or its tracking number (GL-YYMMDD-XXXXXX, any case)")
            .param(In::Query, "window_days", false, json!({"type": "integer", "minimum": 1, "maximum": 90}), "how far back to look, in days (default 7)")
            .param(In::Query, "limit", false, json!({"type": "integer", "minimum": 1, "maximum": 100}), "most candidates answered (default 20)")
            .answer(200, "Candidates, nearest first", Body::Json(typed::<DuplicateList>))
            .problems(&[400, 401, 403, 404, 422]),
        Op::new(Method::Get, "/api/v1/events", "cases", "Live changes to the cases in the caller's scope, as Server-Sent Events; resumable with Last-Event-ID")
            .describe("Each audit event is an SSE event `case` whose `id` is the event's sequence number and whose `data` is the event as the case timeline shows it to the caller (staff view for staff whose scope holds the case, public view for citizens, who follow only their own reports), plus `case_id`, `tracking_number`, `grid_code`, and the case's current `state` and `version`. The stream starts with `retry:`, sends the backlog after `Last-Event-ID` (or nothing older than the request when the header is absent), then one `ready` event (`{\"through\": seq}`) once caught up, then events as they commit on any server node. Comment lines (`: keep-alive`) are sent when the stream is idle. Staff who watch early warning (admins, district admins, dispatchers, viewers) also get an event `signal`, without an `id`, each time a signal whose centre cell their scope holds is raised, grown or stepped on: `signal_id`, `version`, `state`, `method`, `category`, `class`, `cells`, `runs`.")
            .bearer()
            .param(In::Header, "Last-Event-ID", false, json!({"type": "integer", "minimum": 0}), "The id of the last event received; the stream resumes right after it")
            .answer(200, "Event stream (never ends on its own)", Body::Untyped("text/event-stream", json!({"type": "string"})))
            .problems(&[400, 401]),
        Op::new(Method::Get, "/api/v1/cases", "cases", "The staff case list: cases in the caller's scope, newest first, filtered, a page at a time")
            .describe("Admins see the city, district admins their district, dispatchers their street, viewers their area (city, district or street), inspectors their cells, handlers their unit's cases; citizens are refused (they have /api/v1/reports/mine). Each item is the case in the staff view. Bad parameters answer 422 `invalid_field` naming the parameter; unknown parameters 400.")
            .bearer()
            .param(In::Query, "state", false, json!({"type": "string", "example": "reported,registered"}), "A state or a comma list of states")
            .param(In::Query, "category", false, json!({"type": "string", "pattern": CATEGORY_CODE_PATTERN, "example": "E0101"}), "A category code")
            .param(In::Query, "unit", false, json!({"type": "string"}), "A handling unit code")
            .param(In::Query, "overdue", false, json!({"type": "boolean"}), "Only overdue (true) or only not overdue (false) cases")
            .param(In::Query, "area", false, json!({"type": "string", "pattern": AREA_CODE_PATTERN}), "A district, street, community or grid code: only cases in its cells")
            .param(In::Query, "channel", false, json!({"type": "string", "example": "hotline,app"}), "A channel or a comma list of channels (app, inspector, web, hotline, open311, sensor): the way the case came in")
            .param(In::Query, "urgency", false, json!({"type": "string", "example": "urgent,very_urgent"}), "An urgency or a comma list of urgencies (normal, urgent, very_urgent): how soon the case must be handled, set when it was filed (a hotline call's urgency, a sensor alarm's severity; normal for a report from a person)")
            .param(In::Query, "from", false, json!({"type": "string", "format": "date-time"}), "Reported at or after (RFC 3339)")
            .param(In::Query, "to", false, json!({"type": "string", "format": "date-time"}), "Reported before (RFC 3339)")
            .param(In::Query, "limit", false, json!({"type": "integer", "minimum": 1, "maximum": 200, "default": 50}), "Cases per page")
            .param(In::Query, "cursor", false, json!({"type": "string"}), "next_cursor of the previous page")
            .param(In::Query, "tracking_number", false, json!({"type": "string"}), "The case with this tracking number (case-insensitive), within the caller's scope")
            .param(In::Query, "q", false, json!({"type": "string", "minLength": 2, "maxLength": 100}), "Text (Chinese or English, case-insensitive) in the report's description, answers or tracking number, or in a step's note or reason; a whole tracking number finds that case by its number; combines with every other filter")
            .param(In::Query, "triage", false, json!({"type": "boolean"}), "true: only the triage queue (cases that routed to no grid cell; listed to the street office nearest to them and to the city); false: only cases with a cell")
            .param(In::Query, "flagged_to_district", false, json!({"type": "boolean"}), "true: only the cases flagged to the district for changing hands between units more than twice (the district admin's list of them); false: only the others")
            .param(In::Query, "format", false, json!({"type": "string", "enum": ["csv", "jsonl"]}), "Every matching case (no limit or cursor) as a streamed file: CSV (one row per case, the staff view's flat columns) or JSON Lines (the staff view, one case per line), in the caller's scope with the personal data the role may see")
            .answer(200, "One page of cases", Body::Json(typed::<CaseListPage>))
            .answer(200, "Every matching case as CSV (format=csv)", Body::Untyped("text/csv", json!({"type": "string"})))
            .answer(200, "Every matching case as JSON Lines (format=jsonl)", Body::Untyped("application/jsonl", json!({"type": "string"})))
            .problems(&[400, 401, 403, 422]),
        Op::new(Method::Get, "/api/v1/open-data/cases", "cases", "Open data: every case of the caller's scope, with nothing that identifies a person, as a streamed file")
            .describe("No description, answers, reporter, photo or point: the place is the grid cell and its community, street and district. Admins get the city, district admins their district, dispatchers their street; other roles 403. Streams in constant memory whatever the number of cases. Bad parameters answer 422 `invalid_field` naming the parameter; unknown parameters 400.")
            .bearer()
            .param(In::Query, "state", false, json!({"type": "string", "example": "closed"}), "A state or a comma list of states")
            .param(In::Query, "category", false, json!({"type": "string", "pattern": CATEGORY_CODE_PATTERN, "example": "E0101"}), "A category code")
            .param(In::Query, "unit", false, json!({"type": "string"}), "A handling unit code")
            .param(In::Query, "area", false, json!({"type": "string", "pattern": AREA_CODE_PATTERN}), "A district, street, community or grid code: only cases in its cells")
            .param(In::Query, "channel", false, json!({"type": "string", "example": "hotline,app"}), "A channel or a comma list of channels")
            .param(In::Query, "from", false, json!({"type": "string", "format": "date-time"}), "Reported at or after (RFC 3339)")
            .param(In::Query, "to", false, json!({"type": "string", "format": "date-time"}), "Reported before (RFC 3339)")
            .param(In::Query, "format", false, json!({"type": "string", "enum": ["csv", "jsonl"], "default": "csv"}), "CSV with a header row, or JSON Lines (one record per line)")
            .answer(200, "Every matching case as CSV (the record's fields as columns)", Body::Untyped("text/csv", json!({"type": "string"})))
            .answer(200, "Every matching case as JSON Lines (format=jsonl), one record per line", Body::JsonLines(typed::<OpenCaseRecord>))
            .problems(&[400, 401, 403, 422]),
        Op::new(Method::Get, "/api/v1/units", "reference", "The active handling units cases are dispatched to; with ?category= (and ?grid=) the unit to suggest")
            .param(In::Query, "category", false, json!({"type": "string", "pattern": CATEGORY_CODE_PATTERN}), "A category code: the answer's `suggested` names the active unit that handles it (the most local one serving `grid`), else the category's default unit")
            .param(In::Query, "grid", false, json!({"type": "string", "pattern": GRID_CODE_PATTERN}), "The case's grid code, for units serving a district or street")
            .answer(200, "Units", Body::Json(typed::<UnitList>))
            .problems(&[400, 422]),
        Op::new(Method::Get, "/api/v1/dashboard/cells", "dashboard", "Outlines of the grid cells in the caller's scope, for the dashboard map")
            .describe("Rings are flattened integer pairs [x0, y0, x1, y1, ...] in steps of 1/scale degree east and north of `origin` ([lon, lat], WGS-84). Admins get the city, district admins their district, dispatchers their street, viewers their area, inspectors their cells; handlers and citizens 403. `ETag` follows the grid revision; `If-None-Match` answers 304.")
            .bearer()
            .answer(200, "Cells", Body::Json(typed::<MapCells>))
            .answer(304, "Not modified", Body::Empty)
            .problems(&[401, 403]),
        Op::new(Method::Get, "/api/v1/dashboard/counts", "dashboard", "Open, overdue and to-verify cases per grid cell in the caller's scope, with totals")
            .bearer()
            .answer(200, "Counts", Body::Json(typed::<MapCounts>))
            .problems(&[401, 403]),
        Op::new(Method::Get, "/api/v1/grids/package", "grids", "The grid as an offline package for routing on the phone (core's binary format)")
            .describe("Public. Without `area`, the whole city; with a district or street code, only its cells. `ETag` is the grid revision and the area (`If-None-Match` answers 304); `Grid-Revision` names the revision. An area with no cells is 404.")
            .param(In::Query, "area", false, json!({"type": "string", "pattern": DISTRICT_OR_STREET_PATTERN}), "A district (6 digits) or street (9 digits) code")
            .answer(200, "The package", Body::Untyped("application/vnd.gridline.grid-package", json!({"type": "string", "format": "binary"})))
            .answer(304, "Not modified", Body::Empty)
            .problems(&[400, 404, 422]),
        Op::new(Method::Get, "/api/v1/public/report-form", "reports", "The rules of the citizen page's report form")
            .describe("Public. The limits of a report (`description_max_chars`, `photos_max`, `photo_max_bytes`, `photo_max_edge_px`, `photo_quality`), each case state in a citizen's words (`states.<state>.label` and `.next`, each `{zh, en}`), the rating's range (`rating.min`, `rating.max`), the channels (`channels`) and each urgency a case may have in words, least urgent first (`urgencies[].urgency` and `.label` `{zh, en}`), read from core and the server's settings, so a client copies none of them.")
            .answer(200, "The form's rules", Body::Json(typed::<crate::api::public::ReportForm>)),
        Op::new(Method::Get, "/api/v1/public/places", "grids", "The way to a place without a map: streets, then communities, then cells")
            .describe("Public. Without `area`, the streets (`level: street`); with a street code, its communities; with a community code, its cells (`level: grid`), each with its name and a point inside it that routes to it. Street and community entries carry their cell count. An area with no cells is 404.")
            .param(In::Query, "area", false, json!({"type": "string", "pattern": "^\\s*([0-9]{9}([0-9]{3})?)?\\s*$"}), "A street (9 digits) or community (12 digits) code; empty (or only spaces) is the same as none: the streets")
            .answer(200, "The places one level down", Body::Json(typed::<Places>))
            .problems(&[400, 404, 422]),
        Op::new(Method::Get, "/api/v1/public/cells", "grids", "The outlines of the grid cells around a point, for a small map")
            .describe("Public. Cells with a corner within about half a kilometre of the point (at most 400), in the dashboard map's compact form: `origin` `[lon, lat]`, `scale` (steps per degree) and per cell `code`, `name`, `rings` (flattened integer steps) and `area_m2`.")
            .param(In::Query, "lat", true, json!({"type": "number"}), None)
            .param(In::Query, "lon", true, json!({"type": "number"}), None)
            .answer(200, "The cells around the point", Body::Json(typed::<MapCells>))
            .problems(&[400, 422]),
        Op::new(Method::Get, "/api/v1/public/nearby", "reports", "Open reports of a category around a point, for the duplicate step before sending")
            .describe("Public (the citizen web page and the phone app ask it before a report is sent). The open reports (not closed, rejected or merged) of `category` sent in the last `window_days` days whose public position (rounded to about 100 m, as in the public view) lies within the category's duplicate radius (`radius_m`) of the point, nearest first, at most 20. Each shows only public facts: `tracking_number` (the handle to follow it: `/track/{number}` and `GET /api/v1/public/track/{number}`), `category`, `state`, `created_at`, `deadline`, `overdue`, `description` (null until a street office has reviewed the report) and `distance_band_m`, the first of 50, 100, 250, 500, 1000 m (or the radius) the public position is within. Never a case id, an exact distance, a position or the reporter: distances are measured from public positions, so probes from any number of points place an anonymous reporter no better than the public view does. A report whose exact position is just inside the radius may be left out, one just outside listed (by at most about 79 m).")
            .param(In::Query, "category", true, json!({"type": "string", "pattern": CATEGORY_CODE_PATTERN}), "A category code, e.g. `E0101`")
            .param(In::Query, "lat", true, json!({"type": "number"}), None)
            .param(In::Query, "lon", true, json!({"type": "number"}), None)
            .answer(200, "Open reports of the category, nearest first", Body::Json(typed::<NearbyReports>))
            .problems(&[400, 404, 422]),
        Op::new(Method::Get, "/api/v1/public/track/{number}", "reports", "A case by its tracking number, with its public timeline")
            .describe("A token is optional. The case in the view the caller may see (`public` without a token; `reporter` for the account that reported it, with the steps it may take, such as `rate`; `staff` within a staff scope) and the public timeline (what happened and when, never who on the staff). The number is matched without regard to case; an unknown number, or one of the wrong shape, is 404.")
            .param(In::Path, "number", true, json!({"type": "string", "maxLength": 32}), None)
            .answer(200, "The case and its timeline", Body::Json(typed::<TrackedCase>))
            .problems(&[404]),
        Op::new(Method::Get, "/api/v1/worklist", "cases", "An inspector's work list: every open case of their cells (reported, registered, dispatched, in progress, handled); with cursor, only the cases changed since (upsert or removed)")
            .param(In::Query, "cursor", false, json!({"type": "integer", "minimum": 0}), "next_cursor of an earlier answer (an event sequence number); absent or 0 for the full list")
            .answer(200, "Work list", Body::Json(typed::<WorklistPage>))
            .problems(&[400, 401, 403]),
        Op::new(Method::Get, "/api/v1/stats", "statistics", "Case statistics for a time range, grouped by area, category, handling unit or channel, as JSON or CSV (definitions: docs/statistics.md)")
            .describe("Counts from the audit trail: received, registered, closed; closure rate (结案率), on-time closure rate (按期结案率), rework rate (返工率), extension rate (延期率); mean and p90 handling time in working hours; mean citizen rating. Scope: an admin counts the city, a district admin its district, a dispatcher their street, a viewer its area, a handler their unit; citizens and inspectors get 403. Format: `format` decides; without it `Accept: text/csv` gets CSV, anything else JSON. An unknown or repeated parameter is 400 `invalid_query`, a bad value 422 `invalid_field`, both naming the parameter in `field`.")
            .param(In::Query, "from", true, instant_or_date(), "Start of the range, included: RFC 3339, or a date YYYY-MM-DD (00:00 Asia/Shanghai)")
            .param(In::Query, "to", true, instant_or_date(), "End of the range, excluded: RFC 3339, or a date YYYY-MM-DD meaning the end of that day; at most 366 days after from")
            .param(In::Query, "group_by", false, json!({"type": "string", "enum": ["district", "street", "community", "grid", "category", "unit", "channel", "day"]}), "What the groups are (default street)")
            .param(In::Query, "area", false, json!({"type": "string", "pattern": "^[0-9]{6}([0-9]{3}){0,3}$"}), "Only cases in this district, street, community or grid (6, 9, 12 or 15 digits); a dispatcher's must lie in their street")
            .param(In::Query, "category", false, json!({"type": "string", "pattern": CATEGORY_CODE_PATTERN}), "Only cases of this category code")
            .param(In::Query, "channel", false, json!({"type": "string", "enum": ["app", "inspector", "web", "hotline", "open311", "sensor"]}), "Only cases that came in by this channel")
            .param(In::Query, "format", false, json!({"type": "string", "enum": ["json", "csv"]}), "json or csv; overrides Accept")
            .answer(200, "The figures per group and in total", Body::Json(typed::<StatisticsAnswer>))
            .answer(200, "The figures per group and in total", Body::Untyped("text/csv", json!({"type": "string"})))
            .problems(&[400, 401, 403, 422]),
        Op::new(Method::Get, "/api/v1/warnings/charts", "statistics", "Early warning: each place's daily reports against its baseline, on a CUSUM or EWMA chart, the day under way judged as its reports arrive")
            .describe("A place's expected count on a day is its reports over the 28 days before, spread by day effects (weekday, public holiday, weekend day worked in exchange) estimated on the caller's whole scope; the day under way is expected in proportion to the share of it elapsed. Days are the city's; the reports are counted from the per-day summaries, by the cell each case is in now. Places that signal today come first, then by the chart's value. Scope: an admin and a viewer see the city or their area, a district admin its district, a dispatcher their street; others get 403. An unknown or repeated parameter is 400 `invalid_query`, a bad value 422 `invalid_field`, both naming the parameter in `field`.")
            .param(In::Query, "level", false, json!({"type": "string", "enum": ["grid", "community", "street"]}), "What a place is (default grid)")
            .param(In::Query, "category", false, json!({"type": "string", "pattern": CATEGORY_CODE_PATTERN}), "Only reports of this category code (default every category)")
            .param(In::Query, "class", false, json!({"type": "string", "pattern": CATEGORY_CLASS_PATTERN}), "Only reports of this major class (kind letter and two digits, E05), its categories together; not with category")
            .param(In::Query, "chart", false, json!({"type": "string", "enum": ["cusum", "ewma"]}), "Which chart (default cusum: k = 0.5, h = 4; ewma: lambda = 0.3, 3 sigma)")
            .param(In::Query, "days", false, json!({"type": "integer", "minimum": 1, "maximum": CHARTED_DAYS}), "Whole days charted before today (default 14)")
            .param(In::Query, "limit", false, json!({"type": "integer", "minimum": 1, "maximum": CHARTED_PLACES}), "Places answered (default 50)")
            .answer(200, "The charts, signalling places first", Body::Json(typed::<WarningCharts>))
            .problems(&[400, 401, 403, 422]),
        with_scan_parameters(Op::new(Method::Get, "/api/v1/warnings/scan", "statistics", "Early warning: the prospective space-time permutation scan over the caller's cells, the clusters of the last days with their recurrence intervals and cases")
            .describe("Kulldorff's space-time permutation scan: circles of up to `max_cells` nearest cells within `radius_m`, windows of the last 1 to `max_window_days` days ending today, each expecting (its cells' reports over the period) × (its days' reports over the scope) / (all reports). Significance from `replications` shuffles of the reports' days; the recurrence interval is 1 / p days of daily analyses. The most likely cluster comes first, then clusters sharing no cell with an earlier one. Deterministic for a seed (default today's date). Scope: an admin and a viewer see the city or their area, a dispatcher their street; others get 403. An unknown or repeated parameter is 400 `invalid_query`, a bad value 422 `invalid_field`, both naming the parameter in `field`."))
            .answer(200, "The clusters, the most likely first", Body::Json(typed::<WarningScan>))
            .problems(&[400, 401, 403, 422]),
        with_scan_parameters(Op::new(Method::Post, "/api/v1/warnings/scan", "statistics", "Early warning: run the space-time scan and keep each cluster at least min_recurrence_days rare as a signal, growing the live signal it shares a cell with")
            .describe("The same scan as GET /api/v1/warnings/scan (same parameters). Each cluster whose recurrence interval is at least `min_recurrence_days` (default 200) becomes a signal: a new one, or the live (open or acknowledged) signal of the same method and category or class it shares a cell with, grown (its findings replaced, `runs` one more, its version one more). Runs of one method and category or class take turns in the database, so two at once never raise two signals for one cluster. The daily schedule (`GRIDLINE_WARNING_SCAN_AT`) runs this same scan for each category class. Admins, district admins and dispatchers, over their scope; viewers, units, inspectors and citizens get 403.")
            .bearer())
            .param(In::Query, "min_recurrence_days", false, json!({"type": "number", "minimum": 1}), "The rarest a cluster must be to become a signal, in days (default 200)")
            .answer(200, "The scan, and the signals raised and grown", Body::Json(typed::<ScanRun>))
            .problems(&[400, 401, 403, 422]),
        Op::new(Method::Get, "/api/v1/warnings/signals", "statistics", "Early-warning signals whose centre cell is in the caller's scope, newest first")
            .describe("Admins, district admins and viewers see the city or their area, a dispatcher their street; others get 403. At most the 500 newest of the scope. Each signal carries the steps the caller may take on it (`actions`). An unknown or repeated parameter is 400 `invalid_query`, a bad state 422 `invalid_field`.")
            .bearer()
            .param(In::Query, "state", false, json!({"type": "string", "enum": ["open", "acknowledged", "dismissed", "case_opened", "topic_opened"]}), "Only signals in this state")
            .answer(200, "The signals", Body::Json(typed::<SignalList>))
            .problems(&[400, 401, 403, 422]),
        Op::new(Method::Get, "/api/v1/warnings/signals/{id}", "statistics", "One early-warning signal, with its ETag")
            .bearer()
            .param(In::Path, "id", true, json!({"type": "string"}), None)
            .answer(200, "The signal", Body::Json(typed::<SignalView>))
            .problems(&[401, 403, 404]),
        Op::new(Method::Post, "/api/v1/warnings/signals/{id}/actions", "statistics", "A step on a signal: acknowledge, dismiss with a reason, open a case (an inspector sent to look) or open a topic (its place and category tracked together)")
            .describe("Dispatchers, district admins and admins whose scope holds the signal, with If-Match carrying its ETag (428 `precondition_required` without it, 409 `version_mismatch` when stale). `dismiss` needs a `reason` (422 `reason_required`); a step from a settled state is 409 `signal_not_from_state`; a viewer is 403. `open_case` files a case through the report intake at a point inside the centre cell, in the signal's category, or for a signal of a class or of every report in the `category` the body names (422 naming `category` otherwise); the case's id is the signal's `case_id`. `open_topic` adopts the topic of the signal's centre cell and category (the body's `category` for a signal of a class or of every report), of the city's current month, with an `owner_unit` (an active handling unit, 422 `unknown_unit` otherwise) or a `note` (422 `owner_required` without either); the signal need not be a month's candidate. The topic's id is the signal's `topic_id`, and the topic names the signal (`from_signal`, `signals`). When the place and category already have a live topic, the signal joins it instead of opening a second.")
            .bearer()
            .param(In::Path, "id", true, json!({"type": "string"}), None)
            .param(In::Header, "If-Match", true, json!({"type": "string", "minLength": 2, "pattern": ENTITY_TAG_PATTERN}), "\"<version>\" from the signal's ETag")
            .body("application/json", true, typed::<SignalStepRequest>)
            .answer(200, "The signal after the step", Body::Json(typed::<SignalView>))
            .problems(&[400, 401, 403, 404, 409, 422, 428]),
        Op::new(Method::Get, "/api/v1/warnings/topics", "statistics", "Topics (每月一题): the categories and places whose problems keep coming back after closure in a month, ranked with their trend, and the topics adopted from them")
            .describe("A report of a category in a place is a recurrence when another case of that category there was closed at most 90 days before it; a reopened case is one at its reopening. A candidate has at least 2 recurrences in the month (the city's calendar); it ranks by them, then by its trend (the month's recurrences minus the mean of the three months before), then by the distinct closures they came back after. Each case is in the place its row names now. Scope: admins and viewers see the city or their area, a district admin its district, a dispatcher their street; others get 403. An unknown or repeated parameter is 400 `invalid_query`, a bad value (a month not YYYY-MM or not begun yet, an unknown level, a bad category code or limit) 422 `invalid_field` naming it.")
            .bearer()
            .param(In::Query, "month", false, json!({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$", "example": "2026-11"}), "The month ranked, YYYY-MM (default the city's current month)")
            .param(In::Query, "level", false, json!({"type": "string", "enum": ["cell", "community", "street"], "example": "cell"}), "What a place is (default cell)")
            .param(In::Query, "category", false, json!({"type": "string", "pattern": CATEGORY_CODE_PATTERN, "example": "E0101"}), "Only this category (default every category)")
            .param(In::Query, "limit", false, json!({"type": "integer", "minimum": 1, "maximum": 200, "example": 20}), "Candidates answered (default 20)")
            .answer(200, "The month's candidates, best first, and its adopted topics", Body::Json(typed::<TopicsOfMonth>))
            .problems(&[400, 401, 403, 422]),
        Op::new(Method::Post, "/api/v1/warnings/topics", "statistics", "Adopt a candidate of a month as a topic: its cases, and the reports of its category in its place from now on, are tracked together")
            .describe("Admins, district admins and dispatchers whose scope holds the place (another place is 404). Needs an `owner_unit` (an active handling unit, 422 `unknown_unit` otherwise) or a `note` (422 `owner_required` without either). A place and category that are not a candidate of the month are 422 `not_a_candidate`. 201 with the topic and its ETag; when the place and category already have a live topic, 200 with that topic instead of a second one.")
            .bearer()
            .body("application/json", true, typed::<AdoptTopicRequest>)
            .body_examples(json!({"owner_unit": {"summary": "Street A's roads unit takes on the potholes of one cell", "value": {"month": "2026-11", "level": "cell", "place": "310104001001001", "category": "E0101", "owner_unit": "U-ROADS", "note": "Resurface the lane instead of patching it"}}, "note_only": {"summary": "A community's topic, owned by the street office's note", "value": {"month": "2026-11", "level": "community", "place": "310104001001", "category": "E0101", "note": "街道城管科牵头 (the street office's city management section leads)"}}}))
            .answer(201, "The topic adopted", Body::Json(typed::<TopicView>))
            .answer(200, "The live topic of this place and category, adopted earlier", Body::Json(typed::<TopicView>))
            .problems(&[400, 401, 403, 404, 422]),
        Op::new(Method::Get, "/api/v1/warnings/topics/{id}", "statistics", "One topic with its ETag, its cases as they are now and their open, closed and overdue counts")
            .describe("Its cases: those found when it was adopted, and the reports of its category in its place since, until it was resolved or dropped. Outside the caller's scope 404.")
            .bearer()
            .param(In::Path, "id", true, json!({"type": "string"}), None)
            .answer(200, "The topic", Body::Json(typed::<TopicView>))
            .problems(&[401, 403, 404]),
        Op::new(Method::Post, "/api/v1/warnings/topics/{id}/actions", "statistics", "A step on a topic: resolve it (a reason may say how) or drop it with a reason")
            .describe("Dispatchers, district admins and admins whose scope holds the topic's place, with If-Match carrying its ETag (428 `precondition_required` without it, 409 `version_mismatch` when stale). `drop` needs a `reason` (422 `reason_required`); a step on a resolved or dropped topic is 409 `topic_not_from_state`; a viewer is 403. Once settled, new reports no longer join it.")
            .bearer()
            .param(In::Path, "id", true, json!({"type": "string"}), None)
            .param(In::Header, "If-Match", true, json!({"type": "string", "minLength": 2, "pattern": ENTITY_TAG_PATTERN}), "\"<version>\" from the topic's ETag")
            .body("application/json", true, typed::<TopicStepRequest>)
            .body_examples(json!({"resolve": {"summary": "The lane was resurfaced", "value": {"action": "resolve", "reason": "Resurfaced in full on 2 December"}}, "drop": {"summary": "Handed to the district", "value": {"action": "drop", "reason": "The district's road works take it over"}}}))
            .answer(200, "The topic after the step", Body::Json(typed::<TopicView>))
            .problems(&[400, 401, 403, 404, 409, 422, 428]),
        Op::new(Method::Post, "/api/v1/admin/grids", "admin", "Replace a district's or street's grid cells from GeoJSON (all problems reported at once)")
            .bearer()
            .param(In::Query, "area", true, json!({"type": "string", "pattern": DISTRICT_OR_STREET_PATTERN}), "A district (6 digits) or street (9 digits) code")
            .body_schema("application/geo+json", true, json!({"type": "object"}))
            .answer(200, "Imported", Body::Json(typed::<GridImported>))
            .problems(&[400, 401, 403, 413, 415, 422]),
        Op::new(Method::Get, "/api/v1/admin/categories", "admin", "Every category, for editing")
            .bearer()
            .answer(200, "Categories", Body::Json(typed::<CategoryList>))
            .problems(&[401, 403]),
        Op::new(Method::Post, "/api/v1/admin/categories", "admin", "Create a category (names, time limit, anonymity rule, duplicate radius, default unit, questions), checked with the taxonomy rules")
            .bearer()
            .body("application/json", true, new_category)
            .answer(201, "Created", Body::Json(typed::<Category>))
            .problems(&[401, 403, 409, 422]),
        Op::new(Method::Patch, "/api/v1/admin/categories/{code}", "admin", "Edit a category; only the given fields change and the next report uses them")
            .bearer()
            .param(In::Path, "code", true, json!({"type": "string", "pattern": "^[CE][0-9]{4}$"}), "Category code (C = component, E = event; major + minor class)")
            .body("application/json", true, category_patch)
            .answer(200, "The edited category", Body::Json(typed::<Category>))
            .problems(&[401, 403, 404, 422]),
        Op::new(Method::Get, "/api/v1/admin/units", "admin", "Every handling unit, retired ones too")
            .bearer()
            .answer(200, "Units", Body::Json(typed::<UnitList>))
            .problems(&[401, 403]),
        Op::new(Method::Post, "/api/v1/admin/units", "admin", "Create a handling unit (code, zh, en, contact, categories it handles, area)")
            .bearer()
            .body("application/json", true, typed::<NewUnit>)
            .answer(201, "The created unit", Body::Json(typed::<Unit>))
            .problems(&[401, 403, 409, 422]),
        Op::new(Method::Patch, "/api/v1/admin/units/{code}", "admin", "Edit a unit; {\"active\": false} retires it, {\"active\": true} reinstates it")
            .bearer()
            .param(In::Path, "code", true, json!({"type": "string"}), None)
            .body("application/json", true, typed::<UnitPatch>)
            .answer(200, "The edited unit", Body::Json(typed::<Unit>))
            .problems(&[401, 403, 404, 422]),
        Op::new(Method::Delete, "/api/v1/admin/units/{code}", "admin", "Refused: a unit is retired, never deleted (409 units_are_retired)")
            .bearer()
            .param(In::Path, "code", true, json!({"type": "string"}), None)
            .answer(200, "never", Body::Untyped("application/json", json!({"type": "object"})))
            .problems(&[401, 403, 409]),
        Op::new(Method::Get, "/api/v1/coverage", "cases", "Coverage: cells without an inspector, inspectors holding cells of the area, and (admins) inspectors without cells")
            .describe("A dispatcher reads their street; an admin the city or the district or street in `area`.")
            .bearer()
            .param(In::Query, "area", false, json!({"type": "string", "pattern": AREA_CODE_PATTERN}), "A district, street, community or grid code (admins; a dispatcher may narrow inside their street)")
            .answer(200, "Coverage", Body::Json(typed::<Coverage>))
            .problems(&[400, 401, 403, 422]),
        Op::new(Method::Post, "/api/v1/coverage/assign", "cases", "Give a grid cell to an inspector ({grid, inspector_id}), taking it from whoever held it")
            .describe("A dispatcher assigns cells of their street to an inspector whose cells (if any) are all in it. The inspector's sessions end (their scope is in the token).")
            .bearer()
            .body("application/json", true, typed::<Assignment>)
            .answer(200, "The inspector and their cells", Body::Json(typed::<InspectorCells>))
            .problems(&[401, 403, 422]),
        Op::new(Method::Get, "/api/v1/desk", "cases", "The street office's figures for the caller's area: stranded cases (in no grid cell), handled cases awaiting verification and those in cells no inspector covers, and handled cases closed without verification")
            .describe("The triage queue itself is GET /api/v1/cases?triage=true; a case leaves it by the relocate step. A case in no cell is counted for the street office (and district) of the cell nearest to its position, and for the city.")
            .bearer()
            .answer(200, "Desk figures", Body::Json(typed::<crate::api::cases::desk::DeskFigures>))
            .problems(&[401, 403]),
        Op::new(Method::Post, "/api/v1/me/password", "auth", "Change your own password ({current_password, new_password}); every session of the account ends")
            .describe("Staff accounts only (403 for citizens). A wrong current password is 422 on current_password, a weak new one 422 on new_password. Sign in again with the new password.")
            .bearer()
            .body("application/json", true, typed::<PasswordChange>)
            .answer(200, "Changed; every session ended", Body::Json(typed::<PasswordChanged>))
            .problems(&[401, 403, 422]),
        Op::new(Method::Get, "/api/v1/street/users", "street", "A street office's own inspectors and handlers")
            .describe("Dispatchers only. The street's inspectors (every cell they hold in the street) and the handlers of its handling units (a unit whose area lies in the street).")
            .bearer()
            .answer(200, "The street and its accounts", Body::Json(typed::<StreetUsers>))
            .problems(&[401, 403]),
        Op::new(Method::Post, "/api/v1/street/users", "street", "A street office creates an inspector or a handler of its street")
            .describe("Dispatchers only. `role` inspector with `scope` {kind: grids} of cells in the street (at least one), or handler with {kind: unit} of an active unit whose area lies in the street; anything else is 422 naming `role` or `scope`. Without `password` one is generated and answered once as `initial_password`.")
            .bearer()
            .body("application/json", true, new_street_account)
            .answer(201, "The account, and the generated password once", Body::Json(typed::<Created>))
            .problems(&[401, 403, 409, 422]),
        Op::new(Method::Patch, "/api/v1/street/users/{id}", "street", "A street office renames, disables or resets one of its inspectors or handlers")
            .describe("Dispatchers only; another street's account (or any other) is 404. `reset_password: true` answers a one-time password once as `one_time_password`; it signs in only together with a new password.")
            .bearer()
            .param(In::Path, "id", true, json!({"type": "string"}), None)
            .body("application/json", true, typed::<PatchStreetUser>)
            .answer(200, "The account (with `one_time_password` after a reset)", Body::Json(typed::<Patched>))
            .problems(&[401, 403, 404, 422]),
        Op::new(Method::Get, "/api/v1/me/notifications", "notifications", "How the caller is told about their reports' public changes")
            .describe("Channels (SMS to the phone number the account signed in with, app push to its registered devices, e-mail to the address given here) and the language of the notices. Without a saved choice: every channel the account has an address for, in Chinese.")
            .bearer()
            .answer(200, "Preferences and the addresses on file", Body::Json(typed::<NotificationSettings>))
            .problems(&[401]),
        Op::new(Method::Put, "/api/v1/me/notifications", "notifications", "Set how the caller is told about their reports' public changes")
            .bearer()
            .body("application/json", true, notification_preferences)
            .answer(200, "Saved", Body::Json(typed::<NotificationSettings>))
            .problems(&[400, 401, 422]),
        Op::new(Method::Post, "/api/v1/me/push-tokens", "notifications", "Register a device's push token for the caller")
            .describe("Registering again is harmless; a token registered by another account moves to the caller (one device, one signed-in account). Each account keeps its newest ten tokens.")
            .bearer()
            .body("application/json", true, typed::<PushTokenRequest>)
            .answer(201, "Registered", Body::Json(typed::<RegisteredToken>))
            .problems(&[400, 401, 422]),
        Op::new(Method::Delete, "/api/v1/me/push-tokens/{token}", "notifications", "Forget one of the caller's push tokens (on sign-out, or when the platform rotates it)")
            .bearer()
            .param(In::Path, "token", true, json!({"type": "string"}), None)
            .answer(204, "Forgotten", Body::Empty)
            .problems(&[401, 404]),
        Op::new(Method::Get, "/api/v1/cases/{id}/notifications", "notifications", "The case's notification log: what was told to whom, by which channel, and whether it arrived")
            .describe("The reporter reads the notices sent to them; dispatchers, district admins and admins whose scope holds the case read all of them. Handling units, inspectors and viewers: 403 `forbidden` (the log names the reporter's addresses, masked). Anyone else: 404.")
            .bearer()
            .param(In::Path, "id", true, json!({"type": "string", "format": "uuid"}), None)
            .answer(200, "The log, oldest first", Body::Json(typed::<NotificationLog>))
            .problems(&[401, 403, 404]),
        Op::new(Method::Get, "/api/v1/callbacks", "callbacks", "Call-backs (回访) of the caller's area: due ones (oldest closing first, with the reporter's number), or with done=true the ones made (newest first, with the answer)")
            .describe("Operators, dispatchers and admins, cut to their scope; anyone else 403. A task exists for each closing of a citizen's own, not anonymous report from an account with a phone number. Record the answer with the `call_back` action (`satisfaction`; `resolved`, whether the reporter says the problem is solved, which the resolution rate counts; `note`). `done=true&satisfaction=dissatisfied` is the street office's list to decide on when GRIDLINE_CALLBACK_REWORK=dispatcher.")
            .bearer()
            .param(In::Query, "done", false, json!({"type": "boolean"}), None)
            .param(In::Query, "satisfaction", false, json!({"type": "string", "enum": ["satisfied", "basically_satisfied", "dissatisfied"]}), "only with done=true")
            .param(In::Query, "limit", false, json!({"type": "integer", "minimum": 1, "maximum": CALLBACKS_LISTED}), None)
            .answer(200, "The tasks", Body::Json(typed::<CallbackList>))
            .problems(&[400, 401, 403, 422]),
        Op::new(Method::Post, "/api/v1/hotline/calls", "hotline", "Take a hotline call (12345): a case with the channel `hotline`, or a consultation answered on the call, a transfer, or a caller linked to an open case")
            .describe("Operators only; anyone else 403. The time limit comes from the call's type and urgency (GRIDLINE_HOTLINE_LIMITS), not the category. Every question of the category is checked as in a report. `answer` (consultation only) closes the order at once with the `answer` step; `transfer` closes it with the `transfer` step and records where it went; `same_as` (tracking number or id of an open case in scope) makes no case and links the call to it (200; a closed or turned-down case: 409 case_not_open). A caller with a number who is not anonymous becomes the reporter through the citizen account of that number, so call-backs and notices reach them. The number and name are kept sealed. A retry with the same Idempotency-Key answers 200 with the same case.")
            .bearer()
            .param(In::Header, "Idempotency-Key", true, json!({"type": "string", "format": "uuid"}), "Client-generated UUID, per operator. The same key returns the first result.")
            .body("application/json", true, typed::<CallRequest>)
            .answer(201, "Order created (and closed at once when answered or transferred)", Body::Json(typed::<CallReceipt>))
            .answer(200, "A retry of the same call, or a call linked to an open case", Body::Json(typed::<CallReceipt>))
            .problems(&[400, 401, 403, 404, 409, 413, 415, 422, 503]),
        Op::new(Method::Get, "/api/v1/hotline/calls/{case}", "hotline", "The hotline calls about a case, with their callers as the asker may see them")
            .describe("Operators, dispatchers and admins whose scope holds the case; anyone else 403. A caller who asked for confidentiality is shown to operators only: to the others the number and name are left out.")
            .bearer()
            .param(In::Path, "case", true, json!({"type": "string"}), "The case's id or tracking number")
            .answer(200, "The calls, oldest first", Body::Json(typed::<CallList>))
            .problems(&[401, 403, 404]),
        Op::new(Method::Get, "/api/v1/hotline/places", "hotline", "Addresses and road segments of the gazetteer matching an address typed in part, shortest name first (at most 10)")
            .describe("Operators, dispatchers and admins; anyone else 403. The text is cut at white space and punctuation; an entry matches when its name holds every piece, ignoring case, white space, punctuation and full-width forms.")
            .bearer()
            .param(In::Query, "q", true, json!({"type": "string", "maxLength": 200}), None)
            .answer(200, "The matches", Body::Json(typed::<PlaceMatches>))
            .problems(&[400, 401, 403, 422]),
        Op::new(Method::Post, "/api/v1/admin/gazetteer", "hotline", "Import addresses and road segments into the hotline's gazetteer (CSV name,lat,lon[,kind] or GeoJSON Points and LineStrings with a name); all or nothing, an entry of a known name replaces it")
            .describe("Admins only. Every problem of the file is listed in `problems` (422 invalid_gazetteer) and nothing is stored.")
            .bearer()
            .body_schema("text/csv", true, json!({"type": "string"}))
            .answer(200, "Imported", Body::Json(typed::<GazetteerImported>))
            .problems(&[400, 401, 403, 413, 415, 422]),
        Op::new(Method::Get, "/api/v1/hotline/form", "hotline", "A call's types, urgencies and transfer destinations, in core's order and words, with the choices a new call starts on")
            .describe("Operators, dispatchers and admins; anyone else 403. The operator console fills its form from this answer.")
            .bearer()
            .answer(200, "The choices", Body::Json(typed::<HotlineForm>))
            .problems(&[401, 403]),
        Op::new(Method::Get, "/api/v1/hotline/codes", "hotline", "The hotline's own category codes (GB/T 39666 style) and the category each maps to")
            .describe("Operators, dispatchers and admins; anyone else 403. The city edits the table with PUT and DELETE /api/v1/admin/hotline-codes/{code}.")
            .bearer()
            .answer(200, "The codes, in code order", Body::Json(typed::<HotlineCodes>))
            .problems(&[401, 403]),
        Op::new(Method::Put, "/api/v1/admin/hotline-codes/{code}", "hotline", "Create or change a hotline code and the category it maps to")
            .describe("Admins only. The category must exist.")
            .bearer()
            .param(In::Path, "code", true, hotline_code(), None)
            .body("application/json", true, hotline_code_edit)
            .answer(201, "Created", Body::Json(typed::<HotlineCode>))
            .answer(200, "Changed", Body::Json(typed::<HotlineCode>))
            .problems(&[400, 401, 403, 413, 415, 422]),
        Op::new(Method::Delete, "/api/v1/admin/hotline-codes/{code}", "hotline", "Remove a hotline code (calls taken under it keep it)")
            .bearer()
            .param(In::Path, "code", true, hotline_code(), None)
            .answer(204, "Removed", Body::Empty)
            .problems(&[401, 403, 404]),
        Op::new(Method::Post, "/api/v1/patrol/positions", "patrol", "An inspector's phone uploads patrol positions recorded on duty (1 to 500); each is routed to its cell and stored once, so a batch sent again stores nothing new")
            .body("application/json", true, typed::<PositionsBody>)
            .answer(200, "Stored", Body::Json(typed::<PositionsStored>))
            .problems(&[400, 401, 403, 422]),
        Op::new(Method::Get, "/api/v1/patrol/coverage", "patrol", "A street office's patrol coverage on one day (the city's time zone): cells visited of the cells assigned to its inspectors, per inspector with the time in each cell; no raw positions")
            .param(In::Query, "day", true, json!({"type": "string", "format": "date"}), None)
            .answer(200, "Coverage", Body::Json(typed::<StreetCoverage>))
            .problems(&[400, 401, 403, 422]),
        Op::new(Method::Post, "/api/v1/sensors/alarms", "sensors", "Send alarms (one, or a batch of up to 1,000)")
            .describe("A sending system posts its devices' alarms and all-clears with its own key. The batch is applied in one transaction and answered message by message, in order: `raised` (a new alarm), `repeated` (counted on the active alarm of that device and kind), `cleared`, `nothing_active` (an all-clear with no active alarm) or `replayed`. Alarms become cases by the city's rules (confirmation by duration, a second device or a person; grouping per kind and cell within a window; flapping devices flagged faulty). A batch with a device of another system, an unknown kind or a reused id stores nothing.")
            .sensor_key()
            .body("application/json", true, alarm_or_batch)
            .body_examples(json!({"manhole_cover": {"summary": "A manhole cover tilted over 15°", "value": {"id": "a-manhole_cover-0001", "alertSource": "manhole-0042", "category": "manhole_cover", "subCategory": "tilt", "severity": "high", "dateIssued": "2026-12-03T08:15:00Z", "value": 17.5, "unit": "deg"}}, "water_level": {"summary": "Water on the road above the gauge's threshold", "value": {"id": "a-water_level-0001", "alertSource": "water-0042", "category": "water_level", "subCategory": "road", "severity": "medium", "dateIssued": "2026-12-03T08:15:00Z", "value": 0.32, "unit": "m", "validFrom": "2026-12-03T08:15:00Z", "validTo": "2026-12-03T12:00:00Z"}}, "smoke": {"summary": "Smoke detected outdoors", "value": {"id": "a-smoke-0001", "alertSource": "smoke-0042", "category": "smoke", "subCategory": "outdoor", "severity": "critical", "dateIssued": "2026-12-03T08:15:00Z", "value": 812, "unit": "ppm"}}, "illegal_parking_camera": {"summary": "A camera sees a car parked where it may not", "value": {"id": "a-illegal_parking_camera-0001", "alertSource": "illegal-0042", "category": "illegal_parking_camera", "subCategory": "no_parking_zone", "severity": "low", "dateIssued": "2026-12-03T08:15:00Z", "mediaUrl": "https://cameras.example.org/frames/0042.jpg"}}, "overflowing_bin": {"summary": "A bin's fill sensor reads full", "value": {"id": "a-overflowing_bin-0001", "alertSource": "overflowing-0042", "category": "overflowing_bin", "subCategory": "fill_level", "severity": "medium", "dateIssued": "2026-12-03T08:15:00Z", "value": 98, "unit": "%"}}, "lone_elder_water_meter": {"summary": "The water meter of an elder living alone stayed still for 12 hours", "value": {"id": "a-lone_elder_water_meter-0001", "alertSource": "lone-0042", "category": "lone_elder_water_meter", "subCategory": "no_flow", "severity": "high", "dateIssued": "2026-12-03T08:15:00Z", "value": 12, "unit": "h"}}, "all_clear": {"summary": "The all-clear of the manhole cover's alarm", "value": {"id": "a-manhole_cover-0002", "alertSource": "manhole-0042", "category": "manhole_cover", "subCategory": "tilt", "severity": "low", "dateIssued": "2026-12-03T08:15:00Z", "value": 2.0, "unit": "deg", "status": "cleared"}}, "batch": {"summary": "A batch", "value": {"alarms": [{"id": "a-water_level-0001", "alertSource": "water-0042", "category": "water_level", "subCategory": "road", "severity": "medium", "dateIssued": "2026-12-03T08:15:00Z", "value": 0.32, "unit": "m"}, {"id": "a-water_level-0002", "alertSource": "water-0042", "category": "water_level", "subCategory": "road", "severity": "medium", "dateIssued": "2026-12-03T08:15:00Z", "value": 0.35, "unit": "m"}]}}}))
            .answer(200, "Every message's outcome, in the order sent", Body::Json(typed::<BatchResult>))
            .problems(&[400, 401, 403, 409, 413, 422]),
        Op::new(Method::Post, "/api/v1/sensors/alarms/{id}/confirm", "sensors", "Confirm a pending alarm from the review queue")
            .describe("Admin, or a district admin or dispatcher whose area holds the alarm's cell. The alarm joins its kind's open group in its cell, or opens one (and its case).")
            .bearer()
            .param(In::Path, "id", true, json!({"type": "string"}), None)
            .answer(200, "Confirmed", Body::Json(typed::<ConfirmedAlarm>))
            .problems(&[401, 403, 404, 409]),
        Op::new(Method::Post, "/api/v1/sensors/devices/{id}/repaired", "sensors", "Mark a device flagged faulty as repaired: its alarms open cases again")
            .describe("Admin, or a district admin or dispatcher whose area holds the device's cell. Its flapping count starts afresh; its past alarms keep their states. A device that is not faulty answers 409 `device_not_faulty`.")
            .bearer()
            .param(In::Path, "id", true, json!({"type": "string"}), None)
            .answer(200, "The device, healthy", Body::Json(typed::<DeviceRow>))
            .problems(&[401, 403, 404, 409]),
        Op::new(Method::Get, "/api/v1/sensors/review", "sensors", "The review queue: alarms waiting for confirmation, with their device and media")
            .bearer()
            .answer(200, "Oldest first (at most 500), within the caller's scope", Body::Json(typed::<ReviewQueue>))
            .problems(&[401, 403]),
        Op::new(Method::Get, "/api/v1/sensors/overview", "sensors", "Active alarms per cell, alarm groups (a storm is one), faulty devices")
            .bearer()
            .answer(200, "Within the caller's scope", Body::Json(typed::<SensorOverview>))
            .problems(&[401, 403]),
        Op::new(Method::Get, "/api/v1/admin/sensor-systems", "admin", "List the sensor systems (never their keys)")
            .bearer()
            .answer(200, "Newest first", Body::Json(typed::<SensorSystems>))
            .problems(&[401, 403]),
        Op::new(Method::Post, "/api/v1/admin/sensor-systems", "admin", "Register a sensor system and issue its key")
            .describe("The key (`glsen_...`) is answered once; only its SHA-256 is stored.")
            .bearer()
            .body("application/json", true, typed::<CreateSystem>)
            .answer(201, "Registered", Body::Json(typed::<CreatedSystem>))
            .problems(&[401, 403, 422]),
        Op::new(Method::Delete, "/api/v1/admin/sensor-systems/{id}", "admin", "Revoke a sensor system's key")
            .bearer()
            .param(In::Path, "id", true, json!({"type": "string"}), None)
            .answer(200, "Revoked", Body::Json(typed::<SystemRow>))
            .problems(&[401, 403, 404]),
        Op::new(Method::Post, "/api/v1/admin/sensor-systems/{id}/devices", "admin", "Import a system's devices (CSV or GeoJSON)")
            .describe("CSV: a header naming `id`, `kind`, `lat`, `lon`, `owning_unit`, then one device per line (RFC 4180 quoting). GeoJSON: a FeatureCollection of Points with properties `id`, `kind`, `owning_unit`. Each position is routed to its grid cell; a device outside every cell, or an id of another system, refuses the whole import (422 `invalid_devices`, every problem listed). A device imported again is updated.")
            .bearer()
            .param(In::Path, "id", true, json!({"type": "string"}), None)
            .body_schema("text/csv", true, json!({"type": "string"}))
            .answer(200, "Imported", Body::Json(typed::<Imported>))
            .problems(&[401, 403, 404, 413, 415, 422]),
        Op::new(Method::Get, "/api/v1/admin/sensor-rules", "admin", "The city's rule per alarm kind (the shipped defaults until edited)")
            .bearer()
            .answer(200, "By kind", Body::Json(typed::<SensorRules>))
            .problems(&[401, 403]),
        Op::new(Method::Put, "/api/v1/admin/sensor-rules/{kind}", "admin", "Create or replace the rule of one alarm kind")
            .describe("The category must exist and the answers must satisfy its questions.")
            .bearer()
            .param(In::Path, "kind", true, json!({"type": "string"}), None)
            .body("application/json", true, typed::<AlarmRule>)
            .answer(200, "Saved", Body::Json(typed::<AlarmRule>))
            .problems(&[400, 401, 403, 422]),
        Op::new(Method::Get, "/api/v1/admin/users", "admin", "List accounts")
            .bearer()
            .param(In::Query, "kind", false, json!({"type": "string", "enum": ["staff", "citizen", "device", "any"]}), "Which accounts: staff (the default unless role=citizen), citizens signed in by phone, anonymous device accounts, or any")
            .answer(200, "Accounts", Body::Json(typed::<AccountList>))
            .problems(&[400, 401, 403, 422]),
        Op::new(Method::Post, "/api/v1/admin/users", "admin", "Create a staff account")
            .bearer()
            .body("application/json", true, new_staff_account)
            .answer(201, "Created", Body::Json(typed::<Created>))
            .problems(&[401, 403, 409, 422]),
        Op::new(Method::Get, "/api/v1/admin/users/{id}", "admin", "One account")
            .bearer()
            .param(In::Path, "id", true, json!({"type": "string"}), None)
            .answer(200, "Account", Body::Json(typed::<UserView>))
            .problems(&[401, 403, 404]),
        Op::new(Method::Patch, "/api/v1/admin/users/{id}", "admin", "Change role, scope, name or disable; reset the password")
            .describe("`reset_password: true` replaces the password with a generated one-time password, answered once as `one_time_password`: it signs in only together with a new password (`POST /api/v1/auth/login` with `new_password`). Every session of the account ends.")
            .bearer()
            .param(In::Path, "id", true, json!({"type": "string"}), None)
            .body("application/json", true, staff_account_patch)
            .answer(200, "Account (with `one_time_password` after a reset)", Body::Json(typed::<Patched>))
            .problems(&[401, 403, 404, 422]),
        Op::new(Method::Get, "/api/v1/admin/api-keys", "admin", "List the Open311 API keys (never the keys themselves)")
            .bearer()
            .answer(200, "Keys, newest first, revoked ones included", Body::Json(typed::<ApiKeyList>))
            .problems(&[401, 403]),
        Op::new(Method::Post, "/api/v1/admin/api-keys", "admin", "Issue an Open311 API key")
            .describe("The key is answered once, in `key`; only its SHA-256 is stored. Clients send it as `api_key` to `POST /open311/v2/requests`.")
            .bearer()
            .body("application/json", true, typed::<CreateKey>)
            .answer(201, "Issued", Body::Json(typed::<ApiKeyIssued>))
            .problems(&[401, 403, 422]),
        Op::new(Method::Delete, "/api/v1/admin/api-keys/{id}", "admin", "Revoke an Open311 API key")
            .describe("The key stays listed with `revoked_at`; the cases it brought in keep their origin.")
            .bearer()
            .param(In::Path, "id", true, json!({"type": "string", "format": "uuid"}), None)
            .answer(200, "Revoked", Body::Json(typed::<ApiKeyRow>))
            .problems(&[401, 403, 404]),
        Op::new(Method::Get, "/api/v1/emergencies", "emergency", "Emergency switches (平战转换) whose area the caller's scope meets, newest first")
            .describe("Admins, district admins, dispatchers and viewers; anyone else 403.")
            .bearer()
            .answer(200, "The switches", Body::Json(typed::<EmergencyList>))
            .problems(&[401, 403]),
        Op::new(Method::Post, "/api/v1/emergencies", "emergency", "Switch an area (a district or a street) to wartime command")
            .describe("City admins, and district admins for their own district or a street of it (403 `not_allowed_for_role` for any other role; 403 `forbidden` for an area outside the caller's scope). While it is on, new reports of the area and categories are registered by the system into the command unit's queue (`command_register`) with the level's limits on a 24/7 clock (`limits`). A drill catches only reports marked `drill` (staff only) and is left out of the statistics. 409 `emergency_already_on` when a switch of the same kind (drill or not) is on for the area, an area holding it or one within it; 422 `unknown_unit` (field `command_unit`), an unknown category (`categories[i]`), a commander who cannot dispatch in the area (`commander_id`), `emergency_area_level` (field `area`), `categories_required`.")
            .bearer()
            .body("application/json", true, typed::<SwitchOnRequest>)
            .answer(201, "Switched on (ETag: its version)", Body::Json(typed::<EmergencyView>))
            .problems(&[400, 401, 403, 409, 422]),
        Op::new(Method::Get, "/api/v1/emergencies/{id}", "emergency", "One emergency switch, with its ETag")
            .bearer()
            .param(In::Path, "id", true, json!({"type": "string"}), None)
            .answer(200, "The switch", Body::Json(typed::<EmergencyView>))
            .problems(&[401, 403, 404]),
        Op::new(Method::Post, "/api/v1/emergencies/{id}/actions", "emergency", "A step on a switch: switch_off returns the area to peacetime; open cases under command keep their limits")
            .describe("City admins, and district admins for a switch of their district (404 for a switch outside it), with If-Match carrying the switch's ETag (428 `precondition_required` without it; 409 `version_mismatch` when stale, 409 `not_from_state` when it is ended already).")
            .bearer()
            .param(In::Path, "id", true, json!({"type": "string"}), None)
            .param(In::Header, "If-Match", true, json!({"type": "string", "minLength": 2, "pattern": ENTITY_TAG_PATTERN}), "\"<version>\" from the switch's ETag")
            .body("application/json", true, typed::<SwitchRequest>)
            .answer(200, "The switch after the step", Body::Json(typed::<EmergencyView>))
            .problems(&[400, 401, 403, 404, 409, 422, 428]),
        Op::new(Method::Get, "/api/v1/emergencies/{id}/incident", "emergency", "The incident view: the command queue (with each case's dispatch-by time), the units' open tasks against the span of control, and the timeline of command decisions")
            .bearer()
            .param(In::Path, "id", true, json!({"type": "string"}), None)
            .answer(200, "The incident", Body::Json(typed::<IncidentView>))
            .problems(&[401, 403, 404]),
        Op::new(Method::Get, "/api/v1/emergencies/{id}/summary", "emergency", "The after-action summary: counts, times to dispatch and to handle, overdue, units involved")
            .bearer()
            .param(In::Path, "id", true, json!({"type": "string"}), None)
            .answer(200, "The summary", Body::Json(typed::<AfterActionSummary>))
            .problems(&[401, 403, 404]),
        Op::new(Method::Get, "/api/v1/emergencies/{id}/summary/print", "emergency", "The after-action summary as a printable HTML page")
            .bearer()
            .param(In::Path, "id", true, json!({"type": "string"}), None)
            .answer(200, "HTML page", Body::Untyped("text/html", json!({"type": "string"})))
            .problems(&[401, 403, 404]),
        Op::new(Method::Get, "/api/v1/cases/{id}/joint", "cases", "Joint handling (主办/协办) and disputes (派单异议) of a case: the lead unit, the helper units' parts with the part steps the caller may take, the disputes, the bounces and the district flag, and the case steps the caller may take with all of them counted")
            .describe("Staff whose scope holds the case, and the handlers of a unit with a part on it (who see the case in the staff view through their part), may read it; anyone else 403 `out_of_scope`. The ETag is the case's version, the If-Match of a part step. A joint dispatch is the case step `dispatch` (or `reassign`) with `helpers`; a dispute is the case step `dispute` (the dispatched unit, with a reason, within 2 working hours of the dispatch), decided by `uphold` or `reassign` (the street office, or the district admin for a case in no street, within 4 working hours; a later decision is recorded as late; an undecided dispute past the deadline goes to the district). A case that changed hands more than twice is flagged to the district (`flagged_to_district`).")
            .bearer()
            .param(In::Path, "id", true, json!({"type": "string"}), "The case's id or its tracking number (GL-YYMMDD-XXXXXX, any case)")
            .answer(200, "The case's joint handling", Body::Json(typed::<JointView>))
            .problems(&[401, 403, 404]),
        Op::new(Method::Get, "/api/v1/cases/{id}/verifiers", "cases", "The inspectors a handled case's verification may be given to (指派核查): the enabled inspectors holding a cell of the case's street")
            .describe("The street office or district admin whose scope holds the case, and the city admin; anyone else 403. The step itself is `assign_verifier` with `inspector` (an account id from this list; any other is 422 `unknown_inspector`), taken while the case is handled. That inspector then sees the case and verifies it on site as the cell's own inspectors may.")
            .bearer()
            .param(In::Path, "id", true, json!({"type": "string"}), "The case's id or its tracking number (GL-YYMMDD-XXXXXX, any case)")
            .answer(200, "The candidates", Body::Json(typed::<crate::api::cases::verifiers::VerifierCandidates>))
            .problems(&[401, 403, 404]),
        Op::new(Method::Post, "/api/v1/cases/{id}/parts/{part}/actions", "cases", "Take a step on a helper unit's part (accept, send_back, finish, close); core's part rules decide")
            .describe("If-Match carries the case's ETag (every part step bumps the case's version); without it 428 `precondition_required`, stale 409 `version_mismatch` with `current_state` and `current_version`. The helper unit's handlers accept, send back (with a reason) and finish (with after-photos they uploaded) their part; the lead unit's handlers or the street office close it with a reason. Part steps are taken while the case is dispatched or in progress. Refusals: 403 `not_allowed_for_part`, `out_of_scope`; 409 `part_not_from_state`, `case_not_active`; 422 `reason_required`, `photo_required`, `invalid_field`. Answers the case's joint view.")
            .bearer()
            .param(In::Path, "id", true, json!({"type": "string"}), "The case's id or its tracking number (GL-YYMMDD-XXXXXX, any case)")
            .param(In::Path, "part", true, json!({"type": "string"}), "The part's id, from GET /api/v1/cases/{id}/joint")
            .param(In::Header, "If-Match", true, json!({"type": "string", "minLength": 2, "pattern": ENTITY_TAG_PATTERN}), "\"<version>\" from the case's ETag")
            .body("application/json", true, typed::<PartActionRequest>)
            .answer(200, "The case's joint handling after the step", Body::Json(typed::<JointView>))
            .answer(409, "Not recorded: a stale version or a refusal by the part's facts", Body::Problem(typed::<CaseProblem>))
            .problems(&[400, 401, 403, 404, 422, 428]),
        Op::new(Method::Get, "/api/v1/stats/joint", "statistics", "Per handling unit in the caller's area: helper parts (finished, on time, overdue, sent back, closed by the lead), cases assigned as lead, disputes raised (upheld, reassigned) and the dispute rate")
            .describe("Same roles and scope as /api/v1/stats. Takes no parameters: any is 400 `invalid_query`. Definitions in docs/statistics.md.")
            .bearer()
            .answer(200, "Figures per unit", Body::Json(typed::<JointStats>))
            .problems(&[400, 401, 403]),
    ]
}

/// The formats every Open311 resource answers in, by its suffix.
fn format_param(op: Op) -> Op {
    op.param(
        In::Path,
        "format",
        true,
        json!({ "type": "string", "enum": ["json", "xml"] }),
        Some("`json` or `xml`"),
    )
}

/// The content types of Open311's answers, chosen by the path's suffix.
const OPEN311_TYPES: &[&str] = &["application/json", "text/xml"];

/// An Open311 answer (Open311's own shapes, in JSON or XML from the same node tree).
fn open311() -> Body {
    Body::Alternatives(OPEN311_TYPES, json!({}))
}

/// Open311's error list (`[{"code": 400, "description": "..."}]`), not problem+json.
fn open311_errors(op: Op, statuses: &[u16]) -> Op {
    statuses.iter().fold(op, |op, status| {
        op.answer(
            *status,
            "Open311 errors",
            Body::Alternatives(
                OPEN311_TYPES,
                json!({
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["code", "description"],
                        "properties": { "code": { "type": "integer" }, "description": { "type": "string" } }
                    }
                }),
            ),
        )
    })
}

/// A `{name}.{format}` file segment (`GL-261129-7KQ2MX.json`).
fn file_param(op: Op, what: &'static str) -> Op {
    op.param(
        In::Path,
        "file",
        true,
        json!({ "type": "string", "pattern": "^[^/]+\\.(json|xml)$" }),
        Some(what),
    )
}

/// The Open311 GeoReport v2 operations at `/open311/v2`.
pub fn open311_v2() -> Vec<Op> {
    vec![
        open311_errors(
            format_param(Op::new(
                Method::Get,
                "/open311/v2/discovery.{format}",
                "open311",
                "Endpoint discovery",
            ))
            .answer(200, "Discovery", open311()),
            &[404],
        ),
        open311_errors(
            format_param(Op::new(
                Method::Get,
                "/open311/v2/services.{format}",
                "open311",
                "Service list (the categories)",
            ))
            .answer(200, "Services", open311()),
            &[404],
        ),
        open311_errors(
            file_param(
                Op::new(
                    Method::Get,
                    "/open311/v2/services/{file}",
                    "open311",
                    "A service's definition (its questions)",
                ),
                "service code and format, such as `E0101.json`",
            )
            .answer(200, "Service definition", open311()),
            &[400, 404],
        ),
        open311_errors(
            format_param(Op::new(
                Method::Get,
                "/open311/v2/requests.{format}",
                "open311",
                "Service requests, with the standard filters",
            ))
            .param(In::Query, "service_request_id", false, json!({ "type": "string" }), Some("comma list"))
            .param(In::Query, "service_code", false, json!({ "type": "string" }), Some("comma list"))
            .param(In::Query, "start_date", false, json!({ "type": "string", "format": "date-time" }), None)
            .param(In::Query, "end_date", false, json!({ "type": "string", "format": "date-time" }), None)
            .param(
                In::Query,
                "status",
                false,
                json!({ "type": "string" }),
                Some("`open`, `closed` or both, comma separated"),
            )
            .answer(200, "Requests", open311()),
            &[400, 404],
        ),
        open311_errors(
            format_param(Op::new(
                Method::Post,
                "/open311/v2/requests.{format}",
                "open311",
                "Submit a service request (with an admin-issued api_key)",
            ))
            .body_schema(
                "application/x-www-form-urlencoded",
                true,
                json!({
                    "type": "object",
                    "required": ["api_key", "service_code"],
                    "properties": {
                        "api_key": { "type": "string" },
                        "service_code": { "type": "string" },
                        "lat": { "type": "number", "minimum": -90, "maximum": 90 },
                        "long": { "type": "number", "minimum": -180, "maximum": 180 },
                        "description": { "type": "string" },
                        "media_url": { "type": "string" }
                    }
                }),
            )
            .answer(201, "The new request's id or token", open311()),
            &[400, 403, 404, 409, 413, 415, 429, 503],
        ),
        open311_errors(
            file_param(
                Op::new(
                    Method::Get,
                    "/open311/v2/requests/{file}",
                    "open311",
                    "One service request by its id (the tracking number)",
                ),
                "service request id and format, such as `GL-261129-7KQ2MX.json`",
            )
            .answer(200, "The request", open311()),
            &[400, 404],
        ),
        open311_errors(
            file_param(
                Op::new(
                    Method::Get,
                    "/open311/v2/tokens/{file}",
                    "open311",
                    "The service request id a submission token became",
                ),
                "token and format",
            )
            .answer(200, "The request id", open311()),
            &[400, 404],
        ),
        Op::new(Method::Get, "/open311/v2/media/{id}.jpg", "open311", "A request's public photo")
            .param(In::Path, "id", true, json!({ "type": "string" }), None)
            .answer(
                200,
                "The photo",
                Body::Untyped("image/jpeg", json!({ "type": "string", "contentMediaType": "image/jpeg" })),
            )
            .answer(404, "No such photo, or not public", Body::Empty),
    ]
}

/// An HTML page (or one of its static files).
fn page(path: &'static str, summary: &'static str) -> Op {
    Op::new(Method::Get, path, "pages", summary).answer(
        200,
        "The page",
        Body::Untyped("text/html", json!({ "type": "string" })),
    )
}

/// The citizen pages and the dashboard (HTML, served beside the API).
pub fn pages() -> Vec<Op> {
    vec![
        page("/report", "The citizen's report page"),
        page("/track/{number}", "The citizen's tracking page for one report").param(
            In::Path,
            "number",
            true,
            json!({ "type": "string" }),
            None,
        ),
        page("/web/{file}", "A static file of the citizen pages")
            .param(In::Path, "file", true, json!({ "type": "string" }), None)
            .problems(&[404]),
        page("/dashboard", "The operations dashboard"),
        page("/dashboard/{file}", "A static file of the dashboard")
            .param(In::Path, "file", true, json!({ "type": "string" }), None)
            .problems(&[404]),
        page("/hotline", "The hotline operator console"),
        page("/hotline/{file}", "A static file of the hotline console")
            .param(In::Path, "file", true, json!({ "type": "string" }), None)
            .problems(&[404]),
    ]
}

/// The document's info block.
pub fn info() -> serde_json::Value {
    json!({
        "title": "Gridline API",
        "version": "1",
        "description": "City grievance intake, grid routing and case management (GB/T 30428, Open311). Roles: `citizen`, `inspector`, `dispatcher`, `handler`, `admin` (the city's), `district_admin` (one district's command centre: the street office's case steps, statistics, warnings, alarms and emergency mode over its district, and no city configuration or accounts), `operator` (12345 hotline), `system` and `viewer`, the read-only role of operations screens: a viewer reads what its area holds (the city, a district or a street; cases in the staff view without the reporter) and every write it sends (any method but GET, HEAD, OPTIONS, TRACE outside /api/v1/auth) is refused with 403 `forbidden`. Errors are application/problem+json (RFC 9457) with a stable `code` and, where there is one, the `field` at fault. Times are RFC 3339 UTC; coordinates WGS-84 unless `crs` says gcj02 or bd09."
    })
}

/// The query parameters of the space-time scan, which `GET /warnings/scan` (the scan) and
/// `POST /warnings/scan` (a run that keeps signals) share.
fn with_scan_parameters(op: Op) -> Op {
    op
        .param(In::Query, "category", false, json!({"type": "string", "pattern": CATEGORY_CODE_PATTERN}), "Only reports of this category code; not with class")
        .param(In::Query, "class", false, json!({"type": "string", "pattern": CATEGORY_CLASS_PATTERN}), "Only reports of this major class (kind letter and two digits, E05); not with category")
        .param(In::Query, "days", false, json!({"type": "integer", "minimum": SCAN_MIN_DAYS, "maximum": SCAN_MAX_DAYS}), "The study period in days, today the last (default 28)")
        .param(In::Query, "max_cells", false, json!({"type": "integer", "minimum": 1, "maximum": MAX_CELLS_PER_CYLINDER}), "Most cells in a circle (default 10)")
        .param(In::Query, "radius_m", false, json!({"type": "number", "exclusiveMinimum": 0, "maximum": MAX_RADIUS_M}), "Widest circle in metres (default 1000)")
        .param(In::Query, "max_window_days", false, json!({"type": "integer", "minimum": 1, "maximum": MAX_WINDOW_DAYS}), "Longest window in days (default 7)")
        .param(In::Query, "replications", false, json!({"type": "integer", "minimum": REPLICATIONS.start(), "maximum": MAX_REPLICATIONS}), "Shuffles judging significance (default 999); cells × max_cells × max_window_days × (replications + 1) may be at most 100,000,000, else 422 naming replications")
        .param(In::Query, "seed", false, json!({"type": "integer", "minimum": 0}), "The shuffles' seed (default today's date as YYYYMMDD)")
}

/// A schema of `all` together.
fn all_of(all: Vec<serde_json::Value>) -> serde_json::Value {
    json!({ "allOf": all })
}

/// `POST /api/v1/admin/users`: the fields, and a scope that fits the role.
fn new_staff_account(schemas: &mut Schemas) -> serde_json::Value {
    let mut all = vec![typed::<CreateUser>(schemas)];
    all.extend(scope_fits_role(Role::ALL));
    all_of(all)
}

/// `PATCH /api/v1/admin/users/{id}`: the fields, a scope that fits a new role (a scope alone
/// must fit the account's stored role, which no schema knows), and a given password or a reset,
/// not both.
fn staff_account_patch(schemas: &mut Schemas) -> serde_json::Value {
    let mut all = vec![typed::<PatchUser>(schemas)];
    all.extend(scope_fits_role(Role::ALL));
    all.push(json!({
        "if": { "required": ["reset_password"], "properties": { "reset_password": { "const": true } } },
        "then": { "properties": { "password": { "type": "null" } } },
    }));
    all_of(all)
}

/// `POST /api/v1/street/users`: the fields, a scope that fits the role, and at least one cell for
/// an inspector (that they lie in the office's street, or that the unit is one of its own,
/// depends on the caller and the stored units).
fn new_street_account(schemas: &mut Schemas) -> serde_json::Value {
    let mut all = vec![typed::<CreateStreetUser>(schemas)];
    all.extend(scope_fits_role(&STREET_ROLES));
    all.push(json!({
        "if": { "properties": { "scope": { "properties": { "kind": { "const": "grids" } } } } },
        "then": { "properties": { "scope": { "properties": { "grids": { "minItems": 1 } } } } },
    }));
    all_of(all)
}

/// `POST /api/v1/admin/categories`: a category, with the rules of the shipped taxonomy.
fn new_category(schemas: &mut Schemas) -> serde_json::Value {
    let mut all = vec![typed::<Category>(schemas)];
    all.extend(category_rules().unwrap_or_default());
    all_of(all)
}

/// `PATCH /api/v1/admin/categories/{code}`: the fields given, with the same rules.
fn category_patch(schemas: &mut Schemas) -> serde_json::Value {
    let mut all = vec![typed::<CategoryPatch>(schemas)];
    all.extend(category_rules().unwrap_or_default());
    all_of(all)
}

/// `PUT /api/v1/me/notifications`: the preferences, with the address needed when e-mail is on
/// (the saved choice may answer e-mail on without one).
fn notification_preferences(schemas: &mut Schemas) -> serde_json::Value {
    let address = json!({"type": "string", "format": "email", "maxLength": MAX_EMAIL_CHARS});
    all_of(vec![
        typed::<NotificationPreferences>(schemas),
        json!({
            "if": {"properties": {"email": {"const": true}}},
            "then": {"required": ["email_address"], "properties": {"email_address": address}},
        }),
    ])
}

/// A statistics range's end: an RFC 3339 instant, or a date (`YYYY-MM-DD`) read on the city's
/// calendar, as `api::stats` parses it.
fn instant_or_date() -> serde_json::Value {
    json!({"type": "string", "anyOf": [{"format": "date-time"}, {"format": "date"}]})
}

/// A hotline code: 2 to [`HOTLINE_CODE_DIGITS`] digits (`hotline::codes::check_code`).
fn hotline_code() -> serde_json::Value {
    json!({"type": "string", "pattern": format!("^[0-9]{{2,{HOTLINE_CODE_DIGITS}}}$")})
}

/// `PUT /api/v1/admin/hotline-codes/{code}`: the fields, each name not blank and at most
/// [`HOTLINE_NAME_CHARS`] characters (`hotline::codes::check_names`), the category a code.
fn hotline_code_edit(schemas: &mut Schemas) -> serde_json::Value {
    let name = text_schema(1, HOTLINE_NAME_CHARS, Some(NOT_BLANK_PATTERN));
    all_of(vec![
        typed::<HotlineCodeEdit>(schemas),
        json!({"properties": {
            "name_zh": name,
            "name_en": name,
            "category_code": {"type": "string", "pattern": CATEGORY_CODE_PATTERN},
        }}),
    ])
}

/// `POST /api/v1/sensors/alarms`: one alarm, or `{"alarms": [...]}` of 1 to [`MAX_BATCH`].
fn alarm_or_batch(schemas: &mut Schemas) -> serde_json::Value {
    let alarm = typed::<AlarmMessage>(schemas);
    json!({"oneOf": [alarm, {"type": "object", "required": ["alarms"], "additionalProperties": false, "properties": {"alarms": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH, "items": alarm}}}]})
}
