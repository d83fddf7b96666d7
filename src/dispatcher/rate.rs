//! How the dispatcher keeps to each channel's rate (`tps`, `burst`). Every instance paces its
//! own workers with governor at the channel's whole rate. On PostgreSQL, where several instances
//! may send, each send also takes a token from the channel's bucket in the database
//! (`Store::take_tokens`), which every instance shares: together they keep to the rate, and
//! when one stops the others get its share at once, whatever their number. The shared bucket
//! holds a little less than the channel's burst (see [`shared_rate`]), so that a message whose
//! token came just before a one-second window does not arrive inside it beside a full burst.
//! SQLite serves one instance, so governor alone is the limit there.
//!
//! Within an instance one worker at a time asks the database for a channel, for as many tokens
//! as workers are waiting with a message in hand; it keeps the ones it does not use for the
//! workers queued behind it, so an instance asks about once per batch rather than once per
//! message, and workers never race each other to the row.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use governor::{DefaultDirectRateLimiter, RateLimiter};

use crate::clock::Clock;
use crate::config::Settings;
use crate::store::{SharedRate, Store, StoreError};

/// Tokens the database gave this instance and a worker has not used yet, and when they were
/// given: ones older than [`STASH_KEEPS`] are dropped, never sent late in a burst.
struct Stash {
    tokens: u32,
    at: DateTime<Utc>,
}

/// How long a token taken for a waiting worker stays good.
const STASH_KEEPS: chrono::Duration = chrono::Duration::milliseconds(100);

/// One channel's share of the database's bucket, in this instance.
struct SharedChannel {
    rate: SharedRate,
    /// Workers waiting for a token of this channel (each holds a claimed message).
    waiting: AtomicU32,
    stash: tokio::sync::Mutex<Stash>,
}

/// The buckets in the database, and the clock their time is read from (the system's: pacing
/// is real time even where a test drives the campaign's clock by hand).
struct Shared {
    store: Store,
    clock: Arc<dyn Clock>,
    channels: HashMap<String, SharedChannel>,
}

/// The rate limits of one instance's workers; shared by them all.
pub(super) struct Pacing {
    local: HashMap<String, DefaultDirectRateLimiter>,
    shared: Option<Shared>,
}

/// Counts a worker as waiting while it is in [`Shared::take`].
struct Waiting<'a>(&'a AtomicU32);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Pacing {
    /// Governor per channel; on a database several instances share (PostgreSQL), also its
    /// buckets there, their time read from `clock`.
    pub(super) fn new(settings: &Settings, store: &Store, clock: Arc<dyn Clock>) -> Self {
        let local = settings
            .channels
            .iter()
            .map(|(name, channel)| (name.clone(), RateLimiter::direct(channel.quota())))
            .collect();
        let shared = store.shares_rates().then(|| Shared {
            store: store.clone(),
            clock,
            channels: settings
                .channels
                .iter()
                .map(|(name, channel)| {
                    let rate = shared_rate(channel.tps, channel.burst());
                    let stash = Stash {
                        tokens: 0,
                        at: DateTime::<Utc>::MIN_UTC,
                    };
                    let channel = SharedChannel {
                        rate,
                        waiting: AtomicU32::new(0),
                        stash: tokio::sync::Mutex::new(stash),
                    };
                    (name.clone(), channel)
                })
                .collect(),
        });
        Self { local, shared }
    }

    /// Waits until a message may leave through `channel`.
    pub(super) async fn until_ready(&self, channel: &str) -> Result<(), StoreError> {
        if let Some(limiter) = self.local.get(channel) {
            limiter.until_ready().await;
        }
        match &self.shared {
            Some(shared) => shared.take(channel).await,
            None => Ok(()),
        }
    }
}

/// The shared bucket of a channel of `tps` a second after a burst of `burst`: the same rate,
/// with 10 ms of it (at least one message) kept off the burst.
///
/// Tokens are granted within the bucket, but the aggregator counts arrivals: a message whose
/// token was granted just before a one-second window can arrive just inside it (the send takes
/// a few milliseconds, more when a core is busy), beside a burst the bucket refilled meanwhile.
/// The headroom keeps such a window within `tps + burst` at the aggregator.
fn shared_rate(tps: u32, burst: u32) -> SharedRate {
    let per_second = tps.max(1);
    let headroom = per_second.div_ceil(100);
    SharedRate {
        per_second,
        burst: burst.saturating_sub(headroom).max(1),
    }
}

impl Shared {
    /// One token of `name`'s bucket: from the stash, else from the database, waiting as long
    /// as the database says the next one is away.
    async fn take(&self, name: &str) -> Result<(), StoreError> {
        let Some(channel) = self.channels.get(name) else {
            return Ok(());
        };
        channel.waiting.fetch_add(1, Ordering::Relaxed);
        let _waiting = Waiting(&channel.waiting);
        let mut stash = channel.stash.lock().await;
        loop {
            let now = self.clock.now();
            if stash.tokens > 0 && now - stash.at <= STASH_KEEPS {
                stash.tokens -= 1;
                return Ok(());
            }
            let want = channel.waiting.load(Ordering::Relaxed).max(1);
            let taken = self
                .store
                .take_tokens(name, want, channel.rate, now)
                .await?;
            if taken.granted > 0 {
                *stash = Stash {
                    tokens: taken.granted - 1,
                    at: now,
                };
                return Ok(());
            }
            tokio::time::sleep(taken.wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_burst_leaves_ten_milliseconds_of_the_rate_under_the_aggregators() {
        let rate = |tps, burst| {
            let r = shared_rate(tps, burst);
            (r.per_second, r.burst)
        };
        assert_eq!(rate(2000, 200), (2000, 180));
        assert_eq!(rate(5, 10), (5, 9));
        assert_eq!(rate(50, 1), (50, 1), "never below one token");
        assert_eq!(rate(0, 3), (1, 2), "a rate of at least one a second");
    }
}
