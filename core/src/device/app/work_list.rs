//! The grid inspector's work list: every open case of the inspector's cells, as sync last
//! pulled it (`GET /api/v1/worklist`, kept in the store, so it shows offline and in a process
//! the background scheduler started cold). Each row carries what tells one case from another:
//! the category, the text, the place, the photos, the deadline and the time left, and the task
//! it sets the inspector (verify a fix on site, confirm a report, or an overdue case to watch).
//!
//! A handling unit's worker uses the same screen for the cases dispatched to their unit
//! (`dispatched`: accept or send back; `in_progress`: mark handled with an after-photo), fetched
//! with every sync from the staff case list (`GET /api/v1/cases`, scoped to the unit by the
//! server) and kept for offline reading.
//!
//! Sorted by due time (cases without a deadline last, then the newest first) or by distance
//! from the phone's live position; filtered by task. The map shows the cells the cases lie in,
//! drawn from the offline grid package, with the cases as markers. Opening a row opens the
//! case page ([`super::CasePageModel`]).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::new_report::{MapCell, MapPoint, map_cell};
use super::observe::{ListenerHandle, Observers, lock};
use super::text::{self, Language};
use super::{Screen, Shared};
use crate::codes::{CategoryCode, GridCode};
use crate::device::Error;
use crate::device::pull::{CachedCase, PullList};
use crate::device::wire::percent_encode_segment;
use crate::geo::GeoPoint;
use crate::workflow::{CaseState, Role};

/// What a case on the list asks of the inspector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum TaskKind {
    /// Handled by the unit: verify the fix on site (核查).
    Verify,
    /// Reported, not yet registered: confirm it on site when the street office asks (核实).
    Confirm,
    /// Past its deadline with the handling unit.
    Overdue,
    /// With the street office or the handling unit: nothing to do yet, shown to know the area.
    Follow,
    /// Dispatched to the worker's unit: accept it, or send it back with a reason.
    Accept,
    /// Accepted by the unit: fix it and mark it handled with an after-photo.
    Handle,
}

/// How the list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum WorkSort {
    /// The nearest deadline first; cases without one last, newest first.
    #[default]
    Due,
    /// The nearest case first, from the live position.
    Distance,
}

/// Which cases are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum WorkFilter {
    #[default]
    All,
    Verify,
    Confirm,
    Overdue,
}

/// A case on the list.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct WorkRow {
    pub case_id: String,
    pub tracking_number: String,
    /// The category's name.
    pub title: String,
    /// The reporter's text.
    pub description: String,
    /// The cell's name and code.
    pub place_text: String,
    pub state_text: String,
    pub task: TaskKind,
    pub task_text: String,
    /// The report's photos (server ids, `GET /api/v1/photos/{id}`).
    pub photo_ids: Vec<String>,
    /// The handling deadline (RFC 3339), once dispatched.
    pub deadline: Option<String>,
    /// "3 h left", "2 h overdue".
    pub time_left_text: Option<String>,
    pub overdue: bool,
    /// From the phone's live position, when there is one.
    pub distance_m: Option<f64>,
    pub distance_text: Option<String>,
}

/// A case on the map.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct WorkMarker {
    pub case_id: String,
    pub position: MapPoint,
    pub task: TaskKind,
    pub label: String,
}

/// The inspector's cells with the cases on them.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct WorkMap {
    pub cells: Vec<MapCell>,
    pub markers: Vec<WorkMarker>,
    /// The phone's position.
    pub here: Option<MapPoint>,
}

/// A choice among the sort orders or filters, with its label.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct FilterChoice {
    pub filter: WorkFilter,
    pub label: String,
    pub selected: bool,
    /// How many cases it shows.
    pub count: u32,
}

/// What the work list shows.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct WorkListState {
    pub title: String,
    pub rows: Vec<WorkRow>,
    pub empty_text: Option<String>,
    pub sort: WorkSort,
    pub sort_due_label: String,
    pub sort_distance_label: String,
    /// Sorting by distance needs a position.
    pub sort_distance_enabled: bool,
    pub filters: Vec<FilterChoice>,
    /// `None` before the grid package is on the phone.
    pub map: Option<WorkMap>,
    pub message: Option<String>,
    pub busy: bool,
}

/// What the user did on the work list.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum WorkListIntent {
    /// Pull to refresh (the outbox, the list and the grid package).
    Refresh,
    SortBy {
        sort: WorkSort,
    },
    Filter {
        filter: WorkFilter,
    },
}

/// Hears every [`WorkListState`].
#[cfg_attr(feature = "uniffi", uniffi::export(with_foreign))]
pub trait WorkListListener: Send + Sync {
    fn on_state(&self, state: WorkListState);
}

#[derive(Default)]
struct Data {
    sort: WorkSort,
    filter: WorkFilter,
    message: Option<String>,
    busy: bool,
}

