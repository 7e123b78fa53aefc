//! The device's local store: one SQLite file (`gridline.sqlite3`) and a `photos/` folder in a
//! folder the app chooses (its private files directory).
//!
//! Settings, and why:
//! - `journal_mode=WAL`: readers (the UI listing drafts) never wait for the sync engine's writes.
//! - `synchronous=FULL`: with WAL, `NORMAL` may lose the last commits on power loss (not on an
//!   app crash). A submit that the app has confirmed to the user must survive the phone
//!   switching off, so every commit is fsynced; commits happen at human pace, so the cost of
//!   one fsync each is invisible.
//! - `busy_timeout`: another connection to the same file (a second process, a background task
//!   on iOS) waits instead of failing at once.
//!
//! One [`Store`] per folder: it owns its connection behind a mutex, and on opening it removes
//! the leftovers of a crash (temporary photo files, photo files no row refers to).

mod files;
pub(crate) mod schema;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::Connection;

use super::error::{Error, Result};

pub(crate) use files::{TEMP_SUFFIX, write_atomically};

/// File name of the database inside the app's folder.
pub const DATABASE_FILE: &str = "gridline.sqlite3";
/// Folder of the photo files inside the app's folder.
pub const PHOTOS_FOLDER: &str = "photos";
/// How long a write waits for another connection's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The SQLite store and the photo folder next to it.
pub struct Store {
    conn: Mutex<Connection>,
    photos_dir: PathBuf,
}

impl Store {
    /// Open (creating if needed) the store in `folder`, migrating it to the current schema.
    pub fn open(folder: &Path) -> Result<Self> {
        fs::create_dir_all(folder)?;
        let photos_dir = folder.join(PHOTOS_FOLDER);
        fs::create_dir_all(&photos_dir)?;
        let mut conn = Connection::open(folder.join(DATABASE_FILE))?;
        configure(&conn)?;
        migrate(&mut conn)?;
        let store = Self { conn: Mutex::new(conn), photos_dir };
        store.sweep_photo_folder()?;
        Ok(store)
    }

    /// The connection. A panic elsewhere while it was held rolled back any open transaction
    /// (rusqlite's `Transaction` rolls back on drop), so a poisoned lock is still usable.
    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The folder photo files live in.
    pub(crate) fn photos_dir(&self) -> &Path {
        &self.photos_dir
    }

    /// Path of a photo's prepared JPEG.
    pub fn photo_path(&self, photo_id: &str) -> PathBuf {
        self.photos_dir.join(photo_file_name(photo_id))
    }

    /// Path of a photo's thumbnail JPEG.
    pub fn thumbnail_path(&self, photo_id: &str) -> PathBuf {
        self.photos_dir.join(thumbnail_file_name(photo_id))
    }

    /// `PRAGMA integrity_check`: `Ok(())` when SQLite finds the file sound, else its findings.
    pub fn integrity_check(&self) -> Result<std::result::Result<(), String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("PRAGMA integrity_check")?;
        let lines: Vec<String> = stmt.query_map([], |row| row.get(0))?.collect::<rusqlite::Result<_>>()?;
        if lines == ["ok"] { Ok(Ok(())) } else { Ok(Err(lines.join("; "))) }
    }

    /// Remove temporary files left by a crash mid-write and photo files whose row was never
    /// committed or has been deleted.
    fn sweep_photo_folder(&self) -> Result<()> {
        let known: HashSet<String> = {
            let conn = self.conn();
            let mut stmt = conn.prepare("SELECT id FROM photos")?;
            stmt.query_map([], |row| row.get::<_, String>(0))?.collect::<rusqlite::Result<_>>()?
        };
        let mut removed = false;
        for entry in fs::read_dir(&self.photos_dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let owner = name.split('.').next().unwrap_or_default();
            if name.ends_with(files::TEMP_SUFFIX) || !known.contains(owner) {
                fs::remove_file(entry.path())?;
                removed = true;
            }
        }
        if removed {
            files::sync_folder(&self.photos_dir)?;
        }
        Ok(())
    }
}

pub(crate) fn photo_file_name(photo_id: &str) -> String {
    format!("{photo_id}.jpg")
}

pub(crate) fn thumbnail_file_name(photo_id: &str) -> String {
    format!("{photo_id}.thumb.jpg")
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::JournalMode { found: mode });
    }
    conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")?;
    Ok(())
}

/// The schema version recorded in the file (0 for a new, empty file).
pub(crate) fn user_version(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
}

/// Bring the store to [`schema::VERSION`]: a new file gets [`schema::LATEST`] at once, an
/// older one runs the missing [`schema::STEPS`], each in its own transaction together with its
/// version bump, so a crash mid-upgrade resumes at the step that did not commit.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let found = user_version(conn)?;
    if found > schema::VERSION {
        return Err(Error::StoreTooNew { found, supported: schema::VERSION });
    }
    if found == 0 {
        let tx = conn.transaction()?;
        tx.execute_batch(schema::LATEST)?;
        tx.pragma_update(None, "user_version", schema::VERSION)?;
        tx.commit()?;
        return Ok(());
    }
    upgrade(conn, found, schema::VERSION)
}

/// Run steps `from..to` (a store at version `from` ends at version `to`).
pub(crate) fn upgrade(conn: &mut Connection, from: u32, to: u32) -> Result<()> {
    for version in from..to {
        let step =
            schema::STEPS.get(version as usize).ok_or(Error::StoreTooNew { found: to, supported: from })?;
        let tx = conn.transaction()?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
    Ok(())
}
