//! Abuse limits, in memory (per instance): inbound messages per number, auto-replies per number
//! per day, invitations per recruiter, fraud reports per number per day. Keys are the vault's
//! consent tags, never numbers.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::DefaultClock;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::config::{ReportSettings, SmsSettings};

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

pub struct Limits {
    inbound: Keyed<[u8; 32]>,
    auto_replies: Keyed<[u8; 32]>,
    invites: Keyed<i64>,
    reports: Keyed<[u8; 32]>,
}

fn at_least_one(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).expect("at least one")
}

/// `n` per `period`, all of them at once if need be.
fn quota(n: u32, period: Duration) -> Quota {
    let n = at_least_one(n);
    Quota::with_period(period / n.get())
        .expect("a positive period")
        .allow_burst(n)
}

impl Limits {
    pub fn new(settings: &SmsSettings, reports: &ReportSettings) -> Self {
        Self {
            inbound: RateLimiter::keyed(quota(
                settings.inbound_per_minute,
                Duration::from_secs(60),
            )),
            auto_replies: RateLimiter::keyed(quota(
                settings.auto_replies_per_day,
                Duration::from_secs(24 * 3600),
            )),
            invites: RateLimiter::keyed(quota(
                settings.invites_per_hour,
                Duration::from_secs(3600),
            )),
            reports: RateLimiter::keyed(quota(
                reports.per_reporter_daily.0,
                Duration::from_secs(24 * 3600),
            )),
        }
    }

    /// Whether one more inbound message from this number may be processed.
    pub fn inbound(&self, tag: &[u8; 32]) -> bool {
        self.inbound.check_key(tag).is_ok()
    }

    /// Whether this number may get one more answer to a message that was not a keyword.
    pub fn auto_reply(&self, tag: &[u8; 32]) -> bool {
        self.auto_replies.check_key(tag).is_ok()
    }

    /// Whether this recruiter may invite one more villager now.
    pub fn invite(&self, recruiter: i64) -> bool {
        self.invites.check_key(&recruiter).is_ok()
    }

    /// Whether this number may report one more fraud number today.
    pub fn report(&self, tag: &[u8; 32]) -> bool {
        self.reports.check_key(tag).is_ok()
    }

    /// Forgets keys whose limits are back to full (called by the periodic purge).
    pub fn retain_recent(&self) {
        self.inbound.retain_recent();
        self.auto_replies.retain_recent();
        self.invites.retain_recent();
        self.reports.retain_recent();
    }
}
