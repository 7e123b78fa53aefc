//! The drafts and outbox screen: drafts to resume or discard; and everything not yet on the
//! server, each with where it stands (waiting, sending, refused with the server's reason in
//! words, or overtaken by the case's state) and what can be done (retry, discard, back to the
//! drafts to fix what the server named).

use std::sync::{Arc, Mutex};

use super::observe::{ListenerHandle, Observers, lock};
use super::text::{self, Language};
use super::{Screen, Shared};
use crate::codes::CategoryCode;
use crate::device::{DraftFields, Error, ItemKind, ItemStatus, OutboxItem, SyncState};

/// A draft in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DraftRow {
    /// Open the new-report screen on this id to resume.
    pub id: String,
    /// The category's name, or "no category yet".
    pub title: String,
    /// The first words of the description.
    pub preview: String,
    pub photo_count: u32,
    pub resume_label: String,
    pub discard_label: String,
}

/// An outbox item in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct OutboxRow {
    pub id: String,
    /// What it is: a report's category, or a step on a case.
    pub title: String,
    /// Where it stands, in words.
    pub status_text: String,
    /// `waiting`, `sending`, `failed` or `conflict`, for the shell's icon.
    pub status: String,
    /// Why the server refused it, in words.
    pub reason: Option<String>,
    pub retry_enabled: bool,
    pub discard_enabled: bool,
    pub back_to_drafts_enabled: bool,
}

/// What the drafts and outbox screen shows.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct OutboxState {
    pub drafts_title: String,
    pub drafts: Vec<DraftRow>,
    pub outbox_title: String,
    pub items: Vec<OutboxRow>,
    /// Shown when both lists are empty.
    pub empty_text: Option<String>,
    pub retry_label: String,
    pub discard_label: String,
    pub back_to_drafts_label: String,
    pub send_now_label: String,
    pub send_now_enabled: bool,
    pub message: Option<String>,
}

/// What the user did on the drafts and outbox screen.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum OutboxIntent {
    DiscardDraft { draft_id: String },
    Retry { item_id: String },
    DiscardItem { item_id: String },
    BackToDrafts { item_id: String },
    SendNow,
}

/// Hears every [`OutboxState`].
#[cfg_attr(feature = "uniffi", uniffi::export(with_foreign))]
pub trait OutboxListener: Send + Sync {
    fn on_state(&self, state: OutboxState);
}

/// The drafts and outbox screen's model.
#[cfg_attr(feature = "uniffi", derive(uniffi::Object))]
pub struct OutboxModel {
    shared: Arc<Shared>,
    message: Mutex<Option<String>>,
    observers: Arc<Observers<OutboxState>>,
}

/// A report's title from its fields: the category's name.
pub(crate) fn report_title(shared: &Shared, fields: &DraftFields, lang: Language) -> String {
    let taxonomy = shared.device.taxonomy();
    fields
        .category
        .as_deref()
        .and_then(|c| CategoryCode::parse(c).ok())
        .and_then(|c| taxonomy.get(c))
        .map_or_else(|| lang.pick("未选类别", "No category yet"), |c| lang.pick(&c.names.zh, &c.names.en))
}

fn preview(text: &str) -> String {
    const PREVIEW_CHARS: usize = 60;
    let mut preview: String = text.chars().take(PREVIEW_CHARS).collect();
    if text.chars().count() > PREVIEW_CHARS {
        preview.push('…');
    }
    preview
}

impl OutboxModel {
    pub(crate) fn open(shared: Arc<Shared>) -> Arc<Self> {
        let model = Arc::new(Self { shared, message: Mutex::new(None), observers: Arc::default() });
        model.shared.register(Arc::downgrade(&(model.clone() as Arc<dyn Screen>)));
        model
    }

