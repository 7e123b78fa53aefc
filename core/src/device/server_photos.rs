//! The server's photos on the phone: the report's photos and the handler's after-photos that
//! a case page or "my reports" shows, fetched from `GET /api/v1/photos/{id}` with the session's
//! token and kept as files, so the shells draw them from a path (as they draw a draft's
//! thumbnails) and a detail opened online still shows them offline.
//!
//! - Two sizes: the server's thumbnail for the lists and details, the full photo when the user
//!   opens one. Each is its own file, `{id}.thumb.jpg` or `{id}.jpg`.
//! - The files belong to the signed-in account: signing out removes them, so the next account
//!   on the phone cannot read them from the cache.
//! - The folder is bounded ([`CACHE_BYTES`]): after a download, the least recently written
//!   files go first. A photo removed this way is fetched again when it is next shown online.
//! - Only a JPEG is kept: an answer that is not one (a proxy's error page) is a protocol
//!   error, never a file the platform's decoder would choke on.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::error::{Error, Result};
use super::remote::{Remote, id_segment};
use super::store::{TEMP_SUFFIX, write_atomically};

/// Folder of the server's photos inside the app's folder.
pub const SERVER_PHOTOS_FOLDER: &str = "server-photos";
/// How many bytes of the server's photos the phone keeps: a few dozen full photos and
/// thousands of thumbnails.
pub const CACHE_BYTES: u64 = 64 * 1024 * 1024;

const ENDPOINT: &str = "/api/v1/photos/{id}";

/// Which of a server photo's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum PhotoSize {
    /// The server's small JPEG, for lists and details.
    Thumbnail,
    /// The photo as the server keeps it, for a photo opened on its own.
    Full,
}

impl PhotoSize {
    fn file_name(self, id: &str) -> String {
        match self {
            Self::Thumbnail => format!("{id}.thumb.jpg"),
            Self::Full => format!("{id}.jpg"),
        }
    }

    fn query(self) -> &'static str {
        match self {
            Self::Thumbnail => "?size=thumbnail",
            Self::Full => "",
        }
    }
}

/// The kept files of the server's photos.
pub struct ServerPhotos {
    dir: PathBuf,
    budget: u64,
}

impl ServerPhotos {
    /// The cache in `folder` (created), with temporary files of a crash mid-write removed.
    pub fn open(folder: &Path) -> Result<Self> {
        Self::with_budget(folder, CACHE_BYTES)
    }

    /// The cache in `folder`, keeping at most `budget` bytes.
    pub fn with_budget(folder: &Path, budget: u64) -> Result<Self> {
        let dir = folder.join(SERVER_PHOTOS_FOLDER);
        fs::create_dir_all(&dir)?;
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().ends_with(TEMP_SUFFIX) {
                fs::remove_file(entry.path())?;
            }
        }
        Ok(Self { dir, budget })
    }

    /// The kept file of photo `id` in `size`, if there is one; never the network.
    pub fn kept(&self, id: &str, size: PhotoSize) -> Option<PathBuf> {
        let id = id_segment("photo_id", id).ok()?;
        let path = self.dir.join(size.file_name(id));
        path.is_file().then_some(path)
    }

    /// The file of photo `id` in `size`: the kept one, else downloaded with the session's
    /// token and kept. Blocks on the network when not kept. A photo the account may not see
    /// is the server's refusal (404, as for a photo that does not exist).
    pub fn fetch(&self, remote: &Remote<'_>, id: &str, size: PhotoSize) -> Result<PathBuf> {
        if let Some(kept) = self.kept(id, size) {
            return Ok(kept);
        }
        let id = id_segment("photo_id", id)?;
        let bytes =
            remote.get_bytes(ENDPOINT, &format!("/api/v1/photos/{id}{}", size.query()), "image/jpeg")?;
        if !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Err(Error::Protocol { endpoint: ENDPOINT, reason: "answered without a JPEG".into() });
        }
        let path = write_atomically(&self.dir, &size.file_name(id), &bytes)?;
        self.prune(&path);
        Ok(path)
    }

    /// Forget every kept photo (the account signed out).
    pub fn clear(&self) -> Result<()> {
        for entry in fs::read_dir(&self.dir)? {
            fs::remove_file(entry?.path())?;
        }
        Ok(())
    }

    /// Remove the least recently written files until the folder fits the budget, never `keep`
    /// (the file just fetched, which the caller is about to show). Best effort: a file that
    /// cannot be read or removed is left for the next pass.
    fn prune(&self, keep: &Path) {
        let Ok(entries) = fs::read_dir(&self.dir) else { return };
        let mut files: Vec<(SystemTime, u64, PathBuf)> = entries
            .filter_map(|e| {
                let e = e.ok()?;
                let meta = e.metadata().ok()?;
                meta.is_file()
                    .then(|| (meta.modified().unwrap_or(SystemTime::UNIX_EPOCH), meta.len(), e.path()))
            })
            .collect();
        let mut total: u64 = files.iter().map(|(_, len, _)| len).sum();
        if total <= self.budget {
            return;
        }
        files.sort();
        for (_, len, path) in files {
            if total <= self.budget {
                break;
            }
            if path != keep && fs::remove_file(&path).is_ok() {
                total = total.saturating_sub(len);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(cache: &ServerPhotos, name: &str, len: usize) -> PathBuf {
        let path = cache.dir.join(name);
        fs::write(&path, vec![0xFF; len]).unwrap();
        // Distinct modification times, oldest first, without sleeping.
        let age = SystemTime::now() - std::time::Duration::from_secs(1000 - len as u64);
        fs::File::options().write(true).open(&path).unwrap().set_modified(age).unwrap();
        path
    }

    #[test]
    fn the_oldest_files_go_first_and_never_the_one_just_fetched() {
        let folder = tempfile::tempdir().unwrap();
        let cache = ServerPhotos::with_budget(folder.path(), 250).unwrap();
        let oldest = write(&cache, "a.jpg", 100);
        let middle = write(&cache, "b.jpg", 110);
        let newest = write(&cache, "c.jpg", 120);
        cache.prune(&newest);
        assert!(!oldest.exists() && middle.exists() && newest.exists(), "330 bytes down to 230");

        let big = write(&cache, "d.jpg", 400);
        cache.prune(&big);
        assert!(!middle.exists() && !newest.exists());
        assert!(big.exists(), "the photo about to be shown stays even over the budget");
    }

    #[test]
    fn ids_cannot_leave_the_folder_and_crash_leftovers_go() {
        let folder = tempfile::tempdir().unwrap();
        let cache = ServerPhotos::open(folder.path()).unwrap();
        fs::write(cache.dir.join(format!("x.jpg.1{TEMP_SUFFIX}")), b"torn").unwrap();
        fs::write(folder.path().join("secret.jpg"), b"not a cached photo").unwrap();
        assert_eq!(cache.kept("../secret", PhotoSize::Full), None);
        let reopened = ServerPhotos::open(folder.path()).unwrap();
        assert_eq!(fs::read_dir(&reopened.dir).unwrap().count(), 0);
        fs::write(reopened.dir.join("0193-ab.thumb.jpg"), b"\xFF\xD8\xFF").unwrap();
        assert!(reopened.kept("0193-ab", PhotoSize::Thumbnail).is_some());
        assert!(reopened.kept("0193-ab", PhotoSize::Full).is_none());
        reopened.clear().unwrap();
        assert!(reopened.kept("0193-ab", PhotoSize::Thumbnail).is_none());
    }
}
