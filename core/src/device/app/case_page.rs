//! The case page of the field apps (grid inspector, handling unit's worker): everything the
//! staff view of a case holds that the account may see — the report's photos ("before") and the
//! photos of the steps taken on it (the handler's "after" photos), the timeline, the deadline
//! and the time left, the helper units' parts of a joint case (协办) with the lead unit — and the
//! actions core's workflow allows this role from the case's state, each with what it requires
//! (a reason, a photo, a position on site).
//!
//! Taking an action: photos come from the camera with `AddPhoto`, the position is the live fix
//! read at the moment of the step. For an on-site step (verify, confirm) core checks that the
//! position is inside the case's cell or within the routing tolerance of it
//! ([`crate::grid::OnSite`], the same check the server makes), and says how far away the
//! inspector stands when it is not. The step is queued in the outbox (so it survives no signal)
//! and sent at once when there is a connection; a refusal by the server is shown in words.
//!
//! Opened online, the case and its timeline are fetched and kept with the photos' thumbnails;
//! offline, the kept copy, or the work list's, is shown. A photo opens full size over the page
//! (see [`super::photos`]).

use std::sync::{Arc, Mutex};

use chrono::Utc;
use serde_json::Value;

use super::my_reports::fetch_and_keep;
use super::new_report::photo_words;
use super::observe::{ListenerHandle, Observers, lock};
use super::photos::{self, OpenPhoto, PhotoView, PhotoViewer};
use super::text::{self, Language};
use super::work_list::{ListedCase, distance_words, strings, time_left_words};
use super::{Screen, Shared};
use crate::device::pull::PullList;
use crate::device::remote::case_segment;
use crate::device::{CaseAction, Error, ItemStatus, Position};
use crate::geo::{Crs, GeoPoint};
use crate::grid::OnSite;
use crate::photo::{PhotoOptions, PreparedPhoto, prepare};
use crate::protocol::joint::JointView;
use crate::workflow::parts::PartState;
use crate::workflow::{Action, Role, available_actions, decide};

/// One entry of the staff timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CaseEvent {
    /// When (RFC 3339, UTC).
    pub at: String,
    /// What happened, in words.
    pub text: String,
    /// Who, by role, in words.
    pub who: String,
    pub reason: Option<String>,
    /// The note that went with the step (what the street office asks the inspector to look at).
    pub note: Option<String>,
    /// Photos taken with the step.
    pub photo_ids: Vec<String>,
}

/// An action the account may take, with what it requires.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ActionView {
    /// The action's wire name, sent back with `Take`.
    pub action: String,
    pub label: String,
    pub needs_reason: bool,
    pub needs_photo: bool,
    pub needs_position: bool,
    /// What it needs, in words ("a photo and your position on site").
    pub requirement_text: Option<String>,
}

/// A helper unit's part of a joint case (协办), as the case page draws it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct HelperPartView {
    /// The helper unit's code.
    pub unit: String,
    /// What the unit is asked to do.
    pub note: String,
    /// Where the part stands, in words.
    pub state_text: String,
    /// RFC 3339.
    pub deadline: Option<String>,
    pub time_left_text: Option<String>,
    pub overdue: bool,
    /// Why it was sent back, closed or returned for rework (the latest).
    pub reason: Option<String>,
}

