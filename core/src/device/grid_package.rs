//! The offline grid package on the phone: fetched from `GET /api/v1/grids/package` through the
//! app's transport, kept in the data folder, and indexed for routing points with no network,
//! with the same index code as the server.
//!
//! The download is a conditional GET: the ETag of the stored package goes out as
//! `If-None-Match`, so checking an unchanged grid costs a 304 and no body. A new package is
//! decoded and indexed before anything is written (a corrupt or truncated answer changes
//! nothing), then written atomically (temporary file, fsync, rename) and its ETag after it: a
//! crash between the two leaves the new package with the old tag, which only costs one more
//! download. After a restart the stored package is read and indexed on first use, offline.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};

use super::backoff::{Verdict, verdict};
use super::error::{Error, Result};
use super::store::{TEMP_SUFFIX, write_atomically};
use super::sync::SyncEngine;
use super::transport::{HttpHeader, HttpRequest};
use super::wire;
use crate::grid::{GridCell, GridIndex, decode_grid_package, decode_package};

/// File name of the stored package inside the app's folder.
pub const PACKAGE_FILE: &str = "grid.package";
/// File name of what is known about the stored package (its ETag and revision).
pub const PACKAGE_META_FILE: &str = "grid.package.json";
pub(crate) const PACKAGE_PATH: &str = "/api/v1/grids/package";

/// What one [`GridPackages::refresh`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageRefresh {
    /// A new package was downloaded and is now the one routed with (`false`: the server said
    /// the stored one is current).
    pub changed: bool,
    /// The server's grid revision of the stored package, when it said.
    pub revision: Option<String>,
    /// How many unit grids the stored package holds.
    pub cells: usize,
}

/// The ETag and revision of the stored package, next to it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct PackageMeta {
    etag: Option<String>,
    revision: Option<String>,
}

/// The stored package and its index, loaded once.
pub struct GridPackages {
    folder: PathBuf,
    server_url: String,
    index: RwLock<Option<Arc<GridIndex>>>,
    /// The stored package's cells with their shapes, for the map and the no-map place path.
    cells: RwLock<Option<Arc<Vec<GridCell>>>>,
    refreshing: Mutex<()>,
}

