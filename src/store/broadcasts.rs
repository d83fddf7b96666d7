//! Broadcasts, their runs (one per occurrence) and the planner's batches.
//!
//! Planning one batch is one write transaction: pick the oldest run still planning (locked with
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL, so two instances never plan the same run at once),
//! find the next `batch` people of the segment after the run's cursor, insert one recipient row
//! each (`ON CONFLICT DO NOTHING` on (run, person): planning twice changes nothing), and move the
//! cursor. A crash loses at most the batch in flight, which the next step plans again.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::tx::{Sql, Value};
use super::{from_millis, on_pool, on_reader, stored, to_millis, Backend, Store, StoreError};
use crate::broadcasts::plan::{BroadcastStatus, Content, Segment};
use crate::broadcasts::{FrequencyCap, TextKey, Timing};
use crate::enrollment::{Language, RecruiterKind, Script};

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

/// One planner step's work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedBatch {
    pub run_id: i64,
    pub broadcast_id: i64,
    /// Rows written (0 when the batch had been planned already, or the run is finished).
    pub rows: u64,
    pub finished: bool,
}

/// People of a segment by what they would get: (tip, language, script, outcome) → count.
pub type EstimateRows = Vec<(Option<i64>, Language, Script, String, i64)>;

#[derive(Serialize, Deserialize, Default)]
struct SegmentJson {
    #[serde(default)]
    areas: Vec<i64>,
    #[serde(default)]
    languages: Vec<String>,
    #[serde(default)]
    recruiter_kinds: Vec<String>,
    #[serde(default)]
    joined_after: Option<i64>,
    #[serde(default)]
    joined_before: Option<i64>,
}

fn segment_to_json(segment: &Segment) -> String {
    serde_json::to_string(&SegmentJson {
        areas: segment.areas.clone(),
        languages: segment.languages.iter().map(|l| l.tag().into()).collect(),
        recruiter_kinds: segment
            .recruiter_kinds
            .iter()
            .map(|k| k.tag().into())
            .collect(),
        joined_after: segment.joined_after.map(to_millis),
        joined_before: segment.joined_before.map(to_millis),
    })
    .expect("a segment serialises")
}

/// A stored segment. One that cannot be read whole is an error: a language or kind dropped
/// silently would widen the segment to everyone.
fn segment_from_json(json: &str) -> Result<Segment, StoreError> {
    let unreadable = |why: String| {
        StoreError::Other(anyhow::anyhow!(
            "a broadcast's segment in the database: {why}"
        ))
    };
    let segment: SegmentJson =
        serde_json::from_str(json).map_err(|err| unreadable(err.to_string()))?;
    let languages = segment
        .languages
        .iter()
        .map(|l| stored("language", l, Language::from_tag))
        .collect::<Result<_, _>>()?;
    let recruiter_kinds = segment
        .recruiter_kinds
        .iter()
        .map(|k| stored("recruiter kind", k, RecruiterKind::from_tag))
        .collect::<Result<_, _>>()?;
    Ok(Segment {
        areas: segment.areas,
        languages,
        recruiter_kinds,
        joined_after: segment.joined_after.map(from_millis),
        joined_before: segment.joined_before.map(from_millis),
    })
}

fn content_columns(content: &Content) -> (&'static str, Option<i64>, Option<String>) {
    match content {
        Content::Tip(id) => ("tip", Some(*id), None),
        Content::Drip => ("drip", None, None),
        Content::Custom(texts) => {
            let map: BTreeMap<&str, &str> = texts
                .iter()
                .map(|(key, text)| (key.tag(), text.as_str()))
                .collect();
            let json = serde_json::to_string(&map).expect("texts serialise");
            ("custom", None, Some(json))
        }
    }
}

