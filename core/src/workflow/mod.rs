//! The case state machine of GB/T 30428 (part 8): which role may take which action from which
//! state, what the next state is, and what the action must carry (reason, photo, GPS, deadline).
//!
//! The server and the phones both ask this module, so a phone shows exactly the actions the
//! server will accept and the server never restates a rule. Two entry points:
//! [`decide`] (state, action, role) → [`Transition`] or [`Refusal`], and [`take`], which also
//! checks what the caller supplied ([`Provided`]) and the facts of the case ([`CaseFacts`]) and
//! gives the complete [`Step`]: the next state and every change to the case record (deadline
//! and where it came from, handling unit, merge link, overdue flag, rating), so the server only
//! applies it. [`available_actions`] lists what a role may do from a state.
//!
//! ```text
//! reported ──register──▶ registered ──dispatch──▶ dispatched ──accept──▶ in_progress
//!   │  │                  ▲  │  ▲                  │  ▲  │                  │
//!   │  └─merge─▶ merged   │  │  └──── send back ───┘  │  └─ redispatch     └─handled─▶ handled
//!   └─reject─▶ rejected   │  └─merge─▶ merged          │                               │
//!                         │                            └──── verify fail (rework) ◀────┤
//!   unshelve / reopen ────┘                                                            │
//!                                                    closed ◀──── verify pass ◀────────┘
//!                                                      │ rate (once, by the reporter)
//! ```
//!
//! Decisions where DESIGN.md's diagram leaves room:
//! - **Rework** (on-site verification failed) returns the case to `dispatched`, to the same
//!   handling unit, which accepts it again (or sends it back if it was never theirs). The
//!   original deadline stands: a rework does not buy time; the street office extends if needed.
//! - **Extended (延期)** is a fact about the deadline, not a state: `extend` keeps the case in
//!   `dispatched` or `in_progress` and sets a new, later deadline with a reason. A separate state
//!   would forget which of the two the case was in. The extension is counted from the event.
//! - **Shelved (挂账)** is a real state: the problem needs long-term work (budget, planning), the
//!   deadline is cleared. `unshelve` returns the case to `registered` for a fresh dispatch; a
//!   shelved case may also be closed with a reason.
//! - **Merged** (a duplicate of another case) is terminal unless reopened. Only cases not yet
//!   dispatched (`reported`, `registered`) are merged; a dispatched duplicate is handled.
//! - **Close** by the street office is possible only from `handled` (closing without on-site
//!   verification, with a reason) and from `shelved`. A case never closes without handling.
//! - **Reopen** (dispatcher, with a reason): `closed` → `registered` (it was registered once and
//!   needs a new dispatch); `rejected` and `merged` → `reported` (back to triage, to be
//!   registered, rejected or merged again, so every registration is an explicit event).
//! - **Confirm (核实)** is a fact about a report, not a state: the street office asks the cell's
//!   grid inspectors to check a `reported` case on site (`request_confirm`, once until it is
//!   answered), and an inspector confirms or denies it (photo and position, a reason to deny),
//!   asked or on their own patrol; the case stays `reported` for the street office to register
//!   or reject with the inspector's finding in its trail. The request ends with the answer, or
//!   when the case leaves `reported`. A report from an inspector needs no such check.
//! - **Joint handling (主办/协办)**: a dispatch may name helper units besides the lead (the
//!   handling unit), each with a part of its own ([`parts`]: note, deadline, its own steps). The
//!   lead marks the case handled only once every part is finished or closed by the lead.
//! - **Disputes (派单异议)** are facts about the assignment, not states ([`dispute`]): the
//!   dispatched unit disputes within a window, the street office upholds or reassigns (a
//!   dispatch with the dispute decided), the `system` sends an undecided one to the district; a
//!   case that changed hands more than twice is flagged to the district.
//! - **Relocate** (dispatcher, with a reason and the new position) keeps the state: it is a fact
//!   about where the problem is, taken before dispatch (`reported`, `registered`), so a case
//!   that routed to no cell (the triage queue) or to a wrong one reaches its street, and a
//!   dispatched case is never moved away from the unit working on it.
//! - **Overdue** is a flag too: at the deadline the `system` marks a `dispatched` or
//!   `in_progress` case overdue, and may then escalate it (a notice to the level above). A new
//!   deadline (extend, re-dispatch) clears the flag.
//!
//! Roles: a `dispatcher` (street office) registers, rejects, dispatches, extends, shelves,
//! merges, closes and reopens; a city `admin` may do exactly what a dispatcher may, nothing
//! more, so the audit trail always shows on-site verification by an inspector and handling by
//! a unit. A `handler` (handling unit) acts only on `dispatched` (accept, send back) and
//! `in_progress` (handled) cases; an `inspector` verifies `handled` cases on site and confirms
//! or denies `reported` ones (核实); a `citizen`
//! rates a closed case; the `system` only marks overdue and escalates; a `viewer` (the
//! read-only role of operations screens) takes no action at all, from any state. Reporting itself is
//! intake, not a transition: every case starts `reported`. Which cases a person may touch
//! (their grid cells, their street, the cases dispatched to their unit) is the account's
//! [`scope::Scope`]; the server applies it to its queries.

