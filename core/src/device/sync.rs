//! The sync engine: works through the outbox, one item at a time in queue order, uploading an
//! item's photos first (each under its own key, remembered once the server has it) and then
//! the report or action with the server's photo ids and the item's idempotency key.
//!
//! Per answer (see [`verdict`]): 2xx marks the item delivered; a network failure, 408, 425, 429
//! or 5xx ends the pass and waits (exponential backoff with full jitter, or the server's
//! `Retry-After`); 401 refreshes the session once and resends; 409 parks the item with the
//! case's current state; any other 4xx parks it with the server's problem. Parked items stay
//! visible to the user until retried, returned to drafts or discarded.
//!
//! After the outbox, a pass pulls the lists set with [`SyncEngine::set_pull_lists`] (see
//! [`super::pull`]), so what the user just sent is already in the cached lists; progress
//! counts each list as one more step after the outbox items.
//!
//! Waiting uses the monotonic clock (`Duration`s, never wall-clock deadlines), and queue order
//! is the store's sequence number, so changing the device's clock or time zone affects neither.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use rand::Rng;

use super::backoff::{BackoffPolicy, Verdict, parse_retry_after, verdict};
use super::error::{Error, Result};
use super::outbox::{Payload, Problem};
use super::pull::{MINE_LIMIT, PullList};
use super::session::Session;
use super::state::{StateHub, SyncState};
use super::store::Store;
use super::transport::{HttpHeader, HttpRequest, HttpResponse, Transport};
use super::wire;

/// How one call to [`SyncEngine::sync_once`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncOutcome {
    /// Every sendable item was delivered or parked.
    Idle,
    /// The network or server is unavailable: call again after this long.
    RetryIn(Duration),
    /// The session is gone; the user must sign in before anything more is sent.
    SignedOut,
    /// Another thread is already syncing.
    AlreadyRunning,
}

/// What happened to one item.
enum ItemOutcome {
    Delivered,
    Parked,
    Retry(Option<Duration>),
}

/// A server answer, sorted.
enum Answer {
    Ok(Vec<u8>),
    Retry(Option<Duration>),
    Refused(Problem),
    Conflict(Problem, Option<String>),
}

/// Sends the outbox to the server through a [`Transport`].
pub struct SyncEngine {
    store: Arc<Store>,
    transport: Arc<dyn Transport>,
    session: Arc<Session>,
    server_url: String,
    backoff: BackoffPolicy,
    state: Arc<StateHub>,
    running: Mutex<()>,
    consecutive_failures: Mutex<u32>,
    pull_lists: Mutex<Vec<PullList>>,
    pulls: AtomicU64,
}

impl SyncEngine {
    pub fn new(
        store: Arc<Store>,
        transport: Arc<dyn Transport>,
        session: Arc<Session>,
        server_url: String,
        backoff: BackoffPolicy,
        state: Arc<StateHub>,
    ) -> Self {
        Self {
            store,
            transport,
            session,
            server_url,
            backoff,
            state,
            running: Mutex::new(()),
            consecutive_failures: Mutex::new(0),
            pull_lists: Mutex::new(Vec::new()),
            pulls: AtomicU64::new(0),
        }
    }

    /// The lists every pass pulls after the outbox (none until the app says which: the work
    /// list is for inspectors only, own reports for everyone who files them).
    pub fn set_pull_lists(&self, lists: &[PullList]) {
        let mut unique = Vec::with_capacity(lists.len());
        for list in lists {
            if !unique.contains(list) {
                unique.push(*list);
            }
        }
        *self.pull_lists.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = unique;
    }

