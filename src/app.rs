//! Wiring: settings → store → vault → router, bound and ready to run until told to stop.

use std::future::IntoFuture as _;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::clock::{Clock, SystemClock};
use crate::config::{CampaignSettings, Settings};
use crate::dispatcher::Dispatcher;
use crate::enrollment::areas::BUILT_IN_AREAS;
use crate::enrollment::AreaPlan;
use crate::http::AppState;
use crate::privacy::{self, KeySource};
use crate::providers::console::ConsoleLog;
use crate::sms::Limits;
use crate::store::Store;
use crate::tips::LiveTips;
use crate::ussd::texts::Texts;
use crate::{api, housekeeping, http, planner, telemetry, web};

/// A built service: database migrated, keys loaded, listener bound.
pub struct Application {
    listener: TcpListener,
    state: Arc<AppState>,
    /// Training mode's folder (its database), removed when the service stops.
    demo_dir: Option<DemoDir>,
}

/// A folder of its own under the system's temporary folder, removed with everything in it when
/// dropped.
struct DemoDir(std::path::PathBuf);

impl DemoDir {
    fn create() -> anyhow::Result<Self> {
        let name = format!(
            "mitan-demo-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        );
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir(&path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Self(path))
    }
}

impl Drop for DemoDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// How to sign in to a training started by [`Application::demo`].
pub struct DemoLogin {
    pub username: &'static str,
    pub password: String,
    pub officer_code: String,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// As [`Application::build`], with a clock of the caller's (tests control time).
    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        Ok(Self::assemble(settings, clock, false).await?.0)
    }

    /// Training mode (`mitan serve --demo`, see [`crate::demo`]): the service on a throwaway
    /// database with the console channel alone, seeded with an officer and a trainer, and
    /// `/simulator` open.
    pub async fn demo(settings: Settings) -> anyhow::Result<(Self, DemoLogin)> {
        let dir = DemoDir::create()?;
        let settings = crate::demo::settings(settings, &dir.0)?;
        let (mut app, password) = Self::assemble(settings, Arc::new(SystemClock), true).await?;
        app.demo_dir = Some(dir);
        let login = DemoLogin {
            username: crate::demo::TRAINER,
            password: password.unwrap_or_default(),
            officer_code: app
                .state
                .demo
                .as_ref()
                .map(|demo| demo.officer_code.clone())
                .unwrap_or_default(),
        };
        Ok((app, login))
    }

    /// The service; in training mode also seeded, with the trainer's password answered.
    async fn assemble(
        settings: Settings,
        clock: Arc<dyn Clock>,
        demo: bool,
    ) -> anyhow::Result<(Self, Option<String>)> {
        check_channels(&settings)?;
        if let Some(instances) = settings.outbound.instances {
            tracing::warn!(
                instances,
                "outbound.instances is no longer read: instances on one PostgreSQL database share \
                 each channel's tps and burst through it however many run, and the one instance \
                 on SQLite sends at the whole rate; remove the setting \
                 (MITAN__OUTBOUND__INSTANCES)"
            );
        }
        let store = Store::connect(&settings.database)
            .await?
            .flag_join_bursts(settings.campaign.burst_threshold_per_hour);
        store.migrate().await?;
        // The key is checked against the database before anything is read or sealed with it.
        let sealed = store.sealing_key().await?;
        let (master, source) = privacy::load_master_key(&settings.security, !sealed.holds_numbers)?;
        if source == KeySource::Generated {
            tracing::warn!(
                file = %settings.security.master_key_file.display(),
                "!!! GENERATED A NEW MASTER KEY for development. Every stored phone number is \
                 encrypted with it: back the file up, and in production set \
                 MITAN__SECURITY__MASTER_KEY and security.require_master_key = true !!!"
            );
        }
        let retired = store.retired_keys().await?;
        let vault = privacy::unlock(
            &master,
            sealed.recorded.as_deref(),
            &retired,
            &sealed.in_use,
        )
        .map_err(anyhow::Error::msg)?;
        store
            .record_sealing_key(vault.key_id(), clock.now())
            .await?;
        load_areas(&store, &settings.campaign).await?;
        load_tips(&store, &settings.campaign, clock.now()).await?;
        let tips = Arc::new(LiveTips::seeded());
        let read = tips.begin_read();
        tips.replace(read, store.tips().await?);
        let scams = Arc::new(load_scam_rules(&settings.campaign)?);
        let (demo, password) = if demo {
            let (demo, password) = crate::demo::seed(
                &store,
                settings.campaign.default_quota,
                settings.campaign.code_length.0,
                clock.now(),
            )
            .await?;
            (Some(Arc::new(demo)), Some(password))
        } else {
            (None, None)
        };
        let bind = settings.server.bind;
        let listener = TcpListener::bind(bind)
            .await
            .with_context(|| format!("server.bind: cannot listen on {bind}"))?;
        let state = Arc::new(AppState {
            vault: Arc::new(vault),
            metrics: telemetry::metrics_handle(),
            texts: Arc::new(Texts::new(&settings.campaign.ussd_code, tips.clone())),
            tips,
            audio: Arc::new(crate::tips::audio::LiveAudio::read(
                &settings.voice.audio_dir,
            )),
            clock,
            limits: Arc::new(Limits::new(&settings.sms, &settings.reports)),
            console: ConsoleLog::default(),
            outbox_wake: Arc::default(),
            planner_wake: Arc::default(),
            turns: Arc::default(),
            logins: Arc::new(crate::access::LoginLimits::new(
                settings.dashboard.login_attempts_per_minute,
            )),
            demo,
            scams,
            store,
            settings: Arc::new(settings),
        });
        let app = Self {
            listener,
            state,
            demo_dir: None,
        };
        Ok((app, password))
    }

