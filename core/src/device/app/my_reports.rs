//! The "my reports" screen: every report of the signed-in user, newest first, with the ones
//! still in the outbox at the top marked unsent; and one report in detail (tracking number,
//! category, text, answers, the report's photos, the public timeline, the deadline, the state
//! in words), the handling unit's after-photos (the reporter's public timeline carries them),
//! and once it is closed the rating, with an optional comment. The photos show as thumbnails
//! fetched when the detail opens online, and one opens full size (see [`super::photos`]).
//!
//! After them, the reports of others that the citizen follows ("this is mine too" before
//! sending), by tracking number, refreshed from their public tracking page by every sync (see
//! [`super::nearby`]); one opens in detail like an own report (without the rating), and can be
//! unfollowed.
//!
//! The list is the cache that sync pulls (`reports/mine`), so it shows offline and in a cold
//! process; a detail opened online is kept, so it shows offline afterwards too.

use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::observe::{ListenerHandle, Observers, lock};
use super::outbox::report_title;
use super::photos::{self, OpenPhoto, PhotoView, PhotoViewer};
use super::text::{self, Language};
use super::{Screen, Shared};
use crate::codes::CategoryCode;
use crate::device::pull::PullList;
use crate::device::remote::case_segment;
use crate::device::{CaseAction, Error, ItemKind, ItemStatus};
use crate::limits::MAX_STEP_TEXT_CHARS;
use crate::protocol::PublicTimelineEntry;
use crate::taxonomy::AnswerValue;
use crate::workflow::{Action, CaseState, Role};

/// A report in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ReportRow {
    /// The case id, or the outbox item's id while unsent.
    pub id: String,
    /// Empty while unsent.
    pub tracking_number: String,
    pub title: String,
    pub preview: String,
    pub state_text: String,
    /// Still on the phone: not on the server yet.
    pub unsent: bool,
    /// Someone else's report that this citizen follows ("this is mine too"), kept on the
    /// phone by its tracking number (`id` is that number); it has no detail to open here.
    pub followed: bool,
}

/// One entry of the public timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TimelineEntry {
    /// When (RFC 3339, UTC).
    pub at: String,
    /// The state it led to, in words.
    pub text: String,
    pub reason: Option<String>,
    /// The photos of this step the reporter may see (the after-photo of the handling).
    pub photo_ids: Vec<String>,
}

/// One report in detail.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ReportDetail {
    pub case_id: String,
    pub tracking_number: String,
    pub category: String,
    pub description: String,
    /// Each answer as `question: answer`, in words.
    pub answers: Vec<String>,
    pub state_text: String,
    /// The handling deadline (RFC 3339), once dispatched.
    pub deadline: Option<String>,
    pub deadline_text: Option<String>,
    /// The photos sent with the report.
    pub photos: Vec<PhotoView>,
    pub photos_label: String,
    /// The handling unit's after-photos, showing the fix.
    pub after_photos: Vec<PhotoView>,
    pub after_photos_label: String,
    pub timeline: Vec<TimelineEntry>,
    /// The rating given, 1 to 5.
    pub rating: Option<u8>,
    pub rate_visible: bool,
    pub rate_label: String,
    /// The comment typed to go with the rating (sent with `Rate`).
    pub comment: String,
    pub comment_label: String,
    /// Characters used of the limit, e.g. `12/2000`.
    pub comment_counter: String,
    pub comment_error: Option<String>,
    /// Someone else's report this citizen follows: the public view, no rating, and unfollow.
    pub followed: bool,
    pub unfollow_label: String,
    /// Shown from a kept copy, without a connection.
    pub offline: bool,
}

/// What the "my reports" screen shows.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MyReportsState {
    pub title: String,
    pub rows: Vec<ReportRow>,
    pub empty_text: Option<String>,
    pub detail: Option<ReportDetail>,
    /// A photo of the detail opened full size, drawn over it.
    pub viewer: Option<PhotoViewer>,
    pub message: Option<String>,
    pub busy: bool,
}

