//! `GET /audit`: the append-only log of admin actions, newest first. Admins only.

use std::sync::Arc;

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{next_cursor, page_limit, ReadProblems};
use super::extract::{Admin, Query};
use crate::http::ApiError;
use crate::http::AppState;

#[derive(Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// `token:<id>:<name>`, `cli`, or `system` (a burst flagged while people joined).
    pub actor: String,
    /// e.g. `recruiter.create`, `person.erase`, `export.csv`, `token.create`, `code.burst`.
    pub action: String,
    /// e.g. `recruiter:12`, `person:7`.
    pub target: Option<String>,
    pub detail: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The last id of the previous page.
    pub before: Option<i64>,
    /// Page size, 1 to 200 (50 by default).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// The audit log, newest first.
#[utoipa::path(operation_id = "list_audit_entries", get, path = "/audit", tag = "audit", security(("bearer" = ["admin"])),
    params(AuditQuery),
    responses((status = 200, body = AuditPage), ReadProblems))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    _: Admin,
    Query(query): Query<AuditQuery>,
) -> Result<axum::Json<AuditPage>, ApiError> {
    let limit = page_limit(query.limit)?;
    let entries = state.store.audit_entries(limit, query.before).await?;
    let next_before = next_cursor(&entries, limit, |e| e.id);
    let items = entries
        .into_iter()
        .map(|entry| AuditEntry {
            id: entry.id,
            at: entry.at,
            actor: entry.actor,
            action: entry.action,
            target: entry.target,
            detail: entry.detail,
        })
        .collect();
    Ok(axum::Json(AuditPage { items, next_before }))
}