/// What the case page shows.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CasePageState {
    pub case_id: String,
    pub tracking_number: String,
    pub category: String,
    pub description: String,
    pub place_text: String,
    pub state_text: String,
    pub deadline: Option<String>,
    pub time_left_text: Option<String>,
    pub overdue: bool,
    /// The report's photos.
    pub before_photos: Vec<PhotoView>,
    pub before_photos_label: String,
    /// The photos of the steps taken on the case (the handler's after-photos among them).
    pub after_photos: Vec<PhotoView>,
    pub after_photos_label: String,
    /// A photo opened full size, drawn over the page.
    pub viewer: Option<PhotoViewer>,
    pub timeline: Vec<CaseEvent>,
    /// The lead unit (主办) of a joint case, in words; `None` when the case has no parts.
    pub lead_unit_text: Option<String>,
    /// The helper units' parts (协办), withdrawn ones left out, and their heading.
    pub parts: Vec<HelperPartView>,
    pub parts_label: String,
    pub actions: Vec<ActionView>,
    /// Photos taken for the next step (count), and the label to add one.
    pub step_photos: u32,
    pub add_photo_label: String,
    pub photo_error: Option<String>,
    pub reason_label: String,
    pub reason: String,
    pub reason_error: Option<String>,
    /// Where the phone stands relative to the case's cell, in words, when it has a fix.
    pub on_site_text: Option<String>,
    /// Why the step could not be taken (too far, no position, refused by the server).
    pub error: Option<String>,
    pub message: Option<String>,
    pub busy: bool,
    /// Shown from a kept copy, without a connection.
    pub offline: bool,
    /// Not a case this account may work: unknown, or outside its cells or unit.
    pub missing: bool,
}

/// What the user did on the case page.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum CasePageIntent {
    Refresh,
    /// A photo from the camera for the next step.
    AddPhoto {
        bytes: Vec<u8>,
    },
    ClearPhotos,
    SetReason {
        reason: String,
    },
    /// Take the action named by its wire name (one of `actions`).
    Take {
        action: String,
    },
    /// Open one of the case's photos full size (fetched unless kept).
    OpenPhoto {
        photo_id: String,
    },
    ClosePhoto,
}

/// Hears every [`CasePageState`].
#[cfg_attr(feature = "uniffi", uniffi::export(with_foreign))]
pub trait CasePageListener: Send + Sync {
    fn on_state(&self, state: CasePageState);
}

#[derive(Default)]
struct Data {
    photos: Vec<PreparedPhoto>,
    photo_error: Option<String>,
    reason: String,
    reason_error: Option<String>,
    error: Option<String>,
    message: Option<String>,
    busy: bool,
    offline: bool,
    open_photo: Option<OpenPhoto>,
}

/// The case page's model.
#[cfg_attr(feature = "uniffi", derive(uniffi::Object))]
pub struct CasePageModel {
    shared: Arc<Shared>,
    case_id: String,
    data: Mutex<Data>,
    observers: Arc<Observers<CasePageState>>,
}

fn kept_key(case_id: &str) -> String {
    format!("staff_case.{case_id}")
}

/// Where the case's joint view (its helper parts) is kept, beside the case.
fn joint_key(case_id: &str) -> String {
    format!("staff_case_joint.{case_id}")
}

/// The helper parts of a kept joint view (withdrawn ones left out), in `lang`, and the lead
/// unit in words when there is a part to lead.
fn parts_of(joint: Option<JointView>, lang: Language) -> (Option<String>, Vec<HelperPartView>) {
    let Some(joint) = joint else { return (None, Vec::new()) };
    let parts: Vec<HelperPartView> = joint
        .parts
        .into_iter()
        .filter(|p| p.state != PartState::Withdrawn)
        .map(|part| {
            let (zh, en) = part.state.words();
            let deadline =
                part.deadline.as_deref().and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok());
            HelperPartView {
                unit: part.unit,
                note: part.note,
                state_text: lang.pick(zh, en),
                time_left_text: deadline
                    .filter(|_| part.state.is_open())
                    .map(|d| time_left_words(d.with_timezone(&Utc), Utc::now(), lang)),
                deadline: part.deadline,
                overdue: part.overdue,
                reason: part.reason,
            }
        })
        .collect();
    let lead = joint
        .lead_unit
        .filter(|_| !parts.is_empty())
        .map(|unit| lang.pick(&format!("主办单位：{unit}"), &format!("Lead unit: {unit}")));
    (lead, parts)
}

/// An action in words (core's one table, [`Action::words`]).
fn action_words(action: Action, lang: Language) -> String {
    let (zh, en) = action.words();
    lang.pick(zh, en)
}

