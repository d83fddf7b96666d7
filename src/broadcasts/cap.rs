//! The frequency cap: at most `campaign.max_tips_per_week` tips reach one person in any rolling
//! seven days. A tip that would break the cap is skipped for that person (counted as suppressed),
//! not postponed: a late tip is worth less than none, and a drip simply brings the same unseen tip
//! next time. The store applies this same rule in SQL when it plans; this is its definition.

use chrono::{DateTime, Duration, Utc};

/// The rolling period the cap counts over.
pub const CAP_PERIOD: Duration = Duration::days(7);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrequencyCap {
    pub max_per_period: u32,
}

impl FrequencyCap {
    pub fn new(max_per_week: u32) -> Self {
        Self {
            max_per_period: max_per_week,
        }
    }

    /// The start of the period that a tip sent at `at` is counted in: tips after it count.
    pub fn period_start(at: DateTime<Utc>) -> DateTime<Utc> {
        at - CAP_PERIOD
    }

    /// Whether one more tip may go at `at`, given the times of the person's other tips (sent, or
    /// planned to go; earlier or later ones are ignored).
    pub fn allows(&self, at: DateTime<Utc>, others: &[DateTime<Utc>]) -> bool {
        let start = Self::period_start(at);
        let counted = others.iter().filter(|t| **t > start && **t <= at).count();
        counted < self.max_per_period as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn day(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, d, h, 0, 0).unwrap()
    }

    #[test]
    fn at_most_n_tips_reach_a_person_in_any_seven_days() {
        let two = FrequencyCap::new(2);
        type Case<'a> = (&'a [DateTime<Utc>], DateTime<Utc>, bool, &'a str);
        let cases: &[Case] = &[
            (&[], day(10, 6), true, "nothing before"),
            (&[day(9, 6)], day(10, 6), true, "one before"),
            (
                &[day(4, 6), day(9, 6)],
                day(10, 6),
                false,
                "two in the week",
            ),
            (
                &[day(3, 6), day(9, 6)],
                day(10, 6),
                true,
                "one of them just over seven days ago",
            ),
            (
                &[day(3, 7), day(9, 6)],
                day(10, 6),
                false,
                "one of them six days 23 hours ago",
            ),
            (
                &[day(1, 6), day(2, 6), day(3, 6)],
                day(10, 6),
                true,
                "all older",
            ),
            (
                &[day(11, 6), day(12, 6)],
                day(10, 6),
                true,
                "later ones do not count",
            ),
        ];
        for (others, at, allowed, why) in cases {
            assert_eq!(two.allows(*at, others), *allowed, "{why}");
        }
    }

    #[test]
    fn a_cap_of_zero_stops_every_tip() {
        assert!(!FrequencyCap::new(0).allows(day(10, 6), &[]));
    }
}
