//! Calls in the outbox: what the call flow reads of a placed call, and how its status callback
//! settles it.

use chrono::{DateTime, Utc};

use super::outbox::FORGET_RECIPIENT;
use super::tx::Sql;
use super::{from_millis, on_pool, stored, to_millis, Store, StoreError};
use crate::enrollment::Language;
use crate::outbox::{CallPlays, CallSettled, OutboundKind, OutboxStatus};

/// A call as its flow sees it.
#[derive(Debug, Clone)]
pub struct CallRecord {
    pub id: i64,
    pub channel: String,
    pub kind: OutboundKind,
    pub status: OutboxStatus,
    pub person_id: Option<i64>,
    /// The callee, sealed (ciphertext, key id), while the call may still be reported on.
    pub sealed: Option<(Vec<u8>, String)>,
    pub plays: CallPlays,
    pub attempts: u32,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct CallRow {
    id: i64,
    channel: String,
    kind: String,
    status: String,
    person_id: Option<i64>,
    phone_ciphertext: Option<Vec<u8>>,
    phone_key_id: Option<String>,
    tip_id: Option<i64>,
    language: Option<String>,
    attempts: i64,
    expires_at: Option<i64>,
}

impl Store {
    /// The call `id` (an outbox row of a call kind).
    pub async fn call(&self, id: i64) -> Result<Option<CallRecord>, StoreError> {
        let row: Option<CallRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, channel, kind, status, person_id, phone_ciphertext, phone_key_id, \
                 tip_id, language, attempts, expires_at FROM outbox \
                 WHERE id = $1 AND kind IN ('call', 'call_back')",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        let Some(row) = row else {
            return Ok(None);
        };
        let language = row.language.unwrap_or_default();
        Ok(Some(CallRecord {
            id: row.id,
            channel: row.channel,
            kind: stored("outbox kind", &row.kind, OutboundKind::parse)?,
            status: stored("outbox status", &row.status, OutboxStatus::parse)?,
            person_id: row.person_id,
            sealed: row.phone_ciphertext.zip(row.phone_key_id),
            plays: CallPlays {
                tip: row.tip_id,
                language: stored("call language", &language, Language::from_tag)?,
            },
            attempts: row.attempts.max(0) as u32,
            expires_at: row.expires_at.map(from_millis),
        }))
    }

    /// Settles a placed call that the provider knows as `provider_id` (`sent`, or `unknown`
    /// when its sender stopped before recording it), or a call whose request got no answer, so
    /// no id was recorded (`unknown`: the callback's URL names it, under its key). False when
    /// the call is not in such a state (a retried callback, or one for a call already settled
    /// or queued again): nothing changes.
    pub async fn settle_call(
        &self,
        id: i64,
        provider_id: &str,
        settled: &CallSettled,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (set, reason) = match settled {
            CallSettled::Ongoing => return Ok(false),
            CallSettled::Answered => (
                format!("status = 'delivered', finished_at = $3, {FORGET_RECIPIENT}"),
                None,
            ),
            // The next try is a new call: the provider's id of this one is let go, so that
            // its late callbacks find nothing to change.
            CallSettled::Retry { reason, .. } => (
                "status = 'queued', next_attempt_at = $5, provider_message_id = NULL, \
                 sent_at = NULL, last_error = $4"
                    .to_string(),
                Some(*reason),
            ),
            CallSettled::Failed { reason } => (
                format!("status = 'failed', finished_at = $3, last_error = $4, {FORGET_RECIPIENT}"),
                Some(*reason),
            ),
        };
        let sql = format!(
            "UPDATE outbox SET {set}, lease_owner = NULL, lease_expires_at = NULL \
             WHERE id = $1 AND kind IN ('call', 'call_back') AND (\
                 (provider_message_id = $2 AND status IN ('sent', 'unknown')) \
                 OR (provider_message_id IS NULL AND status = 'unknown'))"
        );
        let statement = Sql::new(sql)
            .bind(id)
            .bind(provider_id)
            .bind(to_millis(now));
        let statement = match settled {
            CallSettled::Retry { at, reason } => statement.bind(*reason).bind(to_millis(*at)),
            _ => match reason {
                Some(reason) => statement.bind(reason),
                None => statement,
            },
        };
        let mut tx = self.begin_write().await?;
        let changed = tx.execute(statement).await? == 1;
        tx.commit().await?;
        Ok(changed)
    }
}
