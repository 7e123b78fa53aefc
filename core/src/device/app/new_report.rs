//! The new-report screen: photos, the place, the category and its questions, the description,
//! anonymity, and sending (into the outbox at once, then to the server when it can be reached).
//!
//! - Photos: camera or gallery bytes, prepared by [`crate::photo::prepare`] (upright, resized,
//!   EXIF removed; capture position and time kept as fields); several, each removable, at most
//!   [`MAX_PHOTOS`].
//! - Place: the platform's live fix with its accuracy; a map drawn from the offline grid
//!   package (the cells around the centre, the routed cell highlighted with its name, pan and
//!   zoom); or, without a map, street → community → cell from lists. A pin outside every cell
//!   of the package is refused before anything is sent.
//! - Category: browsed by kind (部件/事件), major class and minor, or searched; every question
//!   gets the control of its Open311 datatype and its own error; anonymity is offered only
//!   where the category allows it.
//! - Before sending, online: the open reports of the same category around the pin (see
//!   [`super::nearby`]); the citizen follows one ("this is mine too", keeping or discarding the
//!   draft) or sends anyway. Offline or on any error the step is skipped.
//! - A grid inspector's patrol report: the place starts at the inspector's live position (the
//!   current cell preset, on a new draft), every category is offered and it is never anonymous
//!   (a supervisor's report is signed).
//! - Errors of the report's fields show after the first try to send; a refused photo or place
//!   shows at once. After a send the form starts over on a new draft, and it starts over when
//!   another account signs in.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use super::base_map::{self, BaseTile};
use super::nearby::{self, FollowedReport, NearbyReport};
use super::observe::{ListenerHandle, Observers, lock};
use super::platform::LocationFix;
use super::text::{self, Language};
use super::{Screen, Shared};
use crate::codes::{CategoryCode, CategoryKind, GridCode};
use crate::device::drafts::{MAX_DESCRIPTION_CHARS, MAX_PHOTOS};
use crate::device::{Draft, DraftFields, Error, Position};
use crate::geo::{Crs, GeoPoint};
use crate::grid::{GridCell, Route};
use crate::photo::{PhotoError, PhotoOptions, prepare};
use crate::taxonomy::{AnswerValue, Category, Question, QuestionType};
use crate::workflow::Role;

/// The map's view starts this wide (metres across), and zooms within these bounds.
const MAP_START_SPAN_M: f64 = 600.0;
const MAP_MIN_SPAN_M: f64 = 50.0;
const MAP_MAX_SPAN_M: f64 = 20_000.0;
/// The most cells a map view carries; zoomed out further, the user zooms in to pin.
const MAP_MAX_CELLS: usize = 400;
const METRES_PER_DEGREE: f64 = 111_320.0;

/// A photo on the form.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PhotoTile {
    pub id: String,
    /// The thumbnail file to draw.
    pub thumbnail_path: String,
    pub width: u32,
    pub height: u32,
    pub remove_label: String,
}

/// One entry of a list to choose from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Choice {
    pub key: String,
    pub label: String,
    pub selected: bool,
}

/// A category to pick.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CategoryChoice {
    pub code: String,
    pub name: String,
    /// Kind and major class, e.g. `部件 › 公用设施`.
    pub path: String,
    pub selected: bool,
}

/// The control a question is asked with, by its Open311 datatype.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum QuestionControl {
    /// `string`: one line.
    SingleLine,
    /// `text`: several lines.
    MultiLine,
    /// `number`: a numeric keyboard.
    Number,
    /// `datetime`: a date and time picker (the answer is RFC 3339).
    DateTime,
    /// `singlevaluelist`: one of the options.
    SingleChoice,
    /// `multivaluelist`: any of the options.
    MultiChoice,
}

/// One question of the chosen category.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct QuestionView {
    pub code: String,
    pub label: String,
    pub required: bool,
    pub control: QuestionControl,
    /// The answer so far: one value, several for a multi-choice, none when unanswered.
    pub values: Vec<String>,
    /// The options of a choice question, with what is selected.
    pub options: Vec<Choice>,
    pub error: Option<String>,
}

/// A point on the map (WGS-84).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MapPoint {
    pub lat: f64,
    pub lon: f64,
}

/// A cell drawn on the map: its outer rings.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MapCell {
    pub code: String,
    pub name: String,
    pub rings: Vec<Vec<MapPoint>>,
    /// The cell the pin is routed to.
    pub highlighted: bool,
}

/// The map, from the offline grid package.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MapView {
    pub centre: MapPoint,
    /// Metres across the view.
    pub span_m: f64,
    pub cells: Vec<MapCell>,
    pub pin: Option<MapPoint>,
    /// The fix's accuracy circle around the phone's position.
    pub fix: Option<MapPoint>,
    pub fix_accuracy_m: Option<f64>,
    pub zoom_in_enabled: bool,
    pub zoom_out_enabled: bool,
    /// The platform's base-map tiles under the cells (empty without a provider: the cells are
    /// the map).
    pub base_tiles: Vec<BaseTile>,
}

