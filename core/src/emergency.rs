//! Emergency mode (平战转换): the switch of an area from peacetime work to wartime command, and
//! every rule of it that the server, the dashboard and the phones must agree on, written once.
//!
//! - **The switch.** A city (or district) admin switches an area on, naming the [`Level`] (IV
//!   to I), the [`Kind`], the categories concerned, the commander and the command unit, and
//!   whether it is a drill. The switch is an object with its own small state machine
//!   ([`decide`]: `switch_on` → `active` → `switch_off` → `ended`), taken with `If-Match` like
//!   a case step. At most one emergency is on per area (the server checks nesting too).
//! - **The command queue.** While it is on, a new report of the area and categories
//!   ([`Scope::catches`]) is registered by the `system` straight into one flat queue at the
//!   command unit (the workflow action `command_register`, which needs the case to be under
//!   command), skipping the street office's registration.
//! - **Short limits on a 24/7 clock.** The level's limits ([`limits`]) apply: minutes to
//!   dispatch from the queue and hours to handle, counted round the clock, unless the category's
//!   working-time limit falls due sooner (a limit under command is never longer than in
//!   peacetime). An emergency case keeps them after the switch-off; new reports go back to
//!   peacetime.
//! - **Joint handling by default.** The switch names the units on joint duty (联合值守) for the
//!   incident, up to [`MAX_JOINT_UNITS`] ([`check_joint_units`]). While it is on, a dispatch
//!   (or reassignment) of a case under its command that does not say `helpers` gives each of
//!   them but the lead a helper part ([`dispatch_helpers`]): a note naming the incident, and the
//!   case's command deadline (the level's limit round the clock, unless the working-time limit
//!   falls due sooner). Naming `helpers`, even none (`[]`), replaces the default: it is a
//!   default, not a rule.
//! - **Span of control.** ICS/NIMS keeps a supervisor's span between 3 and 7: a unit with more
//!   than [`SPAN_OF_CONTROL`] open tasks per supervisor is flagged ([`over_span`]).
//! - **After-action summary** ([`summarize`]): counts, times to dispatch and to handle, overdue,
//!   units involved, from the cases' own times.
//! - **Drill.** A drill catches only reports marked as drill; they are left out of the city's
//!   statistics.
//!
//! The answer types of the emergency routes live here too (with `ToSchema` behind the
//! `openapi` feature), so the dashboard reads the rules through an API answer, never a copy.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::codes::{AreaCode, GridCode};
use crate::workflow::parts::HelperPartRequest;
use crate::workflow::{CaseFacts, Role};

/// A span of control above this many open tasks per supervisor is flagged (ICS/NIMS: 3 to 7).
pub const SPAN_OF_CONTROL: u32 = 7;

/// Most categories one switch names.
pub const MAX_CATEGORIES: usize = 64;

/// Most units one switch puts on joint duty: a unified command keeps them within the span of
/// control it can supervise.
pub const MAX_JOINT_UNITS: usize = SPAN_OF_CONTROL as usize;

/// Longest note on a switch's decision, in characters (white space around not counted).
pub const MAX_NOTE_CHARS: usize = 2000;

/// The level of a response, IV (least severe) to I (most severe), as Chinese flood-season
/// responses are graded (IV级 to I级应急响应).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Level {
    #[serde(rename = "IV")]
    IV,
    #[serde(rename = "III")]
    III,
    #[serde(rename = "II")]
    II,
    #[serde(rename = "I")]
    I,
}

/// What the emergency is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 防汛防台: floods and typhoons.
    FloodTyphoon,
    Fire,
    Epidemic,
    Other,
}

/// Where a switch stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Wartime command is on.
    Active,
    /// Switched back to peacetime.
    Ended,
}

/// A step on a switch (`EmergencyAction` in the OpenAPI document, apart from a case's steps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = EmergencyAction))]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Turn wartime command on for the area.
    SwitchOn,
    /// Return the area to peacetime: new reports go to the street offices again.
    SwitchOff,
}

macro_rules! text_forms {
    ($name:ident, $kind:literal, { $($variant:ident = $text:literal,)+ }) => {
        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stable wire and storage form.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// The stored text form back into the value (for typed database rows).
        impl TryFrom<String> for $name {
            type Error = Refusal;
            fn try_from(text: String) -> Result<Self, Refusal> {
                text.parse()
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.as_str().to_owned()
            }
        }

        impl FromStr for $name {
            type Err = Refusal;
            fn from_str(s: &str) -> Result<Self, Refusal> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(Refusal::UnknownName {
                        kind: $kind,
                        found: s.chars().take(40).collect(),
                        expected: [$($text,)+].join(", "),
                    }),
                }
            }
        }
    };
}