/// The work list's model.
#[cfg_attr(feature = "uniffi", derive(uniffi::Object))]
pub struct WorkListModel {
    shared: Arc<Shared>,
    data: Mutex<Data>,
    observers: Arc<Observers<WorkListState>>,
}

/// A pulled case read for display: its JSON and the facts the list sorts and filters on.
pub(crate) struct ListedCase {
    pub doc: Value,
    pub state: Option<CaseState>,
    pub deadline: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub position: Option<GeoPoint>,
    pub grid: Option<GridCode>,
}

impl ListedCase {
    pub(crate) fn read(case: &CachedCase) -> Self {
        let doc: Value = serde_json::from_str(&case.json).unwrap_or_default();
        Self::from_doc(doc, &case.state)
    }

    pub(crate) fn from_doc(doc: Value, state: &str) -> Self {
        let deadline = doc
            .get("deadline")
            .and_then(Value::as_str)
            .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
            .map(|d| d.with_timezone(&Utc));
        let position = doc
            .get("position")
            .and_then(|p| GeoPoint::new(p.get("lat")?.as_f64()?, p.get("lon")?.as_f64()?).ok());
        let grid = doc.pointer("/placement/grid").and_then(Value::as_str).and_then(|g| g.parse().ok());
        Self {
            state: state.parse().ok(),
            overdue: doc.get("overdue").and_then(Value::as_bool).unwrap_or(false),
            deadline,
            position,
            grid,
            doc,
        }
    }

    pub(crate) fn text(&self, key: &str) -> String {
        self.doc.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
    }

    /// The street office asked the inspectors to confirm this report, and none has answered.
    fn confirm_requested(&self) -> bool {
        self.doc.get("confirm_requested_at").is_some_and(|at| !at.is_null())
    }

    pub(crate) fn task(&self, role: Option<Role>) -> TaskKind {
        if role == Some(Role::Handler) {
            return match self.state {
                Some(CaseState::Dispatched) => TaskKind::Accept,
                _ => TaskKind::Handle,
            };
        }
        match self.state {
            Some(CaseState::Handled) => TaskKind::Verify,
            // A report is the inspector's to confirm once the street office asks (核实派遣).
            Some(CaseState::Reported) if self.confirm_requested() => TaskKind::Confirm,
            _ if self.overdue => TaskKind::Overdue,
            _ => TaskKind::Follow,
        }
    }

    /// The category's name in `lang`, or its code.
    pub(crate) fn category_name(&self, shared: &Shared, lang: Language) -> String {
        let code = self.text("category");
        let taxonomy = shared.device.taxonomy();
        CategoryCode::parse(&code)
            .ok()
            .and_then(|c| taxonomy.get(c))
            .map_or(code, |c| lang.pick(&c.names.zh, &c.names.en))
    }

    /// The cell's name (from the grid package) and code.
    pub(crate) fn place_text(&self, shared: &Shared) -> String {
        let Some(grid) = self.grid else { return String::new() };
        let name = shared.device.grid_index().ok().flatten().and_then(|i| i.name(grid).map(str::to_owned));
        name.map_or_else(|| grid.to_string(), |n| format!("{n} ({grid})"))
    }
}

/// The time left before `deadline`, or how long it is overdue, in words.
pub(crate) fn time_left_words(deadline: DateTime<Utc>, now: DateTime<Utc>, lang: Language) -> String {
    let minutes = (deadline - now).num_minutes();
    let amount = |m: i64| -> (String, String) {
        let m = m.abs();
        if m >= 48 * 60 {
            (format!("{} 天", m / (24 * 60)), format!("{} days", m / (24 * 60)))
        } else if m >= 60 {
            (format!("{} 小时", m / 60), format!("{} h", m / 60))
        } else {
            (format!("{m} 分钟"), format!("{m} min"))
        }
    };
    let (zh, en) = amount(minutes);
    if minutes >= 0 {
        lang.pick(&format!("剩余 {zh}"), &format!("{en} left"))
    } else {
        lang.pick(&format!("已超期 {zh}"), &format!("{en} overdue"))
    }
}

/// A distance in words.
pub(crate) fn distance_words(metres: f64, lang: Language) -> String {
    if metres >= 1000.0 {
        let km = format!("{:.1}", metres / 1000.0);
        lang.pick(&format!("{km} 公里"), &format!("{km} km"))
    } else {
        let m = metres.round();
        lang.pick(&format!("{m} 米"), &format!("{m} m"))
    }
}

fn task_words(task: TaskKind, lang: Language) -> String {
    match task {
        TaskKind::Verify => lang.pick("待核查", "To verify"),
        TaskKind::Confirm => lang.pick("待核实", "To confirm"),
        TaskKind::Overdue => lang.pick("已超期", "Overdue"),
        TaskKind::Follow => lang.pick("处置中", "Being handled"),
        TaskKind::Accept => lang.pick("待接收", "To accept"),
        TaskKind::Handle => lang.pick("待处置", "To handle"),
    }
}

