//! Crash safety of the device store: this test binary re-executes itself as a child that
//! writes drafts, submits them and runs the outbox against a loopback server, printing each
//! acknowledged submit; the parent SIGKILLs it at a random moment, 200 times over the same
//! store. After every kill the store must pass SQLite's integrity check and every acknowledged
//! submit must still be queued or already delivered; at the end every report is on the server
//! exactly once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod device_support;

use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use device_support::*;
use gridline_core::device::{ItemStatus, Store, SyncOutcome};

const CHILD_FOLDER: &str = "GRIDLINE_CRASH_CHILD_FOLDER";
const CHILD_SERVER: &str = "GRIDLINE_CRASH_CHILD_SERVER";
const TRIALS: u32 = 200;

fn main() {
    match (std::env::var(CHILD_FOLDER), std::env::var(CHILD_SERVER)) {
        (Ok(folder), Ok(server)) => child(Path::new(&folder), &server),
        _ => parent(),
    }
}

/// Write, submit and sync until killed.
fn child(folder: &Path, server_url: &str) {
    let device = open_device(folder, server_url);
    let photo = sample_photo(42);
    let mut stdout = std::io::stdout().lock();
    for n in 0u64.. {
        let id = submit_report(
            &device,
            &format!("crash report {}-{n}", std::process::id()),
            std::slice::from_ref(&photo),
        );
        writeln!(stdout, "ACK {id}").unwrap();
        stdout.flush().unwrap();
        // A draft left unsubmitted, so kills also land in draft writes.
        device.store().create_draft(&valid_fields("left as a draft")).unwrap();
        if n % 2 == 1 {
            let _ = device.sync().sync_once();
        }
    }
}

fn parent() {
    let server = TestServer::start();
    server.state().random_faults = Some((0.2, 0x2545_F491_4F6C_DD1D));
    let folder = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut acknowledged: Vec<String> = Vec::new();
    let mut seed: u64 = 0x1234_5678_9ABC_DEF1;
    for trial in 0..TRIALS {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let kill_after = Duration::from_millis(5 + seed % 120);
        let mut child = Command::new(&exe)
            .env(CHILD_FOLDER, folder.path())
            .env(CHILD_SERVER, server.url())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(kill_after);
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let mut output = String::new();
        child.stdout.take().unwrap().read_to_string(&mut output).unwrap();
        // Only complete lines were acknowledged.
        let complete = output.rsplit_once('\n').map_or("", |(done, _)| done);
        acknowledged.extend(complete.lines().filter_map(|l| l.strip_prefix("ACK ")).map(str::to_owned));

        let store = Store::open(folder.path()).unwrap();
        assert_eq!(store.integrity_check().unwrap(), Ok(()), "trial {trial}: store corrupt");
        for id in &acknowledged {
            let item = store
                .outbox_item(id)
                .unwrap_or_else(|e| panic!("trial {trial}: acknowledged {id} lost: {e}"));
            assert!(
                matches!(item.status, ItemStatus::Pending | ItemStatus::Delivered),
                "trial {trial}: {item:?}"
            );
        }
    }
    assert!(
        acknowledged.len() >= TRIALS as usize / 2,
        "too few submits to mean anything: {}",
        acknowledged.len()
    );

    // Deliver what is left; the server then holds every item exactly once with its photo.
    server.state().random_faults = None;
    let device = open_device(folder.path(), &server.url());
    assert_eq!(device.sync().sync_until_settled(Duration::from_secs(60)).unwrap(), SyncOutcome::Idle);
    let items = device.store().outbox(true).unwrap();
    assert!(items.iter().all(|i| i.status == ItemStatus::Delivered));
    let state = server.state();
    assert_eq!(state.reports.len(), items.len(), "every queued report exactly once");
    let descriptions: HashSet<_> = state.reports.iter().map(|r| r.description.clone()).collect();
    assert_eq!(descriptions.len(), state.reports.len(), "no duplicates");
    assert!(
        state.reports.iter().all(|r| r.photo_ids.len() == 1 && state.photos.contains_key(&r.photo_ids[0]))
    );
    let delivered: HashSet<_> = items.iter().map(|i| i.id.clone()).collect();
    assert!(acknowledged.iter().all(|id| delivered.contains(id)));
    println!(
        "device_crash: {TRIALS} SIGKILL trials, {} acknowledged submits, {} reports delivered exactly once: ok",
        acknowledged.len(),
        state.reports.len()
    );
}
