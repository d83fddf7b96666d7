//! The dispatcher sends what the outbox holds: a loop around one step,
//! [`Dispatcher::try_dispatch_one`], a list of steps — claim the next due message with a lease,
//! check it may still go, wait on the channel's rate limiter, send outside any transaction,
//! settle the answer (`outbox::settle`, pure), record it. Tests call the step until it is idle.
//! The workers of one instance claim and record together (`batch`): under load one statement
//! claims, or records, for every worker that is waiting, and each still holds one message.

mod batch;
mod rate;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use governor::{DefaultDirectRateLimiter, RateLimiter};
use rand::Rng as _;
use tokio_util::sync::CancellationToken;

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::enrollment::Language;
use crate::outbox::OutboxStatus;
use crate::outbox::{settle, Outcome, RetryPolicy, Settled};
use crate::privacy::{BlindIndex, Msisdn, Vault};
use crate::providers::console::ConsoleLog;
use crate::providers::{self, Channel, DeliveryReport, OutboundCall, OutboundSms};
use crate::store::ReportApplied;
use crate::store::Store;
use crate::store::{ClaimedMessage, SendRecord, StoreError};
use crate::tips::audio::{LiveAudio, Prompt};
use crate::tips::LiveTips;
use crate::voice::{self, flow::Stage};
use tokio::sync::Notify;

/// How long the loop sleeps when nothing is due, unless woken by a new message.
const IDLE_POLL: Duration = Duration::from_secs(1);
/// How long the loop waits after a store error before trying again.
const ERROR_PAUSE: Duration = Duration::from_secs(5);

/// What the dispatcher needs; owned, for the workers' tasks.
#[derive(Clone)]
pub struct Context {
    pub store: Store,
    pub vault: Arc<Vault>,
    pub clock: Arc<dyn Clock>,
    /// What console channels "sent" (development and tests).
    pub console: ConsoleLog,
    /// Wakes an idle worker when a message is queued.
    pub wake: Arc<Notify>,
    /// The tip library and its recordings: a call is placed only when what it plays is there.
    pub tips: Arc<LiveTips>,
    pub audio: Arc<LiveAudio>,
    pub settings: Arc<Settings>,
}

/// Sends what the outbox holds. Cheap to clone: workers of one instance share the per-channel
/// rate limits (`rate`), so together they keep to each channel's `tps`; on PostgreSQL every
/// instance's workers share them through the database.
#[derive(Clone)]
pub struct Dispatcher {
    ctx: Context,
    owner: String,
    client: reqwest::Client,
    /// Each channel's SMS rate (`rate`).
    pacing: Arc<rate::Pacing>,
    /// Claims and records shared by this instance's workers, a batch per statement.
    claims: Arc<batch::Claims>,
    records: Arc<batch::Records>,
    /// Each channel's pace of calls (`voice_cps`), apart from its SMS rate.
    call_limiters: Arc<HashMap<String, DefaultDirectRateLimiter>>,
    retries: RetryPolicy,
}

/// Whether broadcast messages may leave now: inside `campaign.send_window`, local time.
fn bulk_window_open(settings: &Settings, now: DateTime<Utc>) -> bool {
    let rules = settings.campaign.send_rules();
    rules.window.next_open(now, rules.zone) == now
}

impl Dispatcher {
    pub fn new(ctx: Context) -> Self {
        Self::pacing_by(ctx, Arc::new(SystemClock))
    }