/// Where a handling unit's cases are kept between syncs (the staff view of each, as a list).
const ASSIGNED_KEY: &str = "assigned_cases";
/// The states of a unit's own cases, as the server's list filter takes them.
const ASSIGNED_STATES: [CaseState; 2] = [CaseState::Dispatched, CaseState::InProgress];

/// For a handling unit's worker, fetch the cases dispatched to their unit and keep them; for
/// anyone else nothing. The list is read page by page with the server's cursor, so a unit with
/// more open cases than one page holds gets them all; the kept list is replaced only once every
/// page arrived. Without a connection the kept list stays.
pub(crate) fn refresh_assigned(shared: &Shared) -> Result<(), Error> {
    let role = shared.device.account()?.map(|a| a.role);
    if role != Some(Role::Handler) {
        return Ok(());
    }
    let states: Vec<&str> = ASSIGNED_STATES.iter().map(|s| s.as_str()).collect();
    let first = format!("/api/v1/cases?state={}&limit={ASSIGNED_PAGE}", states.join(","));
    let mut items = Vec::new();
    let mut path = first.clone();
    for _ in 0..MAX_ASSIGNED_PAGES {
        let answer = match shared.device.remote().get("/api/v1/cases", &path) {
            Ok(answer) => answer,
            Err(Error::Transport(_) | Error::ServerUnavailable { .. }) => return Ok(()),
            Err(e) => return Err(e),
        };
        items.extend(answer.get("items").and_then(Value::as_array).cloned().unwrap_or_default());
        match answer.get("next_cursor").and_then(Value::as_str) {
            Some(cursor) => path = format!("{first}&cursor={}", percent_encode_segment(cursor)),
            None => break,
        }
    }
    shared.device.store().set_setting(ASSIGNED_KEY, &Value::Array(items))
}

/// Cases of a unit fetched per request (the server's largest page).
const ASSIGNED_PAGE: u32 = 200;
/// Pages read in one refresh at most (10,000 cases), so a server that keeps answering a cursor
/// cannot keep the phone busy for ever.
const MAX_ASSIGNED_PAGES: usize = 50;

/// The cases the screen lists for `role`: a unit's kept list, or the pulled work list.
fn listed_cases(shared: &Shared, role: Option<Role>) -> Vec<ListedCase> {
    let store = shared.device.store();
    if role == Some(Role::Handler) {
        let kept: Vec<Value> = store.setting(ASSIGNED_KEY).ok().flatten().unwrap_or_default();
        return kept
            .into_iter()
            .map(|doc| {
                let state = doc.get("state").and_then(Value::as_str).unwrap_or_default().to_owned();
                ListedCase::from_doc(doc, &state)
            })
            .collect();
    }
    store.cached_cases(PullList::Worklist).unwrap_or_default().iter().map(ListedCase::read).collect()
}

fn matches(filter: WorkFilter, case: &ListedCase, role: Option<Role>) -> bool {
    match filter {
        WorkFilter::All => true,
        WorkFilter::Verify => case.task(role) == TaskKind::Verify,
        WorkFilter::Confirm => case.task(role) == TaskKind::Confirm,
        WorkFilter::Overdue => case.overdue,
    }
}

impl WorkListModel {
    pub(crate) fn open(shared: Arc<Shared>) -> Arc<Self> {
        let model = Arc::new(Self { shared, data: Mutex::default(), observers: Arc::default() });
        model.shared.register(Arc::downgrade(&(model.clone() as Arc<dyn Screen>)));
        model
    }

