//! The dispatcher: a loop around one step, [`Dispatcher::try_dispatch_one`], which claims the
//! next due message with a lease, waits on the channel's rate limiter, sends outside any
//! transaction, and records what the aggregator said. Tests call the step until it is idle.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use governor::{DefaultDirectRateLimiter, RateLimiter};
use rand::Rng as _;
use tokio_util::sync::CancellationToken;

use crate::app::AppState;
use crate::providers::{self, Channel, OutboundSms, SendResult};
use crate::store::{ClaimedMessage, SendRecord, StoreError};

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The aggregator took the message.
    Sent,
    /// A transient failure: the message waits for its next attempt.
    Retrying,
    /// A permanent failure, or too many transient ones.
    Failed,
    /// The request got no answer: perhaps sent. Never sent again; delivery reports settle it.
    Unknown,
    /// The number opted out or was erased after the message was queued.
    Suppressed,
    /// The message waited too long.
    Expired,
    /// Nothing is due.
    Idle,
}

/// How long the loop sleeps when nothing is due, unless woken by a new message.
const IDLE_POLL: Duration = Duration::from_secs(1);
/// How long the loop waits after a store error before trying again.
const ERROR_PAUSE: Duration = Duration::from_secs(5);

/// Sends what the outbox holds. Cheap to clone: workers of one instance share the per-channel
/// rate limiters, so together they keep to each channel's `tps`.
#[derive(Clone)]
pub struct Dispatcher {
    state: Arc<AppState>,
    owner: String,
    client: reqwest::Client,
    limiters: Arc<HashMap<String, DefaultDirectRateLimiter>>,
}

/// The delay before retry number `attempt` (1-based): `base · 2^(attempt-1)`, at most `max`,
/// with "equal jitter" (between half and all of it) so that failed sends do not retry in step.
pub fn backoff(attempt: u32, base: Duration, max: Duration) -> Duration {
    let exponent = attempt.saturating_sub(1).min(20);
    let full = base.saturating_mul(1 << exponent).min(max);
    let half = full / 2;
    half + full.mul_f64(rand::thread_rng().gen_range(0.0..=0.5))
}

/// Whether broadcast messages may leave now: inside `campaign.send_window`, local time.
fn bulk_window_open(state: &AppState, now: DateTime<Utc>) -> bool {
    let rules = state.settings.campaign.send_rules();
    rules.window.next_open(now, rules.zone) == now
}

impl Dispatcher {
    pub fn new(state: Arc<AppState>) -> Self {
        let limiters = state
            .settings
            .channels
            .iter()
            .map(|(name, channel)| {
                let quota = channel.quota(state.settings.outbound.instances);
                (name.clone(), RateLimiter::direct(quota))
            })
            .collect();
        let timeout = Duration::from_secs(state.settings.outbound.send_timeout_secs.max(1));
        Self {
            owner: format!("{:016x}", rand::thread_rng().gen::<u64>()),
            client: providers::http_client(timeout),
            limiters: Arc::new(limiters),
            state,
        }
    }

    /// Claims, sends and records at most one message.
    pub async fn try_dispatch_one(&self) -> anyhow::Result<Outcome> {
        let state = &self.state;
        let outbound = &state.settings.outbound;
        let now = state.clock.now();
        let lease_until = now + chrono::Duration::seconds(outbound.lease_secs as i64);
        let Some(message) = state
            .store
            .claim_due(
                &self.owner,
                now,
                lease_until,
                1,
                bulk_window_open(state, now),
            )
            .await
            .context("claiming a message")?
            .pop()
        else {
            // Nothing to send: a good moment to settle claims whose sender went silent (they are
            // never claimed again either way; this only makes their state visible).
            super::settle_stale_claims(state, now).await?;
            return Ok(Outcome::Idle);
        };
        let outcome = self.dispatch(&message, now).await?;
        metrics::counter!(
            "outbox_dispatched_total",
            "channel" => message.channel.clone(),
            "outcome" => format!("{outcome:?}").to_lowercase()
        )
        .increment(1);
        Ok(outcome)
    }