/// What the new-report screen shows.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewReportState {
    pub title: String,
    /// The draft being written (none until the first change).
    pub draft_id: Option<String>,
    pub photos: Vec<PhotoTile>,
    pub photos_label: String,
    pub add_photo_enabled: bool,
    pub photos_error: Option<String>,
    /// The fix in words with its accuracy, e.g. `±8 m`.
    pub location_text: String,
    pub use_location_label: String,
    /// Where the pin is, in words: the routed cell's name and code.
    pub place_text: String,
    pub position_error: Option<String>,
    /// Without a package there is no map and no lists; the fix alone places the report.
    pub map: Option<MapView>,
    pub streets: Vec<Choice>,
    pub communities: Vec<Choice>,
    pub cells: Vec<Choice>,
    pub description_label: String,
    pub description: String,
    /// Characters used of the limit, e.g. `12/4000`.
    pub description_counter: String,
    pub description_error: Option<String>,
    pub category_label: String,
    pub category_query: String,
    pub category_results: Vec<CategoryChoice>,
    pub kinds: Vec<Choice>,
    pub majors: Vec<Choice>,
    pub category: Option<CategoryChoice>,
    pub category_error: Option<String>,
    pub questions: Vec<QuestionView>,
    pub anonymous_visible: bool,
    pub anonymous_label: String,
    pub anonymous: bool,
    pub anonymous_error: Option<String>,
    pub send_label: String,
    pub send_enabled: bool,
    pub discard_label: String,
    /// What happened (queued, sent, refused), in words.
    pub message: Option<String>,
    pub busy: bool,
    /// Open reports of the same category near the pin, found when sending; while there are
    /// any, the screen asks "this is mine too" (follow) or "send anyway".
    pub nearby: Vec<NearbyReport>,
    pub nearby_title: String,
    pub follow_label: String,
    pub follow_discard_label: String,
    pub send_anyway_label: String,
}

/// One answer as the user gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum AnswerInput {
    /// Text, a number, a date and time (RFC 3339) or one option's key; empty clears it.
    One { value: String },
    /// The options chosen for a multi-choice.
    Many { keys: Vec<String> },
}

/// What the user did on the new-report screen.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum NewReportIntent {
    /// A photo's bytes from the camera or the gallery.
    AddPhoto {
        bytes: Vec<u8>,
    },
    RemovePhoto {
        photo_id: String,
    },
    /// Place the report where the phone is (the platform's newest fix); the pin then follows
    /// the fixes pushed by `LocationUpdated` until it is placed by hand.
    UseMyLocation,
    /// The platform's location updates, pushed by the shell while the screen is open: the fix
    /// and its accuracy are shown at once, and the pin moves with them while it follows the
    /// phone (after `UseMyLocation`, until the pin is placed on the map or by cell).
    LocationUpdated {
        fix: LocationFix,
    },
    /// The pin was put or dragged here on the map.
    PlacePin {
        lat: f64,
        lon: f64,
    },
    /// Move the map's view by this many metres east and north.
    PanMap {
        east_m: f64,
        north_m: f64,
    },
    ZoomIn,
    ZoomOut,
    ChooseStreet {
        code: String,
    },
    ChooseCommunity {
        code: String,
    },
    /// Place the report in this cell (the no-map path).
    ChooseCell {
        code: String,
    },
    SetDescription {
        text: String,
    },
    SearchCategory {
        query: String,
    },
    BrowseKind {
        kind: String,
    },
    BrowseMajor {
        major: String,
    },
    ChooseCategory {
        code: String,
    },
    Answer {
        question: String,
        input: AnswerInput,
    },
    SetAnonymous {
        anonymous: bool,
    },
    Send,
    /// "This is mine too": follow the nearby report by its tracking number instead of sending;
    /// the draft is kept in the drafts when `keep_draft`, else discarded.
    FollowNearby {
        tracking_number: String,
        keep_draft: bool,
    },
    /// Send although there are reports nearby.
    SendAnyway,
    /// Throw the draft away and start over.
    Discard,
}

/// Hears every [`NewReportState`].
#[cfg_attr(feature = "uniffi", uniffi::export(with_foreign))]
pub trait NewReportListener: Send + Sync {
    fn on_state(&self, state: NewReportState);
}

#[derive(Default)]
struct Data {
    draft_id: Option<String>,
    /// Who was signed in when the form started; another account starts it over.
    account: Option<String>,
    fix: Option<LocationFix>,
    /// The pin is where the phone is and moves with its fixes.
    pin_follows_fix: bool,
    map_centre: Option<MapPoint>,
    map_span_m: Option<f64>,
    street: Option<String>,
    community: Option<String>,
    query: String,
    kind: Option<CategoryKind>,
    major: Option<u8>,
    photos_error: Option<String>,
    position_error: Option<String>,
    show_errors: bool,
    message: Option<String>,
    busy: bool,
    /// The nearby reports found on the last send, with what is kept when one is followed.
    nearby: Vec<(NearbyReport, FollowedReport)>,
}