/// The requirements of a step in words.
fn requirement_words(reason: bool, photo: bool, position: bool, lang: Language) -> Option<String> {
    let mut parts = Vec::new();
    if photo {
        parts.push(lang.pick("现场照片", "a photo"));
    }
    if position {
        parts.push(lang.pick("现场定位", "your position on site"));
    }
    if reason {
        parts.push(lang.pick("原因", "a reason"));
    }
    if parts.is_empty() {
        return None;
    }
    Some(lang.pick(&format!("需要：{}", parts.join("、")), &format!("Needs {}", parts.join(", "))))
}

/// What an event of the timeline did, in words: the state it led to, or for a step that leaves
/// the state as it was (confirm, extend, rate) the step itself.
fn event_words(event: &Value, lang: Language) -> String {
    let field = |key: &str| event.get(key).and_then(Value::as_str);
    match (field("kind").and_then(|k| k.parse::<Action>().ok()), field("to_state")) {
        (Some(action), to) if to.is_none() || to == field("from_state") => action_words(action, lang),
        (_, Some(to)) => text::state_name_words(to, lang),
        (_, None) => field("kind").unwrap_or_default().to_owned(),
    }
}

/// Where someone stands relative to the case's cell, in words.
fn on_site_words(on_site: OnSite, lang: Language) -> String {
    match on_site {
        OnSite::Inside => lang.pick("您在案件所在网格内", "You are in the case's cell"),
        OnSite::WithinTolerance { distance_m } => {
            let d = distance_words(distance_m, lang);
            lang.pick(
                &format!("您在网格外 {d}，在允许范围内"),
                &format!("{d} outside the cell, close enough"),
            )
        }
        OnSite::TooFar { distance_m, tolerance_m } => {
            let (d, t) = (distance_words(distance_m, lang), distance_words(tolerance_m, lang));
            lang.pick(
                &format!("您距离案件所在网格 {d}，需要在 {t}以内，请到现场后再操作"),
                &format!("You are {d} from the case's cell; come within {t} of it to do this"),
            )
        }
    }
}

/// The report's photos and the steps' photos (those not already the report's) of `case` and
/// its `timeline`.
fn photo_ids_of(case: &ListedCase, timeline: &Value) -> (Vec<String>, Vec<String>) {
    let before = strings(&case.doc, "photo_ids");
    let after = timeline
        .get("events")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|e| strings(e, "photo_ids"))
        .filter(|id| !before.contains(id))
        .collect();
    (before, after)
}

impl CasePageModel {
    pub(crate) fn open(shared: Arc<Shared>, case_id: String) -> Arc<Self> {
        let model = Arc::new(Self { shared, case_id, data: Mutex::default(), observers: Arc::default() });
        model.shared.register(Arc::downgrade(&(model.clone() as Arc<dyn Screen>)));
        model
    }

    fn role(&self) -> Option<Role> {
        self.shared.device.account().ok().flatten().map(|a| a.role)
    }

    /// The case and its timeline: the kept copy, else the work list's case without a timeline.
    fn shown(&self) -> Option<(ListedCase, Value)> {
        let store = self.shared.device.store();
        let kept: Option<Value> = store.setting(&kept_key(&self.case_id)).ok().flatten();
        let pulled = store.cached_case(PullList::Worklist, &self.case_id).ok().flatten();
        match (kept, pulled) {
            (Some(kept), pulled) => {
                // The pulled list may be newer than the kept copy (a sync since it was opened).
                let state = pulled.map_or_else(
                    || kept["case"]["state"].as_str().unwrap_or_default().to_owned(),
                    |p| p.state,
                );
                Some((ListedCase::from_doc(kept["case"].clone(), &state), kept["timeline"].clone()))
            }
            (None, Some(pulled)) => Some((ListedCase::read(&pulled), Value::Null)),
            (None, None) => None,
        }
    }

    /// Fetch the case and its timeline and keep them with the photos' thumbnails; offline,
    /// the kept copy stays.
    fn load(&self) -> Result<(), Error> {
        let fetched = fetch_and_keep(&self.shared, &self.case_id, &kept_key(&self.case_id))?;
        lock(&self.data).offline = !fetched;
        if fetched {
            self.load_joint()?;
            let (before, after) = self.photo_ids();
            photos::fetch_thumbnails(&self.shared, &[before, after].concat())?;
        }
        Ok(())
    }