    /// The bound port (tests bind port 0).
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|addr| addr.port())
            .unwrap_or_default()
    }

    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    /// Serves until `shutdown` is cancelled, then stops accepting and lets requests in flight
    /// finish for at most `server.shutdown_grace_secs`. The dispatcher workers
    /// (`outbound.workers`) run alongside and finish the send in flight before stopping.
    pub async fn run_until(self, outside: CancellationToken) -> anyhow::Result<()> {
        // Cancelled from outside (SIGTERM, a test), or from inside when the service must stop.
        let shutdown = outside.child_token();
        let state = self.state;
        let demo_dir = self.demo_dir;
        let grace = Duration::from_secs(state.settings.server.shutdown_grace_secs);
        tracing::info!(
            addr = %self.listener.local_addr()?,
            database = state.store.backend_name(),
            "mitan is listening"
        );
        let app = http::router(state.clone(), api::router().merge(web::router()));
        let housekeeping = tokio::spawn(housekeeping::run(state.housekeeping(), shutdown.clone()));
        let watcher = tokio::spawn({
            let (store, shutdown) = (state.store.clone(), shutdown.clone());
            let key_id = state.vault.key_id().to_string();
            async move { store.watch_writes(&key_id, shutdown).await }
        });
        let planner = state
            .settings
            .broadcasts
            .planner
            .then(|| tokio::spawn(planner::run(state.planning(), shutdown.clone())));
        let dispatcher = Dispatcher::new(state.dispatch());
        let workers: Vec<_> = (0..state.settings.outbound.workers)
            .map(|_| tokio::spawn(dispatcher.clone().run_until(shutdown.clone())))
            .collect();
        let stopping = shutdown.clone();
        let server = axum::serve(self.listener, app)
            .with_graceful_shutdown(async move { stopping.cancelled().await })
            .into_future();
        tokio::pin!(server);
        tokio::select! {
            result = &mut server => result.context("serving HTTP")?,
            () = shutdown.cancelled() => {
                tracing::info!("shutting down: finishing requests in flight");
                match tokio::time::timeout(grace, &mut server).await {
                    Ok(result) => result.context("serving HTTP")?,
                    Err(_) => tracing::warn!(
                        grace_secs = grace.as_secs(),
                        "requests still in flight after the grace period were dropped"
                    ),
                }
            }
        }
        // A task that ended by panicking says so; none is dropped silently.
        let stopped_because = match watcher.await {
            Ok(why) => why,
            Err(err) => {
                tracing::error!(error = %err, "the write probe stopped by panicking");
                None
            }
        };
        let tasks = [("housekeeping", housekeeping)]
            .into_iter()
            .chain(planner.map(|planner| ("the planner", planner)))
            .chain(
                workers
                    .into_iter()
                    .map(|worker| ("a dispatcher worker", worker)),
            );
        for (name, task) in tasks {
            if let Err(err) = task.await {
                tracing::error!(error = %err, "{name} stopped by panicking");
            }
        }
        state.store.close().await;
        drop(demo_dir);
        tracing::info!("stopped");
        match stopped_because {
            None => Ok(()),
            Some(why) => Err(anyhow::Error::msg(why)),
        }
    }
}