    /// A dispatcher whose shared rate limit reads its time from `clock` (the system's in
    /// service; a test's own to count sends in windows it controls).
    pub fn pacing_by(ctx: Context, clock: Arc<dyn Clock>) -> Self {
        let pacing = rate::Pacing::new(&ctx.settings, &ctx.store, clock);
        let call_limiters = ctx
            .settings
            .channels
            .iter()
            .filter(|(_, channel)| providers::places_calls(channel))
            .map(|(name, channel)| (name.clone(), RateLimiter::direct(channel.call_quota())))
            .collect();
        let outbound = &ctx.settings.outbound;
        let timeout = Duration::from_secs(outbound.send_timeout_secs.max(1));
        let retries = RetryPolicy {
            max_attempts: outbound.max_attempts,
            backoff_base: Duration::from_secs(outbound.backoff_base_secs),
            backoff_max: Duration::from_secs(outbound.backoff_max_secs),
        };
        Self {
            retries,
            owner: format!("{:016x}", rand::thread_rng().gen::<u64>()),
            client: providers::http_client(timeout),
            pacing: Arc::new(pacing),
            claims: Arc::default(),
            records: Arc::default(),
            call_limiters: Arc::new(call_limiters),
            ctx,
        }
    }

    /// Claims, sends and records at most one message.
    pub async fn try_dispatch_one(&self) -> anyhow::Result<Outcome> {
        let ctx = &self.ctx;
        let outbound = &ctx.settings.outbound;
        let now = ctx.clock.now();
        let lease_until = now + chrono::Duration::seconds(outbound.lease_secs as i64);
        let Some(claimed) = self
            .claims
            .next(
                ctx,
                &self.owner,
                now,
                lease_until,
                bulk_window_open(&ctx.settings, now),
            )
            .await
            .context("claiming a message")?
        else {
            // Nothing to send: a good moment to settle claims whose sender went silent (they are
            // never claimed again either way; this only makes their state visible).
            settle_stale_claims(&ctx.store, now).await?;
            return Ok(Outcome::Idle);
        };
        let message = &claimed.message;
        let outcome = self.dispatch(message, claimed.suppressed, now).await?;
        metrics::counter!(
            "outbox_dispatched_total",
            "channel" => message.channel.clone(),
            "outcome" => format!("{outcome:?}").to_lowercase()
        )
        .increment(1);
        Ok(outcome)
    }

