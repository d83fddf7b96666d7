//! Aggregates: people and recruiters by area, joins per day, flagged bursts. Never a person.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::{
    from_millis, on_pool, to_millis, within, Scope, StatusRow, Store, StoreError, STATUS_COUNTS,
    SUBTREE,
};
use crate::enrollment::figures::AreaCounts;
use crate::enrollment::RecruiterKind;

/// Joins on one day (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayJoins {
    pub day: NaiveDate,
    pub joins: i64,
}

/// A code through which joins came faster than the configured threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Burst {
    pub code: String,
    pub recruiter_id: i64,
    pub flagged_at: DateTime<Utc>,
    /// Joins through the code in the hour before it was flagged.
    pub joins: i64,
}

/// Messages sent in a period, and how many of them were delivered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessagesSent {
    pub sent: i64,
    pub delivered: i64,
}

const DAY_MS: i64 = 86_400_000;

impl Store {
    /// People (by the area they inherited) and recruiters in `scope`, per area; `None` collects
    /// those without an area.
    pub async fn area_counts(
        &self,
        scope: Scope,
    ) -> Result<HashMap<Option<i64>, AreaCounts>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct PeopleRow {
            area_id: Option<i64>,
            #[sqlx(flatten)]
            counts: StatusRow,
        }
        let people_sql = format!(
            "{SUBTREE}SELECT p.area_id, {STATUS_COUNTS} FROM people p \
             WHERE {} GROUP BY p.area_id",
            within(scope, "p.recruited_by")
        );
        let recruiters_sql = format!(
            "{SUBTREE}SELECT r.area_id, COUNT(*) FROM recruiters r WHERE {} GROUP BY r.area_id",
            within(scope, "r.id")
        );
        let (people, recruiters): (Vec<PeopleRow>, Vec<(Option<i64>, i64)>) = on_pool!(self, pool => {
            let people = sqlx::query_as(&people_sql)
                .bind(scope.root())
                .fetch_all(pool)
                .await?;
            let recruiters = sqlx::query_as(&recruiters_sql)
                .bind(scope.root())
                .fetch_all(pool)
                .await?;
            (people, recruiters)
        });
        let mut counts: HashMap<Option<i64>, AreaCounts> = HashMap::new();
        for row in people {
            counts.entry(row.area_id).or_default().people += row.counts.into();
        }
        for (area_id, recruiters) in recruiters {
            counts.entry(area_id).or_default().recruiters += recruiters;
        }
        Ok(counts)
    }

    /// Recruiters in `scope` by kind.
    pub async fn recruiters_by_kind(
        &self,
        scope: Scope,
    ) -> Result<Vec<(RecruiterKind, i64)>, StoreError> {
        let sql = format!(
            "{SUBTREE}SELECT r.kind, COUNT(*) FROM recruiters r \
             WHERE {} GROUP BY r.kind ORDER BY r.kind",
            within(scope, "r.id")
        );
        let rows: Vec<(String, i64)> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(scope.root()).fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|(kind, count)| Some((RecruiterKind::from_tag(&kind)?, count)))
            .collect())
    }

    /// People in `scope` who first joined in `[from, to)`, per UTC day; days without a join are
    /// left out.
    pub async fn joins_per_day(
        &self,
        scope: Scope,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        utc_offset_ms: i64,
    ) -> Result<Vec<DayJoins>, StoreError> {
        // Days are counted in local time: shift by the zone's offset before dividing.
        let sql = format!(
            "{SUBTREE}SELECT (p.created_at + $4) / {DAY_MS} AS day, COUNT(*) AS joins \
             FROM people p WHERE p.created_at >= $2 AND p.created_at < $3 \
             AND {} GROUP BY (p.created_at + $4) / {DAY_MS} ORDER BY day",
            within(scope, "p.recruited_by")
        );
        let rows: Vec<(i64, i64)> = on_pool!(self, pool => {
            sqlx::query_as(&sql)
                .bind(scope.root())
                .bind(to_millis(from))
                .bind(to_millis(to))
                .bind(utc_offset_ms)
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(day, joins)| DayJoins {
                day: from_millis(day * DAY_MS).date_naive(),
                joins,
            })
            .collect())
    }

    /// The newest bursts flagged on codes of recruiters in `scope`.
    pub async fn bursts(&self, scope: Scope, limit: i64) -> Result<Vec<Burst>, StoreError> {
        let sql = format!(
            "{SUBTREE}SELECT b.code, b.recruiter_id, b.flagged_at, b.joins FROM code_bursts b \
             WHERE {} ORDER BY b.flagged_at DESC, b.id DESC LIMIT $2",
            within(scope, "b.recruiter_id")
        );
        let rows: Vec<(String, i64, i64, i64)> = on_pool!(self, pool => {
            sqlx::query_as(&sql)
                .bind(scope.root())
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(code, recruiter_id, flagged_at, joins)| Burst {
                code,
                recruiter_id,
                flagged_at: from_millis(flagged_at),
                joins,
            })
            .collect())
    }

    /// Messages that left since `since` (by when they were handed to the aggregator), and how
    /// many of those a delivery report says reached the handset.
    pub async fn messages_sent_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<MessagesSent, StoreError> {
        let (sent, delivered): (i64, i64) = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'delivered' THEN 1 ELSE 0 END), 0) \
                 FROM outbox WHERE sent_at >= $1",
            )
            .bind(to_millis(since))
            .fetch_one(pool)
            .await?
        });
        Ok(MessagesSent { sent, delivered })
    }
}
