//! `/areas`: district → thana → village, readable by every token, changed by admins.

use std::sync::Arc;

use axum::extract::State;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::audit;
use super::dto::Invalid;
use super::dto::{AreaKind, ReadProblems, WriteProblems};
use super::extract::{Admin, Json, PathId};
use crate::access::Principal;
use crate::enrollment::{self, display_name};
use crate::http::ApiError;
use crate::http::AppState;
use crate::store::StoreError;

#[derive(Serialize, ToSchema)]
pub struct Area {
    pub id: i64,
    pub kind: AreaKind,
    pub name: String,
    /// The thana of a village, the district of a thana; none for a district.
    pub parent_id: Option<i64>,
}

impl From<enrollment::Area> for Area {
    fn from(area: enrollment::Area) -> Self {
        Self {
            id: area.id,
            kind: area.kind.into(),
            name: area.name,
            parent_id: area.parent_id,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"kind": "thana", "name": "Sirgitti", "parent_id": 1}))]
#[serde(deny_unknown_fields)]
pub struct NewArea {
    pub kind: AreaKind,
    /// A visible name, at most 100 characters; names with seven or more digits (a phone
    /// number) or invisible characters are refused.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Required for a thana (its district) and a village (its thana).
    #[serde(default)]
    pub parent_id: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"name": "Sirgitti thana"}))]
#[serde(deny_unknown_fields)]
pub struct AreaChanges {
    /// As when the area was added.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
}

/// Every area, parents before their children.
#[utoipa::path(operation_id = "list_areas", get, path = "/areas", tag = "areas", security(("bearer" = ["admin", "officer"])),
    responses((status = 200, body = Vec<Area>), ReadProblems))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    _: Principal,
) -> Result<axum::Json<Vec<Area>>, ApiError> {
    let areas = state.store.areas().await?;
    Ok(axum::Json(areas.into_iter().map(Area::from).collect()))
}

/// Adds a district, a thana under a district, or a village under a thana.
#[utoipa::path(operation_id = "create_area", post, path = "/areas", tag = "areas", security(("bearer" = ["admin"])),
    request_body = NewArea,
    responses((status = 201, body = Area, headers(("Location" = String, description = "The new area's address"))), WriteProblems))]
pub async fn create(
    State(state): State<Arc<AppState>>,
    Admin(who): Admin,
    Json(new): Json<NewArea>,
) -> Result<impl IntoResponse, ApiError> {
    let kind = enrollment::AreaKind::from(new.kind);
    let mut invalid = Invalid::default();
    let name = invalid.check("name", display_name(&new.name));
    match (kind.parent_kind(), new.parent_id) {
        (None, None) => {}
        (None, Some(_)) => invalid.add("parent_id", "a district sits under no other area"),
        (Some(wanted), None) => invalid.add(
            "parent_id",
            format!("a {} needs its {}", kind.tag(), wanted.tag()),
        ),
        (Some(wanted), Some(parent)) => match state.store.area(parent).await? {
            Some(area) if area.kind == wanted => {}
            Some(area) => invalid.add(
                "parent_id",
                format!(
                    "a {} sits under a {}, not a {}",
                    kind.tag(),
                    wanted.tag(),
                    area.kind.tag()
                ),
            ),
            None => invalid.add("parent_id", "no such area"),
        },
    }
    invalid.finish()?;
    let name = name.unwrap_or_default();
    let id = state
        .store
        .create_area(kind, &name, new.parent_id)
        .await
        .map_err(duplicate_name)?;
    audit(
        &state,
        &who,
        "area.create",
        &format!("area:{id}"),
        Some(&name),
    )
    .await?;
    let area = enrollment::Area {
        id,
        parent_id: new.parent_id,
        kind,
        name,
    };
    Ok(super::created(format!("/areas/{id}"), Area::from(area)))
}

/// Renames an area.
#[utoipa::path(operation_id = "update_area", patch, path = "/areas/{id}", tag = "areas", security(("bearer" = ["admin"])),
    params(("id" = i64, Path, description = "The area", minimum = 1)),
    request_body = AreaChanges,
    responses((status = 200, body = Area), WriteProblems))]
pub async fn update(
    State(state): State<Arc<AppState>>,
    Admin(who): Admin,
    PathId(id): PathId,
    Json(changes): Json<AreaChanges>,
) -> Result<axum::Json<Area>, ApiError> {
    let name = display_name(&changes.name).map_err(|err| ApiError::invalid("name", err))?;
    if !state
        .store
        .rename_area(id, &name)
        .await
        .map_err(duplicate_name)?
    {
        return Err(ApiError::NotFound);
    }
    audit(
        &state,
        &who,
        "area.update",
        &format!("area:{id}"),
        Some(&name),
    )
    .await?;
    let area = state.store.area(id).await?.ok_or(ApiError::NotFound)?;
    Ok(axum::Json(area.into()))
}

fn duplicate_name(err: StoreError) -> ApiError {
    match err {
        StoreError::Duplicate => ApiError::Conflict("an area there already has this name".into()),
        other => other.into(),
    }
}
