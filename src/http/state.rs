//! What every request handler can reach, and the small context each domain edge is handed from
//! it: an edge sees the store, the keys, the clock and the settings it reads, never the wiring.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::config::Settings;
use crate::privacy::Vault;
use crate::providers::console::ConsoleLog;
use crate::sms::Limits;
use crate::store::Store;
use crate::tips::audio::LiveAudio;
use crate::tips::LiveTips;
use crate::turns::Turns;
use crate::ussd::texts::Texts;
use crate::{dispatcher, housekeeping, planner, sms, ussd, voice};

pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub vault: Arc<Vault>,
    pub texts: Arc<Texts>,
    /// The tip library "today's tip" reads.
    pub tips: Arc<LiveTips>,
    /// The tips' recordings (`voice.audio_dir`), re-read by housekeeping.
    pub audio: Arc<LiveAudio>,
    pub clock: Arc<dyn Clock>,
    pub metrics: PrometheusHandle,
    /// Abuse limits on inbound SMS, auto-replies and invitations (per instance).
    pub limits: Arc<Limits>,
    /// What console channels "sent" (development and tests).
    pub console: ConsoleLog,
    /// Wakes an idle dispatcher when a message is queued.
    pub outbox_wake: Arc<Notify>,
    /// Wakes an idle planner when a broadcast is created or resumed.
    pub planner_wake: Arc<Notify>,
    /// Copies of one webhook (an SMS, a USSD hop) are handled one after the other.
    pub turns: Arc<Turns>,
    /// Sign-in attempts per username on the dashboard (per instance).
    pub logins: Arc<crate::access::LoginLimits>,
    /// The scam check's rules (`campaign.scam_rules_file`, or the built-in ones).
    pub scams: Arc<crate::scams::Matcher>,
    /// Training mode (`mitan serve --demo`): the seeded officer's code and the demo phones;
    /// `None` on a real campaign, where `/simulator` does not exist.
    pub demo: Option<Arc<crate::demo::Demo>>,
}

impl AppState {
    /// What a USSD hop needs.
    pub fn ussd(&self) -> ussd::Context<'_> {
        ussd::Context {
            store: &self.store,
            vault: &self.vault,
            texts: &self.texts,
            tips: &self.tips,
            clock: &*self.clock,
            turns: &self.turns,
            limits: &self.limits,
            settings: &self.settings,
        }
    }

    /// What an inbound SMS or missed call needs.
    pub fn sms(&self) -> sms::Context<'_> {
        sms::Context {
            store: &self.store,
            vault: &self.vault,
            texts: self.texts.catalog(),
            tips: &self.tips,
            audio: &self.audio,
            clock: &*self.clock,
            turns: &self.turns,
            limits: &self.limits,
            scams: &self.scams,
            outbox_wake: &self.outbox_wake,
            settings: &self.settings,
        }
    }

    /// What the dispatcher (and a delivery report) needs; owned, for the workers' tasks.
    pub fn dispatch(&self) -> dispatcher::Context {
        dispatcher::Context {
            store: self.store.clone(),
            vault: self.vault.clone(),
            clock: self.clock.clone(),
            console: self.console.clone(),
            wake: self.outbox_wake.clone(),
            tips: self.tips.clone(),
            audio: self.audio.clone(),
            settings: self.settings.clone(),
        }
    }

    /// What a call's flow and status callbacks need.
    pub fn voice(&self) -> voice::Context<'_> {
        voice::Context {
            store: &self.store,
            vault: &self.vault,
            tips: &self.tips,
            audio: &self.audio,
            clock: &*self.clock,
            settings: &self.settings,
        }
    }

    /// What the planner needs; owned, for its task.
    pub fn planning(&self) -> planner::Context {
        planner::Context {
            store: self.store.clone(),
            clock: self.clock.clone(),
            wake: self.planner_wake.clone(),
            settings: self.settings.clone(),
        }
    }

    /// What the periodic clean-up needs; owned, for its task.
    pub fn housekeeping(&self) -> housekeeping::Context {
        housekeeping::Context {
            store: self.store.clone(),
            tips: self.tips.clone(),
            audio: self.audio.clone(),
            limits: self.limits.clone(),
            clock: self.clock.clone(),
            settings: self.settings.clone(),
        }
    }

    /// Seals messages for sending, with the reply lifetime of `outbound.reply_ttl_secs`.
    pub fn composer(&self) -> crate::outbox::Composer<'_> {
        crate::outbox::Composer::new(&self.vault, self.settings.outbound.reply_ttl_secs)
    }
}
