//! Group commit for alarm intake: one writer thread per node applies the batches that are
//! waiting at that moment in one transaction ([`engine::apply_batches`]), so that under load
//! they share one commit, one turn of the alarm lock and one read of the rules, instead of
//! taking each once per batch. On SQLite it also ends the queue of pooled connections at the
//! write lock, each sleeping in the busy handler's steps while another writes. With one batch
//! waiting, the round is that batch alone.
//!
//! Nothing about acknowledgement or idempotency changes:
//! - each batch is answered only after the commit that holds it;
//! - batches are applied in the order they arrived, each as if it were alone: a later one sees
//!   what an earlier one did, and a message id an earlier one stored is a replay;
//! - a refused batch (an unknown device, a reused id) changes nothing and the others go on;
//! - when the shared transaction fails for any other reason (a lost connection, a conflict with
//!   another node), every batch in it is applied again on its own and gets its own answer.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::engine::{self, Applied, Batch, Checked, Refusal};
use crate::store::{Backend, Db, StoreError, StoreResult};

/// Most alarms one transaction takes: enough to amortise a commit over many batches, few
/// enough that the first batch of a round does not wait long for the last.
const MAX_ALARMS_PER_COMMIT: usize = 2_000;

/// How long a round waits for the batches of the senders the last round answered. Senders
/// answered together send again together, but their batches reach the writer spread over a
/// millisecond or two (each is parsed and hashed first). Without the wait, four senders settle
/// into two pairs a round apart, and each round pays a commit and a dozen round trips to
/// PostgreSQL for half the batches it could hold. On PostgreSQL only: a SQLite round costs a
/// commit in the process, and there the wait left the rate at saturation as it was (25,485 and
/// 25,926 alarms/s, against 25,901 and 26,170) while it raised a batch's p99 at 10,000 alarms/s
/// (38.8 and 102.8 ms, against 18.7 and 21.1; `scripts/bench-sensors`).
const GATHER_WAIT: Duration = Duration::from_millis(3);

type Answer = StoreResult<Result<Applied, Refusal>>;

/// One batch on its way to the database, with where its answer goes.
struct Job {
    system: String,
    messages: Vec<Checked>,
    /// The server's clock when the request came in (Unix seconds).
    now: i64,
    /// When it was handed to the writer.
    queued_at: Instant,
    reply: oneshot::Sender<Answer>,
}

/// The handle requests use; the thread behind it ends when the last handle is dropped.
#[derive(Debug)]
pub struct AlarmWriter {
    queue: mpsc::Sender<Job>,
}

impl AlarmWriter {
    /// Starts the writer thread on `db`'s pool.
    pub fn start(db: Db) -> StoreResult<Self> {
        let (queue, jobs) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("alarm-writer".to_owned())
            .spawn(move || run(&db, &jobs))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the alarm writer: {e}")))?;
        Ok(Self { queue })
    }

    /// Applies one system's checked batch at `now` and answers once it is committed: what it
    /// did, or why it was refused.
    pub async fn apply(&self, system: String, messages: Vec<Checked>, now: i64) -> Answer {
        let (reply, answer) = oneshot::channel();
        let gone = || StoreError::Unavailable("the alarm writer has stopped".to_owned());
        self.queue
            .send(Job { system, messages, now, queued_at: Instant::now(), reply })
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

fn run(db: &Db, jobs: &mpsc::Receiver<Job>) {
    // The senders the last round answered, and when: each is expected back with its next batch.
    let (mut answered, mut answered_at) = (0, Instant::now());
    let gather = if *db.backend() == Backend::Postgres { GATHER_WAIT } else { Duration::ZERO };
    while let Ok(first) = jobs.recv() {
        let gather_until = Instant::now() + gather;
        // A batch sent before the last answers went out is another sender's: the round waits
        // for it and for each sender answered then. A lone sender is expected alone.
        let mut expected = answered + usize::from(first.queued_at < answered_at);
        let mut alarms = first.messages.len();
        let mut round = vec![first];
        while alarms < MAX_ALARMS_PER_COMMIT {
            let next = if round.len() < expected {
                jobs.recv_timeout(gather_until.saturating_duration_since(Instant::now())).ok()
            } else {
                jobs.try_recv().ok()
            };
            let Some(job) = next else { break };
            expected += usize::from(job.queued_at < answered_at);
            alarms += job.messages.len();
            round.push(job);
        }
        crate::store::forget_lost_connection();
        // A panic below (a bug, or a driver's) must not end the thread every alarm of this node
        // goes through: the round is answered as unavailable, the next one goes on.
        let answers = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| apply(db, &round)))
            .unwrap_or_else(|_| {
                tracing::error!(batches = round.len(), "alarm writer panicked; the round is answered 503");
                round.iter().map(|_| Err(StoreError::Unavailable("alarm writer failed".to_owned()))).collect()
            });
        (answered, answered_at) = (round.len(), Instant::now());
        for (job, answer) in round.into_iter().zip(answers) {
            // A request that gave up waiting no longer listens; what it sent is stored.
            let _ = job.reply.send(answer);
        }
    }
}

/// One answer per job, in order. The groups the round opened or cleared go with the first
/// batch that was applied, whose request files and marks them; what is not filed then is filed
/// by the sweep.
fn apply(db: &Db, round: &[Job]) -> Vec<Answer> {
    let unavailable = |e: &dyn std::fmt::Display| -> Vec<Answer> {
        round.iter().map(|_| Err(StoreError::Unavailable(e.to_string()))).collect()
    };
    let mut conn = match db.get() {
        Ok(conn) => conn,
        Err(e) => return unavailable(&e),
    };
    let batches: Vec<Batch<'_>> =
        round.iter().map(|job| Batch { system: &job.system, messages: &job.messages }).collect();
    let now = round.iter().map(|job| job.now).max().unwrap_or_default();
    let e = match engine::apply_batches(&mut conn, &batches, now) {
        Ok(applied) => {
            let mut groups = Some(applied.groups);
            return applied
                .outcomes
                .into_iter()
                .map(|outcome| {
                    Ok(outcome.map(|outcomes| Applied { outcomes, ..groups.take().unwrap_or_default() }))
                })
                .collect();
        }
        Err(e) if round.len() == 1 => return vec![Err(e)],
        Err(e) => e,
    };
    tracing::debug!(error = %e, batches = round.len(), "alarm round failed, applying one by one");
    // The connection may be the cause: the batches get another one.
    drop(conn);
    let mut conn = match db.get() {
        Ok(conn) => conn,
        Err(e) => return unavailable(&e),
    };
    round.iter().map(|job| engine::apply_batch(&mut conn, &job.system, &job.messages, job.now)).collect()
}