mod rules;
pub mod scope;
mod step;
#[cfg(test)]
mod tests;
pub mod words;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::TimeLimit;
use crate::geo::GeoPoint;

pub use rules::{available_actions, available_actions_given, decide, needs, take};
pub use step::{Change, DeadlineChange, DeadlineSource, DisputeChange, Step, dispatch_deadline};

/// A name that is not one of the wire forms of a state, an action or a role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {found:?}: expected one of {expected}")]
pub struct UnknownName {
    pub kind: &'static str,
    pub found: String,
    pub expected: String,
}

/// An enum with a stable snake_case wire form, shared by serde, `Display` and `FromStr`, since
/// these names go over the wire and into the database.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stable wire form (snake_case).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        /// The schema is the wire names (written by hand: utoipa's derive does not see a
        /// `serde(rename)` whose value comes from a macro argument).
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text,)+]))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// The stored text form back into the value (for typed database rows).
        impl TryFrom<String> for $name {
            type Error = UnknownName;
            fn try_from(text: String) -> Result<Self, UnknownName> {
                text.parse()
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.as_str().to_owned()
            }
        }

        impl FromStr for $name {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, UnknownName> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownName {
                        kind: $kind,
                        found: s.to_owned(),
                        expected: join($name::ALL),
                    }),
                }
            }
        }
    };
}

// Other rooms of core (early warning's signals) name their wire enums the same way.
pub(crate) use wire_enum;

wire_enum! {
    /// Where a case stands. `extended` and `overdue` are facts about the deadline, not states.
    CaseState, "case state" {
        /// Just arrived from a citizen, an inspector or a sensor; waiting for the street office.
        Reported = "reported",
        /// Accepted as a case (立案); waiting to be dispatched.
        Registered = "registered",
        /// Not accepted as a case (不予立案), with a reason.
        Rejected = "rejected",
        /// Sent to a handling unit with a deadline; waiting for the unit to accept.
        Dispatched = "dispatched",
        /// Accepted by the handling unit; being handled.
        InProgress = "in_progress",
        /// The unit says it is fixed (with an after-photo); waiting for on-site verification.
        Handled = "handled",
        /// Verified fixed (结案), or closed by the street office with a reason.
        Closed = "closed",
        /// Long-term problem (挂账): off the deadline clock until unshelved or closed.
        Shelved = "shelved",
        /// A duplicate of another case, which carries on in its place.
        Merged = "merged",
    }
}

impl CaseState {
    /// Whether a case in this state still stands for its problem: not turned down (`rejected`)
    /// and not folded into another case (`merged`). Only such a case may be merged into; a
    /// closed case counts, since a late duplicate of a fixed problem follows the fix.
    pub fn counts_as_open(self) -> bool {
        !matches!(self, CaseState::Rejected | CaseState::Merged)
    }

    /// Whether a case in this state is on its deadline's clock: with a handling unit, until
    /// the unit's work is verified. The statistics count such a case as due when its deadline
    /// falls in the range (`docs/statistics.md`, "due").
    pub fn on_the_deadline_clock(self) -> bool {
        matches!(self, CaseState::Dispatched | CaseState::InProgress | CaseState::Handled)
    }
}