impl GridPackages {
    /// Over the package in `folder`, removing the temporary files a crash mid-write left.
    pub(crate) fn new(folder: &Path, server_url: &str) -> Self {
        if let Ok(entries) = std::fs::read_dir(folder) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with(PACKAGE_FILE) && name.ends_with(TEMP_SUFFIX) {
                    // Best effort: a leftover that cannot be removed now is tried at next start.
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        Self {
            folder: folder.to_owned(),
            server_url: server_url.to_owned(),
            index: RwLock::new(None),
            cells: RwLock::new(None),
            refreshing: Mutex::new(()),
        }
    }

    fn package_path(&self) -> PathBuf {
        self.folder.join(PACKAGE_FILE)
    }

    /// The stored package's ETag and revision; none without a stored package, since a tag
    /// without its package must not make the server answer 304.
    fn meta(&self) -> Result<Option<PackageMeta>> {
        if !self.package_path().exists() {
            return Ok(None);
        }
        match std::fs::read(self.folder.join(PACKAGE_META_FILE)) {
            Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes).unwrap_or_default())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Some(PackageMeta::default())),
            Err(e) => Err(e.into()),
        }
    }

    /// The index of the stored package, read from the folder on first use; `None` when no
    /// package has been downloaded yet. Works offline. Fails with [`Error::CorruptPackage`]
    /// when the stored file cannot be read back (the next refresh downloads it again).
    pub fn index(&self) -> Result<Option<Arc<GridIndex>>> {
        if let Some(index) = self.index.read().unwrap_or_else(|poisoned| poisoned.into_inner()).as_ref() {
            return Ok(Some(index.clone()));
        }
        let bytes = match std::fs::read(self.package_path()) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let index = Arc::new(build(&bytes).map_err(|reason| Error::CorruptPackage { reason })?);
        let mut slot = self.index.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(Some(slot.get_or_insert(index).clone()))
    }

    /// The stored package's cells with their shapes (for drawing), read on first use; `None`
    /// when no package has been downloaded yet. Works offline.
    pub fn cells(&self) -> Result<Option<Arc<Vec<GridCell>>>> {
        if let Some(cells) = self.cells.read().unwrap_or_else(|poisoned| poisoned.into_inner()).as_ref() {
            return Ok(Some(cells.clone()));
        }
        let bytes = match std::fs::read(self.package_path()) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let cells =
            Arc::new(decode_package(&bytes).map_err(|e| Error::CorruptPackage { reason: e.to_string() })?);
        let mut slot = self.cells.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(Some(slot.get_or_insert(cells).clone()))
    }

    /// Ask the server for the city's package, sending the stored ETag, and keep and load a new
    /// one. Signed in, the request carries the session's token (renewed once on a 401, like the
    /// pulls); signed out, it goes without, since the package is public. One refresh at a time.
    ///
    /// Fails with [`Error::Transport`] or [`Error::ServerUnavailable`] (try later; the stored
    /// package stays), [`Error::Protocol`] for an answer that is not a readable package,
    /// [`Error::Refused`] when the server refuses (e.g. it holds no grid yet), and the store's
    /// errors when the folder cannot be written.
    pub fn refresh(&self, engine: &SyncEngine) -> Result<PackageRefresh> {
        let _one_at_a_time = self.refreshing.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let meta = self.meta()?;
        let mut headers = vec![HttpHeader { name: "Accept".into(), value: wire::PACKAGE_TYPE.into() }];
        if let Some(etag) = meta.as_ref().and_then(|m| m.etag.as_deref()) {
            headers.push(HttpHeader { name: "If-None-Match".into(), value: etag.to_owned() });
        }
        let request = HttpRequest {
            method: "GET".into(),
            url: format!("{}{PACKAGE_PATH}", self.server_url.trim_end_matches('/')),
            headers,
            body: Vec::new(),
        };
        let response = engine.send_with_session(request)?;
        if response.status == 304 {
            if let (Some(meta), Some(index)) = (meta, self.index()?) {
                return Ok(PackageRefresh { changed: false, revision: meta.revision, cells: index.len() });
            }
            return Err(protocol("304 Not Modified without a stored package".into()));
        }
        match verdict(response.status) {
            Verdict::Delivered => {}
            Verdict::Retry => return Err(Error::ServerUnavailable { status: response.status }),
            Verdict::Reauthenticate => return Err(Error::SignedOut),
            Verdict::Refused | Verdict::Conflict => {
                return Err(Error::Refused {
                    endpoint: PACKAGE_PATH,
                    problem: wire::problem(response.status, &response.body),
                });
            }
        }
        let index = Arc::new(build(&response.body).map_err(protocol)?);
        let meta = PackageMeta {
            etag: response.header("ETag").map(str::to_owned),
            revision: response.header("Grid-Revision").map(str::to_owned),
        };
        write_atomically(&self.folder, PACKAGE_FILE, &response.body)?;
        write_atomically(&self.folder, PACKAGE_META_FILE, &serde_json::to_vec(&meta)?)?;
        let cells = index.len();
        *self.index.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(index);
        *self.cells.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
        Ok(PackageRefresh { changed: true, revision: meta.revision, cells })
    }
}

/// Decode and index a package, routing with the city's tolerance the package carries (a
/// version 1 package, without one, routes with the default); why not, as text.
fn build(bytes: &[u8]) -> std::result::Result<GridIndex, String> {
    let package = decode_grid_package(bytes).map_err(|e| e.to_string())?;
    GridIndex::build(&package.cells)
        .and_then(|index| index.with_tolerance_m(package.routing_tolerance_m))
        .map_err(|e| e.to_string())
}

