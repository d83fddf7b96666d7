//! `GET /me`: who the token belongs to.

use serde::Serialize;
use utoipa::ToSchema;

use super::dto::{ReadProblems, Role};
use crate::access::{Holder, Principal};
use crate::http::ApiError;

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub token_id: i64,
    pub name: String,
    pub role: Role,
    /// The recruiter whose subtree an officer token sees.
    pub recruiter_id: Option<i64>,
}

/// The token's holder and role.
#[utoipa::path(operation_id = "show_me", get, path = "/me", tag = "session", security(("bearer" = ["admin", "officer"])),
    responses((status = 200, body = Me), ReadProblems))]
pub async fn show(who: Principal) -> Result<axum::Json<Me>, ApiError> {
    Ok(axum::Json(Me {
        // The API is reached with tokens only; a dashboard session never reaches it.
        token_id: match who.holder {
            Holder::Token(id) | Holder::User(id) => id,
        },
        name: who.name,
        role: who.role.into(),
        recruiter_id: who.recruiter_id,
    }))
}
