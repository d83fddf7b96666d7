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
    /// together; each instance keeps to its share (`outbound.instances`).
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

    /// This instance's share of the channel's rate: `tps / instances` a second, with a burst of
    /// `burst / instances` (each at least one message).
    pub fn quota(&self, instances: u32) -> governor::Quota {
        let instances = f64::from(instances.max(1));
        let tps = f64::from(self.tps.max(1));
        let burst = self.burst.map_or(tps / 10.0, f64::from);
        let per_second = (tps / instances).max(f64::MIN_POSITIVE);
        let burst = ((burst / instances).floor() as u32).max(1);
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