    /// Fetch and keep the case's joint view (its helper parts). An account that may not read
    /// it (an inspector) keeps none; without a connection the kept copy stays.
    fn load_joint(&self) -> Result<(), Error> {
        let segment = case_segment(&self.case_id)?;
        let remote = self.shared.device.remote();
        let store = self.shared.device.store();
        match remote.get("/api/v1/cases/{id}/joint", &format!("/api/v1/cases/{segment}/joint")) {
            Ok(joint) => store.set_setting(&joint_key(&self.case_id), &joint),
            Err(Error::Transport(_) | Error::ServerUnavailable { .. }) => Ok(()),
            Err(_) => store.set_setting(&joint_key(&self.case_id), &Value::Null),
        }
    }

    /// The kept joint view of the case, if any.
    fn joint(&self) -> Option<JointView> {
        let kept: Option<Value> =
            self.shared.device.store().setting(&joint_key(&self.case_id)).ok().flatten();
        kept.filter(|v| !v.is_null()).and_then(|v| serde_json::from_value(v).ok())
    }

    /// The report's photos and the steps' photos of the case shown now.
    fn photo_ids(&self) -> (Vec<String>, Vec<String>) {
        self.shown().map(|(case, timeline)| photo_ids_of(&case, &timeline)).unwrap_or_default()
    }

    /// The labels of the two rows of photos, in `lang`.
    fn photo_labels(lang: Language) -> (String, String) {
        (lang.pick("上报照片", "Reported"), lang.pick("处置及核查照片", "Handling and checks"))
    }

    fn live_position(&self) -> Option<(GeoPoint, Option<f64>)> {
        let fix = self.shared.location.current_fix()?;
        Some((GeoPoint::new(fix.lat, fix.lon).ok()?, fix.accuracy_m))
    }

    fn on_site(&self, case: &ListedCase, at: GeoPoint) -> Option<OnSite> {
        let index = self.shared.device.grid_index().ok().flatten()?;
        OnSite::check(&index, case.grid?, at)
    }