/// Stored content; a kind or text key the code does not know is an error, never a drip.
fn content_from_columns(
    kind: &str,
    tip_id: Option<i64>,
    texts: Option<&str>,
) -> Result<Content, StoreError> {
    match (kind, tip_id) {
        ("tip", Some(id)) => Ok(Content::Tip(id)),
        ("drip", _) => Ok(Content::Drip),
        ("custom", _) => {
            let map: BTreeMap<String, String> = serde_json::from_str(texts.unwrap_or_default())
                .map_err(|err| {
                    StoreError::Other(anyhow::anyhow!(
                        "a broadcast's custom texts in the database: {err}"
                    ))
                })?;
            map.into_iter()
                .map(|(tag, text)| Ok((stored("text key", &tag, TextKey::from_tag)?, text)))
                .collect::<Result<_, StoreError>>()
                .map(Content::Custom)
        }
        (other, _) => stored("broadcast content", other, |_| None),
    }
}

#[derive(sqlx::FromRow)]
struct BroadcastRow {
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

const BROADCAST_SELECT: &str = "SELECT id, segment, content, tip_id, custom_texts, send_at, \
     cron, status, next_due_at, created_at FROM broadcasts";

/// The `WHERE` conditions that select a segment's active people (`people p`), with their
/// values, numbered from `$first`. `areas` is the segment's areas with everything inside them.
fn segment_filter(segment: &Segment, areas: &[i64], first: usize) -> (String, Vec<Value>) {
    let mut conditions = vec!["p.status = 'active'".to_string()];
    let mut binds = Vec::new();
    let list = |binds: &mut Vec<Value>, values: Vec<Value>| -> String {
        let start = first + binds.len();
        let placeholders: Vec<String> = (start..start + values.len())
            .map(|n| format!("${n}"))
            .collect();
        binds.extend(values);
        placeholders.join(", ")
    };
    if !segment.areas.is_empty() {
        if areas.is_empty() {
            conditions.push("1 = 0".into());
        } else {
            let values = areas.iter().map(|a| Value::from(*a)).collect();
            conditions.push(format!("p.area_id IN ({})", list(&mut binds, values)));
        }
    }
    if !segment.languages.is_empty() {
        let values = segment
            .languages
            .iter()
            .map(|l| Value::from(l.tag()))
            .collect();
        conditions.push(format!("p.language IN ({})", list(&mut binds, values)));
    }
    if !segment.recruiter_kinds.is_empty() {
        let values = segment
            .recruiter_kinds
            .iter()
            .map(|k| Value::from(k.tag()))
            .collect();
        conditions.push(format!(
            "p.recruited_by IN (SELECT id FROM recruiters WHERE kind IN ({}))",
            list(&mut binds, values)
        ));
    }
    if let Some(after) = segment.joined_after {
        let n = list(&mut binds, vec![Value::from(to_millis(after))]);
        conditions.push(format!("p.created_at >= {n}"));
    }
    if let Some(before) = segment.joined_before {
        let n = list(&mut binds, vec![Value::from(to_millis(before))]);
        conditions.push(format!("p.created_at < {n}"));
    }
    (conditions.join(" AND "), binds)
}

/// The segment's people between two ids, each with the tip they would get and the outcome:
/// columns `id, language, script, tip, outcome`. Placeholders: `$1` cap period start, `$2` due
/// time, `$3` the cap, `$4` after this id, `$5` up to this id, `$6` the tip (NULL for a drip or
/// a custom text); the filter's from `$7`.
fn candidates(drip: bool, filter: &str) -> String {
    let tip = if drip {
        "(SELECT t.id FROM tips t WHERE t.active AND NOT EXISTS (\
             SELECT 1 FROM broadcast_recipients s WHERE s.person_id = p.id \
             AND s.tip_id = t.id AND s.outcome = 'queued') \
         ORDER BY t.position, t.id LIMIT 1)"
    } else {
        "CAST($6 AS BIGINT)"
    };
    let seen_all = if drip {
        "WHEN c.tip IS NULL AND $6 IS NULL THEN 'seen_all' "
    } else {
        ""
    };
    format!(
        "SELECT c.id, c.language, c.script, c.tip, CASE {seen_all}\
         WHEN (SELECT COUNT(*) FROM broadcast_recipients r WHERE r.person_id = c.id \
               AND r.outcome = 'queued' AND r.due_at > $1 AND r.due_at <= $2) >= $3 \
         THEN 'capped' ELSE 'queued' END AS outcome \
         FROM (SELECT p.id, p.language, p.script, {tip} AS tip FROM people p \
               WHERE {filter} AND p.id > $4 AND p.id <= $5) c"
    )
}

/// The areas `$1`..`$count` and every area inside them.
fn areas_within_sql(count: usize) -> String {
    let placeholders: Vec<String> = (1..=count).map(|n| format!("${n}")).collect();
    format!(
        "WITH RECURSIVE inside(id) AS (SELECT id FROM areas WHERE id IN ({}) \
         UNION SELECT a.id FROM areas a JOIN inside ON a.parent_id = inside.id) \
         SELECT id FROM inside ORDER BY id",
        placeholders.join(", ")
    )
}

/// `choice(language, script, text_language, text_script, rank)`: for each language and script a
/// person can have, the tip texts they can read, 0 the best ([`TextKey::fallbacks`]).
fn text_choices() -> String {
    let people = TextKey::ALL
        .into_iter()
        .chain([TextKey::new(Language::English, Script::Roman)]);
    let rows: Vec<String> = people
        .flat_map(|person| {
            person
                .fallbacks()
                .iter()
                .enumerate()
                .map(move |(rank, text)| {
                    format!(
                        "('{}', '{}', '{}', '{}', {rank})",
                        person.language.tag(),
                        person.script.tag(),
                        text.language.tag(),
                        text.script.tag()
                    )
                })
        })
        .collect();
    format!(
        "choice(language, script, text_language, text_script, rank) AS (VALUES {})",
        rows.join(", ")
    )
}

/// The batch's messages into the outbox: one `bulk` row per queued recipient still active, with
/// the best text of their tip for them (none if they can read none of its texts). `$1` channel,
/// `$2` not before, `$3` expiry, `$4` now, `$5` the run, `$6`..`$7` the batch's person ids.
///
/// The best text is worked out once per tip, language and script of the batch (`best`, a few
/// rows), not once per person.
fn outbox_insert() -> String {
    format!(
        "WITH {choices}, \
         offered AS (SELECT t.tip_id, c.language, c.script, t.language AS text_language, \
             t.script AS text_script, c.rank FROM tip_texts t JOIN choice c \
             ON c.text_language = t.language AND c.text_script = t.script \
             WHERE t.tip_id IN (SELECT DISTINCT x.tip_id FROM broadcast_recipients x \
                 WHERE x.run_id = $5 AND x.person_id > $6 AND x.person_id <= $7 \
                 AND x.outcome = 'queued')), \
         best AS (SELECT o.* FROM offered o WHERE o.rank = (SELECT MIN(o2.rank) FROM offered o2 \
             WHERE o2.tip_id = o.tip_id AND o2.language = o.language AND o2.script = o.script)) \
         INSERT INTO outbox (channel, kind, priority, status, phone_ciphertext, phone_key_id, \
         phone_hint, person_id, broadcast_id, body, encoding, parts, dlt_template_id, \
         not_before, expires_at, next_attempt_at, created_at) \
         SELECT $1, 'bulk', 1, 'queued', p.phone_ciphertext, p.phone_key_id, p.phone_hint, \
         p.id, x.run_id, t.body, t.encoding, t.parts, t.template_id, $2, $3, $2, $4 \
         FROM broadcast_recipients x JOIN people p ON p.id = x.person_id \
         JOIN best b ON b.tip_id = x.tip_id AND b.language = p.language AND b.script = p.script \
         JOIN tip_texts t ON t.tip_id = b.tip_id AND t.language = b.text_language \
             AND t.script = b.text_script \
         WHERE x.run_id = $5 AND x.person_id > $6 AND x.person_id <= $7 \
         AND x.outcome = 'queued' AND p.status = 'active' AND p.phone_ciphertext IS NOT NULL \
         ON CONFLICT (broadcast_id, person_id) DO NOTHING",
        choices = text_choices()
    )
}

/// The PostgreSQL advisory lock key planning transactions take (any fixed number; "mitan" in
/// ASCII).
const PLANNING_LOCK: i64 = 0x006d_6974_616e;

#[derive(sqlx::FromRow)]
struct RunToPlan {
    id: i64,
    broadcast_id: i64,
    due_at: i64,
    not_before: i64,
    expires_at: i64,
    cursor: i64,
}

#[derive(sqlx::FromRow)]
struct CountRow {
    outcome: String,
    gone: bool,
    n: i64,
}

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