impl Data {
    fn start_over(&mut self, account: Option<String>) {
        *self = Data { account, fix: self.fix, ..Data::default() };
    }
}

/// The new-report screen's model.
#[cfg_attr(feature = "uniffi", derive(uniffi::Object))]
pub struct NewReportModel {
    shared: Arc<Shared>,
    data: Mutex<Data>,
    observers: Arc<Observers<NewReportState>>,
}

fn current_account(shared: &Shared) -> Option<String> {
    shared.device.account().ok().flatten().map(|a| a.user_id)
}

impl NewReportModel {
    pub(crate) fn open(shared: Arc<Shared>, draft_id: Option<String>) -> Arc<Self> {
        let account = current_account(&shared);
        let draft_id = draft_id.filter(|id| shared.device.store().draft(id).is_ok());
        let data = Data { draft_id, account, ..Data::default() };
        let model = Arc::new(Self { shared, data: Mutex::new(data), observers: Arc::default() });
        model.shared.register(Arc::downgrade(&(model.clone() as Arc<dyn Screen>)));
        if lock(&model.data).draft_id.is_none() {
            // Nothing to tell the user yet: without a fix the place is chosen as for anyone.
            let _ = model.preset_patrol_place();
        }
        model
    }

    /// A patrol report by a grid inspector (never anonymous, placed where they stand).
    fn patrol(&self) -> bool {
        self.shared.device.account().ok().flatten().is_some_and(|a| a.role == Role::Inspector)
    }

    /// For an inspector with a fix, place the report where they stand, so the current cell is
    /// preset.
    fn preset_patrol_place(&self) -> Result<(), Error> {
        if !self.patrol() {
            return Ok(());
        }
        let Some(fix) = self.shared.location.current_fix() else { return Ok(()) };
        lock(&self.data).fix = Some(fix);
        self.place(MapPoint { lat: fix.lat, lon: fix.lon }, fix.accuracy_m)
    }

    fn draft(&self) -> Option<Draft> {
        let id = lock(&self.data).draft_id.clone()?;
        self.shared.device.store().draft(&id).ok()
    }

    /// The draft being written, made on the first change.
    fn ensure_draft(&self) -> Result<Draft, Error> {
        if let Some(draft) = self.draft() {
            return Ok(draft);
        }
        let draft = self.shared.device.store().create_draft(&DraftFields::default())?;
        lock(&self.data).draft_id = Some(draft.id.clone());
        Ok(draft)
    }

    fn edit(&self, change: impl FnOnce(&mut DraftFields)) -> Result<(), Error> {
        let draft = self.ensure_draft()?;
        let mut fields = draft.fields;
        change(&mut fields);
        self.shared.device.store().update_draft(&draft.id, &fields)?;
        Ok(())
    }

    /// Put the report at `point`, checked against the offline grid package when there is one.
    fn place(&self, point: MapPoint, accuracy_m: Option<f64>) -> Result<(), Error> {
        let lang = self.shared.language();
        let error = match GeoPoint::new(point.lat, point.lon) {
            Err(_) => Some(lang.pick("这个位置不在地球上", "This place is not on Earth")),
            Ok(geo) => match self.shared.device.route_offline(geo, Crs::Wgs84)? {
                Some(Route::Unroutable) => Some(lang.pick(
                    "这个位置不在本市任何网格内，请移动定位点",
                    "This place is outside every grid cell of the city; move the pin",
                )),
                _ => None,
            },
        };
        {
            let mut data = lock(&self.data);
            data.position_error = error;
            data.map_centre = Some(point);
        }
        self.edit(|fields| {
            fields.position = Some(Position { lat: point.lat, lon: point.lon, crs: Crs::Wgs84, accuracy_m });
        })
    }

    /// Send the draft; with `ask_nearby`, first the duplicate step (online only).
    fn send_report(&self, lang: Language, ask_nearby: bool) -> Result<(), Error> {
        let draft = self.ensure_draft()?;
        lock(&self.data).show_errors = true;
        if lock(&self.data).position_error.is_some() {
            return Ok(());
        }
        let problems = self.shared.device.check_draft(&draft.id)?;
        if !problems.is_empty() {
            lock(&self.data).message = Some(lang.pick("请检查标出的内容", "Check the marked fields"));
            return Ok(());
        }
        let found = if ask_nearby { nearby::ask(&self.shared, &draft.fields) } else { Vec::new() };
        if !found.is_empty() {
            let mut data = lock(&self.data);
            data.nearby = found;
            data.message = Some(lang.pick(
                "附近已有同类问题的上报，是您看到的这个吗？",
                "This may already be reported nearby. Is it one of these?",
            ));
            return Ok(());
        }
        self.shared.device.submit(&draft.id)?;
        let account = current_account(&self.shared);
        lock(&self.data).start_over(account);
        self.preset_patrol_place()?;
        // Deliver now if the server can be reached; offline, the outbox keeps it and the
        // scheduled sync sends it later.
        let delivered = matches!(self.shared.sync(), Ok(crate::device::SyncOutcome::Idle));
        lock(&self.data).message = Some(if delivered {
            lang.pick("已发送", "Sent")
        } else {
            lang.pick("已保存，联网后自动发送", "Saved; it will be sent when there is a connection")
        });
        Ok(())
    }