    fn render(&self) -> CasePageState {
        let lang = self.shared.language();
        let data = lock(&self.data);
        let shown = self.shown();
        let role = self.role();
        let (case, timeline) = match &shown {
            Some((case, timeline)) => (Some(case), timeline),
            None => (None, &Value::Null),
        };
        let events = timeline.get("events").and_then(Value::as_array).cloned().unwrap_or_default();
        // From the copy read above: the page reads the store once per render.
        let (before, after) = case.map(|c| photo_ids_of(c, timeline)).unwrap_or_default();
        let (before_label, after_label) = Self::photo_labels(lang);
        // Anything but the staff view (the public one, for a case outside the account's scope)
        // is not this account's to work.
        let staff_view = case.is_some_and(|c| c.text("view") == "staff");
        let actions = match (case.and_then(|c| c.state).filter(|_| staff_view), role) {
            (Some(state), Some(role)) => available_actions(state, role)
                .into_iter()
                .filter_map(|action| {
                    let needs = decide(state, action, role).ok()?.needs;
                    Some(ActionView {
                        action: action.as_str().to_owned(),
                        label: action_words(action, lang),
                        needs_reason: needs.reason,
                        needs_photo: needs.photo,
                        needs_position: needs.position,
                        requirement_text: requirement_words(needs.reason, needs.photo, needs.position, lang),
                    })
                })
                .collect(),
            _ => Vec::new(),
        };
        let on_site_text = case
            .zip(self.live_position())
            .and_then(|(c, (at, _))| self.on_site(c, at))
            .map(|s| on_site_words(s, lang));
        let text_of = |key: &str| case.map(|c| c.text(key)).unwrap_or_default();
        let (lead_unit_text, parts) = parts_of(self.joint().filter(|_| staff_view), lang);
        CasePageState {
            case_id: self.case_id.clone(),
            tracking_number: text_of("tracking_number"),
            category: case.map(|c| c.category_name(&self.shared, lang)).unwrap_or_default(),
            description: text_of("description"),
            place_text: case.map(|c| c.place_text(&self.shared)).unwrap_or_default(),
            state_text: text::state_name_words(&text_of("state"), lang),
            deadline: case.and_then(|c| c.deadline).map(|d| d.to_rfc3339()),
            time_left_text: case.and_then(|c| c.deadline).map(|d| time_left_words(d, Utc::now(), lang)),
            overdue: case.is_some_and(|c| c.overdue),
            before_photos: photos::views(&self.shared, &before, &before_label, lang),
            before_photos_label: before_label,
            after_photos: photos::views(&self.shared, &after, &after_label, lang),
            after_photos_label: after_label,
            viewer: data.open_photo.as_ref().map(|open| photos::viewer(&self.shared, open, lang)),
            timeline: events
                .iter()
                .map(|e| CaseEvent {
                    at: e.get("at").and_then(Value::as_str).unwrap_or_default().to_owned(),
                    text: event_words(e, lang),
                    who: e
                        .pointer("/actor/role")
                        .and_then(Value::as_str)
                        .and_then(|r| r.parse::<Role>().ok())
                        .map(|r| text::role_words(r, lang))
                        .unwrap_or_default(),
                    reason: e.get("reason").and_then(Value::as_str).map(str::to_owned),
                    note: e.get("note").and_then(Value::as_str).map(str::to_owned),
                    photo_ids: strings(e, "photo_ids"),
                })
                .collect(),
            lead_unit_text,
            parts,
            parts_label: lang.pick("协办单位", "Helper units"),
            actions,
            step_photos: u32::try_from(data.photos.len()).unwrap_or(u32::MAX),
            add_photo_label: lang.pick("拍摄现场照片", "Take a photo on site"),
            photo_error: data.photo_error.clone(),
            reason_label: lang.pick("原因", "Reason"),
            reason: data.reason.clone(),
            reason_error: data.reason_error.clone(),
            on_site_text,
            error: data.error.clone(),
            message: data.message.clone(),
            busy: data.busy,
            offline: data.offline,
            missing: !staff_view,
        }
    }

    /// Check and queue `action`, then send it when there is a connection.
    fn take(&self, action: Action, lang: Language) -> Result<(), Error> {
        let Some(role) = self.role() else { return Ok(()) };
        let Some((case, _)) = self.shown().filter(|(c, _)| c.text("view") == "staff") else { return Ok(()) };
        let Some(state) = case.state else { return Ok(()) };
        let transition = match decide(state, action, role) {
            Ok(t) => t,
            Err(refusal) => {
                lock(&self.data).error = Some(text::refusal_words(refusal.code(), None, lang));
                return Ok(());
            }
        };
        let needs = transition.needs;
        let reason = lock(&self.data).reason.trim().to_owned();
        if needs.reason && reason.is_empty() {
            lock(&self.data).reason_error = Some(lang.pick("请填写原因", "Give a reason"));
            return Ok(());
        }
        if needs.photo && lock(&self.data).photos.is_empty() {
            lock(&self.data).photo_error = Some(lang.pick("请拍摄现场照片", "Take a photo on site first"));
            return Ok(());
        }
        let mut position = None;
        if needs.position {
            let Some((at, accuracy_m)) = self.live_position() else {
                lock(&self.data).error =
                    Some(lang.pick(
                        "还没有定位，请打开定位后再试",
                        "No position yet: turn on location and try again",
                    ));
                return Ok(());
            };
            if let Some(on_site) = self.on_site(&case, at).filter(|s| !s.allowed()) {
                lock(&self.data).error = Some(on_site_words(on_site, lang));
                return Ok(());
            }
            position = Some(Position { lat: at.lat(), lon: at.lon(), crs: Crs::Wgs84, accuracy_m });
        }
        let step = CaseAction {
            case_id: self.case_id.clone(),
            action,
            reason: needs.reason.then_some(reason),
            position,
            rating: None,
            comment: None,
        };
        let photos = std::mem::take(&mut lock(&self.data).photos);
        let item = self.shared.device.queue_action(&step, state, role, &photos)?;
        {
            let mut data = lock(&self.data);
            data.reason.clear();
            data.message = Some(lang.pick("已提交", "Sent"));
        }
        // Offline the step waits in the outbox; the sync pass reports its own trouble.
        let _ = self.shared.sync();
        let item = self.shared.device.store().outbox_item(&item.id)?;
        match item.status {
            ItemStatus::Delivered => self.load()?,
            ItemStatus::Pending => {
                lock(&self.data).message = Some(
                    lang.pick("已保存，有网络时自动发送", "Saved; it goes out when there is a connection"),
                )
            }
            _ => {
                let problem = item.problem.or(item.conflict);
                lock(&self.data).error = Some(problem.map_or_else(
                    || lang.pick("服务器拒绝了这一步", "The server refused this step"),
                    |p| text::refusal_words(&p.code, p.attempts_left, lang),
                ));
                lock(&self.data).message = None;
                // The step will not go: take it out of the queue so the case is not blocked.
                self.shared.device.store().discard_item(&item.id)?;
                self.load()?;
            }
        }
        Ok(())
    }

