//! Turns: copies of one webhook that arrive at the same moment are handled one after the other.
//!
//! Aggregators retry, sometimes many times at once. The first copy of an SMS or a USSD hop acts
//! and records what it did (a receipt, the session's last reply); a copy that waits its turn
//! then finds that record and answers the same, instead of racing the first to act twice, and
//! before any abuse limit counts it. Turns are per instance; across instances the store's unique
//! keys still keep each effect to one.
//!
//! Keys share a fixed set of locks by hash, so nothing grows with traffic and nothing needs
//! cleaning up; two unrelated keys that share a lock only wait for each other briefly.

use std::hash::{BuildHasher, Hash, RandomState};

use tokio::sync::{Mutex, MutexGuard};

/// Locks in the set: with a few dozen webhooks in flight, two share one rarely.
const LOCKS: usize = 1024;

pub struct Turns {
    locks: Box<[Mutex<()>]>,
    hasher: RandomState,
}

/// Held while a copy is handled; the next copy of the same key goes when it drops.
pub type Turn<'a> = MutexGuard<'a, ()>;

impl Default for Turns {
    fn default() -> Self {
        Self {
            locks: (0..LOCKS).map(|_| Mutex::new(())).collect(),
            hasher: RandomState::new(),
        }
    }
}

impl Turns {
    /// Waits until no other copy of `key` is being handled, and holds the turn.
    pub async fn take(&self, key: impl Hash) -> Turn<'_> {
        let slot = self.hasher.hash_one(key) as usize % self.locks.len();
        self.locks[slot].lock().await
    }

    /// As [`Turns::take`] when there is a key; a webhook without one (an SMS the aggregator gave
    /// no id) cannot be told from its copies, and waits for nothing.
    pub async fn take_if(&self, key: Option<impl Hash>) -> Option<Turn<'_>> {
        match key {
            Some(key) => Some(self.take(key).await),
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn copies_of_one_key_never_run_at_once_and_other_keys_do_not_wait_for_them() {
        let turns = Arc::new(Turns::default());
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let copies: Vec<_> = (0..50)
            .map(|_| {
                let (turns, inside, most) = (turns.clone(), inside.clone(), most.clone());
                tokio::spawn(async move {
                    let _turn = turns.take(("sms", "ATXid_1")).await;
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::task::yield_now().await;
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for copy in copies {
            copy.await.unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 1);

        // While one key's turn is held, a key on another lock is served at once.
        let held = turns.take(("sms", "ATXid_1")).await;
        let other = (0..)
            .map(|n| format!("ATXid_other_{n}"))
            .find(|id| {
                let slot = |key: (&str, &str)| turns.hasher.hash_one(key) as usize % LOCKS;
                slot(("sms", id)) != slot(("sms", "ATXid_1"))
            })
            .unwrap();
        let served = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            turns.take(("sms", other.as_str())),
        )
        .await;
        assert!(served.is_ok());
        drop(held);
    }
}
