//! The planner: turns due broadcasts into recipient rows, a batch at a time. A loop around one
//! step, [`try_plan_one`]; tests call the step until it is idle.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::broadcasts::{CronRule, Schedule};
use crate::clock::Clock;
use crate::config::Settings;
use crate::store::Store;
use crate::store::{BroadcastRecord, PlannedBatch};

/// What the planner needs; owned, for its task.
#[derive(Clone)]
pub struct Context {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    /// Wakes an idle planner when a broadcast is created or resumed.
    pub wake: Arc<tokio::sync::Notify>,
    pub settings: Arc<Settings>,
}

/// How long the loop sleeps when nothing is due.
const IDLE_POLL: Duration = Duration::from_secs(5);
const ERROR_PAUSE: Duration = Duration::from_secs(10);

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanStep {
    /// An occurrence of this broadcast came due: its run is open.
    Opened(i64),
    Planned(PlannedBatch),
    Idle,
}

/// The schedule a stored broadcast was created with.
pub fn schedule_of(broadcast: &BroadcastRecord) -> Option<Schedule> {
    match (&broadcast.send_at, &broadcast.cron) {
        (Some(at), _) => Some(Schedule::Once(*at)),
        (None, Some(rule)) => CronRule::parse(rule).ok().map(Schedule::Recurring),
        (None, None) => None,
    }
}

/// Opens the run of one due broadcast, or else plans one batch.
pub async fn try_plan_one(ctx: &Context, now: DateTime<Utc>) -> anyhow::Result<PlanStep> {
    let campaign = &ctx.settings.campaign;
    let store = &ctx.store;
    let due = store
        .due_broadcasts(now)
        .await
        .context("finding due broadcasts")?;
    if let Some(broadcast) = due.into_iter().next() {
        let due_at = broadcast.next_due_at.unwrap_or(now);
        let timing = campaign.send_rules().timing(due_at);
        // Occurrences missed while the service was down are not made up for.
        let next = schedule_of(&broadcast)
            .and_then(|s| s.next_after(due_at.max(now), campaign.timezone.0));
        store
            .open_run(broadcast.id, due_at, timing, next, now)
            .await
            .context("opening a broadcast run")?;
        tracing::info!(broadcast = broadcast.id, due = %due_at, "broadcast due: planning");
        return Ok(PlanStep::Opened(broadcast.id));
    }
    let planned = store
        .plan_batch(
            campaign.frequency_cap(),
            i64::from(ctx.settings.broadcasts.plan_batch.max(1)),
            &ctx.settings.outbound.default_channel,
            ctx.settings.voice.channel.as_deref(),
            now,
        )
        .await
        .context("planning a batch")?;
    Ok(match planned {
        Some(batch) => {
            if batch.finished {
                tracing::info!(broadcast = batch.broadcast_id, "broadcast planned");
            }
            PlanStep::Planned(batch)
        }
        None => PlanStep::Idle,
    })
}

/// The planner loop of one instance (`broadcasts.planner`).
pub async fn run(ctx: Context, shutdown: CancellationToken) {
    loop {
        let pause = match try_plan_one(&ctx, ctx.clock.now()).await {
            Ok(PlanStep::Idle) => IDLE_POLL,
            Ok(_) => Duration::ZERO,
            Err(err) => {
                crate::store::log_failure("planning broadcasts", &err);
                ERROR_PAUSE
            }
        };
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = ctx.wake.notified() => {}
            () = tokio::time::sleep(pause) => {}
        }
    }
}