wire_enum! {
    /// A step someone takes on a case.
    Action, "action" {
        /// 立案: accept a report as a case.
        Register = "register",
        /// 不予立案: refuse a report, with a reason.
        Reject = "reject",
        /// 派遣: send to a handling unit (again, to redirect a case not yet accepted).
        Dispatch = "dispatch",
        /// The handling unit takes the case on.
        Accept = "accept",
        /// The handling unit returns a case that is not theirs, with a reason (退回).
        SendBack = "send_back",
        /// The handling unit reports the problem fixed, with at least one after-photo.
        MarkHandled = "mark_handled",
        /// 核查通过: on site, with photo and GPS; closes the case.
        VerifyPass = "verify_pass",
        /// 核查不通过: on site, with photo, GPS and a reason; back to the unit for rework.
        VerifyFail = "verify_fail",
        /// 核实属实: on site, with photo and GPS, the inspector confirms that a reported problem
        /// is real, so the street office can register it; the case stays `reported`.
        Confirm = "confirm",
        /// 核实不属实: on site, with photo, GPS and a reason, the inspector finds nothing of the
        /// reported problem; the street office decides (usually to reject).
        Deny = "deny",
        /// 核实派遣: the street office asks the cell's grid inspectors to check a reported problem
        /// on site (an optional note says what to look for); the case stays `reported` and is
        /// an inspector's task to confirm until one confirms or denies it.
        RequestConfirm = "request_confirm",
        /// 延期: a new, later deadline, with a reason.
        Extend = "extend",
        /// 挂账: park a long-term problem, with a reason.
        Shelve = "shelve",
        /// Bring a shelved case back for dispatch.
        Unshelve = "unshelve",
        /// Mark as a duplicate of another case.
        Merge = "merge",
        /// 结案 by the street office, with a reason.
        Close = "close",
        /// Reopen a closed, rejected or merged case, with a reason.
        Reopen = "reopen",
        /// The reporter rates the result, once.
        Rate = "rate",
        /// The deadline has passed: flag the case overdue (超期).
        MarkOverdue = "mark_overdue",
        /// Raise an overdue case to the level above.
        Escalate = "escalate",
        /// 回访: the hotline operator records the reporter's satisfaction with a closed case.
        CallBack = "call_back",
        /// 战时立案: in emergency mode (平战转换) the `system` registers a report of the area and
        /// categories under command straight into the command unit's queue, skipping the
        /// street office's registration ([`crate::emergency`]).
        CommandRegister = "command_register",
        /// 当场答复: the hotline operator answers a consultation on the call and closes it.
        Answer = "answer",
        /// 转办: the hotline operator transfers the call to 110/119/120 or another city's
        /// system, with the reason, closing the order here.
        Transfer = "transfer",
        /// 派单异议: the unit a case was dispatched to disputes the assignment, with a reason,
        /// within the dispute window after the dispatch ([`dispute`]).
        Dispute = "dispute",
        /// The arbiter keeps the disputed assignment: the unit must take the case.
        Uphold = "uphold",
        /// The arbiter sends the disputed case to another unit, with a fresh deadline.
        Reassign = "reassign",
        /// The arbiter's deadline has passed without a decision: the dispute goes to the district.
        EscalateDispute = "escalate_dispute",
        /// 重新定位: the street office gives a case that routed to no cell (or to the wrong one)
        /// its place: a new position, with a reason, routed again to its cell and street.
        Relocate = "relocate",
        /// 指派核查: the street office gives a handled case's verification to a named inspector
        /// of its street, when the case's cell has none (or none free): that inspector may
        /// then verify it on site as the cell's own would.
        AssignVerifier = "assign_verifier",
        /// 传感器解除结案: every alarm of a sensor case had its all-clear and the alarm kind's
        /// rule closes such a case without a visit (a parked car that drove off); the `system`
        /// closes it from any open state ([`crate::sensors::AlarmRule::closes_on_all_clear`]).
        SensorClose = "sensor_close",
    }
}

wire_enum! {
    /// Who acts, as far as the workflow is concerned.
    Role, "role" {
        Citizen = "citizen",
        /// Grid inspector (网格员).
        Inspector = "inspector",
        /// Street-office dispatcher (街道).
        Dispatcher = "dispatcher",
        /// Handling unit (处置部门).
        Handler = "handler",
        /// City administrator.
        Admin = "admin",
        /// District administrator (区城管指挥中心): one district's command centre. Switches
        /// emergency mode for its district, takes the street office's case steps there and
        /// arbitrates what goes to the district; configures nothing of the city (categories,
        /// units, grids, accounts stay with city admins).
        DistrictAdmin = "district_admin",
        /// Scheduled jobs of the server.
        System = "system",
        /// Read-only staff for operations screens (the big screen of a street office or the
        /// city operations centre): sees the cases of an area, takes no workflow action at all.
        Viewer = "viewer",
        /// 12345 hotline operator (话务员), scoped to an area: takes calls and calls reporters
        /// back after closure (回访).
        Operator = "operator",
    }
}

