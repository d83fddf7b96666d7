//! The periodic clean-up, once a minute: what is past its time goes, what was promised to be
//! forgotten is forgotten, and the tip library is re-read. A loop around one step, [`tidy`];
//! tests call the step.
//!
//! - USSD sessions over and past their resume window are deleted;
//! - people who opted out longer ago than `campaign.erase_opted_out_after_days` are erased;
//! - SMS pending consents past their expiry and webhook receipts older than
//!   `sms.receipts_days` go; unsent replies past their expiry are dropped; sent messages forget
//!   their sealed recipient after `outbound.forget_after_days`;
//! - claims whose sender went silent become `unknown` (busy senders never go idle, where they
//!   settle them themselves);
//! - fraud reports older than `reports.window_days` go, with the numbers none is left of, and
//!   the reporters' votes once their time is over;
//! - expired dashboard sessions go;
//! - the abuse limiters forget quiet numbers;
//! - SQLite's write-ahead log is emptied into the database, so overwritten content (erased
//!   numbers, purged sessions) leaves the disk;
//! - the tip library is re-read (for changes made through another instance or the CLI).
//!
//! Each part runs even when another failed; a failure is logged with its cause.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::Duration as Days;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::config::Settings;
use crate::sms::Limits;
use crate::store::{log_failure, Store};
use crate::tips::audio::LiveAudio;
use crate::tips::LiveTips;

/// How often the step runs.
pub const EVERY: Duration = Duration::from_secs(60);

/// What the clean-up needs; owned, for its task.
#[derive(Clone)]
pub struct Context {
    pub store: Store,
    pub tips: Arc<LiveTips>,
    pub audio: Arc<LiveAudio>,
    pub limits: Arc<Limits>,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
}

/// What one step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tidied {
    pub sessions: u64,
    pub erased: u64,
    pub pending_consents: u64,
    pub stale_claims: u64,
    pub reports: u64,
}

/// One clean-up. Every part is tried; the first failure is returned once all have run.
pub async fn tidy(ctx: &Context) -> anyhow::Result<Tidied> {
    let now = ctx.clock.now();
    let settings = &ctx.settings;
    let store = &ctx.store;
    let mut tidied = Tidied::default();
    let mut first_failure = None;
    let mut note = |what: &str, result: anyhow::Result<()>| {
        if let Err(err) = result {
            log_failure(what, &err);
            first_failure.get_or_insert(err);
        }
    };

    let result = store.purge_ussd_sessions(now).await;
    note(
        "purging USSD sessions",
        result.map(|n| tidied.sessions = n).map_err(Into::into),
    );

    let days = i64::from(settings.campaign.erase_opted_out_after_days);
    let result = store
        .erase_opted_out_before(now - Days::days(days), now)
        .await;
    note(
        "erasing people who opted out",
        result.map(|n| tidied.erased = n).map_err(Into::into),
    );
    if tidied.erased > 0 {
        tracing::info!(
            erased = tidied.erased,
            "erased people who opted out {days} days ago"
        );
    }

    let receipts = now - Days::days(i64::from(settings.sms.receipts_days));
    let result = store.purge_sms(now, receipts).await;
    note(
        "purging pending consents and receipts",
        result
            .map(|n| tidied.pending_consents = n)
            .map_err(Into::into),
    );

    let forget = now - Days::days(i64::from(settings.outbound.forget_after_days));
    let result = store
        .tidy_outbox(now, forget)
        .await
        .context("tidying the outbox");
    note("tidying the outbox", result.map(|_| ()));

    let window = i64::from(settings.reports.window_days.0);
    let today = settings.campaign.local_day(now);
    let result = store
        .forget_old_reports(today - Days::days(window - 1), now)
        .await;
    note(
        "forgetting old fraud reports",
        result.map(|n| tidied.reports = n).map_err(Into::into),
    );

    let result = store.purge_sessions(now).await;
    note(
        "forgetting expired dashboard sessions",
        result.map(|_| ()).map_err(Into::into),
    );

    let result = crate::dispatcher::settle_stale_claims(store, now).await;
    note(
        "settling stale claims",
        result.map(|n| tidied.stale_claims = n),
    );

    ctx.limits.retain_recent();

    let result = store.compact().await;
    note("compacting the database", result.map_err(Into::into));

    let read = ctx.tips.begin_read();
    let result = store
        .tips()
        .await
        .map(|stored| ctx.tips.replace(read, stored));
    note("re-reading the tip library", result.map_err(Into::into));

    let audio = ctx.audio.clone();
    let result = tokio::task::spawn_blocking(move || audio.refresh()).await;
    note("re-reading the recordings", result.map_err(Into::into));

    match first_failure {
        Some(err) => Err(err),
        None => Ok(tidied),
    }
}

/// The loop: a step every [`EVERY`] until `shutdown` (failures are logged by the step).
pub async fn run(ctx: Context, shutdown: CancellationToken) {
    // The first step comes a period after start, not at it: its re-read of the tip library,
    // begun before an admin's first change, would otherwise put back what that change replaced.
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(EVERY) => {}
        }
        let _ = tidy(&ctx).await;
    }
}
