//! The outbox: every outbound SMS, from the moment the state change that caused it commits until
//! its final delivery report. Claimed with a lease in one short write, sent outside any
//! transaction, recorded in another short write.

use chrono::{DateTime, Utc};

use super::suppressions::suppress;
use super::tx::{Sql, WriteTx};
use super::{from_millis, on_pool, stored, to_millis, Store, StoreError};
use crate::encoding::Encoding;
use crate::enrollment::Language;
use crate::outbox::{CallPlays, NewOutbound, OutboundKind, OutboxStatus};
use crate::privacy::BlindIndex;

/// A message this worker has claimed and must send, then record.
#[derive(Debug, Clone)]
pub struct ClaimedMessage {
    pub id: i64,
    pub channel: String,
    pub kind: OutboundKind,
    pub ciphertext: Option<Vec<u8>>,
    pub key_id: Option<String>,
    pub body: String,
    pub encoding: Encoding,
    pub parts: usize,
    pub dlt_template_id: Option<String>,
    /// Tries so far, this one included.
    pub attempts: u32,
    pub expires_at: Option<DateTime<Utc>>,
    pub person_id: Option<i64>,
    /// What a call plays (calls only).
    pub call: Option<CallPlays>,
}

/// How one send ended, to record.
#[derive(Debug, Clone)]
pub enum SendRecord<'a> {
    Sent {
        provider_id: &'a str,
    },
    Retry {
        at: DateTime<Utc>,
        error: &'a str,
    },
    Failed {
        error: &'a str,
        suppress: Option<&'a BlindIndex>,
    },
    /// Sent, perhaps: the request got no answer. Kept (sealed) for delivery reports.
    Unanswered {
        error: &'a str,
    },
    Suppressed,
    Expired,
}

/// What a delivery report did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportApplied {
    /// No message has that id on that channel.
    UnknownMessage,
    /// The report came late or out of order: nothing moved.
    Unchanged(OutboxStatus),
    /// The message moved on; `sealed` is its recipient (ciphertext, key id) when the caller may
    /// need it (to suppress a number that refused the message).
    Moved {
        from: OutboxStatus,
        to: OutboxStatus,
        sealed: Option<(Vec<u8>, String)>,
    },
}

/// One message as an operator (or a test) sees it: never the number, only its hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: i64,
    pub channel: String,
    pub kind: OutboundKind,
    pub status: OutboxStatus,
    pub hint: String,
    /// Whether the sealed number is still held.
    pub sealed: bool,
    pub body: String,
    pub encoding: Encoding,
    pub parts: usize,
    pub attempts: u32,
    pub provider_message_id: Option<String>,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
}

pub(super) fn encoding_tag(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Gsm7 => "gsm7",
        Encoding::Ucs2 => "ucs2",
    }
}

pub(super) fn parse_encoding(tag: &str) -> Option<Encoding> {
    match tag {
        "gsm7" => Some(Encoding::Gsm7),
        "ucs2" => Some(Encoding::Ucs2),
        _ => None,
    }
}

pub(super) const INSERT_OUTBOUND: &str = "INSERT INTO outbox (channel, kind, priority, status, \
     recipient_tag, phone_ciphertext, phone_key_id, phone_hint, person_id, broadcast_id, body, \
     encoding, parts, dlt_template_id, not_before, expires_at, attempts, next_attempt_at, \
     created_at, tip_id, language) VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7, $8, $9, $10, \
     $11, $12, $13, $14, $15, 0, $14, $16, $17, $18) RETURNING id";

/// Queues `message` inside the caller's write transaction at `now` (epoch ms); the new row's id.
pub(super) async fn insert_outbound(
    tx: &mut WriteTx<'_>,
    message: &NewOutbound,
    now: i64,
) -> Result<i64, sqlx::Error> {
    tx.fetch_value(
        Sql::new(INSERT_OUTBOUND)
            .bind(&message.channel)
            .bind(message.kind.tag())
            .bind(message.kind.priority())
            .bind(message.recipient_tag.as_slice())
            .bind(&message.phone.ciphertext)
            .bind(&message.phone.key_id)
            .bind(&message.phone.hint)
            .bind(message.person_id)
            .bind(message.broadcast_id)
            .bind(&message.body)
            .bind(encoding_tag(message.encoding))
            .bind(message.parts as i64)
            .bind(message.dlt_template_id.as_deref())
            .bind(to_millis(message.not_before))
            .bind(message.expires_at.map(to_millis))
            .bind(now)
            .bind(message.call.and_then(|call| call.tip))
            .bind(message.call.map(|call| call.language.tag())),
    )
    .await
}