    async fn dispatch(
        &self,
        message: &ClaimedMessage,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Outcome> {
        let state = &self.state;
        if message.expires_at.is_some_and(|at| at <= now) {
            return self
                .record(message, &SendRecord::Expired, Outcome::Expired)
                .await;
        }
        let phone = match (&message.ciphertext, &message.key_id) {
            (Some(ciphertext), Some(key_id)) => state.vault.open(ciphertext, key_id),
            _ => Err(crate::privacy::OpenError::Corrupt),
        };
        let phone = match phone {
            Ok(phone) => phone,
            Err(err) => {
                let error = format!("cannot open the recipient: {err}");
                let record = SendRecord::Failed {
                    error: &error,
                    suppress: None,
                };
                return self.record(message, &record, Outcome::Failed).await;
            }
        };
        let index = state.vault.blind_index(&phone);
        // A STOP between enqueue and send wins.
        if message.kind.checks_suppression() && state.store.is_suppressed(&index).await? {
            return self
                .record(message, &SendRecord::Suppressed, Outcome::Suppressed)
                .await;
        }
        let Some(settings) = state.settings.channels.get(&message.channel) else {
            let error = format!("no channel named {:?} is configured", message.channel);
            let record = SendRecord::Failed {
                error: &error,
                suppress: None,
            };
            return self.record(message, &record, Outcome::Failed).await;
        };
        if let Some(limiter) = self.limiters.get(&message.channel) {
            limiter.until_ready().await;
        }
        let channel = Channel {
            name: &message.channel,
            settings,
            public_url: &state.settings.server.public_url,
        };
        let sms = OutboundSms {
            id: message.id,
            to: &phone,
            text: &message.body,
            encoding: message.encoding,
            parts: message.parts,
            dlt_template_id: message.dlt_template_id.as_deref(),
        };
        let result = providers::send(&self.client, &channel, &state.console, &sms).await;
        let outbound = &state.settings.outbound;
        match result {
            SendResult::Accepted { provider_id } => {
                let record = SendRecord::Sent {
                    provider_id: &provider_id,
                };
                self.record(message, &record, Outcome::Sent).await
            }
            SendResult::Transient { reason } if message.attempts < outbound.max_attempts => {
                let delay = backoff(
                    message.attempts,
                    Duration::from_secs(outbound.backoff_base_secs),
                    Duration::from_secs(outbound.backoff_max_secs),
                );
                tracing::info!(
                    channel = %message.channel,
                    message = message.id,
                    attempt = message.attempts,
                    retry_in_secs = delay.as_secs(),
                    reason,
                    "send failed for now; will retry"
                );
                let at = state.clock.now() + chrono::Duration::from_std(delay)?;
                let record = SendRecord::Retry { at, error: &reason };
                self.record(message, &record, Outcome::Retrying).await
            }
            SendResult::Transient { reason } => {
                let error = format!("gave up after {} attempts: {reason}", message.attempts);
                tracing::warn!(channel = %message.channel, message = message.id, error, "send failed");
                let record = SendRecord::Failed {
                    error: &error,
                    suppress: None,
                };
                self.record(message, &record, Outcome::Failed).await
            }
            SendResult::Unanswered { reason } => {
                tracing::warn!(
                    channel = %message.channel,
                    message = message.id,
                    reason,
                    "the aggregator did not answer; the message may have been taken, so it is \
                     not sent again (a delivery report will settle it)"
                );
                let record = SendRecord::Unanswered { error: &reason };
                self.record(message, &record, Outcome::Unknown).await
            }
            SendResult::Permanent { reason, suppress } => {
                tracing::warn!(
                    channel = %message.channel,
                    message = message.id,
                    to = %index.log_tag(),
                    suppress,
                    reason,
                    "send refused"
                );
                let record = SendRecord::Failed {
                    error: &reason,
                    suppress: suppress.then_some(&index),
                };
                self.record(message, &record, Outcome::Failed).await
            }
        }
    }

    async fn record(
        &self,
        message: &ClaimedMessage,
        record: &SendRecord<'_>,
        outcome: Outcome,
    ) -> anyhow::Result<Outcome> {
        let now = self.state.clock.now();
        let store = &self.state.store;
        let recorded = match store
            .record_send(message.id, &self.owner, record, now)
            .await
        {
            // The aggregator gave an id it already gave another message: keep both, apart.
            Err(StoreError::Duplicate) => {
                let SendRecord::Sent { provider_id } = record else {
                    return Err(StoreError::Duplicate).context("recording a send");
                };
                tracing::warn!(
                    channel = %message.channel,
                    provider_id,
                    "the aggregator reused a message id; recorded with this message's id appended"
                );
                let provider_id = format!("{provider_id}#{}", message.id);
                let record = SendRecord::Sent {
                    provider_id: &provider_id,
                };
                store
                    .record_send(message.id, &self.owner, &record, now)
                    .await
            }
            other => other,
        }
        .context("recording a send")?;
        if !recorded {
            tracing::warn!(
                message = message.id,
                "the claim on a message lapsed before its send was recorded"
            );
        }
        Ok(outcome)
    }

    /// Steps until nothing is due; returns what each step did (for tests and `mitan simulate`).
    pub async fn run_until_idle(&self) -> anyhow::Result<Vec<Outcome>> {
        let mut outcomes = Vec::new();
        loop {
            match self.try_dispatch_one().await? {
                Outcome::Idle => return Ok(outcomes),
                outcome => outcomes.push(outcome),
            }
        }
    }

    /// The worker: steps while there is work, sleeps (or waits to be woken) when idle, and stops
    /// between steps once `shutdown` is cancelled, so a send in flight is finished and recorded.
    pub async fn run_until(self, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            let pause = match self.try_dispatch_one().await {
                Ok(Outcome::Idle) => IDLE_POLL,
                Ok(_) => continue,
                Err(err) => {
                    crate::store::log_failure("dispatching", &err);
                    ERROR_PAUSE
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = self.state.outbox_wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_its_cap() {
        let base = Duration::from_secs(5);
        let max = Duration::from_secs(900);
        for attempt in 1..=12 {
            let full = (base * (1 << (attempt - 1))).min(max);
            let delay = backoff(attempt, base, max);
            assert!(delay >= full / 2 && delay <= full, "{attempt}: {delay:?}");
        }
        assert!(backoff(40, base, max) <= max);
    }
}
