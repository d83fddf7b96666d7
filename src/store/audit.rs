//! The append-only audit log (the database refuses updates and deletes).

use chrono::{DateTime, Utc};

use super::{from_millis, on_pool, to_millis, Store, StoreError};

/// What happened, who did it, and to what. Never holds a phone number.
#[derive(Debug, Clone)]
pub struct NewAuditEntry<'a> {
    pub at: DateTime<Utc>,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub detail: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: i64,
    actor: String,
    action: String,
    target: Option<String>,
    detail: Option<String>,
}

impl Store {
    pub async fn append_audit(&self, entry: &NewAuditEntry<'_>) -> Result<i64, StoreError> {
        let id = on_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO audit_log (at, actor, action, target, detail) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(to_millis(entry.at))
            .bind(entry.actor)
            .bind(entry.action)
            .bind(entry.target)
            .bind(entry.detail)
            .fetch_one(pool)
            .await?
        });
        Ok(id)
    }

    /// The newest entries first, `limit` at most, before the entry `before` when given.
    pub async fn audit_entries(
        &self,
        limit: i64,
        before: Option<i64>,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit_entries_of(None, limit, before).await
    }

    /// Like [`Store::audit_entries`], only entries of `action` when given (the dashboard's
    /// filter).
    pub async fn audit_entries_of(
        &self,
        action: Option<&str>,
        limit: i64,
        before: Option<i64>,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<AuditRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, at, actor, action, target, detail FROM audit_log \
                 WHERE id < $1 AND ($3 IS NULL OR action = $3) ORDER BY id DESC LIMIT $2",
            )
            .bind(before.unwrap_or(i64::MAX))
            .bind(limit)
            .bind(action)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|row| AuditEntry {
                id: row.id,
                at: from_millis(row.at),
                actor: row.actor,
                action: row.action,
                target: row.target,
                detail: row.detail,
            })
            .collect())
    }

    /// Every action the log holds, in order (what the dashboard's filter offers).
    pub async fn audit_actions(&self) -> Result<Vec<String>, StoreError> {
        let actions = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT DISTINCT action FROM audit_log ORDER BY action")
                .fetch_all(pool)
                .await?
        });
        Ok(actions)
    }
}