/// What the user did on the "my reports" screen.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum MyReportsIntent {
    /// Pull to refresh.
    Refresh,
    Open {
        case_id: String,
    },
    CloseDetail,
    /// Stop following a report of someone else (by its tracking number, the row's id).
    Unfollow {
        tracking_number: String,
    },
    /// The comment to send with the rating (optional), as typed so far.
    SetComment {
        text: String,
    },
    /// Rate the open report, 1 to 5 stars, with the comment typed so far.
    Rate {
        stars: u8,
    },
    /// Open one of the detail's photos full size (fetched unless kept).
    OpenPhoto {
        photo_id: String,
    },
    ClosePhoto,
}

/// Hears every [`MyReportsState`].
#[cfg_attr(feature = "uniffi", uniffi::export(with_foreign))]
pub trait MyReportsListener: Send + Sync {
    fn on_state(&self, state: MyReportsState);
}

#[derive(Default)]
struct Data {
    open: Option<String>,
    message: Option<String>,
    busy: bool,
    offline: bool,
    comment: String,
    comment_error: Option<String>,
    photo: Option<OpenPhoto>,
}

/// The "my reports" screen's model.
#[cfg_attr(feature = "uniffi", derive(uniffi::Object))]
pub struct MyReportsModel {
    shared: Arc<Shared>,
    data: Mutex<Data>,
    observers: Arc<Observers<MyReportsState>>,
}

pub(crate) fn detail_key(case_id: &str) -> String {
    format!("case_detail.{case_id}")
}

