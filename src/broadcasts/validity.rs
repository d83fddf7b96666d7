//! When a planned message may leave and when it stops being worth sending.
//!
//! A message due at `due` may leave from the first moment the sending window is open at or after
//! `due`, and must have left before `due + campaign.tip_validity_hours`; after that it expires
//! instead of arriving late. The dispatcher checks both again at the moment it sends.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::window::SendWindow;

/// The rules that decide when messages may leave.
#[derive(Debug, Clone, Copy)]
pub struct SendRules {
    pub window: SendWindow,
    pub zone: Tz,
    pub validity: Duration,
}

/// When one planned message may leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Not before this: the window-adjusted due time.
    pub not_before: DateTime<Utc>,
    /// Not at or after this: the message expires.
    pub expires_at: DateTime<Utc>,
}

/// What to do with a message at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendVerdict {
    Send,
    /// Too early, or outside the window: try again at this time.
    WaitUntil(DateTime<Utc>),
    Expired,
}

impl SendRules {
    /// The timing of a message due at `due`.
    pub fn timing(&self, due: DateTime<Utc>) -> Timing {
        Timing {
            not_before: self.window.next_open(due, self.zone),
            expires_at: due + self.validity,
        }
    }

    /// Whether a message with `timing` may leave at `now`.
    pub fn verdict(&self, timing: Timing, now: DateTime<Utc>) -> SendVerdict {
        let next = self.window.next_open(now.max(timing.not_before), self.zone);
        if next >= timing.expires_at {
            SendVerdict::Expired
        } else if next > now {
            SendVerdict::WaitUntil(next)
        } else {
            SendVerdict::Send
        }
    }
}

impl Timing {
    /// Whether the message can never leave (its first chance is already too late).
    pub fn is_stillborn(&self) -> bool {
        self.not_before >= self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broadcasts::ist;
    use chrono_tz::Asia::Kolkata;

    fn rules(validity_hours: i64) -> SendRules {
        SendRules {
            window: SendWindow::parse("10:00-19:00").unwrap(),
            zone: Kolkata,
            validity: Duration::hours(validity_hours),
        }
    }

    #[test]
    fn a_message_due_at_night_waits_for_the_morning_and_expires_a_validity_after_it_was_due() {
        let timing = rules(48).timing(ist("2026-12-02 21:00"));
        assert_eq!(timing.not_before, ist("2026-12-03 10:00"));
        assert_eq!(timing.expires_at, ist("2026-12-04 21:00"));
        assert!(!timing.is_stillborn());
        assert!(rules(12).timing(ist("2026-12-02 21:00")).is_stillborn());
    }

    #[test]
    fn the_verdict_at_send_time_keeps_the_window_and_the_validity() {
        let rules = rules(24);
        let timing = rules.timing(ist("2026-12-02 11:00"));
        let cases = [
            (
                "2026-12-02 10:59",
                SendVerdict::WaitUntil(ist("2026-12-02 11:00")),
            ),
            ("2026-12-02 11:00", SendVerdict::Send),
            ("2026-12-02 18:59", SendVerdict::Send),
            (
                "2026-12-02 19:00",
                SendVerdict::WaitUntil(ist("2026-12-03 10:00")),
            ),
            (
                "2026-12-03 09:00",
                SendVerdict::WaitUntil(ist("2026-12-03 10:00")),
            ),
            ("2026-12-03 10:30", SendVerdict::Send),
            ("2026-12-03 11:00", SendVerdict::Expired),
            ("2026-12-09 12:00", SendVerdict::Expired),
        ];
        for (now, expected) in cases {
            assert_eq!(rules.verdict(timing, ist(now)), expected, "{now}");
        }
    }

    #[test]
    fn a_message_whose_next_window_opens_after_it_expires_expires_now() {
        let rules = rules(16);
        let timing = rules.timing(ist("2026-12-02 11:00"));
        // At 19:00 the next opening is 10:00 tomorrow, after the 03:00 expiry.
        assert_eq!(
            rules.verdict(timing, ist("2026-12-02 19:00")),
            SendVerdict::Expired
        );
    }
}