/// Comma-separated wire forms, for messages.
/// "a handler", "an inspector", "an admin": a role named in a sentence.
pub fn with_article(role: Role) -> String {
    let name = role.as_str();
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {name}")
}

pub(crate) fn join<T: fmt::Display>(items: &[T]) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// What an action must carry before the server records it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Needs {
    /// A non-blank reason text.
    pub reason: bool,
    /// At least one photo.
    pub photo: bool,
    /// A GPS position of where the actor stands.
    pub position: bool,
    /// A new deadline, later than the current one.
    pub new_deadline: bool,
    /// The handling unit the case goes to.
    pub handling_unit: bool,
    /// The case this one duplicates.
    pub merge_target: bool,
    /// A rating of 1 to 5.
    pub rating: bool,
    /// The reporter's answer to a call-back.
    #[serde(default)]
    pub satisfaction: bool,
    /// The inspector account the verification is given to.
    #[serde(default)]
    pub inspector: bool,
}

/// What the case record must show for the action to go ahead, beyond its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// The actor is the person who reported the case.
    ReporterOnly,
    /// The case has not been rated yet.
    NotYetRated,
    /// The case deadline has passed.
    DeadlinePassed,
    /// The case is not flagged overdue yet.
    NotYetOverdue,
    /// The case is flagged overdue.
    Overdue,
    /// The reporter was not called back since the case last closed.
    NotYetCalledBack,
    /// The case belongs to an emergency command (平战转换) that is on.
    UnderCommand,
    /// Every helper unit's part is finished or closed by the lead ([`parts`]).
    HelperPartsSettled,
    /// The dispute window after the last dispatch is still open ([`dispute`]).
    WithinDisputeWindow,
    /// No dispute of the assignment waits for the arbiter.
    NoDisputePending,
    /// A dispute of the assignment waits for the arbiter.
    DisputePending,
    /// The arbiter's deadline passed and the dispute was not sent to the district yet.
    ArbiterDeadlinePassed,
    /// No request to confirm the report on site waits for an inspector's answer.
    NotYetAskedToConfirm,
    /// Every alarm of the sensor case had its all-clear ([`CaseFacts::cleared_by_sensor`]).
    ClearedBySensor,
}

/// What recording the action changes besides the state; metrics count these from the events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// A deadline is computed (the case's handling time limit on the working calendar, counted
    /// from now; never taken from the caller) and any overdue flag is cleared.
    SetsDeadline,
    /// The deadline moves to the later one the street office gives, with a reason, and any
    /// overdue flag is cleared.
    ExtendsDeadline,
    /// The case goes to the handling unit the caller names.
    SetsHandlingUnit,
    /// The case becomes a duplicate of the case the caller names.
    SetsMergeLink,
    /// Any merge link is cleared: the case stands on its own again.
    ClearsMergeLink,
    /// The deadline is cleared: the case is no longer with a handling unit.
    ClearsDeadline,
    /// The handling unit is cleared: it refused the case, which waits to be dispatched again
    /// (the refusing unit stays in the step's event, not on the case).
    ClearsHandlingUnit,
    /// The case counts as extended (延期率).
    CountsExtension,
    /// The case counts as reworked (返工率).
    CountsRework,
    /// The case is flagged overdue.
    MarksOverdue,
    /// The level above is notified.
    Escalates,
    /// The reporter's rating is stored (满意度).
    RecordsRating,
    /// The call-back's answer is recorded (回访满意度).
    RecordsCallBack,
    /// The helper units' parts are set anew from the request (joint handling, [`parts`]):
    /// open parts of an earlier dispatch are withdrawn.
    SetsHelperParts,
    /// Every open helper part is withdrawn: the lead refused the case.
    WithdrawsHelperParts,
    /// A dispute of the assignment is raised, with the arbiter's deadline.
    RaisesDispute,
    /// The pending dispute is decided (upheld or reassigned), on time or late.
    DecidesDispute,
    /// The pending dispute is sent to the district.
    EscalatesDispute,
    /// The case changes hands between units (退回, 改派): counted, and flagged to the district
    /// past [`dispute::BOUNCES_BEFORE_FLAG`].
    CountsBounce,
    /// The case moves to the position the caller gives; the server routes it again to its
    /// cell, community, street and district.
    SetsPlace,
    /// The cell's inspectors are asked to confirm the report on site (核实): an open request.
    RequestsConfirm,
    /// An inspector's finding on site answers any open request to confirm.
    AnswersConfirm,
    /// The named inspector may verify the case (on site, as the cell's own inspectors may).
    SetsVerifier,
}