/// Marks everything still queued for a number as suppressed (a STOP or DELETE), except the
/// confirmations of an earlier STOP; how many.
pub(super) async fn cancel_queued_in(
    tx: &mut WriteTx<'_>,
    recipient_tag: &[u8],
    now: i64,
) -> Result<u64, sqlx::Error> {
    tx.execute(
        Sql::new(
            "UPDATE outbox SET status = 'suppressed', finished_at = $2, phone_ciphertext = NULL, \
             phone_key_id = NULL, recipient_tag = NULL, last_error = 'stopped by the recipient' \
             WHERE recipient_tag = $1 AND status = 'queued' AND kind <> 'confirmation'",
        )
        .bind(recipient_tag)
        .bind(now),
    )
    .await
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: i64,
    channel: String,
    kind: String,
    phone_ciphertext: Option<Vec<u8>>,
    phone_key_id: Option<String>,
    body: String,
    encoding: String,
    parts: i64,
    dlt_template_id: Option<String>,
    attempts: i64,
    expires_at: Option<i64>,
    person_id: Option<i64>,
    tip_id: Option<i64>,
    language: Option<String>,
}

/// The row a delivery report looks at: id, status, ciphertext, key id.
type ReportRow = (i64, String, Option<Vec<u8>>, Option<String>);

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: i64,
    channel: String,
    kind: String,
    status: String,
    phone_hint: String,
    phone_ciphertext: Option<Vec<u8>>,
    body: String,
    encoding: String,
    parts: i64,
    attempts: i64,
    provider_message_id: Option<String>,
    last_error: Option<String>,
    next_attempt_at: i64,
}

/// A message's body: its own, or a broadcast's text it names (`outbox_texts`).
const BODY: &str =
    "COALESCE(outbox.body, (SELECT t.body FROM outbox_texts t WHERE t.id = outbox.text_id)) AS body";

/// Clears the sealed recipient of a message that reached a final state: only the hint stays.
pub(super) const FORGET_RECIPIENT: &str =
    "phone_ciphertext = NULL, phone_key_id = NULL, recipient_tag = NULL";