fn strings(doc: &Value, key: &str) -> Vec<String> {
    doc.get(key)
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn string(doc: &Value, key: &str) -> String {
    doc.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
}

impl MyReportsModel {
    pub(crate) fn open(shared: Arc<Shared>) -> Arc<Self> {
        let model = Arc::new(Self { shared, data: Mutex::default(), observers: Arc::default() });
        model.shared.register(Arc::downgrade(&(model.clone() as Arc<dyn Screen>)));
        model
    }

    fn rows(&self, lang: Language) -> Vec<ReportRow> {
        let store = self.shared.device.store();
        let mut rows = Vec::new();
        for item in store.outbox(false).unwrap_or_default() {
            if item.kind != ItemKind::Report {
                continue;
            }
            let Ok(Some(fields)) = store.queued_report(&item.id) else { continue };
            rows.push(ReportRow {
                id: item.id.clone(),
                tracking_number: String::new(),
                title: report_title(&self.shared, &fields, lang),
                preview: fields.description.chars().take(60).collect(),
                state_text: if item.status == ItemStatus::Failed {
                    lang.pick("未发送：被服务器拒绝，见待发送", "Not sent: refused, see the outbox")
                } else {
                    lang.pick("未发送", "Not sent yet")
                },
                unsent: true,
                followed: false,
            });
        }
        let taxonomy = self.shared.device.taxonomy();
        for case in store.cached_cases(PullList::MyReports).unwrap_or_default() {
            let doc: Value = serde_json::from_str(&case.json).unwrap_or_default();
            let category = CategoryCode::parse(&string(&doc, "category")).ok().and_then(|c| taxonomy.get(c));
            rows.push(ReportRow {
                id: case.id.clone(),
                tracking_number: string(&doc, "tracking_number"),
                title: category
                    .map_or_else(|| string(&doc, "category"), |c| lang.pick(&c.names.zh, &c.names.en)),
                preview: string(&doc, "description").chars().take(60).collect(),
                state_text: text::state_name_words(&case.state, lang),
                unsent: false,
                followed: false,
            });
        }
        for report in super::nearby::followed(&self.shared) {
            let category = CategoryCode::parse(&report.category).ok().and_then(|c| taxonomy.get(c));
            let state = text::state_name_words(&report.state, lang);
            rows.push(ReportRow {
                id: report.tracking_number.clone(),
                tracking_number: report.tracking_number,
                title: category
                    .map_or_else(|| report.category.clone(), |c| lang.pick(&c.names.zh, &c.names.en)),
                preview: report.description.chars().take(60).collect(),
                state_text: lang.pick(&format!("关注中：{state}"), &format!("Following: {state}")),
                unsent: false,
                followed: true,
            });
        }
        rows
    }

    /// Fetch a case and its public timeline and keep them; offline, the kept copy (or the
    /// pulled list's) is shown instead.
    fn load(&self, case_id: &str) -> Result<(), Error> {
        let followed = super::nearby::followed(&self.shared).iter().any(|r| r.tracking_number == case_id);
        // Another citizen's case is read from its public tracking page, by its number.
        let fetched = if followed {
            super::nearby::fetch_tracked(&self.shared, case_id)?.is_some()
        } else {
            fetch_and_keep(&self.shared, case_id, &detail_key(case_id))?
        };
        lock(&self.data).offline = !fetched;
        if fetched {
            photos::fetch_thumbnails(&self.shared, &self.photo_ids(case_id))?;
        }
        Ok(())
    }

    /// Every photo the detail of `case_id` shows, the report's and the after-photos.
    fn photo_ids(&self, case_id: &str) -> Vec<String> {
        let lang = self.shared.language();
        let data = lock(&self.data);
        self.detail(case_id, &data, lang)
            .map(|d| d.photos.into_iter().chain(d.after_photos).map(|p| p.id).collect())
            .unwrap_or_default()
    }

    fn detail(&self, case_id: &str, data: &Data, lang: Language) -> Option<ReportDetail> {
        let store = self.shared.device.store();
        let kept: Option<Value> = store.setting(&detail_key(case_id)).ok().flatten();
        let pulled = store.cached_case(PullList::MyReports, case_id).ok().flatten();
        let (case, timeline) = match (kept, &pulled) {
            (Some(kept), _) => (kept["case"].clone(), kept["timeline"].clone()),
            (None, Some(pulled)) => (serde_json::from_str(&pulled.json).ok()?, Value::Null),
            (None, None) => return None,
        };
        // The pulled list may be newer than the kept detail (a sync since it was opened).
        let state_name = pulled.as_ref().map_or_else(|| string(&case, "state"), |p| p.state.clone());
        let taxonomy = self.shared.device.taxonomy();
        let category = CategoryCode::parse(&string(&case, "category")).ok().and_then(|c| taxonomy.get(c));
        let answers = case
            .get("answers")
            .and_then(Value::as_object)
            .map(|answers| {
                answers
                    .iter()
                    .map(|(code, value)| {
                        let question = category.and_then(|c| c.questions.iter().find(|q| &q.code == code));
                        let label =
                            question.map_or_else(|| code.clone(), |q| lang.pick(&q.names.zh, &q.names.en));
                        let value: Option<AnswerValue> = serde_json::from_value(value.clone()).ok();
                        let keys = match value {
                            Some(AnswerValue::One(v)) => vec![v],
                            Some(AnswerValue::Many(keys)) => keys,
                            None => vec![value_text(value.as_ref())],
                        };
                        let words: Vec<String> = keys
                            .iter()
                            .map(|k| {
                                question
                                    .and_then(|q| q.values.iter().find(|v| &v.key == k))
                                    .map_or_else(|| k.clone(), |v| lang.pick(&v.names.zh, &v.names.en))
                            })
                            .collect();
                        format!("{label}: {}", words.join(", "))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let events: Vec<PublicTimelineEntry> =
            timeline.get("events").cloned().and_then(|e| serde_json::from_value(e).ok()).unwrap_or_default();
        let comment_chars = data.comment.chars().count();
        let rating = case.get("rating").and_then(Value::as_u64).and_then(|r| u8::try_from(r).ok());
        let rate_queued =
            store.outbox(false).unwrap_or_default().iter().any(|i| i.case_id.as_deref() == Some(case_id));
        let closed = state_name.parse::<CaseState>().is_ok_and(|s| s == CaseState::Closed);
        let followed = super::nearby::followed(&self.shared).iter().any(|r| r.tracking_number == case_id);
        let deadline = case.get("deadline").and_then(Value::as_str).map(str::to_owned);
        let photos_label = lang.pick("上报照片", "Your photos");
        let after_photos_label = lang.pick("处置后照片", "After the fix");
        Some(ReportDetail {
            case_id: case_id.to_owned(),
            tracking_number: string(&case, "tracking_number"),
            category: category
                .map_or_else(|| string(&case, "category"), |c| lang.pick(&c.names.zh, &c.names.en)),
            description: string(&case, "description"),
            answers,
            state_text: text::state_name_words(&state_name, lang),
            deadline_text: deadline
                .as_ref()
                .map(|d| lang.pick(&format!("处置期限：{d}"), &format!("Due by {d}"))),
            deadline,
            photos: photos::views(&self.shared, &strings(&case, "photo_ids"), &photos_label, lang),
            photos_label,
            after_photos: photos::views(
                &self.shared,
                &events.iter().flat_map(|e| e.photo_ids.iter().cloned()).collect::<Vec<_>>(),
                &after_photos_label,
                lang,
            ),
            after_photos_label,
            timeline: events
                .iter()
                .map(|e| TimelineEntry {
                    at: e.at.clone(),
                    text: text::state_name_words(&e.to_state, lang),
                    reason: e.reason.clone(),
                    photo_ids: e.photo_ids.clone(),
                })
                .collect(),
            rating,
            rate_visible: closed && rating.is_none() && !rate_queued && !followed,
            rate_label: lang.pick("评价处理结果", "Rate how it was handled"),
            comment: data.comment.clone(),
            comment_label: lang.pick("评价内容（选填）", "Comment (optional)"),
            comment_counter: format!("{comment_chars}/{MAX_STEP_TEXT_CHARS}"),
            comment_error: data.comment_error.clone(),
            followed,
            unfollow_label: lang.pick("取消关注", "Stop following"),
            offline: data.offline,
        })
    }

    fn render(&self) -> MyReportsState {
        let lang = self.shared.language();
        let rows = self.rows(lang);
        let data = lock(&self.data);
        let detail = data.open.as_deref().and_then(|id| self.detail(id, &data, lang));
        let viewer = data.photo.as_ref().map(|open| photos::viewer(&self.shared, open, lang));
        MyReportsState {
            title: lang.pick("我的上报", "My reports"),
            empty_text: rows.is_empty().then(|| lang.pick("还没有上报", "No reports yet")),
            rows,
            detail,
            viewer,
            message: data.message.clone(),
            busy: data.busy,
        }
    }

    fn apply(&self, intent: MyReportsIntent, lang: Language) -> Result<(), Error> {
        match intent {
            MyReportsIntent::Refresh => {
                self.shared.sync()?;
                let open = lock(&self.data).open.clone();
                if let Some(id) = open {
                    self.load(&id)?;
                }
            }
            MyReportsIntent::Open { case_id } => {
                lock(&self.data).open = Some(case_id.clone());
                self.load(&case_id)?;
            }
            MyReportsIntent::CloseDetail => {
                let mut data = lock(&self.data);
                data.open = None;
                data.photo = None;
                data.comment.clear();
                data.comment_error = None;
            }
            MyReportsIntent::Unfollow { tracking_number } => {
                super::nearby::unfollow(&self.shared, &tracking_number)?;
                let mut data = lock(&self.data);
                if data.open.as_deref() == Some(tracking_number.as_str()) {
                    data.open = None;
                }
                data.message = Some(lang.pick("已取消关注", "No longer following"));
            }
            MyReportsIntent::OpenPhoto { photo_id } => {
                let Some(case_id) = lock(&self.data).open.clone() else { return Ok(()) };
                let detail = {
                    let data = lock(&self.data);
                    self.detail(&case_id, &data, lang)
                };
                // Only a photo the open detail shows: an id from elsewhere is not this screen's.
                let Some(shown) = detail
                    .into_iter()
                    .flat_map(|d| d.photos.into_iter().chain(d.after_photos))
                    .find(|p| p.id == photo_id)
                else {
                    return Ok(());
                };
                let opened = photos::open(&self.shared, &shown.id, shown.label, lang);
                lock(&self.data).photo = Some(opened);
            }
            MyReportsIntent::ClosePhoto => lock(&self.data).photo = None,
            MyReportsIntent::SetComment { text } => {
                let mut data = lock(&self.data);
                data.comment = text;
                data.comment_error = None;
            }
            MyReportsIntent::Rate { stars } => {
                let (case_id, comment) = {
                    let data = lock(&self.data);
                    let Some(case_id) = data.open.clone() else { return Ok(()) };
                    (case_id, data.comment.trim().to_owned())
                };
                let known = self
                    .shared
                    .device
                    .store()
                    .cached_case(PullList::MyReports, &case_id)
                    .ok()
                    .flatten()
                    .and_then(|c| c.state.parse::<CaseState>().ok())
                    .unwrap_or(CaseState::Closed);
                let action = CaseAction {
                    case_id: case_id.clone(),
                    action: Action::Rate,
                    reason: None,
                    position: None,
                    rating: Some(stars),
                    comment: (!comment.is_empty()).then_some(comment),
                };
                match self.shared.device.queue_action(&action, known, Role::Citizen, &[]) {
                    Ok(_) => {}
                    Err(Error::Invalid(problems)) => {
                        // A comment too long shows on the comment; anything else as the message.
                        let mut data = lock(&self.data);
                        data.comment_error = problems
                            .iter()
                            .find(|p| p.field == "comment")
                            .map(|p| text::problem_words(p, lang));
                        let others: Vec<_> =
                            problems.iter().filter(|p| p.field != "comment").cloned().collect();
                        return if others.is_empty() { Ok(()) } else { Err(Error::Invalid(others)) };
                    }
                    Err(e) => return Err(e),
                }
                {
                    let mut data = lock(&self.data);
                    data.message = Some(lang.pick("谢谢您的评价", "Thank you for rating"));
                    data.comment.clear();
                }
                self.shared.sync()?;
                self.load(&case_id)?;
            }
        }
        Ok(())
    }
}

/// Fetch a case and its timeline as the signed-in account may see them and keep them as one
/// setting under `key`: `Ok(true)` when fetched, `Ok(false)` without a connection (the kept copy,
/// if any, stays).
pub(crate) fn fetch_and_keep(shared: &Shared, case_id: &str, key: &str) -> Result<bool, Error> {
    let segment = case_segment(case_id)?;
    let remote = shared.device.remote();
    let fetched = remote.get("/api/v1/cases/{id}", &format!("/api/v1/cases/{segment}")).and_then(|case| {
        let timeline =
            remote.get("/api/v1/cases/{id}/timeline", &format!("/api/v1/cases/{segment}/timeline"))?;
        Ok(serde_json::json!({ "case": case, "timeline": timeline }))
    });
    match fetched {
        Ok(doc) => {
            shared.device.store().set_setting(key, &doc)?;
            Ok(true)
        }
        Err(Error::Transport(_) | Error::ServerUnavailable { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

fn value_text(value: Option<&AnswerValue>) -> String {
    match value {
        Some(AnswerValue::One(v)) => v.clone(),
        Some(AnswerValue::Many(v)) => v.join(", "),
        None => String::new(),
    }
}

impl Screen for MyReportsModel {
    fn refresh(&self) {
        self.observers.publish(&self.render());
    }
}

#[cfg_attr(feature = "uniffi", uniffi::export)]
impl MyReportsModel {
    /// What the screen shows now.
    pub fn state(&self) -> MyReportsState {
        self.render()
    }

    /// Do what the user asked; `Refresh`, `Open` and `Rate` block on the network.
    pub fn send(&self, intent: MyReportsIntent) {
        let lang = self.shared.language();
        {
            let mut data = lock(&self.data);
            data.busy = true;
            data.message = None;
        }
        self.observers.publish(&self.render());
        let result = self.apply(intent, lang);
        {
            let mut data = lock(&self.data);
            data.busy = false;
            if let Err(e) = result {
                data.message = Some(match &e {
                    Error::Invalid(problems) => {
                        problems.iter().map(|p| text::problem_words(p, lang)).collect::<Vec<_>>().join("; ")
                    }
                    other => text::error_words(other, lang),
                });
            }
        }
        self.shared.changed();
    }

    /// Hear the state now and after every change.
    pub fn subscribe(&self, listener: Arc<dyn MyReportsListener>) -> Arc<ListenerHandle> {
        Arc::new(self.observers.subscribe(self.render(), Arc::new(move |s| listener.on_state(s))))
    }
}