text_forms!(Level, "level", { IV = "IV", III = "III", II = "II", I = "I", });
text_forms!(Kind, "kind", { FloodTyphoon = "flood_typhoon", Fire = "fire", Epidemic = "epidemic", Other = "other", });
text_forms!(State, "state", { Active = "active", Ended = "ended", });
text_forms!(Action, "action", { SwitchOn = "switch_on", SwitchOff = "switch_off", });

/// The limits of a level: how long a report may wait in the command queue before it is
/// dispatched, and how long the unit has to handle it, both on a 24/7 clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Limits {
    pub dispatch_minutes: u32,
    pub handle_minutes: u32,
}

/// The limits of `level`: the higher the level, the shorter. The city's one table of them.
pub const fn limits(level: Level) -> Limits {
    match level {
        Level::IV => Limits { dispatch_minutes: 60, handle_minutes: 24 * 60 },
        Level::III => Limits { dispatch_minutes: 30, handle_minutes: 12 * 60 },
        Level::II => Limits { dispatch_minutes: 15, handle_minutes: 4 * 60 },
        Level::I => Limits { dispatch_minutes: 10, handle_minutes: 2 * 60 },
    }
}

/// Why a switch, or a step on one, was refused: a stable machine [`Refusal::code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("unknown {kind} {found:?}: expected one of {expected}")]
    UnknownName { kind: &'static str, found: String, expected: String },
    #[error("only a city or district admin switches an area to emergency mode and back, not {role}")]
    NotAllowedForRole { role: Role },
    #[error("cannot {action} an emergency that is {state}")]
    NotFromState { state: State, action: Action },
    #[error("an emergency covers a district or a street, not a {0}")]
    AreaLevel(&'static str),
    #[error("name at least one category the emergency concerns")]
    NoCategories,
    #[error("at most {MAX_CATEGORIES} categories, found {0}")]
    TooManyCategories(usize),
    #[error("at most {MAX_JOINT_UNITS} units on joint duty, found {0}")]
    TooManyJointUnits(usize),
    #[error("joint_units[{index}]: {problem}")]
    JointUnitInvalid { index: usize, problem: String },
}

impl Refusal {
    /// The stable machine code, for `application/problem+json`.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::UnknownName { .. } => "unknown_name",
            Refusal::NotAllowedForRole { .. } => "not_allowed_for_role",
            Refusal::NotFromState { .. } => "not_from_state",
            Refusal::AreaLevel(_) => "emergency_area_level",
            Refusal::NoCategories => "categories_required",
            Refusal::TooManyCategories(_) => "too_many_categories",
            Refusal::TooManyJointUnits(_) => "too_many_joint_units",
            Refusal::JointUnitInvalid { .. } => "joint_unit_invalid",
        }
    }

    /// The request field at fault, for the problem's `field`.
    pub fn field(&self) -> Option<String> {
        match self {
            Refusal::AreaLevel(_) => Some("area".to_owned()),
            Refusal::NoCategories | Refusal::TooManyCategories(_) => Some("categories".to_owned()),
            Refusal::TooManyJointUnits(_) => Some("joint_units".to_owned()),
            Refusal::JointUnitInvalid { index, .. } => Some(format!("joint_units[{index}]")),
            _ => None,
        }
    }
}

/// The units on joint duty as a switch-on names them, checked: each a unit code (trimmed, not
/// blank), each once, at most [`MAX_JOINT_UNITS`]. Whether each is an active unit is the
/// server's to look up.
pub fn check_joint_units(units: &[String]) -> Result<Vec<String>, Refusal> {
    if units.len() > MAX_JOINT_UNITS {
        return Err(Refusal::TooManyJointUnits(units.len()));
    }
    let mut checked: Vec<String> = Vec::with_capacity(units.len());
    for (index, unit) in units.iter().enumerate() {
        let invalid = |problem: String| Refusal::JointUnitInvalid { index, problem };
        let unit = unit.trim();
        if unit.is_empty() {
            return Err(invalid("a unit code is missing".to_owned()));
        }
        if unit.chars().count() > 64 {
            return Err(invalid("a unit code has at most 64 characters".to_owned()));
        }
        if checked.iter().any(|u| u == unit) {
            return Err(invalid(format!("{unit:?} is named twice")));
        }
        checked.push(unit.to_owned());
    }
    Ok(checked)
}

