//! Group commit for report intake: one writer thread per node stores the reports that are
//! waiting at that moment in one transaction, so that under load they share one commit (one WAL
//! flush on PostgreSQL) and one turn of the lock that numbers events, instead of taking both
//! once per report. With one report waiting, it is stored exactly as before
//! ([`cases::insert_report`]); the batch only forms when reports arrive faster than commits.
//!
//! Nothing about durability or idempotency changes:
//! - every report is answered only after the commit that holds it, so an acknowledged report
//!   is stored, and a report whose batch did not commit is not acknowledged;
//! - the unique key on `cases.idempotency_key` still decides duplicates. A key already stored,
//!   or repeated within the batch, is answered as a replay of the stored case after the commit;
//! - when the batch's transaction fails for any reason (another node inserted one of its keys in
//!   the meantime, a tracking number collided, the connection dropped), every report in it is
//!   stored again on its own through [`cases::insert_report`], which gives each its own answer.

use std::sync::mpsc;

use diesel::r2d2::Pool;
use tokio::sync::oneshot;

use super::cases::{self, CaseRow, InsertOutcome};
use super::events::EventRow;
use super::{Manager, StoreError, StoreResult, events};

/// Most reports one transaction takes. Bounds the statement size (28 binds per case) and the
/// time the first report of a batch waits for the last.
const MAX_BATCH: usize = 64;

/// One report on its way to the database, with where its answer goes.
struct Job {
    case: CaseRow,
    photo_ids: Vec<String>,
    event: EventRow,
    reply: oneshot::Sender<StoreResult<InsertOutcome>>,
}

/// The handle requests use; the thread behind it ends when the last handle is dropped.
#[derive(Debug)]
pub struct IntakeWriter {
    queue: mpsc::Sender<Job>,
}

impl IntakeWriter {
    /// Starts the writer thread on `pool`; `events_written` is rung after each commit that
    /// inserted events (see [`crate::live`]).
    pub fn start(pool: Pool<Manager>, events_written: super::events::Bell) -> StoreResult<Self> {
        let (queue, jobs) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("intake-writer".to_owned())
            .spawn(move || run(&pool, &jobs, &events_written))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the intake writer: {e}")))?;
        Ok(Self { queue })
    }

    /// Stores one report (case, photo links and first event) and answers once it is committed.
    pub async fn insert(
        &self,
        case: CaseRow,
        photo_ids: Vec<String>,
        event: EventRow,
    ) -> StoreResult<InsertOutcome> {
        let (reply, answer) = oneshot::channel();
        let gone = || StoreError::Unavailable("the intake writer has stopped".to_owned());
        self.queue.send(Job { case, photo_ids, event, reply }).map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

fn run(pool: &Pool<Manager>, jobs: &mpsc::Receiver<Job>, events_written: &super::events::Bell) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        events::take_written();
        super::forget_lost_connection();
        // A panic below (a bug, or a driver's) must not end the thread that every report of
        // this node goes through: the batch is answered as unavailable, the next one goes on.
        let outcomes = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| store(pool, &batch)))
            .unwrap_or_else(|_| {
                tracing::error!(size = batch.len(), "intake writer panicked; the batch is answered 503");
                batch
                    .iter()
                    .map(|_| Err(StoreError::Unavailable("intake writer failed".to_owned())))
                    .collect()
            });
        // Rung after the commit, so subscribers find the rows.
        if events::take_written() {
            events_written.wake();
        }
        for (job, outcome) in batch.into_iter().zip(outcomes) {
            // A request that gave up waiting (client gone) no longer listens; its report stays.
            let _ = job.reply.send(outcome);
        }
    }
}

/// One answer per job, in order.
fn store(pool: &Pool<Manager>, batch: &[Job]) -> Vec<StoreResult<InsertOutcome>> {
    let mut conn = match pool.get() {
        Ok(conn) => conn,
        Err(e) => return unavailable(batch, &e),
    };
    if batch.len() > 1 {
        let reports: Vec<_> =
            batch.iter().map(|job| (&job.case, job.photo_ids.as_slice(), &job.event)).collect();
        match cases::insert_reports(&mut conn, &reports) {
            Ok(inserted) => {
                return batch
                    .iter()
                    .zip(inserted)
                    .map(|(job, inserted)| {
                        if inserted {
                            return Ok(InsertOutcome::Created);
                        }
                        match cases::find_by_idempotency_key(&mut conn, &job.case.idempotency_key)? {
                            Some(existing) => Ok(InsertOutcome::Existing(Box::new(existing))),
                            // Not stored after all (cannot happen while cases are never deleted):
                            // store it on its own rather than guess.
                            None => cases::insert_report(&mut conn, &job.case, &job.photo_ids, &job.event),
                        }
                    })
                    .collect();
            }
            Err(e) => {
                tracing::debug!(error = %e, size = batch.len(), "intake batch failed, storing one by one");
                // A connection that failed mid-transaction is not reused: the pool replaces it,
                // and the reports get another one.
                if super::note_if_connection_lost(&e) {
                    drop(conn);
                    conn = match pool.get() {
                        Ok(conn) => conn,
                        Err(e) => return unavailable(batch, &e),
                    };
                }
            }
        }
    }
    batch.iter().map(|job| cases::insert_report(&mut conn, &job.case, &job.photo_ids, &job.event)).collect()
}

/// The same "database unreachable" answer for every report of the batch.
fn unavailable(batch: &[Job], e: &diesel::r2d2::PoolError) -> Vec<StoreResult<InsertOutcome>> {
    let why = e.to_string();
    batch.iter().map(|_| Err(StoreError::Unavailable(why.clone()))).collect()
}
