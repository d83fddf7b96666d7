//! When a broadcast is due: once (`send_at`), or on a cron rule read in the campaign's time zone
//! (`Asia/Kolkata` by default), e.g. `0 11 * * WED#1` for 11:00 on the first Wednesday of every
//! month, Cyber Jaagrookta Diwas.
//!
//! Rules have five fields (minute, hour, day of month, month, day of week; no seconds, no
//! years), with croner's extensions: `L` (last), `#n` (n-th weekday of the month), `W`, and
//! names (`WED`, `DEC`). Day 0 and 7 are Sunday. When both day fields are restricted, either one
//! matching is enough (POSIX cron).

use std::fmt;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;

/// A parsed cron rule, kept with the text it was written as (boxed: a parsed rule is large).
#[derive(Clone)]
pub struct CronRule {
    cron: Box<Cron>,
    text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("not a cron rule of five fields (minute hour day month weekday): {0}")]
    Cron(String),
    #[error("the rule never comes due")]
    Never,
}

impl CronRule {
    pub fn parse(text: &str) -> Result<Self, ScheduleError> {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let cron = CronParser::builder()
            .seconds(Seconds::Disallowed)
            .year(Year::Disallowed)
            .build()
            .parse(&text)
            .map_err(|err| ScheduleError::Cron(err.to_string()))?;
        let rule = Self {
            cron: Box::new(cron),
            text,
        };
        // A rule such as `0 11 30 2 *` (30 February) parses but never comes due.
        let probe = DateTime::<Utc>::from_timestamp(0, 0).expect("epoch");
        rule.next_after(probe, chrono_tz::UTC)
            .ok_or(ScheduleError::Never)?;
        Ok(rule)
    }

    /// The first time strictly after `after` that the rule matches, read in `zone`.
    pub fn next_after(&self, after: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
        self.cron
            .find_next_occurrence(&after.with_timezone(&zone), false)
            .ok()
            .map(|at| at.with_timezone(&Utc))
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for CronRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CronRule({:?})", self.text)
    }
}

impl PartialEq for CronRule {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

/// When a broadcast comes due.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    Once(DateTime<Utc>),
    Recurring(CronRule),
}

impl Schedule {
    /// The first occurrence strictly after `after`: the one `send_at` if still ahead, else the
    /// rule's next match. `None` once a one-off broadcast is past.
    pub fn next_after(&self, after: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
        match self {
            Schedule::Once(at) => (*at > after).then_some(*at),
            Schedule::Recurring(rule) => rule.next_after(after, zone),
        }
    }

    /// The first occurrence at or after `from` (a broadcast created for "now" is due now).
    pub fn first_from(&self, from: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
        match self {
            Schedule::Once(at) => Some((*at).max(from)),
            Schedule::Recurring(rule) => rule.next_after(from - chrono::Duration::seconds(1), zone),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broadcasts::ist;
    use chrono::TimeZone as _;
    use chrono_tz::Asia::Kolkata;

    fn next_n(rule: &str, from: &str, n: usize) -> Vec<DateTime<Utc>> {
        let rule = CronRule::parse(rule).unwrap();
        let mut at = ist(from);
        (0..n)
            .map(|_| {
                at = rule.next_after(at, Kolkata).unwrap();
                at
            })
            .collect()
    }

    #[test]
    fn the_first_wednesday_of_every_month_at_eleven_is_read_in_bilaspur_time() {
        let due = next_n("0 11 * * WED#1", "2026-11-28 12:00", 4);
        let expected = [
            "2026-12-02 11:00",
            "2027-01-06 11:00",
            "2027-02-03 11:00",
            "2027-03-03 11:00",
        ];
        assert_eq!(due, expected.map(ist));
        // 11:00 IST is 05:30 UTC: the zone is applied, not UTC.
        assert_eq!(due[0], Utc.with_ymd_and_hms(2026, 12, 2, 5, 30, 0).unwrap());
    }

    #[test]
    fn rules_cross_month_and_year_ends() {
        assert_eq!(
            next_n("0 10 L * *", "2027-01-15 09:00", 3),
            ["2027-01-31 10:00", "2027-02-28 10:00", "2027-03-31 10:00"].map(ist)
        );
        assert_eq!(
            next_n("30 10 31 * *", "2026-11-28 12:00", 3),
            ["2026-12-31 10:30", "2027-01-31 10:30", "2027-03-31 10:30"].map(ist)
        );
        assert_eq!(
            next_n("0 11 * * MON,THU", "2026-12-31 11:00", 3),
            ["2027-01-04 11:00", "2027-01-07 11:00", "2027-01-11 11:00"].map(ist)
        );
    }

    #[test]
    fn a_due_time_is_strictly_after_the_one_before() {
        let rule = CronRule::parse("0 11 * * *").unwrap();
        let at = ist("2026-12-02 11:00");
        assert_eq!(rule.next_after(at, Kolkata), Some(ist("2026-12-03 11:00")));
        assert_eq!(
            Schedule::Recurring(rule).first_from(at, Kolkata),
            Some(at),
            "a rule due right now is due now"
        );
    }

    #[test]
    fn bad_rules_are_refused_with_a_reason() {
        for bad in ["", "* * *", "0 0 11 * * WED", "61 * * * *", "0 11 * * XYZ"] {
            assert!(
                matches!(CronRule::parse(bad), Err(ScheduleError::Cron(_))),
                "{bad:?}"
            );
        }
        assert_eq!(
            CronRule::parse("0 11 30 2 *").unwrap_err(),
            ScheduleError::Never
        );
    }

    #[test]
    fn a_one_off_broadcast_is_due_once() {
        let at = ist("2026-12-02 11:00");
        let once = Schedule::Once(at);
        assert_eq!(once.first_from(ist("2026-11-28 12:00"), Kolkata), Some(at));
        assert_eq!(once.next_after(ist("2026-11-28 12:00"), Kolkata), Some(at));
        assert_eq!(once.next_after(at, Kolkata), None);
        // Created after its send_at: due at once.
        let late = ist("2026-12-02 11:05");
        assert_eq!(once.first_from(late, Kolkata), Some(late));
    }
}
