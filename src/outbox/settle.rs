//! What becomes of a message once the aggregator has answered its send: the dispatcher's one
//! decision, pure, so that every case is a row of a table test.

use std::time::Duration;

use crate::providers::SendResult;

/// What one dispatcher step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The aggregator took the message.
    Sent,
    /// A transient failure: the message waits for its next attempt.
    Retrying,
    /// A permanent failure, or too many transient ones.
    Failed,
    /// The request got no answer: perhaps sent. Never sent again; delivery reports settle it.
    Unknown,
    /// The number opted out or was erased after the message was queued.
    Suppressed,
    /// The message waited too long.
    Expired,
    /// Nothing is due.
    Idle,
}

/// How transient failures are retried (`outbound.max_attempts`, `backoff_base_secs`,
/// `backoff_max_secs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
}

/// What to record for a message after its send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    Sent {
        provider_id: String,
    },
    /// Try again once `after` has passed.
    Retry {
        after: Duration,
        reason: String,
    },
    /// Given up; `suppress` when the number itself refuses messages.
    Failed {
        error: String,
        suppress: bool,
    },
    /// Perhaps taken: kept for delivery reports, never sent again.
    Unanswered {
        reason: String,
    },
}

/// The record and the step's outcome for `result`, the answer to try number `attempts`
/// (1-based). `jitter` (from 0 to ½) spreads retries so failed sends do not retry in step.
pub fn settle(
    result: SendResult,
    attempts: u32,
    policy: &RetryPolicy,
    jitter: f64,
) -> (Settled, Outcome) {
    match result {
        SendResult::Accepted { provider_id } => (Settled::Sent { provider_id }, Outcome::Sent),
        SendResult::Transient { reason } if attempts < policy.max_attempts => {
            let after = backoff(attempts, policy.backoff_base, policy.backoff_max, jitter);
            (Settled::Retry { after, reason }, Outcome::Retrying)
        }
        SendResult::Transient { reason } => (
            Settled::Failed {
                error: format!("gave up after {attempts} attempts: {reason}"),
                suppress: false,
            },
            Outcome::Failed,
        ),
        SendResult::Unanswered { reason } => (Settled::Unanswered { reason }, Outcome::Unknown),
        SendResult::Permanent { reason, suppress } => (
            Settled::Failed {
                error: reason,
                suppress,
            },
            Outcome::Failed,
        ),
    }
}

/// The delay before retry number `attempt` (1-based): `base · 2^(attempt-1)`, at most `max`,
/// with "equal jitter": half of it, plus `jitter` (from 0 to ½) of it.
pub fn backoff(attempt: u32, base: Duration, max: Duration, jitter: f64) -> Duration {
    let exponent = attempt.saturating_sub(1).min(20);
    let full = base.saturating_mul(1 << exponent).min(max);
    full / 2 + full.mul_f64(jitter.clamp(0.0, 0.5))
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        max_attempts: 3,
        backoff_base: Duration::from_secs(10),
        backoff_max: Duration::from_secs(60),
    };

    fn transient() -> SendResult {
        SendResult::Transient {
            reason: "HTTP 503".into(),
        }
    }

    #[test]
    fn each_answer_settles_the_message_as_the_outbox_rules_say() {
        let failed = |error: &str, suppress| Settled::Failed {
            error: error.into(),
            suppress,
        };
        let retry = |secs| Settled::Retry {
            after: Duration::from_secs(secs),
            reason: "HTTP 503".into(),
        };
        let cases = [
            (
                SendResult::Accepted {
                    provider_id: "agg-1".into(),
                },
                1,
                Settled::Sent {
                    provider_id: "agg-1".into(),
                },
                Outcome::Sent,
            ),
            // Transient: retried after 10 s, then 20 s; the third try is the last.
            (transient(), 1, retry(5), Outcome::Retrying),
            (transient(), 2, retry(10), Outcome::Retrying),
            (
                transient(),
                3,
                failed("gave up after 3 attempts: HTTP 503", false),
                Outcome::Failed,
            ),
            (
                SendResult::Unanswered {
                    reason: "timed out".into(),
                },
                1,
                Settled::Unanswered {
                    reason: "timed out".into(),
                },
                Outcome::Unknown,
            ),
            (
                SendResult::Permanent {
                    reason: "HTTP 400: invalid number".into(),
                    suppress: true,
                },
                1,
                failed("HTTP 400: invalid number", true),
                Outcome::Failed,
            ),
            (
                SendResult::Permanent {
                    reason: "not configured: secret".into(),
                    suppress: false,
                },
                2,
                failed("not configured: secret", false),
                Outcome::Failed,
            ),
        ];
        for (result, attempts, settled, outcome) in cases {
            let what = format!("{result:?} at try {attempts}");
            assert_eq!(
                settle(result, attempts, &POLICY, 0.0),
                (settled, outcome),
                "{what}"
            );
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_up_to_its_cap() {
        let base = Duration::from_secs(5);
        let max = Duration::from_secs(900);
        for attempt in 1..=12 {
            let full = (base * (1 << (attempt - 1))).min(max);
            assert_eq!(backoff(attempt, base, max, 0.0), full / 2);
            assert_eq!(backoff(attempt, base, max, 0.5), full);
            let some = backoff(attempt, base, max, 0.3);
            assert!(some > full / 2 && some < full, "{attempt}: {some:?}");
        }
        assert_eq!(backoff(40, base, max, 0.5), max);
        assert_eq!(
            backoff(2, base, max, 7.0),
            backoff(2, base, max, 0.5),
            "jitter is capped"
        );
    }
}
