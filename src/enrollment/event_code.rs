//! Whether an event code still credits joins, and what expiring one early changes. Pure: the
//! time is an argument. The same rule as the join's (`store::enrollment::judge_code`): a code
//! stops at its expiry (that instant included) and when its uses reach the limit.

use chrono::{DateTime, Utc};

/// Where an event code stands at some time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventCodeStatus {
    /// It credits joins.
    Active,
    /// Its expiry has passed (or an admin expired it early).
    Expired,
    /// It credited as many joins as it may.
    UsedUp,
}

impl EventCodeStatus {
    /// The status at `at` of a code expiring at `expires_at`, used `uses` times of `max_uses`.
    pub fn at(
        expires_at: Option<DateTime<Utc>>,
        max_uses: Option<i64>,
        uses: i64,
        at: DateTime<Utc>,
    ) -> Self {
        if expires_at.is_some_and(|expiry| expiry <= at) {
            Self::Expired
        } else if max_uses.is_some_and(|max| uses >= max) {
            Self::UsedUp
        } else {
            Self::Active
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Expired => "expired",
            Self::UsedUp => "used_up",
        }
    }
}

/// The new expiry of a code expiring at `expires_at` that an admin expires at `at`: `at`
/// itself, or `None` when it has already expired (nothing to change, the earlier expiry kept).
pub fn expire_early(expires_at: Option<DateTime<Utc>>, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match expires_at {
        Some(expiry) if expiry <= at => None,
        _ => Some(at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + minutes * 60, 0).unwrap()
    }

    #[test]
    fn a_code_stops_at_its_expiry_and_at_its_limit() {
        let now = t(0);
        let cases = [
            (None, None, 0, EventCodeStatus::Active),
            (Some(t(1)), Some(10), 9, EventCodeStatus::Active),
            (Some(t(0)), None, 0, EventCodeStatus::Expired),
            (Some(t(-1)), Some(10), 10, EventCodeStatus::Expired),
            (Some(t(1)), Some(10), 10, EventCodeStatus::UsedUp),
            (None, Some(1), 2, EventCodeStatus::UsedUp),
        ];
        for (expires, max, uses, want) in cases {
            assert_eq!(
                EventCodeStatus::at(expires, max, uses, now),
                want,
                "{expires:?} {max:?} {uses}"
            );
        }
    }

    #[test]
    fn expiring_early_moves_a_later_expiry_to_now_and_keeps_a_past_one() {
        let now = t(0);
        assert_eq!(expire_early(None, now), Some(now));
        assert_eq!(expire_early(Some(t(60)), now), Some(now));
        assert_eq!(expire_early(Some(t(0)), now), None);
        assert_eq!(expire_early(Some(t(-5)), now), None);
        let expired = expire_early(Some(t(60)), now).unwrap();
        assert_eq!(
            EventCodeStatus::at(Some(expired), None, 0, now),
            EventCodeStatus::Expired
        );
    }
}
