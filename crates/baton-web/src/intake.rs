//! Group commit for intake: requests hand their raw inquiry to a writer task
//! that stores whatever has queued up as one batch, so one commit (one
//! fsync) answers many requests.
//!
//! A request either waits for its inquiry to be processed too (stored and
//! decided in that same commit), or is acknowledged once its inquiry is
//! stored. Acknowledged inquiries are decided after their commit and
//! written in the next one, beside the next batch's raw inquiries; that
//! batch is taken only once the decisions are written, so it holds every
//! request that arrived meanwhile, and one commit serves many more.

use baton_db::Db;
use baton_db::intake::{Outcome, RawInquiry, Received, Stored};
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

/// Most inquiries taken into one batch.
const MAX_BATCH: usize = 256;

/// What intake did with one inquiry: stored (or recognised as a repeat), and
/// the outcome of processing when it ran.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub stored: Stored,
    /// `None` when processing failed as a whole; the inquiry waits and the
    /// background job retries it.
    pub outcome: Option<Outcome>,
}

/// Where a request waits for its answer.
type Reply = oneshot::Sender<Result<Accepted, String>>;

struct Job {
    raw: RawInquiry,
    /// Answer once processed, not once stored.
    wait: bool,
    reply: Reply,
}

/// Handle to the intake writer.
#[derive(Clone)]
pub struct Intake {
    jobs: mpsc::Sender<Job>,
}

impl Intake {
    /// Starts the writer task.
    pub fn start(db: Db) -> Intake {
        let (jobs, receiver) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(take_batches(db, receiver));
        Intake { jobs }
    }

    /// Stores and processes one inquiry; returns once both are on disk.
    pub async fn submit(&self, raw: RawInquiry) -> Result<Accepted, String> {
        self.send(raw, true).await
    }

    /// Stores one inquiry and returns once it is on disk; processing
    /// follows, and the outcome is `None`.
    pub async fn acknowledge(&self, raw: RawInquiry) -> Result<Accepted, String> {
        self.send(raw, false).await
    }

    async fn send(&self, raw: RawInquiry, wait: bool) -> Result<Accepted, String> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { raw, wait, reply })
            .await
            .map_err(|_| "intake is shutting down".to_string())?;
        answer
            .await
            .map_err(|_| "intake stopped before answering".to_string())?
    }
}

/// The writer: each turn decides the inquiries acknowledged in the turn
/// before, writes those decisions, then takes whatever has queued up as one
/// batch. Its acknowledged requests are stored in the same commit and
/// answered; its waiting requests are then stored and decided with a commit
/// of their own ([`store_and_process`]).
///
/// Each batch is decided after the one before it is committed, so a repeat
/// or a new contact in one batch is seen by the next.
async fn take_batches(db: Db, mut receiver: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut backlog: Vec<Received> = Vec::new();
    loop {
        if backlog.is_empty() && receiver.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        let decisions = if backlog.is_empty() {
            None
        } else {
            db.decide_received(std::mem::take(&mut backlog))
                .await
                .inspect_err(|e| {
                    tracing::error!(error = %e, "deciding failed; the inquiries wait for a retry")
                })
                .ok()
        };
        let round = match decisions {
            Some(decisions) => Some(db.open_round(Some(decisions)).await),
            None => None,
        };
        // Late, so that the batch holds every request that came meanwhile.
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let (waiting, acknowledged): (Vec<Job>, Vec<Job>) = batch.drain(..).partition(|j| j.wait);
        let round = match round {
            None if !acknowledged.is_empty() => Some(db.open_round(None).await),
            round => round,
        };
        if let Some(round) = round {
            backlog = store_in_round(&db, round, acknowledged).await;
        }
        if !waiting.is_empty() {
            store_and_process(&db, waiting).await;
        }
    }
}

/// Stores a batch in the round, commits it and answers the batch's
/// requests; returns the new inquiries, to be decided next. An inquiry the
/// writer never decides (the server stopped) stays `received`, and the
/// retry job processes it.
async fn store_in_round(
    db: &Db,
    round: baton_db::Result<baton_db::intake::Round>,
    jobs: Vec<Job>,
) -> Vec<Received> {
    let (raws, replies): (Vec<RawInquiry>, Vec<_>) =
        jobs.into_iter().map(|j| (j.raw, j.reply)).unzip();
    let stored = async {
        let mut round = round?;
        let stored = if raws.is_empty() {
            (Vec::new(), 0)
        } else {
            round.store(db, &raws).await?
        };
        round.commit().await?;
        Ok::<_, baton_db::DbError>(stored)
    };
    match stored.await {
        Ok((stored, received_at)) => {
            let mut new = Vec::with_capacity(raws.len());
            for ((stored, reply), inquiry) in stored.into_iter().zip(replies).zip(raws) {
                let _ = reply.send(Ok(Accepted {
                    stored,
                    outcome: None,
                }));
                if let Stored::New(id) = stored {
                    new.push(Received {
                        id,
                        received_at,
                        inquiry,
                    });
                }
            }
            new
        }
        Err(e) => {
            refuse(replies, &e);
            Vec::new()
        }
    }
}

/// Stores and decides a batch with one commit, then answers its requests.
async fn store_and_process(db: &Db, jobs: Vec<Job>) {
    let (raws, replies): (Vec<RawInquiry>, Vec<_>) =
        jobs.into_iter().map(|j| (j.raw, j.reply)).unzip();
    match db.take(&raws).await {
        Ok((stored, outcomes)) => {
            let mut outcomes: HashMap<i64, Outcome> =
                outcomes.into_iter().map(|o| (o.inquiry_id, o)).collect();
            for (stored, reply) in stored.into_iter().zip(replies) {
                let outcome = match stored {
                    Stored::New(id) => outcomes.remove(&id),
                    Stored::Repeat(_) => None,
                };
                let _ = reply.send(Ok(Accepted { stored, outcome }));
            }
        }
        Err(e) => refuse(replies, &e),
    }
}

/// Answers every request of a batch that could not be stored.
fn refuse(replies: Vec<Reply>, error: &baton_db::DbError) {
    tracing::error!(error = %error, "storing raw inquiries failed");
    for reply in replies {
        let _ = reply.send(Err(format!("the inquiry could not be stored: {error}")));
    }
}