    /// The lists each pass pulls.
    pub fn pull_lists(&self) -> Vec<PullList> {
        self.pull_lists.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// How many list pulls (every page of them) this engine has completed.
    pub fn pulls_completed(&self) -> u64 {
        self.pulls.load(Ordering::Relaxed)
    }

    /// Send an API request with the session's access token, refreshing the session once if the
    /// server answers 401 (an expired access token), and return the answer as it came. For the
    /// calls outside the outbox (lists, case views) that must keep working past the access
    /// token's lifetime.
    pub fn send_authorized(&self, request: HttpRequest) -> Result<HttpResponse> {
        let token = self.session.access_token().ok_or(Error::SignedOut)?;
        let response = self.send(&request, Some(&token))?;
        if verdict(response.status) != Verdict::Reauthenticate {
            return Ok(response);
        }
        let fresh = self.session.refresh(&token, self.transport.as_ref(), &self.server_url)?;
        let response = self.send(&request, Some(&fresh))?;
        if verdict(response.status) == Verdict::Reauthenticate {
            return Err(Error::SignedOut);
        }
        Ok(response)
    }

    /// [`SyncEngine::send_authorized`] when signed in, else the request as it is: for public
    /// resources (the grid package) that a signed-out phone may fetch too.
    pub fn send_with_session(&self, request: HttpRequest) -> Result<HttpResponse> {
        if self.session.access_token().is_some() {
            self.send_authorized(request)
        } else {
            self.send(&request, None)
        }
    }

    /// One pass over the outbox. Never sleeps: on a retryable failure it returns how long to
    /// wait, and the app schedules the next pass (WorkManager, BGTaskScheduler, a timer).
    pub fn sync_once(&self) -> Result<SyncOutcome> {
        let Ok(_running) = self.running.try_lock() else {
            return Ok(SyncOutcome::AlreadyRunning);
        };
        let outcome = self.pass();
        self.settle_outcome(outcome)
    }

    /// Turn a pass's result into what the caller sees, publishing the state it ends in.
    fn settle_outcome(&self, outcome: Result<SyncOutcome>) -> Result<SyncOutcome> {
        match outcome {
            Ok(outcome) => Ok(outcome),
            Err(Error::SignedOut) => {
                self.state.publish(SyncState::Error { message: Error::SignedOut.to_string() });
                Ok(SyncOutcome::SignedOut)
            }
            Err(Error::Transport(_) | Error::ServerUnavailable { .. }) => Ok(self.wait(None)),
            Err(e) => {
                self.state.publish(SyncState::Error { message: e.to_string() });
                Err(e)
            }
        }
    }

    /// Pass after pass, sleeping between them, until the outbox is settled (idle or signed out)
    /// or `patience` has been spent waiting. For tests, the CLI and the simulator; an app
    /// schedules [`SyncEngine::sync_once`] instead.
    pub fn sync_until_settled(&self, patience: Duration) -> Result<SyncOutcome> {
        let mut waited = Duration::ZERO;
        loop {
            match self.sync_once()? {
                SyncOutcome::RetryIn(wait) if waited + wait <= patience => {
                    std::thread::sleep(wait);
                    waited += wait;
                }
                SyncOutcome::AlreadyRunning if waited < patience => {
                    let pause = Duration::from_millis(10);
                    std::thread::sleep(pause);
                    waited += pause;
                }
                outcome => return Ok(outcome),
            }
        }
    }

    fn pass(&self) -> Result<SyncOutcome> {
        let mut attempted: Vec<String> = Vec::new();
        let mut done = 0u32;
        loop {
            let sendable = self.store.sendable_items()?;
            let remaining: Vec<&String> = sendable.iter().filter(|id| !attempted.contains(id)).collect();
            let Some(next) = remaining.first().map(|id| (*id).clone()) else { break };
            let total = done + u32::try_from(remaining.len()).unwrap_or(u32::MAX);
            self.state.publish(SyncState::Syncing { done, total });
            match self.deliver(&next)? {
                ItemOutcome::Delivered | ItemOutcome::Parked => {
                    done += 1;
                    attempted.push(next);
                }
                ItemOutcome::Retry(retry_after) => {
                    self.store.count_attempt(&next)?;
                    return Ok(self.wait(retry_after));
                }
            }
        }
        self.pull_all(done)
    }

    /// Pull every configured list, each one progress step after the `done` before it; then idle.
    fn pull_all(&self, mut done: u32) -> Result<SyncOutcome> {
        let lists = self.pull_lists();
        let total = done + u32::try_from(lists.len()).unwrap_or(u32::MAX);
        for list in lists {
            self.state.publish(SyncState::Syncing { done, total });
            if let Some(retry_after) = self.pull_list(list)? {
                return Ok(self.wait(retry_after));
            }
            done += 1;
        }
        *self.failures() = 0;
        self.state.publish(SyncState::Idle);
        Ok(SyncOutcome::Idle)
    }

    /// Pull the configured lists now, without sending the outbox (pull-to-refresh).
    pub fn pull_once(&self) -> Result<SyncOutcome> {
        let Ok(_running) = self.running.try_lock() else {
            return Ok(SyncOutcome::AlreadyRunning);
        };
        let outcome = self.pull_all(0);
        self.settle_outcome(outcome)
    }

    /// Pull `list` from its stored cursor, page after page, until the server has no more.
    /// `Some(retry_after)` when the network or server failed on the way (what was applied
    /// stays applied; the next pull resumes from there).
    fn pull_list(&self, list: PullList) -> Result<Option<Option<Duration>>> {
        loop {
            let cursor = self.store.pull_cursor(list)?;
            let query = match list {
                PullList::Worklist => format!("cursor={cursor}"),
                PullList::MyReports => format!("cursor={cursor}&limit={MINE_LIMIT}"),
            };
            let request = HttpRequest {
                method: "GET".into(),
                url: format!("{}{}?{query}", self.server_url.trim_end_matches('/'), list.path()),
                headers: vec![HttpHeader { name: "Accept".into(), value: "application/json".into() }],
                body: Vec::new(),
            };
            let body = match self.call(request)? {
                Answer::Ok(body) => body,
                Answer::Retry(after) => return Ok(Some(after)),
                Answer::Refused(problem) | Answer::Conflict(problem, _) => {
                    return Err(Error::Protocol {
                        endpoint: list.path(),
                        reason: format!("the server answered {}: {}", problem.status, problem.message),
                    });
                }
            };
            let applied = self.store.apply_pulled(list, cursor, &body)?;
            self.pulls.fetch_add(1, Ordering::Relaxed);
            if !applied.more {
                return Ok(None);
            }
        }
    }

    fn failures(&self) -> std::sync::MutexGuard<'_, u32> {
        self.consecutive_failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn wait(&self, retry_after: Option<Duration>) -> SyncOutcome {
        let failures = {
            let mut failures = self.failures();
            *failures = failures.saturating_add(1);
            *failures
        };
        let wait = self.backoff.next_wait(failures, rand::rng().random::<f64>(), retry_after);
        self.state
            .publish(SyncState::WaitingForNetwork { retry_at: SystemTime::now() + wait, retry_in: wait });
        SyncOutcome::RetryIn(wait)
    }

    fn deliver(&self, item_id: &str) -> Result<ItemOutcome> {
        let delivery = self.store.delivery(item_id)?;
        let mut photo_ids = Vec::with_capacity(delivery.photos.len());
        for photo in &delivery.photos {
            if let Some(server_id) = &photo.server_id {
                photo_ids.push(server_id.clone());
                continue;
            }
            let jpeg = match std::fs::read(self.store.photo_path(&photo.id)) {
                Ok(jpeg) => jpeg,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return self.park(item_id, missing_photo());
                }
                Err(e) => return Err(e.into()),
            };
            match self.call(wire::photo_upload(&self.server_url, &photo.upload_key, &jpeg))? {
                Answer::Ok(body) => {
                    let Some(server_id) = wire::created_id(&body) else {
                        return self.park(item_id, unreadable(wire::PHOTOS_PATH));
                    };
                    self.store.record_photo_upload(&photo.id, &server_id)?;
                    photo_ids.push(server_id);
                }
                other => return self.settle(item_id, other),
            }
        }
        let request = match &delivery.payload {
            Payload::Report(fields) => {
                wire::report(&self.server_url, &delivery.idempotency_key, fields, &photo_ids)?
            }
            Payload::CaseAction(action) => {
                wire::case_action(&self.server_url, &delivery.idempotency_key, action, &photo_ids)?
            }
        };
        match self.call(request)? {
            Answer::Ok(body) => {
                self.store.mark_delivered(&delivery.id, &String::from_utf8_lossy(&body))?;
                Ok(ItemOutcome::Delivered)
            }
            other => self.settle(item_id, other),
        }
    }