    /// One claimed message: expired, unreadable, stopped, or sent and settled. `suppressed`
    /// is what the check with its batch found, if it was checked.
    async fn dispatch(
        &self,
        message: &ClaimedMessage,
        suppressed: Option<bool>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Outcome> {
        if message.expires_at.is_some_and(|at| at <= now) {
            return self
                .record(message, &SendRecord::Expired, Outcome::Expired)
                .await;
        }
        let phone = match open_recipient(&self.ctx.vault, message) {
            Ok(phone) => phone,
            Err(error) => return self.fail(message, &error).await,
        };
        self.ctx
            .store
            .rekey_on_contact(&self.ctx.vault, &phone)
            .await?;
        let index = self.ctx.vault.blind_index(&phone);
        // A STOP between enqueue and send wins.
        let suppressed = match suppressed {
            Some(suppressed) => suppressed,
            None => {
                message.kind.checks_suppression() && self.ctx.store.is_suppressed(&index).await?
            }
        };
        if suppressed {
            return self
                .record(message, &SendRecord::Suppressed, Outcome::Suppressed)
                .await;
        }
        let Some(settings) = self.ctx.settings.channels.get(&message.channel) else {
            let error = format!("no channel named {:?} is configured", message.channel);
            return self.fail(message, &error).await;
        };
        let channel = Channel {
            name: &message.channel,
            settings,
            public_url: &self.ctx.settings.server.public_url,
        };
        let result = if message.kind.is_call() {
            if let Err(skipped) = self.playable(message) {
                metrics::counter!("voice_calls_skipped_total", "reason" => skipped.label())
                    .increment(1);
                return self.fail(message, &skipped.to_string()).await;
            }
            if let Some(limiter) = self.call_limiters.get(&message.channel) {
                limiter.until_ready().await;
            }
            let public = channel.public_url;
            let key = self.ctx.vault.call_key(message.id);
            let flow_url = voice::flow_url(public, channel.name, message.id, &key, Stage::Start);
            let status_url = voice::status_url(public, channel.name, message.id, &key);
            let call = OutboundCall {
                id: message.id,
                to: &phone,
                flow_url: &flow_url,
                status_url: &status_url,
            };
            providers::place_call(&self.client, &channel, &call).await
        } else {
            if let Err(err) = self.pacing.until_ready(&message.channel).await {
                // The shared limit cannot be read: the message waits rather than leave
                // unmetered.
                crate::store::log_failure("taking a send token", &err.into());
                let record = SendRecord::Retry {
                    at: self.ctx.clock.now() + chrono::Duration::from_std(ERROR_PAUSE)?,
                    error: "the channel's shared rate limit could not be read",
                };
                return self.record(message, &record, Outcome::Retrying).await;
            }
            let sms = OutboundSms {
                id: message.id,
                to: &phone,
                text: &message.body,
                encoding: message.encoding,
                parts: message.parts,
                dlt_template_id: message.dlt_template_id.as_deref(),
            };
            providers::send(&self.client, &channel, &self.ctx.console, &sms).await
        };
        let jitter = rand::thread_rng().gen_range(0.0..=0.5);
        let (settled, outcome) = settle(result, message.attempts, &self.retries, jitter);
        log(message, &settled, &index);
        let record = match &settled {
            Settled::Sent { provider_id } => SendRecord::Sent { provider_id },
            Settled::Retry { after, reason } => SendRecord::Retry {
                at: self.ctx.clock.now() + chrono::Duration::from_std(*after)?,
                error: reason,
            },
            Settled::Failed { error, suppress } => SendRecord::Failed {
                error,
                suppress: suppress.then_some(&index),
            },
            Settled::Unanswered { reason } => SendRecord::Unanswered { error: reason },
        };
        self.record(message, &record, outcome).await
    }

    /// Whether what a call plays is there to play: the tip (still active) recorded in the
    /// call's language, or the consent notice.
    fn playable(&self, message: &ClaimedMessage) -> Result<(), Unplayable> {
        let plays = message.call.ok_or(Unplayable::NotACall)?;
        let audio = self.ctx.audio.current();
        let Some(tip) = plays.tip else {
            return audio
                .prompt(Prompt::Consent, plays.language)
                .map(|_| ())
                .ok_or(Unplayable::NoConsentRecording(plays.language));
        };
        let tips = self.ctx.tips.current();
        let at = tips.position_of(tip).ok_or(Unplayable::Inactive(tip))?;
        audio
            .tip(tips.id(at), plays.language)
            .map(|_| ())
            .ok_or(Unplayable::NoRecording(tip, plays.language))
    }

    async fn fail(&self, message: &ClaimedMessage, error: &str) -> anyhow::Result<Outcome> {
        let record = SendRecord::Failed {
            error,
            suppress: None,
        };
        self.record(message, &record, Outcome::Failed).await
    }

    async fn record(
        &self,
        message: &ClaimedMessage,
        record: &SendRecord<'_>,
        outcome: Outcome,
    ) -> anyhow::Result<Outcome> {
        let store = &self.ctx.store;
        let recorded = match self
            .records
            .record(&self.ctx, &self.owner, message.id, record)
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
                    .record_send(message.id, &self.owner, &record, self.ctx.clock.now())
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
                () = self.ctx.wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
}

/// A message's recipient, opened from its seal; why not when it cannot be.
fn open_recipient(vault: &Vault, message: &ClaimedMessage) -> Result<Msisdn, String> {
    match (&message.ciphertext, &message.key_id) {
        (Some(ciphertext), Some(key_id)) => vault.open(ciphertext, key_id),
        _ => Err(crate::privacy::OpenError::Corrupt),
    }
    .map_err(|err| format!("cannot open the recipient: {err}"))
}

/// Why a call was not placed (the reason is counted, and kept as the row's error).
#[derive(Debug, Clone, Copy, thiserror::Error)]
enum Unplayable {
    #[error("skipped: the call has nothing to play")]
    NotACall,
    #[error("skipped: tip {0} is no longer active")]
    Inactive(i64),
    #[error("skipped: tip {0} has no recording in {lang}", lang = .1.tag())]
    NoRecording(i64, Language),
    #[error("skipped: the consent notice has no recording in {lang}", lang = .0.tag())]
    NoConsentRecording(Language),
}

impl Unplayable {
    fn label(self) -> &'static str {
        match self {
            Unplayable::NotACall => "nothing_to_play",
            Unplayable::Inactive(_) => "tip_inactive",
            Unplayable::NoRecording(..) => "no_recording",
            Unplayable::NoConsentRecording(_) => "no_consent_recording",
        }
    }
}

/// Says what became of a send, with the number only as its log tag.
fn log(message: &ClaimedMessage, settled: &Settled, index: &BlindIndex) {
    let (channel, id, attempt) = (&message.channel, message.id, message.attempts);
    match settled {
        Settled::Sent { .. } => {}
        Settled::Retry { after, reason } => tracing::info!(
            channel = %channel,
            message = id,
            attempt,
            retry_in_secs = after.as_secs(),
            reason,
            "send failed for now; will retry"
        ),
        Settled::Failed {
            error,
            suppress: false,
        } => tracing::warn!(channel = %channel, message = id, error, "send failed"),
        Settled::Failed {
            error,
            suppress: true,
        } => tracing::warn!(
            channel = %channel,
            message = id,
            to = %index.log_tag(),
            error,
            "send refused: the number refuses messages; suppressed"
        ),
        Settled::Unanswered { reason } => tracing::warn!(
            channel = %channel,
            message = id,
            reason,
            "the aggregator did not answer; the message may have been taken, so it is not sent \
             again (a delivery report will settle it)"
        ),
    }
}

/// Marks `unknown` the messages whose sender went silent mid-send (its lease ran out): they are
/// never claimed again; delivery reports settle them. Returns how many.
pub async fn settle_stale_claims(store: &Store, now: DateTime<Utc>) -> anyhow::Result<u64> {
    let stale = store
        .expire_leases(now)
        .await
        .context("expiring stale leases")?;
    if stale > 0 {
        tracing::warn!(
            messages = stale,
            "messages claimed by a sender that stopped are now unknown; delivery reports will settle them"
        );
    }
    Ok(stale)
}

/// A delivery report. Unknown message ids are logged and acknowledged.
#[tracing::instrument(skip_all, fields(channel))]
pub async fn receive_report(
    ctx: &Context,
    channel: &str,
    report: &DeliveryReport,
) -> anyhow::Result<()> {
    let status = OutboxStatus::reported(report.status);
    let now = ctx.clock.now();
    let applied = ctx
        .store
        .apply_report(
            channel,
            &report.message_id,
            report.mitan_id,
            status,
            report.reason.as_deref(),
            now,
        )
        .await
        .context("applying a delivery report")?;
    let outcome = match &applied {
        ReportApplied::UnknownMessage => {
            tracing::info!(
                message_id = %crate::privacy::without_numbers(&report.message_id),
                "delivery report for a message this service does not know; acknowledged"
            );
            "unknown_message"
        }
        ReportApplied::Unchanged(current) => {
            tracing::debug!(?current, reported = ?status, "late delivery report ignored");
            "unchanged"
        }
        ReportApplied::Moved { to, sealed, .. } => {
            if let (OutboxStatus::Failed, true, Some((ciphertext, key_id))) =
                (to, report.opted_out, sealed)
            {
                let phone = ctx
                    .vault
                    .open(ciphertext, key_id)
                    .context("opening a refused recipient")?;
                let index = ctx.vault.blind_index(&phone);
                ctx.store
                    .suppress(&index, "refused_by_network", now)
                    .await?;
                tracing::info!(to = %index.log_tag(), "the network says the number refuses messages; suppressed");
            }
            "moved"
        }
    };
    metrics::counter!("delivery_reports_total", "channel" => channel.to_string(), "outcome" => outcome)
        .increment(1);
    Ok(())
}
