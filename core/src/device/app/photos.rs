//! The server's photos as the case screens show them ("my reports" and the field apps' case
//! page): a row of thumbnails, each a file path the shell draws (or a placeholder while it is
//! not on the phone), and one photo opened full size over the screen.
//!
//! Thumbnails are fetched when a case is opened online, so the screen's `state()` never waits
//! on the network and a case opened once shows its photos offline afterwards; a thumbnail the
//! server refuses stays a placeholder without failing the case. The full photo is fetched when
//! the user opens it, with the error in words when that fails (offline and not kept).

use super::Shared;
use super::text::Language;
use crate::device::{Error, PhotoSize};

/// One photo of a case, as a thumbnail.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PhotoView {
    /// The server's id, to open it with the screen's `OpenPhoto`.
    pub id: String,
    /// The thumbnail file to draw; `None` while it is not on the phone (never fetched online,
    /// or refused): the shell draws a placeholder.
    pub thumbnail_path: Option<String>,
    /// What it is, for screen readers, e.g. "After the fix, photo 1 of 2".
    pub label: String,
}

/// One photo opened over the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PhotoViewer {
    pub id: String,
    /// The full photo's file; `None` when it could not be fetched (see `error`).
    pub path: Option<String>,
    pub label: String,
    pub error: Option<String>,
    pub close_label: String,
}

/// The open photo a screen keeps between renders.
#[derive(Debug, Clone, Default)]
pub(crate) struct OpenPhoto {
    pub id: String,
    pub label: String,
    pub error: Option<String>,
}

/// The photos `ids` as thumbnails named by `group` ("After the fix"), from the kept files only.
pub(crate) fn views(shared: &Shared, ids: &[String], group: &str, lang: Language) -> Vec<PhotoView> {
    let total = ids.len();
    ids.iter()
        .enumerate()
        .map(|(i, id)| PhotoView {
            id: id.clone(),
            thumbnail_path: shared
                .device
                .kept_photo(id, PhotoSize::Thumbnail)
                .map(|p| p.to_string_lossy().into_owned()),
            label: lang.pick(
                &format!("{group}，第 {} 张，共 {total} 张", i + 1),
                &format!("{group}, photo {} of {total}", i + 1),
            ),
        })
        .collect()
}

/// Fetch the thumbnails of `ids` not yet on the phone. Best effort: a photo refused or not
/// reachable stays a placeholder; only the phone's own storage failing is an error.
pub(crate) fn fetch_thumbnails(shared: &Shared, ids: &[String]) -> Result<(), Error> {
    for id in ids {
        if let Err(e @ (Error::Sqlite(_) | Error::Io(_))) =
            shared.device.fetch_photo(id, PhotoSize::Thumbnail)
        {
            return Err(e);
        }
    }
    Ok(())
}

/// Open photo `id` full size: fetched unless kept. The label is the thumbnail's.
pub(crate) fn open(shared: &Shared, id: &str, label: String, lang: Language) -> OpenPhoto {
    let error = match shared.device.fetch_photo(id, PhotoSize::Full) {
        Ok(_) => None,
        Err(Error::Transport(_) | Error::ServerUnavailable { .. }) => {
            Some(lang.pick("无网络，暂时无法打开这张照片", "Offline: this photo cannot be opened now"))
        }
        Err(e) => Some(super::text::error_words(&e, lang)),
    };
    OpenPhoto { id: id.to_owned(), label, error }
}

/// The open photo as the screen shows it.
pub(crate) fn viewer(shared: &Shared, open: &OpenPhoto, lang: Language) -> PhotoViewer {
    PhotoViewer {
        id: open.id.clone(),
        path: shared.device.kept_photo(&open.id, PhotoSize::Full).map(|p| p.to_string_lossy().into_owned()),
        label: open.label.clone(),
        error: open.error.clone(),
        close_label: lang.pick("关闭", "Close"),
    }
}
