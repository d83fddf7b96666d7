//! `/event-codes`: codes for a training camp or a college drive, owned by a recruiter (who is
//! credited), with an expiry and a use limit.

use std::sync::Arc;

use axum::extract::State;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{ActionProblems, Invalid, ReadProblems, WriteProblems};
use super::extract::{Admin, Json, Query};
use super::{audit, now};
use crate::access::{Principal, Scope};
use crate::enrollment::{display_name, expire_early};
use crate::http::ApiError;
use crate::http::AppState;
use crate::store::{EventCodeRecord, NewEventCode as StoreNewEventCode};

#[derive(Serialize, ToSchema)]
pub struct EventCode {
    pub code: String,
    /// The recruiter credited for joins through it.
    pub recruiter_id: i64,
    pub label: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub created: DateTime<Utc>,
}

impl From<EventCodeRecord> for EventCode {
    fn from(code: EventCodeRecord) -> Self {
        Self {
            code: code.code,
            recruiter_id: code.recruiter_id,
            label: code.label,
            expires_at: code.expires_at,
            max_uses: code.max_uses,
            uses: code.uses,
            created: code.created_at,
        }
    }
}

/// Most joins one event code may credit (a phone number typed here would be stored and shown).
const MAX_USES: i64 = 100_000;

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"recruiter_id": 1, "label": "NSS camp, CMD College", "expires_at": "2026-12-31T18:30:00Z", "max_uses": 200}))]
#[serde(deny_unknown_fields)]
pub struct NewEventCode {
    /// The recruiter who owns the code and is credited.
    pub recruiter_id: i64,
    /// What the code is for, e.g. "NSS camp, CMD College": a visible name, at most 100
    /// characters, without seven or more digits or invisible characters.
    #[schema(min_length = 1, max_length = 100)]
    #[schema(example = "NSS camp, CMD College")]
    pub label: String,
    /// When it stops working (RFC 3339); must be in the future.
    pub expires_at: DateTime<Utc>,
    /// How many joins it may credit (1 to 100000).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100_000)]
    pub max_uses: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Codes of this recruiter only.
    pub recruiter: Option<i64>,
}

/// Event codes of the recruiters the token may see, newest first.
#[utoipa::path(operation_id = "list_event_codes", get, path = "/event-codes", tag = "event codes", security(("bearer" = ["admin", "officer"])),
    params(ListQuery),
    responses((status = 200, body = Vec<EventCode>), ReadProblems))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    who: Principal,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<Vec<EventCode>>, ApiError> {
    let codes = state
        .store
        .event_codes(who.scope(), query.recruiter)
        .await?;
    Ok(axum::Json(codes.into_iter().map(EventCode::from).collect()))
}

/// One event code, by the code itself: what it is for, its expiry, its use.
#[utoipa::path(operation_id = "show_event_code", get, path = "/event-codes/{code}", tag = "event codes", security(("bearer" = ["admin", "officer"])),
    params(("code" = String, Path, description = "The code, 4 to 10 digits", pattern = r"^[0-9]{4,10}$")),
    responses((status = 200, body = EventCode), ActionProblems))]
pub async fn show(
    State(state): State<Arc<AppState>>,
    who: Principal,
    axum::extract::Path(code): axum::extract::Path<String>,
) -> Result<axum::Json<EventCode>, ApiError> {
    let digits = code.len();
    if !(4..=10).contains(&digits) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid("code", "must be 4 to 10 digits"));
    }
    let record = state
        .store
        .event_code(&code)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !state
        .store
        .in_scope(who.scope(), record.recruiter_id)
        .await?
    {
        return Err(ApiError::Forbidden(
            "this code's recruiter is outside your subtree",
        ));
    }
    Ok(axum::Json(record.into()))
}

/// Issues an event code for a recruiter.
#[utoipa::path(operation_id = "create_event_code", post, path = "/event-codes", tag = "event codes", security(("bearer" = ["admin"])),
    request_body = NewEventCode,
    responses((status = 201, body = EventCode, headers(("Location" = String, description = "The new event code's address"))), WriteProblems))]
pub async fn create(
    State(state): State<Arc<AppState>>,
    Admin(who): Admin,
    Json(new): Json<NewEventCode>,
) -> Result<impl IntoResponse, ApiError> {
    let created = create_event_code(&state, &who, &new).await?;
    Ok(super::created(
        format!("/event-codes/{}", created.code),
        EventCode::from(created),
    ))
}

/// Checks and issues an event code, audited as `who` (an admin: the route and the dashboard's
/// form let only admins here). Every bad field is one 422.
pub(crate) async fn create_event_code(
    state: &AppState,
    who: &Principal,
    new: &NewEventCode,
) -> Result<EventCodeRecord, ApiError> {
    let at = now(state);
    let mut invalid = Invalid::default();
    let label = invalid.check("label", display_name(&new.label));
    if state.store.recruiter(new.recruiter_id).await?.is_none() {
        invalid.add("recruiter_id", "no such recruiter");
    }
    if new.expires_at <= at {
        invalid.add("expires_at", "must be in the future");
    }
    if new
        .max_uses
        .is_some_and(|uses| !(1..=MAX_USES).contains(&uses))
    {
        invalid.add("max_uses", format!("must be from 1 to {MAX_USES}"));
    }
    invalid.finish()?;
    let label = label.unwrap_or_default();
    let code = state
        .store
        .create_event_code(&StoreNewEventCode {
            recruiter_id: new.recruiter_id,
            label: &label,
            expires_at: Some(new.expires_at),
            max_uses: new.max_uses,
            code_length: state.settings.campaign.code_length.0,
            at,
        })
        .await?;
    let target = format!("recruiter:{}", new.recruiter_id);
    let detail = format!("code {code}: {label}");
    audit(state, who, "event_code.create", &target, Some(&detail)).await?;
    Ok(EventCodeRecord {
        code: code.to_string(),
        recruiter_id: new.recruiter_id,
        label: Some(label),
        expires_at: Some(new.expires_at),
        max_uses: new.max_uses,
        uses: 0,
        created_at: at,
    })
}

/// Stops recruiter `recruiter_id`'s event code `code` working from now on, audited as `who` (an
/// admin). 404 when the recruiter has no such event code; a code that already stopped working
/// is left as it is, unaudited (a second click changes nothing). Returns whether it changed.
pub(crate) async fn expire_event_code(
    state: &AppState,
    who: &Principal,
    recruiter_id: i64,
    code: &str,
) -> Result<bool, ApiError> {
    let at = now(state);
    let found = state
        .store
        .event_codes(Scope::All, Some(recruiter_id))
        .await?
        .into_iter()
        .find(|c| c.code == code)
        .ok_or(ApiError::NotFound)?;
    let Some(expires_at) = expire_early(found.expires_at, at) else {
        return Ok(false);
    };
    if !state
        .store
        .expire_event_code(recruiter_id, code, expires_at)
        .await?
    {
        // Expired by another request meanwhile.
        return Ok(false);
    }
    let target = format!("recruiter:{recruiter_id}");
    let detail = format!("code {code}");
    audit(state, who, "event_code.expire", &target, Some(&detail)).await?;
    Ok(true)
}
