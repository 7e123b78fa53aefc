//! The patrol track waiting on the phone (巡查轨迹): positions a grid inspector's device
//! recorded on duty and the server has not confirmed yet. They are kept in the device's store,
//! so a restart or a day without signal loses nothing, and every sync uploads them
//! (`POST /api/v1/patrol/positions`, at most [`MAX_PATROL_BATCH`] at a time), forgetting each
//! batch only once the server answered for it. The server stores each moment once, so a batch
//! sent again after a lost answer does no harm.
//!
//! The app's patrol screen ([`super::app::PatrolModel`]) records through
//! [`Device::record_track_point`] and its sync pass calls [`Device::upload_track`]; the field
//! simulator (`gridline simulate`) drives the same two calls.

use std::sync::Mutex;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Device, Error, Result};
use crate::limits::MAX_PATROL_BATCH;

const QUEUE_KEY: &str = "patrol_queue";
const POSITIONS_PATH: &str = "/api/v1/patrol/positions";

/// A recorded position waiting to be uploaded, as the server takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TrackPoint {
    at: String,
    lat: f64,
    lon: f64,
    accuracy_m: Option<f64>,
}

/// The queue is read and written by the patrol screen and by sync, on different threads.
static QUEUE: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    QUEUE.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What one [`Device::upload_track`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrackUpload {
    /// Positions the server answered for (new to it, or already held from a resent batch).
    pub acknowledged: usize,
    /// Of those, the ones new to the server.
    pub stored: usize,
}

impl Device {
    fn track_queue(&self) -> Result<Vec<TrackPoint>> {
        Ok(self.store().setting(QUEUE_KEY)?.unwrap_or_default())
    }

    /// Keep a position recorded at `at` until the server has it.
    pub fn record_track_point(
        &self,
        at: DateTime<Utc>,
        lat: f64,
        lon: f64,
        accuracy_m: Option<f64>,
    ) -> Result<()> {
        let _guard = lock();
        let mut queue = self.track_queue()?;
        queue.push(TrackPoint { at: at.to_rfc3339_opts(SecondsFormat::Millis, true), lat, lon, accuracy_m });
        self.store().set_setting(QUEUE_KEY, &queue)
    }

    /// Positions waiting for a connection.
    pub fn track_waiting(&self) -> Result<usize> {
        let _guard = lock();
        Ok(self.track_queue()?.len())
    }

    /// Upload what is waiting, a batch at a time, forgetting each batch once the server has it.
    /// Without a connection (or with the server away) it stays for the next sync.
    pub fn upload_track(&self) -> Result<TrackUpload> {
        let mut done = TrackUpload::default();
        loop {
            let batch: Vec<TrackPoint> = {
                let _guard = lock();
                self.track_queue()?.into_iter().take(MAX_PATROL_BATCH).collect()
            };
            if batch.is_empty() {
                return Ok(done);
            }
            match self.remote().post(POSITIONS_PATH, POSITIONS_PATH, &json!({ "positions": batch })) {
                Ok(answer) => {
                    let count = |key: &str| answer.get(key).and_then(serde_json::Value::as_u64).unwrap_or(0);
                    done.stored += usize::try_from(count("stored")).unwrap_or(usize::MAX);
                    done.acknowledged +=
                        usize::try_from(count("stored") + count("already_stored")).unwrap_or(usize::MAX);
                    let _guard = lock();
                    let rest: Vec<TrackPoint> =
                        self.track_queue()?.into_iter().filter(|p| !batch.contains(p)).collect();
                    self.store().set_setting(QUEUE_KEY, &rest)?;
                }
                Err(Error::Transport(_) | Error::ServerUnavailable { .. }) => return Ok(done),
                Err(e) => return Err(e),
            }
        }
    }
}