    fn apply(&self, intent: NewReportIntent, lang: Language) -> Result<(), Error> {
        let taxonomy = self.shared.device.taxonomy();
        match intent {
            NewReportIntent::AddPhoto { bytes } => {
                let draft = self.ensure_draft()?;
                if draft.photos.len() >= MAX_PHOTOS {
                    lock(&self.data).photos_error =
                        Some(lang.pick(
                            &format!("最多 {MAX_PHOTOS} 张照片"),
                            &format!("At most {MAX_PHOTOS} photos"),
                        ));
                    return Ok(());
                }
                match prepare(&bytes, &PhotoOptions::default()) {
                    Ok(prepared) => {
                        self.shared.device.store().add_photo(&draft.id, &prepared)?;
                        lock(&self.data).photos_error = None;
                    }
                    Err(e) => lock(&self.data).photos_error = Some(photo_words(&e, lang)),
                }
            }
            NewReportIntent::RemovePhoto { photo_id } => {
                if let Some(draft) = self.draft() {
                    self.shared.device.store().remove_photo(&draft.id, &photo_id)?;
                }
            }
            NewReportIntent::UseMyLocation => match self.shared.location.current_fix() {
                Some(fix) => {
                    {
                        let mut data = lock(&self.data);
                        data.fix = Some(fix);
                        data.pin_follows_fix = true;
                    }
                    self.place(MapPoint { lat: fix.lat, lon: fix.lon }, fix.accuracy_m)?;
                }
                None => {
                    lock(&self.data).position_error = Some(lang.pick(
                        "还没有定位，请打开定位或在地图上选点",
                        "No location yet; turn on location or choose the place on the map",
                    ));
                }
            },
            NewReportIntent::LocationUpdated { fix } => {
                let follows = {
                    let mut data = lock(&self.data);
                    data.fix = Some(fix);
                    data.pin_follows_fix
                };
                if follows {
                    self.place(MapPoint { lat: fix.lat, lon: fix.lon }, fix.accuracy_m)?;
                }
            }
            NewReportIntent::PlacePin { lat, lon } => {
                lock(&self.data).pin_follows_fix = false;
                self.place(MapPoint { lat, lon }, None)?;
            }
            NewReportIntent::PanMap { east_m, north_m } => {
                let centre = self.map_centre();
                if let Some(c) = centre {
                    let lat = c.lat + north_m / METRES_PER_DEGREE;
                    let lon = c.lon + east_m / (METRES_PER_DEGREE * c.lat.to_radians().cos().max(0.01));
                    lock(&self.data).map_centre = Some(MapPoint { lat: lat.clamp(-90.0, 90.0), lon });
                }
            }
            NewReportIntent::ZoomIn | NewReportIntent::ZoomOut => {
                let mut data = lock(&self.data);
                let span = data.map_span_m.unwrap_or(MAP_START_SPAN_M);
                let factor = if matches!(intent, NewReportIntent::ZoomIn) { 0.5 } else { 2.0 };
                data.map_span_m = Some((span * factor).clamp(MAP_MIN_SPAN_M, MAP_MAX_SPAN_M));
            }
            NewReportIntent::ChooseStreet { code } => {
                let mut data = lock(&self.data);
                data.street = Some(code);
                data.community = None;
            }
            NewReportIntent::ChooseCommunity { code } => lock(&self.data).community = Some(code),
            NewReportIntent::ChooseCell { code } => {
                let cells = self.shared.device.grid_cells()?.unwrap_or_default();
                let cell = GridCode::parse(&code).ok().and_then(|c| cells.iter().find(|cell| cell.code == c));
                match cell.and_then(|cell| self.point_inside(cell)) {
                    Some(point) => {
                        {
                            let mut data = lock(&self.data);
                            data.street = Some(code[..9].to_owned());
                            data.community = Some(code[..12].to_owned());
                            data.pin_follows_fix = false;
                        }
                        self.place(point, None)?;
                    }
                    None => {
                        lock(&self.data).position_error =
                            Some(lang.pick("找不到这个网格", "There is no such grid cell"));
                    }
                }
            }
            NewReportIntent::SetDescription { text } => self.edit(|f| f.description = text)?,
            NewReportIntent::SearchCategory { query } => lock(&self.data).query = query,
            NewReportIntent::BrowseKind { kind } => {
                let mut data = lock(&self.data);
                data.kind = kind_from(&kind);
                data.major = None;
            }
            NewReportIntent::BrowseMajor { major } => lock(&self.data).major = major.parse().ok(),
            NewReportIntent::ChooseCategory { code } => {
                let category = CategoryCode::parse(&code).ok().and_then(|c| taxonomy.get(c));
                let Some(category) = category else {
                    return self.edit(|f| f.category = Some(code));
                };
                self.edit(|f| {
                    f.category = Some(category.code.to_string());
                    f.answers.retain(|question, _| category.questions.iter().any(|q| &q.code == question));
                    f.anonymous &= category.anonymous_allowed;
                })?;
                let mut data = lock(&self.data);
                data.kind = Some(category.code.kind());
                data.major = Some(category.code.major());
            }
            NewReportIntent::Answer { question, input } => self.edit(|f| match input {
                AnswerInput::One { value } if value.trim().is_empty() => {
                    f.answers.remove(&question);
                }
                AnswerInput::One { value } => {
                    f.answers.insert(question, AnswerValue::One(value));
                }
                AnswerInput::Many { keys } if keys.is_empty() => {
                    f.answers.remove(&question);
                }
                AnswerInput::Many { keys } => {
                    f.answers.insert(question, AnswerValue::Many(keys));
                }
            })?,
            NewReportIntent::SetAnonymous { anonymous } => {
                let patrol = self.patrol();
                self.edit(|f| f.anonymous = anonymous && !patrol)?;
            }
            NewReportIntent::Send => self.send_report(lang, true)?,
            NewReportIntent::SendAnyway => {
                lock(&self.data).nearby.clear();
                self.send_report(lang, false)?;
            }
            NewReportIntent::FollowNearby { tracking_number, keep_draft } => {
                let chosen = lock(&self.data)
                    .nearby
                    .iter()
                    .find(|(shown, _)| shown.tracking_number == tracking_number)
                    .map(|(_, kept)| kept.clone());
                let Some(chosen) = chosen else { return Ok(()) };
                nearby::follow(&self.shared, chosen)?;
                if !keep_draft && let Some(draft) = self.draft() {
                    self.shared.device.store().delete_draft(&draft.id)?;
                }
                let account = current_account(&self.shared);
                let mut data = lock(&self.data);
                data.start_over(account);
                data.message = Some(lang.pick(
                    &format!("已关注上报 {tracking_number}，可在“我的上报”查看"),
                    &format!("Following report {tracking_number}; see it in My reports"),
                ));
            }
            NewReportIntent::Discard => {
                if let Some(draft) = self.draft() {
                    self.shared.device.store().delete_draft(&draft.id)?;
                }
                let account = current_account(&self.shared);
                lock(&self.data).start_over(account);
            }
        }
        Ok(())
    }

