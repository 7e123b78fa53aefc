//! `GET /api/v1/events`: the changes to cases in the caller's scope, live, as Server-Sent Events.
//!
//! Each event of the audit trail is one SSE event `case` whose `id` is the event's sequence
//! number, so a client that reconnects with `Last-Event-ID` gets exactly the events it missed,
//! without gaps or repeats. Without that header the stream starts at the moment of the request.
//! The data is the event as the case timeline ([`super::cases::timeline`]) shows it to this
//! caller (the staff view to staff whose scope holds the case, the public view to citizens, who
//! only follow their own reports), plus the case's id, tracking number, grid, state and
//! version as they are now.
//!
//! The stream first sends `retry:`, then the backlog in pages of [`PAGE`], then one `ready`
//! event (`{"through": seq}`) once it has caught up, then new events as they commit, on any
//! node (see [`crate::live`]). A comment line keeps idle connections open through proxies.
//! Staff who watch early warning also get an unnumbered `signal` event when a signal in their
//! scope is raised, grown or stepped on ([`crate::live::signals`]).
//!
//! Each source has its own bell: a committed case event makes the stream read the case feed,
//! a change of the signals makes it read the signals, and neither reads the other's table. The
//! poll timer reads both, in case a wake-up was lost.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use gridline_core::workflow::Role;
use serde_json::{Value, json};
use tokio::sync::watch;

use super::cases::timeline::{public_entry, staff_entry};
use super::cases::{may_see_reporter, visibility};
use crate::app::AppState;
use crate::auth::{CaseFilter, Principal};
use crate::error::{ApiError, ApiResult};
use crate::live::feed;
use crate::live::signals::{self, SignalWatch};
use crate::store::cases::CaseRow;
use crate::store::events::{self, EventRow};

/// Events read from the database at once.
const PAGE: i64 = 200;

/// Milliseconds a client should wait before reconnecting (the SSE `retry:` field).
const RETRY_MS: u64 = 2_000;

const LAST_EVENT_ID: &str = "last-event-id";

pub async fn events(state: web::Data<AppState>, who: Principal, req: HttpRequest) -> ApiResult<HttpResponse> {
    let resume = last_event_id(&req)?;
    // Subscribed before the first read, so nothing committed after that read is missed.
    let wake = state.db.events().subscribe();
    // Likewise before the signals are first read.
    let signals_rang = state.db.signals().subscribe();
    let start = match resume {
        Some(seq) => seq,
        None => state.db.run(events::latest_seq).await?,
    };
    let watcher = who.clone();
    let signals = state.db.run(move |conn| SignalWatch::start(conn, &watcher)).await?;
    let settings = &state.config.settings;
    let stream = Stream {
        filter: who.case_filter(),
        who,
        signals,
        through: start,
        wake,
        signals_rang,
        feed_due: true,
        signals_due: false,
        out: VecDeque::from([Bytes::from(format!("retry: {RETRY_MS}\n\n"))]),
        ready_sent: false,
        quiet_since: Instant::now(),
        polled_at: Instant::now(),
        poll: Duration::from_secs(settings.events_poll_secs),
        heartbeat: Duration::from_secs(settings.events_heartbeat_secs),
        state: state.clone(),
    };
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        // nginx would otherwise buffer the stream.
        .insert_header(("x-accel-buffering", HeaderValue::from_static("no")))
        .streaming(futures_util::stream::unfold(stream, Stream::next)))
}

/// The sequence number in `Last-Event-ID`, when sent.
fn last_event_id(req: &HttpRequest) -> ApiResult<Option<i64>> {
    let Some(value) = req.headers().get(LAST_EVENT_ID) else { return Ok(None) };
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|seq| *seq >= 0)
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_last_event_id",
                "Last-Event-ID must be the id of an event received earlier (an integer >= 0)",
            )
            .with_field("Last-Event-ID")
        })
}

/// One subscriber's position and what is waiting to be written to it. Dropped (with its
/// wake-up receiver) when the client goes away.
struct Stream {
    state: web::Data<AppState>,
    who: Principal,
    filter: CaseFilter,
    /// Early warning's signals in the caller's scope, for those who watch them.
    signals: Option<SignalWatch>,
    /// Every event up to here has been sent or was outside the scope.
    through: i64,
    /// Rung when case events committed.
    wake: watch::Receiver<u64>,
    /// Rung when signals changed.
    signals_rang: watch::Receiver<u64>,
    /// The case feed must be read before the stream waits: at the start, after a wake-up or a
    /// poll, and while pages remain.
    feed_due: bool,
    /// The signals must be read before the stream waits.
    signals_due: bool,
    out: VecDeque<Bytes>,
    ready_sent: bool,
    quiet_since: Instant,
    /// When the poll timer last made the stream read everything again.
    polled_at: Instant,
    poll: Duration,
    heartbeat: Duration,
}

