//! A channel's settings as the service holds them once read (`config` reads them from the
//! layers): the keys every channel takes, and its kind's own.

use super::{ChannelKind, ProviderSettings};

/// One aggregator connection: `channels.<name>.…`, or `MITAN__CHANNELS__<NAME>__<KEY>`.
#[derive(Debug, Clone)]
pub struct ChannelSettings {
    /// `false` removes the channel: its webhooks answer 404 and nothing is sent through it
    /// (production turns the unauthenticated `console` channel off this way).
    pub enabled: bool,
    /// Most messages a second the aggregator takes through this channel, from all instances
    /// together (on PostgreSQL they share one limit through the database).
    pub tps: u32,
    /// Messages that may leave at once after a quiet spell, on top of the steady `tps`: no
    /// one-second window holds more than `tps + burst`. Unset: a tenth of `tps` (at least 1).
    pub burst: Option<u32>,
    /// The number villagers give a missed call to join; calls to other numbers of the channel
    /// also join unless they are the opt-out number.
    pub optin_number: Option<String>,
    /// The number villagers give a missed call to stop.
    pub optout_number: Option<String>,
    /// The number tip calls come from (Exotel's ExoPhone, a Twilio number), and the number a
    /// missed call to asks for a call back (`voice.channel` names the channel calls go through).
    pub voice_number: Option<String>,
    /// Most calls a second this channel places (its own limit, apart from `tps`).
    pub voice_cps: u32,
    /// The kind, with its credentials, sender, send API and DLT ids: each kind's code sees
    /// its own struct only.
    pub provider: ProviderSettings,
}

impl ChannelSettings {
    pub fn kind(&self) -> ChannelKind {
        self.provider.kind()
    }

    /// Messages that may leave at once: `burst`, or a tenth of `tps` (at least 1).
    pub fn burst(&self) -> u32 {
        self.burst.unwrap_or(self.tps.max(1) / 10).max(1)
    }

    /// The channel's rate for one instance's own pacing: `tps` a second after a burst of
    /// `burst()`. On PostgreSQL the instances also take every send from one shared bucket
    /// (`store::Store::take_tokens`), so together they keep to the same.
    pub fn quota(&self) -> governor::Quota {
        let per_second = f64::from(self.tps.max(1));
        let burst = self.burst();
        governor::Quota::with_period(std::time::Duration::from_secs_f64(1.0 / per_second))
            .expect("a positive period")
            .allow_burst(std::num::NonZeroU32::new(burst).expect("at least one"))
    }

    /// This instance's pace of calls: `voice_cps` a second, without a burst.
    pub fn call_quota(&self) -> governor::Quota {
        governor::Quota::per_second(
            std::num::NonZeroU32::new(self.voice_cps.max(1)).expect("positive"),
        )
    }
}
