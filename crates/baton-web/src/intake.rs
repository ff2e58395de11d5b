//! Group commit for intake: requests hand their raw inquiry to a writer task
//! that stores and processes whatever has queued up as one batch, so one
//! commit (one fsync) answers many requests.

use baton_db::Db;
use baton_db::intake::{Outcome, RawInquiry, Stored};
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

struct Job {
    raw: RawInquiry,
    reply: oneshot::Sender<Result<Accepted, String>>,
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

    /// Stores and processes one inquiry; returns once it is on disk.
    pub async fn submit(&self, raw: RawInquiry) -> Result<Accepted, String> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { raw, reply })
            .await
            .map_err(|_| "intake is shutting down".to_string())?;
        answer
            .await
            .map_err(|_| "intake stopped before answering".to_string())?
    }
}

/// Takes whatever has queued up as one batch: stores it, decides it from
/// what is stored, writes the decisions with one commit and answers its
/// requests. Each batch is decided after the one before it is committed, so
/// a repeat or a new contact in one batch is seen by the next; requests
/// arriving meanwhile queue up and make the next batch larger.
async fn take_batches(db: Db, mut receiver: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (raws, replies): (Vec<RawInquiry>, Vec<_>) =
            batch.drain(..).map(|j| (j.raw, j.reply)).unzip();
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
            Err(e) => {
                tracing::error!(error = %e, "storing raw inquiries failed");
                for reply in replies {
                    let _ = reply.send(Err(format!("the inquiry could not be stored: {e}")));
                }
            }
        }
    }
}
