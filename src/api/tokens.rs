//! `/tokens`: the API tokens (never their text, which exists only when created by
//! `mitan token create`), and revoking one. Admins only.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::{ActionProblems, ReadProblems, Role};
use super::extract::{Admin, PathId};
use super::{audit, now};
use crate::http::ApiError;
use crate::http::AppState;

#[derive(Serialize, ToSchema)]
pub struct Token {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub recruiter_id: Option<i64>,
    pub created: DateTime<Utc>,
    /// When it stopped working; absent while it works.
    pub revoked: Option<DateTime<Utc>>,
}

/// Every token, newest first.
#[utoipa::path(operation_id = "list_tokens", get, path = "/tokens", tag = "tokens", security(("bearer" = [])),
    responses((status = 200, body = Vec<Token>), ReadProblems))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    _: Admin,
) -> Result<axum::Json<Vec<Token>>, ApiError> {
    let tokens = state.store.tokens().await?;
    Ok(axum::Json(
        tokens
            .into_iter()
            .map(|token| Token {
                id: token.id,
                name: token.name,
                role: token.role.into(),
                recruiter_id: token.recruiter_id,
                created: token.created_at,
                revoked: token.revoked_at,
            })
            .collect(),
    ))
}

/// Revokes a token: it stops working at once.
#[utoipa::path(operation_id = "revoke_token", delete, path = "/tokens/{id}", tag = "tokens", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The token")),
    responses((status = 204, description = "Revoked (or already revoked)"), ActionProblems))]
pub async fn revoke(
    State(state): State<Arc<AppState>>,
    Admin(who): Admin,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    if state.store.token(id).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    if state.store.revoke_token(id, now(&state)).await? {
        audit(&state, &who, "token.revoke", &format!("token:{id}"), None).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