    /// The areas given and every area inside them.
    async fn areas_within(&self, roots: &[i64]) -> Result<Vec<i64>, StoreError> {
        if roots.is_empty() {
            return Ok(Vec::new());
        }
        let sql = areas_within_sql(roots.len());
        let ids = on_reader!(self, pool => {
            let mut query = sqlx::query_scalar(&sql);
            for root in roots {
                query = query.bind(*root);
            }
            query.fetch_all(pool).await?
        });
        Ok(ids)
    }

    /// Plans the next batch of the oldest run still planning; `None` when no run is.
    pub async fn plan_batch(
        &self,
        cap: FrequencyCap,
        batch: i64,
        channel: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PlannedBatch>, StoreError> {
        let pick = "SELECT r.id, r.broadcast_id, r.due_at, r.not_before, r.expires_at, r.cursor \
             FROM broadcast_runs r \
             JOIN broadcasts b ON b.id = r.broadcast_id \
             WHERE r.planned_at IS NULL AND b.status = 'active' ORDER BY r.id LIMIT 1";
        let pick = match self.backend {
            Backend::Sqlite { .. } => pick.to_string(),
            Backend::Postgres(_) => format!("{pick} FOR UPDATE OF r SKIP LOCKED"),
        };
        let serialise = matches!(self.backend, Backend::Postgres(_));
        let mut tx = self.begin_write().await?;
        if serialise {
            // The frequency cap counts what other runs queued: two instances planning two runs
            // at once would each see the other's batch uncommitted and both queue a person at
            // their cap. One planning transaction at a time (SQLite's single writer gives this
            // for free); the lock ends with the transaction.
            tx.execute(Sql::new("SELECT pg_advisory_xact_lock($1)").bind(PLANNING_LOCK))
                .await?;
        }
        let Some(run): Option<RunToPlan> = tx.fetch_optional(Sql::new(pick)).await? else {
            return Ok(None);
        };
        let row: BroadcastRow = tx
            .fetch_one(Sql::new(format!("{BROADCAST_SELECT} WHERE id = $1")).bind(run.broadcast_id))
            .await?;
        let broadcast = BroadcastRecord::try_from(row)?;
        let roots = &broadcast.segment.areas;
        let areas: Vec<i64> = if roots.is_empty() {
            Vec::new()
        } else {
            let within = Sql::new(areas_within_sql(roots.len()))
                .bind_all(roots.iter().map(|root| Value::from(*root)));
            let rows: Vec<(i64,)> = tx.fetch_all(within).await?;
            rows.into_iter().map(|(id,)| id).collect()
        };
        let (filter, binds) = segment_filter(&broadcast.segment, &areas, 3);
        let upper: Option<i64> = tx
            .fetch_value(
                Sql::new(format!(
                    "SELECT MAX(id) FROM (SELECT p.id FROM people p WHERE {filter} \
                     AND p.id > $1 ORDER BY p.id LIMIT $2) b"
                ))
                .bind(run.cursor)
                .bind(batch)
                .bind_all(binds),
            )
            .await?;
        let Some(upper) = upper else {
            tx.execute(
                Sql::new("UPDATE broadcast_runs SET planned_at = $2 WHERE id = $1")
                    .bind(run.id)
                    .bind(to_millis(now)),
            )
            .await?;
            tx.commit().await?;
            return Ok(Some(PlannedBatch {
                run_id: run.id,
                broadcast_id: run.broadcast_id,
                rows: 0,
                finished: true,
            }));
        };
        let (filter, binds) = segment_filter(&broadcast.segment, &areas, 8);
        let drip = broadcast.content == Content::Drip;
        let insert = format!(
            "INSERT INTO broadcast_recipients (run_id, person_id, tip_id, outcome, due_at) \
             SELECT $7, x.id, x.tip, x.outcome, $2 FROM ({}) x WHERE TRUE \
             ON CONFLICT (run_id, person_id) DO NOTHING",
            candidates(drip, &filter)
        );
        let due = from_millis(run.due_at);
        let rows = tx
            .execute(
                Sql::new(insert)
                    .bind(to_millis(FrequencyCap::period_start(due)))
                    .bind(run.due_at)
                    .bind(i64::from(cap.max_per_period))
                    .bind(run.cursor)
                    .bind(upper)
                    .bind(broadcast.tip_id)
                    .bind(run.id)
                    .bind_all(binds),
            )
            .await?;
        tx.execute(
            Sql::new(outbox_insert())
                .bind(channel)
                .bind(run.not_before)
                .bind(run.expires_at)
                .bind(to_millis(now))
                .bind(run.id)
                .bind(run.cursor)
                .bind(upper),
        )
        .await?;
        tx.execute(
            Sql::new("UPDATE broadcast_runs SET cursor = $2 WHERE id = $1")
                .bind(run.id)
                .bind(upper),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(PlannedBatch {
            run_id: run.id,
            broadcast_id: run.broadcast_id,
            rows,
            finished: false,
        }))
    }

    /// What planning `content` for `segment` at `due` would give, without writing anything.
    pub async fn estimate(
        &self,
        segment: &Segment,
        content: &Content,
        due: DateTime<Utc>,
        cap: FrequencyCap,
    ) -> Result<EstimateRows, StoreError> {
        let areas = self.areas_within(&segment.areas).await?;
        let (filter, binds) = segment_filter(segment, &areas, 7);
        let sql = format!(
            "SELECT x.tip, x.language, x.script, x.outcome, COUNT(*) AS n FROM ({}) x \
             GROUP BY x.tip, x.language, x.script, x.outcome",
            candidates(*content == Content::Drip, &filter)
        );
        let tip = match content {
            Content::Tip(id) => Some(*id),
            _ => None,
        };
        let rows: Vec<(Option<i64>, String, String, String, i64)> = self
            .read_all(
                Sql::new(sql)
                    .bind(to_millis(FrequencyCap::period_start(due)))
                    .bind(to_millis(due))
                    .bind(i64::from(cap.max_per_period))
                    .bind(0_i64)
                    .bind(i64::MAX)
                    .bind(tip)
                    .bind_all(binds),
            )
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(tip, language, script, outcome, n)| {
                Some((
                    tip,
                    Language::from_tag(&language)?,
                    Script::from_tag(&script)?,
                    outcome,
                    n,
                ))
            })
            .collect())
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

    /// How many planned messages of a broadcast carry each tip (`None`: custom text).
    pub async fn planned_tips(
        &self,
        broadcast_id: i64,
    ) -> Result<Vec<(Option<i64>, i64)>, StoreError> {
        let rows = on_reader!(self, pool => {
            sqlx::query_as(
                "SELECT x.tip_id, COUNT(*) FROM broadcast_recipients x \
                 JOIN broadcast_runs r ON r.id = x.run_id \
                 WHERE r.broadcast_id = $1 AND x.outcome = 'queued' \
                 GROUP BY x.tip_id ORDER BY x.tip_id",
            )
            .bind(broadcast_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }
}