    /// A point inside `cell` that the offline router gives to it (the average of its outer
    /// corners, or a point between that and a corner, for cells that are not convex).
    fn point_inside(&self, cell: &GridCell) -> Option<MapPoint> {
        let index = self.shared.device.grid_index().ok().flatten()?;
        let outer = cell.geometry.polygons().first()?.first()?;
        let n = outer.len().max(1) as f64;
        let (sum_lon, sum_lat) = outer.iter().fold((0.0, 0.0), |(x, y), [lon, lat]| (x + lon, y + lat));
        let average = [sum_lon / n, sum_lat / n];
        let candidates = std::iter::once(average).chain(outer.iter().flat_map(|corner| {
            [0.5, 0.9].map(|t| {
                [average[0] + (corner[0] - average[0]) * t, average[1] + (corner[1] - average[1]) * t]
            })
        }));
        for [lon, lat] in candidates {
            let Ok(point) = GeoPoint::new(lat, lon) else { continue };
            if index.route(point).code() == Some(cell.code) {
                return Some(MapPoint { lat, lon });
            }
        }
        None
    }

    fn map_centre(&self) -> Option<MapPoint> {
        let data = lock(&self.data);
        if let Some(centre) = data.map_centre {
            return Some(centre);
        }
        if let Some(fix) = data.fix {
            return Some(MapPoint { lat: fix.lat, lon: fix.lon });
        }
        drop(data);
        let position = self.draft().and_then(|d| d.fields.position);
        position.map(|p| MapPoint { lat: p.lat, lon: p.lon })
    }

