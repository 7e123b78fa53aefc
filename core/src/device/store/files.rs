//! Photo files next to the store, written so that a crash leaves either the old state or the
//! complete new file, never a torn one: write a temporary file in the same folder, fsync it,
//! rename it over the final name, then fsync the folder so the rename itself is durable.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Suffix of temporary files; any left over by a crash are removed when the store opens.
pub(crate) const TEMP_SUFFIX: &str = ".partial";

/// Write `bytes` to `folder/name` atomically and durably.
pub(crate) fn write_atomically(folder: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let final_path = folder.join(name);
    let temp_path = folder.join(format!("{name}.{}{TEMP_SUFFIX}", uuid::Uuid::new_v4().simple()));
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&temp_path)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp_path, &final_path)?;
        sync_folder(folder)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp_path);
    }
    result.map(|()| final_path)
}

/// Make renames and deletions in `folder` durable.
pub(crate) fn sync_folder(folder: &Path) -> std::io::Result<()> {
    File::open(folder)?.sync_all()
}