    fn apply(&self, intent: CasePageIntent, lang: Language) -> Result<(), Error> {
        match intent {
            CasePageIntent::Refresh => {
                let _ = self.shared.sync();
                self.load()?;
            }
            CasePageIntent::AddPhoto { bytes } => match prepare(&bytes, &PhotoOptions::default()) {
                Ok(photo) => {
                    let mut data = lock(&self.data);
                    data.photos.push(photo);
                    data.photo_error = None;
                }
                Err(e) => lock(&self.data).photo_error = Some(photo_words(&e, lang)),
            },
            CasePageIntent::ClearPhotos => lock(&self.data).photos.clear(),
            CasePageIntent::SetReason { reason } => {
                let mut data = lock(&self.data);
                data.reason = reason;
                data.reason_error = None;
            }
            CasePageIntent::Take { action } => match action.parse::<Action>() {
                Ok(action) => self.take(action, lang)?,
                Err(_) => lock(&self.data).error = Some(text::refusal_words("unknown_action", None, lang)),
            },
            CasePageIntent::OpenPhoto { photo_id } => {
                let (before, after) = self.photo_ids();
                let (before_label, after_label) = Self::photo_labels(lang);
                // Only a photo the page shows: an id from elsewhere is not this page's.
                let shown = photos::views(&self.shared, &before, &before_label, lang)
                    .into_iter()
                    .chain(photos::views(&self.shared, &after, &after_label, lang))
                    .find(|p| p.id == photo_id);
                if let Some(shown) = shown {
                    let opened = photos::open(&self.shared, &shown.id, shown.label, lang);
                    lock(&self.data).open_photo = Some(opened);
                }
            }
            CasePageIntent::ClosePhoto => lock(&self.data).open_photo = None,
        }
        Ok(())
    }
}

impl Screen for CasePageModel {
    fn refresh(&self) {
        self.observers.publish(&self.render());
    }
}

#[cfg_attr(feature = "uniffi", uniffi::export)]
impl CasePageModel {
    /// What the page shows now.
    pub fn state(&self) -> CasePageState {
        self.render()
    }

    /// Do what the user asked; `Refresh` and `Take` block on the network.
    pub fn send(&self, intent: CasePageIntent) {
        let lang = self.shared.language();
        {
            let mut data = lock(&self.data);
            data.busy = true;
            data.error = None;
            data.message = None;
        }
        self.observers.publish(&self.render());
        let result = self.apply(intent, lang);
        {
            let mut data = lock(&self.data);
            data.busy = false;
            if let Err(e) = result {
                data.error = Some(text::error_words(&e, lang));
            }
        }
        self.shared.changed();
    }

    /// Hear the state now and after every change.
    pub fn subscribe(&self, listener: Arc<dyn CasePageListener>) -> Arc<ListenerHandle> {
        Arc::new(self.observers.subscribe(self.render(), Arc::new(move |s| listener.on_state(s))))
    }
}
