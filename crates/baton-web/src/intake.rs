//! Group commit for intake: requests hand their raw inquiry to a writer task
//! that stores and processes whatever has queued up as one batch, so one
//! commit (one fsync) answers many requests.

use baton_db::Db;
use baton_db::intake::{Outcome, RawInquiry, Stored};
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
        tokio::spawn(write_batches(db, receiver));
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

async fn write_batches(db: Db, mut receiver: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (raws, replies): (Vec<RawInquiry>, Vec<_>) =
            batch.drain(..).map(|j| (j.raw, j.reply)).unzip();
        let stored = match db.store_raw(&raws).await {
            Ok(stored) => stored,
            Err(e) => {
                tracing::error!(error = %e, "storing raw inquiries failed");
                for reply in replies {
                    let _ = reply.send(Err(format!("the inquiry could not be stored: {e}")));
                }
                continue;
            }
        };
        let new_ids: Vec<i64> = stored
            .iter()
            .filter_map(|s| match s {
                Stored::New(id) => Some(*id),
                Stored::Repeat(_) => None,
            })
            .collect();
        let outcomes = match db.process_inquiries(&new_ids).await {
            Ok(outcomes) => outcomes,
            Err(e) => {
                tracing::error!(error = %e, "processing failed; the inquiries wait for a retry");
                Vec::new()
            }
        };
        for (stored, reply) in stored.into_iter().zip(replies) {
            let outcome = outcomes
                .iter()
                .find(|o| o.inquiry_id == stored.id())
                .cloned();
            let _ = reply.send(Ok(Accepted { stored, outcome }));
        }
    }
}