/// An allowed step: where it leads and what it requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    pub from: CaseState,
    pub action: Action,
    pub role: Role,
    pub to: CaseState,
    pub needs: Needs,
    pub conditions: &'static [Condition],
    pub effects: &'static [Effect],
}

/// What the actor supplied with the action.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Provided<'a> {
    pub reason: Option<&'a str>,
    pub photos: usize,
    pub position: Option<GeoPoint>,
    pub new_deadline: Option<DateTime<Utc>>,
    pub handling_unit: Option<&'a str>,
    /// The case a merge links to, found by the caller from the id or tracking number given.
    pub merge_target: Option<crate::codes::CaseId>,
    pub rating: Option<u8>,
    pub satisfaction: Option<callback::Satisfaction>,
    /// For a call-back: whether the reporter says the problem is solved.
    pub resolved: Option<bool>,
    /// For a dispatch or a reassignment: the helper units and their parts (joint handling).
    pub helpers: &'a [parts::HelperPartRequest],
    /// For an assignment of the verification: the inspector's account id.
    pub inspector: Option<&'a str>,
}

/// What the case record shows at one moment, for the [`Condition`]s and the step's effects.
/// Built by [`CaseFacts::new`] only, so "the deadline has passed" is always read against the
/// same `now` the step's own deadline is counted from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseFacts {
    /// The moment the step is taken (the server's clock).
    pub now: DateTime<Utc>,
    pub actor_is_reporter: bool,
    pub already_rated: bool,
    /// The current deadline, if the case has one.
    pub deadline: Option<DateTime<Utc>>,
    pub deadline_passed: bool,
    pub overdue: bool,
    /// The case's handling time limit (copied from its category at intake), from which a
    /// dispatch's deadline is computed.
    pub time_limit: Option<TimeLimit>,
    /// How many times the deadline was extended so far.
    pub extensions: u32,
    /// Whether the reporter was called back since the case last closed.
    pub called_back: bool,
    /// What a dissatisfied call-back does (the city's rule).
    pub callback_rework: callback::CallbackRework,
    /// The case came in under an emergency command that is still on ([`crate::emergency`]).
    pub under_command: bool,
    /// An emergency case's handling limit in minutes on a 24/7 clock, which shrinks its
    /// dispatches' deadline (never past the working-calendar one); kept after the emergency ends.
    pub round_the_clock_minutes: Option<u32>,
    /// How many helper parts are still open (assigned, accepted or sent back).
    pub open_helper_parts: u32,
    /// The dispute of the assignment, the bounces and the flag ([`dispute::DisputeFacts::new`]).
    pub dispute: dispute::DisputeFacts,
    /// The street office asked the inspectors to confirm the report, and none has answered yet.
    pub confirm_requested: bool,
    /// Every alarm of this sensor case has just had its all-clear: set only by the sensor
    /// intake, the one caller of `sensor_close`, so no other way in is offered the step.
    pub cleared_by_sensor: bool,
}

/// The stored facts of a case that [`CaseFacts::new`] reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseRecord {
    pub deadline: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub rated: bool,
    pub time_limit: Option<TimeLimit>,
    pub extensions: u32,
    pub called_back: bool,
    /// See [`CaseFacts::under_command`].
    pub under_command: bool,
    /// See [`CaseFacts::round_the_clock_minutes`].
    pub round_the_clock_minutes: Option<u32>,
    /// See [`CaseFacts::confirm_requested`].
    pub confirm_requested: bool,
}