/// What a dispatch under command reads of its switch to give the default helper parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JointDuty {
    /// The switch's id.
    pub emergency_id: String,
    pub area: String,
    pub level: Level,
    pub kind: Kind,
    /// The units on joint duty, as [`check_joint_units`] left them.
    pub units: Vec<String>,
}

impl JointDuty {
    /// The note of a default part: the incident and its limit, in both languages.
    fn note(&self) -> String {
        let minutes = limits(self.level).handle_minutes;
        format!(
            "联合值守 · joint duty: Level {} {} response in {} (incident {}); within the command limit of \
             {minutes} minutes round the clock",
            self.level, self.kind, self.area, self.emergency_id
        )
    }

    /// One helper part per unit on joint duty other than `lead`, in the switch's order, each
    /// with the incident's note and no limit of its own: its deadline is the case's, counted
    /// under command as the dispatch counts it.
    pub fn default_helpers(&self, lead: Option<&str>) -> Vec<HelperPartRequest> {
        let lead = lead.map(str::trim);
        self.units
            .iter()
            .filter(|unit| Some(unit.as_str()) != lead)
            .map(|unit| HelperPartRequest { unit: unit.clone(), note: self.note(), time_limit: None })
            .collect()
    }
}

/// The helpers a dispatch (or reassignment) to `lead` takes: those it names (`requested`, even
/// none), or else, for a case under a command that is on (`facts.under_command`) with units on
/// joint duty, one part per such unit but the lead ([`JointDuty::default_helpers`]); else none.
/// A step other than a dispatch or a reassignment takes the helpers it names (none, or refused).
pub fn dispatch_helpers(
    action: crate::workflow::Action,
    requested: Option<&[HelperPartRequest]>,
    duty: Option<&JointDuty>,
    facts: &CaseFacts,
    lead: Option<&str>,
) -> Vec<HelperPartRequest> {
    if !crate::workflow::parts::takes_helpers(action) {
        return requested.map(<[_]>::to_vec).unwrap_or_default();
    }
    match (requested, duty) {
        (Some(named), _) => named.to_vec(),
        (None, Some(duty)) if facts.under_command => duty.default_helpers(lead),
        (None, _) => Vec::new(),
    }
}

/// May `role` take `action` on a switch in `state` (`None`: not created yet), and where does it
/// lead? Only a city or district admin switches (the server keeps a district admin to areas of
/// its district); `switch_on` creates, `switch_off` ends an active one.
pub fn decide(state: Option<State>, action: Action, role: Role) -> Result<State, Refusal> {
    if !matches!(role, Role::Admin | Role::DistrictAdmin) {
        return Err(Refusal::NotAllowedForRole { role });
    }
    match (state, action) {
        (None, Action::SwitchOn) => Ok(State::Active),
        (Some(State::Active), Action::SwitchOff) => Ok(State::Ended),
        (Some(state), action) => Err(Refusal::NotFromState { state, action }),
        (None, Action::SwitchOff) => Err(Refusal::NotFromState { state: State::Ended, action }),
    }
}

/// What a switch covers: the area (a district or a street), the categories, and whether it is
/// a drill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub area: AreaCode,
    pub categories: BTreeSet<String>,
    pub drill: bool,
}

impl Scope {
    /// A checked scope: a district or street area, 1 to [`MAX_CATEGORIES`] categories.
    pub fn new(area: AreaCode, categories: BTreeSet<String>, drill: bool) -> Result<Self, Refusal> {
        use crate::codes::AreaLevel;
        if !matches!(area.level(), AreaLevel::District | AreaLevel::Street) {
            return Err(Refusal::AreaLevel(area.level().as_str()));
        }
        if categories.is_empty() {
            return Err(Refusal::NoCategories);
        }
        if categories.len() > MAX_CATEGORIES {
            return Err(Refusal::TooManyCategories(categories.len()));
        }
        Ok(Scope { area, categories, drill })
    }

    /// Whether a new report of `category` in `grid`, marked as drill or not, goes to this
    /// switch's command queue. A drill catches drill reports only, and a real switch real ones
    /// only, so an exercise never takes a real report out of the street office's hands.
    pub fn catches(&self, grid: Option<GridCode>, category: &str, report_is_drill: bool) -> bool {
        report_is_drill == self.drill
            && grid.is_some_and(|g| self.area.contains(g))
            && self.categories.contains(category)
    }
}

/// When a case under command should be dispatched by, counted round the clock from when it
/// entered the queue.
pub fn dispatch_due(queued_at: DateTime<Utc>, limits: Limits) -> DateTime<Utc> {
    queued_at + Duration::minutes(i64::from(limits.dispatch_minutes))
}

