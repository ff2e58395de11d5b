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
    /// Starts the two intake stages: one stores raw batches, the other
    /// processes them, so the next batch is being stored while the previous
    /// one is processed.
    pub fn start(db: Db) -> Intake {
        let (jobs, receiver) = mpsc::channel(4 * MAX_BATCH);
        let (stored_tx, stored_rx) = mpsc::channel(4);
        tokio::spawn(store_batches(db.clone(), receiver, stored_tx));
        tokio::spawn(process_batches(db, stored_rx));
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

/// A stored batch on its way to processing.
struct StoredBatch {
    stored: Vec<Stored>,
    raws: Vec<RawInquiry>,
    received_at: i64,
    replies: Vec<oneshot::Sender<Result<Accepted, String>>>,
}

async fn store_batches(db: Db, mut receiver: mpsc::Receiver<Job>, next: mpsc::Sender<StoredBatch>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (raws, replies): (Vec<RawInquiry>, Vec<_>) =
            batch.drain(..).map(|j| (j.raw, j.reply)).unzip();
        match db.store_raw(&raws).await {
            Ok((stored, received_at)) => {
                let batch = StoredBatch {
                    stored,
                    raws,
                    received_at,
                    replies,
                };
                if next.send(batch).await.is_err() {
                    return;
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

/// Processes every stored batch waiting, merged into one, so processing
/// keeps up however small the stored batches are.
async fn process_batches(db: Db, mut batches: mpsc::Receiver<StoredBatch>) {
    let mut waiting = Vec::new();
    while batches.recv_many(&mut waiting, 16).await > 0 {
        let mut stored = Vec::new();
        let mut raws = Vec::new();
        let mut received = Vec::new();
        let mut replies = Vec::new();
        for batch in waiting.drain(..) {
            received.extend(std::iter::repeat_n(batch.received_at, batch.stored.len()));
            stored.extend(batch.stored);
            raws.extend(batch.raws);
            replies.extend(batch.replies);
        }
        let outcomes = db.process_stored(&stored, raws, &received).await;
        for (stored, reply) in stored.into_iter().zip(replies) {
            let outcome = outcomes
                .iter()
                .find(|o| o.inquiry_id == stored.id())
                .cloned();
            let _ = reply.send(Ok(Accepted { stored, outcome }));
        }
    }
}