impl CaseFacts {
    /// The facts of `record` at `now`, for an actor who is (or is not) its reporter.
    pub fn new(record: CaseRecord, actor_is_reporter: bool, now: DateTime<Utc>) -> Self {
        CaseFacts {
            now,
            actor_is_reporter,
            already_rated: record.rated,
            deadline: record.deadline,
            deadline_passed: record.deadline.is_some_and(|d| d <= now),
            overdue: record.overdue,
            time_limit: record.time_limit,
            extensions: record.extensions,
            called_back: record.called_back,
            callback_rework: callback::CallbackRework::default(),
            under_command: record.under_command,
            round_the_clock_minutes: record.round_the_clock_minutes,
            confirm_requested: record.confirm_requested,
            cleared_by_sensor: false,
            open_helper_parts: 0,
            dispute: dispute::DisputeFacts::default(),
        }
    }
}

/// Why an action was refused: a stable machine [`Refusal::code`] and a human message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{} may not {action}; that step belongs to: {}", with_article(*role), join(rules::roles_for(*action)))]
    NotAllowedForRole { role: Role, action: Action },
    #[error("cannot {action} a case that is {state}; {action} applies to cases that are: {}",
        join(&rules::states_for(*action)))]
    NotFromState { state: CaseState, action: Action },
    #[error("{action} needs a reason: a few words saying why")]
    ReasonRequired { action: Action },
    #[error("{action} needs at least one photo, found none")]
    PhotoRequired { action: Action },
    #[error("{action} needs the GPS position where it was done, found none")]
    PositionRequired { action: Action },
    #[error("{action} needs a new deadline, found none")]
    DeadlineRequired { action: Action },
    #[error(
        "{action} does not take a deadline: it is computed from the case's handling time limit on the working calendar; only extend sets one, with a reason"
    )]
    DeadlineNotAccepted { action: Action },
    #[error("the deadline cannot be computed on the working calendar: {reason}")]
    NoWorkingCalendar { reason: String },
    #[error("the new deadline must be later than the current one ({current})")]
    DeadlineNotLater { current: DateTime<Utc> },
    #[error("{action} needs the handling unit the case goes to, found none")]
    HandlingUnitRequired { action: Action },
    #[error("{action} needs the case this one duplicates, found none")]
    MergeTargetRequired { action: Action },
    #[error("a rating is a whole number from 1 to 5, found {found:?}")]
    RatingOutOfRange { found: Option<u8> },
    #[error("only the person who reported a case may rate it")]
    NotTheReporter,
    #[error("this case has already been rated; a case is rated once")]
    AlreadyRated,
    #[error("the case deadline has not passed yet")]
    DeadlineNotPassed,
    #[error("the case is already flagged overdue")]
    AlreadyOverdue,
    #[error("only an overdue case is escalated, and this one is not overdue")]
    NotOverdue,
    #[error("{action} needs the reporter's answer: satisfied, basically_satisfied or dissatisfied")]
    SatisfactionRequired { action: Action },
    #[error("the reporter was already called back since the case closed")]
    AlreadyCalledBack,
    #[error("the case is not under an emergency command that is on")]
    NotUnderCommand,
    #[error(
        "{open} helper part(s) are still open: each helper finishes its part, or the lead closes it with a reason"
    )]
    HelperPartsOpen { open: u32 },
    #[error("{action} does not take helper units; only dispatch and reassign do")]
    HelpersNotAccepted { action: Action },
    #[error("helper {index}: {problem}")]
    HelperInvalid { index: usize, problem: String },
    #[error("the dispute window closed at {closed}; the unit takes the case or sends it back with a reason")]
    DisputeWindowClosed { closed: DateTime<Utc> },
    #[error("the assignment is already disputed and waits for the arbiter")]
    DisputePending,
    #[error("no dispute of this assignment waits for a decision")]
    NoDisputePending,
    #[error("the arbiter's deadline has not passed, or the dispute went to the district already")]
    ArbiterDeadlineNotPassed,
    #[error("the inspectors were already asked to confirm this report and none has answered yet")]
    AlreadyAskedToConfirm,
    #[error("only a sensor case whose alarms all cleared is closed this way")]
    NotClearedBySensor,
    #[error("{action} needs the inspector the verification goes to, found none")]
    InspectorRequired { action: Action },
}

