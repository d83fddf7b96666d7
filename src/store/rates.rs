//! Per-channel token buckets shared by every instance on one database (`rate_buckets`): a send
//! takes its token here, so all instances together keep to a channel's `tps` and `burst`
//! whichever of them run. One statement takes the tokens atomically (the row is locked for that
//! statement alone); on PostgreSQL the table is unlogged, so a take never waits for the
//! write-ahead log. The dispatcher asks only on PostgreSQL: SQLite serves one instance, which
//! keeps to the rate in memory.
//!
//! The bucket holds `tokens` thousandths of a message: full is `burst` messages, a millisecond
//! adds `tps` thousandths. Time is the caller's (epoch ms) and only ever moves the bucket
//! forward, so an instance whose clock lags adds nothing and one whose clock leads adds at most
//! a full bucket.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{on_pool, to_millis, Store, StoreError};

/// A channel's shared limit: at most `burst + per_second` messages in any one second, `burst`
/// of them at once after a quiet spell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharedRate {
    pub per_second: u32,
    pub burst: u32,
}

/// What a take got: `granted` tokens (at most as many as asked), and when none, how long until
/// the next one is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Taken {
    pub granted: u32,
    pub wait: Duration,
}

/// The bucket's level at `$5` (ms), refilled since `refilled_at` and capped at `$4` (burst in
/// thousandths); `$3` is the rate (thousandths per ms). Integer arithmetic only, so both
/// backends compute the same.
const LEVEL: &str = "(CASE WHEN $5 <= refilled_at THEN tokens \
     WHEN tokens + ($5 - refilled_at) * $3 < $4 THEN tokens + ($5 - refilled_at) * $3 \
     ELSE $4 END)";

impl Store {
    /// Whether the dispatcher should take its tokens here: on PostgreSQL, where several
    /// instances may send; SQLite serves one instance, which keeps to the rate in memory.
    pub fn shares_rates(&self) -> bool {
        matches!(self.backend, super::Backend::Postgres(_))
    }

    /// Takes up to `want` tokens from `channel`'s shared bucket at `now`.
    pub async fn take_tokens(
        &self,
        channel: &str,
        want: u32,
        rate: SharedRate,
        now: DateTime<Utc>,
    ) -> Result<Taken, StoreError> {
        let per_ms = i64::from(rate.per_second.max(1));
        let full = i64::from(rate.burst.max(1)) * 1000;
        let want = i64::from(want.max(1));
        let now = to_millis(now);
        // The grant is what the level holds in whole messages, at most `want` ($2).
        let grant = format!("(CASE WHEN {LEVEL} / 1000 < $2 THEN {LEVEL} / 1000 ELSE $2 END)");
        let take = format!(
            "UPDATE rate_buckets SET tokens = {LEVEL} - 1000 * {grant}, granted = {grant}, \
             refilled_at = CASE WHEN $5 > refilled_at THEN $5 ELSE refilled_at END \
             WHERE channel = $1 RETURNING granted, tokens"
        );
        let row: Option<(i64, i64)> = on_pool!(self, pool => {
            let take = || {
                sqlx::query_as(&take)
                    .bind(channel)
                    .bind(want)
                    .bind(per_ms)
                    .bind(full)
                    .bind(now)
                    .fetch_optional(pool)
            };
            match take().await? {
                Some(row) => Some(row),
                None => {
                    // The channel's first send: a full bucket, then the same take.
                    sqlx::query(
                        "INSERT INTO rate_buckets (channel, tokens, refilled_at, granted) \
                         VALUES ($1, $2, $3, 0) ON CONFLICT (channel) DO NOTHING",
                    )
                    .bind(channel)
                    .bind(full)
                    .bind(now)
                    .execute(pool)
                    .await?;
                    take().await?
                }
            }
        });
        let (granted, left) = row.ok_or_else(|| {
            StoreError::Other(anyhow::anyhow!("the rate bucket of {channel:?} vanished"))
        })?;
        let wait = if granted > 0 {
            Duration::ZERO
        } else {
            // Whole milliseconds until the level reaches one message.
            let short = (1000 - left).max(1);
            Duration::from_millis(((short + per_ms - 1) / per_ms) as u64)
        };
        Ok(Taken {
            granted: granted.clamp(0, i64::from(u32::MAX)) as u32,
            wait,
        })
    }
}