fn protocol(reason: String) -> Error {
    Error::Protocol { endpoint: PACKAGE_PATH, reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::backoff::BackoffPolicy;
    use crate::device::session::{Session, Tokens};
    use crate::device::state::StateHub;
    use crate::device::store::Store;
    use crate::device::transport::{HttpResponse, Transport, TransportError};
    use crate::grid::{GeneratorOptions, encode_package, encode_package_with_tolerance, generate_city};

    /// Answers each request with the next scripted response and records `METHOD path [token]`.
    struct Scripted {
        answers: Mutex<Vec<HttpResponse>>,
        seen: Mutex<Vec<String>>,
    }

    impl Transport for Scripted {
        fn send(&self, request: HttpRequest) -> std::result::Result<HttpResponse, TransportError> {
            let token = request.headers.iter().find(|h| h.name == "Authorization").map(|h| h.value.clone());
            let path = request.url.trim_start_matches("http://h");
            self.seen.lock().unwrap().push(format!(
                "{} {path} {}",
                request.method,
                token.unwrap_or_default()
            ));
            Ok(self.answers.lock().unwrap().remove(0))
        }
    }

    fn answer(status: u16, headers: &[(&str, &str)], body: &[u8]) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| HttpHeader { name: (*n).into(), value: (*v).into() })
                .collect(),
            body: body.to_vec(),
        }
    }

    #[test]
    fn an_expired_token_is_renewed_once_and_an_unreadable_answer_keeps_the_stored_package() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let session = Arc::new(Session::load(store.clone()).unwrap());
        session.set(Tokens { access_token: "stale".into(), refresh_token: "r1".into() }).unwrap();
        let cells = generate_city(GeneratorOptions { cells: 4, seed: 9, bbox: None }).unwrap();
        let package = encode_package(&cells).unwrap();
        let transport = Arc::new(Scripted {
            answers: Mutex::new(vec![
                answer(401, &[], b""),
                answer(200, &[], br#"{"access_token":"fresh","refresh_token":"r2"}"#),
                answer(200, &[("ETag", "\"7-city\""), ("Grid-Revision", "7")], &package),
                answer(200, &[("ETag", "\"8-city\"")], &package[..package.len() - 1]),
            ]),
            seen: Mutex::new(Vec::new()),
        });
        let engine = SyncEngine::new(
            store,
            transport.clone(),
            session.clone(),
            "http://h".into(),
            BackoffPolicy::default(),
            Arc::new(StateHub::default()),
        );
        let packages = GridPackages::new(dir.path(), "http://h");

        let first = packages.refresh(&engine).unwrap();
        assert_eq!(first, PackageRefresh { changed: true, revision: Some("7".into()), cells: 4 });
        assert_eq!(
            *transport.seen.lock().unwrap(),
            [
                "GET /api/v1/grids/package Bearer stale",
                "POST /api/v1/auth/refresh ",
                "GET /api/v1/grids/package Bearer fresh"
            ]
        );
        assert_eq!(session.refresh_count(), 1);

        // A truncated answer is refused before anything is written: the stored package stays.
        assert!(matches!(packages.refresh(&engine), Err(Error::Protocol { .. })));
        let reopened = GridPackages::new(dir.path(), "http://h");
        assert_eq!(reopened.index().unwrap().unwrap().len(), 4);
        assert_eq!(reopened.meta().unwrap().unwrap().etag.as_deref(), Some("\"7-city\""));
    }

    #[test]
    fn a_stored_package_is_indexed_after_a_restart_and_a_corrupt_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let packages = GridPackages::new(dir.path(), "http://localhost");
        assert!(packages.index().unwrap().is_none());
        assert!(packages.meta().unwrap().is_none(), "no tag without a package");

        let cells = generate_city(GeneratorOptions { cells: 6, seed: 3, bbox: None }).unwrap();
        let bytes = encode_package(&cells).unwrap();
        write_atomically(dir.path(), PACKAGE_FILE, &bytes).unwrap();
        let leftover = dir.path().join(format!("{PACKAGE_FILE}.0123{TEMP_SUFFIX}"));
        std::fs::write(&leftover, b"torn").unwrap();
        let reopened = GridPackages::new(dir.path(), "http://localhost");
        assert_eq!(reopened.index().unwrap().unwrap().len(), 6);
        assert_eq!(
            reopened.index().unwrap().unwrap().tolerance_m(),
            crate::limits::DEFAULT_ROUTING_TOLERANCE_M
        );
        assert!(!leftover.exists(), "a crash's temporary file is swept");
        assert!(reopened.meta().unwrap().unwrap().etag.is_none(), "a package without a tag is fetched whole");

        let mut torn = bytes.clone();
        torn.truncate(bytes.len() / 2);
        write_atomically(dir.path(), PACKAGE_FILE, &torn).unwrap();
        let corrupt = GridPackages::new(dir.path(), "http://localhost");
        assert!(matches!(corrupt.index(), Err(Error::CorruptPackage { .. })));
    }

    #[test]
    fn the_phone_routes_with_the_tolerance_the_package_carries() {
        let dir = tempfile::tempdir().unwrap();
        let cells = generate_city(GeneratorOptions { cells: 4, seed: 5, bbox: None }).unwrap();
        write_atomically(dir.path(), PACKAGE_FILE, &encode_package_with_tolerance(&cells, 12.5).unwrap())
            .unwrap();
        let index = GridPackages::new(dir.path(), "http://localhost").index().unwrap().unwrap();
        assert_eq!(index.tolerance_m(), 12.5);
    }
}
