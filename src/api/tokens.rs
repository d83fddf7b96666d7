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
use crate::access::Role as TokenRole;
use crate::access::{IssueError, IssuedToken, Principal, TokenRequest};
use crate::enrollment::display_name;
use crate::http::AppState;
use crate::http::{ApiError, FieldError};

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
#[utoipa::path(operation_id = "list_tokens", get, path = "/tokens", tag = "tokens", security(("bearer" = ["admin"])),
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
#[utoipa::path(operation_id = "revoke_token", delete, path = "/tokens/{id}", tag = "tokens", security(("bearer" = ["admin"])),
    params(("id" = i64, Path, description = "The token", minimum = 1)),
    responses((status = 204, description = "Revoked (or already revoked)"), ActionProblems))]
pub async fn revoke(
    State(state): State<Arc<AppState>>,
    Admin(who): Admin,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    revoke_token(&state, &who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes token `id` for `who` (an admin): 404 for no such token; revoking a revoked one
/// changes nothing and is not logged again.
pub(crate) async fn revoke_token(
    state: &AppState,
    who: &Principal,
    id: i64,
) -> Result<(), ApiError> {
    if state.store.token(id).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    if state.store.revoke_token(id, now(state)).await? {
        audit(state, who, "token.revoke", &format!("token:{id}"), None).await?;
    }
    Ok(())
}

/// A token to make, as a form gives it (the dashboard; the command line has its own flags).
pub(crate) struct TokenInput<'a> {
    pub name: &'a str,
    /// `admin` or `officer`.
    pub role: &'a str,
    /// The recruiter an officer's token sees, as typed; empty for none.
    pub recruiter: &'a str,
}

/// Makes a token for `who` (an admin) through `Store::issue_token` (which records
/// `token.create`, never the token's text): every field that is wrong is named, and a name
/// another token already has is refused, so that the audit log names one token by it.
pub(crate) async fn issue(
    state: &AppState,
    who: &Principal,
    input: &TokenInput<'_>,
) -> Result<IssuedToken, ApiError> {
    let mut problems = Vec::new();
    let role = TokenRole::from_tag(input.role.trim());
    if role.is_none() {
        problems.push(FieldError::new("role", "must be `admin` or `officer`"));
    }
    let recruiter = input.recruiter.trim();
    let recruiter_id = if recruiter.is_empty() {
        None
    } else {
        match recruiter.parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                problems.push(FieldError::new("recruiter", "must be a recruiter's id"));
                None
            }
        }
    };
    match display_name(input.name) {
        Err(err) => problems.push(FieldError::new("name", err)),
        Ok(name) => {
            let taken = state
                .store
                .tokens()
                .await?
                .iter()
                .any(|token| token.name.to_lowercase() == name.to_lowercase());
            if taken {
                problems.push(FieldError::new("name", "another token has this name"));
            }
        }
    }
    let Some(role) = role.filter(|_| problems.is_empty()) else {
        return Err(ApiError::Validation(problems));
    };
    let actor = who.actor();
    let request = TokenRequest {
        role,
        recruiter_id,
        name: input.name,
        actor: &actor,
        at: now(state),
    };
    match state.store.issue_token(&request).await? {
        Ok(issued) => Ok(issued),
        Err(IssueError::Name(err)) => Err(ApiError::invalid("name", err)),
        Err(IssueError::OfficerWithoutRecruiter) => Err(ApiError::invalid(
            "recruiter",
            "an officer's token must name the recruiter whose subtree it sees",
        )),
        Err(IssueError::AdminWithRecruiter) => Err(ApiError::invalid(
            "recruiter",
            "an admin's token sees everything and names no recruiter",
        )),
        Err(IssueError::NoSuchRecruiter(_)) => {
            Err(ApiError::invalid("recruiter", "no such recruiter"))
        }
    }
}
