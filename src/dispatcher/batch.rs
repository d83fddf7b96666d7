//! The claims and records of one instance's workers, shared so that the database sees one
//! statement per batch rather than one per message. Each worker still holds one message at a
//! time: claimed messages never outnumber the workers waiting for one, so a stopped or killed
//! instance strands no more claims than before.
//!
//! - [`Claims`]: one worker at a time claims, for as many workers as are waiting for a message
//!   (itself included), and checks their recipients against the suppression list in one query;
//!   it keeps the others' messages for them, and each takes one as it gets its turn.
//! - [`Records`]: a worker with a result queues it; one worker at a time writes everything
//!   queued (`Store::record_sends`: one transaction, every `Sent` in one statement) and hands
//!   each its own result. Alone, a worker writes its own at once, as before.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use tokio::sync::oneshot;

use super::Context;
use crate::privacy::BlindIndex;
use crate::store::{ClaimedMessage, SendRecord, StoreError};

/// A claimed message, and whether its recipient is suppressed when that was checked with its
/// batch (`None`: not checked, the worker checks before sending).
pub(super) struct Claimed {
    pub(super) message: ClaimedMessage,
    pub(super) suppressed: Option<bool>,
}

/// Claims shared by an instance's workers.
#[derive(Default)]
pub(super) struct Claims {
    /// Workers in [`Claims::next`] (each wants one message).
    waiting: AtomicU32,
    /// Messages claimed for workers still waiting their turn, replies first.
    stash: tokio::sync::Mutex<VecDeque<Claimed>>,
}

/// Counts a worker as waiting while it is in [`Claims::next`].
struct Waiting<'a>(&'a AtomicU32);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Claims {
    /// The next message for this worker: one claimed for it by a worker ahead of it, else a
    /// batch it claims itself for every worker waiting. `None` when nothing is due.
    pub(super) async fn next(
        &self,
        ctx: &Context,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        bulk_open: bool,
    ) -> Result<Option<Claimed>, StoreError> {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let _waiting = Waiting(&self.waiting);
        let mut stash = self.stash.lock().await;
        if let Some(claimed) = stash.pop_front() {
            return Ok(Some(claimed));
        }
        let want = self.waiting.load(Ordering::Relaxed).max(1);
        let mut messages = ctx
            .store
            .claim_due(owner, now, lease_until, i64::from(want), bulk_open)
            .await?;
        messages.sort_by_key(|message| (message.kind.priority(), message.id));
        let verdicts = suppressions(ctx, &messages).await;
        let mut claimed = messages
            .into_iter()
            .zip(verdicts)
            .map(|(message, suppressed)| Claimed {
                message,
                suppressed,
            });
        let first = claimed.next();
        stash.extend(claimed);
        Ok(first)
    }
}

/// Whether each message's recipient is suppressed, in one query for the batch; `None` for a
/// message that needs no check, whose recipient cannot be opened, or when the query failed (its
/// worker then asks on its own). Not checked at all while former keys are held: a recipient is
/// re-keyed on contact first, and its worker checks after that.
async fn suppressions(ctx: &Context, messages: &[ClaimedMessage]) -> Vec<Option<bool>> {
    let mut verdicts = vec![None; messages.len()];
    if ctx.vault.has_former_keys() {
        return verdicts;
    }
    let indexes: Vec<(usize, BlindIndex)> = messages
        .iter()
        .enumerate()
        .filter(|(_, message)| message.kind.checks_suppression())
        .filter_map(|(at, message)| {
            let phone = super::open_recipient(&ctx.vault, message).ok()?;
            Some((at, ctx.vault.blind_index(&phone)))
        })
        .collect();
    let listed: Vec<&BlindIndex> = indexes.iter().map(|(_, index)| index).collect();
    match ctx.store.suppressed_among(&listed).await {
        Ok(found) => {
            for ((at, _), suppressed) in indexes.iter().zip(found) {
                verdicts[*at] = Some(suppressed);
            }
        }
        Err(err) => crate::store::log_failure("checking a batch against suppressions", &err.into()),
    }
    verdicts
}

/// How a send ended, owned, to wait in the queue of [`Records`].
enum Recorded {
    Sent {
        provider_id: String,
    },
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    Failed {
        error: String,
        suppress: Option<BlindIndex>,
    },
    Unanswered {
        error: String,
    },
    Suppressed,
    Expired,
}

impl Recorded {
    fn of(record: &SendRecord<'_>) -> Self {
        match *record {
            SendRecord::Sent { provider_id } => Recorded::Sent {
                provider_id: provider_id.to_string(),
            },
            SendRecord::Retry { at, error } => Recorded::Retry {
                at,
                error: error.to_string(),
            },
            SendRecord::Failed { error, suppress } => Recorded::Failed {
                error: error.to_string(),
                suppress: suppress.cloned(),
            },
            SendRecord::Unanswered { error } => Recorded::Unanswered {
                error: error.to_string(),
            },
            SendRecord::Suppressed => Recorded::Suppressed,
            SendRecord::Expired => Recorded::Expired,
        }
    }

    fn as_record(&self) -> SendRecord<'_> {
        match self {
            Recorded::Sent { provider_id } => SendRecord::Sent { provider_id },
            Recorded::Retry { at, error } => SendRecord::Retry { at: *at, error },
            Recorded::Failed { error, suppress } => SendRecord::Failed {
                error,
                suppress: suppress.as_ref(),
            },
            Recorded::Unanswered { error } => SendRecord::Unanswered { error },
            Recorded::Suppressed => SendRecord::Suppressed,
            Recorded::Expired => SendRecord::Expired,
        }
    }
}

/// A result waiting to be written, and where its worker waits for the outcome.
struct Pending {
    id: i64,
    record: Recorded,
    done: oneshot::Sender<Result<bool, StoreError>>,
}

/// Records shared by an instance's workers.
#[derive(Default)]
pub(super) struct Records {
    queue: Mutex<Vec<Pending>>,
    /// Held by the worker writing the queue.
    writer: tokio::sync::Mutex<()>,
}

impl Records {
    /// Records how message `id`'s send ended, with whatever else is queued by then; as
    /// `Store::record_send`: false when the claim is no longer `owner`'s.
    pub(super) async fn record(
        &self,
        ctx: &Context,
        owner: &str,
        id: i64,
        record: &SendRecord<'_>,
    ) -> Result<bool, StoreError> {
        let (done, mut outcome) = oneshot::channel();
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Pending {
                id,
                record: Recorded::of(record),
                done,
            });
        let writing = self.writer.lock().await;
        // A writer ahead of this one may have written it already.
        if let Ok(outcome) = outcome.try_recv() {
            return outcome;
        }
        let batch = std::mem::take(&mut *self.queue.lock().unwrap_or_else(PoisonError::into_inner));
        let records: Vec<(i64, SendRecord<'_>)> = batch
            .iter()
            .map(|pending| (pending.id, pending.record.as_record()))
            .collect();
        let results = ctx
            .store
            .record_sends(owner, &records, ctx.clock.now())
            .await;
        drop(records);
        for (pending, result) in batch.into_iter().zip(results) {
            // A worker that stopped waiting has nothing to be told.
            let _ = pending.done.send(result);
        }
        drop(writing);
        outcome.await.unwrap_or_else(|_| {
            Err(StoreError::Other(anyhow::anyhow!(
                "the batch that held this send's record was cut short"
            )))
        })
    }
}