    fn row(&self, item: &OutboxItem, sending: bool, lang: Language) -> OutboxRow {
        let title = match item.kind {
            ItemKind::Report => match self.shared.device.store().queued_report(&item.id) {
                Ok(Some(fields)) => report_title(&self.shared, &fields, lang),
                _ => lang.pick("上报", "Report"),
            },
            ItemKind::CaseAction => lang.pick("案件操作", "Step on a case"),
        };
        let (status, status_text, reason) = match item.status {
            ItemStatus::Pending if sending => ("sending", lang.pick("正在发送", "Sending"), None),
            ItemStatus::Pending if item.attempts > 0 => (
                "waiting",
                lang.pick(
                    &format!("等待网络（已尝试 {} 次）", item.attempts),
                    &format!("Waiting for a connection ({} tries)", item.attempts),
                ),
                None,
            ),
            ItemStatus::Pending | ItemStatus::Delivered => {
                ("waiting", lang.pick("等待发送", "Waiting to send"), None)
            }
            ItemStatus::Failed => (
                "failed",
                lang.pick("被服务器拒绝", "Refused by the server"),
                item.problem.as_ref().map(|p| match &p.field {
                    Some(field) => {
                        text::field_words(field, crate::device::FieldErrorKind::Invalid, &p.message, lang)
                    }
                    None => text::refusal_words(&p.code, p.attempts_left, lang),
                }),
            ),
            ItemStatus::Conflict => (
                "conflict",
                lang.pick("案件状态已变化", "The case has moved on"),
                item.conflict_state.as_deref().map(|s| text::state_name_words(s, lang)),
            ),
        };
        let parked = matches!(item.status, ItemStatus::Failed | ItemStatus::Conflict);
        OutboxRow {
            id: item.id.clone(),
            title,
            status_text,
            status: status.to_owned(),
            reason,
            retry_enabled: parked,
            discard_enabled: parked,
            back_to_drafts_enabled: item.status == ItemStatus::Failed && item.kind == ItemKind::Report,
        }
    }

    fn render(&self) -> OutboxState {
        let lang = self.shared.language();
        let store = self.shared.device.store();
        let drafts: Vec<DraftRow> = store
            .drafts()
            .unwrap_or_default()
            .into_iter()
            .map(|d| DraftRow {
                title: report_title(&self.shared, &d.fields, lang),
                preview: preview(&d.fields.description),
                photo_count: u32::try_from(d.photos.len()).unwrap_or(u32::MAX),
                id: d.id,
                resume_label: lang.pick("继续编辑", "Resume"),
                discard_label: lang.pick("删除草稿", "Discard draft"),
            })
            .collect();
        let syncing = matches!(self.shared.device.sync_state(), SyncState::Syncing { .. });
        let outbox = store.outbox(false).unwrap_or_default();
        let first_pending = outbox.iter().position(|i| i.status == ItemStatus::Pending);
        let items: Vec<OutboxRow> = outbox
            .iter()
            .enumerate()
            .map(|(n, item)| self.row(item, syncing && Some(n) == first_pending, lang))
            .collect();
        OutboxState {
            drafts_title: lang.pick("草稿", "Drafts"),
            empty_text: (drafts.is_empty() && items.is_empty()).then(|| {
                lang.pick("没有草稿，也没有待发送的内容", "No drafts and nothing waiting to be sent")
            }),
            drafts,
            outbox_title: lang.pick("待发送", "Outbox"),
            send_now_enabled: first_pending.is_some() && !syncing,
            items,
            retry_label: lang.pick("重试", "Retry"),
            discard_label: lang.pick("放弃", "Discard"),
            back_to_drafts_label: lang.pick("退回草稿修改", "Back to drafts to fix"),
            send_now_label: lang.pick("立即发送", "Send now"),
            message: lock(&self.message).clone(),
        }
    }

    fn apply(&self, intent: OutboxIntent) -> Result<(), Error> {
        let store = self.shared.device.store();
        match intent {
            OutboxIntent::DiscardDraft { draft_id } => store.delete_draft(&draft_id),
            OutboxIntent::Retry { item_id } => {
                store.retry_item(&item_id)?;
                self.shared.sync().map(|_| ())
            }
            OutboxIntent::DiscardItem { item_id } => store.discard_item(&item_id),
            OutboxIntent::BackToDrafts { item_id } => store.return_to_drafts(&item_id).map(|_| ()),
            OutboxIntent::SendNow => self.shared.sync().map(|_| ()),
        }
    }
}

impl Screen for OutboxModel {
    fn refresh(&self) {
        self.observers.publish(&self.render());
    }
}

#[cfg_attr(feature = "uniffi", uniffi::export)]
impl OutboxModel {
    /// What the screen shows now.
    pub fn state(&self) -> OutboxState {
        self.render()
    }

    /// Do what the user asked; `Retry` and `SendNow` block on the network.
    pub fn send(&self, intent: OutboxIntent) {
        let result = self.apply(intent);
        *lock(&self.message) = result.err().map(|e| text::error_words(&e, self.shared.language()));
        self.shared.changed();
    }

    /// Hear the state now and after every change.
    pub fn subscribe(&self, listener: Arc<dyn OutboxListener>) -> Arc<ListenerHandle> {
        Arc::new(self.observers.subscribe(self.render(), Arc::new(move |s| listener.on_state(s))))
    }
}
