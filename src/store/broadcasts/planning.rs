//! Planning: the segment's people a batch at a time, with the tip each gets, into recipient rows
//! and outbox messages in one transaction; and the dry run's estimate of the same.

use chrono::{DateTime, Utc};

use super::super::tx::{Sql, Value};
use super::super::{from_millis, on_reader, to_millis, Backend, Store, StoreError};
use super::{BroadcastRecord, BroadcastRow, BROADCAST_SELECT};
use crate::broadcasts::plan::{Content, Segment};
use crate::broadcasts::{FrequencyCap, TextKey};
use crate::enrollment::{Language, Script};

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

/// The `WHERE` conditions that select a segment's active people (`people p`), with their
/// values, numbered from `$first`. `areas` is the segment's areas with everything inside them.
pub(super) fn segment_filter(
    segment: &Segment,
    areas: &[i64],
    first: usize,
) -> (String, Vec<Value>) {
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
///
/// For a drip the people and their next tips are a `MATERIALIZED` CTE: the outcome reads the
/// tip twice, and SQLite, flattening a plain subquery into the outer select, walked each
/// person's seen tips once for each mention.
pub(super) fn candidates(drip: bool, filter: &str) -> String {
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
    let people = format!(
        "SELECT p.id, p.language, p.script, {tip} AS tip FROM people p \
         WHERE {filter} AND p.id > $4 AND p.id <= $5"
    );
    let (with, from) = if drip {
        (
            format!("WITH c AS MATERIALIZED ({people}) "),
            "c".to_string(),
        )
    } else {
        (String::new(), format!("({people}) c"))
    };
    format!(
        "{with}SELECT c.id, c.language, c.script, c.tip, CASE {seen_all}\
         WHEN (SELECT COUNT(*) FROM broadcast_recipients r WHERE r.person_id = c.id \
               AND r.outcome = 'queued' AND r.due_at > $1 AND r.due_at <= $2) >= $3 \
         THEN 'capped' ELSE 'queued' END AS outcome \
         FROM {from}"
    )
}

/// The areas `$1`..`$count` and every area inside them.
pub(super) fn areas_within_sql(count: usize) -> String {
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
pub(super) fn text_choices() -> String {
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

/// `best(tip_id, language, script, text_language, text_script, body, encoding, parts,
/// template_id)`: for each tip, language and script among the batch's queued recipients (run
/// `run`, people after `after` up to `upto`), the best text of the tip they can read.
///
/// Worked out once per tip, language and script of the batch (a few rows), not once per person;
/// `offered` and `best` are `MATERIALIZED`, as SQLite inlined them and worked them out again for
/// each person.
fn best_texts(run: &str, after: &str, upto: &str) -> String {
    format!(
        "{choices}, \
         offered AS MATERIALIZED (SELECT t.tip_id, c.language, c.script, \
             t.language AS text_language, t.script AS text_script, c.rank \
             FROM tip_texts t JOIN choice c ON c.text_language = t.language \
             AND c.text_script = t.script \
             WHERE t.tip_id IN (SELECT DISTINCT x.tip_id FROM broadcast_recipients x \
                 WHERE x.run_id = {run} AND x.person_id > {after} AND x.person_id <= {upto} \
                 AND x.outcome = 'queued')), \
         best AS MATERIALIZED (SELECT o.tip_id, o.language, o.script, o.text_language, \
             o.text_script, t.body, t.encoding, t.parts, t.template_id FROM offered o \
             JOIN tip_texts t ON t.tip_id = o.tip_id \
             AND t.language = o.text_language AND t.script = o.text_script \
             WHERE o.rank = (SELECT MIN(o2.rank) FROM offered o2 \
             WHERE o2.tip_id = o.tip_id AND o2.language = o.language AND o2.script = o.script))",
        choices = text_choices(),
    )
}

/// The texts of the batch's tips, copied into `outbox_texts` once for the run (every text a
/// batch's people could be sent, a few rows): a broadcast's message rows name their text instead
/// of each carrying its body (a million copies of a few texts, most of each row), and the copy
/// keeps what the run sends as it was planned when a tip is edited later (the whole run sends the copy its first batch made). `$1` the run, `$2`..`$3` the batch's person ids.
pub(super) fn texts_insert() -> String {
    format!(
        "WITH {best} \
         INSERT INTO outbox_texts (run_id, tip_id, language, script, body, encoding, parts, \
         dlt_template_id) \
         SELECT DISTINCT $1, b.tip_id, b.text_language, b.text_script, b.body, b.encoding, \
         b.parts, b.template_id FROM best b \
         WHERE TRUE ON CONFLICT (run_id, tip_id, language, script) DO NOTHING",
        best = best_texts("$1", "$2", "$3"),
    )
}

/// The batch's messages into the outbox: one `bulk` row per queued recipient still active, with
/// the best text of their tip for them (none if they can read none of its texts), or for a
/// member who chose voice, while calls can be placed, a `call` row through the voice channel
/// that plays the tip's recording in their language (its best text kept as the row's text).
/// Each row names its text in `outbox_texts` ([`texts_insert`], run first). `$1` channel, `$2`
/// not before, `$3` expiry, `$4` now, `$5` the run, `$6`..`$7` the batch's person ids, `$8` the
/// voice channel (NULL: everyone by SMS).
///
/// The joins are `CROSS JOIN`s, which SQLite keeps in the order written (PostgreSQL plans them
/// as any inner join): the batch's recipients in the outer loop, each read once. Left to choose,
/// SQLite put the few `best` rows outside and read the batch's recipients and their people again
/// for each of them.
pub(super) fn outbox_insert() -> String {
    format!(
        "WITH {best}, \
         ready AS MATERIALIZED (SELECT b.tip_id, b.language, b.script, t.encoding, t.parts, \
             t.dlt_template_id AS template_id, t.id AS text_id FROM best b JOIN outbox_texts t \
             ON t.run_id = $5 AND t.tip_id = b.tip_id AND t.language = b.text_language \
             AND t.script = b.text_script) \
         INSERT INTO outbox (channel, kind, priority, status, phone_ciphertext, phone_key_id, \
         phone_hint, person_id, broadcast_id, text_id, encoding, parts, dlt_template_id, \
         not_before, expires_at, next_attempt_at, created_at, tip_id, language) \
         SELECT CASE WHEN {call} THEN CAST($8 AS TEXT) ELSE $1 END, \
         CASE WHEN {call} THEN 'call' ELSE 'bulk' END, 1, 'queued', p.phone_ciphertext, \
         p.phone_key_id, p.phone_hint, p.id, x.run_id, b.text_id, b.encoding, b.parts, \
         b.template_id, $2, $3, $2, $4, CASE WHEN {call} THEN x.tip_id END, \
         CASE WHEN {call} THEN p.language END \
         FROM broadcast_recipients x CROSS JOIN people p CROSS JOIN ready b \
         WHERE p.id = x.person_id \
         AND b.tip_id = x.tip_id AND b.language = p.language AND b.script = p.script \
         AND x.run_id = $5 AND x.person_id > $6 AND x.person_id <= $7 \
         AND x.outcome = 'queued' AND p.status = 'active' AND p.phone_ciphertext IS NOT NULL \
         ON CONFLICT (broadcast_id, person_id) DO NOTHING",
        best = best_texts("$5", "$6", "$7"),
        call = "(p.medium = 'voice' AND CAST($8 AS TEXT) IS NOT NULL)",
    )
}

/// The PostgreSQL advisory lock key planning transactions take (any fixed number; "mitan" in
/// ASCII).
pub(super) const PLANNING_LOCK: i64 = 0x006d_6974_616e;

#[derive(sqlx::FromRow)]
pub(super) struct RunToPlan {
    id: i64,
    broadcast_id: i64,
    due_at: i64,
    not_before: i64,
    expires_at: i64,
    cursor: i64,
}

impl Store {
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
        voice_channel: Option<&str>,
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
            Sql::new(texts_insert())
                .bind(run.id)
                .bind(run.cursor)
                .bind(upper),
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
                .bind(upper)
                .bind(voice_channel),
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