    fn render(&self) -> WorkListState {
        let lang = self.shared.language();
        let (sort, filter, message, busy) = {
            let data = lock(&self.data);
            (data.sort, data.filter, data.message.clone(), data.busy)
        };
        let role = self.shared.device.account().ok().flatten().map(|a| a.role);
        let handler = role == Some(Role::Handler);
        let cases = listed_cases(&self.shared, role);
        let here = self.shared.location.current_fix().and_then(|fix| GeoPoint::new(fix.lat, fix.lon).ok());
        let now = Utc::now();
        let mut shown: Vec<&ListedCase> = cases.iter().filter(|c| matches(filter, c, role)).collect();
        let distance = |c: &ListedCase| here.zip(c.position).map(|(h, p)| h.distance_m(&p));
        match sort {
            // The cache is newest first; a stable sort keeps that among equal deadlines.
            WorkSort::Due => shown.sort_by_key(|c| (c.deadline.is_none(), c.deadline)),
            WorkSort::Distance => shown.sort_by(|a, b| {
                let (a, b) = (distance(a).unwrap_or(f64::MAX), distance(b).unwrap_or(f64::MAX));
                a.total_cmp(&b)
            }),
        }
        let rows: Vec<WorkRow> = shown
            .iter()
            .map(|case| {
                let task = case.task(role);
                let metres = distance(case);
                WorkRow {
                    case_id: case.text("id"),
                    tracking_number: case.text("tracking_number"),
                    title: case.category_name(&self.shared, lang),
                    description: case.text("description"),
                    place_text: case.place_text(&self.shared),
                    state_text: text::state_name_words(&case.text("state"), lang),
                    task,
                    task_text: task_words(task, lang),
                    photo_ids: strings(&case.doc, "photo_ids"),
                    deadline: case.deadline.map(|d| d.to_rfc3339()),
                    time_left_text: case.deadline.map(|d| time_left_words(d, now, lang)),
                    overdue: case.overdue,
                    distance_m: metres,
                    distance_text: metres.map(|m| distance_words(m, lang)),
                }
            })
            .collect();
        let filters = [
            (WorkFilter::All, lang.pick("全部", "All")),
            (WorkFilter::Verify, lang.pick("待核查", "To verify")),
            (WorkFilter::Confirm, lang.pick("待核实", "To confirm")),
            (WorkFilter::Overdue, lang.pick("已超期", "Overdue")),
        ]
        .into_iter()
        // A unit neither verifies nor confirms.
        .filter(|(f, _)| !handler || matches!(f, WorkFilter::All | WorkFilter::Overdue))
        .map(|(f, label)| FilterChoice {
            filter: f,
            label,
            selected: f == filter,
            count: u32::try_from(cases.iter().filter(|c| matches(f, c, role)).count()).unwrap_or(u32::MAX),
        })
        .collect();
        WorkListState {
            title: if handler {
                lang.pick("派给本单位的案件", "Cases for our unit")
            } else {
                lang.pick("我的任务", "My work list")
            },
            empty_text: rows.is_empty().then(|| lang.pick("没有需要处理的案件", "Nothing to do here")),
            map: self.map(&cases, here, role),
            rows,
            sort,
            sort_due_label: lang.pick("按期限", "By deadline"),
            sort_distance_label: lang.pick("按距离", "By distance"),
            sort_distance_enabled: here.is_some(),
            filters,
            message,
            busy,
        }
    }

    /// The cells the listed cases lie in, from the grid package, with the cases as markers.
    fn map(&self, cases: &[ListedCase], here: Option<GeoPoint>, role: Option<Role>) -> Option<WorkMap> {
        let cells = self.shared.device.grid_cells().ok().flatten()?;
        let lang = self.shared.language();
        let codes: BTreeSet<GridCode> = cases.iter().filter_map(|c| c.grid).collect();
        Some(WorkMap {
            cells: cells.iter().filter(|c| codes.contains(&c.code)).map(|c| map_cell(c, false)).collect(),
            markers: cases
                .iter()
                .filter_map(|case| {
                    let p = case.position?;
                    Some(WorkMarker {
                        case_id: case.text("id"),
                        position: MapPoint { lat: p.lat(), lon: p.lon() },
                        task: case.task(role),
                        label: case.category_name(&self.shared, lang),
                    })
                })
                .collect(),
            here: here.map(|h| MapPoint { lat: h.lat(), lon: h.lon() }),
        })
    }
}

pub(crate) fn strings(doc: &Value, key: &str) -> Vec<String> {
    doc.get(key)
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

impl Screen for WorkListModel {
    fn refresh(&self) {
        self.observers.publish(&self.render());
    }
}

#[cfg_attr(feature = "uniffi", uniffi::export)]
impl WorkListModel {
    /// What the screen shows now.
    pub fn state(&self) -> WorkListState {
        self.render()
    }

    /// Do what the user asked; `Refresh` blocks on the network.
    pub fn send(&self, intent: WorkListIntent) {
        match intent {
            WorkListIntent::SortBy { sort } => lock(&self.data).sort = sort,
            WorkListIntent::Filter { filter } => lock(&self.data).filter = filter,
            WorkListIntent::Refresh => {
                {
                    let mut data = lock(&self.data);
                    data.busy = true;
                    data.message = None;
                }
                self.observers.publish(&self.render());
                let result = self.shared.sync_with_package();
                let mut data = lock(&self.data);
                data.busy = false;
                data.message = result.err().map(|e| text::error_words(&e, self.shared.language()));
            }
        }
        self.shared.changed();
    }

    /// Hear the state now and after every change.
    pub fn subscribe(&self, listener: Arc<dyn WorkListListener>) -> Arc<ListenerHandle> {
        Arc::new(self.observers.subscribe(self.render(), Arc::new(move |s| listener.on_state(s))))
    }
}
