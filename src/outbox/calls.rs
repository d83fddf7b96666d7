//! How a placed call ends, pure: its status callback settles the outbox row, and a call that
//! rang busy or unanswered is placed again later while it still may be.

use chrono::{DateTime, Duration, Utc};

use crate::providers::CallOutcome;

/// What a call's end does to its row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallSettled {
    /// Still ringing or talking: nothing yet.
    Ongoing,
    /// Answered: delivered.
    Answered,
    /// Busy or unanswered: queued again for `at`.
    Retry {
        at: DateTime<Utc>,
        reason: &'static str,
    },
    /// Busy or unanswered with no try left, or failed: given up.
    Failed { reason: &'static str },
}

/// When to try a call again, and how often at most.
#[derive(Debug, Clone, Copy)]
pub struct CallRetries {
    pub after: Duration,
    /// Tries in all, the first included.
    pub max_attempts: u32,
}

/// The row after a status callback: a busy or unanswered call that has tries left and would be
/// placed again before it expires is queued again (the dispatcher places it only inside the
/// sending window, as it does every broadcast); otherwise it fails.
pub fn settle_call(
    outcome: CallOutcome,
    attempts: u32,
    expires_at: Option<DateTime<Utc>>,
    retries: CallRetries,
    now: DateTime<Utc>,
) -> CallSettled {
    let reason = match outcome {
        CallOutcome::Ongoing => return CallSettled::Ongoing,
        CallOutcome::Completed => return CallSettled::Answered,
        CallOutcome::Failed => {
            return CallSettled::Failed {
                reason: "call failed",
            }
        }
        CallOutcome::Busy => "busy",
        CallOutcome::NoAnswer => "no answer",
    };
    let at = now + retries.after;
    let in_time = expires_at.is_none_or(|expires| at < expires);
    if attempts < retries.max_attempts && in_time {
        CallSettled::Retry { at, reason }
    } else {
        CallSettled::Failed { reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_and_unanswered_calls_are_tried_again_while_tries_and_time_are_left() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T06:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let retries = CallRetries {
            after: Duration::minutes(30),
            max_attempts: 2,
        };
        let later = now + Duration::minutes(30);
        let cases = [
            (CallOutcome::Completed, 1, None, CallSettled::Answered),
            (CallOutcome::Ongoing, 1, None, CallSettled::Ongoing),
            (
                CallOutcome::Failed,
                1,
                None,
                CallSettled::Failed {
                    reason: "call failed",
                },
            ),
            (
                CallOutcome::Busy,
                1,
                None,
                CallSettled::Retry {
                    at: later,
                    reason: "busy",
                },
            ),
            (
                CallOutcome::NoAnswer,
                1,
                Some(now + Duration::hours(1)),
                CallSettled::Retry {
                    at: later,
                    reason: "no answer",
                },
            ),
            (
                CallOutcome::Busy,
                2,
                None,
                CallSettled::Failed { reason: "busy" },
            ),
            // The retry would come after the tip expires: given up now.
            (
                CallOutcome::NoAnswer,
                1,
                Some(now + Duration::minutes(20)),
                CallSettled::Failed {
                    reason: "no answer",
                },
            ),
        ];
        for (outcome, attempts, expires, expected) in cases {
            assert_eq!(
                settle_call(outcome, attempts, expires, retries, now),
                expected,
                "{outcome:?} after {attempts}"
            );
        }
    }
}