impl Stream {
    async fn next(mut self) -> Option<(Result<Bytes, std::convert::Infallible>, Self)> {
        loop {
            if let Some(chunk) = self.out.pop_front() {
                self.quiet_since = Instant::now();
                return Some((Ok(chunk), self));
            }
            if self.feed_due {
                // Ending the stream makes the client reconnect with its Last-Event-ID.
                let more = self.read_feed().await?;
                if more {
                    continue;
                }
                self.feed_due = false;
            }
            if self.signals_due {
                self.signals_due = false;
                self.read_signals().await;
            }
            if !self.ready_sent {
                self.ready_sent = true;
                self.out.push_back(Bytes::from(format!(
                    "event: ready\ndata: {}\n\n",
                    json!({ "through": self.through })
                )));
            }
            if !self.out.is_empty() {
                continue;
            }
            let until_heartbeat = self.heartbeat.saturating_sub(self.quiet_since.elapsed());
            let until_poll = self.poll.saturating_sub(self.polled_at.elapsed());
            tokio::select! {
                changed = self.wake.changed() => {
                    changed.ok()?;
                    self.feed_due = true;
                }
                changed = self.signals_rang.changed(), if self.signals.is_some() => {
                    changed.ok()?;
                    self.signals_due = true;
                }
                _ = actix_web::rt::time::sleep(until_poll.min(until_heartbeat)) => {}
            }
            if self.polled_at.elapsed() >= self.poll {
                self.polled_at = Instant::now();
                self.feed_due = true;
                self.signals_due = self.signals.is_some();
            }
            if self.quiet_since.elapsed() >= self.heartbeat {
                self.out.push_back(Bytes::from_static(b": keep-alive\n\n"));
            }
        }
    }
}

impl Stream {
    /// Queues the next page of case events in the caller's scope. Answers whether more pages
    /// wait, or `None` when the feed could not be read (the stream then ends).
    async fn read_feed(&mut self) -> Option<bool> {
        // Marked seen before reading: a wake-up for anything this read misses stays pending.
        self.wake.borrow_and_update();
        self.state.metrics.live_read("cases");
        let filter = self.filter.clone();
        let after = self.through;
        let page = match self.state.db.run(move |conn| feed::after(conn, &filter, after, PAGE)).await {
            Ok(page) => page,
            Err(e) => {
                tracing::warn!(error = %e, "live events: reading the feed failed; closing the stream");
                return None;
            }
        };
        self.through = page.through;
        for (event, case) in &page.events {
            if self.filter.admits(&visibility(case)) {
                self.out.push_back(frame(event.seq, &render(&self.who, event, case)));
            }
        }
        Some(page.more)
    }

    /// Queues a `signal` event for each signal raised, grown or stepped on since the last read.
    async fn read_signals(&mut self) {
        let Some(mut watch) = self.signals.take() else { return };
        // Marked seen before reading, like the feed.
        self.signals_rang.borrow_and_update();
        self.state.metrics.live_read("signals");
        let read = self
            .state
            .db
            .run(move |conn| {
                let changed = watch.changes(conn);
                Ok::<_, crate::store::StoreError>((watch, changed))
            })
            .await;
        match read {
            Ok((watch, changed)) => {
                self.signals = Some(watch);
                match changed {
                    Ok(rows) => self.out.extend(rows.iter().map(signals::frame)),
                    Err(e) => tracing::warn!(error = %e, "live events: reading the signals failed"),
                }
            }
            // The watch went with the failed work: this stream carries cases only from here on.
            Err(e) => tracing::warn!(error = %e, "live events: reading the signals failed"),
        }
    }
}

fn frame(seq: i64, data: &Value) -> Bytes {
    Bytes::from(format!("id: {seq}\nevent: case\ndata: {data}\n\n"))
}

/// The event as the timeline shows it to `who`, with the case's current facts.
fn render(who: &Principal, event: &EventRow, case: &CaseRow) -> Value {
    // Everything here is in the caller's scope; a citizen's scope is their own reports, which
    // they follow through the public view, as on the timeline.
    let staff = who.role != Role::Citizen;
    let entry = if staff {
        serde_json::to_value(staff_entry(
            event,
            case.reporter_id.as_deref(),
            !may_see_reporter(case, Some(who)),
        ))
    } else {
        serde_json::to_value(public_entry(event))
    };
    let mut entry = entry.unwrap_or(Value::Null);
    entry["view"] = json!(if staff { "staff" } else { "public" });
    entry["case_id"] = json!(case.id);
    entry["tracking_number"] = json!(case.tracking_number);
    entry["grid_code"] = json!(case.grid_code);
    entry["state"] = json!(case.state);
    entry["version"] = json!(case.version);
    entry
}
