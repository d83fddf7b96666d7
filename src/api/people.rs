//! `/people`: the people who joined, masked (the last two digits of the number at most), and
//! their erasure. Admins only: officers see figures, never people.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{next_cursor, page_limit, ActionProblems, Language, PersonStatus, ReadProblems};
use super::extract::{Admin, PathId, Query};
use super::{audit, now};
use crate::http::ApiError;
use crate::http::AppState;
use crate::store::{self, PersonSummary};

#[derive(Serialize, ToSchema)]
pub struct Person {
    pub id: i64,
    /// The last two digits of their number; absent once erased.
    pub hint: Option<String>,
    pub language: Language,
    pub area_id: Option<i64>,
    pub status: PersonStatus,
    /// The recruiter credited for them.
    pub recruited_by: Option<i64>,
    pub joined: DateTime<Utc>,
}

impl From<PersonSummary> for Person {
    fn from(person: PersonSummary) -> Self {
        Self {
            id: person.id,
            hint: person.hint,
            language: person.language.into(),
            area_id: person.area_id,
            status: person.status.into(),
            recruited_by: person.recruited_by,
            joined: person.joined_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PersonPage {
    pub items: Vec<Person>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub status: Option<PersonStatus>,
    /// People of this area or any area below it.
    pub area: Option<i64>,
    pub language: Option<Language>,
    /// People credited to this recruiter.
    pub recruiter: Option<i64>,
    /// Joined on or after this day (UTC).
    pub joined_from: Option<NaiveDate>,
    /// Joined on or before this day (UTC).
    pub joined_to: Option<NaiveDate>,
    /// The last id of the previous page.
    pub after: Option<i64>,
    /// Page size, 1 to 200 (50 by default).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// People, masked, a page at a time, with filters.
#[utoipa::path(operation_id = "list_people", get, path = "/people", tag = "people", security(("bearer" = ["admin"])),
    params(ListQuery),
    responses((status = 200, body = PersonPage), ReadProblems))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    _: Admin,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<PersonPage>, ApiError> {
    let limit = page_limit(query.limit)?;
    let start = |day: NaiveDate| day.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    let people = state
        .store
        .people(&store::PeopleFilter {
            status: query.status.map(Into::into),
            area_id: query.area,
            language: query.language.map(Into::into),
            recruited_by: query.recruiter,
            joined_from: query.joined_from.and_then(start),
            joined_before: query
                .joined_to
                .and_then(|day| day.succ_opt())
                .and_then(start),
            after: query.after.unwrap_or(0),
            limit,
        })
        .await?;
    let next_after = next_cursor(&people, limit, |p| p.id);
    Ok(axum::Json(PersonPage {
        items: people.into_iter().map(Person::from).collect(),
        next_after,
    }))
}

/// Erases a person's number for good (their anonymous row stays, so counts do not change) and
/// keeps it from being messaged again unless they join anew.
#[utoipa::path(operation_id = "erase_person", delete, path = "/people/{id}", tag = "people", security(("bearer" = ["admin"])),
    params(("id" = i64, Path, description = "The person", minimum = 1)),
    responses((status = 204, description = "Erased (or already erased)"), ActionProblems))]
pub async fn erase(
    State(state): State<Arc<AppState>>,
    Admin(who): Admin,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    if state.store.person(id).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    if state.store.erase_person(id, now(&state)).await? {
        audit(&state, &who, "person.erase", &format!("person:{id}"), None).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