    /// Record a non-success answer on the item.
    fn settle(&self, item_id: &str, answer: Answer) -> Result<ItemOutcome> {
        match answer {
            Answer::Ok(_) => Ok(ItemOutcome::Delivered),
            Answer::Retry(after) => Ok(ItemOutcome::Retry(after)),
            Answer::Refused(problem) => self.park(item_id, problem),
            Answer::Conflict(problem, state) => {
                self.store.park_conflict(item_id, &problem, state)?;
                Ok(ItemOutcome::Parked)
            }
        }
    }

    fn park(&self, item_id: &str, problem: Problem) -> Result<ItemOutcome> {
        self.store.park_failed(item_id, &problem)?;
        Ok(ItemOutcome::Parked)
    }

    /// Send with the session's token; on 401 refresh once (single flight) and resend.
    fn call(&self, request: HttpRequest) -> Result<Answer> {
        let token = self.session.access_token();
        let response = match self.send(&request, token.as_deref()) {
            Ok(response) => response,
            Err(_) => return Ok(Answer::Retry(None)),
        };
        let response = match (verdict(response.status), token) {
            (Verdict::Reauthenticate, Some(stale)) => {
                let fresh = self.session.refresh(&stale, self.transport.as_ref(), &self.server_url)?;
                match self.send(&request, Some(&fresh)) {
                    Ok(response) => response,
                    Err(_) => return Ok(Answer::Retry(None)),
                }
            }
            _ => response,
        };
        Ok(match verdict(response.status) {
            Verdict::Delivered => Answer::Ok(response.body),
            Verdict::Retry => Answer::Retry(
                response.header("Retry-After").and_then(|v| parse_retry_after(v, SystemTime::now())),
            ),
            Verdict::Reauthenticate => return Err(Error::SignedOut),
            Verdict::Conflict => Answer::Conflict(
                wire::problem(response.status, &response.body),
                wire::conflict_state(&response.body),
            ),
            Verdict::Refused => Answer::Refused(wire::problem(response.status, &response.body)),
        })
    }

    fn send(&self, request: &HttpRequest, token: Option<&str>) -> Result<HttpResponse> {
        let mut request = request.clone();
        if let Some(token) = token {
            request
                .headers
                .push(HttpHeader { name: "Authorization".into(), value: format!("Bearer {token}") });
        }
        Ok(self.transport.send(request)?)
    }
}

fn unreadable(endpoint: &str) -> Problem {
    Problem {
        status: 200,
        code: "unreadable_response".into(),
        field: None,
        message: format!("the server accepted the upload to {endpoint} but its answer had no id"),
        attempts_left: None,
    }
}

fn missing_photo() -> Problem {
    Problem {
        status: 0,
        code: "photo_missing".into(),
        field: Some("photos".into()),
        message: "a photo file of this item is gone from the device".into(),
        attempts_left: None,
    }
}