impl Store {
    /// Queues one message on its own (replies are queued with their state change instead).
    pub async fn enqueue(
        &self,
        message: &NewOutbound,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let id = insert_outbound(&mut tx, message, to_millis(now)).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Claims up to `limit` due messages for `owner` until `lease_until`: replies first, then
    /// the oldest. Two workers never claim the same message. Broadcast (`bulk`) messages are
    /// claimed only while `bulk_open` (the sending window is open) and their broadcast is active
    /// (not paused or cancelled).
    pub async fn claim_due(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
        bulk_open: bool,
    ) -> Result<Vec<ClaimedMessage>, StoreError> {
        let due = "SELECT id FROM outbox WHERE status = 'queued' AND next_attempt_at <= $3 \
                   AND (kind NOT IN ('bulk', 'call') OR ($5 AND (broadcast_id IS NULL OR broadcast_id IN (\
                       SELECT r.id FROM broadcast_runs r JOIN broadcasts b \
                       ON b.id = r.broadcast_id WHERE b.status = 'active')))) \
                   ORDER BY priority, next_attempt_at, id LIMIT $4";
        let lock = match self.backend {
            super::Backend::Postgres(_) => " FOR UPDATE SKIP LOCKED",
            super::Backend::Sqlite { .. } => "",
        };
        let sql = format!(
            "UPDATE outbox SET status = 'sending', lease_owner = $1, lease_expires_at = $2, \
             attempts = attempts + 1 WHERE id IN ({due}{lock}) \
             RETURNING id, channel, kind, phone_ciphertext, phone_key_id, {BODY}, encoding, parts, \
             dlt_template_id, attempts, expires_at, person_id, tip_id, language"
        );
        let mut rows: Vec<ClaimRow> = self
            .write_alone(
                Sql::new(sql)
                    .bind(owner)
                    .bind(to_millis(lease_until))
                    .bind(to_millis(now))
                    .bind(limit)
                    .bind(bulk_open),
            )
            .await?;
        rows.sort_by_key(|row| row.id);
        rows.into_iter()
            .map(|row| {
                Ok(ClaimedMessage {
                    id: row.id,
                    channel: row.channel,
                    kind: stored("outbox kind", &row.kind, OutboundKind::parse)?,
                    ciphertext: row.phone_ciphertext,
                    key_id: row.phone_key_id,
                    body: row.body,
                    encoding: stored("encoding", &row.encoding, parse_encoding)?,
                    parts: row.parts.max(0) as usize,
                    dlt_template_id: row.dlt_template_id,
                    attempts: row.attempts.max(0) as u32,
                    expires_at: row.expires_at.map(from_millis),
                    person_id: row.person_id,
                    call: match row.language {
                        Some(tag) => Some(CallPlays {
                            tip: row.tip_id,
                            language: stored("call language", &tag, Language::from_tag)?,
                        }),
                        None => None,
                    },
                })
            })
            .collect()
    }

    /// Claims whose lease ran out (their worker crashed mid-send) become `unknown`: the message
    /// may or may not have left, so it is settled by delivery reports, never sent again.
    pub async fn expire_leases(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE outbox SET status = 'unknown', lease_expires_at = NULL, \
                 last_error = 'the sender stopped before recording the send' \
                 WHERE status = 'sending' AND lease_expires_at <= $1",
            )
            .bind(to_millis(now))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done)
    }

    /// Records how a claimed send ended. Returns false when the claim is no longer `owner`'s.
    pub async fn record_send(
        &self,
        id: i64,
        owner: &str,
        record: &SendRecord<'_>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let now = to_millis(now);
        if let SendRecord::Failed {
            suppress: Some(_), ..
        } = record
        {
            let mut tx = self.begin_write().await?;
            let changed = record_in(&mut tx, id, owner, record, now).await?;
            tx.commit().await?;
            return Ok(changed);
        }
        // One statement: a transaction of its own.
        let changed: Vec<(i64,)> = self
            .write_alone(record_statement(id, owner, record, now))
            .await?;
        Ok(!changed.is_empty())
    }

    /// Records how several claimed sends of `owner`'s ended, each as [`Store::record_send`]
    /// would and with its result, in order. They are written in one transaction, every `Sent`
    /// in one statement; should that fail (an aggregator id another message already has, say),
    /// each is recorded on its own, so one message's failure costs the others nothing.
    pub async fn record_sends(
        &self,
        owner: &str,
        records: &[(i64, SendRecord<'_>)],
        now: DateTime<Utc>,
    ) -> Vec<Result<bool, StoreError>> {
        if let [(id, record)] = records {
            return vec![self.record_send(*id, owner, record, now).await];
        }
        match self.record_together(owner, records, to_millis(now)).await {
            Ok(changed) => return changed.into_iter().map(Ok).collect(),
            Err(err) => tracing::debug!(
                error = %err,
                messages = records.len(),
                "recording sends together failed; recording each on its own"
            ),
        }
        let mut results = Vec::with_capacity(records.len());
        for (id, record) in records {
            results.push(self.record_send(*id, owner, record, now).await);
        }
        results
    }

    /// [`Store::record_sends`] in one transaction; whether each record changed its message.
    async fn record_together(
        &self,
        owner: &str,
        records: &[(i64, SendRecord<'_>)],
        now: i64,
    ) -> Result<Vec<bool>, sqlx::Error> {
        let sent: Vec<(i64, &str)> = records
            .iter()
            .filter_map(|(id, record)| match record {
                SendRecord::Sent { provider_id } => Some((*id, *provider_id)),
                _ => None,
            })
            .collect();
        let others: Vec<&(i64, SendRecord<'_>)> = records
            .iter()
            .filter(|(_, record)| !matches!(record, SendRecord::Sent { .. }))
            .collect();
        let sent = (!sent.is_empty()).then(|| sent_statement(owner, &sent, now));
        let mut changed: Vec<i64> = Vec::new();
        match sent {
            Some(sent) if others.is_empty() => {
                let rows: Vec<(i64,)> = self.write_alone(sent).await?;
                changed.extend(rows.into_iter().map(|(id,)| id));
            }
            sent => {
                let mut tx = self.begin_write().await?;
                if let Some(sent) = sent {
                    let rows: Vec<(i64,)> = tx.fetch_all(sent).await?;
                    changed.extend(rows.into_iter().map(|(id,)| id));
                }
                for (id, record) in others {
                    if record_in(&mut tx, *id, owner, record, now).await? {
                        changed.push(*id);
                    }
                }
                tx.commit().await?;
            }
        }
        Ok(records.iter().map(|(id, _)| changed.contains(id)).collect())
    }

    /// Applies a delivery report to the message the aggregator knows as `provider_id`.
    pub async fn apply_report(
        &self,
        channel: &str,
        provider_id: &str,
        mitan_id: Option<i64>,
        reported: OutboxStatus,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<ReportApplied, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut row: Option<ReportRow> = tx
            .fetch_optional(
                Sql::new(
                    "SELECT id, status, phone_ciphertext, phone_key_id FROM outbox \
                     WHERE channel = $1 AND provider_message_id = $2",
                )
                .bind(channel)
                .bind(provider_id),
            )
            .await?;
        if let (None, Some(mitan_id)) = (&row, mitan_id) {
            // A send that got no answer has no aggregator id: the report names it by ours.
            row = tx
                .fetch_optional(
                    Sql::new(
                        "SELECT id, status, phone_ciphertext, phone_key_id FROM outbox \
                         WHERE channel = $1 AND id = $2 AND provider_message_id IS NULL",
                    )
                    .bind(channel)
                    .bind(mitan_id),
                )
                .await?;
        }
        let Some((id, current, ciphertext, key_id)) = row else {
            return Ok(ReportApplied::UnknownMessage);
        };
        let current = stored("outbox status", &current, OutboxStatus::parse)?;
        let Some(next) = current.after_report(reported) else {
            return Ok(ReportApplied::Unchanged(current));
        };
        let forget = if next.is_final() {
            format!(", finished_at = $4, {FORGET_RECIPIENT}")
        } else {
            String::new()
        };
        let update = Sql::new(format!(
            "UPDATE outbox SET status = $2, last_error = COALESCE($3, last_error), \
             lease_owner = NULL, lease_expires_at = NULL{forget} WHERE id = $1"
        ))
        .bind(id)
        .bind(next.as_str())
        .bind(reason);
        let update = if next.is_final() {
            update.bind(to_millis(now))
        } else {
            update
        };
        tx.execute(update).await?;
        tx.commit().await?;
        Ok(ReportApplied::Moved {
            from: current,
            to: next,
            sealed: ciphertext.zip(key_id),
        })
    }

    /// Housekeeping: queued messages past their expiry become `expired`; messages sent more than
    /// `forget_before` ago without a final report forget their sealed recipient. Returns how
    /// many rows changed.
    pub async fn tidy_outbox(
        &self,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let changed = on_pool!(self, pool => {
            let expired = sqlx::query(&format!(
                "UPDATE outbox SET status = 'expired', finished_at = $1, \
                 last_error = 'not sent in time', {FORGET_RECIPIENT} \
                 WHERE status = 'queued' AND expires_at <= $1"
            ))
            .bind(to_millis(now))
            .execute(pool)
            .await?
            .rows_affected();
            let forgotten = sqlx::query(&format!(
                "UPDATE outbox SET {FORGET_RECIPIENT} WHERE status IN ('sent', 'unknown') \
                 AND phone_ciphertext IS NOT NULL AND created_at <= $1"
            ))
            .bind(to_millis(forget_before))
            .execute(pool)
            .await?
            .rows_affected();
            expired + forgotten
        });
        Ok(changed)
    }

    /// Every message, oldest first (for operators and tests; numbers appear only as hints).
    pub async fn outbox_entries(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let rows: Vec<EntryRow> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT id, channel, kind, status, phone_hint, phone_ciphertext, {BODY}, \
                 encoding, parts, attempts, provider_message_id, last_error, next_attempt_at \
                 FROM outbox ORDER BY id"
            ))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|row| {
                Ok(OutboxEntry {
                    id: row.id,
                    channel: row.channel,
                    kind: stored("outbox kind", &row.kind, OutboundKind::parse)?,
                    status: stored("outbox status", &row.status, OutboxStatus::parse)?,
                    hint: row.phone_hint,
                    sealed: row.phone_ciphertext.is_some(),
                    body: row.body,
                    encoding: stored("encoding", &row.encoding, parse_encoding)?,
                    parts: row.parts.max(0) as usize,
                    attempts: row.attempts.max(0) as u32,
                    provider_message_id: row.provider_message_id,
                    last_error: row.last_error,
                    next_attempt_at: from_millis(row.next_attempt_at),
                })
            })
            .collect()
    }
}

/// The statement that records one send of `owner`'s (`RETURNING id` when it changed the row).
fn record_statement(id: i64, owner: &str, record: &SendRecord<'_>, now: i64) -> Sql {
    let guard = "WHERE id = $1 AND lease_owner = $2 AND status IN ('sending', 'unknown')";
    let (status, set) = match record {
        SendRecord::Sent { .. } => (
            OutboxStatus::Sent,
            "provider_message_id = $4, sent_at = $3, last_error = NULL".to_string(),
        ),
        SendRecord::Retry { .. } => (
            OutboxStatus::Queued,
            // $3 (now) bounds the retry time from below, and gives PostgreSQL its type.
            "next_attempt_at = CASE WHEN $4 > $3 THEN $4 ELSE $3 END, last_error = $5".to_string(),
        ),
        SendRecord::Failed { .. } => (
            OutboxStatus::Failed,
            format!("finished_at = $3, last_error = $4, {FORGET_RECIPIENT}"),
        ),
        SendRecord::Unanswered { .. } => (
            OutboxStatus::Unknown,
            "sent_at = $3, last_error = $4".to_string(),
        ),
        SendRecord::Suppressed => (
            OutboxStatus::Suppressed,
            format!(
                "finished_at = $3, last_error = 'the number is suppressed', {FORGET_RECIPIENT}"
            ),
        ),
        SendRecord::Expired => (
            OutboxStatus::Expired,
            format!("finished_at = $3, last_error = 'not sent in time', {FORGET_RECIPIENT}"),
        ),
    };
    let sql = format!(
        "UPDATE outbox SET status = '{}', lease_owner = NULL, lease_expires_at = NULL, {set} \
         {guard} RETURNING id",
        status.as_str()
    );
    let statement = Sql::new(sql).bind(id).bind(owner).bind(now);
    match record {
        SendRecord::Sent { provider_id } => statement.bind(*provider_id),
        SendRecord::Retry { at, error } => statement.bind(to_millis(*at)).bind(*error),
        SendRecord::Failed { error, .. } | SendRecord::Unanswered { error } => {
            statement.bind(*error)
        }
        SendRecord::Suppressed | SendRecord::Expired => statement,
    }
}

/// Records one send inside `tx` (and suppresses the number a refusal names); whether it
/// changed the message.
async fn record_in(
    tx: &mut WriteTx<'_>,
    id: i64,
    owner: &str,
    record: &SendRecord<'_>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let changed: Vec<(i64,)> = tx
        .fetch_all(record_statement(id, owner, record, now))
        .await?;
    let changed = !changed.is_empty();
    if let (
        true,
        SendRecord::Failed {
            suppress: Some(index),
            ..
        },
    ) = (changed, record)
    {
        suppress(tx, index, "refused_by_network", now).await?;
    }
    Ok(changed)
}

/// One statement that records several sends of `owner`'s as sent, each with its aggregator
/// id (`(message id, aggregator id)`); it returns the ids of the messages it changed.
fn sent_statement(owner: &str, sent: &[(i64, &str)], now: i64) -> Sql {
    let mut sql = Sql::new("").bind(owner).bind(now);
    let mut cases = String::new();
    let mut ids = Vec::with_capacity(sent.len());
    for (id, provider_id) in sent {
        let id = sql.placeholder(*id);
        let provider_id = sql.placeholder(*provider_id);
        cases.push_str(&format!(" WHEN {id} THEN {provider_id}"));
        ids.push(id);
    }
    sql.with_text(format!(
        "UPDATE outbox SET status = 'sent', lease_owner = NULL, lease_expires_at = NULL, \
         provider_message_id = CASE id{cases} END, sent_at = $2, last_error = NULL \
         WHERE id IN ({}) AND lease_owner = $1 AND status IN ('sending', 'unknown') \
         RETURNING id",
        ids.join(", ")
    ))
}
