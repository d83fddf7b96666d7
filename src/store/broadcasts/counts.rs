//! A broadcast's figures: what its plan holds and where its messages are, failures by reason.

use chrono::{DateTime, Utc};

use super::super::{on_reader, to_millis, Store, StoreError};

/// What the plan of a broadcast holds so far, over all its runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanCounts {
    pub runs: i64,
    /// Runs whose planning has not finished.
    pub planning: i64,
    pub queued: i64,
    pub capped: i64,
    pub seen_all: i64,
    /// Of the queued, people who opted out or were erased since.
    pub withdrawn: i64,
}

/// Where a broadcast's messages are in the outbox.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendCounts {
    /// Queued or being sent.
    pub waiting: i64,
    /// Taken by the aggregator, no delivery report yet.
    pub sent: i64,
    pub delivered: i64,
    pub failed: i64,
    /// Sent or not: a crash came between claim and record; settled by delivery reports.
    pub unknown: i64,
    /// Stopped before sending: opted out, erased, or the broadcast cancelled.
    pub suppressed: i64,
    /// Not sent within the validity period.
    pub expired: i64,
    /// Messages sent (or delivered) in the last minute.
    pub sent_last_minute: i64,
    /// Why the failed ones failed: the most common reasons (at most [`FAILURE_REASONS`]), each
    /// with its count, most common first.
    pub failures: Vec<(String, i64)>,
}

/// How many distinct failure reasons [`SendCounts`] lists.
pub const FAILURE_REASONS: i64 = 10;

#[derive(sqlx::FromRow)]
pub(super) struct CountRow {
    outcome: String,
    gone: bool,
    n: i64,
}

impl Store {
    /// Where a broadcast's messages are in the outbox, over all its runs.
    pub async fn send_counts(
        &self,
        broadcast_id: i64,
        now: DateTime<Utc>,
    ) -> Result<SendCounts, StoreError> {
        let rows: Vec<(String, i64, i64)> = on_reader!(self, pool => {
            sqlx::query_as(
                "SELECT o.status, COUNT(*), \
                 COUNT(CASE WHEN o.sent_at > $2 THEN 1 END) \
                 FROM outbox o WHERE o.kind = 'bulk' AND o.broadcast_id IN \
                 (SELECT id FROM broadcast_runs WHERE broadcast_id = $1) GROUP BY o.status",
            )
            .bind(broadcast_id)
            .bind(to_millis(now - chrono::Duration::minutes(1)))
            .fetch_all(pool)
            .await?
        });
        let failures: Vec<(Option<String>, i64)> = on_reader!(self, pool => {
            sqlx::query_as(
                "SELECT o.last_error, COUNT(*) AS n FROM outbox o \
                 WHERE o.kind = 'bulk' AND o.status = 'failed' AND o.broadcast_id IN \
                 (SELECT id FROM broadcast_runs WHERE broadcast_id = $1) \
                 GROUP BY o.last_error ORDER BY n DESC, o.last_error LIMIT $2",
            )
            .bind(broadcast_id)
            .bind(FAILURE_REASONS)
            .fetch_all(pool)
            .await?
        });
        let mut counts = SendCounts {
            failures: failures
                .into_iter()
                .map(|(reason, n)| (reason.unwrap_or_else(|| "no reason given".into()), n))
                .collect(),
            ..SendCounts::default()
        };
        for (status, n, last_minute) in rows {
            counts.sent_last_minute += last_minute;
            match status.as_str() {
                "queued" | "sending" => counts.waiting += n,
                "sent" => counts.sent += n,
                "delivered" => counts.delivered += n,
                "failed" => counts.failed += n,
                "unknown" => counts.unknown += n,
                "expired" => counts.expired += n,
                _ => counts.suppressed += n,
            }
        }
        Ok(counts)
    }

    /// The plan of a broadcast so far, over all its runs.
    pub async fn plan_counts(&self, broadcast_id: i64) -> Result<PlanCounts, StoreError> {
        let (runs, planning, rows): (i64, i64, Vec<CountRow>) = on_reader!(self, pool => {
            let (runs, planning): (i64, i64) = sqlx::query_as(
                "SELECT COUNT(*), COUNT(CASE WHEN planned_at IS NULL THEN 1 END) \
                 FROM broadcast_runs WHERE broadcast_id = $1",
            )
            .bind(broadcast_id)
            .fetch_one(pool)
            .await?;
            let rows = sqlx::query_as(
                "SELECT x.outcome, (p.status <> 'active') AS gone, COUNT(*) AS n \
                 FROM broadcast_recipients x JOIN broadcast_runs r ON r.id = x.run_id \
                 JOIN people p ON p.id = x.person_id WHERE r.broadcast_id = $1 \
                 GROUP BY x.outcome, (p.status <> 'active')",
            )
            .bind(broadcast_id)
            .fetch_all(pool)
            .await?;
            (runs, planning, rows)
        });
        let mut counts = PlanCounts {
            runs,
            planning,
            ..PlanCounts::default()
        };
        for row in rows {
            match row.outcome.as_str() {
                "queued" => {
                    counts.queued += row.n;
                    if row.gone {
                        counts.withdrawn += row.n;
                    }
                }
                "capped" => counts.capped += row.n,
                _ => counts.seen_all += row.n,
            }
        }
        Ok(counts)
    }
}