/// Sends must have somewhere to go: a default channel that does not exist, is disabled, or lacks
/// what its kind needs to send is a start-up error naming the keys to set; any other enabled
/// channel that cannot send is a warning (its replies would fail), one line per channel.
fn check_channels(settings: &Settings) -> anyhow::Result<()> {
    if let Some(voice) = &settings.voice.channel {
        let Some(channel) = settings.channels.get(voice) else {
            anyhow::bail!("voice.channel: no enabled channel is named {voice:?}");
        };
        match crate::providers::missing_for_calling(channel) {
            None => anyhow::bail!(
                "voice.channel: channel {voice:?} is of a kind that cannot place calls (exotel \
                 and twilio can)"
            ),
            Some(missing) if !missing.is_empty() => {
                let keys: Vec<String> = missing
                    .iter()
                    .map(|key| format!("channels.{voice}.{key}"))
                    .collect();
                anyhow::bail!(
                    "voice.channel: channel {voice:?} cannot place calls: set {}",
                    keys.join(", ")
                );
            }
            Some(_) => {}
        }
    }
    let default = &settings.outbound.default_channel;
    if !settings.channels.contains_key(default) {
        let enabled: Vec<&str> = settings.channels.keys().map(String::as_str).collect();
        anyhow::bail!(
            "outbound.default_channel: no enabled channel is named {default:?} (enabled: {})",
            enabled.join(", ")
        );
    }
    for (name, channel) in &settings.channels {
        let missing = crate::providers::missing_for_sending(channel);
        if missing.is_empty() {
            continue;
        }
        let keys: Vec<String> = missing
            .iter()
            .map(|key| format!("channels.{name}.{key}"))
            .collect();
        let keys = keys.join(", ");
        if name == default {
            anyhow::bail!("outbound.default_channel: channel {name:?} cannot send: set {keys}");
        }
        tracing::warn!(
            channel = %name,
            missing = %keys,
            "this channel cannot send until the settings it is missing are set: its replies \
             fail until then"
        );
    }
    Ok(())
}

/// The scam check's rules: `campaign.scam_rules_file`, or the built-in `config/scams.toml`.
pub(crate) fn load_scam_rules(
    campaign: &CampaignSettings,
) -> anyhow::Result<crate::scams::Matcher> {
    let Some(path) = &campaign.scam_rules_file else {
        return Ok(crate::scams::Matcher::built_in());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("campaign.scam_rules_file: cannot read {}", path.display()))?;
    crate::scams::Matcher::from_toml(&text)
        .map_err(|err| anyhow::anyhow!("campaign.scam_rules_file: {}: {err}", path.display()))
}

/// Fills an empty areas table from `campaign.areas_file` (or the built-in Bilaspur example).
async fn load_areas(store: &Store, campaign: &CampaignSettings) -> anyhow::Result<()> {
    if !store.areas().await?.is_empty() {
        return Ok(());
    }
    let (text, origin) = match &campaign.areas_file {
        Some(path) => (
            std::fs::read_to_string(path)
                .with_context(|| format!("campaign.areas_file: cannot read {}", path.display()))?,
            path.display().to_string(),
        ),
        None => (BUILT_IN_AREAS.to_string(), "the built-in areas".to_string()),
    };
    let plan = AreaPlan::parse(&text)
        .map_err(|err| anyhow::anyhow!("campaign.areas_file: {origin}: {err}"))?;
    if store.seed_areas(&plan).await? {
        tracing::info!(from = %origin, districts = plan.districts.len(), "areas loaded");
    }
    Ok(())
}

/// Fills an empty tip library with the campaign's reviewed seed (`config/tips.json`), so
/// broadcasts and "today's tip" have tips from the first start.
pub(crate) async fn load_tips(
    store: &Store,
    campaign: &CampaignSettings,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    use crate::tips::import::{plan, Format};
    if !store.tips().await?.is_empty() {
        return Ok(());
    }
    let plan = plan(crate::tips::SEED, Format::Json, &campaign.content_policy())
        .map_err(|err| anyhow::anyhow!("the shipped tip library: {err}"))?;
    for (tip, _) in &plan.tips {
        store.save_tip(tip, now).await?;
    }
    if !plan.errors.is_empty() {
        tracing::warn!(
            refused = plan.errors.len(),
            "shipped tips this campaign's content rules refuse were left out"
        );
    }
    tracing::info!(
        tips = plan.tips.len(),
        "tip library loaded from the shipped seed"
    );
    Ok(())
}

/// Cancels the token on SIGTERM or ctrl-c. A write past a file-size limit (`ulimit -f`) fails
/// as on a full disk instead of killing the process (SIGXFSZ is caught, never acted on).
pub fn cancel_on_signal(token: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Err(err) = signal(SignalKind::from_raw(libc::SIGXFSZ)) {
            tracing::warn!(error = %err, "cannot catch SIGXFSZ: a file-size limit would stop mitan");
        }
    }
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => tokio::select! {
                    _ = ctrl_c => {},
                    _ = term.recv() => {},
                },
                Err(_) => {
                    let _ = ctrl_c.await;
                }
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        token.cancel();
    });
}