    fn render(&self) -> NewReportState {
        let lang = self.shared.language();
        let device = &self.shared.device;
        let taxonomy = device.taxonomy();
        let draft = self.draft();
        let fields = draft.as_ref().map(|d| d.fields.clone()).unwrap_or_default();
        let photos = draft.as_ref().map(|d| d.photos.clone()).unwrap_or_default();
        let problems =
            draft.as_ref().map(|d| device.check_draft(&d.id).unwrap_or_default()).unwrap_or_default();
        let data = lock(&self.data);
        let field_error = |field: &str| -> Option<String> {
            if !data.show_errors {
                return None;
            }
            problems.iter().find(|p| p.field == field).map(|p| text::problem_words(p, lang))
        };
        let category = fields
            .category
            .as_deref()
            .and_then(|c| CategoryCode::parse(c).ok())
            .and_then(|c| taxonomy.get(c));
        let index = device.grid_index().ok().flatten();
        let routed = fields
            .position
            .and_then(|p| GeoPoint::new(p.lat, p.lon).ok())
            .and_then(|p| index.as_ref().map(|i| i.route(p)));
        let routed_code = routed.as_ref().and_then(Route::code);
        let place_text = match (&fields.position, routed_code) {
            (None, _) => lang.pick("还没有选择位置", "No place chosen yet"),
            (Some(_), Some(code)) => {
                let name = index.as_ref().and_then(|i| i.name(code)).unwrap_or_default();
                format!("{name} ({code})")
            }
            (Some(p), None) => format!("{:.5}, {:.5}", p.lat, p.lon),
        };
        let location_text = match data.fix {
            None => lang.pick("没有定位", "No location fix"),
            Some(LocationFix { accuracy_m: Some(accuracy), .. }) => {
                lang.pick(&format!("已定位，误差约 {accuracy:.0} 米"), &format!("Located, ±{accuracy:.0} m"))
            }
            Some(_) => lang.pick("已定位", "Located"),
        };
        let cells = device.grid_cells().ok().flatten();
        let (streets, communities, cell_choices) = match &cells {
            Some(cells) => {
                place_lists(cells, data.street.as_deref(), data.community.as_deref(), routed_code, lang)
            }
            None => Default::default(),
        };
        let map = cells.as_ref().and_then(|cells| {
            let centre = data
                .map_centre
                .or(data.fix.map(|f| MapPoint { lat: f.lat, lon: f.lon }))
                .or(fields.position.map(|p| MapPoint { lat: p.lat, lon: p.lon }))
                .or_else(|| first_corner(cells))?;
            let span = data.map_span_m.unwrap_or(MAP_START_SPAN_M);
            Some(MapView {
                centre,
                span_m: span,
                cells: cells_around(cells, centre, span, routed_code),
                pin: fields.position.map(|p| MapPoint { lat: p.lat, lon: p.lon }),
                fix: data.fix.map(|f| MapPoint { lat: f.lat, lon: f.lon }),
                fix_accuracy_m: data.fix.and_then(|f| f.accuracy_m),
                zoom_in_enabled: span > MAP_MIN_SPAN_M,
                zoom_out_enabled: span < MAP_MAX_SPAN_M,
                base_tiles: self
                    .shared
                    .base_map()
                    .map(|provider| base_map::tiles(provider.as_ref(), centre, span))
                    .unwrap_or_default(),
            })
        });
        let choice_of = |c: &Category| category_choice(c, &taxonomy, lang, fields.category.as_deref());
        let query = data.query.trim().to_lowercase();
        let category_results: Vec<CategoryChoice> = taxonomy
            .categories()
            .iter()
            .filter(|c| {
                if !query.is_empty() {
                    return c.code.to_string().to_lowercase().contains(&query)
                        || c.names.zh.contains(&query)
                        || c.names.en.to_lowercase().contains(&query);
                }
                data.kind.is_some_and(|k| c.code.kind() == k)
                    && data.major.is_some_and(|m| c.code.major() == m)
            })
            .map(choice_of)
            .collect();
        let kinds = [CategoryKind::Component, CategoryKind::Event]
            .into_iter()
            .map(|k| Choice {
                key: k.as_str().to_owned(),
                label: kind_words(k, lang),
                selected: data.kind == Some(k),
            })
            .collect();
        let majors = data
            .kind
            .map(|kind| {
                taxonomy
                    .majors()
                    .iter()
                    .filter(|m| m.kind == kind)
                    .map(|m| Choice {
                        key: m.code.to_string(),
                        label: lang.pick(&m.names.zh, &m.names.en),
                        selected: data.major == Some(m.code),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let questions = category
            .map(|c| {
                c.questions.iter().map(|q| question_view(c, q, &fields, data.show_errors, lang)).collect()
            })
            .unwrap_or_default();
        let chars = fields.description.chars().count();
        let ready = problems.is_empty() && data.position_error.is_none();
        NewReportState {
            title: lang.pick("上报问题", "Report a problem"),
            draft_id: data.draft_id.clone(),
            photos: photos
                .iter()
                .map(|p| PhotoTile {
                    id: p.id.clone(),
                    thumbnail_path: p.thumbnail_path.to_string_lossy().into_owned(),
                    width: p.width,
                    height: p.height,
                    remove_label: lang.pick("删除照片", "Remove photo"),
                })
                .collect(),
            photos_label: lang.pick(
                &format!("照片（{}/{MAX_PHOTOS}）", photos.len()),
                &format!("Photos ({} of {MAX_PHOTOS})", photos.len()),
            ),
            add_photo_enabled: !data.busy && photos.len() < MAX_PHOTOS,
            photos_error: data.photos_error.clone().or_else(|| field_error("photos")),
            location_text,
            use_location_label: lang.pick("使用我的位置", "Use my location"),
            place_text,
            position_error: data.position_error.clone().or_else(|| field_error("position")),
            map,
            streets,
            communities,
            cells: cell_choices,
            description_label: lang.pick("问题描述", "What is wrong"),
            description: fields.description.clone(),
            description_counter: format!("{chars}/{MAX_DESCRIPTION_CHARS}"),
            description_error: field_error("description"),
            category_label: lang.pick("问题类别", "Category"),
            category_query: data.query.clone(),
            category_results,
            kinds,
            majors,
            category: category.map(choice_of),
            category_error: field_error("category"),
            questions,
            anonymous_visible: category.is_some_and(|c| c.anonymous_allowed) && !self.patrol(),
            anonymous_label: lang.pick("匿名上报", "Report anonymously"),
            anonymous: fields.anonymous,
            anonymous_error: field_error("anonymous"),
            send_label: lang.pick("发送", "Send"),
            send_enabled: !data.busy && (ready || !data.show_errors),
            discard_label: lang.pick("放弃", "Discard"),
            message: data.message.clone(),
            busy: data.busy,
            nearby: data.nearby.iter().map(|(shown, _)| shown.clone()).collect(),
            nearby_title: lang.pick("附近的同类上报", "Reported nearby"),
            follow_label: lang
                .pick("这也是我的问题（关注它，保留草稿）", "This is mine too (follow it, keep the draft)"),
            follow_discard_label: lang.pick(
                "这也是我的问题（关注它，放弃草稿）",
                "This is mine too (follow it, discard the draft)",
            ),
            send_anyway_label: lang.pick("仍然发送", "Send anyway"),
        }
    }

    fn publish(&self) {
        self.observers.publish(&self.render());
    }
}

impl Screen for NewReportModel {
    fn refresh(&self) {
        let account = current_account(&self.shared);
        {
            let mut data = lock(&self.data);
            if data.account != account {
                // Another account: its form starts empty (the old draft stays in the drafts).
                data.start_over(account);
            }
        }
        self.publish();
    }
}

#[cfg_attr(feature = "uniffi", uniffi::export)]
impl NewReportModel {
    /// What the screen shows now.
    pub fn state(&self) -> NewReportState {
        self.render()
    }

    /// Do what the user asked. `AddPhoto` is slow for large photos and `Send` may block on
    /// the network: call off the main thread.
    pub fn send(&self, intent: NewReportIntent) {
        let lang = self.shared.language();
        {
            let mut data = lock(&self.data);
            data.busy = true;
            data.message = None;
            if !matches!(intent, NewReportIntent::FollowNearby { .. }) {
                // Any other step leaves the duplicate question (a changed place or category
                // is asked about again on the next send).
                data.nearby.clear();
            }
        }
        self.publish();
        let result = self.apply(intent, lang);
        {
            let mut data = lock(&self.data);
            data.busy = false;
            if let Err(e) = result {
                data.message = Some(text::error_words(&e, lang));
            }
        }
        self.shared.changed();
    }

    /// Hear the state now and after every change.
    pub fn subscribe(&self, listener: Arc<dyn NewReportListener>) -> Arc<ListenerHandle> {
        Arc::new(self.observers.subscribe(self.render(), Arc::new(move |s| listener.on_state(s))))
    }
}

fn kind_from(key: &str) -> Option<CategoryKind> {
    [CategoryKind::Component, CategoryKind::Event].into_iter().find(|k| k.as_str() == key)
}

fn kind_words(kind: CategoryKind, lang: Language) -> String {
    match kind {
        CategoryKind::Component => lang.pick("部件", "Component"),
        CategoryKind::Event => lang.pick("事件", "Event"),
    }
}

fn category_choice(
    category: &Category,
    taxonomy: &crate::taxonomy::Taxonomy,
    lang: Language,
    chosen: Option<&str>,
) -> CategoryChoice {
    let code = category.code;
    let major = taxonomy.major(code.kind(), code.major()).map(|m| lang.pick(&m.names.zh, &m.names.en));
    CategoryChoice {
        code: code.to_string(),
        name: lang.pick(&category.names.zh, &category.names.en),
        path: format!("{} › {}", kind_words(code.kind(), lang), major.unwrap_or_default()),
        selected: chosen == Some(code.to_string().as_str()),
    }
}

fn question_view(
    category: &Category,
    question: &Question,
    fields: &DraftFields,
    show_errors: bool,
    lang: Language,
) -> QuestionView {
    let answer = fields.answers.get(&question.code);
    let values: Vec<String> = match answer {
        None => Vec::new(),
        Some(AnswerValue::One(v)) => vec![v.clone()],
        Some(AnswerValue::Many(keys)) => keys.clone(),
    };
    // The same rule as the whole report's, for this question alone.
    let alone = Category { questions: vec![question.clone()], ..category.clone() };
    let mine = fields.answers.iter().filter(|(code, _)| **code == question.code);
    let error = alone
        .check_answers(&mine.map(|(k, v)| (k.clone(), v.clone())).collect())
        .err()
        // A wrong answer shows at once; a missing one after the first try to send.
        .filter(|_| show_errors || answer.is_some())
        .map(|e| text::field_words(&format!("answers.{}", e.question), e.kind.into(), &e.reason, lang));
    let chosen: BTreeSet<&String> = values.iter().collect();
    QuestionView {
        code: question.code.clone(),
        label: lang.pick(&question.names.zh, &question.names.en),
        required: question.required,
        control: match question.datatype {
            QuestionType::String => QuestionControl::SingleLine,
            QuestionType::Text => QuestionControl::MultiLine,
            QuestionType::Number => QuestionControl::Number,
            QuestionType::Datetime => QuestionControl::DateTime,
            QuestionType::Singlevaluelist => QuestionControl::SingleChoice,
            QuestionType::Multivaluelist => QuestionControl::MultiChoice,
        },
        options: question
            .values
            .iter()
            .map(|v| Choice {
                key: v.key.clone(),
                label: lang.pick(&v.names.zh, &v.names.en),
                selected: chosen.contains(&v.key),
            })
            .collect(),
        values,
        error,
    }
}

pub(crate) fn photo_words(err: &PhotoError, lang: Language) -> String {
    match err {
        PhotoError::TooLarge { size, max } => {
            let (size, max) = (size.div_ceil(1 << 20), max / (1 << 20));
            lang.pick(
                &format!("照片太大（{size} MB），最大 {max} MB"),
                &format!("The photo is too large ({size} MB); at most {max} MB"),
            )
        }
        PhotoError::TooManyPixels { .. } => lang.pick("照片像素太多", "The photo has too many pixels"),
        PhotoError::UnsupportedFormat { found } => lang.pick(
            &format!("不支持的照片格式（{found}），请用 JPEG、PNG 或 WebP"),
            &format!("Unsupported photo format ({found}); use JPEG, PNG or WebP"),
        ),
        _ => lang.pick("无法读取这张照片", "This photo cannot be read"),
    }
}

/// The no-map lists: streets, the chosen street's communities, the chosen community's cells.
fn place_lists(
    cells: &[GridCell],
    street: Option<&str>,
    community: Option<&str>,
    routed: Option<GridCode>,
    lang: Language,
) -> (Vec<Choice>, Vec<Choice>, Vec<Choice>) {
    let codes: Vec<(String, &str)> = cells.iter().map(|c| (c.code.to_string(), c.name.as_str())).collect();
    let level =
        |digits: usize, within: Option<&str>, zh: &str, en: &str, chosen: Option<&str>| -> Vec<Choice> {
            let keys: BTreeSet<&str> = codes
                .iter()
                .filter(|(code, _)| within.is_none_or(|w| code.starts_with(w)))
                .map(|(code, _)| &code[..digits])
                .collect();
            keys.into_iter()
                .map(|key| Choice {
                    key: key.to_owned(),
                    label: lang.pick(
                        &format!("{zh} {}", &key[digits - 3..]),
                        &format!("{en} {}", &key[digits - 3..]),
                    ),
                    selected: chosen == Some(key),
                })
                .collect()
        };
    let streets = level(9, None, "街道", "Street", street);
    let communities = street.map(|s| level(12, Some(s), "社区", "Community", community)).unwrap_or_default();
    let cell_choices = community
        .map(|c| {
            codes
                .iter()
                .filter(|(code, _)| code.starts_with(c))
                .map(|(code, name)| Choice {
                    key: code.clone(),
                    label: format!("{name} ({})", &code[12..]),
                    selected: routed.is_some_and(|r| r.to_string() == *code),
                })
                .collect()
        })
        .unwrap_or_default();
    (streets, communities, cell_choices)
}

fn first_corner(cells: &[GridCell]) -> Option<MapPoint> {
    let [lon, lat] = *cells.first()?.geometry.polygons().first()?.first()?.first()?;
    Some(MapPoint { lat, lon })
}

/// The cells whose outer rings reach into the view around `centre`, `span_m` across.
fn cells_around(cells: &[GridCell], centre: MapPoint, span_m: f64, routed: Option<GridCode>) -> Vec<MapCell> {
    let half_lat = span_m / 2.0 / METRES_PER_DEGREE;
    let half_lon = span_m / 2.0 / (METRES_PER_DEGREE * centre.lat.to_radians().cos().max(0.01));
    let (south, north) = (centre.lat - half_lat, centre.lat + half_lat);
    let (west, east) = (centre.lon - half_lon, centre.lon + half_lon);
    cells
        .iter()
        .filter(|cell| {
            cell.geometry.polygons().iter().filter_map(|p| p.first()).any(|ring| {
                let lats = ring.iter().map(|p| p[1]);
                let lons = ring.iter().map(|p| p[0]);
                let (lo_lat, hi_lat) = lats.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
                let (lo_lon, hi_lon) = lons.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
                lo_lat <= north && hi_lat >= south && lo_lon <= east && hi_lon >= west
            })
        })
        .take(MAP_MAX_CELLS)
        .map(|cell| map_cell(cell, routed == Some(cell.code)))
        .collect()
}

/// A cell as the map draws it: its outer rings.
pub(crate) fn map_cell(cell: &GridCell, highlighted: bool) -> MapCell {
    MapCell {
        code: cell.code.to_string(),
        name: cell.name.clone(),
        rings: cell
            .geometry
            .polygons()
            .iter()
            .filter_map(|p| p.first())
            .map(|ring| ring.iter().map(|&[lon, lat]| MapPoint { lat, lon }).collect())
            .collect(),
        highlighted,
    }
}
