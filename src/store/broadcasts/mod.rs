//! Broadcasts, their runs (one per occurrence) and the planner's batches.
//!
//! Planning one batch is one write transaction: pick the oldest run still planning (locked with
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL, so two instances never plan the same run at once),
//! find the next `batch` people of the segment after the run's cursor, insert one recipient row
//! each (`ON CONFLICT DO NOTHING` on (run, person): planning twice changes nothing), and move the
//! cursor. A crash loses at most the batch in flight, which the next step plans again.

mod columns;
mod counts;
mod planning;

pub use counts::{PlanCounts, SendCounts};
pub use planning::{EstimateRows, PlannedBatch};

use chrono::{DateTime, Utc};

use super::tx::{Sql, Value};
use super::{from_millis, on_pool, on_reader, stored, to_millis, Store, StoreError};
use crate::broadcasts::plan::{BroadcastStatus, Content, Segment};
use crate::broadcasts::Timing;
use columns::{content_columns, content_from_columns, segment_from_json, segment_to_json};

/// A broadcast as an admin set it up.
#[derive(Debug, Clone)]
pub struct NewBroadcast<'a> {
    pub segment: &'a Segment,
    pub content: &'a Content,
    /// For custom texts: the inactive tip (category `custom`) they were saved as.
    pub custom_tip: Option<i64>,
    /// `send_at` of a one-off broadcast, or the cron rule of a recurring one.
    pub send_at: Option<DateTime<Utc>>,
    pub cron: Option<&'a str>,
    /// The first occurrence.
    pub first_due: DateTime<Utc>,
    pub created_by: &'a str,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct BroadcastRecord {
    pub id: i64,
    /// The tip every recipient gets: the one tip, or the custom texts' tip; `None` for a drip.
    pub tip_id: Option<i64>,
    pub segment: Segment,
    pub content: Content,
    pub send_at: Option<DateTime<Utc>>,
    pub cron: Option<String>,
    pub status: BroadcastStatus,
    pub next_due_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(super) struct BroadcastRow {
    id: i64,
    segment: String,
    content: String,
    tip_id: Option<i64>,
    custom_texts: Option<String>,
    send_at: Option<i64>,
    cron: Option<String>,
    status: String,
    next_due_at: Option<i64>,
    created_at: i64,
}

impl TryFrom<BroadcastRow> for BroadcastRecord {
    type Error = StoreError;

    fn try_from(row: BroadcastRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id,
            tip_id: row.tip_id,
            segment: segment_from_json(&row.segment)?,
            content: content_from_columns(&row.content, row.tip_id, row.custom_texts.as_deref())?,
            send_at: row.send_at.map(from_millis),
            cron: row.cron,
            status: stored("broadcast status", &row.status, BroadcastStatus::parse)?,
            next_due_at: row.next_due_at.map(from_millis),
            created_at: from_millis(row.created_at),
        })
    }
}

pub(super) const BROADCAST_SELECT: &str =
    "SELECT id, segment, content, tip_id, custom_texts, send_at, \
     cron, status, next_due_at, created_at FROM broadcasts";

impl Store {
    pub async fn create_broadcast(&self, new: &NewBroadcast<'_>) -> Result<i64, StoreError> {
        let (kind, tip_id, texts) = content_columns(new.content);
        let tip_id = tip_id.or(new.custom_tip);
        let id = on_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO broadcasts (segment, content, tip_id, custom_texts, send_at, cron, \
                 status, next_due_at, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9) RETURNING id",
            )
            .bind(segment_to_json(new.segment))
            .bind(kind)
            .bind(tip_id)
            .bind(texts)
            .bind(new.send_at.map(to_millis))
            .bind(new.cron)
            .bind(to_millis(new.first_due))
            .bind(new.created_by)
            .bind(to_millis(new.at))
            .fetch_one(pool)
            .await?
        });
        Ok(id)
    }

    /// Ids of broadcasts, newest first, below `before` (a page cursor).
    pub async fn broadcast_ids(&self, before: i64, limit: i64) -> Result<Vec<i64>, StoreError> {
        let ids = on_reader!(self, pool => {
            sqlx::query_scalar("SELECT id FROM broadcasts WHERE id < $1 ORDER BY id DESC LIMIT $2")
                .bind(before)
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        Ok(ids)
    }

    pub async fn broadcast(&self, id: i64) -> Result<Option<BroadcastRecord>, StoreError> {
        let sql = format!("{BROADCAST_SELECT} WHERE id = $1");
        let row: Option<BroadcastRow> = on_reader!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        row.map(TryInto::try_into).transpose()
    }

    /// Moves a broadcast from one of `from` to `to`; false if it was in none of them. Cancelling
    /// also withdraws its queued messages from the outbox (suppressed, recipient forgotten).
    pub async fn set_broadcast_status(
        &self,
        id: i64,
        from: &[BroadcastStatus],
        to: BroadcastStatus,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
        let placeholders: Vec<String> = (3..3 + from.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "UPDATE broadcasts SET status = $2 WHERE id = $1 AND status IN ({})",
            placeholders.join(", ")
        );
        let statement = Sql::new(sql)
            .bind(id)
            .bind(to.as_str())
            .bind_all(from.iter().map(|status| Value::from(*status)));
        let mut tx = self.begin_write().await?;
        let done = tx.execute(statement).await?;
        if done == 1 && to == BroadcastStatus::Cancelled {
            tx.execute(
                Sql::new(
                    "UPDATE outbox SET status = 'suppressed', finished_at = $2, \
                     phone_ciphertext = NULL, phone_key_id = NULL, recipient_tag = NULL, \
                     last_error = 'broadcast cancelled' WHERE status = 'queued' \
                     AND kind = 'bulk' AND broadcast_id IN \
                     (SELECT id FROM broadcast_runs WHERE broadcast_id = $1)",
                )
                .bind(id)
                .bind(to_millis(at)),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(done == 1)
    }

    /// Active broadcasts whose next occurrence is due at `now`.
    pub async fn due_broadcasts(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<BroadcastRecord>, StoreError> {
        let sql = format!(
            "{BROADCAST_SELECT} WHERE status = 'active' AND next_due_at <= $1 ORDER BY next_due_at"
        );
        let rows: Vec<BroadcastRow> = on_reader!(self, pool => {
            sqlx::query_as(&sql).bind(to_millis(now)).fetch_all(pool).await?
        });
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// Opens the run of the occurrence due at `due` (once: a second call does nothing) and moves
    /// the broadcast on to `next` (None: no more occurrences).
    pub async fn open_run(
        &self,
        broadcast_id: i64,
        due: DateTime<Utc>,
        timing: Timing,
        next: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        tx.execute(
            Sql::new(
                "INSERT INTO broadcast_runs (broadcast_id, due_at, not_before, expires_at, \
                 created_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (broadcast_id, due_at) DO NOTHING",
            )
            .bind(broadcast_id)
            .bind(to_millis(due))
            .bind(to_millis(timing.not_before))
            .bind(to_millis(timing.expires_at))
            .bind(to_millis(at)),
        )
        .await?;
        tx.execute(
            Sql::new("UPDATE broadcasts SET next_due_at = $2 WHERE id = $1 AND next_due_at = $3")
                .bind(broadcast_id)
                .bind(next.map(to_millis))
                .bind(to_millis(due)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