/// Whether a unit with `open_tasks` and `supervisors` is over the span of control.
pub fn over_span(open_tasks: u32, supervisors: u32, span: u32) -> bool {
    open_tasks > span.saturating_mul(supervisors.max(1))
}

/// The times of one case under command, as the summary reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseTimes {
    pub queued_at: DateTime<Utc>,
    /// The first dispatch.
    pub dispatched_at: Option<DateTime<Utc>>,
    /// The first `mark_handled`.
    pub handled_at: Option<DateTime<Utc>>,
    /// The deadline the first dispatch set.
    pub handle_due: Option<DateTime<Utc>>,
    /// The unit of the last dispatch.
    pub unit: Option<String>,
    pub closed: bool,
}

/// The after-action summary's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SummaryFigures {
    /// Reports that went to the command queue.
    pub cases: u32,
    pub dispatched: u32,
    pub handled: u32,
    pub closed: u32,
    /// Still waiting in the command queue (not dispatched yet).
    pub waiting: u32,
    /// Mean minutes from the queue to the first dispatch, of the dispatched cases.
    pub mean_minutes_to_dispatch: Option<f64>,
    pub max_minutes_to_dispatch: Option<f64>,
    /// Mean minutes from the first dispatch to the first `mark_handled`, of the handled cases.
    pub mean_minutes_to_handle: Option<f64>,
    pub max_minutes_to_handle: Option<f64>,
    /// Dispatched after the level's dispatch limit (or still waiting past it at `now`).
    pub dispatch_overdue: u32,
    /// Handled after the deadline (or still unhandled past it at `now`).
    pub handle_overdue: u32,
    /// The units dispatched to, sorted.
    pub units: Vec<String>,
}

fn minutes(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_seconds() as f64 / 60.0
}

fn mean_and_max(values: &[f64]) -> (Option<f64>, Option<f64>) {
    if values.is_empty() {
        return (None, None);
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    (Some((mean * 100.0).round() / 100.0), values.iter().copied().reduce(f64::max))
}

/// The after-action figures of `cases` under `limits` as of `now`.
pub fn summarize(cases: &[CaseTimes], limits: Limits, now: DateTime<Utc>) -> SummaryFigures {
    let count = |f: &dyn Fn(&CaseTimes) -> bool| cases.iter().filter(|c| f(c)).count() as u32;
    let to_dispatch: Vec<f64> =
        cases.iter().filter_map(|c| c.dispatched_at.map(|d| minutes(c.queued_at, d))).collect();
    let to_handle: Vec<f64> =
        cases.iter().filter_map(|c| Some(minutes(c.dispatched_at?, c.handled_at?))).collect();
    let (mean_dispatch, max_dispatch) = mean_and_max(&to_dispatch);
    let (mean_handle, max_handle) = mean_and_max(&to_handle);
    let dispatch_late = |c: &CaseTimes| c.dispatched_at.unwrap_or(now) > dispatch_due(c.queued_at, limits);
    let handle_late = |c: &CaseTimes| c.handle_due.is_some_and(|due| c.handled_at.unwrap_or(now) > due);
    SummaryFigures {
        cases: cases.len() as u32,
        dispatched: count(&|c| c.dispatched_at.is_some()),
        handled: count(&|c| c.handled_at.is_some()),
        closed: count(&|c| c.closed),
        waiting: count(&|c| c.dispatched_at.is_none()),
        mean_minutes_to_dispatch: mean_dispatch,
        max_minutes_to_dispatch: max_dispatch,
        mean_minutes_to_handle: mean_handle,
        max_minutes_to_handle: max_handle,
        dispatch_overdue: count(&dispatch_late),
        handle_overdue: count(&handle_late),
        units: cases.iter().filter_map(|c| c.unit.clone()).collect::<BTreeSet<_>>().into_iter().collect(),
    }
}

/// `POST /api/v1/emergencies`: the switch-on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SwitchOnRequest {
    /// A district (6 digits) or street (9 digits) code.
    #[cfg_attr(feature = "openapi", schema(schema_with = area_schema))]
    pub area: String,
    pub level: Level,
    pub kind: Kind,
    /// The category codes the command takes over, such as `E0501`.
    #[cfg_attr(feature = "openapi", schema(schema_with = categories_schema))]
    pub categories: Vec<String>,
    /// The account id of the commander (an admin, or a district admin or dispatcher whose area
    /// holds the area).
    pub commander_id: String,
    /// The handling unit that runs the command queue (an active unit's code).
    pub command_unit: String,
    /// A drill catches only reports marked `drill` and is left out of the statistics.
    #[serde(default)]
    pub drill: bool,
    /// A few words for the timeline.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = note_schema))]
    pub note: Option<String>,
    /// The handling units on joint duty (联合值守) for the incident, at most
    /// [`MAX_JOINT_UNITS`], each an active unit: a dispatch under this command that names no
    /// `helpers` gives each of them but the lead a helper part.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = joint_units_schema))]
    pub joint_units: Vec<String>,
}