impl Refusal {
    /// The stable machine code, for `application/problem+json` and for apps to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotAllowedForRole { .. } => "not_allowed_for_role",
            Refusal::NotFromState { .. } => "not_from_state",
            Refusal::ReasonRequired { .. } => "reason_required",
            Refusal::PhotoRequired { .. } => "photo_required",
            Refusal::PositionRequired { .. } => "position_required",
            Refusal::DeadlineRequired { .. } => "deadline_required",
            Refusal::DeadlineNotAccepted { .. } => "deadline_not_accepted",
            Refusal::NoWorkingCalendar { .. } => "no_working_calendar",
            Refusal::DeadlineNotLater { .. } => "deadline_not_later",
            Refusal::HandlingUnitRequired { .. } => "handling_unit_required",
            Refusal::MergeTargetRequired { .. } => "merge_target_required",
            Refusal::RatingOutOfRange { .. } => "rating_out_of_range",
            Refusal::NotTheReporter => "not_the_reporter",
            Refusal::AlreadyRated => "already_rated",
            Refusal::DeadlineNotPassed => "deadline_not_passed",
            Refusal::AlreadyOverdue => "already_overdue",
            Refusal::NotOverdue => "not_overdue",
            Refusal::SatisfactionRequired { .. } => "satisfaction_required",
            Refusal::AlreadyCalledBack => "already_called_back",
            Refusal::NotUnderCommand => "not_under_command",
            Refusal::HelperPartsOpen { .. } => "helper_parts_open",
            Refusal::HelpersNotAccepted { .. } => "helpers_not_accepted",
            Refusal::HelperInvalid { .. } => "helper_invalid",
            Refusal::DisputeWindowClosed { .. } => "dispute_window_closed",
            Refusal::DisputePending => "dispute_pending",
            Refusal::NoDisputePending => "no_dispute_pending",
            Refusal::ArbiterDeadlineNotPassed => "arbiter_deadline_not_passed",
            Refusal::AlreadyAskedToConfirm => "already_asked_to_confirm",
            Refusal::InspectorRequired { .. } => "inspector_required",
            Refusal::NotClearedBySensor => "not_cleared_by_sensor",
        }
    }
}

wire_enum! {
    /// The way a case came in (一网管全城: one case system whatever the way in). The server sets
    /// it from the way a report arrives ([`Channel::of_account`]), never from what a client
    /// claims; the same queue, deadlines and statistics hold for every channel.
    Channel, "channel" {
        /// A citizen's phone app.
        App = "app",
        /// A grid inspector's report from patrol.
        Inspector = "inspector",
        /// The citizen web page served by the server (`/report`).
        Web = "web",
        /// A call to the 12345 hotline, entered by an operator.
        Hotline = "hotline",
        /// A third-party Open311 GeoReport v2 client.
        Open311 = "open311",
        /// A machine alarm (城市神经元).
        Sensor = "sensor",
    }
}

wire_enum! {
    /// How soon a case must be handled (一般 / 紧急 / 特急), a property of the case fixed when it
    /// is filed, from the way it came in and never from what a reporter claims:
    /// - a 12345 call: the urgency the operator gave the call ([`hotline`]);
    /// - a sensor alarm: the highest severity among its group's alarms when the case is filed
    ///   ([`crate::sensors::Severity::urgency`]; a later, higher alarm changes nothing);
    /// - a report from a citizen (app, web page), an inspector or an Open311 client: `normal`. A
    ///   citizen cannot make their own report urgent; the street office sees every report.
    ///
    /// The handling time limit of an urgent case is cut by the rules of its way in (the
    /// hotline's caps, a severity's caps); the urgency itself is what staff see and filter by.
    Urgency, "urgency" {
        /// 一般.
        Normal = "normal",
        /// 紧急.
        Urgent = "urgent",
        /// 特急.
        VeryUrgent = "very_urgent",
    }
}

impl Default for Urgency {
    /// Every case is normal unless its way in says otherwise.
    fn default() -> Self {
        Urgency::Normal
    }
}

impl Channel {
    /// The channel of a report an account files through the reports API: an inspector's is
    /// `inspector` whatever client it used; anyone else's is `web` when it came through the
    /// server's citizen page (`through_web_page`) and `app` otherwise. Web and app are both
    /// public clients, so telling them apart trusts the client no more than the account does.
    pub fn of_account(role: Role, through_web_page: bool) -> Channel {
        match role {
            Role::Inspector => Channel::Inspector,
            _ if through_web_page => Channel::Web,
            _ => Channel::App,
        }
    }
}
// After `wire_enum!`, which they use: what a reporter is told when their case changes, and
// the call-back's answers and rule.
pub mod callback;
pub mod hotline;
pub mod notice;
// Joint handling (主办/协办) and disputed assignments (派单异议), also after `wire_enum!`.
pub mod dispute;
pub mod parts;