/// A switch's area as [`Scope::new`] takes it: a district or a street.
#[cfg(feature = "openapi")]
fn area_schema() -> utoipa::openapi::Object {
    crate::codes::string_matching(crate::codes::DISTRICT_OR_STREET_PATTERN)
}

/// A switch's categories: 1 to [`MAX_CATEGORIES`] category codes.
#[cfg(feature = "openapi")]
fn categories_schema() -> utoipa::openapi::Array {
    utoipa::openapi::ArrayBuilder::new()
        .items(crate::codes::category_code_schema())
        .min_items(Some(1))
        .max_items(Some(MAX_CATEGORIES))
        .build()
}

/// The units on joint duty: at most [`MAX_JOINT_UNITS`] unit codes ([`check_joint_units`]).
#[cfg(feature = "openapi")]
fn joint_units_schema() -> utoipa::openapi::Array {
    utoipa::openapi::ArrayBuilder::new()
        .items(crate::codes::string_matching(crate::taxonomy::UNIT_CODE_PATTERN))
        .max_items(Some(MAX_JOINT_UNITS))
        .build()
}

/// A decision's note: text of at most [`MAX_NOTE_CHARS`] characters, or null.
#[cfg(feature = "openapi")]
fn note_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            utoipa::openapi::Type::String,
            utoipa::openapi::Type::Null,
        ]))
        .max_length(Some(MAX_NOTE_CHARS))
        .build()
}

/// `POST /api/v1/emergencies/{id}/actions`: a step on a switch (`switch_off`), with `If-Match`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SwitchRequest {
    pub action: Action,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = note_schema))]
    pub note: Option<String>,
}

/// One emergency switch as it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmergencyView {
    pub id: String,
    pub area: String,
    pub level: Level,
    pub kind: Kind,
    pub categories: Vec<String>,
    pub commander_id: String,
    pub command_unit: String,
    pub drill: bool,
    pub state: State,
    /// The level's limits, which the cases under command get.
    pub limits: Limits,
    /// The span-of-control warning threshold (open tasks per supervisor).
    pub span_of_control: u32,
    /// The units on joint duty (联合值守) for the incident.
    pub joint_units: Vec<String>,
    /// Whether a dispatch under this command that names no helpers gives the units on joint
    /// duty (but the lead) helper parts: whether any unit is on joint duty.
    pub joint_handling_default: bool,
    /// For the next step's `If-Match`.
    pub version: i32,
    pub started_at: String,
    pub ended_at: Option<String>,
    /// The steps the caller may take on it now.
    pub available_actions: Vec<Action>,
}

/// A level with its limits, for a switch-on form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LevelLimits {
    pub level: Level,
    pub limits: Limits,
}

/// `GET /api/v1/emergencies`: the switches, and the choices of a switch-on (levels with their
/// limits, kinds), so a form offers exactly what core accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmergencyList {
    pub emergencies: Vec<EmergencyView>,
    pub levels: Vec<LevelLimits>,
    pub kinds: Vec<Kind>,
    /// Whether the caller's role may switch an area on ([`decide`]); the area must still lie
    /// in its scope. A page offers the switch-on form by this, not by a list of roles.
    pub can_switch_on: bool,
}

impl EmergencyList {
    /// The list of `emergencies` with every level and kind, as `role` sees it.
    pub fn of(emergencies: Vec<EmergencyView>, role: Role) -> Self {
        EmergencyList {
            emergencies,
            levels: Level::ALL.iter().map(|l| LevelLimits { level: *l, limits: limits(*l) }).collect(),
            kinds: Kind::ALL.to_vec(),
            can_switch_on: decide(None, Action::SwitchOn, role).is_ok(),
        }
    }
}

/// A case in the command queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueuedCase {
    pub case_id: String,
    pub tracking_number: String,
    pub category: String,
    pub description: String,
    pub grid: Option<String>,
    pub state: String,
    pub queued_at: String,
    /// When it should be dispatched by (the level's dispatch limit, round the clock).
    pub dispatch_due: String,
    pub dispatch_overdue: bool,
    /// For the dispatch's `If-Match`.
    pub version: i32,
}

/// A unit's load under command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitLoad {
    pub unit: String,
    /// Cases under command dispatched to it and not handled yet.
    pub open_tasks: u32,
    /// Its active handler accounts, who supervise its crews (at least one is assumed).
    pub supervisors: u32,
    /// More open tasks than the span of control allows its supervisors.
    pub over_span: bool,
}

/// One command decision on the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommandDecision {
    pub at: String,
    /// `switch_on`, `switch_off`, or a case step (`command_register`, `dispatch`, ...).
    pub kind: String,
    /// The kind in words ([`crate::workflow::words::event_kind_words`]).
    pub label: crate::taxonomy::Names,
    pub actor_role: Option<String>,
    pub case_id: Option<String>,
    pub tracking_number: Option<String>,
    pub handling_unit: Option<String>,
    pub note: Option<String>,
}

/// `GET /api/v1/emergencies/{id}/incident`: the incident view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentView {
    pub emergency: EmergencyView,
    /// Cases under command waiting for dispatch, oldest first.
    pub queue: Vec<QueuedCase>,
    pub units: Vec<UnitLoad>,
    /// Newest first.
    pub timeline: Vec<CommandDecision>,
}

/// `GET /api/v1/emergencies/{id}/summary`: the after-action summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AfterActionSummary {
    pub emergency: EmergencyView,
    /// Minutes the command was on (until now while it is still on).
    pub minutes_on: f64,
    pub figures: SummaryFigures,
    /// When the summary was made.
    pub as_of: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn higher_levels_have_shorter_limits() {
        let order = [Level::IV, Level::III, Level::II, Level::I];
        for pair in order.windows(2) {
            let (lower, higher) = (limits(pair[0]), limits(pair[1]));
            assert!(higher.dispatch_minutes < lower.dispatch_minutes);
            assert!(higher.handle_minutes < lower.handle_minutes);
        }
        assert_eq!(limits(Level::II), Limits { dispatch_minutes: 15, handle_minutes: 240 });
    }

    #[test]
    fn only_an_admin_switches_and_only_in_order() {
        assert_eq!(decide(None, Action::SwitchOn, Role::Admin), Ok(State::Active));
        assert_eq!(decide(None, Action::SwitchOn, Role::DistrictAdmin), Ok(State::Active));
        assert_eq!(decide(Some(State::Active), Action::SwitchOff, Role::DistrictAdmin), Ok(State::Ended));
        assert_eq!(decide(Some(State::Active), Action::SwitchOff, Role::Admin), Ok(State::Ended));
        assert_eq!(
            decide(Some(State::Ended), Action::SwitchOff, Role::Admin).unwrap_err().code(),
            "not_from_state"
        );
        assert_eq!(
            decide(Some(State::Active), Action::SwitchOn, Role::Admin).unwrap_err().code(),
            "not_from_state"
        );
        for role in [Role::Dispatcher, Role::Viewer, Role::Handler, Role::System, Role::Citizen] {
            assert_eq!(decide(None, Action::SwitchOn, role).unwrap_err().code(), "not_allowed_for_role");
        }
    }

    #[test]
    fn a_switch_catches_its_area_categories_and_drill_flag_only() {
        let district = AreaCode::parse("310104").unwrap();
        let categories: BTreeSet<String> = ["E0501".to_owned()].into();
        let real = Scope::new(district, categories.clone(), false).unwrap();
        let inside = GridCode::parse("310104001001001").unwrap();
        let outside = GridCode::parse("310105001001001").unwrap();
        assert!(real.catches(Some(inside), "E0501", false));
        assert!(!real.catches(Some(inside), "E0101", false));
        assert!(!real.catches(Some(outside), "E0501", false));
        assert!(!real.catches(None, "E0501", false));
        assert!(!real.catches(Some(inside), "E0501", true));
        let drill = Scope::new(district, categories.clone(), true).unwrap();
        assert!(drill.catches(Some(inside), "E0501", true));
        assert!(!drill.catches(Some(inside), "E0501", false));
        let grid = AreaCode::parse("310104001001001").unwrap();
        assert_eq!(Scope::new(grid, categories, false).unwrap_err().code(), "emergency_area_level");
        assert_eq!(Scope::new(district, BTreeSet::new(), false).unwrap_err().code(), "categories_required");
    }

    #[test]
    fn the_summary_counts_times_and_lateness() {
        let l = limits(Level::II);
        let t0 = at("2026-12-03T02:00:00Z");
        let m = |n: i64| t0 + Duration::minutes(n);
        let cases = [
            // Dispatched after 10 min, handled 60 min later, within 4 h.
            CaseTimes {
                queued_at: t0,
                dispatched_at: Some(m(10)),
                handled_at: Some(m(70)),
                handle_due: Some(m(250)),
                unit: Some("water".into()),
                closed: true,
            },
            // Dispatched after 20 min (late), handled 300 min later (late).
            CaseTimes {
                queued_at: t0,
                dispatched_at: Some(m(20)),
                handled_at: Some(m(320)),
                handle_due: Some(m(260)),
                unit: Some("roads".into()),
                closed: false,
            },
            // Still waiting at +30: late.
            CaseTimes {
                queued_at: m(5),
                dispatched_at: None,
                handled_at: None,
                handle_due: None,
                unit: None,
                closed: false,
            },
        ];
        let s = summarize(&cases, l, m(30));
        assert_eq!((s.cases, s.dispatched, s.handled, s.closed, s.waiting), (3, 2, 2, 1, 1));
        assert_eq!(s.mean_minutes_to_dispatch, Some(15.0));
        assert_eq!(s.max_minutes_to_dispatch, Some(20.0));
        assert_eq!(s.mean_minutes_to_handle, Some(180.0));
        assert_eq!(s.max_minutes_to_handle, Some(300.0));
        assert_eq!((s.dispatch_overdue, s.handle_overdue), (2, 1));
        assert_eq!(s.units, ["roads", "water"]);
    }

    #[test]
    fn the_span_of_control_counts_per_supervisor() {
        assert!(!over_span(7, 1, SPAN_OF_CONTROL));
        assert!(over_span(8, 1, SPAN_OF_CONTROL));
        assert!(!over_span(14, 2, SPAN_OF_CONTROL));
        assert!(over_span(8, 0, SPAN_OF_CONTROL));
    }

    #[test]
    fn the_state_machine_registers_under_command_only_and_counts_round_the_clock() {
        use crate::workflow::{
            self, CaseFacts, CaseRecord, CaseState, DeadlineChange, DeadlineSource, Provided, Refusal,
        };
        let calendar = crate::calendar::WorkingCalendar::china().unwrap();
        // Saturday 22:00 in Shanghai: a working-calendar deadline would fall on Monday.
        let now = at("2026-12-05T14:00:00Z");
        let record = CaseRecord { time_limit: Some("2h".parse().unwrap()), ..CaseRecord::default() };
        let peacetime = CaseFacts::new(record, false, now);
        let none = Provided::default();
        let register = |facts: &CaseFacts| {
            workflow::take(
                CaseState::Reported,
                workflow::Action::CommandRegister,
                Role::System,
                &none,
                facts,
                &calendar,
            )
        };
        assert_eq!(register(&peacetime).unwrap_err(), Refusal::NotUnderCommand);
        let handle = limits(Level::II).handle_minutes;
        let wartime = CaseFacts { under_command: true, round_the_clock_minutes: Some(handle), ..peacetime };
        assert_eq!(register(&wartime).unwrap().to(), CaseState::Registered);
        for role in [Role::Dispatcher, Role::Admin, Role::Citizen] {
            let refused = workflow::take(
                CaseState::Reported,
                workflow::Action::CommandRegister,
                role,
                &none,
                &wartime,
                &calendar,
            );
            assert_eq!(refused.unwrap_err().code(), "not_allowed_for_role");
        }
        // The dispatch of a case under command: four hours later, whatever the day; the same
        // after the switch-off (the case keeps its limit, no longer under command).
        let to_unit = Provided { handling_unit: Some("water"), ..Provided::default() };
        let kept = CaseFacts { under_command: false, ..wartime };
        for facts in [wartime, kept] {
            let step = workflow::take(
                CaseState::Registered,
                workflow::Action::Dispatch,
                Role::Admin,
                &to_unit,
                &facts,
                &calendar,
            )
            .unwrap();
            assert_eq!(
                step.deadline,
                DeadlineChange::Set {
                    due: now + Duration::hours(4),
                    source: DeadlineSource::RoundTheClock { minutes: 240 }
                }
            );
        }
        let step = workflow::take(
            CaseState::Registered,
            workflow::Action::Dispatch,
            Role::Admin,
            &to_unit,
            &peacetime,
            &calendar,
        )
        .unwrap();
        assert!(step.deadline.due().unwrap() > now + Duration::hours(24));
        // On a working morning the category's 2 working hours fall due before the level's 4
        // hours: a limit under command is never longer than in peacetime.
        let monday = at("2026-12-07T01:00:00Z");
        let morning = CaseFacts { now: monday, ..wartime };
        let step = workflow::take(
            CaseState::Registered,
            workflow::Action::Dispatch,
            Role::Admin,
            &to_unit,
            &morning,
            &calendar,
        )
        .unwrap();
        assert_eq!(step.deadline.due(), Some(monday + Duration::hours(2)));
    }

    #[test]
    fn joint_units_are_checked_and_named_once() {
        let names = |units: &[&str]| units.iter().map(|u| (*u).to_owned()).collect::<Vec<_>>();
        assert_eq!(check_joint_units(&names(&[" water ", "roads"])), Ok(names(&["water", "roads"])));
        assert_eq!(check_joint_units(&[]), Ok(Vec::new()));
        let twice = check_joint_units(&names(&["water", "water"])).unwrap_err();
        assert_eq!((twice.code(), twice.field().as_deref()), ("joint_unit_invalid", Some("joint_units[1]")));
        let blank = check_joint_units(&names(&["water", " "])).unwrap_err();
        assert_eq!(blank.field().as_deref(), Some("joint_units[1]"));
        let many: Vec<String> = (0..=MAX_JOINT_UNITS).map(|i| format!("u{i}")).collect();
        let refused = check_joint_units(&many).unwrap_err();
        assert_eq!(
            (refused.code(), refused.field().as_deref()),
            ("too_many_joint_units", Some("joint_units"))
        );
    }

    #[test]
    fn a_dispatch_under_command_without_helpers_gets_the_joint_units_but_the_lead() {
        use crate::workflow::{self, Action as CaseAction, CaseRecord, CaseState, Provided};
        let calendar = crate::calendar::WorkingCalendar::china().unwrap();
        // Saturday 22:00 in Shanghai: the level's 240 minutes fall due long before Monday.
        let now = at("2026-12-05T14:00:00Z");
        let record = CaseRecord { time_limit: Some("2h".parse().unwrap()), ..CaseRecord::default() };
        let handle = limits(Level::II).handle_minutes;
        let wartime = CaseFacts {
            under_command: true,
            round_the_clock_minutes: Some(handle),
            ..CaseFacts::new(record, false, now)
        };
        let duty = JointDuty {
            emergency_id: "e1".to_owned(),
            area: "310104".to_owned(),
            level: Level::II,
            kind: Kind::FloodTyphoon,
            units: vec!["water".to_owned(), "roads".to_owned(), "power".to_owned()],
        };
        let dispatch = |requested, duty, facts: &CaseFacts| {
            dispatch_helpers(CaseAction::Dispatch, requested, duty, facts, Some("roads"))
        };
        let defaults = dispatch(None, Some(&duty), &wartime);
        assert_eq!(defaults.iter().map(|h| h.unit.as_str()).collect::<Vec<_>>(), ["water", "power"]);
        assert!(defaults.iter().all(|h| h.note.contains("e1") && h.note.contains("240 minutes")));
        assert!(defaults.iter().all(|h| h.time_limit.is_none()));
        // Planned by the dispatch: each part falls due with the case, round the clock.
        let provided = Provided { handling_unit: Some("roads"), helpers: &defaults, ..Provided::default() };
        let step = workflow::take(
            CaseState::Registered,
            CaseAction::Dispatch,
            Role::Admin,
            &provided,
            &wartime,
            &calendar,
        )
        .unwrap();
        let parts = step.helper_parts.unwrap();
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.deadline == Some(now + Duration::minutes(240))));
        assert_eq!(step.deadline.due(), Some(now + Duration::minutes(240)));

        // Helpers named replace the default, none named takes none; no default off command.
        let named = [HelperPartRequest { unit: "gas".to_owned(), note: "x".to_owned(), time_limit: None }];
        assert_eq!(dispatch(Some(&named), Some(&duty), &wartime), named);
        assert!(dispatch(Some(&[]), Some(&duty), &wartime).is_empty());
        let ended = CaseFacts { under_command: false, ..wartime };
        assert!(dispatch(None, Some(&duty), &ended).is_empty());
        assert!(dispatch(None, None, &wartime).is_empty());
        let reassign = dispatch_helpers(CaseAction::Reassign, None, Some(&duty), &wartime, None);
        assert_eq!(reassign.len(), 3);
        // Other steps take no default: accepting the case under command adds no part.
        assert!(dispatch_helpers(CaseAction::Accept, None, Some(&duty), &wartime, None).is_empty());
    }

    #[test]
    fn names_round_trip() {
        for level in Level::ALL {
            assert_eq!(level.as_str().parse::<Level>().unwrap(), *level);
            assert_eq!(serde_json::to_value(level).unwrap(), level.as_str());
        }
        for kind in Kind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert_eq!("V".parse::<Level>().unwrap_err().code(), "unknown_name");
    }
}
